"""backup_now and backup_job_info against the ARM sandbox: an on-demand backup that completes, jobs that fail with the
error codes backup_readiness_info predicts (agent not Ready, no outbound path), only_first re-runs without change,
check mode, wait=false, job filters, a VM the vault does not protect, bad input before any request, and a trigger
whose answer is lost is not sent twice."""

import json

import pytest
from backup_helpers import estate, item, job, protect, vm_id
from conftest import arm_requests

VAULT = {"vault_name": "rsv1", "vault_resource_group": "rg-backup"}


def args(vms, **kw):
    return dict(VAULT, vms=vms, **kw)


def ok(result):
    assert not result.get("failed"), json.dumps(result, indent=1)
    assert "Traceback" not in json.dumps(result)
    return result


def failed(result, *words):
    assert result.get("failed"), json.dumps(result, indent=1)
    text = json.dumps(result)
    assert "Traceback" not in text
    for word in words:
        assert word in result["msg"], (word, result["msg"])
    return result


def posts(sandbox, suffix="/backup"):
    return [r for r in sandbox.control.requests() if r["method"] == "POST" and r["path"].endswith(suffix)]


def job_gets(sandbox):
    return [r for r in arm_requests(sandbox) if r["method"] == "GET" and "/backupJobs/" in r["path"]]


def test_first_backup_completes_and_rerun_changes_nothing(sandbox, run):
    estate(sandbox, [{"name": "vm1"}, {"name": "vm2"}])
    arm = protect(sandbox, ["vm1", "vm2"])
    sandbox.control.set_faults(lro_polls=3, lro_retry_after=0.6, lro_max_seconds=30)
    sandbox.control.clear_requests()
    result = ok(run.module("backup_now", args([{"name": "vm1", "resource_group": "rg-app"}, vm_id("vm2")],
                                              retain_days=10)))
    assert result["changed"] is True
    assert [j["name"] for j in result["jobs"]] == ["vm1", "vm2"]
    for entry in result["jobs"]:
        assert entry["triggered"] is True and entry["status"] == "Completed" and entry["failed"] is False
        assert entry["job_id"] and entry["start_time"] and entry["end_time"]
        assert isinstance(entry["duration_seconds"], float) and entry["error_code"] is None
        done = job(arm, entry["job_id"])["properties"]
        assert (done["operation"], done["status"], done["entityFriendlyName"]) == ("Backup", "Completed", entry["name"])
    for name in ("vm1", "vm2"):
        props = item(arm, name)
        assert props["lastBackupStatus"] == "Completed" and props["lastRecoveryPoint"]
    body = posts(sandbox)[0]["body"]["properties"]
    assert body["objectType"] == "IaasVMBackupRequest" and body["recoveryPointExpiryTimeInUTC"].endswith("T00:00:00Z")
    assert len(posts(sandbox)) == 2
    # The jobs took a few polling rounds, each one list of the vault's backup jobs for both VMs (no GET per job).
    rounds = [r for r in arm_requests(sandbox) if r["path"].endswith("/backupJobs")
              and "startTime" in (r["query"].get("$filter") or "")]
    assert rounds
    # Re-run: every VM has a recovery point now; one list of protected items, nothing else.
    sandbox.control.clear_requests()
    again = ok(run.module("backup_now", args([{"name": "vm1", "resource_group": "rg-app"}, vm_id("vm2")])))
    assert again["changed"] is False
    assert [(j["status"], j["triggered"]) for j in again["jobs"]] == [("Skipped", False)] * 2
    assert "recovery point" in again["jobs"][0]["msg"]
    log = arm_requests(sandbox)
    assert [(r["method"], r["path"].rsplit("/", 1)[-1]) for r in log] == [("GET", "backupProtectedItems")]


def test_failed_jobs_carry_the_readiness_error_codes(sandbox, run):
    estate(sandbox, [{"name": "vm1"}, {"name": "vm-noagent", "agent_status": "NotReady"},
                     {"name": "vm-nonet", "backup_network_path": False}])
    protect(sandbox, ["vm1", "vm-noagent", "vm-nonet"])
    sandbox.control.set_faults(lro_polls=2, lro_retry_after=0.5, lro_max_seconds=30)
    vms = [{"name": n, "resource_group": "rg-app"} for n in ("vm1", "vm-noagent", "vm-nonet")]
    result = failed(run.module("backup_now", args(vms, max_concurrency=2)),
                    "2 of 3 VMs failed", "vm-noagent", "UserErrorGuestAgentStatusUnavailable", "vm-nonet",
                    "ExtensionSnapshotFailedNoNetwork")
    assert "vm1:" not in result["msg"]
    assert result["changed"] is True
    first, noagent, nonet = result["jobs"]
    assert (first["status"], first["failed"]) == ("Completed", False)
    assert (noagent["status"], noagent["failed"], noagent["error_code"]) == (
        "Failed", True, "UserErrorGuestAgentStatusUnavailable")
    assert isinstance(noagent["error_number"], int) and noagent["recommendations"] and noagent["error_message"]
    assert (nonet["status"], nonet["error_code"]) == ("Failed", "ExtensionSnapshotFailedNoNetwork")
    # fail_on_job_failure=false: the failed jobs are reported, the task does not fail (only_first triggers again:
    # the failed VMs still have no recovery point).
    sandbox.control.set_faults(lro_polls=1, lro_retry_after=0.05)
    sandbox.control.clear_requests()
    result = ok(run.module("backup_now", args(vms, fail_on_job_failure=False)))
    assert [(j["name"], j["triggered"], j["status"]) for j in result["jobs"]] == [
        ("vm1", False, "Skipped"), ("vm-noagent", True, "Failed"), ("vm-nonet", True, "Failed")]
    assert not any(j["failed"] for j in result["jobs"]) and len(posts(sandbox)) == 2


def test_check_mode_triggers_nothing(sandbox, run):
    estate(sandbox, [{"name": "vm1"}, {"name": "vm2"}])
    protect(sandbox, ["vm1"])
    sandbox.control.clear_requests()
    result = run.module("backup_now", args([{"name": "vm1", "resource_group": "rg-app"}]), check=True, diff=True)
    ok(result)
    assert result["changed"] is True and result["jobs"][0]["triggered"] is True and result["jobs"][0]["job_id"] is None
    assert result["diff"]["before"]["vm1"]["last_recovery_point"] is None
    assert not arm_requests(sandbox, writes=True)
    assert not posts(sandbox)
    # A VM the vault does not protect fails in check mode too.
    failed(run.module("backup_now", args([vm_id("vm2")]), check=True), "vm2", "not protected by vault 'rsv1'")


def test_wait_false_follow_and_job_info(sandbox, run):
    estate(sandbox, [{"name": "vm1"}, {"name": "vm2"}])
    protect(sandbox, ["vm1", "vm2"])
    sandbox.control.set_faults(lro_polls=1000, lro_retry_after=1.0, lro_max_seconds=1000)
    result = ok(run.module("backup_now", args([{"name": "vm1", "resource_group": "rg-app"}], wait=False,
                                              retain_until="2036-12-31")))
    entry = result["jobs"][0]
    assert result["changed"] is True and entry["status"] == "InProgress" and entry["job_id"]
    assert posts(sandbox)[0]["body"]["properties"]["recoveryPointExpiryTimeInUTC"] == "2036-12-31T00:00:00Z"
    # only_first: the job in progress is followed, not triggered again.
    sandbox.control.clear_requests()
    again = ok(run.module("backup_now", args([vm_id("vm1")], wait=False)))
    assert again["changed"] is False and again["jobs"][0]["triggered"] is False
    assert again["jobs"][0]["job_id"] == entry["job_id"] and again["jobs"][0]["status"] == "InProgress"
    assert not posts(sandbox)
    # backup_job_info: one job, and the filters.
    info = ok(run.module("backup_job_info", dict(VAULT, job_id=entry["job_id"])))
    assert [(j["job_id"], j["status"], j["operation"], j["name"]) for j in info["jobs"]] == [
        (entry["job_id"], "InProgress", "Backup", "vm1")]
    assert ok(run.module("backup_job_info", dict(VAULT, job_id="00000000-0000-0000-0000-000000000000")))["jobs"] == []
    running = ok(run.module("backup_job_info", dict(VAULT, status="InProgress", operation="Backup")))["jobs"]
    assert [j["job_id"] for j in running] == [entry["job_id"]]
    configure = ok(run.module("backup_job_info", dict(VAULT, operation="ConfigureBackup", since_hours=1)))["jobs"]
    assert sorted(j["name"] for j in configure) == ["vm1", "vm2"]
    assert all(j["status"] == "Completed" for j in configure)
    by_vm = ok(run.module("backup_job_info", dict(VAULT, vms=[vm_id("vm2")])))["jobs"]
    assert [(j["name"], j["operation"]) for j in by_vm] == [("vm2", "ConfigureBackup")]
    assert len(ok(run.module("backup_job_info", dict(VAULT, vms=["VM1"])))["jobs"]) == 2
    assert ok(run.module("backup_job_info", dict(VAULT, status="Failed")))["jobs"] == []
    # wait=true follows the running job, bounded by wait_timeout: the job goes on in Azure.
    late = failed(run.module("backup_now", args([vm_id("vm1")], wait_timeout=3)), "vm1", entry["job_id"],
                  "still InProgress", "OperationTimedOut")
    assert late["changed"] is False and late["jobs"][0]["triggered"] is False
    assert late["jobs"][0]["error_code"] == "OperationTimedOut" and late["jobs"][0]["status"] == "InProgress"


def test_only_first_false_triggers_again(sandbox, run):
    estate(sandbox, [{"name": "vm1"}])
    protect(sandbox, ["vm1"])
    first = ok(run.module("backup_now", args([vm_id("vm1")])))
    sandbox.control.clear_requests()
    second = ok(run.module("backup_now", args([vm_id("vm1")], only_first=False)))
    assert second["changed"] is True and second["jobs"][0]["job_id"] != first["jobs"][0]["job_id"]
    assert second["jobs"][0]["status"] == "Completed" and len(posts(sandbox)) == 1
    # only_first=false needs no list of jobs in progress: one list of recent backup jobs before the trigger (ids
    # never taken for the job of a lost trigger answer), nothing else.
    log = arm_requests(sandbox)
    lists = [i for i, r in enumerate(log) if r["path"].endswith("/backupJobs")]
    trigger = next(i for i, r in enumerate(log) if r["method"] == "POST" and r["path"].endswith("/backup"))
    assert len(lists) == 1 and lists[0] < trigger
    assert "InProgress" not in log[lists[0]]["query"]["$filter"]


def test_vm_not_protected_fails_clearly_others_go_on(sandbox, run):
    estate(sandbox, [{"name": "vm1"}, {"name": "vm2"}, {"name": "vm3"}])
    arm = protect(sandbox, ["vm1", "vm3"])
    stop = {"properties": {"protectedItemType": "Microsoft.Compute/virtualMachines", "sourceResourceId": vm_id("vm3"),
                           "protectionState": "ProtectionStopped", "policyId": ""}}
    from backup_helpers import API, _wait, item_path
    _wait(arm, arm.send("PUT", item_path("vm3"), stop, api_version=API)[1], "Azure-AsyncOperation")
    result = failed(run.module("backup_now", args([vm_id("vm1"), vm_id("vm2"), vm_id("vm3")])),
                    "2 of 3 VMs failed", "vm2", "not protected by vault 'rsv1'", "vm3", "protection is stopped")
    assert result["changed"] is True
    assert [(j["name"], j["triggered"], j["failed"], j["error_code"]) for j in result["jobs"]] == [
        ("vm1", True, False, None), ("vm2", False, True, "NotProtected"), ("vm3", False, True, "NotProtected")]
    assert len(posts(sandbox)) == 1


@pytest.mark.parametrize("bad, words", [
    ({"retain_days": 0}, ["retain_days must be between 1 and 9999"]),
    ({"retain_until": "2020-01-01"}, ["retain_until must be a date after today"]),
    ({"retain_until": "2027-13-01"}, ["retain_until must be a date YYYY-MM-DD"]),
    ({"retain_until": "2099-01-01", "retain_days": 3}, ["mutually exclusive", "retain_until"]),
    ({"max_concurrency": 0}, ["max_concurrency must be between 1 and 64"]),
    ({"vms": []}, ["vms must list at least one"]),
    ({"vms": ["/subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v"]}, ["vms[0]"]),
    ({"vms": [{"name": "vm1"}]}, ["vms[0] needs id, or name and resource_group"]),
    ({"vms": ["vm1"]}, ["vms[0]"]),
    ({"vault_name": "-bad"}, ["vault_name must be"]),
    ({"wait_timeout": 0}, ["wait_timeout"]),
])
def test_bad_input_fails_before_any_request(sandbox, run, bad, words):
    given = args([vm_id("vm1")])
    given.update(bad)
    failed(run.module("backup_now", given), *words)
    assert not arm_requests(sandbox)


@pytest.mark.parametrize("bad, words", [
    ({"since_hours": 0}, ["since_hours must be between 1 and 4320"]),
    ({"vms": ["/subscriptions/x/nope"]}, ["vms[0]"]),
    ({"status": "Done"}, ["status"]),
    ({"job_id": "a/b"}, ["job_id must be the name of a job"]),
])
def test_job_info_bad_input_fails_before_any_request(sandbox, run, bad, words):
    failed(run.module("backup_job_info", dict(VAULT, **bad)), *words)
    assert not arm_requests(sandbox)


@pytest.mark.parametrize("kind", ["drop", 500])
def test_lost_trigger_answer_is_not_sent_twice(sandbox, run, kind):
    estate(sandbox, [{"name": "vm1"}])
    protect(sandbox, ["vm1"])
    sandbox.control.set_faults(lost_answer_rate=1.0, lost_answer_kinds=[kind],
                               lro_polls=2, lro_retry_after=0.3, lro_max_seconds=30)
    sandbox.control.clear_requests()
    result = ok(run.module("backup_now", args([vm_id("vm1")])))
    sent = posts(sandbox)
    assert len(sent) == 1 and sent[0]["fault"] == "lost-%s" % kind
    entry = result["jobs"][0]
    assert result["changed"] is True and entry["triggered"] is True and entry["status"] == "Completed"
    listed = [r for r in arm_requests(sandbox) if r["path"].endswith("/backupJobs")]
    assert any("startTime" in (r["query"].get("$filter") or "") for r in listed)
    # Exactly one backup job exists for the VM.
    jobs = ok(run.module("backup_job_info", dict(VAULT, operation="Backup")))["jobs"]
    assert [j["job_id"] for j in jobs] == [entry["job_id"]]


@pytest.mark.parametrize("seed", [15, 1500])
def test_backups_converge_under_faults_one_job_per_vm(sandbox, run, seed):
    """Transient 429/500/503 answers and dropped connections on every request, and lost answers of triggers: each VM
    still gets exactly one backup job, and the task reports each job's end."""
    names = ["vm1", "vm2", "vm3"]
    estate(sandbox, [{"name": n} for n in names])
    protect(sandbox, names)
    sandbox.control.set_faults(fault_rate=0.25, drop_rate=0.05, fault_statuses=[429, 500, 503], retry_after=0.2,
                               lost_answer_rate=0.4, lro_polls=2, lro_retry_after=0.3,
                               lro_max_seconds=30, seed=seed)
    result = ok(run.module("backup_now", args([vm_id(n) for n in names])))
    assert result["changed"] is True
    assert [(j["name"], j["triggered"], j["status"]) for j in result["jobs"]] == [(n, True, "Completed") for n in names]
    assert any(r.get("fault") for r in sandbox.control.requests())
    sandbox.control.clear_faults()
    backups = ok(run.module("backup_job_info", dict(VAULT, operation="Backup")))["jobs"]
    assert sorted(j["name"] for j in backups) == names
    assert sorted(j["job_id"] for j in backups) == sorted(j["job_id"] for j in result["jobs"])


def test_no_trigger_after_wait_timeout_and_accepted_triggers_count(sandbox, run):
    """More VMs than max_concurrency and a trigger answer that takes longer than the time left: a VM whose turn comes
    after wait_timeout gets no POST at all (not triggered), and a VM whose POST was accepted is triggered (changed)
    even when following it times out."""
    names = ["vm1", "vm2", "vm3", "vm4", "vm5", "vm6"]
    estate(sandbox, [{"name": n} for n in names])
    protect(sandbox, names)
    # Each VM's turn takes at least 1.1 s (POST, a 0.3 s Retry-After, the poll, 0.4 s each request): 6 VMs one at a
    # time cannot all be triggered within 3 s.
    sandbox.control.set_faults(latency_ms=400, lro_polls=1000, lro_retry_after=0.3, lro_max_seconds=1000)
    sandbox.control.clear_requests()
    result = failed(run.module("backup_now", args([vm_id(n) for n in names], max_concurrency=1, wait_timeout=3)),
                    "not triggered: wait_timeout (3 seconds) reached before its turn")
    entries = result["jobs"]
    assert entries[0]["triggered"] is True and entries[-1]["triggered"] is False
    # Exactly one POST per triggered VM; none after the deadline.
    assert len(posts(sandbox)) == sum(e["triggered"] for e in entries)
    assert result["changed"] is True
    for entry in entries:
        assert entry["failed"] is True and entry["error_code"] == "OperationTimedOut"
        if not entry["triggered"]:
            assert "not triggered: wait_timeout" in entry["msg"] and entry["job_id"] is None
