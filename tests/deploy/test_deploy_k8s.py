"""deploy/k8s, rendered offline with the renderer in conftest.py and validated against the Kubernetes JSON
schemas shipped by kubernetes-validate; the KEDA custom resources are checked by hand."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess

import pytest
import yaml

pytestmark = pytest.mark.unit

SERVICES = ("intake", "scan-ocr", "catalog", "archive", "access-control", "notifier")
WORKER = "scan-ocr-worker"
NAMESPACE = "juanzong"
DATA_NAMESPACE = "juanzong-data"
OCR_QUEUE = "juanzong.scan-ocr.pages"
MIN_K8S = "1.29"
NO_SCHEMAS = "kubernetes-validate==1.37.0 (the offline Kubernetes JSON schemas) is not installed"
CRD_KINDS = {("keda.sh", "ScaledObject"), ("keda.sh", "TriggerAuthentication")}
COMMON_SETTINGS = {
    "JZ_AMQP_URL",
    "JZ_MONGO_URL",
    "JZ_S3_ENDPOINT",
    "JZ_S3_ACCESS_KEY",
    "JZ_S3_SECRET_KEY",
    "JZ_S3_SECURE",
    "JZ_LOG_LEVEL",
    "JZ_JWT_JWKS_URL",
    "JZ_JWT_ISSUER",
    "JZ_JWT_AUDIENCE",
    "JZ_ACCESS_CONTROL_URL",
    "JZ_PUBLIC_BASE_URL",
}
SERVICE_SETTINGS = {
    "archive": {"JZ_ARCHIVE_SEAL_P12_FILE", "JZ_ARCHIVE_SEAL_P12_PASSWORD"},
    "access-control": {"JZ_ACCESS_SIGNING_KEY_FILE"},
    "notifier": {
        "JZ_NOTIFIER_SMTP_HOST",
        "JZ_NOTIFIER_SMTP_PORT",
        "JZ_NOTIFIER_SMTP_USER",
        "JZ_NOTIFIER_SMTP_PASSWORD",
    },
}
# Where each service may connect: the operators' pods in juanzong-data (labels as in deploy/README.md),
# access-control in our namespace, and cluster DNS.
ENDPOINTS = {
    "rabbitmq": (
        {"kubernetes.io/metadata.name": DATA_NAMESPACE},
        {"app.kubernetes.io/name": "juanzong-rabbitmq"},
        {5672},
    ),
    "mongodb": ({"kubernetes.io/metadata.name": DATA_NAMESPACE}, {"app": "juanzong-mongodb-svc"}, {27017}),
    "minio": (
        {"kubernetes.io/metadata.name": DATA_NAMESPACE},
        {"v1.min.io/tenant": "juanzong-minio"},
        {9000},
    ),
    "access-control": (
        None,
        {
            "app.kubernetes.io/name": "access-control",
            "app.kubernetes.io/part-of": "juanzong",
            "app.kubernetes.io/component": "api",
        },
        {8000},
    ),
    "dns": ({"kubernetes.io/metadata.name": "kube-system"}, {"k8s-app": "kube-dns"}, {53}),
    "catalog": (
        None,
        {
            "app.kubernetes.io/name": "catalog",
            "app.kubernetes.io/part-of": "juanzong",
            "app.kubernetes.io/component": "api",
        },
        {8000},
    ),
}
# Service-to-service calls on a service's own account (issue 20 item 12: each reaches only what it needs):
# archive reads catalog's compiled dossier. The callee admits exactly its callers.
CALLS = {"archive": {"catalog"}}
CALLERS = {"catalog": {"archive"}, "access-control": set(SERVICES) - {"access-control"}}
SOURCES = {
    "ingress-controller": ({"kubernetes.io/metadata.name": "ingress-nginx"}, {}),
    "prometheus": ({"kubernetes.io/metadata.name": "monitoring"}, {"app.kubernetes.io/name": "prometheus"}),
}


# ---- helpers ------------------------------------------------------------------------------------------


def deployments(resources):
    return [r for r in resources if r["kind"] == "Deployment"]


def pod_labels(deployment):
    return deployment["spec"]["template"]["metadata"]["labels"]


def containers(deployment):
    return deployment["spec"]["template"]["spec"]["containers"]


def peer_matches(peer, namespace_labels, pod_labels_, kz, same_namespace):
    """Whether a NetworkPolicyPeer admits pods with these labels in a namespace with these labels."""
    if "ipBlock" in peer:
        return False
    if "namespaceSelector" in peer:
        if namespace_labels is None or not kz.selector_matches(peer["namespaceSelector"], namespace_labels):
            return False
    elif not same_namespace:
        return False
    return kz.selector_matches(peer.get("podSelector"), pod_labels_)


def classify_egress_peer(peer, kz):
    """The endpoint names a peer can reach. A peer that selects nothing known reaches 'unknown'."""
    if "ipBlock" in peer:
        return {"external"}
    reached = set()
    for name, (ns_labels, labels, _) in ENDPOINTS.items():
        same = ns_labels is None
        ns = {"kubernetes.io/metadata.name": NAMESPACE} if same else ns_labels
        if peer_matches(peer, ns, labels, kz, same_namespace=same):
            reached.add(name)
    # A peer that also admits pods other than the known endpoint is too wide.
    wide_pod = {"app.kubernetes.io/name": "something-else"}
    for ns in (
        {"kubernetes.io/metadata.name": DATA_NAMESPACE},
        {"kubernetes.io/metadata.name": "kube-system"},
    ):
        if peer_matches(peer, ns, wide_pod, kz, same_namespace=False):
            reached.add("unknown")
    if peer_matches(peer, {"kubernetes.io/metadata.name": NAMESPACE}, wide_pod, kz, same_namespace=True):
        reached.add("unknown")
    return reached or {"unknown"}


def policies_for(resources, deployment, kz):
    labels = pod_labels(deployment)
    return [
        p
        for p in resources
        if p["kind"] == "NetworkPolicy" and kz.selector_matches(p["spec"]["podSelector"], labels)
    ]


def with_secret_templates(resources, kz):
    """The overlay's resources plus the base's Secret templates it leaves out: production ships no Secrets,
    they are created out of band with the keys of the templates."""
    present = {r["metadata"]["name"] for r in resources if r["kind"] == "Secret"}
    templates = [
        r for r in kz.rendered("base") if r["kind"] == "Secret" and r["metadata"]["name"] not in present
    ]
    return resources + templates


def env_names(deployment, resources):
    """Every variable a Deployment's first container gets, with referenced ConfigMaps/Secrets resolved."""
    container = containers(deployment)[0]
    names = {e["name"] for e in container.get("env", [])}
    for source in container.get("envFrom", []):
        ref = source.get("configMapRef") or source.get("secretRef")
        kind = "ConfigMap" if "configMapRef" in source else "Secret"
        obj = next((r for r in resources if r["kind"] == kind and r["metadata"]["name"] == ref["name"]), None)
        assert obj is not None, f"{deployment['metadata']['name']} reads missing {kind} {ref['name']}"
        names |= set(obj.get("data") or {}) | set(obj.get("stringData") or {})
    return names


def env_value(deployment, resources, name):
    container = containers(deployment)[0]
    for source in container.get("envFrom", []):
        ref = source.get("configMapRef") or source.get("secretRef")
        kind = "ConfigMap" if "configMapRef" in source else "Secret"
        obj = next(r for r in resources if r["kind"] == kind and r["metadata"]["name"] == ref["name"])
        data = {**(obj.get("data") or {}), **(obj.get("stringData") or {})}
        if name in data:
            return data[name]
    return None


# ---- the renderer itself ------------------------------------------------------------------------------


def write(path, docs):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False))


def test_renderer_merges_patches_like_kustomize(tmp_path, kz):
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "x", "labels": {"tier": "api"}},
        "spec": {
            "replicas": 3,
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "app",
                            "image": "acme/web:1",
                            "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                        },
                        {"name": "side", "image": "acme/side:1"},
                    ]
                }
            },
        },
    }
    other = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "gone", "namespace": "x"},
        "data": {"k": "v"},
    }
    scaled = {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": {"name": "web", "namespace": "x"},
        "spec": {"triggers": [{"type": "cpu"}, {"type": "rabbitmq"}]},
    }
    write(tmp_path / "base/all.yaml", [deployment, other, scaled])
    write(tmp_path / "base/kustomization.yaml", [{"resources": ["all.yaml"]}])
    write(
        tmp_path / "ov/p1.yaml",
        [
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "web"},
                "spec": {
                    "replicas": None,
                    "template": {
                        "spec": {
                            "containers": [
                                {
                                    "name": "app",
                                    "env": [
                                        {"name": "B", "value": "20"},
                                        {"name": "C", "value": "3"},
                                        {"name": "A", "$patch": "delete"},
                                    ],
                                }
                            ]
                        }
                    },
                },
            }
        ],
    )
    write(
        tmp_path / "ov/p2.yaml",
        [{"$patch": "delete", "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "gone"}}],
    )
    write(
        tmp_path / "ov/p3.yaml",
        [
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "whatever"},
                "spec": {"minReadySeconds": 7},
            }
        ],
    )
    write(
        tmp_path / "ov/p4.yaml",
        [
            {
                "apiVersion": "keda.sh/v1alpha1",
                "kind": "ScaledObject",
                "metadata": {"name": "web"},
                "spec": {"triggers": [{"type": "rabbitmq"}]},
            }
        ],
    )
    write(
        tmp_path / "ov/kustomization.yaml",
        [
            {
                "resources": ["../base"],
                "images": [{"name": "acme/web", "newName": "reg.example/web", "newTag": "2"}],
                "patches": [
                    {"path": "p1.yaml"},
                    {"path": "p2.yaml"},
                    {"path": "p4.yaml"},
                    {"path": "p3.yaml", "target": {"kind": "Deployment", "labelSelector": "tier=api"}},
                ],
            }
        ],
    )
    out = kz.render_kustomization(tmp_path / "ov")
    assert [r["kind"] for r in out] == ["Deployment", "ScaledObject"]
    web = out[0]
    assert "replicas" not in web["spec"] and web["spec"]["minReadySeconds"] == 7
    assert web["metadata"]["name"] == "web", "a targeted patch keeps the target's name"
    app, side = web["spec"]["template"]["spec"]["containers"]
    assert app["image"] == "reg.example/web:2" and side["image"] == "acme/side:1"
    assert app["env"] == [{"name": "B", "value": "20"}, {"name": "C", "value": "3"}]
    assert out[1]["spec"]["triggers"] == [{"type": "rabbitmq"}], "custom resources' lists are replaced"


def test_renderer_refuses_what_it_does_not_understand(tmp_path, kz):
    write(tmp_path / "a.yaml", [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}])
    write(tmp_path / "kustomization.yaml", [{"resources": ["a.yaml"], "namePrefix": "x-"}])
    with pytest.raises(kz.KustomizeError, match="namePrefix"):
        kz.render_kustomization(tmp_path)
    write(tmp_path / "kustomization.yaml", [{"resources": ["a.yaml"], "patches": [{"path": "p.yaml"}]}])
    write(tmp_path / "p.yaml", [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "nope"}}])
    with pytest.raises(kz.KustomizeError, match="matches 0"):
        kz.render_kustomization(tmp_path)


@pytest.mark.skipif(
    not (shutil.which("kubectl") or shutil.which("kustomize")), reason="no kubectl or kustomize"
)
def test_renderer_agrees_with_kubectl_kustomize(kustomization, kz):
    name, ours = kustomization
    path = kz.kustomization_dirs()[name]
    cmd = (
        ["kubectl", "kustomize", str(path)] if shutil.which("kubectl") else ["kustomize", "build", str(path)]
    )
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=120).stdout
    theirs = {kz.resource_id(r): r for r in yaml.safe_load_all(out) if r}
    mine = {kz.resource_id(r): r for r in ours}
    assert set(mine) == set(theirs)
    for rid, resource in mine.items():
        assert json.dumps(resource, sort_keys=True) == json.dumps(theirs[rid], sort_keys=True), rid


# ---- every manifest ----------------------------------------------------------------------------------


def test_base_and_overlays_exist(kz):
    assert {"base", "dev", "production"} <= set(kz.kustomization_dirs())


def test_every_manifest_validates_against_the_kubernetes_schemas(kustomization, kz):
    kubernetes_validate = pytest.importorskip("kubernetes_validate", reason=NO_SCHEMAS)
    from kubernetes_validate import utils

    name, resources = kustomization
    newest = utils.latest_version()
    validated = 0
    for resource in resources:
        if (kz.group_of(resource["apiVersion"]), resource["kind"]) in CRD_KINDS:
            continue
        for version in (MIN_K8S, newest):
            try:
                kubernetes_validate.validate(resource, version, strict=True)
            except kubernetes_validate.ValidationError as error:
                pytest.fail(
                    f"{name}: {resource['kind']}/{resource['metadata']['name']} invalid for "
                    f"{version} at {'/'.join(map(str, error.path))}: {error.message}"
                )
            except utils.SchemaNotFoundError as error:
                pytest.fail(f"{name}: {error.message}")
        validated += 1
    assert validated >= 6 * 5, f"{name}: only {validated} manifests validated"


def test_the_schema_validation_catches_mistakes(kz):
    kubernetes_validate = pytest.importorskip("kubernetes_validate", reason=NO_SCHEMAS)
    deployment = next(r for r in kz.rendered("base") if r["kind"] == "Deployment")
    containers(deployment)[0]["readinesProbe"] = containers(deployment)[0].pop("readinessProbe")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, MIN_K8S, strict=True)


def test_no_kind_escapes_validation(kustomization, kz):
    """Custom resources are only the KEDA ones, which the next test checks by hand."""
    _name, resources = kustomization
    for resource in resources:
        group = kz.group_of(resource["apiVersion"])
        assert kz.is_builtin(resource) or (group, resource["kind"]) in CRD_KINDS, resource["kind"]


def test_everything_lives_in_the_juanzong_namespace(kustomization):
    name, resources = kustomization
    for resource in resources:
        if resource["kind"] == "Namespace":
            assert resource["metadata"]["name"] == NAMESPACE
            assert resource["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
        else:
            assert resource["metadata"].get("namespace") == NAMESPACE, (
                f"{name}: {resource['metadata']['name']}"
            )


def test_keda_objects_have_their_required_fields(kustomization, kz):
    name, resources = kustomization
    scaled = [r for r in resources if r["kind"] == "ScaledObject"]
    if name == "production-without-keda":
        assert not scaled and not [r for r in resources if kz.group_of(r["apiVersion"]) == "keda.sh"]
        return
    assert len(scaled) == 1, f"{name}: one ScaledObject for the OCR workers"
    so = scaled[0]
    assert so["apiVersion"] == "keda.sh/v1alpha1"
    spec = so["spec"]
    target = spec["scaleTargetRef"]
    assert target["name"] == WORKER and target.get("kind", "Deployment") == "Deployment"
    assert kz.find(resources, "Deployment", target["name"]) is not None
    assert isinstance(spec["minReplicaCount"], int) and isinstance(spec["maxReplicaCount"], int)
    assert 0 <= spec["minReplicaCount"] <= spec["maxReplicaCount"]
    if "fallback" in spec:
        assert spec["fallback"]["failureThreshold"] >= 1 and spec["fallback"]["replicas"] >= 1
        assert spec["fallback"]["replicas"] <= spec["maxReplicaCount"]
    triggers = spec["triggers"]
    assert triggers and all(
        isinstance(t.get("type"), str) and isinstance(t.get("metadata"), dict) for t in triggers
    )
    for trigger in triggers:
        assert all(isinstance(v, str) for v in trigger["metadata"].values()), (
            "KEDA metadata values are strings"
        )
    rabbit = [t for t in triggers if t["type"] == "rabbitmq"]
    assert len(rabbit) == 1
    meta = rabbit[0]["metadata"]
    assert meta["queueName"] == OCR_QUEUE and meta["mode"] == "QueueLength"
    assert meta["value"].isdigit() and int(meta["value"]) > 0
    assert meta.get("protocol", "auto") in ("auto", "amqp", "http")
    assert "host" not in meta, "credentials come from the TriggerAuthentication, not the manifest"
    auth = kz.find(resources, "TriggerAuthentication", rabbit[0]["authenticationRef"]["name"])
    assert auth is not None and auth["apiVersion"] == "keda.sh/v1alpha1"
    refs = auth["spec"]["secretTargetRef"]
    assert all({"parameter", "name", "key"} <= set(ref) for ref in refs)
    host = next(ref for ref in refs if ref["parameter"] == "host")
    secret = kz.find(with_secret_templates(resources, kz), "Secret", host["name"])
    assert secret is not None and host["key"] in (secret.get("stringData") or secret.get("data") or {})


# ---- Deployments ---------------------------------------------------------------------------------------


def test_the_six_services_and_the_worker_are_deployed(kustomization):
    _name, resources = kustomization
    assert {d["metadata"]["name"] for d in deployments(resources)} == set(SERVICES) | {WORKER}


def test_every_deployment_is_hardened_with_probes_and_resources(kustomization):
    name, resources = kustomization
    for deployment in deployments(resources):
        dname = deployment["metadata"]["name"]
        pod = deployment["spec"]["template"]["spec"]
        assert kz_selector_covers(deployment), f"{dname}: selector must match the pod labels"
        assert pod["securityContext"]["runAsNonRoot"] is True, dname
        assert pod["securityContext"].get("runAsUser", 1) != 0, dname
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", dname
        assert pod.get("automountServiceAccountToken") is False, dname
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        for container in pod["containers"]:
            where = f"{name}: {dname}/{container['name']}"
            ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
            for probe in ("readinessProbe", "livenessProbe"):
                assert probe in container, f"{where} lacks {probe}"
                http = container[probe]["httpGet"]
                assert http["port"] in ports or http["port"] in ports.values(), f"{where}: {probe} port"
            resources_ = container["resources"]
            for part in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(resources_.get(part, {})), f"{where}: {part}"
            sc = container["securityContext"]
            assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False, where
            assert sc["capabilities"]["drop"] == ["ALL"], where
            tmp = [m for m in container["volumeMounts"] if m["mountPath"] == "/tmp"]
            assert tmp and "emptyDir" in volumes[tmp[0]["name"]], f"{where}: writable /tmp"
            image = container["image"]
            assert ":" in image.rsplit("/", 1)[-1] and not image.endswith(":latest"), f"{where}: pinned image"


def kz_selector_covers(deployment):
    labels = pod_labels(deployment)
    return all(labels.get(k) == v for k, v in deployment["spec"]["selector"]["matchLabels"].items())


def test_api_probes_use_healthz_and_readyz(kustomization):
    _name, resources = kustomization
    for deployment in deployments(resources):
        if deployment["metadata"]["name"] == WORKER:
            continue
        container = containers(deployment)[0]
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert {"containerPort": 8000}.items() <= container["ports"][0].items()


def test_worker_runs_the_worker_module_with_metrics(kustomization):
    _name, resources = kustomization
    worker = next(d for d in deployments(resources) if d["metadata"]["name"] == WORKER)
    container = containers(worker)[0]
    assert container["command"] == ["python", "-m", "juanzong_scan_ocr.entrypoints.worker"]
    assert [p["containerPort"] for p in container["ports"]] == [9100]
    assert container["livenessProbe"]["httpGet"]["path"] == "/metrics"
    scan_ocr = next(d for d in deployments(resources) if d["metadata"]["name"] == "scan-ocr")
    assert container["image"] == containers(scan_ocr)[0]["image"], "workers run the scan-ocr image"


def test_settings_reach_every_service(kustomization, kz):
    name, resources = kustomization
    resources = with_secret_templates(resources, kz)
    for deployment in deployments(resources):
        dname = deployment["metadata"]["name"]
        svc = "scan-ocr" if dname == WORKER else dname
        names = env_names(deployment, resources)
        missing = (COMMON_SETTINGS | SERVICE_SETTINGS.get(svc, set())) - names
        assert not missing, f"{name}: {dname} lacks {sorted(missing)}"
        assert "replicaSet=" in env_value(deployment, resources, "JZ_MONGO_URL"), (
            "transactions need a replica set"
        )
        assert (
            env_value(deployment, resources, "JZ_JWT_JWKS_URL")
            == "http://access-control:8000/.well-known/jwks.json"
        )
        assert env_value(deployment, resources, "JZ_JWT_AUDIENCE") == "juanzong"
    for dname, key, secret in (
        ("archive", "JZ_ARCHIVE_SEAL_P12_FILE", "archive-seal"),
        ("access-control", "JZ_ACCESS_SIGNING_KEY_FILE", "access-control-signing-key"),
    ):
        deployment = next(d for d in deployments(resources) if d["metadata"]["name"] == dname)
        path = env_value(deployment, resources, key)
        mount = next(
            m for m in containers(deployment)[0]["volumeMounts"] if path.startswith(m["mountPath"] + "/")
        )
        assert mount.get("readOnly") is True
        volume = next(
            v for v in deployment["spec"]["template"]["spec"]["volumes"] if v["name"] == mount["name"]
        )
        assert volume["secret"]["secretName"] == secret
        filename = path[len(mount["mountPath"]) + 1 :]
        assert any(item["path"] == filename for item in volume["secret"]["items"])
        assert kz_find_secret_key(
            resources, secret, next(i["key"] for i in volume["secret"]["items"] if i["path"] == filename)
        )
    archive = next(d for d in deployments(resources) if d["metadata"]["name"] == "archive")
    password = next(e for e in containers(archive)[0]["env"] if e["name"] == "JZ_ARCHIVE_SEAL_P12_PASSWORD")
    assert password["valueFrom"]["secretKeyRef"]["name"] == "archive-seal"


def kz_find_secret_key(resources, name, key):
    secret = next((r for r in resources if r["kind"] == "Secret" and r["metadata"]["name"] == name), None)
    return secret is not None and key in {**(secret.get("data") or {}), **(secret.get("stringData") or {})}


def test_secrets_are_templates_with_placeholders(kz):
    for secret in (r for r in kz.rendered("base") if r["kind"] == "Secret"):
        values = dict(secret.get("stringData") or {})
        values.update({k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()})
        assert values, secret["metadata"]["name"]
        for key, value in values.items():
            assert "CHANGE-ME" in value, (
                f"Secret {secret['metadata']['name']}/{key} holds a real-looking value"
            )


@pytest.mark.parametrize("overlay", ["production", "production-without-keda"])
def test_production_ships_no_secrets_and_the_readme_lists_them(overlay, kz, repo):
    """Applying production must never overwrite the real Secrets with the CHANGE-ME templates."""
    assert not [r for r in kz.rendered(overlay) if r["kind"] == "Secret"]
    readme = (repo / "deploy" / "README.md").read_text(encoding="utf-8")
    for secret in (r for r in kz.rendered("base") if r["kind"] == "Secret"):
        if overlay == "production-without-keda" and secret["metadata"]["name"] == "keda-rabbitmq":
            continue
        name = secret["metadata"]["name"]
        assert f"create secret generic {name}" in readme, f"README does not say how to create {name}"
        for key in secret["stringData"]:
            assert key in readme, f"README does not name key {key} of {name}"


def test_dev_carries_the_templates(kz):
    names = {r["metadata"]["name"] for r in kz.rendered("dev") if r["kind"] == "Secret"}
    assert names == {r["metadata"]["name"] for r in kz.rendered("base") if r["kind"] == "Secret"}


# ---- Services, PDBs, NetworkPolicies -----------------------------------------------------------------------


def test_every_deployment_has_a_service_a_pdb_and_a_network_policy(kustomization, kz):
    name, resources = kustomization
    for deployment in deployments(resources):
        dname = deployment["metadata"]["name"]
        labels = pod_labels(deployment)
        ports = {p["name"] for c in containers(deployment) for p in c.get("ports", [])}
        services = [
            s
            for s in resources
            if s["kind"] == "Service"
            and s["spec"].get("selector")
            and all(labels.get(k) == v for k, v in s["spec"]["selector"].items())
        ]
        assert services, f"{name}: no Service for {dname}"
        for service in services:
            assert all(p["targetPort"] in ports for p in service["spec"]["ports"]), dname
        pdbs = [
            p
            for p in resources
            if p["kind"] == "PodDisruptionBudget" and kz.selector_matches(p["spec"]["selector"], labels)
        ]
        assert len(pdbs) == 1, f"{name}: {dname} has {len(pdbs)} PodDisruptionBudgets"
        assert "maxUnavailable" in pdbs[0]["spec"] or "minAvailable" in pdbs[0]["spec"]
        own = [p for p in policies_for(resources, deployment, kz) if p["spec"]["podSelector"]]
        assert own, f"{name}: no NetworkPolicy of its own for {dname}"


def test_namespace_denies_by_default_and_allows_dns(kustomization, kz):
    name, resources = kustomization
    policies = [r for r in resources if r["kind"] == "NetworkPolicy"]
    deny = [
        p
        for p in policies
        if p["spec"]["podSelector"] == {}
        and set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"}
        and not p["spec"].get("ingress")
        and not p["spec"].get("egress")
    ]
    assert deny, f"{name}: no default-deny NetworkPolicy"
    dns = [
        p
        for p in policies
        if p["spec"]["podSelector"] == {}
        and any(
            "dns" in classify_egress_peer(peer, kz)
            for rule in p["spec"].get("egress", [])
            for peer in rule["to"]
        )
    ]
    assert dns, f"{name}: no DNS egress for the namespace"
    for policy in dns:
        for rule in policy["spec"]["egress"]:
            assert {p["port"] for p in rule["ports"]} == {53}


def test_each_service_reaches_only_what_it_needs(kustomization, kz):
    name, resources = kustomization
    for deployment in deployments(resources):
        dname = deployment["metadata"]["name"]
        reached = set()
        for policy in policies_for(resources, deployment, kz):
            if "Egress" not in policy["spec"]["policyTypes"]:
                continue
            for rule in policy["spec"].get("egress", []):
                assert rule.get("to"), f"{name}: {policy['metadata']['name']} allows egress to everywhere"
                assert rule.get("ports"), f"{name}: {policy['metadata']['name']} allows every port"
                ports = {p["port"] for p in rule["ports"]}
                for peer in rule["to"]:
                    kinds = classify_egress_peer(peer, kz)
                    assert "unknown" not in kinds, f"{name}: {dname} egress peer {peer} reaches unknown pods"
                    if "external" in kinds:
                        assert dname == "notifier", f"{name}: {dname} may not leave the cluster"
                        assert ports <= {25, 465, 587, 443}, "the notifier's mail relay and webhooks only"
                        reached.add("external")
                        continue
                    for kind in kinds:
                        assert ports <= ENDPOINTS[kind][2], f"{name}: {dname} -> {kind} on {ports}"
                        reached.add(kind)
        needed = {"rabbitmq", "mongodb", "minio", "dns"}
        if dname not in (WORKER, "access-control"):
            needed.add("access-control")
        assert needed <= reached, f"{name}: {dname} cannot reach {sorted(needed - reached)}"
        needed |= CALLS.get(dname, set())
        allowed = needed | {"external"} if dname == "notifier" else needed | {"access-control"}
        assert reached <= allowed, f"{name}: {dname} reaches {sorted(reached - allowed)}"


def juanzong_pod_labels(name):
    return {"app.kubernetes.io/part-of": "juanzong", "app.kubernetes.io/name": name,
            "app.kubernetes.io/component": "ocr-worker" if name == WORKER else "api"}


def test_ingress_only_from_the_ingress_controller_and_prometheus(kustomization, kz):
    name, resources = kustomization
    stranger_ns = {"kubernetes.io/metadata.name": "default"}
    for deployment in deployments(resources):
        dname = deployment["metadata"]["name"]
        sources = set()
        for policy in policies_for(resources, deployment, kz):
            for rule in (
                policy["spec"].get("ingress", []) if "Ingress" in policy["spec"]["policyTypes"] else []
            ):
                assert rule.get("from"), f"{name}: {policy['metadata']['name']} admits everyone"
                for peer in rule["from"]:
                    assert "ipBlock" not in peer
                    assert not peer_matches(peer, stranger_ns, {}, kz, same_namespace=False), peer
                    matched = {
                        s for s, (ns, labels) in SOURCES.items() if peer_matches(peer, ns, labels, kz, False)
                    }
                    callers = {
                        svc
                        for svc in (*SERVICES, WORKER)
                        if peer_matches(peer, {"kubernetes.io/metadata.name": NAMESPACE},
                                        juanzong_pod_labels(svc), kz, True)
                    }
                    if callers:
                        assert callers <= CALLERS.get(dname, set()), (
                            f"{name}: {dname} admits {sorted(callers - CALLERS.get(dname, set()))}, "
                            "which do not call it"
                        )
                        assert not peer_matches(peer, {"kubernetes.io/metadata.name": NAMESPACE},
                                                {"app.kubernetes.io/part-of": "juanzong",
                                                 "app.kubernetes.io/name": "something-else"}, kz, True), \
                            f"{name}: {dname} admits any Juanzong pod"
                        matched.add("juanzong")
                    assert matched, f"{name}: {dname} admits unknown peer {peer}"
                    sources |= matched
        assert "prometheus" in sources, f"{name}: Prometheus cannot scrape {dname}"
        if dname != WORKER:
            assert "ingress-controller" in sources, f"{name}: {dname} unreachable from the ingress controller"
        else:
            assert sources == {"prometheus"}, "the workers have no API"


# ---- overlays ------------------------------------------------------------------------------------------


def autoscaled(resources):
    targets = {}
    for r in resources:
        if r["kind"] == "HorizontalPodAutoscaler":
            targets.setdefault(r["spec"]["scaleTargetRef"]["name"], []).append("hpa")
        if r["kind"] == "ScaledObject":
            targets.setdefault(r["spec"]["scaleTargetRef"]["name"], []).append("keda")
    return targets


def test_one_autoscaler_per_deployment_and_no_fixed_replicas_beside_it(kustomization):
    name, resources = kustomization
    targets = autoscaled(resources)
    for target, kinds in targets.items():
        assert len(kinds) == 1, f"{name}: {target} is scaled by {kinds}"
        deployment = next(d for d in deployments(resources) if d["metadata"]["name"] == target)
        assert "replicas" not in deployment["spec"], f"{name}: {target} sets replicas beside its autoscaler"
    assert WORKER in targets, f"{name}: nothing scales the OCR workers"


def test_dev_is_one_small_replica_each(kz):
    dev, base = kz.rendered("dev"), kz.rendered("base")
    for deployment in deployments(dev):
        dname = deployment["metadata"]["name"]
        if dname != WORKER:
            assert deployment["spec"]["replicas"] == 1, dname
        base_dep = next(d for d in deployments(base) if d["metadata"]["name"] == dname)
        for part in ("requests", "limits"):
            assert parse_memory(containers(deployment)[0]["resources"][part]["memory"]) <= parse_memory(
                containers(base_dep)[0]["resources"][part]["memory"]
            ), f"{dname} {part}"
    so = next(r for r in dev if r["kind"] == "ScaledObject")
    assert so["spec"]["maxReplicaCount"] <= 2
    assert (
        next(r for r in dev if r["kind"] == "ConfigMap" and r["metadata"]["name"] == "juanzong-common")[
            "data"
        ]["JZ_ENVIRONMENT"]
        == "development"
    )


def parse_memory(value: str) -> int:
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "K": 10**3, "M": 10**6, "G": 10**9}
    for suffix, factor in units.items():
        if value.endswith(suffix):
            return int(float(value[: -len(suffix)]) * factor)
    return int(value)


@pytest.mark.parametrize("overlay", ["production", "production-without-keda"])
def test_production_has_replicas_autoscaling_and_anti_affinity(overlay, kz):
    resources = kz.rendered(overlay)
    hpas = {
        h["spec"]["scaleTargetRef"]["name"]: h for h in resources if h["kind"] == "HorizontalPodAutoscaler"
    }
    for svc in SERVICES:
        assert svc in hpas, f"{overlay}: no HPA for {svc}"
        spec = hpas[svc]["spec"]
        assert spec["minReplicas"] >= 2 and spec["maxReplicas"] > spec["minReplicas"]
        assert any(m["type"] == "Resource" and m["resource"]["name"] == "cpu" for m in spec["metrics"])
    for deployment in deployments(resources):
        dname = deployment["metadata"]["name"]
        terms = deployment["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"]
        selectors = [
            t.get("podAffinityTerm", t)["labelSelector"]
            for key in (
                "preferredDuringSchedulingIgnoredDuringExecution",
                "requiredDuringSchedulingIgnoredDuringExecution",
            )
            for t in terms.get(key, [])
        ]
        assert any(kz.selector_matches(s, pod_labels(deployment)) for s in selectors), f"{overlay}: {dname}"
        for container in containers(deployment):
            assert container["image"].startswith("registry.") and not container["image"].endswith(
                (":dev", ":latest")
            )
    if overlay == "production":
        so = next(r for r in resources if r["kind"] == "ScaledObject")
        assert so["spec"]["minReplicaCount"] >= 2 and so["spec"]["maxReplicaCount"] >= 10
    else:
        worker = hpas[WORKER]["spec"]
        assert worker["minReplicas"] >= 2
        assert any(m["type"] == "Resource" and m["resource"]["name"] == "cpu" for m in worker["metrics"])


def test_readme_documents_operators_and_apply():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "deploy" / "README.md").read_text(encoding="utf-8")
    for needle in (
        "MongoDBCommunity",
        "Tenant",
        "objectLock",
        "RabbitmqCluster",
        "kubectl apply -k",
        "overlays/dev",
        "overlays/production",
        "KEDA",
        "HorizontalPodAutoscaler",
    ):
        assert needle in readme, needle


# ---- per-service credentials (issue 20 items 3, 12) -------------------------------------------------------------


def secret_refs(deployment):
    return [s["secretRef"]["name"] for s in containers(deployment)[0].get("envFrom", []) if "secretRef" in s]


def test_each_service_has_its_own_credentials(kustomization, kz):
    """No Secret of connections is shared: each service (the OCR workers with scan-ocr) gets its own broker,
    database and MinIO user and its own client secret; its database user is scoped to its own database."""
    name, resources = with_secret_templates_named(kustomization, kz)
    owners: dict[str, set[str]] = {}
    for deployment in deployments(resources):
        dname = deployment["metadata"]["name"]
        svc = "scan-ocr" if dname == WORKER else dname
        refs = [r for r in secret_refs(deployment) if r.endswith("-connections")]
        assert refs == [f"{svc}-connections"], f"{name}: {dname} reads {refs}"
        owners.setdefault(refs[0], set()).add(svc)
        db = "juanzong_" + svc.replace("-", "_")
        url = env_value(deployment, resources, "JZ_MONGO_URL")
        assert url.startswith(f"mongodb://{svc}:"), f"{name}: {dname} logs in to MongoDB as someone else: {url}"
        assert f"/{db}?" in url and f"authSource={db}" in url and "replicaSet=" in url, url
        assert f"juanzong-{svc}:" in env_value(deployment, resources, "JZ_AMQP_URL")
        assert env_value(deployment, resources, "JZ_S3_ACCESS_KEY") == f"CHANGE-ME-juanzong-{svc}"
        if svc == "access-control":
            assert env_value(deployment, resources, "JZ_CLIENT_SECRETS_DIR") == "/run/secrets/juanzong/clients"
            volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
            mounts = {m["mountPath"]: m for m in containers(deployment)[0]["volumeMounts"]}
            mount = mounts["/run/secrets/juanzong/clients"]
            assert mount["readOnly"] is True
            assert volumes[mount["name"]]["secret"]["secretName"] == "access-control-clients"
        else:
            assert env_value(deployment, resources, "JZ_CLIENT_ID") == svc
            key = "JZ_ARCHIVE_CLIENT_SECRET" if svc == "archive" else "JZ_CLIENT_SECRET"
            assert "CHANGE-ME" in env_value(deployment, resources, key), f"{dname} has no client secret of its own"
    assert all(len(svcs) == 1 for svcs in owners.values()), owners
    assert len(owners) == len(SERVICES)
    clients = next(r for r in resources if r["kind"] == "Secret" and r["metadata"]["name"] == "access-control-clients")
    assert set(clients["stringData"]) == {f"{c}.secret" for c in
                                          ("intake", "scan-ocr", "catalog", "archive", "notifier", "station-01")}


def with_secret_templates_named(kustomization, kz):
    name, resources = kustomization
    return name, with_secret_templates(resources, kz)


def test_init_jobs_make_one_user_per_service_and_station(kz):
    """mongodb-users gives each service readWrite on its own database only; minio-users gives each service a
    policy over its own buckets and station-01 PutObject/GetObject under juanzong-stations/station-01/ only."""
    resources = kz.rendered("base")
    config = {r["metadata"]["name"]: r for r in resources if r["kind"] == "ConfigMap"}
    script = config["mongodb-users"]["data"]["create-users.js"]
    assert 'roles = [{ role: "readWrite", db: database }]' in script and "root" not in script
    jobs = {r["metadata"]["name"]: r for r in resources if r["kind"] == "Job"}
    assert {"mongodb-users", "minio-users"} <= set(jobs)
    mongo_env = {e["name"]: e for e in jobs["mongodb-users"]["spec"]["template"]["spec"]["containers"][0]["env"]}
    for svc in SERVICES:
        ref = mongo_env[svc.upper().replace("-", "_") + "_MONGO_URL"]["valueFrom"]["secretKeyRef"]
        assert ref == {"name": f"{svc}-connections", "key": "JZ_MONGO_URL"}
    policies = config["minio-users"]["data"]
    for svc in SERVICES:
        policy = json.loads(policies[f"juanzong-{svc}.json"])
        wide = [s for s in policy["Statement"] if s["Effect"] == "Allow" and "arn:aws:s3:::*" in s["Resource"]]
        assert all(s["Action"] == ["s3:ListAllMyBuckets"] for s in wide), f"{svc} may act on every bucket"
    station = json.loads(policies["juanzong-station-01.json"])
    assert station["Statement"] == [{"Effect": "Allow",
                                     "Action": ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"],
                                     "Resource": ["arn:aws:s3:::juanzong-stations/station-01/*"]}]
    script = policies["create-users.sh"]
    for svc in SERVICES:
        assert f"user juanzong-{svc} " in script
    assert "user juanzong-station-01 " in script


def test_init_jobs_reach_only_the_data_stores_and_no_service_reads_the_admin_secret(kz):
    resources = kz.rendered("base")
    policy = next(r for r in resources if r["kind"] == "NetworkPolicy"
                  and r["metadata"]["name"] == "juanzong-data-init")
    assert set(policy["spec"]["policyTypes"]) == {"Ingress", "Egress"} and not policy["spec"].get("ingress")
    reached = {kind for rule in policy["spec"]["egress"] for peer in rule["to"]
               for kind in classify_egress_peer(peer, kz)}
    assert reached == {"mongodb", "minio"}
    for deployment in deployments(resources):
        assert "juanzong-data-admin" not in secret_refs(deployment)
        assert "juanzong-data-admin" not in json.dumps(deployment)


def test_deployments_run_the_images_the_one_dockerfile_builds(kz):
    """Each Deployment runs ``juanzong/<svc>``: the image compose builds from the root Dockerfile with
    ``SERVICE=<svc>``, whose command is the service's own (so the API containers set none)."""
    compose = yaml.safe_load((kz.REPO / "docker-compose.yml").read_text(encoding="utf-8"))["services"]
    built = {}
    for svc in compose.values():
        build = svc.get("build")
        if build:
            assert build["dockerfile"] == "Dockerfile" and set(build["args"]) == {"SERVICE"}, build
            built[svc["image"].split(":")[0]] = build["args"]["SERVICE"]
    resources = kz.rendered("base")
    seen = set()
    for deployment in deployments(resources):
        name = deployment["metadata"]["name"]
        svc = "scan-ocr" if name == WORKER else name
        assert svc in SERVICES, name
        container = containers(deployment)[0]
        repository = container["image"].rsplit(":", 1)[0]
        assert repository == f"juanzong/{svc}", f"{name}: runs {container['image']}"
        assert built.get(repository) == svc, f"{name}: compose does not build {repository} with SERVICE={svc}"
        if name != WORKER:
            assert "command" not in container and "args" not in container, f"{name}: the image's command"
        seen.add(svc)
    assert seen == set(SERVICES)
