"""The Reflex app module: the API is mounted and the scheduler starts unless switched off."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "from ofair_app.ofair_app import app\n"
    "names = [getattr(t, '__name__', repr(t)) for t in app.get_lifespan_tasks()]\n"
    "print('lifespan:', ','.join(names))\n"
    "print('html:', app.html_lang, app.html_custom_attrs)\n"
    "print('api:', type(app.api_transformer).__name__)\n"
)


def _probe(scheduler: str) -> str:
    env = {**os.environ, "OFAIR_SCHEDULER": scheduler}
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.mark.parametrize(("setting", "expected"), [("on", True), ("off", False)])
def test_scheduler_is_a_lifespan_task_unless_off(setting, expected):
    lifespan = next(line for line in _probe(setting).splitlines() if line.startswith("lifespan:"))
    assert ("scheduler_lifespan" in lifespan.split(": ")[1].split(",")) is expected


def test_app_is_hebrew_rtl_with_the_api_mounted():
    output = _probe("off")
    assert "html: he {'dir': 'rtl'}" in output
    assert "api: FastAPI" in output
