"""A stateful property test of the money path against the real database: hypothesis drives
random sequences of payments (of whole jobs and of single milestones of a job agreed in
steps; of consumers' jobs and of referral chains of one to three referrers), refunds (before
and after the release), releases, withdrawals, decisions and payouts through the services,
and after every step checks the ledger's invariants, as mature ledgers publish them:

- every transaction's entries sum to zero, so all balances sum to zero;
- each balance equals its credits minus its debits, and matches a model kept beside it;
- no business's available balance is negative unless it owes a refund made after a release;
- nothing is updated in place (entries written earlier are unchanged), and each hold is
  resolved at most once.
"""

from __future__ import annotations

import hashlib
import uuid
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    rule,
)
from sqlalchemy import text

from ofair_app import reference
from ofair_app.db.engine import SYSTEM, unit_of_work
from ofair_app.domain import commission
from ofair_app.domain.leads import CENT, LeadStatus, LeadType
from ofair_app.domain.ledger import Shares
from ofair_app.domain.payments import to_agorot
from ofair_app.models import Lead, Milestone, MilestonePlan, Payment, PaymentReferrer, Proposal
from ofair_app.models._base import utcnow
from ofair_app.services import ledger, payments, payouts
from tests.factories import caller_for, make_professional, make_user

D = Decimal
BANK = ("12", "608", "123456", "בעל החשבון")


def _sum(query: str, **params) -> Decimal:
    with unit_of_work(SYSTEM) as session:
        return Decimal(session.execute(text(query), params).scalar_one() or 0)


class MoneyMachine(RuleBasedStateMachine):
    payments = Bundle("payments")
    withdrawals = Bundle("withdrawals")

    @initialize()
    def open_businesses(self) -> None:
        self.owner = make_user(name="לקוח")
        self.admin = caller_for(make_user(role="admin", name="מנהלת"))
        self.businesses = []
        for index in range(4):
            business, owner = make_professional(business_name=f"עסק {index}")
            self.businesses.append((business.id, caller_for(owner)))
        # the model: what each business should hold, have available, and have in payout
        self.model = {bid: {"pending": D(0), "available": D(0), "payout": D(0)}
                      for bid, _ in self.businesses}
        self.owes = set()  # businesses refunded after a release (may go below zero)
        self.entries_digest = ""
        self.entries_count = 0

    # --- steps --------------------------------------------------------------------------

    @rule(target=payments, amount=st.integers(min_value=10_000, max_value=500_000),
          shares=st.lists(st.integers(min_value=0, max_value=30), min_size=3, max_size=3),
          performer=st.integers(0, 3), referrers=st.integers(0, 3), in_steps=st.booleans())
    def pay(self, amount: int, shares: list[int], performer: int, referrers: int,
            in_steps: bool):
        """A whole job paid, or (`in_steps`) the first of two milestones of a job of twice
        that price, agreed in steps: each step's payment is held and released on its own.
        `referrers`: none (a consumer's job), or a chain of that many businesses, the first
        the lead's owner, each keeping its share."""
        final = D(amount) / 100
        performer_id = self.businesses[performer][0]
        chain = [self.businesses[(performer + n) % 4][0] for n in range(1, referrers + 1)]
        referrer_id = chain[0] if chain else None
        share = D(shares[0])
        lead_type = LeadType.professional_referral if chain else LeadType.consumer
        parts = commission.split(final.quantize(CENT), lead_type,
                                 referrer_shares=[D(s) for s in shares[:referrers]])
        paid = [(bid, D(s), fee) for bid, s, fee in zip(chain, shares, parts.referrer_fees,
                                                        strict=False) if fee]
        category = reference.categories()[0].slug
        with unit_of_work(SYSTEM) as session:
            lead = Lead(type=lead_type, title="עבודה", short_description="עבודה",
                        category_slug=category, lat=32.8, lon=35.0,
                        owner_user_id=self.owner.id, owner_professional_id=referrer_id,
                        budget=final, referrer_share_percentage=share if chain else None,
                        status=LeadStatus.awarded, performer_professional_id=performer_id)
            session.add(lead)
            session.flush()
            proposal = Proposal(lead_id=lead.id, professional_id=performer_id,
                                created_by=self.owner.id,
                                price=final * 2 if in_steps else final,
                                description="הצעה", status="accepted")
            session.add(proposal)
            session.flush()
            step_id = None
            if in_steps:
                session.add(MilestonePlan(proposal_id=proposal.id, lead_id=lead.id,
                                          professional_id=performer_id, proposed_side="owner",
                                          proposed_by=self.owner.id, agreed_at=utcnow()))
                session.flush()
                steps = [Milestone(proposal_id=proposal.id, lead_id=lead.id,
                                   professional_id=performer_id, position=n, title=f"שלב {n}",
                                   amount=final, due_on=utcnow().date()) for n in (1, 2)]
                session.add_all(steps)
                session.flush()
                step_id = steps[0].id
            payment = Payment(lead_id=lead.id, proposal_id=proposal.id, milestone_id=step_id,
                              payer_user_id=self.owner.id,
                              performer_professional_id=performer_id,
                              referrer_professional_id=paid[0][0] if paid else None,
                              provider="sandbox", status="pending",
                              psp_reference=f"cs_{uuid.uuid4().hex}",
                              final_amount=parts.final_amount,
                              platform_commission=parts.platform_commission,
                              referrer_fee=parts.referrer_fee,
                              professional_net_amount=parts.professional_net_amount,
                              platform_rate_pct=parts.platform_rate_pct)
            session.add(payment)
            session.flush()
            session.add_all(PaymentReferrer(payment_id=payment.id, position=n,
                                            professional_id=bid, share_pct=pct, fee=fee)
                            for n, (bid, pct, fee) in enumerate(paid, start=1))
            session.flush()
            result = payments.apply_event(session, "checkout.session.completed", {
                "id": payment.psp_reference, "object": "checkout.session",
                "client_reference_id": str(payment.id), "payment_status": "paid",
                "amount_total": to_agorot(payment.final_amount), "currency": "ils",
                "payment_intent": f"pi_{uuid.uuid4().hex}"})
            assert result.outcome == "applied"
            payment_id = payment.id
        shares = Shares(final_amount=parts.final_amount, platform=parts.platform_commission,
                        referrer=parts.referrer_fee, performer=parts.professional_net_amount,
                        performer_id=performer_id,
                        referrer_id=paid[0][0] if paid else None,
                        chain=tuple((bid, fee) for bid, _, fee in paid))
        self._move(shares, shares.final_amount, None, "pending")
        return {"id": payment_id, "refunded": D(0), "released": False,
                "shares": shares, "step": step_id}

    def _move(self, shares: Shares, amount: Decimal, source: str | None,
              target: str | None) -> None:
        """Move each business's pro rata part of `amount` between balances of the model."""
        part = shares.scaled(amount)
        for bid, value in ((shares.performer_id, part.performer), *part.referrers):
            if bid is None or not value:
                continue
            if source:
                self.model[bid][source] -= value
            if target:
                self.model[bid][target] += value

    @rule(payment=payments, percent=st.integers(min_value=1, max_value=100))
    def refund(self, payment: dict, percent: int) -> None:
        shares = payment["shares"]
        left = shares.final_amount - payment["refunded"]
        if left <= 0:
            return
        amount = max(CENT, (left * percent / 100).quantize(CENT))
        cumulative = payment["refunded"] + amount
        with unit_of_work(SYSTEM) as session:
            intent = session.execute(text("SELECT psp_payment_intent FROM payments"
                                          " WHERE id = :id"), {"id": payment["id"]}).scalar()
            result = payments.apply_event(session, "charge.refunded", {
                "object": "charge", "payment_intent": intent,
                "amount_refunded": to_agorot(cumulative)})
        assert result.outcome == "applied", result
        if payment["released"]:
            self._move(shares, amount, "available", None)
            for bid in (shares.performer_id, *(pid for pid, _ in shares.referrers)):
                self.owes.add(bid)
        else:
            # the hold of what was left is voided, and what remains is held again
            self._move(shares, left, "pending", None)
            rest = shares.final_amount - cumulative
            if rest > 0:
                self._move(shares, rest, None, "pending")
        payment["refunded"] = cumulative

    @rule(payment=payments)
    def close_and_release(self, payment: dict) -> None:
        if payment["released"] or payment["refunded"] >= payment["shares"].final_amount:
            return
        with unit_of_work(SYSTEM) as session:
            lead_id = session.execute(text("SELECT lead_id FROM payments WHERE id = :id"),
                                      {"id": payment["id"]}).scalar_one()
            if payment["step"] is not None:  # the step approved a month ago, the job goes on
                session.execute(text("UPDATE milestones SET status = 'approved',"
                                     " approved_at = now() - interval '30 days'"
                                     " WHERE id = :id"), {"id": payment["step"]})
            for status in (() if payment["step"] is not None else ("completed", "closed")):
                session.execute(text(f"UPDATE leads SET status = '{status}',"
                                     " closed_at = now() - interval '30 days'"
                                     " WHERE id = :id"), {"id": lead_id})
        with unit_of_work(SYSTEM) as session:
            payments.release_due(session=session, now=utcnow())
        rest = payment["shares"].final_amount - payment["refunded"]
        self._move(payment["shares"], rest, "pending", "available")
        payment["released"] = True

    @rule(target=withdrawals, business=st.integers(0, 2),
          percent=st.integers(min_value=1, max_value=120))
    def withdraw(self, business: int, percent: int):
        bid, owner = self.businesses[business]
        available = self.model[bid]["available"]
        amount = (max(available, D(0)) * percent / 100).quantize(CENT)
        if amount <= 0:
            return multiple()
        try:
            with unit_of_work(owner) as session:
                withdrawal = payouts.request_withdrawal(
                    session=session, caller=owner, professional_id=bid, amount=amount,
                    bank_code=BANK[0], branch=BANK[1], account=BANK[2], account_holder=BANK[3])
        except payouts.InsufficientFunds:
            assert amount > available
            return multiple()
        assert amount <= available
        self.model[bid]["available"] -= amount
        self.model[bid]["payout"] += amount
        return {"id": withdrawal.id, "business": bid, "amount": amount}

    @rule(withdrawal=consumes(withdrawals), approve=st.booleans())
    def decide_and_pay(self, withdrawal: dict, approve: bool) -> None:
        with unit_of_work(self.admin) as session:
            payouts.decide(session=session, caller=self.admin, withdrawal_id=withdrawal["id"],
                           approve=approve)
        bid, amount = withdrawal["business"], withdrawal["amount"]
        if not approve:
            self.model[bid]["payout"] -= amount
            self.model[bid]["available"] += amount
            return
        with unit_of_work(self.admin) as session:
            batch, _ = payouts.export_batch(session=session, caller=self.admin)
            payouts.mark_batch_paid(session=session, caller=self.admin, batch_id=batch.id)
        self.model[bid]["payout"] -= amount

    # --- invariants -----------------------------------------------------------------------

    @invariant()
    def every_transaction_balances(self) -> None:
        assert _sum("SELECT coalesce(sum(amount), 0) FROM ledger_entries") == 0
        assert _sum("SELECT count(*) FROM (SELECT transaction_id FROM ledger_entries"
                    " GROUP BY transaction_id HAVING sum(amount) <> 0) AS t") == 0

    @invariant()
    def balances_match_the_model(self) -> None:
        if not hasattr(self, "model"):
            return
        for bid, expected in self.model.items():
            with unit_of_work(SYSTEM) as session:
                found = ledger.balances(session, bid)
            assert (found.pending, found.available, found.in_payout) == (
                expected["pending"], expected["available"], expected["payout"]), bid
            credits = _sum("SELECT coalesce(sum(-e.amount), 0) FROM ledger_entries e"
                           " JOIN ledger_accounts a ON a.id = e.account_id"
                           " WHERE a.professional_id = :b AND a.purpose = 'pro_available'"
                           " AND e.amount < 0", b=bid)
            debits = _sum("SELECT coalesce(sum(e.amount), 0) FROM ledger_entries e"
                          " JOIN ledger_accounts a ON a.id = e.account_id"
                          " WHERE a.professional_id = :b AND a.purpose = 'pro_available'"
                          " AND e.amount > 0", b=bid)
            assert found.available == credits - debits
            if bid not in self.owes:
                assert found.available >= 0

    @invariant()
    def nothing_is_rewritten_and_holds_resolve_once(self) -> None:
        if not hasattr(self, "entries_count"):
            return
        with unit_of_work(SYSTEM) as session:
            rows = session.execute(text(
                "SELECT id, transaction_id, account_id, amount FROM ledger_entries"
                " WHERE id <= :n ORDER BY id"), {"n": self.entries_count}).all()
            newest = session.execute(text("SELECT coalesce(max(id), 0) FROM ledger_entries")
                                     ).scalar_one()
            twice = session.execute(text(
                "SELECT count(*) FROM (SELECT pending_id FROM ledger_transactions WHERE"
                " pending_id IS NOT NULL GROUP BY pending_id HAVING count(*) > 1) t")
            ).scalar_one()
        digest = hashlib.sha256(repr(rows).encode()).hexdigest()
        if self.entries_digest:
            assert digest == self.entries_digest, "an entry was changed or removed"
        assert twice == 0
        with unit_of_work(SYSTEM) as session:
            all_rows = session.execute(text(
                "SELECT id, transaction_id, account_id, amount FROM ledger_entries"
                " WHERE id <= :n ORDER BY id"), {"n": newest}).all()
        self.entries_count = newest
        self.entries_digest = hashlib.sha256(repr(all_rows).encode()).hexdigest()


MoneyMachine.TestCase.settings = settings(
    max_examples=20, stateful_step_count=20, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@pytest.fixture
def money_machine(db):
    return MoneyMachine.TestCase


def test_the_ledger_keeps_its_invariants_under_random_money_traffic(money_machine) -> None:
    money_machine().runTest()
