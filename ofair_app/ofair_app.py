"""The OFAIR app: Reflex pages, the REST API mounted under /api/v1, and the job scheduler."""

import reflex as rx

from ofair_app.api import create_api
from ofair_app.settings import get_settings
from ofair_app.ui import pages, theme
from ofair_app.web.security import secure_reflex_app

app = rx.App(
    html_lang="he",
    html_custom_attrs={"dir": "rtl"},
    style=theme.GLOBAL_STYLE,
    stylesheets=theme.STYLESHEETS,
    head_components=theme.head_components(),
    # Reflex's backend (pages included) is mounted inside the API, then the whole is wrapped in
    # the security headers: every answer of the app passes through them.
    api_transformer=[create_api(), secure_reflex_app],
)
pages.register(app)

if get_settings().ofair_scheduler == "on":
    from jobs.scheduler import scheduler_lifespan

    app.register_lifespan_task(scheduler_lifespan)
