"""The plan of a lead's accepted offer: the queries the services that touch milestones share.

A leaf module (it imports only models), so proposals, settlement and lead actions can read a
lead's plan without importing services/milestones.py, which imports them.
"""

from __future__ import annotations

import uuid

from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from ofair_app.models import Milestone, MilestonePlan, Proposal


def current_plan(lead_id: uuid.UUID) -> SelectOfScalar[MilestonePlan]:
    """The lead's plan for its accepted offer (an award taken back leaves its plan, and any
    payment of its steps, on record; a new award starts afresh)."""
    return (select(MilestonePlan)
            .join(Proposal, col(Proposal.id) == MilestonePlan.proposal_id)
            .where(MilestonePlan.lead_id == lead_id, Proposal.status == "accepted"))


def current_steps(lead_id: uuid.UUID) -> SelectOfScalar[Milestone]:
    """The steps of the lead's plan for its accepted offer, in order."""
    return (select(Milestone)
            .join(Proposal, col(Proposal.id) == Milestone.proposal_id)
            .where(Milestone.lead_id == lead_id, Proposal.status == "accepted")
            .order_by(col(Milestone.position)))
