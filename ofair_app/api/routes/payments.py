"""Payments, the provider's webhook, the end of a job, wallets, payouts and disputes
(DESIGN.md §5).

Amounts answer as decimal strings with two places, under the seed's names:
`{final_amount, platform_commission, referrer_fee, professional_net_amount}`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from ofair_app.api.deps import AdminCaller, CurrentCaller, RequestLocale
from ofair_app.api.openapi import errors
from ofair_app.api.routes.leads import LeadOut, view_out
from ofair_app.api.routing import ExactJsonRoute
from ofair_app.api.schemas import Page
from ofair_app.db.engine import unit_of_work
from ofair_app.domain.inputs import MultilineText, PlainText
from ofair_app.domain.payments import PaymentStatus
from ofair_app.i18n import translate
from ofair_app.models import Dispute, Payment, PayoutBatch, WebhookRejection, Withdrawal
from ofair_app.models._base import Money
from ofair_app.services import disputes, leads, payments, payouts, wallets
from ofair_app.services.disputes import Resolution

router = APIRouter(route_class=ExactJsonRoute)


class Amounts(BaseModel):
    final_amount: Decimal
    platform_commission: Decimal
    referrer_fee: Decimal
    professional_net_amount: Decimal

    @classmethod
    def of(cls, payment: Payment) -> Amounts:
        return cls(final_amount=payment.final_amount,
                   platform_commission=payment.platform_commission,
                   referrer_fee=payment.referrer_fee,
                   professional_net_amount=payment.professional_net_amount)


class InitiateIn(BaseModel):
    proposal_id: uuid.UUID
    milestone_id: uuid.UUID | None = Field(
        default=None, description="A job agreed in milestones is paid a step at a time: the "
                                  "step to pay (required then, refused otherwise).")


class InitiatedOut(BaseModel):
    payment_id: uuid.UUID | None  # none in b2b mode: no payment holds the job's money
    psp_reference: str | None
    checkout_url: str | None
    amounts: Amounts


class PaymentOut(BaseModel):
    id: uuid.UUID
    lead_id: uuid.UUID
    proposal_id: uuid.UUID
    milestone_id: uuid.UUID | None
    status: PaymentStatus
    provider: str
    psp_reference: str | None
    checkout_url: str | None
    currency: str
    amounts: Amounts
    platform_rate_pct: Decimal
    referrer_share_pct: Decimal
    refunded_amount: Decimal
    flagged: bool
    paid_at: datetime | None
    created_at: datetime | None

    @classmethod
    def of(cls, payment: Payment) -> PaymentOut:
        return cls(id=payment.id, lead_id=payment.lead_id, proposal_id=payment.proposal_id,
                   milestone_id=payment.milestone_id,
                   status=payment.status, provider=payment.provider,
                   psp_reference=payment.psp_reference, checkout_url=payment.checkout_url,
                   currency=payment.currency, amounts=Amounts.of(payment),
                   platform_rate_pct=payment.platform_rate_pct,
                   referrer_share_pct=payment.referrer_share_pct,
                   refunded_amount=payment.refunded_amount, flagged=payment.flagged,
                   paid_at=payment.paid_at, created_at=payment.created_at)


class FlaggedOut(PaymentOut):
    lead_title: str
    flag_reason: str


# How many rejected webhooks the flagged view shows beside the flagged payments.
FLAGGED_REJECTIONS = 20


class WebhookOut(BaseModel):
    received: bool
    outcome: str


class WalletLine(BaseModel):
    """One movement: `amount` is its change to `account`; `pending`, `available` and
    `in_payout` are its change to each balance, so each adds up (with the wallet's `earlier`)
    to that balance; `source` → `destination` says where the money went."""

    id: int
    kind: str
    account: str
    description: str
    amount: Decimal
    source: str
    destination: str
    pending: Decimal
    available: Decimal
    in_payout: Decimal
    payment_id: uuid.UUID | None
    lead_id: uuid.UUID | None
    lead_title: str
    created_at: datetime | None


class EarlierOut(BaseModel):
    """What the movements older than the listed ones add up to, per balance."""

    pending: Decimal
    available: Decimal
    in_payout: Decimal


class WalletOut(BaseModel):
    professional_id: uuid.UUID
    pending_balance: Decimal
    available_balance: Decimal
    in_payout: Decimal
    transactions: list[WalletLine]
    earlier: EarlierOut


@router.post("/payments/initiate", status_code=201, response_model=InitiatedOut,
             name="initiate", tags=["payments"],
             responses=errors(403, 404, 409, 503))
def initiate(body: InitiateIn, caller: CurrentCaller) -> InitiatedOut:
    """The owner pays the accepted offer: the split is frozen, the provider opens a checkout.
    Calling again returns the same payment; 409 once it is paid or if nothing was accepted."""
    payment = payments.initiate(caller=caller, proposal_id=body.proposal_id,
                                milestone_id=body.milestone_id)
    return InitiatedOut(payment_id=payment.id, psp_reference=payment.psp_reference,
                        checkout_url=payment.checkout_url, amounts=Amounts.of(payment))


@router.get("/payments/{payment_id}", response_model=PaymentOut,
            name="get", tags=["payments"], responses=errors(403, 404))
def get_payment(payment_id: uuid.UUID, caller: CurrentCaller) -> PaymentOut:
    with unit_of_work(caller) as session:
        return PaymentOut.of(payments.get_payment(session=session, caller=caller,
                                                  payment_id=payment_id))


class WebhookRejectionOut(BaseModel):
    id: int
    provider: str
    reason: str
    body_sha256: str
    body_bytes: int
    body_excerpt: str
    received_at: datetime | None

    @classmethod
    def of(cls, rejection: WebhookRejection) -> WebhookRejectionOut:
        return cls(id=rejection.id or 0, provider=rejection.provider, reason=rejection.reason,
                   body_sha256=rejection.body_sha256, body_bytes=rejection.body_bytes,
                   body_excerpt=rejection.body_excerpt, received_at=rejection.received_at)


class FlaggedPage(Page[FlaggedOut]):
    """Flagged payments, and the latest signed webhooks that could not be read at all."""

    webhook_rejections: list[WebhookRejectionOut] = Field(default_factory=list)


@router.get("/admin/payments/flagged", response_model=FlaggedPage,
            name="flagged", tags=["payments"], responses=errors(403))
def flagged_payments(caller: AdminCaller) -> FlaggedPage:
    """What the provider told us that was not applied, for an admin: payments an event did not
    match (recorded, not applied), and the latest signed bodies that were not readable events
    (all of them at `/admin/payments/webhook-rejections`)."""
    with unit_of_work(caller) as session:
        return FlaggedPage(
            items=[FlaggedOut(**PaymentOut.of(p).model_dump(), lead_title=title,
                              flag_reason=p.flag_reason)
                   for p, title in payments.flagged(session=session, caller=caller)],
            webhook_rejections=[WebhookRejectionOut.of(r) for r in payments.webhook_rejections(
                session=session, caller=caller, limit=FLAGGED_REJECTIONS)])


@router.get("/admin/payments/webhook-rejections", response_model=Page[WebhookRejectionOut],
            name="webhook_rejections", tags=["payments"], responses=errors(403))
def webhook_rejections(caller: AdminCaller) -> Page[WebhookRejectionOut]:
    """Signed provider bodies that were not readable events (each answered 400), newest first,
    for an admin to take up with the provider."""
    with unit_of_work(caller) as session:
        return Page(items=[WebhookRejectionOut.of(r) for r in payments.webhook_rejections(
            session=session, caller=caller)])


@router.post("/payments/webhook", response_model=WebhookOut,
             name="webhook", tags=["payments"], responses=errors(400),
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/json": {"schema": {"type": "object"}}}}})
async def webhook(
    request: Request,
    stripe_signature: Annotated[str | None, Header(max_length=2000)] = None,
) -> WebhookOut:
    """The provider's signed event, read as raw bytes (the signature covers them exactly). A
    bad or stale signature is a 400 and changes nothing; a signed body that is not an event of
    the expected shape is a 400 recorded for admins; a duplicate is a 200 that changes nothing.
    """
    payload = await request.body()
    result = await run_in_threadpool(payments.handle_webhook, payload, stripe_signature)
    return WebhookOut(received=True, outcome=str(result.outcome))


@router.post("/payments/webhook/cardcom", response_model=WebhookOut,
             name="webhook_cardcom", tags=["payments"], responses=errors(400, 503),
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/json": {"schema": {"type": "object"}}}}})
async def webhook_cardcom(request: Request) -> WebhookOut:
    """Cardcom's callback (its `WebHookUrl`; an addition to DESIGN.md §5). Cardcom signs
    nothing, so the body only names a page (`LowProfileId`): the adapter asks Cardcom about
    that page and only Cardcom's answer is applied. A page Cardcom does not know is a 400
    that changes nothing; a second callback for the same state is a 200 "duplicate"."""
    payload = await request.body()
    result = await run_in_threadpool(payments.handle_webhook, payload, None,
                                     provider="cardcom")
    return WebhookOut(received=True, outcome=str(result.outcome))


@router.post("/leads/{lead_id}/complete", response_model=LeadOut,
             name="complete", tags=["leads"], responses=errors(403, 404, 409))
def complete(lead_id: uuid.UUID, caller: CurrentCaller, locale: RequestLocale) -> LeadOut:
    """The performer marks the paid job done."""
    with unit_of_work(caller) as session:
        payments.complete(session=session, caller=caller, lead_id=lead_id)
        return view_out(session, leads.get_lead(session=session, caller=caller,
                                                lead_id=lead_id), locale)


@router.post("/leads/{lead_id}/confirm-completion", response_model=LeadOut,
             name="confirm_completion", tags=["leads"], responses=errors(403, 404, 409))
def confirm_completion(lead_id: uuid.UUID, caller: CurrentCaller,
                       locale: RequestLocale) -> LeadOut:
    """The owner confirms: the job is closed and the hold period starts."""
    with unit_of_work(caller) as session:
        payments.confirm_completion(session=session, caller=caller, lead_id=lead_id)
        return view_out(session, leads.get_lead(session=session, caller=caller,
                                                lead_id=lead_id), locale)


@router.get("/wallets/me", response_model=WalletOut,
            name="me", tags=["wallets"], responses=errors(403, 404))
def my_wallet(caller: CurrentCaller, locale: RequestLocale,
              professional_id: uuid.UUID | None = None) -> WalletOut:
    """Pending and available balances and the history, for the business's owners."""
    with unit_of_work(caller) as session:
        found = wallets.wallet(session=session, caller=caller, professional_id=professional_id)
    return WalletOut(
        professional_id=found.professional_id, pending_balance=found.balances.pending,
        available_balance=found.balances.available, in_payout=found.balances.in_payout,
        earlier=EarlierOut(pending=found.earlier.pending, available=found.earlier.available,
                           in_payout=found.earlier.in_payout),
        transactions=[WalletLine(id=line.transaction_id, kind=str(line.kind),
                                 account=str(line.purpose).removeprefix("pro_"),
                                 description=translate(f"wallet.kind.{line.kind}", locale),
                                 amount=line.amount, source=str(line.source),
                                 destination=str(line.destination), pending=line.pending,
                                 available=line.available, in_payout=line.in_payout,
                                 payment_id=line.payment_id, lead_id=line.lead_id,
                                 lead_title=line.lead_title, created_at=line.created_at)
                      for line in found.history])


# --- withdrawals and payouts ---------------------------------------------------------------


class WithdrawIn(BaseModel):
    amount: Money
    bank_code: PlainText = Field(max_length=10)
    branch: PlainText = Field(max_length=10)
    account: PlainText = Field(max_length=20)
    account_holder: PlainText = Field(max_length=200)


class WithdrawalOut(BaseModel):
    id: uuid.UUID
    professional_id: uuid.UUID
    amount: Decimal
    status: str
    bank_code: str
    branch: str
    account: str
    account_holder: str
    batch_id: uuid.UUID | None
    created_at: datetime | None
    paid_at: datetime | None

    @classmethod
    def of(cls, w: Withdrawal) -> WithdrawalOut:
        return cls(id=w.id, professional_id=w.professional_id, amount=w.amount,
                   status=w.status, bank_code=w.bank_code, branch=w.branch, account=w.account,
                   account_holder=w.account_holder, batch_id=w.batch_id,
                   created_at=w.created_at, paid_at=w.paid_at)


class DecisionIn(BaseModel):
    note: MultilineText = Field(default="", max_length=600)


class BatchOut(BaseModel):
    id: uuid.UUID
    status: str
    total: Decimal
    count: int
    created_at: datetime | None
    paid_at: datetime | None
    csv_url: str

    @classmethod
    def of(cls, batch: PayoutBatch) -> BatchOut:
        return cls(id=batch.id, status=batch.status, total=batch.total, count=batch.count,
                   created_at=batch.created_at, paid_at=batch.paid_at,
                   csv_url=f"/api/v1/admin/payout-batches/{batch.id}/csv")


class ManualPayoutIn(BaseModel):
    professional_id: uuid.UUID
    amount: Money
    note: MultilineText = Field(max_length=600)


class ManualPayoutOut(BaseModel):
    professional_id: uuid.UUID
    available_balance: Decimal


@router.post("/wallets/{professional_id}/withdraw", status_code=201,
             response_model=WithdrawalOut,
             name="withdraw", tags=["wallets"], responses=errors(403, 404, 409))
def withdraw(professional_id: uuid.UUID, body: WithdrawIn,
             caller: CurrentCaller) -> WithdrawalOut:
    """The business's owner asks to be paid out (never more than available; Israeli bank,
    branch and account checked)."""
    with unit_of_work(caller) as session:
        return WithdrawalOut.of(payouts.request_withdrawal(
            session=session, caller=caller, professional_id=professional_id,
            amount=body.amount, bank_code=body.bank_code, branch=body.branch,
            account=body.account, account_holder=body.account_holder))


@router.get("/wallets/{professional_id}/withdrawals", response_model=Page[WithdrawalOut],
            name="withdrawals", tags=["wallets"], responses=errors(403, 404))
def business_withdrawals(professional_id: uuid.UUID,
                         caller: CurrentCaller) -> Page[WithdrawalOut]:
    with unit_of_work(caller) as session:
        return Page(items=[WithdrawalOut.of(w) for w in payouts.withdrawals(
            session=session, caller=caller, professional_id=professional_id)])


@router.get("/admin/withdrawals", response_model=Page[WithdrawalOut],
            name="withdrawals", tags=["payouts"], responses=errors(403))
def admin_withdrawals(
    caller: AdminCaller,
    status: Literal["requested", "approved", "rejected", "paid"] | None = None,
) -> Page[WithdrawalOut]:
    with unit_of_work(caller) as session:
        return Page(items=[WithdrawalOut.of(w) for w in payouts.withdrawals(
            session=session, caller=caller, status=status)])


@router.post("/admin/withdrawals/{withdrawal_id}/approve", response_model=WithdrawalOut,
             name="approve", tags=["payouts"], responses=errors(403, 404, 409))
def approve_withdrawal(withdrawal_id: uuid.UUID, caller: AdminCaller,
                       body: DecisionIn | None = None) -> WithdrawalOut:
    with unit_of_work(caller) as session:
        return WithdrawalOut.of(payouts.decide(session=session, caller=caller,
                                               withdrawal_id=withdrawal_id, approve=True,
                                               note=body.note if body else ""))


@router.post("/admin/withdrawals/{withdrawal_id}/reject", response_model=WithdrawalOut,
             name="reject", tags=["payouts"], responses=errors(403, 404, 409))
def reject_withdrawal(withdrawal_id: uuid.UUID, caller: AdminCaller,
                      body: DecisionIn | None = None) -> WithdrawalOut:
    with unit_of_work(caller) as session:
        return WithdrawalOut.of(payouts.decide(session=session, caller=caller,
                                               withdrawal_id=withdrawal_id, approve=False,
                                               note=body.note if body else ""))


@router.post("/admin/payout-batches", status_code=201, response_model=BatchOut,
             name="export_batch", tags=["payouts"], responses=errors(403, 409))
def export_batch(caller: AdminCaller) -> BatchOut:
    """Every approved withdrawal not yet exported, in one batch (its CSV at `csv_url`)."""
    with unit_of_work(caller) as session:
        batch, _ = payouts.export_batch(session=session, caller=caller)
        return BatchOut.of(batch)


@router.get("/admin/payout-batches", response_model=Page[BatchOut],
            name="batches", tags=["payouts"], responses=errors(403))
def list_batches(caller: AdminCaller) -> Page[BatchOut]:
    with unit_of_work(caller) as session:
        return Page(items=[BatchOut.of(b) for b in payouts.batches(session=session,
                                                                   caller=caller)])


@router.get("/admin/payout-batches/{batch_id}/csv",
            name="batch_csv", tags=["payouts"], responses=errors(403, 404))
def batch_csv(batch_id: uuid.UUID, caller: AdminCaller) -> Response:
    with unit_of_work(caller) as session:
        content = payouts.batch_csv(session=session, caller=caller, batch_id=batch_id)
    return Response(content=content.encode(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition":
                             f'attachment; filename="ofair-payouts-{batch_id}.csv"'})


@router.post("/admin/payout-batches/{batch_id}/paid", response_model=BatchOut,
             name="mark_paid", tags=["payouts"], responses=errors(403, 404, 409))
def mark_paid(batch_id: uuid.UUID, caller: AdminCaller) -> BatchOut:
    with unit_of_work(caller) as session:
        return BatchOut.of(payouts.mark_batch_paid(session=session, caller=caller,
                                                   batch_id=batch_id))


@router.post("/admin/payouts/manual", status_code=201, response_model=ManualPayoutOut,
             name="manual", tags=["payouts"], responses=errors(403, 404, 409))
def manual_payout(body: ManualPayoutIn, caller: AdminCaller) -> ManualPayoutOut:
    """Record money paid to a business outside a batch (at most its available balance)."""
    with unit_of_work(caller) as session:
        left = payouts.manual_payout(session=session, caller=caller,
                                     professional_id=body.professional_id, amount=body.amount,
                                     note=body.note)
    return ManualPayoutOut(professional_id=body.professional_id, available_balance=left)


# --- disputes ------------------------------------------------------------------------------


class DisputeIn(BaseModel):
    reason: MultilineText = Field(max_length=6000)
    milestone_id: uuid.UUID | None = Field(
        default=None, description="A job agreed in milestones is disputed a step at a time: "
                                  "the step (required then); only it is frozen.")


class ResolveIn(BaseModel):
    resolution: Resolution
    refund_amount: Money | None = None
    note: MultilineText = Field(default="", max_length=1500)


class DisputeOut(BaseModel):
    id: uuid.UUID
    lead_id: uuid.UUID
    payment_id: uuid.UUID | None  # none in b2b mode: no payment holds the job's money
    milestone_id: uuid.UUID | None
    party: str
    reason: str
    status: str
    resolution: str | None
    refund_amount: Decimal | None
    created_at: datetime | None
    resolved_at: datetime | None

    @classmethod
    def of(cls, d: Dispute) -> DisputeOut:
        return cls(id=d.id, lead_id=d.lead_id, payment_id=d.payment_id,
                   milestone_id=d.milestone_id, party=d.party,
                   reason=d.reason, status=d.status, resolution=d.resolution,
                   refund_amount=d.refund_amount, created_at=d.created_at,
                   resolved_at=d.resolved_at)


@router.post("/leads/{lead_id}/disputes", status_code=201, response_model=DisputeOut,
             name="open", tags=["disputes"], responses=errors(403, 404, 409))
def open_dispute(lead_id: uuid.UUID, body: DisputeIn, caller: CurrentCaller) -> DisputeOut:
    """The owner or the performer contests a paid job before its money is released; the
    release waits until an admin resolves it."""
    with unit_of_work(caller) as session:
        return DisputeOut.of(disputes.open_dispute(session=session, caller=caller,
                                                   lead_id=lead_id, reason=body.reason,
                                                   milestone_id=body.milestone_id))


@router.get("/admin/disputes", response_model=Page[DisputeOut],
            name="queue", tags=["disputes"], responses=errors(403))
def dispute_queue(caller: AdminCaller) -> Page[DisputeOut]:
    with unit_of_work(caller) as session:
        return Page(items=[DisputeOut.of(d) for d in disputes.open_disputes(
            session=session, caller=caller)])


@router.post("/admin/resolve-dispute/{dispute_id}", response_model=DisputeOut,
             name="resolve", tags=["disputes"],
             responses=errors(403, 404, 409, 503))
def resolve_dispute(dispute_id: uuid.UUID, body: ResolveIn, caller: AdminCaller) -> DisputeOut:
    """Release now, refund in full, or refund part (pro rata across the parties, the rest
    released)."""
    return DisputeOut.of(disputes.resolve(caller=caller, dispute_id=dispute_id,
                                          resolution=body.resolution,
                                          refund_amount=body.refund_amount, note=body.note))
