"""When a cron trigger fires: 5-field cron read on the trigger's wall clock, right across DST changes."""

from __future__ import annotations

from datetime import UTC, datetime

from integrations.scheduler import last_fire, next_fire


def firings(cron: str, timezone: str, after: str, count: int) -> list[str]:
    moment, found = datetime.fromisoformat(after), []
    for _ in range(count):
        moment = next_fire(cron, timezone, moment)
        found.append(moment.astimezone(UTC).strftime("%a %Y-%m-%d %H:%M"))
    return found


def test_weekdays_at_7_in_berlin_stay_at_7_local_when_summer_time_starts():
    # Clocks go forward on Sunday 2026-03-29: 07:00 CET is 06:00 UTC, 07:00 CEST is 05:00 UTC.
    assert firings("0 7 * * 1-5", "Europe/Berlin", "2026-03-26T12:00:00+00:00", 4) == [
        "Fri 2026-03-27 06:00", "Mon 2026-03-30 05:00", "Tue 2026-03-31 05:00", "Wed 2026-04-01 05:00"]


def test_weekdays_at_7_in_berlin_stay_at_7_local_when_summer_time_ends():
    assert firings("0 7 * * 1-5", "Europe/Berlin", "2026-10-22T12:00:00+00:00", 3) == [
        "Fri 2026-10-23 05:00", "Mon 2026-10-26 06:00", "Tue 2026-10-27 06:00"]


def test_a_time_skipped_by_the_clock_change_fires_when_the_clock_jumps():
    # 02:30 does not exist on 2026-03-29 in Berlin (02:00 CET -> 03:00 CEST at 01:00 UTC).
    assert firings("30 2 * * *", "Europe/Berlin", "2026-03-27T12:00:00+00:00", 3) == [
        "Sat 2026-03-28 01:30", "Sun 2026-03-29 01:00", "Mon 2026-03-30 00:30"]


def test_a_time_that_happens_twice_fires_once():
    # 02:30 happens at 00:30 UTC (CEST) and again at 01:30 UTC (CET) on 2026-10-25.
    assert firings("30 2 * * *", "Europe/Berlin", "2026-10-23T12:00:00+00:00", 3) == [
        "Sat 2026-10-24 00:30", "Sun 2026-10-25 00:30", "Mon 2026-10-26 01:30"]


def test_every_half_hour_keeps_real_time_through_the_repeated_hour():
    assert firings("*/30 * * * *", "Europe/Berlin", "2026-10-24T23:40:00+00:00", 6) == [
        "Sun 2026-10-25 00:00", "Sun 2026-10-25 00:30", "Sun 2026-10-25 01:00", "Sun 2026-10-25 01:30",
        "Sun 2026-10-25 02:00", "Sun 2026-10-25 02:30"]


def test_quarter_hours_inside_the_skipped_hour_fire_once_when_the_clock_jumps():
    assert firings("*/15 * * * *", "Europe/Berlin", "2026-03-29T00:40:00+00:00", 3) == [
        "Sun 2026-03-29 00:45", "Sun 2026-03-29 01:00", "Sun 2026-03-29 01:15"]


def test_next_is_strictly_after_and_last_is_at_or_before():
    at_seven = datetime(2026, 3, 30, 5, 0, tzinfo=UTC)
    assert next_fire("0 7 * * 1-5", "Europe/Berlin", at_seven) == datetime(2026, 3, 31, 5, 0, tzinfo=UTC)
    assert last_fire("0 7 * * 1-5", "Europe/Berlin", at_seven) == at_seven
    assert last_fire("0 7 * * 1-5", "Europe/Berlin", datetime(2026, 3, 30, 4, 59, tzinfo=UTC)) == \
        datetime(2026, 3, 27, 6, 0, tzinfo=UTC)


def test_a_date_that_never_comes_has_no_next_firing():
    assert next_fire("0 0 30 2 *", "UTC", datetime(2026, 1, 1, tzinfo=UTC)) is None
