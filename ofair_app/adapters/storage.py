"""Private file storage behind one small interface: the local disk in development, S3 in production.

Certificates, invoices and job photos are personal data, so nothing is ever public: a file is
handed out only through `signed_url`, a short-lived link for that one object. Locally the link
points back at our own API (`GET /api/v1/files/...`, which checks an HMAC signature); on S3 it is
a presigned URL that goes straight to the bucket. Either way the browser is told to download
(`Content-Disposition: attachment`) rather than render, so an uploaded file can never run script
on our origin.

Uploads are judged by their bytes, never by the name or the type the client declared: a renamed
.exe or HTML page is refused even when it is called `invoice.pdf`.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import re
import tempfile
import threading
import time
import unicodedata
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote, urlencode

from ofair_app.domain.errors import InvalidInput
from ofair_app.settings import Settings, get_settings

# boto3 builds its clients at run time; without the optional stubs package there is no static
# type to name, so the client is typed loosely rather than pulling in a stubs dependency.
S3Client = Any

ALLOWED_DOCUMENT_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png"})
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_FILENAME_LENGTH = 200
# S3 refuses presigned URLs valid for longer than 7 days; the local backend keeps the same bound
# so a link behaves the same whichever backend issued it.
MAX_LINK_SECONDS = 7 * 24 * 3600
MAX_KEY_LENGTH = 512

# Magic numbers of the only formats we accept. Anything else (HTML, SVG, executables, archives,
# office documents that can carry macros) is refused, whatever its name says.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)

_KEY_CHARS = re.compile(r"[A-Za-z0-9/_.-]+")
# `type/subtype` only: no parameters, no whitespace, nothing that could split a header.
_MIME_PART = r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,63}"
_CONTENT_TYPE = re.compile(f"{_MIME_PART}/{_MIME_PART}")
# Bidirectional overrides and isolates let `gpj.exe` display as `exe.jpg`; they have no place in
# a file name. The plain direction marks (U+200E/U+200F) stay: Hebrew names legitimately use them.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Characters Windows refuses in file names; a download named with them would be renamed anyway.
_WINDOWS_RESERVED = frozenset('<>:"|?*')
_SIGNING_CONTEXT = b"ofair.storage.v1"


class Storage(Protocol):
    """Where private files live. Keys are opaque paths chosen by the application, never by users."""

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store `data` under `key`, replacing any previous object; readers never see half."""
        ...

    def get(self, key: str) -> bytes:
        """The object's bytes; raises `FileNotFoundError` when there is none."""
        ...

    def delete(self, key: str) -> None:
        """Remove the object; deleting what is already gone is not an error."""
        ...

    def exists(self, key: str) -> bool:
        """Whether an object is stored under `key`."""
        ...

    def signed_url(self, key: str, *, filename: str, content_type: str,
                   expires_in: int = 300) -> str:
        """A link that lets whoever holds it download this one object until it expires."""
        ...


# --- keys, names and types --------------------------------------------------------------------


def validate_key(key: str) -> str:
    """Return `key` if it is a safe relative object path; raise `ValueError` otherwise.

    Keys become file paths on the local backend, so anything that could climb out of the storage
    root (`..`, an absolute path, a backslash) or hide next to our temp files (a leading dot) is
    refused outright rather than normalised, which would hide a bug in the caller.
    """
    if not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH:
        raise ValueError(f"invalid storage key: {key!r}")
    if not _KEY_CHARS.fullmatch(key) or key.startswith("/") or ".." in key:
        raise ValueError(f"invalid storage key: {key!r}")
    if any(not part or part.startswith(".") for part in key.split("/")):
        raise ValueError(f"invalid storage key: {key!r}")
    return key


def _validate_content_type(content_type: str) -> str:
    # The type ends up in a response header and in a signed link; refuse anything that is not a
    # bare `type/subtype` so it can neither inject a header nor smuggle parameters.
    if not isinstance(content_type, str) or not _CONTENT_TYPE.fullmatch(content_type):
        raise ValueError(f"invalid content type: {content_type!r}")
    return content_type.lower()


def _is_forbidden_char(char: str) -> bool:
    return unicodedata.category(char) == "Cc" or char in _BIDI_CONTROLS


def sniff_content_type(data: bytes) -> str | None:
    """The content type that `data` starts like (PDF, JPEG or PNG), or None for anything else."""
    for magic, content_type in _MAGIC:
        if data.startswith(magic):
            return content_type
    return None


def safe_filename(name: str) -> str:
    """A file name fit for a download: no folders, no control or bidi characters, Hebrew kept.

    Used for the name a browser saves under, so it only has to be harmless, not identical to what
    was uploaded. Never empty: a name with nothing left becomes `file`.
    """
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(
        char for char in name if not _is_forbidden_char(char) and char not in _WINDOWS_RESERVED)
    name = " ".join(name.split()).strip(" .")
    if len(name) > MAX_FILENAME_LENGTH:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 10 and stem:
            name = stem[: MAX_FILENAME_LENGTH - len(ext) - 1].rstrip(" .") + "." + ext
        else:
            name = name[:MAX_FILENAME_LENGTH].rstrip(" .")
    return name or "file"


def validate_upload(data: bytes, filename: str, allowed: Collection[str] = ALLOWED_DOCUMENT_TYPES,
                    max_bytes: int = MAX_UPLOAD_BYTES) -> str:
    """The upload's real content type, or `InvalidInput` naming what is wrong with `file`.

    The type comes from the bytes alone: the client's declared type and the file's extension are
    both under the uploader's control and prove nothing.
    """
    def refuse(reason: str) -> InvalidInput:
        return InvalidInput(fields={"file": f"errors.file.{reason}"})

    if (not isinstance(filename, str) or not filename.strip(" .")
            or len(filename) > MAX_FILENAME_LENGTH
            or any(char in "/\\" or _is_forbidden_char(char) for char in filename)):
        raise refuse("name")
    if not data:
        raise refuse("empty")
    if len(data) > max_bytes:
        raise refuse("too_large")
    content_type = sniff_content_type(data)
    if content_type is None or content_type not in allowed:
        raise refuse("type")
    return content_type


def content_disposition(filename: str) -> str:
    """`attachment` with the name in RFC 6266/5987 form (UTF-8) plus an ASCII fallback.

    Always `attachment`, never `inline`: a browser then saves the file instead of rendering it.
    """
    name = safe_filename(filename)
    fallback = name if name.isascii() else "download" + _ascii_suffix(name)
    fallback = fallback.replace("\\", "_").replace('"', "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def _ascii_suffix(name: str) -> str:
    _, dot, ext = name.rpartition(".")
    return f".{ext}" if dot and ext.isascii() and ext.isalnum() and len(ext) <= 10 else ""


def _check_expires_in(expires_in: int) -> int:
    if isinstance(expires_in, bool) or not isinstance(expires_in, int) or not (
            0 < expires_in <= MAX_LINK_SECONDS):
        raise ValueError(f"expires_in must be 1..{MAX_LINK_SECONDS} seconds, got {expires_in!r}")
    return expires_in


# --- local disk -------------------------------------------------------------------------------


class LocalStorage:
    """Files under a directory (by default `OFAIR_DATA_DIR/files`), served by our own API.

    Links are signed with a key derived from `OFAIR_SECRET_KEY` for this one purpose, so a link
    cannot be forged and the signing key is useless for anything else that uses the secret.
    """

    def __init__(self, root: Path, secret: bytes, public_url: str) -> None:
        if not secret:
            raise ValueError("LocalStorage needs a non-empty signing secret")
        self.root = Path(root).expanduser().resolve()
        self.public_url = public_url.rstrip("/")
        self._signing_key = hmac.new(secret, _SIGNING_CONTEXT, hashlib.sha256).digest()

    def path_for(self, key: str) -> Path:
        """The file that holds `key`; refuses anything that would resolve outside the root."""
        path = self.root / validate_key(key)
        # Defence in depth against a symlink planted inside the root.
        if not path.resolve().is_relative_to(self.root):
            raise ValueError(f"invalid storage key: {key!r}")
        return path

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Write a temp file beside the target, then rename: readers see old or new, never half.

        The content type is not stored: the local backend is told it again by every signed link.
        """
        _validate_content_type(content_type)
        path = self.path_for(key)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # mkstemp creates the file 0600: private files stay private on a shared machine too.
        fd, tmp_name = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as tmp:
                tmp.write(data)
                tmp.flush()
                os.fsync(tmp.fileno())
            os.replace(tmp_name, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)
            raise

    def get(self, key: str) -> bytes:
        """The file's bytes; `FileNotFoundError` when it is missing."""
        path = self.path_for(key)
        if not path.is_file():
            raise FileNotFoundError(key)
        return path.read_bytes()

    def delete(self, key: str) -> None:
        """Remove the file if it is there."""
        self.path_for(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        """Whether the file is there."""
        return self.path_for(key).is_file()

    def signed_url(self, key: str, *, filename: str, content_type: str,
                   expires_in: int = 300, now: float | None = None) -> str:
        """`{public_url}/api/v1/files/{key}?exp=…&fn=…&ct=…&sig=…`, valid for `expires_in` s."""
        validate_key(key)
        content_type = _validate_content_type(content_type)
        exp = str(int(time.time() if now is None else now) + _check_expires_in(expires_in))
        fn = safe_filename(filename)
        sig = self._sign(key, exp, fn, content_type)
        query = urlencode({"exp": exp, "fn": fn, "ct": content_type, "sig": sig},
                          quote_via=quote)
        return f"{self.public_url}/api/v1/files/{quote(key, safe='/')}?{query}"

    def signature_matches(self, key: str, exp: str, fn: str, ct: str, sig: str) -> bool:
        """Whether `sig` was issued by us for exactly these values (expiry not considered)."""
        if not (isinstance(exp, str) and exp.isascii() and exp.isdigit() and len(exp) <= 12):
            return False
        if not isinstance(sig, str) or not sig.isascii():
            return False
        try:
            expected = self._sign(key, exp, fn, ct)
        except (TypeError, UnicodeError):
            return False
        return hmac.compare_digest(expected, sig.lower())

    def verify_signature(self, key: str, exp: str | int, fn: str, ct: str, sig: str,
                         now: float | None = None) -> bool:
        """True only for an untampered link that has not expired yet."""
        exp = str(exp)
        if not self.signature_matches(key, exp, fn, ct, sig):
            return False
        return not link_expired(exp, now)

    def _sign(self, key: str, exp: str, fn: str, ct: str) -> str:
        # Newlines separate the fields; none of key, exp or ct can contain one, so the message is
        # unambiguous (no two different links share a signed string).
        message = "\n".join((key, exp, fn, ct)).encode("utf-8")
        return hmac.new(self._signing_key, message, hashlib.sha256).hexdigest()


def link_expired(exp: str | int, now: float | None = None) -> bool:
    """Whether a link's `exp` (unix seconds) is already past; malformed counts as expired."""
    try:
        deadline = int(exp)
    except (TypeError, ValueError):
        return True
    return (time.time() if now is None else now) >= deadline


# --- S3 ---------------------------------------------------------------------------------------


class S3Storage:
    """Objects in one private S3 (or S3-compatible) bucket; links are presigned GETs."""

    def __init__(self, bucket: str, client: S3Client) -> None:
        self.bucket = bucket
        self.client = client

    @classmethod
    def from_settings(cls, settings: Settings) -> S3Storage:
        """A client for the configured endpoint, region and credentials (SigV4 always)."""
        return cls(settings.s3_bucket, make_s3_client(settings))

    def ensure_bucket(self) -> None:
        """Create the bucket if it is missing. For tests and development only: production
        buckets are provisioned (with public access blocked) outside the application."""
        from botocore.exceptions import ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
            return
        except ClientError as error:
            if _error_code(error) not in {"404", "NoSuchBucket", "NotFound"}:
                raise
        region = self.client.meta.region_name
        kwargs: dict[str, Any] = {"Bucket": self.bucket}
        if region and region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
        self.client.create_bucket(**kwargs)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """One PUT; S3 makes the object visible only once it is complete."""
        self.client.put_object(Bucket=self.bucket, Key=validate_key(key), Body=data,
                               ContentType=_validate_content_type(content_type))

    def get(self, key: str) -> bytes:
        """The object's bytes; `FileNotFoundError` when it is missing."""
        from botocore.exceptions import ClientError

        try:
            response = self.client.get_object(Bucket=self.bucket, Key=validate_key(key))
        except ClientError as error:
            if _error_code(error) in {"NoSuchKey", "404", "NotFound"}:
                raise FileNotFoundError(key) from error
            raise
        body = response["Body"]
        try:
            return body.read()
        finally:
            body.close()

    def delete(self, key: str) -> None:
        """S3's DELETE already succeeds for a missing key."""
        self.client.delete_object(Bucket=self.bucket, Key=validate_key(key))

    def exists(self, key: str) -> bool:
        """A HEAD request: 404 means absent, any other failure is raised, not guessed at."""
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=validate_key(key))
        except ClientError as error:
            if _error_code(error) in {"404", "NoSuchKey", "NotFound"}:
                return False
            raise
        return True

    def signed_url(self, key: str, *, filename: str, content_type: str,
                   expires_in: int = 300) -> str:
        """A presigned GET that also makes S3 answer with our download headers."""
        return self.client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": validate_key(key),
                "ResponseContentDisposition": content_disposition(filename),
                "ResponseContentType": _validate_content_type(content_type),
            },
            ExpiresIn=_check_expires_in(expires_in),
        )


def _error_code(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def make_s3_client(settings: Settings) -> S3Client:
    """A boto3 S3 client from settings. Path-style when an endpoint is set (MinIO, moto and most
    S3-compatible services do not resolve bucket sub-domains); missing credentials fall back to
    boto3's usual chain (environment, instance role)."""
    import boto3
    from botocore.config import Config

    config = Config(
        signature_version="s3v4",
        s3={"addressing_style": "path" if settings.s3_endpoint_url else "auto"},
        retries={"max_attempts": 3, "mode": "standard"},
    )
    key_id = settings.s3_access_key_id
    secret = settings.s3_secret_access_key
    return boto3.client(
        "s3",
        endpoint_url=settings.s3_endpoint_url or None,
        region_name=settings.s3_region,
        aws_access_key_id=key_id.get_secret_value() if key_id else None,
        aws_secret_access_key=secret.get_secret_value() if secret else None,
        config=config,
    )


# --- choosing a backend -----------------------------------------------------------------------

_lock = threading.Lock()
_cached: tuple[Settings, Storage] | None = None


def build_storage(settings: Settings) -> Storage:
    """The backend `settings.storage_backend` names, configured from `settings`."""
    if settings.storage_backend == "s3":
        return S3Storage.from_settings(settings)
    return LocalStorage(
        settings.data_dir / "files",
        settings.ofair_secret_key.get_secret_value().encode("utf-8"),
        settings.ofair_public_url,
    )


def get_storage(settings_factory: Callable[[], Settings] = get_settings) -> Storage:
    """The process-wide storage, rebuilt whenever `get_settings()` returns a new Settings object
    (tests clear that cache after changing the environment)."""
    global _cached
    settings = settings_factory()
    with _lock:
        if _cached is None or _cached[0] is not settings:
            _cached = (settings, build_storage(settings))
        return _cached[1]


def reset_storage() -> None:
    """Forget the cached storage; the next `get_storage()` builds it again from settings."""
    global _cached
    with _lock:
        _cached = None
