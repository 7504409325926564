"""Reviews on the lead pages and the business's public page (issue 20 point 1).

`ReviewMixin` gives a lead page its review: the owner writes it once the job is closed and may
change it for seven days; the performer answers once; both see it hidden, with the reason, if
an admin hid it. `review_panel` draws it; `review_card` and `summary_card` are shared with the
public page."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, ClassVar

import reflex as rx
from reflex.vars import ArrayVar, ObjectVar

from ofair_app import reference
from ofair_app.domain import reviews as rules
from ofair_app.domain.errors import AppError
from ofair_app.domain.lead_actions import OWNERS
from ofair_app.domain.leads import LeadStatus
from ofair_app.i18n import plural
from ofair_app.services import reviews
from ofair_app.ui import format, theme
from ofair_app.ui.components.forms import dict_var, error_banner, form, notice_banner
from ofair_app.ui.state.events import event
from ofair_app.ui.state.locale import t
from ofair_app.ui.state.session import PageMixin

if TYPE_CHECKING:
    from reflex_base.vars.base import ComputedVar

    from ofair_app.db.engine import Caller


SCORES = ("rating", *rules.ASPECTS)
EMPTY_FORM = {name: "" for name in SCORES} | {"body": "", "display": rules.Display.name.value}


def review_row(view: reviews.ReviewView, locale: str, text: Callable[[str], str],
               ) -> dict[str, str]:
    """A review as a page shows it (strings only)."""
    r = view.review
    city = reference.locality(r.locality_id) if r.locality_id else None
    who = view.shown_as or text("ui.review.verified_client")
    return {
        "id": str(r.id),
        **{name: str(getattr(r, name)) for name in SCORES},
        "stars": "★" * r.rating + "☆" * (5 - r.rating),
        "body": r.body,
        "who": who,
        "city": city.name(locale) if city and view.shown_as else "",
        "when": format.day(r.created_at.date(), locale) if r.created_at else "",
        "reply": r.reply or "",
        "replied": format.day(r.replied_at.date(), locale) if r.replied_at else "",
        "checked_in": "1" if view.checked_in else "",
        "hidden": "1" if view.hidden else "",
        "hidden_reason": r.hidden_reason or "",
        "can_edit": "1" if view.can_edit else "",
        "can_reply": "1" if view.can_reply else "",
        "mine": "1" if view.mine else "",
        "display": r.display,
        "until": format.day(view.editable_until.date(), locale),
    }


class ReviewMixin(PageMixin, mixin=True):
    review: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    review_form: rx.Field[dict[str, str]] = rx.field(default_factory=lambda: dict(EMPTY_FORM))
    review_errors: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    review_editing: rx.Field[bool] = rx.field(False)
    review_error: rx.Field[str] = rx.field("")
    review_notice: rx.Field[str] = rx.field("")
    reply_text: rx.Field[str] = rx.field("")
    reply_error: rx.Field[str] = rx.field("")

    if TYPE_CHECKING:
        # What the final state class gets besides the session's: from OffersMixin
        # (lead_status, viewer_role), and its own `lead_id` computed var.
        lead_status: rx.Field[str]
        viewer_role: rx.Field[str]
        lead_id: ClassVar[ComputedVar[str]]  # a computed var: not a field of the mixin


    @rx.var
    def may_review(self) -> bool:
        """The owner of a closed job that has no review yet."""
        return (not self.review and self.lead_status == LeadStatus.closed.value
                and self.viewer_role in {role.value for role in OWNERS})

    async def _load_review(self, caller: Caller) -> None:
        try:
            lead_id = uuid.UUID(self.lead_id)
            view = await self._as(caller, lambda s: reviews.of_lead(session=s, caller=caller,
                                                                    lead_id=lead_id))
        except (ValueError, AppError):
            view = None
        self.review = review_row(view, self.locale, self._text) if view else {}

    @event
    def set_score(self, name: str, value: str):
        if name in SCORES:
            self.review_form[name] = value
            self.review_errors.pop(name, None)

    @event
    def set_review_body(self, value: str):
        self.review_form["body"] = value

    @event
    def set_review_display(self, value: str):
        self.review_form["display"] = value

    @event
    def edit_review(self):
        self.review_form = {name: self.review.get(name, "") for name in EMPTY_FORM}
        self.review_errors, self.review_error, self.review_notice = {}, "", ""
        self.review_editing = True

    @event
    def stop_editing_review(self):
        self.review_editing, self.review_errors = False, {}

    @event
    async def save_review(self):
        caller = await self._caller()
        if caller is None:
            return rx.redirect("/login")
        values = dict(self.review_form)
        data = reviews.ReviewInput(
            **{name: int(values[name]) if values.get(name, "").isdigit() else None
               for name in SCORES},
            body=values.get("body", ""), display=values.get("display", "name"))
        review_id = self.review.get("id", "")
        self.review_errors, self.review_error, self.review_notice = {}, "", ""
        try:
            lead_id = uuid.UUID(self.lead_id)
            if review_id:
                await self._as(caller, lambda s: reviews.edit(
                    session=s, caller=caller, review_id=uuid.UUID(review_id), data=data))
            else:
                await self._as(caller, lambda s: reviews.write(
                    session=s, caller=caller, lead_id=lead_id, data=data))
        except ValueError:
            return None
        except AppError as error:
            self.review_errors = self._field_messages(error)
            self.review_error = "" if self.review_errors else self._message(error)
            return None
        self.review_editing = False
        self.review_notice = self._text("ui.review.saved")
        await self._load_review(caller)
        return None

    @event
    def set_reply_text(self, value: str):
        self.reply_text = value

    @event
    async def send_reply(self):
        caller = await self._caller()
        if caller is None:
            return rx.redirect("/login")
        body, review_id = self.reply_text, self.review.get("id", "")
        self.reply_error = ""
        try:
            await self._as(caller, lambda s: reviews.reply(
                session=s, caller=caller, review_id=uuid.UUID(review_id), body=body))
        except ValueError:
            return None
        except AppError as error:
            self.reply_error = (next(iter(self._field_messages(error).values()), "")
                                or self._message(error))
            return None
        self.reply_text = ""
        await self._load_review(caller)
        return None


# --- drawing -------------------------------------------------------------------------------


def _marks(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.hstack(
        rx.badge(rx.icon("badge-check", size=13), t("ui.review.verified_job"),
                 color_scheme="teal", variant="soft", radius="full"),
        rx.cond(row["checked_in"] != "",
                rx.badge(rx.icon("map-pin-check", size=13), t("ui.review.checked_in"),
                         color_scheme="blue", variant="soft", radius="full")),
        spacing="2",
        wrap="wrap",
    )


def _aspects(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.grid(
        *(rx.hstack(rx.text(t(f"ui.review.aspect.{a}"), size="2", color=theme.MUTED),
                    rx.spacer(),
                    rx.text(row[a], "/5", size="2", weight="medium"),
                    width="100%")
          for a in rules.ASPECTS),
        columns=rx.breakpoints(initial="1", sm="2"),
        spacing_x="5",
        spacing_y="1",
        width="100%",
    )


def review_card(row: ObjectVar[dict[str, str]], *, aspects: bool = True) -> rx.Component:
    """One review: who (semi-anonymous), when, the stars, the text, the marks, the reply."""
    return rx.vstack(
        rx.hstack(
            rx.vstack(
                rx.text(rx.el.bdi(row["who"]),
                        rx.cond(row["city"] != "", rx.fragment(" · ", rx.el.bdi(row["city"]))),
                        weight="bold", size="2"),
                rx.text(row["when"], size="1", color=theme.MUTED),
                spacing="0",
            ),
            rx.spacer(),
            rx.text(row["stars"], color=rx.color("amber", 10), size="4",
                    letter_spacing="0.08em", role="img",
                    aria_label=row["rating"] + " / 5"),
            width="100%",
            align="center",
        ),
        rx.cond(row["body"] != "",
                rx.text(row["body"], size="2", line_height="1.7", white_space="pre-wrap",
                        dir="auto")),
        _aspects(row) if aspects else rx.fragment(),
        _marks(row),
        rx.cond(
            row["reply"] != "",
            rx.vstack(
                rx.text(t("ui.review.reply_from_business"), " · ", row["replied"], size="1",
                        weight="bold", color=theme.MUTED),
                rx.text(row["reply"], size="2", line_height="1.6", white_space="pre-wrap",
                        dir="auto"),
                spacing="1",
                width="100%",
                padding="0.75rem",
                border_radius="10px",
                background=rx.color("gray", 3),
                class_name="review-reply",
            ),
        ),
        spacing="3",
        width="100%",
        class_name="review-card",
    )


def summary_rows(summary: reviews.Summary, locale: str, text: Callable[..., str],
                 ) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The summary card's figures and its five bars (5 stars first)."""
    top = max(summary.distribution.values(), default=0) or 1
    rating = float(summary.rating)
    full = int(rating + 0.5)
    count = plural("ui.count.reviews", summary.count, locale)
    figures = {"rating": f"{rating:.1f}", "stars": "★" * full + "☆" * (5 - full),
               "count_label": count}
    bars = [{"stars": str(stars), "count": str(n), "width": f"{round(100 * n / top)}%",
             "label": text("ui.review.bar", stars=stars, count=n)}
            for stars, n in summary.distribution.items()]
    return figures, bars


def summary_card(summary: ObjectVar[dict[str, str]], bars: ArrayVar[Sequence[dict[str, str]]],
                 ) -> rx.Component:
    """A business's rating, how many reviews, the distribution of stars, each aspect's mean."""
    def bar(row: ObjectVar[dict[str, str]]) -> rx.Component:
        return rx.hstack(
            rx.text(row["stars"], "★", size="2", width="2.2rem", flex_shrink="0"),
            rx.box(rx.box(height="100%", width=row["width"], background=rx.color("amber", 9),
                          border_radius="999px"),
                   height="0.5rem", flex="1", background=rx.color("gray", 4),
                   border_radius="999px", role="presentation"),
            rx.text(row["count"], size="1", color=theme.MUTED, width="2rem",
                    text_align="end"),
            width="100%",
            align="center",
            spacing="2",
            aria_label=row["label"],
        )

    return rx.flex(
        rx.vstack(
            rx.text(summary["rating"], size="8", weight="bold", line_height="1"),
            rx.text(summary["stars"], color=rx.color("amber", 10), size="4", role="img",
                    aria_label=summary["rating"] + " / 5"),
            rx.text(summary["count_label"], size="1", color=theme.MUTED),
            align="center",
            spacing="1",
            min_width="7rem",
        ),
        rx.vstack(rx.foreach(bars, bar), spacing="1", flex="1", width="100%"),
        gap="1.25rem",
        direction=rx.breakpoints(initial="column", sm="row"),
        align="center",
        width="100%",
        id="review-summary",
    )


def _score_picker(state: type[ReviewMixin], name: str) -> rx.Component:
    label_id = f"review-{name}-label"
    errors = dict_var(state.review_errors)
    return rx.vstack(
        rx.el.span(t("ui.review.overall" if name == "rating" else f"ui.review.aspect.{name}"),
                   id=label_id, font_weight="500", font_size="0.9rem"),
        rx.radio_cards.root(
            *(rx.radio_cards.item(rx.text(str(n), "★", size="2"), value=str(n),
                                  min_height="44px", min_width="44px", padding="0.25rem",
                                  aria_label=f"{n}/5")
              for n in range(1, 6)),
            value=dict_var(state.review_form)[name],
            on_value_change=lambda value: state.set_score(name, value),
            columns="5",
            gap="0.4rem",
            size="1",
            width="100%",
            max_width="20rem",
            id=f"review-{name}",
            custom_attrs={"aria-labelledby": label_id,
                          "aria-invalid": rx.cond(errors.contains(name),
                                                  "true", "false")},
        ),
        rx.cond(errors.contains(name),
                rx.text(errors[name], size="1", color=rx.color("red", 11),
                        role="alert")),
        spacing="1",
        width="100%",
    )


def review_form(state: type[ReviewMixin]) -> rx.Component:
    values = dict_var(state.review_form)
    body_error = dict_var(state.review_errors).get("body", "")
    return form(
        rx.vstack(
            _score_picker(state, "rating"),
            rx.grid(*(_score_picker(state, a) for a in rules.ASPECTS),
                    columns=rx.breakpoints(initial="1", sm="2"), spacing="3", width="100%"),
            rx.vstack(
                rx.el.label(t("ui.review.body"), html_for="review-body", font_weight="500",
                            font_size="0.9rem"),
                rx.text_area(value=values["body"], on_change=state.set_review_body,
                             id="review-body", name="body", rows="4", max_length=rules.BODY_MAX,
                             placeholder=t("ui.review.body_placeholder"), width="100%",
                             dir="auto",
                             custom_attrs={"aria-describedby": "review-body-message",
                                           "aria-invalid": rx.cond(body_error != "", "true",
                                                                   "false")}),
                rx.text(rx.cond(body_error != "", body_error, t("ui.review.body_hint")),
                        size="1", id="review-body-message",
                        color=rx.cond(body_error != "", rx.color("red", 11), theme.MUTED)),
                spacing="1",
                width="100%",
            ),
            rx.vstack(
                rx.el.span(t("ui.review.display"), id="review-display-label",
                           font_weight="500", font_size="0.9rem"),
                rx.radio_group.root(
                    rx.radio_group.item(t("ui.review.display_name"), value="name",
                                        min_height="44px"),
                    rx.radio_group.item(t("ui.review.display_verified"), value="verified",
                                        min_height="44px"),
                    value=values["display"],
                    on_change=state.set_review_display,
                    direction="column",
                    id="review-display",
                    name="display",
                    custom_attrs={"aria-labelledby": "review-display-label"},
                ),
                spacing="1",
                width="100%",
            ),
            error_banner(state.review_error),
            rx.hstack(
                rx.button(rx.icon("send", size=16), t("ui.review.submit"), type="submit",
                          size="3", id="review-submit"),
                rx.cond(state.review_editing,
                        rx.button(t("ui.review.cancel_edit"), type="button", variant="soft",
                                  color_scheme="gray", size="3",
                                  on_click=state.stop_editing_review)),
                spacing="2",
                wrap="wrap",
            ),
            spacing="4",
            width="100%",
        ),
        on_submit=state.save_review,
        width="100%",
        id="review-form",
    )


def _reply_form(state: type[ReviewMixin]) -> rx.Component:
    return form(
        rx.vstack(
            rx.el.label(t("ui.review.reply_label"), html_for="review-reply",
                        font_weight="500", font_size="0.9rem"),
            rx.text_area(value=state.reply_text, on_change=state.set_reply_text,
                         id="review-reply", name="reply", rows="3", max_length=rules.REPLY_MAX,
                         width="100%",
                         dir="auto",
                         custom_attrs={"aria-describedby": "review-reply-message"}),
            rx.text(rx.cond(state.reply_error != "", state.reply_error,
                            t("ui.review.reply_hint")),
                    size="1", id="review-reply-message",
                    color=rx.cond(state.reply_error != "", rx.color("red", 11), theme.MUTED)),
            rx.button(t("ui.review.reply_submit"), type="submit", size="2",
                      variant="soft", id="review-reply-submit", min_height="44px"),
            spacing="2",
            width="100%",
        ),
        on_submit=state.send_reply,
        width="100%",
    )


def review_panel(state: type[ReviewMixin]) -> rx.Component:
    """The lead page's review: the form for the owner of a closed job, or the review itself
    (with its edit, its reply form for the business, or why it is hidden)."""
    review = dict_var(state.review)
    return rx.cond(
        state.may_review | (review.length() > 0),
        rx.vstack(
            rx.hstack(rx.icon("star", size=16, color=rx.color("amber", 10)),
                      rx.heading(rx.cond(review.length() > 0, t("ui.review.title"),
                                         t("ui.review.ask_title")), as_="h2", size="4"),
                      spacing="2", align="center"),
            notice_banner(state.review_notice),
            rx.cond(
                (review.length() == 0) | state.review_editing,
                rx.vstack(
                    rx.cond(review.length() == 0,
                            rx.text(t("ui.review.ask_body"), size="2", color=theme.MUTED,
                                    line_height="1.6")),
                    review_form(state),
                    width="100%",
                    spacing="3",
                ),
                rx.vstack(
                    rx.cond(review["hidden"] != "",
                            rx.callout.root(
                                rx.callout.icon(rx.icon("eye-off", size=16)),
                                rx.callout.text(t("ui.review.hidden_note"), " ",
                                                review["hidden_reason"], dir="auto"),
                                color_scheme="orange", size="1", width="100%",
                                id="review-hidden")),
                    review_card(review),
                    rx.cond(review["can_edit"] != "",
                            rx.hstack(
                                rx.button(rx.icon("pencil", size=15), t("ui.review.edit"),
                                          variant="soft", size="2", min_height="44px",
                                          on_click=state.edit_review, id="review-edit"),
                                rx.text(t("ui.review.editable_until"), " ", review["until"],
                                        size="1", color=theme.MUTED),
                                spacing="3", align="center", wrap="wrap")),
                    rx.cond(review["can_reply"] != "", _reply_form(state)),
                    spacing="3",
                    width="100%",
                ),
            ),
            spacing="3",
            width="100%",
            style=theme.card_style(),
            id="review-panel",
        ),
    )
