"""Who is using this tab: the login cookie, resolved against the database on every event.

The cookie holds the same opaque bearer token the REST API takes; its hash is what the database
knows. Nothing about the user is trusted from the browser: every handler that reads or changes
data asks `_caller()` again (any client may call any handler with any arguments), and the page
guards only decide what to show.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import quote

import reflex as rx

from ofair_app.db.engine import ANONYMOUS, SYSTEM, Caller, unit_of_work
from ofair_app.domain import identity
from ofair_app.domain.errors import AppError
from ofair_app.i18n import translate
from ofair_app.services import auth, invitations, professionals, users
from ofair_app.settings import get_settings
from ofair_app.ui import routes
from ofair_app.ui.state.locale import LocaleState

T = TypeVar("T")

TOKEN_COOKIE = "ofair_token"  # noqa: S105 (a cookie name, not a secret)
BUSINESS_COOKIE = "ofair_business"
ONE_YEAR = 365 * 24 * 3600


@dataclasses.dataclass
class BusinessOption:
    """A business the signed-in person belongs to, for the switcher."""

    id: str
    name: str


def safe_next(value: str | None, default: str) -> str:
    """A `next=` target only if it is a path on this site (never `//evil.example` or a URL)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    if any(ord(ch) < 32 for ch in value):
        return default
    return value


def enum_value(value: object) -> str:
    """An enum column's value whether the model holds the enum or its string."""
    return str(getattr(value, "value", value))


def login_url(path: str) -> str:
    """`/login?next=/pro/profile` (the static build adds a trailing slash; it is dropped)."""
    return f"{routes.LOGIN}?next={quote(path.rstrip('/') or '/', safe='/')}"


class SessionState(LocaleState):
    token: str = rx.Cookie(
        "",
        name=TOKEN_COOKIE,
        max_age=int(identity.TOKEN_TTL.total_seconds()),
        same_site="lax",
        secure=get_settings().ofair_public_url.startswith("https://"),
    )
    signed_in: bool = False
    user_name: str = ""
    # The caller's role as the database resolves it: consumer, professional or admin.
    user_role: str = ""
    # What a guarded page may show: "checking" until its guard ran, then "ok" or "denied".
    access: str = "checking"
    # The business this browser acts for, when the person belongs to several. Only a wish:
    # every event checks it against the caller's memberships (`_current_business`).
    business_choice: str = rx.Cookie("", name=BUSINESS_COOKIE, max_age=ONE_YEAR,
                                     same_site="lax")
    businesses: list[BusinessOption] = []
    business_id: str = ""
    # Open team invitations addressed to this person (the shells point to /invitations).
    pending_invitations: int = 0

    # --- for handlers ---------------------------------------------------------------------

    def _caller(self) -> Caller | None:
        """The signed-in caller behind the cookie, or None (unknown, expired, revoked)."""
        if not self.token:
            return None
        with unit_of_work(SYSTEM) as session:
            return auth.resolve_token(session=session, token=self.token)

    def _as(self, caller: Caller | None, work: Callable[..., T]) -> T:
        """Run `work(session)` in one unit of work as `caller` (anonymous when None)."""
        with unit_of_work(caller or ANONYMOUS) as session:
            return work(session)

    def _text(self, key: str, **params: object) -> str:
        return translate(key, self.locale, **params)

    def _message(self, error: AppError) -> str:
        return translate(error.message_key, self.locale, **error.params)

    def _field_messages(self, error: AppError) -> dict[str, str]:
        return {field: translate(key, self.locale, **error.params)
                for field, key in error.fields.items()}

    def _refresh_identity(self, caller: Caller | None) -> None:
        self.signed_in = caller is not None
        self.user_role = caller.role if caller else ""
        self.user_name = ""
        self.pending_invitations = 0
        if caller is not None:
            def read(session):
                user = users.get_me(session=session, caller=caller)
                return user, len(invitations.my_invitations(session=session, caller=caller))

            user, self.pending_invitations = self._as(caller, read)
            self.user_name = user.name or identity.display_phone(user.phone or "") or (
                user.email or "")

    def _request_origin(self) -> tuple[str, str]:
        """Where this tab's events come from, for the access logs and the login-code budget:
        (IP, user agent). The IP is Reflex's reading of the connection, which trusts
        X-Forwarded-For only through OFAIR_TRUSTED_PROXY_HOPS proxies (a client could write
        anything there)."""
        headers = self.router.headers
        return (self.router.session.client_ip or "")[:64], (headers.user_agent or "")[:200]

    def _current_business(self, caller: Caller) -> uuid.UUID | None:
        """The business this tab acts for: the one chosen in the switcher if the caller is
        still a member of it, else the first they joined (the switcher then shows which)."""
        if not caller.professional_ids:
            return None
        try:
            chosen = uuid.UUID(self.business_choice) if self.business_choice else None
        except ValueError:
            chosen = None
        if chosen in caller.professional_ids:
            return chosen
        if len(caller.professional_ids) > 1 and self.businesses:
            first = uuid.UUID(self.businesses[0].id)
            if first in caller.professional_ids:
                return first
        return caller.professional_ids[0]

    def _refresh_businesses(self, caller: Caller) -> None:
        """The switcher's list, in the order the caller joined, and the one acting now."""
        mine = self._as(caller, lambda s: professionals.my_professionals(session=s,
                                                                          caller=caller))
        self.businesses = [BusinessOption(id=str(p.id), name=p.business_name) for p, _ in mine]
        current = self._current_business(caller)
        self.business_id = str(current) if current else ""

    def _guard(self, need: str) -> tuple[Caller | None, object]:
        """Check the page's need ("login", "business" or "admin") and return the caller with
        the event to return (a redirect), if any. Sets `access` for the page to render."""
        caller = self._caller()
        self._refresh_identity(caller)
        if caller is None:
            self.access = "checking"
            if self.token:  # expired or revoked: forget it
                self.token = ""
            return None, rx.redirect(login_url(self.router.url.path or "/"))
        if need == "admin" and caller.role != "admin":
            self.access = "denied"
            return None, None
        if need == "business" and not caller.professional_ids:
            self.access = "checking"
            return None, rx.redirect(routes.PRO_ONBOARDING)
        if need == "business":
            self._refresh_businesses(caller)
        self.access = "ok"
        return caller, None

    # --- events ---------------------------------------------------------------------------

    @rx.event
    def load(self):
        """For public pages: who is signed in, for the top bar."""
        self._refresh_identity(self._caller())
        self.access = "ok"

    @rx.event
    def require_business(self):
        """Guard for pro pages: a member of a business (others start the onboarding)."""
        return self._guard("business")[1]

    @rx.event
    def require_admin(self):
        return self._guard("admin")[1]

    @rx.event
    async def choose_business(self, business_id: str):
        """The switcher: act for another of the caller's businesses from now on (a business
        they do not belong to is ignored). The page loads again for that business."""
        caller = await asyncio.to_thread(self._caller)
        if caller is None:
            return rx.redirect(login_url(self.router.url.path or "/"))
        if business_id in {str(pid) for pid in caller.professional_ids}:
            self.business_choice = business_id
            self.business_id = business_id
        # A full reload: every part of the page (and its on_load) reads the new business.
        return rx.call_script("window.location.reload()")

    @rx.event
    def logout(self):
        """End this session on the server too (the token stops working for the API as well)."""
        caller = self._caller()
        if caller is not None:
            token = self.token
            self._as(caller, lambda s: auth.revoke_token(session=s, token=token))
        self.token = ""
        self.signed_in, self.user_name, self.user_role = False, "", ""
        return rx.redirect(routes.HOME)
