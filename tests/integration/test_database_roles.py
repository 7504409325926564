"""The roles the platform connects as, and `db upgrade` being safe to repeat."""

import subprocess
import sys

import pytest
from sqlalchemy import create_engine, text

from ofair_app.db import bootstrap
from ofair_app.db.engine import app_engine, database_urls, owner_engine
from ofair_app.settings import get_settings


def test_app_role_cannot_bypass_rls_and_owns_nothing(db):
    with app_engine().connect() as conn:
        row = conn.execute(text(
            "SELECT current_user, rolsuper, rolbypassrls, rolcreaterole, rolcreatedb"
            " FROM pg_roles WHERE rolname = current_user")).one()
        owned = conn.execute(text(
            "SELECT count(*) FROM pg_class WHERE relowner ="
            " (SELECT oid FROM pg_roles WHERE rolname = current_user)")).scalar_one()
    assert row == ("ofair_app", False, False, False, False)
    assert owned == 0


def test_owner_role_is_not_superuser_either(db):
    with owner_engine().connect() as conn:
        superuser, bypass = conn.execute(text(
            "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")).one()
    assert not superuser and not bypass


def test_app_role_cannot_create_tables(db):
    with app_engine().connect() as conn, pytest.raises(Exception, match="permission denied"):
        conn.execute(text("CREATE TABLE sneaky (id int)"))


def test_every_table_forces_row_level_security(db):
    with owner_engine().connect() as conn:
        tables = conn.execute(text(
            "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class"
            " WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'"
            " AND relname <> 'alembic_version'")).all()
    assert tables, "no tables found"
    assert [t for t in tables if not (t.relrowsecurity and t.relforcerowsecurity)] == []


def test_check_app_role_refuses_a_superuser(db):
    superuser = database_urls().superuser
    with pytest.raises(bootstrap.UnsafeDatabaseRole, match="superuser=True"):
        bootstrap.check_app_role(superuser.set(database=get_settings().database_name))


def _schema_snapshot() -> str:
    # Everything a migration could change: tables, columns, constraints, policies, grants.
    query = text("""
        SELECT string_agg(line, E'\n' ORDER BY line) FROM (
          SELECT 'col ' || table_name || '.' || column_name || ' ' || data_type || ' '
                 || coalesce(column_default, '') AS line
            FROM information_schema.columns WHERE table_schema = 'public'
          UNION ALL SELECT 'con ' || conname || ' ' || pg_get_constraintdef(oid)
            FROM pg_constraint WHERE connamespace = 'public'::regnamespace
          UNION ALL SELECT 'pol ' || tablename || '.' || policyname || ' ' || cmd || ' '
                 || coalesce(qual, '') || ' ' || coalesce(with_check, '')
            FROM pg_policies WHERE schemaname = 'public'
          UNION ALL SELECT 'grant ' || table_name || ' ' || grantee || ' ' || privilege_type
            FROM information_schema.role_table_grants WHERE table_schema = 'public'
          UNION ALL SELECT 'idx ' || indexdef FROM pg_indexes WHERE schemaname = 'public'
          UNION ALL SELECT 'rev ' || version_num FROM alembic_version
          UNION ALL SELECT 'role ' || rolname || ' ' || rolsuper || rolbypassrls
            FROM pg_roles WHERE rolname LIKE 'ofair%'
        ) lines""")
    engine = create_engine(database_urls().superuser.set(database=get_settings().database_name))
    try:
        with engine.connect() as conn:
            return conn.execute(query).scalar_one()
    finally:
        engine.dispose()


def test_upgrade_twice_changes_nothing(db):
    before, head = _schema_snapshot(), bootstrap.current_revision()
    result = subprocess.run([sys.executable, "-m", "ofair_app", "db", "upgrade"],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert f"database upgraded to {head}" in result.stdout
    bootstrap.upgrade()
    assert _schema_snapshot() == before
    assert bootstrap.current_revision() == head
