"""Write the JSON Schema of every event type to ``docs/events/`` (``python -m juanzong_shared.events.export``)."""

from __future__ import annotations

import sys
from pathlib import Path

from juanzong_shared.events import REGISTRY


def main(argv: list[str]) -> int:
    folder = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parents[4] / "docs" / "events"
    for old in folder.glob("*.json"):
        old.unlink()
    written = REGISTRY.export_schemas(folder)
    print(f"wrote {len(written)} schemas to {folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
