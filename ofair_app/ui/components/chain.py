"""A pro lead's referral chain on the lead page (issue 22, point 1).

`ChainMixin` reads who earns what along the chain as the caller may see it
(`referrals.chain_view`): the owner and everyone who passed the lead on, each with its share
and fee, then the performer's net and the platform's commission, shown before anyone accepts.
A business holding an offer it may pass on (`referrals.passable`) picks a colleague (the page's
colleague search) and the share it keeps. `chain_panel` and `pass_on_box` draw it."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import reflex as rx
from reflex.vars import ObjectVar

from ofair_app.domain.errors import AppError
from ofair_app.models import Lead, ReferOn
from ofair_app.services import referrals
from ofair_app.ui import format, theme
from ofair_app.ui.components.forms import dict_var, error_banner, field
from ofair_app.ui.state.events import event
from ofair_app.ui.state.locale import t, t_with
from ofair_app.ui.state.session import PageMixin

if TYPE_CHECKING:
    from sqlmodel import Session

    from ofair_app.db.engine import Caller



class ChainMixin(PageMixin, mixin=True):
    # The referrers in order (name, share, fee, "you"), and the performer's line; empty
    # unless more than one business refers the job.
    chain: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    chain_end: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    # The offer the caller may pass on, the most it may keep, and the form.
    pass_on: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    pass_share: rx.Field[str] = rx.field("")
    pass_error: rx.Field[str] = rx.field("")

    if TYPE_CHECKING:
        # What the final state class gets besides the session's: the page's banners, its
        # colleague search and `_load` (pro_lead.ProLeadState).
        error: rx.Field[str]
        notice: rx.Field[str]
        share_query: rx.Field[str]
        share_results: rx.Field[list[dict[str, str]]]
        share_message: rx.Field[str]

        async def _load(self, caller: Caller) -> None: ...

    async def _load_chain(self, caller: Caller, lead: Lead) -> None:
        self.chain, self.chain_end, self.pass_on, self.pass_error = [], {}, {}, ""
        mine = set(caller.professional_ids)

        def read(session: Session) -> tuple[referrals.ChainView, referrals.Passable | None]:
            return (referrals.chain_view(session=session, caller=caller, lead_id=lead.id),
                    referrals.passable(session, caller, lead))

        view, passable = await self._as(caller, read)
        locale = self.locale
        money = lambda amount: format.money(amount, locale) if amount is not None else ""  # noqa: E731
        if passable is not None:
            self.pass_on = {"id": str(passable.referral.id),
                            "room": f"{passable.room.normalize():f}"}
        links = view.terms.links
        in_chain = any(link.professional_id in mine for link in links[1:])
        if len(links) < 2 and not in_chain:
            return
        self.chain = [{"name": view.names.get(link.professional_id, ""),
                       "share": f"{link.share.normalize():f}%", "fee": money(fee),
                       "you": "1" if link.professional_id in mine else ""}
                      for link, fee in zip(links, view.fees, strict=True)]
        performer = view.terms.performer_id
        self.chain_end = {
            "name": view.names.get(performer, "") if performer else "",
            "you": "1" if performer in mine else "",
            "net": money(view.split.professional_net_amount) if view.split else "",
            "platform": money(view.split.platform_commission) if view.split else "",
            "rate": f"{view.split.platform_rate_pct.normalize():f}%" if view.split else "",
            "amount": money(view.terms.amount)}

    @rx.var
    def pass_hint(self) -> str:
        room = self.pass_on.get("room", "")
        return self._text("ui.chain.pass_share_hint", max=room) if room else ""

    @event
    def set_pass_share(self, value: str):
        self.pass_share = value

    @event
    async def pass_to(self, professional_id: str):
        """Pass the held offer on to the colleague picked, keeping `pass_share` percent."""
        caller = await self._caller()
        if caller is None or not self.pass_on:
            return None
        self.pass_error, self.error, self.notice = "", "", ""
        try:
            receiver = uuid.UUID(professional_id)
        except ValueError:  # not a colleague the page offered
            self.pass_error = self._text("errors.professional.not_found")
            return None
        referral_id = uuid.UUID(self.pass_on["id"])
        try:
            # `share` is the typed text: the model's `Percent` validator reads it (mypy knows
            # only the field's Decimal type from the model's synthesized __init__). A share it
            # can't read is an InvalidInput naming the field, shown like the service's own.
            data = ReferOn(receiver_professional_id=receiver,
                           share=self.pass_share.strip() or "0",  # type: ignore[arg-type]
                           message=self.share_message)
            await self._as(caller, lambda s: referrals.refer_on(
                session=s, caller=caller, referral_id=referral_id, data=data))
        except AppError as error:
            self.pass_error = (next(iter(self._field_messages(error).values()), "")
                               or self._message(error))
            return None
        self.notice = self._text("ui.chain.passed")
        self.share_query, self.share_results, self.share_message = "", [], ""
        self.pass_share = ""
        await self._load(caller)
        return None


def _you(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.cond(row["you"] != "", rx.badge(t("ui.chain.you"), radius="full", size="1",
                                               variant="soft", color_scheme="teal"))


def _link_row(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.hstack(
        rx.icon("corner-down-left", size=14, color=theme.MUTED, flex_shrink="0"),
        rx.vstack(rx.hstack(rx.el.bdi(rx.text(row["name"], weight="medium", size="2")),
                            _you(row), spacing="2", align="center"),
                  rx.text(t("ui.chain.keeps"), " ", row["share"], size="1",
                          color=theme.MUTED),
                  spacing="0", align="start"),
        rx.spacer(),
        rx.text(row["fee"], size="2", weight="bold"),
        width="100%", align="center", class_name="chain-link")


def chain_panel(state: type[ChainMixin]) -> rx.Component:
    """Who earns what along the chain: each referrer, then the performer and the platform."""
    end = dict_var(state.chain_end)
    return rx.cond(
        state.chain.length() > 0,
        rx.vstack(
            rx.hstack(rx.icon("git-fork", size=16, color=theme.BRAND),
                      rx.heading(t("ui.chain.title"), as_="h2", size="3"),
                      spacing="2", align="center"),
            rx.text(t_with("ui.chain.subtitle", amount=end["amount"]), size="2",
                    color=theme.MUTED, line_height="1.6"),
            rx.el.ol(rx.foreach(state.chain, lambda row: rx.el.li(_link_row(row))),
                     style={"list_style": "none", "padding": 0, "margin": 0,
                            "display": "flex", "flex_direction": "column", "gap": "0.6rem",
                            "width": "100%"}),
            rx.divider(),
            rx.hstack(
                rx.vstack(
                    rx.hstack(rx.text(t("ui.chain.performer"), weight="medium", size="2"),
                              _you(end), spacing="2", align="center"),
                    rx.cond(end["name"] != "", rx.el.bdi(rx.text(end["name"], size="1",
                                                                 color=theme.MUTED)),
                            rx.text(t("ui.chain.performer_open"), size="1",
                                    color=theme.MUTED)),
                    spacing="0", align="start"),
                rx.spacer(), rx.text(end["net"], size="3", weight="bold"),
                width="100%", align="center", id="chain-performer"),
            rx.hstack(rx.text(t("ui.lead.earn_platform"), " (", end["rate"], ")", size="2"),
                      rx.spacer(), rx.text(end["platform"], size="2", weight="medium"),
                      width="100%"),
            rx.text(t("ui.chain.note"), size="1", color=theme.MUTED, line_height="1.5"),
            spacing="3",
            width="100%",
            style=theme.card_style(),
            id="lead-chain",
        ),
    )


def pass_on_box(state: type[ChainMixin], picker: rx.Component) -> rx.Component:
    """Pass the offer on: the share kept, then a colleague from `picker` (the page's colleague
    search, whose results call `state.pass_to`)."""
    return rx.cond(
        dict_var(state.pass_on).contains("id"),
        rx.vstack(
            rx.hstack(rx.icon("forward", size=16, color=theme.BRAND),
                      rx.heading(t("ui.chain.pass_title"), as_="h2", size="3"),
                      spacing="2", align="center"),
            rx.text(t("ui.chain.pass_body"), size="2", color=theme.MUTED, line_height="1.6"),
            error_banner(state.pass_error),
            field("ui.chain.pass_share",
                  rx.input(value=state.pass_share, on_change=state.set_pass_share,
                           input_mode="decimal", size="3", width="8rem", id="pass-share",
                           dir="ltr"),
                  hint=state.pass_hint, html_for="pass-share"),
            picker,
            rx.text(t("ui.chain.pass_note"), size="1", color=theme.MUTED, line_height="1.5"),
            spacing="3",
            width="100%",
            style=theme.card_style(),
            id="pass-on",
        ),
    )
