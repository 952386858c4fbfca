"""moto's SSM backend imported without moto's EC2 (followup_local.moto_imports): SSM works, EC2 stays real."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.conftest import ROOT

SCRIPT = textwrap.dedent(
    """
    import sys
    import boto3
    from moto import mock_aws
    from followup_local.moto_imports import import_ssm_backend

    import_ssm_backend()
    assert "moto.ssm.models" in sys.modules
    assert "moto.ec2" not in sys.modules, "moto's EC2 was imported"
    with mock_aws():
        ssm = boto3.client("ssm", region_name="us-east-1")
        ssm.put_parameter(Name="/followup/api-key", Value="secret", Type="SecureString")
        value = ssm.get_parameter(Name="/followup/api-key", WithDecryption=True)["Parameter"]["Value"]
        assert value == "secret"
        assert "moto.ec2" not in sys.modules
        # The first real use of EC2 loads the real package, for SSM's stand-in and for everyone else.
        import moto.ssm.models as ssm_models
        import moto.ec2
        assert type(moto.ec2.ec2_backends).__name__ == "BackendDict"
        account = "123456789012"
        assert ssm_models.ec2_backends[account]["us-east-1"] is moto.ec2.ec2_backends[account]["us-east-1"]
        ec2 = boto3.client("ec2", region_name="us-east-1")
        assert ec2.describe_regions()["Regions"]
    print("ok")
    """
)


def test_ssm_works_without_importing_ec2_and_ec2_still_loads_when_used() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "PATH": "/usr/bin:/bin"},
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
