"""bench_money's counts are refused before anything starts when they cannot be measured:
a usage error (exit 2) naming the value, never a loop without end or a division by zero."""

from __future__ import annotations

import pytest

from benchmarks.bench_money import parse_args


@pytest.mark.parametrize("argv", [["--batch", "0"], ["--batch", "-3"], ["--events", "1"],
                                  ["--concurrency", "0"], ["--events", "many"]])
def test_counts_that_cannot_be_measured_are_refused(argv, capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        parse_args(argv)
    assert exit_.value.code == 2
    assert argv[1] in capsys.readouterr().err


def test_the_defaults_and_a_batch_of_one_are_taken() -> None:
    args = parse_args(["--parts", "profile", "--batch", "1", "--events", "2"])
    assert (args.batch, args.events, args.concurrency) == (1, 2, 8)
