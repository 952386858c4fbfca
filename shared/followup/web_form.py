"""The web form (`GET/POST /form`, `GET /form/done/{id}`), served by ApiFunction so it works on AWS too."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

router = APIGatewayHttpRouter()
