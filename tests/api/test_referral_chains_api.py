"""Referral chains through the REST contract (issue 22, point 1): a business offered a lead
passes it on for a share it keeps; the chain and who earns what shown before anyone accepts;
every referrer paid on release; who may pass on, to whom, at what share; the client's details
only for the owner and the performer; row-level security on the new table."""

from __future__ import annotations

import itertools
import uuid
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import text

from jobs.runner import run_job
from ofair_app.db.engine import ANONYMOUS, unit_of_work
from ofair_app.domain.ledger import Purpose
from ofair_app.models import User, UserRole
from ofair_app.models._base import utcnow
from tests.api.money import D, balances, initiate, ledger_total, pay, platform, sql
from tests.api.test_leads_api import API, auth, post_lead, pro_body
from tests.b2b import settle
from tests.factories import caller_for, make_professional, make_user
from tests.standin import configured


@pytest.fixture
def chain_people(db):
    """Five businesses: A owns the lead; B, C and D pass it on or perform it; E is a stranger."""
    names = {"a": "שיפוצי אלון", "b": "שרברבות בן", "c": "צנרת כרמל", "d": "אינסטלציה דור",
             "e": "מים ערן"}
    return {key: make_professional(business_name=name) for key, name in names.items()}


async def offer_to(client, owner: User, lead_id: str, receiver_id) -> dict:
    response = await client.post(f"{API}/leads/{lead_id}/share",
                                 json={"receiver_professional_id": str(receiver_id)},
                                 headers=auth(owner))
    assert response.status_code == 201, response.text
    return response.json()


async def refer_on(client, user: User, referral_id: str, receiver_id, share: str,
                   **extra) -> httpx.Response:
    return await client.post(f"{API}/referrals/{referral_id}/refer-on", json={
        "receiver_professional_id": str(receiver_id), "share": share, **extra},
        headers=auth(user))


@pytest.fixture
async def chain(client, chain_people):
    """A's private lead at 3,000 (A keeps 20 %), offered to B; B passes it to C keeping 10 %;
    C passes it to D keeping 5 %."""
    (pro_a, owner_a), (pro_b, owner_b), (pro_c, owner_c), (pro_d, _) = (
        chain_people[k] for k in "abcd")
    lead = await post_lead(client, owner_a, pro_body(pro_a.id, visibility="private"))
    to_b = await offer_to(client, owner_a, lead["id"], pro_b.id)
    to_c = await refer_on(client, owner_b, to_b["id"], pro_c.id, "10", message="לקוח טוב")
    assert to_c.status_code == 201, to_c.text
    to_d = await refer_on(client, owner_c, to_c.json()["id"], pro_d.id, "5")
    assert to_d.status_code == 201, to_d.text
    return lead, to_b, to_c.json(), to_d.json()


async def test_a_three_referrer_chain_is_shown_then_paid_and_released_to_everyone(
        client, chain_people, chain) -> None:
    lead, to_b, to_c, to_d = chain
    (pro_a, owner_a), (pro_b, owner_b), (pro_c, owner_c), (pro_d, owner_d) = (
        chain_people[k] for k in "abcd")
    assert (to_c["parent_id"], to_c["depth"], to_c["commission_percentage"],
            to_c["budget"]) == (to_b["id"], 2, "10.00", "3000.00")
    assert (to_d["parent_id"], to_d["depth"]) == (to_c["id"], 3)
    assert sql("SELECT status FROM referrals WHERE id IN (:b, :c) ORDER BY depth",
               b=to_b["id"], c=to_c["id"]) == [("referred_on",), ("referred_on",)]
    assert sql("SELECT count(*) FROM outbox_messages WHERE template = 'referral_received'"
               " AND user_id = :u", u=owner_d.id) == [(1,)]

    # D sees who earns what before it accepts
    shown = await client.get(f"{API}/leads/{lead['id']}/chain", headers=auth(owner_d))
    assert shown.status_code == 200, shown.text
    view = shown.json()
    assert [(r["business_name"], r["share"], r["fee"]) for r in view["referrers"]] == [
        ("שיפוצי אלון", "20.00", "600.00"), ("שרברבות בן", "10.00", "300.00"),
        ("צנרת כרמל", "5.00", "150.00")]
    assert view["performer"] == {"professional_id": str(pro_d.id),
                                 "business_name": "אינסטלציה דור", "net": "1800.00"}
    assert (view["amount"], view["platform_commission"]) == ("3000.00", "150.00")
    # B, in the middle, sees the same chain; a stranger sees only the owner's own terms
    middle = (await client.get(f"{API}/leads/{lead['id']}/chain", headers=auth(owner_b))).json()
    assert len(middle["referrers"]) == 3
    # every referrer follows the lead, none reads the client
    for user in (owner_b, owner_c, owner_d):
        seen = await client.get(f"{API}/leads/{lead['id']}", headers=auth(user))
        assert seen.status_code == 200 and "client" not in seen.json()
        assert (await client.get(f"{API}/leads/{lead['id']}/contact",
                                 headers=auth(user))).status_code == 403

    accepted = await client.post(f"{API}/referrals/{to_d['id']}/accept", headers=auth(owner_d))
    assert accepted.status_code == 200, accepted.text
    assert (await client.get(f"{API}/leads/{lead['id']}/contact",
                             headers=auth(owner_d))).status_code == 200
    for user in (owner_b, owner_c):  # still not the client, though the lead is awarded
        assert (await client.get(f"{API}/leads/{lead['id']}/contact",
                                 headers=auth(user))).status_code == 403
    # every referrer of the chain hears that the job was taken
    told = sql("SELECT DISTINCT user_id FROM outbox_messages WHERE template = 'referral_accepted'")
    assert {row[0] for row in told} == {owner_a.id, owner_b.id, owner_c.id}

    started = (await initiate(client, owner_a, accepted.json()["proposal_id"])).json()
    assert started["amounts"] == {"final_amount": "3000.00", "platform_commission": "150.00",
                                  "referrer_fee": "1050.00", "professional_net_amount": "1800.00"}
    assert sql("SELECT position, professional_id, share_pct::text, fee::text"
               " FROM payment_referrers ORDER BY position") == [
        (1, pro_a.id, "20.00", "600.00"), (2, pro_b.id, "10.00", "300.00"),
        (3, pro_c.id, "5.00", "150.00")]
    await pay(client, started["psp_reference"])
    assert [balances(p.id) for p in (pro_a, pro_b, pro_c, pro_d)] == [
        (D("600.00"), D("0")), (D("300.00"), D("0")), (D("150.00"), D("0")),
        (D("1800.00"), D("0"))]
    # each business in the chain reads the payment; its wallet shows its own part
    for user, part in ((owner_b, "300.00"), (owner_c, "150.00")):
        payment = await client.get(f"{API}/payments/{started['payment_id']}",
                                   headers=auth(user))
        assert payment.status_code == 200, payment.text
        wallet = (await client.get(f"{API}/wallets/me", headers=auth(user))).json()
        assert wallet["pending_balance"] == part

    await client.post(f"{API}/leads/{lead['id']}/complete", headers=auth(owner_d))
    closed = await client.post(f"{API}/leads/{lead['id']}/confirm-completion",
                               headers=auth(owner_a))
    assert closed.json()["status"] == "closed"
    assert "released 1" in run_job("release_holds",
                                   as_of=utcnow() + timedelta(days=8)).detail
    assert [balances(p.id) for p in (pro_a, pro_b, pro_c, pro_d)] == [
        (D("0"), D("600.00")), (D("0"), D("300.00")), (D("0"), D("150.00")),
        (D("0"), D("1800.00"))]
    assert platform(Purpose.platform_revenue) == D("150.00")
    assert ledger_total() == 0

    # the chain, once awarded, is the deal's: the owner sees it too
    final = (await client.get(f"{API}/leads/{lead['id']}/chain", headers=auth(owner_a))).json()
    assert [r["fee"] for r in final["referrers"]] == ["600.00", "300.00", "150.00"]


async def test_who_may_pass_a_lead_on_to_whom_and_at_what_share(client, chain_people) -> None:
    (pro_a, owner_a), (pro_b, owner_b), (pro_c, owner_c), (pro_d, _) = (
        chain_people[k] for k in "abcd")
    lead = await post_lead(client, owner_a, pro_body(pro_a.id, visibility="private"))
    to_b = await offer_to(client, owner_a, lead["id"], pro_b.id)
    # only the receiver passes it on: the referrer gets 403, a stranger does not find it
    assert (await refer_on(client, owner_a, to_b["id"], pro_c.id, "5")).status_code == 403
    assert (await refer_on(client, owner_c, to_b["id"], pro_d.id, "5")).status_code == 404
    # nobody twice in a chain: not the owner, not oneself
    for business in (pro_a, pro_b):
        twice = await refer_on(client, owner_b, to_b["id"], business.id, "5")
        assert twice.status_code == 422, twice.text
        assert "receiver_professional_id" in twice.json()["error"]["fields"]
    # the owner keeps 20 %: 70 % more is the most anyone may keep after it
    greedy = await refer_on(client, owner_b, to_b["id"], pro_c.id, "70.01")
    assert greedy.status_code == 422 and "share" in greedy.json()["error"]["fields"]
    assert "70" in greedy.json()["error"]["fields"]["share"]
    for bad in ("-1", "abc", "10.001", "91"):
        refused = await refer_on(client, owner_b, to_b["id"], pro_c.id, bad)
        assert refused.status_code == 422 and "share" in refused.json()["error"]["fields"], bad
    nobody = await refer_on(client, owner_b, to_b["id"], uuid.uuid4(), "5")
    assert nobody.status_code == 422
    assert sql("SELECT count(*) FROM referrals") == [(1,)]  # nothing half-written
    assert sql("SELECT status FROM referrals") == [("pending",)]

    # passed on once; again while the colleague has not answered is 409
    to_c = (await refer_on(client, owner_b, to_b["id"], pro_c.id, "70")).json()
    again = await refer_on(client, owner_b, to_b["id"], pro_d.id, "5")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "referral_passed_on")
    # B keeps 70 and A 20: nothing is left for C to keep beyond 0 %
    assert (await refer_on(client, owner_c, to_c["id"], pro_d.id, "0.01")).status_code == 422
    # B may not answer the offer it passed on
    claimed = await client.post(f"{API}/referrals/{to_b['id']}/accept", headers=auth(owner_b))
    assert claimed.status_code == 409
    # C declines: B passes it on again, to D
    assert (await client.post(f"{API}/referrals/{to_c['id']}/reject",
                              headers=auth(owner_c))).status_code == 200
    to_d = await refer_on(client, owner_b, to_b["id"], pro_d.id, "10")
    assert to_d.status_code == 201, to_d.text
    # a stranger reads nothing of the chain
    stranger = caller_for(chain_people["e"][1])
    with unit_of_work(stranger) as session:
        assert session.execute(text("SELECT count(*) FROM referrals")).scalar() == 0


async def test_a_chain_is_at_most_four_referrers_long(client, chain_people, db) -> None:
    people = [chain_people[k] for k in "abcde"]
    lead = await post_lead(client, people[0][1], pro_body(people[0][0].id, visibility="private",
                                                           referrer_share_percentage="10"))
    offer = await offer_to(client, people[0][1], lead["id"], people[1][0].id)
    for (_, user), (receiver, _) in itertools.pairwise(people[1:4]):
        passed = await refer_on(client, user, offer["id"], receiver.id, "5")
        assert passed.status_code == 201, passed.text
        offer = passed.json()
    assert offer["depth"] == 3
    fourth = await refer_on(client, people[3][1], offer["id"], people[4][0].id, "5")
    assert fourth.status_code == 201 and fourth.json()["depth"] == 4
    sixth, sixth_owner = make_professional(business_name="עסק שישי")
    full = await refer_on(client, people[4][1], fourth.json()["id"], sixth.id, "5")
    assert (full.status_code, full.json()["error"]["code"]) == (409, "chain_full")
    assert sixth_owner


async def test_in_b2b_mode_each_referrer_is_credited_on_its_own_statement(
        client, chain_people, chain, monkeypatch) -> None:
    """The same chain in b2b mode: the performer starts, finishes and the owner confirms; the
    month's statements credit each referrer its fee, the performer owes them all and the
    platform's fee; a referrer's statement lists its own part; a credit note takes each part
    back."""
    lead, _, _, to_d = chain
    (pro_a, owner_a), (pro_b, owner_b), (pro_c, _), (pro_d, owner_d) = (
        chain_people[k] for k in "abcd")
    with configured(monkeypatch, {"SETTLEMENT_MODE": "b2b"}):
        assert (await client.post(f"{API}/referrals/{to_d['id']}/accept",
                                  headers=auth(owner_d))).status_code == 200
        for path, user in (("start", owner_d), ("complete", owner_d),
                           ("confirm-completion", owner_a)):
            answer = await client.post(f"{API}/leads/{lead['id']}/{path}", headers=auth(user))
            assert answer.status_code == 200, (path, answer.text)
        assert sql("SELECT position, professional_id, fee::text FROM b2b_charge_referrers"
                   " ORDER BY position") == [(1, pro_a.id, "600.00"), (2, pro_b.id, "300.00"),
                                             (3, pro_c.id, "150.00")]
        settle()
        figures = dict((row[0], row[1:]) for row in sql(
            "SELECT professional_id, fees::text, referral_owed::text, referral_earned::text"
            " FROM settlement_statements"))
        assert figures[pro_d.id] == ("150.00", "1050.00", "0.00")
        assert [figures[p.id][2] for p in (pro_a, pro_b, pro_c)] == [
            "600.00", "300.00", "150.00"]
        [statement] = (await client.get(f"{API}/statements/{pro_b.id}",
                                        headers=auth(owner_b))).json()["items"]
        assert (statement["amount_due"], statement["status"]) == ("-300.00", "credit")
        lines = (await client.get(f"{API}/statements/{statement['id']}/lines",
                                  headers=auth(owner_b))).json()["items"]
        assert [(line["role"], line["referral_fee"]) for line in lines] == [
            ("referrer", "300.00")]
        # the client got half back after the invoice: each referrer gives back half its fee
        admin = make_user(role=UserRole.admin, name="נועה")
        note = await client.post(f"{API}/admin/leads/{lead['id']}/credit-note",
                                 json={"refund_amount": "1500", "reason": "החזר חלקי ללקוח"},
                                 headers=auth(admin))
        assert note.status_code == 201, note.text
        assert sql("SELECT professional_id, fee::text FROM b2b_credit_referrers"
                   " ORDER BY position") == [(pro_a.id, "300.00"), (pro_b.id, "150.00"),
                                             (pro_c.id, "75.00")]
    assert ledger_total() == 0
    # row-level security: B (in the chain) reads the charge and the chain's parts; another
    # business, another user and anonymous callers read none
    with unit_of_work(caller_for(owner_b)) as session:
        assert session.execute(text("SELECT count(*) FROM b2b_charges")).scalar() == 1
        assert session.execute(text("SELECT count(*) FROM b2b_charge_referrers")).scalar() == 3
    for caller in (caller_for(chain_people["e"][1]), caller_for(make_user(name="זר")),
                   ANONYMOUS):
        with unit_of_work(caller) as session:
            for table in ("b2b_charges", "b2b_charge_referrers", "b2b_credits",
                          "b2b_credit_referrers"):
                assert session.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0
            assert session.execute(text("UPDATE b2b_charge_referrers SET fee = 0")
                                   ).rowcount == 0


async def test_payment_referrers_are_read_by_the_chain_only(client, chain_people,
                                                           chain) -> None:
    """Row-level security: another business, another user and an anonymous caller read none
    of a payment's referrers (nor its chain's offers), nor write one; each business paid
    through the chain reads them."""
    lead, _, _, to_d = chain
    (pro_a, owner_a), (_, owner_b), (_, owner_d), (_, owner_e) = (
        chain_people[k] for k in "abde")
    accepted = (await client.post(f"{API}/referrals/{to_d['id']}/accept",
                                  headers=auth(owner_d))).json()
    started = (await initiate(client, owner_a, accepted["proposal_id"])).json()
    for user in (owner_a, owner_b, owner_d):
        with unit_of_work(caller_for(user)) as session:
            assert session.execute(text("SELECT count(*) FROM payment_referrers")).scalar() == 3
    for caller in (caller_for(owner_e), caller_for(make_user(name="זר")), ANONYMOUS):
        with unit_of_work(caller) as session:
            for table in ("payment_referrers", "payments", "referrals"):
                assert session.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0
        with pytest.raises(Exception, match=r"row-level security|permission denied"), \
                unit_of_work(caller) as session:
            session.execute(text(
                "INSERT INTO payment_referrers (payment_id, position, professional_id,"
                " share_pct, fee) VALUES (:p, 4, :a, 1, 1)"),
                {"p": started["payment_id"], "a": pro_a.id})
    assert lead
