"""docs/integrating.md cannot go stale silently: its request bodies against the running services' OpenAPI.

Two kinds of body are read from the page:

* fenced blocks tagged ``json request <service> <METHOD> <path template>`` (the info string; a Markdown
  renderer shows them as JSON), and
* ``curl`` commands in ``bash`` blocks that send an inline JSON body (``-d '{...}'``) to ``$INTAKE``, ``$AC`` …

Each body must be valid JSON and valid against the request schema of that operation in the OpenAPI document the
running service serves (``GET /openapi.json`` on the session's embedded stack). Stricter than the services
themselves on one point: a key the schema does not declare is an error (pydantic would drop it silently, so a
renamed field would otherwise leave the page wrong without a failure).
"""

from __future__ import annotations

import copy
import json
import re
import shlex
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

pytestmark = pytest.mark.e2e

DOC = Path(__file__).resolve().parents[2] / "docs" / "integrating.md"
# the shell variables the page uses for each service's base URL
BASE_VARIABLES = {"AC": "access-control", "INTAKE": "intake", "SCAN": "scan-ocr", "CATALOG": "catalog",
                  "ARCHIVE": "archive", "NOTIFIER": "notifier"}
FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)


@dataclass(frozen=True)
class DocBody:
    service: str
    method: str
    path: str  # a template (``/v1/cases/{case_number}/scan-tasks``) or a concrete path with shell variables
    text: str
    line: int

    def where(self) -> str:
        return f"docs/integrating.md:{self.line} ({self.service} {self.method} {self.path})"


def fenced_blocks(markdown: str) -> list[tuple[str, str, int]]:
    """(info string, content, line of the opening fence) of every fenced block."""
    return [(m.group(1).strip(), m.group(2), markdown.count("\n", 0, m.start()) + 1) for m in FENCE.finditer(markdown)]


def tagged_bodies(markdown: str) -> list[DocBody]:
    out = []
    for info, text, line in fenced_blocks(markdown):
        words = info.split()
        if words[:2] == ["json", "request"]:
            assert len(words) == 5, f"docs/integrating.md:{line}: tag as ```json request <service> <METHOD> <path>"
            out.append(DocBody(words[2], words[3].upper(), words[4], text, line))
    return out


def curl_bodies(markdown: str) -> list[DocBody]:
    """Inline JSON bodies of curl commands (``-d`` / ``--data`` / ``--data-raw`` with a ``{...}`` argument)."""
    out = []
    for info, text, line in fenced_blocks(markdown):
        if info.split()[:1] != ["bash"]:
            continue
        command, start = "", line
        for offset, raw in enumerate(text.split("\n"), start=1):
            if not command:
                start = line + offset
            if raw.rstrip().endswith("\\"):
                command += raw.rstrip()[:-1] + " "
                continue
            command += raw
            if command.lstrip().startswith("curl"):
                body = _curl_json_body(command, start)
                if body is not None:
                    out.append(body)
            command = ""
    return out


def _curl_json_body(command: str, line: int) -> DocBody | None:
    words = shlex.split(command.split(" | ")[0], comments=True)
    method, url, data = "GET", None, None
    for i, word in enumerate(words):
        if word == "-X":
            method = words[i + 1]
        elif word in ("-d", "--data", "--data-raw", "--data-binary") and words[i + 1].lstrip().startswith("{"):
            data = words[i + 1]
        elif url is None and word.startswith("$") and "/" in word:
            url = word
    if data is None or url is None:
        return None
    variable, _, path = url.partition("/")
    service = BASE_VARIABLES.get(variable.strip("${}"))
    assert service, f"docs/integrating.md:{line}: unknown base URL variable in {url}"
    return DocBody(service, "POST" if method == "GET" else method.upper(), "/" + path.split("?")[0], data, line)


@cache
def _doc_text() -> str:
    return DOC.read_text(encoding="utf-8")


def all_bodies() -> list[DocBody]:
    return tagged_bodies(_doc_text()) + curl_bodies(_doc_text())


# -- the schema side ----------------------------------------------------------------------------------
def strict(schema):
    """The schema with undeclared keys refused wherever an object lists its properties."""
    if isinstance(schema, dict):
        out = {key: strict(value) for key, value in schema.items()}
        if "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    return schema


def operation_for(openapi: dict, body: DocBody) -> tuple[str, dict]:
    """The path template and operation a body is sent to (concrete paths match templates segment by segment)."""
    paths = openapi["paths"]
    if body.path in paths:
        candidates = [body.path]
    else:
        concrete = body.path.split("/")
        candidates = [template for template in paths if len(template.split("/")) == len(concrete) and all(
            t == c or (t.startswith("{") and t.endswith("}")) or (c.startswith("$") and t.startswith("{"))
            for t, c in zip(template.split("/"), concrete))]
        # a literal segment beats a parameter (``/stage`` is not ``{anything}``)
        candidates.sort(key=lambda template: template.count("{"))
    assert candidates, f"{body.where()}: no such path in {body.service}'s OpenAPI"
    template = candidates[0]
    operation = paths[template].get(body.method.lower())
    assert operation, f"{body.where()}: {body.service} has no {body.method} {template}"
    return template, operation


def validator_for(openapi: dict, operation: dict) -> Draft202012Validator:
    content = (operation.get("requestBody") or {}).get("content") or {}
    assert "application/json" in content, f"operation {operation.get('operationId')} takes no JSON body"
    schema = strict({**copy.deepcopy(content["application/json"]["schema"]),
                     "components": copy.deepcopy(openapi.get("components") or {})})
    return Draft202012Validator(schema)


def problems(openapi: dict, body: DocBody) -> list[str]:
    try:
        instance = json.loads(body.text)
    except json.JSONDecodeError as error:
        return [f"{body.where()}: not JSON ({error})"]
    _, operation = operation_for(openapi, body)
    return [f"{body.where()}: {'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message}"
            for e in validator_for(openapi, operation).iter_errors(instance)]


@pytest.fixture(scope="module")
def openapi_of(e2e_api):
    documents: dict[str, dict] = {}

    def get(service: str) -> dict:
        if service not in documents:
            response = e2e_api.client.get(e2e_api.urls[service] + "/openapi.json", timeout=30)
            assert response.status_code == 200, f"{service} /openapi.json answered {response.status_code}"
            documents[service] = response.json()
        return documents[service]

    return get


# -- the tests ----------------------------------------------------------------------------------------
def test_the_page_tags_the_request_bodies_of_the_main_steps():
    tagged = {(b.service, b.method, b.path) for b in tagged_bodies(_doc_text())}
    for step in [("intake", "POST", "/v1/cases"), ("intake", "POST", "/v1/cases/{case_number}/scan-tasks"),
                 ("intake", "POST", "/v1/scan-tasks/{task_id}/transitions"),
                 ("access-control", "POST", "/v1/access-requests"), ("access-control", "POST", "/v1/borrowings")]:
        assert step in tagged, f"docs/integrating.md has no ```json request block for {' '.join(step)}"
    assert len(curl_bodies(_doc_text())) >= 3, "the curl commands with inline bodies were not found"


def test_every_request_body_of_the_page_matches_the_running_services_openapi(openapi_of):
    failures = [p for body in all_bodies() for p in problems(openapi_of(body.service), body)]
    assert not failures, "docs/integrating.md is out of step with the APIs:\n" + "\n".join(failures)


def test_the_check_refuses_a_missing_field_a_renamed_field_and_a_wrong_value(openapi_of):
    """The same check on bodies known to be wrong: it must name each (a check that cannot fail proves nothing)."""
    case = next(b for b in tagged_bodies(_doc_text()) if b.path == "/v1/cases")
    good = json.loads(case.text)
    api = openapi_of("intake")
    assert problems(api, case) == []
    missing = {k: v for k, v in good.items() if k != "filed_on"}
    renamed = {**{k: v for k, v in good.items() if k != "case_number"}, "case_no": good["case_number"]}
    wrong = {**good, "secret": "否"}
    for bad, expected in ((missing, "'filed_on' is a required property"),
                          (renamed, "'case_no' was unexpected"), (wrong, "'否' is not of type 'boolean'")):
        found = problems(api, DocBody(case.service, case.method, case.path, json.dumps(bad, ensure_ascii=False),
                                      case.line))
        assert any(expected in p for p in found), (expected, found)
    transition = DocBody("intake", "POST", "/v1/scan-tasks/$T/transitions", '{"to": "nowhere"}', 0)
    assert problems(api, transition), "an unknown scan-task state passed the check"
