"""The API's route class: JSON bodies are read with their decimals exact.

Python's `json` reads a JSON number with a fraction as a float, so `100.0000000000000001` would
reach validation as `100.0` and pass as a valid amount. Every router of the API uses
`ExactJsonRoute`, which reads such numbers as `Decimal` instead: the money rule
(`domain.leads.exact_amount`) then sees what the client actually sent. Other number fields are
unaffected (pydantic takes a Decimal for a float or an int field as it takes a float).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from decimal import Decimal
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute


class ExactJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = json.loads(await self.body(), parse_float=Decimal)
        return self._json


class ExactJsonRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def exact_json_handler(request: Request) -> Response:
            return await handler(ExactJsonRequest(request.scope, request.receive))

        return exact_json_handler
