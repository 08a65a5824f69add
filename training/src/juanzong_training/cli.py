"""``juanzong-train``: build the models the services load.

    juanzong-train page-model --out var/models/page-model.joblib [--seed N] [--per-category N]
                              [--category judgment ...] [--if-stale]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from juanzong_catalog.adapters.classifier_model import DEFAULT_PATH
from juanzong_catalog.domain.categories import Category

from juanzong_training.page_model import DEFAULT_PER_CATEGORY, DEFAULT_SEED, build_page_model


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="juanzong-train", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = ap.add_subparsers(dest="command", required=True)
    page = commands.add_parser("page-model", help="fit catalog's page classifier on the generated corpus")
    page.add_argument("--out", type=Path, default=DEFAULT_PATH, help=f"artifact path (default {DEFAULT_PATH})")
    page.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"corpus seed (default {DEFAULT_SEED})")
    page.add_argument("--per-category", type=int, default=DEFAULT_PER_CATEGORY,
                      help=f"generated documents per category (default {DEFAULT_PER_CATEGORY})")
    page.add_argument("--category", action="append", type=Category, choices=list(Category), metavar="CATEGORY",
                      help="only these categories (repeatable; default all)")
    page.add_argument("--if-stale", action="store_true",
                      help="keep an artifact made from the same options, sources and scikit-learn")
    args = ap.parse_args(argv)
    started = time.perf_counter()

    def progress(message: str) -> None:
        print(f"[{time.perf_counter() - started:5.1f} s] {message}", file=sys.stderr, flush=True)

    build_page_model(args.out, args.seed, args.per_category, args.category, if_stale=args.if_stale,
                     progress=progress)
    return 0


if __name__ == "__main__":
    sys.exit(main())
