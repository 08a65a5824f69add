"""MongoDB through PyMongo's async API: connection, declared indexes, transactions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager

from bson.codec_options import CodecOptions
from pymongo import AsyncMongoClient, IndexModel
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import OperationFailure, PyMongoError

IndexDeclarations = Mapping[str, Sequence[IndexModel]]


class Mongo:
    """One client per process; ``db`` is the service's own database (no service reads another's)."""

    def __init__(self, url: str, database: str, *, timeout_ms: int = 5_000) -> None:
        self.client: AsyncMongoClient = AsyncMongoClient(
            url, tz_aware=True, uuidRepresentation="standard", serverSelectionTimeoutMS=timeout_ms,
            connectTimeoutMS=timeout_ms, appname="juanzong")
        self.db: AsyncDatabase = self.client.get_database(
            database, codec_options=CodecOptions(tz_aware=True, uuid_representation=4))

    async def ping(self) -> None:
        await self.client.admin.command("ping")

    async def ensure_indexes(self, declarations: IndexDeclarations) -> None:
        """Create the indexes a service declares in code; existing ones are left as they are."""
        for collection, indexes in declarations.items():
            if indexes:
                try:
                    await self.db[collection].create_indexes(list(indexes))
                except OperationFailure as error:
                    if error.code not in (85, 86):  # same index under other options: keep the existing one
                        raise

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncClientSession]:
        """A multi-document transaction; committed when the block ends without an exception."""
        async with self.client.start_session() as session:
            await session.start_transaction()
            try:
                yield session
            except BaseException:
                if session.in_transaction:
                    await session.abort_transaction()
                raise
            if session.in_transaction:
                await session.commit_transaction()

    async def close(self) -> None:
        await self.client.close()


async def wait_for_mongo(mongo: Mongo, timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            await mongo.ping()
            return
        except PyMongoError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.5)
