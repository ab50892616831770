"""A shared artifact cache on S3-compatible object storage, beside the local store.

:class:`S3Remote` is the ``remote`` of a :class:`~storyrender.cache.store.Store`: the store
looks up its own directory first and, on a miss, asks the remote; it offers every artifact it
records to the remote. Node keys are content addresses (a sha256 of what makes the artifact),
so machines sharing a bucket can never mix up results.

Layout under ``s3://BUCKET/PREFIX``::

    records/<node key>.json    the record: kind, suffix, size, sha256 of the artifact, cost,
                               paid, and the record's meta (label, role, provider, model,
                               media facts, the provider's redacted info)
    blobs/<sha256>             the artifact's bytes (object metadata ``sha256``)

An artifact is uploaded before its record, and its object is named by its own sha256, so a
record always names a complete blob that matches it. Two machines uploading the same key at
once both write valid pairs: whichever record lands last wins, and both artifacts were made
from the same inputs. A download is written to the store's temp folder and checked against
the record (size and sha256) before the store moves it in.

The remote never fails a build: any error other than "not there" (no network, a dead
endpoint, denied access, no credentials, a missing bucket) turns it off for the rest of the
session with one warning, and the build carries on with the local cache. It never prints:
warnings collect in :attr:`S3Remote.warnings` (the store hands them to the build's report).

Configuration: the URL (``--remote-cache`` or ``$STORYRENDER_REMOTE_CACHE``); the endpoint of
an S3-compatible service from ``$STORYRENDER_S3_ENDPOINT`` or ``$AWS_ENDPOINT_URL``;
credentials and region the usual boto3 way (``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``,
``AWS_SESSION_TOKEN``, ``AWS_PROFILE``, ``AWS_REGION``...); ``$STORYRENDER_REMOTE_TIMEOUT``
seconds to connect (default 5). boto3 is an optional extra: ``pip install 'storyrender[s3]'``.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlparse

from ..errors import StoryrenderError

__all__ = ["S3Remote", "open_remote", "RemoteUnavailable", "sha256_file"]

_FORMAT = 1


class RemoteUnavailable(Exception):
    """The remote cannot be used now (network, credentials, permissions, bucket)."""


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def open_remote(url: str | None) -> "S3Remote | None":
    """The remote for *url* (``s3://bucket/prefix``), or None for an empty URL.

    :raises StoryrenderError: for a URL of another scheme or without a bucket, or when boto3 is missing.
    """
    if not url:
        return None
    return S3Remote(url)


class S3Remote:
    """The shared cache in one bucket and prefix (see the module doc)."""

    def __init__(self, url: str, *, endpoint: str | None = None, client: Any = None,
                 connect_timeout: float | None = None, upload_workers: int = 2) -> None:
        u = urlparse(url)
        if u.scheme != "s3" or not u.netloc:
            raise StoryrenderError(f"remote cache {url!r}: expected s3://BUCKET/PREFIX")
        self.url = url.rstrip("/")
        self.bucket = u.netloc
        self.prefix = u.path.strip("/")
        self.endpoint = endpoint or os.environ.get("STORYRENDER_S3_ENDPOINT") or os.environ.get("AWS_ENDPOINT_URL")
        if connect_timeout is None:
            try:
                connect_timeout = float(os.environ.get("STORYRENDER_REMOTE_TIMEOUT") or 5)
            except ValueError:
                connect_timeout = 5.0
        self.connect_timeout = connect_timeout
        self._client = client
        if client is None:
            try:
                import boto3  # noqa: F401
            except Exception:
                raise StoryrenderError("the remote cache needs boto3: pip install 'storyrender[s3]'") from None
        self.warnings: list[str] = []
        self.down = False
        self.stats = {"hits": 0, "misses": 0, "uploaded": 0, "skipped_uploads": 0, "bytes_down": 0, "bytes_up": 0}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=max(1, upload_workers), thread_name_prefix="storyrender-upload")
        self._pending: set[Future] = set()
        self._not_uploaded = 0

    def __repr__(self) -> str:  # never shows credentials: there are none in the URL
        return f"S3Remote({self.url!r})"

    # -- plumbing -------------------------------------------------------------------------------
    @property
    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                import boto3
                from botocore.config import Config

                cfg = Config(connect_timeout=self.connect_timeout, read_timeout=max(30.0, self.connect_timeout),
                             retries={"max_attempts": 2, "mode": "standard"},
                             s3={"addressing_style": "path"} if self.endpoint else None)
                self._client = boto3.session.Session().client("s3", endpoint_url=self.endpoint, config=cfg)
            return self._client

    def _name(self, *parts: str) -> str:
        return "/".join(([self.prefix] if self.prefix else []) + list(parts))

    def record_name(self, key: str) -> str:
        return self._name("records", f"{key}.json")

    def blob_name(self, sha256: str) -> str:
        return self._name("blobs", sha256)

    def _warn(self, text: str) -> None:
        with self._lock:
            self.warnings.append(text)

    def _fail(self, what: str, exc: BaseException) -> None:
        """Turn the remote off for this session, with one warning."""
        with self._lock:
            if self.down:
                return
            self.down = True
        self._warn(f"remote cache {self.url} unavailable ({what}: {_describe(exc)}); "
                   f"continuing with the local cache only")

    @staticmethod
    def _missing(exc: BaseException) -> bool:
        resp = getattr(exc, "response", None) or {}
        code = str((resp.get("Error") or {}).get("Code", ""))
        status = (resp.get("ResponseMetadata") or {}).get("HTTPStatusCode")
        return code in ("404", "NoSuchKey", "NotFound") or status == 404

    def take_warnings(self) -> list[str]:
        with self._lock:
            out, self.warnings = self.warnings, []
        return out

    # -- look-up --------------------------------------------------------------------------------
    def fetch(self, key: str, tmp_dir: Path) -> tuple[dict[str, Any], Path] | None:
        """Download *key*'s record and artifact into *tmp_dir*, verified; None on a miss or an outage."""
        if self.down:
            return None
        try:
            try:
                body = self.client.get_object(Bucket=self.bucket, Key=self.record_name(key))["Body"].read()
            except Exception as exc:
                if self._missing(exc):
                    self.stats["misses"] += 1
                    return None
                raise
            try:
                rec = json.loads(body)
                if rec.get("key") != key or not rec.get("sha256") or "suffix" not in rec:
                    raise ValueError("not a record of this key")
            except ValueError as exc:
                self._warn(f"remote cache: the record of {key[:12]} is unreadable ({exc}): ignored")
                return None
            dest = Path(tmp_dir) / f"remote-{key}-{os.getpid()}-{threading.get_ident()}{rec['suffix']}"
            try:
                self.client.download_file(self.bucket, self.blob_name(rec["sha256"]), str(dest))
            except Exception as exc:
                if self._missing(exc):
                    self.stats["misses"] += 1
                    return None
                raise
            size = dest.stat().st_size
            if size != rec.get("size") or sha256_file(dest) != rec["sha256"]:
                dest.unlink(missing_ok=True)
                self._warn(f"remote cache: the artifact of {key[:12]} does not match its record: ignored")
                return None
            self.stats["hits"] += 1
            self.stats["bytes_down"] += size
            return rec, dest
        except Exception as exc:  # network, credentials, permissions, bucket: degrade to local-only
            self._fail("download", exc)
            return None

    # -- upload ---------------------------------------------------------------------------------
    def push(self, key: str, path: Path, record: Mapping[str, Any]) -> None:
        """Upload *key*'s artifact (at *path*, never changed once stored) and record, in the background."""
        if self.down:
            with self._lock:
                self._not_uploaded += 1
            return
        fut = self._pool.submit(self._upload, key, Path(path), dict(record))
        with self._lock:
            self._pending.add(fut)
        fut.add_done_callback(self._done)

    def _done(self, fut: Future) -> None:
        with self._lock:
            self._pending.discard(fut)

    def _upload(self, key: str, path: Path, record: dict[str, Any]) -> None:
        if self.down:
            with self._lock:
                self._not_uploaded += 1
            return
        try:
            try:
                self.client.head_object(Bucket=self.bucket, Key=self.record_name(key))
                self.stats["skipped_uploads"] += 1
                return  # another machine shared it already (same key, so the same inputs)
            except Exception as exc:
                if not self._missing(exc):
                    raise
            digest = sha256_file(path)
            size = path.stat().st_size
            self.client.upload_file(str(path), self.bucket, self.blob_name(digest),
                                    ExtraArgs={"Metadata": {"sha256": digest}})
            doc = {"format": _FORMAT, "key": key, "kind": record.get("kind"), "suffix": record.get("suffix", ""),
                   "size": size, "sha256": digest, "paid": bool(record.get("paid")), "cost": record.get("cost"),
                   "created": record.get("created"), "meta": record.get("meta") or {}}
            self.client.put_object(Bucket=self.bucket, Key=self.record_name(key),
                                   Body=json.dumps(doc, sort_keys=True, default=str).encode(),
                                   ContentType="application/json", Metadata={"sha256": digest})
            self.stats["uploaded"] += 1
            self.stats["bytes_up"] += size
        except Exception as exc:
            with self._lock:
                self._not_uploaded += 1
            self._fail("upload", exc)

    def share(self, path: Path, *, expires: int = 3600) -> str:
        """Upload *path* as ``frames/<sha256><suffix>`` and return a presigned GET URL valid for
        *expires* seconds: how a vendor that fetches input images by URL gets a keyframe without
        anything being served from this machine. Raises the storage's error (the caller decides)."""
        path = Path(path)
        digest = sha256_file(path)
        name = self._name("frames", digest + path.suffix.lower())
        content_type = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}.get(
            path.suffix.lower(), "application/octet-stream")
        self.client.upload_file(str(path), self.bucket, name, ExtraArgs={"ContentType": content_type})
        return self.client.generate_presigned_url("get_object", Params={"Bucket": self.bucket, "Key": name},
                                                  ExpiresIn=int(expires))

    def flush(self) -> None:
        """Wait for the uploads in flight; warn about the artifacts that were not shared."""
        while True:
            with self._lock:
                pending = list(self._pending)
            if not pending:
                break
            for f in pending:
                f.exception()
        with self._lock:
            n, self._not_uploaded = self._not_uploaded, 0
        if n:
            self._warn(f"remote cache: {n} new artifact{'s' if n != 1 else ''} not shared (kept in the local cache)")

    def close(self) -> None:
        self.flush()
        self._pool.shutdown(wait=True)


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{exc.__class__.__name__}: {text[0][:200]}" if text else exc.__class__.__name__
