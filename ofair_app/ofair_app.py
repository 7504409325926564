"""The OFAIR app: Reflex pages, the REST API mounted under /api/v1, and the job scheduler."""

from ofair_app.api import create_api
from ofair_app.db.lead_signals import lead_listener
from ofair_app.observability import errors, logs
from ofair_app.settings import get_settings
from ofair_app.ui import pages, theme
from ofair_app.web.app import OfairApp

logs.configure()  # one JSON object a line, with the request id (LOG_FORMAT, LOG_LEVEL)
errors.init()  # to Sentry when SENTRY_DSN is set

# Security headers wrap everything the app serves (pages, Reflex's routes, the API): web/app.py.
app = OfairApp(
    html_lang="he",
    html_custom_attrs={"dir": "rtl"},
    style=theme.GLOBAL_STYLE,
    stylesheets=theme.STYLESHEETS,
    head_components=theme.head_components(),
    api_transformer=create_api(),
)
pages.register(app)
# One LISTEN connection per process: open lead pages follow the other side's moves.
app.register_lifespan_task(lead_listener)

if get_settings().ofair_scheduler == "on":
    from jobs.scheduler import scheduler_lifespan

    app.register_lifespan_task(scheduler_lifespan)
