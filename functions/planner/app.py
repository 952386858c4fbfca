"""PlannerFunction: turns bus events into follow-up plans and owns their schedules."""

from typing import Any

from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from followup.observability import logger
from followup.planner_handler import handle_bus_event


@logger.inject_lambda_context(correlation_id_path="detail.interview_id")
@event_source(data_class=EventBridgeEvent)
def lambda_handler(event: EventBridgeEvent, context: LambdaContext) -> dict[str, Any]:
    return handle_bus_event(event.detail_type, event.detail)
