"""Generate docs/rules.md from tests/rules/clauses.py (issue 22).

    .venv/bin/python tests/rules/make_doc.py          # write docs/rules.md
    .venv/bin/python tests/rules/make_doc.py --check  # exit 1 when docs/rules.md is not current

tests/rules/test_inventory.py fails when the committed docs/rules.md differs from what this script writes.
"""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DOC = REPO / "docs" / "rules.md"

STATUS_ZH = {"enforced": "enforced", "partly": "partly", "not_enforced": "not enforced", "manual": "manual"}


def load_clauses() -> ModuleType:
    """tests/rules/clauses.py as a module, by path (pytest runs with --import-mode=importlib, no sys.path entry)."""
    name = "juanzong_rules_clauses"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, HERE / "clauses.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look the module up while the class is built
    spec.loader.exec_module(module)
    return module


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _tests_cell(clause) -> str:
    parts = [f"`{t}`" for t in clause.tests]
    parts += [f"planned: `{t}`" for t in clause.planned]
    return "<br>".join(parts) if parts else "—"


def _status_cell(clause) -> str:
    status = STATUS_ZH[clause.status]
    if clause.items:
        status += " (issue 22 item " + ", ".join(str(i) for i in clause.items) + ")"
    return status


def render() -> str:
    c = load_clauses()
    clauses = c.CLAUSES
    counts = Counter(cl.status for cl in clauses)
    out: list[str] = []
    w = out.append
    w("# The court's rules, clause by clause")
    w("")
    w("Generated from `tests/rules/clauses.py` by `.venv/bin/python tests/rules/make_doc.py` — do not edit by hand "
      "(`tests/rules/test_inventory.py` fails when this page is stale).")
    w("")
    w("Every checkable requirement of the five regulations Juanzong serves (sources: the seeds' documents, by their "
      "keys), what the software does about it, the test that proves it, and its status on main. Status: "
      "**enforced** — main does it and an existing test shows it; **partly** — main does part of it, or does it "
      "wrongly where issue 22 says so; **not enforced** — main does not do it, a planned test under `tests/rules/` "
      "says what would prove it; **manual** — no software can check it (paper, devices, people's duties) or "
      "another court system does it. A test marked *planned* does not exist yet.")
    w("")
    w("## Counts")
    w("")
    w("| status | clauses |")
    w("|---|---|")
    for status in c.STATUSES:
        w(f"| {STATUS_ZH[status]} | {counts.get(status, 0)} |")
    w(f"| **total** | **{len(clauses)}** |")
    w("")
    w("| document | enforced | partly | not enforced | manual | total |")
    w("|---|---|---|---|---|---|")
    for doc in c.DOCUMENTS:
        per = Counter(cl.status for cl in clauses if cl.doc == doc)
        w(f"| {doc} | " + " | ".join(str(per.get(s, 0)) for s in c.STATUSES) + f" | {sum(per.values())} |")
    w("")
    w("## Issue 22's nine items")
    w("")
    w("| item | clauses (status on main) | planned tests |")
    w("|---|---|---|")
    for item in range(1, 10):
        named = [cl for cl in clauses if item in cl.items]
        ids = "<br>".join(f"{cl.id} ({STATUS_ZH[cl.status]})" for cl in named) or "—"
        planned = sorted({t for cl in named for t in cl.planned})
        w(f"| {item} | {_cell(ids)} | " + ("<br>".join(f"`{t}`" for t in planned) or "—") + " |")
    w("")
    for doc, title in c.DOCUMENTS.items():
        w(f"## {doc} {title}")
        w("")
        w("| clause | requirement | behaviour | test | status |")
        w("|---|---|---|---|---|")
        for cl in clauses:
            if cl.doc != doc:
                continue
            behaviour = cl.behaviour if not cl.reason else f"{cl.behaviour} *Why:* {cl.reason}"
            w(f"| {_cell(cl.id.split('/', 1)[1])} | {_cell(cl.requirement)} | {_cell(behaviour)} | "
              f"{_tests_cell(cl)} | {_status_cell(cl)} |")
        w("")
    w("## Deliberately not enforced, and why")
    w("")
    w("Clauses main does not enforce (a planned test names what would prove them) and clauses no software here can "
      "check.")
    w("")
    for status in ("not_enforced", "manual"):
        w(f"### {STATUS_ZH[status]}")
        w("")
        for cl in clauses:
            if cl.status == status:
                w(f"- **{cl.id}** — {cl.reason}")
        w("")
    w("### partly: what is missing")
    w("")
    for cl in clauses:
        if cl.status == "partly":
            w(f"- **{cl.id}** — {cl.reason}")
    w("")
    w("## Provisions read and left out")
    w("")
    w("Aims, definitions, organisation and dates: no system or person can be checked against them, or a clause "
      "above covers them.")
    w("")
    for ref, why in c.NOT_CLAUSES:
        w(f"- {ref} — {why}")
    w("")
    return "\n".join(out)


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        current = DOC.read_text("utf-8") if DOC.exists() else ""
        if current != text:
            print(f"{DOC.relative_to(REPO)} is stale: run .venv/bin/python tests/rules/make_doc.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(text, "utf-8")
    print(f"wrote {DOC.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
