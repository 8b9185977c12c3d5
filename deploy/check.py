#!/usr/bin/env python3
"""Checks deploy/kubernetes/*.yaml and the Dockerfile, alone and against each other.

Run through deploy/validate.sh (which makes the pinned venv); from the repository's root:

    deploy/validate.sh              # every check, one line each; exit 1 if any failed
    deploy/validate.sh --self-test  # also: copies of the files, each broken in one way, must fail

What is checked:
- every manifest against the Kubernetes API's schemas (kubernetes-validate, strict: an unknown
  or misspelt field fails, and so does an unknown apiVersion/kind), for each of K8S_VERSIONS;
- kustomization.yaml lists every manifest (and `kubectl kustomize` builds it, where kubectl is);
- the Service, PodDisruptionBudget and HPA select/target the Deployment's pods; the Service's
  targetPort is the container's port; every Secret/ConfigMap key referenced exists;
- config.toml (the ConfigMap): parses (tomllib), uses only keys config.rs knows, holds no secret;
  its `listen` port is the containerPort and the probes' port, probes GET /healthz; the
  termination grace period outlasts drain_ms + shutdown_grace_ms; the memory limit covers
  [engine] cache_max_mb; the pod template's checksum annotation is its sha256;
- the pod's hardening (non-root, read-only root filesystem, no capabilities, seccomp, no
  privilege escalation), the rolling update (maxUnavailable 0), the spread over nodes;
- the Dockerfile (dockerfile-parse): two stages or more, the final one COPYs --from an earlier
  one, runs as the Deployment's non-root uid, EXPOSEs the port, sets WASM_SANDBOX_CACHE_DIR (as
  the Deployment does) and precompiles the engine there; the build stage's Rust is Cargo.toml's
  rust-version; .dockerignore leaves out target/ and .git but not the committed engine.

The crate's own parser is the last word on config.toml: crates/server/tests/deploy_config.rs.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path, PurePosixPath

import yaml
from dockerfile_parse import DockerfileParser
import kubernetes_validate.utils as kv

# The oldest Kubernetes the manifests claim to work on, and the newest the pinned
# kubernetes-validate bundles schemas for. The schemas are inside the package: no network.
K8S_VERSIONS = ("1.30.0", "1.37.0")
APP_LABEL = ("app.kubernetes.io/name", "wasm-sandbox")
CHECKSUM_ANNOTATION = "wasm-sandbox/config-sha256"
# The database's max_connections (Postgres's default) and what to leave for everyone else: the
# replicas at the HPA's maximum must fit in the rest.
PG_MAX_CONNECTIONS = 100
PG_RESERVED = 10
# Beyond [engine] cache_max_mb: the process (~25 MiB idle), in-flight sandboxes, bundling.
MEMORY_HEADROOM_MIB = 512

# The JSON schemas are a few MB each: read each once (validation never changes them).
kv.schema_contents = functools.lru_cache(maxsize=None)(kv.schema_contents)


class Fail(Exception):
    """A check's failure: the message says what is wrong."""


# --------------------------------------------------------------------------------------------
# Loading


class Repo:
    """The files the checks read, under one root (the repository, or a self-test's copy)."""

    def __init__(self, root: Path):
        self.root = root
        self.kdir = root / "deploy" / "kubernetes"
        self.dockerfile = root / "Dockerfile"
        self.dockerignore = root / ".dockerignore"
        self.config_rs = root / "crates" / "server" / "src" / "config.rs"
        self.cargo_toml = root / "Cargo.toml"

    @functools.cached_property
    def manifests(self) -> dict[str, list[dict]]:
        """file name -> its YAML documents (empty ones dropped)."""
        out = {}
        files = sorted(self.kdir.glob("*.yaml")) + sorted(self.kdir.glob("*.yml"))
        if not files:
            raise Fail(f"no manifests in {self.kdir}")
        for f in files:
            try:
                docs = [d for d in yaml.safe_load_all(f.read_text()) if d]
            except yaml.YAMLError as e:
                raise Fail(f"{f.name}: {e}".replace("\n", " "))
            for d in docs:
                if not isinstance(d, dict) or "kind" not in d or "apiVersion" not in d:
                    raise Fail(f"{f.name}: a document without kind/apiVersion")
            out[f.name] = docs
        return out

    def resources(self, kind: str | None = None) -> list[tuple[str, dict]]:
        return [
            (f, d)
            for f, docs in self.manifests.items()
            for d in docs
            if d.get("kind") != "Kustomization" and (kind is None or d.get("kind") == kind)
        ]

    def one(self, kind: str) -> dict:
        found = self.resources(kind)
        if len(found) != 1:
            raise Fail(f"expected one {kind}, found {len(found)}")
        return found[0][1]

    @property
    def deployment(self) -> dict:
        return self.one("Deployment")

    @property
    def container(self) -> dict:
        containers = self.deployment.get("spec", {}).get("template", {}).get("spec", {}).get(
            "containers"
        ) or []
        for c in containers:
            if c.get("name") == "wasm-sandbox":
                return c
        raise Fail("the Deployment has no container named wasm-sandbox")

    @property
    def pod_spec(self) -> dict:
        return self.deployment["spec"]["template"]["spec"]

    @property
    def pod_labels(self) -> dict:
        return self.deployment["spec"]["template"].get("metadata", {}).get("labels") or {}

    @property
    def configmap(self) -> dict:
        return self.one("ConfigMap")

    @functools.cached_property
    def config_text(self) -> str:
        text = (self.configmap.get("data") or {}).get("config.toml")
        if not isinstance(text, str):
            raise Fail("the ConfigMap has no config.toml key")
        return text

    @functools.cached_property
    def config(self) -> dict:
        try:
            return tomllib.loads(self.config_text)
        except tomllib.TOMLDecodeError as e:
            raise Fail(f"config.toml: {e}")

    @property
    def listen_port(self) -> int:
        listen = self.config.get("listen")
        if not isinstance(listen, str):
            raise Fail("config.toml sets no `listen` (the default is loopback only)")
        m = re.fullmatch(r"(?:\[[^\]]+\]|[^:]+):(\d+)", listen)
        if not m:
            raise Fail(f"listen = {listen!r} is not IP:PORT")
        return int(m.group(1))

    @functools.cached_property
    def docker(self) -> "Dockerfile":
        if not self.dockerfile.exists():
            raise Fail(f"no Dockerfile at {self.dockerfile}")
        return Dockerfile(self.dockerfile)


class Dockerfile:
    """The Dockerfile's stages, each a list of (instruction, value), from dockerfile-parse."""

    def __init__(self, path: Path):
        parser = DockerfileParser(path=str(path))
        self.stages: list[dict] = []
        for ins in parser.structure:
            name, value = ins["instruction"].upper(), ins["value"]
            if name == "FROM":
                words = value.split()
                words = [w for w in words if not w.startswith("--platform")]
                alias = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
                self.stages.append({"image": words[0], "alias": alias, "ins": []})
            elif name in ("ARG",) and not self.stages:
                continue
            elif self.stages:
                self.stages[-1]["ins"].append((name, value))
        if not self.stages:
            raise Fail("the Dockerfile has no FROM")

    @property
    def final(self) -> dict:
        return self.stages[-1]

    def envs(self, stage: dict) -> dict[str, str]:
        env = {}
        for name, value in stage["ins"]:
            if name != "ENV":
                continue
            words = shlex.split(value)
            if words and "=" not in words[0]:
                env[words[0]] = " ".join(words[1:])
            else:
                for w in words:
                    k, _, v = w.partition("=")
                    env[k] = v
        return env


# --------------------------------------------------------------------------------------------
# Helpers


def quantity_mib(q) -> float:
    """A Kubernetes memory quantity in MiB."""
    m = re.fullmatch(r"([0-9.]+)(Ki|Mi|Gi|Ti|k|M|G|T)?", str(q))
    if not m:
        raise Fail(f"memory quantity {q!r} not understood")
    factor = {
        None: 1,
        "Ki": 2**10,
        "Mi": 2**20,
        "Gi": 2**30,
        "Ti": 2**40,
        "k": 10**3,
        "M": 10**6,
        "G": 10**9,
        "T": 10**12,
    }[m.group(2)]
    return float(m.group(1)) * factor / 2**20


def quantity_cpu(q) -> float:
    s = str(q)
    return float(s[:-1]) / 1000 if s.endswith("m") else float(s)


def selects(selector: dict, labels: dict) -> bool:
    """Does a label selector (matchLabels/matchExpressions, or a Service's map) pick labels?"""
    if "matchLabels" in selector or "matchExpressions" in selector:
        for k, v in (selector.get("matchLabels") or {}).items():
            if labels.get(k) != v:
                return False
        for e in selector.get("matchExpressions") or []:
            op, k, values = e["operator"], e["key"], e.get("values") or []
            if op == "In" and labels.get(k) not in values:
                return False
            if op == "NotIn" and labels.get(k) in values:
                return False
            if op == "Exists" and k not in labels:
                return False
            if op == "DoesNotExist" and k in labels:
                return False
        return bool(selector.get("matchLabels") or selector.get("matchExpressions"))
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def resolve_port(repo: Repo, port) -> int:
    """A container port by number or by name."""
    ports = repo.container.get("ports") or []
    if isinstance(port, int):
        return port
    for p in ports:
        if p.get("name") == port:
            return p["containerPort"]
    raise Fail(f"no container port named {port!r}")


def main_port(repo: Repo) -> int:
    ports = repo.container.get("ports") or []
    if len(ports) != 1:
        raise Fail(f"expected one container port, found {len(ports)}")
    return ports[0]["containerPort"]


def config_arg(repo: Repo) -> str:
    args = list(repo.container.get("command") or []) + list(repo.container.get("args") or [])
    for i, a in enumerate(args):
        if a == "--config" and i + 1 < len(args):
            return args[i + 1]
        if a.startswith("--config="):
            return a.split("=", 1)[1]
    raise Fail("the container's args have no --config")


def env_var(repo: Repo, name: str) -> dict | None:
    for e in repo.container.get("env") or []:
        if e.get("name") == name:
            return e
    return None


def mounted_at(repo: Repo, path: str) -> tuple[dict, dict] | None:
    """The (volumeMount, volume) mounted exactly at path."""
    volumes = {v["name"]: v for v in repo.pod_spec.get("volumes") or []}
    for m in repo.container.get("volumeMounts") or []:
        if PurePosixPath(m["mountPath"]) == PurePosixPath(path):
            return m, volumes.get(m["name"], {})
    return None


def config_rs_structs(text: str) -> dict[str, dict[str, str]]:
    """struct name -> {field: type} for the `pub struct X { pub f: T, ... }` in config.rs."""
    structs = {}
    for m in re.finditer(r"pub struct (\w+) \{\n(.*?)\n\}", text, re.S):
        structs[m.group(1)] = {
            f.group(1): f.group(2)
            for f in re.finditer(r"^\s*pub (\w+): (.+?),\s*$", m.group(2), re.M)
        }
    return structs


def inner_type(t: str) -> str:
    while True:
        m = re.fullmatch(r"(?:Option|Vec|Box)<(.+)>", t.strip())
        if not m:
            return t.strip()
        t = m.group(1)


# --------------------------------------------------------------------------------------------
# The checks: each returns a detail for its `ok` line or raises Fail.


def check_yaml(repo: Repo) -> str:
    kinds = [f"{d['kind']}/{(d.get('metadata') or {}).get('name', '-')}" for _, d in repo.resources()]
    return f"{len(repo.manifests)} files, {len(kinds)} resources: {', '.join(kinds)}"


def schema_checks(repo: Repo):
    """One check per resource: strict validation against each Kubernetes version."""
    out = []
    try:
        resources = repo.resources()
    except Fail:
        return [("schema", "schemas (manifests did not load)", lambda: repo.manifests)]
    for f, doc in resources:
        name = f"{doc.get('kind')}/{(doc.get('metadata') or {}).get('name', '-')}"

        def one(doc=doc, f=f):
            for version in K8S_VERSIONS:
                try:
                    kv.validate(doc, version, strict=True)
                except kv.ValidationError as e:
                    path = ".".join(str(p) for p in e.path) or "(top)"
                    raise Fail(f"Kubernetes {e.version}: {path}: {e.message}")
                except kv.SchemaNotFoundError as e:
                    raise Fail(e.message)
            return "Kubernetes " + ", ".join(v.rsplit(".", 1)[0] for v in K8S_VERSIONS) + ", strict"

        out.append(("schema", f"schema {f} {name}", one))
    return out


def check_kustomization(repo: Repo) -> str:
    k = [d for d in repo.manifests.get("kustomization.yaml", []) if d.get("kind") == "Kustomization"]
    if len(k) != 1:
        raise Fail("kustomization.yaml has no Kustomization")
    listed = list(k[0].get("resources") or [])
    files = sorted(f for f in repo.manifests if f != "kustomization.yaml")
    missing = [f for f in files if f not in listed]
    extra = [r for r in listed if r not in files]
    dup = sorted({r for r in listed if listed.count(r) > 1})
    if missing or extra or dup:
        raise Fail(f"not listed: {missing}; listed but absent: {extra}; listed twice: {dup}")
    if k[0].get("namespace"):
        raise Fail("sets a namespace: the base stays namespace-agnostic")
    return f"lists all {len(files)}"


def check_kustomize_build(repo: Repo) -> str:
    kubectl = shutil.which("kubectl")
    if not kubectl:
        return "SKIP: no kubectl on PATH"
    p = subprocess.run(
        [kubectl, "kustomize", str(repo.kdir)], capture_output=True, text=True, timeout=60
    )
    if p.returncode != 0:
        raise Fail(p.stderr.strip().splitlines()[-1] if p.stderr.strip() else f"exit {p.returncode}")
    n = sum(1 for d in yaml.safe_load_all(p.stdout) if d)
    return f"kubectl kustomize: {n} resources"


def check_deployment_selector(repo: Repo) -> str:
    sel = repo.deployment["spec"].get("selector") or {}
    if not selects(sel, repo.pod_labels):
        raise Fail(f"selector {sel} does not match the pod labels {repo.pod_labels}")
    k, v = APP_LABEL
    if repo.pod_labels.get(k) != v:
        raise Fail(f"pods lack the label {k}: {v}")
    for f, d in repo.resources():
        if (d.get("metadata", {}).get("labels") or {}).get(k) != v:
            raise Fail(f"{f} {d['kind']} lacks the label {k}: {v}")
    return f"{sel.get('matchLabels')}; every resource labelled {k}={v}"


def check_services(repo: Repo) -> str:
    services = repo.resources("Service")
    if not services:
        raise Fail("no Service")
    port = main_port(repo)
    seen = []
    for f, s in services:
        name = s["metadata"]["name"]
        sel = s["spec"].get("selector") or {}
        if not selects(sel, repo.pod_labels):
            raise Fail(f"Service {name}'s selector {sel} does not pick the Deployment's pods {repo.pod_labels}")
        for p in s["spec"].get("ports") or []:
            target = p.get("targetPort", p.get("port"))
            try:
                resolved = resolve_port(repo, target)
            except Fail as e:
                raise Fail(f"Service {name} port {p.get('name')}: {e}")
            if resolved != port:
                raise Fail(f"Service {name} targets port {resolved}, the container listens on {port}")
        seen.append(name)
    main = [s for _, s in services if s["spec"].get("clusterIP") != "None"]
    if not any(
        p.get("port") == 80 and p.get("name") == "http" for s in main for p in s["spec"].get("ports") or []
    ):
        raise Fail("no ClusterIP Service with port 80 named http")
    if any(s["spec"].get("sessionAffinity", "None") != "None" for _, s in services):
        raise Fail("sessionAffinity is set: it pins client addresses, not worker ids")
    return f"{', '.join(seen)} -> the pods' port {port}"


def check_pdb(repo: Repo) -> str:
    pdb = repo.one("PodDisruptionBudget")
    sel = pdb["spec"].get("selector") or {}
    if not selects(sel, repo.pod_labels):
        raise Fail(f"selector {sel} does not pick the Deployment's pods {repo.pod_labels}")
    replicas = repo.deployment["spec"].get("replicas", 1)
    spec = pdb["spec"]
    if "maxUnavailable" in spec:
        if spec["maxUnavailable"] in (0, "0%"):
            raise Fail("maxUnavailable 0: no node could ever be drained")
        return f"maxUnavailable {spec['maxUnavailable']}"
    if "minAvailable" in spec:
        if isinstance(spec["minAvailable"], int) and spec["minAvailable"] >= replicas:
            raise Fail(f"minAvailable {spec['minAvailable']} >= {replicas} replicas: drains block forever")
        return f"minAvailable {spec['minAvailable']} of {replicas}"
    raise Fail("neither minAvailable nor maxUnavailable")


def check_hpa(repo: Repo) -> str:
    hpa = repo.one("HorizontalPodAutoscaler")
    ref = hpa["spec"]["scaleTargetRef"]
    dep = repo.deployment
    want = ("apps/v1", "Deployment", dep["metadata"]["name"])
    got = (ref.get("apiVersion"), ref.get("kind"), ref.get("name"))
    if got != want:
        raise Fail(f"scaleTargetRef {got} is not the Deployment {want}")
    lo, hi = hpa["spec"].get("minReplicas", 1), hpa["spec"]["maxReplicas"]
    replicas = dep["spec"].get("replicas", 1)
    if not lo <= replicas <= hi:
        raise Fail(f"the Deployment's {replicas} replicas are outside the HPA's {lo}..{hi}")
    if lo < 2:
        raise Fail(f"minReplicas {lo}: one replica is no redundancy")
    cpu = [
        m for m in hpa["spec"].get("metrics") or []
        if m.get("type") == "Resource" and m["resource"]["name"] == "cpu"
    ]
    if not cpu:
        raise Fail("no CPU metric")
    if "cpu" not in (repo.container.get("resources", {}).get("requests") or {}):
        raise Fail("CPU utilization needs a CPU request on the container")
    window = (hpa["spec"].get("behavior") or {}).get("scaleDown", {}).get("stabilizationWindowSeconds")
    if window is None:
        raise Fail("no scaleDown stabilizationWindowSeconds")
    # Each replica: its pool, plus one connection LISTENing for the other replicas' changes.
    per_replica = (repo.config.get("store") or {}).get("max_connections", 16) + 1
    if hi * per_replica > PG_MAX_CONNECTIONS - PG_RESERVED:
        raise Fail(
            f"{hi} replicas x {per_replica} Postgres connections = {hi * per_replica}, more than "
            f"{PG_MAX_CONNECTIONS - PG_RESERVED} (max_connections {PG_MAX_CONNECTIONS} less {PG_RESERVED} "
            "for admins and other clients): lower [store] max_connections or maxReplicas"
        )
    return (
        f"{lo}..{hi} on CPU {cpu[0]['resource']['target'].get('averageUtilization')}%, "
        f"scale-down window {window}s; at most {hi}x{per_replica} = {hi * per_replica} Postgres connections"
    )


def check_refs(repo: Repo) -> str:
    """Every Secret/ConfigMap (and key) the pod refers to exists in the manifests."""
    secrets = {}
    for _, s in repo.resources("Secret"):
        secrets[s["metadata"]["name"]] = set((s.get("data") or {}) | (s.get("stringData") or {}))
    maps = {}
    for _, c in repo.resources("ConfigMap"):
        maps[c["metadata"]["name"]] = set((c.get("data") or {}) | (c.get("binaryData") or {}))
    refs = []

    def need(kind, table, name, key=None):
        if name not in table:
            raise Fail(f"{kind} {name!r} is not in the manifests")
        if key is not None and key not in table[name]:
            raise Fail(f"{kind} {name!r} has no key {key!r} (it has {sorted(table[name])})")
        refs.append(f"{name}" + (f"/{key}" if key else ""))

    spec = repo.pod_spec
    for c in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        for e in c.get("env") or []:
            src = e.get("valueFrom") or {}
            if "secretKeyRef" in src and not src["secretKeyRef"].get("optional"):
                need("Secret", secrets, src["secretKeyRef"]["name"], src["secretKeyRef"]["key"])
            if "configMapKeyRef" in src and not src["configMapKeyRef"].get("optional"):
                need("ConfigMap", maps, src["configMapKeyRef"]["name"], src["configMapKeyRef"]["key"])
        for e in c.get("envFrom") or []:
            if "secretRef" in e:
                need("Secret", secrets, e["secretRef"]["name"])
            if "configMapRef" in e:
                need("ConfigMap", maps, e["configMapRef"]["name"])
    for v in spec.get("volumes") or []:
        if "configMap" in v:
            need("ConfigMap", maps, v["configMap"]["name"])
            for item in v["configMap"].get("items") or []:
                need("ConfigMap", maps, v["configMap"]["name"], item["key"])
        if "secret" in v:
            need("Secret", secrets, v["secret"]["secretName"])
            for item in v["secret"].get("items") or []:
                need("Secret", secrets, v["secret"]["secretName"], item["key"])
    return ", ".join(sorted(set(refs)))


def check_config_parses(repo: Repo) -> str:
    c = repo.config
    return f"{len(c)} top-level keys/tables: {', '.join(c)}"


def check_config_keys(repo: Repo) -> str:
    if not repo.config_rs.exists():
        raise Fail(f"{repo.config_rs} not found")
    structs = config_rs_structs(repo.config_rs.read_text())
    if "ServerConfig" not in structs:
        raise Fail("no `pub struct ServerConfig` in config.rs")
    unknown = []

    def walk(table: dict, struct: str, prefix: str):
        fields = structs.get(struct, {})
        for key, value in table.items():
            path = f"{prefix}{key}"
            if key not in fields:
                unknown.append(path)
                continue
            inner = inner_type(fields[key])
            if isinstance(value, dict) and inner in structs:
                walk(value, inner, f"{path}.")
            elif isinstance(value, list) and inner in structs:
                for i, item in enumerate(value):
                    if isinstance(item, dict):
                        walk(item, inner, f"{path}[{i}].")

    walk(repo.config, "ServerConfig", "")
    if unknown:
        raise Fail(f"not keys of the daemon's config (crates/server/src/config.rs): {', '.join(unknown)}")
    return "every key is a field of config.rs's structs (deny_unknown_fields)"


def check_config_secrets(repo: Repo) -> str:
    c = repo.config
    found = []
    if "token" in c:
        found.append("token (use WASM_SANDBOX_TOKEN)")
    if "url" in (c.get("store") or {}):
        found.append("[store] url (use WASM_SANDBOX_DATABASE_URL)")
    if "token" in (c.get("npm") or {}):
        found.append("[npm] token")
    if found:
        raise Fail("secrets in the ConfigMap: " + ", ".join(found))
    if (c.get("store") or {}).get("backend") != "postgres":
        raise Fail('[store] backend is not "postgres": replicas would not share the registry and KV')
    for name in ("WASM_SANDBOX_TOKEN", "WASM_SANDBOX_DATABASE_URL"):
        e = env_var(repo, name)
        if not e or "secretKeyRef" not in (e.get("valueFrom") or {}):
            raise Fail(f"{name} is not set from a Secret")
    return "no token or URL in it; both from the Secret; backend postgres"


def check_port(repo: Repo) -> str:
    port, listen = main_port(repo), repo.listen_port
    if port != listen:
        raise Fail(f"containerPort {port} but config.toml listens on {listen}")
    if not repo.config["listen"].startswith(("0.0.0.0:", "[::]:")):
        raise Fail(f"listen = {repo.config['listen']!r} is not every interface: probes and Services could not reach it")
    return f"{listen}"


def check_probes(repo: Repo) -> str:
    port = repo.listen_port
    out = []
    for kind in ("readinessProbe", "livenessProbe", "startupProbe"):
        probe = repo.container.get(kind)
        if not probe:
            raise Fail(f"no {kind}")
        get = probe.get("httpGet")
        if not get:
            raise Fail(f"{kind} is not an httpGet")
        if get.get("path") != "/healthz":
            raise Fail(f"{kind} GETs {get.get('path')!r}, not /healthz")
        p = resolve_port(repo, get.get("port"))
        if p != port:
            raise Fail(f"{kind} probes port {p}, the daemon listens on {port}")
        out.append(f"{kind[:-5]} every {probe.get('periodSeconds', 10)}s x{probe.get('failureThreshold', 3)}")
    ready = repo.container["readinessProbe"]
    drain = repo.config.get("drain_ms", 0)
    noticed = ready.get("periodSeconds", 10) * ready.get("failureThreshold", 3) * 1000
    if drain and noticed >= drain:
        raise Fail(f"readiness notices a drain after up to {noticed} ms, but drain_ms = {drain}")
    live = repo.container["livenessProbe"]
    if live.get("periodSeconds", 10) * live.get("failureThreshold", 3) * 1000 <= drain:
        raise Fail("liveness would restart a draining pod: make its period x threshold exceed drain_ms")
    return f"GET /healthz on {port}: " + ", ".join(out)


def check_grace(repo: Repo) -> str:
    c = repo.config
    if "drain_ms" not in c:
        raise Fail("config.toml sets no drain_ms: /healthz would not fail before the listener closes")
    drain, grace = c["drain_ms"], c.get("shutdown_grace_ms", 10_000)
    tgps = repo.pod_spec.get("terminationGracePeriodSeconds", 30)
    if tgps * 1000 <= drain + grace:
        raise Fail(
            f"terminationGracePeriodSeconds {tgps} s <= drain_ms {drain} + shutdown_grace_ms {grace}: "
            "SIGKILL would cut in-flight requests"
        )
    return f"{tgps} s > {drain} + {grace} ms"


def check_config_mount(repo: Repo) -> str:
    path = PurePosixPath(config_arg(repo))
    found = mounted_at(repo, str(path.parent))
    if not found or "configMap" not in found[1]:
        raise Fail(f"no ConfigMap volume mounted at {path.parent} (--config {path})")
    mount, volume = found
    cm = volume["configMap"]
    if cm["name"] != repo.configmap["metadata"]["name"]:
        raise Fail(f"mounts ConfigMap {cm['name']!r}, the manifests' is {repo.configmap['metadata']['name']!r}")
    items = cm.get("items")
    files = {i["path"]: i["key"] for i in items} if items else {k: k for k in repo.configmap.get("data") or {}}
    if files.get(path.name) != "config.toml":
        raise Fail(f"{path} is not the ConfigMap's config.toml")
    if not mount.get("readOnly"):
        raise Fail("the config is mounted writable")
    return f"--config {path} <- ConfigMap {cm['name']}/config.toml (read-only)"


def check_data_dir(repo: Repo) -> str:
    data_dir = repo.config.get("data_dir")
    if not data_dir:
        raise Fail("config.toml sets no data_dir (the default is under $HOME, which the image has not)")
    found = mounted_at(repo, data_dir)
    if not found:
        raise Fail(f"nothing mounted at data_dir {data_dir}: the root filesystem is read-only")
    mount, volume = found
    if mount.get("readOnly"):
        raise Fail(f"data_dir {data_dir} is mounted read-only")
    if "emptyDir" not in volume:
        raise Fail(f"data_dir {data_dir} is not an emptyDir (replicas are stateless)")
    if not mounted_at(repo, "/tmp"):
        raise Fail("no writable /tmp")
    return f"{data_dir} and /tmp are emptyDirs"


def check_security(repo: Repo) -> str:
    pod = repo.pod_spec.get("securityContext") or {}
    ctr = repo.container.get("securityContext") or {}

    def either(key):
        return ctr.get(key, pod.get(key))

    problems = []
    if either("runAsNonRoot") is not True:
        problems.append("runAsNonRoot is not true")
    uid = either("runAsUser")
    if not isinstance(uid, int) or uid == 0:
        problems.append(f"runAsUser {uid!r} is not a non-root uid")
    if ctr.get("allowPrivilegeEscalation") is not False:
        problems.append("allowPrivilegeEscalation is not false")
    if ctr.get("readOnlyRootFilesystem") is not True:
        problems.append("readOnlyRootFilesystem is not true")
    if ctr.get("privileged"):
        problems.append("privileged")
    caps = ctr.get("capabilities") or {}
    if "ALL" not in (caps.get("drop") or []) or caps.get("add"):
        problems.append("capabilities: not drop [ALL] without adds")
    if (either("seccompProfile") or {}).get("type") != "RuntimeDefault":
        problems.append("seccompProfile is not RuntimeDefault")
    if repo.pod_spec.get("automountServiceAccountToken") is not False:
        problems.append("automountServiceAccountToken is not false (untrusted code runs here)")
    if problems:
        raise Fail("; ".join(problems))
    return f"uid {uid}, read-only root, no capabilities, RuntimeDefault seccomp, no SA token"


def check_rollout(repo: Repo) -> str:
    strategy = repo.deployment["spec"].get("strategy") or {}
    if strategy.get("type", "RollingUpdate") != "RollingUpdate":
        raise Fail(f"strategy {strategy.get('type')}")
    ru = strategy.get("rollingUpdate") or {}
    if ru.get("maxUnavailable") not in (0, "0%"):
        raise Fail(f"maxUnavailable {ru.get('maxUnavailable', '25%')}: an update would drop below the count")
    if ru.get("maxSurge", "25%") in (0, "0%"):
        raise Fail("maxSurge 0 with maxUnavailable 0: a rollout could never start")
    spec = repo.pod_spec
    spread = [
        t for t in spec.get("topologySpreadConstraints") or []
        if t.get("topologyKey") == "kubernetes.io/hostname" and selects(t.get("labelSelector") or {}, repo.pod_labels)
    ]
    anti = [
        t for t in ((spec.get("affinity") or {}).get("podAntiAffinity") or {}).get(
            "preferredDuringSchedulingIgnoredDuringExecution"
        ) or []
        if t["podAffinityTerm"].get("topologyKey") == "kubernetes.io/hostname"
        and selects(t["podAffinityTerm"].get("labelSelector") or {}, repo.pod_labels)
    ]
    if not spread and not anti:
        raise Fail("no topology spread or pod anti-affinity over kubernetes.io/hostname that selects the pods")
    return f"maxUnavailable 0, maxSurge {ru.get('maxSurge', '25%')}; spread over nodes"


def check_resources(repo: Repo) -> str:
    res = repo.container.get("resources") or {}
    req, lim = res.get("requests") or {}, res.get("limits") or {}
    for part, table in (("requests", req), ("limits", lim)):
        for r in ("cpu", "memory"):
            if r not in table:
                raise Fail(f"no {part}.{r}")
    mem = quantity_mib(lim["memory"])
    if quantity_mib(req["memory"]) > mem:
        raise Fail("memory request above the limit")
    cache = (repo.config.get("engine") or {}).get("cache_max_mb", 2048)
    if mem < cache + MEMORY_HEADROOM_MIB:
        raise Fail(
            f"memory limit {lim['memory']} ({mem:.0f} MiB) < [engine] cache_max_mb {cache} + "
            f"{MEMORY_HEADROOM_MIB} MiB for the process and in-flight sandboxes"
        )
    cpus = quantity_cpu(lim["cpu"])
    for key, value in (
        ("http_threads", repo.config.get("http_threads", 0)),
        ("[engine] max_running", (repo.config.get("engine") or {}).get("max_running", 0)),
    ):
        if value == 0:
            raise Fail(f"{key} = 0 means one per core the process sees: set it to the pod's CPUs")
        if value > max(1, cpus):
            raise Fail(f"{key} = {value} is above the pod's {cpus:g} CPUs")
    return f"cpu {req['cpu']}/{lim['cpu']}, memory {req['memory']}/{lim['memory']} >= {cache} + {MEMORY_HEADROOM_MIB} MiB"


def check_checksum(repo: Repo) -> str:
    want = hashlib.sha256(repo.config_text.encode()).hexdigest()
    got = (repo.deployment["spec"]["template"].get("metadata", {}).get("annotations") or {}).get(CHECKSUM_ANNOTATION)
    if got != want:
        raise Fail(
            f"the pod template's {CHECKSUM_ANNOTATION} is {got!r}; config.toml's sha256 is {want}: "
            "put that in deployment.yaml so that the change rolls the pods"
        )
    return want[:16] + "..."


def check_replica_env(repo: Repo) -> str:
    e = env_var(repo, "WASM_SANDBOX_REPLICA")
    path = ((e or {}).get("valueFrom") or {}).get("fieldRef", {}).get("fieldPath")
    if path != "metadata.name":
        raise Fail(f"WASM_SANDBOX_REPLICA is not the pod's metadata.name (it is {path or 'unset'})")
    return "from metadata.name"


def check_cache_dir(repo: Repo) -> str:
    image = repo.docker.envs(repo.docker.final).get("WASM_SANDBOX_CACHE_DIR")
    if not image:
        raise Fail("the Dockerfile's final stage sets no WASM_SANDBOX_CACHE_DIR")
    e = env_var(repo, "WASM_SANDBOX_CACHE_DIR")
    pod = (e or {}).get("value")
    if pod != image:
        raise Fail(f"the Deployment's WASM_SANDBOX_CACHE_DIR is {pod!r}, the image precompiled into {image!r}")
    for m in repo.container.get("volumeMounts") or []:
        mp = PurePosixPath(m["mountPath"])
        if mp == PurePosixPath(image) or PurePosixPath(image).is_relative_to(mp) and str(mp) != "/":
            raise Fail(f"volume {m['name']} at {mp} hides the image's precompiled engine in {image}")
    runs = [v for n, v in repo.docker.final["ins"] if n == "RUN" and re.search(r"wasm-sandbox\s+run\b", v)]
    if not runs:
        raise Fail("the final stage never runs the binary to precompile the engine")
    return f"{image} (the image's, precompiled at build time)"


def check_docker_stages(repo: Repo) -> str:
    d = repo.docker
    if len(d.stages) < 2:
        raise Fail(f"{len(d.stages)} stage: build and runtime should be separate")
    names = {s["alias"] for s in d.stages[:-1] if s["alias"]} | {str(i) for i in range(len(d.stages) - 1)}
    froms = []
    for name, value in d.final["ins"]:
        if name == "COPY":
            m = re.search(r"--from=(\S+)", value)
            if m:
                froms.append(m.group(1))
    if not any(f in names for f in froms):
        raise Fail(f"the final stage copies from no earlier stage (--from={froms}; stages: {sorted(names)})")
    if not any(re.search(r"\bcargo build\b.*--release", v) for s in d.stages[:-1] for n, v in s["ins"] if n == "RUN"):
        raise Fail("no stage runs cargo build --release")
    entry = [v for n, v in d.final["ins"] if n == "ENTRYPOINT"]
    if not entry or "wasm-sandbox" not in entry[-1]:
        raise Fail("ENTRYPOINT is not wasm-sandbox")
    return " -> ".join(f"{s['image']}" + (f" AS {s['alias']}" if s["alias"] else "") for s in d.stages)


def check_docker_rust(repo: Repo) -> str:
    build = repo.docker.stages[0]["image"]
    cargo = tomllib.loads(repo.cargo_toml.read_text())
    want = cargo.get("workspace", {}).get("package", {}).get("rust-version")
    m = re.fullmatch(r"(?:docker\.io/)?(?:library/)?rust:(\d+\.\d+)(?:\.\d+)?(-.*)?", build)
    if not m:
        raise Fail(f"the build stage is {build!r}, not a rust:X.Y image")
    if m.group(1) != want:
        raise Fail(f"the build stage's Rust is {m.group(1)}, Cargo.toml's rust-version is {want}")
    return f"{build} = rust-version {want}"


def check_docker_user(repo: Repo) -> str:
    users = [v for n, v in repo.docker.final["ins"] if n == "USER"]
    if not users:
        raise Fail("the final stage has no USER: it runs as root")
    user = users[-1].split(":")[0].strip()
    if not user.isdigit() or int(user) == 0:
        raise Fail(f"USER {users[-1]}: use a numeric non-root uid (runAsNonRoot can only verify a number)")
    pod = (repo.container.get("securityContext") or {}).get(
        "runAsUser", (repo.pod_spec.get("securityContext") or {}).get("runAsUser")
    )
    if pod is not None and pod != int(user):
        raise Fail(f"USER {user} but the Deployment runs as {pod}")
    return f"USER {users[-1]}"


def check_docker_expose(repo: Repo) -> str:
    exposed = [p.split("/")[0] for n, v in repo.docker.final["ins"] if n == "EXPOSE" for p in v.split()]
    if str(repo.listen_port) not in exposed:
        raise Fail(f"EXPOSE {exposed}, the daemon listens on {repo.listen_port}")
    return f"EXPOSE {' '.join(exposed)}"


def check_dockerignore(repo: Repo) -> str:
    if not repo.dockerignore.exists():
        raise Fail("no .dockerignore: target/ (many GB) would be sent as the build context")
    lines = [l.strip().rstrip("/").lstrip("/") for l in repo.dockerignore.read_text().splitlines()]
    lines = [l for l in lines if l and not l.startswith("#")]
    for need in ("target", ".git"):
        if need not in lines:
            raise Fail(f"{need} is not ignored")
    for keep in ("crates", "crates/engine", "guest-js", "guest-js/src", "*.wasm", "**/*.wasm"):
        if keep in lines:
            raise Fail(f"{keep} is ignored, but the build needs it")
    return "target, .git ignored; the committed engine kept"


def all_checks(repo: Repo):
    checks = [("yaml", "manifests parse", lambda: check_yaml(repo))]
    checks += schema_checks(repo)
    checks += [
        ("kustomization", "kustomization.yaml lists every manifest", lambda: check_kustomization(repo)),
        ("kustomize-build", "kustomize builds", lambda: check_kustomize_build(repo)),
        ("deployment-selector", "Deployment selector matches its pods", lambda: check_deployment_selector(repo)),
        ("service", "Services select the pods, target the container port", lambda: check_services(repo)),
        ("pdb", "PodDisruptionBudget selects the pods", lambda: check_pdb(repo)),
        ("hpa", "HPA targets the Deployment", lambda: check_hpa(repo)),
        ("refs", "referenced Secret/ConfigMap keys exist", lambda: check_refs(repo)),
        ("config-parses", "config.toml parses", lambda: check_config_parses(repo)),
        ("config-keys", "config.toml keys exist in config.rs", lambda: check_config_keys(repo)),
        ("config-secrets", "config.toml holds no secrets", lambda: check_config_secrets(repo)),
        ("port", "containerPort = config.toml's listen port", lambda: check_port(repo)),
        ("probes", "probes GET /healthz on that port", lambda: check_probes(repo)),
        ("grace", "terminationGracePeriodSeconds > drain_ms + shutdown_grace_ms", lambda: check_grace(repo)),
        ("config-mount", "the ConfigMap is mounted where --config points", lambda: check_config_mount(repo)),
        ("data-dir", "data_dir is a writable emptyDir", lambda: check_data_dir(repo)),
        ("security", "pod hardening", lambda: check_security(repo)),
        ("rollout", "rolling update and spread", lambda: check_rollout(repo)),
        ("resources", "resources fit the [engine] settings", lambda: check_resources(repo)),
        ("checksum", "config checksum annotation is current", lambda: check_checksum(repo)),
        ("replica-env", "WASM_SANDBOX_REPLICA is the pod name", lambda: check_replica_env(repo)),
        ("cache-dir", "engine cache dir: the image's, not hidden", lambda: check_cache_dir(repo)),
        ("docker-stages", "Dockerfile: multi-stage, COPY --from the build", lambda: check_docker_stages(repo)),
        ("docker-rust", "Dockerfile: build stage Rust = rust-version", lambda: check_docker_rust(repo)),
        ("docker-user", "Dockerfile: final USER non-root", lambda: check_docker_user(repo)),
        ("docker-expose", "Dockerfile: EXPOSE = the listen port", lambda: check_docker_expose(repo)),
        ("dockerignore", ".dockerignore", lambda: check_dockerignore(repo)),
    ]
    return checks


def run_checks(root: Path, quiet: bool = False) -> list[tuple[str, str, bool, str]]:
    """Run every check on the files under root: (id, title, ok, detail) each, printed unless quiet."""
    repo = Repo(root)
    results = []
    for cid, title, fn in all_checks(repo):
        try:
            detail, ok = fn(), True
        except Fail as e:
            detail, ok = str(e), False
        except Exception as e:  # a check that crashed on odd input is a failed check
            detail, ok = f"{type(e).__name__}: {e}", False
        results.append((cid, title, ok, detail))
        if not quiet:
            tag = "ok  " if ok else "FAIL"
            if ok and str(detail).startswith("SKIP"):
                tag = "skip"
            print(f"{tag} {title}: {detail}", flush=True)
    return results


# --------------------------------------------------------------------------------------------
# Self-test: break a copy in one way at a time; the checks must catch each.

# (what is broken, file, text, replacement, the check that must fail[, "every": replace every
# occurrence, not only the first])
MUTATIONS = [
    ("typo'd field (readinesProbe)", "deploy/kubernetes/deployment.yaml", "readinessProbe:", "readinesProbe:", "schema"),
    ("unknown nested field (httpGet.paht)", "deploy/kubernetes/deployment.yaml", "path: /healthz", "paht: /healthz", "schema"),
    ("wrong type (replicas: \"3\")", "deploy/kubernetes/deployment.yaml", "replicas: 3", 'replicas: "3"', "schema"),
    ("unknown apiVersion (policy/v2)", "deploy/kubernetes/pdb.yaml", "policy/v1", "policy/v2", "schema"),
    ("broken YAML", "deploy/kubernetes/hpa.yaml", "minReplicas: 3", "minReplicas: [3", "yaml"),
    ("Service selector typo", "deploy/kubernetes/service.yaml", "  selector:\n    app.kubernetes.io/name: wasm-sandbox", "  selector:\n    app.kubernetes.io/name: wasm-sandbx", "service"),
    ("Service targetPort name", "deploy/kubernetes/service.yaml", "targetPort: http", "targetPort: web", "service"),
    ("Service sessionAffinity", "deploy/kubernetes/service.yaml", "  type: ClusterIP\n", "  type: ClusterIP\n  sessionAffinity: ClientIP\n", "service"),
    ("PDB selector", "deploy/kubernetes/pdb.yaml", "matchLabels:\n      app.kubernetes.io/name: wasm-sandbox", "matchLabels:\n      app.kubernetes.io/name: other", "pdb"),
    ("HPA max x Postgres pool over max_connections", "deploy/kubernetes/hpa.yaml", "maxReplicas: 10", "maxReplicas: 20", "hpa"),
    ("HPA target name", "deploy/kubernetes/hpa.yaml", "kind: Deployment\n    name: wasm-sandbox", "kind: Deployment\n    name: wasm-sandbox-v2", "hpa"),
    ("Deployment selector vs pod labels", "deploy/kubernetes/deployment.yaml", "  selector:\n    matchLabels:\n      app.kubernetes.io/name: wasm-sandbox", "  selector:\n    matchLabels:\n      app.kubernetes.io/name: sandbox", "deployment-selector"),
    ("Secret key renamed", "deploy/kubernetes/secret.yaml", "database-url:", "database_url:", "refs"),
    ("kustomization misses a file", "deploy/kubernetes/kustomization.yaml", "  - hpa.yaml\n", "", "kustomization"),
    ("listen port != containerPort", "deploy/kubernetes/configmap.yaml", 'listen = "0.0.0.0:8787"', 'listen = "0.0.0.0:8080"', "port"),
    ("TOML syntax error", "deploy/kubernetes/configmap.yaml", "max_running = 2", "max_running = = 2", "config-parses"),
    ("unknown config key", "deploy/kubernetes/configmap.yaml", "max_running = 2", "max_runing = 2", "config-keys"),
    ("database URL in the ConfigMap", "deploy/kubernetes/configmap.yaml", 'backend = "postgres"', 'backend = "postgres"\n    url = "postgres://u:p@db/ws"', "config-secrets"),
    ("probe path", "deploy/kubernetes/deployment.yaml", "path: /healthz", "path: /health", "probes"),
    ("probe port", "deploy/kubernetes/deployment.yaml", "path: /healthz\n              port: http", "path: /healthz\n              port: 8080", "probes"),
    ("grace period too short", "deploy/kubernetes/deployment.yaml", "terminationGracePeriodSeconds: 35", "terminationGracePeriodSeconds: 25", "grace"),
    ("drain_ms removed", "deploy/kubernetes/configmap.yaml", "drain_ms = 5000", "", "grace"),
    ("config mounted elsewhere", "deploy/kubernetes/deployment.yaml", "mountPath: /etc/wasm-sandbox", "mountPath: /etc/sandbox", "config-mount"),
    ("data_dir not mounted", "deploy/kubernetes/configmap.yaml", 'data_dir = "/var/lib/wasm-sandbox"', 'data_dir = "/data"', "data-dir"),
    ("writable root filesystem", "deploy/kubernetes/deployment.yaml", "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false", "security"),
    ("capabilities kept", "deploy/kubernetes/deployment.yaml", "- ALL", "- NET_RAW", "security"),
    ("rolling update below the count", "deploy/kubernetes/deployment.yaml", "maxUnavailable: 0", "maxUnavailable: 1", "rollout"),
    ("memory below cache_max_mb + headroom", "deploy/kubernetes/deployment.yaml", "memory: 2Gi", "memory: 1Gi", "resources", "every"),
    ("stale config checksum", "deploy/kubernetes/configmap.yaml", "cache_max_mb = 1024", "cache_max_mb = 1000", "checksum"),
    ("replica name from the namespace", "deploy/kubernetes/deployment.yaml", "fieldPath: metadata.name", "fieldPath: metadata.namespace", "replica-env"),
    ("cache dir differs from the image's", "deploy/kubernetes/deployment.yaml", "value: /var/cache/wasm-sandbox", "value: /cache", "cache-dir"),
    ("Dockerfile: no cache dir", "Dockerfile", "ENV WASM_SANDBOX_CACHE_DIR=", "ENV WASM_SANDBOX_CACHE=", "cache-dir"),
    ("Dockerfile: one stage", "Dockerfile", "FROM debian:bookworm-slim AS runtime\n", "", "docker-stages"),
    ("Dockerfile: COPY --from a missing stage", "Dockerfile", "COPY --from=build ", "COPY --from=builder ", "docker-stages"),
    ("Dockerfile: old Rust", "Dockerfile", "FROM rust:1.95-bookworm", "FROM rust:1.90-bookworm", "docker-rust"),
    ("Dockerfile: USER root", "Dockerfile", "USER 10001:10001", "USER root", "docker-user"),
    ("Dockerfile: EXPOSE another port", "Dockerfile", "EXPOSE 8787", "EXPOSE 8080", "docker-expose"),
    (".dockerignore: target kept", ".dockerignore", "\ntarget\n", "\n", "dockerignore"),
]

COPIED = [
    "deploy/kubernetes",
    "Dockerfile",
    ".dockerignore",
    "Cargo.toml",
    "crates/server/src/config.rs",
]


def self_test(root: Path) -> bool:
    ok = True
    with tempfile.TemporaryDirectory(prefix="deploy-self-test-") as tmp:
        base = Path(tmp) / "base"
        for rel in COPIED:
            src, dst = root / rel, base / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            if src.is_dir():
                shutil.copytree(src, dst)
            else:
                shutil.copy2(src, dst)
        failed = [r for r in run_checks(base, quiet=True) if not r[2]]
        if failed:
            print(f"FAIL self-test: the unbroken copy fails {[r[0] for r in failed]}")
            return False
        print("ok   self-test: the unbroken copy passes every check")
        for i, (what, rel, old, new, expect, *every) in enumerate(MUTATIONS):
            case = Path(tmp) / f"case{i}"
            shutil.copytree(base, case)
            path = case / rel
            text = path.read_text()
            if old not in text:
                print(f"FAIL self-test: {what}: {old!r} is not in {rel} (update MUTATIONS)")
                ok = False
                continue
            path.write_text(text.replace(old, new) if every else text.replace(old, new, 1))
            results = run_checks(case, quiet=True)
            caught = [r for r in results if not r[2] and r[0] == expect]
            others = sorted({r[0] for r in results if not r[2] and r[0] != expect})
            if caught:
                also = f" (also: {', '.join(others)})" if others else ""
                print(f"ok   self-test: {what} -> caught by {expect}: {caught[0][3][:150]}{also}")
            else:
                print(f"FAIL self-test: {what} NOT caught by {expect} (failed: {others or 'nothing'})")
                ok = False
            shutil.rmtree(case)
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    ap.add_argument("--self-test", action="store_true", help="also break copies one way at a time; each must fail")
    args = ap.parse_args()
    started = time.monotonic()
    results = run_checks(args.root)
    passed = sum(1 for r in results if r[2])
    failed = len(results) - passed
    good = failed == 0
    if args.self_test:
        good = self_test(args.root) and good
    print(f"deploy checks: {passed} passed, {failed} failed ({time.monotonic() - started:.1f}s)")
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
