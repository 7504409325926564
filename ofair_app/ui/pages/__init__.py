"""Every page, registered in one place with its route, title and on_load handlers."""

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


def register(app: rx.App) -> None:
    app.add_page(
        landing,
        route=routes.HOME,
        title="OFAIR · אנשי מקצוע שאפשר לסמוך עליהם",
        description=DESCRIPTION,
        on_load=LocaleState.apply,
    )
    app.add_page(
        pro_home,
        route=routes.PRO_HOME,
        title="OFAIR · לוח לידים",
        description=DESCRIPTION,
        on_load=LocaleState.apply,
    )
    app.add_page(
        admin_home,
        route=routes.ADMIN_HOME,
        title="OFAIR · ניהול",
        on_load=[LocaleState.apply, AdminHomeState.refresh],
    )
    app.add_page(not_found, route="404", title="OFAIR · הדף לא נמצא", on_load=LocaleState.apply)
