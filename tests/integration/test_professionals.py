"""Businesses: opening, editing, teams, suspension, verification and the directory."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from ofair_app import reference
from ofair_app.db.engine import SYSTEM, unit_of_work
from ofair_app.domain.errors import Conflict, Forbidden, InvalidInput
from ofair_app.models import MemberRole, User, UserRole
from ofair_app.models.tenancy import ProfessionalCreate, ProfessionalUpdate
from ofair_app.services import certificates, invitations, professionals
from tests.factories import (
    PDF_BYTES,
    add_member,
    caller_for,
    city,
    invite,
    make_professional,
    make_user,
    next_business_id,
    next_phone,
)


def create(owner: User, **changes) -> None:
    first = reference.categories()[0]
    fields = {"business_name": "שיפוצי הגליל", "business_id": next_business_id(),
              "category": first.slug, "subcategories": [first.subcategories[0].slug],
              "locality_id": city("Haifa"), "service_radius_km": 30} | changes
    caller = caller_for(owner)
    with unit_of_work(caller) as session:
        professionals.create_professional(session=session, caller=caller,
                                          data=ProfessionalCreate(**fields))


def test_opening_a_business_makes_the_creator_its_owner_and_a_professional(db) -> None:
    professional, owner = make_professional()
    caller = caller_for(owner)
    assert caller.role == "professional" and caller.professional_ids == (professional.id,)
    assert professional.status == "pending" and not professional.verified
    with unit_of_work(caller) as session:
        members = professionals.list_members(session=session, caller=caller,
                                             professional_id=professional.id)
        assert session.get(User, owner.id).role == UserRole.professional
    assert [(m.user_id, m.role) for m in members] == [(owner.id, MemberRole.owner)]


@pytest.mark.parametrize(("changes", "field"), [
    ({"business_id": "123456789"}, "business_id"),
    ({"business_id": "12345"}, "business_id"),
    ({"business_name": "<script>alert(1)</script>"}, "business_name"),
    ({"business_name": "א"}, "business_name"),
    ({"category": "no-such-category"}, "category"),
    ({"subcategories": ["no-such-sub"]}, "subcategories"),
    ({"locality_id": 999_999_999}, "locality_id"),
    ({"service_radius_km": 0}, "service_radius_km"),
    ({"service_radius_km": 500}, "service_radius_km"),
    ({"about": "x" * 2001}, "about"),
])
def test_bad_business_details_are_refused_and_nothing_is_written(db, changes, field) -> None:
    owner = make_user()
    with pytest.raises(InvalidInput) as error:
        create(owner, **changes)
    assert field in error.value.fields
    with unit_of_work(SYSTEM) as session:
        assert session.execute(text("SELECT count(*) FROM professionals")).scalar_one() == 0
        assert session.get(User, owner.id).role == UserRole.consumer


def test_every_bad_business_detail_is_named_at_once_with_its_limit(db) -> None:
    owner = make_user()
    with pytest.raises(InvalidInput) as error:
        create(owner, business_name="x", business_id="123", locality_id=999_999_999,
               service_radius_km=500, about="x" * 2001)
    assert set(error.value.fields) == {"business_name", "business_id", "locality_id",
                                       "service_radius_km", "about"}
    assert error.value.field_params["about"] == {"max": 2000}
    professional, owner = make_professional()
    with pytest.raises(InvalidInput) as error, unit_of_work(caller_for(owner)) as session:
        professionals.update_professional(
            session=session, caller=caller_for(owner), professional_id=professional.id,
            data=ProfessionalUpdate(business_name="x", service_radius_km=0, about="y" * 2001))
    assert set(error.value.fields) == {"business_name", "service_radius_km", "about"}
    with unit_of_work(SYSTEM) as session:  # nothing of the edit was written
        assert session.execute(text("SELECT about FROM professionals WHERE id = :id"),
                               {"id": professional.id}).scalar_one() != "y" * 2001


def test_a_subcategory_of_another_category_is_refused(db) -> None:
    first, second = reference.categories()[:2]
    with pytest.raises(InvalidInput):
        create(make_user(), category=first.slug, subcategories=[second.subcategories[0].slug])


def test_a_business_id_registers_once(db) -> None:
    business_id = next_business_id()
    create(make_user(), business_id=business_id)
    with pytest.raises(Conflict) as error:
        create(make_user(), business_id=business_id)
    assert error.value.code == "business_id_taken"


def test_owners_edit_the_profile_and_staff_cannot(db) -> None:
    professional, owner = make_professional()
    staff = make_user()
    add_member(professional, owner, staff)
    with unit_of_work(caller_for(owner)) as session:
        updated = professionals.update_professional(
            session=session, caller=caller_for(owner), professional_id=professional.id,
            data=ProfessionalUpdate(about="עבודות אינסטלציה מ-1998", specialties=["דוודים"]))
    assert updated.about == "עבודות אינסטלציה מ-1998" and updated.specialties == ["דוודים"]
    with pytest.raises(Forbidden), unit_of_work(caller_for(staff)) as session:
        professionals.update_professional(session=session, caller=caller_for(staff),
                                          professional_id=professional.id,
                                          data=ProfessionalUpdate(about="x"))


def test_changing_the_business_id_drops_verification(db) -> None:
    professional, owner = make_professional()
    admin = caller_for(make_user(role=UserRole.admin))
    with unit_of_work(admin) as session:
        professionals.verify_professional(session=session, caller=admin,
                                          professional_id=professional.id)
    with unit_of_work(caller_for(owner)) as session:
        updated = professionals.update_professional(
            session=session, caller=caller_for(owner), professional_id=professional.id,
            data=ProfessionalUpdate(business_id=next_business_id()))
    assert not updated.verified and updated.status == "pending"


def test_an_accepted_member_acts_for_the_business(db) -> None:
    professional, owner = make_professional()
    colleague = make_user(phone="+972525550101")
    add_member(professional, owner, colleague)
    staff = caller_for(colleague)
    assert staff.role == "professional" and staff.professional_ids == (professional.id,)
    with unit_of_work(staff) as session:
        certificates.upload_certificate(session=session, caller=staff,
                                        professional_id=professional.id, title="תעודה",
                                        filename="a.pdf", data=PDF_BYTES)
        members = professionals.list_members(session=session, caller=staff,
                                             professional_id=professional.id)
    assert [(m.user_id, m.role) for m in members] == [(owner.id, MemberRole.owner),
                                                      (colleague.id, MemberRole.staff)]


def test_only_owners_manage_members(db) -> None:
    professional, owner = make_professional()
    colleague = make_user()
    add_member(professional, owner, colleague)
    staff = caller_for(colleague)
    with pytest.raises(Forbidden), unit_of_work(staff) as session:
        invitations.invite_member(session=session, caller=staff,
                                  professional_id=professional.id, phone=next_phone())
    outsider = caller_for(make_user())
    with pytest.raises(Forbidden), unit_of_work(outsider) as session:
        invitations.invite_member(session=session, caller=outsider,
                                  professional_id=professional.id, phone=next_phone())
    with pytest.raises(Forbidden), unit_of_work(staff) as session:
        professionals.remove_member(session=session, caller=staff,
                                    professional_id=professional.id, user_id=owner.id)
    with pytest.raises(Forbidden), unit_of_work(staff) as session:
        professionals.change_member_role(session=session, caller=staff,
                                         professional_id=professional.id,
                                         user_id=colleague.id, role=MemberRole.owner)


def test_a_bad_phone_is_refused(db) -> None:
    professional, owner = make_professional()
    with pytest.raises(InvalidInput) as error:
        invite(professional, owner, phone="12")
    assert "phone" in error.value.fields


def test_a_business_keeps_its_last_owner(db) -> None:
    professional, owner = make_professional()
    with pytest.raises(Conflict), unit_of_work(caller_for(owner)) as session:
        professionals.remove_member(session=session, caller=caller_for(owner),
                                    professional_id=professional.id, user_id=owner.id)


def test_a_suspended_business_cannot_act(db) -> None:
    professional, owner = make_professional()
    admin = caller_for(make_user(role=UserRole.admin))
    with unit_of_work(admin) as session:
        professionals.set_suspended(session=session, caller=admin,
                                    professional_id=professional.id, suspended=True,
                                    reason="תלונות חוזרות")
    owner_caller = caller_for(owner)
    with pytest.raises(Forbidden) as error, unit_of_work(owner_caller) as session:
        professionals.update_professional(session=session, caller=owner_caller,
                                          professional_id=professional.id,
                                          data=ProfessionalUpdate(about="x"))
    assert error.value.code == "professional_suspended"
    with pytest.raises(Forbidden), unit_of_work(owner_caller) as session:
        certificates.upload_certificate(session=session, caller=owner_caller,
                                        professional_id=professional.id, title="תעודה",
                                        filename="a.pdf", data=PDF_BYTES)
    with pytest.raises(Forbidden):
        invite(professional, owner, phone=next_phone())


def test_verification_is_for_admins_and_leaves_an_audit_row(db) -> None:
    professional, owner = make_professional()
    owner_caller = caller_for(owner)
    with unit_of_work(owner_caller) as session:
        certificate = certificates.upload_certificate(
            session=session, caller=owner_caller, professional_id=professional.id,
            title="רישיון", filename="license.pdf", data=PDF_BYTES)
    with pytest.raises(Forbidden), unit_of_work(owner_caller) as session:
        professionals.verify_professional(session=session, caller=owner_caller,
                                          professional_id=professional.id)
    admin = caller_for(make_user(role=UserRole.admin))
    with unit_of_work(admin) as session:
        verified = professionals.verify_professional(session=session, caller=admin,
                                                     professional_id=professional.id,
                                                     ip="10.0.0.1", note="נבדק מול רשם החברות")
        again = professionals.verify_professional(session=session, caller=admin,
                                                  professional_id=professional.id)
    assert verified.verified and verified.status == "active" and again.verified
    with unit_of_work(SYSTEM) as session:
        rows = session.execute(text("SELECT actor_user_id, action, subject_id, ip, detail"
                                    " FROM admin_audit_log")).mappings().all()
        status = session.execute(text("SELECT status FROM certificates WHERE id = :i"),
                                 {"i": certificate.id}).scalar_one()
    assert len(rows) == 1 and rows[0]["action"] == "professional.verify"
    assert rows[0]["actor_user_id"] == admin.user_id and rows[0]["ip"] == "10.0.0.1"
    assert rows[0]["subject_id"] == str(professional.id)
    assert rows[0]["detail"]["certificates_approved"] == [str(certificate.id)]
    assert rows[0]["detail"]["before"] == {"status": "pending", "verified": False}
    assert rows[0]["detail"]["after"] == {"status": "active", "verified": True}
    assert status == "approved"

    with unit_of_work(admin) as session:  # suspended, then back: each with before and after
        professionals.set_suspended(session=session, caller=admin,
                                    professional_id=professional.id, suspended=True,
                                    reason="תלונות חוזרות")
        professionals.set_suspended(session=session, caller=admin,
                                    professional_id=professional.id, suspended=False)
    with unit_of_work(SYSTEM) as session:
        changes = session.execute(text(
            "SELECT action, detail FROM admin_audit_log WHERE action <> 'professional.verify'"
            " ORDER BY id")).all()
    assert [(a, d["before"], d["after"]) for a, d in changes] == [
        ("professional.suspend", {"status": "active"}, {"status": "suspended"}),
        ("professional.reinstate", {"status": "suspended"}, {"status": "active"})]


def test_the_directory_filters_by_category_served_locality_and_text(db) -> None:
    first, second = reference.categories()[:2]
    haifa, eilat = city("Haifa"), city("Eilat")
    plumber, _ = make_professional(business_name="אינסטלציה הכרמל", category=first.slug,
                                   locality_id=haifa, service_radius_km=15,
                                   specialties=["דוודים"])
    painter, _ = make_professional(business_name="צבע ים", category=second.slug,
                                   locality_id=eilat, service_radius_km=10)

    def search(**filters) -> list:
        with unit_of_work() as session:
            rows, _ = professionals.search_directory(session=session, **filters)
        return [row.id for row in rows]

    assert set(search()) == {plumber.id, painter.id}
    assert search(category=first.slug) == [plumber.id]
    assert search(locality_id=haifa) == [plumber.id]
    assert search(locality_id=eilat) == [painter.id]
    assert search(q="דוודים") == [plumber.id]
    assert search(q="100%_") == []


def test_the_directory_pages_with_a_stable_cursor(db) -> None:
    made = {make_professional(business_name=f"עסק {i}")[0].id for i in range(5)}
    seen, cursor = [], None
    while True:
        with unit_of_work() as session:
            rows, cursor = professionals.search_directory(session=session, limit=2,
                                                          cursor=cursor)
        seen += [row.id for row in rows]
        if cursor is None:
            break
    assert len(seen) == 5 and set(seen) == made
    with pytest.raises(InvalidInput), unit_of_work() as session:
        professionals.search_directory(session=session, cursor="not-a-cursor")
