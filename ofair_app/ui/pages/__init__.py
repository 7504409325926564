"""Every page, registered in one place with its route, title, description and on_load handlers.

Titles and descriptions are Hebrew (the default language, and what search engines and link
previews see); the page content follows the reader's language.
"""

from typing import TypedDict

import reflex as rx

from ofair_app.ui import routes
from ofair_app.ui.pages.accessibility import AccessibilityState, accessibility_statement
from ofair_app.ui.pages.account import AccountState, account
from ofair_app.ui.pages.admin_audit import AdminAuditState, admin_audit
from ofair_app.ui.pages.admin_commission import AdminCommissionState, admin_commission
from ofair_app.ui.pages.admin_finance import AdminFinanceState, admin_finance
from ofair_app.ui.pages.admin_home import AdminHomeState, DashboardState, admin_home
from ofair_app.ui.pages.admin_leads import AdminLeadsState, admin_leads_page
from ofair_app.ui.pages.admin_money import (
    AdminDisputesState,
    AdminPayoutsState,
    admin_disputes,
    admin_payouts,
)
from ofair_app.ui.pages.admin_professionals import AdminProsState, admin_professionals
from ofair_app.ui.pages.admin_reports import AdminReportsState, admin_reports
from ofair_app.ui.pages.admin_unlock_claims import AdminUnlockClaimsState, admin_unlock_claims
from ofair_app.ui.pages.admin_users import AdminUsersState, admin_users_page
from ofair_app.ui.pages.chat import ChatState, chat_page
from ofair_app.ui.pages.checkout import CheckoutState, checkout
from ofair_app.ui.pages.invitations import InvitationsState, invitations_page
from ofair_app.ui.pages.landing import landing
from ofair_app.ui.pages.login import LoginState, login
from ofair_app.ui.pages.my_requests import (
    MyRequestsState,
    MyRequestState,
    my_request,
    my_requests,
)
from ofair_app.ui.pages.new_lead import NewLeadState, new_lead
from ofair_app.ui.pages.not_found import not_found
from ofair_app.ui.pages.notifications import NotificationsState, notifications_page
from ofair_app.ui.pages.onboarding import OnboardingState, onboarding
from ofair_app.ui.pages.policies import (
    PolicyState,
    UnsubscribeState,
    privacy_page,
    terms_page,
    unsubscribe_page,
)
from ofair_app.ui.pages.pro_check_in import CheckInState, pro_check_in
from ofair_app.ui.pages.pro_home import BoardState, pro_home
from ofair_app.ui.pages.pro_invoices import InvoicesState, pro_invoices
from ofair_app.ui.pages.pro_lead import ProLeadState, pro_lead
from ofair_app.ui.pages.pro_my_leads import MyLeadsState, pro_my_leads
from ofair_app.ui.pages.pro_plan import PlanState, pro_plan
from ofair_app.ui.pages.pro_referrals import ReferralsState, pro_referrals
from ofair_app.ui.pages.pro_unlocks import ProUnlocksState, pro_unlocks
from ofair_app.ui.pages.pro_wallet import WalletState, pro_wallet
from ofair_app.ui.pages.profile import ProfileState, profile
from ofair_app.ui.pages.public_pro import PublicProState, public_pro
from ofair_app.ui.pages.request_form import RequestState
from ofair_app.ui.pages.team import TeamState, team
from ofair_app.ui.pages.unlock_check import UnlockCheckState, unlock_check
from ofair_app.ui.state.locale import LocaleState, reread_on_language_switch
from ofair_app.ui.state.session import SessionState

DESCRIPTION = (
    "OFAIR — מפרסמים עבודה, מקבלים הצעות מאנשי מקצוע מאומתים, ומשלמים בבטחה. "
    "לאנשי מקצוע: לוח לידים והכנסה מהפניות."
)
PRO_DESCRIPTION = "לוח הלידים של OFAIR: עבודות בתחום ובאזור שלכם, הצעות מחיר והפניות לעמיתים."
# Link previews (og:image); Reflex's default points at a favicon.ico we do not ship.
PREVIEW_IMAGE = "/icons/icon-512.png"
# Back-office and error pages stay out of search results.
NO_INDEX = [{"name": "robots", "content": "noindex"}]


class _PageExtras(TypedDict, total=False):
    """What `_add` passes to `add_page` only when the page has it."""

    description: str
    meta: list[dict[str, str]]


def _add(app: rx.App, component, route: str, title: str, *on_load,
         description: str | None = None, public: bool = False, reread: bool = True) -> None:
    """One page: its title, the locale applied first on every load, and `noindex` unless public.
    `reread`: switching the language runs `on_load` again, so what the server formatted for the
    page follows; False for pages holding what the reader types (running it would reset it)."""
    extra: _PageExtras = {"description": description} if description else {}
    if not public:
        extra["meta"] = NO_INDEX
    app.add_page(component, route=route, title=f"OFAIR · {title}", image=PREVIEW_IMAGE,
                 on_load=[LocaleState.apply, *on_load], **extra)
    if reread:
        reread_on_language_switch(route)


def register(app: rx.App) -> None:
    _add(app, landing, routes.HOME, "אנשי מקצוע שאפשר לסמוך עליהם", RequestState.open,
         description=DESCRIPTION, public=True, reread=False)
    _add(app, login, routes.LOGIN, "כניסה", LoginState.open,
         description="כניסה ל־OFAIR עם קוד חד-פעמי בטלפון או במייל.", public=True,
         reread=False)
    _add(app, accessibility_statement, routes.ACCESSIBILITY, "הצהרת נגישות",
         AccessibilityState.open,
         description="הצהרת הנגישות של OFAIR: מה הונגש, מה עוד לא, ואיך פונים לרכז/ת הנגישות.",
         public=True, reread=False)
    _add(app, privacy_page, routes.PRIVACY, "מדיניות פרטיות", PolicyState.open_privacy,
         description="מה OFAIR אוספת, למה, לכמה זמן, למי זה מועבר ואיך מממשים את הזכויות.",
         public=True)
    _add(app, terms_page, routes.TERMS, "תנאי שימוש", PolicyState.open_terms,
         description="תנאי השימוש ב־OFAIR לצרכנים ולעסקים.", public=True)
    _add(app, unsubscribe_page, routes.UNSUBSCRIBE, "הסרה מדיוור", UnsubscribeState.open,
         reread=False)
    _add(app, unlock_check, routes.UNLOCK_CHECK, "האם פניתם לבעל המקצוע?",
         UnlockCheckState.open, reread=False)
    _add(app, public_pro, routes.PUBLIC_PRO, "איש מקצוע", PublicProState.open, public=True)
    _add(app, account, routes.ACCOUNT, "החשבון שלי", AccountState.open)
    _add(app, my_requests, routes.MY_REQUESTS, "הבקשות שלי", MyRequestsState.open)
    _add(app, my_request, routes.MY_REQUEST, "הבקשה שלי", MyRequestState.open)
    _add(app, pro_home, routes.PRO_HOME, "לוח לידים", BoardState.open,
         description=PRO_DESCRIPTION, public=True)
    _add(app, new_lead, routes.PRO_LEAD_NEW, "ליד חדש", NewLeadState.open, reread=False)
    _add(app, pro_lead, routes.PRO_LEAD, "ליד", ProLeadState.open)
    _add(app, checkout, "/checkout/[reference]", "תשלום מאובטח", CheckoutState.open,
         reread=False)
    _add(app, pro_my_leads, routes.PRO_MY_LEADS, "הלידים שלי", MyLeadsState.open)
    _add(app, pro_referrals, routes.PRO_REFERRALS, "הפניות", ReferralsState.open)
    _add(app, pro_wallet, routes.PRO_WALLET, "ארנק", WalletState.open)
    _add(app, pro_invoices, routes.PRO_INVOICES, "חשבוניות", InvoicesState.open)
    _add(app, pro_plan, routes.PRO_PLAN, "מנוי OFAIR Pro", PlanState.open)
    _add(app, pro_unlocks, routes.PRO_UNLOCKS, "לקוחות שנפתחו", ProUnlocksState.open)
    _add(app, onboarding, routes.PRO_ONBOARDING, "פתיחת עסק", OnboardingState.open,
         reread=False)
    _add(app, profile, routes.PRO_PROFILE, "פרופיל העסק", ProfileState.open, reread=False)
    _add(app, team, routes.PRO_TEAM, "הצוות", TeamState.open)
    _add(app, pro_check_in, routes.PRO_CHECK_IN, "צ׳ק-אין באתר", CheckInState.open,
         reread=False)
    _add(app, invitations_page, routes.INVITATIONS, "הזמנות לצוות", InvitationsState.open)
    _add(app, notifications_page, routes.NOTIFICATIONS, "התראות", NotificationsState.open)
    _add(app, chat_page, routes.CHAT, "שיחה", ChatState.open, reread=False)
    _add(app, admin_home, routes.ADMIN_HOME, "ניהול", SessionState.require_admin,
         DashboardState.open, AdminHomeState.refresh)
    _add(app, admin_professionals, routes.ADMIN_PROFESSIONALS, "אימות אנשי מקצוע",
         AdminProsState.open)
    _add(app, admin_payouts, routes.ADMIN_PAYOUTS, "תשלומים לעסקים", AdminPayoutsState.open)
    _add(app, admin_disputes, routes.ADMIN_DISPUTES, "מחלוקות", AdminDisputesState.open)
    _add(app, admin_unlock_claims, routes.ADMIN_UNLOCK_CLAIMS, "בקשות החזר על פתיחה",
         AdminUnlockClaimsState.open)
    _add(app, admin_finance, routes.ADMIN_FINANCE, "התחשבנות וחשבוניות",
         AdminFinanceState.open)
    _add(app, admin_commission, routes.ADMIN_COMMISSION, "כללי עמלה", AdminCommissionState.open)
    _add(app, admin_audit, routes.ADMIN_AUDIT, "יומן ביקורת", AdminAuditState.open)
    _add(app, admin_users_page, routes.ADMIN_USERS, "משתמשים", AdminUsersState.open)
    _add(app, admin_leads_page, routes.ADMIN_LEADS, "לידים", AdminLeadsState.open)
    _add(app, admin_reports, routes.ADMIN_REPORTS, "דוחות", AdminReportsState.open)
    _add(app, not_found, routes.NOT_FOUND, "הדף לא נמצא")
