"""Helpers for the money tests: pay through the sandbox, read balances and the ledger."""

from __future__ import annotations

from decimal import Decimal

import httpx
from sqlalchemy import text

from ofair_app.adapters.psp import sign
from ofair_app.adapters.psp.sandbox import SUCCESS_CARD, SandboxProvider
from ofair_app.db.engine import SYSTEM, unit_of_work
from ofair_app.domain.ledger import Purpose
from ofair_app.services import ledger
from tests.api.test_leads_api import API, auth

sandbox = SandboxProvider()
D = Decimal


def sql(query: str, **params):
    with unit_of_work(SYSTEM) as session:
        return session.execute(text(query), params).all()


def balances(professional_id) -> tuple[Decimal, Decimal]:
    with unit_of_work(SYSTEM) as session:
        found = ledger.balances(session, professional_id)
    return found.pending, found.available


def platform(purpose: Purpose) -> Decimal:
    with unit_of_work(SYSTEM) as session:
        return -ledger.platform_balance(session, purpose)


def ledger_total() -> Decimal:
    with unit_of_work(SYSTEM) as session:
        return ledger.total_of_all_entries(session)


async def deliver(client: httpx.AsyncClient, payload: bytes, signature: str | None = None,
                  ) -> httpx.Response:
    return await client.post(f"{API}/payments/webhook", content=payload, headers={
        "Stripe-Signature": signature if signature is not None else sign(payload),
        "Content-Type": "application/json"})


async def pay(client, reference: str) -> httpx.Response:
    result = sandbox.pay(reference, SUCCESS_CARD)
    assert result.outcome == "paid"
    return await deliver(client, result.payload, result.signature)


async def initiate(client, user, proposal_id) -> httpx.Response:
    return await client.post(f"{API}/payments/initiate", json={"proposal_id": proposal_id},
                             headers=auth(user))


