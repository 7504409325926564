"""`/unlock-check/<token>`: the link a client gets by SMS when a business that unlocked their
details says they never asked for the job. No login: holding the link is the proof. The client
answers once ("that's right, I never asked" refunds the business; "I did ask" leaves the claim
to an admin); an unknown or expired link says so, never an error page."""

from __future__ import annotations

from typing import Literal, cast

import reflex as rx

from ofair_app.domain.errors import AppError, NotFound
from ofair_app.models import ClientAnswer
from ofair_app.services import unlocks
from ofair_app.ui import theme
from ofair_app.ui.components.forms import error_banner
from ofair_app.ui.components.shells import consumer_shell
from ofair_app.ui.state.events import event
from ofair_app.ui.state.locale import t, t_with
from ofair_app.ui.state.session import SessionState, blocking

# The route's token is checked by the service; anything this long is not one of ours.
TOKEN_MAX = 64


class UnlockCheckState(SessionState):
    # loading | ask (waiting for the answer) | answered | closed (decided without it) | invalid
    step: rx.Field[str] = rx.field("loading")
    business_name: rx.Field[str] = rx.field("")
    lead_title: rx.Field[str] = rx.field("")
    answer: rx.Field[str] = rx.field("")  # never_asked | asked, once answered
    sending: rx.Field[bool] = rx.field(False)
    error: rx.Field[str] = rx.field("")

    @rx.var
    def link_token(self) -> str:
        """The link's token. Not `token`: that is the login cookie (SessionState), which a var
        of that name here would hide, and the page would take a signed-in client for a
        visitor."""
        return self.rx_router_page.params.get("token", "")

    def _show(self, check: unlocks.ClientCheck) -> None:
        self.business_name, self.lead_title = check.business_name, check.lead_title
        self.answer = check.answer or ""
        self.step = "ask" if check.open else "answered" if check.answer else "closed"

    @event
    async def open(self):
        await self._identify()
        self.access = "ok"
        self.step, self.error, self.sending = "loading", "", False
        token = self.link_token[:TOKEN_MAX]
        try:
            check = await blocking(unlocks.client_check, token)
        except NotFound:
            self.step = "invalid"
            return
        self._show(check)

    @event
    async def reply(self, answer: str):
        if self.sending or self.step != "ask" or answer not in ("never_asked", "asked"):
            return
        self.sending, self.error = True, ""
        yield
        token = self.link_token[:TOKEN_MAX]
        try:
            # one of the two: checked on entry
            choice = cast(Literal["never_asked", "asked"], answer)
            check = await blocking(unlocks.client_answer, token, ClientAnswer(answer=choice))
        except NotFound:
            self.step = "invalid"
        except AppError as error:
            self.error = self._message(error)
        else:
            self._show(check)
        self.sending = False


def _question() -> rx.Component:
    s = UnlockCheckState
    return rx.vstack(
        rx.heading(t("ui.unlock_check.title"), as_="h1", size="6", text_align="center"),
        rx.text(t_with("ui.unlock_check.question", business=s.business_name,
                       title=s.lead_title),
                size="3", text_align="center", line_height="1.7", id="unlock-check-question"),
        rx.text(t("ui.unlock_check.why"), size="2", color=theme.MUTED, text_align="center",
                line_height="1.6"),
        error_banner(s.error),
        rx.vstack(
            rx.button(rx.icon("circle-check", size=18, aria_hidden="true"),
                      t("ui.unlock_check.never_asked"), size="3", width="100%",
                      loading=s.sending, on_click=s.reply("never_asked"),
                      id="answer-never-asked"),
            rx.button(rx.icon("phone-call", size=18, aria_hidden="true"),
                      t("ui.unlock_check.asked"), size="3", width="100%", variant="soft",
                      color_scheme="gray", loading=s.sending, on_click=s.reply("asked"),
                      id="answer-asked"),
            spacing="3", width="100%", role="group",
            aria_label=t("ui.unlock_check.answer_label")),
        spacing="4", align="center", width="100%")


def _outcome(icon: str, title: str, body: rx.Component | rx.Var,
             color: str = "teal") -> rx.Component:
    return rx.vstack(
        rx.center(rx.icon(icon, size=26, color=rx.color(color, 11), aria_hidden="true"),
                  width="3.25rem", height="3.25rem", border_radius="999px",
                  background=rx.color(color, 3)),
        rx.heading(t(title), as_="h1", size="6", text_align="center"),
        rx.text(body, size="2", color=theme.MUTED, text_align="center", line_height="1.6"),
        spacing="3", align="center", width="100%", role="status")


def _answered() -> rx.Component:
    s = UnlockCheckState
    return _outcome(
        "heart-handshake", "ui.unlock_check.thanks",
        rx.cond(s.answer == "never_asked",
                t_with("ui.unlock_check.thanks_never_asked", business=s.business_name),
                t("ui.unlock_check.thanks_asked")))


def unlock_check() -> rx.Component:
    s = UnlockCheckState
    return consumer_shell(rx.center(
        rx.box(
            rx.match(
                s.step,
                ("ask", _question()),
                ("answered", _answered()),
                ("closed", _outcome("circle-check", "ui.unlock_check.closed_title",
                                    t("ui.unlock_check.closed_body"))),
                ("invalid", _outcome("link-2-off", "ui.unlock_check.invalid_title",
                                     t("ui.unlock_check.invalid_body"), color="gray")),
                rx.center(rx.spinner(size="3"), padding="2rem 0", width="100%",
                          id="unlock-check-loading"),
            ),
            width="100%",
            max_width="28rem",
            style=theme.card_style(padding="2rem 1.5rem"),
            id="unlock-check",
        ),
        padding=rx.breakpoints(initial="1.5rem 1rem 3rem", md="4rem 1rem"),
    ))
