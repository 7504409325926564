"""People and their businesses, for admins (issue 18 point 3): search, a person's page,
suspend, reinstate, change a role. Businesses are suspended through
`/professionals/{id}/suspend` (and reinstated through `/reinstate`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from ofair_app.api.deps import AdminCaller, ClientIp
from ofair_app.api.openapi import errors
from ofair_app.api.routing import ExactJsonRoute
from ofair_app.api.schemas import Page
from ofair_app.db.engine import unit_of_work
from ofair_app.domain.inputs import MultilineText
from ofair_app.models import User
from ofair_app.services import admin_users

router = APIRouter(route_class=ExactJsonRoute)


class AdminUserOut(BaseModel):
    id: uuid.UUID
    name: str
    phone: str | None
    email: str | None
    role: str
    is_active: bool
    closed: bool
    created_at: datetime | None
    last_login_at: datetime | None
    businesses: list[admin_users.Membership] = Field(default_factory=list)

    @classmethod
    def of(cls, user: User, businesses: list[admin_users.Membership]) -> AdminUserOut:
        return cls(id=user.id, name=user.name, phone=user.phone, email=user.email,
                   role=str(user.role), is_active=user.is_active,
                   closed=user.closed_at is not None, created_at=user.created_at,
                   last_login_at=user.last_login_at,
                   businesses=businesses)


class AdminUserDetailOut(AdminUserOut):
    leads_posted: int
    recent_leads: list[admin_users.LeadLine]
    sign_ins: list[admin_users.SignIn]


class ReasonIn(BaseModel):
    reason: MultilineText = Field(min_length=5, max_length=500)


class RoleIn(ReasonIn):
    role: Literal["consumer", "professional", "admin"]


def _detail_out(found: admin_users.UserDetail) -> AdminUserDetailOut:
    base = AdminUserOut.of(found.user, found.businesses)
    return AdminUserDetailOut(
        **base.model_dump(), leads_posted=found.leads_posted,
        recent_leads=found.recent_leads, sign_ins=found.sign_ins)


@router.get("/admin/users", response_model=Page[AdminUserOut], name="users",
            tags=["admin"], responses=errors(403, 422))
def search_users(caller: AdminCaller,
                 q: Annotated[str, Query(max_length=120,
                                         description="phone, e-mail, business number or"
                                                     " part of a name")] = "",
                 cursor: Annotated[str | None, Query(max_length=512)] = None,
                 limit: Annotated[int, Query(ge=1, le=admin_users.PAGE_MAX)] = 25,
                 ) -> Page[AdminUserOut]:
    """People, newest first, found by phone, e-mail, business number or name."""
    with unit_of_work(caller) as session:
        found, next_cursor = admin_users.search(session=session, caller=caller, q=q,
                                                cursor=cursor, limit=limit)
        return Page(items=[AdminUserOut.of(s.user, s.businesses) for s in found],
                    next_cursor=next_cursor)


@router.get("/admin/users/{user_id}", response_model=AdminUserDetailOut, name="user",
            tags=["admin"], responses=errors(403, 404))
def get_user(user_id: uuid.UUID, caller: AdminCaller) -> AdminUserDetailOut:
    """A person's businesses, leads and sign-in history."""
    with unit_of_work(caller) as session:
        return _detail_out(admin_users.detail(session=session, caller=caller, user_id=user_id))


def _changed(caller, user_id: uuid.UUID, change) -> AdminUserDetailOut:
    with unit_of_work(caller) as session:
        change(session)
        return _detail_out(admin_users.detail(session=session, caller=caller, user_id=user_id))


@router.post("/admin/users/{user_id}/suspend", response_model=AdminUserDetailOut,
             name="suspend_user", tags=["admin"], responses=errors(403, 404, 409))
def suspend_user(user_id: uuid.UUID, body: ReasonIn, caller: AdminCaller,
                 ip: ClientIp) -> AdminUserDetailOut:
    """The person can no longer sign in, and every session of theirs ends now (audited)."""
    return _changed(caller, user_id, lambda s: admin_users.set_suspended(
        session=s, caller=caller, user_id=user_id, suspended=True, reason=body.reason, ip=ip))


@router.post("/admin/users/{user_id}/reinstate", response_model=AdminUserDetailOut,
             name="reinstate_user", tags=["admin"], responses=errors(403, 404, 409))
def reinstate_user(user_id: uuid.UUID, body: ReasonIn, caller: AdminCaller,
                   ip: ClientIp) -> AdminUserDetailOut:
    """The person may sign in again (audited)."""
    return _changed(caller, user_id, lambda s: admin_users.set_suspended(
        session=s, caller=caller, user_id=user_id, suspended=False, reason=body.reason, ip=ip))


@router.post("/admin/users/{user_id}/role", response_model=AdminUserDetailOut, name="user_role",
             tags=["admin"], responses=errors(403, 404, 409))
def change_role(user_id: uuid.UUID, body: RoleIn, caller: AdminCaller,
                ip: ClientIp) -> AdminUserDetailOut:
    """A new role (audited with the old one); an admin made anything else is signed out."""
    return _changed(caller, user_id, lambda s: admin_users.set_role(
        session=s, caller=caller, user_id=user_id, role=body.role, reason=body.reason, ip=ip))
