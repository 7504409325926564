"""`python -m ofair_app db upgrade`: roles, database, then Alembic to head. Idempotent.

Embedded database: the local superuser creates both roles and the database. External database:
the operator creates them (README "External PostgreSQL"); if the owner role may create roles and
the application role is missing, it is created here with the password from `DATABASE_URL`.
Either way the application role is checked before anything else runs: no superuser, no
BYPASSRLS, owning nothing, so row-level security always applies to it.
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic.config import Config
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import URL

from alembic import command
from ofair_app.db.engine import database_urls, dispose_engines
from ofair_app.settings import Settings, get_settings

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]


class UnsafeDatabaseRole(RuntimeError):
    """The application role could bypass row-level security; refusing to run with it."""


def alembic_config(owner_url: URL | None = None) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    if owner_url is not None:
        # env.py reads it from here; render_as_string keeps the password (if any).
        config.attributes["owner_url"] = owner_url
    return config


def _quote_ident(conn: Connection, name: str) -> str:
    return conn.execute(text("SELECT quote_ident(:n)"), {"n": name}).scalar_one()


def _role_exists(conn: Connection, role: str) -> bool:
    found = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role})
    return found.first() is not None


def _bootstrap_embedded(settings: Settings, superuser: URL) -> None:
    engine = create_engine(superuser, isolation_level="AUTOCOMMIT")
    owner, app, database = (
        settings.database_owner_role, settings.database_app_role, settings.database_name)
    try:
        with engine.connect() as conn:
            q_owner, q_app, q_db = (_quote_ident(conn, n) for n in (owner, app, database))
            if not _role_exists(conn, owner):
                conn.execute(text(f"CREATE ROLE {q_owner} LOGIN NOSUPERUSER NOBYPASSRLS"))
            if not _role_exists(conn, app):
                conn.execute(text(
                    f"CREATE ROLE {q_app} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE"))
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": database}).first()
            if exists is None:
                conn.execute(text(f"CREATE DATABASE {q_db} OWNER {q_owner} ENCODING 'UTF8'"))
                conn.execute(text(f"REVOKE ALL ON DATABASE {q_db} FROM PUBLIC"))
                conn.execute(text(f"GRANT CONNECT, TEMPORARY ON DATABASE {q_db} TO {q_app}"))
        with create_engine(superuser.set(database=database),
                           isolation_level="AUTOCOMMIT").connect() as conn:
            # The owner owns the schema; nobody else may create objects in it.
            conn.execute(text(f"ALTER SCHEMA public OWNER TO {q_owner}"))
            conn.execute(text("REVOKE CREATE ON SCHEMA public FROM PUBLIC"))
            conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {q_app}"))
    finally:
        engine.dispose()


def _ensure_external_app_role(settings: Settings, owner: URL, app: URL) -> None:
    engine = create_engine(owner, isolation_level="AUTOCOMMIT")
    role = app.username or settings.database_app_role
    try:
        with engine.connect() as conn:
            found = conn.execute(text(
                "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :r"), {"r": role})
            existing = found.first()
            if existing is not None:
                if any(existing):
                    raise UnsafeDatabaseRole(
                        f"the application role {role!r} must be neither superuser nor "
                        f"BYPASSRLS (superuser={existing[0]}, bypassrls={existing[1]})")
                return
            can_create = conn.execute(
                text("SELECT rolcreaterole FROM pg_roles WHERE rolname = current_user")
            ).scalar_one()
            if not can_create:
                raise UnsafeDatabaseRole(
                    f"application role {role!r} does not exist and the owner role may not "
                    "create it; see README, 'External PostgreSQL'")
            q_role = _quote_ident(conn, role)
            password = conn.execute(
                text("SELECT quote_literal(:p)"), {"p": app.password or ""}).scalar_one()
            conn.execute(text(
                f"CREATE ROLE {q_role} LOGIN PASSWORD {password} "
                "NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE"))
            database = _quote_ident(conn, owner.database or settings.database_name)
            conn.execute(text(f"GRANT CONNECT, TEMPORARY ON DATABASE {database} TO {q_role}"))
            conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {q_role}"))
    finally:
        engine.dispose()


def check_app_role(app: URL) -> None:
    """Refuse an application role that could see past row-level security."""
    engine = create_engine(app)
    try:
        with engine.connect() as conn:
            row = conn.execute(text(
                "SELECT r.rolsuper, r.rolbypassrls,"
                " (SELECT count(*) FROM pg_class c WHERE c.relowner = r.oid"
                "   AND c.relnamespace = 'public'::regnamespace)"
                " FROM pg_roles r WHERE r.rolname = current_user")).one()
    finally:
        engine.dispose()
    superuser, bypass, owned = row
    if superuser or bypass or owned:
        raise UnsafeDatabaseRole(
            f"the application role {app.username!r} must be neither superuser nor BYPASSRLS "
            f"and own nothing (superuser={superuser}, bypassrls={bypass}, owns {owned} objects)")


def upgrade(revision: str = "head") -> None:
    """Create roles and the database if needed, then migrate to `revision`."""
    settings = get_settings()
    urls = database_urls(settings)
    if urls.superuser is not None:
        _bootstrap_embedded(settings, urls.superuser)
    else:
        _ensure_external_app_role(settings, urls.owner, urls.app)
    command.upgrade(alembic_config(urls.owner), revision)
    if revision == "head":
        _sync_reference_data(urls.owner)
    check_app_role(urls.app)
    # Pools opened before the migration may hold stale type caches.
    dispose_engines()
    logger.info("database at revision %s", revision)


def _sync_reference_data(owner: URL) -> None:
    from ofair_app.services.reference import sync_reference_data

    engine = create_engine(owner)
    try:
        with engine.begin() as conn:
            sync_reference_data(conn)
    finally:
        engine.dispose()


def current_revision() -> str | None:
    """The Alembic revision the database is at (None before the first migration)."""
    from alembic.runtime.migration import MigrationContext

    engine = create_engine(database_urls().owner)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
