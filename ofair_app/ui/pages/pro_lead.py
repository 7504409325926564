"""`/pro/leads/{id}`: one lead as a professional sees it.

Everyone sees the public part. The owner (a member of the business that posted it) also sees
the client's details and attachments; the accepted performer and admins see a button that
reveals the client's details, and every such reveal is logged. For a referral, the page shows
what the performer would take home at the lead's budget.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import cast

import reflex as rx
from reflex.vars import ArrayVar
from sqlmodel import Session

from ofair_app import reference
from ofair_app.adapters.storage import MAX_UPLOAD_BYTES, validate_upload
from ofair_app.db.engine import Caller
from ofair_app.db.lead_signals import SIGNALS
from ofair_app.domain import proposals as offer_rules
from ofair_app.domain.commission import Split
from ofair_app.domain.errors import AppError, FieldErrors
from ofair_app.domain.inputs import date_from_parts
from ofair_app.domain.leads import LeadStatus, LeadType, read_amount
from ofair_app.domain.proposals import ProposalStatus
from ofair_app.models import Lead, Professional, ProposalCreate, ReferralCreate
from ofair_app.services import (
    commission,
    leads,
    payments,
    professionals,
    proposals,
    referrals,
    settlement,
)
from ofair_app.services.proposals import ProposalView
from ofair_app.ui import format, routes, theme
from ofair_app.ui.components.chain import ChainMixin, chain_panel, pass_on_box
from ofair_app.ui.components.files import file_drop
from ofair_app.ui.components.forms import (
    confirm_dialog,
    date_select,
    dict_var,
    error_banner,
    fact,
    field,
    joined,
    notice_banner,
)
from ofair_app.ui.components.milestones import MilestonesMixin, milestones_panel
from ofair_app.ui.components.offers import (
    NO_CHAT,
    OffersMixin,
    chat_button,
    chat_links,
    dispute_box,
    offer_row,
    offer_status_badge,
    offers_panel,
    price_editor,
)
from ofair_app.ui.components.reviews import ReviewMixin, review_panel
from ofair_app.ui.components.shells import pro_shell
from ofair_app.ui.components.unlocks import UnlockMixin, unlock_panel
from ofair_app.ui.components.visits import VisitsMixin, visits_panel
from ofair_app.ui.pages.my_requests import hidden_callout, hidden_note, status_badge
from ofair_app.ui.state.events import event
from ofair_app.ui.state.live import LiveLeadMixin
from ofair_app.ui.state.locale import t, t_with
from ofair_app.ui.state.session import SessionState

OFFER_FILES = "offer-files"


def _name_of(place: reference.Category | reference.Locality | None, locale: str) -> str:
    return place.name(locale) if place else ""


def _sent_at(view: ProposalView) -> datetime:
    # A stored offer's `created_at` is the database's (NOT NULL, server default): the model
    # types it optional only for a row not written yet.
    return cast(datetime, view.proposal.created_at)


class ProLeadState(LiveLeadMixin, OffersMixin, ReviewMixin, VisitsMixin, MilestonesMixin,
                   UnlockMixin, ChainMixin, SessionState):
    lead: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    # The caller's own offer on this lead (empty when none is live), and the form for one.
    my_offer: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    price: rx.Field[str] = rx.field("")
    # The offer's start date as the picker's three lists hold it ("" = not chosen).
    start_day: rx.Field[str] = rx.field("")
    start_month: rx.Field[str] = rx.field("")
    start_year: rx.Field[str] = rx.field("")
    offer_text: rx.Field[str] = rx.field("")
    offer_errors: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    notice: rx.Field[str] = rx.field("")
    # Sharing with a colleague (the owner of a pro lead).
    share_query: rx.Field[str] = rx.field("")
    share_results: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    share_message: rx.Field[str] = rx.field("")
    shared_with: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    client: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    attachments: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    split: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    missing: rx.Field[bool] = rx.field(False)
    error: rx.Field[str] = rx.field("")

    @rx.var
    def lead_id(self) -> str:
        # What Reflex's own dynamic-route vars read: `router.page` is deprecated and walks the
        # stack to log that on every read, which the board profile showed on the event loop.
        return self.rx_router_page.params.get("lead_id", "")

    @staticmethod
    def _priced(session: Session, lead: Lead, mine: Professional | None) -> Split | None:
        """What the job would pay if the caller's business did it (a pro lead with a price),
        at the rule in force; None otherwise."""
        amount, chain = referrals.deal_terms(session, lead)
        if lead.type != LeadType.professional_referral or amount is None:
            return None
        try:
            return commission.price_job(session, lead, amount,
                                        shares=[link.share for link in chain],
                                        performer=mine).split
        except AppError:
            return None

    def _split(self, parts: Split | None) -> dict[str, str]:
        if parts is None:
            return {}
        money = lambda amount: format.money(amount, self.locale)  # noqa: E731
        return {"platform": money(parts.platform_commission),
                "referrer": money(parts.referrer_fee),
                "performer": money(parts.professional_net_amount),
                "rate": f"{parts.platform_rate_pct.normalize():f}%"}

    async def _load(self, caller: Caller) -> None:
        self.client, self.attachments, self.error = {}, [], ""
        try:
            lead_id = uuid.UUID(self.lead_id)
            view = await self._as(caller, lambda s: leads.get_lead(session=s, caller=caller,
                                                            lead_id=lead_id))
        except (ValueError, AppError):
            self.missing, self.lead = True, {}
            return
        lead, locale = view.lead, self.locale
        my_business = self._current_business(caller)

        def extra(session):
            business = leads.owner_business(session, lead)
            mine = professionals.get_professional(session=session, professional_id=my_business)
            files = (leads.list_attachments(session=session, caller=caller, lead_id=lead.id)
                     if view.client is not None else [])
            return business, mine, files, self._priced(session, lead, mine)

        business, mine, files, parts = await self._as(caller, extra)
        category = reference.category(lead.category_slug)
        sub = reference.subcategory(lead.subcategory_slug) if lead.subcategory_slug else None
        locality = reference.locality(lead.locality_id) if lead.locality_id else None
        distance = reference.distance_km(mine.lat, mine.lon, lead.lat, lead.lon)
        self.missing = False
        self.lead = {
            "id": str(lead.id),
            "title": lead.title,
            "summary": lead.short_description,
            "type": str(lead.type),
            "status": str(lead.status),
            "status_label": self._text(f"ui.lead_status.{lead.status}"),
            "category": category.name(locale) if category else "",
            "subcategory": sub[1].name(locale) if sub else "",
            "city": locality.name(locale) if locality else "",
            "distance": format.distance(distance, locale),
            "posted": format.ago(lead.created_at, locale),
            "budget": format.money(lead.budget, locale),
            "share": (f"{lead.referrer_share_percentage.normalize():f}%"
                      if lead.referrer_share_percentage is not None else ""),
            "schedule": self._text(f"ui.schedule.{lead.preferred_schedule}"),
            "proposals": str(lead.proposal_count),
            "business": business.business_name if business else "",
            "visibility": str(lead.visibility),
            "is_mine": "1" if view.client is not None else "",
            "direct": "1" if lead.direct_contact else "",
            **hidden_note(lead, self._text, owner=view.client is not None),
        }
        self.lead_status = str(lead.status)
        await self._load_deal(caller, lead, view.client is not None)
        await self._load_actions(caller)
        await self._load_review(caller)
        await self._load_visits(caller)
        await self._load_milestones(caller)
        await self._load_unlock(caller, lead, view.client is not None)
        await self._load_chain(caller, lead)
        if view.client is not None:
            self._show_client(view.client)
        self.attachments = [{"id": str(f.id), "name": f.filename,
                             "size": f"{max(1, f.size_bytes // 1024)} KB"} for f in files]
        self.split = self._split(parts)

    async def _reload_changed_lead(self, caller: Caller) -> None:
        # "Offer sent, we'll tell you when the client chooses" is stale once the lead moved.
        self.notice = ""
        await self._load(caller)

    async def _load_deal(self, caller: Caller, lead: Lead, is_mine: bool) -> None:
        """Offers for the owner; the caller's own offer for anyone else; the owner's shares."""
        self.my_offer, self.offers, self.shared_with = {}, [], []
        if is_mine:
            await self._load_offers(caller)
            if lead.type == LeadType.professional_referral:
                shares, _ = await self._as(caller, lambda s: referrals.list_referrals(
                    session=s, caller=caller, direction="outgoing",
                    professional_id=lead.owner_professional_id, limit=50))
                self.shared_with = [
                    {"id": str(v.referral.receiver_professional_id),
                     "business": v.receiver.business_name if v.receiver else "",
                     "status": str(v.referral.status),
                     "status_label": self._text(f"ui.referral_status.{v.referral.status}")}
                    for v in shares if v.referral.lead_id == lead.id]
            return
        views, chats = await self._as(caller, lambda s: (
            proposals.list_proposals(session=s, caller=caller, lead_id=lead.id),
            chat_links(s, caller, lead.id)))
        live = [v for v in views if v.proposal.status in (ProposalStatus.pending,
                                                          ProposalStatus.accepted)]
        # A live offer; else, once the lead is no longer open, how the last one ended.
        shown = live or ([] if lead.status == LeadStatus.active else
                         sorted(views, key=_sent_at, reverse=True))
        if shown:
            self.my_offer = offer_row(shown[0], self.locale, self._text) | chats.get(
                str(shown[0].proposal.professional_id), NO_CHAT)
        await self._load_payment(caller, lead.id)

    @event
    def set_price(self, value: str):
        self.price = value

    @rx.var
    def start_years(self) -> list[str]:
        """The years an offer may start in: this one and the next (the rule's horizon)."""
        this_year = leads.today().year
        return [str(this_year), str(this_year + 1)]

    @event
    def set_start_date(self, part: str, value: str):
        if part in {"day", "month", "year"} and value.isdigit() and len(value) <= 4:
            setattr(self, f"start_{part}", value)
            self.offer_errors = {k: v for k, v in self.offer_errors.items()
                                 if k != "scheduled_date"}

    @event
    def clear_start_date(self):
        self.start_day = self.start_month = self.start_year = ""

    @event
    def set_offer_text(self, value: str):
        self.offer_text = value

    @event
    async def send_offer(self, files: list[rx.UploadFile]):
        """The offer and its photos, written together or not at all."""
        caller = await self._caller()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        self.offer_errors, self.error, self.notice = {}, "", ""
        uploads = [(f.name or "file", await f.read(MAX_UPLOAD_BYTES + 1)) for f in files]
        # Every bad field at once: the files, what the form could not read, then the rules.
        checks = FieldErrors()
        if len(uploads) > offer_rules.MAX_ATTACHMENTS:
            checks.add("file", "errors.lead.too_many_attachments",
                       max=offer_rules.MAX_ATTACHMENTS)
        for name, content in uploads:
            checks(validate_upload, content, name)
        price = checks(read_amount, self.price, field="price")
        scheduled = checks(date_from_parts, self.start_day, self.start_month, self.start_year,
                           field="scheduled_date")
        data = checks(ProposalCreate, professional_id=self._current_business(caller),
                      price=price if price is not None else Decimal(0),
                      description=self.offer_text, scheduled_date=scheduled)
        if data is not None:
            proposals.check_offer(data, checks)
        if checks or data is None:
            self.offer_errors = self._field_messages(checks.error())
            return None
        try:
            lead_id = uuid.UUID(self.lead_id)

            def write(session):
                proposal = proposals.create_proposal(
                    session=session, caller=caller, lead_id=lead_id, data=data)
                for name, content in uploads:
                    proposals.add_attachment(session=session, caller=caller,
                                             proposal_id=proposal.id, filename=name,
                                             data=content)

            await self._as(caller, write)
        except AppError as error:
            self.offer_errors = self._field_messages(error)
            if not self.offer_errors:
                self.error = self._message(error)
            return None
        except ValueError:
            self.error = self._text("errors.lead.not_found")
            return None
        self.price, self.offer_text = "", ""
        self.start_day = self.start_month = self.start_year = ""
        self.notice = self._text("ui.offer.sent")
        await self._load(caller)
        return rx.clear_selected_files(OFFER_FILES)

    async def _offer_action(self, work) -> None:
        caller = await self._caller()
        if caller is None:
            return
        self.error, self.notice = "", ""
        try:
            proposal_id = uuid.UUID(self.my_offer["id"])
            await self._as(caller, lambda s: work(s, caller, proposal_id))
        except (ValueError, KeyError, AppError) as error:
            self.error = self._message(error) if isinstance(error, AppError) else ""
        await self._load(caller)

    async def _job_step(self, step):
        """A step of the won job (`step(session, caller, lead_id)`), then the page again."""
        caller = await self._caller()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        self.error = ""
        try:
            lead_id = uuid.UUID(self.lead_id)
            await self._as(caller, lambda s: step(s, caller, lead_id))
        except (ValueError, AppError) as error:
            self.error = self._message(error) if isinstance(error, AppError) else ""
        await self._load(caller)
        return None

    @event
    async def start_work(self):
        """b2b mode: the performer starts the job it won (its client pays it directly)."""
        return await self._job_step(lambda s, c, lead_id: settlement.start_work(
            session=s, caller=c, lead_id=lead_id))

    @event
    async def mark_done(self):
        """The performer says the job is done; the owner confirms."""
        return await self._job_step(lambda s, c, lead_id: payments.complete(
            session=s, caller=c, lead_id=lead_id))

    @event
    async def withdraw_offer(self):
        await self._offer_action(lambda s, c, pid: proposals.withdraw_proposal(
            session=s, caller=c, proposal_id=pid))

    @event
    async def decline_job(self):
        await self._offer_action(lambda s, c, pid: proposals.decline_award(
            session=s, caller=c, proposal_id=pid))

    @event
    def set_share_message(self, value: str):
        self.share_message = value

    @event
    async def search_colleagues(self, value: str):
        """Businesses by name, category or city, for the share dialog."""
        self.share_query = value
        caller = await self._caller()
        if caller is None or len(value.strip()) < 2:
            self.share_results = []
            return
        term = value.strip()
        city = next((loc for loc in reference.search_localities(term, limit=1)), None)

        def find(session):
            by_name, _ = professionals.search_directory(session=session, q=term, limit=8)
            found = {b.id: b for b in by_name}
            category = next((c for c in reference.categories()
                             if term in (c.name_he, c.name_en.lower(), c.slug)), None)
            if category is not None or city is not None:
                more, _ = professionals.search_directory(
                    session=session, category=category.slug if category else None,
                    locality_id=city.id if city else None, limit=8)
                found.update({b.id: b for b in more})
            return list(found.values())

        offered = {row["id"] for row in self.shared_with if row["status"] == "pending"}
        mine = {str(pid) for pid in caller.professional_ids} | offered
        locale = self.locale
        self.share_results = [
            {"id": str(b.id), "name": b.business_name,
             "category": _name_of(reference.category(b.category_slug), locale),
             "city": _name_of(reference.locality(b.locality_id), locale),
             "verified": "1" if b.verified else ""}
            for b in await self._as(caller, find) if str(b.id) not in mine][:8]

    @event
    async def share_with(self, professional_id: str):
        caller = await self._caller()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        self.error, self.notice = "", ""
        try:
            receiver = uuid.UUID(professional_id)
        except ValueError:  # not a colleague the page offered
            self.error = self._text("errors.professional.not_found")
            return None
        try:
            data = ReferralCreate(receiver_professional_id=receiver, message=self.share_message)
            lead_id = uuid.UUID(self.lead_id)
            await self._as(caller, lambda s: referrals.share_lead(
                session=s, caller=caller, lead_id=lead_id, data=data))
        except AppError as error:
            self.error = (next(iter(self._field_messages(error).values()), "")
                          or self._message(error))
            return None
        self.notice = self._text("ui.share.sent")
        self.share_query, self.share_results, self.share_message = "", [], ""
        await self._load(caller)
        return None

    def _show_client(self, client: leads.ClientDetails) -> None:
        self.client = {"name": client.name, "phone": format.phone(client.phone),
                       "tel": client.phone, "address": client.address,
                       "description": client.full_description}

    @event
    async def open(self):
        caller, redirect = await self._guard("business")
        if caller is None:
            return redirect
        self.notice, self.offer_errors = "", {}
        self._live_mark = SIGNALS.mark()
        await self._load(caller)
        return None if self.missing else ProLeadState.watch_lead

    @event
    async def reveal(self):
        """The accepted performer (or an admin) asks for the client's details: logged."""
        caller = await self._caller()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        ip, user_agent = self._request_origin()
        try:
            lead_id = uuid.UUID(self.lead_id)
            client = await self._as(caller, lambda s: leads.reveal_contact(
                session=s, caller=caller, lead_id=lead_id, ip=ip, user_agent=user_agent))
        except (ValueError, AppError) as error:
            self.error = self._message(error) if isinstance(error, AppError) else ""
            return None
        self._show_client(client)
        return None

    @event
    async def open_attachment(self, attachment_id: str):
        caller = await self._caller()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        try:
            url = await self._as(caller, lambda s: leads.attachment_link(
                session=s, caller=caller, attachment_id=uuid.UUID(attachment_id)))
        except (ValueError, AppError):
            self.error = self._text("errors.attachment.not_found")
            return None
        return rx.redirect(url, is_external=True)

    @event
    async def cancel(self):
        caller = await self._caller()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        try:
            lead_id = uuid.UUID(self.lead_id)
            await self._as(caller, lambda s: leads.cancel_lead(session=s, caller=caller,
                                                              lead_id=lead_id))
        except (ValueError, AppError) as error:
            self.error = self._message(error) if isinstance(error, AppError) else ""
            return None
        await self._load(caller)
        return None


# --- page ----------------------------------------------------------------------------------


def _split_row(label: str, value: rx.Var[str], strong: bool = False) -> rx.Component:
    return rx.hstack(rx.text(t(label), size="2"), rx.spacer(),
                     rx.text(value, size="3" if strong else "2",
                             weight="bold" if strong else "medium"),
                     width="100%")


def _earnings() -> rx.Component:
    split = dict_var(ProLeadState.split)
    return rx.cond(
        split.contains("performer"),
        rx.vstack(
            rx.cond(
                dict_var(ProLeadState.lead)["is_mine"] != "",
                rx.fragment(
                    rx.text(t("ui.lead.earnings_title_owner"), weight="bold", size="3"),
                    _split_row("ui.lead.earn_referrer_you", split["referrer"], strong=True),
                    _split_row("ui.lead.earn_performer_other", split["performer"]),
                ),
                rx.fragment(
                    rx.text(t("ui.lead.earnings_title"), weight="bold", size="3"),
                    _split_row("ui.lead.earn_performer", split["performer"], strong=True),
                    _split_row("ui.lead.earn_referrer", split["referrer"]),
                ),
            ),
            rx.hstack(rx.text(t("ui.lead.earn_platform"), " (", split["rate"], ")", size="2"),
                      rx.spacer(), rx.text(split["platform"], size="2", weight="medium"),
                      width="100%"),
            rx.text(t("ui.lead.earnings_note"), size="1", color=theme.MUTED),
            spacing="2",
            width="100%",
            style=theme.card_style(),
            id="lead-earnings",
        ),
    )


def _client_box() -> rx.Component:
    client = dict_var(ProLeadState.client)
    shown = rx.vstack(
        fact("user-round", "ui.request.name", client["name"]),
        rx.cond(client["phone"] != "",
                rx.hstack(rx.icon("phone", size=16, color=theme.MUTED),
                          rx.link(client["phone"], href="tel:" + client["tel"], dir="ltr",
                                  weight="bold"),
                          spacing="3", align="center")),
        fact("house", "ui.my.address", client["address"]),
        rx.cond(client["description"] != "",
                rx.text(client["description"], dir="auto", size="2", white_space="pre-wrap",
                        line_height="1.6")),
        spacing="3",
        width="100%",
        id="client-details",
    )
    hidden = rx.vstack(
        rx.text(t("ui.lead.client_hidden"), size="2", color=theme.MUTED, line_height="1.6"),
        rx.cond(ProLeadState.actions.contains("view_client"),
                rx.button(rx.icon("eye", size=16), t("ui.lead.reveal"), size="2",
                          on_click=ProLeadState.reveal, id="reveal-contact")),
        spacing="3",
        width="100%",
    )
    return rx.vstack(
        rx.hstack(rx.icon("lock-keyhole", size=16, color=theme.BRAND),
                  rx.text(t("ui.lead.client_title"), weight="bold", size="3"),
                  spacing="2", align="center"),
        rx.cond(client.contains("name"), shown, hidden),
        rx.cond(
            ProLeadState.attachments.length() > 0,
            rx.vstack(
                rx.text(t("ui.lead.attachments"), weight="medium", size="2"),
                rx.foreach(ProLeadState.attachments, lambda f: rx.button(
                    rx.icon("paperclip", size=14), f["name"],
                    rx.text(f["size"], size="1", color=theme.MUTED),
                    variant="ghost", size="2",
                    on_click=ProLeadState.open_attachment(f["id"]))),
                spacing="1",
                align="start",
                width="100%",
            ),
        ),
        spacing="3",
        width="100%",
        style=theme.card_style(),
    )


def _offer_form() -> rx.Component:
    errors = dict_var(ProLeadState.offer_errors)
    return rx.vstack(
        rx.text(t("ui.offer.title"), weight="bold", size="3"),
        rx.text(t("ui.offer.subtitle"), size="2", color=theme.MUTED, line_height="1.6"),
        rx.grid(
            field("ui.offer.price", rx.input(
                rx.input.slot("₪"), value=ProLeadState.price,
                on_change=ProLeadState.set_price, input_mode="decimal", size="3",
                id="offer-price", dir="ltr", text_align="start", width="100%"),
                errors.get("price", ""), html_for="offer-price", required=True),
            field("ui.offer.date", rx.hstack(
                date_select("offer-date", ProLeadState.start_day, ProLeadState.start_month,
                            ProLeadState.start_year, ProLeadState.start_years,
                            ProLeadState.set_start_date),
                rx.cond(ProLeadState.start_day + ProLeadState.start_month
                        + ProLeadState.start_year != "",
                        rx.icon_button(rx.icon("x", size=14), variant="ghost",
                                       color_scheme="gray", size="1", type="button",
                                       aria_label=t("ui.date.clear"),
                                       on_click=ProLeadState.clear_start_date)),
                spacing="1", align="center", width="100%"),
                errors.get("scheduled_date", ""), html_for="offer-date"),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="3",
            width="100%",
        ),
        field("ui.offer.description", rx.text_area(
            value=ProLeadState.offer_text, on_change=ProLeadState.set_offer_text,
            placeholder=t("ui.offer.description_placeholder"), rows="4", size="3",
            width="100%", id="offer-description"), errors.get("description", ""),
            html_for="offer-description", required=True),
        rx.vstack(
            rx.text(t("ui.offer.files"), weight="medium", size="2"),
            file_drop(OFFER_FILES, offer_rules.MAX_ATTACHMENTS),
            rx.cond(errors.get("file", "") != "",
                    rx.text(errors.get("file", ""), color=rx.color("red", 11), size="2")),
            spacing="1",
            width="100%",
        ),
        rx.button(rx.icon("send", size=16), t("ui.offer.send"), size="3", width="100%",
                  on_click=ProLeadState.send_offer(rx.upload_files(upload_id=OFFER_FILES)),
                  id="send-offer"),
        spacing="3",
        width="100%",
        style=theme.card_style(),
        id="offer-form",
    )


def _job_status() -> rx.Component:
    """The won job's money and what the performer does next."""
    lead, payment = dict_var(ProLeadState.lead), dict_var(ProLeadState.payment)
    return rx.vstack(rx.match(
        lead["status"],
        ("awarded", rx.cond(
            ProLeadState.actions.contains("start_work"),
            rx.vstack(
                rx.text(t("ui.job.b2b_start_body"), size="2", color=theme.MUTED),
                confirm_dialog(
                    rx.button(rx.icon("play", size=16), t("ui.job.start"), size="3",
                              width="100%", id="start-work"),
                    t_with("ui.job.start_title", title=lead["title"]),
                    "ui.job.start_confirm_body", "ui.job.start_confirm",
                    ProLeadState.start_work, color="teal"),
                spacing="2", width="100%"),
            rx.text(t("ui.job.awaiting_payment"), size="2", color=theme.MUTED))),
        ("in_progress", rx.cond(dict_var(ProLeadState.ms_plan).get("agreed", "") != "", rx.callout(
            t("ui.ms.job_in_steps"), icon="milestone", color_scheme="teal", width="100%"),
            rx.vstack(
            rx.cond(payment.get("net", "") != "",
                    rx.fragment(
                        rx.callout(t("ui.job.paid_body"), icon="shield-check",
                                   color_scheme="teal", width="100%"),
                        rx.hstack(rx.text(t("ui.job.your_part"), size="2"), rx.spacer(),
                                  rx.text(payment.get("net", ""), weight="bold",
                                          size="3"),
                                  width="100%")),
                    rx.callout(t("ui.job.b2b_in_progress"), icon="hammer",
                               color_scheme="teal", width="100%")),
            rx.cond(ProLeadState.actions.contains("mark_done"),
                    confirm_dialog(
                        rx.button(rx.icon("check-check", size=16), t("ui.job.mark_done"),
                                  size="3", width="100%", id="mark-done"),
                        t_with("ui.job.done_title", title=lead["title"]),
                        rx.cond(payment.get("net", "") != "",
                                t_with("ui.job.done_body",
                                       amount=payment.get("net", "")),
                                t("ui.job.done_body_b2b")),
                        "ui.job.done_confirm", ProLeadState.mark_done, color="teal")),
            spacing="2", width="100%"))),
        ("completed", rx.callout(t("ui.job.waiting_confirm"), icon="clock", width="100%")),
        ("closed", rx.callout(t("ui.job.closed"), icon="circle-check", color_scheme="green",
                              width="100%")),
        rx.fragment(),
    ), dispute_box(ProLeadState), spacing="2", width="100%")


def _my_offer() -> rx.Component:
    offer = dict_var(ProLeadState.my_offer)
    actions: ArrayVar[Sequence[str]] = ProLeadState.actions
    won = offer["status"] == "accepted"
    return rx.vstack(
        rx.hstack(
            rx.text(rx.cond(won, t("ui.offer.won_title"), t("ui.offer.mine_title")),
                    weight="bold", size="3"),
            rx.spacer(),
            offer_status_badge(offer["status"], offer["status_label"], live=True),
            width="100%",
            align="center",
        ),
        rx.cond(won, rx.text(t("ui.offer.won_body"), size="2", line_height="1.6")),
        rx.cond(won, _job_status()),
        rx.hstack(rx.text(offer["price"], weight="bold", size="5"),
                  rx.cond(offer["scheduled"] != "",
                          rx.text(t("ui.offers.can_start"), " ", offer["scheduled"], size="2",
                                  color=theme.MUTED)),
                  spacing="3", align="baseline"),
        rx.text(offer["description"], dir="auto", size="2", line_height="1.6",
                white_space="pre-wrap"),
        chat_button(offer, "ui.chat.open_with"),
        rx.cond(
            (offer["status"] == "pending") & actions.contains("withdraw_proposal"),
            confirm_dialog(
                rx.button(t("ui.offer.withdraw"), variant="soft", color_scheme="gray", size="2",
                          id="withdraw-offer"),
                t_with("ui.offer.withdraw_title", price=offer["price"]), "ui.offer.withdraw_body",
                "ui.offer.withdraw", ProLeadState.withdraw_offer),
            rx.cond(won, rx.hstack(
                rx.cond(actions.contains("change_price"),
                        price_editor(ProLeadState, offer["id"])),
                rx.cond(actions.contains("decline_award"), confirm_dialog(
                    rx.button(t("ui.offer.decline"), variant="soft", color_scheme="red",
                              size="2", id="decline-job"),
                    "ui.offer.decline_title", "ui.offer.decline_body",
                    "ui.offer.decline_confirm", ProLeadState.decline_job)),
                spacing="3", align="center")),
        ),
        spacing="3",
        width="100%",
        padding="1.25rem",
        border_radius="16px",
        background=rx.cond(won, rx.color("green", 2), "white"),
        border=rx.cond(won, f"2px solid {rx.color('green', 8)}",
                       f"1px solid {rx.color('gray', 5)}"),
        id="my-offer",
    )


def _colleague_dialog(open_label: str, open_id: str, search_id: str, title: str, body: str,
                      send_label: str, on_send, send_class: str) -> rx.Component:
    """A button opening a search of colleagues (by name, category or city) with a message;
    each result's button calls `on_send(id)`. Sharing a lead and passing one on use it."""
    return rx.dialog.root(
        rx.dialog.trigger(rx.button(rx.icon("user-plus", size=16), t(open_label),
                                    variant="soft", size="2", id=open_id)),
        rx.dialog.content(
            rx.dialog.title(t(title)),
            rx.dialog.description(t(body), size="2"),
            rx.vstack(
                rx.input(rx.input.slot(rx.icon("search", size=16)),
                         value=ProLeadState.share_query,
                         on_change=ProLeadState.search_colleagues.debounce(300),
                         placeholder=t("ui.share.search_placeholder"), size="3",
                         width="100%", id=search_id,
                         aria_label=t("ui.share.search_placeholder")),
                rx.text_area(value=ProLeadState.share_message,
                             on_change=ProLeadState.set_share_message,
                             placeholder=t("ui.share.message_placeholder"), rows="2",
                             width="100%", aria_label=t("ui.share.message_placeholder")),
                rx.foreach(ProLeadState.share_results, lambda b: rx.hstack(
                    rx.vstack(
                        rx.hstack(rx.text(b["name"], weight="bold", size="2"),
                                  rx.cond(b["verified"] != "",
                                          rx.icon("badge-check", size=14,
                                                  color=theme.BRAND)),
                                  spacing="1", align="center"),
                        joined(b["category"], b["city"], size="1", color=theme.MUTED),
                        spacing="0", align="start"),
                    rx.spacer(),
                    rx.dialog.close(rx.button(t(send_label), size="2",
                                              on_click=on_send(b["id"]),
                                              class_name=send_class)),
                    width="100%", align="center", padding_y="0.4rem",
                    border_bottom=f"1px solid {rx.color('gray', 4)}",
                    class_name="share-result")),
                rx.cond((ProLeadState.share_query.length() >= 2)
                        & (ProLeadState.share_results.length() == 0),
                        rx.text(t("ui.share.none"), size="2", color=theme.MUTED)),
                spacing="3",
                width="100%",
                margin_top="0.75rem",
            ),
            rx.hstack(rx.dialog.close(rx.button(t("ui.share.close"), variant="soft",
                                                color_scheme="gray")),
                      justify="end", margin_top="1rem"),
        ),
    )


def _share_box() -> rx.Component:
    return rx.vstack(
        rx.hstack(rx.icon("share-2", size=16, color=theme.BRAND),
                  rx.text(t("ui.share.title"), weight="bold", size="3"),
                  spacing="2", align="center"),
        rx.text(t("ui.share.subtitle"), size="2", color=theme.MUTED, line_height="1.6"),
        _colleague_dialog("ui.share.open", "share-open", "share-search", "ui.share.title",
                          "ui.share.dialog_body", "ui.share.send", ProLeadState.share_with,
                          "share-send"),
        rx.foreach(ProLeadState.shared_with, lambda r: rx.hstack(
            rx.icon("send", size=14, color=theme.MUTED), rx.text(r["business"], size="2"),
            rx.spacer(), rx.badge(r["status_label"], radius="full", variant="soft"),
            width="100%", align="center")),
        spacing="3",
        width="100%",
        style=theme.card_style(),
        id="share-box",
    )


def _deal() -> rx.Component:
    """Offers for the owner; the offer form, or one's own offer, for everyone else."""
    lead = dict_var(ProLeadState.lead)
    return rx.cond(
        lead["is_mine"] != "",
        rx.vstack(
            offers_panel(ProLeadState),
            milestones_panel(ProLeadState),
            visits_panel(ProLeadState),
            review_panel(ProLeadState),
            rx.cond(ProLeadState.actions.contains("refer"), _share_box()),
            spacing="4",
            width="100%",
        ),
        rx.cond(ProLeadState.my_offer.contains("id"),
                rx.vstack(_my_offer(), milestones_panel(ProLeadState),
                          visits_panel(ProLeadState, business=True),
                          review_panel(ProLeadState),
                          spacing="4", width="100%"),
                rx.cond(ProLeadState.actions.contains("propose"), _offer_form())),
    )


def _detail() -> rx.Component:
    lead = dict_var(ProLeadState.lead)
    return rx.vstack(
        error_banner(ProLeadState.error),
        notice_banner(ProLeadState.notice),
        hidden_callout(ProLeadState.lead),
        rx.vstack(
            rx.hstack(
                rx.cond(lead["type"] == "professional_referral",
                        rx.badge(rx.icon("share-2", size=12), t("ui.board.referral"),
                                 color_scheme="violet", radius="full", variant="soft"),
                        rx.badge(rx.icon("house", size=12), t("ui.board.consumer"),
                                 color_scheme="teal", radius="full", variant="soft")),
                rx.cond(lead["direct"] != "",
                        rx.badge(rx.icon("phone", size=12), t("ui.board.direct"),
                                 color_scheme="blue", radius="full", variant="soft")),
                status_badge(lead["status"], lead["status_label"], live=True),
                rx.spacer(),
                rx.text(lead["posted"], size="1", color=theme.MUTED),
                width="100%",
                align="center",
                spacing="2",
                wrap="wrap",
            ),
            rx.heading(lead["title"], dir="auto", as_="h1", size="6", line_height="1.3"),
            rx.text(lead["summary"], dir="auto", size="3", line_height="1.7", id="lead-summary"),
            rx.separator(size="4"),
            rx.grid(
                fact("map-pin", "ui.request.city", lead["city"]),
                fact("navigation", "ui.lead.distance", lead["distance"]),
                fact("wrench", "ui.request.category",
                      rx.cond(lead["subcategory"] != "", lead["subcategory"],
                              lead["category"])),
                fact("calendar", "ui.request.schedule", lead["schedule"]),
                fact("wallet", "ui.board.budget", lead["budget"]),
                fact("percent", "ui.board.referral_fee", lead["share"]),
                fact("message-square", "ui.lead.proposals", lead["proposals"]),
                fact("building-2", "ui.board.from_business", lead["business"]),
                columns="2",
                spacing="4",
                width="100%",
            ),
            spacing="3",
            width="100%",
            style=theme.card_style(),
        ),
        unlock_panel(ProLeadState),
        # a business that paid to unlock the client sees the details right under the unlock
        rx.cond(dict_var(ProLeadState.unlock)["status"] == "succeeded", _client_box()),
        _deal(),
        pass_on_box(ProLeadState, _colleague_dialog(
            "ui.chain.pass_open", "pass-open", "pass-search", "ui.chain.pass_title",
            "ui.chain.pass_dialog_body", "ui.chain.pass_send", ProLeadState.pass_to,
            "pass-send")),
        rx.cond(ProLeadState.chain.length() > 0, chain_panel(ProLeadState), _earnings()),
        rx.cond(dict_var(ProLeadState.unlock)["status"] != "succeeded", _client_box()),
        rx.hstack(
            rx.link(rx.button(rx.icon("arrow-right", size=16, class_name="ofair-back"),
                              t("ui.lead.back"), variant="ghost", size="2"),
                    href=routes.PRO_HOME),
            rx.spacer(),
            rx.cond(ProLeadState.actions.contains("cancel_lead"),
                    confirm_dialog(
                        rx.button(t("ui.lead.cancel"), color_scheme="red", variant="soft",
                                  size="2", id="cancel-lead"),
                        t_with("ui.lead.cancel_title", title=lead["title"]),
                        "ui.lead.cancel_body", "ui.lead.cancel", ProLeadState.cancel)),
            width="100%",
        ),
        spacing="4",
        width="100%",
    )


def pro_lead() -> rx.Component:
    return pro_shell(
        rx.box(
            rx.cond(
                ProLeadState.missing,
                rx.vstack(rx.icon("search-x", size=28, color=theme.MUTED),
                          rx.text(t("ui.lead.not_found"), weight="bold", size="4"),
                          rx.link(t("ui.lead.back"), href=routes.PRO_HOME),
                          align="center", spacing="3", width="100%",
                          style=theme.card_style(padding="2.5rem 1.25rem")),
                _detail(),
            ),
            width="100%",
            max_width="44rem",
            margin_x="auto",
            on_unmount=ProLeadState.stop_watching,
        ),
        active=routes.PRO_HOME,
    )
