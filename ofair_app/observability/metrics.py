"""Prometheus metrics, served at /api/v1/metrics (api/routes/health.py).

- `ofair_http_request_duration_seconds{method,route,status}`: API latency by route template;
- `ofair_webhook_events_total{provider,outcome}`: payment provider notices and what came of them;
- `ofair_job_runs_total{job,outcome}` and `ofair_job_duration_seconds{job}`: scheduled jobs;
- `ofair_outbox_backlog` and `ofair_ledger_sum`: read from the database when scraped (the
  ledger sums to zero, always: anything else is an alert); `ofair_database_up` says whether
  that read worked.

Several worker processes (OFAIR_WORKERS) share their counters through prometheus_client's
multiprocess mode when `PROMETHEUS_MULTIPROC_DIR` names an empty directory at start.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

REGISTRY = CollectorRegistry()

REQUEST_SECONDS = Histogram(
    "ofair_http_request_duration_seconds", "API requests by route template, method and status",
    ["method", "route", "status"], registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
WEBHOOK_EVENTS = Counter(
    "ofair_webhook_events_total", "Payment provider notices by provider and outcome",
    ["provider", "outcome"], registry=REGISTRY)
JOB_RUNS = Counter("ofair_job_runs_total", "Scheduled job runs by job and outcome",
                   ["job", "outcome"], registry=REGISTRY)
JOB_SECONDS = Histogram("ofair_job_duration_seconds", "How long each job run took", ["job"],
                        registry=REGISTRY,
                        buckets=(0.01, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600))



class DatabaseFigures(Collector):
    """What only the database knows, read at each scrape."""

    def collect(self):
        up = GaugeMetricFamily("ofair_database_up", "Whether the scrape could read the database")
        from ofair_app.services import health

        figures = health.platform_figures()
        up.add_metric([], 0 if figures is None else 1)
        yield up
        if figures is None:
            return
        yield GaugeMetricFamily("ofair_outbox_backlog", "Messages waiting to be sent",
                                value=figures.outbox_backlog)
        yield GaugeMetricFamily("ofair_ledger_sum",
                                "Sum of every ledger entry, in shekels (always 0)",
                                value=float(figures.ledger_sum))


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus's text format, and its content type."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        registry.register(_Ours())
    registry.register(DatabaseFigures())
    return generate_latest(registry), CONTENT_TYPE_LATEST


class _Ours(Collector):
    """This process's counters and histograms."""

    def collect(self):
        yield from REGISTRY.collect()
