"""Downloading one of the business's tax documents (an invoice, a receipt, a plan's charge):
the event the invoices and plan pages share."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import reflex as rx

from ofair_app.domain.errors import AppError
from ofair_app.services import settlement, tax_documents
from ofair_app.ui import routes
from ofair_app.ui.state.events import event

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TypeVar

    from ofair_app.db.engine import Caller

    T = TypeVar("T")


class DocumentsMixin(rx.State, mixin=True):
    """For a SessionState page with an `error` to show: `download(document_id)`."""

    if TYPE_CHECKING:
        # What the final state class gets from SessionState (same signatures).
        async def _caller(self) -> Caller | None: ...
        async def _as(self, caller: Caller | None, work: Callable[..., T]) -> T: ...
        def _text(self, key: str, **params: object) -> str: ...
        def _message(self, error: AppError) -> str: ...

    @event
    async def download(self, document_id: str):
        """A five-minute link to the document's PDF (the original: it is the business's)."""
        caller = await self._caller()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        try:
            wanted = uuid.UUID(document_id)
            link = await self._as(caller, lambda s: tax_documents.pdf_link(
                s, caller, settlement.find_document(session=s, caller=caller,
                                                    document_id=wanted)))
        except (AppError, ValueError) as error:
            self.error = (self._message(error) if isinstance(error, AppError)
                          else self._text("errors.settlement.no_document"))
            return None
        return rx.redirect(link, is_external=True)
