"""`./ofair test` with no test paths: the browser tests and the rest in two pytest processes at
once, each with its own embedded database, and a check that together they ran every test.

    python -m tests.split_run [pytest options...]

The two halves wait on different things (Chromium and the app server; PostgreSQL), so on two
cores they take about as long side by side as the longer one alone. A split must never hide a
test: before anything runs, one `--collect-only` counts every test of the tree, and afterwards
the two JUnit reports must account for exactly that many (passed, failed, skipped or erred),
or the run fails naming the difference. The exit status is the worse of the two (pytest's own
codes), and 1 when the counts disagree.

Each half's output goes to a log file beside the reports (`$OFAIR_TEST_LOGS`, default a new
temporary folder); the browser half's is printed after the other's, whole, so a failure reads
as pytest wrote it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

HALVES = (("e2e", ["tests/e2e"]), ("backend", ["tests", "--ignore=tests/e2e"]))


def collected(options: list[str]) -> int:
    """How many tests the whole tree has (what one plain run would run)."""
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", *options,
                           "tests"], capture_output=True, text=True, check=False)
    # "2600 tests collected in 9s", or with a selection "12/2600 tests collected (…)"
    found = re.search(r"(?:^|\s)(\d+)(?:/\d+)? tests? collected", done.stdout)
    if done.returncode != 0 or found is None:
        sys.stdout.write(done.stdout + done.stderr)
        raise SystemExit(f"collecting the tests failed (exit {done.returncode})")
    return int(found.group(1))


def accounted(report: Path) -> int:
    """Test cases in a JUnit report: every outcome counts once."""
    if not report.exists():
        return 0
    root = ET.parse(report).getroot()
    return sum(1 for _ in root.iter("testcase"))


def main(argv: list[str] | None = None) -> int:
    options = list(sys.argv[1:] if argv is None else argv)
    logs = Path(os.environ.get("OFAIR_TEST_LOGS") or tempfile.mkdtemp(prefix="ofair-tests-"))
    logs.mkdir(parents=True, exist_ok=True)
    expected = collected(options)
    print(f"» {expected} tests: the browser tests and the rest in two processes"
          f" (logs in {logs})", flush=True)
    started = time.monotonic()
    running = {}
    for name, paths in HALVES:
        log = (logs / f"{name}.log").open("w")
        command = [sys.executable, "-m", "pytest", *options, f"--junitxml={logs / name}.xml",
                   *paths]
        running[name] = (subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT), log)
    codes = {}
    for name, (process, log) in running.items():
        codes[name] = process.wait()
        log.close()
    for name in ("backend", "e2e"):
        print(f"\n===== {name} (exit {codes[name]}) " + "=" * 50, flush=True)
        sys.stdout.write((logs / f"{name}.log").read_text(errors="replace"))
    counts = {name: accounted(logs / f"{name}.xml") for name, _ in HALVES}
    total = sum(counts.values())
    minutes = (time.monotonic() - started) / 60
    print(f"\n» {total} of {expected} tests accounted for ({counts['backend']} backend,"
          f" {counts['e2e']} browser) in {minutes:.1f} min;"
          f" exit codes {codes['backend']} and {codes['e2e']}", flush=True)
    if total != expected:
        print(f"» {expected - total} tests did not run in either half: failing the run",
              flush=True)
        return 1
    # 5 (no tests) from a half that has none is no failure when the whole tree was counted.
    worst = max((code for code in codes.values() if code != 5), default=5)
    return worst


if __name__ == "__main__":
    raise SystemExit(main())
