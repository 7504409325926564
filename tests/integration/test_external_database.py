"""`DATABASE_URL` / `DATABASE_OWNER_URL`: an operator's PostgreSQL, set up as the README says.

The session's embedded server stands in for the external one: a second database with its own
owner role, prepared by "the DBA" exactly as in the README, then `db upgrade` pointed at it.
"""

import os
import subprocess
import sys
import uuid

import pytest
from sqlalchemy import create_engine, text

from ofair_app.db.engine import database_urls


@pytest.fixture
def external_database(db):
    suffix = uuid.uuid4().hex[:8]
    database, owner, app = f"ext_{suffix}", f"ext_owner_{suffix}", f"ext_app_{suffix}"
    superuser = database_urls().superuser
    admin = create_engine(superuser, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE ROLE {owner} LOGIN CREATEROLE NOSUPERUSER NOBYPASSRLS"))
        conn.execute(text(f"CREATE DATABASE {database} OWNER {owner}"))
        conn.execute(text(f"REVOKE ALL ON DATABASE {database} FROM PUBLIC"))
    db_admin = create_engine(superuser.set(database=database), isolation_level="AUTOCOMMIT")
    with db_admin.connect() as conn:
        conn.execute(text(f"ALTER SCHEMA public OWNER TO {owner}"))
        conn.execute(text("REVOKE CREATE ON SCHEMA public FROM PUBLIC"))
    db_admin.dispose()
    host = superuser.query["host"]
    yield {
        "DATABASE_OWNER_URL": f"postgresql://{owner}:owner-pw@/{database}?host={host}",
        "DATABASE_URL": f"postgresql://{app}:app-pw@/{database}?host={host}",
    }, app
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE {database} WITH (FORCE)"))
        conn.execute(text(f"DROP ROLE IF EXISTS {app}"))
        conn.execute(text(f"DROP ROLE {owner}"))
    admin.dispose()


def _run(*args, env):
    return subprocess.run([sys.executable, "-m", *args], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=120, check=False)


def test_upgrade_on_an_external_database_creates_the_app_role_and_migrates(external_database):
    env, app_role = external_database
    first = _run("ofair_app", "db", "upgrade", env=env)
    assert first.returncode == 0, first.stderr[-3000:]
    again = _run("ofair_app", "db", "upgrade", env=env)
    assert again.returncode == 0, again.stderr[-3000:]

    engine = create_engine(env["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        role, superuser, bypass = conn.execute(text(
            "SELECT current_user, rolsuper, rolbypassrls FROM pg_roles"
            " WHERE rolname = current_user")).one()
        assert (role, superuser, bypass) == (app_role, False, False)
        # Grants went to this role, not to the default `ofair_app`.
        assert conn.execute(text("SELECT count(*) FROM users")).scalar_one() == 0
    engine.dispose()


def test_upgrade_refuses_an_app_role_that_bypasses_rls(external_database):
    env, app_role = external_database
    superuser = database_urls().superuser
    admin = create_engine(superuser, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE ROLE {app_role} LOGIN BYPASSRLS"))
    admin.dispose()
    result = _run("ofair_app", "db", "upgrade", env=env)
    assert result.returncode != 0
    assert "must be neither superuser nor BYPASSRLS" in result.stderr
