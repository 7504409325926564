"""Chat (issue 19 point 6): what a message costs and how fast the other side's page hears it.

    python -m benchmarks.bench_chat [--data-dir /tmp/ofair-bench-chat] [--offers 20]
                                    [--messages 300]

Seeds its own embedded database: a consumer's request with `--offers` offers (so as many
conversations). Then, through the services the pages and the API use, each in its own unit of
work as the app does:

- `send`: a message written, alternately by the consumer and a business, with the other side
  told (an in-app notice, and the outbox by their choices); from the call to the commit;
- `heard`: from that commit until the process's listener (`db/lead_signals.listen`, the one
  `LISTEN` connection the app's pages wait on) wakes a waiter for the thread; the open page then
  re-reads, so this is the part of "within 1 s" the database adds;
- `read page`: the latest 100 messages of a conversation, masked, as the chat page loads them;
- `lead threads`: the owner's view of all the request's conversations (the offer cards).

Prints p50, p99 and max in milliseconds for each.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import threading
import time
from pathlib import Path


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default="/tmp/ofair-bench-chat")
    parser.add_argument("--offers", type=int, default=20)
    parser.add_argument("--messages", type=int, default=300)
    return parser.parse_args(argv)


class Listener:
    """The app's listener in a thread of its own, with a way to wait for a thread's signal."""

    def __init__(self) -> None:
        from ofair_app.db.lead_signals import SIGNALS, _conninfo, listen

        self.signals = SIGNALS
        self.loop = asyncio.new_event_loop()
        ready = asyncio.Event()

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            self.loop.create_task(listen(SIGNALS, _conninfo(), ready))
            self.loop.run_forever()

        threading.Thread(target=run, daemon=True).start()
        asyncio.run_coroutine_threadsafe(ready.wait(), self.loop).result(30)

    def mark(self) -> int:
        return asyncio.run_coroutine_threadsafe(self._mark(), self.loop).result(5)

    async def _mark(self) -> int:
        return self.signals.mark()

    def wait(self, key: str, mark: int):
        """A future that resolves to the moment the signal arrived."""
        async def waiting() -> float:
            await self.signals.wait(key, mark, 10)
            return time.perf_counter()

        return asyncio.run_coroutine_threadsafe(waiting(), self.loop)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if os.environ.get("DATABASE_URL") or os.environ.get("DATABASE_OWNER_URL"):
        sys.exit("DATABASE_URL is set: this benchmark only uses its own embedded database")
    data_dir = Path(args.data_dir).expanduser().resolve()
    os.environ["OFAIR_DATA_DIR"] = str(data_dir)
    os.environ["OFAIR_SCHEDULER"] = "off"
    os.environ["NOTIFY_QUIET_HOURS"] = ""
    os.environ["CHAT_MESSAGES_PER_MINUTE"] = "600"  # one writer sends them all, fast
    import logging

    from benchmarks.bench_money import fresh_data_dir
    from benchmarks.bench_notify import SEED_SQL  # businesses of one trade in Haifa
    from benchmarks.bench_settlement import dealer_numbers
    from benchmarks.harness import percentile

    fresh_data_dir(data_dir)

    import uuid

    from sqlalchemy import text

    from ofair_app import reference
    from ofair_app.db import bootstrap
    from ofair_app.db.engine import SYSTEM, Caller, owner_engine, unit_of_work
    from ofair_app.db.lead_signals import thread_key
    from ofair_app.domain.leads import LeadType
    from ofair_app.models import LeadCreate, ProposalCreate
    from ofair_app.services import chat, leads, notifications, proposals

    bootstrap.upgrade()
    logging.getLogger("ofair.messages").disabled = True
    category = reference.categories()[0]
    haifa = next(loc for loc in reference.localities() if loc.name_en.startswith("Haifa"))
    consumer_id = uuid.uuid4()
    with owner_engine().begin() as conn:
        conn.execute(text("SELECT set_config('app.current_role', 'system', true)"))
        params = {"businesses": args.offers, "numbers": dealer_numbers(args.offers),
                  "category": category.slug, "locality": haifa.id, "lat": haifa.lat,
                  "lon": haifa.lon, "consumer": consumer_id}
        for statement in SEED_SQL.split(";"):
            conn.execute(text(statement),
                         {k: v for k, v in params.items() if f":{k}" in statement})
    consumer = Caller(user_id=consumer_id, role="consumer", professional_ids=())
    with unit_of_work(consumer) as session:
        lead = leads.create_lead(session=session, caller=consumer, data=LeadCreate(
            type=LeadType.consumer, title="תיקון נזילה במטבח",
            description="הברז במטבח מטפטף כבר שבוע ויש רטיבות בארון שמתחת לכיור.",
            category=category.slug, subcategory=category.subcategories[0].slug,
            locality_id=haifa.id, budget="450", client_name="רונית"))
    with unit_of_work(SYSTEM) as session:
        owners = session.execute(text(
            "SELECT m.user_id, m.professional_id FROM professional_members m")).all()
    pros = [Caller(user_id=u, role="professional", professional_ids=(p,)) for u, p in owners]
    for pro in pros:
        with unit_of_work(pro) as session:
            proposals.create_proposal(session=session, caller=pro, lead_id=lead.id,
                                      data=ProposalCreate(price="500", description="הצעה."))
    with unit_of_work(consumer) as session:
        threads = chat.threads_of_lead(session=session, caller=consumer, lead_id=lead.id)
    first = threads[0]
    writer_pro = next(p for p in pros if p.professional_ids[0] == first.thread.professional_id)
    listener = Listener()
    print(f"seeded a request with {len(threads)} conversations; {args.messages} messages")

    sends, heard = [], []
    for n in range(args.messages + 10):
        writer = consumer if n % 2 else writer_pro
        mark = listener.mark()
        waiter = listener.wait(thread_key(str(first.thread.id)), mark)
        start = time.perf_counter()
        with unit_of_work(writer) as session:
            chat.send(session=session, caller=writer, thread_id=first.thread.id,
                      body=f"הודעה {n}: אפשר להגיע מחר בעשר? 052-1234567")
        committed = time.perf_counter()
        arrived = waiter.result(15)
        if n >= 10:  # warm-up
            sends.append((committed - start) * 1000)
            # the listener may hear the commit before the writer's commit call returns
            heard.append(max(0.0, (arrived - committed) * 1000))
    notifications.drain(timeout=60)

    reads, lists = [], []
    for _ in range(50):
        start = time.perf_counter()
        with unit_of_work(writer_pro) as session:
            chat.messages(session=session, caller=writer_pro, thread_id=first.thread.id,
                          limit=100)
        reads.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        with unit_of_work(consumer) as session:
            chat.threads_of_lead(session=session, caller=consumer, lead_id=lead.id)
        lists.append((time.perf_counter() - start) * 1000)

    print(f"\n{'case':<34}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    print("-" * 61)
    for name, values in (("send (commit, other side told)", sends),
                         ("heard (commit -> listener wakes)", heard),
                         ("read page (100 messages, masked)", reads),
                         (f"lead threads ({len(threads)} conversations)", lists)):
        print(f"{name:<34}{percentile(values, 50):>9.1f}{percentile(values, 99):>9.1f}"
              f"{max(values):>9.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
