"""Command line of the archive service: offline backup and verification of stored e-archives.

    python -m juanzong_archive.entrypoints.cli backup "（2025）吉01民终123号" --dest /media/offline --format tar.gz
    python -m juanzong_archive.entrypoints.cli verify "（2025）吉01民终123号"

Uses the same settings (``JZ_*``) as the service. 青法〔2021〕116号 五 (电子档案数据离线备份): the stored
package is downloaded, verified (hashes, seals, four properties) and only then written to the backup
folder with its manifest; nothing is overwritten. Events (archive.fixity.failed) go to the outbox and
are published by the running service's relay.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import sys
from pathlib import Path

import httpx
from juanzong_shared.app import problem_of
from juanzong_shared.db import Mongo
from juanzong_shared.errors import DomainError
from juanzong_shared.outbox import transact
from juanzong_shared.service_token import ServiceToken
from juanzong_shared.settings import load_settings
from juanzong_shared.storage import ObjectStore

from juanzong_archive.adapters.bagit_package import ExportFormat
from juanzong_archive.adapters.catalog import CatalogClient
from juanzong_archive.bootstrap import repositories, seal_loader
from juanzong_archive.config import ServiceSettings
from juanzong_archive.service_layer.archiving import ArchiveService


async def _run(args: argparse.Namespace) -> int:
    settings = load_settings(ServiceSettings)
    mongo = Mongo(settings.mongo_url, settings.database_name)
    store = ObjectStore(settings.s3_endpoint, settings.s3_access_key, settings.s3_secret_key,
                        secure=settings.s3_secure, region=settings.s3_region)
    async with httpx.AsyncClient() as client:
        catalog = CatalogClient(None, ServiceToken("", "archive", "", client=client), client)
        service = ArchiveService(settings, functools.partial(transact, mongo, repositories=repositories),
                                 repositories(mongo.db), store, catalog, seal_loader(settings))
        try:
            if args.command == "backup":
                out = await service.backup(args.case_number, ExportFormat(args.format),
                                           Path(args.dest) if args.dest else None)
                print(json.dumps(out, ensure_ascii=False, default=str))
                return 0
            outcome = await service.verify(args.case_number)
            print(json.dumps({"passed": outcome.passed, "conclusion": outcome.report.conclusion(),
                              "problems": outcome.problems, "report_id": outcome.report_id}, ensure_ascii=False))
            return 0 if outcome.passed else 1
        except DomainError as error:
            print(json.dumps(problem_of(error).body(), ensure_ascii=False), file=sys.stderr)
            return 2
        finally:
            await mongo.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="juanzong-archive", description="电子档案离线备份与校验")
    sub = parser.add_subparsers(dest="command", required=True)
    backup = sub.add_parser("backup", help="offline backup of a verified e-archive (青法〔2021〕116号 五)")
    backup.add_argument("case_number")
    backup.add_argument("--dest", help="backup folder (default JZ_ARCHIVE_BACKUP_DIR/<date>)")
    backup.add_argument("--format", choices=[f.value for f in ExportFormat], default=ExportFormat.TARBALL.value)
    verify = sub.add_parser("verify", help="re-check a stored e-archive (exit 1 when it fails)")
    verify.add_argument("case_number")
    return asyncio.run(_run(parser.parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
