"""Each party's own next steps on a lead, on real Postgres: a referrer has the payment link
texted to its client and is refused the card form, a client pays and is refused the link, and
the owner is shown the winner's contact card (each showing logged, migration 0008_nav) while
another user, another business and anonymous callers get nothing."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy import text

from ofair_app.db.engine import ANONYMOUS, SYSTEM, Caller, unit_of_work
from ofair_app.domain.errors import Forbidden
from ofair_app.domain.lead_actions import LeadAction, NotYourStep, ViewerRole
from ofair_app.domain.payments import PaymentStatus
from ofair_app.models import ProposalCreate, UserRole
from ofair_app.services import lead_actions, payments, proposals
from tests.factories import caller_for, make_lead, make_professional, make_user, pro_lead_data
from tests.integration.test_rls_identity import count, refused


@dataclass
class Deal:
    owner: Caller  # the client (consumer request) or the referrer (pro lead)
    performer: Caller
    performer_phone: str
    performer_business: str
    lead: object
    proposal: object
    other_user: Caller
    other_business: Caller


def _award(owner_user, data=None) -> Deal:
    business, performer_user = make_professional(make_user(name="אבי"),
                                                 business_name="אינסטלציה אבי")
    _, other_owner = make_professional(business_name="סקרנים")
    owner, performer = caller_for(owner_user), caller_for(performer_user)
    lead = make_lead(owner_user, data)
    with unit_of_work(performer) as session:
        proposal = proposals.create_proposal(
            session=session, caller=performer, lead_id=lead.id,
            data=ProposalCreate(price=Decimal("800"), description="אגיע מחר עם כל החלקים."))
    with unit_of_work(owner) as session:
        proposals.accept_proposal(session=session, caller=owner, proposal_id=proposal.id)
    return Deal(owner=owner, performer=performer, performer_phone=performer_user.phone,
                performer_business=business.business_name, lead=lead, proposal=proposal,
                other_user=caller_for(make_user(name="זר")), other_business=caller_for(other_owner))


@pytest.fixture
def consumer_deal(db) -> Deal:
    return _award(make_user(name="רונית לקוחה"))


@pytest.fixture
def referral_deal(db) -> Deal:
    business, referrer = make_professional(make_user(name="רם"), business_name="שיפוצי רם")
    return _award(referrer, pro_lead_data(business))


def _viewer(caller: Caller, deal: Deal):
    with unit_of_work(caller) as session:
        return lead_actions.for_viewer(session=session, caller=caller, lead_id=deal.lead.id)


def test_each_party_is_offered_only_its_own_steps(consumer_deal, referral_deal) -> None:
    client = _viewer(consumer_deal.owner, consumer_deal)
    assert client.role == ViewerRole.client
    assert {LeadAction.pay, LeadAction.view_performer} <= client.actions
    assert LeadAction.send_payment_link not in client.actions
    referrer = _viewer(referral_deal.owner, referral_deal)
    assert referrer.role == ViewerRole.referrer
    assert {LeadAction.send_payment_link, LeadAction.view_performer} <= referrer.actions
    assert LeadAction.pay not in referrer.actions
    performer = _viewer(referral_deal.performer, referral_deal)
    assert performer.role == ViewerRole.performer
    assert not {LeadAction.pay, LeadAction.send_payment_link,
                LeadAction.view_performer} & performer.actions
    assert _viewer(referral_deal.other_business, referral_deal).actions == frozenset()


def test_a_referrer_is_refused_the_card_form_and_texts_the_link(referral_deal) -> None:
    deal = referral_deal
    with pytest.raises(NotYourStep):
        payments.pay(caller=deal.owner, proposal_id=deal.proposal.id)
    with pytest.raises(Forbidden):
        payments.send_payment_link(caller=deal.performer, proposal_id=deal.proposal.id)
    payment = payments.send_payment_link(caller=deal.owner, proposal_id=deal.proposal.id)
    assert payment.status == PaymentStatus.pending
    again = payments.send_payment_link(caller=deal.owner, proposal_id=deal.proposal.id)
    assert again.id == payment.id
    with unit_of_work(SYSTEM) as session:
        texts = session.execute(text(
            "SELECT count(*) FROM outbox_messages WHERE to_address = '+972527654321' "
            "AND template = 'payment_link'")).scalar_one()
    assert texts == 2  # sent, then sent again


def test_a_client_pays_and_is_refused_the_referrers_step(consumer_deal) -> None:
    deal = consumer_deal
    with pytest.raises(NotYourStep):
        payments.send_payment_link(caller=deal.owner, proposal_id=deal.proposal.id)
    with pytest.raises(Forbidden):
        payments.pay(caller=deal.performer, proposal_id=deal.proposal.id)
    payment = payments.pay(caller=deal.owner, proposal_id=deal.proposal.id)
    assert payment.checkout_url


@pytest.mark.parametrize("which", ["consumer_deal", "referral_deal"])
def test_the_owner_sees_the_winner_and_every_showing_is_logged(which, request) -> None:
    deal: Deal = request.getfixturevalue(which)
    with unit_of_work(deal.owner) as session:
        card = lead_actions.reveal_performer(session=session, caller=deal.owner,
                                             lead_id=deal.lead.id, ip="10.1.1.1",
                                             user_agent="test")
    assert (card.business_name, card.phone) == (deal.performer_business, deal.performer_phone)
    sql = "SELECT id FROM performer_contact_reveals WHERE lead_id = :l AND reason = 'owner'"
    assert count(deal.owner, sql, l=deal.lead.id) == 1
    assert count(deal.performer, sql, l=deal.lead.id) == 1  # the winner sees who looked


def test_outsiders_get_no_winner_no_phone_and_no_log(consumer_deal) -> None:
    deal = consumer_deal
    with unit_of_work(deal.owner) as session:
        lead_actions.reveal_performer(session=session, caller=deal.owner, lead_id=deal.lead.id)
    for name, caller in (("another user", deal.other_user),
                         ("another business", deal.other_business),
                         ("the performer", deal.performer)):
        with pytest.raises(Forbidden), unit_of_work(caller) as session:
            lead_actions.reveal_performer(session=session, caller=caller, lead_id=deal.lead.id)
        assert count(caller, "SELECT 1 WHERE lead_performer_phone(:l) IS NOT NULL",
                     l=deal.lead.id) == 0, name
    for name, caller in (("another user", deal.other_user),
                         ("another business", deal.other_business), ("anonymous", ANONYMOUS)):
        assert count(caller, "SELECT id FROM performer_contact_reveals") == 0, name
        assert refused(caller, """INSERT INTO performer_contact_reveals (lead_id,
                       professional_id, proposal_id, user_id, reason)
                       VALUES (:l, :p, :o, :u, 'owner')""", l=deal.lead.id,
                       p=deal.proposal.professional_id, o=deal.proposal.id,
                       u=caller.user_id or deal.owner.user_id), name
    assert count(ANONYMOUS, "SELECT 1 WHERE lead_performer_phone(:l) IS NOT NULL",
                 l=deal.lead.id) == 0
    assert count(deal.owner, "SELECT id FROM performer_contact_reveals") == 1


def test_the_reveal_log_is_append_only_and_admins_read_it(consumer_deal) -> None:
    deal = consumer_deal
    admin = caller_for(make_user(role=UserRole.admin, name="מנהלת"))
    with unit_of_work(admin) as session:
        lead_actions.reveal_performer(session=session, caller=admin, lead_id=deal.lead.id)
    assert count(admin, "SELECT id FROM performer_contact_reveals WHERE reason = 'admin'") == 1
    for caller in (admin, deal.owner, deal.performer):
        assert refused(caller, "UPDATE performer_contact_reveals SET created_at = now()")
        assert refused(caller, "DELETE FROM performer_contact_reveals")


def test_no_winner_card_once_the_award_is_taken_back(consumer_deal) -> None:
    deal = consumer_deal
    with unit_of_work(deal.owner) as session:
        proposals.unaward(session=session, caller=deal.owner, lead_id=deal.lead.id)
    assert LeadAction.view_performer not in _viewer(deal.owner, deal).actions
    with pytest.raises(Forbidden), unit_of_work(deal.owner) as session:
        lead_actions.reveal_performer(session=session, caller=deal.owner, lead_id=deal.lead.id)
    assert count(deal.owner, "SELECT 1 WHERE lead_performer_phone(:l) IS NOT NULL",
                 l=deal.lead.id) == 0
