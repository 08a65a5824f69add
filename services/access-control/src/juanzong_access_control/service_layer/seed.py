"""Development seed: demo people of 吉01 民一庭, the service clients and scanning station station-01.

Runs only in development and test (never in production), and is idempotent: a fingerprint of what was
seeded is kept, so a restart with the same seed does nothing, and changed secrets re-seed.

Clients get no shared secret: each gets its own (the embedded stack makes one per client,
``JZ_CLIENT_SECRETS_DIR``); a seeded client without one is left inactive.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from ..adapters.passwords import hash_secret
from ..adapters.repository import Accounts

COURT = "吉01"
CIVIL1 = "民一庭"
DEMO_PASSWORD = "juanzong-demo"
SEED_VERSION = 1


@dataclass(frozen=True)
class DemoUser:
    id: str
    name: str
    roles: tuple[str, ...]
    department: str
    title_zh: str
    supervised_departments: tuple[str, ...] = ()

    @property
    def username(self) -> str:
        return self.id.removeprefix("u-")


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("u-judge-wang", "王审判", ("judge", "presiding_judge"), CIVIL1, "承办法官、审判长"),
    DemoUser("u-judge-li", "李合议", ("judge",), CIVIL1, "合议庭成员"),
    DemoUser("u-assistant-zhao", "赵助理", ("judge_assistant",), CIVIL1, "法官助理"),
    DemoUser("u-clerk-liu", "刘书记", ("clerk",), CIVIL1, "书记员"),
    DemoUser("u-judge-chen", "陈法官", ("judge",), CIVIL1, "本庭法官（不在合议庭）"),
    DemoUser("u-head-sun", "孙庭长", ("department_head", "judge"), CIVIL1, "民一庭部门负责人"),
    DemoUser("u-leader-zhou", "周副院长", ("supervising_leader", "adjudication_committee_member"), "院领导",
             "分管民一庭的院领导、审委会委员", (CIVIL1, "立案庭")),
    DemoUser("u-committee-wu", "吴委员", ("adjudication_committee_member", "judge"), "民二庭", "审委会委员"),
    DemoUser("u-meeting-zheng", "郑法官", ("judges_meeting_member", "judge"), CIVIL1, "法官会议成员"),
    DemoUser("u-filing-qian", "钱立案", ("filing_division_staff",), "立案庭", "立案庭工作人员"),
    DemoUser("u-archives-feng", "冯档案", ("archives_office_staff",), "办公室", "档案科工作人员"),
    DemoUser("u-tech-he", "何技术", ("technology_office_staff",), "技术处", "技术处工作人员"),
)


@dataclass(frozen=True)
class DemoClient:
    id: str
    kind: str  # service | station
    name: str
    scopes: tuple[str, ...] = field(default_factory=tuple)
    department: str | None = None


# Service scopes: only what each service does on its OWN account (a user's read or change goes with the user's
# token, and reporting reads under a decision's receipt needs no scope). Audited (issue 20, item 3):
#   scan-ocr  asks add_pages for station jobs on the bus (no catalogue change, no reads);
#   archive   reads catalog's compiled dossier (GET /v1/dossiers/{cn}/compiled → read_pages) to build the e-archive;
#   intake, catalog, notifier: nothing on their own account.
SERVICE_CLIENTS: tuple[DemoClient, ...] = (
    DemoClient("intake", "service", "立案服务", ()),
    DemoClient("scan-ocr", "service", "扫描识别服务", ("dossier:add_pages",)),
    DemoClient("catalog", "service", "编目服务", ()),
    DemoClient("archive", "service", "归档服务", ("dossier:read_pages",)),
    DemoClient("notifier", "service", "通知服务", ()),
)
STATIONS: tuple[DemoClient, ...] = (
    DemoClient("station-01", "station", "扫描工位01", ("scan:submit",), "立案庭"),
)


def _fingerprint(client_secrets: Mapping[str, str]) -> str:
    spec = {"v": SEED_VERSION, "users": [asdict(u) for u in DEMO_USERS],
            "clients": [asdict(c) for c in (*SERVICE_CLIENTS, *STATIONS)],
            "secrets": {k: hashlib.sha256(v.encode()).hexdigest() for k, v in sorted(client_secrets.items())}}
    return hashlib.sha256(json.dumps(spec, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


async def seed_demo(accounts: Accounts, client_secrets: Mapping[str, str]) -> bool:
    """Seed (or re-seed) the demo accounts; False when the same seed is already there. Each seeded client gets
    its own secret from ``client_secrets``; one without a secret there is inactive (it cannot log in)."""
    fingerprint = _fingerprint(client_secrets)
    if await accounts.seeded_fingerprint() == fingerprint:
        return False
    now = datetime.now(UTC)
    password_hash = hash_secret(DEMO_PASSWORD)
    for u in DEMO_USERS:
        await accounts.put_user(u.id, {
            "username": u.username, "name": u.name, "court": COURT, "department": u.department,
            "roles": list(u.roles), "supervised_departments": list(u.supervised_departments),
            "title_zh": u.title_zh, "password_hash": password_hash, "active": True, "seeded": True,
            "updated_at": now})
    for c in (*SERVICE_CLIENTS, *STATIONS):
        secret = client_secrets.get(c.id)
        fields = {"kind": c.kind, "name": c.name, "court": COURT, "department": c.department,
                  "scopes": list(c.scopes), "active": secret is not None, "seeded": True, "updated_at": now}
        if secret is not None:
            fields["secret_hash"] = hash_secret(secret)
        # without a secret: the shared development secret of older seeds must not keep working
        await accounts.put_client(c.id, fields, unset=() if secret is not None else ("secret_hash",))
    await accounts.record_seed(fingerprint, now)
    return True


async def apply_client_secrets(accounts: Accounts, secrets: Mapping[str, str]) -> int:
    """Secrets from settings (production): set on the known service and station clients, creating them."""
    known = {c.id: c for c in (*SERVICE_CLIENTS, *STATIONS)}
    count = 0
    for client_id, secret in secrets.items():
        c = known.get(client_id)
        fields = {"secret_hash": hash_secret(secret), "active": True}
        if c is not None:
            fields |= {"kind": c.kind, "name": c.name, "scopes": list(c.scopes), "department": c.department}
        elif client_id.startswith("station-"):
            fields |= {"kind": "station", "name": client_id, "scopes": ["scan:submit"], "department": "立案庭"}
        else:
            continue
        await accounts.put_client(client_id, fields, on_insert={"court": COURT})
        count += 1
    return count
