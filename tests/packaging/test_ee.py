"""The execution environment builds from the locally built tarball, with no Galaxy lookup for azbackup.vmprep.

scripts/ee-context.sh (`make ee-context`) builds the tarball and runs `ansible-builder create`. The image build
itself needs a container engine and a registry; what it would do with the collection is checked here: the
galaxy stage's `ansible-galaxy collection install -r requirements.yml`, run in the context's _build/ directory
(the stage's WORKDIR /build), installs azbackup.vmprep from the tarball offline.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.join(sys.prefix, "bin")


def _run(cmd, **kwargs):
    out = subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)
    assert out.returncode == 0, f"{' '.join(cmd)} failed ({out.returncode}):\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
    return out.stdout


def test_requirements_do_not_ask_galaxy_for_this_collection():
    with open(os.path.join(ROOT, "execution-environment", "requirements.yml"), encoding="utf-8") as fh:
        reqs = yaml.safe_load(fh)["collections"]
    names = [r["name"] if isinstance(r, dict) else r for r in reqs]
    assert "azbackup.vmprep" not in names, "azbackup.vmprep is not on Galaxy: install it from the tarball"
    local = [r for r in reqs if isinstance(r, dict) and r.get("type") == "file"]
    assert [r["name"] for r in local] == ["collections/azbackup-vmprep.tar.gz"], local


def test_ee_context_installs_the_collection_from_the_tarball(tmp_path):
    context = tmp_path / "ee"
    env = dict(os.environ, VENV=sys.prefix)
    _run([os.path.join(ROOT, "scripts", "ee-context.sh"), str(context)], cwd=ROOT, env=env)
    containerfile = (context / "Containerfile").read_text(encoding="utf-8")
    assert "COPY _build /build" in containerfile and "-r requirements.yml" in containerfile
    build = context / "_build"
    assert (build / "collections" / "azbackup-vmprep.tar.gz").is_file()
    with open(build / "requirements.yml", encoding="utf-8") as fh:
        reqs = yaml.safe_load(fh)["collections"]
    # the galaxy stage, minus what only Galaxy can provide (azure.azcollection and the dependencies)
    local = tmp_path / "local-requirements.yml"
    local.write_text(yaml.safe_dump({"collections": [r for r in reqs if isinstance(r, dict) and r.get("type") == "file"]}))
    dest = tmp_path / "collections"
    _run([os.path.join(BIN, "ansible-galaxy"), "collection", "install", "--offline", "--no-deps", "-r", str(local),
          "--collections-path", str(dest)], cwd=build, env=dict(os.environ, ANSIBLE_HOME=str(tmp_path / "home")))
    manifest = dest / "ansible_collections" / "azbackup" / "vmprep" / "MANIFEST.json"
    info = json.loads(manifest.read_text(encoding="utf-8"))["collection_info"]
    with open(os.path.join(ROOT, "galaxy.yml"), encoding="utf-8") as fh:
        assert info["version"] == yaml.safe_load(fh)["version"]
