"""A person's rights over their data: download it all, close the account, and the retention
rules that delete or anonymise what has outlived its period (issue 15, points 5 and 6).

Everything here is driven by the registry in `domain/personal_data.py`: the export reads every
registered table through its `subject`, closing an account applies each table's erasure, so a
table added to the registry is exported and erased without touching this module.

The reads and writes across other people's tables (an export, an erasure) run as the platform
(`trusted_step`), only after the use case has checked that the caller acts for themselves.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import uuid
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, bindparam, event, func, orm, text
from sqlalchemy.types import TypeEngine
from sqlmodel import Session, SQLModel, col, select

from ofair_app.adapters.storage import get_storage, safe_filename
from ofair_app.db.engine import SYSTEM, Caller, affected, trusted_step, unit_of_work
from ofair_app.domain import identity
from ofair_app.domain.errors import Conflict, InvalidInput, NotFound, RateLimited
from ofair_app.domain.leads import LeadStatus
from ofair_app.domain.personal_data import (
    REGISTRY,
    Erasure,
    Obligations,
    Table,
    closure_blockers,
)
from ofair_app.models import (
    ExportStatus,
    Lead,
    PersonalDataExport,
    Proposal,
    User,
    UserRole,
)
from ofair_app.models._base import utcnow
from ofair_app.services import audit, ledger, notifications, users
from ofair_app.settings import get_settings

logger = logging.getLogger(__name__)

EXPORT_FORMAT = "ofair-personal-data/1"
EXPORT_CONTENT_TYPE = "application/zip"
# The link a ready export hands out lives minutes; the archive itself PERSONAL_DATA_EXPORT_HOURS.
EXPORT_LINK_SECONDS = 300
EXPORT_ROW_RETENTION = timedelta(days=90)
ANSWERED_INVITATION_RETENTION = timedelta(days=90)
WEBHOOK_REJECTION_RETENTION = timedelta(days=90)
# Registry fragments and table names below come from `domain/personal_data.py` (code), never
# from a request; every value is a bound parameter. Hence the `noqa: S608`s.


# --- export ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportView:
    id: uuid.UUID
    status: ExportStatus
    requested_at: datetime | None
    ready_at: datetime | None
    expires_at: datetime | None
    download_url: str | None = None


def _view(row: PersonalDataExport, url: str | None = None) -> ExportView:
    return ExportView(id=row.id, status=ExportStatus(row.status), requested_at=row.requested_at,
                      ready_at=row.ready_at, expires_at=row.expires_at, download_url=url)


def request_export(*, session: Session, caller: Caller, ip: str = "",
                   now: datetime | None = None) -> ExportView:
    """The caller asks for an archive of all their personal data; the `personal_data_exports`
    job builds it. Any signed-in person, for themselves only. Refused (429, with when to try
    again) while an earlier request is still being built, and past
    PERSONAL_DATA_EXPORTS_PER_DAY requests in 24 hours."""
    me = users.get_me(session=session, caller=caller)
    now = now or utcnow()
    session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                    {"key": f"ofair.export.{me.id}"})
    recent = session.exec(select(PersonalDataExport)
                          .where(PersonalDataExport.user_id == me.id,
                                 col(PersonalDataExport.requested_at) > now - timedelta(days=1))
                          .order_by(col(PersonalDataExport.requested_at))).all()
    if any(row.status == ExportStatus.pending for row in recent):
        raise RateLimited(60, "errors.privacy.export_pending", code="export_pending")
    limit = get_settings().personal_data_exports_per_day
    if len(recent) >= limit:
        oldest = recent[-limit].requested_at or now
        wait = (oldest + timedelta(days=1) - now).total_seconds()
        raise RateLimited(int(wait) + 1, "errors.privacy.export_limit", code="export_limit")
    row = PersonalDataExport(user_id=me.id, requested_at=now)
    session.add(row)
    session.flush()
    audit.security_event(session=session, caller=caller, action="account.export_requested",
                         user_id=me.id, ip=ip, detail={"export_id": str(row.id)})
    return _view(row)


def my_exports(*, session: Session, caller: Caller, limit: int = 5) -> list[ExportView]:
    """The caller's latest export requests, newest first (no links: see `export_status`)."""
    me = users.require_user(caller)
    rows = session.exec(select(PersonalDataExport).where(PersonalDataExport.user_id == me)
                        .order_by(col(PersonalDataExport.requested_at).desc())
                        .limit(limit)).all()
    return [_view(row) for row in rows]


def export_status(*, session: Session, caller: Caller, export_id: uuid.UUID, ip: str = "",
                  now: datetime | None = None) -> ExportView:
    """One of the caller's exports; when ready and not expired, with a download link valid for
    five minutes (each link handed out is audited). Someone else's export is 404, as if it did
    not exist (row-level security does not show it either)."""
    me = users.require_user(caller)
    now = now or utcnow()
    row = session.get(PersonalDataExport, export_id)
    if row is None or row.user_id != me:
        raise NotFound("errors.privacy.export_not_found")
    if row.status != ExportStatus.ready or row.expires_at is None or row.expires_at <= now:
        if row.status == ExportStatus.ready:
            return ExportView(id=row.id, status=ExportStatus.expired,
                              requested_at=row.requested_at, ready_at=row.ready_at,
                              expires_at=row.expires_at)
        return _view(row)
    assert row.storage_key is not None
    seconds = max(1, min(EXPORT_LINK_SECONDS, int((row.expires_at - now).total_seconds())))
    stamp = (row.ready_at or now).date().isoformat()
    url = get_storage().signed_url(row.storage_key, filename=f"ofair-data-{stamp}.zip",
                                   content_type=EXPORT_CONTENT_TYPE, expires_in=seconds)
    audit.security_event(session=session, caller=caller, action="account.export_downloaded",
                         user_id=me, ip=ip, detail={"export_id": str(row.id)})
    return _view(row, url)


def _jsonable(value: object) -> object:
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    return value


def collect_personal_data(session: Session,
                          user_id: uuid.UUID) -> dict[str, list[dict[str, object]]]:
    """Every registered table's rows about this person, by table, without secrets' hashes.
    Run as the platform (the rows are spread over other people's and businesses' tables)."""
    out: dict[str, list[dict[str, object]]] = {}
    for table in REGISTRY:
        if table.subject is None or not table.exported:
            continue
        rows = session.execute(text(f"SELECT * FROM {table.name} WHERE {table.subject}"),  # noqa: S608
                               {"user_id": str(user_id)}).mappings().all()
        hidden = table.hidden_columns()
        out[table.name] = [{key: _jsonable(value) for key, value in row.items()
                            if key not in hidden} for row in rows]
    return out


def build_archive(session: Session, user_id: uuid.UUID, now: datetime) -> bytes:
    """The zip a person downloads: `data.json` (everything, by table), one CSV per table, and
    the files they uploaded (certificates, attachments) under `files/`."""
    data = collect_personal_data(session, user_id)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(
            {"format": EXPORT_FORMAT, "generated_at": now.isoformat(), "user_id": str(user_id),
             "tables": data}, ensure_ascii=False, indent=2))
        storage = get_storage()
        for name, rows in data.items():
            table = _registered(name)
            columns = list(rows[0]) if rows else [
                column.name for column in SQLModel.metadata.tables[name].columns
                if column.name not in table.hidden_columns()]
            text_out = io.StringIO()
            writer = csv.DictWriter(text_out, fieldnames=columns)
            writer.writeheader()
            for row in rows:
                writer.writerow({key: json.dumps(value, ensure_ascii=False)
                                 if isinstance(value, list | dict) else value
                                 for key, value in row.items()})
            # A BOM, so a spreadsheet reads the Hebrew.
            archive.writestr(f"{name}.csv", "\ufeff" + text_out.getvalue())
            for key_column in table.file_columns():
                for row in rows:
                    key = row.get(key_column)  # a storage key (text), or None
                    if not isinstance(key, str) or not key or name == "personal_data_exports":
                        continue
                    try:
                        content = storage.get(key)
                    except FileNotFoundError:
                        continue
                    label = safe_filename(str(row.get("filename") or key.rsplit("/", 1)[-1]))
                    archive.writestr(f"files/{name}/{row.get('id')}-{label}", content)
    return buffer.getvalue()


def _registered(name: str) -> Table:
    return next(table for table in REGISTRY if table.name == name)


def build_due_exports(*, now: datetime, limit: int = 5) -> int:
    """Build up to `limit` pending exports, each in its own transaction as the platform; the
    archive is stored first and the row marked ready in the same transaction that locked it.
    Returns how many were built."""
    built = 0
    hours = get_settings().personal_data_export_hours
    for _ in range(limit):
        with unit_of_work(SYSTEM) as session:
            row = session.exec(select(PersonalDataExport)
                               .where(PersonalDataExport.status == ExportStatus.pending)
                               .order_by(col(PersonalDataExport.requested_at))
                               .limit(1).with_for_update(skip_locked=True)).first()
            if row is None:
                return built
            try:
                content = build_archive(session, row.user_id, now)
            except Exception as error:  # recorded for the person, without their data
                logger.exception("personal data export %s failed", row.id)
                row.status, row.error = ExportStatus.failed, error.__class__.__name__[:300]
                session.add(row)
                continue
            key = f"exports/{row.user_id}/{row.id}.zip"
            get_storage().put(key, content, EXPORT_CONTENT_TYPE)
            row.status, row.storage_key, row.size_bytes = ExportStatus.ready, key, len(content)
            row.ready_at, row.expires_at = now, now + timedelta(hours=hours)
            session.add(row)
            built += 1
    return built


def expire_exports(*, session: Session, now: datetime) -> int:
    """Delete the archives past their expiry (the rows stay 90 days, for the limits) and the
    rows older than that. Run as the platform."""
    rows = session.exec(select(PersonalDataExport)
                        .where(PersonalDataExport.status == ExportStatus.ready,
                               col(PersonalDataExport.expires_at) <= now)
                        .with_for_update(skip_locked=True)).all()
    keys = []
    for row in rows:
        keys.append(row.storage_key)
        row.status, row.storage_key = ExportStatus.expired, None
        session.add(row)
    session.flush()
    _delete_files_after_commit(session, keys)
    session.execute(text("DELETE FROM personal_data_exports WHERE requested_at < :cutoff"
                         " AND status <> 'ready'"), {"cutoff": now - EXPORT_ROW_RETENTION})
    return len(rows)


# --- closing an account --------------------------------------------------------------------


@dataclass(frozen=True)
class ClosureReport:
    user_id: uuid.UUID
    cancelled_leads: int
    withdrawn_proposals: int
    closed_businesses: int
    rows: dict[str, int] = field(default_factory=dict)  # table → rows deleted or anonymised


def obligations(session: Session, user_id: uuid.UUID) -> Obligations:
    """What this person still has open (run as the platform: it counts businesses' rows)."""
    params: dict[str, object] = {"user_id": str(user_id)}

    def count(sql: str) -> int:
        return int(session.execute(text(sql), params).scalar_one())

    sole = [str(row[0]) for row in session.execute(text(
        "SELECT m.professional_id FROM professional_members m WHERE m.user_id = :user_id"
        " AND NOT EXISTS (SELECT 1 FROM professional_members o"
        "  WHERE o.professional_id = m.professional_id AND o.user_id <> :user_id)"),
        params).all()]
    params["sole"] = sole
    paid = [row[0] for row in session.execute(text(
        "SELECT id FROM payments WHERE payer_user_id = :user_id"
        " AND status IN ('paid', 'partially_refunded')"), params).all()]
    balances = [ledger.balances(session, uuid.UUID(pid)) for pid in sole]
    return Obligations(
        leads_in_progress=count(
            "SELECT count(*) FROM leads WHERE owner_user_id = :user_id"
            " AND status IN ('awarded', 'in_progress', 'completed', 'disputed')"),
        money_held=len(ledger.open_holds(session, paid)),
        open_disputes=count(
            "SELECT count(*) FROM disputes d JOIN leads l ON l.id = d.lead_id"
            " WHERE d.status = 'open' AND (d.opened_by = :user_id"
            " OR l.owner_user_id = :user_id OR l.performer_professional_id IN"
            " (SELECT professional_id FROM professional_members WHERE user_id = :user_id))"),
        jobs_in_progress=count(
            "SELECT count(*) FROM leads WHERE performer_professional_id"
            " = ANY(CAST(:sole AS uuid[]))"
            " AND status IN ('awarded', 'in_progress', 'completed', 'disputed')"),
        wallet_balance=any(value != 0 for b in balances
                           for value in (b.pending, b.available, b.in_payout)),
        last_owner_of_team=count(
            "SELECT count(*) FROM professional_members m WHERE m.user_id = :user_id"
            " AND m.role = 'owner'"
            " AND EXISTS (SELECT 1 FROM professional_members o"
            "  WHERE o.professional_id = m.professional_id AND o.user_id <> :user_id)"
            " AND NOT EXISTS (SELECT 1 FROM professional_members o"
            "  WHERE o.professional_id = m.professional_id AND o.user_id <> :user_id"
            "  AND o.role = 'owner')"),
    )


def closure_check(*, session: Session, caller: Caller) -> list[str]:
    """What the caller must settle before closing their account (message keys; empty when it
    may close now). For the account page, which shows them before the confirmation."""
    me = users.require_user(caller)
    with trusted_step(session, caller):
        return closure_blockers(obligations(session, me))


def _confirmed(user: User, confirmation: str) -> bool:
    typed = (confirmation or "").strip()
    if not typed:
        return False
    if user.email and typed.lower() == user.email:
        return True
    if user.phone:
        try:
            return identity.normalize_phone(typed) == user.phone
        except InvalidInput:
            return False
    return False


def close_account(*, session: Session, caller: Caller, confirmation: str,
                  now: datetime | None = None) -> ClosureReport:
    """Close the caller's own account, in this one transaction: cancel their open leads,
    withdraw their pending proposals, erase or anonymise every registered table as the registry
    says (stored files are deleted once it commits), revoke every session, and keep the ledger,
    payments, payouts and audit rows de-identified. Audited.

    The caller confirms by typing their phone number or e-mail address (422 on `confirmation`
    otherwise). Refused (409 `account_has_obligations`, naming each) while a lead is in
    progress, money is held, a dispute is open, a business they run alone has a job in
    progress or any balance, or they are the last owner of a team. Admins close no account
    here (409): another admin removes their role first.
    """
    me = users.get_me(session=session, caller=caller)
    now = now or utcnow()
    if not _confirmed(me, confirmation):
        raise InvalidInput(fields={"confirmation": "errors.privacy.confirmation"})
    if me.role == UserRole.admin:
        raise Conflict("errors.privacy.admin", code="admin_account")
    session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                    {"key": f"ofair.close.{me.id}"})
    reasons = closure_check(session=session, caller=caller)
    if reasons:
        # One entry per obligation, named by its last word (`lead_in_progress`, …).
        raise Conflict("errors.privacy.blocked", code="account_has_obligations",
                       fields={key.rsplit(".", 1)[-1]: key for key in reasons})
    return _close(session, caller, me.id, now=now, reason="request")


def _close(session: Session, caller: Caller, user_id: uuid.UUID, *, now: datetime,
           reason: str) -> ClosureReport:
    from ofair_app.services import leads as lead_service
    from ofair_app.services import proposals as proposal_service

    cancelled = withdrawn = 0
    if caller.user_id == user_id:  # the person's own moves, with their own notifications
        for lead_id in session.exec(select(Lead.id).where(Lead.owner_user_id == user_id,
                                                          Lead.status == LeadStatus.active)):
            lead_service.cancel_lead(session=session, caller=caller, lead_id=lead_id)
            cancelled += 1
        for proposal_id in session.exec(select(Proposal.id).where(
                Proposal.created_by == user_id, Proposal.status == "pending")):
            proposal_service.withdraw_proposal(session=session, caller=caller,
                                               proposal_id=proposal_id)
            withdrawn += 1
    with trusted_step(session, caller):
        if caller.user_id != user_id:  # the retention job: no one to notify
            cancelled = affected(session.execute(text(
                "UPDATE leads SET status = 'cancelled', cancelled_at = :now"
                " WHERE owner_user_id = :user_id AND status = 'active'"),
                {"now": now, "user_id": str(user_id)}))
            withdrawn = affected(session.execute(text(
                "UPDATE proposals SET status = 'withdrawn' WHERE created_by = :user_id"
                " AND status = 'pending'"), {"user_id": str(user_id)}))
        closed = affected(session.execute(text(
            "UPDATE professionals SET status = 'suspended', verified = false"
            " WHERE id IN (SELECT m.professional_id FROM professional_members m"
            "  WHERE m.user_id = :user_id AND NOT EXISTS (SELECT 1 FROM professional_members o"
            "  WHERE o.professional_id = m.professional_id AND o.user_id <> :user_id))"),
            {"user_id": str(user_id)}))
        # Closed first: a closed account is the only one allowed neither phone nor e-mail.
        session.execute(text(
            "UPDATE users SET is_active = false, closed_at = :now, role = 'consumer'"
            " WHERE id = :user_id"), {"now": now, "user_id": str(user_id)})
        counts = erase(session, user_id)
        # Without the address: the closure is de-identified like the rest of the trail.
        audit.security_event(session=session, caller=SYSTEM, action="account.closed",
                             user_id=user_id,
                             detail={"reason": reason, "rows": counts,
                                     "cancelled_leads": cancelled,
                                     "withdrawn_proposals": withdrawn,
                                     "closed_businesses": closed})
    session.expire_all()
    return ClosureReport(user_id=user_id, cancelled_leads=cancelled,
                         withdrawn_proposals=withdrawn, closed_businesses=closed, rows=counts)


def erase(session: Session, user_id: uuid.UUID) -> dict[str, int]:
    """Apply every registered table's erasure to this person's rows, in registry order (users
    last); stored files go once the transaction commits. Run as the platform."""
    params = {"user_id": str(user_id)}
    counts: dict[str, int] = {}
    keys: list[str] = []
    for table in REGISTRY:
        where = table.erase_condition
        if where is None or table.erasure is Erasure.keep:
            continue
        for key_column in table.file_columns():
            keys += [row[0] for row in session.execute(
                text(f"SELECT {key_column} FROM {table.name} WHERE ({where})"  # noqa: S608
                     f" AND {key_column} IS NOT NULL"), params).all()]
        if table.erasure is Erasure.delete:
            result = session.execute(
                text(f"DELETE FROM {table.name} WHERE {where}"), params)  # noqa: S608
        else:
            assignments, values = _blanks(table)
            if not assignments:
                continue
            statement = text(
                f"UPDATE {table.name} SET {assignments} WHERE {where}")  # noqa: S608
            for name, value in values.items():
                if isinstance(value, list):
                    statement = statement.bindparams(bindparam(name, type_=ARRAY(
                        _column_type(table.name, name[len("blank_"):]))))
            result = session.execute(statement, params | values)
        touched = affected(result)
        if touched:
            counts[table.name] = touched
    _delete_files_after_commit(session, keys)
    return counts


def _column_type(table: str, column: str) -> TypeEngine[Any]:
    sa_column = SQLModel.metadata.tables[table].columns[column]
    return sa_column.type.item_type if isinstance(sa_column.type, ARRAY) else sa_column.type


def _blanks(table: Table) -> tuple[str, dict[str, object]]:
    """`col = :blank_col, …` for the columns to erase, and their blank values: the column's
    replacement, else NULL where allowed, else an empty string or array."""
    model = SQLModel.metadata.tables[table.name]
    parts, values = [], {}
    for name in table.erasable_columns():
        column = table.columns[name]
        sa_column = model.columns[name]
        if column.replacement is not None:
            value = column.replacement
        elif sa_column.nullable:
            value = None
        elif isinstance(sa_column.type, ARRAY):
            value = []
        else:
            value = ""
        parts.append(f"{name} = :blank_{name}")
        values[f"blank_{name}"] = value
    return ", ".join(parts), values


def _delete_files_after_commit(session: Session, keys: Iterable[str | None]) -> None:
    """Delete these stored files once the transaction commits (never before: a rollback would
    leave rows pointing at files that are gone)."""
    present = [key for key in keys if key]
    if not present:
        return

    def delete(_session: orm.Session) -> None:
        storage = get_storage()
        for key in present:
            try:
                storage.delete(key)
            except Exception:  # a file left behind is logged and found by the next run
                logger.exception("could not delete stored file %s", key)

    event.listen(session.sync_session if hasattr(session, "sync_session") else session,
                 "after_commit", delete, once=True)


# --- retention ------------------------------------------------------------------------------


def purge_closed_lead_files(*, session: Session, now: datetime, limit: int = 500) -> int:
    """Delete the attachments (and their files) of leads closed or cancelled more than
    LEAD_FILES_RETENTION_DAYS ago, and of their proposals. Run as the platform."""
    cutoff = now - timedelta(days=get_settings().lead_files_retention_days)
    finished = ("lead_id IN (SELECT id FROM leads WHERE"
                " (status = 'closed' AND closed_at < :cutoff)"
                " OR (status = 'cancelled' AND cancelled_at < :cutoff))")
    total = 0
    for table, owner in (("lead_attachments", finished),
                         ("proposal_attachments",
                          "proposal_id IN (SELECT id FROM proposals WHERE "  # noqa: S608
                          + finished + ")")):
        rows = session.execute(text(
            f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE {owner}"  # noqa: S608
            " LIMIT :limit) RETURNING storage_key"), {"cutoff": cutoff, "limit": limit}).all()
        _delete_files_after_commit(session, [row[0] for row in rows])
        total += len(rows)
    return total


def purge_closed_lead_chats(*, session: Session, now: datetime, limit: int = 500) -> int:
    """Delete the conversations of leads closed or cancelled more than
    LEAD_FILES_RETENTION_DAYS ago (they go with the lead's files). Run as the platform."""
    cutoff = now - timedelta(days=get_settings().lead_files_retention_days)
    return affected(session.execute(text(
        "DELETE FROM chat_messages WHERE id IN (SELECT m.id FROM chat_messages m"
        " JOIN chat_threads t ON t.id = m.thread_id JOIN leads l ON l.id = t.lead_id"
        " WHERE (l.status = 'closed' AND l.closed_at < :cutoff)"
        " OR (l.status = 'cancelled' AND l.cancelled_at < :cutoff) LIMIT :limit)"),
        {"cutoff": cutoff, "limit": limit}))


def purge_answered_invitations(*, session: Session, now: datetime) -> int:
    """Team invitations answered, cancelled or expired more than 90 days ago."""
    return affected(session.execute(text(
        "DELETE FROM professional_invitations WHERE status <> 'pending'"
        " AND coalesce(responded_at, expires_at) < :cutoff"),
        {"cutoff": now - ANSWERED_INVITATION_RETENTION}))


def purge_webhook_rejections(*, session: Session, now: datetime) -> int:
    return affected(session.execute(
        text("DELETE FROM webhook_rejections WHERE received_at < :cutoff"),
        {"cutoff": now - WEBHOOK_REJECTION_RETENTION}))


def _last_seen() -> ColumnElement[datetime | None]:
    # Accounts made for someone (an invitation, an admin) count from their creation.
    return func.coalesce(User.last_login_at, User.created_at)


def _inactive_since(now: datetime) -> datetime:
    return now - timedelta(days=get_settings().inactive_account_days)


def notify_inactive(*, session: Session, now: datetime, limit: int = 500) -> int:
    """Tell people whose account has been idle for INACTIVE_ACCOUNT_DAYS minus
    INACTIVE_NOTICE_DAYS that it will be closed unless they sign in; once per idle period."""
    settings = get_settings()
    due = _inactive_since(now) + timedelta(days=settings.inactive_notice_days)
    rows = session.exec(select(User).where(
        col(User.closed_at).is_(None), User.role != UserRole.admin,
        col(User.inactivity_notice_at).is_(None),
        _last_seen() < due).limit(limit).with_for_update(skip_locked=True)).all()
    base = settings.ofair_public_url.rstrip("/")
    for user in rows:
        close_on = (now + timedelta(days=settings.inactive_notice_days)).date().isoformat()
        notifications.tell(session=session, caller=SYSTEM, template="account_inactive",
                           params={"close_on": close_on, "url": f"{base}/login"},
                           users=[user.id])
        user.inactivity_notice_at = now
        session.add(user)
    session.flush()
    return len(rows)


def close_inactive(*, session: Session, now: datetime, limit: int = 50,
                   skip: int = 0) -> tuple[int, int]:
    """Close the accounts told INACTIVE_NOTICE_DAYS ago that nobody signed in to since; those
    with open obligations wait (an admin sees them in the job's report). `skip` passes over
    that many candidates (the ones that waited in earlier batches). Returns (closed,
    waiting)."""
    notice_cutoff = now - timedelta(days=get_settings().inactive_notice_days)
    candidates = session.exec(select(User.id).where(
        col(User.closed_at).is_(None), User.role != UserRole.admin,
        col(User.inactivity_notice_at) <= notice_cutoff,
        _last_seen() < _inactive_since(now))
        .order_by(col(User.id)).offset(skip).limit(limit)).all()
    closed = waiting = 0
    for user_id in candidates:
        if closure_blockers(obligations(session, user_id)):
            waiting += 1
            continue
        _close(session, SYSTEM, user_id, now=now, reason="inactive")
        closed += 1
    return closed, waiting


