"""Issue 20 item 13 (login): the password grant does not tell which accounts exist, and failed logins are limited.

Before: an unknown user was answered at once while a wrong password cost a PBKDF2 check (timing told which accounts
exist), and guessing was unlimited. Now both paths cost the same hash check (unit test
``test_an_unknown_account_costs_the_same_hash_check_as_a_wrong_password`` asserts it with a spy, no timings), and after
five failures of one account in five minutes the next attempt is 429 problem+json with Retry-After, even with the right
password (the window passing is shown with a short window in the integration test
``test_the_sixth_login_after_five_failures_is_refused_until_the_window_has_passed``)."""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.e2e

# an account no other security test logs in with: it stays locked for the window after this test
ACCOUNT = "committee-wu"
PASSWORD = "juanzong-demo"


def login(api, username: str, password: str):
    response = api._request("access-control", "POST", "/v1/token",
                            data={"grant_type": "password", "username": username, "password": password})
    try:
        body = response.json()
    except ValueError:
        body = {"text": response.text}
    return response.status_code, body, response.headers


def test_an_unknown_account_and_a_wrong_password_get_the_same_answer(api, sec):
    """Nothing in the answer tells whether the account exists."""
    unknown = login(api, "nobody-" + uuid.uuid4().hex[:8], "guess")
    wrong = login(api, sec.LEADER, "guess")
    assert unknown[0] == wrong[0] == 400
    assert {k: v for k, v in unknown[1].items() if k not in ("correlation_id",)} == \
        {k: v for k, v in wrong[1].items() if k not in ("correlation_id",)}


def test_the_sixth_login_after_five_failures_is_refused_even_with_the_right_password(api, sec):
    """House limit: 5 failed logins of one account within 5 minutes; the 6th attempt is 429 with Retry-After."""
    for _ in range(5):
        status, body, _ = login(api, ACCOUNT, "guess")
        assert status == 400 and body["error"] == "invalid_grant", body
    status, body, headers = login(api, ACCOUNT, PASSWORD)
    sec.assert_refused(status, body, (429,))
    assert headers["content-type"].startswith("application/problem+json")
    assert 1 <= int(headers["Retry-After"]) <= 300
    status, body, _ = login(api, "u-" + ACCOUNT, PASSWORD)  # the account's id is the same account
    assert status == 429, body
