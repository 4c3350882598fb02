"""Reports over the run store: usage and cost, per-workflow performance profiles, recent activity.

    from engine.reports import Window, usage, profile
    usage(store.engine, "model", window=Window.parse(since="7d")).to_dict()
    profile(store.engine, "url-digest").note   # "`summarize` accounts for 82% of p95 run time; ..."

Every function takes the store's SQLAlchemy engine (SQLite or PostgreSQL) and reads the
`runs` and `steps` tables; nothing is written.
"""

from .activity import recent_failures, runs_by_day, slowest_steps
from .profile import Profile, StepProfile, profile
from .providers import provider_of
from .stats import format_ms, percentile
from .usage import GROUPS, UsageReport, UsageRow, usage
from .window import ALL_TIME, Window

__all__ = [
    "ALL_TIME",
    "GROUPS",
    "Profile",
    "StepProfile",
    "UsageReport",
    "UsageRow",
    "Window",
    "format_ms",
    "percentile",
    "profile",
    "provider_of",
    "recent_failures",
    "runs_by_day",
    "slowest_steps",
    "usage",
]
