"""The S3-compatible backend: objects under Object Lock in **compliance** mode.

Each object is written with its retention date as an Object Lock in compliance mode: the
store itself then refuses to delete that version or shorten its date, to anyone, until the
date passes (on AWS, not even the account root). Interlock's credential only needs to put
objects, read them, list them and extend a retention date; the bucket and IAM policies in
docs/vault.md deny it everything else. This module never asks for a shorter date, never
uses governance mode and never sends a governance bypass: `put` of an existing key only
ever extends its date, and `delete` refuses before the date (the store would too).

boto3 (Apache-2.0) is imported only when this backend is used: `pip install interlock[s3]`.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from interlock.vault._model import RetentionError, VaultError

COMPLIANCE = "COMPLIANCE"


def _date(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


class S3Backend:
    """A bucket (with Object Lock enabled, hence versioning) and a key prefix."""

    name = "s3"

    def __init__(
        self,
        client: Any,
        bucket: str,
        prefix: str = "",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._s3 = client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.location = f"s3://{bucket}/{self.prefix}"
        self.clock = clock

    @classmethod
    def connect(
        cls, bucket: str, prefix: str = "", endpoint: str = "", region: str = ""
    ) -> S3Backend:
        """A backend over boto3's default credential chain (environment, profile, role)."""
        try:
            import boto3
        except ImportError:
            raise VaultError(
                "the s3 vault backend needs boto3: pip install 'interlock[s3]'"
            ) from None
        client = boto3.client("s3", endpoint_url=endpoint or None, region_name=region or None)
        return cls(client, bucket, prefix)

    def _key(self, key: str) -> str:
        if not key or key.startswith("/") or ".." in key.split("/"):
            raise VaultError(f"not a vault key: {key!r}")
        return self.prefix + key

    def _errors(self) -> tuple[type[Exception], ...]:
        from botocore.exceptions import BotoCoreError, ClientError

        return (ClientError, BotoCoreError)

    def put(self, key: str, data: bytes, retain_until: int) -> None:
        full = self._key(key)
        current = self.retained_until(key) if self.exists(key) else None
        try:
            if current is None:
                self._s3.put_object(
                    Bucket=self.bucket,
                    Key=full,
                    Body=data,
                    ContentMD5=base64.b64encode(hashlib.md5(data).digest()).decode(),  # noqa: S324 (S3's integrity header)
                    ObjectLockMode=COMPLIANCE,
                    ObjectLockRetainUntilDate=_date(retain_until),
                )
            elif retain_until > current:  # only ever later: compliance mode allows that
                self._s3.put_object_retention(
                    Bucket=self.bucket,
                    Key=full,
                    Retention={"Mode": COMPLIANCE, "RetainUntilDate": _date(retain_until)},
                )
        except self._errors() as exc:
            raise VaultError(f"{self.location}{key}: the store refused the write ({exc})") from None

    def get(self, key: str) -> bytes:
        try:
            answer = self._s3.get_object(Bucket=self.bucket, Key=self._key(key))
        except self._errors() as exc:
            if _code(exc) in ("NoSuchKey", "404", "NotFound"):
                raise KeyError(key) from None
            raise VaultError(f"{self.location}{key}: cannot read ({exc})") from None
        body: bytes = answer["Body"].read()
        return body

    def exists(self, key: str) -> bool:
        try:
            self._s3.head_object(Bucket=self.bucket, Key=self._key(key))
        except self._errors() as exc:
            if _code(exc) in ("NoSuchKey", "404", "NotFound"):
                return False
            raise VaultError(f"{self.location}{key}: cannot look ({exc})") from None
        return True

    def keys(self, prefix: str) -> Iterator[str]:
        pages = self._s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self._key(prefix.rstrip("/")) + "/"
        )
        for page in pages:
            for item in page.get("Contents", []):
                yield str(item["Key"])[len(self.prefix) :]

    def retained_until(self, key: str) -> int:
        """The compliance lock's date of the key's current version, from HeadObject (which
        answers with the lock when the credential may read retention)."""
        try:
            answer = self._s3.head_object(Bucket=self.bucket, Key=self._key(key))
        except self._errors() as exc:
            if _code(exc) in ("NoSuchKey", "404", "NotFound"):
                return 0
            raise VaultError(f"{self.location}{key}: cannot read its retention ({exc})") from None
        if answer.get("ObjectLockMode") != COMPLIANCE:
            return 0  # a governance lock can be bypassed: it counts as none
        until = answer.get("ObjectLockRetainUntilDate")
        return int(until.timestamp()) if isinstance(until, datetime) else 0

    def delete(self, key: str) -> None:
        until = self.retained_until(key)
        if until > self.clock():
            raise RetentionError(f"{key} is retained until {until}; it cannot be removed")
        try:
            self._s3.delete_object(Bucket=self.bucket, Key=self._key(key))
        except self._errors() as exc:
            raise VaultError(f"{self.location}{key}: the store refused ({exc})") from None


def _code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""
