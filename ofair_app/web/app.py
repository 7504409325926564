"""`OfairApp`: Reflex's `rx.App`, with the security headers wrapped around everything it serves.

`rx.App.__call__` builds the ASGI app the server runs (granian calls it as a factory): Reflex's
routes and pages, our API mounted by `api_transformer`, and on top of them Reflex's own
Starlette layer (CORS, which answers preflight requests itself, and the last-resort 500 page).
`api_transformer` steps run inside that layer, so the headers are added here instead, around
the finished app: no answer leaves without them.
"""

from __future__ import annotations

import reflex as rx
from starlette.types import ASGIApp

from ofair_app.web.security import secure_reflex_app


class OfairApp(rx.App):
    def __call__(self) -> ASGIApp:
        return secure_reflex_app(super().__call__())
