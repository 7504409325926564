"""The go-live gates' runner (ofair_app/gates.py): every suite it names exists and collects,
and the report says PASS only for a gate whose tests all ran and passed."""

from __future__ import annotations

import subprocess
import sys

from ofair_app import gates
from ofair_app.gates import GATES, Gate, Outcome, render


def test_every_gate_names_suites_that_exist_and_collect() -> None:
    assert [g.key for g in GATES] == ["A", "B", "C", "D", "E"]
    for gate in GATES:
        assert gate.suites and gates.missing_suites(gate) == [], gate.key
    node_ids = [suite for gate in GATES for suite in gate.suites if "::" in suite]
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--collect-only", "-q",
         *node_ids], cwd=gates.ROOT, capture_output=True, text=True, check=False)
    assert collected.returncode == 0, collected.stdout[-2000:] + collected.stderr[-2000:]
    assert f"{len(node_ids)} tests collected" in collected.stdout


def test_a_missing_suite_fails_its_gate_by_name(tmp_path) -> None:
    gate = Gate("Z", "Nothing", "nothing", ("tests/unit/test_no_such_thing.py",))
    outcome = gates.run_gate(gate, tmp_path, tmp_path)
    assert not outcome.passed
    assert outcome.failures == ["no such suite: tests/unit/test_no_such_thing.py"]


def test_the_verdict_names_what_failed_and_what_did_not_run() -> None:
    passed = Outcome(key="A", name="Security", proves="…", passed=True, tests=3)
    failed = Outcome(key="C", name="Inventory", proves="…", passed=False, tests=2, failed=1,
                     failures=["tests/x.py::test_y"])
    assert render([passed, failed], "now").endswith("NOT READY: gate C failed")
    assert "failed: tests/x.py::test_y" in render([passed, failed], "now")
    assert render([passed], "now").endswith(
        "gates A pass; not run: B, C, D, E (all five must pass before production)")
    everything = [Outcome(key=g.key, name=g.name, proves="…", passed=True, tests=1)
                  for g in GATES]
    assert render(everything, "now").endswith("ALL GATES PASS: OFAIR may go to production")


def test_a_failed_test_is_named_with_its_reason(tmp_path) -> None:
    junit = tmp_path / "gate.xml"
    junit.write_text(
        '<testsuites><testsuite name="pytest">'
        '<testcase classname="tests.e2e.test_x" name="test_ok"/>'
        '<testcase classname="tests.e2e.test_x" name="test_bad">'
        '<failure message="AssertionError: expected the receipt&#10;more">trace</failure>'
        '</testcase>'
        '<testcase classname="tests.e2e.test_x" name="test_broken"><error message="">x</error>'
        '</testcase>'
        '<testcase classname="tests.e2e.test_x" name="test_later"><skipped/></testcase>'
        '</testsuite></testsuites>', encoding="utf-8")
    assert gates._counts(junit) == (4, 2, 1, [
        "tests.e2e.test_x::test_bad: AssertionError: expected the receipt",
        "tests.e2e.test_x::test_broken"])
