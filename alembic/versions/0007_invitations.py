"""Team invitations: joining a business takes the invitee's consent.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

- `professional_invitations`: an owner invites a phone number or an e-mail address as staff;
  the person whose account has that (verified) phone or address accepts or declines it within
  seven days. The business's members read its invitations, owners create, resend and cancel
  them; the invitee reads and answers only their own; admins see all; anonymous callers nothing.
  The `professional_invitations_guard` trigger lets each side make only its own moves.
- `professional_members`: owners no longer insert other people. A membership is written by the
  creator of a business (as its first owner) or by the invitee, in the transaction that accepts
  the invitation, with the invited role. A member may leave (delete their own row); the
  keep-an-owner trigger still refuses to lose the last owner.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op
from ofair_app.db.rls import force_rls, quoted_app_role

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = postgresql.TIMESTAMP(timezone=True)


def upgrade() -> None:
    app = quoted_app_role(op)

    op.create_table(
        "professional_invitations",
        sa.Column("id", sa.Uuid(), primary_key=True, server_default=sa.text("gen_random_uuid()")),
        sa.Column("professional_id", sa.Uuid(),
                  sa.ForeignKey("professionals.id", ondelete="CASCADE"), nullable=False),
        sa.Column("phone", sa.String(16)),
        sa.Column("email", sa.String(254)),
        sa.Column("role", sa.String(8), nullable=False, server_default="staff"),
        sa.Column("invited_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("status", sa.String(10), nullable=False, server_default="pending"),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("sent_times", postgresql.ARRAY(TS), nullable=False, server_default="{}"),
        sa.Column("last_sent_at", TS),
        sa.Column("responded_by", sa.Uuid(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("responded_at", TS),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("(phone IS NULL) <> (email IS NULL)",
                           name="professional_invitations_one_target"),
        sa.CheckConstraint("phone ~ '^\\+[1-9][0-9]{6,14}$'",
                           name="professional_invitations_phone_e164"),
        sa.CheckConstraint("email = lower(email)", name="professional_invitations_email_lower"),
        # Owners are made from accepted members, never invited as such.
        sa.CheckConstraint("role = 'staff'", name="professional_invitations_role"),
        sa.CheckConstraint("status IN ('pending', 'accepted', 'declined', 'cancelled',"
                           " 'expired')", name="professional_invitations_status"),
        sa.CheckConstraint("(status IN ('pending', 'expired')) = (responded_at IS NULL)",
                           name="professional_invitations_responded"),
    )
    op.execute("""
        -- One open invitation per business and person.
        CREATE UNIQUE INDEX professional_invitations_open_phone
            ON professional_invitations (professional_id, phone)
            WHERE status = 'pending' AND phone IS NOT NULL;
        CREATE UNIQUE INDEX professional_invitations_open_email
            ON professional_invitations (professional_id, email)
            WHERE status = 'pending' AND email IS NOT NULL;
        -- The invitee's list and the expiry sweep.
        CREATE INDEX professional_invitations_phone ON professional_invitations (phone)
            WHERE status = 'pending';
        CREATE INDEX professional_invitations_email ON professional_invitations (email)
            WHERE status = 'pending';
        CREATE INDEX professional_invitations_business_sent
            ON professional_invitations (professional_id, last_sent_at);
        CREATE INDEX professional_invitations_expiry ON professional_invitations (expires_at)
            WHERE status = 'pending';
    """)

    op.execute("""
        -- Is the caller the person this invitation is addressed to? Reads only the caller's
        -- own user row (its phone and e-mail were verified by a login code).
        CREATE FUNCTION app_is_invitee(inv_phone text, inv_email text) RETURNS boolean
            LANGUAGE sql STABLE AS
        $$ SELECT EXISTS (SELECT 1 FROM users u WHERE u.id = app_user_id()
                          AND ((inv_phone IS NOT NULL AND u.phone = inv_phone)
                               OR (inv_email IS NOT NULL AND u.email = inv_email))) $$;
    """)
    force_rls(op, "professional_invitations", app, "SELECT, INSERT, UPDATE")
    op.execute("""
        CREATE POLICY professional_invitations_select ON professional_invitations FOR SELECT
            USING (app_is_trusted() OR app_member_of(professional_id)
                   OR app_is_invitee(phone, email));
        -- Owners of a business that is not suspended invite, as themselves, as staff.
        CREATE POLICY professional_invitations_insert ON professional_invitations FOR INSERT
            WITH CHECK (app_is_trusted()
                        OR (app_owner_of(professional_id) AND invited_by = app_user_id()
                            AND status = 'pending' AND role = 'staff'
                            AND responded_by IS NULL AND responded_at IS NULL
                            AND EXISTS (SELECT 1 FROM professionals p
                                        WHERE p.id = professional_id
                                          AND p.status <> 'suspended')));
        -- Owners (cancel, resend) and the invitee (accept, decline) touch it; the guard says
        -- which move is whose.
        CREATE POLICY professional_invitations_update ON professional_invitations FOR UPDATE
            USING (app_is_trusted() OR app_owner_of(professional_id)
                   OR app_is_invitee(phone, email))
            WITH CHECK (app_is_trusted() OR app_owner_of(professional_id)
                        OR app_is_invitee(phone, email));

        CREATE FUNCTION professional_invitations_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF app_is_trusted() THEN
                RETURN NEW;
            END IF;
            IF NEW.id IS DISTINCT FROM OLD.id
               OR NEW.professional_id IS DISTINCT FROM OLD.professional_id
               OR NEW.phone IS DISTINCT FROM OLD.phone OR NEW.email IS DISTINCT FROM OLD.email
               OR NEW.role IS DISTINCT FROM OLD.role
               OR NEW.invited_by IS DISTINCT FROM OLD.invited_by
               OR NEW.created_at IS DISTINCT FROM OLD.created_at THEN
                RAISE EXCEPTION 'an invitation''s addressee and business do not change'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            IF OLD.status <> 'pending' THEN
                RAISE EXCEPTION 'an answered invitation does not change'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            IF NEW.status = 'expired' THEN
                IF OLD.expires_at > now() OR NEW.responded_at IS NOT NULL THEN
                    RAISE EXCEPTION 'an invitation expires only when its time is up'
                        USING ERRCODE = 'insufficient_privilege';
                END IF;
            ELSIF NEW.status IN ('accepted', 'declined') THEN
                -- Only the invitee answers, in time, in their own name, and changes nothing else.
                IF NOT app_is_invitee(OLD.phone, OLD.email) OR OLD.expires_at <= now()
                   OR NEW.responded_by IS DISTINCT FROM app_user_id()
                   OR NEW.responded_at IS DISTINCT FROM now()
                   OR NEW.expires_at IS DISTINCT FROM OLD.expires_at
                   OR NEW.sent_times IS DISTINCT FROM OLD.sent_times
                   OR NEW.last_sent_at IS DISTINCT FROM OLD.last_sent_at THEN
                    RAISE EXCEPTION 'only the invitee answers an invitation'
                        USING ERRCODE = 'insufficient_privilege';
                END IF;
            ELSIF NEW.status IN ('cancelled', 'pending') THEN
                -- Owners cancel or resend; they never answer for the invitee.
                IF NOT app_owner_of(OLD.professional_id)
                   OR (NEW.status = 'pending' AND (NEW.responded_by IS NOT NULL
                                                   OR NEW.responded_at IS NOT NULL))
                   OR (NEW.status = 'cancelled' AND (NEW.responded_by IS DISTINCT FROM
                                                     app_user_id()
                                                     OR NEW.responded_at IS DISTINCT FROM now()
                                                     OR NEW.sent_times IS DISTINCT FROM
                                                        OLD.sent_times)) THEN
                    RAISE EXCEPTION 'only an owner cancels or resends an invitation'
                        USING ERRCODE = 'insufficient_privilege';
                END IF;
            END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER professional_invitations_guard BEFORE UPDATE ON professional_invitations
            FOR EACH ROW EXECUTE FUNCTION professional_invitations_guard();
    """)

    op.execute("""
        -- Owners no longer add people directly: a membership is the creator's first one, or
        -- the invitee's own, written in the transaction that accepted a pending invitation.
        DROP POLICY professional_members_insert ON professional_members;
        CREATE POLICY professional_members_insert ON professional_members FOR INSERT
            WITH CHECK (
                app_is_trusted()
                OR (user_id = app_user_id() AND role = 'owner' AND added_by = app_user_id()
                    AND EXISTS (SELECT 1 FROM professionals p
                                WHERE p.id = professional_id AND p.created_by = app_user_id()
                                  AND p.created_at = now()  -- in the creating transaction
                                  AND p.status <> 'suspended'))
                OR (user_id = app_user_id()
                    AND EXISTS (SELECT 1 FROM professional_invitations i
                                WHERE i.professional_id = professional_members.professional_id
                                  AND i.status = 'accepted' AND i.responded_by = app_user_id()
                                  AND i.responded_at = now()  -- in the accepting transaction
                                  AND i.role = professional_members.role
                                  AND i.invited_by = professional_members.added_by)
                    AND EXISTS (SELECT 1 FROM professionals p
                                WHERE p.id = professional_id AND p.status <> 'suspended')));
        -- A member may leave (the keep-an-owner trigger still guards the last owner).
        CREATE POLICY professional_members_leave ON professional_members FOR DELETE
            USING (user_id = app_user_id());
    """)


def downgrade() -> None:
    op.execute("""
        DROP POLICY IF EXISTS professional_members_leave ON professional_members;
        DROP POLICY professional_members_insert ON professional_members;
        CREATE POLICY professional_members_insert ON professional_members FOR INSERT
            WITH CHECK (
                app_is_trusted()
                OR (user_id = app_user_id() AND role = 'owner' AND added_by = app_user_id()
                    AND EXISTS (SELECT 1 FROM professionals p
                                WHERE p.id = professional_id AND p.created_by = app_user_id()
                                  AND p.created_at = now()
                                  AND p.status <> 'suspended'))
                OR (app_owner_of(professional_id) AND added_by = app_user_id()
                    AND EXISTS (SELECT 1 FROM professionals p
                                WHERE p.id = professional_id AND p.status <> 'suspended')));
    """)
    op.drop_table("professional_invitations")
    op.execute("""
        DROP FUNCTION IF EXISTS professional_invitations_guard();
        DROP FUNCTION IF EXISTS app_is_invitee(text, text);
    """)
