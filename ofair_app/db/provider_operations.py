"""Provider operations done once per key (`psp_operations`, migration 0012_psp_cardcom).

For a provider with no idempotency key of its own (Cardcom's refunds), our key is written as
`started` before the provider is called and `done` with the provider's id after, each in its
own transaction, so a retry of a finished operation is answered from here without calling,
and one whose answer was lost is known as such. Only the platform reads or writes these rows.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final, Literal, NamedTuple

from sqlalchemy import text

from ofair_app.db.engine import SYSTEM, unit_of_work

GO: Final = "go"  # call the provider
UNANSWERED: Final = "unanswered"  # the last call of this key got no answer: it may have been done


class Done(NamedTuple):
    """The operation was done before: the provider's id and the amount."""

    reference: str
    amount: Decimal


def claim(*, provider: str, key: str, kind: str, amount: Decimal,
          resend_unanswered: bool) -> Done | Literal["go", "unanswered"]:
    """Claim `key` before calling the provider. A key tried before and failed is claimed
    again; one still `started` (no answer came) is claimed again only with
    `resend_unanswered` (the provider recognises a repeat), else `UNANSWERED`."""
    with unit_of_work(SYSTEM) as session:
        claimed = session.execute(text(
            "INSERT INTO psp_operations (provider, key, kind, status, amount)"
            " VALUES (:provider, :key, :kind, 'started', :amount)"
            " ON CONFLICT (provider, key) DO NOTHING RETURNING key"),
            {"provider": provider, "key": key, "kind": kind, "amount": amount}).first()
        if claimed is not None:
            return GO
        row = session.execute(text(
            "SELECT status, provider_reference, amount FROM psp_operations"
            " WHERE provider = :provider AND key = :key FOR UPDATE"),
            {"provider": provider, "key": key}).one()
        if row.status == "done":
            return Done(row.provider_reference or "", row.amount)
        if row.status == "started" and not resend_unanswered:
            return UNANSWERED
        session.execute(text(
            "UPDATE psp_operations SET status = 'started', amount = :amount, updated_at = now()"
            " WHERE provider = :provider AND key = :key"),
            {"provider": provider, "key": key, "amount": amount})
    return GO


def finish(*, provider: str, key: str, status: Literal["done", "failed"],
           reference: str | None = None) -> None:
    """Record how the provider's call of `key` ended."""
    with unit_of_work(SYSTEM) as session:
        session.execute(text(
            "UPDATE psp_operations SET status = :status, provider_reference = :ref,"
            " updated_at = now() WHERE provider = :provider AND key = :key"),
            {"provider": provider, "key": key, "status": status, "ref": reference})
