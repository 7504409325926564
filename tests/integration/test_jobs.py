"""Job runs: recorded, dated by --as-of, and never run twice at once (advisory lock)."""

import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text, update

from jobs import REGISTRY, job, run_job
from jobs.runner import UnknownJob
from ofair_app.db.engine import ANONYMOUS, SYSTEM, unit_of_work
from ofair_app.models import JobRun, UserRole
from tests.factories import caller_for, make_user

AS_OF = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def temporary_job():
    """Register jobs for one test only."""
    added: list[str] = []

    def register(name, fn):
        job(name)(fn)
        added.append(name)

    yield register
    for name in added:
        REGISTRY.pop(name, None)


def _runs(name: str) -> list[JobRun]:
    with unit_of_work(SYSTEM) as session:
        return session.scalars(select(JobRun).where(JobRun.job_name == name)
                               .order_by(JobRun.id)).all()


def test_a_run_is_recorded_with_its_as_of(db, temporary_job):
    seen = []
    temporary_job("test_records", lambda *, as_of: seen.append(as_of) or "did 3 things")
    outcome = run_job("test_records", as_of=AS_OF)
    assert outcome.status == "succeeded"
    assert seen == [AS_OF]
    [run] = _runs("test_records")
    assert (run.status, run.detail, run.as_of) == ("succeeded", "did 3 things", AS_OF)
    assert run.finished_at is not None


def test_a_failing_job_is_recorded_as_failed(db, temporary_job):
    def explode(*, as_of):
        raise ValueError("bad batch")

    temporary_job("test_fails", explode)
    outcome = run_job("test_fails", as_of=AS_OF)
    assert outcome.status == "failed"
    [run] = _runs("test_fails")
    assert run.status == "failed" and "bad batch" in run.detail


def test_two_concurrent_runs_of_one_job_run_it_once(db, temporary_job):
    started, release = threading.Event(), threading.Event()
    calls = []

    def slow(*, as_of):
        calls.append(as_of)
        started.set()
        assert release.wait(10)
        return "slow done"

    temporary_job("test_slow", slow)
    outcomes = {}
    first = threading.Thread(target=lambda: outcomes.setdefault(
        "first", run_job("test_slow", as_of=AS_OF)))
    first.start()
    assert started.wait(10)
    outcomes["second"] = run_job("test_slow", as_of=AS_OF)  # while the first holds the lock
    release.set()
    first.join(10)

    assert outcomes["first"].status == "succeeded"
    assert outcomes["second"].status == "skipped"
    assert len(calls) == 1
    assert [r.status for r in _runs("test_slow")] == ["succeeded"]
    # The lock is released afterwards: the next run goes ahead.
    assert run_job("test_slow", as_of=AS_OF).status == "succeeded"


def test_a_lock_held_by_another_process_skips_the_cli_run(db):
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time\n"
         "from sqlalchemy import text\n"
         "from ofair_app.db.engine import app_engine\n"
         "with app_engine().connect() as c:\n"
         "    c.execute(text(\"SELECT pg_advisory_lock(hashtextextended(:k, 0))\"),\n"
         "              {'k': 'ofair.job.prune_job_runs'})\n"
         "    c.commit(); print('locked', flush=True); sys.stdin.readline()\n"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        result = subprocess.run(
            [sys.executable, "-m", "jobs", "run", "prune_job_runs", "--as-of",
             "2026-11-23T09:00:00+02:00"], capture_output=True, text=True, timeout=60, check=False)
        assert result.returncode == 3, result.stderr
        assert "skipped" in result.stdout
    finally:
        holder.communicate("\n", timeout=30)


def test_cli_runs_a_job_at_the_given_time(db):
    result = subprocess.run(
        [sys.executable, "-m", "jobs", "run", "prune_job_runs", "--as-of",
         "2026-11-23T09:00:00+02:00"], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "prune_job_runs: succeeded" in result.stdout
    [run] = _runs("prune_job_runs")
    assert run.as_of == datetime(2026, 11, 23, 7, tzinfo=UTC)


def test_cli_refuses_an_unknown_job_and_a_bad_time(db):
    unknown = subprocess.run([sys.executable, "-m", "jobs", "run", "no_such_job"],
                             capture_output=True, text=True, timeout=60, check=False)
    assert unknown.returncode == 2 and "unknown job" in unknown.stderr
    bad_time = subprocess.run(
        [sys.executable, "-m", "jobs", "run", "prune_job_runs", "--as-of", "tomorrow"],
        capture_output=True, text=True, timeout=60, check=False)
    assert bad_time.returncode == 2 and "ISO 8601" in bad_time.stderr


def test_run_job_refuses_unknown_names_and_naive_times(db):
    with pytest.raises(UnknownJob):
        run_job("no_such_job")
    with pytest.raises(ValueError, match="timezone"):
        run_job("prune_job_runs", as_of=datetime(2026, 1, 1))


def test_prune_job_runs_deletes_only_old_runs(db):
    with unit_of_work(SYSTEM) as session:
        session.add_all([JobRun(job_name="old", as_of=AS_OF),
                         JobRun(job_name="recent", as_of=AS_OF)])
        session.flush()
        session.execute(update(JobRun).where(JobRun.job_name == "old")
                        .values(started_at=AS_OF - timedelta(days=91)))
        session.execute(update(JobRun).where(JobRun.job_name == "recent")
                        .values(started_at=AS_OF - timedelta(days=89)))
    outcome = run_job("prune_job_runs", as_of=AS_OF)
    assert outcome.detail.startswith("deleted 1 ")
    assert _runs("old") == [] and len(_runs("recent")) == 1


def test_job_runs_are_hidden_from_users_and_anonymous(db):
    run_job("prune_job_runs", as_of=AS_OF)
    consumer, admin = make_user(), make_user(role=UserRole.admin)
    for caller in (ANONYMOUS, caller_for(consumer)):
        with unit_of_work(caller) as session:
            assert session.scalars(select(JobRun)).all() == []
            assert session.execute(text("UPDATE job_runs SET detail = 'x'")).rowcount == 0
            assert session.execute(text("DELETE FROM job_runs")).rowcount == 0
    with unit_of_work(caller_for(admin)) as session:
        assert len(session.scalars(select(JobRun)).all()) == 1
        assert session.execute(text("DELETE FROM job_runs")).rowcount == 0


def test_scheduler_uses_israel_time_for_every_job():
    from jobs.scheduler import background_scheduler

    scheduler = background_scheduler()
    jobs = scheduler.get_jobs()
    assert {j.id for j in jobs} == set(REGISTRY)
    assert all(str(j.trigger.timezone) == "Asia/Jerusalem" for j in jobs)


def test_expire_tokens_job_purges_through_the_cli(db):
    from ofair_app.db.engine import SYSTEM, unit_of_work
    from ofair_app.services import auth
    from tests.factories import make_user

    user = make_user()
    with unit_of_work(SYSTEM) as session:
        auth.issue_token(session=session, user_id=user.id, now=AS_OF - timedelta(days=60))
    result = subprocess.run(
        [sys.executable, "-m", "jobs", "run", "expire_tokens", "--as-of", AS_OF.isoformat()],
        capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "deleted 1 tokens" in result.stdout


def test_deliver_notifications_job_sends_what_is_due(db):
    from ofair_app.db.engine import SYSTEM, unit_of_work
    from ofair_app.services import notifications

    with unit_of_work(SYSTEM) as session:
        notifications.enqueue(session=session, channel="sms", to="+972500000061",
                              template="otp_code", locale="he",
                              params={"code": "123123", "minutes": 5})
    notifications.drain()
    with unit_of_work(SYSTEM) as session:
        session.execute(text("UPDATE outbox_messages SET status = 'pending', attempts = 0"))
    outcome = run_job("deliver_notifications", as_of=datetime.now(UTC))
    assert outcome.status == "succeeded" and "1 logged" in outcome.detail
