"""A business's wallet: money held for finished work (pending), money it may withdraw
(available), and every movement, each derived from the ledger's entries."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlmodel import Session

from ofair_app.db.engine import Caller
from ofair_app.services import ledger
from ofair_app.services.ledger import Balances, HistoryLine
from ofair_app.services.professionals import acting_business


@dataclass(frozen=True)
class Wallet:
    professional_id: uuid.UUID
    balances: Balances
    history: list[HistoryLine]


def wallet(*, session: Session, caller: Caller, professional_id: uuid.UUID | None = None,
           limit: int = 50) -> Wallet:
    """The wallet of a business, for its owners and admins. Without `professional_id`, the
    caller's only business; someone in several must say which (422 on `professional_id`)."""
    professional_id = acting_business(session=session, caller=caller,
                                      professional_id=professional_id, owner=True).id
    return Wallet(professional_id=professional_id,
                  balances=ledger.balances(session, professional_id),
                  history=ledger.history(session, professional_id, limit=limit))
