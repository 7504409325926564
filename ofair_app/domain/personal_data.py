"""Every table and column that holds personal data: what it is, how long it stays and what
closing an account does to it (the registry Amendment 13 asks for; issue 15 point 5).

The registry drives the rights, so it cannot drift from them:
- the export ("download all my data", `services/privacy.build_export`) reads every table here
  through its `subject` (the rows that are about the person) and writes one CSV per table;
- closing an account (`services/privacy.close_account`) applies each table's `erasure` to the
  rows its `erase_where` selects, in the order below (users last);
- `tests/unit/test_personal_data_registry.py` and `tests/integration/test_personal_data_schema.py`
  fail when a table or a personal-looking column exists in the models or in the migrated schema
  without an entry here (or in `NOT_PERSONAL`), or when an entry names something that is gone.

Legal retention: the Income Tax bookkeeping rules keep accounting records (payments, ledger,
payouts and the bank details they were paid to, disputes about them) for 7 years; logs of who
saw a client's details are kept as the security audit the Privacy Protection (Data Security)
Regulations 2017 require. Those rows survive a closure, de-identified: the person's row keeps
only its id (no name, phone or e-mail), and network addresses and browsers are blanked.

SQL fragments here are conditions on the table itself with one parameter, `:user_id`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum


class Category(StrEnum):
    """What kind of personal data a column holds."""

    identity = "identity"  # a person's or a sole trader's name, business ID
    contact = "contact"  # phone, e-mail
    client_contact = "client_contact"  # a lead's client: name, phone, address
    link = "link"  # a reference to a person (user id): pseudonymous once the account is closed
    free_text = "free_text"  # what people wrote; may name anyone or anything
    network = "network"  # IP address (or network)
    device = "device"  # browser user agent
    credential = "credential"  # hashes of codes and tokens: never exported
    file = "file"  # a stored file (the key of the object in storage)
    financial = "financial"  # payments, payment provider payloads
    bank = "bank"  # bank account details for payouts
    activity = "activity"  # when someone did something (last login, notices)


class Erasure(StrEnum):
    """What closing an account does to the rows `erase_where` selects."""

    delete = "delete"  # the rows are deleted (their stored files first)
    anonymise = "anonymise"  # the columns marked `erase` are blanked; the rows stay
    keep = "keep"  # kept whole, as the law requires (`legal_hold` says which law)


@dataclass(frozen=True)
class Column:
    category: Category
    # Blanked (NULL, '' or an empty array) when the row is anonymised; deleted with the row.
    erase: bool = True
    note: str = ""
    # Blanked to this instead of NULL/'' (a column with a check, such as a business's name).
    replacement: object = None


@dataclass(frozen=True)
class Table:
    name: str
    columns: dict[str, Column]
    subject: str | None  # the rows about the person; None: not linkable to a person
    erasure: Erasure
    retention: str  # how long rows stay, in words; the setting or job that enforces it
    erase_where: str | None = None  # defaults to `subject`
    legal_hold: str = ""  # why rows (or columns) outlive a closure
    exported: bool = True

    @property
    def erase_condition(self) -> str | None:
        return self.erase_where or self.subject

    def erasable_columns(self) -> list[str]:
        return [name for name, column in self.columns.items() if column.erase]

    def file_columns(self) -> list[str]:
        return [name for name, column in self.columns.items() if column.category == Category.file]

    def hidden_columns(self) -> set[str]:
        """Columns never written to an export (hashes of secrets)."""
        return {name for name, column in self.columns.items()
                if column.category == Category.credential}


BOOKKEEPING = ("Income Tax (bookkeeping) rules: accounting records and their documents are kept"
               " 7 years")
REVEAL_AUDIT = ("Privacy Protection (Data Security) Regulations 2017: the access log of who saw"
                " a client's details is kept; de-identified (no address, no browser)")

_OWN_LEADS = "lead_id IN (SELECT id FROM leads WHERE owner_user_id = :user_id)"
_OWN_THREADS = f"(SELECT id FROM chat_threads WHERE {_OWN_LEADS})"  # noqa: S608
_OWN_BUSINESSES = ("professional_id IN (SELECT professional_id FROM professional_members"
                   " WHERE user_id = :user_id)")
_OWN_STATEMENTS = ("statement_id IN (SELECT s.id FROM settlement_statements s"
                   " JOIN professional_members m ON m.professional_id = s.professional_id"
                   " WHERE m.user_id = :user_id)")
# Businesses the person runs alone: they close with the account.
_SOLE_BUSINESSES = (
    "professional_id IN (SELECT m.professional_id FROM professional_members m"
    " WHERE m.user_id = :user_id AND NOT EXISTS (SELECT 1 FROM professional_members o"
    " WHERE o.professional_id = m.professional_id AND o.user_id <> :user_id))")
_USER_ADDRESSES = ("(SELECT phone FROM users WHERE id = :user_id AND phone IS NOT NULL"
                   " UNION ALL SELECT email FROM users WHERE id = :user_id AND email IS NOT NULL)")

L = Column(Category.link, erase=False, note="who did it; pseudonymous once the account closes")
IP = Column(Category.network)
UA = Column(Category.device)

# In erasure order: rows that point at others first, `users` last.
REGISTRY: tuple[Table, ...] = (
    Table(
        "personal_data_exports",
        {"user_id": L, "storage_key": Column(Category.file)},
        subject="user_id = :user_id", erasure=Erasure.delete,
        retention="the archive is deleted at `expires_at` (PERSONAL_DATA_EXPORT_HOURS, 24 h);"
                  " the request row 90 days after it was made (`retention` job)",
        exported=False),
    Table(
        "otp_codes",
        {"target": Column(Category.contact), "user_id": L,
         "requester_ip": IP, "code_hash": Column(Category.credential)},
        subject=f"user_id = :user_id OR target IN {_USER_ADDRESSES}", erasure=Erasure.delete,
        retention="a day after it was sent (the send limits count it), `expire_tokens` job"),
    Table(
        "auth_tokens",
        {"user_id": L, "token_hash": Column(Category.credential), "user_agent": UA},
        subject="user_id = :user_id", erasure=Erasure.delete,
        retention="until it expires (30 days) or a day after it is revoked, `expire_tokens` job"),
    Table(
        "outbox_messages",
        {"to_address": Column(Category.contact), "user_id": L,
         "body": Column(Category.free_text, note="may hold a login code until delivered"),
         "subject": Column(Category.free_text)},
        subject=f"user_id = :user_id OR to_address IN {_USER_ADDRESSES}",
        erasure=Erasure.delete,
        retention="30 days after delivery, `deliver_notifications` job"),
    Table(
        "notifications",
        {"user_id": L, "title": Column(Category.free_text,
                                       note="names the other side's business or the lead"),
         "read_at": Column(Category.activity)},
        subject="user_id = :user_id", erasure=Erasure.delete,
        retention="180 days after it was shown, `deliver_notifications` job"),
    Table(
        "notification_preferences",
        {"user_id": L},
        subject="user_id = :user_id", erasure=Erasure.delete,
        retention="while the account is open"),
    Table(
        "notification_quiet_hours",
        {"user_id": L},
        subject="user_id = :user_id", erasure=Erasure.delete,
        retention="while the account is open"),
    Table(
        "professional_invitations",
        {"phone": Column(Category.contact), "email": Column(Category.contact),
         "invited_by": L, "responded_by": L},
        subject=(f"invited_by = :user_id OR responded_by = :user_id"
                 f" OR phone IN {_USER_ADDRESSES} OR email IN {_USER_ADDRESSES}"),
        erase_where=f"phone IN {_USER_ADDRESSES} OR email IN {_USER_ADDRESSES}",
        erasure=Erasure.delete,
        retention="90 days after it was answered, cancelled or expired (`retention` job)"),
    Table(
        "consumer_leads",
        {"client_name": Column(Category.client_contact),
         "client_phone": Column(Category.client_contact, replacement=""),
         "client_address": Column(Category.client_contact),
         "full_description": Column(Category.free_text)},
        subject=_OWN_LEADS, erasure=Erasure.anonymise,
        retention="while the account is open (the request's history stays with the job)"),
    Table(
        "professional_leads",
        {"client_name": Column(Category.client_contact),
         "client_phone": Column(Category.client_contact, replacement=""),
         "client_address": Column(Category.client_contact),
         "full_description": Column(Category.free_text)},
        subject=_OWN_LEADS, erasure=Erasure.anonymise,
        retention="while the account of the person who entered it is open"),
    Table(
        "lead_attachments",
        {"storage_key": Column(Category.file), "filename": Column(Category.free_text),
         "uploaded_by": L},
        subject=f"uploaded_by = :user_id OR {_OWN_LEADS}", erasure=Erasure.delete,
        retention="LEAD_FILES_RETENTION_DAYS (365) after the lead closed or was cancelled"
                  " (`retention` job)"),
    # A lead's conversations go with its files: the same retention, and a consumer's closure
    # takes the conversations about their own requests.
    Table(
        "chat_messages",
        {"sender_user_id": L, "body": Column(Category.free_text, note="what a side wrote"),
         "read_at": Column(Category.activity)},
        subject=f"sender_user_id = :user_id OR thread_id IN {_OWN_THREADS}",
        erasure=Erasure.delete,
        retention="LEAD_FILES_RETENTION_DAYS (365) after the lead closed or was cancelled"
                  " (`retention` job)"),
    Table(
        "chat_presence",
        {"user_id": L, "seen_at": Column(Category.activity)},
        subject="user_id = :user_id", erasure=Erasure.delete,
        retention="while the page is open; rows older than a day are deleted"
                  " (`deliver_notifications` job)"),
    Table(
        "push_subscriptions",
        {"user_id": L, "endpoint": Column(Category.device, note="the browser's push address"),
         "p256dh": Column(Category.credential), "auth": Column(Category.credential),
         "user_agent": UA, "last_used_at": Column(Category.activity)},
        subject="user_id = :user_id", erasure=Erasure.delete,
        retention="until the device turns it off, the push service says it is gone, or the"
                  " person signs out on it"),
    Table(
        "reviews",
        {"reviewer_user_id": L, "replied_by": L, "hidden_by": L,
         "reviewer_name": Column(Category.identity, note="the first name shown with the review"),
         "body": Column(Category.free_text, note="what the reviewer wrote"),
         "reply": Column(Category.free_text, erase=False, note="the business's answer"),
         "hidden_reason": Column(Category.free_text, erase=False, note="an admin's reason")},
        subject="reviewer_user_id = :user_id", erasure=Erasure.anonymise,
        retention="while the business is listed; a closed account's review keeps only its"
                  " scores, shown as a verified client's",
        legal_hold="the business's answer and a moderator's reason are theirs, not the"
                   " reviewer's: they stay with the de-identified scores"),
    Table(
        "review_requests",
        {"user_id": L, "reminded_at": Column(Category.activity)},
        subject="user_id = :user_id", erasure=Erasure.delete,
        retention="with the lead"),
    Table(
        "site_visits",
        {"booked_by": L, "cancelled_by": L, "reminded_at": Column(Category.activity)},
        subject=f"booked_by = :user_id OR {_OWN_LEADS}", erasure=Erasure.keep,
        erase_where="booked_by = :user_id",
        retention="with the lead (a visit to the client's home: when, which business)",
        legal_hold="the other side's record of its appointment; the person is only a link,"
                   " pseudonymous once the account closes"),
    Table(
        "check_ins",
        {"user_id": L, "place": Column(Category.free_text, note="where the pro said it was"),
         "lat": Column(Category.activity, note="the pro's position, when the phone gave it"),
         "lon": Column(Category.activity)},
        subject=f"user_id = :user_id OR {_OWN_LEADS}", erasure=Erasure.anonymise,
        erase_where="user_id = :user_id",
        retention="with the lead (the proof the job was attended)"),
    Table(
        "milestone_plans",
        {"proposed_by": L, "agreed_by": L},
        subject=f"proposed_by = :user_id OR agreed_by = :user_id OR {_OWN_LEADS}",
        erasure=Erasure.keep, erase_where="proposed_by = :user_id OR agreed_by = :user_id",
        retention="with the lead (the terms both sides agreed to)",
        legal_hold="the other side's record of the deal; the person is only a link,"
                   " pseudonymous once the account closes"),
    Table(
        "milestones",
        {"approved_by": L},
        subject=f"approved_by = :user_id OR {_OWN_LEADS}", erasure=Erasure.keep,
        erase_where="approved_by = :user_id",
        retention="with the lead (each step's amount, dates and approval)",
        legal_hold="the record of what was paid and released for each step (bookkeeping);"
                   " the person is only a link"),
    Table(
        "milestone_updates",
        {"author_user_id": L,
         "body": Column(Category.free_text, erase=False,
                        note="the business's note on the work it did")},
        subject=f"author_user_id = :user_id OR {_OWN_LEADS}", erasure=Erasure.keep,
        erase_where="author_user_id = :user_id",
        retention="with the lead (the record of the work, shown to the client)",
        legal_hold="the business's record of the work it did for the client, and the"
                   " client's evidence in a dispute"),
    Table(
        "milestone_photos",
        {"storage_key": Column(Category.file), "filename": Column(Category.free_text),
         "uploaded_by": L},
        subject=f"uploaded_by = :user_id OR {_OWN_LEADS}", erasure=Erasure.delete,
        erase_where="uploaded_by = :user_id",
        retention="with the lead (the record of the work)"),
    Table(
        "proposal_attachments",
        {"storage_key": Column(Category.file), "filename": Column(Category.free_text),
         "uploaded_by": L},
        subject="uploaded_by = :user_id", erasure=Erasure.delete,
        retention="LEAD_FILES_RETENTION_DAYS (365) after the lead closed or was cancelled"
                  " (`retention` job)"),
    Table(
        "certificates",
        {"storage_key": Column(Category.file), "filename": Column(Category.free_text),
         "title": Column(Category.free_text), "uploaded_by": L, "reviewed_by": L},
        subject=f"uploaded_by = :user_id OR {_OWN_BUSINESSES}",
        erase_where=f"uploaded_by = :user_id OR {_SOLE_BUSINESSES}", erasure=Erasure.delete,
        retention="while the business is open"),
    Table(
        "professionals",
        {"business_name": Column(Category.identity, replacement="— —",
                                 note="a sole trader's name; 2 characters at least"),
         "about": Column(Category.free_text),
         "specialties": Column(Category.free_text, replacement=[]),
         "business_id": Column(Category.identity, erase=False,
                               note="a sole trader's ID number; on payments and payouts"),
         "created_by": L},
        subject=_OWN_BUSINESSES.replace("professional_id IN", "id IN"),
        erase_where=_SOLE_BUSINESSES.replace("professional_id IN", "id IN"),
        erasure=Erasure.anonymise, legal_hold=BOOKKEEPING,
        retention="while it has members; a business run alone closes with its account"),
    Table(
        "contact_access_logs",
        {"user_id": L, "ip": IP, "user_agent": UA},
        subject=f"user_id = :user_id OR {_OWN_LEADS}", erase_where="user_id = :user_id",
        erasure=Erasure.anonymise, legal_hold=REVEAL_AUDIT,
        retention="7 years (security audit)"),
    Table(
        "phone_revelations",
        {"user_id": L, "ip": IP, "user_agent": UA},
        subject=f"user_id = :user_id OR {_OWN_LEADS}", erase_where="user_id = :user_id",
        erasure=Erasure.anonymise, legal_hold=REVEAL_AUDIT,
        retention="7 years (security audit)"),
    Table(
        "performer_contact_reveals",
        {"user_id": L, "ip": IP, "user_agent": UA},
        subject="user_id = :user_id", erasure=Erasure.anonymise, legal_hold=REVEAL_AUDIT,
        retention="7 years (security audit)"),
    Table(
        "admin_audit_log",
        {"actor_user_id": L, "ip": IP,
         "detail": Column(Category.free_text, erase=False,
                          note="what was done; services never put phones or e-mails in it")},
        subject=("actor_user_id = :user_id"
                 " OR (subject_type = 'user' AND subject_id = CAST(:user_id AS text))"),
        erase_where="actor_user_id = :user_id", erasure=Erasure.anonymise,
        legal_hold="the security audit trail (README: security incidents)",
        retention="7 years (security audit)"),
    Table(
        "consents",
        {"user_id": L},
        subject="user_id = :user_id", erasure=Erasure.keep,
        legal_hold=("proof of what the person acknowledged and agreed to (Privacy Protection"
                    " Law, Amendment 13; Communications Law §30A for marketing consent); the"
                    " rows name no one once the account is closed"),
        retention="while the account is open, then as long as a claim about it may be made"
                  " (7 years)"),
    Table(
        "leads",
        {"owner_user_id": L,
         "short_description": Column(Category.free_text, erase=False,
                                     note="the public summary, kept with the job's money"),
         "hidden_by": Column(Category.link, erase=False,
                             note="the admin who hid the lead from the board"),
         "hidden_reason": Column(Category.free_text, erase=False,
                                 note="an admin's note on why the lead was hidden")},
        subject="owner_user_id = :user_id", erasure=Erasure.keep, legal_hold=BOOKKEEPING,
        retention="7 years after the job's payment; open leads are cancelled at closure"),
    Table(
        "proposals",
        {"created_by": L,
         "description": Column(Category.free_text, erase=False, note="a business's offer")},
        subject="created_by = :user_id", erasure=Erasure.keep, legal_hold=BOOKKEEPING,
        retention="with its lead"),
    Table(
        "referrals",
        {"created_by": L, "decided_by": L,
         "message": Column(Category.free_text, erase=False, note="between two businesses")},
        subject="created_by = :user_id OR decided_by = :user_id", erasure=Erasure.keep,
        legal_hold=BOOKKEEPING, retention="with its lead (it sets the referral fee)"),
    Table(
        "lead_events",
        {"actor_user_id": L},
        subject="actor_user_id = :user_id", erasure=Erasure.keep,
        legal_hold="the lead's history: who awarded, withdrew or cancelled",
        retention="with its lead"),
    Table(
        "commission_rules",
        {"created_by": L, "retired_by": L,
         "note": Column(Category.free_text, erase=False, note="an admin's note on a rate")},
        subject="created_by = :user_id OR retired_by = :user_id", erasure=Erasure.keep,
        legal_hold="the terms every frozen split was priced at",
        retention="for good (rules are retired, never deleted)"),
    Table(
        "subscriptions",
        {"granted_by": L},
        subject="granted_by = :user_id", erasure=Erasure.keep, legal_hold=BOOKKEEPING,
        retention="7 years"),
    Table(
        "payments",
        {"payer_user_id": L,
         "checkout_url": Column(Category.financial, erase=False),
         "psp_reference": Column(Category.financial, erase=False)},
        subject="payer_user_id = :user_id", erasure=Erasure.keep, legal_hold=BOOKKEEPING,
        retention="7 years"),
    Table(
        "payment_webhook_events",
        {"payload": Column(Category.financial, erase=False,
                           note="the provider's event; may carry the payer's e-mail")},
        subject="payment_id IN (SELECT id FROM payments WHERE payer_user_id = :user_id)",
        erasure=Erasure.keep, legal_hold=BOOKKEEPING, retention="7 years"),
    Table(
        "webhook_rejections",
        {"body_excerpt": Column(Category.free_text,
                                note="an unreadable provider body; may hold anything")},
        subject=None, erasure=Erasure.keep,
        retention="90 days (`retention` job); not linked to any person", exported=False),
    Table(
        "disputes",
        {"opened_by": L, "resolved_by": L,
         "reason": Column(Category.free_text, erase=False),
         "note": Column(Category.free_text, erase=False)},
        subject="opened_by = :user_id", erasure=Erasure.keep, legal_hold=BOOKKEEPING,
        retention="7 years (part of the payment's record)"),
    Table(
        "ledger_transactions",
        {"created_by": L, "note": Column(Category.free_text, erase=False)},
        subject="created_by = :user_id", erasure=Erasure.keep, legal_hold=BOOKKEEPING,
        retention="7 years; never updated"),
    Table(
        "payout_batches",
        {"created_by": L, "paid_by": L},
        subject="created_by = :user_id OR paid_by = :user_id", erasure=Erasure.keep,
        legal_hold=BOOKKEEPING, retention="7 years"),
    Table(
        "withdrawals",
        {"requested_by": L, "decided_by": L,
         "bank_code": Column(Category.bank, erase=False),
         "branch": Column(Category.bank, erase=False),
         "account": Column(Category.bank, erase=False),
         "account_holder": Column(Category.bank, erase=False),
         "note": Column(Category.free_text, erase=False)},
        subject=f"requested_by = :user_id OR {_OWN_BUSINESSES}", erasure=Erasure.keep,
        legal_hold=BOOKKEEPING + " (where the money was paid to)", retention="7 years"),
    Table(
        "payment_methods",
        {"created_by": L,
         "token": Column(Category.credential, note="the provider's card token; never shown"),
         "brand": Column(Category.financial), "last4": Column(Category.financial),
         "exp_month": Column(Category.financial), "exp_year": Column(Category.financial)},
        subject=f"created_by = :user_id OR {_OWN_BUSINESSES}", erasure=Erasure.delete,
        erase_where=_SOLE_BUSINESSES,
        retention="until an owner removes the card, or the business closes with its only"
                  " member's account"),
    Table(
        "subscription_charges",
        {"started_by": L},
        subject=_OWN_BUSINESSES,
        erasure=Erasure.keep, legal_hold=BOOKKEEPING, retention="7 years"),
    Table(
        "lead_unlocks",
        {"unlocked_by": L},
        subject=f"unlocked_by = :user_id OR {_OWN_BUSINESSES} OR {_OWN_LEADS}",
        erasure=Erasure.keep, legal_hold=BOOKKEEPING, retention="7 years"),
    Table(
        "unlock_refund_claims",
        {"claimed_by": L, "decided_by": L,
         "note": Column(Category.free_text, erase=False),
         "decision_note": Column(Category.free_text, erase=False),
         "client_token_hash": Column(Category.credential, erase=False,
                                     note="a digest of the client's link; never shown")},
        subject=f"claimed_by = :user_id OR {_OWN_BUSINESSES}",
        erasure=Erasure.keep, legal_hold=BOOKKEEPING,
        retention="7 years (part of the unlock's record)"),
    Table(
        "autopay_attempts",
        {"started_by": L},
        subject=_OWN_STATEMENTS,
        erasure=Erasure.keep, legal_hold=BOOKKEEPING, retention="7 years"),
    Table(
        "b2b_credits",
        {"created_by": L, "reason": Column(Category.free_text, erase=False,
                                           note="why an admin credited the job")},
        subject="performer_professional_id IN (SELECT professional_id FROM professional_members"
                " WHERE user_id = :user_id) OR referrer_professional_id IN (SELECT"
                " professional_id FROM professional_members WHERE user_id = :user_id)",
        erasure=Erasure.keep, legal_hold=BOOKKEEPING, retention="7 years"),
    Table(
        "tax_documents",
        {"customer_name": Column(Category.identity, erase=False,
                                 note="the business's name as invoiced; a sole trader's name"),
         "customer_number": Column(Category.identity, erase=False,
                                   note="the dealer number; a sole trader's ID number"),
         "customer_address": Column(Category.identity, erase=False),
         "pdf_key": Column(Category.file, erase=False)},
        subject=_OWN_BUSINESSES, erasure=Erasure.keep,
        legal_hold=BOOKKEEPING + " (tax invoices are never edited or deleted)",
        retention="7 years"),
    Table(
        "professional_members",
        {"user_id": L, "added_by": L},
        subject="user_id = :user_id", erasure=Erasure.delete,
        retention="while the person works with the business"),
    Table(
        "users",
        {"phone": Column(Category.contact), "email": Column(Category.contact),
         "name": Column(Category.identity), "last_login_at": Column(Category.activity),
         "inactivity_notice_at": Column(Category.activity)},
        subject="id = :user_id", erasure=Erasure.anonymise,
        retention="while the account is open; closed on request, or after"
                  " INACTIVE_ACCOUNT_DAYS without a login and INACTIVE_NOTICE_DAYS after a"
                  " notice (`retention` job)"),
)

# Tables that hold no personal data, and why.
NOT_PERSONAL: dict[str, str] = {
    "visit_settings": "a business's visit length and capacity",
    "visit_hours": "a business's visiting hours",
    "visit_exceptions": "a business's closed dates and their note to clients",
    "visit_slots": "booking inventory: a business's slot starts and counts",
    "check_in_passes": "a one-time code bound to a lead or a visit: no person in it",
    "alembic_version": "the schema's revision",
    "categories": "reference data",
    "subcategories": "reference data",
    "localities": "reference data (places)",
    "job_runs": "the run log of scheduled jobs",
    "lead_board": "the projection of open public leads: no client details (migration 0003)",
    "lead_days": "counts of leads per day and type for the dashboard (migration 0021)",
    "lead_first_proposals": "counts of leads per day and first-offer delay (migration 0021)",
    "ledger_accounts": "a business's or the platform's accounts: amounts, no person",
    "ledger_entries": "amounts on accounts; who moved them is on ledger_transactions",
    "sandbox_checkouts": "the sandbox provider's own books: amounts and our own links",
    "psp_operations": "provider operations done once per key: amounts and provider ids",
    "sandbox_card_setups": "the sandbox provider's own card-saving pages (test cards only)",
    "document_counters": "the last number issued of each tax-document type",
    "b2b_charges": "what a closed job owes in b2b mode: amounts between businesses",
    "professional_tiers": "a business's tier now: public, like its rating",
    "tier_evaluations": "a business's monthly figures (jobs, rating, response time, disputes)",
    "b2b_charge_referrers": "the businesses a b2b job's referral chain credits, and their fees",
    "b2b_credit_referrers": "each referrer's part of a credit note's referral fee",
    "payment_referrers": "the businesses a payment's referral chain pays, and their fees",
    "settlement_statements": "a business's month netted: amounts only",
    "chat_threads": "which business a lead's conversation is with: ids only (migration 0023)",
}

# Columns whose names look personal but are not, and why.
NOT_PERSONAL_COLUMNS: dict[str, str] = {
    "visit_exceptions.note": "a business's note on a closed date (\"holiday\"), to clients",
    "tax_documents.held_reason": "why an invoice waits: the Tax Authority's answer, or ours",
    "autopay_attempts.reason": "why a card charge failed, as the platform words it",
    "subscription_charges.reason": "why a card charge failed, as the platform words it",
    "categories.name_he": "a category's name", "categories.name_en": "a category's name",
    "subcategories.name_he": "a category's name", "subcategories.name_en": "a category's name",
    "localities.name_he": "a place's name", "localities.name_en": "a place's name",
    "lead_board.short_description": "the public summary of an open lead",
    "sandbox_checkouts.description": "the job's title as the provider shows it",
    "sandbox_card_setups.token": "the sandbox's made-up card token (test cards only)",
    "job_runs.detail": "counts a job reports",
    "job_runs.job_name": "a job's name",
    "contact_access_logs.reason": "owner | performer | admin | unlock",
    "lead_unlocks.reason": "why a card charge failed, as the platform words it",
    "unlock_refund_claims.reason": "one of four reasons from a list",
    "unlock_refund_claims.client_answer": "never_asked | asked",
    "performer_contact_reveals.reason": "owner | admin",
    "payments.flag_reason": "the platform's own words about an amount mismatch",
    "payment_webhook_events.detail": "the platform's own words about the outcome",
    "webhook_rejections.reason": "the platform's own words about the body",
    "webhook_rejections.body_sha256": "a digest of the body, for matching duplicates",
    "webhook_rejections.body_bytes": "a size",
}

# Column names that suggest personal data. A column matching one must be registered.
PERSONAL_LOOKING = re.compile(
    r"(phone|e_?mail|(^|_)name($|_)|address|(^|_)ip($|_)|user_agent|token|hash|iban|bank"
    r"|(^|_)account($|_holder)|branch|user_id|_by$|target|payload|body|message|description"
    r"|(^|_)note$|reason|filename|storage_key|detail|about|specialt)")


def looks_personal(column: str) -> bool:
    return bool(PERSONAL_LOOKING.search(column))


def by_name() -> dict[str, Table]:
    return {table.name: table for table in REGISTRY}


@dataclass
class Findings:
    """What a schema has that the registry lacks, or the other way round."""

    problems: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.problems.append(text)


def check_schema(schema: dict[str, set[str]]) -> list[str]:
    """Compare a schema (`{table: {columns}}`) with the registry; one sentence per problem,
    each saying exactly what to add or remove in this file."""
    found = Findings()
    registered = by_name()
    for table in sorted(schema):
        columns = schema[table]
        looking = sorted(c for c in columns if looks_personal(c)
                         and f"{table}.{c}" not in NOT_PERSONAL_COLUMNS)
        entry = registered.get(table)
        if entry is None and table not in NOT_PERSONAL:
            spec = ", ".join(f'"{c}": Column(Category.…)' for c in looking) or "…"
            found.add(
                f"table {table!r} is not in ofair_app/domain/personal_data.py: add"
                f" Table({table!r}, {{{spec}}}, subject=\"… = :user_id\","
                f" erasure=Erasure.…, retention=\"…\") to REGISTRY, or"
                f" NOT_PERSONAL[{table!r}] = \"why it holds no personal data\"")
            continue
        known = set(entry.columns) if entry else set()
        for column in looking:
            if column not in known:
                where = (f"REGISTRY entry {table!r}: \"{column}\": Column(Category.…)"
                         if entry else f"NOT_PERSONAL_COLUMNS[\"{table}.{column}\"] = \"why\"")
                found.add(f"column {table}.{column} looks personal but is not registered:"
                          f" add it to the {where}")
    for entry in REGISTRY:
        if entry.name not in schema:
            found.add(f"REGISTRY names table {entry.name!r}, which does not exist: remove it")
            continue
        for column in entry.columns:
            if column not in schema[entry.name]:
                found.add(f"REGISTRY entry {entry.name!r} names column {column!r}, which"
                          f" does not exist: remove it")
    for table in NOT_PERSONAL:
        if table in registered:
            found.add(f"{table!r} is both in REGISTRY and NOT_PERSONAL: keep one")
    return found.problems


# --- closing an account: what has to be settled first ------------------------------------


@dataclass(frozen=True)
class Obligations:
    """What a person still has open on the platform, counted by the service."""

    leads_in_progress: int = 0  # own leads awarded, paid, done-but-unconfirmed or disputed
    money_held: int = 0  # own payments whose money is still held (not released or refunded)
    open_disputes: int = 0  # disputes about own leads or own businesses' jobs
    jobs_in_progress: int = 0  # jobs a business run alone has won and not finished
    wallet_balance: bool = False  # a business run alone still has money pending, available
    #                               or on its way to the bank (or owes some)
    last_owner_of_team: int = 0  # businesses with other members, of which this is the last owner


def closure_blockers(obligations: Obligations) -> list[str]:
    """The message keys of what must be settled before the account can close, in the order a
    person would settle them; empty when it may close now.

    Open leads without a winner are not obligations: closing cancels them. Ledger rows are
    never one either: they stay (7 years), de-identified.
    """
    reasons = []
    if obligations.leads_in_progress:
        reasons.append("errors.privacy.blocked.lead_in_progress")
    if obligations.jobs_in_progress:
        reasons.append("errors.privacy.blocked.job_in_progress")
    if obligations.open_disputes:
        reasons.append("errors.privacy.blocked.dispute_open")
    if obligations.money_held:
        reasons.append("errors.privacy.blocked.money_held")
    if obligations.wallet_balance:
        reasons.append("errors.privacy.blocked.wallet_balance")
    if obligations.last_owner_of_team:
        reasons.append("errors.privacy.blocked.last_owner")
    return reasons
