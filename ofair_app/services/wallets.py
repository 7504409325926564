"""A business's wallet: money held for finished work (pending), money it may withdraw
(available), and every movement, each derived from the ledger's entries."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlmodel import Session

from ofair_app.db.engine import Caller
from ofair_app.domain.errors import InvalidInput
from ofair_app.services import ledger
from ofair_app.services.ledger import Balances, HistoryLine
from ofair_app.services.professionals import require_member


@dataclass(frozen=True)
class Wallet:
    professional_id: uuid.UUID
    balances: Balances
    history: list[HistoryLine]


def wallet(*, session: Session, caller: Caller, professional_id: uuid.UUID | None = None,
           limit: int = 50) -> Wallet:
    """The wallet of the caller's business (its owners, and admins)."""
    if professional_id is None:
        if not caller.professional_ids:
            raise InvalidInput(fields={"professional_id": "errors.field.required"})
        professional_id = caller.professional_ids[0]
    require_member(session=session, caller=caller, professional_id=professional_id, owner=True)
    return Wallet(professional_id=professional_id,
                  balances=ledger.balances(session, professional_id),
                  history=ledger.history(session, professional_id, limit=limit))
