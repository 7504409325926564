"""API tests: httpx against the ASGI app, in process."""

from collections.abc import AsyncIterator

import httpx
import pytest

from ofair_app.api import create_api


@pytest.fixture
async def client(db) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_api(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
