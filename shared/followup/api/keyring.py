"""The API's key ring: the default candidate's secrets and the operator key from SSM, and each created candidate's
credentials derived from the signing secret at the version their profile records (`followup.core.credentials`)."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from followup.core.credentials import CredentialKind, derive

if TYPE_CHECKING:
    from followup.adapters.candidates import CandidateRecord, CandidateTable
    from followup.adapters.secrets import SecretStore
    from followup.core.config import ApiSettings


class ApiKeyRing:
    """One per request: a candidate's profile is read at most once."""

    def __init__(self, settings: ApiSettings, secrets: SecretStore, candidates: CandidateTable) -> None:
        self._settings = settings
        self._secrets = secrets
        self._candidates = candidates
        self._records: dict[str, CandidateRecord | None] = {}

    def default_api_key(self) -> str:
        return self._secrets.get(self._settings.api_key_parameter)

    def default_webhook_secret(self) -> str:
        return self._secrets.get(self._settings.webhook_secret_parameter)

    def default_form_key(self) -> str:
        return self._secrets.get(self._settings.form_key_parameter)

    def operator_key(self) -> str | None:
        """None when the deployment has no operator (the SecureString was never created: single-candidate mode)."""
        name = self._settings.operator_key_parameter
        return self._secrets.get_optional(name) if name else None

    @cached_property
    def signing_secret(self) -> str:
        return self._secrets.get(self._settings.link_secret_parameter)

    def candidate(self, candidate_id: str) -> CandidateRecord | None:
        """The candidate's profile, or None when there is none (never created, deleted, or being deleted)."""
        if candidate_id not in self._records:
            record = self._candidates.get(candidate_id)
            self._records[candidate_id] = None if record is None or record.deleting else record
        return self._records[candidate_id]

    def credential(self, candidate_id: str, kind: CredentialKind) -> str | None:
        record = self.candidate(candidate_id)
        if record is None:
            return None
        return derive(self.signing_secret, kind, candidate_id, record.versions[kind])

    def candidate_api_key(self, candidate_id: str) -> str | None:
        return self.credential(candidate_id, CredentialKind.API_KEY)

    def candidate_webhook_secret(self, candidate_id: str) -> str | None:
        return self.credential(candidate_id, CredentialKind.WEBHOOK_SECRET)

    def candidate_form_key(self, candidate_id: str) -> str | None:
        return self.credential(candidate_id, CredentialKind.FORM_KEY)
