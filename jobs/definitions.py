"""The platform's jobs. Each is thin: select the work, process it in batches, report a summary."""

from __future__ import annotations

import contextvars
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlmodel import col

from jobs.registry import job
from ofair_app.db.engine import SYSTEM, affected, unit_of_work
from ofair_app.models import JobRun

JOB_RUN_RETENTION = timedelta(days=90)
BATCH_SIZE = 5000


@job("prune_job_runs", hour=3, minute=40)
def prune_job_runs(*, as_of: datetime) -> str:
    """Delete job run records older than 90 days, in batches."""
    cutoff = as_of - JOB_RUN_RETENTION
    deleted = 0
    while True:
        with unit_of_work(SYSTEM) as session:
            batch = (select(col(JobRun.id)).where(col(JobRun.started_at) < cutoff)
                     .limit(BATCH_SIZE))
            count = affected(session.execute(delete(JobRun).where(col(JobRun.id).in_(batch))))
        deleted += count
        if count < BATCH_SIZE:
            return f"deleted {deleted} job runs started before {cutoff.isoformat()}"


@job("expire_tokens", minute=15)
def expire_tokens(*, as_of: datetime) -> str:
    """Purge expired or revoked login tokens and login codes past their send-limit windows,
    and mark team invitations nobody answered in time as expired."""
    from ofair_app.services import auth, invitations

    with unit_of_work(SYSTEM) as session:
        counts = auth.purge_expired(session=session, now=as_of)
        expired = invitations.expire_invitations(session=session, caller=SYSTEM, now=as_of)
    return (f"deleted {counts['tokens']} tokens and {counts['codes']} codes;"
            f" {expired} invitations expired")


@job("deliver_notifications", minute="*")
def deliver_notifications(*, as_of: datetime) -> str:
    """Send queued messages whose next attempt is due (those held for quiet hours once the
    quiet time is over); retry failures with backoff; forget old notifications."""
    from ofair_app.services import chat, notification_center, notifications

    totals = {"sent": 0, "logged": 0, "retry": 0, "failed": 0}
    while True:
        with unit_of_work(SYSTEM) as session:
            counts = notifications.deliver_due(session=session, now=as_of, limit=200)
        for key, value in counts.items():
            totals[key] += value
        if sum(counts.values()) < 200:  # retried ones wait for a later run
            break
    with unit_of_work(SYSTEM) as session:
        purged = notifications.purge_delivered(session=session, now=as_of,
                                               keep=MESSAGE_RETENTION)
        purged += notification_center.purge(session=session, now=as_of,
                                            keep=NOTIFICATION_RETENTION)
        purged += chat.forget_presence(session=session, now=as_of)
    return ", ".join(f"{value} {key}" for key, value in totals.items()) + f"; {purged} purged"


MESSAGE_RETENTION = timedelta(days=30)
NOTIFICATION_RETENTION = timedelta(days=180)


def in_batches(step, limit: int) -> int:
    """Run `step(session, limit)` in its own transaction until a batch comes back short; the
    total it reports. Each batch commits on its own, so a long run never holds its locks."""
    total = 0
    while True:
        with unit_of_work(SYSTEM) as session:
            count = step(session, limit)
        total += count
        if count < limit:
            return total


@job("expire_referrals", minute=5)
def expire_referrals(*, as_of: datetime) -> str:
    """Expire referral offers nobody answered within REFERRAL_EXPIRY_DAYS, in batches."""
    from ofair_app.services import referrals

    expired = in_batches(lambda session, limit: referrals.expire_due(
        session=session, now=as_of, limit=limit), BATCH_SIZE)
    return f"expired {expired} referral offers"


@job("auto_confirm_completion", minute=20)
def auto_confirm_completion(*, as_of: datetime) -> str:
    """Close jobs whose owner did not confirm within AUTO_CONFIRM_DAYS of completion, and
    approve the milestones said done that long ago."""
    from ofair_app.services import milestones, payments

    closed = in_batches(lambda session, limit: payments.auto_confirm_due(
        session=session, now=as_of, limit=limit), 500)
    approved = in_batches(lambda session, limit: milestones.auto_approve_due(
        session=session, now=as_of, limit=limit), 500)
    return f"closed {closed} jobs, approved {approved} milestones"


@job("reminders", minute=25)
def reminders(*, as_of: datetime) -> str:
    """Remind, once, both sides of the site visits starting within a day, and the owners of
    jobs closed REMIND_AFTER_DAYS ago who have not reviewed the performer yet."""
    from ofair_app.services import reviews, visits

    visited = in_batches(lambda session, limit: visits.remind_due(
        session=session, now=as_of, limit=limit), 500)
    reminded = in_batches(lambda session, limit: reviews.remind_due(
        session=session, now=as_of, limit=limit), 500)
    return f"{visited} visit reminders, {reminded} review reminders"


@job("release_holds", minute=30)
def release_holds(*, as_of: datetime) -> str:
    """Release held money HOLD_PERIOD_DAYS after a job closed, or a step of a job in
    milestones was approved (never while disputed).

    One thread walks the closed jobs a stretch at a time; `RELEASE_WORKERS` threads release
    the stretches, each in its own transaction, so the database writes one stretch on each
    core while the next is being prepared. A stretch that fails is left for the next run
    (nothing of it was written) and the job reports the error."""
    from ofair_app.services import payments

    read_ahead = threading.BoundedSemaphore(2 * RELEASE_WORKERS)

    def release(lead_ids: list) -> int:
        try:
            with unit_of_work(SYSTEM) as session:
                return payments.release_jobs(session=session, lead_ids=lead_ids)
        finally:
            read_ahead.release()

    with ThreadPoolExecutor(max_workers=RELEASE_WORKERS,
                            thread_name_prefix="release-holds") as pool:
        stretches, after = [], None
        while True:
            with unit_of_work(SYSTEM) as session:
                closed = payments.closed_due(session=session, now=as_of, limit=RELEASE_BATCH,
                                             after=after)
            if closed.ids:
                read_ahead.acquire()
                # a copy of the context: the stretch's lines carry the job's run id
                stretches.append(pool.submit(contextvars.copy_context().run, release,
                                             closed.ids))
            if len(closed.ids) < RELEASE_BATCH:
                break
            after = closed.last
        released = sum(stretch.result() for stretch in stretches)
    while True:  # then the approved steps of jobs in milestones
        with unit_of_work(SYSTEM) as session:
            steps = payments.release_steps(session=session, now=as_of, limit=RELEASE_BATCH)
        released += steps.posted
        if steps.claimed < RELEASE_BATCH:
            break
    return f"released {released} holds"


# Closed jobs per stretch (each released by a few set-based statements in one transaction),
# and how many stretches are released at once.
RELEASE_BATCH = 5000
RELEASE_WORKERS = 2


@job("renew_subscriptions", minute=50)
def renew_subscriptions(*, as_of: datetime) -> str:
    """Charge every paid subscription whose period (or a retry of it) is due, end those
    cancelled at their period's end, then take the leads of businesses whose benefits stopped
    off the board's pinned indexes. Idempotent per period."""
    from ofair_app.services import subscriptions

    counts = subscriptions.renew_due(now=as_of)
    with unit_of_work(SYSTEM) as session:
        unpinned = subscriptions.unpin_ended(session=session, now=as_of)
    charged = ", ".join(f"{outcome} {n}" for outcome, n in sorted(counts.items())) or "none due"
    return f"renewals: {charged}; unpinned {unpinned} leads of ended subscriptions"


@job("update_tiers", day=1, hour=3, minute=15)
def update_tiers(*, as_of: datetime) -> str:
    """Give every active business its tier for the month from its last 90 days (jobs done,
    rating, response time, disputes lost). Idempotent: a second run of a month changes nothing."""
    from ofair_app.services import tiers

    with unit_of_work(SYSTEM) as session:
        run = tiers.update_all(session=session, as_of=as_of)
    moves = Counter(f"{before}→{after}" for _, before, after in run.changed)
    changed = ", ".join(f"{move} {n}" for move, n in sorted(moves.items()))
    return f"{run.month:%Y-%m}: {run.evaluated} businesses evaluated; changed: {changed or 'none'}"


@job("monthly_settlement", day=1, hour=2, minute=0)
def monthly_settlement(*, as_of: datetime) -> str:
    """B2B mode: settle the previous calendar month (Israel) for every business with closed
    jobs: statements, VAT, tax invoices; then ask the Tax Authority for held invoices' numbers.
    Idempotent: a second run for a month settles nothing more."""
    from ofair_app.domain import settlement as rules
    from ofair_app.services import autopay, settlement

    month = rules.previous_month(as_of)
    with unit_of_work(SYSTEM) as session:
        run = settlement.settle_month(session=session, month=month, as_of=as_of)
    asked = settlement.request_allocations()
    charged = _all_due(lambda: autopay.charge_due(now=as_of))
    return (f"{month:%Y-%m}: {run.charges} jobs, {run.statements} statements, "
            f"{run.invoices} invoices issued, {run.held} held, VAT {run.vat}; allocation "
            f"numbers: {asked['issued']} issued, {asked['refused']} refused, "
            f"{asked['unavailable']} without an answer; autopay: {_counts(charged)}")


@job("autopay_retries", minute=45)
def autopay_retries(*, as_of: datetime) -> str:
    """B2B mode: charge statements whose autopay retry is due (1, 3 and 7 days after a
    declined charge), and ask again about charges whose answer was lost."""
    from ofair_app.services import autopay

    return f"autopay: {_counts(_all_due(lambda: autopay.charge_due(now=as_of)))}"


def _all_due(batch) -> dict[str, int]:
    """Run `batch` until a round charges fewer than a full batch of 200."""
    totals: dict[str, int] = {}
    while True:
        counts = batch()
        for key, value in counts.items():
            totals[key] = totals.get(key, 0) + value
        if sum(counts.values()) < 200 or set(counts) <= {"busy", "unanswered"}:
            return totals


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{value} {key}" for key, value in sorted(counts.items())) or "nothing due"


@job("reconcile_payments", minute="*/10")
def reconcile_payments(*, as_of: datetime) -> str:
    """Ask the provider about payments still pending after RECONCILE_AFTER; send again the
    unlocks' card charges whose answer was lost (same key) and the approved unlock refunds
    the provider did not answer."""
    from ofair_app.services import payments, unlocks

    counts = payments.reconcile(now=as_of, older_than=RECONCILE_AFTER)
    charges = unlocks.resume_unanswered(now=as_of)
    refunds = unlocks.retry_refunds(now=as_of)
    return "; ".join([", ".join(f"{value} {key}" for key, value in counts.items()),
                      f"unlock charges: {_counts(charges)}",
                      f"unlock refunds: {_counts(refunds)}"])


RECONCILE_AFTER = timedelta(minutes=15)


@job("personal_data_exports", minute="*")
def personal_data_exports(*, as_of: datetime) -> str:
    """Build the "download all my data" archives people asked for; delete the expired ones."""
    from ofair_app.services import privacy

    built = 0
    while True:
        count = privacy.build_due_exports(now=as_of, limit=5)
        built += count
        if count < 5:
            break
    with unit_of_work(SYSTEM) as session:
        expired = privacy.expire_exports(session=session, now=as_of)
    return f"built {built} exports; {expired} expired"


@job("retention", hour=4, minute=10)
def retention(*, as_of: datetime) -> str:
    """Delete or anonymise what has outlived its period (domain/personal_data.py): the files
    of leads closed LEAD_FILES_RETENTION_DAYS ago, answered invitations and webhook rejections
    after 90 days, expired export archives, and accounts idle for INACTIVE_ACCOUNT_DAYS (a notice
    first, closed INACTIVE_NOTICE_DAYS later). Login codes and tokens: `expire_tokens`, which
    this job runs too. Running it twice for one `as_of` changes nothing the second time."""
    from ofair_app.services import auth, privacy

    files = in_batches(lambda session, limit: privacy.purge_closed_lead_files(
        session=session, now=as_of, limit=limit), 500)
    chats = in_batches(lambda session, limit: privacy.purge_closed_lead_chats(
        session=session, now=as_of, limit=limit), 500)
    with unit_of_work(SYSTEM) as session:
        tokens = auth.purge_expired(session=session, now=as_of)
        invitations = privacy.purge_answered_invitations(session=session, now=as_of)
        rejections = privacy.purge_webhook_rejections(session=session, now=as_of)
        exports = privacy.expire_exports(session=session, now=as_of)
    notified = in_batches(lambda session, limit: privacy.notify_inactive(
        session=session, now=as_of, limit=limit), 500)
    closed = waiting = 0
    while True:  # accounts that wait stay candidates: the next batch skips past them
        with unit_of_work(SYSTEM) as session:
            done, held = privacy.close_inactive(session=session, now=as_of, limit=50,
                                                skip=waiting)
        closed, waiting = closed + done, waiting + held
        if done + held < 50:
            break
    return (f"deleted {files} attachments and {chats} chat messages of finished leads,"
            f" {tokens['tokens']} tokens,"
            f" {tokens['codes']} codes, {invitations} invitations, {rejections} webhook"
            f" rejections; {exports} exports expired; {notified} inactive accounts told,"
            f" {closed} closed, {waiting} waiting on open obligations")
