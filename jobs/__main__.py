"""`python -m jobs` runs the scheduler; `python -m jobs run JOB --as-of ISO_TIME` runs one job once.

Exit codes of `run`: 0 succeeded, 1 failed, 2 bad arguments or unknown job, 3 skipped because
another process is running the same job.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

from jobs.registry import REGISTRY
from jobs.runner import run_job
from ofair_app.observability import errors, logs
from ofair_app.settings import get_settings

EXIT_CODES = {"succeeded": 0, "failed": 1, "skipped": 3}


def parse_as_of(value: str) -> datetime:
    """An ISO 8601 time; without an offset it is read in the platform's timezone."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {value!r}") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(get_settings().ofair_timezone))
    return moment


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jobs", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command")
    run = commands.add_parser("run", help="run one job once")
    run.add_argument("job", help="job name (see `python -m jobs list`)")
    run.add_argument("--as-of", type=parse_as_of, default=None,
                     help="the job's notion of now, ISO 8601 (default: now)")
    commands.add_parser("list", help="list the registered jobs and their schedules")
    args = parser.parse_args(argv)
    logs.configure()
    errors.init()
    logging.getLogger("pgserver").setLevel(logging.WARNING)

    if args.command == "list":
        for name, job in sorted(REGISTRY.items()):
            schedule = " ".join(f"{k}={v}" for k, v in job.cron.items())
            print(f"{name:28} {schedule:28} {job.description}")
        return 0
    if args.command == "run":
        if args.job not in REGISTRY:
            print(f"unknown job {args.job!r}; known: {', '.join(sorted(REGISTRY))}",
                  file=sys.stderr)
            return 2
        outcome = run_job(args.job, as_of=args.as_of)
        print(f"{outcome.name}: {outcome.status} {outcome.detail}".rstrip())
        return EXIT_CODES[outcome.status]

    from jobs.scheduler import blocking_scheduler

    scheduler = blocking_scheduler()
    logging.getLogger(__name__).info("scheduler running: %s", ", ".join(sorted(REGISTRY)))
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()
    return 0


if __name__ == "__main__":
    sys.exit(main())
