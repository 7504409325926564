"""A consumer's request gets offers from two pros, live on the consumer's page; the consumer
chooses one behind a confirmation; the winner sees the client's phone, the other pro does not.
A pro refers its lead to a colleague, who takes it from the referrals inbox."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from ofair_app import reference
from ofair_app.domain.leads import LeadVisibility
from tests.e2e.conftest import PHONE, sign_in_as
from tests.e2e.test_identity import local
from tests.factories import (
    PNG_BYTES,
    city,
    make_lead,
    make_professional,
    make_user,
    pro_lead_data,
    token_for,
)

LIVE_WAIT_MS = 15_000  # offers are fetched every few seconds


def _pro_page(browser, app_url, owner):
    context = browser.new_context(base_url=app_url, viewport=PHONE, locale="he-IL")
    page = context.new_page()
    sign_in_as(page, app_url, token_for(owner))
    return context, page


def _send_offer(page, lead_id, price: str, text: str, photo: bool = False) -> None:
    page.goto(f"/pro/leads/{lead_id}")
    page.fill("#offer-price", price)
    page.fill("#offer-description", text)
    if photo:
        page.set_input_files("#offer-files input[type=file]", files=[{
            "name": "earlier-job.png", "mimeType": "image/png", "buffer": PNG_BYTES}])
        expect(page.get_by_text("earlier-job.png")).to_be_visible()
    page.click("#send-offer")
    expect(page.locator("#my-offer")).to_contain_text("ההצעה שלך")


def test_two_offers_arrive_live_and_only_the_chosen_pro_sees_the_phone(page, browser,
                                                                       app_url) -> None:
    category = reference.categories()[0]
    consumer = make_user(name="רונית לקוחה")
    lead = make_lead(consumer)
    _, owner_a = make_professional(make_user(name="אבי"), business_name="אינסטלציה אבי",
                                   category=category.slug, locality_id=city("Haifa"))
    _, owner_b = make_professional(make_user(name="בני"), business_name="שרברבות בני",
                                   category=category.slug, locality_id=city("Haifa"))

    sign_in_as(page, app_url, token_for(consumer))
    page.goto(f"/my/requests/{lead.id}")
    expect(page.locator("#offers")).to_contain_text("עוד אין הצעות")

    context_a, page_a = _pro_page(browser, app_url, owner_a)
    context_b, page_b = _pro_page(browser, app_url, owner_b)
    _send_offer(page_a, lead.id, "600", "אגיע מחר בבוקר עם חלקים מקוריים, אחריות לשנה.",
                photo=True)
    # the consumer's open page shows it without a reload
    expect(page.locator(".offer-card")).to_have_count(1, timeout=LIVE_WAIT_MS)
    # an offer too long for the form is named beside its field, and nothing is sent
    page_b.goto(f"/pro/leads/{lead.id}")
    page_b.fill("#offer-price", "550")
    page_b.fill("#offer-description", "א" * 6001)
    page_b.click("#send-offer")
    expect(page_b.get_by_text("יש להזין עד 6000 תווים")).to_be_visible()
    expect(page_b.locator("#my-offer")).to_have_count(0)
    expect(page.locator(".offer-card")).to_have_count(1)
    _send_offer(page_b, lead.id, "550", "יכול להגיע עוד היום, כולל החלפת צנרת קצרה.")
    expect(page.locator(".offer-card")).to_have_count(2, timeout=LIVE_WAIT_MS)
    expect(page.locator("#offer-count")).to_have_text("2")

    chosen = page.locator(".offer-card", has_text="אינסטלציה אבי")
    expect(chosen).to_contain_text("₪600")
    expect(chosen.locator(".offer-file")).to_have_text("earlier-job.png")
    chosen.locator(".choose-offer").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("הפרטים שלך נמסרים רק לעסק הזה")
    dialog.locator(".confirm-offer").click()
    expect(chosen).to_contain_text("נבחרה")
    expect(page.locator(".offer-card", has_text="שרברבות בני")).to_contain_text("לא נבחרה")
    expect(page.locator(".choose-offer")).to_have_count(0)

    page_a.reload()
    expect(page_a.locator("#my-offer")).to_contain_text("ההצעה שלך נבחרה!")
    page_a.click("#reveal-contact")
    expect(page_a.locator("#client-details")).to_contain_text(local(consumer.phone))
    expect(page_a.locator("#client-details")).to_contain_text("רונית לקוחה")

    page_b.reload()
    expect(page_b.locator("#my-offer")).to_contain_text("לא נבחרה")
    expect(page_b.locator("#reveal-contact")).to_have_count(0)
    html = page_b.content()
    for secret in (consumer.phone, consumer.phone[4:], local(consumer.phone), "רונית לקוחה"):
        assert secret not in html, secret
    context_a.close()
    context_b.close()


def test_a_pro_refers_a_private_lead_and_the_colleague_takes_it(page, browser,
                                                               app_url) -> None:
    category = reference.categories()[0]
    business, referrer = make_professional(make_user(name="רם"), business_name="שיפוצי רם",
                                           category=category.slug, locality_id=city("Haifa"))
    make_professional(make_user(name="טל"), business_name="טל אינסטלציה",
                      category=category.slug, locality_id=city("Haifa"))
    _, colleague = make_professional(make_user(name="גל"), business_name="גל צנרת",
                                     category=category.slug, locality_id=city("Haifa"))
    lead = make_lead(referrer, pro_lead_data(business, visibility=LeadVisibility.private))

    sign_in_as(page, app_url, token_for(referrer))
    page.goto(f"/pro/leads/{lead.id}")
    page.click("#share-open")
    page.fill("#share-search", "גל צנ")
    result = page.locator(".share-result", has_text="גל צנרת")
    expect(result).to_be_visible()
    result.locator(".share-send").click()
    expect(page.locator("#share-box")).to_contain_text("גל צנרת")
    expect(page.locator("#share-box")).to_contain_text("ממתינה לתשובה")

    context, pro_page = _pro_page(browser, app_url, colleague)
    pro_page.goto("/pro/referrals")
    card = pro_page.locator(".referral-card").first
    expect(card).to_contain_text("החלפת דוד שמש")
    expect(card).to_contain_text("20%")
    expect(card).to_contain_text("שיפוצי רם")
    assert "052-765-4321" not in pro_page.content()
    card.locator(".accept-referral").click()
    dialog = pro_page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("החלפת דוד שמש")  # what is taken, from whom, at what terms
    expect(dialog).to_contain_text("שיפוצי רם")
    expect(dialog).to_contain_text("20%")
    dialog.locator(".confirm-accept-referral").click()
    expect(pro_page).to_have_url(re.compile(rf"/pro/leads/{lead.id}$"))
    expect(pro_page.locator("#my-offer")).to_contain_text("ההצעה שלך נבחרה!")
    pro_page.click("#reveal-contact")
    expect(pro_page.locator("#client-details")).to_contain_text("052-765-4321")
    context.close()


def test_the_client_pays_with_the_sandbox_card_and_the_performer_sees_it_held(
        page, browser, app_url) -> None:
    category = reference.categories()[0]
    consumer = make_user(name="רונית לקוחה")
    lead = make_lead(consumer)
    _, performer = make_professional(make_user(name="אבי"), business_name="אינסטלציה אבי",
                                     category=category.slug, locality_id=city("Haifa"))
    context, pro_page = _pro_page(browser, app_url, performer)
    _send_offer(pro_page, lead.id, "600", "אגיע מחר בבוקר עם חלקים מקוריים, אחריות לשנה.")

    sign_in_as(page, app_url, token_for(consumer))
    page.goto(f"/my/requests/{lead.id}")
    page.locator(".choose-offer").click()
    page.get_by_role("alertdialog").locator(".confirm-offer").click()
    # the two sides settled on another price before paying
    page.locator(".change-price").click()
    page.locator(".new-price input").fill("620")
    page.locator(".save-price").click()
    expect(page.locator(".offer-card").first).to_contain_text("₪620")
    page.click("#start-payment")
    expect(page).to_have_url(re.compile(r"/checkout/cs_sandbox_[0-9a-f]+$"))
    expect(page.locator("#checkout-amount")).to_have_text("₪620")
    first_checkout = page.url
    page.fill("#card-number", "4000 0000 0000 0002")
    page.fill("#card-expiry", "12/30")
    page.fill("#card-cvc", "123")
    page.click("#pay")
    expect(page.get_by_text("הכרטיס נדחה")).to_be_visible()

    # While that checkout is open, the performer changes the price: the open checkout closes
    # (it would charge ₪620), and the next one charges ₪640.
    pro_page.goto(f"/pro/leads/{lead.id}")
    pro_page.locator(".change-price").click()
    pro_page.locator(".new-price input").fill("640")
    pro_page.locator(".save-price").click()
    expect(pro_page.locator("#my-offer")).to_contain_text("₪640")
    page.fill("#card-number", "4242424242424242")
    page.click("#pay")
    expect(page.get_by_text("התשלום הזה כבר לא פתוח.")).to_be_visible()
    page.goto(f"/my/requests/{lead.id}")
    expect(page.locator(".offer-card").first).to_contain_text("₪640")
    page.click("#start-payment")
    expect(page).to_have_url(re.compile(r"/checkout/cs_sandbox_[0-9a-f]+$"))
    assert page.url != first_checkout
    expect(page.locator("#checkout-amount")).to_have_text("₪640")

    # The client, back without paying, settles on ₪650 with the checkout still open.
    page.goto(f"/my/requests/{lead.id}")
    page.locator(".change-price").click()
    page.locator(".new-price input").fill("650")
    page.locator(".save-price").click()
    expect(page.locator(".offer-card").first).to_contain_text("₪650")
    page.click("#start-payment")
    expect(page).to_have_url(re.compile(r"/checkout/cs_sandbox_[0-9a-f]+$"))
    expect(page.locator("#checkout-amount")).to_have_text("₪650")
    page.fill("#card-number", "4242424242424242")
    page.fill("#card-expiry", "12/30")
    page.fill("#card-cvc", "123")
    page.click("#pay")
    expect(page).to_have_url(re.compile(rf"/my/requests/{lead.id}\?paid=1$"))
    expect(page.locator("#deal-box")).to_contain_text("הכסף מוחזק בנאמנות")

    pro_page.goto("/pro/wallet")
    expect(pro_page.locator("#pending-balance")).to_have_text("₪585")  # 650 − 10%
    expect(pro_page.locator("#available-balance")).to_have_text("₪0")
    expect(pro_page.locator(".wallet-line").first).to_contain_text("₪585")
    pro_page.goto(f"/pro/leads/{lead.id}")
    pro_page.click("#mark-done")
    dialog = pro_page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("₪585")  # what will reach the wallet
    dialog.locator(".confirm-action").click()
    expect(pro_page.locator("#my-offer")).to_contain_text("ממתינים לאישור הלקוח")
    context.close()

    page.reload()
    page.click("#confirm-done")
    page.get_by_role("alertdialog").get_by_role("button", name="אישור שהעבודה הסתיימה").click()
    expect(page.locator("#deal-box")).to_contain_text("העבודה הסתיימה ואושרה")
