"""Downloading one of the business's tax documents (an invoice, a receipt, a plan's charge):
the event the invoices and plan pages share."""

from __future__ import annotations

import uuid

import reflex as rx

from ofair_app.domain.errors import AppError
from ofair_app.services import settlement, tax_documents
from ofair_app.ui import routes
from ofair_app.ui.state.events import event
from ofair_app.ui.state.session import PageMixin


class DocumentsMixin(PageMixin, mixin=True):
    """For a SessionState page with an `error` to show: `download(document_id)`."""

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
