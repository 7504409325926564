"""File storage: upload sniffing and validation, safe keys and names, local disk, signed links."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from ofair_app.adapters import storage as storage_module
from ofair_app.adapters.storage import (
    MAX_UPLOAD_BYTES,
    LocalStorage,
    S3Storage,
    content_disposition,
    get_storage,
    reset_storage,
    safe_filename,
    sniff_content_type,
    validate_key,
    validate_upload,
)
from ofair_app.domain.errors import InvalidInput
from ofair_app.settings import get_settings

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01" + b"\x00" * 32
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32
HTML = b"<!doctype html><script>alert(document.cookie)</script>"
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 32
SECRET = b"unit-test-secret"


def reason(excinfo: pytest.ExceptionInfo[InvalidInput]) -> str:
    return excinfo.value.fields["file"]


# --- sniffing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "expected"), [
    (PDF, "application/pdf"),
    (JPEG, "image/jpeg"),
    (PNG, "image/png"),
    (HTML, None),
    (EXE, None),
    (b"GIF89a" + b"\x00" * 16, None),
    (b"PK\x03\x04" + b"\x00" * 16, None),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", None),
    (b"", None),
    (b"%PDF", None),
    (b" %PDF-1.4", None),
])
def test_sniff_content_type_recognises_only_pdf_jpeg_and_png_by_magic_bytes(data, expected):
    assert sniff_content_type(data) == expected


# --- validate_upload --------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "filename", "expected"), [
    (PDF, "invoice.pdf", "application/pdf"),
    (JPEG, "photo.JPG", "image/jpeg"),
    (PNG, "screenshot.png", "image/png"),
    (PDF, "תעודת הסמכה.pdf", "application/pdf"),
])
def test_validate_upload_accepts_good_documents_and_returns_the_sniffed_type(
        data, filename, expected):
    assert validate_upload(data, filename) == expected


def test_validate_upload_lets_the_content_decide_the_type_not_the_extension():
    assert validate_upload(PNG, "scan.pdf") == "image/png"


def test_validate_upload_refuses_an_empty_file():
    with pytest.raises(InvalidInput) as excinfo:
        validate_upload(b"", "empty.pdf")
    assert reason(excinfo) == "errors.file.empty"
    assert excinfo.value.status == 422


def test_validate_upload_accepts_exactly_ten_megabytes_but_refuses_one_byte_more():
    exactly = PDF + b"\x00" * (MAX_UPLOAD_BYTES - len(PDF))
    assert validate_upload(exactly, "big.pdf") == "application/pdf"
    with pytest.raises(InvalidInput) as excinfo:
        validate_upload(exactly + b"\x00", "big.pdf")
    assert reason(excinfo) == "errors.file.too_large"


@pytest.mark.parametrize(("data", "filename"), [
    (HTML, "x.pdf"),
    (EXE, "invoice.pdf"),
    (EXE, "photo.jpg"),
    (b"GIF89a" + b"\x00" * 16, "anim.gif"),
    (b"plain text", "notes.png"),
])
def test_validate_upload_refuses_disguised_or_unsupported_types(data, filename):
    with pytest.raises(InvalidInput) as excinfo:
        validate_upload(data, filename)
    assert reason(excinfo) == "errors.file.type"


def test_validate_upload_refuses_a_type_outside_the_allowed_set():
    with pytest.raises(InvalidInput) as excinfo:
        validate_upload(PDF, "doc.pdf", allowed={"image/jpeg", "image/png"})
    assert reason(excinfo) == "errors.file.type"


def test_validate_upload_honours_a_smaller_size_limit():
    with pytest.raises(InvalidInput) as excinfo:
        validate_upload(PDF, "doc.pdf", max_bytes=len(PDF) - 1)
    assert reason(excinfo) == "errors.file.too_large"


@pytest.mark.parametrize("filename", [
    "",
    "   ",
    "..",
    "a" * 197 + ".pdf",
    "../../etc/passwd.pdf",
    "dir/file.pdf",
    "C:\\Users\\me\\file.pdf",
    "file\x00.pdf",
    "line\nbreak.pdf",
    "invoice\u202efdp.exe",
])
def test_validate_upload_refuses_bad_filenames(filename):
    with pytest.raises(InvalidInput) as excinfo:
        validate_upload(PDF, filename)
    assert reason(excinfo) == "errors.file.name"


def test_validate_upload_accepts_a_filename_of_exactly_two_hundred_characters():
    assert validate_upload(PDF, "a" * 196 + ".pdf") == "application/pdf"


# --- safe_filename and Content-Disposition ------------------------------------------------------


@pytest.mark.parametrize(("name", "expected"), [
    ("invoice.pdf", "invoice.pdf"),
    ("חשבונית מס 2024.pdf", "חשבונית מס 2024.pdf"),
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\me\\scan.png", "scan.png"),
    ("bad\x00\x1f\x7fname.pdf", "badname.pdf"),
    ("evil\u202efdp.exe", "evilfdp.exe"),
    ('a"b<c>:d|e?f*.pdf', "abcdef.pdf"),
    ("  spaced   out  .pdf ", "spaced out .pdf"),
    ("", "file"),
    ("...", "file"),
    ("dir/", "file"),
])
def test_safe_filename_strips_folders_and_control_characters_but_keeps_hebrew(name, expected):
    assert safe_filename(name) == expected


def test_safe_filename_shortens_long_names_and_keeps_the_extension():
    name = safe_filename("א" * 300 + ".pdf")
    assert len(name) == 200
    assert name.endswith(".pdf")


def test_content_disposition_is_an_attachment_with_an_rfc5987_utf8_name():
    header = content_disposition("חשבונית.pdf")
    assert header.startswith("attachment; ")
    assert "filename*=UTF-8''%D7%97%D7%A9%D7%91%D7%95%D7%A0%D7%99%D7%AA.pdf" in header
    assert 'filename="download.pdf"' in header
    assert content_disposition('a".pdf') == "attachment; filename=\"a.pdf\"; filename*=UTF-8''a.pdf"


# --- keys -------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", [
    "certificates/3f2a/license.pdf",
    "a",
    "jobs/12/photo_1.JPG",
    "x-y/z.tar.gz",
])
def test_validate_key_accepts_plain_relative_paths(key):
    assert validate_key(key) == key


@pytest.mark.parametrize("key", [
    "",
    "../etc/passwd",
    "a/../../etc/passwd",
    "a/..",
    "/etc/passwd",
    "a//b",
    "a/",
    "./a",
    "a/.hidden",
    "a\\b",
    "a b",
    "a\x00b",
    "תעודה.pdf",
    "a%2e%2e/b",
    "x" * 513,
])
def test_validate_key_refuses_anything_that_could_escape_the_root(key):
    with pytest.raises(ValueError):
        validate_key(key)


# --- LocalStorage -----------------------------------------------------------------------------


@pytest.fixture
def local(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "files", SECRET, "https://ofair.example/")


def test_local_storage_round_trips_put_get_exists_delete(local: LocalStorage):
    key = "certificates/abc/license.pdf"
    assert not local.exists(key)
    local.put(key, PDF, "application/pdf")
    assert local.exists(key)
    assert local.get(key) == PDF
    assert (local.root / key).read_bytes() == PDF
    local.delete(key)
    assert not local.exists(key)


def test_local_storage_put_replaces_the_previous_content(local: LocalStorage):
    local.put("a/b.png", PNG, "image/png")
    local.put("a/b.png", JPEG, "image/jpeg")
    assert local.get("a/b.png") == JPEG


def test_local_storage_leaves_no_temp_files_and_keeps_files_private(local: LocalStorage):
    local.put("a/b.pdf", PDF, "application/pdf")
    assert [p.name for p in (local.root / "a").iterdir()] == ["b.pdf"]
    assert (local.root / "a" / "b.pdf").stat().st_mode & 0o077 == 0


def test_local_storage_cleans_up_the_temp_file_when_the_write_fails(local: LocalStorage,
                                                                     monkeypatch):
    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(storage_module.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        local.put("a/b.pdf", PDF, "application/pdf")
    assert list((local.root / "a").iterdir()) == []


def test_local_storage_get_of_a_missing_key_raises_file_not_found(local: LocalStorage):
    with pytest.raises(FileNotFoundError):
        local.get("nothing/here.pdf")


def test_local_storage_delete_is_idempotent(local: LocalStorage):
    local.delete("never/stored.pdf")
    local.put("x.pdf", PDF, "application/pdf")
    local.delete("x.pdf")
    local.delete("x.pdf")
    assert not local.exists("x.pdf")


@pytest.mark.parametrize("operation", ["put", "get", "delete", "exists"])
def test_local_storage_refuses_keys_that_escape_the_root(local: LocalStorage, operation):
    args = ("../escape.pdf", PDF, "application/pdf") if operation == "put" else ("../escape.pdf",)
    with pytest.raises(ValueError):
        getattr(local, operation)(*args)
    assert not (local.root.parent / "escape.pdf").exists()


def test_local_storage_refuses_a_symlink_that_points_outside_the_root(local: LocalStorage,
                                                                       tmp_path: Path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.pdf").write_bytes(PDF)
    local.root.mkdir(parents=True)
    os.symlink(outside, local.root / "link")
    with pytest.raises(ValueError):
        local.get("link/secret.pdf")


def test_local_storage_refuses_a_content_type_that_could_split_a_header(local: LocalStorage):
    with pytest.raises(ValueError):
        local.put("a.pdf", PDF, "application/pdf\r\nSet-Cookie: x=1")


def test_concurrent_writers_never_leave_a_half_written_file(local: LocalStorage):
    blobs = [bytes([i]) * 200_000 for i in range(8)]
    threads = [threading.Thread(target=local.put, args=("race.bin", blob, "application/pdf"))
               for blob in blobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert local.get("race.bin") in blobs


# --- signed links -----------------------------------------------------------------------------


def link_params(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def test_signed_url_points_at_the_files_route_with_expiry_name_type_and_signature(
        local: LocalStorage):
    url = local.signed_url("a/b.pdf", filename="חשבונית.pdf", content_type="application/pdf",
                           expires_in=60, now=1_000_000)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
        "https://ofair.example/api/v1/files/a/b.pdf")
    params = link_params(url)
    assert params["exp"] == "1000060"
    assert params["fn"] == "חשבונית.pdf"
    assert params["ct"] == "application/pdf"
    assert len(params["sig"]) == 64
    assert local.verify_signature("a/b.pdf", params["exp"], params["fn"], params["ct"],
                                  params["sig"], now=1_000_059)


def test_signed_url_sanitises_the_download_name(local: LocalStorage):
    url = local.signed_url("a.pdf", filename="../x\n.pdf", content_type="application/pdf")
    assert link_params(url)["fn"] == "x.pdf"


@pytest.mark.parametrize("expires_in", [0, -1, 7 * 24 * 3600 + 1])
def test_signed_url_refuses_a_lifetime_out_of_range(local: LocalStorage, expires_in):
    with pytest.raises(ValueError):
        local.signed_url("a.pdf", filename="a.pdf", content_type="application/pdf",
                         expires_in=expires_in)


@pytest.mark.parametrize("field", ["key", "exp", "fn", "ct", "sig"])
def test_verify_signature_refuses_any_tampered_field(local: LocalStorage, field):
    url = local.signed_url("a/b.pdf", filename="b.pdf", content_type="application/pdf",
                           now=1_000_000)
    values = {"key": "a/b.pdf", **link_params(url)}
    tampered = {
        "key": "a/c.pdf",
        "exp": str(int(values["exp"]) + 3600),
        "fn": "b.html",
        "ct": "text/html",
        "sig": ("0" if values["sig"][0] != "0" else "1") + values["sig"][1:],
    }
    values[field] = tampered[field]
    assert not local.verify_signature(values["key"], values["exp"], values["fn"], values["ct"],
                                      values["sig"], now=1_000_001)


def test_verify_signature_refuses_an_expired_link(local: LocalStorage):
    url = local.signed_url("a.pdf", filename="a.pdf", content_type="application/pdf",
                           expires_in=300, now=1_000_000)
    p = link_params(url)
    assert local.verify_signature("a.pdf", p["exp"], p["fn"], p["ct"], p["sig"], now=1_000_299)
    assert not local.verify_signature("a.pdf", p["exp"], p["fn"], p["ct"], p["sig"],
                                      now=1_000_300)


@pytest.mark.parametrize("exp", ["", "abc", "-5", "1e9", " 1000300", "１０００３００"])
def test_verify_signature_refuses_a_malformed_expiry(local: LocalStorage, exp):
    url = local.signed_url("a.pdf", filename="a.pdf", content_type="application/pdf",
                           now=1_000_000)
    p = link_params(url)
    assert not local.verify_signature("a.pdf", exp, p["fn"], p["ct"], p["sig"], now=0)


def test_a_link_signed_with_another_secret_is_refused(tmp_path: Path):
    ours = LocalStorage(tmp_path, SECRET, "https://ofair.example")
    theirs = LocalStorage(tmp_path, b"someone-else", "https://ofair.example")
    p = link_params(theirs.signed_url("a.pdf", filename="a.pdf", content_type="application/pdf"))
    assert not ours.verify_signature("a.pdf", p["exp"], p["fn"], p["ct"], p["sig"])


def test_the_link_signature_is_not_a_plain_hmac_with_the_secret_key(local: LocalStorage):
    import hashlib
    import hmac

    url = local.signed_url("a.pdf", filename="a.pdf", content_type="application/pdf")
    p = link_params(url)
    naive = hmac.new(SECRET, "\n".join(("a.pdf", p["exp"], p["fn"], p["ct"])).encode(),
                     hashlib.sha256).hexdigest()
    assert p["sig"] != naive


# --- choosing the backend ---------------------------------------------------------------------


@pytest.fixture
def fresh_settings(monkeypatch):
    yield monkeypatch
    monkeypatch.undo()
    get_settings.cache_clear()
    reset_storage()


def test_get_storage_follows_the_settings_and_caches_per_settings_object(fresh_settings,
                                                                         tmp_path: Path):
    fresh_settings.setenv("OFAIR_DATA_DIR", str(tmp_path))
    fresh_settings.setenv("STORAGE_BACKEND", "local")
    get_settings.cache_clear()
    first = get_storage()
    assert isinstance(first, LocalStorage)
    assert first.root == (tmp_path / "files").resolve()
    assert get_storage() is first

    fresh_settings.setenv("STORAGE_BACKEND", "s3")
    fresh_settings.setenv("S3_ENDPOINT_URL", "http://127.0.0.1:9")
    get_settings.cache_clear()
    second = get_storage()
    assert isinstance(second, S3Storage)
    assert second.bucket == get_settings().s3_bucket


def test_reset_storage_rebuilds_the_backend(fresh_settings):
    first = get_storage()
    reset_storage()
    assert get_storage() is not first
