"""Settings of the scan-ocr API and its OCR workers (environment variables ``JZ_...``)."""

from __future__ import annotations

from pathlib import Path

from juanzong_shared.settings import Settings
from pydantic import Field, SecretStr

SERVICE = "scan-ocr"


class ServiceSettings(Settings):
    service_name: str = SERVICE
    # A scan batch is large: the request limit is raised; very big files go through /v1/uploads.
    max_request_bytes: int = Field(512 * 1024 * 1024, ge=1024, description="Largest request body accepted.")

    max_file_bytes: int = Field(200 * 1024 * 1024, ge=1, description="Largest single page file (upload limit).")
    max_page_pixels: int = Field(90_000_000, ge=1, description="Pixel limit per page (decompression bomb).")
    max_file_pages: int = Field(1000, ge=1, description="Most pages in one TIFF or PDF.")
    max_batch_pages: int = Field(5000, ge=1, description="Most pages in one batch.")
    max_upload_chunk_bytes: int = Field(64 * 1024 * 1024, ge=1024, description="Largest chunk of a chunked upload.")

    ocr_engine: str = Field("ppocr", description="OCR engine name: ppocr (default) or tesseract.")
    rescan_dpi_floor: int = Field(200, ge=1, description="Below this effective dpi a page must be re-scanned.")
    rescan_dpi_recommended: int = Field(300, ge=1, description="Below this a page gets a warning.")
    rescan_clarity_min: float = Field(0.45, ge=0, le=1, description="Clarity score under which a page is blurred.")

    pages_bucket: str = "juanzong-pages"
    stations_bucket: str = "juanzong-stations"

    client_id: str = Field("scan-ocr", min_length=1, max_length=100, description=(
        "scan-ocr's own client at access-control: it asks add_pages for a station's job on the bus with this "
        "client's token (client-credentials grant, scope dossier:add_pages)."))
    client_secret_file: str | None = Field(None, description="File holding the client's secret (one line).")
    client_secret: SecretStr | None = Field(None, description="The client's secret, when no file is given.")

    worker_metrics_port: int = Field(9100, ge=0, le=65535, description="OCR worker Prometheus port (0: off).")
    worker_metrics_host: str = Field("127.0.0.1", min_length=1, description=(
        "Address the OCR worker's Prometheus server binds (loopback; a scraper in another network namespace "
        "needs it changed deliberately)."))
    worker_prefetch: int = Field(2, ge=1, le=8, description=(
        "Pages an OCR worker holds unacknowledged: with 2, one page's decoding, QC, PDF, storage and database "
        "writes overlap the next page's OCR (the engine runs for one page at a time)."))
    worker_cv_threads: int = Field(1, ge=0, le=64, description=(
        "OpenCV threads in an OCR worker. 1: image work runs in the thread that asks for it (the engine's "
        "threads and the two side threads already fill the cores; 0: OpenCV's default)."))
    worker_malloc_arenas: int = Field(1, ge=0, le=64, description=(
        "glibc malloc arenas in an OCR worker (0: glibc's default, 8 a core). 1: every thread allocates from the "
        "main heap, which keeps the engine's and the page's large blocks between pages (JUANZONG_OCR_MALLOC_KEEP_MB); "
        "another arena's heaps are at most 64 MB, so its large blocks were mapped and faulted in anew on every page "
        "(1 worker, 40 pages, no trims: 41,000 page faults a page with 2 arenas, 8,000 with 1)."))
    worker_trim_above_mb: int = Field(1100, ge=0, le=1_000_000, description=(
        "After a page, give the freed memory back to the OS (glibc malloc_trim) when the worker's resident memory "
        "is above this many MB (0: after every page). A trim makes the next page fault its buffers in again "
        "(1 worker, trimming after every page: 72,000 page faults and 0.22 system CPU-s a page; above 1024 MB: "
        "15,600 and 0.07; above 1280 MB: 3,100 and 0.03), and a page can take ~150 MB above the level "
        "between pages (above 1280 MB a worker peaked at 1.42 GB, 200 pages, 2 workers)."))
    worker_drain_seconds: float = Field(80.0, gt=0, description="On SIGTERM, how long to finish the page in hand.")
    worker_bus_grace_seconds: float = Field(60.0, gt=0, description="Exit when the broker is gone this long.")

    def resolved_client_secret(self) -> str | None:
        """The client secret: from ``JZ_CLIENT_SECRET_FILE`` when set, else ``JZ_CLIENT_SECRET``."""
        if self.client_secret_file:
            return Path(self.client_secret_file).read_text(encoding="utf-8").strip() or None
        return self.client_secret.get_secret_value() if self.client_secret else None
