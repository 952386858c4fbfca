"""The secret store: an optional secret (the operator key) that was never created is None, not a failure."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from followup.adapters.secrets import SecretStore


def test_a_missing_optional_secret_is_none_and_a_present_one_is_read() -> None:
    with mock_aws():
        ssm = boto3.client("ssm", region_name="us-east-1")
        store = SecretStore(ssm)
        assert store.get_optional("/followup/operator-key") is None
        ssm.put_parameter(Name="/followup/operator-key", Value="op-key", Type="SecureString")
        assert store.get_optional("/followup/operator-key") == "op-key"


def test_a_missing_required_secret_still_fails() -> None:
    from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

    with mock_aws():
        store = SecretStore(boto3.client("ssm", region_name="us-east-1"))
        with pytest.raises(GetParameterError):
            store.get("/followup/api-key")
