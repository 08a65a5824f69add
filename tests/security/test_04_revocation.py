"""Item 4 — revocation everywhere: a token revoked at access-control (RFC 7009) is refused by all six services
within 2 s, and a refresh token is no bearer anywhere.

Before the fix intake and notifier never asked access-control, so a revoked token kept working there until it
expired; the services that do ask did so only on routes with a case decision. Now the shared verifier of every
service follows ``access.token.revoked`` (a per-process broadcast) and refuses the token itself.
"""

from __future__ import annotations

import time

import httpx
import pytest

pytestmark = pytest.mark.e2e

# One authenticated GET per service. Any answer but 401 means the token got past the verifier.
PROBES = {
    "access-control": "/v1/userinfo",
    "intake": "/v1/scan-tasks/st-no-such-task",
    "scan-ocr": "/v1/batches/b-no-such-batch",
    "catalog": "/v1/pages/p-no-such-page/text",
    "archive": "/v1/transfers/0123456789abcdef",
    "notifier": "/v1/inbox",
}


def login(api, username: str) -> dict:
    """A fresh token pair of our own (the shared ``api`` caches one per person, which must stay good)."""
    response = api.client.post(api.urls["access-control"] + "/v1/token",
                               data={"grant_type": "password", "username": username, "password": "juanzong-demo"})
    assert response.status_code == 200, response.text
    return response.json()


def probe(api, service: str, token: str) -> httpx.Response:
    return api.client.get(api.urls[service] + PROBES[service], headers={"Authorization": f"Bearer {token}"})


def test_a_revoked_token_is_refused_by_every_service_within_two_seconds(api, sec):
    """RFC 7009 revocation at access-control holds in all six services (issue 20 item 4): every read leaves a
    trace under a valid identity only (法〔2016〕264号 一(三), 全程留痕), so a revoked identity reads nothing."""
    token = login(api, sec.JUDGE)["access_token"]
    for service in PROBES:
        before = probe(api, service, token)
        assert before.status_code != 401, f"{service} refused a good token: {before.text}"

    revoked = api.client.post(api.urls["access-control"] + "/v1/token/revoke", data={"token": token})
    assert revoked.status_code == 200 and revoked.json()["revoked"] is True, revoked.text

    started = time.monotonic()
    still_accepting = set(PROBES)
    answers: dict[str, httpx.Response] = {}
    while still_accepting and time.monotonic() - started < 2.0:
        for service in sorted(still_accepting):
            answers[service] = probe(api, service, token)
            if answers[service].status_code == 401:
                still_accepting.discard(service)
        time.sleep(0.05)
    assert not still_accepting, "still accepted 2 s after revocation by " + ", ".join(
        f"{s} ({answers[s].status_code})" for s in sorted(still_accepting))
    for service, response in answers.items():
        sec.assert_refused(response.status_code, response.json(), (401,))
        assert "撤销" in response.json()["detail"], (service, response.json())
        assert response.headers["www-authenticate"].startswith("Bearer"), service

    fresh = login(api, sec.JUDGE)["access_token"]  # the person is not locked out, only that token
    assert all(probe(api, s, fresh).status_code != 401 for s in PROBES)


def test_a_refresh_token_used_as_a_bearer_is_refused_by_every_service(api, sec):
    """Resource services take access tokens only (RFC 9068 ``typ: at+jwt``, ``token_use: access``): a refresh
    token, which lives far longer, opens nothing. (This already held by audience — a refresh token is issued to
    access-control alone; the type check now holds it even where audiences coincide, see
    shared/tests/unit/test_shared_revocation.py.)"""
    refresh = login(api, sec.JUDGE)["refresh_token"]
    for service in PROBES:
        response = probe(api, service, refresh)
        sec.assert_refused(response.status_code, response.json(), (401,))
