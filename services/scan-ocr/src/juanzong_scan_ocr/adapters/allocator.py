"""glibc malloc settings for processes that run the OCR engine (no-ops where libc is not glibc).

Three knobs, each measured on generated court pages (bench/README-pipeline.md):

- :func:`keep_freed_blocks` — the engine's tensors (ONNX Runtime without its arena) and the
  page buffers are tens of MB; glibc maps such blocks afresh and unmaps them on free, so every
  page touches every page of memory anew, a page fault each. Raised thresholds keep them in the heap.
- :func:`cap_arenas` — each thread that allocates gets its own arena; freed page buffers spread
  over many arenas push peak memory up.
- :func:`trim_heap` — hand the freed memory back to the OS.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8

_libc: ctypes.CDLL | None | bool = None
_lock = threading.Lock()
_kept_mb: int | None = None


def _glibc() -> ctypes.CDLL | None:
    global _libc
    if _libc is None:
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            _libc = libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else False
        except (OSError, AttributeError):
            _libc = False
    return _libc or None


def keep_freed_blocks(megabytes: int) -> bool:
    """Serve blocks up to ``megabytes`` from the heap and keep up to as much freed at its top
    (glibc's mmap and trim thresholds; fixing them also stops glibc adjusting them itself).
    Once per process; 0 leaves the allocator alone. True when set."""
    global _kept_mb
    if megabytes <= 0:
        return False
    with _lock:
        if _kept_mb is not None:
            return _kept_mb == megabytes
        libc = _glibc()
        if libc is None:
            return False
        size = megabytes * 1024 * 1024
        ok = bool(libc.mallopt(_M_MMAP_THRESHOLD, size)) and bool(libc.mallopt(_M_TRIM_THRESHOLD, size))
        _kept_mb = megabytes if ok else 0
        return ok


def cap_arenas(arena_max: int = 2) -> bool:
    """At most ``arena_max`` malloc arenas in this process (call before threads allocate)."""
    libc = _glibc()
    return bool(libc and libc.mallopt(_M_ARENA_MAX, arena_max))


def trim_heap() -> None:
    """Give the freed page buffers back to the OS (``malloc_trim``)."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


def resident_mb() -> float | None:
    """This process's resident memory in MB (None where /proc is missing)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)


def trim_heap_above(megabytes: float) -> bool:
    """:func:`trim_heap` when resident memory is above ``megabytes`` (always when 0, or when it
    cannot be read); True when it trimmed. Trimming is cheap, touching the returned memory again
    is not: a page fault for every 4 KB of the next page's buffers."""
    if megabytes > 0:
        rss = resident_mb()
        if rss is not None and rss <= megabytes:
            return False
    trim_heap()
    return True
