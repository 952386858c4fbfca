"""PlannerFunction: turns bus events into follow-up plans and owns their schedules."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from followup.core.observability import logger
from followup.planner.handler import handle_bus_event


# The event is read as the plain EventBridge envelope: Powertools' data classes package imports every event
# shape it knows (~25 ms of cold start) for two keys.
@logger.inject_lambda_context(correlation_id_path="detail.interview_id")
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle_bus_event(event["detail-type"], event["detail"])
