"""Row-level security and guards on proposals, referrals and the logs of who was shown a client
(migration 0004): another user, another business and anonymous callers are denied; parties may
only make their own moves; the logs are append-only for the application role."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ofair_app.db.engine import ANONYMOUS, Caller, unit_of_work
from ofair_app.domain.leads import LeadVisibility
from ofair_app.models import ProposalCreate, ReferralCreate, UserRole
from ofair_app.services import proposals, referrals
from tests.factories import (
    PNG_BYTES,
    caller_for,
    make_lead,
    make_professional,
    make_user,
    pro_lead_data,
)
from tests.integration.test_rls_identity import count, refused, rows_changed

CHECK_VIOLATION = "23514"


@dataclass
class World:
    consumer: Caller  # owns `request` (awarded to `a`) and `open_request` (an offer from `a`)
    a: Caller  # owner of business `a_id`
    a_id: uuid.UUID
    referrer: Caller  # owner of business `referrer_id`, which offered `private_lead` to `a`
    referrer_id: uuid.UUID
    request: uuid.UUID
    open_request: uuid.UUID
    private_lead: uuid.UUID
    offer: uuid.UUID  # a's pending offer on `open_request`
    referral: uuid.UUID
    other_user: Caller
    other_member: Caller
    admin: Caller


def sqlstate(caller: Caller, sql: str, **params) -> str | None:
    """None when the statement went through, else the SQLSTATE it was refused with."""
    try:
        with unit_of_work(caller) as session:
            session.execute(text(sql), params)
    except DBAPIError as error:
        return getattr(error.orig, "sqlstate", None)
    return None


def offer(price: str = "500") -> ProposalCreate:
    return ProposalCreate(price=Decimal(price), description="אגיע מחר בבוקר עם כל החלקים.")


@pytest.fixture
def world(db) -> World:
    consumer_user = make_user(name="רונית")
    a_business, a_user = make_professional(business_name="אינסטלציה אלון")
    r_business, r_user = make_professional(business_name="שיפוצי רם")
    _, other_owner = make_professional(business_name="סקרנים בע״מ")
    consumer, a, referrer = caller_for(consumer_user), caller_for(a_user), caller_for(r_user)
    request, open_request = make_lead(consumer_user), make_lead(consumer_user)
    private_lead = make_lead(r_user, pro_lead_data(r_business,
                                                   visibility=LeadVisibility.private))
    with unit_of_work(a) as session:
        won = proposals.create_proposal(session=session, caller=a, lead_id=request.id,
                                        data=offer())
        pending = proposals.create_proposal(session=session, caller=a, lead_id=open_request.id,
                                            data=offer("700"))
        proposals.add_attachment(session=session, caller=a, proposal_id=pending.id,
                                 filename="work.png", data=PNG_BYTES)
    with unit_of_work(consumer) as session:
        proposals.accept_proposal(session=session, caller=consumer, proposal_id=won.id,
                                  ip="10.0.0.1", user_agent="test")
    with unit_of_work(referrer) as session:
        referral = referrals.share_lead(session=session, caller=referrer,
                                        lead_id=private_lead.id,
                                        data=ReferralCreate(receiver_professional_id=a_business.id))
    return World(consumer=consumer, a=a, a_id=a_business.id, referrer=referrer,
                 referrer_id=r_business.id, request=request.id, open_request=open_request.id,
                 private_lead=private_lead.id, offer=pending.id, referral=referral.id,
                 other_user=caller_for(make_user(name="זר")),
                 other_member=caller_for(other_owner),
                 admin=caller_for(make_user(role=UserRole.admin, name="מנהלת")))


def outsiders(world: World) -> list[tuple[str, Caller]]:
    return [("another user", world.other_user), ("another business", world.other_member),
            ("anonymous", ANONYMOUS)]


# --- proposals -----------------------------------------------------------------------------


def test_offers_are_seen_by_the_lead_owner_and_the_proposer_only(world) -> None:
    for name, caller in outsiders(world):
        assert count(caller, "SELECT id FROM proposals") == 0, name
        assert count(caller, "SELECT id FROM proposal_attachments") == 0, name
    assert count(world.consumer, "SELECT id FROM proposals") == 2
    assert count(world.a, "SELECT id FROM proposals") == 2
    assert count(world.referrer, "SELECT id FROM proposals") == 0
    assert count(world.admin, "SELECT id FROM proposals") == 2
    assert count(world.consumer, "SELECT id FROM proposal_attachments") == 1


def test_outsiders_neither_change_nor_forge_offers(world) -> None:
    for name, caller in outsiders(world):
        assert rows_changed(caller, "UPDATE proposals SET price = 1") == 0, name
        assert rows_changed(caller, "DELETE FROM proposal_attachments") == 0, name
        assert refused(caller, """INSERT INTO proposals (lead_id, professional_id, created_by,
                       price, description) VALUES (:l, :p, :u, 10, 'forged offer')""",
                       l=world.open_request, p=world.a_id,
                       u=caller.user_id or world.a.user_id), name
    assert refused(world.consumer, "DELETE FROM proposals")


def test_a_business_cannot_offer_on_a_lead_it_cannot_see_or_award_itself(world) -> None:
    other_id = world.other_member.professional_ids[0]
    insert = """INSERT INTO proposals (lead_id, professional_id, created_by, price, description,
                status, origin) VALUES (:l, :p, :u, 10, 'an offer', :s, :o)"""
    assert refused(world.other_member, insert, l=world.private_lead, p=other_id,
                   u=world.other_member.user_id, s="pending", o="proposal")
    assert refused(world.other_member, insert, l=world.open_request, p=other_id,
                   u=world.other_member.user_id, s="accepted", o="proposal")
    assert refused(world.other_member, insert, l=world.private_lead, p=other_id,
                   u=world.other_member.user_id, s="accepted", o="referral")  # not offered it
    # the proposer may not accept its own offer, nor name itself the performer
    assert sqlstate(world.a, "UPDATE proposals SET status = 'accepted' WHERE id = :id",
                    id=world.offer) == CHECK_VIOLATION
    assert rows_changed(world.a, """UPDATE leads SET status = 'awarded',
                        performer_professional_id = :p WHERE id = :id""",
                        p=world.a_id, id=world.open_request) == 0


def test_the_owner_chooses_but_does_not_rewrite_an_offer(world) -> None:
    assert refused(world.consumer, "UPDATE proposals SET description = 'rewritten' WHERE id = :id",
                   id=world.offer)
    assert sqlstate(world.consumer, "UPDATE proposals SET status = 'withdrawn' WHERE id = :id",
                    id=world.offer) == CHECK_VIOLATION
    # awarding to a business whose offer was not accepted is refused by the database
    assert sqlstate(world.consumer, """UPDATE leads SET status = 'awarded',
                    performer_professional_id = :p WHERE id = :id""",
                    p=world.other_member.professional_ids[0], id=world.open_request) \
        == CHECK_VIOLATION


def test_there_is_never_a_second_winner(world) -> None:
    with unit_of_work(world.other_member) as session:
        proposal = proposals.create_proposal(session=session, caller=world.other_member,
                                             lead_id=world.open_request, data=offer())
    assert sqlstate(world.consumer, "UPDATE proposals SET status = 'accepted' WHERE id IN "
                    "(:a, :b)", a=world.offer, b=proposal.id) == "23505"  # proposals_winner


# --- referrals -----------------------------------------------------------------------------


def test_referrals_are_seen_by_both_businesses_only(world) -> None:
    for name, caller in [*outsiders(world), ("the consumer", world.consumer)]:
        assert count(caller, "SELECT id FROM referrals") == 0, name
        assert rows_changed(caller, "UPDATE referrals SET status = 'rejected'") == 0, name
    assert count(world.a, "SELECT id FROM referrals") == 1
    assert count(world.referrer, "SELECT id FROM referrals") == 1
    # the receiver sees the private lead it was offered; the client stays hidden
    assert count(world.a, "SELECT id FROM leads WHERE id = :id", id=world.private_lead) == 1
    assert count(world.a, "SELECT lead_id FROM professional_leads") == 0
    assert count(world.other_member, "SELECT id FROM leads WHERE id = :id",
                 id=world.private_lead) == 0


def test_only_the_owner_offers_its_lead_and_only_at_its_terms(world) -> None:
    insert = """INSERT INTO referrals (lead_id, referrer_professional_id,
                receiver_professional_id, created_by, commission_percentage, budget,
                expires_at, created_at)
                VALUES (:l, :r, :to, :u, :pct, 3000, now() + interval '7 days', now())"""
    other_id = world.other_member.professional_ids[0]
    for name, caller in outsiders(world):
        assert refused(caller, insert, l=world.private_lead, r=world.referrer_id, to=other_id,
                       u=caller.user_id or world.referrer.user_id, pct=20), name
    # the owner's own offer must carry the lead's current share
    assert refused(world.referrer, insert, l=world.private_lead, r=world.referrer_id,
                   to=other_id, u=world.referrer.user_id, pct=5)


def test_the_terms_are_frozen_and_each_side_makes_only_its_moves(world) -> None:
    for caller in (world.a, world.referrer):
        assert sqlstate(caller, "UPDATE referrals SET commission_percentage = 50") \
            == CHECK_VIOLATION
    assert sqlstate(world.referrer, "UPDATE referrals SET status = 'rejected'") \
        == CHECK_VIOLATION
    assert sqlstate(world.a, "UPDATE referrals SET status = 'cancelled'") == CHECK_VIOLATION
    # holding an offer lets the receiver claim the lead, never edit it
    assert refused(world.a, "UPDATE leads SET title = 'mine now' WHERE id = :id",
                   id=world.private_lead)


# --- the logs ------------------------------------------------------------------------------


@pytest.mark.parametrize("table", ["lead_events", "phone_revelations", "contact_access_logs"])
def test_the_logs_are_append_only_for_the_app_role(world, table) -> None:
    for caller in (world.admin, world.consumer, world.a):
        assert refused(caller, f"UPDATE {table} SET created_at = now()"), table
        assert refused(caller, f"DELETE FROM {table}"), table


def test_outsiders_neither_read_nor_forge_the_logs(world) -> None:
    for name, caller in outsiders(world):
        assert count(caller, "SELECT id FROM lead_events WHERE lead_id = :l",
                     l=world.request) == 0, name
        assert count(caller, "SELECT id FROM phone_revelations") == 0, name
        assert refused(caller, """INSERT INTO phone_revelations (lead_id, professional_id,
                       proposal_id, user_id) SELECT lead_id, professional_id, proposal_id, :u
                       FROM (VALUES (:l, :p, :o)) AS v(lead_id, professional_id, proposal_id)""",
                       l=world.request, p=world.a_id, o=world.offer,
                       u=caller.user_id or world.consumer.user_id), name
        assert refused(caller, """INSERT INTO lead_events (lead_id, event, actor_user_id)
                       VALUES (:l, 'award_cancelled', :u)""", l=world.request,
                       u=caller.user_id or world.consumer.user_id), name
    assert count(world.consumer, "SELECT id FROM phone_revelations") == 1
    assert count(world.a, "SELECT id FROM phone_revelations") == 1
    assert count(world.a, "SELECT id FROM lead_events WHERE lead_id = :l", l=world.request) == 1
