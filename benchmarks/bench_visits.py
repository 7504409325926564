"""Site visits and check-in (issue 20 points 2 and 3): what booking costs, alone and when many
clients want the same last place, what the free-slot list costs, and what a check-in costs.

    python -m benchmarks.bench_visits [--data-dir /tmp/ofair-bench-visits] [--leads 60]
                                      [--rush 20]

Seeds its own embedded database: one business with visit hours every day (08:00-18:00, an hour
a visit, two at once) and `--leads` requests, each with its offer. Then, through the services
the pages and the API use, each in its own unit of work:

- `book` (one at a time, each into a free place): from the call to the commit;
- `rush`: `--rush` clients book the same slot's last place at once (threads, one connection
  each): every attempt's time, and the outcome (exactly one booking, the rest `slot_full`);
- `free slots (14 days)`: the business's bookable times with their free places, as the picker
  asks for them, once half of the week's places are taken;
- `check in`: a pass consumed by its short code (the duplicate path is measured too).

Prints p50, p99 and max in milliseconds for each.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default="/tmp/ofair-bench-visits")
    parser.add_argument("--leads", type=int, default=60)
    parser.add_argument("--rush", type=int, default=20)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if os.environ.get("DATABASE_URL") or os.environ.get("DATABASE_OWNER_URL"):
        sys.exit("DATABASE_URL is set: this benchmark only uses its own embedded database")
    data_dir = Path(args.data_dir).expanduser().resolve()
    os.environ["OFAIR_DATA_DIR"] = str(data_dir)
    os.environ["OFAIR_SCHEDULER"] = "off"
    os.environ["NOTIFY_QUIET_HOURS"] = ""
    import logging
    import uuid
    from datetime import time as clock

    from sqlalchemy import text

    from benchmarks.bench_money import fresh_data_dir
    from benchmarks.bench_notify import SEED_SQL
    from benchmarks.bench_settlement import dealer_numbers
    from benchmarks.harness import percentile

    fresh_data_dir(data_dir)

    from ofair_app import reference
    from ofair_app.db import bootstrap
    from ofair_app.db.engine import ANONYMOUS, SYSTEM, Caller, owner_engine, unit_of_work
    from ofair_app.domain import visits as rules
    from ofair_app.domain.leads import LeadType
    from ofair_app.models import LeadCreate, ProposalCreate
    from ofair_app.models._base import utcnow
    from ofair_app.services import check_ins, leads, notifications, proposals, visits

    bootstrap.upgrade()
    logging.getLogger("ofair.messages").disabled = True
    category = reference.categories()[0]
    haifa = next(loc for loc in reference.localities() if loc.name_en.startswith("Haifa"))
    consumer_id = uuid.uuid4()
    with owner_engine().begin() as conn:
        conn.execute(text("SELECT set_config('app.current_role', 'system', true)"))
        params = {"businesses": 1, "numbers": dealer_numbers(1), "category": category.slug,
                  "locality": haifa.id, "lat": haifa.lat, "lon": haifa.lon,
                  "consumer": consumer_id}
        for statement in SEED_SQL.split(";"):
            conn.execute(text(statement),
                         {k: v for k, v in params.items() if f":{k}" in statement})
    consumer = Caller(user_id=consumer_id, role="consumer", professional_ids=())
    with unit_of_work(SYSTEM) as session:
        user_id, business_id = session.execute(text(
            "SELECT user_id, professional_id FROM professional_members")).one()
    pro = Caller(user_id=user_id, role="professional", professional_ids=(business_id,))
    with unit_of_work(pro) as session:
        visits.set_availability(session=session, caller=pro, professional_id=business_id,
                                visit_minutes=60, capacity=2, exceptions=[],
                                weekly={d: [(clock(8), clock(18))] for d in range(7)})
    lead_ids = []
    for n in range(args.leads + args.rush + 1):
        with unit_of_work(consumer) as session:
            lead = leads.create_lead(session=session, caller=consumer, data=LeadCreate(
                type=LeadType.consumer, title=f"תיקון מזגן {n}",
                description="המזגן בסלון לא מקרר ומטפטף מים על הקיר.",
                category=category.slug, subcategory=category.subcategories[0].slug,
                locality_id=haifa.id, budget="450", client_name="רונית"))
        with unit_of_work(pro) as session:
            proposals.create_proposal(session=session, caller=pro, lead_id=lead.id,
                                      data=ProposalCreate(price="500", description="אבדוק."))
        lead_ids.append(lead.id)
    notifications.drain(timeout=60)
    start_day = rules.local_day(utcnow()) + timedelta(days=1)
    with unit_of_work(ANONYMOUS) as session:
        slots = visits.free_slots(session=session, professional_id=business_id,
                                  since=start_day, days=14)
    print(f"seeded one business, {len(lead_ids)} requests with its offer,"
          f" {len(slots)} bookable slots in 14 days")

    booking, booked = [], []
    for n, lead_id in enumerate(lead_ids[:args.leads]):
        slot = slots[n // 2]  # two places a slot: the first slots fill up
        started = time.perf_counter()
        with unit_of_work(consumer) as session:
            view = visits.book(session=session, caller=consumer, lead_id=lead_id,
                               professional_id=business_id, starts_at=slot.starts_at)
        booking.append((time.perf_counter() - started) * 1000)
        booked.append(view.visit)

    listing = []
    for _ in range(30):
        started = time.perf_counter()
        with unit_of_work(ANONYMOUS) as session:
            visits.free_slots(session=session, professional_id=business_id, since=start_day,
                              days=14)
        listing.append((time.perf_counter() - started) * 1000)

    # the rush: one slot with one place left (booked once already), `--rush` clients at once
    target = slots[-1]
    with unit_of_work(consumer) as session:
        visits.book(session=session, caller=consumer, lead_id=lead_ids[args.leads],
                    professional_id=business_id, starts_at=target.starts_at)
    barrier = threading.Barrier(args.rush)
    rush, outcomes, lock = [], {"booked": 0, "slot_full": 0, "other": 0}, threading.Lock()

    def attempt(lead_id) -> None:
        barrier.wait()
        started = time.perf_counter()
        try:
            with unit_of_work(consumer) as session:
                visits.book(session=session, caller=consumer, lead_id=lead_id,
                            professional_id=business_id, starts_at=target.starts_at)
            outcome = "booked"
        except rules.SlotFull:
            outcome = "slot_full"
        except Exception:
            outcome = "other"
        with lock:
            rush.append((time.perf_counter() - started) * 1000)
            outcomes[outcome] += 1

    threads = [threading.Thread(target=attempt, args=(lead_id,))
               for lead_id in lead_ids[args.leads + 1:]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    with unit_of_work(consumer) as session:
        codes = [p.code for lead_id in lead_ids[:30] for p in check_ins.passes_of_lead(
            session=session, caller=consumer, lead_id=lead_id)]
    checking, duplicate = [], []
    for code in codes:
        for bucket in (checking, duplicate):
            started = time.perf_counter()
            try:
                with unit_of_work(pro) as session:
                    check_ins.check_in(session=session, caller=pro, code=code)
            except check_ins.AlreadyCheckedIn:
                pass
            bucket.append((time.perf_counter() - started) * 1000)

    print(f"rush: {args.rush} clients at once for the last place: {outcomes}")
    print(f"\n{'case':<34}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    print("-" * 61)
    for name, values in (("book (one at a time)", booking),
                         (f"rush ({args.rush} at once, 1 place)", rush),
                         ("free slots (14 days)", listing),
                         ("check in (short code)", checking),
                         ("check in again (409)", duplicate)):
        print(f"{name:<34}{percentile(values, 50):>9.1f}{percentile(values, 99):>9.1f}"
              f"{max(values):>9.1f}")
    return 0 if outcomes["booked"] == 1 and outcomes["other"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
