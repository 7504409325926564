"""`/privacy` and `/terms`: the versioned documents in the reader's language, and
`/unsubscribe?token=…`, the one-click way out of marketing messages (no login needed)."""

from __future__ import annotations

import reflex as rx

from ofair_app import policies
from ofair_app.db.engine import SYSTEM
from ofair_app.domain.consent import ConsentChannel, ConsentKind
from ofair_app.domain.errors import AppError
from ofair_app.services import consents
from ofair_app.ui import routes, theme
from ofair_app.ui.components.forms import error_banner
from ofair_app.ui.components.shells import consumer_shell
from ofair_app.ui.state.events import event
from ofair_app.ui.state.locale import LocaleState, t
from ofair_app.ui.state.session import SessionState


class PolicyState(LocaleState):
    """The document as HTML, rendered on the server from its Markdown with the platform's
    current figures (read again when the language switches)."""

    document: rx.Field[str] = rx.field("")

    @event
    def open_privacy(self):
        self.document = policies.render_html(ConsentKind.privacy_notice, self.locale)

    @event
    def open_terms(self):
        self.document = policies.render_html(ConsentKind.terms, self.locale)


def _document() -> rx.Component:
    return rx.box(
        rx.html(PolicyState.document, class_name="ofair-policy"),
        width="100%",
        max_width="46rem",
        margin_x="auto",
        padding=rx.breakpoints(initial="1.5rem 1rem 3rem", md="3rem 1.5rem"),
        style={
            "& h1": {"font_size": "1.9rem", "font_weight": "700", "line_height": "1.25",
                     "margin": "0 0 0.5rem"},
            "& h2": {"font_size": "1.25rem", "font_weight": "700", "margin": "2rem 0 0.75rem"},
            "& p": {"line_height": "1.7", "margin": "0 0 0.75rem"},
            "& ul": {"list_style": "disc", "padding_inline_start": "1.25rem",
                     "margin": "0 0 0.75rem"},
            "& li": {"line_height": "1.7", "margin_bottom": "0.4rem"},
            "& table": {"width": "100%", "border_collapse": "collapse", "font_size": "0.9rem",
                        "display": "block", "overflow_x": "auto", "margin": "0 0 1rem"},
            "& th, & td": {"border": f"1px solid {theme.BORDER}", "padding": "0.5rem",
                           "text_align": "start", "vertical_align": "top"},
            "& th": {"background": theme.SURFACE},
            "& a": {"color": theme.BRAND, "text_decoration": "underline"},
            "& code": {"font_family": "inherit", "direction": "ltr", "unicode_bidi": "isolate"},
        },
    )


def privacy_page() -> rx.Component:
    return consumer_shell(rx.el.article(_document(), id="privacy-notice"))


def terms_page() -> rx.Component:
    return consumer_shell(rx.el.article(_document(), id="terms-of-service"))


# --- /unsubscribe ----------------------------------------------------------------------------


class UnsubscribeState(SessionState):
    step: rx.Field[str] = rx.field("ask")  # ask | done
    error: rx.Field[str] = rx.field("")

    @event
    def open(self):
        self.step, self.error = "ask", ""
        self.access = "ok"

    @event
    async def confirm(self):
        """Withdraw marketing consent for the person the link names (the link is the proof)."""
        token = str(self.router.url.query_parameters.get("token", ""))[:100]
        self.error = ""
        try:
            await self._as(SYSTEM, lambda s: consents.unsubscribe(
                session=s, token=token, channel=ConsentChannel.web))
        except AppError as error:
            self.error = self._message(error)
            return
        self.step = "done"


def unsubscribe_page() -> rx.Component:
    return consumer_shell(rx.center(
        rx.vstack(
            rx.icon("mail-x", size=28, color=theme.BRAND),
            rx.heading(t("ui.unsubscribe.title"), as_="h1", size="6", text_align="center"),
            error_banner(UnsubscribeState.error),
            rx.cond(
                UnsubscribeState.step == "done",
                rx.vstack(
                    rx.callout(t("ui.unsubscribe.done"), icon="circle-check",
                               color_scheme="teal", role="status", width="100%"),
                    rx.link(t("ui.unsubscribe.account"), href=routes.ACCOUNT, size="2"),
                    spacing="3", align="center", width="100%",
                ),
                rx.vstack(
                    rx.text(t("ui.unsubscribe.body"), size="2", color=theme.MUTED,
                            text_align="center", line_height="1.6"),
                    rx.button(t("ui.unsubscribe.confirm"), size="3", width="100%",
                              on_click=UnsubscribeState.confirm, id="unsubscribe-confirm",
                              disabled=UnsubscribeState.access != "ok"),
                    spacing="4", align="center", width="100%",
                ),
            ),
            spacing="4",
            align="center",
            width="100%",
            max_width="26rem",
            style=theme.card_style(padding="2rem 1.5rem"),
        ),
        padding=rx.breakpoints(initial="1.5rem 1rem 3rem", md="4rem 1rem"),
    ))
