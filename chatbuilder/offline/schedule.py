"""Schedules in words to 5-field cron: "every weekday at 7" -> "0 7 * * 1-5"."""

from __future__ import annotations

import re
from dataclasses import dataclass

DAYS = {"monday": 1, "tuesday": 2, "wednesday": 3, "thursday": 4, "friday": 5, "saturday": 6, "sunday": 0,
        "mon": 1, "tue": 2, "tues": 2, "wed": 3, "thu": 4, "thur": 4, "thurs": 4, "fri": 5, "sat": 6, "sun": 0}
DAY = r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*"
ZONES = {
    "berlin": "Europe/Berlin", "paris": "Europe/Paris", "amsterdam": "Europe/Amsterdam", "london": "Europe/London",
    "madrid": "Europe/Madrid", "rome": "Europe/Rome", "vienna": "Europe/Vienna", "zurich": "Europe/Zurich",
    "new york": "America/New_York", "chicago": "America/Chicago", "denver": "America/Denver",
    "los angeles": "America/Los_Angeles", "san francisco": "America/Los_Angeles", "toronto": "America/Toronto",
    "sao paulo": "America/Sao_Paulo", "tokyo": "Asia/Tokyo", "singapore": "Asia/Singapore",
    "sydney": "Australia/Sydney", "india": "Asia/Kolkata", "mumbai": "Asia/Kolkata", "delhi": "Asia/Kolkata",
    "utc": "UTC", "gmt": "Etc/GMT", "cet": "Europe/Berlin", "cest": "Europe/Berlin", "est": "America/New_York",
    "edt": "America/New_York", "pst": "America/Los_Angeles", "pdt": "America/Los_Angeles", "ist": "Asia/Kolkata",
    "jst": "Asia/Tokyo", "bst": "Europe/London",
}
PARTS_OF_DAY = {"morning": (8, 0), "noon": (12, 0), "midday": (12, 0), "afternoon": (15, 0),
                "evening": (18, 0), "night": (22, 0), "midnight": (0, 0)}
TIME = re.compile(r"\b(?:at|@)\s*(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.|h|o'?clock)?(?![\d/])|"
                  r"\b(\d{1,2})(?::(\d{2}))?\s*(am|pm)\b|\b(\d{1,2}):(\d{2})\b")


@dataclass(frozen=True)
class Schedule:
    cron: str
    timezone: str | None = None


def parse_schedule(text: str) -> Schedule | None:
    """The schedule a request names, or None when it names none."""
    low = " " + text.lower().replace("-", " ") + " "
    cron = _interval(low) or _calendar(low)
    if cron is None:
        return None
    return Schedule(cron, parse_timezone(text))


def parse_timezone(text: str) -> str | None:
    iana = re.search(r"\b((?:Europe|America|Asia|Africa|Australia|Pacific|Atlantic)/[A-Za-z_]+)\b", text)
    if iana:
        return iana.group(1)
    low = text.lower()
    for name, zone in ZONES.items():
        if re.search(rf"\b{name}\b(?:\s+time)?", low) and (len(name) > 3 or re.search(rf"\b{name}\b", low)):
            if len(name) <= 4 and not re.search(rf"(\d|am|pm|time|in|zone)\s*\(?{name}\b", low):
                continue  # short codes count only next to a time ("7am CET", "in UTC")
            return zone
    return None


def _interval(low: str) -> str | None:
    minutes = re.search(r"every\s+(\d{1,2})\s*(?:minutes?|mins?)\b", low)
    if minutes:
        return f"*/{int(minutes.group(1))} * * * *"
    if re.search(r"every\s+minute|each\s+minute", low):
        return "* * * * *"
    hours = re.search(r"every\s+(\d{1,2})\s*(?:hours?|hrs?)\b", low)
    if hours:
        return f"0 */{int(hours.group(1))} * * *"
    if re.search(r"every\s+(?:half\s+(?:an\s+)?hour|30\s+min)", low):
        return "*/30 * * * *"
    if re.search(r"every\s+hour|\bhourly\b|each\s+hour", low):
        return "0 * * * *"
    return None


def _calendar(low: str) -> str | None:
    days = _days(low)
    monthly = re.search(r"\bmonthly\b|every\s+month|of\s+(?:every|each|the)\s+month", low)
    named_time = _time(low)
    daily = re.search(r"\b(?:daily|every\s*day|each\s+day|every\s+(?:morning|evening|night|afternoon)|nightly|"
                      r"each\s+(?:morning|evening|night)|weekdays?|weekends?|weekly|every\s+week)\b", low)
    if days is None and not monthly and not daily and named_time is None:
        return None
    if days is None and not monthly and not daily and not re.search(r"\b(?:remind|schedule|run|send|check)\b", low):
        return None
    hour, minute = named_time or _part_of_day(low) or (9, 0)
    if monthly:
        day = re.search(r"\b(\d{1,2})(?:st|nd|rd|th)\b", low)
        return f"{minute} {hour} {int(day.group(1)) if day else 1} * *"
    if days is None and re.search(r"\bweekly\b|every\s+week\b", low):
        days = "1"
    return f"{minute} {hour} * * {days or '*'}"


def _days(low: str) -> str | None:
    if re.search(r"\bweekdays?\b|work\s*days?|monday\s+(?:to|through|till|until)\s+friday|mon\s*(?:to|through)\s*fri",
                 low):
        return "1-5"
    if re.search(r"\bweekends?\b", low):
        return "0,6"
    named = {DAYS[word.rstrip("s")] for word in re.findall(rf"\b({DAY})\b", low)
             if word.rstrip("s") in DAYS or word in DAYS}
    return ",".join(str(d) for d in sorted(named)) if named else None


def _time(low: str) -> tuple[int, int] | None:
    if re.search(r"\bat\s+noon\b|\bat\s+midday\b", low):
        return 12, 0
    if re.search(r"\bat\s+midnight\b", low):
        return 0, 0
    for match in TIME.finditer(low):
        groups = match.groups()
        hour, minute, suffix = next((groups[i], groups[i + 1], groups[i + 2] if i < 6 else None)
                                    for i in (0, 3, 6) if groups[i])
        hour, minute = int(hour), int(minute or 0)
        suffix = (suffix or "").replace(".", "")
        if suffix == "pm" and hour < 12:
            hour += 12
        elif suffix == "am" and hour == 12:
            hour = 0
        elif not suffix and hour < 7 and re.search(r"\b(?:evening|afternoon|pm)\b", low):
            hour += 12
        if hour < 24 and minute < 60:
            return hour, minute
    return None


def _part_of_day(low: str) -> tuple[int, int] | None:
    for word, moment in PARTS_OF_DAY.items():
        if re.search(rf"\b{word}s?\b|\bnightly\b" if word == "night" else rf"\b{word}s?\b", low):
            return moment
    return None


__all__ = ["Schedule", "parse_schedule", "parse_timezone"]
