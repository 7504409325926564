"""A business's saved cards (issue 16 §3) on the sandbox and on Cardcom's stand-in: saved
through the provider's hosted page as a token (never a number), listed, made default,
removed; a declined card saves nothing; owners of that business and admins only, by the
service and by row-level security (another user, another business, staff, anonymous)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from ofair_app.adapters.psp.sandbox import DECLINED_CARD, SUCCESS_CARD, SandboxProvider
from ofair_app.db.engine import ANONYMOUS, Caller, unit_of_work
from ofair_app.domain.errors import Forbidden, NotFound
from ofair_app.models import UserRole
from ofair_app.services import payment_methods
from tests.cardcom_standin import DECLINED_CARD as CARDCOM_DECLINED_CARD
from tests.factories import add_member, caller_for, make_professional, make_user
from tests.integration.test_rls_identity import count, refused, rows_changed


def _reference(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[1]


def _save_sandbox(owner: Caller, business_id: uuid.UUID, card: str = SUCCESS_CARD) -> str:
    url = payment_methods.start_saving(caller=owner, professional_id=business_id)
    assert "/checkout/seti_sandbox_" in url
    return SandboxProvider().pay(_reference(url), card).outcome


def _listed(caller: Caller, business_id: uuid.UUID):
    with unit_of_work(caller) as session:
        return payment_methods.list_methods(session=session, caller=caller,
                                            professional_id=business_id)


@pytest.fixture
def owner(db):
    business, user = make_professional(business_name="אינסטלציה אלון")
    return business, caller_for(user), user


def test_a_card_is_saved_as_a_token_and_the_first_is_the_default(owner) -> None:
    business, caller, _ = owner
    assert _save_sandbox(caller, business.id) == "saved"
    assert payment_methods.finish_saving(caller=caller, professional_id=business.id) == 1
    assert payment_methods.finish_saving(caller=caller, professional_id=business.id) == 0
    (card,) = _listed(caller, business.id)
    assert (card.brand, card.last4, card.exp_month, card.exp_year, card.is_default) == (
        "Visa", "4242", 12, 2030, True)
    assert not hasattr(card, "token")
    with unit_of_work(caller) as session:
        stored = session.execute(text("SELECT token, last4 FROM payment_methods")).one()
    assert stored.token.startswith("tok_sandbox_") and SUCCESS_CARD not in stored.token


def test_a_declined_card_saves_nothing(owner) -> None:
    business, caller, _ = owner
    assert _save_sandbox(caller, business.id, DECLINED_CARD) == "declined"
    assert payment_methods.finish_saving(caller=caller, professional_id=business.id) == 0
    assert _listed(caller, business.id) == []


def test_default_and_remove(owner) -> None:
    business, caller, _ = owner
    for _ in range(2):
        _save_sandbox(caller, business.id)
        payment_methods.finish_saving(caller=caller, professional_id=business.id)
    first, second = _listed(caller, business.id)
    assert (first.is_default, second.is_default) == (True, False)
    with unit_of_work(caller) as session:
        payment_methods.make_default(session=session, caller=caller, method_id=second.id)
    assert [c.id for c in _listed(caller, business.id) if c.is_default] == [second.id]
    with unit_of_work(caller) as session:
        payment_methods.remove(session=session, caller=caller, method_id=second.id)
    (left,) = _listed(caller, business.id)
    assert (left.id, left.is_default) == (first.id, True)
    with unit_of_work(caller) as session, pytest.raises(NotFound):
        payment_methods.remove(session=session, caller=caller, method_id=second.id)


def test_cardcom_saves_a_token_through_its_hosted_page(cardcom_api, owner) -> None:
    business, caller, _ = owner
    declined = payment_methods.start_saving(caller=caller, professional_id=business.id)
    cardcom_api.pay(_reference(declined), CARDCOM_DECLINED_CARD)
    url = payment_methods.start_saving(caller=caller, professional_id=business.id)
    assert url.startswith(f"{cardcom_api.base_url}/pay/")
    cardcom_api.pay(_reference(url))
    assert payment_methods.finish_saving(caller=caller, professional_id=business.id) == 1
    (card,) = _listed(caller, business.id)
    assert (card.last4, card.exp_month, card.exp_year, card.is_default) == (
        "0000", 12, 2030, True)
    sent = cardcom_api.calls("LowProfile/Create")
    assert {c["Operation"] for c in sent} == {"CreateTokenOnly"}
    assert all(c["ReturnValue"] == f"card:{business.id}" for c in sent)


# --- who may -------------------------------------------------------------------------------


@pytest.fixture
def saved(owner):
    business, caller, user = owner
    _save_sandbox(caller, business.id)
    payment_methods.finish_saving(caller=caller, professional_id=business.id)
    (card,) = _listed(caller, business.id)
    staff = make_user(name="עובד")
    add_member(business, user, staff)
    return {"business": business, "owner": caller, "card": card,
            "staff": caller_for(staff),
            "other_user": caller_for(make_user(name="זר")),
            "other_business": caller_for(make_professional(business_name="סקרנים")[1]),
            "admin": caller_for(make_user(role=UserRole.admin, name="מנהלת"))}


@pytest.mark.parametrize("who", ["staff", "other_user", "other_business"])
def test_only_owners_manage_the_cards(saved, who) -> None:
    caller, business, card = saved[who], saved["business"], saved["card"]
    with pytest.raises(Forbidden):
        _listed(caller, business.id)
    with pytest.raises(Forbidden):
        payment_methods.start_saving(caller=caller, professional_id=business.id)
    for action in (payment_methods.make_default, payment_methods.remove):
        with unit_of_work(caller) as session, pytest.raises((Forbidden, NotFound)):
            action(session=session, caller=caller, method_id=card.id)
    assert len(_listed(saved["owner"], business.id)) == 1


@pytest.mark.parametrize("who", ["staff", "other_user", "other_business", "anonymous"])
def test_row_level_security_hides_and_protects_the_cards(saved, who) -> None:
    caller = ANONYMOUS if who == "anonymous" else saved[who]
    business, card = saved["business"], saved["card"]
    assert count(caller, "SELECT * FROM payment_methods") == 0
    assert rows_changed(caller, "UPDATE payment_methods SET is_default = false"
                                " WHERE id = :id", id=card.id) == 0
    assert rows_changed(caller, "DELETE FROM payment_methods WHERE id = :id", id=card.id) == 0
    assert refused(caller, "INSERT INTO payment_methods (professional_id, provider,"
                           " setup_reference) VALUES (:pid, 'sandbox', :ref)",
                   pid=business.id, ref=f"seti_forged_{who}")
    assert count(saved["owner"], "SELECT * FROM payment_methods") == 1


def test_admins_see_and_manage_any_business_cards(saved) -> None:
    admin, business, card = saved["admin"], saved["business"], saved["card"]
    assert [c.id for c in _listed(admin, business.id)] == [card.id]
    assert count(admin, "SELECT * FROM payment_methods") == 1
    with unit_of_work(admin) as session:
        payment_methods.remove(session=session, caller=admin, method_id=card.id)
    assert _listed(saved["owner"], business.id) == []
