"""`/admin/professionals`: the verification queue. An admin checks a business's ID and
certificates, then verifies it (an audit row records who), or suspends or reinstates it, and
may give a business a complimentary month of the OFAIR Pro plan (audited too)."""

from __future__ import annotations

import dataclasses
import uuid

import reflex as rx

from ofair_app import reference
from ofair_app.domain import identity
from ofair_app.domain.errors import AppError
from ofair_app.domain.tax import israel_date
from ofair_app.models import ProfessionalStatus
from ofair_app.services import certificates, professionals, subscriptions
from ofair_app.ui import format, routes, theme
from ofair_app.ui.components.forms import (
    confirm_dialog,
    error_banner,
    notice_banner,
    page_title,
    status_badge,
)
from ofair_app.ui.components.pickers import localized
from ofair_app.ui.components.shells import admin_shell
from ofair_app.ui.state.events import event
from ofair_app.ui.state.locale import t, t_with
from ofair_app.ui.state.session import SessionState, enum_value

TABS = ("pending", "active", "suspended")


@dataclasses.dataclass
class OwnerRow:
    name: str
    phone: str


@dataclasses.dataclass
class CertificateRow:
    id: str
    title: str
    status: str


@dataclasses.dataclass
class BusinessRow:
    id: str
    name: str
    business_id: str
    status: str
    verified: bool
    category_he: str
    category_en: str
    locality_he: str
    locality_en: str
    created: str
    owners: list[OwnerRow]
    certificates: list[CertificateRow]
    pro_until: str = ""  # the OFAIR Pro plan's benefits end then ("" when it has none)


class AdminProsState(SessionState):
    tab: rx.Field[str] = rx.field("pending")
    rows: rx.Field[list[BusinessRow]] = rx.field(default_factory=list)
    error: rx.Field[str] = rx.field("")
    notice: rx.Field[str] = rx.field("")

    async def _load(self, caller) -> None:
        status = ProfessionalStatus(self.tab)

        def read(session):
            rows = []
            for p in professionals.review_queue(session=session, caller=caller, status=status):
                members = professionals.list_members(session=session, caller=caller,
                                                     professional_id=p.id)
                certs = certificates.list_certificates(session=session, caller=caller,
                                                       professional_id=p.id)
                category = reference.category(p.category_slug)
                locality = reference.locality(p.locality_id)
                rows.append(BusinessRow(
                    id=str(p.id), name=p.business_name, business_id=p.business_id,
                    status=enum_value(p.status), verified=p.verified,
                    category_he=category.name_he if category else p.category_slug,
                    category_en=category.name_en if category else p.category_slug,
                    locality_he=locality.name_he if locality else "",
                    locality_en=locality.name_en if locality else "",
                    created=p.created_at.strftime("%d.%m.%Y %H:%M") if p.created_at else "",
                    owners=[OwnerRow(name=m.name or "—",
                                     phone=identity.display_phone(m.phone or ""))
                            for m in members if enum_value(m.role) == "owner"],
                    certificates=[CertificateRow(id=str(c.id), title=c.title,
                                                 status=enum_value(c.status)) for c in certs],
                    pro_until=(format.day(israel_date(p.subscribed_until), self.locale)
                               if subscriptions.is_subscribed(p) and p.subscribed_until
                               else ""),
                ))
            return rows

        self.rows = await self._as(caller, read)

    @event
    async def open(self):
        caller, redirect = await self._guard("admin")
        if caller is None:
            return redirect
        requested = self.router.url.query_parameters.get("status", "pending")
        self.tab = requested if requested in TABS else "pending"
        self.error, self.notice = "", ""
        await self._load(caller)
        return None

    @event
    async def show(self, tab: str | list[str]):
        caller = await self._admin()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        self.tab = tab if tab in TABS else "pending"
        self.error, self.notice = "", ""
        await self._load(caller)
        return None

    async def _act(self, professional_id: str, action, notice: str):
        caller = await self._admin()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        self.error, self.notice = "", ""
        ip = self.router.session.client_ip[:64]
        try:
            pid = uuid.UUID(professional_id)
            professional = await self._as(caller, lambda s: action(s, caller, pid, ip))
        except ValueError:
            self.error = self._text("errors.professional.not_found")
            return None
        except AppError as error:
            self.error = self._message(error)
            return None
        self.notice = self._text(notice, name=professional.business_name)
        await self._load(caller)
        return None

    @event
    async def verify(self, professional_id: str):
        return await self._act(
            professional_id, lambda s, c, pid, ip: professionals.verify_professional(
                session=s, caller=c, professional_id=pid, ip=ip), "ui.admin_pros.verified")

    @event
    async def suspend(self, professional_id: str):
        return await self._act(
            professional_id, lambda s, c, pid, ip: professionals.set_suspended(
                session=s, caller=c, professional_id=pid, suspended=True, ip=ip),
            "ui.admin_pros.suspended")

    @event
    async def reinstate(self, professional_id: str):
        return await self._act(
            professional_id, lambda s, c, pid, ip: professionals.set_suspended(
                session=s, caller=c, professional_id=pid, suspended=False, ip=ip),
            "ui.admin_pros.reinstated")

    @event
    async def give_month(self, professional_id: str):
        """A complimentary month of the OFAIR Pro plan (after any the business has)."""
        return await self._act(
            professional_id, lambda s, c, pid, ip: _granted(s, c, pid, ip),
            "ui.admin_pros.month_given")

    @event
    async def open_certificate(self, certificate_id: str):
        caller = await self._admin()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        try:
            url = await self._as(caller, lambda s: certificates.download_link(
                session=s, caller=caller, certificate_id=uuid.UUID(certificate_id)))
        except (AppError, ValueError):
            self.error = self._text("errors.certificate.not_found")
            return None
        return rx.redirect(url, is_external=True)


def _tabs() -> rx.Component:
    return rx.segmented_control.root(
        *(rx.segmented_control.item(t(f"ui.admin_pros.tab_{tab}"), value=tab) for tab in TABS),
        value=AdminProsState.tab,
        on_change=AdminProsState.show,
        id="admin-pros-tabs",
        width="100%",
        max_width="32rem",
    )


def _certificate(cert) -> rx.Component:
    return rx.button(
        rx.icon("file-badge", size=14),
        cert.title,
        rx.match(cert.status,
                 ("approved", rx.icon("check", size=14, color=rx.color("teal", 10))),
                 rx.fragment()),
        variant="surface",
        color_scheme="gray",
        size="1",
        on_click=AdminProsState.open_certificate(cert.id),
        class_name="admin-certificate",
    )


def _granted(session, caller, professional_id: uuid.UUID, ip: str):
    subscriptions.grant(session=session, caller=caller, professional_id=professional_id,
                        months=1, ip=ip)
    return professionals.get_professional(session=session, professional_id=professional_id)


def _row(row) -> rx.Component:
    pid = row.id
    return rx.vstack(
        rx.hstack(
            rx.vstack(
                rx.link(rx.text(row.name, weight="bold", size="4"),
                        href="/pros/" + pid, color=theme.INK),
                rx.text(localized(row.category_he, row.category_en), " · ",
                        localized(row.locality_he, row.locality_en),
                        size="2", color=theme.MUTED),
                spacing="1",
                flex="1",
                min_width="0",
            ),
            status_badge(row.status, row.verified),
            width="100%",
            align="start",
        ),
        rx.grid(
            rx.vstack(rx.text(t("ui.business.id"), size="1", color=theme.MUTED),
                      rx.text(row.business_id, dir="ltr", weight="medium",
                              font_variant_numeric="tabular-nums"), spacing="0"),
            rx.vstack(rx.text(t("ui.admin_pros.owner"), size="1", color=theme.MUTED),
                      rx.foreach(row.owners,
                                 lambda o: rx.text(o.name, " ",
                                                   rx.el.bdi(o.phone, dir="ltr"),
                                                   size="2")),
                      spacing="0"),
            rx.vstack(rx.text(t("ui.admin_pros.opened"), size="1", color=theme.MUTED),
                      rx.text(row.created, size="2", dir="ltr"), spacing="0"),
            rx.vstack(rx.text(t("ui.plan.title"), size="1", color=theme.MUTED),
                      rx.text(rx.cond(row.pro_until != "",
                                      t_with("ui.admin_pros.pro_until", day=row.pro_until),
                                      t("ui.plan.free")), size="2"),
                      spacing="0"),
            columns=rx.breakpoints(initial="1", sm="4"),
            spacing="3",
            width="100%",
        ),
        rx.vstack(
            rx.text(t("ui.profile.certificates"), size="1", color=theme.MUTED),
            rx.cond(
                row.certificates.length() > 0,
                rx.flex(rx.foreach(row.certificates, _certificate),
                        wrap="wrap", gap="0.5rem"),
                rx.text(t("ui.admin_pros.no_certificates"), size="2", color=theme.MUTED),
            ),
            spacing="1",
            width="100%",
        ),
        rx.hstack(
            rx.cond(
                row.status == "suspended",
                rx.button(rx.icon("rotate-ccw", size=15), t("ui.admin_pros.reinstate"),
                          variant="soft", on_click=AdminProsState.reinstate(pid)),
                rx.fragment(
                    rx.cond(~row.verified, confirm_dialog(
                        rx.button(rx.icon("badge-check", size=15), t("ui.admin_pros.verify"),
                                  class_name="admin-verify"),
                        t_with("ui.admin_pros.verify_title", name=row.name),
                        t_with("ui.admin_pros.verify_body", business_id=row.business_id),
                        "ui.admin_pros.verify", AdminProsState.verify(pid), color="teal",
                        confirm_class="confirm-verify")),
                    confirm_dialog(
                        rx.button(rx.icon("crown", size=15), t("ui.admin_pros.give_month"),
                                  variant="soft", class_name="admin-give-month"),
                        t_with("ui.admin_pros.give_month_title", name=row.name),
                        "ui.admin_pros.give_month_body", "ui.admin_pros.give_month",
                        AdminProsState.give_month(pid), color="teal",
                        confirm_class="confirm-give-month"),
                    confirm_dialog(
                        rx.button(rx.icon("ban", size=15), t("ui.admin_pros.suspend"),
                                  variant="soft", color_scheme="red", class_name="admin-suspend"),
                        t_with("ui.admin_pros.suspend_title", name=row.name),
                        "ui.admin_pros.suspend_body", "ui.admin_pros.suspend",
                        AdminProsState.suspend(pid)),
                ),
            ),
            spacing="2",
            wrap="wrap",
        ),
        spacing="3",
        width="100%",
        style=theme.card_style(),
        class_name="admin-pro-row",
    )


def admin_professionals() -> rx.Component:
    return admin_shell(
        rx.vstack(
            page_title("ui.admin_pros.title", "ui.admin_pros.subtitle"),
            _tabs(),
            error_banner(AdminProsState.error),
            notice_banner(AdminProsState.notice),
            rx.cond(
                AdminProsState.rows.length() > 0,
                rx.vstack(rx.foreach(AdminProsState.rows, _row), spacing="3", width="100%"),
                rx.center(rx.text(t("ui.admin_pros.empty"), color=theme.MUTED),
                          style=theme.card_style(padding="3rem 1rem"), width="100%",
                          id="admin-pros-empty"),
            ),
            spacing="4",
            width="100%",
        ),
        active=routes.ADMIN_PROFESSIONALS,
    )
