"""The installable pro app in Chromium: the service worker is active on the pro pages, the
manifest passes Chromium's installability checks, a page never visited shows the offline page,
"enable notifications on this device" stores the browser's subscription, and a push payload
(what the outbox sends to that device) shows a notification that opens the page it is about.

Headless Chromium has no push service to subscribe with, so the browser's
`PushManager.subscribe` answers a subscription of the shape a real one has (with real P-256 and
auth keys); the encrypted, signed request to a push service is tested against a stand-in in
tests/integration/test_push_delivery.py. The push itself is handed to the worker as the browser
would hand it over (DevTools' `ServiceWorker.deliverPushMessage`).
"""

from __future__ import annotations

import base64
import json
import os
import re

from playwright.sync_api import expect
from sqlalchemy import text

from ofair_app.db.engine import SYSTEM, unit_of_work
from ofair_app.models import OutboxMessage
from ofair_app.services import notifications, push
from ofair_app.settings import get_settings
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, sign_in_as
from tests.factories import caller_for, make_professional, make_user, token_for


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _fake_push_service(endpoint: str) -> str:
    """A `PushManager` that subscribes without a push service (headless Chromium has none)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    point = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    subscription = {"endpoint": endpoint, "expirationTime": None,
                    "keys": {"p256dh": _b64(point), "auth": _b64(os.urandom(16))}}
    return "const OFAIR_FAKE_SUBSCRIPTION = " + json.dumps(subscription) + ";" + """
    (() => {
      const json = OFAIR_FAKE_SUBSCRIPTION;
      let current = null;
      const make = (key) => ({endpoint: json.endpoint, expirationTime: null,
        options: {applicationServerKey: key},
        toJSON: () => json, unsubscribe: async () => { current = null; return true; }});
      PushManager.prototype.subscribe = async function (options) {
        current = make(options.applicationServerKey); return current; };
      PushManager.prototype.getSubscription = async function () { return current; };
      PushManager.prototype.permissionState = async function () { return "granted"; };
    })();
    """


def _registration(page) -> dict:
    """The worker's registration once it is active (`ready` resolves while it activates)."""
    for _ in range(100):
        if page.evaluate("""async () => {
                const reg = await navigator.serviceWorker.ready;
                return !!reg.active && reg.active.state === "activated"; }"""):
            break
        page.wait_for_timeout(100)
    return page.evaluate("""async () => {
        const reg = await navigator.serviceWorker.ready;
        return {scope: reg.scope, state: reg.active && reg.active.state,
                script: reg.active && reg.active.scriptURL};
    }""")


def test_the_worker_runs_on_pro_pages_and_the_app_is_installable(
        page, browser, app_url, tmp_path) -> None:
    _, pro = make_professional(business_name="התקנות")
    sign_in_as(page, app_url, token_for(pro))
    page.goto("/pro")
    expect(page.locator("main")).to_be_visible()
    registration = _registration(page)
    assert registration == {"scope": f"{app_url}/", "state": "activated",
                            "script": f"{app_url}/sw.js"}

    # Chromium installs nothing from an incognito window (every test context is one): its
    # installability check runs in a profile of its own, as a person's browser would be
    profile = browser.browser_type.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
        base_url=app_url, viewport=PHONE, locale="he-IL")
    try:
        installed = profile.pages[0] if profile.pages else profile.new_page()
        installed.goto("/pro")
        _registration(installed)
        cdp = profile.new_cdp_session(installed)
        errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
        assert errors == [], errors
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["errors"] == [] and "/manifest.json" in manifest["url"]

        # a pro page never opened, with the network gone: the offline page, in both
        # languages (in this profile: the page under test would log its socket's failures)
        profile.set_offline(True)
        offline = profile.new_page()
        offline.goto(f"{app_url}/pro/wallet")
        expect(offline.get_by_role("heading", name="אין חיבור לאינטרנט")).to_be_visible()
        expect(offline.get_by_role("heading", name="You're offline")).to_be_visible()
    finally:
        profile.close()


def test_notifications_on_this_device_from_enabling_to_a_shown_notification(
        page, app_url) -> None:
    _, pro = make_professional(make_user(name="גיל"), business_name="גיל חשמל")
    endpoint = "https://push.example.test/send/" + _b64(os.urandom(12))
    page.add_init_script(_fake_push_service(endpoint))
    page.context.grant_permissions(["notifications"], origin=app_url)
    sign_in_as(page, app_url, token_for(pro))
    page.goto("/account")
    page.locator("#push-enable").click()
    expect(page.locator("#push-on")).to_be_visible()
    with unit_of_work(SYSTEM) as session:
        stored = session.execute(text(
            "SELECT id, endpoint FROM push_subscriptions WHERE user_id = :u"),
            {"u": pro.id}).all()
    assert [row.endpoint for row in stored] == [endpoint]

    # something happens for this person: the outbox holds one push for the device
    site = get_settings().ofair_public_url.rstrip("/")
    with unit_of_work(caller_for(make_user())) as session:
        notifications.tell(session=session, caller=caller_for(make_user()),
                           template="payout_paid", users=[pro.id],
                           params={"amount": "₪1,250.00",
                                   "wallet_url": f"{site}/pro/wallet"})
    notifications.drain()
    with unit_of_work(SYSTEM) as session:
        message = session.exec(OutboxMessage.__table__.select().where(
            OutboxMessage.__table__.c.user_id == pro.id,
            OutboxMessage.__table__.c.channel == "push")).one()
        payload = push.payload_of(OutboxMessage(**message._mapping))
    assert message.to_address == str(stored[0].id)

    # the browser hands it to the worker, which shows it
    cdp = page.context.new_cdp_session(page)
    registrations: list[dict] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated",
           lambda event: registrations.extend(event["registrations"]))
    cdp.send("ServiceWorker.enable")
    _registration(page)
    for _ in range(150):  # up to 15 s: the worker is slower on a busy machine
        if any(r["scopeURL"] == f"{app_url}/" for r in registrations):
            break
        page.wait_for_timeout(100)
    registration_id = next(r["registrationId"] for r in registrations
                           if r["scopeURL"] == f"{app_url}/" and not r.get("isDeleted"))
    cdp.send("ServiceWorker.deliverPushMessage", {
        "origin": app_url, "registrationId": registration_id, "data": json.dumps(payload)})
    shown = """async () => (await (await navigator.serviceWorker.ready).getNotifications())
        .map(n => ({title: n.title, body: n.body, url: n.data && n.data.url, lang: n.lang}))"""
    notes: list[dict] = []
    for _ in range(150):
        notes = page.evaluate(shown)
        if notes:
            break
        page.wait_for_timeout(100)
    [notification] = notes
    assert notification == {"title": "OFAIR", "body": "העברנו ₪1,250.00 לחשבון הבנק שלכם",
                            "url": "/pro/wallet", "lang": "he"}

    # turning it off on this device forgets the subscription
    page.locator("#push-disable").click()
    expect(page.locator("#push-enable")).to_be_visible()
    with unit_of_work(SYSTEM) as session:
        assert session.execute(text("SELECT count(*) FROM push_subscriptions WHERE user_id = :u"),
                               {"u": pro.id}).scalar_one() == 0

    # a tap on it opens the page it is about in the open window (the worker's
    # `notificationclick`, dispatched in the worker: Chromium has no way to click one)
    worker = page.context.service_workers[0]
    worker.evaluate("""async () => {
        let [note] = await self.registration.getNotifications();
        if (!note) {  // a headless browser may have closed it already: the same one again
            await self.registration.showNotification("OFAIR", {data: {url: "/pro/wallet"}});
            [note] = await self.registration.getNotifications();
        }
        self.dispatchEvent(new NotificationEvent("notificationclick", {notification: note}));
    }""")
    expect(page).to_have_url(re.compile(rf"{re.escape(app_url)}/pro/wallet/?$"))
