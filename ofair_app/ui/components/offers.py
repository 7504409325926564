"""The offers on a lead, as its owner sees them: live (a new offer appears without a reload,
through the page's `LiveLeadMixin`), each with the business's public profile, and "choose this
offer" behind a confirmation that says the client's details will be shared with that business
only.

Used by the consumer's request page and by a business's own lead page. The page's state mixes
in `OffersMixin` and provides `lead_id` and `_load(caller)` (to redraw the lead after a choice).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

import reflex as rx
from reflex.vars import ObjectVar

from ofair_app.domain.errors import AppError
from ofair_app.domain.identity import is_new_business
from ofair_app.domain.leads import read_amount
from ofair_app.i18n import plural
from ofair_app.models import ProposalUpdate
from ofair_app.services import chat, disputes, lead_actions, ledger, payments, proposals
from ofair_app.services.proposals import ProposalView
from ofair_app.settings import get_settings
from ofair_app.ui import format, routes, theme
from ofair_app.ui.components.forms import confirm_dialog, dict_var
from ofair_app.ui.state.events import event
from ofair_app.ui.state.locale import t
from ofair_app.ui.state.session import PageMixin, blocking

if TYPE_CHECKING:
    from reflex_base.vars.base import ComputedVar
    from sqlmodel import Session

    from ofair_app.db.engine import Caller
    from ofair_app.models import Payment



def offer_row(view: ProposalView, locale: str, text: Callable[[str], str]) -> dict[str, str]:
    proposal, business = view.proposal, view.professional
    return {
        "id": str(proposal.id),
        "business": business.business_name if business else "",
        "business_id": str(business.id) if business else "",
        "verified": "1" if business and business.verified else "",
        "rating": f"{business.rating:.1f}" if business and business.review_count else "",
        "reviews": str(business.review_count) if business else "0",
        "new": "1" if business and is_new_business(
            completed_jobs=business.completed_jobs, joined_at=business.created_at,
            now=datetime.now(UTC)) else "",
        "completed": plural("ui.count.jobs_done", business.completed_jobs if business else 0,
                            locale),
        "price": format.money(proposal.price, locale),
        "description": proposal.description,
        "scheduled": (format.day(proposal.scheduled_date, locale)
                      if proposal.scheduled_date else ""),
        "status": str(proposal.status),
        "status_label": text(f"ui.offer_status.{proposal.status}"),
        "posted": format.ago(proposal.created_at, locale),
    }


NO_CHAT = {"chat_url": "", "chat_unread": ""}


def chat_links(session: Session, caller: Caller, lead_id: uuid.UUID,
               ) -> dict[str, dict[str, str]]:
    """Each business's conversation on the lead, as the caller may open it: its page and how
    many of its messages the caller has not read ("" for none)."""
    try:
        views = chat.threads_of_lead(session=session, caller=caller, lead_id=lead_id)
    except AppError:
        return {}
    return {str(view.thread.professional_id): {
        "chat_url": routes.chat(view.thread.id),
        "chat_unread": str(view.unread) if view.unread else ""} for view in views}


def chat_button(offer: ObjectVar[dict[str, str]], label: str = "ui.chat.open") -> rx.Component:
    """The way into an offer's conversation (a link that looks like a button), with its unread
    count."""
    return rx.cond(
        offer["chat_url"] != "",
        rx.link(
            rx.icon("message-circle", size=15, aria_hidden="true"), t(label),
            rx.cond(offer["chat_unread"] != "",
                    rx.el.span(offer["chat_unread"], rx.el.span(" ", t("ui.chat.unread_short"),
                                                                class_name="sr-only"),
                               class_name="chat-unread")),
            href=offer["chat_url"], class_name="offer-chat", underline="none",
            display="inline-flex", align_items="center", gap="0.4rem", min_height="44px",
            padding="0 0.9rem", border_radius="10px", background=rx.color("teal", 3),
            color=rx.color("teal", 11), weight="medium", size="2",
            _hover={"background": rx.color("teal", 4)}),
    )


def payment_row(payment: Payment | None, locale: str, text: Callable[[str], str],
                released: bool = False) -> dict[str, str]:
    if payment is None:
        return {}
    return {"id": str(payment.id), "status": str(payment.status),
            "released": "1" if released else "",
            "status_label": text(f"ui.payment_status.{payment.status}"),
            "amount": format.money(payment.final_amount, locale),
            "net": format.money(payment.professional_net_amount, locale),
            "fee": format.money(payment.platform_commission, locale),
            "referrer_fee": format.money(payment.referrer_fee, locale)}


class OffersMixin(PageMixin, mixin=True):
    offers: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    offer_files: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    payment: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    new_price: rx.Field[str] = rx.field("")
    dispute_reason: rx.Field[str] = rx.field("")
    offers_error: rx.Field[str] = rx.field("")
    lead_status: rx.Field[str] = rx.field("")
    # The viewer's role on the lead and the steps open to them (services/lead_actions): every
    # button on a lead page shows only when its step is in `actions`.
    viewer_role: rx.Field[str] = rx.field("")
    actions: rx.Field[list[str]] = rx.field(default_factory=list)
    link_sent: rx.Field[bool] = rx.field(False)
    # The winner's contact card, for the owner once an award stands (each showing is logged).
    performer: rx.Field[dict[str, str]] = rx.field(default_factory=dict)

    if TYPE_CHECKING:
        # What the final state class gets: its own `lead_id` computed var and `_load`,
        # MilestonesMixin's `ms_plan` (`deal_box` reads it), and SessionState (same
        # signatures).
        lead_id: ClassVar[ComputedVar[str]]  # a computed var: not a field of the mixin
        ms_plan: rx.Field[dict[str, str]]

        async def _load(self, caller: Caller) -> None: ...

    async def _load_actions(self, caller: Caller) -> None:
        """The caller's role and steps on this lead; for an owner with a winner, its card."""
        ip, user_agent = self._request_origin()

        def read(session):
            viewer = lead_actions.for_viewer(session=session, caller=caller, lead_id=lead_id)
            contact = (lead_actions.reveal_performer(session=session, caller=caller,
                                                     lead_id=lead_id, ip=ip,
                                                     user_agent=user_agent)
                       if viewer.allows(lead_actions.LeadAction.view_performer) else None)
            return viewer, contact

        try:
            lead_id = uuid.UUID(self.lead_id)
            viewer, contact = await self._as(caller, read)
        except (ValueError, AppError):
            self.viewer_role, self.actions, self.performer = "", [], {}
            return
        self.viewer_role = str(viewer.role)
        self.actions = sorted(str(a) for a in viewer.actions)
        self.performer = {} if contact is None else {
            "business": contact.business_name,
            "phone": format.phone(contact.phone) if contact.phone else "",
            "tel": contact.phone,
            "url": routes.public_pro(contact.professional_id),
        }

    async def _load_offers(self, caller: Caller) -> None:
        try:
            lead_id = uuid.UUID(self.lead_id)
            views, files, chats = await self._as(caller, lambda s: (
                proposals.list_proposals(session=s, caller=caller, lead_id=lead_id),
                proposals.list_attachments(session=s, caller=caller, lead_id=lead_id),
                chat_links(s, caller, lead_id)))
        except (ValueError, AppError):
            self.offers, self.offer_files = [], []
            return
        self.offers = [offer_row(v, self.locale, self._text) | chats.get(
            str(v.proposal.professional_id), NO_CHAT) for v in views]
        self.offer_files = [{"proposal_id": str(pid), "id": str(f.id), "name": f.filename}
                            for pid, rows in files.items() for f in rows]
        await self._load_payment(caller, lead_id)

    async def _load_payment(self, caller: Caller, lead_id: uuid.UUID) -> None:
        def read(session):
            payment = payments.for_lead(session, lead_id)
            released = payment is not None and ledger.was_released(session, payment.id)
            return payment, released

        payment, released = await self._as(caller, read)
        self.payment = payment_row(payment, self.locale, self._text, released)

    @event
    def set_dispute_reason(self, value: str):
        self.dispute_reason = value

    @event
    async def open_dispute(self):
        """A party contests the paid job before its money is released (it stays frozen)."""
        caller = await self._caller()
        if caller is None:
            return rx.redirect("/login")
        self.offers_error = ""
        reason = self.dispute_reason
        try:
            lead_id = uuid.UUID(self.lead_id)
            await self._as(caller, lambda s: disputes.open_dispute(
                session=s, caller=caller, lead_id=lead_id, reason=reason))
        except (ValueError, AppError) as error:
            self.offers_error = (next(iter(self._field_messages(error).values()), "")
                                 or self._message(error)) if isinstance(error, AppError) else ""
            return None
        self.dispute_reason = ""
        await self._load(caller)
        return None

    @event
    async def start_payment(self):
        """Pay the chosen offer: the provider's checkout opens (the same one on a second tap)."""
        caller = await self._caller()
        if caller is None:
            return rx.redirect("/login")
        chosen = next((o["id"] for o in self.offers if o["status"] == "accepted"), "")
        self.offers_error = ""
        try:
            payment = await blocking(payments.pay, caller=caller, proposal_id=uuid.UUID(chosen))
        except (ValueError, AppError) as error:
            self.offers_error = self._message(error) if isinstance(error, AppError) else ""
            return None
        return rx.redirect(payment.checkout_url or "/")

    @event
    async def send_payment_link(self):
        """A referrer has the payment link texted to its client (again, while it is open);
        the referrer stays on the lead's page."""
        caller = await self._caller()
        if caller is None:
            return rx.redirect("/login")
        chosen = next((o["id"] for o in self.offers if o["status"] == "accepted"), "")
        self.offers_error, self.link_sent = "", False
        try:
            await blocking(payments.send_payment_link, caller=caller,
                           proposal_id=uuid.UUID(chosen))
        except (ValueError, AppError) as error:
            self.offers_error = self._message(error) if isinstance(error, AppError) else ""
            return None
        self.link_sent = True
        await self._load(caller)
        return None

    @event
    async def confirm_done(self):
        """The owner confirms the job is done: it closes, and the hold period starts."""
        caller = await self._caller()
        if caller is None:
            return rx.redirect("/login")
        self.offers_error = ""
        try:
            lead_id = uuid.UUID(self.lead_id)
            await self._as(caller, lambda s: payments.confirm_completion(
                session=s, caller=caller, lead_id=lead_id))
        except (ValueError, AppError) as error:
            self.offers_error = self._message(error) if isinstance(error, AppError) else ""
        await self._load(caller)
        return None

    @event
    async def open_file(self, media_id: str):
        """A five-minute link to an offer's photo or PDF."""
        caller = await self._caller()
        if caller is None:
            return rx.redirect("/login")
        try:
            url = await self._as(caller, lambda s: proposals.attachment_link(
                session=s, caller=caller, attachment_id=uuid.UUID(media_id)))
        except (ValueError, AppError):
            return None
        return rx.redirect(url, is_external=True)

    @event
    async def accept_offer(self, proposal_id: str):
        """The owner chooses an offer (the dialog said the client's details go to it)."""
        caller = await self._caller()
        if caller is None:
            return rx.redirect("/login")
        ip, user_agent = self._request_origin()
        self.offers_error = ""
        try:
            await self._as(caller, lambda s: proposals.accept_proposal(
                session=s, caller=caller, proposal_id=uuid.UUID(proposal_id), ip=ip,
                user_agent=user_agent))
        except (ValueError, AppError) as error:
            self.offers_error = self._message(error) if isinstance(error, AppError) else ""
        await self._load(caller)
        return None

    @event
    def set_new_price(self, value: str):
        self.new_price = value

    @event
    async def change_price(self, proposal_id: str):
        """Before payment, either side of an award may settle on another price (a checkout
        open at the old one is closed first, so the next payment charges the new one)."""
        caller = await self._caller()
        if caller is None:
            return rx.redirect("/login")
        self.offers_error = ""
        try:
            amount = read_amount(self.new_price, field="price")
            await blocking(
                payments.edit_proposal, caller=caller, proposal_id=uuid.UUID(proposal_id),
                data=ProposalUpdate(price=amount if amount is not None else Decimal(0)))
        except (ValueError, AppError) as error:
            self.offers_error = (next(iter(self._field_messages(error).values()), "")
                                 or self._message(error)) if isinstance(error, AppError) else ""
            return None
        self.new_price = ""
        await self._load(caller)
        return None

    @event
    async def cancel_award(self):
        """The owner takes the award back before payment: the lead is open again."""
        caller = await self._caller()
        if caller is None:
            return rx.redirect("/login")
        self.offers_error = ""
        try:
            lead_id = uuid.UUID(self.lead_id)
            await self._as(caller, lambda s: proposals.unaward(session=s, caller=caller,
                                                               lead_id=lead_id))
        except (ValueError, AppError) as error:
            self.offers_error = self._message(error) if isinstance(error, AppError) else ""
        await self._load(caller)
        return None


def offer_status_badge(status: rx.Var[str], label: rx.Var[str], live: bool = False,
                       ) -> rx.Component:
    """An offer's status in words; `live`: a polite status region (the proposer's own offer,
    which the owner's choice changes in place)."""
    color = rx.match(status, ("pending", "amber"), ("accepted", "green"), ("rejected", "gray"),
                     ("withdrawn", "gray"), ("declined", "red"), ("cancelled", "red"), "gray")
    return rx.badge(label, color_scheme=color, radius="full", variant="soft",
                    **({"role": "status"} if live else {}))


def _confirm_accept(state: type[OffersMixin], offer: ObjectVar[dict[str, str]]) -> rx.Component:
    return confirm_dialog(
        rx.button(rx.icon("check", size=16), t("ui.offers.choose"), size="2",
                  class_name="choose-offer"),
        rx.fragment(t("ui.offers.confirm_title"), " ", offer["business"]),
        rx.vstack(
            rx.text(t("ui.offers.confirm_body"), size="2", line_height="1.6"),
            rx.hstack(rx.icon("shield-check", size=16, color=theme.BRAND),
                      rx.text(t("ui.offers.confirm_privacy"), size="2", weight="medium"),
                      spacing="2", align="start"),
            spacing="3",
        ),
        "ui.offers.confirm", state.accept_offer(offer["id"]), color="teal",
        confirm_class="confirm-offer")


def price_editor(state: type[OffersMixin], proposal_id: rx.Var[str]) -> rx.Component:
    """A new agreed price for an award not yet paid (either side may set it)."""
    return rx.popover.root(
        rx.popover.trigger(rx.button(rx.icon("pencil", size=13), t("ui.offers.change_price"),
                                     size="1", variant="ghost", class_name="change-price")),
        rx.popover.content(
            rx.vstack(
                rx.text(t("ui.offers.change_price_body"), size="1", color=theme.MUTED),
                rx.hstack(
                    rx.input(value=state.new_price, on_change=state.set_new_price,
                             placeholder="₪", input_mode="decimal", dir="ltr", size="2",
                             width="8rem", class_name="new-price"),
                    rx.popover.close(rx.button(t("ui.offers.save_price"), size="2",
                                               on_click=state.change_price(proposal_id),
                                               class_name="save-price")),
                    spacing="2"),
                spacing="2"),
        ),
    )


def _confirm_unaward(state: type[OffersMixin]) -> rx.Component:
    return confirm_dialog(
        rx.button(t("ui.offers.unaward"), size="1", variant="ghost", color_scheme="red",
                  id="unaward"),
        "ui.offers.unaward_title", "ui.offers.unaward_body", "ui.offers.unaward_confirm",
        state.cancel_award)


def _offer_card(state: type[OffersMixin], offer: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.vstack(
                rx.hstack(
                    rx.text(offer["business"], dir="auto", weight="bold", size="3"),
                    rx.cond(offer["verified"] != "",
                            rx.tooltip(rx.icon("badge-check", size=16, color=theme.BRAND),
                                       content=t("ui.offers.verified"))),
                    spacing="1",
                    align="center",
                ),
                rx.hstack(
                    rx.cond(offer["rating"] != "",
                            rx.hstack(rx.icon("star", size=13, color=rx.color("amber", 9)),
                                      rx.text(offer["rating"], " (", offer["reviews"], ")",
                                              size="1"),
                                      rx.text("·", size="1"),
                                      spacing="1", align="center")),
                    # "new" stands alone: a new business has no jobs done by definition
                    rx.cond(offer["new"] != "",
                            rx.text(t("ui.offers.new_business"), size="1",
                                    class_name="new-business"),
                            rx.text(offer["completed"], size="1", class_name="jobs-done")),
                    spacing="2",
                    color=theme.MUTED,
                    align="center",
                ),
                spacing="1",
                align="start",
            ),
            rx.spacer(),
            rx.vstack(
                rx.text(offer["price"], weight="bold", size="5", class_name="offer-price"),
                offer_status_badge(offer["status"], offer["status_label"]),
                spacing="1",
                align="end",
            ),
            width="100%",
            align="start",
        ),
        rx.text(offer["description"], dir="auto", size="2", line_height="1.6",
                white_space="pre-wrap"),
        rx.hstack(
            rx.foreach(state.offer_files, lambda f: rx.cond(
                f["proposal_id"] == offer["id"],
                rx.button(rx.icon("paperclip", size=13), f["name"], size="1", variant="soft",
                          color_scheme="gray", on_click=state.open_file(f["id"]),
                          class_name="offer-file"))),
            spacing="2",
            wrap="wrap",
        ),
        rx.hstack(
            rx.cond(offer["scheduled"] != "",
                    rx.hstack(rx.icon("calendar", size=14),
                              rx.text(t("ui.offers.can_start"), " ", offer["scheduled"],
                                      size="1"),
                              spacing="1", align="center")),
            rx.hstack(rx.icon("clock", size=14), rx.text(offer["posted"], size="1"),
                      spacing="1", align="center"),
            rx.spacer(),
            chat_button(offer),
            rx.cond((offer["status"] == "pending") & state.actions.contains("choose_proposal"),
                    _confirm_accept(state, offer)),
            rx.cond(offer["status"] == "accepted",
                    rx.hstack(rx.cond(state.actions.contains("change_price"),
                                      price_editor(state, offer["id"])),
                              rx.cond(state.actions.contains("cancel_award"),
                                      _confirm_unaward(state)),
                              spacing="2")),
            width="100%",
            align="center",
            color=theme.MUTED,
            wrap="wrap",
            spacing="3",
        ),
        spacing="3",
        width="100%",
        padding="1rem",
        border_radius="14px",
        border=rx.cond(offer["status"] == "accepted", f"2px solid {rx.color('green', 8)}",
                       f"1px solid {rx.color('gray', 5)}"),
        background=rx.cond(offer["status"] == "accepted", rx.color("green", 2), "white"),
        class_name="offer-card",
    )


def dispute_box(state: type[OffersMixin]) -> rx.Component:
    """Contest a paid job before its money is released; while a dispute is open, say so."""
    can_open = state.actions.contains("open_dispute")
    return rx.cond(
        state.lead_status == "disputed",
        rx.callout(t("ui.dispute.status"), icon="scale", color_scheme="orange", width="100%",
                   id="dispute-status"),
        rx.cond(can_open, rx.dialog.root(
            rx.dialog.trigger(rx.button(rx.icon("scale", size=14), t("ui.dispute.open"),
                                        size="1", variant="ghost", color_scheme="gray",
                                        id="open-dispute")),
            rx.dialog.content(
                rx.dialog.title(t("ui.dispute.title")),
                rx.dialog.description(t("ui.dispute.body"), size="2"),
                rx.text_area(value=state.dispute_reason, on_change=state.set_dispute_reason,
                             placeholder=t("ui.dispute.reason"), rows="4", width="100%",
                             margin_top="0.75rem", id="dispute-reason"),
                rx.hstack(
                    rx.dialog.close(rx.button(t("ui.offers.not_yet"), variant="soft",
                                              color_scheme="gray")),
                    rx.dialog.close(rx.button(t("ui.dispute.send"), color_scheme="orange",
                                              on_click=state.open_dispute,
                                              id="send-dispute")),
                    spacing="3", justify="end", margin_top="1rem"),
            ),
        )),
    )


def _payment_step(state: type[OffersMixin]) -> rx.Component:
    """The owner's way to get the chosen job paid: the client pays here; a referrer has the
    link texted to its client and stays on the page."""
    return rx.cond(
        state.actions.contains("pay"),
        rx.vstack(
            rx.text(t("ui.pay.title"), weight="bold", size="3"),
            rx.text(t("ui.pay.body"), size="2", color=theme.MUTED, line_height="1.6"),
            rx.button(rx.icon("lock", size=16), t("ui.pay.button"), size="3", width="100%",
                      on_click=state.start_payment, id="start-payment"),
            spacing="2", width="100%", id="deal-box"),
        rx.cond(
            state.actions.contains("send_payment_link"),
            rx.vstack(
                rx.text(t("ui.pay.link_title"), weight="bold", size="3"),
                rx.text(t("ui.pay.link_body"), size="2", color=theme.MUTED,
                        line_height="1.6"),
                rx.cond(state.link_sent,
                        rx.callout(t("ui.pay.link_sent"), icon="message-square-text",
                                   color_scheme="teal", size="1", width="100%",
                                   id="link-sent")),
                rx.button(rx.icon("send", size=16),
                          rx.cond(dict_var(state.payment).get("status", "") == "pending",
                                  t("ui.pay.link_again"), t("ui.pay.link_button")),
                          size="3", width="100%", variant="soft",
                          on_click=state.send_payment_link, id="send-payment-link"),
                spacing="2", width="100%", id="deal-box"),
        ),
    )


def performer_card(state: type[OffersMixin]) -> rx.Component:
    """The winner, for the lead's owner once the award stands: business, phone, public page."""
    card = dict_var(state.performer)
    return rx.cond(
        card.contains("business"),
        rx.vstack(
            rx.hstack(rx.icon("handshake", size=16, color=theme.BRAND),
                      rx.text(t("ui.performer.title"), weight="bold", size="3"),
                      spacing="2", align="center"),
            rx.text(card["business"], weight="bold", size="4", id="performer-business"),
            rx.cond(card["phone"] != "",
                    rx.hstack(rx.icon("phone", size=16, color=theme.MUTED),
                              rx.link(card["phone"], href="tel:" + card["tel"], dir="ltr",
                                      weight="bold", id="performer-phone"),
                              spacing="3", align="center")),
            rx.link(rx.hstack(rx.icon("external-link", size=14),
                              rx.text(t("ui.performer.profile"), size="2"),
                              spacing="2", align="center"),
                    href=card["url"], id="performer-profile"),
            rx.text(t("ui.performer.note"), size="1", color=theme.MUTED),
            spacing="2",
            width="100%",
            padding="1.25rem",
            border_radius="16px",
            background=rx.color("green", 2),
            border=f"2px solid {rx.color('green', 8)}",
            id="performer-card",
        ),
    )


def deal_box(state: type[OffersMixin]) -> rx.Component:
    """After a choice: pay (or have the client paid), then confirm the job is done; the
    money's state on the way. Every button is one of the viewer's `actions`."""
    b2b = get_settings().settlement_mode == "b2b"  # the client pays the professional directly
    # paid and approved in the milestones
    in_steps = dict_var(state.ms_plan).get("agreed", "") != ""
    return rx.cond(
        in_steps & (state.lead_status != "closed"),
        rx.callout(t("ui.ms.deal_in_steps"), icon="milestone", color_scheme="teal",
                   width="100%", id="deal-box"),
        _deal_steps(state, b2b))


def _deal_steps(state: type[OffersMixin], b2b: bool) -> rx.Component:
    return rx.match(
        state.lead_status,
        ("awarded", rx.callout(t("ui.pay.b2b_awarded"), icon="handshake", color_scheme="teal",
                               width="100%", id="deal-box") if b2b else _payment_step(state)),
        ("in_progress", rx.callout(t("ui.pay.b2b_in_progress" if b2b else "ui.pay.held"),
                                   icon="hammer" if b2b else "shield-check",
                                   color_scheme="teal", width="100%", id="deal-box")),
        ("completed", rx.vstack(
            rx.text(t("ui.pay.done_title"), weight="bold", size="3"),
            rx.text(t("ui.pay.done_body"), size="2", color=theme.MUTED, line_height="1.6"),
            rx.cond(state.actions.contains("confirm_done"), confirm_dialog(
                rx.button(rx.icon("check-check", size=16), t("ui.pay.confirm"), size="3",
                          width="100%", id="confirm-done"),
                "ui.pay.confirm_title", "ui.pay.b2b_confirm_body" if b2b else "ui.pay.confirm_body",
                "ui.pay.confirm",
                state.confirm_done, color="teal")),
            spacing="2", width="100%", id="deal-box")),
        ("closed", rx.callout(t("ui.pay.closed"), icon="circle-check", color_scheme="green",
                              width="100%", id="deal-box")),
        rx.fragment(),
    )


def offers_panel(state: type[OffersMixin]) -> rx.Component:
    return rx.vstack(
        performer_card(state),
        deal_box(state),
        dispute_box(state),
        rx.hstack(rx.icon("message-square", size=16, color=theme.BRAND),
                  rx.text(t("ui.my.offers_title"), weight="bold", size="3"),
                  rx.badge(state.offers.length(), radius="full", id="offer-count",
                           aria_hidden="true"),
                  # Offers arrive live: a polite region says how many there are now.
                  rx.el.span(t("ui.my.offers_title"), ": ", state.offers.length(),
                             role="status", aria_live="polite", aria_atomic="true",
                             class_name="sr-only", id="offers-live"),
                  rx.spacer(),
                  rx.cond(state.lead_status == "active",
                          rx.hstack(rx.box(width="8px", height="8px", border_radius="999px",
                                           background=rx.color("green", 9),
                                           class_name="live-dot"),
                                    rx.text(t("ui.offers.live"), size="1", color=theme.MUTED),
                                    spacing="1", align="center")),
                  spacing="2", align="center", width="100%"),
        rx.cond(state.offers_error != "",
                rx.callout(state.offers_error, icon="triangle-alert", color_scheme="red",
                           size="1", width="100%")),
        rx.cond(
            state.offers.length() > 0,
            rx.vstack(rx.foreach(state.offers, lambda o: _offer_card(state, o)), spacing="3",
                      width="100%"),
            rx.text(t("ui.my.offers_waiting"), size="2", color=theme.MUTED, line_height="1.6"),
        ),
        spacing="3",
        width="100%",
        style=theme.card_style(),
        id="offers",
    )
