"""`/pro/onboarding`: open a business in four short steps (business, services, area, about).

Each step is checked with the same domain rules the service applies, so mistakes show beside the
field before the last step; the last step creates the business through the service, which checks
everything again (and its errors send the visitor back to the step of the field at fault).
"""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from ofair_app.domain import identity
from ofair_app.domain.errors import AppError, InvalidInput
from ofair_app.models.tenancy import ProfessionalCreate
from ofair_app.services import professionals, users
from ofair_app.ui import routes, theme
from ofair_app.ui.components.forms import dict_var, error_banner, field, form, page_title
from ofair_app.ui.components.pickers import (
    category_select,
    locality_picker,
    radius_slider,
    subcategory_chips,
)
from ofair_app.ui.components.shells import pro_shell
from ofair_app.ui.state.events import event
from ofair_app.ui.state.locale import t
from ofair_app.ui.state.pickers import BusinessFormState

STEPS = ["ui.onboarding.step_business", "ui.onboarding.step_services",
         "ui.onboarding.step_area", "ui.onboarding.step_about"]
FIELD_STEP = {"name": 1, "business_name": 1, "business_id": 1, "category": 2, "subcategories": 2,
              "specialties": 2, "locality_id": 3, "service_radius_km": 3, "about": 4}


class OnboardingState(BusinessFormState):
    step: rx.Field[int] = rx.field(1)
    your_name: rx.Field[str] = rx.field("")

    @event
    async def open(self):
        caller, redirect = await self._guard("login")
        if caller is None:
            return redirect
        if caller.professional_ids:  # already onboarded: the profile is where to edit
            return rx.redirect(routes.PRO_PROFILE)
        user = await self._as(caller, lambda s: users.get_me(session=s, caller=caller))
        self.step, self.errors, self.error = 1, {}, ""
        self._reset_form()
        self.your_name = user.name
        return None

    def _check(self, step: int) -> dict[str, str]:
        """The mistakes of one step, as field → message (nothing is saved yet)."""
        by_step: dict[int, list[tuple[str, Callable[[], object]]]] = {
            1: [("name", lambda: identity.clean_person_name(identity.clean_text(
                    self.your_name, field="name", max_length=identity.NAME_MAX, min_length=2))),
                ("business_name", lambda: identity.clean_text(
                    self.business_name, field="business_name", max_length=120,
                    min_length=identity.BUSINESS_NAME_MIN)),
                ("business_id", lambda: identity.normalize_business_id(self.business_number))],
            2: [("category", self._check_category),
                ("specialties", lambda: identity.clean_specialties(self._specialty_list()))],
            3: [("locality_id", self._check_locality),
                ("service_radius_km", lambda: identity.check_service_radius(self.radius))],
            4: [("about", lambda: identity.clean_text(self.about, field="about",
                                                      max_length=identity.ABOUT_MAX,
                                                      multiline=True))],
        }
        errors: dict[str, str] = {}
        for name, check in by_step[step]:
            try:
                check()
            except InvalidInput as error:
                messages = self._field_messages(error)
                errors[name] = next(iter(messages.values()), self._message(error))
        return errors

    @event
    def submit_business(self, form: dict):
        self.your_name = str(form.get("name", ""))[:120]
        self.business_name = str(form.get("business_name", ""))[:200]
        self.business_number = str(form.get("business_id", ""))[:20]
        return self._advance()

    @event
    async def submit_about(self, form: dict):
        self.about = str(form.get("about", ""))[:4000]
        self.errors = self._check(4)
        if self.errors:
            return None
        return await self._create()

    @event
    def next_step(self):
        return self._advance()

    def _advance(self):
        self.error = ""
        self.errors = self._check(self.step)
        if not self.errors:
            self.step = min(self.step + 1, len(STEPS))

    @event
    def back(self):
        self.errors, self.error = {}, ""
        self.step = max(1, self.step - 1)

    async def _create(self):
        caller = await self._caller()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        your_name = self.your_name
        try:
            # Built inside the try: a value the input model refuses is a field error too.
            data = ProfessionalCreate(
                business_name=self.business_name, business_id=self.business_number,
                category=self.category, subcategories=list(self.subcategories),
                locality_id=self.locality_id, service_radius_km=self.radius,
                specialties=self._specialty_list(), about=self.about)

            def create(session):
                users.update_me(session=session, caller=caller, name=your_name)
                return professionals.create_professional(session=session, caller=caller,
                                                         data=data)
            await self._as(caller, create)
        except AppError as error:
            self.errors = self._field_messages(error)
            self.error = "" if self.errors else self._message(error)
            steps = [FIELD_STEP.get(name, 4) for name in self.errors]
            self.step = min(steps) if steps else self.step
            return None
        return rx.redirect(f"{routes.PRO_PROFILE}?welcome=1")


def _progress() -> rx.Component:
    def dot(index: int, label: str) -> rx.Component:
        number = index + 1
        done = OnboardingState.step > number
        current = OnboardingState.step == number
        return rx.hstack(
            rx.center(
                rx.cond(done, rx.icon("check", size=14), rx.text(str(number), size="1",
                                                                 weight="bold")),
                width="1.6rem",
                height="1.6rem",
                border_radius="999px",
                flex_shrink="0",
                color=rx.cond(done | current, "white", theme.MUTED),
                background=rx.cond(done | current, theme.BRAND, rx.color("gray", 4)),
            ),
            # On a phone only the current step is named (the others are numbers), so the
            # row never outgrows the screen (`ofair-step-other` in assets/ofair.css).
            rx.text(t(label), size="2", weight=rx.cond(current, "bold", "regular"),
                    color=rx.cond(current, theme.INK, theme.MUTED),
                    class_name=rx.cond(current, "", "ofair-step-other")),
            spacing="2",
            align="center",
            flex_shrink="0",
        )

    return rx.hstack(
        *(dot(i, label) for i, label in enumerate(STEPS)),
        spacing="4",
        width="100%",
        wrap="wrap",
        id="onboarding-progress",
        aria_label=t("ui.onboarding.progress"),
    )


def _nav(next_label: str = "ui.onboarding.next", submit: bool = True) -> rx.Component:
    return rx.hstack(
        rx.cond(
            OnboardingState.step > 1,
            rx.button(rx.icon("arrow-right", size=16, class_name="ofair-forward"),
                      t("ui.onboarding.back"), variant="soft", color_scheme="gray",
                      type="button", on_click=OnboardingState.back, size="3"),
        ),
        rx.spacer(),
        rx.button(t(next_label), rx.icon("arrow-left", size=16, class_name="ofair-forward"),
                  type="submit" if submit else "button", size="3", id="onboarding-next",
                  on_click=None if submit else OnboardingState.next_step),
        width="100%",
        padding_top="0.5rem",
    )


def _error(name: str) -> rx.Var:
    return dict_var(OnboardingState.errors).get(name, "")


def _step_business() -> rx.Component:
    return form(
        rx.vstack(
            field("ui.onboarding.your_name",
                  rx.input(name="name", id="f-name", default_value=OnboardingState.your_name,
                           auto_complete="name", size="3", width="100%"),
                  _error("name"), html_for="f-name"),
            field("ui.business.name",
                  rx.input(name="business_name", id="f-business-name",
                           default_value=OnboardingState.business_name,
                           auto_complete="organization", size="3", width="100%"),
                  _error("business_name"), html_for="f-business-name"),
            field("ui.business.id",
                  rx.input(name="business_id", id="f-business-id",
                           default_value=OnboardingState.business_number, input_mode="numeric",
                           dir="ltr", text_align="start", size="3", width="100%",
                           placeholder="512345678"),
                  _error("business_id"), hint="ui.business.id_hint",
                  html_for="f-business-id"),
            _nav(),
            spacing="4",
            width="100%",
        ),
        key=OnboardingState.form_version,
        on_submit=OnboardingState.submit_business,
        reset_on_submit=False,
        width="100%",
    )


def _step_services() -> rx.Component:
    return rx.vstack(
        field("ui.business.category", category_select(OnboardingState),
              _error("category"), html_for="f-category"),
        subcategory_chips(OnboardingState),
        field("ui.business.specialties",
              rx.input(value=OnboardingState.specialties,
                       on_change=OnboardingState.set_specialties, id="f-specialties",
                       name="specialties",
                       size="3", width="100%", placeholder=t("ui.business.specialties_example")),
              _error("specialties"),
              hint="ui.business.specialties_hint", html_for="f-specialties"),
        _nav(submit=False),
        spacing="4",
        width="100%",
    )


def _step_area() -> rx.Component:
    return rx.vstack(
        field("ui.business.locality", locality_picker(OnboardingState),
              _error("locality_id"), html_for="f-locality"),
        field("ui.business.radius", radius_slider(OnboardingState),
              _error("service_radius_km"), html_for="f-radius"),
        _nav(submit=False),
        spacing="4",
        width="100%",
    )


def _step_about() -> rx.Component:
    return form(
        rx.vstack(
            field("ui.business.about",
                  rx.text_area(name="about", id="f-about", default_value=OnboardingState.about,
                               rows="5", size="3", width="100%",
                               placeholder=t("ui.business.about_placeholder")),
                  _error("about"), hint="ui.business.about_hint",
                  html_for="f-about"),
            rx.callout(t("ui.onboarding.pending_note"), icon="info", color_scheme="gray",
                       size="1", width="100%"),
            _nav("ui.onboarding.create"),
            spacing="4",
            width="100%",
        ),
        on_submit=OnboardingState.submit_about,
        reset_on_submit=False,
        width="100%",
    )


def onboarding() -> rx.Component:
    return pro_shell(
        rx.vstack(
            page_title("ui.onboarding.title", "ui.onboarding.subtitle"),
            _progress(),
            error_banner(OnboardingState.error),
            rx.box(
                rx.match(
                    OnboardingState.step,
                    (1, _step_business()),
                    (2, _step_services()),
                    (3, _step_area()),
                    _step_about(),
                ),
                width="100%",
                style=theme.card_style(),
            ),
            spacing="5",
            width="100%",
            max_width="40rem",
        ),
        active=routes.PRO_PROFILE,
    )
