"""Step 6, playbooks/protect.yml, against the sandbox: policies from variables in each region's vault, VMs assigned by
tag or default policy, the readiness gate (a failing VM left alone and listed with its reason), the first backup (one
completes, one fails with the code its readiness warning predicts) in the report, a re-run that changes nothing, and
check mode. Real playbooks of the repository, through ansible-playbook."""

import json
import os
import sys

import yaml
from conftest import ROOT, arm_requests

VAULT_RG = "rg-prot-backup"
WEU, NEU = "rg-prot-weu", "rg-prot-neu"
POLICIES = [
    {"name": "gold", "schedule": {"frequency": "daily", "times": ["22:00"]}, "retention": {"daily": {"count": 14}}},
    {"name": "silver", "schedule": {"frequency": "weekly", "times": ["23:00"], "weekdays": ["Sunday"]},
     "retention": {"weekly": {"count": 8, "weekdays": ["Sunday"]}}},
]
BASE = {"azbackup_vault_resource_group": VAULT_RG, "azbackup_backup_policies": POLICIES,
        "azbackup_default_policy": "silver"}


def estate():
    """Five VMs in two regions, a vault per region:
    vm-gold (tag azbackup-policy=gold, ready), vm-plain (no tag: default policy), vm-stopped (stopped: readiness warns,
    its backup fails UserErrorGuestAgentStatusUnavailable), vm-old (agent too old: readiness fails, left alone),
    vm-neu (the other region's vault)."""
    def nic(rg, name, subnet, ip):
        return {"resource_group": rg, "name": "nic-" + name, "subnet": subnet, "private_ip": ip}

    return {
        "resource_groups": [{"name": WEU, "location": "westeurope"}, {"name": NEU, "location": "northeurope"},
                            {"name": VAULT_RG, "location": "westeurope"}],
        "virtual_networks": [
            {"resource_group": WEU, "name": "vnet-weu", "location": "westeurope", "address_prefixes": ["10.0.0.0/16"],
             "subnets": [{"name": "snet", "address_prefix": "10.0.1.0/24"}]},
            {"resource_group": NEU, "name": "vnet-neu", "location": "northeurope", "address_prefixes": ["10.1.0.0/16"],
             "subnets": [{"name": "snet", "address_prefix": "10.1.1.0/24"}]}],
        "network_interfaces": [nic(WEU, "vm-gold", "vnet-weu/snet", "10.0.1.4"),
                               nic(WEU, "vm-plain", "vnet-weu/snet", "10.0.1.5"),
                               nic(WEU, "vm-stopped", "vnet-weu/snet", "10.0.1.6"),
                               nic(WEU, "vm-old", "vnet-weu/snet", "10.0.1.7"),
                               nic(NEU, "vm-neu", "vnet-neu/snet", "10.1.1.4")],
        "vaults": [{"resource_group": VAULT_RG, "name": "rsv-backup-westeurope", "location": "westeurope"},
                   {"resource_group": VAULT_RG, "name": "rsv-backup-northeurope", "location": "northeurope"}],
        "virtual_machines": [
            {"resource_group": WEU, "name": "vm-gold", "nics": ["nic-vm-gold"], "tags": {"azbackup-policy": "gold"}},
            {"resource_group": WEU, "name": "vm-plain", "nics": ["nic-vm-plain"]},
            {"resource_group": WEU, "name": "vm-stopped", "nics": ["nic-vm-stopped"], "power_state": "stopped"},
            {"resource_group": WEU, "name": "vm-old", "nics": ["nic-vm-old"], "agent_version": "2.2.10"},
            {"resource_group": NEU, "name": "vm-neu", "location": "northeurope", "nics": ["nic-vm-neu"]}],
    }


def plugin_inventory(run, readiness=True):
    path = run.tmp_path / "prot.azure_vms.yml"
    path.write_text(yaml.safe_dump({"plugin": "azbackup.vmprep.azure_vms", "readiness": readiness}))
    return str(path)


def static_inventory(run, hosts):
    path = run.tmp_path / "static.yml"
    doc = {"all": {"hosts": {"localhost": {"ansible_connection": "local"}}, "children": {"vms": {"hosts": hosts}}}}
    path.write_text(yaml.safe_dump(doc))
    return str(path)


def playbook(run, name, inventory, extra=None, check=False):
    """ansible-playbook of the repository (run.ansible_playbook) with the JSON callback: (process, doc, tasks by name)."""
    args = ["-i", inventory, os.path.join(ROOT, "playbooks", name)]
    if extra:
        args += ["-e", json.dumps(extra)]
    if check:
        args.append("--check")
    proc = run.ansible_playbook(*args, env=run.env(ANSIBLE_PYTHON_INTERPRETER=sys.executable,
                                                   ANSIBLE_STDOUT_CALLBACK="ansible.posix.json"))
    try:
        doc = json.loads(proc.stdout[proc.stdout.index("{"):])
    except ValueError:
        raise AssertionError("not JSON (rc %s):\n%s\n%s" % (proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:]))
    tasks = {}
    for play in doc["plays"]:
        for task in play["tasks"]:
            tasks[task["task"]["name"]] = task["hosts"].get("localhost", {})
    return proc, doc, tasks


def writes(sandbox):
    """Requests that change something: backupStatus is a POST that only reads (check mode sends it)."""
    return [(e["method"], e["path"]) for e in arm_requests(sandbox, writes=True)
            if not e["path"].lower().endswith("/backupstatus")]


def item_puts(sandbox):
    """VM names whose protected item was written (PUT), in the request log."""
    return sorted({e["path"].rsplit(";", 1)[-1] for e in arm_requests(sandbox, writes=True, polls=False)
                   if e["method"] == "PUT" and "/protecteditems/" in e["path"].lower()})


def report(run):
    with open(run.tmp_path / "reports" / "readiness.md", encoding="utf-8") as handle:
        md = handle.read()
    with open(run.tmp_path / "reports" / "readiness.html", encoding="utf-8") as handle:
        html = handle.read()
    rows = {}
    section = md.split("## Protection", 1)[1].split("## What to fix", 1)[0] if "## Protection" in md else ""
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 10 and cells[0].startswith("vm-"):
            rows[cells[0]] = dict(zip(("name", "rg", "readiness", "vault", "policy", "protection", "backup", "code",
                                       "duration", "why"), cells))
    return md, html, rows


def test_protect_with_the_plugin_inventory_then_rerun_unchanged(run, sandbox):
    sandbox.control.clear_faults()  # the request counts below are exact
    sandbox.control.load_fixtures(estate())
    sandbox.control.clear_requests()
    extra = dict(BASE, azbackup_first_backup=True, azbackup_report_dir=str(run.tmp_path / "reports"))
    proc, doc, tasks = playbook(run, "protect.yml", plugin_inventory(run), extra)
    assert proc.returncode == 0, proc.stdout[-5000:]

    # The readiness gate: vm-old fails its agent check, is left alone and listed with that reason.
    skipped = tasks["List the VMs left alone, with their reasons"]["msg"]
    assert len(skipped) == 1 and skipped[0].startswith("vm-old | readiness fail"), skipped
    assert "agent (fail)" in skipped[0] and "2.2.10" in skipped[0], skipped
    # Verdicts came from the inventory plugin: no readiness check of its own.
    assert tasks["Check the readiness of the VMs (step 5 did not run in this run, and the inventory has no verdicts)"
                 ].get("skipped")

    # Policies from the variables, in both regions' vaults.
    policies = tasks["Ensure the backup policies in each vault"]["results"]
    assert sorted((r["item"][0]["name"], r["item"][1]["name"]) for r in policies) == [
        ("rsv-backup-northeurope", "gold"), ("rsv-backup-northeurope", "silver"),
        ("rsv-backup-westeurope", "gold"), ("rsv-backup-westeurope", "silver")]
    assert all(r["changed"] for r in policies)

    # One vm_protection task per vault with all its VMs; policy by tag, else the default.
    protect = tasks["Protect the ready VMs of each vault"]["results"]
    by_vault = {r["item"]["name"]: {v["name"]: v for v in r["vms"]} for r in protect}
    assert sorted(by_vault["rsv-backup-westeurope"]) == ["vm-gold", "vm-plain", "vm-stopped"]
    assert sorted(by_vault["rsv-backup-northeurope"]) == ["vm-neu"]
    assert by_vault["rsv-backup-westeurope"]["vm-gold"]["policy"] == "gold"
    assert by_vault["rsv-backup-westeurope"]["vm-plain"]["policy"] == "silver"
    assert by_vault["rsv-backup-northeurope"]["vm-neu"]["policy"] == "silver"
    assert all(v["state"] == "protected" and v["changed"] for vms in by_vault.values() for v in vms.values())
    assert "vm-old" not in item_puts(sandbox) and sorted(item_puts(sandbox)) == [
        "vm-gold", "vm-neu", "vm-plain", "vm-stopped"]

    # First backups: the ready VMs complete, the stopped one fails with the code its readiness warning predicts.
    jobs = {j["name"]: j for r in tasks["First backup of each newly protected VM"]["results"] for j in r["jobs"]}
    assert sorted(jobs) == ["vm-gold", "vm-neu", "vm-plain", "vm-stopped"], (
        tasks["Read the backup state of each vault's VMs"], tasks["First backup of each newly protected VM"])
    assert jobs["vm-gold"]["status"] == "Completed" and jobs["vm-gold"]["triggered"]
    assert jobs["vm-stopped"]["status"] == "Failed", jobs["vm-stopped"]
    assert jobs["vm-stopped"]["error_code"] == "UserErrorGuestAgentStatusUnavailable", jobs["vm-stopped"]

    # The report: every VM with its protection, policy and first backup; vm-old with its reason.
    md, html, rows = report(run)
    assert set(rows) == {"vm-gold", "vm-plain", "vm-stopped", "vm-old", "vm-neu"}, md
    assert rows["vm-gold"]["policy"] == "gold" and "protected" in rows["vm-gold"]["protection"]
    assert "Completed" in rows["vm-gold"]["backup"] and rows["vm-gold"]["duration"].endswith(" s")
    assert rows["vm-plain"]["policy"] == "silver"
    assert "Failed" in rows["vm-stopped"]["backup"] and rows["vm-stopped"]["code"] == \
        "UserErrorGuestAgentStatusUnavailable"
    assert "warn" in rows["vm-stopped"]["readiness"]
    assert rows["vm-old"]["protection"] == "not protected" and "agent (fail)" in rows["vm-old"]["why"]
    assert "<h2>Protection</h2>" in html and "UserErrorGuestAgentStatusUnavailable" in html
    summary = tasks["Show the protection summary"]["msg"]
    assert summary.startswith("4 of 5 VMs protected, 1 left alone, 0 failed.") and "3 completed, 1 failed" in summary
    assert "Backup jobs (each VM's most recent; the first backup until the schedule runs): 3 completed, 1 failed." in md

    # Re-run: nothing changes in Azure (no write at all) and the report keeps the protection.
    sandbox.control.clear_requests()
    proc, doc, tasks = playbook(run, "protect.yml", plugin_inventory(run), extra)
    assert proc.returncode == 0, proc.stdout[-5000:]
    assert doc["stats"]["localhost"]["changed"] == 0, [n for n, t in tasks.items() if t.get("changed")]
    assert writes(sandbox) == []
    # Per vault: one GET per policy, the protected-items list of vm_protection and of vm_protection_info, the jobs.
    inside = sorted((e["method"], e["path"].split("/vaults/", 1)[1].split("/", 1)[1].split("?")[0])
                    for e in arm_requests(sandbox) if "/vaults/rsv-" in e["path"])
    assert inside == sorted([("GET", "backupPolicies/gold"), ("GET", "backupPolicies/silver"),
                             ("GET", "backupProtectedItems"), ("GET", "backupProtectedItems"),
                             ("GET", "backupJobs")] * 2), inside
    assert not any(j["triggered"] for r in tasks["First backup of each newly protected VM"]["results"]
                   for j in r["jobs"])
    # The failed first backup is not triggered again, and the report (read from the vault's jobs) is the same.
    assert report(run)[:2] == (md, html)


def test_check_mode_writes_nothing_and_static_inventory(run, sandbox):
    """Check mode: every step predicted, no write request. A static inventory (host names with location only, no
    verdicts): the playbook checks readiness itself; the gate is widened to fail and vm-old is protected too."""
    sandbox.control.load_fixtures(estate())
    sandbox.control.clear_requests()
    extra = dict(BASE, azbackup_first_backup=True, azbackup_report_dir=str(run.tmp_path / "reports"))
    proc, doc, tasks = playbook(run, "protect.yml", plugin_inventory(run), extra, check=True)
    assert proc.returncode == 0, proc.stdout[-5000:]
    assert writes(sandbox) == []
    assert all(r["changed"] for r in tasks["Ensure the backup policies in each vault"]["results"])
    # The policies do not exist yet, so no protection task could find them: their VMs are planned, not sent.
    protect = tasks["Protect the ready VMs of each vault"]
    assert protect.get("skipped") or protect.get("results") == [], protect
    assert tasks["Show the protection summary"]["msg"].startswith("0 of 5 VMs protected, 1 left alone, 0 failed.")
    backups = tasks["First backup of each newly protected VM"]
    assert backups.get("skipped") or backups.get("results") == [], backups

    # Once the policies exist, check mode predicts the protection of the four ready VMs, still without a write.
    for vault in ("rsv-backup-westeurope", "rsv-backup-northeurope"):
        for policy in POLICIES:
            result = run.module("backup_policy", dict(policy, vault_name=vault, vault_resource_group=VAULT_RG))
            assert result.get("changed"), result
    sandbox.control.clear_requests()
    proc, doc, tasks = playbook(run, "protect.yml", plugin_inventory(run), extra, check=True)
    assert proc.returncode == 0, proc.stdout[-5000:]
    assert writes(sandbox) == []
    assert not any(r["changed"] for r in tasks["Ensure the backup policies in each vault"]["results"])
    protect = tasks["Protect the ready VMs of each vault"]["results"]
    assert sorted(v["name"] for r in protect for v in r["vms"]) == ["vm-gold", "vm-neu", "vm-plain", "vm-stopped"]
    assert all(v["changed"] for r in protect for v in r["vms"])
    # Nothing is protected yet, so no first backup is planned.
    backups = tasks["First backup of each newly protected VM"]
    assert backups.get("skipped") or backups.get("results") == [], backups

    hosts = {"vm-gold": {"location": "westeurope"}, "vm-old": {"location": "westeurope"},
             "vm-neu": {"location": "northeurope"}, "not-a-vm": {}}
    sandbox.control.clear_requests()
    extra = dict(BASE, azbackup_protect_readiness=["pass", "warn", "fail"],
                 azbackup_report_dir=str(run.tmp_path / "reports"))
    proc, doc, tasks = playbook(run, "protect.yml", static_inventory(run, hosts), extra)
    assert proc.returncode == 0, proc.stdout[-5000:]
    check = tasks["Check the readiness of the VMs (step 5 did not run in this run, and the inventory has no verdicts)"]
    assert not check.get("skipped") and len(check["vms"]) == 5
    protect = tasks["Protect the ready VMs of each vault"]["results"]
    assert sorted(v["name"] for r in protect for v in r["vms"]) == ["vm-gold", "vm-neu", "vm-old"]
    # The static host's resource group came from the readiness report; the tag was not visible (static inventory),
    # so every VM has the default policy.
    assert {v["policy"] for r in protect for v in r["vms"]} == {"silver"}
    skipped = tasks["List the VMs left alone, with their reasons"]["msg"]
    assert len(skipped) == 1 and skipped[0].startswith("not-a-vm | no resource group"), skipped
    assert tasks["First backup of each newly protected VM"].get("skipped")  # azbackup_first_backup defaults to false
    md, html, rows = report(run)
    assert rows["vm-old"]["policy"] == "silver" and rows["vm-old"]["backup"] == ""


def test_main_playbook_step6_uses_the_report_of_step5(run, sandbox):
    """The report renders without step 6 (azbackup_protect false), and step 6 reuses step 5's verdicts."""
    sandbox.control.load_fixtures(estate())
    hosts = {"vm-gold": {"location": "westeurope", "resource_group": WEU},
             "vm-old": {"location": "westeurope", "resource_group": WEU}}
    extra = dict(BASE, azbackup_network_mode="none", azbackup_report_dir=str(run.tmp_path / "reports"),
                 azbackup_protect=False)
    proc, doc, tasks = playbook(run, "prepare_backup_environment.yml", static_inventory(run, hosts), extra)
    assert proc.returncode == 0, proc.stdout[-5000:]
    assert "Protect the ready VMs of each vault" not in tasks or tasks["Protect the ready VMs of each vault"].get(
        "skipped")
    md, html, rows = report(run)
    assert "## Protection" not in md and rows == {} and "<h2>Protection</h2>" not in html
    assert item_puts(sandbox) == []

    extra["azbackup_protect"] = True
    proc, doc, tasks = playbook(run, "prepare_backup_environment.yml", static_inventory(run, hosts), extra)
    assert proc.returncode == 0, proc.stdout[-5000:]
    check = tasks["Check the readiness of the VMs (step 5 did not run in this run, and the inventory has no verdicts)"]
    assert check.get("skipped"), "step 5's report is reused"
    md, html, rows = report(run)
    # Step 5 reports every VM of the subscription; step 6 covers the inventory's.
    assert set(rows) == {"vm-gold", "vm-old"} and "protected" in rows["vm-gold"]["protection"]
    assert rows["vm-old"]["protection"] == "not protected"
    assert item_puts(sandbox) == ["vm-gold"]


def test_unknown_policy_fails_its_vault_after_the_report(run, sandbox):
    """A tag naming a policy that is in no vault: vm_protection fails that VM alone (naming the policy), the other
    VMs of its vault and of the other vault are protected, the report is written, and the play fails at the end
    naming the VM that was not protected."""
    fixtures = estate()
    fixtures["virtual_machines"][1]["tags"] = {"AZBACKUP-POLICY": "platinum"}  # tag names compare without case
    sandbox.control.load_fixtures(fixtures)
    extra = dict(BASE, azbackup_report_dir=str(run.tmp_path / "reports"))
    proc, doc, tasks = playbook(run, "protect.yml", plugin_inventory(run), extra)
    assert proc.returncode != 0
    failed = tasks["Fail when a VM could not be protected"]
    assert failed.get("failed") and "vm-plain" in failed["msg"] and "platinum" in failed["msg"], failed
    assert "vm-gold" not in failed["msg"] and "vm-stopped" not in failed["msg"], failed["msg"]
    md, html, rows = report(run)
    assert rows["vm-plain"]["protection"].endswith("failed") and rows["vm-plain"]["policy"] == "platinum", rows
    assert "platinum" in rows["vm-plain"]["why"], rows["vm-plain"]
    for name in ("vm-gold", "vm-stopped", "vm-neu"):
        assert rows[name]["protection"].endswith("protected"), rows[name]
    assert item_puts(sandbox) == ["vm-gold", "vm-neu", "vm-stopped"]


def test_check_mode_of_the_main_playbook_on_a_new_environment(run, sandbox):
    """No vault yet: step 1 only predicts the vaults, so step 6 calls no Azure Backup module for them (their read
    would fail "vault not found") and lists their policies and VMs as planned. Nothing is written."""
    fixtures = estate()
    fixtures["vaults"] = []  # the vaults' resource group exists (step 1 requires it)
    sandbox.control.load_fixtures(fixtures)
    sandbox.control.clear_requests()
    hosts = {"vm-gold": {"location": "westeurope", "resource_group": WEU},
             "vm-neu": {"location": "northeurope", "resource_group": NEU},
             "vm-old": {"location": "westeurope", "resource_group": WEU}}
    # Step 5's region check fails every VM while its vault does not exist (check mode creates none): the gate is
    # widened to fail so that the plan lists them.
    extra = dict(BASE, azbackup_network_mode="none", azbackup_first_backup=True,
                 azbackup_protect_readiness=["pass", "warn", "fail"], azbackup_report_dir=str(run.tmp_path / "reports"))
    proc, doc, tasks = playbook(run, "prepare_backup_environment.yml", static_inventory(run, hosts), extra, check=True)
    assert proc.returncode == 0, proc.stdout[-5000:]
    assert writes(sandbox) == []
    # Step 1 reads the vaults it would create; no request goes inside a vault (no Azure Backup module ran).
    inside = [e["path"] for e in arm_requests(sandbox) if "/" in e["path"].split("?")[0].partition("/vaults/")[2]]
    assert inside == [], inside
    policies = tasks["Ensure the backup policies in each vault"]
    assert policies.get("skipped") or policies.get("results") == [], policies
    plan = tasks["List the plan for the vaults this run creates (check mode)"]["msg"]
    assert sorted(plan) == [
        "rsv-backup-northeurope: policies gold, silver; planned (vault created by this run): vm-neu",
        "rsv-backup-westeurope: policies gold, silver; planned (vault created by this run): vm-gold, vm-old"], plan
    summary = tasks["Show the protection summary"]["msg"]
    assert summary.startswith("0 of 3 VMs protected, 0 left alone, 0 failed. 3 planned (vault created by this run)."), \
        summary
    assert not os.path.exists(run.tmp_path / "reports" / "readiness.md")  # check mode writes no report either
    for name in ("Protect the ready VMs of each vault", "Read the backup state of each vault's VMs",
                 "First backup of each newly protected VM", "Read the backup jobs of each vault's VMs"):
        assert tasks[name].get("skipped") or tasks[name].get("results") == [], (name, tasks[name])


def test_left_alone_vm_shows_its_real_protection_and_trigger_failures_fail_the_play(run, sandbox):
    """vm-old (readiness fails) is already protected in Azure: the report shows that (read by vm_protection_info),
    and the play leaves it alone. The trigger of vm-neu's first backup is refused (403): the report is written, then
    the play fails naming vm-neu - while vm-stopped's job that ended Failed stays a reported result."""
    sandbox.control.clear_faults()
    sandbox.control.load_fixtures(estate())
    for policy in POLICIES:
        assert run.module("backup_policy", dict(policy, vault_name="rsv-backup-westeurope",
                                                vault_resource_group=VAULT_RG)).get("changed")
    result = run.module("vm_protection", {"vault_name": "rsv-backup-westeurope", "vault_resource_group": VAULT_RG,
                                          "vms": [{"name": "vm-old", "resource_group": WEU}], "policy": "gold"})
    assert result.get("changed") and not result.get("failed"), result
    sandbox.control.clear_requests()
    scope = "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.RecoveryServices/vaults/rsv-backup-northeurope" % (
        sandbox.subscription_id, VAULT_RG)
    sandbox.control.set_faults(deny=[{"scope": scope, "actions": ["*/backup/action"]}])
    extra = dict(BASE, azbackup_first_backup=True, azbackup_report_dir=str(run.tmp_path / "reports"))
    proc, doc, tasks = playbook(run, "protect.yml", plugin_inventory(run), extra)
    assert proc.returncode != 0
    md, html, rows = report(run)
    assert rows["vm-old"]["protection"] == "protected (left alone)" and rows["vm-old"]["policy"] == "gold", rows
    assert "agent (fail)" in rows["vm-old"]["why"]
    assert "vm-old" not in item_puts(sandbox)
    assert rows["vm-stopped"]["code"] == "UserErrorGuestAgentStatusUnavailable" and "Failed" in rows["vm-stopped"][
        "backup"]
    assert "Completed" in rows["vm-gold"]["backup"]
    failed = tasks["Fail when a VM could not be protected"]
    assert failed.get("failed") and "vm-neu" in failed["msg"] and "first backup" in failed["msg"], failed
    assert "vm-stopped" not in failed["msg"] and "vm-gold" not in failed["msg"], failed["msg"]


def test_demo_step6_reports_the_first_backups(run, sandbox):
    """`make demo`'s path without containers (DEMO_CONTAINERS=no): the seeded estate, the demo's inventories (the
    plugin and hosts.yml, with azbackup_first_backup true), step 1 then step 6. The report's Protection section shows
    a completed first backup and a failed one with its error code."""
    with open(os.path.join(ROOT, "tests", "sandbox", "fixtures", "seed.json"), encoding="utf-8") as handle:
        sandbox.control.load_fixtures(json.load(handle))
    demo = os.path.join(ROOT, "inventories", "demo")
    inventory = ["-i", os.path.join(demo, "hosts.yml"), "-i", os.path.join(demo, "sandbox.azure_vms.yml")]
    extra = {"azbackup_report_dir": str(run.tmp_path / "reports"), "azbackup_nsgs": []}
    for name in ("vaults.yml", "protect.yml"):
        proc = run.ansible_playbook(*inventory, os.path.join(ROOT, "playbooks", name), "-e", json.dumps(extra),
                                    env=run.env(ANSIBLE_PYTHON_INTERPRETER=sys.executable))
        assert proc.returncode == 0, (name, proc.stdout[-5000:], proc.stderr[-3000:])
    md, html, rows = report(run)
    assert "## Protection" in md and rows, md
    assert any("Completed" in r["backup"] for r in rows.values()), rows
    failed = [r for r in rows.values() if "Failed" in r["backup"]]
    assert failed and all(r["code"] for r in failed), rows
