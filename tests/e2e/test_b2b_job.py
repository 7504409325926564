"""A job's life on a b2b deployment (the server runs with `SETTLEMENT_MODE=b2b`): no checkout.
The client chooses a professional and pays it directly; the professional starts the job from
its lead page and marks it done; the client confirms; what the job owes the platform is
recorded at close and shows on the professional's invoices page as this month's fee."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

from playwright.sync_api import expect
from sqlmodel import select

from ofair_app.db.engine import SYSTEM, unit_of_work
from ofair_app.domain.leads import LeadStatus
from ofair_app.models import B2bCharge, Lead
from tests.e2e.conftest import sign_in_as
from tests.e2e.test_a11y_axe import _axe, _report, _settle
from tests.factories import make_professional, make_user, make_won_job, token_for

SHOTS = os.environ.get("OFAIR_SHOTS_DIR", "")


def _lead(lead_id) -> Lead:
    with unit_of_work(SYSTEM) as session:
        found = session.get(Lead, lead_id)
        assert found is not None
        return found


def test_a_job_is_started_done_and_confirmed_with_no_checkout(b2b_page, browser,
                                                                b2b_url) -> None:
    page, app_url = b2b_page, b2b_url
    consumer = make_user(name="שירה")
    _, performer = make_professional(make_user(name="עמית"), business_name="מיזוג עמית")
    lead = make_won_job(consumer, performer, "900")

    client_context = browser.new_context(base_url=app_url, viewport={"width": 390,
                                                                      "height": 844})
    client = client_context.new_page()
    sign_in_as(client, app_url, token_for(consumer))
    client.goto(f"/my/requests/{lead.id}")
    # chosen, and nothing to pay here: the client pays the professional directly
    expect(client.locator("#deal-box")).to_contain_text("תשלמו לו ישירות")
    expect(client.locator("#start-payment")).to_have_count(0)
    _settle(client)
    problems = _report("the client's request, chosen (b2b)", _axe(client))

    sign_in_as(page, app_url, token_for(performer))
    page.goto(f"/pro/leads/{lead.id}")
    page.locator("#start-work").wait_for()
    expect(page.locator("#mark-done")).to_have_count(0)
    _settle(page)
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / "b2b-start-390-he.png"), full_page=True)
    problems += _report("the won job (b2b)", _axe(page))
    page.click("#start-work")
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_be_visible()
    page.wait_for_timeout(300)  # the dialog's opening animation
    problems += _report("the start-work dialog", _axe(page))
    dialog.locator(".confirm-cancel").click()  # changing one's mind changes nothing
    expect(dialog).to_have_count(0)
    assert _lead(lead.id).status == LeadStatus.awarded
    page.click("#start-work")
    page.get_by_role("alertdialog").locator(".confirm-action").click()
    expect(page.get_by_text("העבודה בביצוע").first).to_be_visible()
    expect(page.locator("#start-work")).to_have_count(0)
    assert _lead(lead.id).status == LeadStatus.in_progress

    client.reload()
    expect(client.locator("#deal-box")).to_contain_text("העבודה בביצוע")

    page.click("#mark-done")
    page.get_by_role("alertdialog").locator(".confirm-action").click()
    expect(page.locator("#my-offer")).to_contain_text("ממתינים לאישור הלקוח")

    client.reload()
    client.click("#confirm-done")
    confirm = client.get_by_role("alertdialog")
    expect(confirm).to_contain_text("העבודה תיסגר")
    confirm.get_by_role("button", name="אישור שהעבודה הסתיימה").click()
    expect(client.locator("#deal-box")).to_contain_text("העבודה הסתיימה ואושרה")
    client_context.close()

    assert _lead(lead.id).status == LeadStatus.closed
    with unit_of_work(SYSTEM) as session:
        charge = session.exec(select(B2bCharge).where(B2bCharge.lead_id == lead.id)).one()
    assert (charge.final_amount, charge.platform_commission) == (Decimal("900.00"),
                                                                 Decimal("90.00"))

    page.goto("/pro/invoices")
    expect(page.locator("#month-jobs")).to_have_text("1")
    expect(page.locator("#month-fees")).to_contain_text("90")
    assert problems == [], "\n".join(problems)
