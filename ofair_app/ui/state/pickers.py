"""The business form's state, shared by the onboarding wizard and the profile editor: category
and subcategories, specialties, a locality found by typing, and the service radius."""

from __future__ import annotations

import reflex as rx

from ofair_app import reference
from ofair_app.domain.errors import InvalidInput
from ofair_app.models import Professional
from ofair_app.ui.state.events import event
from ofair_app.ui.state.place import PlaceMixin
from ofair_app.ui.state.session import SessionState


class BusinessFormState(PlaceMixin, SessionState):
    business_name: rx.Field[str] = rx.field("")
    business_number: rx.Field[str] = rx.field("")  # the business ID (osek number) being typed
    category: rx.Field[str] = rx.field("")
    # The chosen category's subcategories, both languages (the page picks by locale).
    sub_options: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    subcategories: rx.Field[list[str]] = rx.field(default_factory=list)
    specialties: rx.Field[str] = rx.field("")
    radius: rx.Field[int] = rx.field(25)
    about: rx.Field[str] = rx.field("")
    error: rx.Field[str] = rx.field("")
    # Bumped whenever the fields are refilled from the server, so uncontrolled inputs (keyed on
    # it) remount with the new values.
    form_version: rx.Field[int] = rx.field(0)

    def _reset_form(self) -> None:
        self.business_name = self.business_number = self.category = self.specialties = ""
        self.sub_options, self.subcategories = [], []
        self._set_locality(None)
        self.radius, self.about = 25, ""
        self.form_version += 1

    def _fill_from(self, professional: Professional) -> None:
        self.business_name = professional.business_name
        self.business_number = professional.business_id
        self._choose_category(professional.category_slug)
        self.subcategories = list(professional.subcategory_slugs)
        self.specialties = ", ".join(professional.specialties)
        self._set_locality(professional.locality_id)
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

    @event
    def set_category(self, slug: str):
        self._choose_category(slug)
        self.errors = {k: v for k, v in self.errors.items() if k != "category"}

    @event
    def toggle_subcategory(self, slug: str):
        if slug in self.subcategories:
            self.subcategories = [s for s in self.subcategories if s != slug]
        elif any(option["slug"] == slug for option in self.sub_options):
            self.subcategories = [*self.subcategories, slug]

    @event
    def set_specialties(self, value: str):
        self.specialties = value[:600]

    @event
    def set_radius_km(self, value: str):
        """The range input's value (text); anything but a number keeps the radius."""
        if value.strip().isdigit():
            self.radius = max(1, min(200, int(value)))
