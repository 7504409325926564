"""One contract, every provider: the same escrow scenarios through the REST API against the
sandbox, Stripe (a local stand-in of its API) and Cardcom (a local stand-in of its API v11).

Each provider tells us about a payment its own way (the sandbox and Stripe post a signed event
to /payments/webhook; Cardcom calls /payments/webhook/cardcom and is re-queried); a driver per
provider plays the client and the provider, and the scenarios only ever speak of "the client
paid", "the notice", "a forged notice". What must hold is the same for all three: a checkout
per payment, nothing applied before the provider vouches for it, a hold on the ledger once,
duplicates and forgeries changing nothing, reconciliation finding a lost notice, and a refund
done once at the provider whatever the retries.

Saved cards (b2b settlement's autopay) are part of the same contract: a card saved on the
provider's hosted page pays a due statement once (POST /statements/{id}/pay), a retry of the
same key charges nothing more, and a declining card leaves the statement due with nothing on the
ledger. Stripe saves no cards: saving answers 503 and keeps nothing, so there is nothing to
charge and the statement stays due. (There is no REST route for saving a card: the owner does it
on the profile page, which calls `payment_methods`; the drivers do the same.)
"""

from __future__ import annotations

import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest

from jobs.runner import run_job
from ofair_app.adapters.psp import (
    ProviderError,
    SavedCard,
    _provider,
    event_payload,
    get_provider,
    sign,
)
from ofair_app.adapters.psp.sandbox import (
    CHARGE_DECLINED_CARD,
    DECLINED_CARD,
    SUCCESS_CARD,
    SandboxProvider,
)
from ofair_app.domain.errors import AppError
from ofair_app.domain.ledger import Purpose
from ofair_app.models import Professional, User, UserRole
from ofair_app.models._base import utcnow
from ofair_app.services import payment_methods
from ofair_app.settings import get_settings
from tests.api.money import balances, initiate, ledger_total, platform, sql
from tests.api.test_leads_api import API, auth
from tests.b2b import account, settle
from tests.cardcom_standin import DECLINED_CARD as CARDCOM_DECLINED_CARD
from tests.factories import caller_for, make_user
from tests.integration.test_stripe_provider import FakeStripe, stripe_api  # noqa: F401 (fixture)
from tests.standin import configured

D = Decimal


@dataclass(frozen=True)
class Notice:
    """What a provider sends us: a POST to one of our paths."""

    path: str
    body: bytes
    headers: dict[str, str]


def _signed(payload: bytes, signature: str | None = None) -> Notice:
    return Notice(f"{API}/payments/webhook", payload,
                  {"Stripe-Signature": signature or sign(payload),
                   "Content-Type": "application/json"})


def _forged_event(reference: str) -> Notice:
    """A "paid" event for the checkout, signed with a key that is not ours."""
    payload = event_payload(f"evt_{secrets.token_hex(6)}", "checkout.session.completed",
                            {"id": reference, "object": "checkout.session",
                             "payment_status": "paid", "amount_total": 100000,
                             "currency": "ils"})
    return _signed(payload, sign(payload, secret="whsec_someone_else"))


def _save_card(owner: User, business: Professional, type_card) -> AppError | None:
    """The owner saves a card for the business as the profile page does: the provider's
    card-saving page is opened, `type_card(page)` plays the owner typing a card on it, and the
    owner comes back. None once the card is kept; else the error the owner was answered."""
    caller = caller_for(owner)
    try:
        url = payment_methods.start_saving(caller=caller, professional_id=business.id)
    except AppError as error:
        return error
    type_card(url.rstrip("/").rsplit("/", 1)[1])
    assert payment_methods.finish_saving(caller=caller, professional_id=business.id) == 1
    return None


class SandboxDriver:
    name = "sandbox"

    def __init__(self) -> None:
        self.sandbox = SandboxProvider()

    def client_pays(self, reference: str) -> Notice:
        result = self.sandbox.pay(reference, SUCCESS_CARD)
        assert result.outcome == "paid"
        return _signed(result.payload, result.signature)

    def client_is_declined(self, reference: str) -> Notice | None:
        assert self.sandbox.pay(reference, DECLINED_CARD).outcome == "declined"
        return None  # like Stripe, nothing is sent for a declined card

    def forged(self, reference: str) -> Notice:
        return _forged_event(reference)

    def refunded(self, charge: str) -> Decimal:
        agorot = sql("SELECT amount_refunded FROM sandbox_checkouts WHERE payment_intent = :pi",
                     pi=charge)[0][0]
        return D(agorot) / 100

    def refunds_made(self) -> int:
        return sql("SELECT count(*) FROM psp_operations"
                   " WHERE provider = 'sandbox' AND kind = 'refund'")[0][0]

    def client_saves_card(self, owner: User, business: Professional) -> AppError | None:
        return _save_card(owner, business, lambda page: self._type(page, SUCCESS_CARD))

    def client_saves_declining_card(self, owner: User, business: Professional
                                    ) -> AppError | None:
        """Saved, but every charge of it is declined (the sandbox's insufficient-funds card)."""
        return _save_card(owner, business, lambda page: self._type(page, CHARGE_DECLINED_CARD))

    def _type(self, page: str, card: str) -> None:
        assert self.sandbox.pay(page, card).outcome == "saved"

    def charges_made(self) -> int:
        """Saved cards the sandbox charged (its books: one done `charge` per charge)."""
        return sql("SELECT count(*) FROM psp_operations"
                   " WHERE provider = 'sandbox' AND kind = 'charge' AND status = 'done'")[0][0]


class StripeDriver:
    name = "stripe"

    def __init__(self, fake: FakeStripe) -> None:
        self.fake = fake

    def client_pays(self, reference: str) -> Notice:
        session = self.fake.sessions[reference]
        session.update(status="complete", payment_status="paid",
                       payment_intent=f"pi_test_{secrets.token_hex(6)}")
        data = {k: v for k, v in session.items() if k != "url"}
        return _signed(event_payload(f"evt_{secrets.token_hex(8)}",
                                     "checkout.session.completed", data))

    def client_is_declined(self, reference: str) -> Notice | None:
        return None  # Stripe keeps the session open and sends nothing

    def forged(self, reference: str) -> Notice:
        return _forged_event(reference)

    def refunded(self, charge: str) -> Decimal:
        return D(self.fake.refunded.get(charge, 0)) / 100

    def refunds_made(self) -> int:
        return len(self.fake.refunds_by_key)

    def client_saves_card(self, owner: User, business: Professional) -> AppError | None:
        return _save_card(owner, business, self._no_page)

    def client_saves_declining_card(self, owner: User, business: Professional
                                    ) -> AppError | None:
        return _save_card(owner, business, self._no_page)

    def _no_page(self, page: str) -> None:
        raise AssertionError(f"Stripe opened a card-saving page {page}: saved cards are new")

    def charges_made(self) -> int:
        """What Stripe was asked to charge: a saved card would be a PaymentIntent (off session);
        a charge of any kind is a request about `payment_intents` or `charges`."""
        return len([path for _, path, _, _ in self.fake.requests
                    if path.startswith(("payment_intents", "charges"))])


class CardcomDriver:
    name = "cardcom"

    def __init__(self, fake) -> None:
        self.fake = fake

    def _callback(self, body: bytes) -> Notice:
        return Notice(f"{API}/payments/webhook/cardcom", body,
                      {"Content-Type": "application/json"})

    def client_pays(self, reference: str) -> Notice:
        return self._callback(self.fake.pay(reference)[0])

    def client_is_declined(self, reference: str) -> Notice | None:
        return self._callback(self.fake.pay(reference, CARDCOM_DECLINED_CARD)[0])

    def forged(self, reference: str) -> Notice:
        return self._callback(f'{{"LowProfileId": "{uuid.uuid4()}"}}'.encode())

    def refunded(self, charge: str) -> Decimal:
        return self.fake.deals[int(charge)].refunded

    def refunds_made(self) -> int:
        return len(self.fake.calls("Transactions/RefundByTransactionId"))

    def client_saves_card(self, owner: User, business: Professional) -> AppError | None:
        return _save_card(owner, business, self.fake.pay)

    def client_saves_declining_card(self, owner: User, business: Professional
                                    ) -> AppError | None:
        """The card is saved (a token), then its issuer declines every charge of it."""
        def typed(page: str) -> None:
            self.fake.pay(page)
            self.fake.tokens[self.fake.pages[page].token["Token"]]["declines"] = True

        return _save_card(owner, business, typed)

    def charges_made(self) -> int:
        """Deals Cardcom made by charging a token (`Transactions/Transaction`), not on a page."""
        on_pages = {page.deal["TranzactionId"] for page in self.fake.pages.values() if page.deal}
        return len([deal for deal in self.fake.deals if deal not in on_pages])


@pytest.fixture(params=["sandbox", "stripe", "cardcom"])
def psp(request, db):
    if request.param == "stripe":
        return StripeDriver(request.getfixturevalue("stripe_api"))
    if request.param == "cardcom":
        return CardcomDriver(request.getfixturevalue("cardcom_api"))
    get_settings.cache_clear()
    _provider.cache_clear()
    assert get_settings().psp_provider == "sandbox"
    return SandboxDriver()


@pytest.fixture
async def started(psp, client, parties, referral_deal) -> dict:
    _, proposal = referral_deal
    response = await initiate(client, parties["referrer"][1], proposal["id"])
    assert response.status_code == 201, response.text
    return response.json()


async def send(client, notice: Notice):
    return await client.post(notice.path, content=notice.body, headers=notice.headers)


async def test_a_checkout_per_payment_and_the_same_one_again(psp, client, parties,
                                                             referral_deal, started) -> None:
    _, proposal = referral_deal
    assert started["checkout_url"] and started["psp_reference"]
    assert started["amounts"] == {"final_amount": "1000.00", "platform_commission": "50.00",
                                  "referrer_fee": "200.00", "professional_net_amount": "750.00"}
    again = (await initiate(client, parties["referrer"][1], proposal["id"])).json()
    assert (again["payment_id"], again["psp_reference"]) == (
        started["payment_id"], started["psp_reference"])
    assert sql("SELECT provider, status FROM payments") == [(psp.name, "pending")]


async def test_nothing_is_applied_until_the_provider_vouches(psp, client, started,
                                                            caplog) -> None:
    caplog.set_level(logging.WARNING, logger="ofair_app.services.payments")
    notice = psp.client_is_declined(started["psp_reference"])
    if notice is not None:
        assert (await send(client, notice)).json()["outcome"] == "ignored"
    forged = await send(client, psp.forged(started["psp_reference"]))
    assert (forged.status_code, forged.json()["error"]["code"]) == (400, "bad_signature")
    refused = [r.getMessage() for r in caplog.records if "webhook refused" in r.getMessage()]
    assert len(refused) == 1 and f"provider {psp.name}:" in refused[0], refused
    assert sql("SELECT status FROM payments") == [("pending",)]
    assert sql("SELECT count(*) FROM ledger_entries") == [(0,)]


async def test_paid_is_held_once_whatever_the_duplicates(psp, client, parties,
                                                         started) -> None:
    (r_business, _), (p_business, _) = parties["referrer"], parties["performer"]
    notice = psp.client_pays(started["psp_reference"])
    first = await send(client, notice)
    assert (first.status_code, first.json()["outcome"]) == (200, "applied")
    for _ in range(2):
        again = await send(client, notice)
        assert (again.status_code, again.json()["outcome"]) == (200, "duplicate")
    assert sql("SELECT status FROM payments") == [("paid",)]
    assert balances(p_business.id) == (D("750.00"), D("0"))
    assert balances(r_business.id) == (D("200.00"), D("0"))
    assert platform(Purpose.platform_pending) == D("50.00")
    assert sql("SELECT count(*) FROM ledger_transactions WHERE kind = 'hold'") == [(1,)]
    assert ledger_total() == 0


async def test_a_notice_for_a_payment_we_do_not_have_is_ignored(psp, client, started) -> None:
    stray = get_provider().create_checkout(
        payment_id=str(uuid.uuid4()), amount=D("1000.00"), currency="ils", description="x",
        success_url="https://ofair.test/ok", cancel_url="https://ofair.test/back")
    response = await send(client, psp.client_pays(stray.reference))
    assert (response.status_code, response.json()["outcome"]) == (200, "ignored")
    assert sql("SELECT status FROM payments") == [("pending",)]
    assert sql("SELECT count(*) FROM ledger_entries") == [(0,)]


async def test_reconciliation_finds_a_lost_notice(psp, client, parties, started) -> None:
    psp.client_pays(started["psp_reference"])  # the notice never arrives
    result = run_job("reconcile_payments", as_of=utcnow() + timedelta(minutes=20)).detail
    assert "1 paid" in result, result
    assert sql("SELECT status FROM payments") == [("paid",)]
    assert balances(parties["performer"][0].id) == (D("750.00"), D("0"))
    assert "0 checked" in run_job("reconcile_payments",
                                  as_of=utcnow() + timedelta(minutes=40)).detail


async def test_a_refund_is_made_once_at_the_provider(psp, client, parties, referral_deal,
                                                     started) -> None:
    lead, _ = referral_deal
    (r_business, referrer), (p_business, _) = parties["referrer"], parties["performer"]
    assert (await send(client, psp.client_pays(started["psp_reference"]))
            ).json()["outcome"] == "applied"
    admin = make_user(role=UserRole.admin, name="מנהלת")
    opened = (await client.post(f"{API}/leads/{lead['id']}/disputes",
                                json={"reason": "רק חצי מהעבודה בוצעה"},
                                headers=auth(referrer))).json()
    body = {"resolution": "refund_partial", "refund_amount": "400"}
    resolved = await client.post(f"{API}/admin/resolve-dispute/{opened['id']}", json=body,
                                 headers=auth(admin))
    assert resolved.status_code == 200, resolved.text
    assert (await client.post(f"{API}/admin/resolve-dispute/{opened['id']}", json=body,
                              headers=auth(admin))).status_code == 409
    charge = sql("SELECT psp_payment_intent FROM payments")[0][0]
    # the provider asked again with the dispute's key (a retry): nothing more is refunded
    again = get_provider().refund(charge=charge, amount=D("400.00"),
                                  idempotency_key=f"dispute:{opened['id']}")
    assert again.amount == D("400.00")
    assert psp.refunded(charge) == D("400.00")
    assert psp.refunds_made() == 1
    assert sql("SELECT status, refunded_amount::text FROM payments") == [
        ("partially_refunded", "400.00")]
    assert balances(p_business.id) == (D("0"), D("450.00"))
    assert balances(r_business.id) == (D("0"), D("120.00"))
    assert ledger_total() == 0


# --- saved cards: a due b2b statement paid with the business's card --------------------------


@pytest.fixture
def b2b(db, monkeypatch):
    with configured(monkeypatch, {"SETTLEMENT_MODE": "b2b"}):
        yield


@pytest.fixture
async def due(psp, b2b, client, parties, referral_deal) -> tuple[Professional, User, dict]:
    """DESIGN.md's example deal done in b2b mode and the month settled: the performer's
    statement (fees 50.00 + VAT 9.00 + 200.00 for the referrer) is due, as REST shows it."""
    lead, _ = referral_deal
    business, performer = parties["performer"]
    referrer = parties["referrer"][1]
    for path, user in (("start", performer), ("complete", performer),
                       ("confirm-completion", referrer)):
        answer = await client.post(f"{API}/leads/{lead['id']}/{path}", headers=auth(user))
        assert answer.status_code == 200, (path, answer.text)
    settle()
    statement = await statement_of(client, performer, business)
    assert (statement["amount_due"], statement["status"]) == ("259.00", "due")
    assert account(Purpose.pro_settlement, business.id) == D("259.00")
    return business, performer, statement


async def statement_of(client, owner: User, business: Professional) -> dict:
    [statement] = (await client.get(f"{API}/statements/{business.id}",
                                    headers=auth(owner))).json()["items"]
    return statement


async def pay_statement(client, owner: User, statement: dict):
    return await client.post(f"{API}/statements/{statement['id']}/pay", headers=auth(owner))


def attempts() -> list[tuple]:
    return sql("SELECT attempt, status, amount::text, provider, provider_reference"
               " FROM autopay_attempts ORDER BY attempt")


def statements_paid() -> int:
    return sql("SELECT count(*) FROM ledger_transactions WHERE kind = 'statement_paid'")[0][0]


def saved_card() -> SavedCard:
    [row] = sql("SELECT token, brand, last4, exp_month, exp_year FROM payment_methods"
                " WHERE status = 'active'")
    return SavedCard(token=row.token, brand=row.brand, last4=row.last4,
                     exp_month=row.exp_month, exp_year=row.exp_year)


async def nothing_to_charge(psp, client, owner: User, business: Professional, statement: dict,
                            refused: AppError) -> None:
    """What a provider that saves no cards (Stripe) does instead: saving answers a 503 and
    keeps nothing (not even a pending page), so paying finds no card — a clear 409 `no_card` —
    and the statement stays due, with no charge asked of the provider and no attempt written."""
    assert (refused.status, refused.code) == (503, "payment_provider_unavailable")
    assert sql("SELECT count(*) FROM payment_methods") == [(0,)]
    entries = sql("SELECT count(*) FROM ledger_entries")
    answer = await pay_statement(client, owner, statement)
    assert (answer.status_code, answer.json()["error"]["code"]) == (409, "no_card"), answer.text
    assert (await statement_of(client, owner, business))["status"] == "due"
    assert attempts() == []
    assert psp.charges_made() == 0
    assert sql("SELECT count(*) FROM ledger_entries") == entries
    assert statements_paid() == 0


async def test_a_saved_card_pays_a_due_statement_once(psp, client, due) -> None:
    business, owner, statement = due
    refused = psp.client_saves_card(owner, business)
    if refused is not None:
        return await nothing_to_charge(psp, client, owner, business, statement, refused)
    paid = await pay_statement(client, owner, statement)
    assert paid.status_code == 200, paid.text
    assert (paid.json()["outcome"], paid.json()["statement"]["status"],
            paid.json()["statement"]["amount_due"]) == ("paid", "paid", "259.00")
    again = await pay_statement(client, owner, statement)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "nothing_due")
    assert (await statement_of(client, owner, business))["status"] == "paid"
    assert psp.charges_made() == 1
    [(number, status, amount, provider, reference)] = attempts()
    assert (number, status, amount, provider) == (1, "succeeded", "259.00", psp.name)
    assert reference
    # the business owes nothing more; the provider holds the money for the platform
    assert statements_paid() == 1
    assert account(Purpose.pro_settlement, business.id) == 0
    assert account(Purpose.clearing) == D("259.00")
    assert ledger_total() == 0


async def test_a_retry_of_the_same_key_charges_nothing_more(psp, client, due) -> None:
    business, owner, statement = due
    provider = get_provider(psp.name)
    refused = psp.client_saves_card(owner, business)
    if refused is not None:
        never_saved = SavedCard(token="pm_card_visa", brand="Visa", last4="4242",
                                exp_month=12, exp_year=2030)
        for _ in range(2):  # the same key again: still a 503, still nothing asked of Stripe
            with pytest.raises(ProviderError):
                provider.charge_card(card=never_saved, amount=D("259.00"),
                                     idempotency_key=f"autopay:{statement['id']}:1")
        return await nothing_to_charge(psp, client, owner, business, statement, refused)
    assert (await pay_statement(client, owner, statement)).status_code == 200
    [(number, _, _, _, reference)] = attempts()
    # the provider is asked again with the attempt's key (its answer was lost, say)
    again = provider.charge_card(card=saved_card(), amount=D("259.00"),
                                 idempotency_key=f"autopay:{statement['id']}:{number}")
    assert again == reference
    assert psp.charges_made() == 1
    assert statements_paid() == 1
    assert ledger_total() == 0


async def test_a_declined_card_leaves_the_statement_due(psp, client, due) -> None:
    business, owner, statement = due
    refused = psp.client_saves_declining_card(owner, business)
    if refused is not None:
        return await nothing_to_charge(psp, client, owner, business, statement, refused)
    entries = sql("SELECT count(*) FROM ledger_entries")
    answer = await pay_statement(client, owner, statement)
    assert (answer.status_code, answer.json()["error"]["code"]) == (402, "card_declined"), \
        answer.text
    after = await statement_of(client, owner, business)
    assert (after["status"], after["amount_due"]) == ("due", "259.00")
    assert attempts() == [(1, "declined", "259.00", psp.name, None)]
    assert sql("SELECT reason FROM autopay_attempts") == [("declined by the card's issuer",)]
    assert psp.charges_made() == 0
    assert sql("SELECT count(*) FROM ledger_entries") == entries
    assert statements_paid() == 0
    assert account(Purpose.pro_settlement, business.id) == D("259.00")
    assert ledger_total() == 0
