"""B2B settlement (`SETTLEMENT_MODE=b2b`, DESIGN.md §3 and §11; issue 17).

The client pays the performer directly. The use cases here:
- `start_work`: the performer starts the awarded job (there is no checkout to start it);
- `record_close`: when the job closes, what its performer owes is recorded, frozen: one
  `b2b_charges` row and one `accrue` ledger transaction (`domain.settlement.accrual_legs`);
- `settle_month`: the `monthly_settlement` job. Set-based: a few statements claim every open
  charge of the month and earlier, write one statement per business, post the VAT, and write the
  platform's tax invoices, numbered in one block per type. An invoice that needs an allocation
  number is written `held`, unnumbered, and `request_allocations` asks the Tax Authority for
  each, one at a time and outside the settlement's transaction;
- reading: a business's balance so far this month, its statements, its documents.
Rules and arithmetic live in `domain/settlement.py` and `domain/tax.py`.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, text
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from ofair_app.adapters import invoices as authority
from ofair_app.db.engine import SYSTEM, Caller, trusted_step, unit_of_work
from ofair_app.documents.pdf import shekels
from ofair_app.domain import identity, tax
from ofair_app.domain import leads as lead_rules
from ofair_app.domain import milestones as milestone_rules
from ofair_app.domain import settlement as rules
from ofair_app.domain.errors import Conflict, Forbidden, NotFound
from ofair_app.domain.lead_actions import LeadAction
from ofair_app.domain.leads import Event
from ofair_app.domain.ledger import ZERO, Purpose, TxKind
from ofair_app.domain.proposals import ProposalStatus
from ofair_app.i18n import money
from ofair_app.models import (
    B2bCharge,
    B2bChargeReferrer,
    B2bCredit,
    B2bCreditReferrer,
    Lead,
    MemberRole,
    Milestone,
    Professional,
    ProfessionalMember,
    Proposal,
    SettlementStatement,
    TaxDocument,
)
from ofair_app.models._base import utcnow
from ofair_app.observability import logs
from ofair_app.services import (
    audit,
    commission,
    exports,
    lead_actions,
    ledger,
    notifications,
    referrals,
    tax_documents,
    users,
)
from ofair_app.services import leads as lead_service
from ofair_app.services.plans import current_plan
from ofair_app.services.professionals import require_member
from ofair_app.settings import get_settings


class NotB2b(Conflict):
    code, message_key = "not_b2b", "errors.settlement.not_b2b"


def b2b() -> bool:
    return get_settings().settlement_mode == "b2b"


# --- the job's life in b2b mode --------------------------------------------------------------


def start_work(*, session: Session, caller: Caller, lead_id: uuid.UUID) -> Lead:
    """The performer starts the job it won (b2b mode: the client pays it directly, so nothing
    is paid through the platform first). The price agreed by then is the job's final amount."""
    users.require_user(caller)
    if not b2b():
        raise NotB2b()
    lead = lead_service.find_lead(session, lead_id)
    lead_actions.require_action(session, caller, lead, LeadAction.start_work)
    # start_work is only ever the performer's action: the lead has one.
    assert lead.performer_professional_id is not None
    require_member(session=session, caller=caller, professional_id=lead.performer_professional_id)
    with trusted_step(session, caller):  # the platform moves the job on, for its performer
        locked = lead_service.find_lead(session, lead_id, lock=True)
        if locked.status != lead_rules.LeadStatus.awarded:
            raise lead_rules.IllegalTransition(params={"status": str(locked.status),
                                                       "event": str(Event.start)})
        proposal = session.exec(select(Proposal).where(
            Proposal.lead_id == locked.id, Proposal.status == ProposalStatus.accepted,
            Proposal.professional_id == locked.performer_professional_id)).one()
        plan = session.exec(current_plan(locked.id)).first()
        if plan is not None and plan.agreed_at is None:
            raise milestone_rules.PlanPending()
        locked.final_amount = proposal.price
        locked.status = lead_rules.next_status(locked.status, Event.start)
        session.add(locked)
        session.flush()
    return locked


def _charge_query(lead_id: uuid.UUID,
                  milestone: Milestone | None) -> SelectOfScalar[B2bCharge]:
    return select(B2bCharge).where(
        B2bCharge.lead_id == lead_id, col(B2bCharge.milestone_id).is_not_distinct_from(
            milestone.id if milestone is not None else None))


def record_close(session: Session, caller: Caller, lead: Lead,
                 milestone: Milestone | None = None) -> B2bCharge | None:
    """What the just-closed job (or the just-approved step of a job in milestones) owes,
    frozen now: the performer owes the platform its commission and the referrer its fee
    (collected through the platform). Once per job, or per step; a job in milestones owes
    nothing more when it closes (each step recorded its part)."""
    if not b2b() or lead.performer_professional_id is None:
        return None
    with trusted_step(session, caller):
        plan = session.exec(current_plan(lead.id)).first() if milestone is None else None
        if plan is not None and plan.agreed_at is not None:
            return None
        existing = session.exec(_charge_query(lead.id, milestone)).first()
        if existing is not None:
            return existing
        performer = session.get(Professional, lead.performer_professional_id)
        amount = milestone.amount if milestone is not None else lead.final_amount
        if amount is None:  # started before b2b mode was on: the accepted price
            amount = session.exec(select(col(Proposal.price)).where(
                Proposal.lead_id == lead.id, Proposal.status == ProposalStatus.accepted)).one()
        chain = referrals.agreed_chain(session, lead)
        priced = commission.price_job(session, lead, amount,
                                      shares=[link.share for link in chain],
                                      performer=performer)
        split = priced.split
        paid = [(link, fee) for link, fee in zip(chain, split.referrer_fees, strict=True)
                if fee]
        referrer_id = paid[0][0].professional_id if paid else None
        closed_at = lead.closed_at or utcnow()
        key = f"accrue:{lead.id}" if milestone is None else f"accrue:{lead.id}:{milestone.id}"
        tx_id, _ = ledger.record(
            session, kind=TxKind.accrue, idempotency_key=key,
            legs=rules.accrual_legs(split, performer_id=lead.performer_professional_id,
                                    referrers=[(link.professional_id, fee)
                                               for link, fee in paid]))
        charge = B2bCharge(
            lead_id=lead.id, milestone_id=milestone.id if milestone is not None else None,
            performer_professional_id=lead.performer_professional_id,
            referrer_professional_id=referrer_id, final_amount=split.final_amount,
            platform_commission=split.platform_commission, referrer_fee=split.referrer_fee,
            commission_rule_id=priced.rule.id, closed_at=closed_at,
            month=rules.month_of(closed_at), transaction_id=tx_id)
        session.add(charge)
        session.flush()
        session.add_all(B2bChargeReferrer(charge_id=charge.id, position=position,
                                          professional_id=link.professional_id,
                                          share_pct=link.share, fee=fee)
                        for position, (link, fee) in enumerate(paid, start=1))
        session.flush()
    return charge


def charge_referrers(session: Session, charge_id: uuid.UUID) -> list[B2bChargeReferrer]:
    """The charge's referrers in the chain's order (read as the platform or a party)."""
    return list(session.exec(select(B2bChargeReferrer).where(
        B2bChargeReferrer.charge_id == charge_id).order_by(
        col(B2bChargeReferrer.position))).all())


# --- disputes before settlement ------------------------------------------------------------


def charge_of(session: Session, lead_id: uuid.UUID) -> B2bCharge | None:
    """The job's charge, if it closed in b2b mode (read as the platform)."""
    return session.exec(_charge_query(lead_id, None)).first()


def disputable(session: Session, caller: Caller, lead: Lead) -> bool:
    """Whether a b2b job may be disputed now: started and not closed, or closed with its
    charge not yet on a statement (a settled month is corrected by a credit note)."""
    if lead.status in (lead_rules.LeadStatus.in_progress, lead_rules.LeadStatus.completed):
        return True
    if lead.status != lead_rules.LeadStatus.closed:
        return False
    with trusted_step(session, caller):
        charge = charge_of(session, lead.id)
    return charge is not None and charge.status == rules.ChargeStatus.open


def freeze(session: Session, caller: Caller, lead_id: uuid.UUID,
           milestone_id: uuid.UUID | None = None) -> None:
    """A dispute was opened: no statement takes the job's (or the step's) charge until it
    ends."""
    with trusted_step(session, caller):
        session.execute(text("UPDATE b2b_charges SET status = 'frozen'"
                             " WHERE lead_id = :lead AND status = 'open'"
                             " AND milestone_id IS NOT DISTINCT FROM :step"),
                        {"lead": lead_id, "step": milestone_id})


def after_dispute(session: Session, caller: Caller, lead: Lead, *, dispute_id: uuid.UUID,
                  cancelled: bool, milestone: Milestone | None = None) -> None:
    """An admin settled a b2b job's dispute (the lead has its new status and final amount):
    - released: the charge goes back to waiting for its statement (or, for a job disputed
      before it closed, is recorded now);
    - cancelled: the charge is taken back on the ledger and never settled;
    - a reduced price: the charge is taken back and recorded again at the new amount.
    A step's dispute (`milestone`, its new amount set) does the same to that step's charge."""
    amount = milestone.amount if milestone is not None else lead.final_amount
    with trusted_step(session, caller):
        charge = session.exec(_charge_query(lead.id, milestone).with_for_update()).first()
        if charge is None:
            if not cancelled:
                record_close(session, SYSTEM, lead, milestone=milestone)
            return
        if charge.status not in (rules.ChargeStatus.open, rules.ChargeStatus.frozen):
            return
        unchanged = not cancelled and amount == charge.final_amount
        if unchanged:
            charge.status = rules.ChargeStatus.open
            session.add(charge)
            session.flush()
            return
        referrers = charge_referrers(session, charge.id)
        ledger.record(session, kind=TxKind.accrue_reversal,
                      idempotency_key=f"accrue_reversal:{charge.transaction_id}",
                      legs=rules.reversal_legs(rules.charge_legs(
                          charge.platform_commission,
                          [(r.professional_id, r.fee) for r in referrers],
                          performer_id=charge.performer_professional_id)))
        if cancelled:
            charge.status = rules.ChargeStatus.reversed
            session.add(charge)
            session.flush()
            return
        performer = session.get(Professional, charge.performer_professional_id)
        assert amount is not None
        # the price changed; the chain's shares and the rule frozen at close stay
        split = commission.price_job(
            session, lead, amount, shares=[r.share_pct for r in referrers],
            performer=performer, at=charge.closed_at,
            rule=commission.frozen_rule(session, charge.commission_rule_id)).split
        for referrer, fee in zip(referrers, split.referrer_fees, strict=True):
            referrer.fee = fee
            session.add(referrer)
        tx_id, _ = ledger.record(
            session, kind=TxKind.accrue, idempotency_key=f"accrue:{lead.id}:{dispute_id}",
            legs=rules.accrual_legs(split, performer_id=charge.performer_professional_id,
                                    referrers=[(r.professional_id, r.fee)
                                               for r in referrers]))
        charge.final_amount, charge.platform_commission = (split.final_amount,
                                                           split.platform_commission)
        charge.referrer_fee, charge.transaction_id = split.referrer_fee, tx_id
        charge.status = rules.ChargeStatus.open
        session.add(charge)
        session.flush()


# --- after invoicing: credit notes -----------------------------------------------------------


class NotInvoiced(Conflict):
    code, message_key = "not_invoiced", "errors.settlement.not_invoiced"


def credit_job(*, caller: Caller, lead_id: uuid.UUID, refund: object = None,
               reason: str) -> TaxDocument:
    """An admin corrects an invoiced job whose client got money back from the performer
    (`refund`; none: all of it): a credit note (330) corrects the invoice the job was on,
    giving back the platform's fee on the refunded part with the VAT at that invoice's rate,
    and the referral fee on it (which the referrer gives back). The ledger records it now; the
    credit reaches the businesses' next statements. A job not yet invoiced is settled through
    a dispute instead (409 `not_invoiced`)."""
    users.require_admin(caller)
    note = identity.clean_text(reason, field="reason", min_length=5, max_length=500,
                               multiline=True)
    with unit_of_work(caller) as session:
        charge = session.exec(_charge_query(lead_id, None)
                              .with_for_update()).first()
        if charge is None:
            raise NotFound("errors.lead.not_found", code="not_found")
        invoice = session.exec(select(TaxDocument).where(
            TaxDocument.statement_id == charge.performer_statement_id,
            col(TaxDocument.document_type).in_([int(tax.DocumentType.tax_invoice),
                                                int(tax.DocumentType.tax_invoice_receipt)]),
            TaxDocument.status == "issued")).first()
        if charge.status != rules.ChargeStatus.settled or invoice is None:
            raise NotInvoiced()
        before = session.exec(select(B2bCredit).where(B2bCredit.charge_id == charge.id)).all()
        given = sum((c.refund for c in before), ZERO)
        left = charge.final_amount - given
        amount = left if refund is None else lead_rules.parse_money(
            refund, field="refund_amount", minimum=Decimal("0.01"), maximum=left)
        lead = session.get(Lead, lead_id)
        assert lead is not None
        fee_back, referrers = _credited(session, charge, lead, given, amount)
        fee = sum((part for _, part in referrers), ZERO)
        vat = tax.vat_on(fee_back, invoice.vat_rate)
        kind = tax.DocumentType.credit_note
        number = tax_documents.next_number(session, kind)
        title = lead.title[:80]
        lines = [{"kind": "fee", "lead_id": str(lead_id), "amount": str(fee_back),
                  "description": f"זיכוי עמלת פלטפורמה: {title} (החזר ללקוח "
                                 f"{shekels(amount)}, לחשבונית {invoice.number})"}]
        if fee:
            lines.append({"kind": "collected", "lead_id": str(lead_id), "amount": str(fee),
                          "description": f"זיכוי דמי הפניה שנגבו בשם עמית: {title}"})
        document = TaxDocument(
            professional_id=charge.performer_professional_id, corrects_id=invoice.id,
            document_type=int(kind), number=number, status="issued",
            document_date=tax.israel_date(utcnow()), customer_name=invoice.customer_name,
            customer_number=invoice.customer_number, customer_address=invoice.customer_address,
            customer_is_dealer=invoice.customer_is_dealer, lines=lines, before_vat=fee_back,
            vat_rate=invoice.vat_rate, vat=vat, outside_vat=fee, total=fee_back + vat + fee,
            issued_at=utcnow())
        session.add(document)
        session.flush()
        tx_id, _ = ledger.record(
            session, kind=TxKind.credit_note, idempotency_key=f"credit_note:{document.id}",
            created_by=caller.user_id, note=note,
            legs=rules.credit_note_legs(fee_back, vat,
                                        [(r.professional_id, part) for r, part in referrers],
                                        performer_id=charge.performer_professional_id))
        credit = B2bCredit(
            charge_id=charge.id, document_id=document.id,
            performer_professional_id=charge.performer_professional_id,
            referrer_professional_id=charge.referrer_professional_id if fee else None,
            refund=amount, commission=fee_back, vat=vat, referrer_fee=fee,
            month=rules.month_of(utcnow()), transaction_id=tx_id, reason=note,
            created_by=caller.user_id)
        session.add(credit)
        session.flush()
        logs.action("b2b_credit", credit.id, "credit note issued", lead=lead_id,
                    document=document.id, professional=charge.performer_professional_id,
                    refund=amount, ledger_transaction=tx_id)
        session.add_all(B2bCreditReferrer(credit_id=credit.id, position=r.position,
                                          professional_id=r.professional_id,
                                          share_pct=r.share_pct, fee=part)
                        for r, part in referrers if part)
        audit.change(session=session, caller=caller, action="settlement.credit_note",
                     subject_type="lead", subject_id=lead_id,
                     before={"refunded": str(given)}, after={"refunded": str(given + amount)},
                     refund=str(amount), document=str(document.id))
        session.flush()
        return document


def _credited(session: Session, charge: B2bCharge, lead: Lead, given: Decimal,
              amount: Decimal) -> tuple[Decimal, list[tuple[B2bChargeReferrer, Decimal]]]:
    """(platform fee, each referrer's fee) to give back when `amount` more of the job's price
    is refunded, `given` having been refunded before: the fees at the price before, less the
    fees at the price after (none at all once nothing is left), at the chain's frozen shares
    and the rule frozen at close."""
    referrers = charge_referrers(session, charge.id)
    performer = session.get(Professional, charge.performer_professional_id)

    def fees(price: Decimal) -> tuple[Decimal, tuple[Decimal, ...]]:
        if price <= 0:
            return ZERO, (ZERO,) * len(referrers)
        if price == charge.final_amount:
            return charge.platform_commission, tuple(r.fee for r in referrers)
        split = commission.price_job(
            session, lead, price, shares=[r.share_pct for r in referrers],
            performer=performer, at=charge.closed_at, any_amount=True,
            rule=commission.frozen_rule(session, charge.commission_rule_id)).split
        return split.platform_commission, split.referrer_fees

    before, after = fees(charge.final_amount - given), fees(charge.final_amount - given - amount)
    return before[0] - after[0], [(r, b - a) for r, b, a in zip(referrers, before[1], after[1],
                                                                  strict=True)]


# --- the month's settlement ------------------------------------------------------------------

# Every open charge of the month and before whose businesses have no statement for the month
# yet, locked: a run at the same time waits for these rows, then finds them settled (and a
# later run finds the statements) and takes nothing. `_SETTLE` marks them once the statements
# exist, in one write per row.
def _unsettled(referrers: str, fk: str) -> str:
    return f"""
    WHERE c.status = 'open' AND c.month <= :month
      AND NOT EXISTS (SELECT 1 FROM settlement_statements s
                      WHERE s.month = :month
                        AND (s.professional_id = c.performer_professional_id
                             OR s.professional_id IN (SELECT r.professional_id
                                                      FROM {referrers} r
                                                      WHERE r.{fk} = c.id)))
    FOR UPDATE OF c
"""  # noqa: S608 - the table names are ours


def _chain(referrers: str, fk: str) -> str:
    """Each referrer of the row's chain and its fee, in order."""
    return f"""
           (SELECT array_agg(r.professional_id ORDER BY r.position) FROM {referrers} r
            WHERE r.{fk} = c.id) AS chain_ids,
           (SELECT array_agg(r.fee ORDER BY r.position) FROM {referrers} r
            WHERE r.{fk} = c.id) AS chain_fees"""  # noqa: S608 - the table names are ours


_CLAIM = text("""
    SELECT c.id, c.lead_id, c.performer_professional_id, c.referrer_professional_id,
           c.final_amount, c.platform_commission, c.referrer_fee, l.title,""" + _chain(  # noqa: S608
    "b2b_charge_referrers", "charge_id") + """
    FROM b2b_charges c JOIN leads l ON l.id = c.lead_id
""" + _unsettled("b2b_charge_referrers", "charge_id"))

# Credit notes of invoiced jobs since the businesses' last statements, claimed the same way.
_CLAIM_CREDITS = text("""
    SELECT c.id, c.performer_professional_id, c.referrer_professional_id, c.commission, c.vat,
           c.referrer_fee,""" + _chain("b2b_credit_referrers", "credit_id") + """
    FROM b2b_credits c
""" + _unsettled("b2b_credit_referrers", "credit_id"))  # noqa: S608 - constant SQL of this module


def _referrers_of(row: Row[Any]) -> list[tuple[uuid.UUID, Decimal]]:
    """A claimed row's chain: each referrer and its fee."""
    return list(zip(row.chain_ids or (), row.chain_fees or (), strict=True))

# A credit carried from an earlier month: the business's latest statement, if it is a credit.
_CARRIED = text("""
    SELECT DISTINCT ON (professional_id) professional_id, id, amount_due, status
    FROM settlement_statements
    WHERE professional_id = ANY(CAST(:ids AS uuid[])) AND month < :month
    ORDER BY professional_id, month DESC
""")

_WRITE_STATEMENTS = text("""
    INSERT INTO settlement_statements (professional_id, month, issued_on, jobs, fees, vat_rate,
        vat, referral_owed, referral_earned, carried_in, credits, amount_due, status,
        next_attempt_at)
    SELECT CAST(s ->> 'professional_id' AS uuid), :month, :issued_on,
           CAST(s ->> 'jobs' AS integer), CAST(s ->> 'fees' AS numeric),
           CAST(s ->> 'vat_rate' AS numeric), CAST(s ->> 'vat' AS numeric),
           CAST(s ->> 'referral_owed' AS numeric), CAST(s ->> 'referral_earned' AS numeric),
           CAST(s ->> 'carried_in' AS numeric), CAST(s ->> 'credits' AS numeric),
           CAST(s ->> 'amount_due' AS numeric),
           s ->> 'status', CASE WHEN s ->> 'status' = 'due' THEN CAST(:as_of AS timestamptz) END
    FROM jsonb_array_elements(CAST(:statements AS jsonb)) AS t(s)
    ON CONFLICT (professional_id, month) DO NOTHING
    RETURNING professional_id, id
""")

# The claimed charges (and credits) are settled, each with the statements that took it: the
# performer's and the referrer's.
_SETTLE = {table: text(f"""
    UPDATE {table} c
    SET status = 'settled', performer_statement_id = took.performer,
        referrer_statement_id = took.referrer
    FROM unnest(CAST(:ids AS uuid[]), CAST(:performers AS uuid[]),
                CAST(:referrers AS uuid[])) AS took(id, performer, referrer)
    WHERE c.id = took.id
""") for table in ("b2b_charges", "b2b_credits")}  # noqa: S608 - the table names are ours
# ... and each referrer's part of them with the referrer's statement.
_SETTLE_REFERRERS = {table: text(f"""
    UPDATE {referrers} r SET statement_id = took.statement
    FROM unnest(CAST(:ids AS uuid[]), CAST(:businesses AS uuid[]),
                CAST(:statements AS uuid[])) AS took(id, business, statement)
    WHERE r.{fk} = took.id AND r.professional_id = took.business
""") for table, referrers, fk in (("b2b_charges", "b2b_charge_referrers", "charge_id"),  # noqa: S608
                                  ("b2b_credits", "b2b_credit_referrers", "credit_id"))}


def _settle(session: Session, table: str, claimed: Sequence[Row[Any]],
            statements: dict[uuid.UUID, uuid.UUID]) -> None:
    if not claimed:
        return
    session.execute(_SETTLE[table], {
        "ids": [row.id for row in claimed],
        "performers": [statements[row.performer_professional_id] for row in claimed],
        "referrers": [statements.get(row.referrer_professional_id) for row in claimed]})
    parts = [(row.id, business) for row in claimed for business, _ in _referrers_of(row)]
    if parts:
        session.execute(_SETTLE_REFERRERS[table], {
            "ids": [row_id for row_id, _ in parts],
            "businesses": [business for _, business in parts],
            "statements": [statements[business] for _, business in parts]})


_MARK_CARRIED = text("""
    UPDATE settlement_statements SET status = 'carried'
    WHERE id = ANY(CAST(:ids AS uuid[])) AND status = 'credit'
""")

_WRITE_DOCUMENTS = text("""
    INSERT INTO tax_documents (professional_id, statement_id, document_type, number, status,
        document_date, customer_name, customer_number, customer_address, customer_is_dealer,
        lines, before_vat, vat_rate, vat, outside_vat, total, held_reason, issued_at)
    SELECT CAST(d ->> 'professional_id' AS uuid), CAST(d ->> 'statement_id' AS uuid),
           CAST(d ->> 'document_type' AS smallint), CAST(d ->> 'number' AS bigint),
           d ->> 'status', :document_date, d ->> 'customer_name', d ->> 'customer_number',
           d ->> 'customer_address', CAST(d ->> 'customer_is_dealer' AS boolean), d -> 'lines',
           CAST(d ->> 'before_vat' AS numeric), CAST(d ->> 'vat_rate' AS numeric),
           CAST(d ->> 'vat' AS numeric), CAST(d ->> 'outside_vat' AS numeric),
           CAST(d ->> 'total' AS numeric), d ->> 'held_reason',
           CASE WHEN d ->> 'status' = 'issued' THEN now() END
    FROM jsonb_array_elements(CAST(:documents AS jsonb)) AS t(d)
    ON CONFLICT DO NOTHING
""")

AWAITING_ALLOCATION = "awaiting an allocation number from the Tax Authority"


@dataclass(frozen=True)
class SettlementRun:
    month: date
    charges: int  # closed jobs settled now
    statements: int
    invoices: int  # issued now
    held: int  # waiting for an allocation number (or an admin)
    vat: Decimal


def _lines_by_business(claimed: Sequence[Row[Any]]) -> dict[uuid.UUID, list[rules.ChargeLine]]:
    lines: dict[uuid.UUID, list[rules.ChargeLine]] = defaultdict(list)
    for row in claimed:
        lines[row.performer_professional_id].append(rules.ChargeLine(
            charge_id=row.id, lead_id=row.lead_id, final_amount=row.final_amount,
            fee=row.platform_commission, referral_owed=row.referrer_fee,
            referral_earned=ZERO, title=row.title))
        for referrer_id, fee in _referrers_of(row):
            lines[referrer_id].append(rules.ChargeLine(
                charge_id=row.id, lead_id=row.lead_id, final_amount=row.final_amount,
                fee=ZERO, referral_owed=ZERO, referral_earned=fee, title=row.title))
    return lines


def _invoice_lines(lines: list[rules.ChargeLine]) -> list[dict[str, str]]:
    """What the invoice lists (in Hebrew, as the document is): one line per job's platform
    fee, and the referral fees the platform collects for colleagues (outside the VAT base)."""
    listed = []
    for line in lines:
        job = f"{line.title[:80]} (עבודה בסך {shekels(line.final_amount)})"
        if line.fee:
            listed.append({"kind": "fee", "lead_id": str(line.lead_id),
                           "description": f"עמלת פלטפורמה: {job}", "amount": str(line.fee)})
        if line.referral_owed:
            listed.append({"kind": "collected", "lead_id": str(line.lead_id),
                           "description": f"דמי הפניה לעמית, נגבים בשמו: {job}",
                           "amount": str(line.referral_owed)})
    return listed


def settle_month(*, session: Session, month: date, as_of: datetime) -> SettlementRun:
    """Settle `month` (the first of a month over by `as_of`) for every business with charges
    open in it or before: one statement each, VAT posted, tax invoices written. System only;
    the caller's transaction holds it all, so it happens whole or not at all."""
    rules.settleable(month, as_of)
    issued_on = tax.israel_date(as_of)
    claimed = session.execute(_CLAIM, {"month": month}).all()
    credited = session.execute(_CLAIM_CREDITS, {"month": month}).all()
    lines = _lines_by_business(claimed)
    credits: dict[uuid.UUID, Decimal] = defaultdict(lambda: ZERO)
    for row in credited:
        credits[row.performer_professional_id] -= row.commission + row.vat + row.referrer_fee
        for referrer_id, fee in _referrers_of(row):
            credits[referrer_id] += fee
    businesses = list(dict.fromkeys([*lines, *credits]))
    if not businesses:
        return SettlementRun(month=month, charges=0, statements=0, invoices=0, held=0, vat=ZERO)
    carried = {row.professional_id: row for row in session.execute(
        _CARRIED, {"ids": businesses, "month": month}).all()
        if row.status == rules.StatementStatus.credit}
    figures = {pid: rules.net(lines.get(pid, []), on=issued_on, credits=credits.get(pid, ZERO),
                              carried_in=(carried[pid].amount_due if pid in carried else ZERO))
               for pid in businesses}
    written = dict(session.execute(_WRITE_STATEMENTS, {
        "month": month, "issued_on": issued_on, "as_of": as_of,
        "statements": json.dumps([{
            "professional_id": str(pid), "jobs": len(lines.get(pid, [])),
            "fees": str(f.fees), "vat_rate": str(f.vat_rate), "vat": str(f.vat),
            "referral_owed": str(f.referral_owed), "referral_earned": str(f.referral_earned),
            "carried_in": str(f.carried_in), "credits": str(f.credits),
            "amount_due": str(f.amount_due), "status": str(f.status)}
            for pid, f in figures.items()])}).all())
    _settle(session, "b2b_charges", claimed, written)
    _settle(session, "b2b_credits", credited, written)
    session.execute(_MARK_CARRIED, {"ids": [carried[pid].id for pid in businesses
                                            if pid in carried]})
    vat_postings = [ledger.Posting(idempotency_key=f"vat:{written[pid]}", payment_id=None,
                                   pending_id=None, legs=rules.vat_legs(f.vat, pid))
                    for pid, f in figures.items() if f.vat]
    ledger.record_many(session, kind=TxKind.vat, postings=vat_postings)
    _pay_out_credits(session, figures, written, as_of)
    issued, held = _write_invoices(session, figures, lines, written, issued_on)
    return SettlementRun(month=month, charges=len(claimed), statements=len(written),
                         invoices=issued, held=held,
                         vat=sum((f.vat for f in figures.values()), ZERO))


_PAYOUT_CREDITS = text("""
    UPDATE settlement_statements s SET status = 'paid', paid_at = :as_of
    FROM professionals p
    WHERE p.id = s.professional_id AND s.id = ANY(CAST(:ids AS uuid[]))
      AND s.status = 'credit' AND p.settlement_credit = 'payout'
    RETURNING s.id, s.professional_id, s.amount_due
""")


def _pay_out_credits(session: Session, figures: dict[uuid.UUID, rules.StatementFigures],
                     statements: dict[uuid.UUID, uuid.UUID], as_of: datetime) -> None:
    """A month the platform owes a business for becomes withdrawable (its wallet's available
    balance, paid out through the usual withdrawal) when the business asked for payouts; the
    others carry it to their next statement."""
    credits = [statements[pid] for pid, f in figures.items()
               if f.status == rules.StatementStatus.credit]
    if not credits:
        return
    paid = session.execute(_PAYOUT_CREDITS, {"ids": credits, "as_of": as_of}).all()
    ledger.record_many(session, kind=TxKind.statement_credit, postings=[ledger.Posting(
        idempotency_key=f"statement_credit:{row.id}", payment_id=None, pending_id=None,
        legs=rules.payout_legs(-row.amount_due, row.professional_id)) for row in paid])


def _write_invoices(session: Session, figures: dict[uuid.UUID, rules.StatementFigures],
                    lines: dict[uuid.UUID, list[rules.ChargeLine]],
                    statements: dict[uuid.UUID, uuid.UUID], on: date) -> tuple[int, int]:
    """A tax invoice (305) for every statement with platform fees: numbered now in one block,
    or held unnumbered when it needs an allocation number first."""
    invoiced = [pid for pid, f in figures.items() if f.fees]
    customers = tax_documents.customers_of(session, invoiced)
    kind = tax.DocumentType.tax_invoice
    waits = {pid for pid in invoiced if tax.needs_allocation(
        kind, figures[pid].fees, on, customer_is_dealer=customers[pid]["customer_is_dealer"])}
    ready = [pid for pid in invoiced if pid not in waits]
    numbers = tax_documents.take_numbers(session, kind, len(ready))
    number_of = dict(zip(ready, numbers, strict=True))
    documents = []
    for pid in invoiced:
        f = figures[pid]
        documents.append({
            "professional_id": str(pid), "statement_id": str(statements[pid]),
            "document_type": int(kind), "number": number_of.get(pid),
            "status": "held" if pid in waits else "issued",
            "held_reason": AWAITING_ALLOCATION if pid in waits else "",
            "lines": _invoice_lines(lines[pid]), "before_vat": str(f.fees),
            "vat_rate": str(f.vat_rate), "vat": str(f.vat), "outside_vat": str(f.referral_owed),
            "total": str(f.fees + f.vat + f.referral_owed), **customers[pid]})
    session.execute(_WRITE_DOCUMENTS, {"document_date": on, "documents": json.dumps(documents)})
    notifications.tell_all(session=session, caller=SYSTEM, notices=[
        _invoice_notice(pid, number_of[pid], figures[pid].fees + figures[pid].vat
                        + figures[pid].referral_owed) for pid in ready])
    return len(ready), len(waits)


def _invoice_notice(professional_id: uuid.UUID, number: int,
                    total: Decimal) -> notifications.Notice:
    invoices_url = f"{get_settings().ofair_public_url.rstrip('/')}/pro/invoices"
    return notifications.Notice(
        template="invoice_issued", businesses=(professional_id,),
        params=lambda locale: {"number": str(number), "total": money(total, locale),
                               "invoices_url": invoices_url})


# --- allocation numbers ----------------------------------------------------------------------


def request_allocations(*, limit: int = 100) -> dict[str, int]:
    """Ask the Tax Authority for the number of each held invoice, one transaction each: the
    invoice is numbered, asked about, and issued with the answer; a refusal or no answer rolls
    the number back (no gap) and the invoice stays held with the reason."""
    with unit_of_work(SYSTEM) as session:
        held = list(session.exec(select(TaxDocument.id).where(TaxDocument.status == "held")
                                 .order_by(col(TaxDocument.created_at)).limit(limit)).all())
    counts = {"issued": 0, "refused": 0, "unavailable": 0}
    for document_id in held:
        counts[_allocate(document_id)] += 1
    return counts


def _ask_authority(document: TaxDocument, number: int) -> tuple[str, str | None, str]:
    """(outcome, allocation number, reason) for `document` numbered `number`."""
    try:
        result = authority.get_authority().request_allocation(authority.AllocationRequest(
            invoice_number=str(number), document_type=int(document.document_type),
            invoice_date=document.document_date,
            vat_number=get_settings().invoice_issuer_number,
            customer_vat_number=document.customer_number,
            amount_before_vat=document.before_vat, vat_amount=document.vat,
            total=document.before_vat + document.vat))
    except authority.AllocationRefused as refused:
        return "refused", None, " ".join(filter(None, (
            "refused:", refused.result.reason_code, refused.result.reason)))
    except authority.AuthorityUnavailable as unavailable:
        return "unavailable", None, f"no answer: {unavailable.reason}"
    except ValueError as bad:  # e.g. the business's number is not a dealer number
        return "refused", None, f"not sent: {bad}"
    return "issued", result.allocation_number, ""


def _allocate(document_id: uuid.UUID) -> str:
    with unit_of_work(SYSTEM) as session:
        document = session.exec(select(TaxDocument).where(TaxDocument.id == document_id)
                                .with_for_update(skip_locked=True)).first()
        if document is None or document.status != "held":
            return "unavailable"
        numbering = session.begin_nested()  # a refusal gives the number back: no gap
        tax_documents.paid_at_once(session, document)  # paid while held: a 320
        number = tax_documents.next_number(session, tax.DocumentType(document.document_type))
        outcome, allocation, reason = _ask_authority(document, number)
        if outcome == "issued":
            document.number, document.status, document.allocation_number = (
                number, "issued", allocation)
            document.held_reason, document.issued_at = "", utcnow()
            session.add(document)
            session.flush()
            numbering.commit()
            notifications.tell_all(session=session, caller=SYSTEM, notices=[_invoice_notice(
                document.professional_id, number, document.total)])
        else:
            numbering.rollback()
            document.held_reason = reason[:300]
            session.add(document)
    return outcome


# --- reading ---------------------------------------------------------------------------------


def _require_owner_or_admin(session: Session, caller: Caller, professional_id: uuid.UUID) -> None:
    """Money matters of a business are for its owners (a suspended business's too: its
    invoices stay its own) and admins; anyone else gets 403."""
    users.require_user(caller)
    if caller.role == "admin":
        return
    role = session.exec(select(ProfessionalMember.role).where(
        ProfessionalMember.professional_id == professional_id,
        ProfessionalMember.user_id == caller.user_id)).first()
    if role != MemberRole.owner:
        raise Forbidden("errors.professional.owner_only", code="owner_only")


@dataclass(frozen=True)
class Balance:
    """A business's b2b position: what it owes (+) or is owed (-) in all, and this month's
    charges not yet on a statement."""

    professional_id: uuid.UUID
    balance: Decimal
    month: date
    month_jobs: int
    month_fees: Decimal
    month_referral_owed: Decimal
    month_referral_earned: Decimal


def balance(*, session: Session, caller: Caller, professional_id: uuid.UUID,
            now: datetime | None = None) -> Balance:
    """Owners of the business and admins only."""
    _require_owner_or_admin(session, caller, professional_id)
    moment = now or utcnow()
    month = rules.month_of(moment)
    charges = session.exec(select(B2bCharge).where(
        col(B2bCharge.status).in_([rules.ChargeStatus.open, rules.ChargeStatus.frozen]),
        (B2bCharge.performer_professional_id == professional_id)
        | (B2bCharge.referrer_professional_id == professional_id))).all()
    mine = [c for c in charges if c.month == month]
    return Balance(
        professional_id=professional_id,
        balance=ledger.account_balance(session, Purpose.pro_settlement, professional_id),
        month=month, month_jobs=len(mine),
        month_fees=sum((c.platform_commission for c in mine
                        if c.performer_professional_id == professional_id), ZERO),
        month_referral_owed=sum((c.referrer_fee for c in mine
                                 if c.performer_professional_id == professional_id), ZERO),
        month_referral_earned=sum((c.referrer_fee for c in mine
                                   if c.referrer_professional_id == professional_id), ZERO))


def statements(*, session: Session, caller: Caller,
               professional_id: uuid.UUID) -> list[SettlementStatement]:
    _require_owner_or_admin(session, caller, professional_id)
    return list(session.exec(select(SettlementStatement).where(
        SettlementStatement.professional_id == professional_id)
        .order_by(col(SettlementStatement.month).desc())).all())


def documents(*, session: Session, caller: Caller,
              professional_id: uuid.UUID) -> list[TaxDocument]:
    """The business's tax documents, newest first; held ones too (shown as pending)."""
    _require_owner_or_admin(session, caller, professional_id)
    return list(session.exec(select(TaxDocument).where(
        TaxDocument.professional_id == professional_id)
        .order_by(col(TaxDocument.created_at).desc(), col(TaxDocument.number).desc())).all())


def find_document(*, session: Session, caller: Caller, document_id: uuid.UUID) -> TaxDocument:
    users.require_user(caller)
    document = session.get(TaxDocument, document_id)
    if document is None:
        raise NotFound("errors.settlement.no_document", code="no_document")
    _require_owner_or_admin(session, caller, document.professional_id)
    return document


@dataclass(frozen=True)
class StatementLine:
    """One closed job on a statement, as the statement's business sees it: the fees it owes
    as the performer, or the referral fee it earned as the referrer."""

    lead_id: uuid.UUID
    title: str
    closed_at: datetime
    final_amount: Decimal
    role: str  # performer | referrer
    fee: Decimal  # the platform's commission (the performer's line)
    referral_fee: Decimal  # owed (performer) or earned (referrer)


def statement_lines(*, session: Session, caller: Caller,
                    statement_id: uuid.UUID) -> list[StatementLine]:
    """The jobs a statement settled, oldest first: for a referrer, its statement of the fees
    earned from colleagues (owners of the business and admins)."""
    statement = session.get(SettlementStatement, statement_id)
    if statement is None:
        raise NotFound("errors.settlement.no_statement", code="no_statement")
    _require_owner_or_admin(session, caller, statement.professional_id)
    with trusted_step(session, caller):  # the lead's title, for the statement's own jobs
        performed = session.exec(select(B2bCharge, Lead.title)
                                 .join(Lead, col(Lead.id) == B2bCharge.lead_id)
                                 .where(B2bCharge.performer_statement_id == statement.id)).all()
        referred = session.exec(
            select(B2bCharge, Lead.title, col(B2bChargeReferrer.fee))
            .join(Lead, col(Lead.id) == B2bCharge.lead_id)
            .join(B2bChargeReferrer, col(B2bChargeReferrer.charge_id) == B2bCharge.id)
            .where(B2bChargeReferrer.statement_id == statement.id)).all()
    lines = [StatementLine(lead_id=charge.lead_id, title=title, closed_at=charge.closed_at,
                           final_amount=charge.final_amount, role="performer",
                           fee=charge.platform_commission, referral_fee=charge.referrer_fee)
             for charge, title in performed]
    lines += [StatementLine(lead_id=charge.lead_id, title=title, closed_at=charge.closed_at,
                            final_amount=charge.final_amount, role="referrer", fee=ZERO,
                            referral_fee=fee)  # its own part of the chain's fees
              for charge, title, fee in referred]
    return sorted(lines, key=lambda line: line.closed_at)



# --- the back office ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StatementRow:
    statement: SettlementStatement
    business_name: str
    business_number: str


def month_statements(*, session: Session, caller: Caller, month: date) -> list[StatementRow]:
    """Every business's statement of `month` (admins), largest debt first."""
    users.require_admin(caller)
    found = session.exec(select(SettlementStatement, Professional.business_name,
                                Professional.business_id)
                         .join(Professional, col(Professional.id)
                               == SettlementStatement.professional_id)
                         .where(SettlementStatement.month == month)
                         .order_by(col(SettlementStatement.amount_due).desc(),
                                   col(Professional.business_name))).all()
    return [StatementRow(statement=s, business_name=name, business_number=number)
            for s, name, number in found]


def statements_csv(*, session: Session, caller: Caller, month: date) -> str:
    """The month's statements as CSV (for the accountant): one row per business."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["month", "business", "business_number", "jobs", "fees", "vat_rate",
                     "vat", "referral_owed", "referral_earned", "carried_in", "amount_due",
                     "status"])
    for row in month_statements(session=session, caller=caller, month=month):
        s = row.statement
        writer.writerow([f"{s.month:%Y-%m}", exports.csv_safe(row.business_name),
                         row.business_number, s.jobs, s.fees, s.vat_rate, s.vat,
                         s.referral_owed, s.referral_earned, s.carried_in, s.amount_due,
                         s.status])
    return out.getvalue()


def held_documents(*, session: Session, caller: Caller) -> list[TaxDocument]:
    """Invoices waiting for an allocation number, oldest first, with the reason (admins)."""
    users.require_admin(caller)
    return list(session.exec(select(TaxDocument).where(TaxDocument.status == "held")
                             .order_by(col(TaxDocument.created_at))).all())


def retry_allocation(*, caller: Caller, document_id: uuid.UUID) -> tuple[str, TaxDocument]:
    """An admin asks the Tax Authority again for a held invoice's number: (the outcome, the
    document as it stands after). An issued one answers 409."""
    with unit_of_work(caller) as session:
        users.require_admin(caller)
        document = session.get(TaxDocument, document_id)
        if document is None:
            raise NotFound("errors.settlement.no_document", code="no_document")
        if document.status != "held":
            raise Conflict("errors.settlement.already_issued", code="already_issued")
    outcome = _allocate(document_id)
    with unit_of_work(caller) as session:
        found = session.get(TaxDocument, document_id)
        assert found is not None
        audit.change(session=session, caller=caller, action="settlement.allocation_retry",
                     subject_type="tax_document", subject_id=document_id,
                     before={"status": "held"},
                     after={"status": found.status, "number": found.number,
                            "document_type": found.document_type},
                     outcome=outcome, reason=found.held_reason)
        return outcome, found


def statement_months(*, session: Session, caller: Caller) -> list[date]:
    """The months that have statements, newest first (admins)."""
    users.require_admin(caller)
    return list(session.exec(select(col(SettlementStatement.month)).distinct()
                             .order_by(col(SettlementStatement.month).desc()).limit(36)).all())


def autopay_failures(*, session: Session, caller: Caller) -> list[StatementRow]:
    """Statements still due after a failed charge, any month, most tries first (admins)."""
    users.require_admin(caller)
    found = session.exec(select(SettlementStatement, Professional.business_name,
                                Professional.business_id)
                         .join(Professional, col(Professional.id)
                               == SettlementStatement.professional_id)
                         .where(SettlementStatement.status == rules.StatementStatus.due,
                                SettlementStatement.autopay_attempts > 0)
                         .order_by(col(SettlementStatement.autopay_attempts).desc(),
                                   col(SettlementStatement.month))).all()
    return [StatementRow(statement=s, business_name=name, business_number=number)
            for s, name, number in found]
