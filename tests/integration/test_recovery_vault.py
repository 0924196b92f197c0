"""recovery_vault and recovery_vault_info against the ARM sandbox: create, idempotence, updates, check mode, diff,
service-side locks, delete, input errors before any request, authentication failure; the core scenarios run twice,
once clean and once with ~30% transient faults (429/500/503 with Retry-After, dropped connections)."""

import json

import pytest
from conftest import arm_requests

RG = "rg-backup"
SUB = "33333333-3333-3333-3333-333333333333"
PATH = "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.RecoveryServices/vaults/" % (SUB, RG)
SHAPE = {"id", "name", "location", "resource_group", "provisioning_state", "storage_redundancy", "cross_region_restore",
         "soft_delete", "soft_delete_retention_days", "immutability", "public_network_access", "sku", "tags", "etag"}


@pytest.fixture(scope="module")
def fault_counts():
    """Faults injected per test in 'faults' mode; a short test may draw none, the tests together must draw several."""
    counts = {}
    yield counts
    if len(counts) >= 4:
        assert sum(counts.values()) >= 3, "the fault profile injected almost nothing: %s" % counts


@pytest.fixture(params=["clean", "faults"])
def mode(request, sandbox, fault_counts):
    """The group every test uses; in 'faults' mode ~30% of ARM requests and LRO polls fail transiently."""
    sandbox.control.load_fixtures({"resource_groups": [{"name": RG, "location": "westeurope"}]})
    if request.param == "faults":
        sandbox.control.set_faults(fault_rate=0.25, drop_rate=0.05, fault_statuses=[429, 500, 503], retry_after=1,
                                   seed=sum(map(ord, request.node.name)))
    yield request.param
    if request.param == "faults":
        fault_counts[request.node.name] = sum(1 for r in sandbox.control.requests() if r.get("fault"))


@pytest.fixture
def group(sandbox):
    sandbox.control.load_fixtures({"resource_groups": [{"name": RG, "location": "westeurope"}]})


def mark(sandbox):
    log = sandbox.control.requests()
    return log[-1]["seq"] if log else 0


def served(sandbox, since=0, writes=None, method=None):
    """ARM requests (and LRO polls) after `since` that took effect: injected faults left out, except writes that were
    applied and then lost their answer (lost-drop, lost-500)."""
    log = [r for r in sandbox.control.requests() if r.get("kind") in ("arm", "lro-poll") and r["seq"] > since]
    if writes is not None:
        log = [r for r in log if bool(r.get("is_write")) == writes]
    out = [r for r in log if r.get("fault") in (None, "latency") or str(r.get("fault")).startswith("lost")]
    if method:
        out = [r for r in out if r["method"] == method]
    return out


def vault_args(name="rsv1", **kw):
    return dict({"name": name, "resource_group": RG}, **kw)


def stored(sandbox, name="rsv1"):
    for vault in sandbox.control.state()["resources"].get("vaults", []):
        if vault["name"] == name:
            return vault
    return None


def assert_ok(result):
    assert not result.get("failed"), json.dumps(result, indent=1)
    assert "Traceback" not in json.dumps(result)


def assert_failed(result, *words):
    assert result.get("failed"), json.dumps(result, indent=1)
    text = json.dumps(result)
    assert "Traceback" not in text
    for word in words:
        assert word in result["msg"] + " " + result.get("hint", ""), result["msg"]


# ---- create -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("redundancy", ["GeoRedundant", "LocallyRedundant", "ZoneRedundant", None])
def test_create_with_each_redundancy(run, sandbox, mode, redundancy):
    args = vault_args(location="West Europe")
    if redundancy:
        args["storage_redundancy"] = redundancy
    result = run.module("recovery_vault", args)
    assert_ok(result)
    assert result["changed"] is True
    vault = result["vault"]
    assert set(vault) == SHAPE
    assert vault["name"] == "rsv1" and vault["location"] == "westeurope" and vault["resource_group"] == RG
    assert vault["id"] == PATH + "rsv1" and vault["sku"] == "Standard" and vault["provisioning_state"] == "Succeeded"
    # Left out, the module reports what Azure chose.
    assert vault["storage_redundancy"] == (redundancy or "GeoRedundant")
    assert stored(sandbox)["properties"]["redundancySettings"]["standardTierStorageRedundancy"] == vault["storage_redundancy"]
    puts = served(sandbox, method="PUT")
    assert len(puts) == 1 and len(served(sandbox, writes=True)) == 1
    sent = puts[0]["body"]["properties"].get("redundancySettings")
    assert sent == ({"standardTierStorageRedundancy": redundancy} if redundancy else None)


def test_create_with_every_setting(run, sandbox, mode):
    args = vault_args(location="westeurope", storage_redundancy="GeoRedundant", cross_region_restore=True,
                      soft_delete="Enabled", soft_delete_retention_days=30, immutability="Unlocked",
                      public_network_access="Disabled", tags={"owner": "platform", "tier": 1})
    result = run.module("recovery_vault", args)
    assert_ok(result)
    vault = result["vault"]
    assert (vault["storage_redundancy"], vault["cross_region_restore"], vault["soft_delete"],
            vault["soft_delete_retention_days"], vault["immutability"], vault["public_network_access"]) == (
        "GeoRedundant", True, "Enabled", 30, "Unlocked", "Disabled")
    assert vault["tags"] == {"owner": "platform", "tier": "1"}
    again = run.module("recovery_vault", args)
    assert_ok(again)
    assert again["changed"] is False and again["vault"] == dict(vault, etag=again["vault"]["etag"])


def test_create_needs_location(run, sandbox, group):
    result = run.module("recovery_vault", vault_args())
    assert_failed(result, "location is required")
    assert served(sandbox, writes=True) == []


# ---- idempotence ----------------------------------------------------------------------------------------------------

def test_rerun_is_one_get_and_no_write(run, sandbox, mode):
    args = vault_args(location="westeurope", storage_redundancy="LocallyRedundant", soft_delete="Enabled",
                      soft_delete_retention_days=14, public_network_access="Enabled", tags={"env": "prod"})
    assert_ok(run.module("recovery_vault", args))
    since = mark(sandbox)
    result = run.module("recovery_vault", args)
    assert_ok(result)
    assert result["changed"] is False
    requests = served(sandbox, since)
    assert [(r["method"], r["path"]) for r in requests] == [("GET", PATH + "rsv1")]
    assert result["diff"]["before"] == result["diff"]["after"]


# ---- updates --------------------------------------------------------------------------------------------------------

UPDATES = [
    ({"storage_redundancy": "LocallyRedundant"},
     {"properties": {"redundancySettings": {"standardTierStorageRedundancy": "LocallyRedundant"}}}),
    ({"storage_redundancy": "GeoRedundant", "cross_region_restore": True},
     {"properties": {"redundancySettings": {"standardTierStorageRedundancy": "GeoRedundant", "crossRegionRestore": "Enabled"}}}),
    ({"cross_region_restore": False}, {"properties": {"redundancySettings": {"crossRegionRestore": "Disabled"}}}),
    ({"soft_delete_retention_days": 60},
     {"properties": {"securitySettings": {"softDeleteSettings": {"softDeleteRetentionPeriodInDays": 60}}}}),
    ({"soft_delete": "Disabled"}, {"properties": {"securitySettings": {"softDeleteSettings": {"softDeleteState": "Disabled"}}}}),
    ({"soft_delete": "AlwaysON"}, {"properties": {"securitySettings": {"softDeleteSettings": {"softDeleteState": "AlwaysON"}}}}),
    ({"immutability": "Unlocked"}, {"properties": {"securitySettings": {"immutabilitySettings": {"state": "Unlocked"}}}}),
    ({"immutability": "Locked", "immutability_lock_confirm": True},
     {"properties": {"securitySettings": {"immutabilitySettings": {"state": "Locked"}}}}),
    ({"public_network_access": "Disabled"}, {"properties": {"publicNetworkAccess": "Disabled"}}),
    # Tags go through ARM's Tags API: only the tags given, merged by ARM; append_tags=false replaces them all.
    ({"tags": {"b": "2"}}, {"operation": "Merge", "properties": {"tags": {"b": "2"}}}),
    ({"tags": {"c": "3"}, "append_tags": False}, {"operation": "Replace", "properties": {"tags": {"c": "3"}}}),
]


def test_update_each_property(run, sandbox, mode):
    base = vault_args(location="westeurope", storage_redundancy="GeoRedundant", tags={"a": "1"})
    tasks = [{"name": "create", "azbackup.vmprep.recovery_vault": base}]
    for number, (options, _body) in enumerate(UPDATES):
        tasks.append({"name": "update %d" % number, "azbackup.vmprep.recovery_vault": vault_args(**options)})
    # The same settings again: nothing left to change.
    final = vault_args(storage_redundancy="GeoRedundant", cross_region_restore=False, soft_delete="AlwaysON",
                       soft_delete_retention_days=60, immutability="Locked", immutability_lock_confirm=True,
                       public_network_access="Disabled", tags={"c": "3"}, append_tags=False)
    tasks.append({"name": "converged", "azbackup.vmprep.recovery_vault": final})
    results, proc = run.playbook(tasks)
    assert len(results) == len(tasks), proc.stdout[-3000:]
    for result in results:
        assert_ok(result)
    assert [r["changed"] for r in results] == [True] * (len(UPDATES) + 1) + [False]
    # One PATCH per update, each holding only what changed (the vault's settings, or the tags through the Tags API).
    patches = served(sandbox, method="PATCH")
    assert [p["body"] for p in patches] == [body for _options, body in UPDATES]
    assert len(served(sandbox, method="PUT")) == 1 and served(sandbox, method="DELETE") == []
    vault = results[-1]["vault"]
    assert (vault["storage_redundancy"], vault["cross_region_restore"], vault["soft_delete"],
            vault["soft_delete_retention_days"], vault["immutability"], vault["public_network_access"], vault["tags"]) == (
        "GeoRedundant", False, "AlwaysON", 60, "Locked", "Disabled", {"c": "3"})


def test_irreversible_settings_are_refused_without_a_write(run, sandbox, group):
    sandbox.control.load_fixtures({"vaults": [{"name": "rsv1", "resource_group": RG, "location": "westeurope", "properties": {
        "securitySettings": {"softDeleteSettings": {"softDeleteState": "AlwaysON"}, "immutabilitySettings": {"state": "Locked"}},
        "redundancySettings": {"standardTierStorageRedundancy": "LocallyRedundant"}}}]})
    for args, words in (({"soft_delete": "Enabled"}, ["AlwaysON", "irreversible"]),
                        ({"immutability": "Unlocked"}, ["Locked", "irreversible"]),
                        ({"cross_region_restore": True}, ["GeoRedundant", "LocallyRedundant"])):
        assert_failed(run.module("recovery_vault", vault_args(**args)), *words)
    assert served(sandbox, writes=True) == []


# ---- check mode and diff ------------------------------------------------------------------------------------------

def test_check_mode_sends_no_write(run, sandbox, mode):
    create = vault_args(location="westeurope", storage_redundancy="ZoneRedundant", tags={"a": "1"})
    result = run.module("recovery_vault", create, check=True)
    assert_ok(result)
    assert result["changed"] is True and result["vault"]["storage_redundancy"] == "ZoneRedundant"
    assert result["vault"]["id"] == PATH + "rsv1"
    assert stored(sandbox) is None
    # Left out, the redundancy Azure would choose is unknown in check mode.
    result = run.module("recovery_vault", vault_args(location="westeurope"), check=True)
    assert_ok(result)
    assert result["changed"] is True and result["vault"]["storage_redundancy"] is None

    assert_ok(run.module("recovery_vault", create))
    since = mark(sandbox)
    result = run.module("recovery_vault", vault_args(public_network_access="Disabled", tags={"b": "2"}), check=True)
    assert_ok(result)
    assert result["changed"] is True and result["vault"]["public_network_access"] == "Disabled"
    assert result["vault"]["tags"] == {"a": "1", "b": "2"}
    assert stored(sandbox)["properties"]["publicNetworkAccess"] == "Enabled"

    result = run.module("recovery_vault", vault_args(state="absent"), check=True)
    assert_ok(result)
    assert result["changed"] is True and stored(sandbox) is not None
    assert served(sandbox, since, writes=True) == []
    assert [r["method"] for r in served(sandbox, since)] == ["GET", "GET"]


def test_diff_output(run, sandbox, mode):
    assert_ok(run.module("recovery_vault", vault_args(location="westeurope", tags={"a": "1"})))
    result = run.module("recovery_vault", vault_args(soft_delete_retention_days=21, tags={"b": "2"}), diff=True)
    assert_ok(result)
    before, after = result["diff"]["before"], result["diff"]["after"]
    assert {k for k in before if before[k] != after.get(k)} == {"soft_delete_retention_days", "tags"}
    assert (before["soft_delete_retention_days"], after["soft_delete_retention_days"]) == (14, 21)
    assert (before["tags"], after["tags"]) == ({"a": "1"}, {"a": "1", "b": "2"})
    assert "etag" not in before and "provisioning_state" not in after
    # Creation diffs from nothing; deletion to nothing.
    result = run.module("recovery_vault", vault_args("rsv2", location="westeurope"), diff=True, check=True)
    assert result["diff"]["before"] == {} and result["diff"]["after"]["name"] == "rsv2"
    result = run.module("recovery_vault", vault_args(state="absent"), diff=True)
    assert_ok(result)
    assert result["diff"]["after"] == {} and result["diff"]["before"]["name"] == "rsv1"


# ---- location, redundancy lock ------------------------------------------------------------------------------------

def test_location_mismatch(run, sandbox, mode):
    assert_ok(run.module("recovery_vault", vault_args(location="westeurope")))
    since = mark(sandbox)
    result = run.module("recovery_vault", vault_args(location="North Europe", public_network_access="Disabled"))
    assert_failed(result, "already exists in westeurope", "northeurope")
    assert result.get("error_code") == "LocationMismatch"
    assert served(sandbox, since, writes=True) == []
    assert stored(sandbox)["location"] == "westeurope"


def test_redundancy_lock(run, sandbox, mode):
    sandbox.control.load_fixtures({"vaults": [{"name": "rsv1", "resource_group": RG, "location": "westeurope",
                                               "protected_items": 3, "tags": {"a": "1"}}]})
    result = run.module("recovery_vault", vault_args(storage_redundancy="LocallyRedundant"))
    assert_failed(result, "locked at GeoRedundant", "LocallyRedundant", "first item is protected", "new vault")
    assert result["error_code"] == "StorageModelModifyError" and result["status_code"] == 400
    assert stored(sandbox)["properties"]["redundancySettings"]["standardTierStorageRedundancy"] == "GeoRedundant"
    # Other settings of a vault with protected items still change.
    result = run.module("recovery_vault", vault_args(storage_redundancy="GeoRedundant", tags={"b": "2"}))
    assert_ok(result)
    assert result["changed"] is True and result["vault"]["tags"] == {"a": "1", "b": "2"}


# ---- delete ---------------------------------------------------------------------------------------------------------

def test_delete(run, sandbox, mode):
    assert_ok(run.module("recovery_vault", vault_args(location="westeurope")))
    result = run.module("recovery_vault", vault_args(state="absent"))
    assert_ok(result)
    assert result["changed"] is True and result["vault"] == {}
    assert stored(sandbox) is None
    since = mark(sandbox)
    result = run.module("recovery_vault", vault_args(state="absent"))
    assert_ok(result)
    assert result["changed"] is False
    assert [r["method"] for r in served(sandbox, since)] == ["GET"]
    # A resource group that does not exist holds no vault either.
    result = run.module("recovery_vault", {"name": "rsv1", "resource_group": "rg-gone", "state": "absent"})
    assert_ok(result)
    assert result["changed"] is False


def test_delete_of_a_non_empty_vault(run, sandbox, mode):
    sandbox.control.load_fixtures({"vaults": [{"name": "rsv1", "resource_group": RG, "location": "westeurope",
                                               "protected_items": 2}]})
    result = run.module("recovery_vault", vault_args(state="absent"))
    assert_failed(result, "still holds items", "2 backup items", "stop protection")
    assert result["error_code"].startswith("ServiceResourceNotEmpty")
    assert stored(sandbox) is not None


# ---- errors before any request; authentication ------------------------------------------------------------------

@pytest.mark.parametrize("args,words", [
    (vault_args("a", location="westeurope"), ["name 'a'", "2 to 50"]),
    (vault_args("1vault", location="westeurope"), ["name '1vault'", "starting with a letter"]),
    (vault_args("rsv_1", location="westeurope"), ["name 'rsv_1'", "hyphens"]),
    (vault_args("v" * 51, location="westeurope"), ["2 to 50"]),
    (vault_args("rsv1", state="absent", resource_group="rg/x"), ["resource_group"]),
    (vault_args(location="westeurope", storage_redundancy="LocallyRedundant", cross_region_restore=True),
     ["cross_region_restore", "GeoRedundant"]),
    (vault_args(location="westeurope", immutability="Locked"), ["immutability_lock_confirm", "irreversible"]),
    (vault_args(location="westeurope", soft_delete_retention_days=7), ["soft_delete_retention_days", "14", "180"]),
    (vault_args(location="west europe!"), ["location"]),
    (vault_args(location="westeurope", storage_redundancy="Geo"), ["storage_redundancy", "GeoRedundant"]),
])
def test_invalid_input_sends_no_request(run, sandbox, args, words):
    assert_failed(run.module("recovery_vault", args), *words)
    assert sandbox.control.requests() == []


def test_info_invalid_input_sends_no_request(run, sandbox):
    assert_failed(run.module("recovery_vault_info", {"name": "-x", "resource_group": RG}), "name '-x'")
    assert_failed(run.module("recovery_vault_info", {"tags": [":v"]}), "tags")
    assert sandbox.control.requests() == []


def test_authentication_failure(run, sandbox, group):
    result = run.module("recovery_vault", vault_args(location="westeurope"), env=run.env(AZURE_SECRET="x"))
    assert_failed(result, "authentication failed", "secret")
    assert arm_requests(sandbox) == []
    assert sandbox.client_secret not in json.dumps(result)


# ---- recovery_vault_info ------------------------------------------------------------------------------------------

def test_info_lookups(run, sandbox, group):
    sandbox.control.load_fixtures({"resource_groups": [{"name": "rg-other", "location": "northeurope"}], "vaults": [
        {"name": "rsv-b", "resource_group": "rg-other", "location": "northeurope", "tags": {"env": "dev"}},
    ]})
    created = run.module("recovery_vault", vault_args("rsv-a", location="westeurope", tags={"env": "prod", "team": "x"}))
    assert_ok(created)

    since = mark(sandbox)
    one = run.module("recovery_vault_info", {"name": "rsv-a", "resource_group": RG})
    assert_ok(one)
    assert one["changed"] is False
    assert one["vaults"] == [created["vault"]]  # the same normalised shape as the main module
    assert [r["method"] for r in served(sandbox, since)] == ["GET"]

    missing = run.module("recovery_vault_info", {"name": "rsv-none", "resource_group": RG})
    assert_ok(missing)
    assert missing["vaults"] == []

    by_group = run.module("recovery_vault_info", {"resource_group": "rg-other"})
    assert [v["name"] for v in by_group["vaults"]] == ["rsv-b"]
    assert set(by_group["vaults"][0]) == SHAPE

    everything = run.module("recovery_vault_info", {})
    assert sorted(v["name"] for v in everything["vaults"]) == ["rsv-a", "rsv-b"]

    by_name = run.module("recovery_vault_info", {"name": "RSV-B"})
    assert [v["resource_group"] for v in by_name["vaults"]] == ["rg-other"]

    tagged = run.module("recovery_vault_info", {"tags": ["env:prod"]})
    assert [v["name"] for v in tagged["vaults"]] == ["rsv-a"]
    tagged = run.module("recovery_vault_info", {"tags": ["env"]})
    assert len(tagged["vaults"]) == 2
    tagged = run.module("recovery_vault_info", {"tags": ["env", "team:x"], "resource_group": RG})
    assert [v["name"] for v in tagged["vaults"]] == ["rsv-a"]

    no_group = run.module("recovery_vault_info", {"resource_group": "rg-gone"})
    assert_failed(no_group, "rg-gone")
    assert no_group["error_code"] == "ResourceGroupNotFound"


# ---- playbooks/vaults.yml -----------------------------------------------------------------------------------------

INVENTORY = """
vms:
  hosts:
    vm-web-1: {location: westeurope, ansible_host: 192.0.2.10}
    vm-web-2: {location: westeurope, ansible_host: 192.0.2.11}
    vm-db-1: {azure_location: North Europe, location: somewhere-else, ansible_host: 192.0.2.12}
    vm-app-1: {location: swedencentral, ansible_host: 192.0.2.13}
unplaced:
  hosts:
    laptop: {ansible_host: 192.0.2.99}
"""


def run_vaults_playbook(run, tmp_path, extra_vars, check=False):
    import os
    import subprocess
    import sys

    inventory = tmp_path / "inventory.yml"
    inventory.write_text(INVENTORY)
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(inventory),
           "azbackup.vmprep.vaults", "-e", json.dumps(extra_vars)]
    if check:
        cmd.append("--check")
    proc = subprocess.run(cmd, env=run.env(), capture_output=True, text=True, timeout=600, check=False)
    doc = json.loads(proc.stdout[proc.stdout.index("{"):])
    return doc, proc


def vault_task(doc):
    for task in doc["plays"][0]["tasks"]:
        if task["task"]["name"] == "Ensure a vault in each region":
            return task["hosts"]
    raise AssertionError("no vault task in %s" % json.dumps(doc)[:2000])


def test_vaults_playbook_one_vault_per_region(run, sandbox, group, tmp_path):
    extra = {"azbackup_vault_resource_group": RG, "azbackup_vault_hosts": "vms",
             "azbackup_vault_storage_redundancy": "LocallyRedundant", "azbackup_vault_tags": {"purpose": "vm-backup"}}
    doc, proc = run_vaults_playbook(run, tmp_path, extra, check=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert served(sandbox, writes=True) == []

    doc, proc = run_vaults_playbook(run, tmp_path, extra)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    hosts = vault_task(doc)
    assert len(hosts) == 1  # run_once: one host ran the loop, on the controller
    results = next(iter(hosts.values()))["results"]
    assert [(r["region"], r["vault"]["name"], r["changed"]) for r in results] == [
        ("northeurope", "rsv-backup-northeurope", True),
        ("swedencentral", "rsv-backup-swedencentral", True),
        ("westeurope", "rsv-backup-westeurope", True),
    ]
    assert all(r["vault"]["storage_redundancy"] == "LocallyRedundant" for r in results)
    assert all(r["vault"]["tags"] == {"purpose": "vm-backup"} for r in results)
    assert len(served(sandbox, method="PUT")) == 3

    since = mark(sandbox)
    doc, proc = run_vaults_playbook(run, tmp_path, extra)
    assert proc.returncode == 0
    assert not any(r["changed"] for r in next(iter(vault_task(doc).values()))["results"])
    assert served(sandbox, since, writes=True) == [] and len(served(sandbox, since)) == 3


def test_vaults_playbook_region_list_and_missing_group(run, sandbox, group, tmp_path):
    extra = {"azbackup_vault_resource_group": RG, "azbackup_vault_hosts": "unplaced",
             "azbackup_vault_regions": ["West Europe", "westeurope"], "azbackup_vault_name_pattern": "rsv-{{ region }}-01"}
    doc, proc = run_vaults_playbook(run, tmp_path, extra)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    results = next(iter(vault_task(doc).values()))["results"]
    assert [r["vault"]["name"] for r in results] == ["rsv-westeurope-01"]

    # No region anywhere and no resource group: a clear message, no request.
    since = mark(sandbox)
    doc, proc = run_vaults_playbook(run, tmp_path, {"azbackup_vault_hosts": "unplaced"})
    assert proc.returncode != 0
    assert "azbackup_vault_resource_group" in proc.stdout and "azbackup_vault_regions" in proc.stdout
    assert served(sandbox, since) == []


# ---- issue cases: old SDK models, busy answers, lost answers, concurrent tag writers --------------------------------

LRS_PRIVATE = {"redundancySettings": {"standardTierStorageRedundancy": "LocallyRedundant", "crossRegionRestore": "Disabled"},
               "publicNetworkAccess": "Disabled"}


def test_case2_locally_redundant_private_vault_reads_back_whatever_the_sdk(run, sandbox, group):
    """azure-mgmt-recoveryservices 3.0.0 (the lower bound) returned snake_case models: this vault read as
    storage_redundancy None and was "changed" on every run. Run this file with the lower-bound SDKs to see it."""
    sandbox.control.load_fixtures({"vaults": [{"name": "rsv1", "resource_group": RG, "location": "westeurope",
                                               "properties": LRS_PRIVATE, "tags": {"env": "prod"}}]})
    args = vault_args(location="westeurope", storage_redundancy="LocallyRedundant", public_network_access="Disabled",
                      soft_delete="Enabled", soft_delete_retention_days=14, tags={"env": "prod"})
    for _run in range(2):
        result = run.module("recovery_vault", args)
        assert_ok(result)
        assert result["changed"] is False, json.dumps(result["diff"])
        vault = result["vault"]
        assert (vault["storage_redundancy"], vault["public_network_access"], vault["cross_region_restore"],
                vault["soft_delete"], vault["soft_delete_retention_days"], vault["sku"], vault["tags"]) == (
            "LocallyRedundant", "Disabled", False, "Enabled", 14, "Standard", {"env": "prod"})
    assert served(sandbox, writes=True) == []
    for args in ({"name": "rsv1", "resource_group": RG}, {"resource_group": RG}, {}):
        found = run.module("recovery_vault_info", args)
        assert_ok(found)
        assert [(v["storage_redundancy"], v["public_network_access"]) for v in found["vaults"]] == [
            ("LocallyRedundant", "Disabled")]


def test_case2_settings_written_by_an_old_sdk_are_not_dropped(run, sandbox, group):
    """Every setting asked for reaches Azure, whatever the SDK's models know (bodies are sent as JSON as they are)."""
    args = vault_args(location="westeurope", storage_redundancy="LocallyRedundant", public_network_access="Disabled",
                      soft_delete="Enabled", soft_delete_retention_days=30, immutability="Unlocked", tags={"a": "1"})
    result = run.module("recovery_vault", args)
    assert_ok(result)
    body = served(sandbox, method="PUT")[0]["body"]
    assert body["properties"] == {
        "redundancySettings": {"standardTierStorageRedundancy": "LocallyRedundant"},
        "securitySettings": {"softDeleteSettings": {"softDeleteState": "Enabled", "softDeleteRetentionPeriodInDays": 30},
                             "immutabilitySettings": {"state": "Unlocked"}},
        "publicNetworkAccess": "Disabled"}
    result = run.module("recovery_vault", vault_args(soft_delete_retention_days=45, public_network_access="Enabled"))
    assert_ok(result)
    assert served(sandbox, method="PATCH")[-1]["body"] == {"properties": {
        "securitySettings": {"softDeleteSettings": {"softDeleteRetentionPeriodInDays": 45}}, "publicNetworkAccess": "Enabled"}}
    assert (result["vault"]["soft_delete_retention_days"], result["vault"]["public_network_access"]) == (45, "Enabled")


def test_case2_a_read_of_unknown_shape_fails_without_a_write(run, sandbox, group):
    sandbox.control.load_fixtures({"vaults": [{"name": "rsv1", "resource_group": RG, "location": "westeurope",
                                               "properties": {"redundancySettings": "GeoRedundant"}}]})
    result = run.module("recovery_vault", vault_args(storage_redundancy="GeoRedundant"))
    # The message names the field, or (older SDKs, which build their model first) that the SDK could not read it.
    assert_failed(result, "vault 'rsv1'", "nothing was planned")
    assert result["error_code"] == "UnreadableAnswer"
    assert served(sandbox, writes=True) == []


# Fault settings assumed for cases 3 and 4 until the sandbox has them (tests/sandbox/armsandbox/faults.py).
def test_case3_busy_answers_and_busy_lro_final_states_are_retried(run, sandbox, group):
    sandbox.control.set_faults(busy_rate=0.5, busy_retry_after_rate=0.0, busy_lro_rate=0.5, seed=3)
    create = vault_args(location="westeurope", storage_redundancy="LocallyRedundant", tags={"a": "1"})
    for args in (create, vault_args(public_network_access="Disabled", soft_delete_retention_days=30, tags={"b": "2"}),
                 vault_args(state="absent")):
        result = run.module("recovery_vault", dict(args, wait_timeout=120))
        assert_ok(result)
        assert result["changed"] is True
    assert stored(sandbox) is None
    assert any(r.get("fault") for r in sandbox.control.requests()), "no busy answer was injected"


def test_case4_a_write_whose_answer_was_lost_reports_changed(run, sandbox, group):
    # Every write lands, and every answer to it is lost (a dropped connection or a 500).
    sandbox.control.set_faults(lost_answer_rate=1.0, lost_answer_kinds=["drop", 500], seed=4)
    result = run.module("recovery_vault", vault_args(location="westeurope", tags={"a": "1"}), diff=True)
    assert_ok(result)
    assert result["changed"] is True and result["diff"]["before"] == {}
    assert stored(sandbox) is not None and result["vault"]["tags"] == {"a": "1"}
    result = run.module("recovery_vault", vault_args(public_network_access="Disabled", tags={"b": "2"}), diff=True)
    assert_ok(result)
    assert result["changed"] is True
    assert result["diff"]["before"]["public_network_access"] == "Enabled" and result["diff"]["before"]["tags"] == {"a": "1"}
    assert result["diff"]["after"]["public_network_access"] == "Disabled"
    assert result["diff"]["after"]["tags"] == {"a": "1", "b": "2"}
    result = run.module("recovery_vault", vault_args(state="absent"), diff=True)
    assert_ok(result)
    assert result["changed"] is True and result["diff"]["before"]["name"] == "rsv1" and stored(sandbox) is None
    # Each write was sent once and landed (its answer lost): nothing was replayed blindly.
    sent = [r for r in sandbox.control.requests() if r.get("kind") == "arm"]
    # (A profile that also refuses writes as busy adds refused attempts; those changed nothing and are left out.)
    assert [r.get("fault") for r in sent if r["method"] in ("PUT", "DELETE")
            and str(r.get("fault") or "lost").startswith("lost")] in (
        [f, g] for f in ("lost-drop", "lost-500") for g in ("lost-drop", "lost-500")), sent


def test_case6_parallel_tag_updates_lose_nothing(run, sandbox, group):
    """8 runs at once, each adding one tag to the same vault: every tag lands, every run reports a change."""
    import concurrent.futures

    sandbox.control.load_fixtures({"vaults": [{"name": "rsv1", "resource_group": RG, "location": "westeurope",
                                               "tags": {"base": "0"}}]})
    # Latency widens the window between a run's read and its write, as a busy region does.
    sandbox.control.set_faults(latency_ms=300)
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda n: run.module("recovery_vault", vault_args(tags={"t%d" % n: str(n)})), range(8)))
    for result in results:
        assert_ok(result)
    assert [r["changed"] for r in results] == [True] * 8
    want = dict({"base": "0"}, **{"t%d" % n: str(n) for n in range(8)})
    assert stored(sandbox)["tags"] == want, "lost: %s" % sorted(set(want) - set(stored(sandbox)["tags"]))
    # No run sent a tag that was not its own.
    tag_writes = [r["body"] for r in served(sandbox, method="PATCH")]
    assert sorted(len(b["properties"]["tags"]) for b in tag_writes) == [1] * len(tag_writes)


def test_case6_concurrent_setting_change_survives_a_tag_run(run, sandbox, group):
    """A property changed by someone else between this run's read and its write is not reverted, nor a tag added."""
    import concurrent.futures

    sandbox.control.load_fixtures({"vaults": [{"name": "rsv1", "resource_group": RG, "location": "westeurope",
                                               "tags": {"base": "0"}}]})
    sandbox.control.set_faults(latency_ms=300)
    jobs = [vault_args(tags={"mine": "1"}), vault_args(public_network_access="Disabled", tags={"theirs": "2"}),
            vault_args(soft_delete_retention_days=20)]
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda args: run.module("recovery_vault", args), jobs))
    for result in results:
        assert_ok(result)
        assert result["changed"] is True
    vault = stored(sandbox)
    assert vault["tags"] == {"base": "0", "mine": "1", "theirs": "2"}
    assert vault["properties"]["publicNetworkAccess"] == "Disabled"
    assert vault["properties"]["securitySettings"]["softDeleteSettings"]["softDeleteRetentionPeriodInDays"] == 20


def test_case6_append_tags_false_replaces_all_tags(run, sandbox, group):
    sandbox.control.load_fixtures({"vaults": [{"name": "rsv1", "resource_group": RG, "location": "westeurope",
                                               "tags": {"a": "1", "b": "2"}}]})
    result = run.module("recovery_vault", vault_args(tags={"b": "2", "c": "3"}, append_tags=False))
    assert_ok(result)
    assert result["changed"] is True and result["vault"]["tags"] == {"b": "2", "c": "3"}
    assert stored(sandbox)["tags"] == {"b": "2", "c": "3"}
    again = run.module("recovery_vault", vault_args(tags={"b": "2", "c": "3"}, append_tags=False))
    assert_ok(again)
    assert again["changed"] is False
    result = run.module("recovery_vault", vault_args(tags={}, append_tags=False))
    assert_ok(result)
    assert result["changed"] is True and stored(sandbox)["tags"] == {}
