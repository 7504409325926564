"""Professional certificates: private files a business uploads for an admin to check.

The type is decided by the file's content, never its name. Files live behind the storage
adapter; nobody gets a permanent URL, only a short-lived signed link, and only members of the
business and admins can ask for one (RLS hides the row from everyone else).
"""

from __future__ import annotations

import hashlib
import uuid

from sqlmodel import Session, col, select

from ofair_app.adapters.storage import get_storage, safe_filename, validate_upload
from ofair_app.db.engine import Caller
from ofair_app.domain import identity
from ofair_app.domain.errors import Conflict, NotFound
from ofair_app.models import Certificate, CertificateStatus
from ofair_app.services import audit, users
from ofair_app.services.professionals import require_member

LINK_SECONDS = 300
_EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}


def upload_certificate(*, session: Session, caller: Caller, professional_id: uuid.UUID,
                       title: str, filename: str, data: bytes) -> Certificate:
    """Store a certificate for the business (any member may, while it is not suspended)."""
    user_id = users.require_user(caller)
    require_member(session=session, caller=caller, professional_id=professional_id)
    content_type = validate_upload(data, filename)
    clean_title = identity.clean_text(title or "", field="title", max_length=120, min_length=2)
    certificate_id = uuid.uuid4()
    key = f"certificates/{professional_id}/{certificate_id}{_EXTENSIONS[content_type]}"
    certificate = Certificate(
        id=certificate_id, professional_id=professional_id, title=clean_title, storage_key=key,
        filename=safe_filename(filename), content_type=content_type, size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(), uploaded_by=user_id)
    session.add(certificate)
    session.flush()  # RLS refuses the row before any byte is stored
    get_storage().put(key, data, content_type)
    return certificate


def list_certificates(*, session: Session, caller: Caller,
                      professional_id: uuid.UUID) -> list[Certificate]:
    if caller.role != "admin":
        require_member(session=session, caller=caller, professional_id=professional_id)
    return list(session.exec(
        select(Certificate).where(Certificate.professional_id == professional_id)
        .order_by(col(Certificate.created_at).desc())).all())


def download_link(*, session: Session, caller: Caller, certificate_id: uuid.UUID) -> str:
    """A link valid for five minutes. Another business's certificate is simply not found."""
    certificate = session.get(Certificate, certificate_id)
    if certificate is None:
        raise NotFound("errors.certificate.not_found")
    if caller.role == "admin":  # an admin reading a business's papers is on the audit trail
        audit.record(session=session, caller=caller, action="certificate.download",
                     subject_type="certificate", subject_id=certificate.id,
                     detail={"professional_id": str(certificate.professional_id)})
    return get_storage().signed_url(certificate.storage_key, filename=certificate.filename,
                                    content_type=certificate.content_type,
                                    expires_in=LINK_SECONDS)


def delete_certificate(*, session: Session, caller: Caller, certificate_id: uuid.UUID) -> None:
    certificate = session.get(Certificate, certificate_id)
    if certificate is None:
        raise NotFound("errors.certificate.not_found")
    require_member(session=session, caller=caller, professional_id=certificate.professional_id)
    if certificate.status == CertificateStatus.approved and caller.role != "admin":
        raise Conflict("errors.certificate.approved", code="certificate_approved")
    session.delete(certificate)
    session.flush()
    get_storage().delete(certificate.storage_key)


