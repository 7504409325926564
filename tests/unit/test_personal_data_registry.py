"""The personal-data registry covers every table and personal-looking column of the models."""

from sqlmodel import SQLModel

import ofair_app.models  # noqa: F401  (registers every table)
from ofair_app.domain import personal_data
from ofair_app.domain.personal_data import REGISTRY, Erasure, check_schema


def model_schema() -> dict[str, set[str]]:
    return {name: {column.name for column in table.columns}
            for name, table in SQLModel.metadata.tables.items()}


def test_every_model_table_and_personal_column_is_registered():
    assert check_schema(model_schema()) == []


def test_a_new_table_with_a_phone_is_reported_with_what_to_add():
    schema = model_schema() | {"chat_reactions": {"id", "sender_user_id", "body", "ip"}}
    [problem] = check_schema(schema)
    assert "table 'chat_reactions' is not in ofair_app/domain/personal_data.py" in problem
    assert '"ip": Column(Category.…)' in problem
    assert '"sender_user_id": Column(Category.…)' in problem
    assert "NOT_PERSONAL['chat_reactions']" in problem


def test_a_new_personal_column_on_a_registered_table_is_reported():
    schema = model_schema()
    schema["leads"] = schema["leads"] | {"client_email"}
    [problem] = check_schema(schema)
    assert problem.startswith("column leads.client_email looks personal but is not registered")
    assert "REGISTRY entry 'leads'" in problem


def test_a_registered_column_that_is_gone_is_reported():
    schema = model_schema()
    schema["users"] = schema["users"] - {"email"}
    assert check_schema(schema) == [
        "REGISTRY entry 'users' names column 'email', which does not exist: remove it"]


def test_the_names_that_look_personal():
    for name in ("phone", "client_phone", "email", "to_address", "ip", "requester_ip",
                 "user_agent", "token_hash", "account_holder", "bank_code", "invited_by",
                 "owner_user_id", "business_name", "full_description", "storage_key"):
        assert personal_data.looks_personal(name), name
    for name in ("id", "status", "created_at", "amount", "lat", "price", "ship", "account_id",
                 "category_slug", "professional_id"):
        assert not personal_data.looks_personal(name), name


def test_users_are_erased_last_and_kept_tables_say_which_law():
    assert REGISTRY[-1].name == "users"
    for table in REGISTRY:
        kept = [name for name, column in table.columns.items() if not column.erase
                and column.category.value not in ("link",)]
        if table.erasure is Erasure.keep or kept:
            assert table.legal_hold or table.subject is None or kept == [], table.name
        if table.erasure is not Erasure.keep:
            assert table.erase_condition, table.name


def test_nothing_open_lets_an_account_close():
    assert personal_data.closure_blockers(personal_data.Obligations()) == []


def test_each_open_obligation_is_named_in_the_order_it_is_settled():
    everything = personal_data.Obligations(
        leads_in_progress=1, money_held=2, open_disputes=1, jobs_in_progress=3,
        wallet_balance=True, last_owner_of_team=1)
    assert personal_data.closure_blockers(everything) == [
        "errors.privacy.blocked.lead_in_progress", "errors.privacy.blocked.job_in_progress",
        "errors.privacy.blocked.dispute_open", "errors.privacy.blocked.money_held",
        "errors.privacy.blocked.wallet_balance", "errors.privacy.blocked.last_owner"]
    assert personal_data.closure_blockers(personal_data.Obligations(wallet_balance=True)) == [
        "errors.privacy.blocked.wallet_balance"]


def test_every_blocker_and_privacy_message_is_in_both_catalogs():
    import json
    from pathlib import Path

    root = Path(personal_data.__file__).resolve().parents[1] / "i18n"
    catalogs = [json.loads((root / f"{lang}.json").read_text()) for lang in ("he", "en")]
    everything = personal_data.Obligations(1, 1, 1, 1, True, 1)
    for key in [*personal_data.closure_blockers(everything), "errors.privacy.blocked"]:
        assert all(key in catalog for catalog in catalogs), key
