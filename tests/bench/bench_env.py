"""Virtual environments, install footprint, cold import times and the machine description of the benchmark.

azure.azcollection comes from the `ansible` bundle of the project venv; its Python requirements go into a separate
venv (.cache/bench-venv-azcollection) that only the benchmark uses, never CI.
"""

import glob
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys

from bench_common import CACHE, ROOT, read_json, summarize, timed_run, write_json

OURS_VENV = os.path.join(ROOT, ".venv")
THEIRS_VENV = os.path.join(CACHE, "bench-venv-azcollection")
OURS_FOOTPRINT_VENV = os.path.join(CACHE, "bench-venv-ours")
THEIRS_COLLECTIONS = os.path.join(CACHE, "bench-collections")
STAMP = ".bench-stamp.json"
# Packages every fresh venv has; not counted as requirements.
BASE_PACKAGES = {"pip", "setuptools", "wheel"}


def py(venv):
    return os.path.join(venv, "bin", "python")


def base_python():
    """The interpreter the project venv was made from (same interpreter family for every bench venv)."""
    return getattr(sys, "_base_executable", None) or sys.executable


def bundle_collection_dir(namespace, name):
    """Where the `ansible` bundle of the project venv holds a collection."""
    out = subprocess.run([py(OURS_VENV), "-c", "import ansible_collections, os; print(list(ansible_collections.__path__)[0])"],
                         capture_output=True, text=True, check=True)
    for base in out.stdout.split():
        path = os.path.join(base, namespace, name)
        if os.path.isdir(path):
            return path
    for base in glob.glob(os.path.join(OURS_VENV, "lib", "python*", "site-packages", "ansible_collections")):
        path = os.path.join(base, namespace, name)
        if os.path.isdir(path):
            return path
    raise RuntimeError("the ansible bundle in %s has no %s.%s collection" % (OURS_VENV, namespace, name))


def collection_version(path):
    manifest = read_json(os.path.join(path, "MANIFEST.json"), {}) or {}
    return (manifest.get("collection_info") or {}).get("version")


def azcollection_requirements():
    base = bundle_collection_dir("azure", "azcollection")
    for name in ("requirements.txt", "requirements-azure.txt"):
        path = os.path.join(base, name)
        if os.path.exists(path):
            return path
    raise RuntimeError("azure.azcollection in the ansible bundle has no requirements file (looked in %s)" % base)


def installed_version(venv, dist):
    if not os.path.exists(py(venv)):
        return None  # (the azure.azcollection venv exists only once a section that compares has run)
    out = subprocess.run([py(venv), "-c", "import importlib.metadata as m, sys; print(m.version(sys.argv[1]))", dist],
                         capture_output=True, text=True, check=False)
    return out.stdout.strip() or None


def sha256_of(path):
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def pip_packages(venv):
    out = subprocess.run([py(venv), "-m", "pip", "list", "--format=json", "--disable-pip-version-check"],
                         capture_output=True, text=True, check=True)
    return sorted(p["name"] for p in json.loads(out.stdout) if p["name"].lower() not in BASE_PACKAGES)


def du_bytes(path):
    out = subprocess.run(["du", "-sk", path], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[0]) * 1024


def footprint(venv):
    packages = pip_packages(venv)
    return {"bytes": du_bytes(venv), "packages": len(packages), "package_names": packages}


def _pip_install(venv, args, log):
    cmd = [py(venv), "-m", "pip", "install", "--disable-pip-version-check", "--quiet"] + list(args)
    with open(log, "a", encoding="utf-8") as fh:
        fh.write("$ %s\n" % " ".join(cmd))
        fh.flush()
        subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, check=True, timeout=3600)


def _fresh_venv(venv):
    if os.path.exists(venv):
        shutil.rmtree(venv)
    subprocess.run([base_python(), "-m", "venv", venv], check=True)


def prepare_footprint_venv_ours():
    """A fresh venv with only the collection's requirements.txt (reused while requirements.txt is unchanged)."""
    req = os.path.join(ROOT, "requirements.txt")
    want = {"requirements_sha256": sha256_of(req), "python": base_python()}
    stamp = read_json(os.path.join(OURS_FOOTPRINT_VENV, STAMP), {}) or {}
    if {k: stamp.get(k) for k in want} == want and "footprint" in stamp:
        return stamp["footprint"]
    print("bench: building %s (fresh venv, requirements.txt only)" % os.path.relpath(OURS_FOOTPRINT_VENV, ROOT), flush=True)
    _fresh_venv(OURS_FOOTPRINT_VENV)
    _pip_install(OURS_FOOTPRINT_VENV, ["-r", req], os.path.join(CACHE, "bench-venv-ours.log"))
    fp = footprint(OURS_FOOTPRINT_VENV)
    write_json(os.path.join(OURS_FOOTPRINT_VENV, STAMP), dict(want, footprint=fp))
    return fp


def prepare_theirs_venv(ansible_core_version):
    """The azure.azcollection venv: its requirements file (footprint measured right after), then ansible-core."""
    req = azcollection_requirements()
    want = {"requirements_sha256": sha256_of(req), "python": base_python(), "ansible_core": ansible_core_version}
    stamp_path = os.path.join(THEIRS_VENV, STAMP)
    stamp = read_json(stamp_path, {}) or {}
    log = os.path.join(CACHE, "bench-venv-azcollection.log")
    if {k: stamp.get(k) for k in want} != want or "footprint" not in stamp:
        print("bench: building %s from %s (a few minutes; reused afterwards)"
              % (os.path.relpath(THEIRS_VENV, ROOT), req), flush=True)
        _fresh_venv(THEIRS_VENV)
        _pip_install(THEIRS_VENV, ["-r", req], log)
        fp = footprint(THEIRS_VENV)
        _pip_install(THEIRS_VENV, ["ansible-core==%s" % ansible_core_version], log)
        stamp = dict(want, footprint=fp)
        write_json(stamp_path, stamp)
    _copy_collections()
    return stamp["footprint"]


def ensure_matplotlib():
    """matplotlib for docs/performance.png, in the bench venv only; False when it cannot be installed."""
    probe = subprocess.run([py(THEIRS_VENV), "-c", "import matplotlib"], capture_output=True, check=False)
    if probe.returncode == 0:
        return True
    try:
        _pip_install(THEIRS_VENV, ["matplotlib"], os.path.join(CACHE, "bench-venv-azcollection.log"))
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
        return False
    return subprocess.run([py(THEIRS_VENV), "-c", "import matplotlib"], capture_output=True, check=False).returncode == 0


def _copy_collections():
    """azure.azcollection (and ansible.posix for the JSON callback) from the bundle, alone on a collections path,
    so that nothing of the project venv leaks into the azcollection runs."""
    for namespace, name in (("azure", "azcollection"), ("ansible", "posix")):
        src = bundle_collection_dir(namespace, name)
        dest = os.path.join(THEIRS_COLLECTIONS, "ansible_collections", namespace, name)
        if collection_version(dest) == collection_version(src) and collection_version(dest):
            continue
        if os.path.exists(dest):
            shutil.rmtree(dest)
        shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__", "tests"))


# ---- cold import time --------------------------------------------------------------------------------------------

OURS_IMPORTS = """
import sys, time
sys.path.insert(0, sys.argv[1])
t0 = time.perf_counter()
from ansible_collections.azbackup.vmprep.plugins.module_utils import _module, _client  # noqa
import azure.identity  # noqa
from azure.mgmt.network import NetworkManagementClient  # noqa
print(time.perf_counter() - t0)
"""

THEIRS_IMPORTS = """
import sys, time
sys.path.insert(0, sys.argv[1])
t0 = time.perf_counter()
from ansible_collections.azure.azcollection.plugins.module_utils import azure_rm_common  # noqa
print(time.perf_counter() - t0)
"""


def import_times(python, code, path, runs):
    """Import time measured inside fresh processes (median of `runs`; one unrecorded warm-up run writes .pyc files)."""
    inside, wall = [], []
    for i in range(runs + 1):
        seconds, proc = timed_run([python, "-c", code, path], timeout=120)
        if proc.returncode != 0:
            raise RuntimeError("import test failed:\n%s" % proc.stderr[-3000:])
        if i == 0:
            continue
        inside.append(float(proc.stdout.strip().splitlines()[-1]))
        wall.append(seconds)
    startup = []
    for dummy in range(runs):
        seconds, dummy_proc = timed_run([python, "-c", "pass"], timeout=60)
        startup.append(seconds)
    return {"import": summarize(inside), "process_wall": summarize(wall), "interpreter_startup": summarize(startup)}


def measure_imports(ours_collections_path, runs):
    return {
        "ours": dict(import_times(py(OURS_VENV), OURS_IMPORTS, ours_collections_path, runs),
                     what="_module, _client, azure.identity, azure.mgmt.network (NetworkManagementClient)"),
        "theirs": dict(import_times(py(THEIRS_VENV), THEIRS_IMPORTS, THEIRS_COLLECTIONS, runs),
                       what="azure.azcollection module_utils azure_rm_common"),
    }


# ---- the machine ------------------------------------------------------------------------------------------------

def machine():
    cpu = None
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.lower().startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = None
    try:
        with open("/proc/meminfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    mem = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {
        "cpu": cpu or platform.processor() or "unknown",
        "cores": os.cpu_count(),
        "memory_gib": mem,
        "os": platform.platform(),
        "python": platform.python_version(),
        "python_theirs": subprocess.run([py(THEIRS_VENV), "-c", "import platform; print(platform.python_version())"],
                                        capture_output=True, text=True, check=False).stdout.strip() or None
        if os.path.exists(py(THEIRS_VENV)) else None,
        "ansible_core_ours": installed_version(OURS_VENV, "ansible-core"),
        "ansible_core_theirs": installed_version(THEIRS_VENV, "ansible-core"),
        "ansible_bundle": installed_version(OURS_VENV, "ansible"),
        "azure_azcollection": collection_version(bundle_collection_dir("azure", "azcollection")),
    }
