"""The console backend prints each message in the app's own output (Reflex configures no
logging), outside production only, since messages carry login codes."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[2]

_SEND = """
from ofair_app.adapters.messaging import ConsoleSender, OutgoingMessage
ConsoleSender().send(OutgoingMessage(channel="sms", to="+972501234567", subject="",
                                     body="Your OFAIR code: 482913", message_id="m-1"))
"""


def _run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", _SEND], cwd=ROOT, capture_output=True,
                          text=True, timeout=60,
                          env={**os.environ, "OFAIR_ENV": "development", **env}, check=True)


def test_a_process_without_logging_config_prints_the_message_with_its_code() -> None:
    result = _run({})
    assert "482913" in result.stderr
    assert "+972501234567" in result.stderr


def test_a_configured_root_logger_shows_it_once() -> None:
    script = "import logging; logging.basicConfig(level=logging.INFO)\n" + _SEND
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, check=True,
                            env={**os.environ, "OFAIR_ENV": "development"})
    assert result.stderr.count("482913") == 1


def test_production_never_prints_the_text(monkeypatch, capsys, caplog) -> None:
    from ofair_app.adapters import messaging

    monkeypatch.setattr(messaging, "get_settings",
                        lambda: SimpleNamespace(ofair_env="production"))
    with caplog.at_level(logging.DEBUG, logger="ofair.messages"):
        messaging.ConsoleSender().send(messaging.OutgoingMessage(
            channel="sms", to="+972501234567", subject="", body="Your OFAIR code: 482913",
            message_id="m-1"))
    captured = capsys.readouterr()
    assert "482913" not in captured.out + captured.err + caplog.text
    assert "m-1" in caplog.text  # that a message waits is still said
