"""Payments, the provider's webhook, the end of a job, and wallets (DESIGN.md §5).

Amounts answer as decimal strings with two places, under the seed's names:
`{final_amount, platform_commission, referrer_fee, professional_net_amount}`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from fastapi import APIRouter, Request
from pydantic import BaseModel

from ofair_app.api.deps import CurrentCaller, RequestLocale
from ofair_app.api.routes.leads import LeadOut, view_out
from ofair_app.db.engine import unit_of_work
from ofair_app.domain.payments import PaymentStatus
from ofair_app.i18n import translate
from ofair_app.models import Payment
from ofair_app.services import leads, payments, wallets

router = APIRouter(tags=["payments"])


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


class InitiatedOut(BaseModel):
    payment_id: uuid.UUID
    psp_reference: str | None
    checkout_url: str | None
    amounts: Amounts


class PaymentOut(BaseModel):
    id: uuid.UUID
    lead_id: uuid.UUID
    proposal_id: uuid.UUID
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
                   status=payment.status, provider=payment.provider,
                   psp_reference=payment.psp_reference, checkout_url=payment.checkout_url,
                   currency=payment.currency, amounts=Amounts.of(payment),
                   platform_rate_pct=payment.platform_rate_pct,
                   referrer_share_pct=payment.referrer_share_pct,
                   refunded_amount=payment.refunded_amount, flagged=payment.flagged,
                   paid_at=payment.paid_at, created_at=payment.created_at)


class WebhookOut(BaseModel):
    received: bool
    outcome: str


class WalletLine(BaseModel):
    id: int
    kind: str
    account: str
    description: str
    amount: Decimal
    payment_id: uuid.UUID | None
    created_at: datetime | None


class WalletOut(BaseModel):
    professional_id: uuid.UUID
    pending_balance: Decimal
    available_balance: Decimal
    in_payout: Decimal
    transactions: list[WalletLine]


@router.post("/payments/initiate", status_code=201, response_model=InitiatedOut)
def initiate(body: InitiateIn, caller: CurrentCaller) -> InitiatedOut:
    """The owner pays the accepted offer: the split is frozen, the provider opens a checkout.
    Calling again returns the same payment; 409 once it is paid or if nothing was accepted."""
    payment = payments.initiate(caller=caller, proposal_id=body.proposal_id)
    return InitiatedOut(payment_id=payment.id, psp_reference=payment.psp_reference,
                        checkout_url=payment.checkout_url, amounts=Amounts.of(payment))


@router.get("/payments/{payment_id}", response_model=PaymentOut)
def get_payment(payment_id: uuid.UUID, caller: CurrentCaller) -> PaymentOut:
    with unit_of_work(caller) as session:
        return PaymentOut.of(payments.get_payment(session=session, caller=caller,
                                                  payment_id=payment_id))


@router.post("/payments/webhook", response_model=WebhookOut)
async def webhook(request: Request) -> WebhookOut:
    """The provider's signed events (`Stripe-Signature`). A bad or stale signature is a 400 and
    changes nothing; a duplicate is a 200 that changes nothing."""
    from starlette.concurrency import run_in_threadpool

    payload = await request.body()
    signature = request.headers.get("stripe-signature")
    result = await run_in_threadpool(payments.handle_webhook, payload, signature)
    return WebhookOut(received=True, outcome=str(result.outcome))


@router.post("/leads/{lead_id}/complete", response_model=LeadOut)
def complete(lead_id: uuid.UUID, caller: CurrentCaller, locale: RequestLocale) -> LeadOut:
    """The performer marks the paid job done."""
    with unit_of_work(caller) as session:
        payments.complete(session=session, caller=caller, lead_id=lead_id)
        return view_out(session, leads.get_lead(session=session, caller=caller,
                                                lead_id=lead_id), locale)


@router.post("/leads/{lead_id}/confirm-completion", response_model=LeadOut)
def confirm_completion(lead_id: uuid.UUID, caller: CurrentCaller,
                       locale: RequestLocale) -> LeadOut:
    """The owner confirms: the job is closed and the hold period starts."""
    with unit_of_work(caller) as session:
        payments.confirm_completion(session=session, caller=caller, lead_id=lead_id)
        return view_out(session, leads.get_lead(session=session, caller=caller,
                                                lead_id=lead_id), locale)


@router.get("/wallets/me", response_model=WalletOut)
def my_wallet(caller: CurrentCaller, locale: RequestLocale,
              professional_id: uuid.UUID | None = None) -> WalletOut:
    """Pending and available balances and the history, for the business's owners."""
    with unit_of_work(caller) as session:
        found = wallets.wallet(session=session, caller=caller, professional_id=professional_id)
    return WalletOut(
        professional_id=found.professional_id, pending_balance=found.balances.pending,
        available_balance=found.balances.available, in_payout=found.balances.in_payout,
        transactions=[WalletLine(id=line.transaction_id, kind=str(line.kind),
                                 account=str(line.purpose).removeprefix("pro_"),
                                 description=translate(
                                     f"wallet.line.{line.kind}.{line.purpose}", locale),
                                 amount=line.amount, payment_id=line.payment_id,
                                 created_at=line.created_at) for line in found.history])
