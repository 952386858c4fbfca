"""Fault injection into the real boto3 clients: a throttling or server error answered in place of AWS, at the
HTTP layer, so botocore's own retry logic (adaptive mode) sees it exactly as it would see AWS's answer."""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable
from typing import Any

from botocore.awsrequest import AWSResponse


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> list[bytes]:
        return [self._body]

    def read(self, *_: Any) -> bytes:
        return self._body


def error_response(url: str, code: str, status: int = 400, message: str = "injected fault") -> AWSResponse:
    body = json.dumps({"__type": code, "message": message, "Message": message}).encode()
    headers = {"x-amzn-errortype": f"{code}:", "content-type": "application/x-amz-json-1.0"}
    return AWSResponse(url, status, headers, _Raw(body))


def inject(
    client: Any,
    *,
    operation: str | None,
    code: str,
    status: int,
    should_fail: Callable[[], bool],
) -> Counter[str]:
    """Answer matching calls of `client` with an error while `should_fail()` says so. Returns a counter of faults."""
    injected: Counter[str] = Counter()

    def handler(request: Any, **kwargs: Any) -> AWSResponse | None:
        name = kwargs.get("event_name", "").rsplit(".", 1)[-1]
        if operation is not None and name != operation:
            return None
        if should_fail():
            injected[name] += 1
            return error_response(request.url, code, status)
        return None

    service = client.meta.service_model.service_id.hyphenize()
    # First in line: ahead of moto's own before-send stub, so the fault replaces the emulated answer.
    client.meta.events.register_first(f"before-send.{service}", handler)
    return injected


def seeded(probability: float, seed: int) -> Callable[[], bool]:
    rng = random.Random(seed)
    return lambda: rng.random() < probability


def refuse(
    client: Any,
    *,
    operation: str,
    times: int = 1,
    when: Callable[[dict[str, Any]], bool] = lambda _params: True,
    code: str = "InternalFailure",
) -> Counter[str]:
    """AWS refuses the next `times` matching calls of `operation` outright: nothing reaches the service, the caller
    gets a ClientError (unlike `inject`, whose fault replaces the answer of a request the emulator still performed:
    the "done, but the answer was lost" case). `when` sees the call's parameters (e.g. one DetailType only)."""
    from botocore.exceptions import ClientError

    refused: Counter[str] = Counter()

    def handler(params: dict[str, Any], **_: Any) -> None:
        if refused[operation] < times and when(params):
            refused[operation] += 1
            raise ClientError({"Error": {"Code": code, "Message": "refused by the test"}}, operation)

    service = client.meta.service_model.service_id.hyphenize()
    client.meta.events.register(f"before-parameter-build.{service}.{operation}", handler)
    return refused
