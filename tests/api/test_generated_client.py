"""A Python client generated from our OpenAPI document with `openapi-python-client` works and
is pleasant: short module names from the operation ids, and errors parsed as the envelope
(`ErrorEnvelope` with `error.code/message/fields`), not as FastAPI's `{detail}` or `None`.

The client is generated into a temporary directory (no network) and driven in process through
httpx's ASGI transport: login by a test number's fixed code → post a lead → read it → a 422 →
a 404.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from ofair_app.api import create_api
from ofair_app.settings import get_settings
from tests.api.test_leads_api import HAIFA, PLUMBING
from tests.factories import signup_fields

PHONE, CODE = "+972500000007", "246810"
PACKAGE = "ofair_client"


def test_every_operation_id_is_short_unique_and_stable() -> None:
    schema = create_api().openapi()
    ids = [op["operationId"] for ops in schema["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z]+-[a-z_]+", op_id) for op_id in ids), ids
    assert {"leads-create", "leads-get", "leads-public", "proposals-accept",
            "payments-webhook", "auth-verify_otp"} <= set(ids)


def test_every_error_is_documented_as_the_envelope() -> None:
    schema = create_api().openapi()
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    envelope = {"$ref": "#/components/schemas/ErrorEnvelope"}
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            errors = {s: r for s, r in op["responses"].items() if s.startswith("4")}
            for status, response in errors.items():
                assert response["content"]["application/json"]["schema"] == envelope, \
                    (method, path, status)
            if op.get("parameters") or op.get("requestBody"):
                assert "422" in errors, (method, path)
            if op.get("requestBody"):
                assert "413" in errors, (method, path)
            if op.get("security"):
                assert "401" in errors, (method, path)


@pytest.fixture(scope="module")
def generated_client(tmp_path_factory) -> object:
    """The client package, generated from the app's document into a temporary directory."""
    root = tmp_path_factory.mktemp("generated")
    document = root / "openapi.json"
    document.write_text(json.dumps(create_api().openapi()))
    bin_dir = str(Path(sys.executable).parent)  # the generator formats its output with ruff
    subprocess.run(
        [str(Path(bin_dir) / "openapi-python-client"), "generate", "--path", str(document),
         "--output-path", str(root / PACKAGE), "--meta", "none"],
        check=True, capture_output=True, timeout=300,
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"})
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


@pytest.fixture
def test_number(monkeypatch):
    monkeypatch.setenv("OFAIR_TEST_OTPS", f"{PHONE}={CODE}")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _module(package, name: str):
    return importlib.import_module(f"{package.__name__}.{name}")


async def test_a_generated_client_logs_in_posts_a_lead_and_reads_errors(
        generated_client, test_number, db) -> None:
    client_module = _module(generated_client, "client")
    models = _module(generated_client, "models")
    send_otp = _module(generated_client, "api.auth.auth_send_otp")
    verify_otp = _module(generated_client, "api.auth.auth_verify_otp")
    leads_create = _module(generated_client, "api.leads.leads_create")
    leads_get = _module(generated_client, "api.leads.leads_get")
    transport = {"transport": httpx.ASGITransport(app=create_api())}
    anonymous = client_module.Client(base_url="http://testserver", httpx_args=transport)

    sent = await send_otp.asyncio(client=anonymous, body=models.SendOtpIn(phone=PHONE))
    assert isinstance(sent, models.SendOtpOut) and sent.target == PHONE
    # A new account must name the current privacy notice and terms (the 422 says which).
    refused = await verify_otp.asyncio(client=anonymous,
                                       body=models.VerifyOtpIn(phone=PHONE, otp=CODE))
    assert isinstance(refused, models.ErrorEnvelope)
    assert refused.error.code == "consent_required"
    login = await verify_otp.asyncio(client=anonymous,
                                     body=models.VerifyOtpIn(phone=PHONE, otp=CODE,
                                                             **signup_fields()))
    assert isinstance(login, models.TokenOut) and login.user.phone == PHONE
    wrong = await verify_otp.asyncio(client=anonymous,
                                     body=models.VerifyOtpIn(phone=PHONE, otp="000000"))
    assert isinstance(wrong, models.ErrorEnvelope) and wrong.error.code

    me = client_module.AuthenticatedClient(base_url="http://testserver", token=login.token,
                                           httpx_args=transport)
    created = await leads_create.asyncio(client=me, body=models.LeadCreate(
        title="תיקון נזילה במטבח", category=PLUMBING.slug, locality_id=HAIFA.id,
        description="הברז במטבח מטפטף כבר שבוע ויש רטיבות בארון שמתחת לכיור.",
        budget="450", client_name="רונית לקוחה", client_phone="050-123-4567"))
    assert isinstance(created, models.LeadOwnerOut), created
    assert created.client.client_phone and created.title == "תיקון נזילה במטבח"

    read = await leads_get.asyncio(client=me, lead_id=created.id)
    assert not isinstance(read, models.ErrorEnvelope)
    assert read.id == created.id and read.is_mine

    invalid = await leads_create.asyncio(client=me, body=models.LeadCreate(
        title="x", category="no-such-category", description="short\u0000", locality_id=2**31))
    assert isinstance(invalid, models.ErrorEnvelope)
    assert invalid.error.code == "validation_error" and invalid.error.message
    assert {"description", "locality_id"} <= set(invalid.error.fields.to_dict())

    missing = await leads_get.asyncio(client=me, lead_id=uuid.uuid4())
    assert isinstance(missing, models.ErrorEnvelope)
    assert missing.error.code == "not_found" and missing.error.message
    assert missing.error.fields.to_dict() == {}
