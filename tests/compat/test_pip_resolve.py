"""Does the collection install next to azure.azcollection? pip resolves our requirements.txt together with
azure.azcollection's requirements of the current `ansible` bundle and of the 12.x bundle (azure.azcollection 3.12.0).

The outcomes asserted are the ones found (docs/compatibility.md): the current bundle resolves; 12.x conflicts on
azure-mgmt-core (ours >=1.5.0, azure.azcollection 3.12.0 pins ==1.4.0). Needs PyPI; skips only if it is unreachable.
"""

import glob
import json
import os
import subprocess
import sys
import urllib.request
import zipfile

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HERE = os.path.dirname(os.path.abspath(__file__))
REQUIREMENTS = os.path.join(ROOT, "requirements.txt")
AZ_312 = os.path.join(HERE, "azure.azcollection-3.12.0.requirements.txt")
CACHE = os.path.join(ROOT, "build", "compat")
AZ_MEMBER = "ansible_collections/azure/azcollection/"
OURS = ("azure-identity", "azure-mgmt-core", "azure-mgmt-network", "azure-mgmt-recoveryservices",
        "azure-mgmt-recoveryservicesbackup", "azure-mgmt-compute",
        "jmespath")


@pytest.fixture(scope="module")
def pypi():
    """Skip (only) when PyPI cannot be reached: the resolutions below need its metadata."""
    try:
        with urllib.request.urlopen("https://pypi.org/simple/azure-mgmt-core/", timeout=30) as response:
            response.read(1)
    except OSError as exc:
        pytest.skip("PyPI is unreachable (%s): cannot resolve against azure.azcollection's requirements" % exc)


def pip(*args, timeout=900):
    return subprocess.run([sys.executable, "-m", "pip", *args], capture_output=True, text=True, timeout=timeout,
                          check=False, env=dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1"))


def resolve(tmp_path, *requirement_files):
    """pip's resolution of the given requirement files on this Python: (process, {name: version} or None)."""
    report = tmp_path / "report.json"
    args = ["install", "--dry-run", "--ignore-installed", "--report", str(report)]
    for path in requirement_files:
        args += ["-r", path]
    proc = pip(*args)
    if proc.returncode != 0:
        return proc, None
    doc = json.loads(report.read_text())
    return proc, {i["metadata"]["name"].lower().replace("_", "-"): i["metadata"]["version"] for i in doc["install"]}


def installed_azcollection():
    """requirements.txt and version of the azure.azcollection shipped in the installed `ansible` package."""
    import ansible_collections  # the `ansible` bundle's namespace package

    for base in ansible_collections.__path__:
        path = os.path.join(base, "azure", "azcollection")
        if os.path.exists(os.path.join(path, "requirements.txt")):
            with open(os.path.join(path, "MANIFEST.json"), encoding="utf-8") as fh:
                version = json.load(fh)["collection_info"]["version"]
            return os.path.join(path, "requirements.txt"), version
    pytest.fail("the `ansible` package in %s carries no azure.azcollection (requirements-dev.txt installs it)" % sys.prefix)


def test_current_bundle_resolves(pypi, tmp_path):
    from importlib.metadata import version

    requirements, az_version = installed_azcollection()
    proc, chosen = resolve(tmp_path, REQUIREMENTS, requirements)
    assert chosen, "ansible %s (azure.azcollection %s) no longer co-installs:\n%s" % (
        version("ansible"), az_version, proc.stderr[-4000:])
    print("ansible %s, azure.azcollection %s: resolves with %s" % (
        version("ansible"), az_version, ", ".join("%s %s" % (n, chosen[n]) for n in OURS)))
    for name in OURS:
        assert name in chosen


def test_ansible_12_bundle_conflicts_on_azure_mgmt_core(pypi, tmp_path):
    proc, chosen = resolve(tmp_path, REQUIREMENTS, AZ_312)
    assert chosen is None, "azure.azcollection 3.12.0 now co-installs: update docs/compatibility.md and this test"
    err = proc.stderr
    assert "ResolutionImpossible" in err, err[-4000:]
    conflict = [line for line in err.splitlines() if line.startswith("ERROR: Cannot install")]
    assert conflict, err[-4000:]
    # The one conflict: our azure-mgmt-core>=1.5.0 against azure.azcollection 3.12.0's azure-mgmt-core==1.4.0.
    assert "azure-mgmt-core" in conflict[0] and ">=1.5.0" in conflict[0] and "==1.4.0" in conflict[0], conflict[0]


def test_stored_12x_requirements_match_pypi(pypi):
    """The stored copy is the file of the newest ansible 12.x wheel on PyPI (downloaded once into build/compat/)."""
    wheels = sorted(glob.glob(os.path.join(CACHE, "ansible-12.*-py3-none-any.whl")))
    if not wheels:
        os.makedirs(CACHE, exist_ok=True)
        proc = pip("download", "--no-deps", "--only-binary=:all:", "-d", CACHE, "ansible>=12,<13")
        assert proc.returncode == 0, proc.stderr[-4000:]
        wheels = sorted(glob.glob(os.path.join(CACHE, "ansible-12.*-py3-none-any.whl")))
    assert wheels, "pip download left no ansible 12.x wheel in %s" % CACHE
    with zipfile.ZipFile(wheels[-1]) as wheel:
        manifest = json.loads(wheel.read(AZ_MEMBER + "MANIFEST.json"))
        downloaded = wheel.read(AZ_MEMBER + "requirements.txt")
    assert manifest["collection_info"]["version"] == "3.12.0", os.path.basename(wheels[-1])
    with open(AZ_312, "rb") as fh:
        assert fh.read() == downloaded, "%s differs from %s in %s" % (AZ_312, AZ_MEMBER + "requirements.txt", wheels[-1])
