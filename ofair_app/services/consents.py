"""Consents: acknowledging the privacy notice, accepting the terms, opting in to marketing.

Every answer is a new `consents` row (the table is append-only for the app role); a person's
current answer of a kind is their newest row. The login step records the first answers of a new
account (as the system caller: the account is made in that step); afterwards a person records
their own, and a one-click unsubscribe link withdraws marketing without a login.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlmodel import Session

from ofair_app import policies
from ofair_app.db.engine import Caller, trusted_step
from ofair_app.domain import consent as rules
from ofair_app.domain.consent import Acceptance, ConsentChannel, ConsentKind
from ofair_app.domain.errors import InvalidInput, Unauthenticated
from ofair_app.models import Consent
from ofair_app.models._base import utcnow
from ofair_app.settings import get_settings


@dataclass(frozen=True)
class Answer:
    """A person's newest answer of one kind."""

    version: str
    accepted: bool
    at: datetime


@dataclass(frozen=True)
class DocumentStatus:
    kind: ConsentKind
    current_version: str
    accepted_version: str | None
    accepted_at: datetime | None

    @property
    def needs_acceptance(self) -> bool:
        return self.accepted_version != self.current_version


@dataclass(frozen=True)
class ConsentStatus:
    privacy_notice: DocumentStatus
    terms: DocumentStatus
    marketing: bool
    marketing_at: datetime | None

    @property
    def pending(self) -> frozenset[ConsentKind]:
        return frozenset(d.kind for d in (self.privacy_notice, self.terms) if d.needs_acceptance)


_LATEST = text("""
    SELECT DISTINCT ON (kind) kind, version, accepted, at
      FROM consents WHERE user_id = :user_id
     ORDER BY kind, at DESC, id DESC
""")


def latest_answers(session: Session, user_id: uuid.UUID) -> dict[ConsentKind, Answer]:
    """The newest answer of each kind the person gave (what RLS lets the caller read)."""
    return {ConsentKind(row.kind): Answer(row.version, row.accepted, row.at)
            for row in session.execute(_LATEST, {"user_id": user_id})}


def _accepted_versions(answers: dict[ConsentKind, Answer]) -> dict[ConsentKind, str | None]:
    return {kind: (answer.version if answer.accepted else None)
            for kind, answer in answers.items()}


def _write(session: Session, user_id: uuid.UUID, kind: ConsentKind, version: str,
           accepted: bool, channel: ConsentChannel, now: datetime) -> None:
    session.add(Consent(user_id=user_id, kind=kind, version=version, accepted=accepted,
                        channel=channel, at=now))


def _record(session: Session, user_id: uuid.UUID, acceptance: Acceptance,
            channel: ConsentChannel, now: datetime) -> None:
    """Write what `acceptance` says that differs from the person's current answers. Versions
    it names must be the current ones (422 otherwise, naming them)."""
    current = policies.current_versions()
    given = frozenset(kind for kind in rules.REQUIRED_AT_SIGNUP
                      if acceptance.version_of(kind) is not None)
    rules.check_acceptance(acceptance, current, needed=given)
    answers = latest_answers(session, user_id)
    accepted = _accepted_versions(answers)
    for kind in sorted(given):
        if accepted.get(kind) != current[kind]:
            _write(session, user_id, kind, current[kind], True, channel, now)
    if acceptance.marketing is not None:
        # A first answer is kept even when it is "no": it shows the person was asked.
        marketing = answers.get(ConsentKind.marketing)
        if marketing is None or marketing.accepted != acceptance.marketing:
            _write(session, user_id, ConsentKind.marketing, policies.MARKETING_VERSION,
                   acceptance.marketing, channel, now)
    session.flush()


def current_acceptance(marketing: bool | None = None) -> Acceptance:
    """The current documents acknowledged (what a page that showed them sends), with the
    marketing answer given beside them (None: not asked)."""
    current = policies.current_versions()
    return Acceptance(privacy_notice_version=current[ConsentKind.privacy_notice],
                      terms_version=current[ConsentKind.terms], marketing=marketing)


def check_signup(acceptance: Acceptance | None) -> None:
    """Refuse (422 `consent_required`, naming the current versions) an account opened without
    acknowledging the current privacy notice and accepting the current terms."""
    rules.check_acceptance(acceptance, policies.current_versions())


def record_signup(*, session: Session, user_id: uuid.UUID, acceptance: Acceptance,
                  channel: ConsentChannel, now: datetime | None = None) -> None:
    """The first answers of an account made in this transaction. Only the login step calls it,
    as the system caller, after `check_signup`."""
    check_signup(acceptance)
    _record(session, user_id, acceptance, channel, now or utcnow())


def _require_user(caller: Caller) -> uuid.UUID:
    if caller.user_id is None:
        raise Unauthenticated()
    return caller.user_id


def status(*, session: Session, caller: Caller) -> ConsentStatus:
    """The caller's own answers against the current documents. Any signed-in person."""
    user_id = _require_user(caller)
    return _status(latest_answers(session, user_id))


def _status(answers: dict[ConsentKind, Answer]) -> ConsentStatus:
    current = policies.current_versions()

    def document(kind: ConsentKind) -> DocumentStatus:
        answer = answers.get(kind)
        if answer is None or not answer.accepted:
            return DocumentStatus(kind, current[kind], None, None)
        return DocumentStatus(kind, current[kind], answer.version, answer.at)

    marketing = answers.get(ConsentKind.marketing)
    return ConsentStatus(privacy_notice=document(ConsentKind.privacy_notice),
                         terms=document(ConsentKind.terms),
                         marketing=bool(marketing and marketing.accepted),
                         marketing_at=marketing.at if marketing else None)


def record(*, session: Session, caller: Caller, acceptance: Acceptance,
           channel: ConsentChannel, now: datetime | None = None) -> ConsentStatus:
    """The caller acknowledges documents (their current versions only: 422 naming them
    otherwise) and/or gives or withdraws marketing consent. Any signed-in person, for
    themselves only; answers equal to the current ones write nothing."""
    user_id = _require_user(caller)
    _record(session, user_id, acceptance, channel, now or utcnow())
    return _status(latest_answers(session, user_id))


def pending_for(session: Session, user_id: uuid.UUID) -> frozenset[ConsentKind]:
    """The documents whose current version `user_id` has not acknowledged (read in the
    caller's context: their own rows, or the system's)."""
    return rules.outdated(policies.current_versions(),
                          _accepted_versions(latest_answers(session, user_id)))


def has_marketing_opt_in(*, session: Session, caller: Caller, user_id: uuid.UUID) -> bool:
    """Whether `user_id` currently agrees to marketing. Read as the platform inside the
    caller's transaction: whoever sends marketing may not read other people's consents."""
    with trusted_step(session, caller):
        answer = latest_answers(session, user_id).get(ConsentKind.marketing)
    return bool(answer and answer.accepted)


def unsubscribe_link(user_id: uuid.UUID, *, now: datetime | None = None) -> str:
    """The one-click link that withdraws `user_id`'s marketing consent, without a login."""
    settings = get_settings()
    token = rules.unsubscribe_token(user_id, secret=settings.ofair_secret_key.get_secret_value(),
                                    now=now or utcnow())
    return f"{settings.ofair_public_url.rstrip('/')}/unsubscribe?token={token}"


def unsubscribe(*, session: Session, token: str, channel: ConsentChannel,
                now: datetime | None = None) -> uuid.UUID:
    """Withdraw marketing consent for the person a signed link names. Anyone holding the link
    (it is the proof); run as the system caller. 422 `unsubscribe_link_invalid` for a link we
    did not sign, `unsubscribe_link_expired` for an old one. A second click changes nothing."""
    now = now or utcnow()
    secret = get_settings().ofair_secret_key.get_secret_value()
    try:
        user_id = rules.read_unsubscribe_token(token, secret=secret, now=now)
    except rules.BadUnsubscribeToken as error:
        name = "expired" if error.expired else "invalid"
        raise InvalidInput(f"errors.unsubscribe.{name}",
                           fields={"token": f"errors.unsubscribe.{name}"},
                           code=f"unsubscribe_link_{name}") from None
    answer = latest_answers(session, user_id).get(ConsentKind.marketing)
    if answer is not None and answer.accepted:
        _write(session, user_id, ConsentKind.marketing, policies.MARKETING_VERSION, False,
               channel, now)
        session.flush()
    return user_id
