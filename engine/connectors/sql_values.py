"""Values between a run and a database: JSON values in rows out, driver values in params.

A step's rows are journaled, shown and read by CEL, so every value in them is JSON. The choices,
so a workflow can rely on them:

- `Decimal` (NUMERIC, DECIMAL, a PostgreSQL `sum`) becomes a number when a JSON number holds it
  exactly (a 64-bit integer, or a float whose shortest repr is the same decimal: `12.30` -> 12.3)
  and its string otherwise (`12345678901234567890.0123456789`), so money is never silently rounded.
- `datetime`, `date` and `time` become ISO 8601 strings (with the offset when they have one);
  an interval (`timedelta`) becomes its seconds.
- Binary values (`bytes`, BLOB, BYTEA) become base64 strings.
- A float that JSON cannot hold (NaN, infinity) and anything else (UUID, network addresses,
  ranges) becomes its string; arrays become lists and JSON columns stay what the driver parsed.

Going in, a list or map in `params` is bound as its JSON text, which all three databases read
(`CAST(:ids AS jsonb)`, `JSON_CONTAINS(:ids, ...)`, `json_each(:ids)`): drivers disagree on
anything else (PyMySQL would splice a list in as `(1, 2)`, sqlite3 refuses it).
"""

from __future__ import annotations

import base64
import json
import math
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

_INT64 = 2**63  # CEL's integers are 64-bit: a larger one would not survive an expression


def jsonable(value: Any) -> Any:
    """`value` as a JSON value, by the rules in the module docstring."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Decimal):
        return _decimal(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    return str(value)


def _decimal(value: Decimal) -> int | float | str:
    if not value.is_finite():
        return str(value)
    if value == value.to_integral_value() and -_INT64 <= value < _INT64:
        return int(value)
    number = float(value)
    return number if Decimal(repr(number)) == value else str(value)


def bindable(value: Any) -> Any:
    """A param as every driver takes it: a list or map becomes its JSON text."""
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, default=str)
    return value
