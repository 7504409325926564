"""Referral chains: a business offered a lead may pass it on to a colleague for a share.

Revision ID: 0029_referral_chains
Revises: 0028_lead_unlocks
Create Date: 2026-12-03

- `referrals.parent_id`: the offer this one passes on (none for the owner's own offer);
  `chain_id`, the owner's offer the chain starts from (its own id for that one); `depth`, the
  referrer's place in the chain (1: the owner). The receiver of an offer passes it on instead of
  answering it (`pending → referred_on`, its own move), then offers it to one colleague at a time
  at the share it keeps: the new offer's budget is the chain's, frozen at the owner's offer.
- `referrals_chain`, before every insert, as the platform: an offer passed on hangs under an
  offer its referrer received and passed on, of the same lead and budget; no business appears
  twice in a chain (the owner included); the referrers' shares together are at most 90 %. The
  chain's length (up to 4 referrers) is a setting the service checks.
- Whoever took part in a chain (referrer or receiver) reads all of its offers, so every
  referrer follows the lead. The client's details stay the owner's and the performer's
  (`app_sees_client()` is unchanged).
- `payment_referrers`: a payment's referrers, one row per referrer in the chain's order, each
  with its share and its fee, frozen with the payment. Their fees sum to `payments.referrer_fee`
  (checked at commit); existing payments with a referrer get their one row. The businesses paid
  through a chain read the payment.
- `b2b_charge_referrers`, `b2b_credit_referrers`: the same for a b2b job's charge (frozen at
  close) and a credit note's referral part, each row also naming the statement that settled it;
  existing charges and credits with a referrer get their one row. The businesses of a chain read
  the charges and credits they are in.
- `lead_events` takes `referral_passed_on`.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op
from ofair_app.db.rls import force_rls, quoted_app_role, sql_list

revision: str = "0029_referral_chains"
down_revision: str | None = "0028_lead_unlocks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(12, 2)
STATUSES = ("pending", "accepted", "rejected", "expired", "cancelled")
LEAD_EVENTS = ("proposal_accepted", "award_cancelled", "award_declined", "referral_offered",
               "referral_accepted", "referral_rejected", "price_changed")
RECEIVER_MOVES = (("pending", "accepted"), ("pending", "rejected"))
REFERRER_MOVES = (("pending", "cancelled"),)
FROZEN = ("lead_id", "referrer_professional_id", "receiver_professional_id", "created_by",
          "commission_percentage", "budget", "message", "expires_at", "created_at")
CHAIN = ("parent_id", "chain_id", "depth")


def _pairs(moves: Sequence[tuple[str, str]]) -> str:
    return ", ".join(f"('{a}', '{b}')" for a, b in moves)


def _guard(receiver_moves: Sequence[tuple[str, str]], frozen: Sequence[str]) -> str:
    """0004's `referrals_guard`, with the receiver's moves and the frozen columns given."""
    new = ", ".join(f"NEW.{c}" for c in frozen)
    old = ", ".join(f"OLD.{c}" for c in frozen)
    return f"""
        CREATE OR REPLACE FUNCTION referrals_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF ({new}) IS DISTINCT FROM ({old}) THEN
                RAISE EXCEPTION 'the terms of an offer are frozen when it is made'
                    USING ERRCODE = 'check_violation';
            END IF;
            IF NEW.status IS DISTINCT FROM OLD.status THEN
                IF NOT ((app_member_of(OLD.receiver_professional_id)
                         AND (OLD.status, NEW.status) IN ({_pairs(receiver_moves)}))
                        OR (app_member_of(OLD.referrer_professional_id)
                            AND (OLD.status, NEW.status) IN ({_pairs(REFERRER_MOVES)}))
                        OR (app_is_platform() AND OLD.status = 'pending'
                            AND NEW.status IN ('expired', 'cancelled'))) THEN
                    RAISE EXCEPTION 'an offer cannot move from % to % here', OLD.status,
                        NEW.status USING ERRCODE = 'check_violation';
                END IF;
                NEW.decided_at := coalesce(NEW.decided_at, now());
            ELSIF NEW.proposal_id IS DISTINCT FROM OLD.proposal_id THEN
                RAISE EXCEPTION 'an offer''s proposal is set when it is accepted'
                    USING ERRCODE = 'check_violation';
            END IF;
            NEW.updated_at := now();
            RETURN NEW;
        END $$;
    """


def _events_policies(passed_on: bool) -> str:
    """0004's `lead_events_insert` and `lead_events_select`, and (`passed_on`) the business
    that passed an offer on: it writes that event and reads it back."""
    extra = """
                OR (event = 'referral_passed_on' AND EXISTS (
                    SELECT 1 FROM referrals r WHERE r.id = referral_id
                    AND r.lead_id = lead_events.lead_id
                    AND app_member_of(r.referrer_professional_id)))""" if passed_on else ""
    return f"""
        DROP POLICY lead_events_insert ON lead_events;
        CREATE POLICY lead_events_insert ON lead_events FOR INSERT
            WITH CHECK (app_is_trusted() OR (actor_user_id = app_user_id()
                        AND (app_owns_lead(lead_id) OR app_member_of(professional_id){extra})));
        DROP POLICY lead_events_select ON lead_events;
        CREATE POLICY lead_events_select ON lead_events FOR SELECT
            USING (app_is_trusted() OR app_owns_lead(lead_id) OR app_member_of(professional_id){extra});
    """


def _status_check(table: str, name: str, column: str, values: Sequence[str]) -> None:
    op.execute(f"""
        ALTER TABLE {table} DROP CONSTRAINT {name};
        ALTER TABLE {table} ADD CONSTRAINT {name} CHECK ({column} IN ({sql_list(values)}));
    """)


def upgrade() -> None:
    app = quoted_app_role(op)
    op.add_column("referrals", sa.Column("parent_id", sa.Uuid(),
                                         sa.ForeignKey("referrals.id", ondelete="CASCADE")))
    op.add_column("referrals", sa.Column("chain_id", sa.Uuid()))
    op.add_column("referrals", sa.Column("depth", sa.SmallInteger(), nullable=False,
                                         server_default="1"))
    op.execute("UPDATE referrals SET chain_id = id")
    op.alter_column("referrals", "chain_id", nullable=False)
    op.create_check_constraint("referrals_depth", "referrals",
                               "depth BETWEEN 1 AND 10 AND (parent_id IS NULL) = (depth = 1)"
                               " AND (parent_id IS NOT NULL OR chain_id = id)")
    _status_check("referrals", "referrals_status", "status", (*STATUSES, "referred_on"))
    _status_check("lead_events", "lead_events_event", "event",
                  (*LEAD_EVENTS, "referral_passed_on"))
    op.execute("""
        CREATE INDEX referrals_chain ON referrals (chain_id);
        -- An offer passed on is offered to one colleague at a time.
        CREATE UNIQUE INDEX referrals_passed_on ON referrals (parent_id)
            WHERE status IN ('pending', 'accepted', 'referred_on');

        CREATE FUNCTION referrals_chain() RETURNS trigger
            LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
        DECLARE
            parent referrals%ROWTYPE;
            shares numeric;
        BEGIN
            IF NEW.parent_id IS NULL THEN
                NEW.chain_id := NEW.id;
                NEW.depth := 1;
                RETURN NEW;
            END IF;
            SELECT * INTO parent FROM referrals WHERE id = NEW.parent_id;
            IF parent.id IS NULL OR parent.lead_id <> NEW.lead_id
               OR parent.receiver_professional_id <> NEW.referrer_professional_id
               OR parent.status <> 'referred_on' OR parent.budget <> NEW.budget THEN
                RAISE EXCEPTION 'an offer is passed on by its receiver, on the same terms'
                    USING ERRCODE = 'check_violation';
            END IF;
            NEW.chain_id := parent.chain_id;
            NEW.depth := parent.depth + 1;
            IF EXISTS (
                WITH RECURSIVE above AS (
                    SELECT * FROM referrals WHERE id = NEW.parent_id
                    UNION ALL
                    SELECT r.* FROM referrals r JOIN above a ON r.id = a.parent_id)
                SELECT 1 FROM above
                WHERE NEW.receiver_professional_id IN (referrer_professional_id,
                                                       receiver_professional_id)) THEN
                RAISE EXCEPTION 'a business appears once in a chain'
                    USING ERRCODE = 'check_violation';
            END IF;
            WITH RECURSIVE above AS (
                SELECT * FROM referrals WHERE id = NEW.parent_id
                UNION ALL
                SELECT r.* FROM referrals r JOIN above a ON r.id = a.parent_id)
            SELECT sum(commission_percentage) INTO shares FROM above;
            IF shares + NEW.commission_percentage > 90 THEN
                RAISE EXCEPTION 'the referrers of a chain share at most 90 percent'
                    USING ERRCODE = 'check_violation';
            END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER referrals_chain BEFORE INSERT ON referrals
            FOR EACH ROW EXECUTE FUNCTION referrals_chain();

        -- Did one of the caller's businesses take part in the chain?
        CREATE FUNCTION app_in_chain(cid uuid) RETURNS boolean
            LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS
        $$ SELECT EXISTS (SELECT 1 FROM referrals r WHERE r.chain_id = cid
                          AND (app_member_of(r.referrer_professional_id)
                               OR app_member_of(r.receiver_professional_id))) $$;
        DROP POLICY referrals_select ON referrals;
        CREATE POLICY referrals_select ON referrals FOR SELECT
            USING (app_member_of(referrer_professional_id)
                   OR app_member_of(receiver_professional_id) OR app_is_trusted()
                   OR app_in_chain(chain_id));
        -- The owner business offers its own open pro lead at the lead's current terms; the
        -- receiver of an offer passes it on (`referrals_chain` checks the rest).
        DROP POLICY referrals_insert ON referrals;
        CREATE POLICY referrals_insert ON referrals FOR INSERT
            WITH CHECK (app_is_trusted() OR (
                app_member_of(referrer_professional_id) AND created_by = app_user_id()
                AND status = 'pending' AND proposal_id IS NULL AND EXISTS (
                    SELECT 1 FROM leads l WHERE l.id = lead_id
                    AND l.type = 'professional_referral' AND l.status = 'active'
                    AND ((parent_id IS NULL AND l.owner_professional_id = referrer_professional_id
                          AND l.referrer_share_percentage = commission_percentage)
                         OR parent_id IS NOT NULL))));
    """)
    op.execute(_guard((*RECEIVER_MOVES, ("pending", "referred_on")), (*FROZEN, *CHAIN)))
    # The business passing a lead on writes that event, naming the colleague it offers it to.
    op.execute(_events_policies(passed_on=True))

    # --- a payment's referrers ----------------------------------------------------------------
    op.create_table(
        "payment_referrers",
        sa.Column("payment_id", sa.Uuid(), sa.ForeignKey("payments.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("position", sa.SmallInteger(), primary_key=True),
        sa.Column("professional_id", sa.Uuid(), sa.ForeignKey("professionals.id"),
                  nullable=False),
        sa.Column("share_pct", sa.Numeric(5, 2), nullable=False),
        sa.Column("fee", MONEY, nullable=False),
        sa.CheckConstraint("position BETWEEN 1 AND 10", name="payment_referrers_position"),
        sa.CheckConstraint("share_pct BETWEEN 0 AND 90 AND fee >= 0",
                           name="payment_referrers_amounts"),
        sa.UniqueConstraint("payment_id", "professional_id", name="payment_referrers_once"),
    )
    op.create_index("payment_referrers_business", "payment_referrers", ["professional_id"])
    op.execute("""
        INSERT INTO payment_referrers (payment_id, position, professional_id, share_pct, fee)
        SELECT id, 1, referrer_professional_id, referrer_share_pct, referrer_fee
        FROM payments WHERE referrer_fee > 0 AND referrer_professional_id IS NOT NULL;

        -- At commit, a payment's referrers' fees are its referrer fee, the first of them its
        -- referrer.
        CREATE FUNCTION payment_referrers_sum() RETURNS trigger
            LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
        DECLARE
            pay uuid;
        BEGIN
            IF TG_TABLE_NAME = 'payments' THEN
                pay := NEW.id;
            ELSE
                pay := NEW.payment_id;
            END IF;
            IF EXISTS (
                SELECT 1 FROM payments p
                WHERE p.id = pay AND (
                    p.referrer_fee <> (SELECT coalesce(sum(r.fee), 0) FROM payment_referrers r
                                       WHERE r.payment_id = p.id)
                    OR (p.referrer_fee > 0 AND p.referrer_professional_id IS DISTINCT FROM (
                        SELECT r.professional_id FROM payment_referrers r
                        WHERE r.payment_id = p.id ORDER BY r.position LIMIT 1)))) THEN
                RAISE EXCEPTION 'a payment''s referrers must sum to its referrer fee'
                    USING ERRCODE = 'check_violation';
            END IF;
            RETURN NULL;
        END $$;
        CREATE CONSTRAINT TRIGGER payment_referrers_sum AFTER INSERT ON payment_referrers
            DEFERRABLE INITIALLY DEFERRED
            FOR EACH ROW EXECUTE FUNCTION payment_referrers_sum();
        CREATE CONSTRAINT TRIGGER payments_referrers_sum AFTER INSERT ON payments
            DEFERRABLE INITIALLY DEFERRED
            FOR EACH ROW EXECUTE FUNCTION payment_referrers_sum();

        -- Is one of the caller's businesses paid through this payment's chain?
        CREATE FUNCTION app_paid_in(pay uuid) RETURNS boolean
            LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS
        $$ SELECT EXISTS (SELECT 1 FROM payment_referrers r WHERE r.payment_id = pay
                          AND app_member_of(r.professional_id)) $$;
        -- Does the caller see the payment (its own policy), for its referrers' rows?
        CREATE FUNCTION app_sees_payment(pay uuid) RETURNS boolean
            LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS
        $$ SELECT EXISTS (SELECT 1 FROM payments p WHERE p.id = pay
                          AND (p.payer_user_id = app_user_id() OR app_owns_lead(p.lead_id)
                               OR app_member_of(p.performer_professional_id)
                               OR app_member_of(p.referrer_professional_id))) $$;
        DROP POLICY payments_select ON payments;
        CREATE POLICY payments_select ON payments FOR SELECT
            USING (app_is_trusted() OR payer_user_id = app_user_id() OR app_owns_lead(lead_id)
                   OR app_member_of(performer_professional_id)
                   OR app_member_of(referrer_professional_id) OR app_paid_in(id));
    """)
    force_rls(op, "payment_referrers", app, "SELECT, INSERT")
    op.execute("""
        CREATE POLICY payment_referrers_select ON payment_referrers FOR SELECT
            USING (app_is_trusted() OR app_member_of(professional_id)
                   OR app_sees_payment(payment_id) OR app_paid_in(payment_id));
        -- Written with the payment, by whoever may write that one (the payer, as it starts).
        CREATE POLICY payment_referrers_insert ON payment_referrers FOR INSERT
            WITH CHECK (app_is_trusted() OR EXISTS (
                SELECT 1 FROM payments p WHERE p.id = payment_id AND p.status = 'created'
                AND p.payer_user_id = app_user_id()));
        CREATE POLICY payment_referrers_platform ON payment_referrers FOR ALL TO CURRENT_USER
            USING (true) WITH CHECK (true);
    """)
    _b2b_referrers()


def _b2b_referrers() -> None:
    """A b2b charge's (and a credit note's) referrers, one row each, with the statement that
    settled that referrer's part."""
    for table, parent, fk in (("b2b_charge_referrers", "b2b_charges", "charge_id"),
                              ("b2b_credit_referrers", "b2b_credits", "credit_id")):
        op.create_table(
            table,
            sa.Column(fk, sa.Uuid(), sa.ForeignKey(f"{parent}.id", ondelete="CASCADE"),
                      primary_key=True),
            sa.Column("position", sa.SmallInteger(), primary_key=True),
            sa.Column("professional_id", sa.Uuid(), sa.ForeignKey("professionals.id"),
                      nullable=False),
            sa.Column("share_pct", sa.Numeric(5, 2), nullable=False),
            sa.Column("fee", MONEY, nullable=False),
            sa.Column("statement_id", sa.Uuid(), sa.ForeignKey("settlement_statements.id")),
            sa.CheckConstraint("position BETWEEN 1 AND 10 AND share_pct BETWEEN 0 AND 90"
                               " AND fee >= 0", name=f"{table}_amounts"),
            sa.UniqueConstraint(fk, "professional_id", name=f"{table}_once"),
        )
        op.create_index(f"{table}_business", table, ["professional_id"])
        lead = "c" if parent == "b2b_charges" else "ch"
        op.execute(f"""
            INSERT INTO {table} ({fk}, position, professional_id, share_pct, fee, statement_id)
            SELECT c.id, 1, c.referrer_professional_id,
                   coalesce((SELECT r.commission_percentage FROM referrals r
                             WHERE r.lead_id = {lead}.lead_id AND r.status = 'accepted'
                             LIMIT 1),
                            (SELECT l.referrer_share_percentage FROM leads l
                             WHERE l.id = {lead}.lead_id), 0),
                   c.referrer_fee, c.referrer_statement_id
            FROM {parent} c
            {'' if parent == 'b2b_charges' else 'JOIN b2b_charges ch ON ch.id = c.charge_id'}
            WHERE c.referrer_fee > 0 AND c.referrer_professional_id IS NOT NULL;
        """)
    op.execute("""
        -- Is one of the caller's businesses (as its owner) a referrer of this charge or credit?
        CREATE FUNCTION app_refers_charge(cid uuid) RETURNS boolean
            LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS
        $$ SELECT EXISTS (SELECT 1 FROM b2b_charge_referrers r WHERE r.charge_id = cid
                          AND app_owner_of(r.professional_id)) $$;
        CREATE FUNCTION app_refers_credit(cid uuid) RETURNS boolean
            LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS
        $$ SELECT EXISTS (SELECT 1 FROM b2b_credit_referrers r WHERE r.credit_id = cid
                          AND app_owner_of(r.professional_id)) $$;
        -- Does the caller read the charge or credit itself (its own policy)? Then it reads all
        -- of its chain's parts.
        CREATE FUNCTION app_reads_charge(cid uuid) RETURNS boolean
            LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS
        $$ SELECT EXISTS (SELECT 1 FROM b2b_charges c WHERE c.id = cid
                          AND (app_owner_of(c.performer_professional_id)
                               OR app_owner_of(c.referrer_professional_id)))
                  OR app_refers_charge(cid) $$;
        CREATE FUNCTION app_reads_credit(cid uuid) RETURNS boolean
            LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS
        $$ SELECT EXISTS (SELECT 1 FROM b2b_credits c WHERE c.id = cid
                          AND (app_owner_of(c.performer_professional_id)
                               OR app_owner_of(c.referrer_professional_id)))
                  OR app_refers_credit(cid) $$;
        -- the functions above read these tables as their owner: it reads every row
        CREATE POLICY b2b_charges_owner ON b2b_charges FOR ALL TO CURRENT_USER
            USING (true) WITH CHECK (true);
        CREATE POLICY b2b_credits_owner ON b2b_credits FOR ALL TO CURRENT_USER
            USING (true) WITH CHECK (true);
        DROP POLICY b2b_charges_read ON b2b_charges;
        CREATE POLICY b2b_charges_read ON b2b_charges FOR SELECT
            USING (app_is_trusted() OR app_owner_of(performer_professional_id)
                   OR app_owner_of(referrer_professional_id) OR app_refers_charge(id));
        DROP POLICY b2b_credits_read ON b2b_credits;
        CREATE POLICY b2b_credits_read ON b2b_credits FOR SELECT
            USING (app_is_trusted() OR app_owner_of(performer_professional_id)
                   OR app_owner_of(referrer_professional_id) OR app_refers_credit(id));
    """)
    for table, fk, reads in (("b2b_charge_referrers", "charge_id", "app_reads_charge"),
                             ("b2b_credit_referrers", "credit_id", "app_reads_credit")):
        force_rls(op, table, quoted_app_role(op), "SELECT, INSERT, UPDATE")
        op.execute(f"""
            CREATE POLICY {table}_read ON {table} FOR SELECT
                USING (app_is_trusted() OR app_owner_of(professional_id) OR {reads}({fk}));
            CREATE POLICY {table}_platform ON {table} FOR ALL
                USING (app_is_trusted()) WITH CHECK (app_is_trusted());
            CREATE POLICY {table}_owner ON {table} FOR ALL TO CURRENT_USER
                USING (true) WITH CHECK (true);
        """)


def downgrade() -> None:
    op.execute("""
        DROP POLICY b2b_charges_owner ON b2b_charges;
        DROP POLICY b2b_credits_owner ON b2b_credits;
        DROP POLICY b2b_charges_read ON b2b_charges;
        CREATE POLICY b2b_charges_read ON b2b_charges FOR SELECT
            USING (app_is_trusted() OR app_owner_of(performer_professional_id)
                   OR app_owner_of(referrer_professional_id));
        DROP POLICY b2b_credits_read ON b2b_credits;
        CREATE POLICY b2b_credits_read ON b2b_credits FOR SELECT
            USING (app_is_trusted() OR app_owner_of(performer_professional_id)
                   OR app_owner_of(referrer_professional_id));
    """)
    op.drop_table("b2b_credit_referrers")
    op.drop_table("b2b_charge_referrers")
    op.execute("""
        DROP FUNCTION app_refers_charge(uuid);
        DROP FUNCTION app_refers_credit(uuid);
        DROP FUNCTION app_reads_charge(uuid);
        DROP FUNCTION app_reads_credit(uuid);
    """)
    op.execute("""
        DROP POLICY payments_select ON payments;
        CREATE POLICY payments_select ON payments FOR SELECT
            USING (app_is_trusted() OR payer_user_id = app_user_id() OR app_owns_lead(lead_id)
                   OR app_member_of(performer_professional_id)
                   OR app_member_of(referrer_professional_id));
    """)
    op.drop_table("payment_referrers")
    op.execute("""
        DROP TRIGGER payments_referrers_sum ON payments;
        DROP FUNCTION payment_referrers_sum();
        DROP FUNCTION app_paid_in(uuid);
        DROP FUNCTION app_sees_payment(uuid);
        DELETE FROM referrals WHERE parent_id IS NOT NULL;
        UPDATE referrals SET status = 'expired' WHERE status = 'referred_on';
        DELETE FROM lead_events WHERE event = 'referral_passed_on';
        DROP POLICY referrals_select ON referrals;
        CREATE POLICY referrals_select ON referrals FOR SELECT
            USING (app_member_of(referrer_professional_id)
                   OR app_member_of(receiver_professional_id) OR app_is_trusted());
        DROP POLICY referrals_insert ON referrals;
        CREATE POLICY referrals_insert ON referrals FOR INSERT
            WITH CHECK (app_is_trusted() OR (
                app_member_of(referrer_professional_id) AND created_by = app_user_id()
                AND status = 'pending' AND proposal_id IS NULL AND EXISTS (
                    SELECT 1 FROM leads l WHERE l.id = lead_id
                    AND l.owner_professional_id = referrer_professional_id
                    AND l.type = 'professional_referral' AND l.status = 'active'
                    AND l.referrer_share_percentage = commission_percentage)));
        DROP FUNCTION app_in_chain(uuid) CASCADE;
        DROP TRIGGER referrals_chain ON referrals;
        DROP FUNCTION referrals_chain();
    """)
    op.execute(_guard(RECEIVER_MOVES, FROZEN))
    op.execute(_events_policies(passed_on=False))
    _status_check("lead_events", "lead_events_event", "event", LEAD_EVENTS)
    _status_check("referrals", "referrals_status", "status", STATUSES)
    op.drop_constraint("referrals_depth", "referrals")
    op.drop_column("referrals", "depth")
    op.drop_column("referrals", "chain_id")
    op.drop_column("referrals", "parent_id")
