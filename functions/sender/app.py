"""SenderFunction: SQS batches of due follow-ups → SES, with partial batch failures."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from followup.core.observability import logger, metrics
from followup.sender.handler import process_send_batch


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_send_batch(event, context, metrics)
