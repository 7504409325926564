"""`/pro/check-in`: the business checks in on site (issue 20 point 3).

The client's QR code is a link to this page (`?t=<signed token>`), so the phone's own camera
opens it; in the app, "Scan" reads it with the camera where the browser can (BarcodeDetector),
and the short code can always be typed. Opening the link changes nothing: the pro confirms,
optionally saying where they are, and the first confirmation checks in; any later one shows
who checked in and when (the duplicate contract)."""

from __future__ import annotations

import reflex as rx

from ofair_app.domain.errors import AppError
from ofair_app.services import check_ins
from ofair_app.ui import routes, theme
from ofair_app.ui.components.forms import dict_var, error_banner, field, form, page_title
from ofair_app.ui.components.shells import pro_shell
from ofair_app.ui.components.visits import when
from ofair_app.ui.state.events import event
from ofair_app.ui.state.locale import t
from ofair_app.ui.state.session import SessionState

SCAN_SCRIPT_SRC = "/scan.js"


class CheckInState(SessionState):
    # The QR link's signed token (not `token`: that is the sign-in cookie of SessionState).
    pass_token: rx.Field[str] = rx.field("")
    code: rx.Field[str] = rx.field("")
    place: rx.Field[str] = rx.field("")
    error: rx.Field[str] = rx.field("")
    code_error: rx.Field[str] = rx.field("")
    result: rx.Field[dict[str, str]] = rx.field(default_factory=dict)  # kind: done | duplicate

    @event
    async def open(self):
        caller, redirect = await self._guard("business")
        if caller is None:
            return redirect
        self.pass_token = self.router.url.query_parameters.get("t", "")[:400]
        self.code, self.place, self.error, self.code_error, self.result = "", "", "", "", {}
        return None

    @event
    def set_code(self, value: str):
        self.code, self.code_error = value[:20], ""

    @event
    def set_place(self, value: str):
        self.place = value[:check_ins.PLACE_MAX]

    @event
    async def submit(self, form_data: dict | None = None):
        caller = await self._caller()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        token, code, place = self.pass_token, self.code, self.place
        self.error, self.code_error = "", ""
        try:
            view = await self._as(caller, lambda s: check_ins.check_in(
                session=s, caller=caller, token=token or None,
                code=None if token else code, place=place))
        except check_ins.AlreadyCheckedIn as error:
            moment = error.extra.get("checked_in_at", "")
            from datetime import datetime

            self.result = {"kind": "duplicate", "by": str(error.extra.get("checked_in_by", "")),
                           "when": when(datetime.fromisoformat(str(moment)), self.locale)
                           if moment else ""}
            return None
        except AppError as error:
            fields = self._field_messages(error)
            if fields:
                self.code_error = next(iter(fields.values()))
            else:
                self.error = self._message(error)
            return None
        checked_in_at = view.check_in.checked_in_at
        # NOT NULL in the database (its default is the moment of the insert); the model's
        # field is optional only because the app never sets it
        assert checked_in_at is not None
        self.result = {"kind": "done", "by": view.by, "business": view.business_name,
                       "when": when(checked_in_at, self.locale)}
        return None

    @event
    def again(self):
        self.pass_token, self.code, self.place, self.result, self.error = "", "", "", {}, ""


def _result() -> rx.Component:
    r = dict_var(CheckInState.result)
    done = r["kind"] == "done"
    return rx.vstack(
        rx.center(rx.icon(rx.cond(done, "circle-check", "info"), size=36,
                          color=rx.cond(done, rx.color("green", 10), rx.color("amber", 10)))),
        rx.heading(rx.cond(done, t("ui.check_in.done_title"), t("ui.check_in.dup_title")),
                   as_="h2", size="5", text_align="center"),
        rx.text(rx.cond(done, t("ui.check_in.done_at"), t("ui.check_in.dup_at")), " ",
                r["when"], " · ", rx.el.bdi(r["by"]), size="3", text_align="center"),
        rx.button(t("ui.check_in.another"), variant="soft", size="3", min_height="44px",
                  on_click=CheckInState.again),
        align="center",
        spacing="3",
        width="100%",
        role="status",
        id="check-in-result",
        style=theme.card_style(padding="2rem 1.25rem"),
    )


def _form() -> rx.Component:
    s = CheckInState
    return form(
        rx.vstack(
            rx.cond(
                s.pass_token != "",
                rx.callout(t("ui.check_in.from_qr"), icon="qr-code", color_scheme="teal",
                           width="100%"),
                rx.vstack(
                    rx.button(rx.icon("scan-line", size=18), t("ui.check_in.scan"), size="3",
                              type="button", variant="soft", min_height="44px",
                              id="check-in-scan", display="none",
                              on_click=rx.call_script("window.ofairScan && ofairScan.start()")),
                    rx.el.video(id="check-in-camera", muted=True, plays_inline=True,
                                display="none", width="100%", border_radius="12px",
                                aria_label=t("ui.check_in.camera")),
                    field("ui.check_in.code",
                          rx.input(value=s.code, on_change=s.set_code, id="check-in-code",
                                   name="code",
                                   size="3", dir="ltr", auto_complete="off",
                                   auto_capitalize="characters", placeholder="ABCD-EFGH",
                                   max_length=20, font_family="monospace"),
                          error=s.code_error, hint="ui.check_in.code_hint",
                          html_for="check-in-code", required=True),
                    spacing="3",
                    width="100%",
                ),
            ),
            field("ui.check_in.place",
                  rx.input(value=s.place, on_change=s.set_place, id="check-in-place", name="place",
                           size="3", max_length=check_ins.PLACE_MAX),
                  hint="ui.check_in.place_hint", html_for="check-in-place"),
            error_banner(s.error),
            rx.button(rx.icon("map-pin-check", size=18), t("ui.check_in.submit"), size="3",
                      type="submit", width="100%", min_height="44px", id="check-in-submit"),
            spacing="4",
            width="100%",
        ),
        on_submit=s.submit,
        width="100%",
        style=theme.card_style(),
    )


def pro_check_in() -> rx.Component:
    return pro_shell(
        rx.vstack(
            page_title("ui.check_in.title", "ui.check_in.subtitle"),
            rx.cond(CheckInState.result.contains("kind"), _result(), _form()),
            rx.script(src=SCAN_SCRIPT_SRC),
            spacing="5",
            width="100%",
            max_width="32rem",
            margin_x="auto",
            padding=rx.breakpoints(initial="1.5rem 1rem 6rem", md="2.5rem 1rem"),
        ),
        active=routes.PRO_CHECK_IN,
    )
