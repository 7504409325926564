"""Site visits and check-in passes on the lead pages (issue 20 points 2 and 3).

`VisitsMixin` gives a lead page its visits: who may book with whom (`services.visits`), a
slot picker over the next days, cancelling and moving, a calendar link; and, for the lead's
owner, the passes to show on site (a QR code and a short code). `visits_panel` draws it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

import reflex as rx
from babel.dates import format_date, format_time
from reflex.vars import ObjectVar

from ofair_app.domain import visits as rules
from ofair_app.domain.errors import AppError
from ofair_app.models._base import utcnow
from ofair_app.services import check_ins, visits
from ofair_app.ui import theme
from ofair_app.ui.components.forms import confirm_dialog, error_banner, notice_banner
from ofair_app.ui.state.events import event
from ofair_app.ui.state.locale import t
from ofair_app.ui.state.session import PageMixin

if TYPE_CHECKING:
    from reflex_base.vars.base import ComputedVar

    from ofair_app.db.engine import Caller


PICKER_DAYS = 7


def _babel(locale: str) -> str:
    return "he_IL" if locale == "he" else "en_IL"


def when(moment: datetime, locale: str) -> str:
    """`יום ראשון, 6 בדצמ׳ · 09:00` in Israel's time."""
    local = moment.astimezone(rules.ISRAEL)
    return (format_date(local, "EEEE, d MMM", locale=_babel(locale)) + " · "
            + format_time(local, "HH:mm", locale=_babel(locale)))


class VisitsMixin(PageMixin, mixin=True):
    visits: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    passes: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    bookable: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    picking_for: rx.Field[str] = rx.field("")  # the business whose slots are shown
    moving: rx.Field[str] = rx.field("")  # the visit being moved, if any
    slot_days: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    slots: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    visit_error: rx.Field[str] = rx.field("")
    visit_notice: rx.Field[str] = rx.field("")

    if TYPE_CHECKING:
        # What the final state class gets besides the session's: its own `lead_id` var.
        lead_id: ClassVar[ComputedVar[str]]  # a computed var: not a field of the mixin


    async def _load_visits(self, caller: Caller) -> None:
        try:
            lead_id = uuid.UUID(self.lead_id)
            found, shown, open_to = await self._as(caller, lambda s: (
                visits.of_lead(session=s, caller=caller, lead_id=lead_id),
                check_ins.passes_of_lead(session=s, caller=caller, lead_id=lead_id),
                visits.bookable_with(session=s, caller=caller, lead_id=lead_id)))
        except (ValueError, AppError):
            self.visits, self.passes, self.bookable = [], [], []
            return
        locale = self.locale
        self.visits = [{
            "id": str(v.visit.id), "business": v.business_name,
            "business_id": str(v.visit.professional_id),
            "when": when(v.visit.starts_at, locale), "status": v.visit.status,
            "status_label": self._text(f"ui.visit.status.{v.visit.status}"),
            "changeable": "1" if v.changeable else "",
            "checked_in": when(v.checked_in_at, locale) if v.checked_in_at else "",
            "ics": v.ics_url} for v in found]
        at = {str(v.visit.id): when(v.visit.starts_at, locale) for v in found}
        self.passes = [{
            "id": str(p.check_in_pass.id), "code": p.code, "qr": p.qr_svg,
            "label": (self._text("ui.visit.pass_for_visit", when=at.get(
                str(p.check_in_pass.visit_id), "")) if p.check_in_pass.visit_id
                else self._text("ui.visit.pass_for_job")),
            "checked_in": when(p.checked_in_at, locale) if p.checked_in_at else "",
            "by": p.checked_in_by} for p in shown]
        self.bookable = [{"id": str(pid), "name": name} for pid, name in open_to]

    async def _show_slots(self, caller: Caller, business_id: str) -> None:
        today = rules.local_day(utcnow())
        try:
            pid = uuid.UUID(business_id)
            found = await self._as(caller, lambda s: visits.free_slots(
                session=s, professional_id=pid, since=today, days=PICKER_DAYS))
        except (ValueError, AppError) as error:
            self.visit_error = self._message(error) if isinstance(error, AppError) else ""
            return
        locale = self.locale
        days: dict[str, str] = {}  # a day's ISO date → its label
        for slot in found:
            local = slot.starts_at.astimezone(rules.ISRAEL)
            day = local.date().isoformat()
            days.setdefault(day, format_date(local, "EEEE, d MMM", locale=_babel(locale)))
        self.slot_days = [{"day": day, "label": label} for day, label in days.items()]
        self.slots = [{"day": s.starts_at.astimezone(rules.ISRAEL).date().isoformat(),
                       "at": s.starts_at.isoformat(),
                       "time": format_time(s.starts_at.astimezone(rules.ISRAEL), "HH:mm",
                                           locale=_babel(locale)),
                       "label": when(s.starts_at, locale)} for s in found]
        self.picking_for = business_id

    @event
    async def start_booking(self, business_id: str):
        caller = await self._caller()
        if caller is None:
            return rx.redirect("/login")
        self.visit_error, self.visit_notice, self.moving = "", "", ""
        await self._show_slots(caller, business_id)
        return None

    @event
    async def start_moving(self, visit_id: str, business_id: str):
        caller = await self._caller()
        if caller is None:
            return rx.redirect("/login")
        self.visit_error, self.visit_notice = "", ""
        self.moving = visit_id
        await self._show_slots(caller, business_id)
        return None

    @event
    def stop_picking(self):
        self.picking_for, self.moving, self.slots, self.slot_days = "", "", [], []

    @event
    async def pick_slot(self, starts_at: str):
        caller = await self._caller()
        if caller is None:
            return rx.redirect("/login")
        self.visit_error = ""
        business, moving = self.picking_for, self.moving
        try:
            moment = datetime.fromisoformat(starts_at)
            lead_id = uuid.UUID(self.lead_id)
            if moving:
                await self._as(caller, lambda s: visits.reschedule(
                    session=s, caller=caller, visit_id=uuid.UUID(moving), starts_at=moment))
            else:
                await self._as(caller, lambda s: visits.book(
                    session=s, caller=caller, lead_id=lead_id,
                    professional_id=uuid.UUID(business), starts_at=moment))
        except ValueError:
            return None
        except AppError as error:
            self.visit_error = (next(iter(self._field_messages(error).values()), "")
                                or self._message(error))
            if isinstance(error, rules.SlotFull):  # someone just took it: fresh times
                await self._show_slots(caller, business)
            return None
        self.visit_notice = self._text("ui.visit.moved" if moving else "ui.visit.booked")
        self.picking_for, self.moving, self.slots, self.slot_days = "", "", [], []
        await self._load_visits(caller)
        return None

    @event
    async def cancel_visit(self, visit_id: str):
        caller = await self._caller()
        if caller is None:
            return rx.redirect("/login")
        self.visit_error, self.visit_notice = "", ""
        try:
            await self._as(caller, lambda s: visits.cancel(session=s, caller=caller,
                                                           visit_id=uuid.UUID(visit_id)))
        except ValueError:
            return None
        except AppError as error:
            self.visit_error = self._message(error)
            return None
        self.visit_notice = self._text("ui.visit.cancelled")
        await self._load_visits(caller)
        return None


# --- drawing -------------------------------------------------------------------------------


def _visit_row(state: type[VisitsMixin], visit: ObjectVar[dict[str, str]]) -> rx.Component:
    cancelled = visit["status"] == rules.VisitStatus.cancelled.value
    return rx.vstack(
        rx.hstack(
            rx.icon("calendar-clock", size=18, color=rx.cond(cancelled, theme.MUTED,
                                                             theme.BRAND), flex_shrink="0"),
            rx.vstack(
                rx.text(visit["when"], weight="bold", size="2",
                        text_decoration=rx.cond(cancelled, "line-through", "none")),
                rx.text(visit["business"], size="2", color=theme.MUTED, dir="auto"),
                spacing="0",
            ),
            rx.spacer(),
            rx.badge(visit["status_label"], color_scheme=rx.cond(cancelled, "gray", "teal"),
                     radius="full", variant="soft"),
            width="100%",
            align="center",
        ),
        rx.cond(visit["checked_in"] != "",
                rx.hstack(rx.icon("map-pin-check", size=14, color=rx.color("green", 10)),
                          rx.text(t("ui.visit.checked_in_at"), " ", visit["checked_in"],
                                  size="1", color=rx.color("green", 11)),
                          spacing="1", align="center")),
        rx.cond(
            ~cancelled,
            rx.hstack(
                rx.link(rx.button(rx.icon("calendar-plus", size=15), t("ui.visit.calendar"),
                                  variant="soft", size="2", min_height="44px"),
                        href=visit["ics"], is_external=True),
                rx.cond(visit["changeable"] != "", rx.fragment(
                    rx.button(rx.icon("calendar-sync", size=15), t("ui.visit.move"),
                              variant="soft", size="2", min_height="44px",
                              on_click=state.start_moving(visit["id"], visit["business_id"]),
                              class_name="visit-move"),
                    confirm_dialog(
                        rx.button(t("ui.visit.cancel"), variant="soft", color_scheme="red",
                                  size="2", min_height="44px", class_name="visit-cancel"),
                        "ui.visit.cancel_title", "ui.visit.cancel_body",
                        "ui.visit.cancel_confirm", state.cancel_visit(visit["id"]),
                        dismiss="ui.visit.keep"))),
                spacing="2",
                wrap="wrap",
            ),
        ),
        spacing="2",
        width="100%",
        padding="0.75rem",
        border_radius="12px",
        border=f"1px solid {rx.color('gray', 5)}",
        class_name="visit-row",
    )


def _picker(state: type[VisitsMixin]) -> rx.Component:
    def day(entry: ObjectVar[dict[str, str]]) -> rx.Component:
        return rx.vstack(
            rx.text(entry["label"], weight="medium", size="2"),
            rx.flex(
                rx.foreach(state.slots, lambda slot: rx.cond(
                    slot["day"] == entry["day"],
                    rx.button(slot["time"], variant="outline", size="2", min_height="44px",
                              min_width="4.5rem", on_click=state.pick_slot(slot["at"]),
                              aria_label=slot["label"], class_name="visit-slot"))),
                wrap="wrap",
                gap="0.5rem",
            ),
            spacing="1",
            width="100%",
        )

    return rx.vstack(
        rx.hstack(
            rx.text(rx.cond(state.moving != "", t("ui.visit.pick_new"), t("ui.visit.pick")),
                    weight="bold", size="3"),
            rx.spacer(),
            rx.button(t("ui.visit.close_picker"), variant="ghost", size="2",
                      min_height="44px", on_click=state.stop_picking),
            width="100%",
            align="center",
        ),
        rx.cond(state.slot_days.length() > 0,
                rx.vstack(rx.foreach(state.slot_days, day), spacing="3", width="100%"),
                rx.text(t("ui.visit.no_slots"), size="2", color=theme.MUTED)),
        spacing="3",
        width="100%",
        padding="0.75rem",
        border_radius="12px",
        background=rx.color("teal", 2),
        id="visit-picker",
    )


def _pass(entry: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.vstack(
        rx.text(entry["label"], weight="bold", size="2"),
        rx.cond(
            entry["checked_in"] != "",
            rx.hstack(rx.icon("circle-check", size=16, color=rx.color("green", 10)),
                      rx.text(t("ui.visit.pass_used"), " ", entry["checked_in"], " · ",
                              rx.el.bdi(entry["by"]), size="2", color=rx.color("green", 11)),
                      spacing="1", align="center"),
            rx.flex(
                rx.image(src=entry["qr"], alt=t("ui.visit.qr_alt"), width="10rem",
                         height="10rem", background="white", padding="0.25rem",
                         border_radius="8px", class_name="check-in-qr"),
                rx.vstack(
                    rx.text(t("ui.visit.code_label"), size="1", color=theme.MUTED),
                    rx.text(entry["code"], size="6", weight="bold", font_family="monospace",
                            letter_spacing="0.08em", dir="ltr", class_name="check-in-code"),
                    rx.text(t("ui.visit.pass_hint"), size="1", color=theme.MUTED,
                            line_height="1.5"),
                    spacing="1",
                ),
                gap="1rem",
                align="center",
                direction=rx.breakpoints(initial="column", sm="row"),
            ),
        ),
        spacing="2",
        width="100%",
        padding="0.75rem",
        border_radius="12px",
        border=f"1px dashed {rx.color('teal', 7)}",
        class_name="check-in-pass",
    )


def visits_panel(state: type[VisitsMixin], *, business: bool = False) -> rx.Component:
    """The lead's visits, booking one, and (for its owner) the passes to show on site; on a
    business's page, the way to its check-in."""
    return rx.cond(
        (state.visits.length() > 0) | (state.bookable.length() > 0)
        | (state.passes.length() > 0),
        rx.vstack(
            rx.hstack(rx.icon("calendar-days", size=16, color=theme.BRAND),
                      rx.heading(t("ui.visit.title"), as_="h2", size="4"),
                      spacing="2", align="center"),
            notice_banner(state.visit_notice),
            error_banner(state.visit_error),
            rx.foreach(state.visits, lambda v: _visit_row(state, v)),
            rx.cond(state.picking_for != "", _picker(state),
                    rx.flex(rx.foreach(state.bookable, lambda b: rx.button(
                        rx.icon("calendar-plus", size=15),
                        t("ui.visit.book_with"), " ", rx.el.bdi(b["name"]), size="2",
                        min_height="44px", on_click=state.start_booking(b["id"]),
                        class_name="visit-book")), wrap="wrap", gap="0.5rem")),
            rx.link(rx.button(rx.icon("map-pin-check", size=15), t("ui.visit.check_in_link"),
                              variant="outline", size="2", min_height="44px"),
                    href="/pro/check-in", id="visit-check-in")
            if business else rx.fragment(),
            rx.cond(state.passes.length() > 0, rx.vstack(
                rx.text(t("ui.visit.passes_title"), weight="bold", size="3"),
                rx.foreach(state.passes, _pass),
                spacing="2", width="100%", id="check-in-passes")),
            spacing="3",
            width="100%",
            style=theme.card_style(),
            id="visits-panel",
        ),
    )

