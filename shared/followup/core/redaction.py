"""Log redaction: email addresses anywhere in a log line, and the values of keys that carry personal data."""

from __future__ import annotations

import re
from typing import Any

from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PERSONAL_KEYS = frozenset(
    {"email", "to", "to_name", "name", "candidate", "mailing_address", "signature", "reply_to", "from", "bcc", "cc"}
)
REDACTED = "[redacted]"


def redact(value: Any) -> Any:
    """Redact emails in strings and the values of personal keys, recursively."""
    if isinstance(value, str):
        return EMAIL.sub("[email]", value)
    if isinstance(value, dict):
        return {k: (REDACTED if str(k).lower() in PERSONAL_KEYS else redact(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(item) for item in value]
    return value


class RedactingFormatter(LambdaPowertoolsFormatter):
    def serialize(self, log: Any) -> str:
        return super().serialize(log=redact(log) if isinstance(log, dict) else log)
