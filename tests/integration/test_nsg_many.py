"""nsg_rules' multi-NSG form (security_groups) against the sandbox, through the real module.

Each NSG costs what the one-NSG form costs, whatever the number of NSGs in the task: one GET when nothing changes;
GET, one If-Match-guarded PUT, its status poll and the SDK's final GET when something does. The Storage rule follows
each NSG's region through the {region} placeholder. A failing NSG does not hide the results of the others.
"""

import collections

import pytest
from conftest import FAULT_PROFILES, arm_requests
from nsg_helpers import PRE_EXISTING, rules_by_name, task

REGIONS = ("westeurope", "northeurope", "uksouth")
TAG = {"westeurope": "Storage.WestEurope", "northeurope": "Storage.NorthEurope", "uksouth": "Storage.UKSouth"}


def backup_rules(**extra):
    base = {"direction": "Outbound", "access": "Allow", "protocol": "Tcp", "source_address_prefixes": ["*"],
            "destination_port_ranges": [443], "priority_range": [200, 299]}
    rules = [dict(base, name="AzureBackup-Storage", destination_address_prefixes=["Storage.{region}"]),
             dict(base, name="AzureBackup-Service", destination_address_prefixes=["AzureBackup"])]
    for rule in rules:
        rule.update(extra)
    return rules


def load_fleet(sandbox, count, with_rules=()):
    """count NSGs over REGIONS (two resource groups); the NSGs named in with_rules already hold the backup rules
    (with the region's tag at 200 and 201), the others only the pre-existing rules."""
    groups = [{"name": "rg-net-%s" % r, "location": r} for r in REGIONS]
    nsgs = []
    for i in range(count):
        region = REGIONS[i % len(REGIONS)]
        name = "nsg-%02d" % i
        rules = list(PRE_EXISTING)
        if name in with_rules:
            rules += [{"name": "AzureBackup-Storage", "properties": {
                "protocol": "Tcp", "sourcePortRange": "*", "destinationPortRange": "443", "sourceAddressPrefix": "*",
                "destinationAddressPrefix": TAG[region], "access": "Allow", "priority": 200, "direction": "Outbound"}},
                {"name": "AzureBackup-Service", "properties": {
                    "protocol": "Tcp", "sourcePortRange": "*", "destinationPortRange": "443",
                    "sourceAddressPrefix": "*", "destinationAddressPrefix": "AzureBackup", "access": "Allow",
                    "priority": 201, "direction": "Outbound"}}]
        nsgs.append({"resource_group": "rg-net-%s" % region, "name": name, "location": region,
                     "security_rules": rules})
    sandbox.control.load_fixtures({"resource_groups": groups, "network_security_groups": nsgs})
    sandbox.control.clear_requests()
    return [{"resource_group": n["resource_group"], "name": n["name"], "location": n["location"]} for n in nsgs]


def targets(nsgs):
    return [{"resource_group": n["resource_group"], "name": n["name"]} for n in nsgs]


def per_nsg(sandbox):
    """NSG name -> the (METHOD, what) of the ARM requests for it, in order; status polls are attributed to the NSG
    whose write came last before them in the same thread of requests (its operation id names no NSG), so they are
    counted apart."""
    out = collections.defaultdict(list)
    polls = 0
    for entry in arm_requests(sandbox):
        if entry["kind"] == "lro-poll":
            polls += 1
            continue
        path = entry["path"].lower()
        name = path.split("/networksecuritygroups/", 1)[1].split("/", 1)[0]
        out[name].append((entry["method"], "rule" if "/securityrules/" in path else "nsg"))
    return dict(out), polls


def test_many_nsgs_one_task_regions_and_request_counts(run, sandbox):
    # Exact request counts need a sandbox without injected faults (`make reliability` runs every profile; the
    # profiles are covered by test_concurrent_nsgs_converge_under_faults).
    sandbox.control.clear_faults()
    nsgs = load_fleet(sandbox, 9, with_rules=("nsg-00", "nsg-04"))
    args = {"security_groups": targets(nsgs), "rules": backup_rules(), "max_concurrency": 4}
    result = run.module("nsg_rules", args)
    assert result["changed"] and not result.get("failed"), result.get("msg")
    entries = result["security_groups"]
    assert [e["name"] for e in entries] == [n["name"] for n in nsgs]
    assert result["summary"] == {"total": 9, "changed": 7, "unchanged": 2, "failed": 0}
    for entry, nsg in zip(entries, nsgs):
        assert entry["location"] == nsg["location"] and entry["failed"] is False, entry
        if nsg["name"] in ("nsg-00", "nsg-04"):
            assert entry["changed"] is False and entry["created"] == [], entry
        else:
            assert entry["changed"] and entry["created"] == ["AzureBackup-Storage", "AzureBackup-Service"], entry
        # The Storage tag of each NSG's own region (the sandbox, as ARM, stores the tag's canonical name).
        rules = rules_by_name(sandbox, nsg["name"])
        assert rules["AzureBackup-Storage"]["destinationAddressPrefix"] == TAG[nsg["location"]], rules
        assert (rules["AzureBackup-Storage"]["priority"], rules["AzureBackup-Service"]["priority"]) == (200, 201)
        assert {"AllowSshFromBastion", "DenyInternetOutbound"} <= set(rules)

    # The minimum per NSG: 1 GET unchanged; GET + guarded PUT (+ its poll) + the SDK's final GET changed.
    counts, polls = per_nsg(sandbox)
    for nsg in nsgs:
        if nsg["name"] in ("nsg-00", "nsg-04"):
            assert counts[nsg["name"]] == [("GET", "nsg")], (nsg, counts[nsg["name"]])
        else:
            assert counts[nsg["name"]] == [("GET", "nsg"), ("PUT", "nsg"), ("GET", "nsg")], (nsg, counts[nsg["name"]])
    assert polls == 7
    puts = arm_requests(sandbox, writes=True)
    assert len(puts) == 7 and all(e.get("if_match") for e in puts), puts

    # Re-run: nothing changes, one GET per NSG and nothing else.
    sandbox.control.clear_requests()
    again = run.module("nsg_rules", args)
    assert again["changed"] is False and again["summary"]["unchanged"] == 9, again
    counts, polls = per_nsg(sandbox)
    assert counts == {n["name"]: [("GET", "nsg")] for n in nsgs} and polls == 0


def test_check_mode_and_diff_per_nsg(run, sandbox):
    nsgs = load_fleet(sandbox, 4, with_rules=("nsg-01",))
    result = run.module("nsg_rules", {"security_groups": targets(nsgs), "rules": backup_rules()},
                        check=True, diff=True)
    assert result["changed"] and result["summary"]["changed"] == 3, result
    assert arm_requests(sandbox, writes=True) == []
    assert len(arm_requests(sandbox)) == 4
    diffs = {d["before_header"]: d for d in result["diff"]}
    assert set(diffs) == {"%s/%s" % (n["resource_group"], n["name"]) for n in nsgs}
    weu = diffs["rg-net-westeurope/nsg-00"]
    assert "AzureBackup-Storage" not in weu["before"]["rules"]
    assert weu["after"]["rules"]["AzureBackup-Storage"]["destination_address_prefixes"] == ["Storage.westeurope"]
    neu = diffs["rg-net-northeurope/nsg-01"]
    assert neu["before"]["rules"] == neu["after"]["rules"]
    assert rules_by_name(sandbox, "nsg-00").keys() == {"AllowSshFromBastion", "DenyInternetOutbound"}


def test_per_nsg_rules_replace_shared_items_of_the_same_name(run, sandbox):
    nsgs = load_fleet(sandbox, 2)
    groups = targets(nsgs)
    groups[1]["rules"] = [{"name": "AzureBackup-Service", "priority": 250, "direction": "Outbound", "access": "Allow",
                           "protocol": "Tcp", "source_address_prefixes": ["10.1.0.0/16"],
                           "destination_address_prefixes": ["AzureBackup"], "destination_port_ranges": [443]}]
    result = run.module("nsg_rules", {"security_groups": groups, "rules": backup_rules()})
    assert result["changed"] and not result.get("failed"), result.get("msg")
    assert rules_by_name(sandbox, "nsg-00")["AzureBackup-Service"]["priority"] == 201
    own = rules_by_name(sandbox, "nsg-01")["AzureBackup-Service"]
    assert (own["priority"], own["sourceAddressPrefix"]) == (250, "10.1.0.0/16"), own


def test_a_failing_nsg_does_not_hide_the_others(run, sandbox):
    nsgs = load_fleet(sandbox, 5)
    groups = targets(nsgs)
    groups.insert(2, {"resource_group": "rg-net-westeurope", "name": "nsg-missing"})
    # nsg-03 already holds 200-201 outbound with other rules: a fixed priority conflict fails only that NSG.
    sandbox.control.load_fixtures({"network_security_groups": [{
        "resource_group": nsgs[3]["resource_group"], "name": "nsg-03", "location": nsgs[3]["location"],
        "security_rules": [{"name": "Taken", "properties": {
            "protocol": "Tcp", "sourcePortRange": "*", "destinationPortRange": "8443", "sourceAddressPrefix": "*",
            "destinationAddressPrefix": "*", "access": "Allow", "priority": 260, "direction": "Outbound"}}]}]})
    sandbox.control.clear_requests()
    rules = backup_rules()
    rules[1].pop("priority_range")
    rules[1]["priority"] = 260
    result = run.module("nsg_rules", {"security_groups": groups, "rules": rules})
    assert result.get("failed") and result["changed"], result
    msg = result["msg"]
    assert msg.startswith("2 of 6 NSGs failed:"), msg
    assert "rg-net-westeurope/nsg-missing: HTTP 404" in msg and "rg-net-westeurope/nsg-03:" in msg, msg
    assert "already used by rule 'Taken'" in msg, msg
    by_name = {e["name"]: e for e in result["security_groups"]}
    assert by_name["nsg-missing"]["failed"] and by_name["nsg-missing"]["status_code"] == 404
    assert by_name["nsg-03"]["failed"] and by_name["nsg-03"]["error_code"] == "SecurityRuleConflict"
    for name in ("nsg-00", "nsg-01", "nsg-02", "nsg-04"):
        assert by_name[name]["changed"] and not by_name[name]["failed"], by_name[name]
        assert "AzureBackup-Storage" in rules_by_name(sandbox, name)
    assert result["summary"] == {"total": 6, "changed": 4, "unchanged": 0, "failed": 2}
    assert "AzureBackup-Storage" not in rules_by_name(sandbox, "nsg-03")


@pytest.mark.parametrize("args, message", [
    ({"security_groups": [{"resource_group": "rg-net-westeurope", "name": "nsg-00"},
                          {"resource_group": "rg-net-northeurope", "name": "nsg-01",
                           "rules": [{"name": "x", "destination_port_ranges": [70000]}]}],
      "rules": backup_rules()},
     "security_groups[1].rules[0].destination_port_ranges: '70000' is out of range"),
    ({"security_groups": [{"resource_group": "rg-net-westeurope", "name": "nsg-00"}],
      "rules": backup_rules(destination_address_prefixes=["Storage.{region}", "10.0.0.0/8"])},
     "rules[0].destination_address_prefixes: the service tag 'Storage.westeurope' must be the only prefix"),
    ({"security_groups": [{"resource_group": "rg-net-westeurope", "name": "nsg-00"},
                          {"resource_group": "RG-NET-WESTEUROPE", "name": "NSG-00"}], "rules": backup_rules()},
     "security_groups[1] repeats security_groups[0]"),
    ({"security_groups": [{"resource_group": "rg-net-westeurope", "name": "nsg-00"}]},
     "security_groups[0] (rg-net-westeurope/nsg-00) has no rules"),
    ({"security_groups": [{"resource_group": "rg-net-westeurope", "name": "nsg-00", "subscription_id": "nope"}],
      "rules": backup_rules()}, "security_groups[0].subscription_id must be a GUID"),
    ({"security_groups": [{"resource_group": "rg-net-westeurope", "name": "nsg-00"}], "rules": backup_rules(),
      "max_concurrency": 0}, "max_concurrency must be between 1 and 64"),
    ({"security_groups": [{"resource_group": "rg-net-westeurope", "name": "nsg-00"}], "rules": backup_rules(),
      "resource_group": "rg-net-westeurope"}, "mutually exclusive"),
    ({"security_groups": []}, "security_groups must not be empty"),
    ({"security_groups": [{"resource_group": "rg-net-westeurope", "name": "nsg-00",
                           "rules": [{"name": "x", "colour": "red", "state": "gone"}]}]},
     "security_groups[0].rules: "),
])
def test_invalid_input_fails_before_any_request(run, sandbox, args, message):
    load_fleet(sandbox, 2)
    result = run.module("nsg_rules", args)
    assert result.get("failed") and message in result["msg"], result
    assert [r for r in sandbox.control.requests() if r.get("kind") in ("arm", "lro-poll")] == []


def test_same_nsg_with_and_without_the_run_subscription_is_a_repeat(run, sandbox):
    """Without subscription_id an entry is in the run's subscription: the same NSG listed both ways would be written
    by two threads, so it fails before any request, naming both entries."""
    load_fleet(sandbox, 2)
    groups = [{"resource_group": "rg-net-westeurope", "name": "nsg-00"},
              {"resource_group": "RG-net-westeurope", "name": "nsg-00",
               "subscription_id": sandbox.subscription_id.upper()}]
    result = run.module("nsg_rules", {"security_groups": groups, "rules": backup_rules()})
    assert result.get("failed") and "security_groups[1] repeats security_groups[0]" in result["msg"], result
    assert sandbox.subscription_id.lower() in result["msg"]
    assert [r for r in sandbox.control.requests() if r.get("kind") in ("arm", "lro-poll")] == []


# busy-window makes only a second writer of the same NSG busy: test_many_nsgs_against_a_concurrent_writer.
@pytest.mark.parametrize("profile", ["transient", "busy", "lost-answer"])
def test_concurrent_nsgs_converge_under_faults(run, sandbox, profile):
    """12 NSGs, 6 at a time, under each hostile profile: every NSG ends with the rules, each change reported
    (a lost answer that landed included), and a fault-free re-run costs one GET per NSG."""
    nsgs = load_fleet(sandbox, 12, with_rules=("nsg-05",))
    sandbox.control.set_faults(seed=7, **FAULT_PROFILES[profile])
    args = {"security_groups": targets(nsgs), "rules": backup_rules(), "max_concurrency": 6}
    result = run.module("nsg_rules", args)
    assert not result.get("failed"), result
    faults = [e for e in sandbox.control.requests() if e.get("fault")]
    print("\n%s: %d faults over %d requests" % (profile, len(faults), len(sandbox.control.requests())))
    assert faults, "the profile injected nothing; the test proves nothing"
    by_name = {e["name"]: e for e in result["security_groups"]}
    for nsg in nsgs:
        rules = rules_by_name(sandbox, nsg["name"])
        assert rules["AzureBackup-Storage"]["destinationAddressPrefix"] == TAG[nsg["location"]]
        assert {"AllowSshFromBastion", "DenyInternetOutbound"} <= set(rules)
        assert by_name[nsg["name"]]["changed"] is (nsg["name"] != "nsg-05"), by_name[nsg["name"]]
    sandbox.control.clear_faults()
    sandbox.control.clear_requests()
    again = run.module("nsg_rules", args)
    assert again["changed"] is False and not again.get("failed"), again
    counts, polls = per_nsg(sandbox)
    assert counts == {n["name"]: [("GET", "nsg")] for n in nsgs} and polls == 0


def test_many_nsgs_against_a_concurrent_writer(run, sandbox):
    """Other writers (one nsg_rule per NSG, all at once through forks) change the NSGs between our read and our
    write, under the busy window of every NSG write: each guarded PUT either lands on the state it read or gets
    412/409 and re-applies from a fresh read; no rule of the other writers is lost, and every NSG converges."""
    import sys

    from test_nsg_stress import _playbook_process, _results

    nsgs = load_fleet(sandbox, 8)
    sandbox.control.set_faults(latency_ms=50, nsg_busy_seconds=2.0, busy_retry_after_rate=0.5)
    inventory = run.tmp_path / "writers.ini"
    lines = ["[writers]"] + ["w%d rg=%s nsg=%s" % (i, n["resource_group"], n["name"]) for i, n in enumerate(nsgs)]
    lines += ["[writers:vars]", "ansible_connection=local", "ansible_python_interpreter=%s" % sys.executable]
    inventory.write_text("\n".join(lines) + "\n")
    other = [{"name": "other writers", "hosts": "writers", "gather_facts": False, "tasks": [
        task("nsg_rule", {"resource_group": "{{ rg }}", "security_group": "{{ nsg }}", "name": "other-writer",
                          "direction": "Inbound", "access": "Allow", "protocol": "Tcp",
                          "source_address_prefixes": ["10.9.0.0/24"], "destination_address_prefixes": ["*"],
                          "destination_port_ranges": [8080], "priority": 900})]}]
    ours = [{"name": "ours", "hosts": "localhost", "gather_facts": False, "connection": "local", "tasks": [
        task("nsg_rules", {"security_groups": targets(nsgs), "rules": backup_rules(), "max_concurrency": 8})]}]
    # Both start at once: each side's writes land inside the other's busy window.
    procs = [_playbook_process(run, other, str(inventory), extra=("-f", "8")), _playbook_process(run, ours, "localhost,")]
    theirs, mine = [_results(p) for p in procs]
    assert not mine["localhost"].get("failed"), mine["localhost"].get("msg")
    assert all(not r.get("failed") for r in theirs.values()), theirs
    log = sandbox.control.requests()
    contested = [e for e in log if e.get("kind") == "arm" and e.get("status") in (409, 412)]
    print("\nconcurrent writer: %d requests, %d answered 409/412" % (len(log), len(contested)))
    assert contested, "the writers never met; the test proves nothing"
    for nsg in nsgs:
        rules = rules_by_name(sandbox, nsg["name"])
        assert {"other-writer", "AzureBackup-Storage", "AzureBackup-Service"} <= set(rules), (nsg, sorted(rules))
