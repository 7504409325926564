"""Fill a separate benchmark database with businesses and leads for the Lead Board benchmarks.

    python -m benchmarks.generate_leads [--leads 1000000] [--businesses 20000]
                                        [--data-dir /tmp/ofair-bench] [--reset]

Everything goes into an embedded PostgreSQL under `--data-dir` (never `./.ofair`): the script sets
`OFAIR_DATA_DIR` before importing the app, runs `db upgrade` there, and refuses to run when
`DATABASE_URL` is set. Without `--reset` it refuses a database that already holds leads; `--reset`
stops that server and deletes the directory first (only one this script created: it leaves a
marker file in it). The server keeps running afterwards, for `bench_board`; stop it with
`OFAIR_DATA_DIR=/tmp/ofair-bench python -m ofair_app db stop`.

The data: users (one owner per business, plus consumers), businesses spread over the localities
by population (about 2% subscribing, so their leads are pinned on the board), their owner
memberships, and leads with their private details, 70% consumer requests and 30% referrals by
businesses, placed within 3 km of a locality chosen by population, created over the last 365
days, 35% active and the rest further along, 10% of referrals private. Titles and descriptions
are built from a small Hebrew vocabulary per category, so text search finds realistic hits.

Rows go in through the owner role, in one transaction that first sets
`app.current_role = 'system'` (every table forces row-level security, and PostgreSQL refuses
COPY FROM into such a table): each batch is COPied into a temporary table, then moved with one
INSERT … SELECT. The `lead_board_sync`
trigger stays in place by default, so `lead_board` is filled exactly as the app fills it;
`--board-sync bulk` disables that trigger during the load and fills `lead_board` with one
INSERT … SELECT instead (faster; for comparison only, since it repeats the trigger's projection).
Last, every business gets a performance tier as the monthly `update_tiers` job would give it
(about 70% Bronze, 18% Silver, 9% Gold, 3% Premium, with the default board head starts), which
moves the leads of the businesses above Bronze on the board (migration 0032); `--tiers-only`
does just that on a database already generated (an older one, upgraded since) and prints what it
cost. VACUUM (ANALYZE) runs at the end. The random generator is seeded (`--seed`): the same
arguments give the same data, apart from ids and times derived from the clock.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import shutil
import sys
import time
import uuid
from bisect import bisect_right
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path

MARKER = "OFAIR_BENCH_DATA_DIR"
KM_PER_DEGREE = 111.045
LAT_RANGE, LON_RANGE = (29.4, 33.45), (34.2, 35.95)  # the leads_in_israel CHECK

# Leads per category, relative (home services are not uniform: plumbers see more work than
# architects). Categories missing here weigh 1.
CATEGORY_WEIGHTS = {
    "plumbing": 10, "electrical": 9, "air-conditioning": 8, "renovation": 7, "cleaning": 7,
    "moving": 6, "painting": 5, "handyman": 5, "appliance-repair": 5, "flooring-tiling": 4,
    "carpentry": 4, "locksmith": 4, "gardening": 4, "pest-control": 3, "aluminium-glass": 3,
    "roofing-waterproofing": 3, "computers-networks": 2, "security-systems": 2, "gas": 2,
    "metalwork": 2, "solar": 1.5, "interior-design": 1.5, "architecture-engineering": 1,
    "pools": 1,
}

# A few words per category that people write in a request (the subcategory names are used too).
CATEGORY_WORDS = {
    "plumbing": ["נזילה מתחת לכיור", "ברז מטפטף", "סתימה באסלה", "צנרת ישנה", "דוד לא מחמם",
                 "לחץ מים חלש", "רטיבות בקיר"],
    "electrical": ["קצר חשמלי", "שקע לא עובד", "הפסקות חשמל", "החלפת לוח חשמל", "התקנת גופי תאורה",
                   "חשמלאי מוסמך", "מפסק פחת קופץ"],
    "air-conditioning": ["מזגן לא מקרר", "מזגן מטפטף", "התקנת מזגן חדש", "מילוי גז למזגן",
                         "ניקוי פילטרים", "מזגן עושה רעש", "מיני מרכזי"],
    "renovation": ["שיפוץ דירה", "פירוק קירות", "קבלן שיפוצים", "שיפוץ אמבטיה", "תקרת גבס",
                   "איטום מקלחת", "החלפת מטבח"],
    "painting": ["צביעת דירת 4 חדרים", "צבע מתקלף", "צביעת תקרה", "שפכטל וצבע", "צבע אקרילי",
                 "צביעת מעקה"],
    "flooring-tiling": ["ריצוף מרפסת", "אריחים שבורים", "חיפוי קרמיקה", "פרקט עץ", "ליטוש שיש",
                        "החלפת רובה"],
    "carpentry": ["ארון קיר בהזמנה", "דלת פנים תקועה", "מטבח מעץ", "תיקון מגירות", "פרגולה מעץ",
                  "נגר מקצועי"],
    "locksmith": ["נעלתי את עצמי בחוץ", "החלפת צילינדר", "מנעול תקוע", "דלת ביטחון",
                  "פריצת רכב", "מנעולן דחוף"],
    "cleaning": ["ניקיון יסודי", "ניקיון אחרי שיפוץ", "ניקוי חלונות", "ניקוי ספה", "עוזרת בית",
                 "ניקיון לפני כניסה"],
    "moving": ["הובלת דירת 3 חדרים", "הובלה קטנה", "פירוק והרכבת ארונות", "מנוף לקומה גבוהה",
               "אריזת תכולה", "הובלה בין ערים"],
    "gardening": ["גיזום עצים", "דשא סינתטי", "מערכת השקיה", "גינה מוזנחת", "שתילת צמחים",
                  "גנן קבוע"],
    "pest-control": ["ג׳וקים במטבח", "עכברים במחסן", "טרמיטים בפרקט", "פשפשים במיטה",
                     "יונים במרפסת", "הדברה כללית"],
    "appliance-repair": ["מכונת כביסה לא מסחררת", "מקרר לא מקרר", "מדיח לא מנקז", "תנור לא מחמם",
                         "מייבש לא עובד", "טכנאי מכשירי חשמל"],
    "roofing-waterproofing": ["איטום גג", "נזילה מהתקרה", "החלפת רעפים", "ניקוי מרזבים",
                              "רטיבות בחורף", "יריעות ביטומן"],
    "aluminium-glass": ["חלון שבור", "תריס חשמלי תקוע", "מקלחון זכוכית", "רשתות יתושים",
                        "החלפת זכוכית", "חלונות אלומיניום"],
    "metalwork": ["מעקה למרפסת", "שער חשמלי", "סורגים לחלונות", "ריתוך", "פרגולה ממתכת"],
    "gas": ["ריח של גז", "חיבור כיריים", "בדיקת מערכת גז", "התקנת צנרת גז", "טכנאי גז מוסמך"],
    "security-systems": ["מצלמות אבטחה", "מערכת אזעקה", "אינטרקום", "בקרת כניסה", "מצלמה בכניסה"],
    "computers-networks": ["מחשב איטי", "רשת WiFi חלשה", "שחזור קבצים", "בית חכם", "התקנת ראוטר"],
    "solar": ["פאנלים סולאריים", "ניקוי פאנלים", "מערכת אגירה", "ממיר לא עובד", "דוד שמש"],
    "handyman": ["תליית מדפים", "הרכבת רהיטים", "התקנת וילונות", "תיקונים קטנים בבית",
                 "תליית טלוויזיה"],
    "interior-design": ["עיצוב סלון", "תכנון מטבח", "הדמיה תלת ממדית", "הום סטיילינג",
                        "תכנון תאורה"],
    "architecture-engineering": ["היתר בנייה", "תוספת בנייה", "בדק בית", "מהנדס קונסטרוקציה",
                                 "תכנון וילה"],
    "pools": ["ניקוי בריכה", "תחזוקת בריכה", "משאבה לבריכה", "בניית בריכה", "ג׳קוזי בחצר"],
}
OPENERS = ["דרוש", "מחפש", "מחפשת", "צריך", "צריכה", "בקשה ל", "הצעת מחיר ל", "דחוף:"]
PLACES = ["בדירה", "בבית פרטי", "במשרד", "בחנות", "בבניין משותף", "בדירת גן", "בפנטהאוז"]
GENERIC = ["אפשר להגיע בערב", "יש חניה ליד הבניין", "קומה שלישית בלי מעלית", "עדיף השבוע",
           "מחפש בעל מקצוע אמין", "אשמח להצעת מחיר", "העבודה דחופה", "גמיש בזמנים",
           "יש תמונות", "נדרשת אחריות", "תשלום מיד בסיום", "בעל מקצוע עם ניסיון בלבד"]
FIRST_NAMES = ["דנה", "יוסי", "מיכל", "אבי", "נועה", "משה", "שירה", "דוד", "רונית", "איתי",
               "תמר", "עומר", "יעל", "אלון", "הילה", "מוחמד", "סמיר", "אולגה", "ליאור", "רחל"]
LAST_NAMES = ["כהן", "לוי", "מזרחי", "פרץ", "ביטון", "אברהם", "פרידמן", "אזולאי", "דהן",
              "חדד", "גבאי", "שפירא", "עמר", "נסים", "חסון", "ח׳טיב", "קליין", "יוסף"]
STREETS = ["הרצל", "ויצמן", "בן גוריון", "רוטשילד", "הנביאים", "ז׳בוטינסקי", "סוקולוב",
           "הגפן", "התאנה", "הזית", "האלון", "המייסדים"]
BUSINESS_SUFFIXES = ["", "", " ובניו", " בע\"מ", " שירותים", " מקצועי", " - המומחים"]

# Status mix of all leads (the board shows `active` + `public` ones).
STATUS_WEIGHTS = {"active": 35, "awarded": 8, "in_progress": 10, "completed": 22, "closed": 17,
                  "cancelled": 8}
SCHEDULES = ["urgent", "this_week", "this_month", "flexible"]
PRO_SHARE = 0.30
PRIVATE_PRO_SHARE = 0.10
SUBSCRIBED_SHARE, EXPIRED_SHARE = 0.02, 0.03


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--businesses", type=int, default=20_000)
    parser.add_argument("--consumers", type=int, default=None,
                        help="consumer users who post the consumer leads (default: leads / 4)")
    parser.add_argument("--data-dir", default="/tmp/ofair-bench")
    parser.add_argument("--reset", action="store_true",
                        help="stop the benchmark database and delete --data-dir first")
    parser.add_argument("--board-sync", choices=["trigger", "bulk"], default="trigger",
                        help="fill lead_board through its trigger (default) or in one statement")
    parser.add_argument("--batch", type=int, default=50_000, help="leads per COPY")
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--tiers-only", action="store_true",
                        help="only give the businesses of an existing database their tiers")
    return parser.parse_args(argv)


def prepare_data_dir(data_dir: Path, reset: bool) -> None:
    """Create the data directory (after deleting it with `reset`); never delete one that this
    script did not create."""
    if reset and data_dir.exists():
        if any(data_dir.iterdir()) and not (data_dir / MARKER).exists():
            sys.exit(f"refusing to delete {data_dir}: it has no {MARKER} marker, so it was not "
                     "made by this script")
        from ofair_app.db import embedded  # reads no settings

        if (data_dir / "pg").exists():
            embedded.stop(data_dir / "pg")
        shutil.rmtree(data_dir)
        print(f"deleted {data_dir}")
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / MARKER).write_text("made by benchmarks/generate_leads.py; safe to delete\n")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if os.environ.get("DATABASE_URL") or os.environ.get("DATABASE_OWNER_URL"):
        sys.exit("DATABASE_URL is set: this script only writes to an embedded benchmark database "
                 "under --data-dir; unset it")
    data_dir = Path(args.data_dir).expanduser().resolve()
    # Before any ofair_app import: settings are read once, from the environment.
    os.environ["OFAIR_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("OFAIR_SCHEDULER", "off")
    prepare_data_dir(data_dir, args.reset)

    from ofair_app.settings import get_settings

    settings = get_settings()
    if not settings.embedded_database or settings.data_dir != data_dir:
        sys.exit(f"settings point at another database (embedded={settings.embedded_database}, "
                 f"data dir {settings.data_dir}); is DATABASE_URL set in .env?")

    from sqlalchemy import text

    from ofair_app.db import bootstrap
    from ofair_app.db.engine import owner_engine

    timings: list[tuple[str, int, float]] = []
    started = time.perf_counter()
    bootstrap.upgrade()
    timings.append(("db upgrade (start server, roles, migrate)", 0,
                    time.perf_counter() - started))

    engine = owner_engine()
    with engine.begin() as conn:
        conn.execute(text("SELECT set_config('app.current_role', 'system', true)"))
        existing = conn.execute(text("SELECT count(*) FROM leads")).scalar_one()
    if args.tiers_only:
        if not existing:
            sys.exit(f"{data_dir} holds no leads; generate them first")
        for label, rows, seconds in assign_tiers(engine, args.seed):
            print(f"  {label}: {rows} rows in {seconds:.1f} s")
        return 0
    if existing:
        sys.exit(f"{data_dir} already holds {existing} leads; run again with --reset")

    generator = Generator(args)
    total = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text("SELECT set_config('app.current_role', 'system', true)"))
        cursor = conn.connection.driver_connection.cursor()
        timings += generator.load(cursor, conn)
        committing = time.perf_counter()
    timings.append(("commit", 0, time.perf_counter() - committing))
    timings += assign_tiers(engine, args.seed)

    vacuum = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("users", "professionals", "professional_members", "leads",
                      "consumer_leads", "professional_leads", "lead_board"):
            conn.execute(text(f"VACUUM (ANALYZE) {table}"))
    timings.append(("VACUUM (ANALYZE) of the loaded tables", 0, time.perf_counter() - vacuum))
    elapsed = time.perf_counter() - total

    print_report(engine, args, data_dir, timings, elapsed)
    return 0


class Generator:
    def __init__(self, args: argparse.Namespace) -> None:
        from ofair_app import reference

        self.args = args
        self.rng = random.Random(args.seed)
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.n_leads = args.leads
        self.n_businesses = args.businesses
        self.n_consumers = args.consumers or max(1, args.leads // 4)
        self.localities = [loc for loc in reference.localities() if loc.population > 0] or \
            list(reference.localities())
        self.locality_cum = list(accumulate(max(loc.population, 1) for loc in self.localities))
        self.categories = list(reference.categories())
        self.category_cum = list(accumulate(CATEGORY_WEIGHTS.get(c.slug, 1)
                                            for c in self.categories))
        self.status_names = list(STATUS_WEIGHTS)
        self.status_cum = list(accumulate(STATUS_WEIGHTS.values()))
        # Filled by the business phase.
        self.business_ids: list[str] = []
        self.business_owner: list[str] = []
        self.business_locality: list[int] = []
        self.businesses_by_category: dict[str, list[int]] = {}
        self.consumer_ids: list[str] = []
        self.counts: dict[str, int] = {}

    # --- small helpers ---------------------------------------------------------------------

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def pick(self, cum: list[float]) -> int:
        return bisect_right(cum, self.rng.random() * cum[-1])

    def place(self, index: int, km: float) -> tuple[float, float]:
        """A point within `km` of locality `index`, inside the leads_in_israel bounds."""
        loc = self.localities[index]
        distance = km * math.sqrt(self.rng.random())
        angle = self.rng.random() * 2 * math.pi
        lat = loc.lat + distance * math.cos(angle) / KM_PER_DEGREE
        lon = loc.lon + distance * math.sin(angle) / (KM_PER_DEGREE * math.cos(math.radians(lat)))
        lat = min(max(lat, LAT_RANGE[0] + 1e-4), LAT_RANGE[1] - 1e-4)
        lon = min(max(lon, LON_RANGE[0] + 1e-4), LON_RANGE[1] - 1e-4)
        return round(lat, 6), round(lon, 6)

    def person(self) -> str:
        return f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"

    def phone(self) -> str:
        return f"+9725{self.rng.randrange(10**8):08d}"

    @staticmethod
    def stamp(value: datetime) -> str:
        return value.isoformat()

    # --- phases ----------------------------------------------------------------------------

    def load(self, cursor, conn) -> list[tuple[str, int, float]]:
        from sqlalchemy import text

        timings = []
        for name, phase in (("users", self.copy_users), ("professionals", self.copy_businesses),
                            ("professional_members", self.copy_members)):
            started = time.perf_counter()
            rows = phase(cursor)
            timings.append((name, rows, time.perf_counter() - started))
            print(f"  {name}: {rows} rows in {timings[-1][2]:.1f} s", flush=True)

        if self.args.board_sync == "bulk":
            conn.execute(text("ALTER TABLE leads DISABLE TRIGGER lead_board_sync"))
        lead_time = detail_time = 0.0
        consumer_rows = pro_rows = 0
        done = 0
        while done < self.n_leads:
            size = min(self.args.batch, self.n_leads - done)
            leads, consumer, pro = self.lead_batch(done, size)
            started = time.perf_counter()
            copy_insert(cursor, "leads", LEAD_COLUMNS, leads)
            middle = time.perf_counter()
            copy_insert(cursor, "consumer_leads", DETAIL_COLUMNS, consumer)
            copy_insert(cursor, "professional_leads", DETAIL_COLUMNS, pro)
            lead_time += middle - started
            detail_time += time.perf_counter() - middle
            consumer_rows += len(consumer)
            pro_rows += len(pro)
            done += size
            print(f"  leads: {done}/{self.n_leads} (COPY leads {lead_time:.1f} s, "
                  f"details {detail_time:.1f} s)", flush=True)
        label = "leads (COPY; lead_board_sync trigger fills lead_board)" \
            if self.args.board_sync == "trigger" else "leads (COPY; trigger disabled)"
        timings.append((label, self.n_leads, lead_time))
        timings.append(("consumer_leads + professional_leads (COPY)", consumer_rows + pro_rows,
                        detail_time))
        if self.args.board_sync == "bulk":
            started = time.perf_counter()
            rows = conn.execute(text(BULK_BOARD)).rowcount
            conn.execute(text("ALTER TABLE leads ENABLE TRIGGER lead_board_sync"))
            timings.append(("lead_board (one INSERT ... SELECT)", rows,
                            time.perf_counter() - started))
        return timings

    def copy_users(self, cursor) -> int:
        rows = []
        self.business_owner = [self.uuid() for _ in range(self.n_businesses)]
        self.consumer_ids = [self.uuid() for _ in range(self.n_consumers)]
        created = self.stamp(self.now - timedelta(days=400))
        for i, user_id in enumerate(self.business_owner):
            rows.append(f"{user_id}\t+97250{i:07d}\t{self.person()}\tprofessional\t{created}\n")
        for i, user_id in enumerate(self.consumer_ids):
            rows.append(f"{user_id}\t+97252{i:07d}\t{self.person()}\tconsumer\t{created}\n")
        copy_insert(cursor, "users", "id, phone, name, role, created_at", rows)
        return len(rows)

    def copy_businesses(self, cursor) -> int:
        rows = []
        n_subscribed = round(self.n_businesses * SUBSCRIBED_SHARE)
        n_expired = round(self.n_businesses * EXPIRED_SHARE)
        order = list(range(self.n_businesses))
        self.rng.shuffle(order)
        subscribed = set(order[:n_subscribed])
        expired = set(order[n_subscribed:n_subscribed + n_expired])
        for i in range(self.n_businesses):
            business_id = self.uuid()
            locality = self.pick(self.locality_cum)
            category = self.categories[self.pick(self.category_cum)]
            lat, lon = self.place(locality, 2.0)
            verified = self.rng.random() < 0.85
            created = self.now - timedelta(days=self.rng.uniform(30, 900))
            if i in subscribed:
                until = self.stamp(self.now + timedelta(days=self.rng.uniform(20, 180)))
            elif i in expired:
                until = self.stamp(self.now - timedelta(days=self.rng.uniform(1, 200)))
            else:
                until = "\\N"
            name = f"{category.name_he} {self.rng.choice(LAST_NAMES)}" \
                   f"{self.rng.choice(BUSINESS_SUFFIXES)}"
            rows.append("\t".join((
                business_id, name, f"{100_000_000 + i:09d}", category.slug,
                str(self.localities[locality].id), repr(lat), repr(lon),
                str(self.rng.choice((10, 15, 20, 25, 25, 30, 40, 50))),
                f"{self.rng.uniform(3.5, 5):.2f}", str(self.rng.randrange(0, 120)),
                "t" if verified else "f", self.stamp(created) if verified else "\\N", "active",
                self.business_owner[i], self.stamp(created), self.stamp(created), until,
            )) + "\n")
            self.business_ids.append(business_id)
            self.business_locality.append(locality)
            self.businesses_by_category.setdefault(category.slug, []).append(i)
        self.counts["subscribed"] = n_subscribed
        copy_insert(cursor, "professionals",
                    "id, business_name, business_id, category_slug, locality_id, lat, lon,"
                    " service_radius_km, rating, review_count, verified, verified_at, status,"
                    " created_by, created_at, updated_at, subscribed_until", rows)
        return len(rows)

    def copy_members(self, cursor) -> int:
        copy_insert(cursor, "professional_members", "professional_id, user_id, role, added_by",
                    [f"{pid}\t{uid}\towner\t{uid}\n"
                     for pid, uid in zip(self.business_ids, self.business_owner, strict=True)])
        return len(self.business_ids)

    def lead_batch(self, first: int, size: int) -> tuple[list[str], list[str], list[str]]:
        rng = self.rng
        leads, consumer, pro = [], [], []
        # Leads arrive in time order, as they would in production (the heap follows created_at).
        start, step = self.now - timedelta(days=365), timedelta(days=365) / self.n_leads
        for index in range(first, first + size):
            lead_id = self.uuid()
            is_pro = rng.random() < PRO_SHARE
            category = self.categories[self.pick(self.category_cum)]
            sub = rng.choice(category.subcategories) if rng.random() < 0.85 else None
            if is_pro:
                business = rng.randrange(self.n_businesses)
                # A referral is usually near the referring business.
                locality = self.business_locality[business] if rng.random() < 0.7 \
                    else self.pick(self.locality_cum)
                owner_user = self.business_owner[business]
                owner_pro = self.business_ids[business]
                budget = f"{round(rng.lognormvariate(7.6, 0.9) / 50) * 50 + 100}.00"
                share = str(rng.choice((5, 10, 10, 15, 15, 20, 25, 30)))
                visibility = "private" if rng.random() < PRIVATE_PRO_SHARE else "public"
            else:
                locality = self.pick(self.locality_cum)
                owner_user = rng.choice(self.consumer_ids)
                owner_pro = "\\N"
                budget = f"{round(rng.lognormvariate(7.3, 0.9) / 50) * 50 + 100}.00" \
                    if rng.random() < 0.65 else "\\N"
                share = "\\N"
                visibility = "public"
            lat, lon = self.place(locality, 3.0)
            place = self.localities[locality]
            status = self.status_names[self.pick(self.status_cum)]
            created = start + step * (index + rng.random())
            updated = created + timedelta(hours=rng.uniform(0, 72))
            performer = final = cancelled = "\\N"
            if status in ("awarded", "in_progress", "completed", "closed"):
                pool = self.businesses_by_category.get(category.slug)
                if pool:
                    performer = self.business_ids[rng.choice(pool)]
                if status in ("completed", "closed"):
                    final = budget if budget != "\\N" else f"{rng.randrange(200, 5000)}.00"
            elif status == "cancelled":
                cancelled = self.stamp(updated)
            words = CATEGORY_WORDS.get(category.slug, [category.name_he])
            topic = sub.name_he if sub else rng.choice(words)
            title = f"{rng.choice(OPENERS)} {topic} ב{place.name_he}"[:120]
            short = (f"{rng.choice(words)} {rng.choice(PLACES)}. {rng.choice(words)}. "
                     f"{rng.choice(GENERIC)}.")[:280]
            preferred_date = (created + timedelta(days=rng.randrange(1, 30))).date().isoformat() \
                if rng.random() < 0.2 else "\\N"
            leads.append("\t".join((
                lead_id, "professional_referral" if is_pro else "consumer", title, short,
                category.slug, sub.slug if sub else "\\N", str(place.id), repr(lat), repr(lon),
                budget, share, rng.choice(SCHEDULES), preferred_date, visibility, status,
                owner_user, owner_pro, performer, final, str(rng.randrange(0, 9)),
                self.stamp(created), self.stamp(updated), cancelled,
            )) + "\n")
            full = f"{short} {rng.choice(GENERIC)}. {rng.choice(words)} {rng.choice(PLACES)}. " \
                   f"{rng.choice(GENERIC)}."
            detail = "\t".join((
                lead_id, self.person(), self.phone(),
                f"{rng.choice(STREETS)} {rng.randrange(1, 120)}, {place.name_he}", full,
            )) + "\n"
            (pro if is_pro else consumer).append(detail)
        return leads, consumer, pro


def copy_insert(cursor, table: str, columns: str, rows: list[str]) -> None:
    """COPY `rows` (text format lines) into `table`. PostgreSQL refuses COPY FROM into a table
    under row-level security, so the rows go to a temporary copy of the table first (no RLS
    there), then into the table with one INSERT ... SELECT, which the policies check."""
    if not rows:
        return
    stage = f"stage_{table}"
    cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} (LIKE {table} INCLUDING DEFAULTS)"
                   " ON COMMIT DROP")
    cursor.execute(f"TRUNCATE {stage}")
    with cursor.copy(f"COPY {stage} ({columns}) FROM STDIN") as copy:
        copy.write("".join(rows))
    cursor.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {stage}")


# A business's tier, drawn from its id and the seed: about 70% Bronze, 18% Silver, 9% Gold and
# 3% Premium, each with its default head start on the board.
TIER_EVALUATIONS = """
    INSERT INTO tier_evaluations (professional_id, month, tier, previous_tier, completed_jobs,
                                  disputes_lost)
    SELECT id, CAST(date_trunc('month', now()) AS date),
           CASE WHEN r < 0.70 THEN 'bronze' WHEN r < 0.88 THEN 'silver'
                WHEN r < 0.97 THEN 'gold' ELSE 'premium' END, 'bronze',
           CAST(r * 40 AS integer), 0
    FROM (SELECT id, CAST(CAST('x' || substr(md5(id::text || :seed), 1, 8) AS bit(32)) AS bigint)
                     / 4294967296.0 AS r
          FROM professionals) AS drawn
    ON CONFLICT (professional_id, month) DO NOTHING
"""
PROFESSIONAL_TIERS = """
    INSERT INTO professional_tiers (professional_id, tier, since, evaluation_id, board_boost)
    SELECT e.professional_id, e.tier, now(), e.id,
           make_interval(secs => CAST(b.boost AS integer))
    FROM tier_evaluations e
    JOIN jsonb_each_text(CAST(:boosts AS jsonb)) AS b(tier, boost) ON b.tier = e.tier
    WHERE e.month = CAST(date_trunc('month', now()) AS date)
    ON CONFLICT (professional_id) DO UPDATE
    SET tier = EXCLUDED.tier, evaluation_id = EXCLUDED.evaluation_id,
        board_boost = EXCLUDED.board_boost
"""


def assign_tiers(engine, seed: int) -> list[tuple[str, int, float]]:
    """Every business's tier, as `update_tiers` would set it (the board's trigger moves the
    leads of those above Bronze); the timings of both statements."""
    import json

    from sqlalchemy import text

    from ofair_app.domain.tiers import DEFAULT_BOARD_BOOSTS

    boosts = json.dumps({str(tier): int(boost.total_seconds())
                         for tier, boost in DEFAULT_BOARD_BOOSTS.items()})
    timings = []
    with engine.begin() as conn:
        conn.execute(text("SELECT set_config('app.current_role', 'system', true)"))
        started = time.perf_counter()
        rows = conn.execute(text(TIER_EVALUATIONS), {"seed": str(seed)}).rowcount
        timings.append(("tier_evaluations", rows, time.perf_counter() - started))
        started = time.perf_counter()
        rows = conn.execute(text(PROFESSIONAL_TIERS), {"boosts": boosts}).rowcount
        moved = conn.execute(text("SELECT count(*) FROM lead_board WHERE boosted_at IS NOT NULL")
                             ).scalar_one()
        timings.append((f"professional_tiers (lead_board_rank moved {moved} board leads)", rows,
                        time.perf_counter() - started))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM (ANALYZE) lead_board"))
    return timings


LEAD_COLUMNS = ("id, type, title, short_description, category_slug, subcategory_slug, "
                "locality_id, lat, lon, budget, referrer_share_percentage, preferred_schedule, "
                "preferred_date, visibility, status, owner_user_id, owner_professional_id, "
                "performer_professional_id, final_amount, proposal_count, created_at, "
                "updated_at, cancelled_at")
DETAIL_COLUMNS = "lead_id, client_name, client_phone, client_address, full_description"
BULK_BOARD = """
    INSERT INTO lead_board (lead_id, type, title, short_description, category_slug,
                            subcategory_slug, locality_id, lat, lon, budget,
                            referrer_share_percentage, preferred_schedule,
                            owner_professional_id, proposal_count, created_at, pinned)
    SELECT id, type, title, short_description, category_slug, subcategory_slug, locality_id,
           lat, lon, budget, referrer_share_percentage, preferred_schedule,
           owner_professional_id, proposal_count, created_at,
           EXISTS (SELECT 1 FROM professionals p
                   WHERE p.id = owner_professional_id AND p.subscribed_until > now())
    FROM leads WHERE status = 'active' AND visibility = 'public'
"""

REPORT_COUNTS = """
SELECT 'users', count(*) FROM users
UNION ALL SELECT 'professionals', count(*) FROM professionals
UNION ALL SELECT '  of which subscribed now (pinned)', count(*) FROM professionals
          WHERE subscribed_until > now()
UNION ALL SELECT 'professional_members', count(*) FROM professional_members
UNION ALL SELECT 'leads', count(*) FROM leads
UNION ALL SELECT '  consumer', count(*) FROM leads WHERE type = 'consumer'
UNION ALL SELECT '  professional_referral', count(*) FROM leads
          WHERE type = 'professional_referral'
UNION ALL SELECT '  active and public', count(*) FROM leads
          WHERE status = 'active' AND visibility = 'public'
UNION ALL SELECT 'consumer_leads', count(*) FROM consumer_leads
UNION ALL SELECT 'professional_leads', count(*) FROM professional_leads
UNION ALL SELECT 'lead_board', count(*) FROM lead_board
UNION ALL SELECT '  pinned (subscribers'' leads)', count(*) FROM lead_board b
          JOIN professionals p ON p.id = b.owner_professional_id
          WHERE p.subscribed_until > now()
"""
SIZES = ("users", "professionals", "leads", "consumer_leads", "professional_leads", "lead_board")


def print_report(engine, args: argparse.Namespace, data_dir: Path,
                 timings: list[tuple[str, int, float]], elapsed: float) -> None:
    from sqlalchemy import text

    with engine.begin() as conn:
        conn.execute(text("SELECT set_config('app.current_role', 'system', true)"))
        counts = conn.execute(text(REPORT_COUNTS)).all()
        sizes = {t: conn.execute(text("SELECT pg_total_relation_size(:t)"), {"t": t}).scalar_one()
                 for t in SIZES}
        settings = {name: conn.execute(text(f"SHOW {name}")).scalar_one()
                    for name in ("server_version", "shared_buffers", "work_mem", "jit")}

    print(f"\nLead Board data in {data_dir} ({args.leads} leads, {args.businesses} businesses, "
          f"seed {args.seed}, board sync: {args.board_sync})")
    print(f"cores: {os.cpu_count()}; postgres {settings['server_version']}, shared_buffers "
          f"{settings['shared_buffers']}, work_mem {settings['work_mem']}, jit {settings['jit']}")
    header = f"{'step':58} {'rows':>10} {'seconds':>8} {'rows/s':>9}"
    print(header)
    print("-" * len(header))
    for name, rows, seconds in timings:
        rate = f"{rows / seconds:9.0f}" if rows and seconds else f"{'':9}"
        print(f"{name:58} {rows or '':>10} {seconds:8.1f} {rate}")
    print(f"{'total (after db upgrade)':58} {'':>10} {elapsed:8.1f}")

    header = f"\n{'table':40} {'rows':>10}"
    print(header)
    print("-" * (len(header) - 1))
    for name, count in counts:
        print(f"{name:40} {count:>10}")
    print(f"\n{'table (with indexes and TOAST)':40} {'MB':>10}")
    print("-" * 51)
    for name, size in sizes.items():
        print(f"{name:40} {size / 2**20:>10.0f}")


if __name__ == "__main__":
    sys.exit(main())
