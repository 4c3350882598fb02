"""A report's time window from what a person types."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine.reports import Window

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)


def test_dates_timestamps_and_spans_back_from_now():
    assert Window.parse("2025-03-01", "2025-03-02") == Window("2025-03-01T00:00:00+00:00", "2025-03-03T00:00:00+00:00")
    assert Window.parse("2025-03-01T08:30:00Z").since == "2025-03-01T08:30:00+00:00"
    assert Window.parse("2025-03-01T10:30:00+02:00").since == "2025-03-01T08:30:00+00:00"
    assert Window.parse("7d", now=NOW).since == "2025-03-03T12:00:00+00:00"
    assert Window.parse("12h", "30m", now=NOW) == Window("2025-03-10T00:00:00+00:00", "2025-03-10T11:30:00+00:00")
    assert Window.parse(None, "") == Window()


def test_last_days_starts_at_midnight():
    assert Window.last_days(7, now=NOW).since == "2025-03-04T00:00:00+00:00"
    assert Window.last_days(0, now=NOW) == Window()


@pytest.mark.parametrize(("since", "until", "message"), [
    ("yesterday", None, "since: 'yesterday' is not a date"),
    (None, "2025-13-01", "until: '2025-13-01' is not a date"),
    ("2025-03-05", "2025-03-01", r"since \(2025-03-05\) must be earlier than until \(2025-03-01\)"),
])
def test_bad_bounds_say_which_and_what_is_accepted(since, until, message):
    with pytest.raises(ValueError, match=message):
        Window.parse(since, until)
