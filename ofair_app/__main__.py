"""`python -m ofair_app …`: database, API server and operator commands (DESIGN.md §6)."""

from __future__ import annotations

import argparse
import logging
import sys

from ofair_app.observability import logs


def _db(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import OperationalError

    from ofair_app.db import bootstrap, embedded
    from ofair_app.settings import get_settings

    if args.action == "upgrade":
        try:
            bootstrap.upgrade(args.revision)
        except (bootstrap.UnsafeDatabaseRole, OperationalError) as exc:
            print(f"db upgrade failed: {exc}", file=sys.stderr)
            return 1
        print(f"database upgraded to {bootstrap.current_revision()}")
    elif args.action == "current":
        print(bootstrap.current_revision() or "(empty)")
    elif args.action == "stop":
        settings = get_settings()
        if not settings.embedded_database:
            print("DATABASE_URL is set: the database is not embedded, nothing to stop")
            return 1
        stopped = embedded.stop(settings.data_dir / "pg")
        print("embedded database stopped" if stopped else "embedded database was not running")
    return 0


def _api(args: argparse.Namespace) -> int:
    import uvicorn

    uvicorn.run("ofair_app.web.security:standalone_api", factory=True, host=args.host,
                port=args.port, workers=args.workers, log_level=args.log_level, access_log=False,
                server_header=False)
    return 0


def _admin(args: argparse.Namespace) -> int:
    from ofair_app.db.engine import SYSTEM, unit_of_work
    from ofair_app.domain.errors import InvalidInput
    from ofair_app.models import UserRole
    from ofair_app.services import users

    try:
        with unit_of_work(SYSTEM) as session:
            user = users.ensure_user_by_phone(session=session, phone=args.phone, name=args.name,
                                              role=UserRole.admin)
    except InvalidInput as exc:
        print(f"admin create failed: invalid {', '.join(exc.fields)}", file=sys.stderr)
        return 2
    print(f"admin {user.phone} ({user.id}) can now sign in at /login with a code to that phone")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from ofair_app.db import bootstrap
    from ofair_app.demo import make_demo_data

    bootstrap.upgrade()
    print("\n".join(make_demo_data()))
    return 0


def _audit(args: argparse.Namespace) -> int:
    """Print the audit trail of one person or of a time window (for an incident review)."""
    import json
    import uuid
    from datetime import UTC, datetime, timedelta

    from sqlmodel import select

    from ofair_app.db.engine import SYSTEM, unit_of_work
    from ofair_app.domain import identity
    from ofair_app.domain.errors import InvalidInput
    from ofair_app.models import User
    from ofair_app.services import audit

    def moment(value: str | None, default: datetime) -> datetime:
        if not value:
            return default
        parsed = datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)

    try:
        until = moment(args.until, datetime.now(UTC))
        since = moment(args.since, until - timedelta(days=7))
    except ValueError as exc:
        print(f"audit: {exc}", file=sys.stderr)
        return 2
    user_id = None
    with unit_of_work(SYSTEM) as session:
        if args.user:
            try:
                user_id = uuid.UUID(args.user)
            except ValueError:
                try:
                    if "@" in args.user:
                        column, value = User.email, identity.normalize_email(args.user)
                    else:
                        column, value = User.phone, identity.normalize_phone(args.user)
                except InvalidInput:
                    print(f"audit: {args.user!r} is not a user id, phone or e-mail",
                          file=sys.stderr)
                    return 2
                user = session.exec(select(User).where(column == value)).first()
                if user is None:
                    print(f"audit: no user with {args.user!r}", file=sys.stderr)
                    return 1
                user_id = user.id
        entries = audit.trail(session=session, caller=SYSTEM, since=since, until=until,
                              user_id=user_id, limit=args.limit)
    for entry in entries:
        row = {"at": entry.at.isoformat(), "source": entry.source, "action": entry.action,
               "actor": str(entry.actor_user_id or ""), "subject": entry.subject,
               "ip": entry.ip, "detail": entry.detail}
        if args.json:
            print(json.dumps(row, ensure_ascii=False))
        else:
            print("\t".join(row.values()))
    print(f"{len(entries)} events from {since.isoformat()} to {until.isoformat()}",
          file=sys.stderr)
    return 0


def _push(args: argparse.Namespace) -> int:
    """A new VAPID key pair for Web Push, as settings lines (keep the private key secret; a
    new pair makes every browser subscribe again)."""
    from ofair_app.adapters.webpush import generate_vapid_keys

    keys = generate_vapid_keys()
    print(f"PUSH_BACKEND=webpush\nVAPID_PRIVATE_KEY={keys.private_key}")
    print(f"# the public key (browsers get it from GET /api/v1/push/key): {keys.public_key}",
          file=sys.stderr)
    return 0


def _gates(args: argparse.Namespace) -> int:
    from ofair_app import gates

    return gates.main(only=args.only, as_json=args.json, screenshots=args.screenshots)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ofair_app", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    db = commands.add_parser("db", help="database: upgrade | current | stop")
    db.add_argument("action", choices=["upgrade", "current", "stop"])
    db.add_argument("revision", nargs="?", default="head")
    db.set_defaults(handler=_db)

    api = commands.add_parser("api", help="serve the REST API alone (uvicorn)")
    api.add_argument("--port", type=int, default=8001)
    api.add_argument("--host", default="127.0.0.1")
    api.add_argument("--workers", type=int, default=1)
    api.add_argument("--log-level", default="warning")
    api.set_defaults(handler=_api)

    admin = commands.add_parser("admin", help="operators: admin create --phone +972…")
    admin.add_argument("action", choices=["create"])
    admin.add_argument("--phone", required=True)
    admin.add_argument("--name", default="")
    admin.set_defaults(handler=_admin)

    trail = commands.add_parser(
        "audit", help="the audit trail: logins, failed codes, reveals, exports, closures,"
                      " admin actions (--user ID|phone|e-mail, --since, --until)")
    trail.add_argument("--user", help="a user id, phone or e-mail (actor or subject)")
    trail.add_argument("--since", help="ISO time (default: 7 days before --until)")
    trail.add_argument("--until", help="ISO time (default: now)")
    trail.add_argument("--limit", type=int, default=10000)
    trail.add_argument("--json", action="store_true", help="one JSON object a line")
    trail.set_defaults(handler=_audit)

    push = commands.add_parser("push", help="Web Push: `push keys` prints a new VAPID key pair")
    push.add_argument("action", choices=["keys"])
    push.set_defaults(handler=_push)

    demo = commands.add_parser("demo-data", help="an idempotent demo marketplace, logins printed")
    demo.set_defaults(handler=_demo)

    gates = commands.add_parser(
        "gates", help="the go-live gates (A security, B billing, C inventory, D observability,"
                      " E journeys) on a throwaway database; exit 0 only when all pass")
    gates.add_argument("--only", default="", help="some gates only, e.g. A,C")
    gates.add_argument("--json", action="store_true", help="the report as JSON")
    gates.add_argument("--screenshots", default="",
                       help="where gate E saves its screens (default: a new temporary folder)")
    gates.set_defaults(handler=_gates)

    args = parser.parse_args(argv)
    logs.configure()
    # Alembic names each of its plugins at INFO on every run: noise, not news.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
