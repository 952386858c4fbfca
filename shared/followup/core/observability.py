"""Logger and metrics shared by the functions. Personal data (emails, names, addresses) is redacted from every
log line by the formatter before it is written."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

from followup.core.redaction import RedactingFormatter

logger = Logger(logger_formatter=RedactingFormatter())
metrics = Metrics()
