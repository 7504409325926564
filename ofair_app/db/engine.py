"""Engines, the caller's RLS context, and the unit of work every door opens.

Two roles reach the database (DESIGN.md §4): the application role, which owns nothing and cannot
bypass row-level security, serves every request and job; the owner role only runs migrations.
Each unit of work is one transaction that first tells PostgreSQL who is calling, with
`set_config(..., true)` so the context ends with the transaction and never leaks to the next
user of a pooled connection.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal, cast

from sqlalchemy import CursorResult, Engine, Result, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlmodel import Session

from ofair_app.db import embedded
from ofair_app.domain.errors import AppError
from ofair_app.settings import Settings, get_settings

CallerRole = Literal["anonymous", "consumer", "professional", "admin", "system"]


@dataclass(frozen=True)
class Caller:
    """Who a unit of work acts for; RLS policies read it through `app.*` settings.

    `professional_ids` are the businesses the user is a member of (resolved from
    `professional_members` at login, never by equating a business id with a user id).
    `system` is for jobs and trusted internal steps, never for a request.
    """

    user_id: uuid.UUID | None = None
    role: CallerRole = "anonymous"
    professional_ids: tuple[uuid.UUID, ...] = ()


ANONYMOUS = Caller()
SYSTEM = Caller(role="system")


@dataclass(frozen=True)
class DatabaseUrls:
    app: URL
    owner: URL
    # Only for the embedded server: the superuser that creates roles and the database.
    superuser: URL | None = None


def database_urls(settings: Settings | None = None) -> DatabaseUrls:
    """The URLs of both roles, starting the embedded server when none is configured."""
    settings = settings or get_settings()
    if not settings.embedded_database:
        assert settings.database_url is not None
        app = _psycopg(make_url(settings.database_url.get_secret_value()))
        owner_url = settings.database_owner_url or settings.database_url
        return DatabaseUrls(app=app, owner=_psycopg(make_url(owner_url.get_secret_value())))

    host = embedded.socket_dir(settings.data_dir / "pg")

    def local(role: str, database: str) -> URL:
        return URL.create("postgresql+psycopg", username=role, database=database,
                          query={"host": host})

    return DatabaseUrls(
        app=local(settings.database_app_role, settings.database_name),
        owner=local(settings.database_owner_role, settings.database_name),
        superuser=local("postgres", "postgres"),
    )


def _psycopg(url: URL) -> URL:
    # Accept the plain `postgresql://` an operator is likely to paste.
    if url.drivername in {"postgresql", "postgres"}:
        return url.set(drivername="postgresql+psycopg")
    return url


_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def _engine(kind: Literal["app", "owner"]) -> Engine:
    with _engines_lock:
        engine = _engines.get(kind)
        if engine is None:
            settings = get_settings()
            urls = database_urls(settings)
            engine = create_engine(
                urls.app if kind == "app" else urls.owner,
                pool_size=settings.database_pool_size if kind == "app" else 2,
                max_overflow=settings.database_pool_size if kind == "app" else 2,
                pool_pre_ping=True,
                pool_recycle=1800,
                # The connection returned last is taken first: the few backends a busy moment
                # needs stay warm (their caches and prepared plans), and the rest idle out.
                # From 8 threads, PostgreSQL spent a fifth less CPU on each webhook.
                pool_use_lifo=True,
                connect_args={"application_name": f"ofair-{kind}"},
            )
            _engines[kind] = engine
        return engine


def app_engine() -> Engine:
    """The pooled engine of the application role: every request and job uses it."""
    return _engine("app")


def owner_engine() -> Engine:
    """The owner role's engine: migrations and maintenance. Tables force RLS, so even the
    owner's sessions see only what the policies allow."""
    return _engine("owner")


def dispose_engines() -> None:
    """Close every pool (after a fork, or when tests point settings elsewhere)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


_CALLER = "SELECT set_config('app.current_user_id', :user_id, true)," \
          " set_config('app.current_role', :role, true)," \
          " set_config('app.tenant_ids', :tenant_ids, true)"
_SET_CALLER = text(_CALLER)
# The same for a hot path: every statement of the transaction planned once per prepared
# statement, and by its keys (see `unit_of_work`).
_SET_CALLER_HOT = text(_CALLER + ", set_config('plan_cache_mode', 'force_generic_plan', true),"
                                 " set_config('enable_seqscan', 'off', true)")


def set_caller_context(session: Session, caller: Caller, *, hot_path: bool = False) -> None:
    """Tell PostgreSQL who is calling, for the rest of the current transaction only."""
    session.execute(_SET_CALLER_HOT if hot_path else _SET_CALLER, {
        "user_id": str(caller.user_id) if caller.user_id else "",
        "role": caller.role,
        "tenant_ids": ",".join(str(pid) for pid in caller.professional_ids),
    })


@contextmanager
def trusted_step(session: Session, caller: Caller) -> Iterator[Session]:
    """A few statements as the platform inside the caller's transaction, then the caller again.

    For what a request may cause but not read itself, such as finding the phone of the person
    a change must be told about. Keep the block small and never hand what it reads back to the
    caller. If the block raises, the context is left as it is: the transaction is rolled back.
    """
    if caller == SYSTEM:  # already the platform (a job, a webhook): nothing to switch
        yield session
        return
    set_caller_context(session, SYSTEM)
    yield session
    set_caller_context(session, caller)


@contextmanager
def unit_of_work(caller: Caller = ANONYMOUS, *, hot_path: bool = False) -> Iterator[Session]:
    """One transaction as `caller`: committed when the block ends, rolled back if it raises.

    Service functions take the session and never commit; the door (an API route, a state
    handler, a job) opens the unit of work:

        with unit_of_work(caller) as session:
            leads.accept_proposal(session=session, ...)

    An `AppError` with `keep_changes` (a wrong OTP counts as an attempt) is committed first and
    then re-raised; anything else rolls everything back.

    `hot_path`: for fixed statements that find rows by their keys from small arrays (a webhook
    batch, an outbox delivery). Each prepared statement is planned once rather than at every
    run: planning them afresh cost PostgreSQL a sixth of its time there. And no table is read
    whole where an index finds the rows: a plan made once is kept while its tables grow, and
    one made when `payment_webhook_events` held a few rows went on reading all of it, 12 ms a
    batch at 10,000 rows (benchmarks/bench_money.py). A statement whose best plan depends on
    its values (the Lead Board) must not use it.
    """
    session = Session(app_engine(), expire_on_commit=False)
    try:
        session.begin()
        set_caller_context(session, caller, hot_path=hot_path)
        yield session
        session.commit()
    except AppError as error:
        if error.keep_changes:
            session.commit()
        else:
            session.rollback()
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def affected(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE run through `session.execute` touched. SQLAlchemy types
    `execute` as returning a `Result`; for a DML statement it is the `CursorResult` that has
    the count."""
    return cast("CursorResult[Any]", result).rowcount
