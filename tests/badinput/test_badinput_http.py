"""Bad input against every running service: each refused with a clear 4xx problem+json, the service stays
up, and nothing is stored half-way.

Driven by each app's own OpenAPI document, so it follows the services as they grow:
* bodies: over the size limit (declared and streamed), deeply nested JSON, huge JSON, wrong types in every
  field, and unicode tricks (RTL override, zero-width, NUL) and path traversal in every string field;
* path parameters: traversal, NUL, RTL override, zero-width, over-long;
* tokens: none, garbage, expired (replayed), signed by another key, wrong audience, wrong issuer, alg=none.
Counts of every collection of the service's database are compared before and after.
"""

from __future__ import annotations

import base64
import json
import os
import time
from urllib.parse import quote

import jwt
import jz_service_harness as harness
import pytest
from juanzong_devstack.asyncapi import example_value
from juanzong_shared.testing import TokenFactory

pytestmark = pytest.mark.integration

LIMIT = 64 * 1024
MAX_OPS = int(os.environ.get("JZ_BADINPUT_MAX_OPS", "4"))  # body operations probed per service
TRICKS = {
    "rtl-override": "案卷\u202egpj.exe",
    "zero-width": "（2025）吉01\u200b民终\u200d1号",
    "nul": "abc\x00def",
    "traversal": "../../../../etc/passwd",
    "traversal-win": "..\\..\\windows\\win.ini",
    "traversal-encoded": "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
}
PATH_TRICKS = {
    "traversal": "../../etc/passwd",
    "traversal-encoded": "..%2F..%2Fetc%2Fpasswd",
    "nul": "x%00y",
    "rtl-override": quote("案\u202e号"),
    "zero-width": quote("（2025）吉01\u200b民终1号"),
    "long": "9" * 5000,
}


def is_problem(response) -> bool:
    return (
        response.headers.get("content-type", "").startswith("application/problem+json")
        and "status" in response.json()
    )


def _resolve(schema, components):
    while isinstance(schema, dict) and "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def json_operations(document) -> list[tuple[str, str, dict]]:
    """(method, path, request schema) of operations taking a JSON body, without path parameters first."""
    found = []
    for path, item in document.get("paths", {}).items():
        for method, op in item.items():
            if method not in ("post", "put", "patch"):
                continue
            content = (op.get("requestBody") or {}).get("content", {})
            if "application/json" in content:
                found.append((method.upper(), path, content["application/json"].get("schema", {})))
    return sorted(found, key=lambda f: ("{" in f[1], f[1], f[0]))


def fill_path(path: str, value: str = "（2025）吉01民终1号") -> str:
    import re

    return re.sub(r"\{[^}]+\}", quote(value, safe=""), path)


def wrong_types(value):
    if isinstance(value, dict):
        return {k: wrong_types(v) for k, v in value.items()} or {"unexpected": [1]}
    if isinstance(value, list):
        return {"not": "a list"}
    if isinstance(value, bool):
        return "yes-but-a-string"
    if isinstance(value, (int, float)):
        return "not-a-number"
    if isinstance(value, str):
        return {"not": ["a", "string"]}
    return 12345


def inject(value, text):
    if isinstance(value, dict):
        return {k: inject(v, text) for k, v in value.items()} | ({text: "x"} if not value else {})
    if isinstance(value, list):
        return [inject(v, text) for v in value] or [text]
    if isinstance(value, str):
        return text
    return value


class Tally:
    def __init__(self):
        self.rows, self.soft = [], []

    def add(self, what, response, *, want_4xx=True):
        code = response.status_code
        if code == 503 and is_problem(
            response
        ):  # another service unreachable in this test: not this input's fault
            self.soft.append(f"{what}: 503 {response.json().get('detail', '')[:120]}")
            ok = True
        elif want_4xx == "soft":
            ok = code < 500
            if code < 300:
                self.soft.append(f"{what}: accepted ({code})")
        else:
            ok = (400 <= code < 500 and is_problem(response)) if want_4xx else code < 500
        self.rows.append((what, code, ok, response.text[:300]))

    def bad(self):
        return [r for r in self.rows if not r[2]]


@pytest.mark.parametrize("service", harness.service_names())
async def test_bad_input_refused_cleanly(service, service_env, monkeypatch, tmp_path):
    async with harness.run_service(
        service, service_env, monkeypatch, tmp_path, JZ_MAX_REQUEST_BYTES=str(LIMIT)
    ) as run:
        client, auth = run.client, run.headers()
        document = run.app.openapi()
        components = document.get("components", {}).get("schemas", {})
        before = await run.count_documents()
        tally, accepted = Tally(), []

        # -- bodies ----------------------------------------------------------------------------------
        for method, path, schema in json_operations(document)[:MAX_OPS]:
            url = fill_path(path)
            body_schema = _resolve(schema, components)
            sample = example_value(body_schema, components, full=True) if body_schema else {}
            oversize = json.dumps({"x": "卷" * (LIMIT // 2)}).encode()
            tally.add(
                f"{method} {path} oversize declared",
                await client.request(
                    method, url, content=oversize, headers={**auth, "content-type": "application/json"}
                ),
            )

            async def chunks():
                for _ in range(LIMIT // 4096 + 4):
                    yield b" " * 4096

            tally.add(
                f"{method} {path} oversize streamed",
                await client.request(
                    method, url, content=chunks(), headers={**auth, "content-type": "application/json"}
                ),
            )
            deep = ("[" * 20000 + "]" * 20000).encode()
            tally.add(
                f"{method} {path} nested 20000",
                await client.request(
                    method, url, content=deep, headers={**auth, "content-type": "application/json"}
                ),
            )
            deep_obj = ('{"a":' * 5000 + "1" + "}" * 5000).encode()
            tally.add(
                f"{method} {path} nested objects 5000",
                await client.request(
                    method, url, content=deep_obj, headers={**auth, "content-type": "application/json"}
                ),
            )
            huge = json.dumps(
                [sample] * 2000 if len(json.dumps(sample)) < 25 else list(range(9000))
            ).encode()[: LIMIT - 10]
            huge = huge if huge.endswith(b"]") else json.dumps(list(range(9000))).encode()
            tally.add(
                f"{method} {path} huge array ({len(huge)} B)",
                await client.request(
                    method, url, content=huge, headers={**auth, "content-type": "application/json"}
                ),
            )
            tally.add(
                f"{method} {path} not JSON",
                await client.request(
                    method,
                    url,
                    content=b"\xff\xfe{not json",
                    headers={**auth, "content-type": "application/json"},
                ),
            )
            if isinstance(sample, dict) and sample:
                tally.add(
                    f"{method} {path} wrong types",
                    await client.request(method, url, json=wrong_types(sample), headers=auth),
                )
                for name, text in TRICKS.items():
                    response = await client.request(method, url, json=inject(sample, text), headers=auth)
                    # free text may legitimately accept odd characters; it must never crash
                    tally.add(f"{method} {path} {name} in every string", response, want_4xx=False)
                    if response.status_code < 300:
                        accepted.append(
                            f"{method} {path} accepted {name} in string fields ({response.status_code})"
                        )

        # -- path parameters ---------------------------------------------------------------------------
        gets = [p for p, item in document.get("paths", {}).items() if "get" in item and "{" in p][:MAX_OPS]
        for path in gets:
            for name, raw in PATH_TRICKS.items():
                import re

                url = re.sub(r"\{[^}]+\}", raw, path, count=1)
                url = fill_path(url)
                # a traversal or NUL can never name a record; an odd but printable id may just find nothing
                strict = name in ("traversal", "traversal-encoded", "nul")
                tally.add(
                    f"GET {path} {name}",
                    await client.get(url, headers=auth),
                    want_4xx=True if strict else "soft",
                )

        # -- tokens -------------------------------------------------------------------------------------
        probe = next(
            (
                p
                for p, item in document.get("paths", {}).items()
                if "get" in item and p.startswith("/v1") and "{" not in p
            ),
            None,
        )
        if probe is not None:
            if (await client.get(probe)).status_code == 401:  # the endpoint wants a token
                other = TokenFactory()
                expired = run.tokens.token("u-contract", roles=harness.ROLES, ttl=-3600)
                now = int(time.time())
                none_alg = (
                    base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
                    + "."
                    + base64.urlsafe_b64encode(
                        json.dumps(
                            {
                                "sub": "x",
                                "aud": "juanzong",
                                "iss": "juanzong-access-control",
                                "exp": now + 600,
                            }
                        ).encode()
                    )
                    .rstrip(b"=")
                    .decode()
                    + "."
                )
                hs256 = jwt.encode(
                    {"sub": "x", "aud": "juanzong", "iss": "juanzong-access-control", "exp": now + 600},
                    run.tokens.public_pem().decode()[:64],
                    algorithm="HS256",
                )
                cases = {
                    "no token": {},
                    "garbage": {"Authorization": "Bearer not-a-jwt"},
                    "basic scheme": {"Authorization": "Basic dXNlcjpwYXNz"},
                    "expired": {"Authorization": f"Bearer {expired}"},
                    "expired replayed": {"Authorization": f"Bearer {expired}"},
                    "forged (other key)": other.headers("u-contract", roles=harness.ROLES),
                    "wrong audience": run.tokens.headers(
                        "u-contract", roles=harness.ROLES, audience="other-system"
                    ),
                    "wrong issuer": {
                        "Authorization": "Bearer "
                        + TokenFactory.token(
                            _with_key(run.tokens, issuer="evil-issuer"), "u-contract", roles=harness.ROLES
                        )
                    },
                    "alg none": {"Authorization": f"Bearer {none_alg}"},
                    "alg HS256": {"Authorization": f"Bearer {hs256}"},
                }
                for name, headers in cases.items():
                    response = await client.get(probe, headers=headers)
                    tally.add(f"GET {probe} token: {name}", response)
                    assert response.status_code == 401, (name, response.status_code, response.text[:300])
            else:
                tally.rows.append((f"GET {probe} answers without a token (public)", 0, True, ""))

        # -- still up, nothing stored half-way ---------------------------------------------------------
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/readyz")).status_code == 200
        after = await run.count_documents()

    changed = {
        k: (before.get(k, 0), after.get(k, 0))
        for k in set(before) | set(after)
        if before.get(k, 0) != after.get(k, 0)
    }
    refused_only = not accepted
    print(
        f"\n{service}: {len(tally.rows)} bad requests, {len(tally.bad())} not a clean 4xx; "
        f"accepted odd strings: {accepted or 'none'}; collections changed: {changed or 'none'}"
    )
    for line in tally.soft:
        print("   finding:", line)
    for row in tally.bad():
        print("   NOT CLEAN:", row[0], row[1], row[3][:200])
    problems = [f"{r[0]} → {r[1]}: {r[3][:300]}" for r in tally.bad()]
    if refused_only:
        audit_like = {k for k in changed if "audit" in k}
        assert not (set(changed) - audit_like), f"refused requests changed stored data: {changed}"
    assert not problems, "\n".join(problems)


def _with_key(tokens: TokenFactory, *, issuer: str) -> TokenFactory:
    clone = TokenFactory.__new__(TokenFactory)
    clone.key, clone.issuer, clone.audience = tokens.key, issuer, tokens.audience
    return clone
