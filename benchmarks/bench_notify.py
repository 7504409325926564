"""A new lead's fan-out (issue 19 point 4): a lead that suits 5,000 businesses tells them all,
≥ 1,000 notifications/s, and the in-app ones are visible in < 2 s.

    python -m benchmarks.bench_notify [--data-dir /tmp/ofair-bench-notify] [--businesses 5000]
                                      [--rounds 5]

Seeds its own embedded database: `--businesses` active businesses of one trade in Haifa, each
with its owner (a phone, Hebrew or English), one in ten subscribed. Each round a consumer posts
a request there through `leads.create_lead`, in its own unit of work as the app does, and the
round is timed from the call to the commit: when the commit returns, every in-app notification
is in the database, readable by its person (subscribers at once, the others after
NOTIFY_PRIORITY_MINUTES). Two cases:

- `in-app`: nobody chose a channel for new leads (the default): one row per owner;
- `in-app + SMS`: every owner chose SMS for new leads: a row in the center and a message in the
  outbox each (subscribers' sent after the commit; the others held for the priority delay).

It prints the rows each round wrote, the seconds to the commit (median and worst) and the
rows per second, and then reads one subscriber's bell as the app does.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from pathlib import Path

SEED_SQL = """
    INSERT INTO users (id, phone, name, role, locale)
    SELECT gen_random_uuid(), '+9725' || lpad(CAST(i AS text), 8, '0'), 'בעל עסק ' || i,
           'professional', CASE WHEN i % 5 = 0 THEN 'en' ELSE 'he' END
    FROM generate_series(1, :businesses) AS i;

    INSERT INTO professionals (id, business_name, business_id, category_slug, locality_id,
                               lat, lon, service_radius_km, created_by, status, subscribed_until)
    SELECT gen_random_uuid(), 'עסק ' || u.n, (CAST(:numbers AS text[]))[u.n], :category,
           :locality, :lat, :lon, 30, u.id, 'active',
           CASE WHEN u.n % 10 = 0 THEN now() + interval '30 days' END
    FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM users
          WHERE role = 'professional') AS u;

    INSERT INTO professional_members (professional_id, user_id, role)
    SELECT id, created_by, 'owner' FROM professionals;

    INSERT INTO users (id, phone, name, role) VALUES (:consumer, '+972599999999', 'לקוחה',
                                                      'consumer')
"""
CHOOSE_SMS = """
    INSERT INTO notification_preferences (user_id, event_group, channel, enabled)
    SELECT user_id, 'leads', 'sms', true FROM professional_members
"""
COUNTS = "SELECT (SELECT count(*) FROM notifications), (SELECT count(*) FROM outbox_messages)"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default="/tmp/ofair-bench-notify")
    parser.add_argument("--businesses", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if os.environ.get("DATABASE_URL") or os.environ.get("DATABASE_OWNER_URL"):
        sys.exit("DATABASE_URL is set: this benchmark only uses its own embedded database")
    data_dir = Path(args.data_dir).expanduser().resolve()
    os.environ["OFAIR_DATA_DIR"] = str(data_dir)
    os.environ["OFAIR_SCHEDULER"] = "off"
    os.environ["NOTIFY_QUIET_HOURS"] = ""  # the wall clock must not hold messages mid-run
    from benchmarks.bench_money import fresh_data_dir
    from benchmarks.bench_settlement import dealer_numbers

    fresh_data_dir(data_dir)

    import uuid

    from sqlalchemy import text

    from ofair_app import reference
    from ofair_app.db import bootstrap
    from ofair_app.db.engine import SYSTEM, Caller, owner_engine, unit_of_work
    from ofair_app.domain.leads import LeadType
    from ofair_app.models import LeadCreate
    from ofair_app.services import leads, notification_center, notifications

    bootstrap.upgrade()
    logging.getLogger("ofair.messages").disabled = True  # the console sender's thousands
    category = reference.categories()[0]
    haifa = next(loc for loc in reference.localities() if loc.name_en.startswith("Haifa"))
    consumer = uuid.uuid4()
    started = time.perf_counter()
    with owner_engine().begin() as conn:
        conn.execute(text("SELECT set_config('app.current_role', 'system', true)"))
        params = {"businesses": args.businesses, "numbers": dealer_numbers(args.businesses),
                  "category": category.slug, "locality": haifa.id, "lat": haifa.lat,
                  "lon": haifa.lon, "consumer": consumer}
        for statement in SEED_SQL.split(";"):
            used = {k: v for k, v in params.items() if f":{k}" in statement}
            conn.execute(text(statement), used)
        conn.execute(text("ANALYZE"))
    print(f"seeded {args.businesses:,} businesses in {time.perf_counter() - started:.1f} s")

    caller = Caller(user_id=consumer, role="consumer", professional_ids=())
    data = LeadCreate(type=LeadType.consumer, title="תיקון נזילה במטבח",
                      description="הברז במטבח מטפטף כבר שבוע ויש רטיבות בארון שמתחת לכיור.",
                      category=category.slug, subcategory=category.subcategories[0].slug,
                      locality_id=haifa.id, budget="450", client_name="רונית")

    def counts() -> tuple[int, int]:
        with unit_of_work(SYSTEM) as session:
            return tuple(session.execute(text(COUNTS)).one())

    results = []
    for case, setup in (("in-app", None), ("in-app + SMS", CHOOSE_SMS)):
        if setup:
            with unit_of_work(SYSTEM) as session:
                session.execute(text(setup))
        seconds, rows_per_round = [], []
        for round_ in range(args.rounds + 1):
            before = counts()
            start = time.perf_counter()
            with unit_of_work(caller) as session:
                leads.create_lead(session=session, caller=caller, data=data)
            elapsed = time.perf_counter() - start
            notifications.drain(timeout=120)
            after = counts()
            if round_ == 0:
                continue  # warm-up
            seconds.append(elapsed)
            rows_per_round.append((after[0] - before[0], after[1] - before[1]))
        told, queued = rows_per_round[-1]
        median = statistics.median(seconds)
        results.append((case, told, queued, median, max(seconds),
                        (told + queued) / median))

    print(f"\nA new lead that suits {args.businesses:,} businesses "
          f"({args.rounds} rounds after a warm-up; seconds from the call to its commit)")
    print(f"{'case':<16}{'in-app rows':>13}{'outbox rows':>13}{'p50 s':>9}{'max s':>9}"
          f"{'rows/s':>10}")
    print("-" * 70)
    for case, told, queued, median, worst, rate in results:
        print(f"{case:<16}{told:>13,}{queued:>13,}{median:>9.3f}{worst:>9.3f}{rate:>10,.0f}")

    # A subscriber's bell right after: what the app reads for the top bar.
    with unit_of_work(SYSTEM) as session:
        subscriber = session.execute(text(
            "SELECT m.user_id FROM professional_members m JOIN professionals p"
            " ON p.id = m.professional_id WHERE p.subscribed_until > now() LIMIT 1")).scalar_one()
    reader = Caller(user_id=subscriber, role="professional", professional_ids=())
    timings = []
    for _ in range(20):
        start = time.perf_counter()
        with unit_of_work(reader) as session:
            unread = notification_center.unread_count(session=session, caller=reader)
        timings.append((time.perf_counter() - start) * 1000)
    print(f"\na subscriber's bell: {unread} unread, read in {statistics.median(timings):.1f} ms"
          f" (median of 20)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
