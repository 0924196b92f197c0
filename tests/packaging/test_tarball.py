"""The collection tarball, as `ansible-galaxy collection build` makes it from galaxy.yml's `manifest:` allow-list.

A copy of the tracked files gets the strays a developer's checkout has (a venv under any name, build/, reports/,
changelogs/.plugin-cache.yaml, a stale tarball): none of them, and none of the repository's own tooling (Makefile,
scripts/, requirements-dev.txt, the test suites, the ARM sandbox, the benchmarks), may reach the tarball. Then the
tarball is installed into an empty collections path and ansible-doc renders every module, filter and role from it,
with the ansible-core of the venv running the tests and, when AZB_CLEAN_ANSIBLE_VENV names one (`make packaging`
passes the sanity-oldest venv: nothing but the oldest ansible-core meta/runtime.yml claims), with that clean venv.

    make packaging      (or: .venv/bin/python -m pytest -q tests/packaging)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FQCN = "azbackup.vmprep"

# Top-level entries a user of the collection runs or reads; anything else in the tarball is a leak.
ALLOWED_TOP = {
    "MANIFEST.json", "FILES.json", "README.md", "CHANGELOG.md", "LICENSE", "requirements.txt", "bindep.txt",
    "meta", "plugins", "roles", "playbooks", "inventories", "awx", "docs", "execution-environment", "changelogs",
    "tests",
}
# Under tests/ only what certifiers read when they run ansible-test sanity on the tarball.
ALLOWED_TESTS = ("tests/config.yml", "tests/sanity/")
FORBIDDEN = ("Makefile", "scripts/", "requirements-dev.txt", "pyproject.toml", "tests/sandbox/", "tests/bench/",
             "tests/unit/", "tests/integration/", "tests/roles/", "tests/peer/", "tests/compat/", "tests/constraints/",
             "inventories/demo/", "changelogs/fragments/", "changelogs/.plugin-cache.yaml", "build/", "reports/",
             ".ci/", ".cache/", ".venv", "venv2/", "env-py/", ".ansible-lint", "galaxy.yml")


def _venv_bin(prefix):
    return os.path.join(prefix, "bin")


def _run(cmd, **kwargs):
    out = subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)
    assert out.returncode == 0, f"{' '.join(cmd)} failed ({out.returncode}):\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
    return out.stdout


def _make_venv_like(path):
    """A directory that looks like a virtualenv (pyvenv.cfg, bin/, lib/.../site-packages) under a name no deny-list
    would guess."""
    os.makedirs(os.path.join(path, "bin"))
    site = os.path.join(path, "lib", "python3.13", "site-packages", "somepkg")
    os.makedirs(site)
    for rel, text in (("pyvenv.cfg", "home = /usr/bin\n"), ("bin/activate", "# venv\n"),
                      ("lib/python3.13/site-packages/somepkg/__init__.py", "X = 1\n"),
                      ("lib/python3.13/site-packages/somepkg/data.yml", "a: 1\n"),
                      ("lib/python3.13/site-packages/somepkg/README.md", "# pkg\n")):
        with open(os.path.join(path, rel), "w", encoding="utf-8") as fh:
            fh.write(text)


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A copy of the tracked files (scripts/collection.sh tree), plus a developer's strays."""
    base = tmp_path_factory.mktemp("src")
    dest = _run([os.path.join(ROOT, "scripts", "collection.sh"), "tree", str(base)], cwd=ROOT).strip().splitlines()[-1]
    for stray in ("venv2", "env-py", ".venv-other", "roles/vm_agent/venv3", "plugins/venv4", "plugins/modules/venv5",
                  "docs/venv6", "playbooks/venv7", "build/lib", "reports/r"):
        _make_venv_like(os.path.join(dest, stray))
    for rel in ("changelogs/.plugin-cache.yaml", "azbackup-vmprep-0.0.1.tar.gz", "docs/notes.md~"):
        with open(os.path.join(dest, rel), "w", encoding="utf-8") as fh:
            fh.write("stray\n")
    return dest


@pytest.fixture(scope="module")
def tarball(source, tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    _run([os.path.join(_venv_bin(sys.prefix), "ansible-galaxy"), "collection", "build", "--output-path", str(out), source])
    (path,) = [os.path.join(out, f) for f in os.listdir(out) if f.endswith(".tar.gz")]
    return path


@pytest.fixture(scope="module")
def members(tarball):
    with tarfile.open(tarball) as tar:
        return {m.name.rstrip("/") + ("/" if m.isdir() else ""): m for m in tar.getmembers()}


def _tracked(pattern_dir, suffix=""):
    base = os.path.join(ROOT, pattern_dir)
    return sorted(os.path.join(pattern_dir, f) for f in os.listdir(base) if f.endswith(suffix) and not f.startswith("_"))


def test_version_is_1_0_or_later(tarball, members):
    with tarfile.open(tarball) as tar:
        info = json.load(tar.extractfile("MANIFEST.json"))["collection_info"]
    major = int(info["version"].split(".")[0])
    assert major >= 1, f"Automation Hub requires version 1.0.0 or later, galaxy.yml has {info['version']}"
    assert os.path.basename(tarball) == f"azbackup-vmprep-{info['version']}.tar.gz"


def test_nothing_outside_the_allow_list(members):
    leaks = sorted(n for n in members if n.split("/")[0] not in ALLOWED_TOP)
    assert not leaks, f"not user-facing, yet in the tarball: {leaks}"
    tests = sorted(n for n in members if n.startswith("tests/") and n != "tests/"
                   and not any(n == a or n.startswith(a) for a in ALLOWED_TESTS))
    assert not tests, f"test suites in the tarball: {tests}"


@pytest.mark.parametrize("forbidden", FORBIDDEN)
def test_forbidden_not_shipped(members, forbidden):
    hits = sorted(n for n in members if n == forbidden or n.startswith(forbidden) or f"/{forbidden}" in f"/{n}")
    assert not hits, f"{forbidden} must not ship: {hits[:10]}"


def test_no_venv_cache_or_stray_anywhere(members):
    bad = sorted(n for n in members if "pyvenv.cfg" in n or "site-packages" in n or "__pycache__" in n
                 or n.endswith((".pyc", ".tar.gz", "~")) or "/venv" in f"/{n}" or "somepkg" in n)
    assert not bad, f"strays in the tarball: {bad}"


def test_user_facing_files_ship(members):
    want = ["README.md", "LICENSE", "requirements.txt", "bindep.txt", "meta/runtime.yml", "meta/execution-environment.yml",
            "changelogs/changelog.yaml", "execution-environment/execution-environment.yml",
            "execution-environment/requirements.yml", "tests/config.yml"]
    want += _tracked("plugins/modules", ".py") + _tracked("plugins/module_utils", ".py") + _tracked("plugins/filter", ".py")
    want += _tracked("plugins/inventory", ".py") + _tracked("inventories/azure", ".yml")
    want += _tracked("playbooks", ".yml") + _tracked("docs", ".md") + _tracked("awx", ".yml")
    for role in sorted(os.listdir(os.path.join(ROOT, "roles"))):
        want += [f"roles/{role}/meta/argument_specs.yml", f"roles/{role}/meta/main.yml", f"roles/{role}/tasks/main.yml"]
    for optional in ("CHANGELOG.md", "docs/docsite/links.yml", "docs/docsite/extra-docs.yml"):
        if os.path.exists(os.path.join(ROOT, optional)):
            want.append(optional)
    missing = sorted(w for w in want if w not in members)
    assert not missing, f"user-facing files missing from the tarball: {missing}"


def _ansible_venvs():
    venvs = [pytest.param(sys.prefix, id="test-venv")]
    clean = os.environ.get("AZB_CLEAN_ANSIBLE_VENV")
    if clean:
        venvs.append(pytest.param(os.path.abspath(clean), id="clean-venv"))
    return venvs


@pytest.mark.parametrize("venv", _ansible_venvs())
def test_install_and_ansible_doc_everything(tarball, tmp_path, venv):
    """Install the tarball into an empty path; ansible-doc every module, filter and role from there."""
    bindir = _venv_bin(venv)
    assert os.path.exists(os.path.join(bindir, "ansible-doc")), f"no ansible-core in {venv}"
    dest = tmp_path / "collections"
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(dest), ANSIBLE_HOME=str(tmp_path / "home"),
               ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"), ANSIBLE_NOCOLOR="1", PATH=f"{bindir}:{os.environ['PATH']}")
    env.pop("ANSIBLE_ROLES_PATH", None)
    _run([os.path.join(bindir, "ansible-galaxy"), "collection", "install", "--offline", "--no-deps", "-p", str(dest), tarball],
         env=env)
    installed = dest / "ansible_collections" / "azbackup" / "vmprep"
    assert (installed / "MANIFEST.json").is_file()
    modules = sorted(f[:-3] for f in os.listdir(installed / "plugins" / "modules") if f.endswith(".py") and f != "__init__.py")
    filters = sorted(f[:-3] for f in os.listdir(installed / "plugins" / "filter") if f.endswith(".py") and f != "__init__.py")
    roles = sorted(os.listdir(installed / "roles"))
    assert len(modules) >= 7 and filters and len(roles) >= 4, (modules, filters, roles)

    listed = json.loads(_run([os.path.join(bindir, "ansible-doc"), "-l", "-j", FQCN], env=env))
    assert sorted(listed) == [f"{FQCN}.{m}" for m in modules], listed
    docs = json.loads(_run([os.path.join(bindir, "ansible-doc"), "-j"] + [f"{FQCN}.{m}" for m in modules], env=env))
    for m in modules:
        doc = docs[f"{FQCN}.{m}"]["doc"]
        assert doc["module"] == m and doc["short_description"] and doc["options"], m
        assert docs[f"{FQCN}.{m}"]["examples"], f"{m}: no EXAMPLES"
    for f in filters:
        doc = json.loads(_run([os.path.join(bindir, "ansible-doc"), "-t", "filter", "-j", f"{FQCN}.{f}"], env=env))
        assert doc[f"{FQCN}.{f}"]["doc"]["short_description"], f
    inventories = sorted(f[:-3] for f in os.listdir(installed / "plugins" / "inventory") if f.endswith(".py")
                         and f != "__init__.py")
    assert inventories, "no inventory plugin installed"
    for i in inventories:
        doc = json.loads(_run([os.path.join(bindir, "ansible-doc"), "-t", "inventory", "-j", f"{FQCN}.{i}"], env=env))
        entry = doc[f"{FQCN}.{i}"]["doc"]
        assert entry["short_description"] and entry["options"]["subscriptions"], i
    for r in roles:
        doc = json.loads(_run([os.path.join(bindir, "ansible-doc"), "-t", "role", "-j", f"{FQCN}.{r}"], env=env))
        entry = doc[f"{FQCN}.{r}"]
        assert entry["entry_points"]["main"]["options"], f"role {r}: no options in its argument spec"
        text = _run([os.path.join(bindir, "ansible-doc"), "-t", "role", f"{FQCN}.{r}"], env=env)
        assert "ENTRY POINT: main" in text or "ENTRY POINT: *main*" in text, text[:500]
