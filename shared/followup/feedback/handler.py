"""FeedbackFunction's logic behind its entry point: SES sending events and inbound-mail receipt events."""

from __future__ import annotations

from typing import Any

from followup.feedback.services import services


def handle_feedback_event(event: Any) -> dict[str, Any]:
    """FeedbackFunction's one call: an SES sending event or an inbound-mail receipt event."""
    return services().handle(event).as_dict()
