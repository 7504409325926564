"""Who hears about what and when: groups, default channels and quiet hours (pure rules)."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from ofair_app.domain.notifying import (
    ISRAEL,
    TEMPLATE_GROUPS,
    URGENT,
    Channel,
    EventGroup,
    QuietHours,
    default_enabled,
    default_quiet_hours,
    group_of,
    in_shabbat,
)
from ofair_app.notifications.templates import TEMPLATES

# 2026-12-01 is a Tuesday; 2026-12-04 a Friday, 2026-12-05 a Saturday (Israel: UTC+2).


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=ISRAEL)


def released(quiet: QuietHours, moment: datetime) -> datetime | None:
    result = quiet.release_at(moment.astimezone(UTC))
    return None if result is None else result.astimezone(ISRAEL)


@pytest.mark.parametrize(("moment", "expected"), [
    (at(1, 23), at(2, 7)),  # a night that crosses midnight
    (at(1, 22), at(2, 7)),  # its first minute
    (at(2, 6, 59), at(2, 7)),
    (at(2, 7), None),  # over
    (at(1, 12), None),
    (at(1, 21, 59), None),
])
def test_the_default_night(moment, expected) -> None:
    assert released(QuietHours(), moment) == expected


def test_a_daytime_window_and_no_window() -> None:
    siesta = QuietHours(start=time(13), end=time(15))
    assert released(siesta, at(1, 14)) == at(1, 15)
    assert released(siesta, at(1, 15)) is None and released(siesta, at(1, 12, 59)) is None
    assert released(QuietHours(enabled=False), at(1, 23)) is None
    assert released(QuietHours(start=time(22), end=time(22)), at(1, 23)) is None


@pytest.mark.parametrize(("moment", "expected"), [
    (at(4, 16), at(5, 21)),  # Friday afternoon: until Saturday night
    (at(4, 23), at(5, 21)),  # Friday night: Shabbat outlasts the night
    (at(5, 12), at(5, 21)),
    (at(5, 20, 59), at(5, 21)),
    (at(4, 14), None),  # before Shabbat
    (at(5, 21, 30), None),  # after it, before the night
])
def test_shabbat_for_those_who_hold_it(moment, expected) -> None:
    assert released(QuietHours(shabbat=True), moment) == expected


def test_shabbat_is_not_held_unless_asked() -> None:
    assert released(QuietHours(), at(5, 12)) is None


def test_a_shabbat_that_ends_into_the_night_waits_for_the_morning() -> None:
    early = QuietHours(start=time(20), end=time(7), shabbat=True)
    assert released(early, at(5, 15)) == at(6, 7)


def test_in_shabbat_reads_israel_time_from_any_zone() -> None:
    # Friday 13:30 UTC is 15:30 in Israel
    assert in_shabbat(datetime(2026, 12, 4, 13, 30, tzinfo=UTC))
    assert not in_shabbat(datetime(2026, 12, 4, 12, 30, tzinfo=UTC))


def test_the_default_quiet_hours_setting() -> None:
    assert default_quiet_hours("") == QuietHours(enabled=False)
    assert default_quiet_hours("23:00-06:30") == QuietHours(start=time(23), end=time(6, 30))


def test_default_channels() -> None:
    for group in EventGroup:
        assert default_enabled(group, Channel.push, has_phone=True)
        assert not default_enabled(group, Channel.whatsapp, has_phone=True)
    assert default_enabled(EventGroup.proposals, Channel.sms, has_phone=True)
    assert not default_enabled(EventGroup.proposals, Channel.email, has_phone=True)
    # no phone: e-mail instead
    assert default_enabled(EventGroup.proposals, Channel.email, has_phone=False)
    assert not default_enabled(EventGroup.proposals, Channel.sms, has_phone=False)
    # frequent groups: only the app (and push) unless chosen
    for group in (EventGroup.leads, EventGroup.chat):
        for has_phone in (True, False):
            assert not default_enabled(group, Channel.sms, has_phone=has_phone)
            assert not default_enabled(group, Channel.email, has_phone=has_phone)


def test_every_template_is_either_an_event_or_sent_directly() -> None:
    direct = {"otp_code", "email_change", "phone_change", "payment_link", "marketing_update",
              "unlock_check"}
    assert set(TEMPLATES) == set(TEMPLATE_GROUPS) | direct
    assert not set(TEMPLATE_GROUPS) & direct
    assert {"otp_code", "email_change", "phone_change"} <= URGENT
    with pytest.raises(ValueError, match="no event group"):
        group_of("otp_code")


def test_every_event_has_its_one_line_in_both_languages() -> None:
    from ofair_app.i18n import translate
    from tests.unit.test_messaging_templates import PARAMS

    for template in TEMPLATE_GROUPS:
        for locale in ("he", "en"):
            line = translate(f"notify.{template}", locale, **PARAMS[template])
            assert line != f"notify.{template}" and "{" not in line, (template, locale)
            assert len(line) < 160
