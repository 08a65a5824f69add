"""The inventory the conformance suite of issue 22 stands on: tests/rules/clauses.py is well formed, every test it
names for a clause exists, and docs/rules.md is what tests/rules/make_doc.py generates from it."""

from __future__ import annotations

import ast
import functools
import importlib.util
import re
import sys
from collections import Counter
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent


def _load(name: str, file: str):
    key = f"juanzong_rules_{name}"
    if key in sys.modules:
        return sys.modules[key]
    spec = importlib.util.spec_from_file_location(key, HERE / file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[key] = module
    spec.loader.exec_module(module)
    return module


make_doc = _load("make_doc", "make_doc.py")
rules = make_doc.load_clauses()
CLAUSES = rules.CLAUSES


@functools.cache
def _defined(path: str) -> frozenset[str]:
    """``name`` and ``Class::name`` of every test function defined in a file."""
    tree = ast.parse((REPO / path).read_text("utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            for inner in node.body:
                if isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    names.add(f"{node.name}::{inner.name}")
    return frozenset(names)


def _split(node_id: str) -> tuple[str, str]:
    path, _, name = node_id.partition("::")
    return path, re.sub(r"\[.*\]$", "", name)  # a parametrised id counts as its function


def test_docs_rules_md_is_current():
    current = (REPO / "docs" / "rules.md").read_text("utf-8")
    assert current == make_doc.render(), "docs/rules.md is stale: run .venv/bin/python tests/rules/make_doc.py"


def test_clause_ids_are_unique_and_name_their_document():
    duplicates = [cid for cid, n in Counter(c.id for c in CLAUSES).items() if n > 1]
    assert not duplicates, f"duplicate clause ids: {duplicates}"
    for c in CLAUSES:
        assert c.doc in rules.DOCUMENTS, f"{c.id}: unknown document {c.doc!r}"
        assert c.id.startswith(f"{c.doc}/{c.article}"), f"{c.id}: the id starts with its document and article"


def test_statuses_are_valid_and_justified():
    for c in CLAUSES:
        assert c.status in rules.STATUSES, f"{c.id}: status {c.status!r}"
        assert c.requirement.strip() and c.behaviour.strip(), f"{c.id}: requirement and behaviour are required"
        if c.status == "enforced":
            assert c.tests, f"{c.id}: an enforced clause names the existing tests that prove it"
        if c.status in ("partly", "not_enforced"):
            assert c.planned, f"{c.id}: a {c.status} clause names the planned test that would prove it"
            assert c.reason.strip(), f"{c.id}: a {c.status} clause says what is missing"
        if c.status == "manual":
            assert c.reason.strip(), f"{c.id}: a manual clause says why no software checks it"
            assert not c.planned, f"{c.id}: nothing is planned for a manual clause"
        assert set(c.items) <= set(range(1, 10)), f"{c.id}: issue 22 has items 1-9"


def test_every_item_of_issue_22_has_a_clause():
    # ``items``: issue 22 named the clause as wrong on main when it was filed; a fixed one is enforced and keeps it
    for item in range(1, 10):
        assert [c for c in CLAUSES if item in c.items], f"issue 22 item {item} has no clause"


@pytest.mark.parametrize("node_id", sorted({t for c in CLAUSES for t in c.tests}))
def test_every_named_test_exists(node_id):
    path, name = _split(node_id)
    assert (REPO / path).is_file(), f"{node_id}: no file {path}"
    assert name in _defined(path), f"{node_id}: {path} defines no {name}"


def test_planned_tests_live_in_tests_rules_named_by_document_and_article():
    slugs = set(rules.SLUGS.values())
    for c in CLAUSES:
        for node_id in c.planned:
            path, name = _split(node_id)
            m = re.fullmatch(r"tests/rules/test_([a-z0-9_]+?)_(art\d+|part\d+)\.py", path)
            assert m and m.group(1) in slugs, f"{c.id}: planned {node_id} is not tests/rules/test_<doc>_<article>.py"
            assert name.startswith("test_") and name.isidentifier(), f"{c.id}: planned {node_id}"
