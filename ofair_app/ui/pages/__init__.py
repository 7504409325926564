"""Every page, registered in one place with its route, title, description and on_load handlers.

Titles and descriptions are Hebrew (the default language, and what search engines and link
previews see); the page content follows the reader's language.
"""

import reflex as rx

from ofair_app.ui import routes
from ofair_app.ui.pages.admin_home import AdminHomeState, admin_home
from ofair_app.ui.pages.landing import landing
from ofair_app.ui.pages.not_found import not_found
from ofair_app.ui.pages.pro_home import pro_home
from ofair_app.ui.state.locale import LocaleState

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
        on_load=LocaleState.apply,
    )
    app.add_page(
        pro_home,
        route=routes.PRO_HOME,
        title="OFAIR · לוח לידים",
        description=PRO_DESCRIPTION,
        image=PREVIEW_IMAGE,
        on_load=LocaleState.apply,
    )
    app.add_page(
        admin_home,
        route=routes.ADMIN_HOME,
        title="OFAIR · ניהול",
        image=PREVIEW_IMAGE,
        meta=NO_INDEX,
        on_load=[LocaleState.apply, AdminHomeState.refresh],
    )
    app.add_page(
        not_found,
        route=routes.NOT_FOUND,
        title="OFAIR · הדף לא נמצא",
        image=PREVIEW_IMAGE,
        meta=NO_INDEX,
        on_load=LocaleState.apply,
    )
