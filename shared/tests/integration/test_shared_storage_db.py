"""Round trips against the real SecantusDB and SeaweedFS S3 of the embedded stack."""

import os
import subprocess
import sys
import uuid

import pytest
from juanzong_shared.outbox import UnitOfWork, transact
from juanzong_shared.storage import ObjectExists, ObjectStore, ObjectTooLarge, UnsafeObjectName
from pymongo import IndexModel
from pymongo.errors import DuplicateKeyError

pytestmark = pytest.mark.integration


@pytest.fixture
def store(embedded_stack):
    c = embedded_stack.config
    return ObjectStore(c.s3_endpoint, c.s3_access_key, c.s3_secret_key)


async def test_s3_round_trip_stream_and_write_once(store):
    bucket = "jz-test-" + uuid.uuid4().hex[:8]
    await store.ensure_bucket(bucket)
    data = os.urandom(3 * 1024 * 1024 + 17)
    await store.put_bytes(bucket, "案件/页面 1.bin", data, "application/octet-stream", metadata={"sha": "x"})
    assert await store.get_bytes(bucket, "案件/页面 1.bin") == data
    chunks = [c async for c in store.stream(bucket, "案件/页面 1.bin", chunk=1024 * 1024)]
    assert b"".join(chunks) == data and len(chunks) == 4
    info = await store.stat(bucket, "案件/页面 1.bin")
    assert info.size == len(data)
    assert await store.get_head(bucket, "案件/页面 1.bin", 1000) == data[:1000]
    assert await store.get_head(bucket, "案件/页面 1.bin", len(data) + 5) == data
    with pytest.raises(ObjectExists):
        await store.put_bytes(bucket, "案件/页面 1.bin", b"other", if_absent=True)
    with pytest.raises(ObjectTooLarge):
        await store.get_bytes(bucket, "案件/页面 1.bin", max_bytes=1000)
    with pytest.raises(UnsafeObjectName):
        await store.put_bytes(bucket, "../escape", b"x")
    assert await store.stat(bucket, "missing") is None
    assert await store.list_keys(bucket, "案件/") == ["案件/页面 1.bin"]


async def test_s3_credentials_are_enforced(embedded_stack):
    c = embedded_stack.config
    wrong = ObjectStore(c.s3_endpoint, c.s3_access_key, "not-the-secret")
    with pytest.raises(Exception):
        await wrong.ping()


async def test_mongo_indexes_transactions_and_abort(mongo):
    await mongo.ensure_indexes({"cases": [IndexModel([("case_number", 1)], unique=True)]})
    await mongo.ensure_indexes({"cases": [IndexModel([("case_number", 1)], unique=True)]})  # idempotent

    async def write(uow: UnitOfWork):
        await uow.db["cases"].insert_one({"case_number": "（2025）吉01民终1号"}, session=uow.session)
    await transact(mongo, write)
    with pytest.raises(DuplicateKeyError):
        await transact(mongo, write)

    with pytest.raises(RuntimeError):
        async with UnitOfWork(mongo) as uow:
            await uow.db["cases"].insert_one({"case_number": "（2025）吉01民终2号"}, session=uow.session)
            raise RuntimeError("abort")
    assert await mongo.db["cases"].count_documents({}) == 1
    assert await mongo.db["outbox"].count_documents({}) == 0


def test_service_refuses_to_start_on_bad_settings(embedded_stack):
    env = {**os.environ, **embedded_stack.config.service_env("intake"), "JZ_AMQP_URL": "http://not-amqp"}
    proc = subprocess.run([sys.executable, "-c",
                           "from juanzong_intake.entrypoints.app import create_app; create_app()"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.strip().splitlines() if line.strip()]
    assert lines[0].startswith("invalid setting JZ_AMQP_URL")
