"""Leads: posting a consumer request or a professional lead, reading it, editing and cancelling
it, its attachments, and revealing the client's details to those who may see them.

The public part of a lead (`leads`) never holds a client's name, phone or address; those live
in `consumer_leads` / `professional_leads`, which RLS opens only to the owner, the accepted
performer and admins. Every time someone other than the owner is shown them, a
`contact_access_logs` row records who, when, from where and why; a refusal writes nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlmodel import Session, col, func, select

from ofair_app import reference
from ofair_app.adapters.storage import (
    ALLOWED_DOCUMENT_TYPES,
    get_storage,
    safe_filename,
    validate_upload,
)
from ofair_app.db.engine import Caller
from ofair_app.domain import commission, identity
from ofair_app.domain import leads as rules
from ofair_app.domain.errors import Conflict, FieldErrors, Forbidden, InvalidInput, NotFound
from ofair_app.domain.leads import Event, LeadStatus, LeadType, LeadVisibility
from ofair_app.domain.masking import hide_contacts
from ofair_app.domain.proposals import Party
from ofair_app.i18n import translate
from ofair_app.models import (
    AccessReason,
    ConsumerLead,
    ContactAccessLog,
    Lead,
    LeadAttachment,
    LeadCreate,
    LeadUpdate,
    MilestonePhoto,
    Professional,
    ProfessionalLead,
    ProposalAttachment,
)
from ofair_app.models._base import utcnow
from ofair_app.services import notifications, unlocks, users
from ofair_app.services.professionals import require_member
from ofair_app.settings import get_settings

LINK_SECONDS = 300
_EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}
# The rows of stored files `store_file` writes.
T = TypeVar("T", LeadAttachment, ProposalAttachment, MilestonePhoto)


@dataclass(frozen=True)
class ClientDetails:
    """The client's details, for those who may see them."""

    name: str
    phone: str
    address: str
    full_description: str


@dataclass(frozen=True)
class LeadView:
    """A lead as the caller may see it. `client` is None unless the caller owns the lead; the
    accepted performer and admins get `can_view_contact` and ask for it (and are logged)."""

    lead: Lead
    relation: AccessReason | None
    client: ClientDetails | None

    @property
    def can_view_contact(self) -> bool:
        return self.relation is not None


# --- reading the input -------------------------------------------------------------------


def public_summary(description: str) -> str:
    """What the board shows of a description: phone numbers and e-mail addresses hidden (a
    client who typed their number into the text is still protected), one line, at most 280
    characters, cut at a word."""
    text = " ".join(hide_contacts(description).split())
    limit = rules.SHORT_DESCRIPTION_MAX
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,.;:-") + "…"


def _client_phone(raw: str | None, field: str = "client_phone") -> str:
    if raw is None or not raw.strip():
        raise InvalidInput(fields={field: "errors.field.required"})
    e164 = identity.normalize_phone(raw, field=field)
    if not e164.startswith("+972"):
        raise InvalidInput(fields={field: "errors.lead.phone_israeli"})
    return e164


def _place(locality_id: int | None, lat: float | None,
           lon: float | None) -> tuple[int | None, float, float]:
    """A locality, or a point in Israel (then the nearest locality names it)."""
    if (lat is None) != (lon is None):
        raise InvalidInput(fields={"lat" if lat is None else "lon": "errors.field.required"})
    if lat is not None and lon is not None:
        if not rules.in_israel(lat, lon):
            raise InvalidInput(fields={"lat": "errors.lead.outside_israel"})
        if locality_id is None:
            nearest = min(reference.localities(),
                          key=lambda loc: reference.distance_km(lat, lon, loc.lat, loc.lon))
            locality_id = nearest.id
        elif reference.locality(locality_id) is None:
            raise InvalidInput(fields={"locality_id": "errors.locality.unknown"})
        return locality_id, lat, lon
    if locality_id is None:
        raise InvalidInput(fields={"locality_id": "errors.lead.place_required"})
    locality = reference.locality(locality_id)
    if locality is None:
        raise InvalidInput(fields={"locality_id": "errors.locality.unknown"})
    return locality.id, locality.lat, locality.lon


def _category(category: str, subcategory: str | None) -> tuple[str, str | None]:
    if not category:
        raise InvalidInput(fields={"category": "errors.category.required"})
    if reference.category(category) is None:
        raise InvalidInput(fields={"category": "errors.category.unknown"})
    if subcategory:
        found = reference.subcategory(subcategory)
        if found is None or found[0].slug != category:
            raise InvalidInput(fields={"subcategory": "errors.category.sub_unknown"})
    return category, subcategory or None


def today() -> date:
    return datetime.now(ZoneInfo(get_settings().ofair_timezone)).date()


def _preferred_date(value: date | None) -> date | None:
    if value is None:
        return None
    now = today()
    if value < now:
        raise InvalidInput(fields={"preferred_date": "errors.lead.date_past"})
    if value > now + timedelta(days=366):
        raise InvalidInput(fields={"preferred_date": "errors.lead.date_far"})
    return value


def _plausible_budget(budget: Decimal, category_slug: str) -> Decimal:
    category = reference.category(category_slug)
    return budget if category is None else rules.check_budget(budget, category.budget_range)


def _title(raw: str) -> str:
    low, high = rules.TITLE_LENGTH
    return identity.clean_text(raw, field="title", max_length=high, min_length=low)


def _description(raw: str) -> str:
    low, high = rules.DESCRIPTION_LENGTH
    return identity.clean_text(raw, field="description", max_length=high, min_length=low,
                               multiline=True)


def _address(raw: str | None) -> str:
    return identity.clean_text(raw, field="client_address", max_length=rules.ADDRESS_MAX)


def _client_name(raw: str | None) -> str:
    name = identity.clean_person_name(raw, field="client_name")
    if not name:
        raise InvalidInput(fields={"client_name": "errors.field.required"})
    return name


def request_title(category_slug: str, locality_id: int | None, locale: str) -> str:
    """A consumer request's title, made from what it is and where: `אינסטלציה בחיפה`. Empty
    when either is unknown (the check then names the category or the city)."""
    category = reference.category(category_slug)
    locality = reference.locality(locality_id) if locality_id else None
    if category is None or locality is None:
        return ""
    return translate("ui.request.title_pattern", locale, category=category.name(locale),
                     city=locality.name(locale))


def split_at(amount: Decimal, lead_type: LeadType | str, *, shares: Sequence[Decimal] = (),
             subscribed: bool = False, tier: str | None = None,
             base_pct: Decimal | None = None, any_amount: bool = False) -> commission.Split:
    """What `amount` would pay each side (`shares`: the referrers', in the chain's order), at
    the platform's configured rates (or a commission rule's `base_pct`) for a performer of
    `tier` (performance tiers). `any_amount`: no minimum job amount (what is left of a job
    after a refund)."""
    rates = commission.Rates.from_settings(get_settings())
    if any_amount:
        rates = dataclasses.replace(rates, min_job_amount=Decimal("0"))
    return commission.split(amount, lead_type, referrer_shares=shares,
                            performer_subscribed=subscribed, performer_tier=tier,
                            base_pct=base_pct, rates=rates)


def owner_business(session: Session, lead: Lead) -> Professional | None:
    """The business that posted a pro lead, if the caller may see it (None for a consumer's)."""
    if lead.owner_professional_id is None:
        return None
    return session.get(Professional, lead.owner_professional_id)


# --- posting -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckedLead:
    """A lead's input, every field checked and cleaned, ready to write."""

    lead: Lead
    client_name: str
    client_phone: str
    client_address: str
    full_description: str


def check_lead(data: LeadCreate, *, owner_user_id: uuid.UUID | None = None,
               fallback_name: str = "", fallback_phone: str | None = None) -> CheckedLead:
    """Check every field of a new lead (without writing anything) and name all the bad ones in
    one `InvalidInput`. A consumer request may leave the client's name and phone to the
    account's (`fallback_*`)."""
    checks = FieldErrors()
    title = checks(_title, data.title)
    description = checks(_description, data.description)
    category = checks(_category, data.category, data.subcategory)
    place = checks(_place, data.locality_id, data.lat, data.lon)
    preferred_date = checks(_preferred_date, data.preferred_date)
    address = checks(_address, data.client_address)
    is_consumer = data.type == LeadType.consumer
    budget = share = None
    if is_consumer:
        if data.professional_id is not None or data.referrer_share_percentage is not None:
            checks.add("type", "errors.lead.consumer_terms")
        if data.visibility != LeadVisibility.public:
            checks.add("visibility", "errors.lead.consumer_public")
        if data.budget is not None:
            budget = checks(rules.parse_money, data.budget, field="budget")
        client_name = checks(_client_name, data.client_name or fallback_name)
        client_phone = checks(_client_phone, data.client_phone or fallback_phone)
    else:
        checks.require(data.professional_id, "professional_id")
        checks.require(data.budget, "budget")
        checks.require(data.referrer_share_percentage, "referrer_share_percentage")
        if data.budget is not None:
            budget = checks(rules.parse_money, data.budget, field="budget")
        if data.referrer_share_percentage is not None:
            share = checks(rules.parse_share, data.referrer_share_percentage)
        client_name = checks(_client_name, data.client_name)
        client_phone = checks(_client_phone, data.client_phone)
        if data.direct_contact:
            checks.add("direct_contact", "errors.lead.direct_consumer_only")
    if budget is not None and category is not None:
        checks(_plausible_budget, budget, category[0])
    checks.raise_if_any()
    assert title and description and category and place and client_name and client_phone
    lead = Lead(
        type=data.type, title=title, short_description=public_summary(description),
        category_slug=category[0], subcategory_slug=category[1], locality_id=place[0],
        lat=place[1], lon=place[2], budget=budget, referrer_share_percentage=share,
        preferred_schedule=data.preferred_schedule, preferred_date=preferred_date,
        visibility=LeadVisibility.public if is_consumer else data.visibility,
        owner_user_id=owner_user_id or uuid.UUID(int=0),
        owner_professional_id=None if is_consumer else data.professional_id,
        direct_contact=is_consumer and data.direct_contact)
    return CheckedLead(lead=lead, client_name=client_name, client_phone=client_phone,
                       client_address=address or "", full_description=description)


def create_lead(*, session: Session, caller: Caller, data: LeadCreate) -> Lead:
    """Post a lead. A consumer request may come from anyone signed in (the client is the caller,
    whose name is filled in if their profile had none); a professional lead from a member of an
    active or pending business, with the client's details, an estimated budget and the
    referrer's share. Every field is checked before anything is written."""
    user_id = users.require_user(caller)
    user = users.get_me(session=session, caller=caller)
    checked = check_lead(data, owner_user_id=user_id, fallback_name=user.name,
                         fallback_phone=user.phone)
    lead = checked.lead
    if lead.owner_professional_id is not None:
        require_member(session=session, caller=caller,
                       professional_id=lead.owner_professional_id)
    session.add(lead)
    session.flush()
    details = ConsumerLead if lead.type == LeadType.consumer else ProfessionalLead
    session.add(details(lead_id=lead.id, client_name=checked.client_name,
                        client_phone=checked.client_phone,
                        client_address=checked.client_address,
                        full_description=checked.full_description))
    if lead.type == LeadType.consumer and not user.name:
        user.name = checked.client_name
        session.add(user)
    session.flush()
    session.refresh(lead)
    if session.execute(_ON_BOARD, {"id": lead.id}).first() is not None:
        notifications.announce_lead(session=session, caller=caller, lead=lead,
                                    title=notifications.quoted_title(lead.title),
                                    budget=lead.budget)
    return lead


_ON_BOARD = text("SELECT 1 FROM lead_board WHERE lead_id = :id")


# --- reading -----------------------------------------------------------------------------


def relation_to(lead: Lead, caller: Caller) -> AccessReason | None:
    """Why the caller may see this lead's client: as its owner, its performer, or an admin."""
    if caller.user_id is None:
        return None
    if (lead.owner_professional_id is None and lead.owner_user_id == caller.user_id) or (
            lead.owner_professional_id in caller.professional_ids):
        return AccessReason.owner
    if lead.performer_professional_id is not None and \
            lead.performer_professional_id in caller.professional_ids:
        return AccessReason.performer
    if caller.role == "admin":
        return AccessReason.admin
    return None


def find_lead(session: Session, lead_id: uuid.UUID, *, lock: bool = False) -> Lead:
    """The lead, if the caller may see it at all (a private lead of another business is simply
    not found, as RLS hides it). With `lock`, the row is locked for a change, which only its
    owner (and the platform) may make: anyone else gets 403."""
    lead = session.exec(select(Lead).where(Lead.id == lead_id)).first()
    if lead is None:
        raise NotFound("errors.lead.not_found")
    if lock:
        # RLS lets FOR UPDATE see only rows the caller may change.
        locked = session.exec(select(Lead).where(Lead.id == lead_id).with_for_update()
                              .execution_options(populate_existing=True)).first()
        if locked is None:
            raise Forbidden("errors.lead.owner_only", code="not_lead_owner")
        return locked
    return lead


def _client(session: Session, lead: Lead) -> ClientDetails | None:
    row: ConsumerLead | ProfessionalLead | None = (
        session.get(ConsumerLead, lead.id) if lead.type == LeadType.consumer
        else session.get(ProfessionalLead, lead.id))
    if row is None:
        return None
    return ClientDetails(name=row.client_name, phone=row.client_phone,
                         address=row.client_address, full_description=row.full_description)


def get_lead(*, session: Session, caller: Caller, lead_id: uuid.UUID) -> LeadView:
    """A lead for anyone who may see it; the client's details only for its owner (a business
    that unlocked it, the performer and admins may ask for them: `reveal_contact`)."""
    lead = find_lead(session, lead_id)
    relation = relation_to(lead, caller)
    if relation is None and lead.direct_contact and unlocks.unlocked_by_caller(
            session, caller, lead.id) is not None:
        relation = AccessReason.unlock
    client = _client(session, lead) if relation == AccessReason.owner else None
    return LeadView(lead=lead, relation=relation, client=client)


def reveal_contact(*, session: Session, caller: Caller, lead_id: uuid.UUID, ip: str = "",
                   user_agent: str = "") -> ClientDetails:
    """The client's name, phone and address, for the owner, the accepted performer, a business
    that unlocked the (direct-contact) lead, and admins.
    A read by anyone but the owner is logged; anyone else gets 403 and nothing is written."""
    me = users.require_user(caller)
    lead = find_lead(session, lead_id)
    relation = relation_to(lead, caller)
    unlocked_for = None
    if relation is None:
        unlocked_for = unlocks.unlocked_by_caller(session, caller, lead.id)
        if unlocked_for is not None:
            relation = AccessReason.unlock
    if relation is None:
        raise Forbidden("errors.lead.contact_forbidden", code="contact_forbidden")
    client = _client(session, lead)
    if client is None:
        raise NotFound("errors.lead.not_found")
    if relation != AccessReason.owner:
        professional_id = (lead.performer_professional_id
                           if relation == AccessReason.performer else unlocked_for)
        session.add(ContactAccessLog(lead_id=lead.id, user_id=me,
                                     professional_id=professional_id, reason=relation,
                                     ip=ip[:64], user_agent=user_agent[:200]))
        session.flush()
    return client


def my_leads(*, session: Session, caller: Caller, professional_id: uuid.UUID | None = None,
             status: LeadStatus | None = None, limit: int = 50) -> list[Lead]:
    """The caller's own requests (newest first), or a business's leads for its members."""
    user_id = users.require_user(caller)
    query = select(Lead)
    if professional_id is not None:
        require_member(session=session, caller=caller, professional_id=professional_id)
        query = query.where(Lead.owner_professional_id == professional_id)
    else:
        query = query.where(Lead.owner_user_id == user_id,
                            col(Lead.owner_professional_id).is_(None))
    if status is not None:
        query = query.where(Lead.status == status)
    query = query.order_by(col(Lead.created_at).desc(), col(Lead.id).desc())
    return list(session.exec(query.limit(max(1, min(limit, 200)))).all())


# --- changing ----------------------------------------------------------------------------


def require_owner(session: Session, lead: Lead, caller: Caller) -> uuid.UUID:
    """The caller owns the lead: its author, or a member of its (not suspended) business.
    Returns the caller's user id."""
    user_id = users.require_user(caller)
    if relation_to(lead, caller) != AccessReason.owner:
        raise Forbidden("errors.lead.owner_only", code="not_lead_owner")
    if lead.owner_professional_id is not None:
        require_member(session=session, caller=caller,
                       professional_id=lead.owner_professional_id)
    return user_id


class LeadHidden(Conflict):
    """An admin took the lead off the board: no offers, referrals or awards until restored."""

    code, message_key = "lead_hidden", "errors.lead.hidden"


def require_shown(lead: Lead) -> None:
    """409 while an admin keeps the lead hidden (services/admin_leads.hide)."""
    if lead.hidden_at is not None:
        raise LeadHidden()


def _require_open(session: Session, lead: Lead, caller: Caller) -> None:
    require_owner(session, lead, caller)
    if not rules.is_editable(lead.status):
        raise Conflict("errors.lead.not_editable", code="lead_not_editable",
                       params={"status": str(lead.status)})


def update_lead(*, session: Session, caller: Caller, lead_id: uuid.UUID,
                data: LeadUpdate) -> Lead:
    """The owner edits a lead while it is open (409 afterwards); a consumer request stays public
    and has no referral terms."""
    lead = find_lead(session, lead_id, lock=True)
    _require_open(session, lead, caller)
    is_consumer = lead.type == LeadType.consumer
    client_row = session.get(ConsumerLead if is_consumer else ProfessionalLead, lead.id)
    if client_row is None:
        raise NotFound("errors.lead.not_found")

    checks = FieldErrors()
    changes: dict[str, object] = {}
    details: dict[str, object] = {}
    if data.title is not None:
        changes["title"] = checks(_title, data.title)
    if data.description is not None:
        description = checks(_description, data.description)
        if description is not None:
            changes["short_description"] = public_summary(description)
            details["full_description"] = description
    category_slug = lead.category_slug
    if data.category is not None or data.subcategory is not None:
        category = data.category or lead.category_slug
        subcategory = data.subcategory if data.subcategory is not None else (
            lead.subcategory_slug if category == lead.category_slug else None)
        checked = checks(_category, category, subcategory or None)
        if checked is not None:
            category_slug = checked[0]
            changes["category_slug"], changes["subcategory_slug"] = checked
    if data.locality_id is not None or data.lat is not None or data.lon is not None:
        place = checks(_place, data.locality_id, data.lat, data.lon)
        if place is not None:
            changes["locality_id"], changes["lat"], changes["lon"] = place
    budget = lead.budget
    if "budget" in data.model_fields_set:
        if data.budget is None and not is_consumer:
            checks.add("budget", "errors.field.required")
        budget = (None if data.budget is None
                  else checks(rules.parse_money, data.budget, field="budget"))
        changes["budget"] = budget
    if budget is not None and ("budget" in changes or "category_slug" in changes):
        checks(_plausible_budget, budget, category_slug)
    if data.preferred_schedule is not None:
        changes["preferred_schedule"] = data.preferred_schedule
    if "preferred_date" in data.model_fields_set:
        changes["preferred_date"] = checks(_preferred_date, data.preferred_date)
    if data.client_name is not None:
        details["client_name"] = checks(_client_name, data.client_name)
    if data.client_phone is not None:
        details["client_phone"] = checks(_client_phone, data.client_phone)
    if data.client_address is not None:
        details["client_address"] = checks(_address, data.client_address)
    if is_consumer:
        for name in ("referrer_share_percentage", "visibility"):
            if getattr(data, name) is not None:
                checks.add(name, "errors.lead.consumer_terms")
    else:
        if data.referrer_share_percentage is not None:
            changes["referrer_share_percentage"] = checks(rules.parse_share,
                                                          data.referrer_share_percentage)
        if data.visibility is not None:
            changes["visibility"] = data.visibility
    checks.raise_if_any()
    for name, value in changes.items():
        setattr(lead, name, value)
    for name, value in details.items():
        setattr(client_row, name, value)
    session.add(lead)
    session.add(client_row)
    session.flush()
    session.refresh(lead)
    return lead


def cancel_lead(*, session: Session, caller: Caller, lead_id: uuid.UUID) -> Lead:
    """The owner withdraws a lead that is not yet paid for (409 once it is); an award not yet
    paid for ends with it."""
    from ofair_app.services import proposals  # proposals builds on this module

    lead = find_lead(session, lead_id, lock=True)
    require_owner(session, lead, caller)
    if not rules.owner_may_cancel(lead.status):
        raise rules.IllegalTransition(params={"status": str(lead.status),
                                              "event": str(Event.cancel)})
    if lead.status == LeadStatus.awarded:  # the winner's access to the client ends too
        proposals.end_award(session, caller, lead, party=Party.owner)
        lead.performer_professional_id = None
    lead.status = rules.next_status(lead.status, Event.cancel)
    lead.cancelled_at = utcnow()
    session.add(lead)
    session.flush()
    session.refresh(lead)
    return lead


# --- attachments -------------------------------------------------------------------------


def add_attachment(*, session: Session, caller: Caller, lead_id: uuid.UUID, filename: str,
                   data: bytes) -> LeadAttachment:
    """A photo or document of the job (PDF, JPEG, PNG up to 10 MB, type read from the bytes) on
    an open lead, by its owner; as private as the client's phone."""
    lead = find_lead(session, lead_id, lock=True)
    _require_open(session, lead, caller)
    count = session.exec(select(func.count()).select_from(LeadAttachment)
                         .where(LeadAttachment.lead_id == lead.id)).one()
    if count >= rules.MAX_ATTACHMENTS:
        raise Conflict("errors.lead.too_many_attachments", code="too_many_attachments",
                       params={"max": rules.MAX_ATTACHMENTS})
    return store_file(session, LeadAttachment, f"leads/{lead.id}", filename, data,
                      uploaded_by=caller.user_id, lead_id=lead.id)


def store_file(session: Session, model: type[T], prefix: str, filename: str, data: bytes,
               allowed: Collection[str] = ALLOWED_DOCUMENT_TYPES,
               **fields: Any) -> T:
    """Check an upload (type read from the bytes, one of `allowed`), write its row, then store
    its bytes: RLS refuses the row before any byte is stored. `fields` are the row's other
    columns (each model's own, of their own types)."""
    content_type = validate_upload(data, filename, allowed)
    file_id = uuid.uuid4()
    row = model(id=file_id, storage_key=f"{prefix}/{file_id}{_EXTENSIONS[content_type]}",
                filename=safe_filename(filename), content_type=content_type,
                size_bytes=len(data), sha256=hashlib.sha256(data).hexdigest(), **fields)
    session.add(row)
    session.flush()
    get_storage().put(row.storage_key, data, content_type)
    return row


def list_attachments(*, session: Session, caller: Caller,
                     lead_id: uuid.UUID) -> list[LeadAttachment]:
    """The lead's attachments, for those who may see its client (others get 403)."""
    lead = find_lead(session, lead_id)
    if relation_to(lead, caller) is None:
        raise Forbidden("errors.lead.contact_forbidden", code="contact_forbidden")
    return list(session.exec(select(LeadAttachment).where(LeadAttachment.lead_id == lead.id)
                             .order_by(col(LeadAttachment.created_at))).all())


def attachment_link(*, session: Session, caller: Caller, attachment_id: uuid.UUID) -> str:
    """A five-minute download link; someone who may not see the client finds nothing."""
    users.require_user(caller)
    return file_link(session.get(LeadAttachment, attachment_id))


def file_link(row: LeadAttachment | ProposalAttachment | None) -> str:
    """A five-minute link to a stored file the caller could read (RLS found the row)."""
    if row is None:
        raise NotFound("errors.attachment.not_found")
    return get_storage().signed_url(row.storage_key, filename=row.filename,
                                    content_type=row.content_type, expires_in=LINK_SECONDS)


def delete_attachment(*, session: Session, caller: Caller, attachment_id: uuid.UUID) -> None:
    attachment = session.get(LeadAttachment, attachment_id)
    if attachment is None:
        raise NotFound("errors.attachment.not_found")
    lead = find_lead(session, attachment.lead_id, lock=True)
    _require_open(session, lead, caller)
    session.delete(attachment)
    session.flush()
    get_storage().delete(attachment.storage_key)
