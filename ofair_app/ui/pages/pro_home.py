"""`/pro`: the Lead Board. Open leads in the business's category and service area, newest first,
subscribers' leads pinned on top; filters; more cards load as the list scrolls, each "more"
sending only its own page (`ui/state/paging.py`). No card ever carries a client's name, phone
or address (the board reads only public columns)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import reflex as rx
from reflex.vars import ObjectVar
from sqlmodel import Session

from ofair_app import reference
from ofair_app.db.engine import Caller
from ofair_app.domain.errors import AppError, FieldErrors
from ofair_app.domain.leads import LeadType, read_amount
from ofair_app.i18n import plural, translate
from ofair_app.services import board
from ofair_app.ui import format, routes, theme
from ofair_app.ui.components.forms import dict_var, error_banner, field, form, joined
from ofair_app.ui.components.paged import paged_list
from ofair_app.ui.components.pickers import radius_input
from ofair_app.ui.components.shells import pro_shell
from ofair_app.ui.state.events import event
from ofair_app.ui.state.locale import t
from ofair_app.ui.state.paging import first_page_key, next_page_key
from ofair_app.ui.state.session import SessionState, current_business

PAGE = 20
# Clicks "more" when it scrolls near the viewport: infinite scroll without a custom component.
# A file (assets/), not an inline script, so the pages' Content-Security-Policy allows it.
INFINITE_SCROLL_SRC = "/board-scroll.js"
# The filter form's text fields, by id.
FORM_FIELDS = ("board-q", "board-budget-min", "board-budget-max")


def card_row(card: board.BoardCard, locale: str, text: Callable[[str], str]) -> dict[str, str]:
    category = reference.category(card.category_slug)
    sub = reference.subcategory(card.subcategory_slug) if card.subcategory_slug else None
    locality = reference.locality(card.locality_id) if card.locality_id else None
    is_referral = card.type == LeadType.professional_referral
    return {
        "id": str(card.lead_id),
        "title": card.title,
        "summary": card.short_description,
        "category": category.name(locale) if category else "",
        "subcategory": sub[1].name(locale) if sub else "",
        "city": locality.name(locale) if locality else "",
        "distance": format.distance(card.distance_km, locale),
        "posted": format.ago(card.created_at, locale),
        "proposals": plural("ui.count.proposals", card.proposal_count, locale),
        "budget": format.money(card.budget, locale),
        "type": str(card.type),
        "share": (f"{card.referrer_share_percentage.normalize():f}%"
                  if is_referral and card.referrer_share_percentage is not None else ""),
        "business": card.business.business_name if card.business else "",
        "pinned": "1" if card.pinned else "",
        "direct": "1" if card.unlock is not None else "",
        "unlock_price": format.money(card.unlock.price.total, locale) if card.unlock else "",
        "places": (plural("ui.count.places_left", card.unlock.places_left, locale)
                   if card.unlock else ""),
        "schedule": text(f"ui.schedule.{card.preferred_schedule}"),
    }


class BoardState(SessionState):
    # The page just read and its key; the browser keeps the pages before it (ui/state/paging.py).
    page_rows: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    page_key: rx.Field[str] = rx.field("")
    cursor: rx.Field[str] = rx.field("")
    loading: rx.Field[bool] = rx.field(False)
    loaded: rx.Field[bool] = rx.field(False)
    error: rx.Field[str] = rx.field("")
    business_name: rx.Field[str] = rx.field("")
    category_name: rx.Field[str] = rx.field("")
    area_name: rx.Field[str] = rx.field("")
    # Filters.
    q: rx.Field[str] = rx.field("")
    lead_type: rx.Field[str] = rx.field("all")
    radius: rx.Field[int] = rx.field(25)
    budget_min: rx.Field[str] = rx.field("")
    budget_max: rx.Field[str] = rx.field("")
    subscribed_only: rx.Field[bool] = rx.field(False)
    filters_open: rx.Field[bool] = rx.field(False)
    # the business's service radius, what "clear" goes back to
    own_radius: rx.Field[int] = rx.field(0)
    _business_id: str = ""  # the business the board was last read for

    @rx.var
    def filtered(self) -> bool:
        """Whether any filter narrows the board (then an empty board says so)."""
        return bool(self.q.strip() or self.lead_type != "all" or self.budget_min.strip()
                    or self.budget_max.strip() or self.subscribed_only
                    or (self.own_radius and self.radius != self.own_radius))
    filter_errors: rx.Field[dict[str, str]] = rx.field(default_factory=dict)

    def _filters(self) -> board.BoardFilters:
        """The filters as typed; both budgets judged together, each named by its field."""
        checks = FieldErrors()
        budget_min = checks(read_amount, self.budget_min, field="budget_min")
        budget_max = checks(read_amount, self.budget_max, field="budget_max")
        checks.raise_if_any()
        return board.BoardFilters(
            q=self.q.strip() or None,
            type=None if self.lead_type == "all" else LeadType(self.lead_type),
            radius_km=float(self.radius),
            budget_min=budget_min, budget_max=budget_max,
            subscribed_only=self.subscribed_only)

    async def _fetch(self, append: bool, caller: Caller | None = None,
                     own_radius: bool = False) -> None:
        """A page of the board (the next one with `append`); `own_radius` searches the
        business's own service radius and shows it on the slider, as does a first page for
        another business than the last one (a first visit, another login or business in this
        tab). The hot path of the page: the caller, the query and the cards' formatting make
        one trip off the event loop."""
        self.error, self.filter_errors = "", {}
        cursor, locale, choice = (self.cursor if append else None), self.locale, \
            self.business_choice
        shown_for = self._business_id
        try:
            filters = self._filters()
        except AppError as error:
            self.filter_errors = self._field_messages(error)
            self.filters_open = True
            return

        def read(session: Session, caller: Caller):
            professional_id = current_business(caller, choice)
            mine = own_radius or (not append and str(professional_id) != shown_for)
            business, cards, next_cursor = board.for_business(
                session=session, caller=caller, professional_id=professional_id,
                filters=replace(filters, radius_km=None) if mine else filters, limit=PAGE,
                cursor=cursor)
            text = lambda key: translate(key, locale)  # noqa: E731
            rows = [card_row(card, locale, text) for card in cards]
            return business, rows, next_cursor, mine

        try:
            if caller is not None:
                # a name of its own: the lambda can't keep the narrowing of `caller`, which
                # the other branch assigns
                known = caller
                page = await self._as(known, lambda s: read(s, known))
            else:
                caller, page = await self._as_signed_in(read)
        except AppError as error:
            messages = self._field_messages(error)
            self.filter_errors = messages
            self.error = "" if messages else self._message(error)
            return
        if caller is None or page is None:
            return
        business, rows, next_cursor, mine = page
        self.page_rows = rows
        self.page_key = next_page_key(self.page_key) if append else first_page_key()
        self.cursor = next_cursor or ""
        self.loaded = True
        self.own_radius = business.service_radius_km
        self._business_id = str(business.id)
        if mine:
            self.radius = business.service_radius_km
        category = reference.category(business.category_slug)
        locality = reference.locality(business.locality_id)
        self.business_name = business.business_name
        self.category_name = category.name(self.locale) if category else ""
        self.area_name = locality.name(self.locale) if locality else ""

    @event
    async def open(self):
        caller, redirect = await self._guard("business")
        if caller is None:
            return redirect
        await self._fetch(append=False, caller=caller)
        return None

    @event
    async def apply(self, form: dict):
        self.q = str(form.get("q", ""))[:80]
        self.budget_min = str(form.get("budget_min", ""))[:12]
        self.budget_max = str(form.get("budget_max", ""))[:12]
        self.cursor = ""
        await self._fetch(append=False)

    @event
    async def set_type(self, value: str | list[str]):
        if value in ("all", LeadType.consumer.value, LeadType.professional_referral.value):
            self.lead_type = str(value)
            self.cursor = ""
            await self._fetch(append=False)

    @event
    async def set_radius_km(self, value: str):
        """The radius input came to rest: the board within that many km (text from the
        browser; anything but a number changes nothing)."""
        if not value.strip().isdigit():
            return
        self.radius = max(1, min(200, int(value)))
        self.cursor = ""
        await self._fetch(append=False)

    @event
    async def toggle_subscribed(self, value: bool):
        self.subscribed_only = bool(value)
        self.cursor = ""
        await self._fetch(append=False)

    @event
    def toggle_filters(self):
        self.filters_open = not self.filters_open

    @event
    async def clear(self):
        """Every filter back to none, the radius back to the business's own."""
        self.q, self.lead_type, self.budget_min, self.budget_max = "", "all", "", ""
        self.subscribed_only, self.cursor = False, ""
        await self._fetch(append=False, own_radius=True)
        # The text fields are uncontrolled (they keep what is typed): empty them too.
        return [rx.set_value(field, "") for field in FORM_FIELDS]

    @event
    async def more(self):
        """The next page; its answer carries that page only. Every "more" answers, with an
        empty page at the end of the list, so the button's wait always ends."""
        if not self.page_key:  # this tab's state was lost: start the list again
            await self._fetch(append=False)
            return
        if not self.cursor:
            self.page_rows, self.page_key = [], next_page_key(self.page_key)
            return
        self.loading = True
        yield
        try:
            await self._fetch(append=True)
        finally:
            self.loading = False


# --- cards ---------------------------------------------------------------------------------


def _meta(icon: str, value: rx.Var[str], **props) -> rx.Component:
    return rx.cond(
        value != "",
        rx.hstack(rx.icon(icon, size=14, flex_shrink="0"),
                  rx.text(value, size="1", dir="auto", **props),
                  spacing="1", align="center"),
    )


def _card(card: ObjectVar[dict[str, str]]) -> rx.Component:
    referral = card["type"] == "professional_referral"
    return rx.link(
        rx.vstack(
            rx.hstack(
                rx.cond(card["pinned"] != "",
                        rx.badge(rx.icon("pin", size=12), t("ui.board.pinned"),
                                 color_scheme="amber", radius="full", variant="soft")),
                rx.cond(referral,
                        rx.badge(rx.icon("share-2", size=12), t("ui.board.referral"),
                                 color_scheme="violet", radius="full", variant="soft"),
                        rx.badge(rx.icon("house", size=12), t("ui.board.consumer"),
                                 color_scheme="teal", radius="full", variant="soft")),
                rx.cond(card["direct"] != "",
                        rx.badge(rx.icon("phone", size=12), t("ui.board.direct"),
                                 color_scheme="blue", radius="full", variant="soft",
                                 class_name="direct-badge")),
                rx.spacer(),
                rx.text(card["posted"], size="1", color=theme.MUTED, class_name="posted"),
                width="100%",
                align="center",
                spacing="2",
            ),
            rx.text(card["title"], dir="auto", weight="bold", size="4", line_height="1.35"),
            rx.text(card["summary"], dir="auto", size="2", color=theme.MUTED, line_height="1.6",
                    class_name="clamp-2"),
            rx.hstack(
                _meta("map-pin", card["city"]),
                _meta("navigation", card["distance"], class_name="distance"),
                _meta("wrench", rx.cond(card["subcategory"] != "", card["subcategory"],
                                        card["category"])),
                _meta("calendar", card["schedule"]),
                spacing="3",
                wrap="wrap",
                color=theme.MUTED,
            ),
            rx.separator(size="4"),
            rx.hstack(
                rx.vstack(
                    rx.text(t("ui.board.budget"), size="1", color=theme.MUTED),
                    rx.text(rx.cond(card["budget"] != "", card["budget"],
                                    t("ui.board.no_budget")),
                            weight="bold", size="3", class_name="budget"),
                    spacing="0",
                ),
                rx.cond(
                    referral,
                    rx.vstack(rx.text(t("ui.board.referral_fee"), size="1", color=theme.MUTED),
                              rx.text(card["share"], weight="bold", size="3"), spacing="0"),
                ),
                rx.cond(
                    card["direct"] != "",
                    rx.vstack(rx.text(t("ui.board.unlock_price"), size="1", color=theme.MUTED),
                              rx.text(card["unlock_price"], weight="bold", size="3",
                                      class_name="unlock-price"),
                              rx.text(card["places"], size="1", color=theme.MUTED,
                                      class_name="places-left"),
                              spacing="0"),
                ),
                rx.spacer(),
                rx.hstack(rx.icon("message-square", size=14),
                          rx.text(card["proposals"], size="1"),
                          spacing="1", align="center", color=theme.MUTED),
                width="100%",
                align="end",
                spacing="5",
            ),
            rx.cond(card["business"] != "",
                    rx.text(t("ui.board.from_business"), " ", card["business"], size="1",
                            color=theme.MUTED)),
            spacing="2",
            width="100%",
            style=theme.card_style(padding="1rem 1.1rem"),
            _hover={"border_color": rx.color("teal", 7),
                    "box_shadow": "0 8px 24px -12px rgba(13,122,111,0.35)"},
        ),
        href="/pro/leads/" + card["id"],
        underline="none",
        color="inherit",
        width="100%",
        class_name="lead-card",
    )


def _empty_panel(icon: str, title: str, body: str, *actions: rx.Component,
                 **props) -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.center(rx.icon(icon, size=28, color=theme.BRAND), width="3.5rem",
                      height="3.5rem", border_radius="999px", background=rx.color("teal", 3)),
            rx.text(t(title), weight="bold", size="4"),
            rx.text(t(body), color=theme.MUTED, size="2", text_align="center",
                    max_width="24rem", line_height="1.6"),
            *actions,
            align="center",
            spacing="3",
        ),
        style=theme.card_style(padding="2.5rem 1.25rem"),
        width="100%",
        **props,
    )


def _empty() -> rx.Component:
    """Nothing on the board: no lead matches the filters (with a way out), or nobody has
    posted one in the business's trade and area yet."""
    return rx.cond(
        BoardState.filtered,
        _empty_panel("search-x", "ui.board.no_match_title", "ui.board.no_match_body",
                     rx.button(rx.icon("filter-x", size=16), t("ui.board.clear_filters"),
                               on_click=BoardState.clear, variant="soft", size="2",
                               id="board-clear-filters"),
                     id="lead-board-no-match"),
        _empty_panel("inbox", "ui.pro.empty_title", "ui.pro.empty_body",
                     id="lead-board-empty"),
    )


# --- filters -------------------------------------------------------------------------------


def _type_switch() -> rx.Component:
    return rx.segmented_control.root(
        rx.segmented_control.item(t("ui.board.all"), value="all"),
        rx.segmented_control.item(t("ui.board.type_consumer"), value="consumer"),
        rx.segmented_control.item(t("ui.board.type_referral"), value="professional_referral"),
        value=BoardState.lead_type,
        on_change=BoardState.set_type,
        size="2",
        width="100%",
        id="board-type",
    )


def _filters() -> rx.Component:
    more = rx.vstack(
        rx.vstack(
            rx.hstack(rx.el.label(t("ui.board.radius"), html_for="board-radius",
                                  font_size="var(--font-size-2)", color=theme.MUTED),
                      rx.text(BoardState.radius, " ", t("ui.business.km"), weight="bold",
                              size="2"), spacing="2"),
            radius_input(BoardState.radius, BoardState.set_radius_km, "board-radius"),
            spacing="2",
            width="100%",
        ),
        rx.hstack(
            field("ui.board.budget_min",
                  rx.input(rx.input.slot("₪"), name="budget_min",
                           default_value=BoardState.budget_min, input_mode="decimal", size="2",
                           dir="ltr", text_align="start", width="100%",
                           id="board-budget-min"),
                  dict_var(BoardState.filter_errors).get("budget_min", ""),
                  html_for="board-budget-min"),
            field("ui.board.budget_max",
                  rx.input(rx.input.slot("₪"), name="budget_max",
                           default_value=BoardState.budget_max, input_mode="decimal", size="2",
                           dir="ltr", text_align="start", width="100%",
                           id="board-budget-max"),
                  dict_var(BoardState.filter_errors).get("budget_max", ""),
                  html_for="board-budget-max"),
            spacing="2",
            width="100%",
            align="start",
        ),
        rx.hstack(
            rx.switch(checked=BoardState.subscribed_only,
                      on_change=BoardState.toggle_subscribed, id="board-subscribed",
                      name="subscribed_only"),
            rx.text(t("ui.board.subscribed_only"), size="2"),
            spacing="2",
            align="center",
        ),
        spacing="4",
        width="100%",
        display=rx.cond(BoardState.filters_open, "flex", "none"),
        padding_top="0.5rem",
    )
    return form(
        rx.vstack(
            rx.hstack(
                rx.input(rx.input.slot(rx.icon("search", size=16)), name="q",
                         default_value=BoardState.q, placeholder=t("ui.board.search"),
                         size="3", width="100%", id="board-q", type="search"),
                rx.icon_button(rx.icon("sliders-horizontal", size=18), type="button",
                               variant=rx.cond(BoardState.filters_open, "solid", "soft"),
                               size="3", on_click=BoardState.toggle_filters,
                               aria_label=t("ui.board.filters"), id="board-filters-toggle"),
                width="100%",
                spacing="2",
            ),
            _type_switch(),
            more,
            rx.hstack(
                rx.button(t("ui.board.apply"), type="submit", size="2", id="board-apply"),
                rx.button(t("ui.board.clear"), type="button", size="2", variant="ghost",
                          color_scheme="gray", on_click=BoardState.clear),
                spacing="2",
                display=rx.cond(BoardState.filters_open, "flex", "none"),
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=BoardState.apply,
        reset_on_submit=False,
        width="100%",
        style=theme.card_style(padding="0.9rem"),
    )


def _list() -> rx.Component:
    return rx.vstack(
        error_banner(BoardState.error),
        paged_list(
            name="board",
            page_rows=BoardState.page_rows,
            page_key=BoardState.page_key,
            item=_card,
            empty=_empty(),
            waiting=rx.center(rx.spinner(size="3"), padding="3rem", width="100%"),
            more=rx.cond(
                BoardState.cursor != "",
                rx.button(rx.cond(BoardState.loading, rx.spinner(size="2"), t("ui.board.more")),
                          on_click=BoardState.more, disabled=BoardState.loading,
                          variant="soft", size="3", width="100%", id="board-more"),
            ),
            list_props={"id": "lead-board"},
        ),
        rx.script(src=INFINITE_SCROLL_SRC),
        spacing="3",
        width="100%",
    )


def pro_home() -> rx.Component:
    return pro_shell(
        rx.vstack(
            rx.hstack(
                rx.vstack(
                    rx.heading(t("ui.pro.board_title"), as_="h1", size="7"),
                    rx.cond(
                        BoardState.category_name != "",
                        joined(BoardState.category_name, BoardState.area_name,
                               (BoardState.radius, " ", t("ui.business.km")), size="2",
                               color=theme.MUTED, id="board-area"),
                        rx.text(t("ui.pro.board_subtitle"), size="2", color=theme.MUTED),
                    ),
                    spacing="1",
                ),
                rx.spacer(),
                rx.link(rx.button(rx.icon("plus", size=16), t("ui.board.new_lead"), size="2"),
                        href=routes.PRO_LEAD_NEW, flex_shrink="0", id="new-lead"),
                width="100%",
                align="start",
            ),
            _filters(),
            _list(),
            spacing="4",
            width="100%",
            max_width="44rem",
            margin_x="auto",
        ),
        active=routes.PRO_HOME,
    )

