"""The business form's state, shared by the onboarding wizard and the profile editor: category
and subcategories, specialties, a locality found by typing, and the service radius."""

from __future__ import annotations

import reflex as rx

from ofair_app import reference
from ofair_app.domain.errors import InvalidInput
from ofair_app.models import Professional
from ofair_app.ui.state.session import SessionState

LOCALITY_RESULTS = 8


def locality_option(locality: reference.Locality) -> dict[str, str]:
    return {"id": str(locality.id), "he": locality.name_he, "en": locality.name_en}


class BusinessFormState(SessionState):
    business_name: str = ""
    business_id: str = ""
    category: str = ""
    # The chosen category's subcategories, both languages (the page picks by locale).
    sub_options: list[dict[str, str]] = []
    subcategories: list[str] = []
    specialties: str = ""
    locality_query: str = ""
    locality_results: list[dict[str, str]] = []
    locality_id: int = 0
    locality_he: str = ""
    locality_en: str = ""
    radius: int = 25
    about: str = ""
    errors: dict[str, str] = {}
    error: str = ""
    # Bumped whenever the fields are refilled from the server, so uncontrolled inputs (keyed on
    # it) remount with the new values.
    form_version: int = 0

    def _reset_form(self) -> None:
        self.business_name = self.business_id = self.category = self.specialties = ""
        self.sub_options, self.subcategories = [], []
        self.locality_query, self.locality_results = "", []
        self.locality_id, self.locality_he, self.locality_en = 0, "", ""
        self.radius, self.about = 25, ""
        self.form_version += 1

    def _fill_from(self, professional: Professional) -> None:
        self.business_name = professional.business_name
        self.business_id = professional.business_id
        self._choose_category(professional.category_slug)
        self.subcategories = list(professional.subcategory_slugs)
        self.specialties = ", ".join(professional.specialties)
        locality = reference.locality(professional.locality_id)
        self.locality_id = professional.locality_id
        self.locality_he = locality.name_he if locality else ""
        self.locality_en = locality.name_en if locality else ""
        self.locality_query, self.locality_results = "", []
        self.radius = professional.service_radius_km
        self.about = professional.about
        self.form_version += 1

    def _specialty_list(self) -> list[str]:
        return [part.strip() for part in self.specialties.replace("،", ",").split(",")
                if part.strip()]

    def _choose_category(self, slug: str) -> None:
        category = reference.category(slug)
        self.category = category.slug if category else ""
        self.sub_options = [{"slug": s.slug, "he": s.name_he, "en": s.name_en}
                            for s in (category.subcategories if category else ())]
        allowed = {option["slug"] for option in self.sub_options}
        self.subcategories = [slug for slug in self.subcategories if slug in allowed]

    def _check_category(self) -> None:
        if reference.category(self.category) is None:
            raise InvalidInput(fields={"category": "errors.category.required"})

    def _check_locality(self) -> None:
        if reference.locality(self.locality_id) is None:
            raise InvalidInput(fields={"locality_id": "errors.locality.required"})

    @rx.event
    def set_category(self, slug: str):
        self._choose_category(slug)
        self.errors = {k: v for k, v in self.errors.items() if k != "category"}

    @rx.event
    def toggle_subcategory(self, slug: str):
        if slug in self.subcategories:
            self.subcategories = [s for s in self.subcategories if s != slug]
        elif any(option["slug"] == slug for option in self.sub_options):
            self.subcategories = [*self.subcategories, slug]

    @rx.event
    def set_specialties(self, value: str):
        self.specialties = value[:600]

    @rx.event
    def search_locality(self, query: str):
        self.locality_query = query[:80]
        found = reference.search_localities(self.locality_query, LOCALITY_RESULTS) \
            if self.locality_query.strip() else []
        self.locality_results = [locality_option(loc) for loc in found]

    @rx.event
    def choose_locality(self, locality_id: str):
        locality = reference.locality(int(locality_id)) if locality_id.isdigit() else None
        if locality is None:
            return
        self.locality_id = locality.id
        self.locality_he, self.locality_en = locality.name_he, locality.name_en
        self.locality_query, self.locality_results = "", []
        self.errors = {k: v for k, v in self.errors.items() if k != "locality_id"}

    @rx.event
    def set_radius(self, value: list[int | float]):
        if value:
            self.radius = max(1, min(200, int(value[0])))
