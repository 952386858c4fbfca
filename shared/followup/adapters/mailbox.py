"""Inbound mail store: the raw messages a receipt rule's S3 action wrote to the inbound bucket."""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

# SES accepts inbound messages up to 40 MB; the parser reads only the first 256 KiB (a reply's headers and new text
# come first), so nothing beyond that is downloaded. Keep equal to followup.feedback.inbound.MAX_RAW_BYTES.
MAX_READ_BYTES = 256 * 1024
_MISSING = frozenset({"NoSuchKey", "404", "NoSuchBucket", "AccessDenied"})


class InboundMailStore:
    def __init__(self, client: S3Client, bucket: str, prefix: str) -> None:
        self._client = client
        self.bucket = bucket
        self.prefix = prefix

    def key_for(self, ses_message_id: str) -> str:
        """Where the S3 action stored a message: `<ObjectKeyPrefix><SES MessageId>`."""
        return f"{self.prefix}{ses_message_id}"

    def read(self, key: str) -> bytes | None:
        """The raw message (at most MAX_READ_BYTES), or None when it is not there (expired, never stored)."""
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=key, Range=f"bytes=0-{MAX_READ_BYTES - 1}")
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code", "")) in _MISSING:
                return None
            raise
        body: bytes = response["Body"].read()
        return body
