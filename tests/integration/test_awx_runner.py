"""The main playbook run the way AWX / Automation Platform runs a job template: ansible-runner with a private data
directory holding the project (a checkout of this repository), the inventory, the environment variables that the
stock "Microsoft Azure Resource Manager" credential injects, and the survey's answers as extra variables.
Against the sandbox, twice (the second run changes nothing), plus two job slices at once, plus a job whose inventory
is the collection's azure_vms plugin configuration sourced from the project (an inventory source "Sourced from a
Project")."""

import json
import os
import shutil
import sys
import threading

import ansible_runner
import pytest
import yaml

from conftest import ROOT, SEED


def survey_answers():
    """Defaults of the main job template's survey, as AWX would pass them."""
    with open(os.path.join(ROOT, "awx", "surveys", "prepare.json"), encoding="utf-8") as handle:
        spec = json.load(handle)
    return {q["variable"]: q.get("default") for q in spec["spec"] if q.get("default") not in (None, "")}


def private_data_dir(tmp_path, sandbox, collections_path, extravars, hosts, plugin_config=None):
    pdd = tmp_path / "awx-job"
    project = pdd / "project"
    # A project checkout: the playbooks of the repository, as AWX clones them.
    shutil.copytree(os.path.join(ROOT, "playbooks"), project / "playbooks")
    (pdd / "inventory").mkdir(parents=True)
    (pdd / "inventory" / "hosts.yml").write_text(yaml.safe_dump(hosts))
    if plugin_config is not None:
        # The inventory update of a project-sourced source runs the plugin with the same injected environment.
        (pdd / "inventory" / "backup.azure_vms.yml").write_text(yaml.safe_dump(plugin_config))
    (pdd / "env").mkdir()
    # The credential type injects exactly these variables.
    envvars = {
        "AZURE_SUBSCRIPTION_ID": sandbox.subscription_id,
        "AZURE_CLIENT_ID": sandbox.client_id,
        "AZURE_SECRET": sandbox.client_secret,
        "AZURE_TENANT": sandbox.tenant_id,
        "AZURE_CLOUD_ENVIRONMENT": sandbox.url,
        # What the execution environment provides: the CA of this private cloud, the installed collections.
        "REQUESTS_CA_BUNDLE": sandbox.ca_bundle,
        "ANSIBLE_COLLECTIONS_PATH": collections_path,
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
    }
    (pdd / "env" / "envvars").write_text(yaml.safe_dump(envvars))
    (pdd / "env" / "extravars").write_text(yaml.safe_dump(extravars))
    return pdd


def inventory(slice_hosts=None):
    vms = {
        "vm-proxy-weu": {"location": "westeurope"}, "vm-web-weu-01": {"location": "westeurope"},
        "vm-sql-weu-01": {"location": "westeurope"}, "vm-app-weu-02": {"location": "westeurope"},
        "vm-app-neu-01": {"location": "northeurope"}, "vm-win-neu-01": {"location": "northeurope"},
        "vm-legacy-neu-01": {"location": "northeurope"},
    }
    if slice_hosts is not None:
        vms = {k: v for k, v in vms.items() if k in slice_hosts}
    return {"all": {"hosts": {"localhost": {"ansible_connection": "local"}},
                    "children": {"azure_vms": {"hosts": vms}}}}


def run_job(pdd, ident):
    return ansible_runner.run(private_data_dir=str(pdd), playbook="playbooks/prepare_backup_environment.yml",
                              ident=ident, quiet=True, settings={"suppress_ansible_output": True})


@pytest.fixture
def estate(sandbox, monkeypatch):
    # ansible-runner finds ansible-playbook on PATH, as in an execution environment.
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    with open(SEED, encoding="utf-8") as handle:
        sandbox.control.load_fixtures(json.load(handle))
    return sandbox


# Step 6 answered as a user would in the survey: a policy list in the textarea (JSON), a default policy, a first backup.
STEP6_POLICIES = [{"name": "daily", "schedule": {"frequency": "daily", "times": ["22:00"]},
                   "retention": {"daily": {"count": 30}}}]
STEP6_ANSWERS = {"azbackup_backup_policies": json.dumps(STEP6_POLICIES), "azbackup_default_policy": "daily",
                 "azbackup_first_backup": "true"}


def test_main_playbook_through_ansible_runner(estate, collections_path, tmp_path):
    sandbox = estate
    extravars = dict(survey_answers(), azbackup_report_dir=str(tmp_path / "reports"), **STEP6_ANSWERS)
    pdd = private_data_dir(tmp_path, sandbox, collections_path, extravars, inventory())
    first = run_job(pdd, "job-1")
    assert first.status == "successful" and first.rc == 0, first.stdout.read()[-4000:]
    assert first.stats["changed"].get("localhost", 0) > 0
    second = run_job(pdd, "job-2")
    assert second.status == "successful", second.stdout.read()[-4000:]
    # Re-running the job template changes nothing in Azure (the report files are rewritten identically).
    assert second.stats["changed"].get("localhost", 0) == 0, second.stats
    assert os.path.exists(tmp_path / "reports" / "readiness.html")
    with open(tmp_path / "reports" / "readiness.md", encoding="utf-8") as handle:
        assert "## Protection" in handle.read()  # step 6 ran: the VMs that are ready are protected, backed up once
    assert_prepared(sandbox)
    vaults = [r for r in sandbox.control.requests() if "/vaults/" in r["path"] and r["method"] == "PUT"
              and "/" not in r["path"].split("/vaults/", 1)[1]]  # the vaults themselves, not step 6's policies, items
    assert len({v["path"].lower() for v in vaults}) == 2  # one vault per region: westeurope and northeurope
    # The secret reached Azure only through the token request (never in job output).
    for event in second.events:
        assert sandbox.client_secret not in json.dumps(event)


def test_job_slices_at_once(estate, collections_path, tmp_path):
    """AWX job slicing: the inventory split across slices that run at the same time."""
    sandbox = estate
    extravars = dict(survey_answers(), azbackup_report_dir=str(tmp_path / "reports"))
    slices = [["vm-proxy-weu", "vm-web-weu-01", "vm-app-neu-01"], ["vm-sql-weu-01", "vm-app-weu-02", "vm-win-neu-01"],
              ["vm-legacy-neu-01"], ["vm-app-weu-02", "vm-legacy-neu-01"]]
    results = {}

    def job(index, hosts):
        pdd = private_data_dir(tmp_path / ("slice%d" % index), sandbox, collections_path, extravars, inventory(hosts))
        results[index] = run_job(pdd, "slice-%d" % index)

    threads = [threading.Thread(target=job, args=(i, s)) for i, s in enumerate(slices)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    for index, result in results.items():
        assert result.status == "successful", (index, result.stdout.read()[-4000:])
    assert len(results) == len(slices)
    assert_prepared(sandbox)
    print("slicing: %d slices at once converged: one vault per region, every NSG rule present" % len(slices))


def test_main_playbook_with_the_azure_vms_inventory(estate, collections_path, tmp_path):
    """The done-when line: an ansible-runner job of the main playbook whose inventory source is the collection's
    azure_vms plugin (no static VM list): vault regions come from the plugin's azure_location host variables."""
    sandbox = estate
    extravars = dict(survey_answers(), azbackup_report_dir=str(tmp_path / "reports"))
    localhost_only = {"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}
    # The guest groups stay empty: the sandbox's VMs cannot be logged into (inventories/azure/backup.azure_vms.yml
    # shows the groups a real estate uses).
    plugin_config = {"plugin": "azbackup.vmprep.azure_vms", "readiness": True,
                     "keyed_groups": [{"prefix": "role", "key": "azure_tags.role | default('none')"}]}
    pdd = private_data_dir(tmp_path, sandbox, collections_path, extravars, localhost_only, plugin_config)
    first = run_job(pdd, "plugin-job-1")
    assert first.status == "successful" and first.rc == 0, first.stdout.read()[-4000:]
    assert first.stats["changed"].get("localhost", 0) > 0
    second = run_job(pdd, "plugin-job-2")
    assert second.status == "successful", second.stdout.read()[-4000:]
    assert second.stats["changed"].get("localhost", 0) == 0, second.stats
    # The static part of the inventory has localhost only and the survey names no region: the vaults of both regions
    # exist because the plugin's hosts (azure_location) gave the regions.
    assert_prepared(sandbox)
    for event in first.events:
        assert sandbox.client_secret not in json.dumps(event)


def test_inventory_update_through_ansible_runner(estate, collections_path, tmp_path):
    """An AWX inventory update of a project-sourced source: ansible-inventory run by ansible-runner on the project's
    azure_vms.yml with the credential's environment; groups by region, OS and readiness verdict."""
    sandbox = estate
    pdd = private_data_dir(tmp_path, sandbox, collections_path, {}, {"all": {}},
                           {"plugin": "azbackup.vmprep.azure_vms", "readiness": True})
    envvars = yaml.safe_load((pdd / "env" / "envvars").read_text())
    source = str(pdd / "inventory" / "backup.azure_vms.yml")
    out, err = ansible_runner.get_inventory("list", [source], response_format="json", envvars=envvars, quiet=True)
    assert isinstance(out, dict), (out, err)
    groups = set(out) - {"_meta", "all", "ungrouped"}
    assert {"azure_vms", "azure_region_westeurope", "azure_region_northeurope", "azure_os_linux",
            "azure_os_windows"} <= groups, groups
    assert any(g.startswith("azure_readiness_") for g in groups), groups
    assert len(out["_meta"]["hostvars"]) == 7
    assert sandbox.client_secret not in json.dumps(out) + str(err)


def assert_prepared(sandbox):
    """One vault per region and no duplicate; on every NSG the three service-tag rules plus every seeded rule but
    the proxy exception (the survey's mode is service_tags, which removes option 2's rule: a switch converges)."""
    with open(SEED, encoding="utf-8") as handle:
        seed = json.load(handle)
    resources = sandbox.control.state()["resources"]
    vaults = sorted((v["location"], v["name"]) for v in resources["vaults"])
    assert vaults == [("northeurope", "rsv-backup-northeurope"), ("westeurope", "rsv-backup-westeurope")], vaults
    for nsg in seed["network_security_groups"]:
        current = next(n for n in resources["networkSecurityGroups"] if n["name"] == nsg["name"])
        names = [r["name"] for r in current["properties"]["securityRules"]]
        expected = [r["name"] for r in nsg.get("security_rules", []) if r["name"] != "AllowProxyToInternet"] + [
            "AzureBackup-Storage", "AzureBackup-Service", "AzureBackup-EntraID"]
        assert sorted(names) == sorted(expected), (nsg["name"], names)
