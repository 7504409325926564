"""A ceiling on request bodies: 413 in the error envelope, before a byte too many is parsed.

JSON and every other non-upload body may be `API_MAX_JSON_BYTES` (1 MB by default); multipart
uploads keep their own limit (the 10 MB file limit plus room for the form around it), so a file
just over 10 MB still reaches the route and gets its own "file too large" message. A declared
`Content-Length` over the limit is refused without reading the body; a body without one
(chunked) is counted as it arrives and refused at the first byte past the limit.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ofair_app.adapters.storage import MAX_UPLOAD_BYTES
from ofair_app.api.errors import error_response

# Boundaries, part headers and the small form fields beside the file.
UPLOAD_FORM_ALLOWANCE = 64 * 1024
MAX_UPLOAD_BODY_BYTES = MAX_UPLOAD_BYTES + UPLOAD_FORM_ALLOWANCE


class PayloadTooLarge(HTTPException):
    """Raised from `receive` when a streamed body passes the limit; the API's handler for
    HTTP errors answers it in the envelope (FastAPI re-raises HTTPExceptions met while it
    reads a body instead of turning them into a 400)."""

    def __init__(self) -> None:
        super().__init__(status_code=413)


class BodyLimit:
    """Pure ASGI middleware refusing request bodies over the limit with 413."""

    def __init__(self, app: ASGIApp, *, max_bytes: int,
                 max_upload_bytes: int = MAX_UPLOAD_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        upload = headers.get("content-type", "").lower().startswith("multipart/form-data")
        limit = self.max_upload_bytes if upload else self.max_bytes
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _refuse(scope, receive, send)
            return

        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise PayloadTooLarge()
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except PayloadTooLarge:
            # Read outside FastAPI's body parsing (nothing does today): still an envelope.
            if started:
                raise
            await _refuse(scope, receive, send)


async def _refuse(scope: Scope, receive: Receive, send: Send) -> None:
    response = error_response(Request(scope, receive), 413, "payload_too_large",
                              "errors.payload_too_large")
    await response(scope, receive, send)
