"""`/admin/unlock-claims`: businesses' claims to have an unlocked client's price back (open ones
first, as the platform could not decide them itself), each with what the platform's own checks
found, the business's note and the client's answer, to refund or to reject with a reason the
business reads. The other statuses can be looked up too."""

from __future__ import annotations

import dataclasses
import uuid

import reflex as rx
from reflex.vars import ObjectVar

from ofair_app.domain.errors import AppError
from ofair_app.domain.tax import israel_date
from ofair_app.models import ClaimDecision, ClaimStatus
from ofair_app.services import unlocks
from ofair_app.ui import format, routes, theme
from ofair_app.ui.components.forms import (
    confirm_dialog,
    dict_var,
    empty_state,
    error_banner,
    field,
    notice_banner,
    page_title,
)
from ofair_app.ui.components.shells import admin_shell
from ofair_app.ui.components.unlock_claims import (
    STATUSES,
    claim_reason,
    claim_status_badge,
    paid_with,
)
from ofair_app.ui.state.events import event
from ofair_app.ui.state.locale import t, t_with
from ofair_app.ui.state.session import SessionState, blocking

# How a claim was decided (UnlockRefundClaim.decided_how).
DECIDED_HOW = ("number_invalid", "duplicate", "client_confirmed", "admin")


@dataclasses.dataclass
class ClaimCard:
    id: str
    lead_title: str
    business_name: str
    amount: str
    pay_with: str  # card | balance
    unlocked_on: str
    claimed_on: str
    reason: str  # RefundReason
    note: str  # the business's
    status: str  # ClaimStatus
    client_answer: str  # never_asked | asked | "" (none yet)
    asked_client: bool  # a "never asked" claim whose client got the link
    number_in_service: bool
    had_before: bool
    decided_how: str
    decided_on: str
    decision_note: str


def _day(moment, locale: str) -> str:
    return format.day(israel_date(moment), locale) if moment else ""


class AdminUnlockClaimsState(SessionState):
    status: rx.Field[str] = rx.field(ClaimStatus.open.value)
    claims: rx.Field[list[ClaimCard]] = rx.field(default_factory=list)
    # what the admin types as the reason to reject, and its error, per claim
    notes: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    note_errors: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    # the claim whose rejection waits for the admin's confirmation ("" when none)
    rejecting: rx.Field[str] = rx.field("")
    rejecting_business: rx.Field[str] = rx.field("")
    error: rx.Field[str] = rx.field("")
    notice: rx.Field[str] = rx.field("")

    async def _load(self, caller) -> None:
        locale, status = self.locale, self.status
        try:
            rows = await self._as(caller, lambda s: unlocks.queue(session=s, caller=caller,
                                                                  status=status))
        except AppError as error:
            self.error, self.claims = self._message(error), []
            return
        self.claims = [ClaimCard(
            id=str(r.claim.id), lead_title=r.lead_title, business_name=r.business_name,
            amount=format.money(r.amount, locale), pay_with=r.pay_with,
            unlocked_on=_day(r.unlocked_at, locale), claimed_on=_day(r.claim.created_at, locale),
            reason=str(r.claim.reason), note=r.claim.note, status=str(r.claim.status),
            client_answer=r.claim.client_answer or "",
            asked_client=r.claim.client_token_hash is not None,
            number_in_service=r.number_in_service, had_before=r.had_before,
            decided_how=r.claim.decided_how or "", decided_on=_day(r.claim.decided_at, locale),
            decision_note=r.claim.decision_note) for r in rows]

    @event
    async def open(self):
        caller, redirect = await self._guard("admin")
        if caller is None:
            return redirect
        self.error, self.notice, self.rejecting = "", "", ""
        self.notes, self.note_errors = {}, {}
        await self._load(caller)
        return None

    @event
    async def show(self, status: str | list[str]):
        """Another status's claims (an unknown one is ignored)."""
        caller = await self._admin()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        if isinstance(status, str) and status in STATUSES:
            self.status = status
        self.error, self.notice = "", ""
        await self._load(caller)
        return None

    @event
    def set_note(self, claim_id: str, value: str):
        self.notes[claim_id] = value
        self.note_errors.pop(claim_id, None)

    @event
    def ask_reject(self, claim_id: str):
        """Rejecting says why: with a reason typed, the confirmation opens; without, the field
        says so."""
        if not self.notes.get(claim_id, "").strip():
            self.note_errors[claim_id] = self._text("errors.unlock.reject_note")
            return
        self.rejecting = claim_id
        self.rejecting_business = next(
            (c.business_name for c in self.claims if c.id == claim_id), "")

    @event
    def keep_open(self, is_open: bool):
        if not is_open:
            self.rejecting = ""

    async def _decide(self, claim_id: str, approve: bool):
        caller = await self._admin()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        self.error, self.notice, self.rejecting = "", "", ""
        note = "" if approve else self.notes.get(claim_id, "")
        try:
            await blocking(unlocks.decide, caller=caller, claim_id=uuid.UUID(claim_id),
                           data=ClaimDecision(approve=approve, note=note))
        except ValueError:
            self.error = self._text("errors.unlock.claim_not_found")
        except AppError as error:
            fields = self._field_messages(error)
            if "note" in fields:
                self.note_errors[claim_id] = fields["note"]
            else:
                self.error = self._message(error)
        else:
            self.notice = self._text("ui.unlock_claims.refunded_notice" if approve
                                     else "ui.unlock_claims.rejected_notice")
            self.notes.pop(claim_id, None)
        await self._load(caller)
        return None

    @event
    async def refund(self, claim_id: str):
        return await self._decide(claim_id, approve=True)

    @event
    async def reject(self, claim_id: str):
        return await self._decide(claim_id, approve=False)


def _check(passed: rx.Var[bool], good: str, bad: str, *, bad_color: str) -> rx.Component:
    """One of the platform's own checks: an icon and the words (the colour only repeats
    them)."""
    return rx.hstack(
        rx.cond(passed,
                rx.icon("circle-check", size=16, color=rx.color("green", 11), flex_shrink="0",
                        aria_hidden="true"),
                rx.icon("circle-alert", size=16, color=rx.color(bad_color, 11), flex_shrink="0",
                        aria_hidden="true")),
        rx.text(rx.cond(passed, t(good), t(bad)), size="2"),
        spacing="2", align="start")


def _client(row: ObjectVar[ClaimCard]) -> rx.Component:
    """What the client said through the link, for a "never asked" claim."""
    return rx.cond(
        row.reason == "never_asked",
        rx.hstack(
            rx.icon("message-circle-question", size=16, color=theme.MUTED, flex_shrink="0",
                    aria_hidden="true"),
            rx.text(rx.match(row.client_answer,
                             ("never_asked", t("ui.unlock_claims.client.never_asked")),
                             ("asked", t("ui.unlock_claims.client.asked")),
                             rx.cond(row.asked_client, t("ui.unlock_claims.client.waiting"),
                                     t("ui.unlock_claims.client.no_phone"))),
                    size="2", weight=rx.cond(row.client_answer == "asked", "bold", "regular")),
            spacing="2", align="start"),
    )


def _fact(label: str, value: rx.Component | rx.Var[str]) -> rx.Component:
    return rx.vstack(rx.text(t(label), size="1", color=theme.MUTED),
                     rx.text(value, size="2", weight="medium"),
                     spacing="0", align="start", min_width="0")


def _decision(row: ObjectVar[ClaimCard]) -> rx.Component:
    """Refund, or reject with a reason: for an open claim; the decision for the others."""
    state = AdminUnlockClaimsState
    note_id = f"claim-note-{row.id}"
    return rx.cond(
        row.status == "open",
        rx.vstack(
            field("ui.unlock_claims.reject_reason", rx.text_area(
                value=dict_var(state.notes).get(row.id, ""),
                on_change=lambda value: state.set_note(row.id, value),
                id=note_id, rows="2", width="100%", max_length=500,
                class_name="claim-note"),
                dict_var(state.note_errors).get(row.id, ""), hint="ui.unlock_claims.reject_hint",
                html_for=note_id),
            rx.hstack(
                confirm_dialog(
                    rx.button(rx.icon("undo-2", size=16, aria_hidden="true"),
                              t("ui.unlock_claims.refund"), size="2", color_scheme="teal",
                              class_name="claim-refund"),
                    t_with("ui.unlock_claims.refund_title", amount=row.amount,
                           business=row.business_name),
                    rx.cond(row.pay_with == "balance", t("ui.unlock_claims.refund_body_balance"),
                            t("ui.unlock_claims.refund_body_card")),
                    "ui.unlock_claims.refund", state.refund(row.id), color="teal",
                    confirm_class="confirm-refund"),
                rx.button(rx.icon("x", size=16, aria_hidden="true"),
                          t("ui.unlock_claims.reject"), size="2", variant="soft",
                          color_scheme="red", on_click=state.ask_reject(row.id),
                          class_name="claim-reject"),
                spacing="2", wrap="wrap"),
            spacing="3", width="100%", padding_top="0.75rem",
            border_top=f"1px solid {rx.color('gray', 4)}"),
        rx.vstack(
            rx.text(rx.match(row.decided_how,
                             *[(h, t(f"ui.unlock_claims.how.{h}")) for h in DECIDED_HOW], ""),
                    rx.cond(row.decided_on != "", rx.fragment(" · ", row.decided_on)),
                    size="2", color=theme.MUTED),
            rx.cond(row.decision_note != "",
                    rx.text(t("ui.unlock_claims.decision_note"), " ",
                            rx.el.bdi(row.decision_note), size="2", white_space="pre-wrap")),
            # approved, its card refund unanswered: the job retries it, an admin may too
            rx.cond(row.status == "approved",
                    rx.button(rx.icon("refresh-cw", size=16, aria_hidden="true"),
                              t("ui.unlock_claims.retry"), size="2", variant="soft",
                              on_click=state.refund(row.id), class_name="claim-retry")),
            spacing="1", width="100%", padding_top="0.75rem",
            border_top=f"1px solid {rx.color('gray', 4)}"),
    )


def _claim(row: ObjectVar[ClaimCard]) -> rx.Component:
    return rx.el.article(
        rx.vstack(
            rx.hstack(
                rx.heading(rx.el.bdi(row.lead_title), as_="h2", size="4", flex="1",
                           min_width="0"),
                claim_status_badge(row.status),
                width="100%", align="start", spacing="3"),
            rx.grid(
                _fact("ui.unlock_claims.business", rx.el.bdi(row.business_name)),
                _fact("ui.unlock_claims.paid", rx.fragment(
                    rx.el.bdi(row.amount, dir="ltr"), " · ", paid_with(row.pay_with))),
                _fact("ui.unlock_claims.unlocked_on", row.unlocked_on),
                _fact("ui.unlock_claims.claimed_on", row.claimed_on),
                columns=rx.breakpoints(initial="2", sm="4"), spacing="3", width="100%"),
            rx.vstack(
                rx.text(t("ui.unlock_claims.reason"), size="1", color=theme.MUTED),
                rx.text(claim_reason(row.reason), size="2", weight="bold"),
                rx.cond(row.note != "",
                        rx.el.blockquote(row.note, dir="auto", class_name="claim-business-note",
                                         style={"margin": "0.25rem 0 0",
                                                "padding_inline_start": "0.75rem",
                                                "border_inline_start":
                                                    f"3px solid {rx.color('gray', 6)}",
                                                "white_space": "pre-wrap",
                                                "font_size": "0.9rem",
                                                "line_height": "1.6"})),
                spacing="0", width="100%"),
            rx.vstack(
                rx.text(t("ui.unlock_claims.checks"), size="1", color=theme.MUTED),
                _check(row.number_in_service, "ui.unlock_claims.check.in_service",
                       "ui.unlock_claims.check.not_in_service", bad_color="red"),
                _check(~row.had_before, "ui.unlock_claims.check.new_client",
                       "ui.unlock_claims.check.had_before", bad_color="amber"),
                _client(row),
                spacing="1", width="100%"),
            _decision(row),
            spacing="3", width="100%"),
        id=f"claim-{row.id}",
        class_name="unlock-claim",
        style=theme.card_style(),
        width="100%",
    )


def _filter() -> rx.Component:
    return rx.segmented_control.root(
        *[rx.segmented_control.item(t(f"ui.unlock_claims.status.{s}"), value=s)
          for s in STATUSES],
        value=AdminUnlockClaimsState.status, on_change=AdminUnlockClaimsState.show, size="2",
        id="claims-status", aria_label=t("ui.unlock_claims.filter_label"))


def _reject_dialog() -> rx.Component:
    """The rejection's confirmation, quoting the reason the business will read."""
    state = AdminUnlockClaimsState
    return confirm_dialog(
        None,
        t_with("ui.unlock_claims.reject_title", business=state.rejecting_business),
        rx.vstack(rx.text(t("ui.unlock_claims.reject_body")),
                  rx.text(rx.el.bdi(dict_var(state.notes).get(state.rejecting, "")), weight="bold",
                          white_space="pre-wrap"),
                  spacing="2"),
        "ui.unlock_claims.reject", state.reject(state.rejecting),
        confirm_class="confirm-reject", open=state.rejecting != "",
        on_open_change=state.keep_open)


def admin_unlock_claims() -> rx.Component:
    state = AdminUnlockClaimsState
    return admin_shell(
        rx.vstack(
            page_title("ui.unlock_claims.title", "ui.unlock_claims.subtitle"),
            _filter(),
            error_banner(state.error),
            notice_banner(state.notice),
            rx.cond(state.claims.length() > 0,
                    rx.vstack(rx.foreach(state.claims, _claim), spacing="3", width="100%",
                              id="unlock-claims"),
                    empty_state("ui.unlock_claims.empty", icon="inbox")),
            _reject_dialog(),
            spacing="4",
            width="100%",
            max_width="52rem",
        ),
        active=routes.ADMIN_UNLOCK_CLAIMS,
    )
