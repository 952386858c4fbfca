"""moto's SSM backend without moto's EC2 at import time.

`moto.ssm.models` imports `moto.ec2` at module level, and importing moto's EC2 builds its instance-type, AMI and
region tables: about 0.4–0.6 s on a 2-core machine, the largest single cost of a fresh `followup invoke` and of the
local stack's start. SSM needs EC2 only for features this project never uses (maintenance-window targets, parameters
of data type `aws:ec2:image`). `import_ssm_backend` imports the SSM backend with a stand-in for `moto.ec2` whose
`ec2_backends` loads the real EC2 on first use, then takes the stand-in out again, so any later `import moto.ec2`
(or a use of those features) gets the real package.
"""

from __future__ import annotations

import importlib
import sys
import threading
import types
from typing import Any

_lock = threading.Lock()


class _EC2BackendsOnFirstUse:
    """Stands in for `moto.ec2.ec2_backends` inside moto's SSM backend until EC2 is actually needed."""

    def __getitem__(self, account_id: str) -> Any:
        return importlib.import_module("moto.ec2").ec2_backends[account_id]


def import_ssm_backend() -> None:
    """Import moto's SSM backend now (main thread, before any request needs it), without importing moto's EC2."""
    with _lock:
        if "moto.ssm.models" in sys.modules or "moto.ec2" in sys.modules:
            importlib.import_module("moto.ssm.models")
            return
        stand_in = types.ModuleType("moto.ec2")
        stand_in.ec2_backends = _EC2BackendsOnFirstUse()  # type: ignore[attr-defined]
        sys.modules["moto.ec2"] = stand_in
        try:
            importlib.import_module("moto.ssm.models")
        finally:
            if sys.modules.get("moto.ec2") is stand_in:
                del sys.modules["moto.ec2"]
