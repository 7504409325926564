"""Picking a locality by typing its name (Hebrew or English): a mixin for any form state that
has a place field. The picker component in `components/pickers.py` renders it."""

from __future__ import annotations

import reflex as rx

from ofair_app import reference
from ofair_app.ui.state.events import event
from ofair_app.ui.state.session import PageMixin

LOCALITY_RESULTS = 8


def locality_option(locality: reference.Locality) -> dict[str, str]:
    return {"id": str(locality.id), "he": locality.name_he, "en": locality.name_en}


class PlaceMixin(PageMixin, mixin=True):
    locality_query: rx.Field[str] = rx.field("")
    locality_results: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    locality_id: rx.Field[int] = rx.field(0)
    locality_he: rx.Field[str] = rx.field("")
    locality_en: rx.Field[str] = rx.field("")
    errors: rx.Field[dict[str, str]] = rx.field(default_factory=dict)

    def _set_locality(self, locality_id: int | None) -> None:
        locality = reference.locality(locality_id) if locality_id else None
        self.locality_id = locality.id if locality else 0
        self.locality_he = locality.name_he if locality else ""
        self.locality_en = locality.name_en if locality else ""
        self.locality_query, self.locality_results = "", []

    @event
    def search_locality(self, query: str):
        self.locality_query = query[:80]
        found = reference.search_localities(self.locality_query, LOCALITY_RESULTS) \
            if self.locality_query.strip() else []
        self.locality_results = [locality_option(loc) for loc in found]

    @event
    def choose_locality(self, locality_id: str):
        if not locality_id.isdigit() or reference.locality(int(locality_id)) is None:
            return
        self._set_locality(int(locality_id))
        self.errors = {k: v for k, v in self.errors.items() if k != "locality_id"}
