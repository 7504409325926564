"""The "send the code again" delay of a one-time-code step, counted down once a second.

A mixin for a form state with a `step` that is "code" while the visitor waits for the code; the
login page and the request form share it.
"""

from __future__ import annotations

import asyncio

import reflex as rx

from ofair_app.domain import identity
from ofair_app.ui.state.events import event
from ofair_app.ui.state.session import PageMixin

RESEND_SECONDS = int(identity.OTP_SEND_LIMITS[0][0].total_seconds())


class ResendCountdown(PageMixin, mixin=True):
    resend_in: rx.Field[int] = rx.field(0)
    _ticking: bool = False

    @event(background=True)
    async def tick(self):
        """Count the resend delay down once a second (one ticker per tab)."""
        async with self:
            if self._ticking:
                return
            self._ticking = True
        try:
            while True:
                await asyncio.sleep(1)
                async with self:
                    if self.resend_in <= 0 or self.step != "code":
                        self.resend_in = 0
                        return
                    self.resend_in -= 1
        finally:
            async with self:
                self._ticking = False
