"""Browsers may call the API only from the configured origins (never `*` with credentials)."""


async def test_a_foreign_origin_is_not_allowed(client):
    response = await client.options("/api/v1/health", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "GET"})
    assert response.headers.get("access-control-allow-origin") is None


async def test_the_public_origin_is_allowed(client):
    response = await client.get("/api/v1/health", headers={"Origin": "http://localhost:3000"})
    assert response.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert response.headers["access-control-allow-credentials"] == "true"
