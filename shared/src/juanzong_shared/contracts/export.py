"""Write the JSON Schema of every contract model to ``docs/contracts/`` (``python -m juanzong_shared.contracts.export``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from juanzong_shared.contracts import CONTRACTS


def json_schema(name: str) -> dict[str, Any]:
    model = CONTRACTS[name]
    schema = model.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"{name}.json"
    return schema


def export_schemas(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in CONTRACTS:
        path = folder / f"{name}.json"
        path.write_text(json.dumps(json_schema(name), ensure_ascii=False, indent=2, sort_keys=True) + "\n",
                        encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str]) -> int:
    folder = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parents[4] / "docs" / "contracts"
    for old in folder.glob("*.json"):
        old.unlink()
    written = export_schemas(folder)
    print(f"wrote {len(written)} schemas to {folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
