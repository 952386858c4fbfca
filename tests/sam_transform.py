"""template.yaml after the SAM transform (AWS::Serverless-2016-10-31), as CloudFormation runs it server-side: the
roles SAM generates for the functions, with what it adds on its own (managed policies, destination policies)."""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from followup_local.template import load_template


def _s3_uris(body: dict[str, Any]) -> dict[str, Any]:
    """What `sam package` does to code folders, so the translator accepts the template."""
    packaged = copy.deepcopy(body)
    for resource in packaged["Resources"].values():
        properties = resource.get("Properties") or {}
        for key in ("CodeUri", "ContentUri"):
            if isinstance(properties.get(key), str):
                properties[key] = f"s3://packaged/{properties[key].strip('/')}"
    return packaged


class _NoManagedPolicyLookup:
    """The translator looks managed policy names up in IAM only when a template uses them by name; this one
    does not, and a lookup must never reach AWS."""

    def load(self) -> dict[str, str]:
        return {}


@cache
def translated() -> dict[str, Any]:
    """template.yaml after the SAM transform; intrinsic functions are left for CloudFormation (or `provision`)."""
    from samtranslator.translator.transform import transform

    parameters = {"SenderEmail": "followups@example.com"}
    result: dict[str, Any] = transform(_s3_uris(load_template().body), parameters, _NoManagedPolicyLookup())  # type: ignore[arg-type]
    return result
