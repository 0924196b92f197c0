"""nsg_rule, nsg_rules and nsg_rule_info against the sandbox: every behaviour with the exact requests it costs.

Request shapes (from the sandbox log, faults excluded): a rule write is PUT securityRules/{name}, one poll of the
Azure-AsyncOperation monitor and the SDK's final GET of the rule; an NSG write is PUT, one poll and the final GET.
"""

import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT, SEED, arm_requests
from nsg_helpers import NSG, RG, Replanned, load_nsg, nsg_state, rule_fixture, rules_by_name, shape, task, writes

NSG_GET = [("GET", "nsg")]
RULE_PUT = [("GET", "nsg"), ("PUT", "rule"), ("GET", "poll"), ("GET", "rule")]
RULE_DELETE = [("GET", "nsg"), ("DELETE", "rule"), ("GET", "poll")]
NSG_PUT = [("GET", "nsg"), ("PUT", "nsg"), ("GET", "poll"), ("GET", "nsg")]

PROXY = {
    "resource_group": RG, "security_group": NSG, "name": "AllowProxyToInternet",
    "direction": "Outbound", "access": "Allow", "protocol": "Tcp", "priority": 200,
    "source_address_prefixes": ["10.0.0.5/32"], "destination_address_prefixes": ["Internet"],
    "destination_port_ranges": ["80-443"],
}


def new_rule(name, **kw):
    """An nsg_rules item with every field a new rule needs (any address, any port unless changed)."""
    out = {"name": name, "direction": "Inbound", "access": "Allow", "protocol": "*", "source_address_prefixes": ["*"],
           "destination_address_prefixes": ["*"], "destination_port_ranges": ["*"]}
    out.update(kw)
    return out


def rule_args(**kw):
    out = dict(PROXY)
    out.update(kw)
    return out


# ---- nsg_rule -------------------------------------------------------------------------------------------------


def test_create_update_delete_and_idempotence(run, sandbox):
    load_nsg(sandbox)
    before = rules_by_name(sandbox)

    result = run.module("nsg_rule", PROXY)
    assert result["changed"] and not result.get("failed"), result
    assert not result.get("warnings") and not result.get("deprecations"), result
    assert shape(sandbox) == RULE_PUT
    put = writes(sandbox)[0]
    assert put["path"].endswith("/securityRules/AllowProxyToInternet")
    # Only the named rule is sent, in the singular fields.
    assert put["body"] == {"properties": {
        "protocol": "Tcp", "access": "Allow", "direction": "Outbound", "priority": 200,
        "sourceAddressPrefix": "10.0.0.5/32", "destinationAddressPrefix": "Internet",
        "sourcePortRange": "*", "destinationPortRange": "80-443"}}
    after = rules_by_name(sandbox)
    for name, props in before.items():
        assert {k: v for k, v in after[name].items() if k != "provisioningState"} == \
            {k: v for k, v in props.items() if k != "provisioningState"}
    assert result["rule"]["priority"] == 200 and result["rule"]["id"].endswith("/AllowProxyToInternet")

    sandbox.control.clear_requests()
    result = run.module("nsg_rule", PROXY)
    assert result["changed"] is False, result
    assert shape(sandbox) == NSG_GET

    # Update: a different port range and a description.
    sandbox.control.clear_requests()
    result = run.module("nsg_rule", rule_args(destination_port_ranges=["443"], description="proxy exception"))
    assert result["changed"], result
    assert shape(sandbox) == RULE_PUT
    assert rules_by_name(sandbox)["AllowProxyToInternet"]["destinationPortRange"] == "443"
    sandbox.control.clear_requests()
    result = run.module("nsg_rule", rule_args(destination_port_ranges=["443"], description="proxy exception"))
    assert result["changed"] is False and shape(sandbox) == NSG_GET

    # Delete, then delete again.
    sandbox.control.clear_requests()
    result = run.module("nsg_rule", {"resource_group": RG, "security_group": NSG, "name": "AllowProxyToInternet",
                                     "state": "absent"})
    assert result["changed"] and result["rule"] == {}, result
    assert shape(sandbox) == RULE_DELETE
    assert writes(sandbox)[0]["path"].endswith("/securityRules/AllowProxyToInternet")
    assert set(rules_by_name(sandbox)) == set(before)
    sandbox.control.clear_requests()
    result = run.module("nsg_rule", {"resource_group": RG, "security_group": NSG, "name": "AllowProxyToInternet",
                                     "state": "absent"})
    assert result["changed"] is False and shape(sandbox) == NSG_GET


def test_equal_rules_compare_equal(run, sandbox):
    """Case, 10.0.0.5 vs /32, list order and singular vs plural fields give no false change."""
    load_nsg(sandbox)
    ports = dict(PROXY, name="multi", priority=300, destination_port_ranges=["443", "80", "8080-8081"],
                 source_address_prefixes=["10.0.0.5", "10.0.0.6/32"])
    assert run.module("nsg_rule", ports)["changed"]
    sandbox.control.clear_requests()
    same = dict(ports, direction="OUTBOUND", protocol="tcp", access="allow",
                destination_port_ranges=["8080-8081", 80, "443"], source_address_prefixes=["10.0.0.6", "10.0.0.5/32"])
    result = run.module("nsg_rule", same)
    assert result["changed"] is False, result
    assert shape(sandbox) == NSG_GET

    assert run.module("nsg_rule", PROXY)["changed"]
    sandbox.control.clear_requests()
    result = run.module("nsg_rule", dict(PROXY, source_address_prefixes=["10.0.0.5"], name="allowproxytointernet"))
    assert result["changed"] is False and shape(sandbox) == NSG_GET


def test_check_mode_sends_no_write(run, sandbox):
    load_nsg(sandbox)
    for args in (PROXY, dict(PROXY, name="AllowSshFromBastion", direction="Inbound", priority=100),
                 {"resource_group": RG, "security_group": NSG, "name": "DenyInternetOutbound", "state": "absent"}):
        result = run.module("nsg_rule", args, check=True)
        assert result["changed"] and not result.get("failed"), result
    batch = {"resource_group": RG, "security_group": NSG, "purge": True,
             "rules": [dict((k, v) for k, v in PROXY.items() if k not in ("resource_group", "security_group"))]}
    result = run.module("nsg_rules", batch, check=True)
    assert result["changed"] and result["removed"] == ["AllowSshFromBastion", "DenyInternetOutbound"], result
    assert writes(sandbox) == []
    assert shape(sandbox) == NSG_GET * 4
    assert set(rules_by_name(sandbox)) == {"AllowSshFromBastion", "DenyInternetOutbound"}


def test_diff_output(run, sandbox):
    load_nsg(sandbox)
    result = run.module("nsg_rule", PROXY, diff=True)
    assert result["diff"]["before"] == {}
    after = result["diff"]["after"]
    assert after["name"] == "AllowProxyToInternet" and after["priority"] == 200
    assert after["source_address_prefixes"] == ["10.0.0.5/32"] and after["destination_port_ranges"] == ["80-443"]

    result = run.module("nsg_rule", rule_args(destination_port_ranges=["443"]), diff=True)
    assert result["diff"]["before"]["destination_port_ranges"] == ["80-443"]
    assert result["diff"]["after"]["destination_port_ranges"] == ["443"]

    result = run.module("nsg_rule", {"resource_group": RG, "security_group": NSG, "name": "AllowProxyToInternet",
                                     "state": "absent"}, diff=True)
    assert result["diff"]["before"]["name"] == "AllowProxyToInternet" and result["diff"]["after"] == {}

    rules = [{"name": "AllowHttps", "direction": "Outbound", "access": "Allow", "protocol": "Tcp", "priority": 300,
              "source_address_prefixes": ["*"], "destination_address_prefixes": ["AzureBackup"],
              "destination_port_ranges": [443]}]
    result = run.module("nsg_rules", {"resource_group": RG, "security_group": NSG, "rules": rules, "purge": True},
                        diff=True)
    before, after = result["diff"]["before"]["rules"], result["diff"]["after"]["rules"]
    assert set(before) == {"AllowSshFromBastion", "DenyInternetOutbound"}
    assert set(after) == {"AllowHttps"}
    assert after["AllowHttps"]["destination_address_prefixes"] == ["AzureBackup"]
    # The text diff ansible prints names the purged rules.
    purge_all = task("nsg_rules", {"resource_group": RG, "security_group": NSG, "rules": [], "purge": True})
    proc = run.playbook([purge_all], check=True, diff=True, env=run.env(ANSIBLE_STDOUT_CALLBACK="default"), raw=True)[1]
    assert "-" in proc.stdout and "AllowHttps" in proc.stdout, proc.stdout


def test_seed_proxy_exception_rule(run, sandbox):
    """The seed's proxy exception (allow TCP 10.0.0.5/32 → Internet 80-443, outbound, priority 200) is recognised
    as it is, and created the same way on an NSG that lacks it."""
    sandbox.control.load_fixtures(SEED)
    sandbox.control.clear_requests()
    seed_rule = dict(PROXY, resource_group="rg-backup-weu", security_group="nsg-app",
                     description="Outbound proxy exception: the proxy VM may reach the Internet on 80-443")
    result = run.module("nsg_rule", seed_rule)
    assert result["changed"] is False, result
    assert shape(sandbox) == NSG_GET

    sandbox.control.clear_requests()
    other = dict(seed_rule, resource_group="rg-backup-neu", security_group="nsg-app-neu")
    result = run.module("nsg_rule", other)
    assert result["changed"], result
    assert shape(sandbox) == RULE_PUT
    props = rules_by_name(sandbox, "nsg-app-neu")["AllowProxyToInternet"]
    assert (props["sourceAddressPrefix"], props["destinationAddressPrefix"], props["destinationPortRange"],
            props["protocol"], props["direction"], props["priority"], props["access"]) == \
        ("10.0.0.5/32", "Internet", "80-443", "Tcp", "Outbound", 200, "Allow")
    assert "AllowHttpsInbound" in rules_by_name(sandbox, "nsg-app-neu")


@pytest.mark.parametrize("tag", ["AzureBackup", "Storage.WestEurope"])
def test_service_tag_rule(run, sandbox, tag):
    load_nsg(sandbox)
    args = {"resource_group": RG, "security_group": NSG, "name": "allow-" + tag.replace(".", "-"), "direction": "Outbound",
            "access": "Allow", "protocol": "Tcp", "source_address_prefixes": ["*"], "destination_address_prefixes": [tag],
            "destination_port_ranges": [443],
            "priority_range": [200, 299]}
    result = run.module("nsg_rule", args)
    assert result["changed"] and result["rule"]["priority"] == 200, result
    assert not result.get("warnings"), result  # integer ports are taken as they are
    assert shape(sandbox) == RULE_PUT
    assert writes(sandbox)[0]["body"]["properties"]["destinationAddressPrefix"] == tag
    sandbox.control.clear_requests()
    result = run.module("nsg_rule", dict(args, destination_address_prefixes=[tag.lower()]))
    assert result["changed"] is False and shape(sandbox) == NSG_GET


# ---- rejected input -----------------------------------------------------------------------------------------

BASE = {"resource_group": RG, "security_group": NSG, "name": "r1", "priority": 300}
REJECTED = [
    ({"name": "-bad"}, ["name", "1-80"]),
    ({"name": "x" * 81}, ["name", "1-80"]),
    ({"direction": "up"}, ["direction", "Inbound, Outbound"]),
    ({"access": "perhaps"}, ["access", "Allow, Deny"]),
    ({"protocol": "sctp"}, ["protocol", "Tcp, Udp, Icmp, Esp, Ah"]),
    ({"priority": 99}, ["priority", "100-4096"]),
    ({"priority": 4097}, ["priority", "100-4096"]),
    ({"priority": "soon"}, ["priority", "auto"]),
    ({"priority": 300, "priority_range": [200, 299]}, ["priority_range", "not both"]),
    ({"priority": None, "priority_range": [299, 200]}, ["priority_range", "lowest first"]),
    ({"priority": None, "priority_range": [1, 5000]}, ["priority_range", "100-4096"]),
    ({"source_address_prefixes": ["10.0.0.0/33"]}, ["source_address_prefixes", "10.0.0.0/33"]),
    ({"source_address_prefixes": ["10.0.0.5/24"]}, ["source_address_prefixes", "did you mean 10.0.0.0/24"]),
    ({"source_address_prefixes": ["300.1.1.1"]}, ["source_address_prefixes", "300.1.1.1"]),
    ({"source_address_prefixes": ["bad tag!"]}, ["source_address_prefixes", "service tag"]),
    ({"destination_address_prefixes": ["AzureBackup", "10.0.0.0/24"]}, ["destination_address_prefixes", "only prefix"]),
    ({"destination_address_prefixes": ["*", "10.0.0.1"]}, ["destination_address_prefixes", "'*'"]),
    ({"destination_address_prefixes": ["10.0.0.1", "2001:db8::1"]}, ["destination_address_prefixes", "IPv4 and IPv6"]),
    ({"source_address_prefixes": ["10.0.0.1"], "destination_address_prefixes": ["2001:db8::/64"]}, ["IPv4 and IPv6"]),
    ({"destination_port_ranges": [70000]}, ["destination_port_ranges", "0-65535"]),
    ({"destination_port_ranges": ["443-80"]}, ["destination_port_ranges", "443-80"]),
    ({"destination_port_ranges": ["https"]}, ["destination_port_ranges", "N-M"]),
    ({"source_port_ranges": ["*", 22]}, ["source_port_ranges", "'*'"]),
    ({"description": "d" * 141}, ["description", "140"]),
    ({"source_address_prefixes": ["10.0.0.1"], "source_application_security_groups": ["asg1"]}, ["not both"]),
]


def test_every_rejected_input_sends_no_request(run, sandbox):
    load_nsg(sandbox)
    tasks = [task("nsg_rule", dict(BASE, **change)) for change, _words in REJECTED]
    items = [dict({k: v for k, v in BASE.items() if k not in ("resource_group", "security_group")}, **change)
             for change, _words in REJECTED]
    tasks += [task("nsg_rules", {"resource_group": RG, "security_group": NSG, "rules": [{"name": "ok", "priority": 301}, item]})
              for item in items]
    tasks.append(task("nsg_rules", {"resource_group": RG, "security_group": NSG,
                                    "rules": [{"name": "same", "priority": 301}, {"name": "SAME", "priority": 302}]}))
    tasks.append(task("nsg_rules", {"resource_group": RG, "security_group": NSG, "rules": [], "max_attempts": 0}))
    tasks.append(task("nsg_rule_info", {"resource_group": RG, "security_group": NSG, "direction": "sideways"}))
    results, proc = run.playbook(tasks)
    assert len(results) == len(tasks), proc.stdout[-2000:]
    words = [w for _c, w in REJECTED]
    expected = words + [["rules[1]."] + w for w in words] + [["rules[1].name", "rules[0]"], ["max_attempts"],
                                                             ["direction"]]
    for result, wanted in zip(results, expected):
        assert result.get("failed"), result
        assert "Traceback" not in json.dumps(result)
        for word in wanted:
            assert word in result["msg"], (word, result["msg"])
    assert sandbox.control.requests() == [], "rejected input must not send any request"


# ---- priorities -----------------------------------------------------------------------------------------------


def test_priority_conflict_names_the_other_rule(run, sandbox):
    load_nsg(sandbox)
    result = run.module("nsg_rule", rule_args(name="new-deny", priority=4000))
    assert result.get("failed") and "DenyInternetOutbound" in result["msg"] and "4000" in result["msg"], result
    assert result["error_code"] == "SecurityRuleConflict"
    # The same priority in the other direction is no conflict.
    result = run.module("nsg_rule", rule_args(name="in-4000", priority=4000, direction="Inbound"))
    assert result["changed"], result
    sandbox.control.clear_requests()
    rules = [new_rule("x", direction="Outbound", priority=4000)]
    result = run.module("nsg_rules", {"resource_group": RG, "security_group": NSG, "rules": rules})
    assert result.get("failed") and "'x'" in result["msg"] and "DenyInternetOutbound" in result["msg"], result
    rules = [new_rule("x", priority=500), new_rule("y", priority=500)]
    result = run.module("nsg_rules", {"resource_group": RG, "security_group": NSG, "rules": rules})
    assert result.get("failed") and "'x'" in result["msg"] and "'y'" in result["msg"], result
    assert writes(sandbox) == [] and shape(sandbox) == NSG_GET * 2


def test_automatic_priority(run, sandbox):
    load_nsg(sandbox, rules=[
        {"name": "o200", "properties": {"protocol": "*", "sourcePortRange": "*", "destinationPortRange": "*",
                                        "sourceAddressPrefix": "*", "destinationAddressPrefix": "*", "access": "Allow",
                                        "priority": 200, "direction": "Outbound"}},
        {"name": "o201", "properties": {"protocol": "*", "sourcePortRange": "*", "destinationPortRange": "*",
                                        "sourceAddressPrefix": "*", "destinationAddressPrefix": "*", "access": "Allow",
                                        "priority": 201, "direction": "Outbound"}},
        {"name": "i202", "properties": {"protocol": "*", "sourcePortRange": "*", "destinationPortRange": "*",
                                        "sourceAddressPrefix": "*", "destinationAddressPrefix": "*", "access": "Allow",
                                        "priority": 202, "direction": "Inbound"}},
    ])
    args = {"resource_group": RG, "security_group": NSG, "name": "backup", "direction": "Outbound", "access": "Allow",
            "protocol": "Tcp", "source_address_prefixes": ["*"], "destination_address_prefixes": ["AzureBackup"],
            "destination_port_ranges": [443],
            "priority_range": [200, 299]}
    result = run.module("nsg_rule", args)
    assert result["rule"]["priority"] == 202, result
    # priority: auto with a range is the same; the rule keeps its priority even when a lower one becomes free.
    assert run.module("nsg_rule", {"resource_group": RG, "security_group": NSG, "name": "o200", "state": "absent"})["changed"]
    sandbox.control.clear_requests()
    result = run.module("nsg_rule", dict(args, priority="auto"))
    assert result["changed"] is False and result["rule"]["priority"] == 202, result
    assert shape(sandbox) == NSG_GET
    # A batch fills the lowest free priorities in list order: 200 (freed), 203, 204.
    rules = [new_rule(n, direction="Outbound", priority_range=[200, 299]) for n in ("a", "b", "c")]
    result = run.module("nsg_rules", {"resource_group": RG, "security_group": NSG, "rules": rules})
    got = {r["name"]: r["priority"] for r in result["rules"]}
    assert (got["a"], got["b"], got["c"], got["backup"]) == (200, 203, 204, 202), result
    # A full range is a clear error before any write.
    sandbox.control.clear_requests()
    result = run.module("nsg_rule", dict(args, name="nofree", priority_range=[200, 204]))
    assert result.get("failed") and "no free" in result["msg"] and writes(sandbox) == []


# ---- nsg_rules ----------------------------------------------------------------------------------------------


def test_batch_of_50_rules_costs_one_get_and_one_put(run, sandbox):
    load_nsg(sandbox)
    rules = [{"name": "batch-%02d" % i, "direction": "Inbound", "access": "Allow", "protocol": "Tcp",
              "source_address_prefixes": ["10.1.%d.0/24" % i, "10.2.%d.0/24" % i],
              "destination_address_prefixes": ["*"],
              "destination_port_ranges": [1000 + i], "priority_range": [1000, 1999]} for i in range(50)]
    args = {"resource_group": RG, "security_group": NSG, "rules": rules}
    result = run.module("nsg_rules", args)
    assert result["changed"] and len(result["created"]) == 50, result
    # One round, unless an injected fault refused the PUT or lost its answer (then the Operation read again).
    assert result["attempts"] == 1 or isinstance(shape(sandbox), Replanned), result
    assert shape(sandbox) == NSG_PUT
    put = writes(sandbox)[0]
    assert put["method"] == "PUT" and arm_requests(sandbox)[0]["method"] == "GET"
    etag = put["if_match"]
    assert etag and etag.startswith('W/"'), put
    sent = put["body"]["properties"]["securityRules"]
    assert len(sent) == 52 and {r["name"] for r in sent} >= {"AllowSshFromBastion", "DenyInternetOutbound"}
    assert sent[-1]["properties"]["sourceAddressPrefixes"] == ["10.1.49.0/24", "10.2.49.0/24"]
    state = rules_by_name(sandbox)
    assert sorted(state[r["name"]]["priority"] for r in rules) == list(range(1000, 1050))

    sandbox.control.clear_requests()
    result = run.module("nsg_rules", args)
    assert result["changed"] is False, result
    assert shape(sandbox) == NSG_GET

    # Change one rule and remove another, in the same single write.
    rules[7] = dict(rules[7], destination_port_ranges=[2007])
    rules[8] = {"name": rules[8]["name"], "state": "absent"}
    sandbox.control.clear_requests()
    result = run.module("nsg_rules", args)
    assert result["updated"] == ["batch-07"] and result["removed"] == ["batch-08"] and not result["created"], result
    assert shape(sandbox) == NSG_PUT
    assert "batch-08" not in rules_by_name(sandbox) and len(rules_by_name(sandbox)) == 51


def test_purge_removes_unlisted_custom_rules_only(run, sandbox):
    load_nsg(sandbox)
    keep = [{"name": "AllowSshFromBastion", "direction": "Inbound", "protocol": "Tcp", "priority": 100,
             "source_address_prefixes": ["10.0.250.0/26"], "destination_address_prefixes": ["VirtualNetwork"],
             "destination_port_ranges": [22], "description": "SSH from the bastion subnet"}]
    args = {"resource_group": RG, "security_group": NSG, "rules": keep}
    result = run.module("nsg_rules", args)
    assert result["changed"] is False, result  # purge defaults to false
    result = run.module("nsg_rules", dict(args, purge=True), diff=True)
    assert result["removed"] == ["DenyInternetOutbound"] and result["updated"] == [], result
    assert "DenyInternetOutbound" in result["diff"]["before"]["rules"]
    assert "DenyInternetOutbound" not in result["diff"]["after"]["rules"]
    state = rules_by_name(sandbox)
    assert set(state) == {"AllowSshFromBastion"}
    defaults = {r["name"] for r in nsg_state(sandbox)["properties"]["defaultSecurityRules"]}
    assert "DenyAllInBound" in defaults


def test_concurrent_rule_write_during_a_batch_is_kept(run, sandbox):
    """A rule written while nsg_rules reads and writes the NSG survives: If-Match makes the batch re-read (412), or
    the sandbox makes one writer wait (409 AnotherOperationInProgress). The 412 path itself is unit tested."""
    load_nsg(sandbox)
    # A slow sandbox widens the window between the batch's read and its write.
    sandbox.control.set_faults(latency_ms=400, apply_to="arm", seed=1)
    rules = [new_rule("batch-%d" % i, priority=1000 + i) for i in range(3)]
    env = run.env()
    play = run.tmp_path / "slow.json"
    play.write_text(json.dumps([{"name": "p", "hosts": "localhost", "gather_facts": False, "connection": "local",
                                 "tasks": [task("nsg_rules", {"resource_group": RG, "security_group": NSG,
                                                              "rules": rules})]}]))
    binary = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    batch = subprocess.Popen([binary, "-i", "localhost,", str(play)], env=env, stdout=subprocess.PIPE, text=True)
    single = run.module("nsg_rule", rule_args(name="concurrent", priority=222))
    out = batch.communicate(timeout=300)[0]
    doc = json.loads(out[out.index("{"):])
    result = doc["plays"][0]["tasks"][0]["hosts"]["localhost"]
    assert not single.get("failed") and not result.get("failed"), (single, result)
    state = rules_by_name(sandbox)
    assert {"concurrent", "batch-0", "batch-1", "batch-2", "AllowSshFromBastion", "DenyInternetOutbound"} <= set(state)


# ---- nsg_rule_info --------------------------------------------------------------------------------------------


def test_rule_info_filters(run, sandbox):
    load_nsg(sandbox)
    result = run.module("nsg_rule_info", {"resource_group": RG, "security_group": NSG})
    names = [r["name"] for r in result["rules"]]
    assert names[:2] == ["AllowSshFromBastion", "DenyInternetOutbound"] and "DenyAllOutBound" in names
    assert len(names) == 8 and result["security_group"]["etag"]
    assert shape(sandbox) == NSG_GET
    default = [r for r in result["rules"] if r["default"]]
    assert len(default) == 6 and all(r["priority"] >= 65000 for r in default)
    result = run.module("nsg_rule_info", {"resource_group": RG, "security_group": NSG, "names": ["deny*"],
                                          "direction": "outbound"})
    assert [r["name"] for r in result["rules"]] == ["DenyInternetOutbound", "DenyAllOutBound"], result
    result = run.module("nsg_rule_info", {"resource_group": RG, "security_group": NSG, "include_default": False,
                                          "names": ["allowsshfrombastion"]})
    assert [r["name"] for r in result["rules"]] == ["AllowSshFromBastion"]
    assert result["rules"][0]["destination_port_ranges"] == ["22"]
    result = run.module("nsg_rule_info", {"resource_group": RG, "security_group": "missing"})
    assert result.get("failed") and "was not found" in result["msg"] and result["status_code"] == 404


# ---- playbooks --------------------------------------------------------------------------------------------------


def _playbook(run, name, extra_vars=None):
    # The demo inventory's group_vars name the seed's NSGs and proxy (inventory variables reach the playbooks).
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
           "-i", os.path.join(ROOT, "inventories", "demo", "hosts.yml"), os.path.join(ROOT, "playbooks", name)]
    if extra_vars:
        cmd += ["-e", json.dumps(extra_vars)]
    env = run.env(ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    doc = json.loads(proc.stdout[proc.stdout.index("{"):])
    # Every play's tasks (the network playbooks check their variables, find the NSGs, then write them).
    return {t["task"]["name"]: t["hosts"]["localhost"] for play in doc["plays"] for t in play["tasks"]}


def test_playbooks_against_the_seed(run, sandbox):
    sandbox.control.load_fixtures(SEED)
    # Both options at once (the other option's rules kept; switching is test_network_mode_switch.py).
    keep = {"azbackup_network_remove_other_option": False}
    tasks = _playbook(run, "network_service_tags.yml", keep)
    applied = tasks["Allow outbound HTTPS to Storage.<region>, AzureBackup and AzureActiveDirectory"]
    assert applied["changed"] and [len(r["created"]) for r in applied["security_groups"]] == [3, 3]
    weu, neu = rules_by_name(sandbox, "nsg-app"), rules_by_name(sandbox, "nsg-app-neu")
    # nsg-app has the proxy exception at outbound 200: the new rules take the next free priorities.
    assert [weu["AzureBackup-%s" % n]["priority"] for n in ("Storage", "Service", "EntraID")] == [201, 202, 203]
    assert [neu["AzureBackup-%s" % n]["priority"] for n in ("Storage", "Service", "EntraID")] == [200, 201, 202]
    assert weu["AzureBackup-Storage"]["destinationAddressPrefix"] == "Storage.WestEurope"
    assert neu["AzureBackup-Storage"]["destinationAddressPrefix"] == "Storage.NorthEurope"
    assert weu["AzureBackup-EntraID"]["destinationPortRange"] == "443"
    assert {"AllowSshFromBastion", "AllowProxyToInternet", "DenyInternetOutbound"} <= set(weu)
    sandbox.control.clear_requests()
    tasks = _playbook(run, "network_service_tags.yml", keep)
    assert not any(t.get("changed") for t in tasks.values())
    assert writes(sandbox) == []

    # Option 2: the seed already has the proxy exception; another NSG gets it.
    sandbox.control.clear_requests()
    tasks = _playbook(run, "network_proxy.yml", dict(keep, azbackup_nsgs=[{"resource_group": "rg-backup-weu", "name": "nsg-app"}]))
    assert tasks["Allow the proxy VM to reach the Internet"]["changed"] is False and writes(sandbox) == []
    # (Outbound 200 on nsg-app-neu went to the service-tag rules above, so this one takes 250.)
    tasks = _playbook(run, "network_proxy.yml", dict(keep, azbackup_nsgs=[{"resource_group": "rg-backup-neu",
                                                                          "name": "nsg-app-neu"}], azbackup_proxy_priority=250))
    assert tasks["Allow the proxy VM to reach the Internet"]["changed"]
    props = rules_by_name(sandbox, "nsg-app-neu")["AllowProxyToInternet"]
    assert (props["sourceAddressPrefix"], props["destinationPortRange"], props["priority"]) == ("10.0.0.5/32", "80-443", 250)


# ---- issue cases: fail closed, raw reads, busy answers, lost answers ---------------------------------------------

NARROW = rule_fixture("NarrowOut", 400, "Outbound", access="Deny", sourceAddressPrefix="10.0.0.5/32",
                      destinationAddressPrefix="Internet", destinationPortRange="443")
NARROW_FIELDS = ("direction", "access", "protocol", "sourceAddressPrefix", "destinationAddressPrefix",
                 "sourcePortRange", "destinationPortRange")


def _narrow_unchanged_but(props, priority):
    assert props["priority"] == priority, props
    assert tuple(props.get(k) for k in NARROW_FIELDS) == \
        ("Outbound", "Deny", "Tcp", "10.0.0.5/32", "Internet", "*", "443"), props


def test_case1_partial_update_never_widens_rule(run, sandbox):
    """Only name and priority given: every other field keeps its current value - in check mode, in the diff, in the
    write, with nsg_rule and with nsg_rules. Nothing falls back to Inbound/Allow/'*'."""
    load_nsg(sandbox, rules=[NARROW])
    partial = {"resource_group": RG, "security_group": NSG, "name": "NarrowOut", "priority": 410}

    result = run.module("nsg_rule", partial, check=True, diff=True)
    assert result["changed"] and not result.get("failed"), result
    before, after = result["diff"]["before"], result["diff"]["after"]
    assert {k: v for k, v in before.items() if k != "priority"} == {k: v for k, v in after.items() if k != "priority"}
    assert (before["priority"], after["priority"]) == (400, 410)
    assert (after["direction"], after["access"], after["source_address_prefixes"]) == ("Outbound", "Deny", ["10.0.0.5/32"])
    assert writes(sandbox) == []

    result = run.module("nsg_rule", partial, diff=True)
    assert result["changed"] and not result.get("failed"), result
    assert result["rule"]["access"] == "Deny" and result["rule"]["destination_port_ranges"] == ["443"], result
    assert writes(sandbox)[0]["body"]["properties"]["access"] == "Deny"
    _narrow_unchanged_but(rules_by_name(sandbox)["NarrowOut"], 410)
    sandbox.control.clear_requests()
    assert run.module("nsg_rule", partial)["changed"] is False and writes(sandbox) == []

    # nsg_rules: the same partial item, check mode first.
    batch = {"resource_group": RG, "security_group": NSG, "rules": [{"name": "NarrowOut", "priority": 420}]}
    result = run.module("nsg_rules", batch, check=True, diff=True)
    assert result["changed"] and result["updated"] == ["NarrowOut"], result
    after = result["diff"]["after"]["rules"]["NarrowOut"]
    assert (after["priority"], after["direction"], after["access"], after["protocol"]) == (420, "Outbound", "Deny", "Tcp")
    assert after["source_address_prefixes"] == ["10.0.0.5/32"] and after["destination_port_ranges"] == ["443"]
    assert writes(sandbox) == []
    result = run.module("nsg_rules", batch)
    assert result["changed"] and not result.get("failed"), result
    _narrow_unchanged_but(rules_by_name(sandbox)["NarrowOut"], 420)

    # A description left out keeps the current one; one given replaces it.
    run.module("nsg_rule", dict(partial, description="keep me"))
    result = run.module("nsg_rule", dict(partial, priority=430))
    assert result["rule"]["description"] == "keep me" and result["rule"]["priority"] == 430, result
    _narrow_unchanged_but(rules_by_name(sandbox)["NarrowOut"], 430)
    # Giving one side replaces that side only.
    result = run.module("nsg_rule", dict(partial, priority=430, destination_address_prefixes=["AzureBackup"]))
    props = rules_by_name(sandbox)["NarrowOut"]
    assert (props["destinationAddressPrefix"], props["sourceAddressPrefix"], props["access"]) == \
        ("AzureBackup", "10.0.0.5/32", "Deny"), props


def test_case1_new_rule_requires_the_fields_that_decide_what_it_allows(run, sandbox):
    load_nsg(sandbox, rules=[NARROW])
    required = ["direction", "access", "protocol", "destination_port_ranges", "source_address_prefixes",
                "destination_address_prefixes", "priority"]
    result = run.module("nsg_rule", {"resource_group": RG, "security_group": NSG, "name": "Fresh", "priority": 300},
                        check=True)
    assert result.get("failed") and "would be created" in result["msg"], result
    for word in required[:-1]:
        assert word in result["msg"], (word, result["msg"])
    result = run.module("nsg_rule", {"resource_group": RG, "security_group": NSG, "name": "Fresh"})
    assert result.get("failed") and all(word in result["msg"] for word in required), result
    # Everything but the source ports (which default to '*' on create) given: created.
    full = {"resource_group": RG, "security_group": NSG, "name": "Fresh", "priority": 300, "direction": "Inbound",
            "access": "Allow", "protocol": "Tcp", "source_address_prefixes": ["10.1.0.0/24"],
            "destination_address_prefixes": ["VirtualNetwork"], "destination_port_ranges": [22]}
    missing_one = {k: v for k, v in full.items() if k != "destination_address_prefixes"}
    result = run.module("nsg_rule", missing_one)
    assert result.get("failed") and "destination_address_prefixes" in result["msg"], result
    assert "source_address_prefixes" not in result["msg"].split("Missing:")[1], result

    rules = [{"name": "NarrowOut", "priority": 405},
             {"name": "Fresh", "priority": 301, "direction": "Inbound", "access": "Allow"}]
    result = run.module("nsg_rules", {"resource_group": RG, "security_group": NSG, "rules": rules})
    assert result.get("failed"), result
    for word in ("rules[1].protocol", "rules[1].destination_port_ranges", "rules[1].source_address_prefixes",
                 "rules[1].destination_address_prefixes"):
        assert word in result["msg"], (word, result["msg"])
    assert "rules[1].direction" not in result["msg"] and "rules[0]" not in result["msg"], result["msg"]
    assert writes(sandbox) == [] and set(rules_by_name(sandbox)) == {"NarrowOut"}

    result = run.module("nsg_rule", full)
    assert result["changed"] and not result.get("failed"), result
    assert writes(sandbox)[0]["body"]["properties"]["sourcePortRange"] == "*"


def test_case2_reads_raw_json_with_any_sdk_and_never_deletes_unread_rules(run, sandbox):
    """azure-mgmt-network 28.0.0 models flatten to snake_case: the modules read the raw JSON instead, so nsg_rules
    with purge: false keeps every rule, nsg_rule sees existing rules and nsg_rule_info lists them. `make
    integration-lowest` runs this with azure-mgmt-network 28.0.0 (where it failed before), `make integration` with
    the newest release."""
    env = None
    load_nsg(sandbox)
    new = {"name": "AllowHttpsOut", "direction": "Outbound", "access": "Allow", "protocol": "Tcp", "priority": 300,
           "source_address_prefixes": ["*"], "destination_address_prefixes": ["AzureBackup"],
           "destination_port_ranges": [443]}
    result = run.module("nsg_rules", {"resource_group": RG, "security_group": NSG, "rules": [new]}, env=env)
    assert not result.get("failed") and result["created"] == ["AllowHttpsOut"] and result["removed"] == [], result
    assert set(rules_by_name(sandbox)) == {"AllowSshFromBastion", "DenyInternetOutbound", "AllowHttpsOut"}
    sandbox.control.clear_requests()
    result = run.module("nsg_rules", {"resource_group": RG, "security_group": NSG, "rules": [new]}, env=env)
    assert result["changed"] is False and writes(sandbox) == [], result

    # nsg_rule sees the existing rule (a partial update keeps its fields) and the priority conflict.
    result = run.module("nsg_rule", {"resource_group": RG, "security_group": NSG, "name": "AllowSshFromBastion",
                                     "priority": 110}, env=env)
    assert result["changed"] and result["rule"]["destination_port_ranges"] == ["22"], result
    assert result["rule"]["id"].endswith("/securityRules/AllowSshFromBastion"), result
    result = run.module("nsg_rule", dict(PROXY, priority=4000), env=env)
    assert result.get("failed") and "DenyInternetOutbound" in result["msg"], result
    result = run.module("nsg_rule", {"resource_group": RG, "security_group": NSG, "name": "AllowHttpsOut",
                                     "state": "absent"}, env=env)
    assert result["changed"] and "AllowHttpsOut" not in rules_by_name(sandbox), result

    result = run.module("nsg_rule_info", {"resource_group": RG, "security_group": NSG}, env=env)
    names = [r["name"] for r in result["rules"] if not r["default"]]
    assert names == ["AllowSshFromBastion", "DenyInternetOutbound"], result
    assert result["security_group"]["etag"], result
    assert set(rules_by_name(sandbox)) == {"AllowSshFromBastion", "DenyInternetOutbound"}


@pytest.mark.parametrize("faults", [
    pytest.param({"busy_rate": 0.5, "busy_retry_after_rate": 0.0}, id="busy-409-without-retry-after"),
    pytest.param({"busy_lro_rate": 0.5}, id="busy-lro-final-state"),
])
def test_case3_busy_answers_are_retried_by_reading_again(run, sandbox, faults):
    load_nsg(sandbox)
    sandbox.control.set_faults(seed=3, **faults)
    args = {"resource_group": RG, "security_group": NSG, "wait_timeout": 120}
    result = run.module("nsg_rule", dict(PROXY, wait_timeout=120))
    assert result["changed"] and not result.get("failed"), result
    rules = [{"name": "busy-%d" % i, "direction": "Inbound", "access": "Allow", "protocol": "Tcp", "priority": 500 + i,
              "source_address_prefixes": ["10.9.%d.0/24" % i], "destination_address_prefixes": ["VirtualNetwork"],
              "destination_port_ranges": [22]} for i in range(3)]
    result = run.module("nsg_rules", dict(args, rules=rules))
    assert result["changed"] and not result.get("failed") and result["attempts"] >= 1, result
    result = run.module("nsg_rule", {"resource_group": RG, "security_group": NSG, "name": "busy-0", "state": "absent",
                                     "wait_timeout": 120})
    assert result["changed"] and not result.get("failed"), result
    state = rules_by_name(sandbox)
    assert {"AllowProxyToInternet", "busy-1", "busy-2", "AllowSshFromBastion", "DenyInternetOutbound"} == set(state)
    assert any(r.get("fault") for r in sandbox.control.requests()), "no busy answer was injected"


@pytest.mark.parametrize("kinds", [pytest.param(["drop"], id="connection-dropped"), pytest.param([500], id="http-500")])
def test_case4_write_that_landed_with_lost_answer_reports_changed(run, sandbox, kinds):
    """Every write's answer is lost after the sandbox applied it: the next read shows the write landed, so the
    task reports changed: true (and the diff's 'before' is the state of the first read)."""
    load_nsg(sandbox)
    sandbox.control.set_faults(lost_answer_rate=1.0, lost_answer_kinds=kinds)
    result = run.module("nsg_rule", PROXY, diff=True)
    assert result["changed"] is True and not result.get("failed"), result
    assert result["diff"]["before"] == {} and result["diff"]["after"]["priority"] == 200, result
    assert "AllowProxyToInternet" in rules_by_name(sandbox)

    result = run.module("nsg_rule", {"resource_group": RG, "security_group": NSG, "name": "AllowProxyToInternet",
                                     "state": "absent"}, diff=True)
    assert result["changed"] is True and not result.get("failed"), result
    assert result["diff"]["before"]["name"] == "AllowProxyToInternet" and result["diff"]["after"] == {}, result
    assert "AllowProxyToInternet" not in rules_by_name(sandbox)

    rules = [{"name": "lost-batch", "direction": "Inbound", "access": "Allow", "protocol": "Tcp", "priority": 600,
              "source_address_prefixes": ["10.8.0.0/24"], "destination_address_prefixes": ["VirtualNetwork"],
              "destination_port_ranges": [22]}]
    result = run.module("nsg_rules", {"resource_group": RG, "security_group": NSG, "rules": rules}, diff=True)
    assert result["changed"] is True and result["created"] == ["lost-batch"] and not result.get("failed"), result
    assert "lost-batch" not in result["diff"]["before"]["rules"], result
    assert "lost-batch" in rules_by_name(sandbox)
