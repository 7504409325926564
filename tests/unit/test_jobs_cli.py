import argparse
from datetime import UTC, datetime, timedelta

import pytest

from jobs.__main__ import parse_as_of
from jobs.registry import REGISTRY, job


def test_as_of_with_offset_is_kept():
    moment = parse_as_of("2026-11-23T09:00:00+00:00")
    assert moment == datetime(2026, 11, 23, 9, tzinfo=UTC)


def test_as_of_without_offset_is_israel_time():
    moment = parse_as_of("2026-11-23T09:00:00")
    assert moment.utcoffset() == timedelta(hours=2)  # IST in November
    summer = parse_as_of("2026-07-01T09:00:00")
    assert summer.utcoffset() == timedelta(hours=3)  # IDT


def test_as_of_refuses_garbage():
    with pytest.raises(argparse.ArgumentTypeError):
        parse_as_of("yesterday")


def test_a_job_name_is_registered_once():
    @job("test_registered_once_probe", minute="*/5")
    def probe(*, as_of):
        """A probe."""
        return "ok"

    try:
        assert REGISTRY["test_registered_once_probe"].description == "A probe."
        with pytest.raises(ValueError, match="registered twice"):
            job("test_registered_once_probe")(probe)
    finally:
        REGISTRY.pop("test_registered_once_probe")
