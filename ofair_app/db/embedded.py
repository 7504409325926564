"""The embedded PostgreSQL 16 used when no `DATABASE_URL` is configured.

`pgserver` starts a real server from a data directory and leaves it running (`cleanup_mode=None`),
so the app, the scheduler, migrations and tests started later all reuse the same one: it listens
on a Unix socket inside the data directory and trusts local connections only.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path
from urllib.parse import parse_qs, urlparse

logger = logging.getLogger(__name__)
# pgserver logs every command it runs at INFO; its warnings and errors are what matter here.
logging.getLogger("pgserver").setLevel(logging.WARNING)


def _quiet_runtime_dir() -> None:
    # platformdirs warns on every import when XDG_RUNTIME_DIR is unset (containers, CI);
    # pgserver only uses that directory for a lock file.
    os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp")  # noqa: S108


def socket_dir(pgdata: Path) -> str:
    """Start the server for `pgdata` if it is not running and return its socket directory."""
    _quiet_runtime_dir()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

    pgdata = pgdata.expanduser().resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(pgdata, cleanup_mode=None)
    host = parse_qs(urlparse(server.get_uri()).query)["host"][0]
    logger.debug("embedded postgres at %s (socket %s)", pgdata, host)
    return host


def stop(pgdata: Path) -> bool:
    """Stop the embedded server for `pgdata`; False when none was running."""
    _quiet_runtime_dir()
    # pgserver makes its command functions at import time (setattr on the module), so its
    # typed package does not show them.
    from pgserver._commands import pg_ctl  # type: ignore[attr-defined]
    from pgserver.utils import PostmasterInfo

    pgdata = pgdata.expanduser().resolve()
    info = PostmasterInfo.read_from_pgdata(pgdata) if pgdata.exists() else None
    if info is None or not info.is_running():
        return False
    user = "pgserver" if os.geteuid() == 0 else None
    pg_ctl(["-w", "stop", "-m", "fast"], pgdata=pgdata, user=user)
    return True
