"""Property-based fuzzing of the whole OpenAPI document with schemathesis, in process.

Every operation is called with generated inputs (valid and invalid: out-of-range numbers,
control characters, malformed ids, wrong types), once anonymously and once as a logged-in
professional. A run fails on any 5xx, on a status the operation does not document, and on any
answer (success or error) whose body does not match its documented schema. Bounded: a few
examples per operation, no shrinking past the first failure, so the file runs in a couple of
minutes on two cores.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from ofair_app.api import create_api
from tests.factories import make_professional, token_for

schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", create_api())

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
BOUNDED = settings(max_examples=6, deadline=None, derandomize=True, database=None,
                   phases=[Phase.explicit, Phase.generate],
                   suppress_health_check=list(HealthCheck))


@pytest.fixture
def pro_token(db) -> str:
    _, owner = make_professional(business_name="אינסטלציה פאזר")
    return token_for(owner)


@schema.parametrize()
@BOUNDED
def test_anonymous_callers_never_get_a_server_error(case, db) -> None:
    case.call_and_validate(checks=CHECKS)


@schema.parametrize()
@BOUNDED
def test_a_professional_never_gets_a_server_error(case, pro_token) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {pro_token}"}, checks=CHECKS)
