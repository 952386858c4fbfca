"""One-click links (`GET`/`POST /a/{token}`): GET shows a confirmation page — or, for a link already used, what was
done and when — and changes nothing (mail scanners prefetch links); POST performs the action once."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from followup.api.services import services
from followup.core import clock

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]
logger = Logger(child=True)


def _link_page(token: str, act: bool) -> Response[str]:
    from botocore.exceptions import BotoCoreError, ClientError

    from followup.adapters.events import PublishError
    from followup.api.link_actions import PAGE_HEADERS, confirmation_page, invalid_page, perform, unavailable_page
    from followup.core.links import InvalidLink, read_token

    deps = services()
    now = clock.now()
    try:
        claim = read_token(deps.secrets.get(deps.settings.link_secret_parameter), token, now=now)
    except InvalidLink as exc:
        page = invalid_page(exc)
    else:
        try:
            bundle = deps.table.load_interview(claim.interview_id)
            if act and bundle is not None:
                page = perform(deps.table, deps.publisher, bundle, claim, now)
            else:
                # A link already used says so when opened, not only once its button is pressed (GET reads only).
                used = deps.table.link_use(claim.interview_id, claim.use_key) if bundle is not None else None
                page = confirmation_page(bundle, claim, token, used=used)
        except (ClientError, BotoCoreError, PublishError):
            logger.exception("link action failed part-way", extra={"action": str(claim.action)})
            page = unavailable_page(token)
    return Response(
        status_code=page.status, content_type="text/html; charset=utf-8", body=page.render(), headers=PAGE_HEADERS
    )


@router.get("/a/<token>", summary="Confirmation page of a one-click link (changes nothing)", include_in_schema=False)
def get_link(token: str):  # type: ignore[no-untyped-def]
    return _link_page(token, act=False)


@router.post("/a/<token>", summary="Perform a one-click link's action, once", include_in_schema=False)
def post_link(token: str):  # type: ignore[no-untyped-def]
    return _link_page(token, act=True)
