"""Offline helpers for the deployment tests.

A small kustomize renderer (no kustomize binary): it reads ``kustomization.yaml`` resources (files and
directories), strategic-merge patches (by name, or applied to every resource a ``target`` selects,
``$patch: delete`` included) and the ``images`` transformer. Anything else in a kustomization is refused
loudly, so a manifest that relies on a feature this renderer lacks fails the tests instead of being
validated half-rendered. When ``kubectl`` is on the PATH, a test compares its output with ``kubectl
kustomize``.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"

SERVICES = ("intake", "scan-ocr", "catalog", "archive", "access-control", "notifier")

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
SUPPORTED_FIELDS = {"apiVersion", "kind", "resources", "patches", "patchesStrategicMerge", "images"}

# Lists of built-in kinds that strategic merge merges element by element, by this key (the
# patchMergeKey of the Kubernetes API). Any other list is replaced, as it is for custom resources.
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "imagePullSecrets": "name",
    "topologySpreadConstraints": "topologyKey",
    "hostAliases": "ip",
}
BUILTIN_GROUPS = {"", "apps", "batch", "policy", "autoscaling"}


class KustomizeError(Exception):
    """The kustomization uses something this renderer does not support, or is inconsistent."""


def load_docs(path: Path) -> list[Any]:
    with path.open(encoding="utf-8") as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc is not None]


def group_of(api_version: str) -> str:
    return api_version.split("/", 1)[0] if "/" in api_version else ""


def is_builtin(resource: dict) -> bool:
    group = group_of(resource.get("apiVersion", ""))
    return group in BUILTIN_GROUPS or group.endswith(".k8s.io")


def resource_id(resource: dict) -> tuple[str, str, str, str]:
    meta = resource.get("metadata") or {}
    return (group_of(resource["apiVersion"]), resource["kind"], meta.get("namespace", ""), meta["name"])


def _kustomization_file(directory: Path) -> Path:
    for name in KUSTOMIZATION_FILES:
        if (directory / name).is_file():
            return directory / name
    raise KustomizeError(f"no kustomization file in {directory}")


# ---- strategic merge -------------------------------------------------------------------------------


def _merge_key(path: tuple[str, ...], kind: str, builtin: bool) -> str | None:
    if not builtin or not path:
        return None
    field = path[-1]
    if field == "ports":
        if len(path) >= 3 and path[-3] in ("containers", "initContainers", "ephemeralContainers"):
            return "containerPort"
        if kind == "Service" and path == ("spec", "ports"):
            return "port"
        return None
    return MERGE_KEYS.get(field)


def strategic_merge(base: Any, patch: Any, *, kind: str, builtin: bool, path: tuple[str, ...] = ()) -> Any:
    """Merge ``patch`` into ``base`` the way kustomize's strategic merge does for the cases we use."""
    if not isinstance(patch, dict) or not isinstance(base, dict):
        return copy.deepcopy(patch)
    directive = patch.get("$patch")
    if directive == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    if directive not in (None, "merge"):
        raise KustomizeError(f"unsupported $patch: {directive} at {'/'.join(path)}")
    result = copy.deepcopy(base)
    for key, value in patch.items():
        if key.startswith("$"):
            if key == "$patch":
                continue
            raise KustomizeError(f"unsupported directive {key} at {'/'.join(path)}")
        if value is None:
            result.pop(key, None)
        elif key in result and isinstance(result[key], dict) and isinstance(value, dict):
            result[key] = strategic_merge(result[key], value, kind=kind, builtin=builtin, path=path + (key,))
        elif key in result and isinstance(result[key], list) and isinstance(value, list):
            result[key] = _merge_list(result[key], value, kind=kind, builtin=builtin, path=path + (key,))
        else:
            result[key] = copy.deepcopy(value)
    return result


def _merge_list(base: list, patch: list, *, kind: str, builtin: bool, path: tuple[str, ...]) -> list:
    key = _merge_key(path, kind, builtin)
    if key is None or not all(isinstance(item, dict) for item in base + patch):
        if any(isinstance(item, dict) and "$patch" in item for item in patch):
            raise KustomizeError(f"$patch inside a list without a merge key at {'/'.join(path)}")
        return copy.deepcopy(patch)
    result = copy.deepcopy(base)
    for item in patch:
        if key not in item:
            raise KustomizeError(f"list element without merge key {key!r} at {'/'.join(path)}")
        index = next((i for i, existing in enumerate(result) if existing.get(key) == item[key]), None)
        if item.get("$patch") == "delete":
            if index is not None:
                del result[index]
        elif index is None:
            result.append({k: copy.deepcopy(v) for k, v in item.items() if k != "$patch"})
        else:
            result[index] = strategic_merge(
                result[index], item, kind=kind, builtin=builtin, path=path + ("[]",)
            )
    return result


# ---- targets and images ------------------------------------------------------------------------------


def _labels_match(labels: dict, selector: str) -> bool:
    for term in (t.strip() for t in selector.split(",") if t.strip()):
        if "!=" in term:
            name, value = (s.strip() for s in term.split("!=", 1))
            if labels.get(name) == value:
                return False
        elif "=" in term:
            name, value = (s.strip() for s in term.split("=", 1))
            if labels.get(name.rstrip("=")) != value.lstrip("="):
                return False
        elif term.startswith("!"):
            if term[1:] in labels:
                return False
        elif term not in labels:
            return False
    return True


def matches_target(resource: dict, target: dict) -> bool:
    unknown = set(target) - {"group", "version", "kind", "name", "namespace", "labelSelector"}
    if unknown:
        raise KustomizeError(f"unsupported target fields: {sorted(unknown)}")
    api = resource["apiVersion"]
    version = api.split("/", 1)[1] if "/" in api else api
    meta = resource.get("metadata") or {}
    checks = {
        "group": group_of(api),
        "version": version,
        "kind": resource["kind"],
        "name": meta.get("name", ""),
        "namespace": meta.get("namespace", ""),
    }
    for field, actual in checks.items():
        if field in target and not re.fullmatch(target[field], actual):
            return False
    return "labelSelector" not in target or _labels_match(meta.get("labels") or {}, target["labelSelector"])


def _split_image(image: str) -> tuple[str, str | None, str | None]:
    name, _, digest = image.partition("@")
    tag = None
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        name, tag = name.rsplit(":", 1)
    return name, tag, digest or None


def _set_images(node: Any, images: list[dict]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("containers", "initContainers") and isinstance(value, list):
                for container in value:
                    if isinstance(container, dict) and isinstance(container.get("image"), str):
                        container["image"] = _new_image(container["image"], images)
            _set_images(value, images)
    elif isinstance(node, list):
        for item in node:
            _set_images(item, images)


def _new_image(image: str, images: list[dict]) -> str:
    name, tag, digest = _split_image(image)
    for entry in images:
        unknown = set(entry) - {"name", "newName", "newTag", "digest"}
        if unknown:
            raise KustomizeError(f"unsupported image fields: {sorted(unknown)}")
        if entry["name"] != name:
            continue
        new_name = entry.get("newName", name)
        if "digest" in entry:
            return f"{new_name}@{entry['digest']}"
        new_tag = entry.get("newTag", tag)
        result = new_name + (f":{new_tag}" if new_tag else "")
        return result + (f"@{digest}" if digest and "newTag" not in entry else "")
    return image


# ---- the renderer ------------------------------------------------------------------------------------


def _apply_patch(resources: list[dict], patch: Any, target: dict | None, origin: str) -> list[dict]:
    if not isinstance(patch, dict):
        raise KustomizeError(f"{origin}: only strategic-merge patches are supported (got a JSON 6902 list)")
    if target is not None:
        matched = [r for r in resources if matches_target(r, target)]
    else:
        meta = patch.get("metadata") or {}
        wanted_ns = meta.get("namespace")
        matched = [
            r
            for r in resources
            if r["kind"] == patch.get("kind")
            and group_of(r["apiVersion"]) == group_of(patch.get("apiVersion", ""))
            and r["metadata"]["name"] == meta.get("name")
            and (wanted_ns is None or r["metadata"].get("namespace") == wanted_ns)
        ]
        if len(matched) != 1:
            raise KustomizeError(f"{origin}: patch matches {len(matched)} resources, expected exactly one")
    if not matched:
        raise KustomizeError(f"{origin}: target matches no resource")
    body = copy.deepcopy(patch)
    if target is not None:
        # Under a target the patch's own identity is ignored; it is merged into each match.
        for field in ("apiVersion", "kind"):
            body.pop(field, None)
        meta = body.get("metadata") or {}
        meta.pop("name", None)
        meta.pop("namespace", None)
        if not meta:
            body.pop("metadata", None)
    out = []
    for resource in resources:
        if not any(resource is m for m in matched):
            out.append(resource)
        elif body.get("$patch") == "delete":
            continue
        else:
            merged = strategic_merge(resource, body, kind=resource["kind"], builtin=is_builtin(resource))
            out.append(merged)
    return out


def render_kustomization(directory: Path | str) -> list[dict]:
    """Render the kustomization in ``directory`` to its list of resources."""
    directory = Path(directory)
    spec = load_docs(_kustomization_file(directory))
    if len(spec) != 1 or not isinstance(spec[0], dict):
        raise KustomizeError(f"{directory}: a kustomization is one mapping")
    spec = spec[0]
    unknown = set(spec) - SUPPORTED_FIELDS
    if unknown:
        raise KustomizeError(f"{directory}: unsupported kustomization fields {sorted(unknown)}")

    resources: list[dict] = []
    for entry in spec.get("resources") or []:
        path = (directory / entry).resolve()
        if path.is_dir():
            resources.extend(render_kustomization(path))
        elif path.is_file():
            for doc in load_docs(path):
                if not isinstance(doc, dict) or not {"apiVersion", "kind", "metadata"} <= set(doc):
                    raise KustomizeError(f"{path}: not a Kubernetes object")
                resources.append(doc)
        else:
            raise KustomizeError(f"{directory}: resource {entry!r} not found (remote resources unsupported)")
    seen: set = set()
    for resource in resources:
        rid = resource_id(resource)
        if rid in seen:
            raise KustomizeError(f"{directory}: duplicate resource {rid}")
        seen.add(rid)

    patch_specs = [({"path": p}, True) for p in spec.get("patchesStrategicMerge") or []]
    patch_specs += [(p, False) for p in spec.get("patches") or []]
    for item, legacy in patch_specs:
        unknown = set(item) - {"path", "patch", "target"}
        if unknown:
            raise KustomizeError(f"{directory}: unsupported patch fields {sorted(unknown)}")
        if "path" in item:
            docs = load_docs(directory / item["path"])
            origin = str(directory / item["path"])
        else:
            docs = [doc for doc in yaml.safe_load_all(item["patch"]) if doc is not None]
            origin = f"{directory}: inline patch"
        if len(docs) != 1 and not legacy:
            # kustomize 5 rejects (or crashes on) several documents in one `patches` entry.
            raise KustomizeError(f"{origin}: one patch document per `patches` entry")
        for doc in docs:
            resources = _apply_patch(resources, doc, item.get("target"), origin)

    if spec.get("images"):
        for resource in resources:
            _set_images(resource, spec["images"])
    return resources


def kustomization_dirs() -> dict[str, Path]:
    """The base and every overlay, by short name."""
    found = {"base": K8S / "base"}
    overlays = K8S / "overlays"
    if overlays.is_dir():
        for child in sorted(overlays.iterdir()):
            if any((child / name).is_file() for name in KUSTOMIZATION_FILES):
                found[child.name] = child
    return found


def by_kind(resources: list[dict], kind: str) -> list[dict]:
    return [r for r in resources if r["kind"] == kind]


def find(resources: list[dict], kind: str, name: str) -> dict | None:
    return next((r for r in resources if r["kind"] == kind and r["metadata"]["name"] == name), None)


def selector_matches(selector: dict | None, labels: dict) -> bool:
    """A LabelSelector (matchLabels and matchExpressions) against a label set; empty matches all."""
    selector = selector or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


_CACHE: dict[str, list[dict]] = {}


def rendered(name: str) -> list[dict]:
    if name not in _CACHE:
        _CACHE[name] = render_kustomization(kustomization_dirs()[name])
    return copy.deepcopy(_CACHE[name])


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(params=sorted(kustomization_dirs()))
def kustomization(request) -> tuple[str, list[dict]]:
    """(name, rendered resources) for the base and each overlay."""
    return request.param, rendered(request.param)


@pytest.fixture(scope="session")
def kz():
    """This module's helpers for the test modules (with --import-mode=importlib a conftest is not importable)."""
    import types

    return types.SimpleNamespace(**{k: v for k, v in globals().items() if not k.startswith("_")})
