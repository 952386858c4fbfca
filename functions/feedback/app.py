"""FeedbackFunction: SES sending events (bounces, complaints, deliveries) and inbound replies."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from followup.core.observability import logger, metrics
from followup.feedback.handler import handle_feedback_event

# The SES MessageId of either shape: a sending event on the bus, or a receipt rule's Lambda action.
CORRELATION_ID_PATH = "detail.mail.messageId || Records[0].ses.mail.messageId"


@logger.inject_lambda_context(correlation_id_path=CORRELATION_ID_PATH)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle_feedback_event(event)
