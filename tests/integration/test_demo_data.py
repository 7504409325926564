"""`python -m ofair_app demo-data`: leads in every state, made through the services, once."""

from __future__ import annotations

from sqlalchemy import text

from ofair_app.db.engine import SYSTEM, unit_of_work
from ofair_app.demo import make_demo_data
from ofair_app.domain.leads import LeadStatus


def rows(query: str):
    with unit_of_work(SYSTEM) as session:
        return session.execute(text(query)).all()


def test_demo_data_has_every_lead_state_and_is_made_once(db) -> None:
    first = make_demo_data()
    assert first[0] == "Demo data made."
    statuses = {status for (status,) in rows("SELECT DISTINCT status FROM leads")}
    assert statuses == {status.value for status in LeadStatus}
    assert rows("SELECT count(*) FROM referrals WHERE status = 'pending'") == [(1,)]
    assert rows("SELECT count(*) FROM lead_board WHERE direct_contact") == [(1,)]
    assert rows("SELECT coalesce(sum(amount), 0) FROM ledger_entries") == [(0,)]
    assert rows("SELECT count(*) FROM ledger_transactions WHERE kind = 'post'") == [(1,)]
    # the closed job is reviewed, and its business's score says so; every business visits
    assert rows("SELECT p.rating, p.review_count FROM professionals p"
                " JOIN reviews r ON r.professional_id = p.id") == [(5, 1)]
    assert rows("SELECT count(*) FROM visit_settings") == rows(
        "SELECT count(*) FROM professionals")
    counts = rows("SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM leads),"
                  " (SELECT count(*) FROM professionals)")
    second = make_demo_data()
    assert second[0].startswith("Demo data was already there")
    assert rows("SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM leads),"
                " (SELECT count(*) FROM professionals)") == counts
    assert any("+972500000101" in line for line in second)
