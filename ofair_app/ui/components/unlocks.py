"""Unlocking a direct-contact lead on the pro lead page (issue 21 point 2), and claiming a
refund for a bad contact (point 3).

`UnlockMixin` gives the page what the business may do: unlock the client's details with the
saved card or the available balance (an owner, while places are left), see them once
unlocked (each read logged, as the performer's are), and within the refund window claim its
money back with a reason. `unlock_panel` draws it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

import reflex as rx
from reflex.vars import ObjectVar

from ofair_app.domain.errors import AppError
from ofair_app.domain.tax import israel_date
from ofair_app.i18n import plural
from ofair_app.models import Lead, PayWith, RefundClaimCreate, UnlockCreate
from ofair_app.services import payment_methods, payouts, unlocks
from ofair_app.services.professionals import require_member
from ofair_app.ui import format, theme
from ofair_app.ui.components.forms import confirm_dialog, dict_var, error_banner, field, form
from ofair_app.ui.components.unlock_claims import REASONS
from ofair_app.ui.state.events import event
from ofair_app.ui.state.locale import t, t_with
from ofair_app.ui.state.session import PageMixin, blocking

if TYPE_CHECKING:
    from reflex_base.vars.base import ComputedVar

    from ofair_app.db.engine import Caller



def _day(moment: datetime | None, locale: str) -> str:
    return format.day(israel_date(moment), locale) if moment is not None else ""


class UnlockMixin(PageMixin, mixin=True):
    # The lead's unlock as the business sees it (empty: the lead is not direct-contact, or
    # it is the business's own): the offer, what it did, its claim.
    unlock: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    pay_with: rx.Field[str] = rx.field(PayWith.card.value)
    claim_reason: rx.Field[str] = rx.field("")
    claim_errors: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    unlock_error: rx.Field[str] = rx.field("")

    if TYPE_CHECKING:
        # What the final state class (ProLeadState) gets besides the session's: its own
        # `lead_id` computed var, `notice`, `client`, `_load` and `reveal`.
        lead_id: ClassVar[ComputedVar[str]]  # a computed var: not a field of the mixin
        notice: rx.Field[str]
        client: rx.Field[dict[str, str]]

        async def _load(self, caller: Caller) -> None: ...
        @event
        async def reveal(self): ...

    async def _load_unlock(self, caller: Caller, lead: Lead, is_mine: bool) -> None:
        self.unlock, self.unlock_error = {}, ""
        if not lead.direct_contact or is_mine:
            return
        business = self._current_business(caller)
        locale = self.locale

        def read(session):
            views = unlocks.for_lead(session=session, caller=caller, lead_id=lead.id)
            mine = next((v for v in views if v.professional_id == business), None)
            try:  # what an owner may pay with
                require_member(session=session, caller=caller, professional_id=business,
                               owner=True)
                cards = payment_methods.list_methods(session=session, caller=caller,
                                                     professional_id=business)
                balance = payouts.available_balance(session, business)
            except AppError:
                return mine, None, None
            return mine, (cards[0] if cards else None), balance

        mine, card, balance = await self._as(caller, read)
        offer = unlocks.offer(lead.category_slug, lead.unlock_count)
        open_to_unlock = unlocks.still_open(lead) and offer.places_left > 0
        claim = mine.claim if mine is not None else None
        self.unlock = {
            "price": format.money(offer.price.total, locale),
            "before_vat": format.money(offer.price.before_vat, locale),
            "places": plural("ui.count.places_left", offer.places_left, locale),
            "open": "1" if open_to_unlock else "",
            "status": mine.status if mine is not None else "",
            "id": str(mine.id) if mine is not None else "",
            "unlocked_on": _day(mine.unlocked_at, locale) if mine else "",
            "paid": format.money(mine.amount, locale) if mine else "",
            "claim_until": _day(mine.claim_until, locale) if mine else "",
            "claim_status": str(claim.status) if claim is not None else "",
            "claim_label": (self._text(f"ui.unlock.claim_status.{claim.status}")
                            if claim is not None else ""),
            "claim_note": claim.decision_note if claim is not None else "",
            # an owner's ways to pay ("" when the caller is not an owner)
            "owner": "1" if balance is not None else "",
            "card": f"{card.brand} {card.last4}" if card is not None else "",
            "balance": format.money(balance, locale) if balance is not None else "",
        }
        if self.pay_with == PayWith.card.value and card is None and balance:
            self.pay_with = PayWith.balance.value

    @event
    def set_pay_with(self, value: str | list[str]):
        if value in (PayWith.card.value, PayWith.balance.value):
            self.pay_with = str(value)

    @event
    def set_claim_reason(self, value: str | list[str]):
        if value in REASONS:
            self.claim_reason = str(value)
            self.claim_errors = {k: v for k, v in self.claim_errors.items() if k != "reason"}

    @event
    async def unlock_lead(self):
        """The owner pays to unlock the client; the details show at once (a logged read)."""
        caller = await self._caller()
        if caller is None:
            return None
        self.unlock_error = ""
        try:
            data = UnlockCreate(professional_id=self._current_business(caller),
                                pay_with=self.pay_with)
            await blocking(unlocks.unlock, caller=caller, lead_id=uuid.UUID(self.lead_id),
                           data=data)
        except AppError as error:
            self.unlock_error = self._message(error)
            await self._load(caller)
            return None
        await self._load(caller)
        self.notice = self._text("ui.unlock.done")
        return type(self).reveal

    @event
    async def claim_refund(self, form_data: dict):
        caller = await self._caller()
        if caller is None:
            return None
        self.claim_errors, self.unlock_error = {}, ""
        try:
            # The model validates the string into a RefundReason (an empty one raises
            # InvalidInput naming the field); SQLModel's typed __init__ takes only the enum.
            data = RefundClaimCreate(reason=self.claim_reason,  # type: ignore[arg-type]
                                     note=str(form_data.get("note", ""))[:600])
            claim = await blocking(unlocks.claim_refund, caller=caller,
                                   unlock_id=uuid.UUID(self.unlock.get("id", "")), data=data)
        except AppError as error:
            self.claim_errors = self._field_messages(error)
            if not self.claim_errors:
                self.unlock_error = self._message(error)
            return None
        except ValueError:
            return None
        self.claim_reason = ""
        self.client = {}  # a refunded unlock no longer shows the client
        await self._load(caller)
        self.notice = self._text(f"ui.unlock.claim_sent.{claim.status}")
        return None


# --- the panel -------------------------------------------------------------------------------

def _unlock(state: type[UnlockMixin]) -> ObjectVar[dict[str, str]]:
    return dict_var(state.unlock)


def _pay_choice(state: type[UnlockMixin]) -> rx.Component:
    unlock = _unlock(state)
    return rx.vstack(
        rx.text(t("ui.unlock.pay_with"), size="2", weight="medium", id="unlock-pay-label"),
        rx.radio_group.root(
            rx.vstack(
                rx.el.label(
                    rx.radio_group.item(value="card", id="unlock-card",
                                        disabled=unlock["card"] == ""),
                    rx.text(rx.cond(unlock["card"] != "",
                                    t_with("ui.unlock.with_card", card=unlock["card"]),
                                    t("ui.unlock.no_card")), size="2"),
                    html_for="unlock-card", display="flex", gap="0.5rem",
                    align_items="center", min_height="44px", cursor="pointer"),
                rx.el.label(
                    rx.radio_group.item(value="balance", id="unlock-balance"),
                    rx.text(t_with("ui.unlock.with_balance", balance=unlock["balance"]),
                            size="2"),
                    html_for="unlock-balance", display="flex", gap="0.5rem",
                    align_items="center", min_height="44px", cursor="pointer"),
                spacing="0",
            ),
            value=state.pay_with,
            on_change=state.set_pay_with,
            aria_labelledby="unlock-pay-label",
        ),
        spacing="1",
        width="100%",
    )


def _offer(state: type[UnlockMixin]) -> rx.Component:
    unlock = _unlock(state)
    return rx.vstack(
        rx.hstack(
            rx.vstack(
                rx.text(unlock["price"], weight="bold", size="6", id="unlock-price"),
                rx.text(t_with("ui.unlock.price_note", before_vat=unlock["before_vat"]),
                        size="1", color=theme.MUTED),
                spacing="0",
            ),
            rx.spacer(),
            rx.badge(rx.icon("users", size=12), unlock["places"], color_scheme="blue",
                     radius="full", variant="soft", id="unlock-places"),
            width="100%",
            align="center",
        ),
        rx.text(t("ui.unlock.explain"), size="2", color=theme.MUTED, line_height="1.6"),
        rx.cond(
            unlock["open"] != "",
            rx.cond(
                unlock["owner"] != "",
                rx.vstack(
                    _pay_choice(state),
                    confirm_dialog(
                        rx.button(rx.icon("lock-open", size=16), t("ui.unlock.button"),
                                  size="3", width="100%", id="unlock-button"),
                        t_with("ui.unlock.confirm_title", price=unlock["price"]),
                        "ui.unlock.confirm_body", "ui.unlock.confirm", state.unlock_lead,
                        color="teal", confirm_class="unlock-confirm"),
                    spacing="3",
                    width="100%",
                ),
                rx.text(t("ui.unlock.owner_only"), size="2", color=theme.MUTED),
            ),
            rx.text(t("ui.unlock.closed"), size="2", weight="medium", id="unlock-closed"),
        ),
        spacing="3",
        width="100%",
    )


def _claim_form(state: type[UnlockMixin]) -> rx.Component:
    errors = dict_var(state.claim_errors)
    return form(
        rx.vstack(
            rx.text(t_with("ui.unlock.claim_intro", until=_unlock(state)["claim_until"]),
                    size="2", color=theme.MUTED, line_height="1.6"),
            field("ui.unlock.reason",
                  rx.select.root(
                      rx.select.trigger(placeholder=t("ui.unlock.reason_placeholder"),
                                        width="100%", id="claim-reason"),
                      rx.select.content(*(rx.select.item(t(f"ui.unlock_claims.reason.{r}"), value=r)
                                          for r in REASONS), position="popper"),
                      value=state.claim_reason, on_change=state.set_claim_reason, size="2"),
                  errors.get("reason", ""), html_for="claim-reason", required=True),
            field("ui.unlock.note",
                  rx.text_area(name="note", id="claim-note", rows="3", max_length=500,
                               width="100%"),
                  errors.get("note", ""), hint="ui.unlock.note_hint", html_for="claim-note"),
            rx.button(t("ui.unlock.claim"), type="submit", variant="soft", size="2",
                      id="claim-submit"),
            spacing="3",
            width="100%",
            align="start",
        ),
        on_submit=state.claim_refund,
        reset_on_submit=False,
        width="100%",
    )


def _unlocked(state: type[UnlockMixin]) -> rx.Component:
    unlock = _unlock(state)
    return rx.vstack(
        rx.cond(
            unlock["status"] == "refunded",
            rx.text(t("ui.unlock.refunded"), size="2", id="unlock-refunded"),
            rx.vstack(
                rx.text(t_with("ui.unlock.unlocked_on", day=unlock["unlocked_on"],
                               amount=unlock["paid"]), size="2"),
                rx.cond(~state.client.contains("name"),
                        rx.button(rx.icon("eye", size=16), t("ui.lead.reveal"), size="2",
                                  on_click=state.reveal, id="reveal-unlocked")),
                spacing="2",
                width="100%",
            ),
        ),
        rx.cond(
            unlock["claim_status"] != "",
            rx.callout(
                rx.vstack(
                    rx.text(unlock["claim_label"], weight="medium"),
                    rx.cond(unlock["claim_note"] != "",
                            rx.text(unlock["claim_note"], dir="auto", size="2")),
                    spacing="1",
                ),
                icon="receipt", color_scheme="gray", size="1", width="100%", id="claim-status",
            ),
            rx.cond(unlock["claim_until"] != "", _claim_form(state)),
        ),
        spacing="3",
        width="100%",
    )


def unlock_panel(state: type[UnlockMixin]) -> rx.Component:
    """The direct-contact panel of a lead (nothing for other leads or one's own)."""
    unlock = _unlock(state)
    return rx.cond(
        unlock.contains("price"),
        rx.vstack(
            rx.hstack(rx.icon("phone", size=16, color=theme.BRAND),
                      rx.heading(t("ui.unlock.title"), as_="h2", size="3"),
                      spacing="2", align="center"),
            error_banner(state.unlock_error),
            rx.cond(unlock["status"] == "succeeded", _unlocked(state),
                    rx.cond(unlock["status"] == "refunded", _unlocked(state),
                            _offer(state))),
            spacing="3",
            width="100%",
            style=theme.card_style(),
            id="unlock-panel",
        ),
    )
