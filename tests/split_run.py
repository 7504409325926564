"""`./ofair test` with no test paths: every test, in two parts, and a check that together they
ran every test.

    python -m tests.split_run [--parallel] [pytest options...]

- By default the backend tests (everything but tests/e2e) run first, spread over
  `$OFAIR_TEST_WORKERS` pytest-xdist workers (default: the machine's cores, at most 4), each
  with its own embedded database (tests/conftest.py makes one per process); then the browser
  tests run in one process, as they share one production build of the app. On 2 cores the
  backend takes under half the time it takes in one process: a test mostly waits on
  PostgreSQL, which the other worker's test fills.
- `--parallel` runs the two parts side by side instead, one process each. On 2 cores a browser
  test may time out under the other part's load, so it is not the default.

A split must never hide a test: before anything runs, one `--collect-only` counts every test of
the tree, and afterwards the two JUnit reports must account for exactly that many (passed,
failed, skipped or erred), or the run fails naming the difference. The exit status is the worse
of the two (pytest's own codes), and 1 when the counts disagree.

Each part's output goes to a log file beside the reports (`$OFAIR_TEST_LOGS`, default a new
temporary folder) and, by default, to the screen as it runs; with `--parallel` the logs are
printed whole after both end, so a failure reads as pytest wrote it.
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

PARTS = (("backend", ["tests", "--ignore=tests/e2e"]), ("e2e", ["tests/e2e"]))


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


def workers() -> int:
    wanted = os.environ.get("OFAIR_TEST_WORKERS", "")
    if wanted.isdigit() and int(wanted) > 0:
        return int(wanted)
    return max(1, min(os.cpu_count() or 1, 4))


def _command(name: str, paths: list[str], options: list[str], logs: Path,
             spread: bool) -> list[str]:
    extra = ["-n", str(workers())] if spread and name == "backend" and workers() > 1 else []
    return [sys.executable, "-m", "pytest", *options, *extra,
            f"--junitxml={logs / name}.xml", *paths]


def _one_after_the_other(options: list[str], logs: Path) -> dict[str, int]:
    codes = {}
    for name, paths in PARTS:
        print(f"\n===== {name} " + "=" * 60, flush=True)
        with (logs / f"{name}.log").open("w") as log:
            process = subprocess.Popen(_command(name, paths, options, logs, spread=True),
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                       text=True, errors="replace")
            assert process.stdout is not None
            for line in process.stdout:
                sys.stdout.write(line)
                log.write(line)
            sys.stdout.flush()
            codes[name] = process.wait()
    return codes


def _side_by_side(options: list[str], logs: Path) -> dict[str, int]:
    running = {}
    for name, paths in PARTS:
        log = (logs / f"{name}.log").open("w")
        running[name] = (subprocess.Popen(_command(name, paths, options, logs, spread=False),
                                          stdout=log, stderr=subprocess.STDOUT), log)
    codes = {}
    for name, (process, log) in running.items():
        codes[name] = process.wait()
        log.close()
    for name, _ in PARTS:
        print(f"\n===== {name} (exit {codes[name]}) " + "=" * 50, flush=True)
        sys.stdout.write((logs / f"{name}.log").read_text(errors="replace"))
    return codes


def main(argv: list[str] | None = None) -> int:
    options = list(sys.argv[1:] if argv is None else argv)
    parallel = "--parallel" in options
    options = [option for option in options if option != "--parallel"]
    logs = Path(os.environ.get("OFAIR_TEST_LOGS") or tempfile.mkdtemp(prefix="ofair-tests-"))
    logs.mkdir(parents=True, exist_ok=True)
    expected = collected(options)
    how = ("the browser tests and the rest side by side" if parallel else
           f"the backend on {workers()} workers, then the browser tests")
    print(f"» {expected} tests: {how} (logs in {logs})", flush=True)
    started = time.monotonic()
    codes = (_side_by_side if parallel else _one_after_the_other)(options, logs)
    counts = {name: accounted(logs / f"{name}.xml") for name, _ in PARTS}
    total = sum(counts.values())
    minutes = (time.monotonic() - started) / 60
    print(f"\n» {total} of {expected} tests accounted for ({counts['backend']} backend,"
          f" {counts['e2e']} browser) in {minutes:.1f} min;"
          f" exit codes {codes['backend']} and {codes['e2e']}", flush=True)
    if total != expected:
        print(f"» {expected - total} tests did not run in either part: failing the run",
              flush=True)
        return 1
    # 5 (no tests) from a part that has none is no failure when the whole tree was counted.
    worst = max((code for code in codes.values() if code != 5), default=5)
    return worst


if __name__ == "__main__":
    raise SystemExit(main())
