"""Pipeline bench: a scan batch through the real bus and storage with 1 and with 2 OCR workers.

    .venv/bin/python bench/pipeline_bench.py --pages 200            # the issue's figure
    .venv/bin/python bench/pipeline_bench.py --pages 40 --json out.json

Steps, all in one run on one machine:
1. render ``--pages`` court pages with ``bench/pagegen.py`` (or reuse ``--pages-dir``);
2. start an embedded stack (own SecantusDB and SeaweedFS, the machine's RabbitMQ under a fresh
   namespace), the scan-ocr API (uvicorn) and N workers (``python -m juanzong_scan_ocr.entrypoints.worker``),
   wait until the workers consume, then send the pages as a station job with the station CLI's own upload
   (files into ``juanzong-stations``, 4 at a time, then the command
   ``scan-ocr.job.process`` on the bus) and time until
   ``scan.batch.completed`` is recorded; a fresh database per run so no result is reused;
   In turn with the pipeline, ``--chunk`` pages at a time (40; these machines change speed from
   minute to minute, so both sides must see the same minutes), the **raw engine**: decode each file
   and call ``engine.recognize`` directly, in as many processes as the pipeline has workers with the
   same ONNX Runtime threads each (1 worker: 1 process × 2 threads; 2 workers: 2 × 1), kept warm
   between chunks, on the pages turned upright from pagegen's recipe (``np.rot90``, no detection),
   so the engine does the same recognition work as the pipeline; each chunk is one station job; the
   ratio is the sum of the pipeline's chunk times over the raw engine's; ``--rounds`` repeats;
3. report pages/s, the ratio of pipeline time to its raw engine time (overhead), mean seconds per
   stage, and each worker's peak RSS (``VmHWM`` from /proc).

``--as-scanned`` also times the raw engine on the pages as scanned (sideways pages then read little
text, which makes that figure cheaper than the pipeline's work; not a baseline).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import importlib.util
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from unittest.mock import patch

REPO = Path(__file__).resolve().parents[1]
PY = sys.executable


def _pagegen():
    spec = importlib.util.spec_from_file_location("pagegen", REPO / "bench" / "pagegen.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["pagegen"] = module
    spec.loader.exec_module(module)
    return module


def recipe_rotations(folder: Path) -> dict[str, int]:
    """How far pagegen turned each page clockwise (``pages.json``); empty when there is no recipe."""
    recipes = folder / "pages.json"
    if not recipes.exists():
        return {}
    return {r["file"]: int(r["distortions"]["rotation"]) for r in json.loads(recipes.read_text(encoding="utf-8"))}


def _raw_server(threads: int, rotations: dict[str, int] | None, tasks, results) -> None:
    """A raw-engine process kept between chunks: load and warm the engine once, then read the pages
    of each chunk it is given (``None`` ends it)."""
    import cv2
    import numpy as np
    from juanzong_scan_ocr.adapters.ocr import OcrSettings, get_engine
    from juanzong_scan_ocr.domain.formats import split_pages

    engine = get_engine("ppocr", OcrSettings(ort_threads=threads))
    engine.load()
    engine.recognize(np.full((400, 600, 3), 255, np.uint8))
    results.put("ready")
    while (files := tasks.get()) is not None:
        started, cpu_started, chars = time.time(), time.process_time(), 0
        usage = resource.getrusage(resource.RUSAGE_SELF)
        for name in files:
            path = Path(name)
            page = split_pages(path.read_bytes(), max_pixels=90_000_000, max_pages=10)[0]
            image = page.image if page.image.ndim == 2 else cv2.cvtColor(page.image, cv2.COLOR_RGB2BGR)
            if rotations and rotations.get(path.name):
                image = np.ascontiguousarray(np.rot90(image, k=rotations[path.name] // 90))
            chars += len(engine.recognize(image).text)
        end = resource.getrusage(resource.RUSAGE_SELF)
        results.put((started, time.time(), chars, time.process_time() - cpu_started,
                     end.ru_stime - usage.ru_stime, end.ru_minflt - usage.ru_minflt))


class RawPool:
    """The raw baseline in ``processes`` processes × ``threads`` threads, kept warm, so it can run
    chunk by chunk between the pipeline's chunks (``--chunk``)."""

    def __init__(self, processes: int, threads: int, rotations: dict[str, int] | None) -> None:
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")
        self.threads = threads
        self.tasks = [ctx.Queue() for _ in range(processes)]
        self.results = ctx.Queue()
        self.procs = [ctx.Process(target=_raw_server, args=(threads, rotations, q, self.results)) for q in self.tasks]
        for proc in self.procs:
            proc.start()
        for _ in self.procs:
            assert self.results.get(timeout=300) == "ready"

    def run(self, files: list[Path]) -> dict:
        n = len(self.procs)
        for i, q in enumerate(self.tasks):
            q.put([str(f) for f in files[i::n]])
        shards = [self.results.get(timeout=60 * len(files) + 300) for _ in self.procs]
        return {"seconds": max(s[1] for s in shards) - min(s[0] for s in shards),
                "chars": sum(s[2] for s in shards), "cpu_seconds": sum(s[3] for s in shards),
                "system_seconds": sum(s[4] for s in shards), "minor_faults": sum(s[5] for s in shards)}

    def close(self) -> None:
        for q in self.tasks:
            q.put(None)
        for proc in self.procs:
            proc.join(timeout=30)


def _loadavg() -> list[float] | None:
    try:
        return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    except OSError:
        return None


def proc_times(pid: int | None) -> tuple[float, float, int]:
    """User CPU seconds, system CPU seconds and minor page faults of a process so far (zeros when
    it is gone). Page faults are where a process's system time goes when it keeps handing memory
    back to the OS and touching it again."""
    if not pid:
        return 0.0, 0.0, 0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0, 0.0, 0
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick, int(fields[7])


def _stack_pids(stack) -> dict[str, int | None]:
    """The infrastructure's processes: SecantusDB, SeaweedFS and the broker (beam.smp)."""
    pids = {name: stack.procs.pid(name) for name in ("secantusdb", "seaweedfs")}
    found = subprocess.run(["pgrep", "-o", "beam.smp"], check=False, capture_output=True, text=True).stdout.split()
    pids["rabbitmq"] = int(found[0]) if found else None
    return pids


def peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


async def _consumers(env: dict, queue: str) -> int:
    import aio_pika

    connection = await aio_pika.connect_robust(env["JZ_AMQP_URL"])
    try:
        channel = await connection.channel()
        try:
            declared = await channel.declare_queue(queue, passive=True)
        except aio_pika.exceptions.ChannelClosed:  # not declared yet
            return 0
        return declared.declaration_result.consumer_count or 0
    finally:
        await connection.close()


async def _send_job(env: dict, files: list[Path], station: str, job_id: str) -> None:
    """Send ``files`` as the station CLI does (``juanzong-station upload``: 4 files in flight, then the job
    command), with the stack's settings in the environment."""
    from juanzong_scan_ocr.entrypoints.station import _send

    with patch.dict(os.environ, env):  # the CLI reads its settings from the environment
        await _send(files, station, job_id, "（2025）吉01民终1号", "bench", "bench", None)


async def _wait_batch(env: dict, batch_id: str, timeout: float) -> dict:
    from juanzong_shared.db import Mongo

    mongo = Mongo(env["JZ_MONGO_URL"], env["JZ_MONGO_DB"])
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            doc = await mongo.db["batches"].find_one({"_id": batch_id})
            if doc and doc.get("completed"):
                seen = time.time()
                stages: dict[str, list[float]] = {}
                starts, ends = [], []
                async for page in mongo.db["pages"].find({"batch_id": batch_id},
                                                         {"timings": 1, "started_at": 1, "ended_at": 1}):
                    for stage, seconds in (page.get("timings") or {}).items():
                        stages.setdefault(stage, []).append(seconds)
                    starts += [page["started_at"]] if page.get("started_at") else []
                    ends += [page["ended_at"]] if page.get("ended_at") else []
                doc["stage_means"] = {k: round(sum(v) / len(v), 3) for k, v in sorted(stages.items())}
                # When the first page started and the last one ended (database times, UTC, as epoch seconds).
                doc["first_page_started"] = min(starts).replace(tzinfo=dt.UTC).timestamp() if starts else None
                doc["last_page_ended"] = max(ends).replace(tzinfo=dt.UTC).timestamp() if ends else None
                doc["seen_completed"] = seen
                return doc
            await asyncio.sleep(0.2)
        raise TimeoutError(f"batch {batch_id} not complete in {timeout:.0f} s")
    finally:
        await mongo.close()


class PipelineProcs:
    """The scan-ocr API and ``workers`` OCR workers on the bench's stack, with a fresh database; each
    :meth:`job` sends pages as one station job and times it to ``scan.batch.completed``."""

    def __init__(self, stack, workers: int, port: int, logs: Path, worker_env: dict[str, str] | None = None) -> None:
        env = stack.config.service_env("scan-ocr")
        env.update(JZ_SERVICE_NAME="scan-ocr", JZ_MONGO_DB="bench_" + uuid.uuid4().hex[:10], JZ_AUTH_REQUIRED="false",
                   JZ_JWT_JWKS_URL="", JZ_ACCESS_CONTROL_URL="", JZ_HTTP_PORT=str(port), JZ_WORKER_METRICS_PORT="0",
                   JZ_LOG_LEVEL="WARNING", JUANZONG_OCR_ORT_THREADS=str(max(1, 2 // workers)))
        self.env, self.workers = env, workers
        full_env = {**os.environ, **env}
        self.procs = [subprocess.Popen([PY, "-m", "uvicorn", "--factory", "juanzong_scan_ocr.entrypoints.app:create_app",
                                        "--host", "127.0.0.1", "--port", str(port)], env=full_env,
                                       stdout=(logs / f"api-{workers}.log").open("wb"), stderr=subprocess.STDOUT)]
        self.worker_procs = [subprocess.Popen([PY, "-m", "juanzong_scan_ocr.entrypoints.worker"],
                                              env={**full_env, **(worker_env or {})},
                                              stdout=(logs / f"worker-{workers}-{i}.log").open("wb"),
                                              stderr=subprocess.STDOUT) for i in range(workers)]
        self.procs += self.worker_procs
        try:
            import httpx

            queue = f"{env['JZ_BUS_NAMESPACE']}.scan-ocr.pages"
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                try:
                    ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200
                except httpx.HTTPError:
                    ready = False
                if ready and asyncio.run(_consumers(env, queue)) >= workers:
                    break
                if any(p.poll() is not None for p in self.procs):
                    raise RuntimeError(f"a process exited during start-up; see {logs}")
                time.sleep(0.5)
        except BaseException:
            self.stop()
            raise
        self.watched = {**_stack_pids(stack), "api": self.procs[0].pid,
                        **{f"worker-{i}": p.pid for i, p in enumerate(self.worker_procs)}}

    def job(self, files: list[Path]) -> dict:
        """One station job of ``files``: seconds, CPU seconds per process, the batch with its stage means."""
        from juanzong_scan_ocr.domain.batches import station_batch_id

        station, job_id = "station-bench", uuid.uuid4().hex[:12]
        before = {name: proc_times(pid) for name, pid in self.watched.items()}
        started = time.perf_counter()
        asyncio.run(_send_job(self.env, files, station, job_id))
        uploaded = time.perf_counter() - started
        commanded = time.time()
        batch = asyncio.run(_wait_batch(self.env, station_batch_id(station, job_id), timeout=60 * len(files)))
        seconds = time.perf_counter() - started
        after = {name: proc_times(pid) for name, pid in self.watched.items()}
        cpu = {name: sum(after[name][:2]) - sum(before[name][:2]) for name in self.watched}
        system = {name: after[name][1] - before[name][1] for name in self.watched}
        faults = {name: after[name][2] - before[name][2] for name in self.watched}
        # From the job command to the first page's start (the intake's work and the bus), and from the
        # last page's end to the bench seeing the batch complete (its polling).
        first, last = batch.get("first_page_started"), batch.get("last_page_ended")
        lags = {"to_first_page": round(first - commanded, 3) if first else None,
                "after_last_page": round(batch["seen_completed"] - last, 3) if last else None}
        return {"seconds": seconds, "upload_seconds": uploaded, "cpu": cpu, "system": system, "faults": faults,
                "batch": batch, "lags": lags}

    def stop(self) -> list[float | None]:
        rss = [peak_rss_mb(p.pid) for p in self.worker_procs]
        for p in self.procs:
            p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=90)
            except subprocess.TimeoutExpired:
                p.kill()
        return rss


def paired_run(stack, files: list[Path], workers: int, threads: int, rotations: dict[str, int] | None, port: int,
               logs: Path, chunk: int, worker_env: dict[str, str] | None = None) -> dict:
    """The raw engine and the pipeline over the same pages, ``chunk`` pages at a time in turn (raw
    chunk, then the same pages as a pipeline job), so a machine that changes speed from minute to
    minute changes both sides alike; ``chunk`` 0: all the pages at once, raw first."""
    pool = RawPool(workers, threads, rotations)
    try:
        procs = PipelineProcs(stack, workers, port, logs, worker_env)
    except BaseException:
        pool.close()
        raise
    size = chunk or len(files)
    raw_s = raw_cpu = raw_sys = pipe_s = upload_s = 0.0
    raw_faults, system, faults, lags = 0, {}, {}, []
    chars, cpu, stage_sum, stage_n, chunks, chunk_cpu = 0, {}, {}, {}, [], []
    done = failed = rescan = 0
    load_before = _loadavg()
    try:
        for i in range(0, len(files), size):
            part = files[i:i + size]
            raw = pool.run(part)
            job = procs.job(part)
            raw_s, raw_cpu, chars, pipe_s = raw_s + raw["seconds"], raw_cpu + raw["cpu_seconds"], chars + raw["chars"], pipe_s + job["seconds"]
            upload_s += job["upload_seconds"]
            raw_sys, raw_faults = raw_sys + raw["system_seconds"], raw_faults + raw["minor_faults"]
            for name, seconds in job["cpu"].items():
                cpu[name] = cpu.get(name, 0.0) + seconds
                system[name] = system.get(name, 0.0) + job["system"][name]
                faults[name] = faults.get(name, 0) + job["faults"][name]
            batch = job["batch"]
            done, failed, rescan = done + batch["pages_done"], failed + batch["pages_failed"], rescan + batch["pages_rescan"]
            for stage, mean in batch["stage_means"].items():
                stage_sum[stage] = stage_sum.get(stage, 0.0) + mean * len(part)
                stage_n[stage] = stage_n.get(stage, 0) + len(part)
            chunks.append(round(job["seconds"] / raw["seconds"], 3))
            chunk_cpu.append({name: round(seconds / len(part), 3) for name, seconds in job["cpu"].items()})
            lags.append(job["lags"])
            print(f"  pages {i + 1}–{i + len(part)}: raw {raw['seconds']:.1f} s, pipeline {job['seconds']:.1f} s "
                  f"(× {chunks[-1]}; the station's upload {job['upload_seconds']:.1f} s of it; first page "
                  f"{job['lags']['to_first_page']} s after the job command)", flush=True)
    finally:
        rss = procs.stop()
        pool.close()
    n = len(files)
    raw_result = {"processes": workers, "threads": threads, "seconds": round(raw_s, 2),
                  "pages_per_second": round(n / raw_s, 3), "seconds_per_page": round(raw_s / n, 3), "chars": chars,
                  "cpu_seconds_per_page": round(raw_cpu / n, 3), "system_seconds_per_page": round(raw_sys / n, 3),
                  "minor_faults_per_page": round(raw_faults / n), "loadavg_before": load_before}
    return {"workers": workers, "seconds": round(pipe_s, 2), "pages_per_second": round(n / pipe_s, 3),
            "pages_done": done, "pages_failed": failed, "pages_rescan": rescan,
            "stage_means_seconds": {k: round(v / stage_n[k], 3) for k, v in sorted(stage_sum.items())},
            "cpu_seconds_per_page": {k: round(v / n, 3) for k, v in cpu.items()},
            # Of that CPU, the system's share, and the minor page faults behind most of it.
            "system_seconds_per_page": {k: round(v / n, 3) for k, v in system.items()},
            "minor_faults_per_page": {k: round(v / n) for k, v in faults.items()},
            "peak_worker_rss_mb": rss, "chunk_pages": size, "chunk_ratios": chunks,
            "chunk_cpu_seconds_per_page": chunk_cpu, "chunk_lags_seconds": lags, "raw_engine": raw_result,
            "overhead_ratio_vs_raw_engine": round(pipe_s / raw_s, 3),
            # The station's upload (before the job command, 4 files at a time) is in the pipeline's time
            # above; a station uploads while it scans, so the time from the job command is given too.
            "station_upload_seconds": round(upload_s, 2),
            "overhead_ratio_from_job_command": round((pipe_s - upload_s) / raw_s, 3)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--pages-dir", type=Path, help="Reuse page images from this folder (pagegen output).")
    parser.add_argument("--workers", default="1,2", help="Worker counts to run, comma-separated.")
    parser.add_argument("--port-base", type=int, default=int(os.environ.get("JZ_BENCH_PORT_BASE", "27950")))
    parser.add_argument("--rounds", type=int, default=1,
                        help="Raw engine then pipeline, this many times per worker count (ratios per round).")
    parser.add_argument("--chunk", type=int, default=40,
                        help="Pages per turn: raw engine and pipeline alternate this many pages at a time (0: all "
                             "pages raw, then all through the pipeline).")
    parser.add_argument("--as-scanned", action="store_true",
                        help="Also time the raw engine on the pages as scanned (not turned upright).")
    parser.add_argument("--worker-env", action="append", default=[], metavar="NAME=VALUE",
                        help="A setting for the OCR workers only (not the raw engine), for A/B runs; repeatable.")
    parser.add_argument("--json", type=Path, help="Write the figures here too.")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="jz-pipeline-bench-"))
    folder = args.pages_dir or work / "pages"
    if args.pages_dir is None:
        t = time.perf_counter()
        _pagegen().make_page_set(folder, args.pages, args.seed)
        print(f"generated {args.pages} pages in {time.perf_counter() - t:.1f} s → {folder}", flush=True)
    files = sorted(p for p in folder.iterdir() if p.name.startswith("page_"))[: args.pages]

    rotations = recipe_rotations(folder)
    raw_as_scanned = None
    if args.as_scanned or not rotations:
        print(f"raw engine on {len(files)} pages as scanned …", flush=True)
        pool = RawPool(1, 2, None)
        try:
            raw = pool.run(files)
        finally:
            pool.close()
        raw_as_scanned = {"processes": 1, "threads": 2, "seconds": round(raw["seconds"], 2),
                          "seconds_per_page": round(raw["seconds"] / len(files), 3),
                          "pages_per_second": round(len(files) / raw["seconds"], 3), "chars": raw["chars"]}
        print(json.dumps(raw_as_scanned), flush=True)
    baseline = "upright" if rotations else "as scanned"

    from juanzong_devstack.pytest_plugin import delete_namespace_queues
    from juanzong_devstack.stack import EmbeddedStack, StackConfig

    base = args.port_base
    stack = EmbeddedStack(StackConfig(data_dir=work / "stack", mongo_port=base, s3_port=base + 1,
                                      weed_port_base=base + 10, service_port_base=base + 30,
                                      namespace="jzb" + uuid.uuid4().hex[:8], log_level="WARNING",
                                      db_user_per_service=False))
    stack.start_infra()
    runs = []
    try:
        for n in [int(x) for x in args.workers.split(",") if x.strip()]:
            threads = max(1, 2 // n)
            for round_ in range(1, args.rounds + 1):
                # Side by side: the raw engine in as many processes as there are workers, with the
                # same threads each, in turn with the pipeline chunk by chunk, so both see the same machine.
                print(f"raw engine ({n} process(es) × {threads} thread(s), {baseline}) and pipeline with {n} "
                      f"worker(s), {args.chunk or len(files)} pages at a time, round {round_} …", flush=True)
                run = paired_run(stack, files, n, threads, rotations or None, base + 40 + n, work, args.chunk,
                                 dict(kv.split("=", 1) for kv in args.worker_env))
                run.update(round=round_)
                print(json.dumps(run["raw_engine"]), flush=True)
                # The same split inside the worker: everything but the engine call, over the engine call.
                stages = run["stage_means_seconds"]
                if stages.get("ocr"):
                    non_engine = sum(v for k, v in stages.items() if k not in ("ocr", "page"))
                    run["non_engine_share_in_worker"] = round(non_engine / stages["ocr"], 3)
                    # A worker holds 2 pages (JZ_WORKER_PREFETCH): loading and storing overlap the other
                    # page's CPU work, so what is left of the wall beyond the CPU stages is the real cost.
                    cpu = sum(v for k, v in stages.items() if k not in ("load", "store", "page"))
                    run["cpu_stages_seconds_per_page"] = round(cpu, 3)
                    run["wall_beyond_cpu_stages_per_page"] = round(run["seconds"] * n / len(files) - cpu, 3)
                run["loadavg_after"] = _loadavg()
                print(json.dumps(run, ensure_ascii=False), flush=True)
                runs.append(run)
    finally:
        stack.down()
        delete_namespace_queues(stack.config.namespace)
    result = {"pages": len(files), "cpus": os.cpu_count(), "raw_engine_baseline": baseline,
              "raw_engine_as_scanned": raw_as_scanned, "pipeline": runs,
              "command": " ".join([Path(sys.executable).name, *sys.argv])}
    print()
    print(f"{'run':<34}{'seconds':>9}{'pages/s':>9}{'s/page':>8}{'× raw':>8}{'from job':>10}{'peak RSS MB':>13}")
    if raw_as_scanned:
        r0 = raw_as_scanned
        print(f"{'raw engine, 1×2, as scanned':<34}{r0['seconds']:>9}{r0['pages_per_second']:>9}"
              f"{r0['seconds_per_page']:>8}{'':>8}{'':>10}{'-':>13}")
    for run in runs:
        raw, n = run["raw_engine"], run["workers"]
        label = f"{n}×{raw['threads']}, round {run['round']}"
        print(f"{'raw engine, ' + label:<34}{raw['seconds']:>9}{raw['pages_per_second']:>9}"
              f"{raw['seconds_per_page']:>8}{1.0:>8}{'':>10}{'-':>13}")
        print(f"{'pipeline, ' + label:<34}{run['seconds']:>9}{run['pages_per_second']:>9}"
              f"{run['seconds'] / len(files):>8.3f}{run['overhead_ratio_vs_raw_engine']:>8}"
              f"{run['overhead_ratio_from_job_command']:>10}"
              f"{max(r or 0 for r in run['peak_worker_rss_mb']):>13}")
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
