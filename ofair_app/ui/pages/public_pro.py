"""`/pros/{id}`: a business as the public sees it (never a phone number or an e-mail)."""

from __future__ import annotations

import uuid

import reflex as rx

from ofair_app import reference
from ofair_app.db.engine import ANONYMOUS
from ofair_app.domain.errors import AppError
from ofair_app.domain.tiers import Tier
from ofair_app.services import professionals, reviews, subscriptions, tiers
from ofair_app.ui import routes, theme
from ofair_app.ui.components.forms import dict_var
from ofair_app.ui.components.pickers import localized
from ofair_app.ui.components.reviews import review_card, review_row, summary_card, summary_rows
from ofair_app.ui.components.shells import consumer_shell
from ofair_app.ui.components.tier import COLORS
from ofair_app.ui.state.events import event
from ofair_app.ui.state.locale import t
from ofair_app.ui.state.session import SessionState


class PublicProState(SessionState):
    found: rx.Field[str] = rx.field("loading")  # loading | ok | missing
    business_name: rx.Field[str] = rx.field("")
    verified: rx.Field[bool] = rx.field(False)
    subscribed: rx.Field[bool] = rx.field(False)  # the OFAIR Pro plan's badge
    rating: rx.Field[str] = rx.field("")
    # Silver and up: the badge (name, colour)
    tier: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    review_count: rx.Field[int] = rx.field(0)
    category: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    subcategories: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    specialties: rx.Field[list[str]] = rx.field(default_factory=list)
    locality: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    radius: rx.Field[int] = rx.field(0)
    about: rx.Field[str] = rx.field("")
    since: rx.Field[str] = rx.field("")
    summary: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    bars: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    reviews: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    reviews_cursor: rx.Field[str] = rx.field("")

    async def _load_reviews(self, pid: uuid.UUID, more: bool = False) -> None:
        cursor = self.reviews_cursor if more else None

        def read(session):
            page = reviews.of_business(session=session, caller=ANONYMOUS, professional_id=pid,
                                       limit=10, cursor=cursor)
            return page, reviews.summary(session=session, professional_id=pid)

        (rows, next_cursor), summary = await self._as(ANONYMOUS, read)
        found = [review_row(view, self.locale, self._text) for view in rows]
        self.reviews = [*self.reviews, *found] if more else found
        self.reviews_cursor = next_cursor or ""
        self.summary, self.bars = summary_rows(summary, self.locale, self._text)

    @event
    async def more_reviews(self):
        try:
            await self._load_reviews(uuid.UUID(self.router.url.path.rstrip("/")
                                               .rsplit("/", 1)[-1]), more=True)
        except (ValueError, AppError):
            self.reviews_cursor = ""

    @event
    async def open(self):
        await self._identify()
        self.access = "ok"
        raw = self.router.url.path.rstrip("/").rsplit("/", 1)[-1]
        try:
            pid = uuid.UUID(raw)
            # Read as the public does: a suspended business is simply not there.
            professional, tier = await self._as(ANONYMOUS, lambda s: (
                professionals.get_professional(session=s, professional_id=pid),
                tiers.tier_of(s, pid)))
        except (ValueError, AppError):
            self.found = "missing"
            return
        self.found = "ok"
        self.business_name = professional.business_name
        self.verified = professional.verified
        self.tier = ({"name": self._text(f"ui.tier.{tier}"), "color": COLORS[tier]}
                     if tier != Tier.bronze else {})
        self.subscribed = subscriptions.is_subscribed(professional)
        self.rating = f"{professional.rating:.1f}" if professional.review_count else ""
        self.review_count = professional.review_count
        category = reference.category(professional.category_slug)
        self.category = {"he": category.name_he, "en": category.name_en,
                         "icon": category.icon} if category else {}
        self.subcategories = [{"he": found[1].name_he, "en": found[1].name_en}
                              for slug in professional.subcategory_slugs
                              if (found := reference.subcategory(slug))]
        self.specialties = list(professional.specialties)
        locality = reference.locality(professional.locality_id)
        self.locality = {"he": locality.name_he, "en": locality.name_en} if locality else {}
        self.radius = professional.service_radius_km
        self.about = professional.about
        self.since = str(professional.created_at.year) if professional.created_at else ""
        await self._load_reviews(pid)


def _chip(text: rx.Var, icon: str = "") -> rx.Component:
    return rx.badge(rx.icon(icon, size=13) if icon else rx.fragment(), text, variant="soft",
                    color_scheme="gray", size="2", radius="full")


def _card() -> rx.Component:
    s = PublicProState
    tier, category, locality = dict_var(s.tier), dict_var(s.category), dict_var(s.locality)
    return rx.vstack(
        rx.hstack(
            rx.center(rx.icon("briefcase-business", size=28, color=theme.BRAND), width="4rem",
                      height="4rem", border_radius="18px", background=rx.color("teal", 3),
                      flex_shrink="0"),
            rx.vstack(
                rx.heading(s.business_name, as_="h1", size="7", id="pro-name"),
                rx.hstack(
                    rx.cond(s.verified,
                            rx.badge(rx.icon("badge-check", size=14), t("ui.pro.status.verified"),
                                     color_scheme="teal", size="2", radius="full",
                                     id="verified-badge")),
                    rx.cond(tier.contains("name"),
                            rx.badge(rx.icon("award", size=14, aria_hidden="true"),
                                     t("ui.tier.badge"), " ", tier["name"],
                                     color_scheme=tier["color"], size="2", radius="full",
                                     id="tier-badge")),
                    rx.cond(s.subscribed,
                            rx.badge(rx.icon("crown", size=14, aria_hidden="true"),
                                     t("ui.plan.badge"), color_scheme="violet", size="2",
                                     radius="full", id="pro-badge")),
                    rx.cond(s.rating != "",
                            rx.badge(rx.icon("star", size=14), s.rating, " (", s.review_count, ")",
                                     color_scheme="amber", size="2", radius="full"),
                            rx.text(t("ui.public_pro.no_reviews"), size="2",
                                    color=theme.MUTED)),
                    spacing="2",
                    wrap="wrap",
                    align="center",
                ),
                spacing="2",
            ),
            spacing="4",
            align="center",
        ),
        rx.separator(size="4"),
        rx.hstack(
            rx.icon("wrench", size=18, color=theme.BRAND),
            rx.text(localized(category.get("he", ""), category.get("en", "")),
                    weight="bold", id="pro-category"),
            spacing="2",
            align="center",
        ),
        rx.flex(rx.foreach(s.subcategories, lambda sub: _chip(localized(sub["he"], sub["en"]))),
                wrap="wrap", gap="0.5rem"),
        rx.hstack(
            rx.icon("map-pin", size=18, color=theme.BRAND),
            rx.text(localized(locality.get("he", ""), locality.get("en", "")),
                    weight="medium"),
            rx.text("·", color=theme.MUTED),
            rx.text(t("ui.public_pro.serves_within"), " ", s.radius, " ", t("ui.business.km"),
                    color=theme.MUTED, size="2"),
            spacing="2",
            align="center",
            wrap="wrap",
        ),
        rx.cond(
            s.about != "",
            rx.vstack(
                rx.heading(t("ui.public_pro.about"), as_="h2", size="4"),
                rx.text(s.about, white_space="pre-wrap", line_height="1.7", dir="auto"),
                spacing="2",
                width="100%",
            ),
        ),
        rx.cond(
            s.specialties.length() > 0,
            rx.vstack(
                rx.heading(t("ui.public_pro.specialties"), as_="h2", size="4"),
                rx.flex(rx.foreach(s.specialties, lambda x: _chip(x, "sparkle")), wrap="wrap",
                        gap="0.5rem"),
                spacing="2",
                width="100%",
            ),
        ),
        rx.callout(t("ui.public_pro.contact_note"), icon="lock-keyhole", color_scheme="teal",
                   size="1", width="100%"),
        rx.cond(s.since != "", rx.text(t("ui.public_pro.since"), " ", s.since, size="1",
                                       color=theme.MUTED)),
        spacing="4",
        width="100%",
        style=theme.card_style(padding="1.5rem"),
    )


def _reviews() -> rx.Component:
    s = PublicProState
    return rx.vstack(
        rx.heading(t("ui.review.list_title"), as_="h2", size="5"),
        rx.cond(
            s.reviews.length() > 0,
            rx.vstack(
                summary_card(dict_var(s.summary), s.bars),
                rx.separator(size="4"),
                rx.foreach(s.reviews, lambda row: rx.fragment(review_card(row, aspects=False),
                                                             rx.separator(size="4"))),
                rx.cond(s.reviews_cursor != "",
                        rx.button(t("ui.review.more"), variant="soft", size="3",
                                  on_click=s.more_reviews, id="more-reviews")),
                spacing="4",
                width="100%",
            ),
            rx.text(t("ui.review.none"), size="2", color=theme.MUTED),
        ),
        spacing="4",
        width="100%",
        style=theme.card_style(padding="1.5rem"),
        id="reviews",
    )


def _missing() -> rx.Component:
    return rx.vstack(
        rx.icon("search-x", size=32, color=theme.MUTED),
        rx.heading(t("ui.public_pro.missing_title"), as_="h1", size="6"),
        rx.text(t("ui.public_pro.missing_body"), color=theme.MUTED, size="2"),
        rx.link(rx.button(t("ui.denied.home"), variant="soft"), href=routes.HOME),
        align="center",
        spacing="3",
        padding="4rem 1rem",
        id="pro-missing",
    )


def public_pro() -> rx.Component:
    return consumer_shell(
        rx.box(
            rx.match(
                PublicProState.found,
                ("ok", rx.vstack(_card(), _reviews(), spacing="5", width="100%")),
                ("missing", _missing()),
                rx.center(rx.spinner(size="3"), padding="4rem 0"),
            ),
            max_width="44rem",
            margin_x="auto",
            padding=rx.breakpoints(initial="1.25rem 1rem 3rem", md="2.5rem 1rem 4rem"),
        ),
    )
