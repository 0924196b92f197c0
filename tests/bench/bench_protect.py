"""The `protect` section of `make bench` (issue 15): vm_protection protecting 200 VMs of one region in one vault with
one policy (first run, then a re-run that changes nothing), and backup_now taking their first backup, with the
request counts against the minimum each needs.

Only our collection runs, against a sandbox on a free local port (no root):

    BENCH_SECTIONS=protect make bench        # or .venv/bin/python tests/bench/bench_run.py --only protect

Times are reported, never asserted.
"""

import json
import os

from bench_common import count_requests
from bench_fleet import LATENCY_MS, LRO, PAGE_SIZE, Sandbox, _bin, log

PROTECT_VMS = int(os.environ.get("BENCH_PROTECT_VMS", "200"))
REGION = "westeurope"
VAULT_RG = "rg-backup"
VAULT = "rsv-bench"
POLICY = "bench-daily"
CONCURRENCY = 16
# Paths of Azure Backup's operation status and result URLs (the polls of a long-running operation).
OPERATION_PARTS = ("/operationsstatus/", "/operationresults/", "/backupoperations/", "/backupoperationresults/")


def _policy():
    """A V1 daily policy (the spec example ProtectionPolicies_CreateOrUpdate_Simple)."""
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "sandbox", "tests", "examples",
                        "ProtectionPolicies_CreateOrUpdate_Simple.json")
    with open(path, encoding="utf-8") as handle:
        body = json.load(handle)["parameters"]["parameters"]
    return dict(body, name=POLICY)


def fixture():
    from armsandbox import fixturegen

    fleet = fixturegen.make_vm_fleet(PROTECT_VMS, regions=(REGION,), seed=15)
    fleet["resource_groups"].append({"name": VAULT_RG, "location": REGION})
    fleet["vaults"] = [{"resource_group": VAULT_RG, "name": VAULT}]
    return fleet


def _protected_fixture(fleet, vm_ids):
    """Protected items of every VM (the state vm_protection leaves), as a `backup` fixture of the sandbox."""
    items = []
    for vm, vm_id in zip(fleet["virtual_machines"], vm_ids):
        cname = "iaasvmcontainerv2;%s;%s" % (vm["resource_group"].lower(), vm["name"].lower())
        items.append({"name": "VM;%s" % cname, "properties": {
            "protectedItemType": "Microsoft.Compute/virtualMachines", "backupManagementType": "AzureIaasVM",
            "workloadType": "VM", "containerName": cname, "friendlyName": vm["name"], "sourceResourceId": vm_id,
            "virtualMachineId": vm_id, "protectionState": "IRPending", "protectionStatus": "Healthy",
            "healthStatus": "Passed", "lastBackupStatus": "", "policyName": POLICY,
            "policyId": "%s/backupPolicies/%s" % (vm_id.split("/resourceGroups/")[0] + "/resourceGroups/%s/providers/"
                                                  "Microsoft.RecoveryServices/vaults/%s" % (VAULT_RG, VAULT), POLICY)}})
    return {"backup": [{"resource_group": VAULT_RG, "vault": VAULT, "protected_items": items}]}


def _kinds(entries):
    """ARM requests by what they are: protected items lists, refresh, protectable lists, item PUTs, triggers, job
    reads, job lists, operation polls, others."""
    out = {}
    for entry in entries:
        if entry.get("kind") not in ("arm", "lro-poll") or entry.get("fault") not in (None, "latency"):
            continue
        path = entry["path"].lower()
        method = entry["method"]
        if entry["kind"] == "lro-poll" or any(part in path for part in OPERATION_PARTS):
            key = "operation polls"
        elif path.endswith("/backupprotecteditems"):
            key = "protected items lists"
        elif path.endswith("/refreshcontainers"):
            key = "refreshContainers"
        elif path.endswith("/backupprotectableitems"):
            key = "protectable items lists"
        elif "/protecteditems/" in path and path.endswith("/backup"):
            key = "backup triggers"
        elif "/protecteditems/" in path and method == "PUT":
            key = "protected item PUTs"
        elif "/backupjobs/" in path:
            key = "job reads"
        elif path.endswith("/backupjobs"):
            key = "job lists"
        else:
            key = "other %s" % method
        out[key] = out.get(key, 0) + 1
    return out


def _run(sb, tasks):
    play = [{"name": "protect bench", "hosts": "localhost", "gather_facts": False, "connection": "local",
             "tasks": tasks}]
    path = sb.write("protect-%d.json" % len(os.listdir(sb.tmp)), play)
    seconds, proc, entries = sb.run([_bin("ansible-playbook"), "-i", "localhost,", path],
                                    ANSIBLE_STDOUT_CALLBACK="ansible.posix.json")
    try:
        doc = json.loads(proc.stdout[proc.stdout.index("{"):])
        result = doc["plays"][0]["tasks"][0]["hosts"]["localhost"]
    except (ValueError, KeyError, IndexError):
        result = {"failed": True, "msg": "no result: %s %s" % (proc.stdout[-2000:], proc.stderr[-2000:])}
    counts = count_requests(entries)
    return {"seconds": round(seconds, 1), "requests": counts, "by_kind": _kinds(entries),
            "changed": result.get("changed"), "failed": bool(result.get("failed")),
            "msg": (result.get("msg") or "")[:600] if result.get("failed") else None}, result


def section_protect(results, collections_path):
    polls = int(LRO["lro_polls"])
    out = {"vms": PROTECT_VMS, "region": REGION, "latency_ms": LATENCY_MS, "lro": dict(LRO), "page_size": PAGE_SIZE,
           "max_concurrency": CONCURRENCY}
    minimum_first = 1 + 1 + polls + 1 + PROTECT_VMS * (1 + polls)
    out["minimum"] = {
        "first_run": minimum_first,
        "first_run_formula": "1 protected items list + refreshContainers POST + its %d polls + 1 protectable items "
                             "list + %d x (PUT + its %d polls)" % (polls, PROTECT_VMS, polls),
        "re_run": 1, "re_run_formula": "1 protected items list",
        # A trigger answers 202 and its operation names the job after one poll; the jobs are then read together, at
        # least one list (of ceil(jobs / page size) pages) to see their ends.
        # Before any trigger, one list of the vault's recent backup jobs (their ids are never taken for the job of
        # a trigger whose answer was lost).
        "backup_now": 3 + PROTECT_VMS * 2 + 1,
        "backup_now_formula": "1 protected items list + 1 list of backup jobs in progress + 1 list of recent backup "
                              "jobs + %d x (backup POST + its status poll) + 1 list of the jobs once ended"
                              % PROTECT_VMS,
    }
    sb = Sandbox(collections_path)
    try:
        fleet = fixture()
        sb.load(fleet)
        sb.control.load_fixtures({"backup": [{"resource_group": VAULT_RG, "vault": VAULT, "policies": [_policy()]}]})
        sb.control.clear_requests()
        vm_ids = ["/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/virtualMachines/%s"
                  % (sb.handle.subscription_id, vm["resource_group"], vm["name"]) for vm in fleet["virtual_machines"]]
        vault = {"vault_name": VAULT, "vault_resource_group": VAULT_RG}
        protect = {"azbackup.vmprep.vm_protection": dict(vault, vms=vm_ids, policy=POLICY, max_concurrency=CONCURRENCY,
                                                         wait_timeout=3600), "name": "vm_protection"}
        for kind in ("first_run", "re_run"):
            log("protect: vm_protection, %d VMs, %s" % (PROTECT_VMS, kind.replace("_", " ")))
            out[kind], _result = _run(sb, [protect])
            if out[kind]["failed"] and "vm_protection" in (out[kind]["msg"] or "") and "resolve" in out[kind]["msg"]:
                # The module is not in this build yet: protect the VMs through the sandbox's fixtures instead, so
                # that backup_now is still measured.
                log("  vm_protection is not available; the VMs are protected through sandbox fixtures")
                results.setdefault("skipped", []).append("protect: vm_protection (module not available)")
                out.pop(kind)
                sb.control.load_fixtures(_protected_fixture(fleet, vm_ids))
                break
            log("  %.1f s, %d ARM requests (minimum %d), changed %s%s"
                % (out[kind]["seconds"], out[kind]["requests"]["total_arm"], out["minimum"][kind],
                   out[kind]["changed"], ", FAILED: %s" % out[kind]["msg"] if out[kind]["failed"] else ""))
        log("protect: backup_now, %d VMs (first backup, waiting for the jobs)" % PROTECT_VMS)
        backup = {"azbackup.vmprep.backup_now": dict(vault, vms=vm_ids, max_concurrency=CONCURRENCY,
                                                     fail_on_job_failure=False, wait_timeout=3600),
                  "name": "backup_now"}
        out["backup_now"], result = _run(sb, [backup])
        statuses = {}
        for job in result.get("jobs") or []:
            statuses[job.get("status")] = statuses.get(job.get("status"), 0) + 1
        out["backup_now"]["job_statuses"] = statuses
        log("  %.1f s, %d ARM requests (minimum %d), jobs %s%s"
            % (out["backup_now"]["seconds"], out["backup_now"]["requests"]["total_arm"], out["minimum"]["backup_now"],
               statuses, ", FAILED: %s" % out["backup_now"]["msg"] if out["backup_now"]["failed"] else ""))
        results["protect"] = out
    finally:
        sb.close()


def table(results):
    """Plain-text lines of the section for the console."""
    pr = results.get("protect")
    if not pr:
        return ""
    lines = ["protect (issue 15): %d VMs in %s, %d ms per request, LRO %s polls %s s apart, max_concurrency %d"
             % (pr["vms"], pr["region"], pr["latency_ms"], pr["lro"]["lro_polls"], pr["lro"]["lro_retry_after"],
                pr["max_concurrency"])]
    for kind, label in (("first_run", "vm_protection first run"), ("re_run", "vm_protection re-run"),
                        ("backup_now", "backup_now")):
        run = pr.get(kind)
        if not run:
            continue
        lines.append("  %-24s %7.1f s  %5d ARM requests  minimum %5d (%s)%s"
                     % (label, run["seconds"], run["requests"]["total_arm"], pr["minimum"][kind],
                        pr["minimum"][kind + "_formula"], "  FAILED" if run["failed"] else ""))
        lines.append("  %-24s by kind: %s" % ("", ", ".join("%s %d" % kv for kv in sorted(run["by_kind"].items()))))
    return "\n".join(lines)
