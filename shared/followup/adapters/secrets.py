"""Secrets from SSM Parameter Store (SecureString), cached for five minutes by Powertools Parameters."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_ssm.client import SSMClient

SECRET_CACHE_SECONDS = 300


class SecretStore:
    def __init__(self, client: SSMClient) -> None:
        from aws_lambda_powertools.utilities.parameters import SSMProvider

        self._provider = SSMProvider(boto3_client=client)

    def get(self, name: str) -> str:
        value = self._provider.get(name, decrypt=True, max_age=SECRET_CACHE_SECONDS)
        return str(value)

    def get_optional(self, name: str) -> str | None:
        """The secret, or None when the parameter does not exist (any other failure still raises)."""
        from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

        try:
            return self.get(name)
        except GetParameterError as exc:
            if "ParameterNotFound" in str(exc):
                return None
            raise
