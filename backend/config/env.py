"""Typed readers for environment variables that fail loudly on bad values.

Settings come only from the environment (12-factor); a typo such as
``DEBUG=ture`` must stop the process at start-up, not run a surprising config.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no)")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from exc
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_secret(name: str) -> str | None:
    """Read NAME, or the contents of the file named by NAME_FILE (Docker secrets)."""
    if os.environ.get(name):
        return os.environ[name]
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={path!r} cannot be read: {exc}") from exc
    return None


def env_url(name: str, schemes: tuple[str, ...]) -> str | None:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    scheme = raw.split("://", 1)[0] if "://" in raw else ""
    if scheme not in schemes:
        raise ImproperlyConfigured(
            f"{name}={raw!r} must start with one of: {', '.join(s + '://' for s in schemes)}"
        )
    return raw


def memory_mb() -> int | None:
    """Memory this process may use in all, in MB: the container's limit when lower than RAM.

    None where neither can be read (not Linux).
    """
    found = []
    try:
        found.append(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        pass
    for limit_file in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            raw = Path(limit_file).read_text().strip()
        except OSError:
            continue
        if raw.isdigit() and int(raw) < 2**60:  # "max" or a huge number means no limit
            found.append(int(raw))
    return min(found) // 2**20 if found else None


def env_memory_mb(name: str, *, share: float, fallback: int, minimum: int) -> int:
    """An MB amount from NAME; unset: ``share`` of this machine's (or container's) memory."""
    total = memory_mb()
    default = max(minimum, int(total * share)) if total else fallback
    return env_int(name, default, minimum=minimum)


def s3_storage_options() -> dict[str, object]:
    """django-storages S3Storage options for MEDIA_STORAGE=s3, from S3_* variables.

    S3_BUCKET is required; S3_ENDPOINT_URL names a MinIO (or other S3-compatible) server,
    unset for AWS itself. Credentials: S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY (also as
    ``*_FILE``), or boto3's own chain (instance role, ~/.aws) when both are unset.
    """
    bucket = env_str("S3_BUCKET").strip()
    if not bucket:
        raise ImproperlyConfigured("MEDIA_STORAGE=s3 needs S3_BUCKET")
    endpoint = env_url("S3_ENDPOINT_URL", ("http", "https"))
    return {
        "bucket_name": bucket,
        "endpoint_url": endpoint,
        "access_key": env_secret("S3_ACCESS_KEY_ID"),
        "secret_key": env_secret("S3_SECRET_ACCESS_KEY"),
        "region_name": env_str("S3_REGION") or None,
        # Keys below this folder of the bucket (several deployments may share one bucket).
        "location": env_str("S3_PREFIX").strip("/"),
        # MinIO serves buckets as paths (http://minio:9000/bucket/key), not subdomains.
        "addressing_style": "path" if endpoint else None,
        "signature_version": "s3v4",
        "file_overwrite": True,  # a key names one file: writing it again replaces it
        "default_acl": None,
        "querystring_auth": True,
        "max_memory_size": 64 * 1024 * 1024,
    }
