"""`GET /`: the way in for a person who opens the API's address — what this is, where the form is, where the JSON
API is described — instead of the JSON 404 every unknown path answers."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from followup.api.routes.form import render_page

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]

# The local stack (`make run`) and `sam local start-api` answer on the loopback address; API Gateway never does.
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def _on_loopback(domain: str) -> bool:
    host = domain.strip().lower()
    if host.startswith("["):  # [::1]:3000
        host = host[1:].split("]", 1)[0]
    elif host.count(":") == 1:  # 127.0.0.1:3000
        host = host.split(":", 1)[0]
    return host in _LOOPBACK


@router.get("/", include_in_schema=False)
def home():  # type: ignore[no-untyped-def]
    context = router.current_event.request_context
    return render_page("home.html.j2", local=_on_loopback(str(context.domain_name or "")))
