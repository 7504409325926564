"""Back office for money: `/admin/payouts` (withdrawal requests to approve or reject, the payout
file for the bank, batches to mark paid, manual payouts) and `/admin/disputes` (open disputes,
resolved by releasing the money, refunding it in full, or refunding part)."""

from __future__ import annotations

import uuid

import reflex as rx
from reflex.vars import ObjectVar

from ofair_app.domain.banking import BANKS
from ofair_app.domain.errors import AppError, FieldErrors
from ofair_app.domain.leads import read_amount
from ofair_app.i18n import plural
from ofair_app.services import chat, disputes, payments, payouts
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
from ofair_app.ui.state.events import event
from ofair_app.ui.state.locale import t, t_with
from ofair_app.ui.state.session import SessionState, blocking

# The latest signed webhooks that were not readable events, shown beside the flagged payments.
REJECTED_WEBHOOKS_SHOWN = 20


class AdminPayoutsState(SessionState):
    flagged: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    rejected_webhooks: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    requests: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    approved: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    batches: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    error: rx.Field[str] = rx.field("")
    notice: rx.Field[str] = rx.field("")
    manual_business: rx.Field[str] = rx.field("")
    manual_amount: rx.Field[str] = rx.field("")
    manual_note: rx.Field[str] = rx.field("")
    manual_errors: rx.Field[dict[str, str]] = rx.field(default_factory=dict)

    async def _load(self, caller) -> None:
        locale = self.locale

        def read(session):
            rows = payouts.withdrawals(session=session, caller=caller, limit=200)
            names = payouts.business_names(session, {w.professional_id for w in rows})
            return (rows, names, payouts.batches(session=session, caller=caller),
                    payments.flagged(session=session, caller=caller),
                    payments.webhook_rejections(session=session, caller=caller,
                                                limit=REJECTED_WEBHOOKS_SHOWN))

        rows, names, batches, flagged, rejected = await self._as(caller, read)
        self.flagged = [{"id": str(p.id), "title": title, "reason": p.flag_reason,
                         "amount": format.money(p.final_amount, locale),
                         "status": self._text(f"ui.payment_status.{p.status}")}
                        for p, title in flagged]
        self.rejected_webhooks = [{"id": str(r.id), "reason": r.reason,
                                   "when": format.ago(r.received_at, locale),
                                   "size": str(r.body_bytes), "excerpt": r.body_excerpt[:160]}
                                  for r in rejected]

        def row(w) -> dict[str, str]:
            bank = BANKS.get(w.bank_code, ("", ""))[0 if locale == "he" else 1]
            return {"id": str(w.id), "business": names.get(w.professional_id, ""),
                    "amount": format.money(w.amount, locale),
                    "bank": format.joined(f"{w.bank_code} {bank}", f"{w.branch}-{w.account}"),
                    "holder": w.account_holder, "when": format.ago(w.created_at, locale)}

        self.requests = [row(w) for w in rows if w.status == "requested"]
        self.approved = [row(w) for w in rows if w.status == "approved" and not w.batch_id]
        self.batches = [{"id": str(b.id), "total": format.money(b.total, locale),
                         "count": plural("ui.count.transfers", b.count, locale),
                         "status": b.status,
                         "status_label": self._text(f"ui.batch_status.{b.status}"),
                         "when": format.ago(b.created_at, locale),
                         "csv": f"/api/v1/admin/payout-batches/{b.id}/csv"} for b in batches]

    @event
    async def open(self):
        caller, redirect = await self._guard("admin")
        if caller is None:
            return redirect
        self.error, self.notice = "", ""
        await self._load(caller)
        return None

    async def _act(self, work, notice_key: str):
        caller = await self._admin()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        self.error, self.notice = "", ""
        try:
            result = await self._as(caller, lambda s: work(s, caller))
            self.notice = self._text(notice_key)
        except (ValueError, AppError) as error:
            self.error = self._message(error) if isinstance(error, AppError) else ""
            result = None
        await self._load(caller)
        return result

    @event
    async def approve(self, withdrawal_id: str):
        await self._act(lambda s, c: payouts.decide(session=s, caller=c, approve=True,
                                                    withdrawal_id=uuid.UUID(withdrawal_id)),
                        "ui.payouts.approved_notice")

    @event
    async def reject(self, withdrawal_id: str):
        await self._act(lambda s, c: payouts.decide(session=s, caller=c, approve=False,
                                                    withdrawal_id=uuid.UUID(withdrawal_id)),
                        "ui.payouts.rejected")

    @event
    async def export(self):
        result = await self._act(lambda s, c: payouts.export_batch(session=s, caller=c),
                                 "ui.payouts.exported")
        if result is None:
            return None
        batch, content = result
        return rx.download(data=content, filename=f"ofair-payouts-{batch.id}.csv")

    @event
    async def download(self, batch_id: str):
        content = await self._act(lambda s, c: payouts.batch_csv(session=s, caller=c,
                                                                 batch_id=uuid.UUID(batch_id)),
                                  "ui.payouts.downloaded")
        if content is None:
            return None
        return rx.download(data=content, filename=f"ofair-payouts-{batch_id}.csv")

    @event
    async def mark_paid(self, batch_id: str):
        await self._act(lambda s, c: payouts.mark_batch_paid(session=s, caller=c,
                                                             batch_id=uuid.UUID(batch_id)),
                        "ui.payouts.marked_paid")

    @event
    def set_manual_business(self, value: str):
        self.manual_business = value

    @event
    def set_manual_amount(self, value: str):
        self.manual_amount = value

    @event
    def set_manual_note(self, value: str):
        self.manual_note = value

    @event
    async def manual(self):
        """Record a payout made outside a batch; every bad field is named beside it."""
        caller = await self._admin()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        self.error, self.notice, self.manual_errors = "", "", {}
        checks = FieldErrors()
        try:
            business = uuid.UUID(self.manual_business.strip())
        except ValueError:
            business = uuid.UUID(int=0)  # no business has it: the service still judges the rest
            checks.add("professional_id", "errors.field.invalid")
        amount = checks(read_amount, self.manual_amount, field="amount")
        note = self.manual_note
        try:
            await self._as(caller, lambda s: payouts.manual_payout(
                session=s, caller=caller, professional_id=business,
                amount=amount if amount is not None else "", note=note))
        except AppError as error:
            if not error.fields:
                self.error = self._message(error)
                return None
            checks.merge(error)
        if checks:
            self.manual_errors = self._field_messages(checks.error())
            return None
        self.notice = self._text("ui.payouts.manual_done")
        self.manual_business = self.manual_amount = self.manual_note = ""
        await self._load(caller)
        return None


def _request_row(row: ObjectVar[dict[str, str]], actions: bool) -> rx.Component:
    return rx.hstack(
        rx.vstack(rx.text(row["business"], weight="bold", size="2"),
                  rx.text(row["bank"], " · ", row["holder"], size="1", color=theme.MUTED),
                  rx.text(row["when"], size="1", color=theme.MUTED),
                  spacing="0", align="start"),
        rx.spacer(),
        rx.text(row["amount"], weight="bold", size="3"),
        rx.cond(actions, rx.hstack(
            confirm_dialog(
                rx.button(t("ui.payouts.approve"), size="1", class_name="approve"),
                t_with("ui.payouts.approve_title", amount=row["amount"],
                       business=row["business"]),
                t_with("ui.payouts.approve_body", bank=row["bank"], holder=row["holder"]),
                "ui.payouts.approve_confirm", AdminPayoutsState.approve(row["id"]),
                color="teal", confirm_class="confirm-approve"),
            confirm_dialog(
                rx.button(t("ui.payouts.reject"), size="1", variant="soft", color_scheme="red",
                          class_name="reject"),
                t_with("ui.payouts.reject_title", business=row["business"]),
                t_with("ui.payouts.reject_body", amount=row["amount"]),
                "ui.payouts.reject_confirm", AdminPayoutsState.reject(row["id"])),
            spacing="2")),
        width="100%",
        align="center",
        padding_y="0.6rem",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        wrap="wrap",
        class_name="withdrawal-request",
    )


def _section(title: str, *children) -> rx.Component:
    return rx.vstack(rx.text(t(title), weight="bold", size="3"), *children, spacing="2",
                     width="100%", style=theme.card_style())


def admin_payouts() -> rx.Component:
    state = AdminPayoutsState
    manual_errors = dict_var(state.manual_errors)
    return admin_shell(
        rx.vstack(
            page_title("ui.payouts.title", "ui.payouts.subtitle"),
            error_banner(state.error),
            notice_banner(state.notice),
            rx.cond(state.flagged.length() > 0, rx.vstack(
                rx.hstack(rx.icon("triangle-alert", size=16, color=rx.color("orange", 10)),
                          rx.text(t("ui.payouts.flagged"), weight="bold", size="3"),
                          spacing="2", align="center"),
                rx.text(t("ui.payouts.flagged_body"), size="2", color=theme.MUTED),
                rx.foreach(state.flagged, lambda p: rx.vstack(
                    rx.hstack(rx.text(p["title"], weight="bold", size="2"), rx.spacer(),
                              rx.text(p["amount"], weight="bold", size="2"), width="100%"),
                    rx.text(p["status"], " · ", p["reason"], size="1", color=theme.MUTED,
                            dir="auto"),
                    rx.text(p["id"], size="1", color=theme.MUTED, dir="ltr"),
                    spacing="0", width="100%", padding_y="0.5rem",
                    border_bottom=f"1px solid {rx.color('gray', 4)}")),
                spacing="2", width="100%", id="flagged-payments",
                style=theme.card_style(), border=f"1px solid {rx.color('orange', 6)}")),
            rx.cond(state.rejected_webhooks.length() > 0, rx.vstack(
                rx.hstack(rx.icon("triangle-alert", size=16, color=rx.color("orange", 10)),
                          rx.text(t("ui.payouts.rejected_webhooks"), weight="bold", size="3"),
                          spacing="2", align="center"),
                rx.text(t("ui.payouts.rejected_webhooks_body"), size="2", color=theme.MUTED),
                rx.foreach(state.rejected_webhooks, lambda r: rx.vstack(
                    rx.hstack(rx.text(r["reason"], weight="bold", size="2", dir="ltr"),
                              rx.spacer(), rx.text(r["when"], size="1", color=theme.MUTED),
                              width="100%"),
                    rx.text(r["excerpt"], size="1", color=theme.MUTED, dir="ltr",
                            word_break="break-all"),
                    spacing="0", width="100%", padding_y="0.5rem", class_name="rejected-webhook",
                    border_bottom=f"1px solid {rx.color('gray', 4)}")),
                spacing="2", width="100%", id="rejected-webhooks",
                style=theme.card_style(), border=f"1px solid {rx.color('orange', 6)}")),
            _section("ui.payouts.requests", rx.cond(
                state.requests.length() > 0,
                rx.vstack(rx.foreach(state.requests, lambda r: _request_row(r, True)),
                          spacing="0", width="100%"),
                empty_state("ui.payouts.no_requests", icon="inbox"))),
            _section("ui.payouts.approved",
                     rx.foreach(state.approved, lambda r: _request_row(r, False)),
                     confirm_dialog(
                         rx.button(rx.icon("file-down", size=16), t("ui.payouts.export"),
                                   disabled=state.approved.length() == 0, id="export-batch"),
                         "ui.payouts.export_title", "ui.payouts.export_body",
                         "ui.payouts.export", state.export, color="teal")),
            _section("ui.payouts.batches", rx.foreach(state.batches, lambda b: rx.hstack(
                rx.vstack(rx.text(b["total"], " · ", b["count"],
                                  weight="bold", size="2"),
                          rx.text(b["when"], size="1", color=theme.MUTED), spacing="0",
                          align="start"),
                rx.spacer(),
                rx.badge(b["status_label"], radius="full", variant="soft",
                         color_scheme=rx.cond(b["status"] == "paid", "green", "amber")),
                rx.button(rx.icon("download", size=14), "CSV", size="1", variant="soft",
                          on_click=state.download(b["id"])),
                rx.cond(b["status"] != "paid", confirm_dialog(
                    rx.button(t("ui.payouts.mark_paid"), size="1"),
                    "ui.payouts.mark_paid_title", "ui.payouts.mark_paid_body",
                    "ui.payouts.mark_paid", state.mark_paid(b["id"]), color="teal")),
                width="100%", align="center", spacing="2", wrap="wrap"))),
            _section(
                "ui.payouts.manual",
                field("ui.payouts.business_id", rx.input(
                    value=state.manual_business, on_change=state.set_manual_business,
                    dir="ltr", size="2", id="manual-business", width="100%"),
                    manual_errors.get("professional_id", ""), html_for="manual-business",
                    required=True),
                rx.grid(
                    field("ui.wallet.amount", rx.input(
                        rx.input.slot("₪"), value=state.manual_amount,
                        on_change=state.set_manual_amount, dir="ltr", text_align="start",
                        input_mode="decimal", size="2", id="manual-amount", width="100%"),
                        manual_errors.get("amount", ""), html_for="manual-amount",
                        required=True),
                    field("ui.payouts.note", rx.input(
                        value=state.manual_note, on_change=state.set_manual_note, size="2",
                        id="manual-note", width="100%"),
                        manual_errors.get("note", ""), html_for="manual-note",
                        required=True),
                    columns=rx.breakpoints(initial="1", sm="2"), spacing="3", width="100%"),
                confirm_dialog(
                    rx.button(t("ui.payouts.record"), size="2", variant="soft"),
                    t_with("ui.payouts.manual_title", amount=state.manual_amount),
                    t_with("ui.payouts.manual_body", business=state.manual_business),
                    "ui.payouts.record", state.manual, color="teal")),
            spacing="4",
            width="100%",
            max_width="52rem",
        ),
        active=routes.ADMIN_PAYOUTS,
    )


# --- disputes ------------------------------------------------------------------------------


class AdminDisputesState(SessionState):
    rows: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    amounts: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    error: rx.Field[str] = rx.field("")
    notice: rx.Field[str] = rx.field("")

    async def _load(self, caller) -> None:
        locale = self.locale

        def read(session):
            queue = disputes.queue(session=session, caller=caller)
            return queue, {item.dispute.lead_id: chat.thread_for_dispute(
                session=session, caller=caller, lead_id=item.dispute.lead_id)
                for item in queue}

        queue, threads = await self._as(caller, read)
        self.rows = [{
            "id": str(item.dispute.id),
            "title": f"{item.lead_title} · {item.milestone_title}" if item.milestone_title
            else item.lead_title,
            "party": self._text(f"ui.disputes.party_{item.dispute.party}"),
            "reason": item.dispute.reason,
            "when": format.ago(item.dispute.created_at, locale),
            "amount": format.money(item.at_stake, locale),
            # the conversation of the owner and the performer (reading it is audited)
            "chat_url": routes.chat(threads[item.dispute.lead_id])
            if threads.get(item.dispute.lead_id) else ""}
            for item in queue]

    @event
    async def open(self):
        caller, redirect = await self._guard("admin")
        if caller is None:
            return redirect
        self.error, self.notice = "", ""
        await self._load(caller)
        return None

    @event
    def set_amount(self, dispute_id: str, value: str):
        self.amounts[dispute_id] = value

    @event
    async def resolve(self, dispute_id: str, resolution: str):
        caller = await self._admin()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        self.error, self.notice = "", ""
        try:
            amount = (read_amount(self.amounts.get(dispute_id, ""), field="refund_amount")
                      if resolution == "refund_partial" else None)
            await blocking(disputes.resolve, caller=caller, dispute_id=uuid.UUID(dispute_id),
                           resolution=resolution, refund_amount=amount)
            self.notice = self._text("ui.disputes.resolved")
        except (ValueError, AppError) as error:
            self.error = (next(iter(self._field_messages(error).values()), "")
                          or self._message(error)) if isinstance(error, AppError) else ""
        await self._load(caller)
        return None


def _dispute_card(row: ObjectVar[dict[str, str]]) -> rx.Component:
    state = AdminDisputesState
    return rx.vstack(
        rx.hstack(rx.text(row["title"], dir="auto", weight="bold", size="3"), rx.spacer(),
                  rx.text(row["amount"], weight="bold", size="3"), width="100%"),
        rx.text(t("ui.disputes.opened_by"), " ", row["party"], " · ", row["when"], size="1",
                color=theme.MUTED),
        rx.text(row["reason"], size="2", line_height="1.6", white_space="pre-wrap"),
        rx.cond(row["chat_url"] != "",
                rx.link(rx.hstack(rx.icon("messages-square", size=15, aria_hidden="true"),
                                  t("ui.chat.transcript"), spacing="1", align="center"),
                        href=row["chat_url"], size="2", class_name="dispute-chat",
                        padding="0.6rem 0")),
        rx.hstack(
            confirm_dialog(rx.button(t("ui.disputes.release"), size="2"),
                           t_with("ui.disputes.release_title", amount=row["amount"],
                                  title=row["title"]),
                           "ui.disputes.release_body",
                           "ui.disputes.release", state.resolve(row["id"], "release"),
                           color="teal"),
            confirm_dialog(rx.button(t("ui.disputes.refund_full"), size="2", variant="soft",
                                     color_scheme="red"),
                           t_with("ui.disputes.refund_full_title", amount=row["amount"],
                                  title=row["title"]),
                           "ui.disputes.refund_full_body",
                           "ui.disputes.refund_full", state.resolve(row["id"], "refund_full")),
            spacing="2", wrap="wrap"),
        rx.hstack(
            rx.input(placeholder=t("ui.disputes.partial_amount"), dir="ltr", size="2",
                     on_change=lambda value: state.set_amount(row["id"], value),
                     width="10rem"),
            confirm_dialog(
                rx.button(t("ui.disputes.refund_partial"), size="2", variant="soft",
                          class_name="refund-partial"),
                t_with("ui.disputes.refund_partial_title",
                       amount=dict_var(state.amounts).get(row["id"], ""), title=row["title"]),
                t_with("ui.disputes.refund_partial_body", total=row["amount"]),
                "ui.disputes.refund_partial", state.resolve(row["id"], "refund_partial"),
                confirm_class="confirm-refund-partial"),
            spacing="2", align="center"),
        spacing="3",
        width="100%",
        style=theme.card_style(),
        class_name="dispute-card",
    )


def admin_disputes() -> rx.Component:
    state = AdminDisputesState
    return admin_shell(
        rx.vstack(
            page_title("ui.disputes.title", "ui.disputes.subtitle"),
            error_banner(state.error),
            notice_banner(state.notice),
            rx.cond(state.rows.length() > 0,
                    rx.vstack(rx.foreach(state.rows, _dispute_card), spacing="3",
                              width="100%"),
                    empty_state("ui.disputes.empty", icon="scale")),
            spacing="4",
            width="100%",
            max_width="52rem",
        ),
        active=routes.ADMIN_DISPUTES,
    )
