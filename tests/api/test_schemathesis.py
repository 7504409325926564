"""Property-based fuzzing of the whole OpenAPI document with schemathesis, in process.

Every operation is called with generated inputs (valid and invalid: out-of-range numbers,
control characters, malformed ids, wrong types), once anonymously and once as a logged-in
professional whose calls name its own business, lead and offer (so they reach the services,
not only the door). A run fails on any 5xx, on a status the operation does not document, on
a content type it does not document, and on any answer (success or error) whose body does not
match its documented schema. Bounded: a few examples per operation and no shrinking, so the
file runs in about three minutes on two cores.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

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
from ofair_app.db.engine import unit_of_work
from ofair_app.models import ProposalCreate
from ofair_app.services import proposals
from tests.factories import (
    caller_for,
    make_lead,
    make_professional,
    make_user,
    pro_lead_data,
    token_for,
)

schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", create_api())

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
BOUNDED = settings(max_examples=20, deadline=None, derandomize=True, database=None,
                   phases=[Phase.explicit, Phase.generate],
                   suppress_health_check=list(HealthCheck))


@dataclass
class ProWorld:
    """A professional with a business, its own lead and an offer on a consumer's request: the
    ids its fuzzed calls use, so they reach the services behind the door, not only 404s."""

    token: str
    ids: dict[str, str]

    def aim(self, case) -> None:
        for name in case.path_parameters or {}:
            if name in self.ids:
                case.path_parameters[name] = self.ids[name]


@pytest.fixture
def pro(db) -> ProWorld:
    business, owner = make_professional(business_name="אינסטלציה פאזר")
    own_lead = make_lead(owner, pro_lead_data(business))
    request = make_lead(make_user(name="רונית"))
    caller = caller_for(owner)
    with unit_of_work(caller) as session:
        proposal = proposals.create_proposal(
            session=session, caller=caller, lead_id=request.id,
            data=ProposalCreate(price=Decimal("450"), description="אגיע מחר עם החלקים."))
    return ProWorld(token=token_for(owner), ids={
        "professional_id": str(business.id), "lead_id": str(own_lead.id),
        "proposal_id": str(proposal.id), "user_id": str(owner.id)})


@schema.parametrize()
@BOUNDED
def test_anonymous_callers_never_get_a_server_error(case, db) -> None:
    case.call_and_validate(checks=CHECKS)


@schema.parametrize()
@BOUNDED
def test_a_professional_never_gets_a_server_error(case, pro) -> None:
    pro.aim(case)
    case.call_and_validate(headers={"Authorization": f"Bearer {pro.token}"}, checks=CHECKS)
