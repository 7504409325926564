"""B2B settlement (`SETTLEMENT_MODE=b2b`; issue 17 point 8): starting a won job, a business's
balance, statements and tax invoices with their PDFs; for admins, a month's statements (and
their CSV), invoices held for an allocation number, and asking the Tax Authority again.

Amounts answer as decimal strings with two places. A month is written `YYYY-MM`.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field

from ofair_app.api.deps import AdminCaller, CurrentCaller, RequestLocale
from ofair_app.api.openapi import errors
from ofair_app.api.routes.leads import LeadOut, view_out
from ofair_app.api.routes.payments import WithdrawalOut
from ofair_app.api.routing import ExactJsonRoute
from ofair_app.api.schemas import Page
from ofair_app.db.engine import unit_of_work
from ofair_app.domain.errors import InvalidInput
from ofair_app.domain.inputs import MultilineText
from ofair_app.models import SettlementStatement, TaxDocument
from ofair_app.models._base import Money
from ofair_app.services import autopay, leads, payouts, settlement, tax_documents

router = APIRouter(route_class=ExactJsonRoute)

MonthText = Annotated[str, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", min_length=7,
                                 max_length=7, examples=["2026-11"])]


def _month(value: str) -> date:
    try:
        return date(int(value[:4]), int(value[5:7]), 1)
    except ValueError as error:  # year 0000
        raise InvalidInput(fields={"month": "errors.settlement.month_format"}) from error


@router.post("/leads/{lead_id}/start", response_model=LeadOut, name="start",
             tags=["leads"], responses=errors(403, 404, 409))
def start(lead_id: uuid.UUID, caller: CurrentCaller, locale: RequestLocale) -> LeadOut:
    """b2b mode: the performer starts the job it won (its client pays it directly). 409
    `not_b2b` in escrow mode, where paying starts the job."""
    with unit_of_work(caller) as session:
        settlement.start_work(session=session, caller=caller, lead_id=lead_id)
        return view_out(session, leads.get_lead(session=session, caller=caller,
                                                lead_id=lead_id), locale)


class BalanceOut(BaseModel):
    professional_id: uuid.UUID
    balance: Decimal  # > 0: the business owes the platform; < 0: the platform owes it
    month: str
    month_jobs: int
    month_fees: Decimal
    month_referral_owed: Decimal
    month_referral_earned: Decimal


@router.get("/balances/{professional_id}", response_model=BalanceOut, name="balance",
            tags=["settlement"], responses=errors(403, 404))
def balance(professional_id: uuid.UUID, caller: CurrentCaller) -> BalanceOut:
    """What the business owes or is owed in all, and this month so far (owners, admins)."""
    with unit_of_work(caller) as session:
        found = settlement.balance(session=session, caller=caller,
                                   professional_id=professional_id)
    return BalanceOut(professional_id=found.professional_id, balance=found.balance,
                      month=f"{found.month:%Y-%m}", month_jobs=found.month_jobs,
                      month_fees=found.month_fees, month_referral_owed=found.month_referral_owed,
                      month_referral_earned=found.month_referral_earned)


class StatementOut(BaseModel):
    id: uuid.UUID
    professional_id: uuid.UUID
    month: str
    issued_on: date
    jobs: int
    fees: Decimal
    vat_rate: Decimal
    vat: Decimal
    referral_owed: Decimal
    referral_earned: Decimal
    carried_in: Decimal
    credits: Decimal  # credit notes since the last statement (< 0: less to pay)
    amount_due: Decimal
    status: str
    business_name: str | None = None

    @classmethod
    def of(cls, statement: SettlementStatement, business_name: str | None = None
           ) -> StatementOut:
        return cls(id=statement.id, professional_id=statement.professional_id,
                   month=f"{statement.month:%Y-%m}", issued_on=statement.issued_on,
                   jobs=statement.jobs, fees=statement.fees, vat_rate=statement.vat_rate,
                   vat=statement.vat, referral_owed=statement.referral_owed,
                   referral_earned=statement.referral_earned, carried_in=statement.carried_in,
                   credits=statement.credits, amount_due=statement.amount_due,
                   status=str(statement.status),
                   business_name=business_name)


@router.get("/statements/{professional_id}", response_model=Page[StatementOut],
            name="statements", tags=["settlement"], responses=errors(403, 404))
def statements(professional_id: uuid.UUID, caller: CurrentCaller) -> Page[StatementOut]:
    """The business's monthly statements, newest first (owners, admins)."""
    with unit_of_work(caller) as session:
        return Page(items=[StatementOut.of(s) for s in settlement.statements(
            session=session, caller=caller, professional_id=professional_id)])


class StatementLineOut(BaseModel):
    lead_id: uuid.UUID
    title: str
    closed_at: datetime
    final_amount: Decimal
    role: str  # performer | referrer
    fee: Decimal
    referral_fee: Decimal


@router.get("/statements/{statement_id}/lines", response_model=Page[StatementLineOut],
            name="statement_lines", tags=["settlement"], responses=errors(403, 404))
def statement_lines(statement_id: uuid.UUID, caller: CurrentCaller) -> Page[StatementLineOut]:
    """The jobs a statement settled: the fees the business owes on each as the performer, and
    for a referrer its statement of the referral fees earned (owners, admins)."""
    with unit_of_work(caller) as session:
        return Page(items=[StatementLineOut(**dataclasses.asdict(line))
                           for line in settlement.statement_lines(
                               session=session, caller=caller, statement_id=statement_id)])


class InvoiceOut(BaseModel):
    id: uuid.UUID
    professional_id: uuid.UUID
    statement_id: uuid.UUID | None
    document_type: int
    number: int | None  # none while held
    status: str  # issued | held
    document_date: date
    before_vat: Decimal
    vat_rate: Decimal
    vat: Decimal
    outside_vat: Decimal
    total: Decimal
    allocation_number: str | None
    held_reason: str
    pdf_url: str | None  # for an issued document: answers with a five-minute download link

    @classmethod
    def of(cls, document: TaxDocument) -> InvoiceOut:
        issued = document.status == "issued"
        return cls(id=document.id, professional_id=document.professional_id,
                   statement_id=document.statement_id, document_type=document.document_type,
                   number=document.number, status=document.status,
                   document_date=document.document_date, before_vat=document.before_vat,
                   vat_rate=document.vat_rate, vat=document.vat,
                   outside_vat=document.outside_vat, total=document.total,
                   allocation_number=document.allocation_number,
                   held_reason=document.held_reason,
                   pdf_url=f"/api/v1/invoices/{document.id}/pdf" if issued else None)


@router.get("/invoices/{professional_id}", response_model=Page[InvoiceOut], name="invoices",
            tags=["settlement"], responses=errors(403, 404))
def invoices(professional_id: uuid.UUID, caller: CurrentCaller) -> Page[InvoiceOut]:
    """The business's tax documents, newest first; held ones say why (owners, admins)."""
    with unit_of_work(caller) as session:
        return Page(items=[InvoiceOut.of(d) for d in settlement.documents(
            session=session, caller=caller, professional_id=professional_id)])


@router.get("/invoices/{document_id}/pdf", name="invoice_pdf", tags=["settlement"],
            status_code=307, response_class=RedirectResponse,
            responses={307: {"description": "to a five-minute download link"},
                       **errors(403, 404, 409)})
def invoice_pdf(document_id: uuid.UUID, caller: CurrentCaller) -> RedirectResponse:
    """The document's PDF: the business's owners get the original, admins a copy (העתק)."""
    with unit_of_work(caller) as session:
        document = settlement.find_document(session=session, caller=caller,
                                            document_id=document_id)
        link = tax_documents.pdf_link(session, caller, document)
    return RedirectResponse(link, status_code=307)


class PaidOut(BaseModel):
    outcome: str  # paid
    statement: StatementOut


@router.post("/statements/{statement_id}/pay", response_model=PaidOut, name="pay_statement",
             tags=["settlement"], responses=errors(402, 403, 404, 409, 503))
def pay_statement(statement_id: uuid.UUID, caller: CurrentCaller) -> PaidOut:
    """An owner pays a due statement now with the business's default card (402 when the card
    is declined, 409 `no_card` without one). A business whose autopay failed for good sends
    proposals again once this succeeds."""
    outcome = autopay.pay_now(caller=caller, statement_id=statement_id)
    with unit_of_work(caller) as session:
        statement = session.get(SettlementStatement, statement_id)
        assert statement is not None
        return PaidOut(outcome=outcome, statement=StatementOut.of(statement))


@router.get("/payouts/{professional_id}", response_model=Page[WithdrawalOut], name="payouts",
            tags=["settlement"], responses=errors(403, 404))
def business_payouts(professional_id: uuid.UUID, caller: CurrentCaller) -> Page[WithdrawalOut]:
    """What the business asked to be paid out and how each request stands (owners, admins):
    in b2b mode, the months the platform owed it, once withdrawn."""
    with unit_of_work(caller) as session:
        return Page(items=[WithdrawalOut.of(w) for w in payouts.withdrawals(
            session=session, caller=caller, professional_id=professional_id)])


# --- the back office -----------------------------------------------------------------------


@router.get("/admin/settlement/statements", response_model=Page[StatementOut],
            name="month_statements", tags=["settlement"], responses=errors(403, 422))
def month_statements(caller: AdminCaller, month: MonthText) -> Page[StatementOut]:
    """Every business's statement of a month, largest debt first."""
    with unit_of_work(caller) as session:
        return Page(items=[StatementOut.of(row.statement, row.business_name)
                           for row in settlement.month_statements(
                               session=session, caller=caller, month=_month(month))])


@router.get("/admin/settlement/statements.csv", name="statements_csv", tags=["settlement"],
            response_class=Response, responses={200: {"content": {"text/csv": {}}},
                                                **errors(403, 422)})
def statements_csv(caller: AdminCaller, month: MonthText) -> Response:
    with unit_of_work(caller) as session:
        content = settlement.statements_csv(session=session, caller=caller,
                                            month=_month(month))
    return Response(content=content.encode(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition":
                             f'attachment; filename="ofair-statements-{month}.csv"'})


@router.get("/admin/invoices/held", response_model=Page[InvoiceOut], name="held_invoices",
            tags=["settlement"], responses=errors(403))
def held_invoices(caller: AdminCaller) -> Page[InvoiceOut]:
    """Invoices waiting for an allocation number, oldest first, with the reason."""
    with unit_of_work(caller) as session:
        return Page(items=[InvoiceOut.of(d) for d in settlement.held_documents(
            session=session, caller=caller)])


class CreditIn(BaseModel):
    refund_amount: Money | None = None  # what the client got back; none: all of it
    reason: MultilineText = Field(min_length=5, max_length=500)


@router.post("/admin/leads/{lead_id}/credit-note", status_code=201, response_model=InvoiceOut,
             name="credit_note", tags=["settlement"], responses=errors(403, 404, 409, 422))
def credit_note(lead_id: uuid.UUID, body: CreditIn, caller: AdminCaller) -> InvoiceOut:
    """An invoiced job's client got money back: a credit note (330) corrects its invoice."""
    return InvoiceOut.of(settlement.credit_job(caller=caller, lead_id=lead_id,
                                               refund=body.refund_amount, reason=body.reason))


class RetryOut(BaseModel):
    outcome: str  # issued | refused | unavailable
    invoice: InvoiceOut


@router.post("/admin/invoices/{document_id}/retry", response_model=RetryOut,
             name="retry_invoice", tags=["settlement"], responses=errors(403, 404, 409))
def retry_invoice(document_id: uuid.UUID, caller: AdminCaller) -> RetryOut:
    """Ask the Tax Authority again for a held invoice's allocation number."""
    outcome, document = settlement.retry_allocation(caller=caller, document_id=document_id)
    return RetryOut(outcome=outcome, invoice=InvoiceOut.of(document))
