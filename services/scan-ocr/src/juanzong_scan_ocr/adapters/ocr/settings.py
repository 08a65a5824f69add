"""OCR settings, read from the environment (prefix ``JUANZONG_OCR_``)."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class OcrSettings(BaseSettings):
    """Which engine runs and how. Defaults were tuned on generated court pages on a 2-core machine
    (see bench/README-ocr.md)."""

    model_config = SettingsConfigDict(env_prefix="JUANZONG_OCR_", frozen=True)

    engine: str = "ppocr"
    """Engine name for ``get_engine()``: ``ppocr`` (default) or ``tesseract``."""
    ort_threads: int = 2
    """ONNX Runtime intra-op threads per worker process (1 when several workers share 2 cores)."""
    ort_spinning: bool = False
    """ONNX Runtime's intra-op threads spin between parallel sections instead of sleeping. Off: alone
    the engine is as fast either way (1 process × 2 threads, 40 pages, three alternations: 0.970 s a
    page spinning, 0.963 not), but in a worker a spinning thread holds a core the page's other work
    and the node's services need, and a parallel section then waits for the thread they preempted
    (1 worker, 40 pages: 1.40× the raw engine spinning, 1.19× not; bench/README-pipeline.md)."""
    ort_spinning_stop: bool = True
    """With spinning on, stop it as soon as each run ends (``session.force_spinning_stop``)."""
    ort_memory_arena: bool = False
    """ONNX Runtime's CPU memory arena; off keeps peak memory near 0.8 GB."""
    malloc_keep_mb: int = 256
    """Without its arena ONNX Runtime allocates its tensors anew on every run, many of them larger
    than glibc's mmap threshold (at most 32 MB when glibc adjusts it itself): each is mapped, touched
    page by page (a page fault each) and unmapped again. The engine sets glibc's mmap and trim
    thresholds to this many MB when it loads, so blocks up to this size are taken from and
    returned to the heap instead (1 process × 2 threads, 20 pages: 63,000 → 8,000 page faults and
    0.12 → 0.03 system CPU-s a page, 0.60 → 0.51 s a page, peak RSS 747 → 725 MB). 0 leaves the
    allocator alone; no effect off glibc."""
    det_limit_side_len: int = 1280
    """Longest side of the detection input; pages are scaled down to it. 1280 detects ~40% faster
    than 1600 at the same CER (bench/README-ocr.md); the extra box DB then puts into a wide gap of a
    signature row (审判员　孙丽华) is merged away by ``det_row_merge_overlap``."""
    det_row_merge_overlap: float = 0.25
    """Boxes of one printed row whose horizontal extents overlap by at least this fraction of the
    line height are merged before recognition, so a character two boxes share is read once; 0 = off."""
    det_thresh: float = 0.3
    det_box_thresh: float = 0.6
    det_unclip_ratio: float = 1.6
    rec_crop_pad: float = 0.4
    """Image taken beyond each line box, above and below, as a fraction of the line height
    (0.2 → 0.46% CER, 0.4 → 0.22%, 0.6 → 0.36% on 54 generated pages: neighbours creep in)."""
    rec_traditional_weight: float = 0.3
    """Weight of traditional-only characters in decoding (court texts are simplified); 1 = off."""
    rec_ling_boost: float = 2.0
    """Weight of 〇 against the CTC blank (dates such as 二〇二四年); 1 = off."""
    rec_restore_ling: bool = True
    """Put back 〇 dropped or misread in Chinese-numeral years followed by a month (二二五年十一月 →
    二〇二五年十一月; see ``textfix.restore_ling``)."""
    rec_batch_size: int = 4
    """Line crops per recognition call (sorted by width); larger batches were slower on 2 cores."""
    drop_score: float = 0.5
    """Lines recognised with lower confidence are dropped (seal remnants, speckle)."""
    tesseract_lang: str = "chi_sim"
    tesseract_psm: int = 3
