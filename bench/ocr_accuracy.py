"""OCR accuracy and speed bench: character error rate and seconds per page, engine by engine.

    python bench/ocr_accuracy.py PAGES_DIR --engine default --engine tesseract --engine ppocr-raw \
        --hyp OUT.json --json RESULTS.json

PAGES_DIR holds page images and ``truth.json`` ({file name: true text}); ``bench/pagegen.py`` makes
such folders (its ``pages.json``, when present, adds a breakdown by condition).

Engines
- ``default``    the service's own path: ``clean_page`` (seal suppression, upright, deskew) then
                 PP-OCRv5; the clean-up's share of the time is reported as pipeline overhead.
- ``ppocr-raw``  PP-OCRv5 on the raw image (no clean-up, pages not turned upright).
- ``tesseract``  Tesseract ``chi_sim`` on the raw image (no clean-up).

CER = edit distance / truth length, summed over pages, after NFKC normalisation with all
whitespace removed. Each engine runs in its own child process, so the peak memory reported
(``ru_maxrss``) is that engine's own; model loading is timed apart from the pages.

``--hyp OUT.json`` writes {file name: text} of the first engine; other engines go to
``OUT.<engine>.json`` beside it.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import sys
import time
import unicodedata
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp"}
ENGINES = ("default", "ppocr-raw", "tesseract")
DESCRIPTIONS = {
    "default": "clean_page + PP-OCRv5 (service path)",
    "ppocr-raw": "PP-OCRv5 on the raw image",
    "tesseract": "Tesseract chi_sim on the raw image",
}


def normalise(text: str) -> str:
    """NFKC, all whitespace removed."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (rapidfuzz when installed, else a small dynamic programme)."""
    try:
        from rapidfuzz.distance import Levenshtein

        return int(Levenshtein.distance(a, b))
    except ImportError:
        pass
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _declared_dpi(path: Path) -> int | None:
    from PIL import Image

    with Image.open(path) as im:
        dpi = im.info.get("dpi")
    return round(float(dpi[0])) if dpi else None


def run_engine(engine: str, pages_dir: str, files: list[str], threads: int, orientation: str) -> dict[str, Any]:
    """Run one engine over the pages (in a child process); returns texts, timings and peak memory."""
    import cv2
    from juanzong_scan_ocr.adapters.imaging import CleanOptions, clean_page, orientation_detector
    from juanzong_scan_ocr.adapters.ocr import OcrSettings, get_engine

    settings = OcrSettings(ort_threads=threads)
    t0 = time.perf_counter()
    if engine in ("default", "ppocr-raw"):
        ocr = get_engine("ppocr", settings)
        ocr.load()  # type: ignore[attr-defined]
    elif engine == "tesseract":
        ocr = get_engine("tesseract", settings)
    else:
        raise SystemExit(f"unknown engine {engine!r}; choose from {', '.join(ENGINES)}")
    version = ocr.version
    load_s = time.perf_counter() - t0
    # As the worker: the page is not warped by the skew; the OCR crops through the deskew map.
    options = CleanOptions(orientation=orientation, deskew_warp=False)  # type: ignore[arg-type]
    # As the worker's PagePipeline: the orientation check uses this engine, whose line boxes the
    # OCR reads without detecting again (options.reuse_detection).
    detector = (orientation_detector(options.orientation, ocr, side_px=options.orientation_side_px,
                                     reuse_detection=options.reuse_detection) if engine == "default" else None)
    texts: dict[str, str] = {}
    seconds: dict[str, float] = {}
    cpu: dict[str, float] = {}
    clean_s: dict[str, float] = {}
    rotations: dict[str, int] = {}
    for name in files:
        path = Path(pages_dir) / name
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise SystemExit(f"cannot read {path}")
        w0, c0 = time.perf_counter(), time.process_time()
        if engine == "default":
            cleaned = clean_page(image, options, dpi=_declared_dpi(path), detector=detector)
            w1 = time.perf_counter()
            page = ocr.recognize(cleaned.image, lines=cleaned.lines, transform=cleaned.transform)
            # A detection done inside the clean-up and read by the OCR is engine time.
            clean_s[name] = w1 - w0 - cleaned.timings.get("lines", 0.0)
            rotations[name] = cleaned.rotation
        else:
            page = ocr.recognize(image)
        seconds[name] = time.perf_counter() - w0
        cpu[name] = time.process_time() - c0
        texts[name] = page.text
    usage_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    usage_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "engine": engine,
        "version": version,
        "load_seconds": load_s,
        "texts": texts,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "clean_seconds": clean_s,
        "rotations": rotations,
        "peak_rss_mb": usage_self,
        "peak_rss_children_mb": usage_children,
    }


def score(truth: dict[str, str], result: dict[str, Any], tags: dict[str, list[str]]) -> dict[str, Any]:
    errors = chars = 0
    per_page: dict[str, float] = {}
    by_tag: dict[str, list[int]] = {}
    for name, text in result["texts"].items():
        t, h = normalise(truth[name]), normalise(text)
        e = edit_distance(t, h)
        errors += e
        chars += len(t)
        per_page[name] = e / max(len(t), 1)
        for tag in tags.get(name, []):
            agg = by_tag.setdefault(tag, [0, 0])
            agg[0] += e
            agg[1] += len(t)
    n = len(result["texts"])
    total = sum(result["seconds"].values())
    out = {
        "engine": result["engine"],
        "description": DESCRIPTIONS[result["engine"]],
        "version": result["version"],
        "pages": n,
        "characters": chars,
        "edit_distance": errors,
        "cer": errors / max(chars, 1),
        "seconds_per_page": total / max(n, 1),
        "cpu_seconds_per_page": sum(result["cpu_seconds"].values()) / max(n, 1),
        "load_seconds": result["load_seconds"],
        "peak_rss_mb": round(max(result["peak_rss_mb"], result["peak_rss_children_mb"]), 1),
        "peak_rss_python_mb": round(result["peak_rss_mb"], 1),
        "cer_by_tag": {k: v[0] / max(v[1], 1) for k, v in sorted(by_tag.items())},
        "cer_per_page": per_page,
    }
    if result["clean_seconds"]:
        clean = sum(result["clean_seconds"].values())
        out["clean_seconds_per_page"] = clean / max(n, 1)
        out["engine_seconds_per_page"] = (total - clean) / max(n, 1)
        out["pipeline_overhead"] = clean / max(total - clean, 1e-9)
        out["rotations"] = result["rotations"]
    return out


def table(rows: list[dict[str, Any]]) -> str:
    head = f"{'engine':<11} {'CER':>7} {'s/page':>7} {'cpu s/p':>8} {'peak MB':>8} {'load s':>7}  what"
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r['engine']:<11} {r['cer']:>7.2%} {r['seconds_per_page']:>7.2f} {r['cpu_seconds_per_page']:>8.2f}"
            f" {r['peak_rss_mb']:>8.0f} {r['load_seconds']:>7.2f}  {r['description']}"
        )
    for r in rows:
        if "pipeline_overhead" in r:
            lines.append(
                f"{r['engine']}: clean-up {r['clean_seconds_per_page']:.3f} s/page + engine "
                f"{r['engine_seconds_per_page']:.3f} s/page -> overhead {r['pipeline_overhead']:.1%} over the engine"
            )
    tags = sorted({t for r in rows for t in r["cer_by_tag"]})
    if tags:
        lines.append("")
        lines.append("CER by condition: " + " ".join(f"{r['engine']:>10}" for r in rows))
        for t in tags:
            lines.append(f"  {t:<15} " + " ".join(f"{r['cer_by_tag'].get(t, float('nan')):>10.2%}" for r in rows))
    if len(rows) > 1:
        base = {r["engine"]: r for r in rows}
        if "default" in base and "tesseract" in base:
            ratio = base["default"]["seconds_per_page"] / max(base["tesseract"]["seconds_per_page"], 1e-9)
            lines.append(f"\ndefault / tesseract seconds per page: {ratio:.3f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="OCR character error rate and speed on a folder of pages.")
    parser.add_argument("pages_dir", type=Path)
    parser.add_argument("--engine", action="append", choices=ENGINES, help="repeatable; default: default")
    parser.add_argument("--hyp", type=Path, help="write {file name: text} of the first engine here")
    parser.add_argument("--json", type=Path, help="write the results as JSON here")
    parser.add_argument("--limit", type=int, default=0, help="only the first N pages")
    parser.add_argument("--threads", type=int, default=2, help="ONNX Runtime threads")
    parser.add_argument("--orientation", default="ppocr", choices=("ppocr", "tesseract", "none"),
                        help="orientation detector of the default path")
    args = parser.parse_args(argv)
    engines = args.engine or ["default"]
    truth = json.loads((args.pages_dir / "truth.json").read_text(encoding="utf-8"))
    files = sorted(f for f in truth if (args.pages_dir / f).suffix.lower() in IMAGE_SUFFIXES)
    if args.limit:
        files = files[: args.limit]
    tags: dict[str, list[str]] = {}
    recipes = args.pages_dir / "pages.json"
    if recipes.exists():
        tags = {r["file"]: list(r.get("tags", [])) for r in json.loads(recipes.read_text(encoding="utf-8"))}
    rows = []
    results = {}
    for engine in engines:
        print(f"running {engine} ({DESCRIPTIONS[engine]}) on {len(files)} pages ...", file=sys.stderr, flush=True)
        # One fresh process per engine: its own peak memory, no threads left over from another.
        with ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("spawn")) as pool:
            result = pool.submit(run_engine, engine, str(args.pages_dir), files, args.threads, args.orientation).result()
        results[engine] = result
        rows.append(score(truth, result, tags))
    print(table(rows))
    if args.hyp:
        args.hyp.parent.mkdir(parents=True, exist_ok=True)
        for i, engine in enumerate(engines):
            path = args.hyp if i == 0 else args.hyp.with_name(f"{args.hyp.stem}.{engine}{args.hyp.suffix}")
            path.write_text(json.dumps(results[engine]["texts"], ensure_ascii=False, indent=1), encoding="utf-8")
    if args.json:
        summary = {
            "pages_dir": str(args.pages_dir),
            "pages": len(files),
            "cpu_count": os.cpu_count(),
            "threads": args.threads,
            "orientation": args.orientation,
            "results": rows,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
