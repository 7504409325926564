"""`GET /api/v1/files/{key}`: signed links to the local backend download, nothing else does."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from ofair_app.adapters.storage import LocalStorage, get_storage, reset_storage
from ofair_app.settings import get_settings

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 512 + b"\n%%EOF\n"


@pytest.fixture
def files(client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch,
          tmp_path: Path) -> Iterator[LocalStorage]:
    """Local storage under a fresh data directory; the previous settings come back afterwards.

    Depends on `client` so it is set up after (and torn down before) the database fixture, which
    therefore never sees the temporary data directory.
    """
    monkeypatch.setenv("OFAIR_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("STORAGE_BACKEND", "local")
    monkeypatch.setenv("OFAIR_PUBLIC_URL", "http://testserver")
    get_settings.cache_clear()
    reset_storage()
    storage = get_storage()
    assert isinstance(storage, LocalStorage)
    yield storage
    monkeypatch.undo()
    get_settings.cache_clear()
    reset_storage()


def relative(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def with_params(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    params = {name: values[0] for name, values in parse_qs(parts.query).items()}
    params.update(changes)
    return f"{parts.path}?{urlencode(params)}"


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    assert PDF[:16] not in response.content


async def test_a_signed_link_downloads_the_file_as_a_private_attachment(client, files):
    files.put("certificates/1/license.pdf", PDF, "application/pdf")
    url = files.signed_url("certificates/1/license.pdf", filename="רישיון עסק.pdf",
                           content_type="application/pdf")
    assert url.startswith("http://testserver/api/v1/files/certificates/1/license.pdf?")

    response = await client.get(relative(url))

    assert response.status_code == 200
    assert response.content == PDF
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-length"] == str(len(PDF))
    assert response.headers["content-disposition"].startswith("attachment;")
    assert ("filename*=UTF-8''%D7%A8%D7%99%D7%A9%D7%99%D7%95%D7%9F%20%D7%A2%D7%A1%D7%A7.pdf"
            in response.headers["content-disposition"])
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "private, no-store"
    assert "sandbox" in response.headers["content-security-policy"]


async def test_the_link_serves_the_type_it_was_signed_with(client, files):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    files.put("jobs/7/photo.png", png, "image/png")
    url = files.signed_url("jobs/7/photo.png", filename="photo.png", content_type="image/png")
    response = await client.get(relative(url))
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.content == png


@pytest.mark.parametrize("change", [
    {"sig": "0" * 64},
    {"ct": "text/html"},
    {"fn": "license.html"},
    {"exp": "9999999999"},
    {"sig": ""},
])
async def test_a_tampered_link_is_refused_with_403_and_the_error_envelope(client, files, change):
    files.put("certificates/1/license.pdf", PDF, "application/pdf")
    url = files.signed_url("certificates/1/license.pdf", filename="license.pdf",
                           content_type="application/pdf")
    response = await client.get(with_params(url, **change))
    assert_error(response, 403, "forbidden")


async def test_a_link_moved_to_another_key_is_refused(client, files):
    files.put("certificates/1/license.pdf", PDF, "application/pdf")
    files.put("certificates/2/license.pdf", PDF, "application/pdf")
    url = files.signed_url("certificates/1/license.pdf", filename="license.pdf",
                           content_type="application/pdf")
    response = await client.get(relative(url).replace("/1/", "/2/"))
    assert_error(response, 403, "forbidden")


async def test_a_request_without_a_signature_is_refused(client, files):
    files.put("certificates/1/license.pdf", PDF, "application/pdf")
    response = await client.get("/api/v1/files/certificates/1/license.pdf")
    assert_error(response, 403, "forbidden")


async def test_an_expired_link_is_refused_with_link_expired(client, files):
    files.put("certificates/1/license.pdf", PDF, "application/pdf")
    url = files.signed_url("certificates/1/license.pdf", filename="license.pdf",
                           content_type="application/pdf", expires_in=60, now=1_000_000)
    response = await client.get(relative(url), headers={"Accept-Language": "en"})
    assert_error(response, 403, "link_expired")
    assert response.json()["error"]["message"] == (
        "This download link has expired. Go back to the page for a new one.")


async def test_a_signed_link_to_an_unknown_key_is_404(client, files):
    url = files.signed_url("certificates/404/missing.pdf", filename="missing.pdf",
                           content_type="application/pdf")
    response = await client.get(relative(url))
    assert_error(response, 404, "not_found")


async def test_a_deleted_file_is_404_even_with_a_valid_link(client, files):
    files.put("certificates/1/license.pdf", PDF, "application/pdf")
    url = files.signed_url("certificates/1/license.pdf", filename="license.pdf",
                           content_type="application/pdf")
    files.delete("certificates/1/license.pdf")
    response = await client.get(relative(url))
    assert_error(response, 404, "not_found")


async def test_path_traversal_never_reads_outside_the_storage_root(client, files, tmp_path):
    (tmp_path / "secret.pdf").write_bytes(PDF)
    for path in ("/api/v1/files/../secret.pdf", "/api/v1/files/%2e%2e/secret.pdf",
                 "/api/v1/files/..%2fsecret.pdf"):
        response = await client.get(path, params={"exp": "9999999999", "sig": "0" * 64})
        assert response.status_code in {403, 404}
        assert PDF[:16] not in response.content


async def test_files_are_not_served_by_the_api_when_the_backend_is_s3(client, files,
                                                                      monkeypatch):
    files.put("certificates/1/license.pdf", PDF, "application/pdf")
    url = files.signed_url("certificates/1/license.pdf", filename="license.pdf",
                           content_type="application/pdf")
    monkeypatch.setenv("STORAGE_BACKEND", "s3")
    monkeypatch.setenv("S3_ENDPOINT_URL", "http://127.0.0.1:9")
    get_settings.cache_clear()
    response = await client.get(relative(url))
    assert_error(response, 404, "not_found")
