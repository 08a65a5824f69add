"""The OCR processes' malloc settings: large blocks kept in the heap, trims only when memory runs high."""

from __future__ import annotations

import ctypes.util
import platform
import subprocess
import sys

import pytest
from juanzong_scan_ocr.adapters import allocator

glibc_only = pytest.mark.skipif(platform.libc_ver()[0] != "glibc" or not ctypes.util.find_library("c"),
                                reason="glibc malloc settings")

# Allocates and frees a 40 MB page buffer ten times (every 4 KB written) and prints the page faults
# of the second round: glibc maps a block this large afresh each time unless told to keep it.
CHURN = """
import resource, sys
import numpy as np
from juanzong_scan_ocr.adapters.allocator import keep_freed_blocks
if sys.argv[1] == "keep":
    assert keep_freed_blocks(256)
def churn():
    for _ in range(10):
        page = np.ones(40 * 1024 * 1024, np.uint8)
        del page
churn()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
churn()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(mode: str) -> int:
    out = subprocess.run([sys.executable, "-c", CHURN, mode], check=True, capture_output=True, text=True)
    return int(out.stdout.strip())


@glibc_only
def test_kept_blocks_are_reused_instead_of_faulted_in_again_page_after_page():
    plain, kept = _faults("plain"), _faults("keep")
    assert plain >= 100  # each block mapped afresh is faulted in again (in huge pages where the kernel can)
    assert kept * 20 < plain


def test_zero_leaves_the_allocator_alone():
    assert allocator.keep_freed_blocks(0) is False


@glibc_only
def test_the_heap_is_trimmed_only_when_resident_memory_is_above_the_limit(monkeypatch):
    trims = []
    monkeypatch.setattr(allocator, "trim_heap", lambda: trims.append(1))
    rss = allocator.resident_mb()
    assert rss is not None and rss > 1
    assert allocator.trim_heap_above(rss + 10_000) is False
    assert allocator.trim_heap_above(1) is True
    assert allocator.trim_heap_above(0) is True  # 0: after every page
    assert len(trims) == 2
