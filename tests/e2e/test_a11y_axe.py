"""Accessibility sweep (IS 5568 = WCAG 2.1 AA): every page of the app, run through axe-core
(the npm package, tests/e2e/axe, installed by `./ofair setup`/`./ofair test`), with zero
violations of the wcag2a/wcag2aa/wcag21a/wcag21aa rules: logged out and as each role (consumer,
business owner, admin), in Hebrew and in English, at 390 px and at 1280 px, on pages that hold
data (a request with offers, a lead, a wallet with money, a referral, a dispute, a payout) and
with their confirmation dialogs open.

SWEEP names how to reach every route the app registers (pages/__init__.py); a page added to
the app and not to SWEEP fails `test_every_registered_page_is_swept`, so new pages are checked
as they are built. A failure lists each violation: the rule, the page and the node's selector.

The sweep itself runs in test_a11y_keyboard.py: one visit of each page checks axe's rules at
both sizes together with the keyboard, touch and zoom checks, so no page loads twice.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import expect

SHOTS = os.environ.get("OFAIR_SHOTS_DIR", "")
# With OFAIR_SHOTS_DIR set, these pages are saved as the sweep passes them, for a person to see.
SHOT_PATHS = {"/", "/account", "/notifications", "{chat}", "/pro", "/pro/profile",
              "/my/requests/{open_lead}",
              "{card_setup}", "/pro/invoices", "/pro/plan", "/admin/finance",
              "/pro/leads/{direct_lead}", "/pro/leads/{unlocked_lead}",
              "/my/requests/{unlocked_lead}",
              "/admin/audit", "/pro/unlocks", "/admin/unlock-claims", "{unlock_check}",
              "/pro/leads/{chain_lead}", "/admin/commission-rules"}
AXE_JS = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@dataclass(frozen=True)
class Visit:
    """One page as one role sees it: `path` (with `{...}` filled from the data), and the
    selectors of buttons that open a dialog to check too."""

    route: str
    role: str
    path: str
    dialogs: tuple[str, ...] = ()


# Every registered route, and who visits it where. Roles: anon, consumer, pro, admin.
SWEEP: list[Visit] = [
    Visit("/", "anon", "/"),
    Visit("/", "consumer", "/"),
    Visit("/login", "anon", "/login"),
    Visit("/pros/[professional_id]", "anon", "/pros/{pro_id}"),
    Visit("/pros/[professional_id]", "consumer", "/pros/{pro_id}"),
    Visit("/account", "consumer", "/account"),
    Visit("/account", "pro", "/account"),
    Visit("/account", "admin", "/account"),
    Visit("/my/requests", "consumer", "/my/requests"),
    Visit("/my/requests/[lead_id]", "consumer", "/my/requests/{open_lead}",
          dialogs=(".choose-offer",)),
    Visit("/my/requests/[lead_id]", "consumer", "/my/requests/{awarded_lead}",
          dialogs=("#unaward",)),
    Visit("/my/requests/[lead_id]", "consumer", "/my/requests/{disputed_lead}"),
    Visit("/my/requests/[lead_id]", "consumer", "/my/requests/{closed_lead}"),  # review form
    Visit("/my/requests/[lead_id]", "consumer", "/my/requests/{unlocked_lead}"),  # who unlocked
    Visit("/my/requests/[lead_id]", "consumer", "/my/requests/{milestone_lead}",
          dialogs=(".ms-approve",)),  # a job in milestones
    Visit("/checkout/[reference]", "consumer", "{checkout}"),
    Visit("/invitations", "consumer", "/invitations"),
    Visit("/notifications", "consumer", "/notifications"),
    Visit("/notifications", "pro", "/notifications"),
    Visit("/messages/[thread_id]", "consumer", "{chat}"),
    Visit("/messages/[thread_id]", "pro", "{chat}"),
    Visit("/messages/[thread_id]", "admin", "{dispute_chat}"),
    Visit("/pro/onboarding", "consumer", "/pro/onboarding"),
    Visit("/pro", "anon", "/pro"),
    Visit("/pro", "pro", "/pro"),
    Visit("/pro/leads/new", "pro", "/pro/leads/new"),
    Visit("/pro/leads/[lead_id]", "pro", "/pro/leads/{open_lead}"),
    Visit("/pro/leads/[lead_id]", "pro", "/pro/leads/{awarded_lead}"),
    Visit("/pro/leads/[lead_id]", "pro", "/pro/leads/{own_lead}"),
    Visit("/pro/leads/[lead_id]", "pro", "/pro/leads/{reviewed_lead}"),  # the reply form
    Visit("/pro/leads/[lead_id]", "pro", "/pro/leads/{milestone_lead}"),  # progress, photos
    Visit("/pro/leads/[lead_id]", "pro", "/pro/leads/{direct_lead}",
          dialogs=("#unlock-button",)),  # a direct-contact request to unlock
    Visit("/pro/leads/[lead_id]", "pro", "/pro/leads/{unlocked_lead}"),  # the refund form
    Visit("/pro/leads/[lead_id]", "pro", "/pro/leads/{chain_lead}",
          dialogs=("#pass-open",)),  # a referral chain, and passing the lead on
    Visit("/pro/my-leads", "pro", "/pro/my-leads"),
    Visit("/pro/referrals", "pro", "/pro/referrals"),
    Visit("/pro/wallet", "pro", "/pro/wallet"),
    Visit("/pro/invoices", "pro", "/pro/invoices"),
    Visit("/pro/plan", "pro", "/pro/plan"),
    Visit("/pro/unlocks", "pro", "/pro/unlocks"),
    Visit("/pro/profile", "pro", "/pro/profile", dialogs=(".card-remove",)),
    Visit("/checkout/[reference]", "pro", "{card_setup}"),  # saving a card for the business
    Visit("/pro/team", "pro", "/pro/team"),
    Visit("/pro/check-in", "pro", "/pro/check-in"),
    Visit("/pro/check-in", "pro", "{check_in_link}"),  # from the client's QR code
    Visit("/admin", "admin", "/admin"),
    Visit("/admin/professionals", "admin", "/admin/professionals"),
    Visit("/admin/payouts", "admin", "/admin/payouts"),
    Visit("/admin/disputes", "admin", "/admin/disputes"),
    Visit("/admin/unlock-claims", "admin", "/admin/unlock-claims", dialogs=(".claim-refund",)),
    Visit("/admin/finance", "admin", "/admin/finance"),
    Visit("/admin/commission-rules", "admin", "/admin/commission-rules",
          dialogs=(".rule-retire",)),
    Visit("/admin/audit", "admin", "/admin/audit"),
    Visit("/admin/users", "admin", "/admin/users"),
    Visit("/admin/leads", "admin", "/admin/leads"),
    Visit("/admin/reports", "admin", "/admin/reports"),
    Visit("/accessibility", "anon", "/accessibility"),
    Visit("/accessibility", "pro", "/accessibility"),
    Visit("/privacy", "anon", "/privacy"),
    Visit("/terms", "anon", "/terms"),
    Visit("/terms", "consumer", "/terms"),
    Visit("/unsubscribe", "anon", "/unsubscribe?token=not-a-real-link"),
    Visit("/unlock-check/[token]", "anon", "{unlock_check}"),
    Visit("/unlock-check/[token]", "anon", "/unlock-check/not-a-real-link-at-all"),
    Visit("404", "anon", "/no/such/page"),
]
ROLES = ["anon", "consumer", "pro", "admin"]


def _registered_routes() -> set[str]:
    """The routes pages.register() adds to the app."""
    from ofair_app.ui import pages

    routes: set[str] = set()

    class Recorder:
        def add_page(self, component, route: str, **kwargs) -> None:
            routes.add(route)

    pages.register(Recorder())  # type: ignore[arg-type]
    return routes


def test_every_registered_page_is_swept() -> None:
    swept = {visit.route for visit in SWEEP}
    missing = _registered_routes() - swept
    assert not missing, f"pages the accessibility sweep does not visit (add to SWEEP): {missing}"
    assert swept <= _registered_routes(), swept - _registered_routes()


def _axe(page) -> list[dict]:
    """axe-core's WCAG 2.1 A/AA violations on the page as it is now. The script is evaluated
    through the DevTools protocol: the page's CSP (hashed inline scripts) would refuse an
    injected <script> tag, and the test must not loosen it."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE_JS.read_text())
    result = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                               resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(' '),
                                          summary: n.failureSummary}))}));
        }""", WCAG_TAGS)
    return result


def _settle(page) -> None:
    """The page has its data: Reflex connected and the loaders ran."""
    page.wait_for_load_state("networkidle")
    expect(page.locator("h1").first).to_be_visible(timeout=15_000)
    page.wait_for_timeout(400)  # the last state deltas, web fonts, opening animations


def _report(where: str, violations: list[dict]) -> list[str]:
    """One line per failing node: the rule, the page, the node's selector and axe's reason."""
    def reason(summary: str | None) -> str:
        lines = (summary or "").splitlines()
        return lines[1].strip() if len(lines) > 1 else (lines[0] if lines else "")

    return [f"[{v['id']}] {where} at {n['target']}: {reason(n['summary'])}"
            for v in violations for n in v["nodes"]]
