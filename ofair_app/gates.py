"""Go-live gates as code (issue 23): `python -m ofair_app gates` says whether OFAIR may go to
production, gate by gate, and exits 0 only when every gate passes.

Each gate is a set of test suites run by pytest in its own process, on the throwaway embedded
PostgreSQL every test session starts (tests/conftest.py): nothing touches a real database.
- A, security: the row-level security matrix (`tests/integration/test_rls_matrix.py`: every
  table from the migrated schema, and for each holding tenant or personal data, another user,
  another business and an anonymous caller denied reading, changing, deleting and forging its
  rows) and the hand-written RLS suites. The report lists every table.
- B, billing integrity: webhook replays and duplicates, refunds before and after release,
  declined and failed payments and reconciliation, for every provider (the contract suite runs
  each one against its stand-in), b2b settlement, and the ledger's stateful property test.
- C, inventory integrity: the suites that race real concurrent transactions (acceptance,
  referral claims, slot booking, QR check-in, unlocks, withdrawals, document numbers).
- D, observability: request ids on every log line and answer; one of each money and inventory
  action driven through the API (a job's under its run id), logged with its ids and listed on
  its request's access line; metrics moved.
- E, acceptance: the browser journeys (a request to its review, a referral chain to its payout,
  a b2b month to its invoice, admin moderation) in Chromium; each journey's last screen is
  saved in the folder the report names.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Gate:
    key: str
    name: str
    proves: str
    suites: tuple[str, ...]  # pytest paths or node ids, from the repository's root
    workers: int = 0  # pytest-xdist workers (0: one process)


@dataclass
class Outcome:
    key: str
    name: str
    proves: str
    passed: bool
    tests: int = 0
    failed: int = 0
    skipped: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)
    detail: dict = field(default_factory=dict)


GATES: tuple[Gate, ...] = (
    Gate("A", "Security",
         "every table under forced row-level security; another user, another business and an "
         "anonymous caller denied every tenant table's rows",
         ("tests/integration/test_rls_matrix.py", "tests/integration/test_database_roles.py",
          "tests/integration/test_rls_chat.py", "tests/integration/test_rls_identity.py",
          "tests/integration/test_rls_leads.py", "tests/integration/test_rls_money.py",
          "tests/integration/test_rls_notifications.py",
          "tests/integration/test_rls_proposals.py", "tests/integration/test_rls_users.py"),
         workers=2),
    Gate("B", "Billing integrity",
         "webhook replays and duplicates, refunds before and after release, declines and "
         "failures, reconciliation, for every provider; b2b settlement; the ledger's stateful "
         "property test",
         ("tests/api/test_psp_contract.py", "tests/api/test_payments_api.py",
          "tests/api/test_cardcom_payments_api.py", "tests/api/test_payouts_disputes_api.py",
          "tests/integration/test_cardcom_provider.py",
          "tests/integration/test_stripe_provider.py", "tests/integration/test_b2b_settlement.py",
          "tests/integration/test_autopay.py", "tests/api/test_webhook_rejections.py",
          "tests/integration/test_ledger_stateful.py"),
         workers=2),
    Gate("C", "Inventory integrity",
         "real concurrent transactions: one winner per lead and per referral, a slot's last "
         "place booked once, a check-in scanned once, an unlock's last place taken once, "
         "withdrawals never past the wallet, tax document numbers without gaps",
         ("tests/integration/test_acceptance_concurrency.py",
          "tests/integration/test_visits.py::"
          "test_twenty_bookings_at_once_of_the_last_place_give_exactly_one",
          "tests/integration/test_visits.py::test_simultaneous_scans_check_in_once",
          "tests/integration/test_unlocks.py::"
          "test_the_places_run_out_and_two_takers_of_the_last_one_give_exactly_one",
          "tests/integration/test_withdrawal_concurrency.py",
          "tests/integration/test_document_numbers.py",
          "tests/api/test_payments_api.py::test_concurrent_deliveries_of_one_event_apply_it_once",
          "tests/api/test_payments_api.py::test_concurrent_events_for_one_payment_hold_once")),
    Gate("D", "Observability",
         "a request id on every log line and answer; one of each money and inventory action "
         "driven, logged with its request id and ids and listed on its access line; metrics",
         ("tests/api/test_observability.py", "tests/api/test_observability_actions.py"),
         workers=2),
    Gate("E", "Acceptance journeys",
         "in Chromium: a request to its review, a referral chain to its payout, a b2b month to "
         "its invoice, admin moderation",
         ("tests/e2e/test_review_journey.py", "tests/e2e/test_referral_chain.py",
          "tests/e2e/test_b2b_job.py", "tests/e2e/test_invoices.py",
          "tests/e2e/test_admin_leads.py")),
)


def _counts(junit: Path) -> tuple[int, int, int, list[str]]:
    """(tests, failed, skipped, the failed tests' ids) from pytest's JUnit XML."""
    if not junit.exists():
        return 0, 0, 0, []
    root = ET.parse(junit).getroot()  # noqa: S314 - pytest's own report, written just now
    tests = failed = skipped = 0
    failures: list[str] = []
    for case in root.iter("testcase"):
        tests += 1
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        if problem is not None:
            failed += 1
            why = (problem.get("message") or "").strip().splitlines()
            failures.append(f"{case.get('classname')}::{case.get('name')}"
                            + (f": {why[0][:160]}" if why else ""))
        elif case.find("skipped") is not None:
            skipped += 1
    return tests, failed, skipped, failures


def missing_suites(gate: Gate) -> list[str]:
    """The gate's suites whose file is not in the repository (a renamed or moved test)."""
    return [suite for suite in gate.suites if not (ROOT / suite.split("::")[0]).is_file()]


def run_gate(gate: Gate, workdir: Path, screenshots: Path) -> Outcome:
    missing = missing_suites(gate)
    if missing:
        return Outcome(key=gate.key, name=gate.name, proves=gate.proves, passed=False,
                       failures=[f"no such suite: {suite}" for suite in missing])
    junit = workdir / f"gate-{gate.key}.xml"
    report = workdir / f"gate-{gate.key}.json"
    env = {**os.environ, "OFAIR_GATES_REPORT": str(report),
           "OFAIR_SCREENSHOTS_DIR": str(screenshots)}
    for name in ("DATABASE_URL", "DATABASE_OWNER_URL"):  # the tests' own database, always
        env.pop(name, None)
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
               "--junitxml", str(junit), *gate.suites]
    if gate.workers:
        command += ["-n", str(gate.workers)]
    started = time.perf_counter()
    finished = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,  # noqa: S603
                              check=False)
    seconds = time.perf_counter() - started
    tests, failed, skipped, failures = _counts(junit)
    outcome = Outcome(key=gate.key, name=gate.name, proves=gate.proves, tests=tests,
                      failed=failed, skipped=skipped, seconds=round(seconds, 1),
                      failures=failures,
                      passed=finished.returncode == 0 and tests > 0 and not failed
                      and not skipped)
    if finished.returncode != 0 and not failures:  # collection errors, a crash
        outcome.failures.append(finished.stdout[-1500:] + finished.stderr[-1500:])
    if report.exists():
        outcome.detail["tables"] = json.loads(report.read_text(encoding="utf-8"))
    if gate.key == "E":
        outcome.detail["screenshots"] = str(screenshots)
        outcome.detail["screens"] = len(list(screenshots.glob("*.png")))
    return outcome


def _table_lines(tables: list[dict]) -> list[str]:
    tenant = [t for t in tables if t["tenant"]]
    lines = [f"    {len(tables)} tables in the schema, {len(tenant)} holding tenant or personal "
             "data",
             f"    {'table':32} {'RLS':6} {'rows':>5}  other user / other business / anonymous"]
    for table in tables:
        rls = "forced" if table["rls"] and table["forced"] else "NO"
        if not table["denied"]:
            who = "; ".join(table["problems"]) or "not probed: no row (reference data)"
        else:
            who = " / ".join(
                "denied" if all(not r.startswith("ALLOWED") for r in outcome.values())
                else "ALLOWED " + ",".join(p for p, r in outcome.items()
                                            if r.startswith("ALLOWED"))
                for outcome in table["denied"].values())
            if table["public_read"]:
                who += f"  (anyone reads: {table['public_read']})"
            if not table["tenant"]:
                who += "  (platform data)"
        lines.append(f"    {table['table']:32} {rls:6} {table['world_rows']:>5}  {who}")
    return lines


def render(outcomes: list[Outcome], when: str) -> str:
    lines = [f"OFAIR go-live gates, {when}", ""]
    for outcome in outcomes:
        verdict = "PASS" if outcome.passed else "FAIL"
        lines.append(f"{outcome.key} {outcome.name:22} {verdict}  {outcome.tests} tests, "
                     f"{outcome.failed} failed, {outcome.skipped} skipped, "
                     f"{outcome.seconds:.0f} s")
        lines.append(f"    proves: {outcome.proves}")
        lines += [f"    failed: {failure}" for failure in outcome.failures[:20]]
        if "tables" in outcome.detail:
            lines += _table_lines(outcome.detail["tables"])
        if "screenshots" in outcome.detail:
            lines.append(f"    screenshots: {outcome.detail['screens']} screens, each journey's"
                         f" steps in order, in {outcome.detail['screenshots']}")
        lines.append("")
    failed = [o.key for o in outcomes if not o.passed]
    skipped = [gate.key for gate in GATES if gate.key not in {o.key for o in outcomes}]
    if failed:
        lines.append(f"NOT READY: gate {', '.join(failed)} failed")
    elif skipped:
        lines.append(f"gates {', '.join(o.key for o in outcomes)} pass; not run: "
                     f"{', '.join(skipped)} (all five must pass before production)")
    else:
        lines.append("ALL GATES PASS: OFAIR may go to production")
    return "\n".join(lines)


def main(only: str = "", as_json: bool = False, screenshots: str = "") -> int:
    wanted = {key.strip().upper() for key in only.split(",") if key.strip()}
    unknown = wanted - {gate.key for gate in GATES}
    if unknown:
        print(f"unknown gates: {', '.join(sorted(unknown))} (A, B, C, D, E)", file=sys.stderr)
        return 2
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    shots = Path(screenshots or tempfile.mkdtemp(prefix="ofair-gates-screens-")).resolve()
    shots.mkdir(parents=True, exist_ok=True)
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="ofair-gates-") as workdir:
        for gate in GATES:
            if wanted and gate.key not in wanted:
                continue
            print(f"» gate {gate.key} ({gate.name})…", file=sys.stderr, flush=True)
            outcomes.append(run_gate(gate, Path(workdir), shots))
    if as_json:
        print(json.dumps({"at": when, "passed": all(o.passed for o in outcomes),
                          "gates": [asdict(o) for o in outcomes]}, ensure_ascii=False,
                         indent=1))
    else:
        print(render(outcomes, when))
    return 0 if outcomes and all(o.passed for o in outcomes) else 1
