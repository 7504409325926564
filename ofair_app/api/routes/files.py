"""`GET /api/v1/files/{key}`: download one private file through a signed link (local backend).

With S3 the links that `Storage.signed_url` hands out go straight to the bucket, so this route
exists only for the local backend and answers 404 otherwise. The signature is the whole
authorisation: whoever holds an unexpired, untampered link may download that one object, as
whatever name and type it was signed with. The response is always a download (`attachment`,
`nosniff`, a CSP sandbox), so a file can never be rendered as a page on our origin.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Annotated, BinaryIO

from fastapi import APIRouter, Path, Query
from fastapi.responses import StreamingResponse

from ofair_app.adapters.storage import (
    LocalStorage,
    content_disposition,
    get_storage,
    link_expired,
)
from ofair_app.api.openapi import errors
from ofair_app.api.routing import ExactJsonRoute
from ofair_app.domain.errors import Forbidden, NotFound
from ofair_app.domain.inputs import PlainText

router = APIRouter(route_class=ExactJsonRoute)

_CHUNK = 64 * 1024


def _chunks(handle: BinaryIO) -> Iterator[bytes]:
    try:
        while chunk := handle.read(_CHUNK):
            yield chunk
    finally:
        handle.close()


@router.get(
    "/files/{key:path}",
    response_class=StreamingResponse,
    responses={200: {"description": "the file, as an attachment"}, **errors(403, 404)},
    name="download", tags=["files"],
)
def download_file(
    key: Annotated[PlainText, Path(max_length=1024)],
    exp: Annotated[PlainText, Query(max_length=20)] = "",
    fn: Annotated[PlainText, Query(max_length=1000)] = "",
    ct: Annotated[PlainText, Query(max_length=200)] = "",
    sig: Annotated[PlainText, Query(max_length=200)] = "",
) -> StreamingResponse:
    """Stream the file a valid signed link names; 403 for a bad or expired link, 404 if gone.

    Synchronous on purpose: FastAPI runs it in a worker thread, so the disk I/O never blocks the
    event loop. The file is opened before answering, so a file deleted mid-download still
    completes (the open handle keeps it) instead of failing halfway through the headers.
    """
    storage = get_storage()
    if not isinstance(storage, LocalStorage):
        raise NotFound()
    # The signature is checked before anything else, so a probe learns nothing about which keys
    # exist; only then does expiry get its own, friendlier message.
    if not storage.signature_matches(key, exp, fn, ct, sig):
        raise Forbidden()
    if link_expired(exp):
        raise Forbidden("errors.file.link_expired", code="link_expired")
    try:
        handle = storage.path_for(key).open("rb")
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, ValueError) as error:
        raise NotFound() from error
    size = os.fstat(handle.fileno()).st_size
    return StreamingResponse(
        _chunks(handle),
        media_type=ct,
        headers={
            "Content-Length": str(size),
            "Content-Disposition": content_disposition(fn),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Referrer-Policy": "no-referrer",
        },
    )
