"""Who is using this tab: the login cookie, resolved against the database on every event.

The cookie holds the same opaque bearer token the REST API takes; its hash is what the database
knows. Nothing about the user is trusted from the browser: every handler that reads or changes
data asks `_caller()` again (any client may call any handler with any arguments), and the page
guards only decide what to show.

Reflex runs a handler on the process's one event loop, so a handler that waited on the database
there would stall every other tab the process serves. Every handler that reads or writes data
is `async` and reaches the database, storage or a provider only through `blocking()` (below):
`_caller()`, `_as()`, `_as_signed_in()` and `_guard()` are built on it. The work runs in a
worker thread and is given plain values, never `self` (compute inputs first, assign results
after the await); an `AppError` comes back out of the await for the handler to show with
`_message()` / `_field_messages()`, and anything else reaches Reflex's error log.
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import functools
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, ParamSpec, TypeVar
from urllib.parse import quote

import reflex as rx
from sqlmodel import Session

from ofair_app.db.engine import ANONYMOUS, SYSTEM, Caller, set_caller_context, unit_of_work
from ofair_app.domain import identity
from ofair_app.domain.errors import AppError
from ofair_app.i18n import translate
from ofair_app.models import User
from ofair_app.services import auth, invitations, notification_center, professionals, users
from ofair_app.settings import get_settings
from ofair_app.ui import routes
from ofair_app.ui.state.events import event
from ofair_app.ui.state.locale import LocaleState

T = TypeVar("T")
P = ParamSpec("P")

TOKEN_COOKIE = "ofair_token"  # noqa: S105 (a cookie name, not a secret)
BUSINESS_COOKIE = "ofair_business"
ONE_YEAR = 365 * 24 * 3600


@dataclasses.dataclass
class BusinessOption:
    """A business the signed-in person belongs to, for the switcher."""

    id: str
    name: str


@functools.cache
def _workers() -> ThreadPoolExecutor:
    # As many threads as the process has database connections (asyncio's default pool has
    # cores + 4): a burst of tabs then keeps the database busy while Python waits on it.
    return ThreadPoolExecutor(max_workers=get_settings().database_pool_size,
                              thread_name_prefix="ofair-ui")


async def blocking(work: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """`work(*args, **kwargs)` in a worker thread, so the event loop keeps serving other tabs
    while it waits on the database, file storage or a provider; its result or its exception.
    Like `asyncio.to_thread`, the work sees a copy of the caller's context variables."""
    context = contextvars.copy_context()
    call = functools.partial(context.run, work, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_workers(), call)


def _resolve_token(token: str) -> Caller | None:
    with unit_of_work(SYSTEM) as session:
        return auth.resolve_token(session=session, token=token)


def _in_unit_of_work(caller: Caller, work: Callable[..., T]) -> T:
    with unit_of_work(caller) as session:
        return work(session)


def _as_token_holder(token: str, work: Callable[[Session, Caller], T],
                     ) -> tuple[Caller | None, T | None]:
    """Resolve the token as the system, then run `work` as its holder in the same transaction
    (the RLS context switches before `work` sees the session)."""
    with unit_of_work(SYSTEM) as session:
        caller = auth.resolve_token(session=session, token=token)
        if caller is None:
            return None, None
        set_caller_context(session, caller)
        return caller, work(session, caller)


def current_business(caller: Caller, choice: str = "") -> uuid.UUID | None:
    """The business a tab acts for: the one chosen in the switcher (`choice`, the cookie) if
    the caller is still a member of it, else their first (the switcher then shows which).
    Pure, so work running off the loop can call it with the choice read beforehand."""
    if not caller.professional_ids:
        return None
    try:
        chosen = uuid.UUID(choice) if choice else None
    except ValueError:
        chosen = None
    return chosen if chosen in caller.professional_ids else caller.professional_ids[0]


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
    token: rx.Field[str] = rx.field(rx.Cookie(
        "",
        name=TOKEN_COOKIE,
        max_age=int(identity.TOKEN_TTL.total_seconds()),
        same_site="lax",
        secure=get_settings().ofair_public_url.startswith("https://"),
    ))
    signed_in: rx.Field[bool] = rx.field(False)
    user_name: rx.Field[str] = rx.field("")
    # The caller's role as the database resolves it: consumer, professional or admin.
    user_role: rx.Field[str] = rx.field("")
    # What a guarded page may show: "checking" until its guard ran, then "ok" or "denied".
    access: rx.Field[str] = rx.field("checking")
    # The business this browser acts for, when the person belongs to several. Only a wish:
    # every event checks it against the caller's memberships (`_current_business`).
    business_choice: rx.Field[str] = rx.field(rx.Cookie("", name=BUSINESS_COOKIE, max_age=ONE_YEAR,
                                     same_site="lax"))
    businesses: rx.Field[list[BusinessOption]] = rx.field(default_factory=list)
    business_id: rx.Field[str] = rx.field("")
    # Open team invitations addressed to this person (the shells point to /invitations).
    pending_invitations: rx.Field[int] = rx.field(0)
    # Unread notifications (the bell in every shell).
    unread_notifications: rx.Field[int] = rx.field(0)

    # --- for handlers ---------------------------------------------------------------------

    async def _caller(self) -> Caller | None:
        """The signed-in caller behind the cookie, or None (unknown, expired, revoked)."""
        if not self.token:
            return None
        return await blocking(_resolve_token, self.token)

    async def _as(self, caller: Caller | None, work: Callable[..., T]) -> T:
        """`work(session)` in one unit of work as `caller` (anonymous when None), off the
        event loop. `work` runs in a worker thread: it must not touch `self`."""
        return await blocking(_in_unit_of_work, caller or ANONYMOUS, work)

    async def _as_signed_in(self, work: Callable[[Session, Caller], T],
                            ) -> tuple[Caller | None, T | None]:
        """`_caller()` and `_as()` in one: `work(session, caller)` as whoever the cookie
        names, in one unit of work and one trip off the loop; (None, None) for no one."""
        if not self.token:
            return None, None
        return await blocking(_as_token_holder, self.token, work)

    def _text(self, key: str, **params: object) -> str:
        return translate(key, self.locale, **params)

    def _message(self, error: AppError) -> str:
        return translate(error.message_key, self.locale, **error.params)

    def _field_messages(self, error: AppError) -> dict[str, str]:
        return {field: translate(key, self.locale, **error.field_params.get(field, {}))
                for field, key in error.fields.items()}

    async def _identify(self) -> Caller | None:
        """The signed-in caller, with the top bar's name, role, open invitations and business
        switcher brought up to date: one trip off the event loop for all of them."""
        caller, seen = await self._as_signed_in(_top_bar)
        self._show_identity(caller, seen)
        return caller

    async def _refresh_identity(self, caller: Caller | None) -> None:
        seen = None
        if caller is not None:
            seen = await self._as(caller, lambda s: _top_bar(s, caller))
        self._show_identity(caller, seen)

    def _show_identity(self, caller: Caller | None, seen: TopBar | None) -> None:
        self.signed_in = caller is not None
        self.user_role = caller.role if caller else ""
        user = seen.user if seen is not None else None
        self.pending_invitations = seen.invitations if seen is not None else 0
        self.unread_notifications = seen.unread if seen is not None else 0
        self.businesses = seen.businesses if seen is not None else []
        self.user_name = "" if user is None else (
            user.name or identity.display_phone(user.phone or "") or user.email or "")
        current = self._current_business(caller) if caller is not None else None
        self.business_id = str(current) if current else ""

    def _request_origin(self) -> tuple[str, str]:
        """Where this tab's events come from, for the access logs and the login-code budget:
        (IP, user agent). The IP is Reflex's reading of the connection, which trusts
        X-Forwarded-For only through OFAIR_TRUSTED_PROXY_HOPS proxies (a client could write
        anything there)."""
        headers = self.router.headers
        return (self.router.session.client_ip or "")[:64], (headers.user_agent or "")[:200]

    def _current_business(self, caller: Caller) -> uuid.UUID | None:
        return current_business(caller, self.business_choice)

    async def _admin(self) -> Caller | None:
        """The signed-in caller when an admin, else None (an admin page's events)."""
        caller = await self._caller()
        return caller if caller is not None and caller.role == "admin" else None

    async def _guard(self, need: str) -> tuple[Caller | None, object]:
        """Check the page's need ("login", "business" or "admin") and return the caller with
        the event to return (a redirect), if any. Sets `access` for the page to render."""
        caller = await self._identify()
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
        self.access = "ok"
        return caller, None

    # --- events ---------------------------------------------------------------------------

    @event
    async def load(self):
        """For public pages: who is signed in, for the top bar."""
        await self._identify()
        self.access = "ok"

    @event
    async def require_business(self):
        """Guard for pro pages: a member of a business (others start the onboarding)."""
        return (await self._guard("business"))[1]

    @event
    async def require_admin(self):
        return (await self._guard("admin"))[1]

    @event
    async def choose_business(self, business_id: str):
        """The switcher: act for another of the caller's businesses from now on (a business
        they do not belong to is ignored). The page loads again for that business."""
        caller = await self._caller()
        if caller is None:
            return rx.redirect(login_url(self.router.url.path or "/"))
        if business_id in {str(pid) for pid in caller.professional_ids}:
            self.business_choice = business_id
            self.business_id = business_id
        # A full reload: every part of the page (and its on_load) reads the new business.
        return rx.call_script("window.location.reload()")

    @event
    async def logout(self):
        """End this session on the server too (the token stops working for the API as well)."""
        caller = await self._caller()
        if caller is not None:
            token = self.token
            await self._as(caller, lambda s: auth.revoke_token(session=s, token=token))
        self.token = ""
        self.signed_in, self.user_name, self.user_role = False, "", ""
        return rx.redirect(routes.HOME)


@dataclasses.dataclass(frozen=True)
class TopBar:
    """What the shells show of the caller."""

    user: User
    invitations: int  # open team invitations addressed to them
    unread: int  # unread notifications
    businesses: list[BusinessOption]  # the switcher, in the order they joined


def _top_bar(session: Session, caller: Caller) -> TopBar:
    mine = professionals.my_professionals(session=session, caller=caller)
    return TopBar(user=users.get_me(session=session, caller=caller),
                  invitations=len(invitations.my_invitations(session=session, caller=caller)),
                  unread=notification_center.unread_count(session=session, caller=caller),
                  businesses=[BusinessOption(id=str(p.id), name=p.business_name)
                              for p, _ in mine])


# A page's mixins (`class OffersMixin(PageMixin, mixin=True)`) are mixed into SessionState
# subclasses, before SessionState. To the typechecker a mixin is one, so what the session gives
# (`_caller`, `_as`, `_text`, `locale`...) is known on it with its own signatures; at run time it
# is a plain Reflex mixin of rx.State, as before.
if TYPE_CHECKING:
    PageMixin = SessionState
else:
    PageMixin = rx.State
