"""`/pro/unlocks`: the clients a business unlocked on direct-contact requests, newest first:
when, what it paid and how, whether a refund may still be claimed (on the lead's page), the
claim's status and outcome, and the tax invoice/receipt (and the credit note of a refund) to
download. For the business's members; the documents are the owners' to download."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import reflex as rx
from reflex.vars import ObjectVar

from ofair_app.domain.errors import AppError
from ofair_app.domain.tax import israel_date
from ofair_app.services import unlocks
from ofair_app.ui import format, routes, theme
from ofair_app.ui.components.forms import empty_state, error_banner, page_title
from ofair_app.ui.components.shells import pro_shell
from ofair_app.ui.components.unlock_claims import claim_reason, claim_status_badge, paid_with
from ofair_app.ui.state.documents import DocumentsMixin
from ofair_app.ui.state.events import event
from ofair_app.ui.state.locale import t, t_with
from ofair_app.ui.state.session import SessionState


@dataclasses.dataclass
class UnlockRow:
    id: str
    lead_url: str
    lead_title: str
    unlocked_on: str
    amount: str
    pay_with: str  # card | balance
    status: str  # succeeded | refunded
    refunded_on: str
    claim_until: str  # a refund may be claimed until this day ("" when no more)
    claim_status: str  # ClaimStatus, "" when no claim
    claim_reason: str
    decided_how: str
    decision_note: str
    document_id: str  # the tax invoice/receipt ("" when none)
    refund_document_id: str  # the credit note of a refund ("" when none)


def _day(moment: datetime | None, locale: str) -> str:
    return format.day(israel_date(moment), locale) if moment else ""


class ProUnlocksState(DocumentsMixin, SessionState):
    loaded: rx.Field[bool] = rx.field(False)
    rows: rx.Field[list[UnlockRow]] = rx.field(default_factory=list)
    error: rx.Field[str] = rx.field("")

    @event
    async def open(self):
        caller, redirect = await self._guard("business")
        if caller is None:
            return redirect
        self.error = ""
        professional_id = self._current_business(caller)
        locale = self.locale
        try:
            views = await self._as(caller, lambda s: unlocks.for_business(
                session=s, caller=caller, professional_id=professional_id))
        except AppError as error:
            self.error, self.rows, self.loaded = self._message(error), [], False
            return None
        self.rows = [UnlockRow(
            id=str(v.id), lead_url=routes.pro_lead(v.lead_id), lead_title=v.lead_title,
            unlocked_on=_day(v.unlocked_at, locale), amount=format.money(v.amount, locale),
            pay_with=v.pay_with, status=v.status, refunded_on=_day(v.refunded_at, locale),
            claim_until=_day(v.claim_until, locale),
            claim_status=str(v.claim.status) if v.claim else "",
            claim_reason=str(v.claim.reason) if v.claim else "",
            decided_how=(v.claim.decided_how or "") if v.claim else "",
            decision_note=v.claim.decision_note if v.claim else "",
            document_id=str(v.tax_document_id or ""),
            refund_document_id=str(v.refund_document_id or "")) for v in views]
        self.loaded = True
        return None


def _claim(row: ObjectVar[UnlockRow]) -> rx.Component:
    """The refund claim's status and what came of it; or until when one may be made."""
    return rx.cond(
        row.claim_status != "",
        rx.vstack(
            rx.hstack(
                rx.text(t("ui.unlocks.claim"), " ", rx.el.bdi(claim_reason(row.claim_reason)),
                        size="2", flex="1", min_width="0"),
                claim_status_badge(row.claim_status),
                width="100%", align="center", spacing="2"),
            rx.match(
                row.claim_status,
                ("open", rx.text(rx.cond(row.claim_reason == "never_asked",
                                         t("ui.unlocks.waiting_client"),
                                         t("ui.unlocks.waiting_admin")),
                                 size="2", color=theme.MUTED)),
                ("approved", rx.text(t("ui.unlocks.refund_on_its_way"), size="2",
                                     color=theme.MUTED)),
                ("refunded", rx.text(rx.match(
                    row.decided_how,
                    ("number_invalid", t("ui.unlocks.refunded.number_invalid")),
                    ("duplicate", t("ui.unlocks.refunded.duplicate")),
                    ("client_confirmed", t("ui.unlocks.refunded.client_confirmed")),
                    t("ui.unlocks.refunded.admin")), size="2", color=theme.MUTED)),
                ("rejected", rx.text(t("ui.unlocks.rejected_because"), " ",
                                     rx.el.bdi(row.decision_note), size="2",
                                     white_space="pre-wrap", class_name="unlock-rejected")),
                rx.fragment()),
            spacing="1", width="100%", padding="0.6rem 0.75rem", border_radius="10px",
            background=rx.color("gray", 2), class_name="unlock-claim-status"),
        rx.cond(row.claim_until != "",
                rx.text(t_with("ui.unlocks.claim_until", day=row.claim_until), " ",
                        rx.link(t("ui.unlocks.claim_on_lead"), href=row.lead_url,
                                underline="always"),
                        size="2", color=theme.MUTED)),
    )


def _document(label: str, document_id: rx.Var[str], class_name: str) -> rx.Component:
    return rx.cond(
        document_id != "",
        rx.button(rx.icon("download", size=16, aria_hidden="true"), t(label), size="2",
                  variant="soft", on_click=ProUnlocksState.download(document_id),
                  class_name=class_name))


def _unlock(row: ObjectVar[UnlockRow]) -> rx.Component:
    return rx.el.li(
        rx.vstack(
            rx.hstack(
                rx.box(rx.link(rx.el.bdi(row.lead_title), href=row.lead_url, size="3",
                               weight="bold", class_name="unlock-lead ofair-tap"),
                       flex="1", min_width="0"),
                rx.badge(rx.cond(row.status == "refunded", t("ui.unlocks.status.refunded"),
                                 t("ui.unlocks.status.succeeded")),
                         color_scheme=rx.cond(row.status == "refunded", "gray", "green"),
                         radius="full", variant="soft", flex_shrink="0"),
                width="100%", align="center", spacing="3"),
            rx.text(t_with("ui.unlocks.unlocked_on", day=row.unlocked_on), " · ",
                    rx.el.bdi(row.amount, dir="ltr"), " · ",
                    paid_with(row.pay_with),
                    rx.cond(row.refunded_on != "",
                            rx.fragment(" · ", t_with("ui.unlocks.refunded_on",
                                                      day=row.refunded_on))),
                    size="2", color=theme.MUTED),
            _claim(row),
            rx.cond((row.document_id != "") | (row.refund_document_id != ""), rx.hstack(
                _document("ui.unlocks.invoice", row.document_id, "unlock-invoice"),
                _document("ui.unlocks.credit_note", row.refund_document_id,
                          "unlock-credit-note"),
                spacing="2", wrap="wrap")),
            spacing="2", width="100%"),
        padding_y="0.9rem", border_bottom=f"1px solid {rx.color('gray', 4)}",
        list_style="none", class_name="unlock-row", id=f"unlock-{row.id}",
        style={"&:last-child": {"border_bottom": "none"}})


def pro_unlocks() -> rx.Component:
    s = ProUnlocksState
    return pro_shell(
        rx.vstack(
            page_title("ui.unlocks.title", "ui.unlocks.subtitle"),
            error_banner(s.error),
            rx.cond(s.loaded, rx.cond(
                s.rows.length() > 0,
                rx.box(rx.el.ul(rx.foreach(s.rows, _unlock), padding="0", margin="0",
                                width="100%"),
                       width="100%", style=theme.card_style(padding="0.25rem 1.25rem"),
                       id="unlocks"),
                empty_state("ui.unlocks.empty", icon="phone"))),
            spacing="4", width="100%", max_width="44rem", margin_x="auto"),
        active=routes.PRO_PROFILE,
    )
