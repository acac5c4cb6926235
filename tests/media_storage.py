"""The S3 half of the media tests: a real S3-compatible HTTP server on 127.0.0.1.

``PYTEST_MEDIA_STORAGE=s3`` runs every test marked ``media`` against moto's standalone
server (started once per session, in a thread of the test process) instead of local
disk: each test gets its own folder of one bucket (``S3_PREFIX``), emptied afterwards.
Worker processes the tests start get the same settings through :func:`worker_env`.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

BUCKET = "poseforge-test"
ACCESS_KEY = "poseforge-test-key"
SECRET_KEY = "poseforge-test-secret"


def s3_selected() -> bool:
    return os.environ.get("PYTEST_MEDIA_STORAGE", "local").lower() == "s3"


def start_server() -> tuple[Any, str]:
    """Start moto's S3 server on a free port and create the bucket; returns (server, url)."""
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    client(url).create_bucket(Bucket=BUCKET)
    assert boto3  # imported above so a missing boto3 fails here, with its name
    return server, url


def client(url: str) -> Any:
    import boto3

    return boto3.client(
        "s3", endpoint_url=url, aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY, region_name="us-east-1",
    )  # fmt: skip


def storage_options(url: str) -> dict[str, Any]:
    """What settings.STORAGES["default"] holds for one test: its own folder of the bucket."""
    return {
        "bucket_name": BUCKET,
        "endpoint_url": url,
        "access_key": ACCESS_KEY,
        "secret_key": SECRET_KEY,
        "region_name": "us-east-1",
        "location": f"t-{uuid.uuid4().hex[:12]}",
        "addressing_style": "path",
        "signature_version": "s3v4",
        "file_overwrite": True,
        "default_acl": None,
    }


def empty_folder(url: str, location: str) -> None:
    s3 = client(url)
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=location + "/"):
        keys = [{"Key": obj["Key"]} for obj in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=BUCKET, Delete={"Objects": keys})


def worker_env() -> dict[str, str]:
    """Environment that gives a worker process the storage settings of the running test."""
    from django.conf import settings

    options = settings.STORAGES["default"].get("OPTIONS", {})
    if "bucket_name" not in options:
        return {"MEDIA_STORAGE": "local"}
    return {
        "MEDIA_STORAGE": "s3",
        "S3_BUCKET": options["bucket_name"],
        "S3_ENDPOINT_URL": options["endpoint_url"],
        "S3_ACCESS_KEY_ID": options["access_key"],
        "S3_SECRET_ACCESS_KEY": options["secret_key"],
        "S3_REGION": options["region_name"],
        "S3_PREFIX": options["location"],
        "MEDIA_CACHE_DIR": str(settings.MEDIA_CACHE_DIR),
    }
