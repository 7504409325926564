"""A business's performance tier (issue 22, point 2), on its plan page and its public page.

`TierMixin` reads `tiers.tier_view` for the business: its tier and since when, the commission
discount it is worth, the figures of the month's evaluation, and each requirement of the next
tier against them. `tier_card` draws it for the business; `tier_badge` is the public badge."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import reflex as rx
from reflex.vars import ObjectVar

from ofair_app.domain.tax import israel_date
from ofair_app.domain.tiers import Requirement, Tier
from ofair_app.services import tiers
from ofair_app.ui import format, theme
from ofair_app.ui.components.forms import dict_var
from ofair_app.ui.state.locale import t, t_with
from ofair_app.ui.state.session import PageMixin

if TYPE_CHECKING:
    from ofair_app.db.engine import Caller


COLORS = {Tier.bronze: "bronze", Tier.silver: "gray", Tier.gold: "gold", Tier.premium: "purple"}


class TierMixin(PageMixin, mixin=True):
    tier: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    # the last 90 days, as counted
    tier_figures: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    # the next tier's requirements against them
    tier_next: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)

    async def _load_tier(self, caller: Caller, professional_id: uuid.UUID | None) -> None:
        self.tier, self.tier_figures, self.tier_next = {}, [], []
        if professional_id is None:
            return
        view = await self._as(caller, lambda s: tiers.tier_view(
            session=s, caller=caller, professional_id=professional_id))
        locale = self.locale
        self.tier = {
            "tier": str(view.tier), "name": self._text(f"ui.tier.{view.tier}"),
            "color": COLORS[view.tier],
            "since": format.day(israel_date(view.since), locale) if view.since else "",
            "discount": format.isolate(f"{view.discount_pct.normalize():f}%"),
            "next": self._text(f"ui.tier.{view.next_tier}") if view.next_tier else "",
            "month": (format.month(view.evaluation.month, locale)
                      if view.evaluation is not None else "")}
        evaluation = view.evaluation
        if evaluation is None:
            return
        minutes = lambda n: self._text("ui.tier.minutes", n=n)  # noqa: E731
        self.tier_figures = [
            {"label": self._text("ui.tier.figure.jobs"), "value": str(evaluation.completed_jobs)},
            {"label": self._text("ui.tier.figure.rating"),
             "value": (f"{evaluation.rating:.1f}" if evaluation.rating is not None
                       else self._text("ui.tier.no_rating"))},
            {"label": self._text("ui.tier.figure.response"),
             "value": (minutes(evaluation.response_minutes)
                       if evaluation.response_minutes is not None
                       else self._text("ui.tier.no_response"))},
            {"label": self._text("ui.tier.figure.disputes"),
             "value": str(evaluation.disputes_lost)}]
        self.tier_next = [
            {"text": self._text(f"ui.tier.req.{check.requirement}", needed=check.needed,
                                have=(minutes(check.have)
                                      if check.requirement == Requirement.response and check.have
                                      else check.have or "—")),
             "met": "1" if check.met else ""}
            for check in view.next_checks]


def _requirement(row: ObjectVar[dict[str, str]]) -> rx.Component:
    met = row["met"] != ""
    return rx.hstack(
        rx.cond(met, rx.icon("circle-check", size=16, color=rx.color("green", 10),
                             flex_shrink="0"),
                rx.icon("circle-dashed", size=16, color=theme.MUTED, flex_shrink="0")),
        rx.text(row["text"], size="2"),
        rx.el.span(rx.cond(met, t("ui.tier.met"), t("ui.tier.not_met")),
                   class_name="sr-only"),
        spacing="2", align="center", width="100%", class_name="tier-requirement")


def tier_badge(state: type[TierMixin]) -> rx.Component:
    """The tier's name on a coloured badge."""
    tier = dict_var(state.tier)
    return rx.badge(rx.icon("award", size=14), tier["name"], radius="full", size="2",
                    variant="soft", color_scheme=tier["color"], class_name="tier-badge")


def tier_card(state: type[TierMixin]) -> rx.Component:
    """The business's tier, what it took and what the next one needs."""
    tier = dict_var(state.tier)
    return rx.cond(
        tier.contains("tier"),
        rx.vstack(
            rx.hstack(rx.heading(t("ui.tier.title"), as_="h2", size="4"), tier_badge(state),
                      rx.spacer(),
                      rx.cond(tier["since"] != "",
                              rx.text(t("ui.tier.since"), " ", tier["since"], size="1",
                                      color=theme.MUTED)),
                      width="100%", align="center", wrap="wrap", spacing="2"),
            rx.text(t_with("ui.tier.discount", discount=tier["discount"]), size="2"),
            rx.cond(
                state.tier_figures.length() > 0,
                rx.vstack(
                    rx.text(t_with("ui.tier.counted", month=tier["month"]), size="2",
                            weight="medium"),
                    rx.grid(rx.foreach(state.tier_figures, lambda f: rx.vstack(
                        rx.text(f["label"], size="1", color=theme.MUTED),
                        rx.text(f["value"], size="3", weight="bold"), spacing="0")),
                        columns=rx.breakpoints(initial="2", sm="4"), spacing="3", width="100%"),
                    rx.cond(tier["next"] != "", rx.vstack(
                        rx.text(t_with("ui.tier.next", tier=tier["next"]), size="2",
                                weight="medium"),
                        rx.vstack(rx.foreach(state.tier_next, _requirement), spacing="1",
                                  width="100%"),
                        spacing="2", width="100%")),
                    spacing="3", width="100%"),
                rx.text(t("ui.tier.first"), size="2", color=theme.MUTED),
            ),
            rx.text(t("ui.tier.note"), size="1", color=theme.MUTED, line_height="1.5"),
            spacing="3", width="100%", style=theme.card_style(), id="tier-card",
        ),
    )
