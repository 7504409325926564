"""Every page, registered in one place with its route, title, description and on_load handlers.

Titles and descriptions are Hebrew (the default language, and what search engines and link
previews see); the page content follows the reader's language.
"""

import reflex as rx

from ofair_app.ui import routes
from ofair_app.ui.pages.admin_home import AdminHomeState, admin_home
from ofair_app.ui.pages.admin_professionals import AdminProsState, admin_professionals
from ofair_app.ui.pages.landing import landing
from ofair_app.ui.pages.login import LoginState, login
from ofair_app.ui.pages.not_found import not_found
from ofair_app.ui.pages.onboarding import OnboardingState, onboarding
from ofair_app.ui.pages.pro_home import pro_home
from ofair_app.ui.pages.profile import ProfileState, profile
from ofair_app.ui.pages.public_pro import PublicProState, public_pro
from ofair_app.ui.pages.team import TeamState, team
from ofair_app.ui.state.locale import LocaleState
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


def register(app: rx.App) -> None:
    app.add_page(
        landing,
        route=routes.HOME,
        title="OFAIR · אנשי מקצוע שאפשר לסמוך עליהם",
        description=DESCRIPTION,
        image=PREVIEW_IMAGE,
        on_load=[LocaleState.apply, SessionState.load],
    )
    app.add_page(
        login,
        route=routes.LOGIN,
        title="OFAIR · כניסה",
        description="כניסה ל-OFAIR עם קוד חד-פעמי בטלפון או במייל.",
        image=PREVIEW_IMAGE,
        on_load=[LocaleState.apply, LoginState.open],
    )
    app.add_page(
        public_pro,
        route=routes.PUBLIC_PRO,
        title="OFAIR · איש מקצוע",
        image=PREVIEW_IMAGE,
        on_load=[LocaleState.apply, PublicProState.open],
    )
    app.add_page(
        pro_home,
        route=routes.PRO_HOME,
        title="OFAIR · לוח לידים",
        description=PRO_DESCRIPTION,
        image=PREVIEW_IMAGE,
        on_load=[LocaleState.apply, SessionState.require_business],
    )
    app.add_page(
        onboarding,
        route=routes.PRO_ONBOARDING,
        title="OFAIR · פתיחת עסק",
        image=PREVIEW_IMAGE,
        meta=NO_INDEX,
        on_load=[LocaleState.apply, OnboardingState.open],
    )
    app.add_page(
        profile,
        route=routes.PRO_PROFILE,
        title="OFAIR · פרופיל העסק",
        image=PREVIEW_IMAGE,
        meta=NO_INDEX,
        on_load=[LocaleState.apply, ProfileState.open],
    )
    app.add_page(
        team,
        route=routes.PRO_TEAM,
        title="OFAIR · הצוות",
        image=PREVIEW_IMAGE,
        meta=NO_INDEX,
        on_load=[LocaleState.apply, TeamState.open],
    )
    app.add_page(
        admin_home,
        route=routes.ADMIN_HOME,
        title="OFAIR · ניהול",
        image=PREVIEW_IMAGE,
        meta=NO_INDEX,
        on_load=[LocaleState.apply, SessionState.require_admin, AdminHomeState.refresh],
    )
    app.add_page(
        admin_professionals,
        route=routes.ADMIN_PROFESSIONALS,
        title="OFAIR · אימות אנשי מקצוע",
        image=PREVIEW_IMAGE,
        meta=NO_INDEX,
        on_load=[LocaleState.apply, AdminProsState.open],
    )
    app.add_page(
        not_found,
        route=routes.NOT_FOUND,
        title="OFAIR · הדף לא נמצא",
        image=PREVIEW_IMAGE,
        meta=NO_INDEX,
        on_load=LocaleState.apply,
    )
