"""Small text and time helpers every layer shares: one ISO format for instants, one set of character classes.

Pure functions only (no clock, no AWS): the domain layer may import this module.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

__all__ = [
    "CONTROL_CHARS",
    "HONORIFICS",
    "LINE_BREAKS",
    "MONTHS",
    "WEEKDAYS",
    "iso_utc",
    "parse_instant",
]

# Every character that ends a line somewhere (CR, LF, Unicode separators, NEL, VT, FF): never in a header.
LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x85\x0b\x0c]")
# Control characters other than tab and line feed.
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

# Titles that may precede a name (lower case, without the full stop); never mistaken for a given name.
HONORIFICS = frozenset(
    {"dr", "mr", "mrs", "ms", "mx", "miss", "prof", "professor", "sir", "dame", "pharm", "eng", "engr", "judge",
     "rev", "hon", "mme", "madame", "monsieur", "herr", "frau", "sra", "srta", "dott", "ing", "capt",
     # Spanish, Portuguese and Italian academic and professional titles ("Lic. Carolina Paz", "Dra. Ruiz").
     "lic", "lcda", "lcdo", "dra", "sr", "arq", "mtro", "mtra", "mag", "avv",
     # Kitchen brigades address the head chef by title ("Chef Laurent Dubois": "Chef Dubois", not "Hi Chef").
     "chef"}
)  # fmt: skip
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def iso_utc(instant: datetime) -> str:
    """`2026-11-24T20:00:00Z`: the one form every stored or published instant takes."""
    return instant.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_instant(value: str) -> datetime:
    """The inverse of `iso_utc` (also reads any ISO 8601 instant with an offset)."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"instant without a UTC offset: {value!r}")
    return parsed
