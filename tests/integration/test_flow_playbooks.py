"""The network playbooks derive their NSGs from the VMs in scope, with the azure_vms inventory plugin or a static
inventory (vm_info), open each in one nsg_rules task, and list the VMs with nothing to open; vaults.yml takes its
regions from the plugin's azure_location. Real playbooks of the repository, against the sandbox."""

import json
import os
import subprocess
import sys

import yaml
from conftest import ROOT, arm_requests
from nsg_helpers import rules_by_name

NIC_WEU, SUBNET_WEU, SUBNET_NEU, NIC_NEU = "nsg-nic-weu", "nsg-subnet-weu", "nsg-subnet-neu", "nsg-nic-neu"
ALL_NSGS = {NIC_WEU, SUBNET_WEU, SUBNET_NEU, NIC_NEU}
TAG_RULES = ("AzureBackup-Storage", "AzureBackup-Service", "AzureBackup-EntraID")


def fleet():
    """Four VMs: the NSG on the NIC only, on the subnet only, on both, and on neither."""
    weu, neu = "rg-flow-weu", "rg-flow-neu"
    return {
        "resource_groups": [{"name": weu, "location": "westeurope"}, {"name": neu, "location": "northeurope"}],
        "network_security_groups": [{"resource_group": weu, "name": NIC_WEU, "location": "westeurope"},
                                    {"resource_group": weu, "name": SUBNET_WEU, "location": "westeurope"},
                                    {"resource_group": neu, "name": SUBNET_NEU, "location": "northeurope"},
                                    {"resource_group": neu, "name": NIC_NEU, "location": "northeurope"}],
        "virtual_networks": [
            {"resource_group": weu, "name": "vnet-weu", "location": "westeurope", "address_prefixes": ["10.0.0.0/16"],
             "subnets": [{"name": "snet-a", "address_prefix": "10.0.1.0/24", "network_security_group": SUBNET_WEU},
                         {"name": "snet-b", "address_prefix": "10.0.2.0/24"}]},
            {"resource_group": neu, "name": "vnet-neu", "location": "northeurope", "address_prefixes": ["10.1.0.0/16"],
             "subnets": [{"name": "snet-c", "address_prefix": "10.1.1.0/24", "network_security_group": SUBNET_NEU}]}],
        "network_interfaces": [
            {"resource_group": weu, "name": "nic-nic-only", "subnet": "vnet-weu/snet-b", "private_ip": "10.0.2.4",
             "network_security_group": NIC_WEU},
            {"resource_group": weu, "name": "nic-subnet-only", "subnet": "vnet-weu/snet-a", "private_ip": "10.0.1.4"},
            {"resource_group": neu, "name": "nic-both", "subnet": "vnet-neu/snet-c", "private_ip": "10.1.1.4",
             "network_security_group": NIC_NEU},
            {"resource_group": weu, "name": "nic-neither", "subnet": "vnet-weu/snet-b", "private_ip": "10.0.2.5"}],
        "virtual_machines": [
            {"resource_group": weu, "name": "vm-nic-only", "os_type": "Linux", "nics": ["nic-nic-only"]},
            {"resource_group": weu, "name": "vm-subnet-only", "os_type": "Linux", "nics": ["nic-subnet-only"]},
            {"resource_group": neu, "name": "vm-both", "os_type": "Windows", "nics": ["nic-both"]},
            {"resource_group": weu, "name": "vm-neither", "os_type": "Linux", "nics": ["nic-neither"]}],
    }


def plugin_inventory(run):
    path = run.tmp_path / "flow.azure_vms.yml"
    path.write_text(yaml.safe_dump({"plugin": "azbackup.vmprep.azure_vms"}))
    return str(path)


def static_inventory(run, hosts):
    path = run.tmp_path / "static.yml"
    doc = {"all": {"hosts": {"localhost": {"ansible_connection": "local"}},
                   "children": {"vms": {"hosts": hosts}}}}
    path.write_text(yaml.safe_dump(doc))
    return str(path)


def playbook(run, name, inventory, extra=None, check=False):
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", inventory,
           os.path.join(ROOT, "playbooks", name)]
    if extra:
        cmd += ["-e", json.dumps(extra)]
    if check:
        cmd.append("--check")
    env = run.env(ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json")
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, check=False)
    try:
        doc = json.loads(proc.stdout[proc.stdout.index("{"):])
    except ValueError:
        raise AssertionError("not JSON (rc %s):\n%s\n%s" % (proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:]))
    tasks = {}
    for play in doc["plays"]:
        for task in play["tasks"]:
            tasks[task["task"]["name"]] = task["hosts"].get("localhost", {})
    return proc, doc, tasks


def assert_tag_rules(sandbox, nsgs):
    tag = {SUBNET_WEU: "Storage.WestEurope", NIC_WEU: "Storage.WestEurope", SUBNET_NEU: "Storage.NorthEurope",
           NIC_NEU: "Storage.NorthEurope"}
    for nsg in nsgs:
        rules = rules_by_name(sandbox, nsg)
        assert set(TAG_RULES) <= set(rules), (nsg, sorted(rules))
        assert rules["AzureBackup-Storage"]["destinationAddressPrefix"] == tag[nsg], rules


def nsg_requests(sandbox):
    """Name -> the methods of the requests for each NSG (polls aside)."""
    out = {}
    for entry in arm_requests(sandbox, polls=False):
        path = entry["path"].lower()
        if "/networksecuritygroups/" in path:
            out.setdefault(path.split("/networksecuritygroups/", 1)[1].split("/", 1)[0], []).append(entry["method"])
    return out


def test_service_tags_with_the_plugin_inventory(run, sandbox):
    sandbox.control.clear_faults()  # exact request counts (the fault profiles: test_nsg_many.py)
    sandbox.control.load_fixtures(fleet())
    sandbox.control.clear_requests()
    proc, doc, tasks = playbook(run, "network_service_tags.yml", plugin_inventory(run))
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert "4 NSG(s) from inventory" in tasks["The NSGs to open"]["msg"], tasks["The NSGs to open"]
    assert tasks["VMs with no NSG on their path (nothing to open)"]["msg"] == "Nothing to open for 1 VM(s): vm-neither"
    assert not tasks["Find the VMs of the static inventory in Azure"].get("changed")
    assert tasks["Find the VMs of the static inventory in Azure"].get("skipped"), "no vm_info with the plugin"
    result = tasks["Allow outbound HTTPS to Storage.<region>, AzureBackup and AzureActiveDirectory"]
    assert {e["name"] for e in result["security_groups"]} == ALL_NSGS and result["summary"]["changed"] == 4, result
    assert_tag_rules(sandbox, ALL_NSGS)
    # One nsg_rules run: per NSG one GET, one guarded PUT and the final GET; no NSG is read twice.
    assert nsg_requests(sandbox) == {n: ["GET", "PUT", "GET"] for n in ALL_NSGS}, nsg_requests(sandbox)

    sandbox.control.clear_requests()
    proc, doc, tasks = playbook(run, "network_service_tags.yml", plugin_inventory(run))
    assert proc.returncode == 0 and doc["stats"]["localhost"]["changed"] == 0, proc.stdout[-3000:]
    assert nsg_requests(sandbox) == {n: ["GET"] for n in ALL_NSGS}
    assert arm_requests(sandbox, writes=True) == []


def test_service_tags_with_a_static_inventory_and_a_host_that_is_no_vm(run, sandbox):
    sandbox.control.load_fixtures(fleet())
    sandbox.control.clear_requests()
    hosts = {"vm-nic-only": {}, "vm-subnet-only": {}, "vm-both": {}, "vm-neither": {}, "vm-ghost": {}}
    proc, doc, tasks = playbook(run, "network_service_tags.yml", static_inventory(run, hosts))
    assert proc.returncode == 0, proc.stdout[-4000:]
    found = tasks["Find the VMs of the static inventory in Azure"]
    names = sorted(vm["azure_name"] for vm in found["vms"])
    assert names == ["vm-both", "vm-neither", "vm-nic-only", "vm-subnet-only"], found
    assert "4 NSG(s) from vm_info" in tasks["The NSGs to open"]["msg"]
    assert tasks["VMs with no NSG on their path (nothing to open)"]["msg"] == "Nothing to open for 1 VM(s): vm-neither"
    assert tasks["Hosts that are no VM of the subscription"]["msg"] == \
        "Not found in Azure, nothing opened for them: vm-ghost"
    assert_tag_rules(sandbox, ALL_NSGS)


def test_static_hosts_with_resource_groups_narrow_the_lookup(run, sandbox):
    sandbox.control.load_fixtures(fleet())
    sandbox.control.clear_requests()
    hosts = {"vm-both": {"resource_group": "rg-flow-neu"}}
    proc, doc, tasks = playbook(run, "network_service_tags.yml", static_inventory(run, hosts))
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert "2 NSG(s) from vm_info" in tasks["The NSGs to open"]["msg"], tasks["The NSGs to open"]
    assert tasks["VMs with no NSG on their path (nothing to open)"].get("skipped")
    assert set(nsg_requests(sandbox)) == {SUBNET_NEU, NIC_NEU}
    # Only the lists of that resource group (a Reader on it alone is enough).
    lists = [e["path"].lower() for e in arm_requests(sandbox, polls=False) if e["method"] == "GET"
             and "/networksecuritygroups/" not in e["path"].lower()]
    assert lists and all("/resourcegroups/rg-flow-neu/" in p for p in lists), lists


def test_override_and_nothing_in_scope(run, sandbox):
    sandbox.control.load_fixtures(fleet())
    sandbox.control.clear_requests()
    # azbackup_nsgs replaces the discovery: no VM list is read.
    proc, doc, tasks = playbook(run, "network_service_tags.yml", plugin_inventory(run),
                                {"azbackup_nsgs": [{"resource_group": "rg-flow-weu", "name": NIC_WEU}]})
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert "1 NSG(s) from azbackup_nsgs" in tasks["The NSGs to open"]["msg"]
    assert set(nsg_requests(sandbox)) == {NIC_WEU}
    # An empty survey answer (AWX sends "") is the same as not set: the NSGs come from the VMs again.
    proc, doc, tasks = playbook(run, "network_service_tags.yml", plugin_inventory(run), {"azbackup_nsgs": ""},
                                check=True)
    assert proc.returncode == 0 and "4 NSG(s) from inventory" in tasks["The NSGs to open"]["msg"], proc.stdout[-3000:]
    # No VM in scope and no override: a clear failure before any NSG request.
    sandbox.control.clear_requests()
    proc, doc, tasks = playbook(run, "network_service_tags.yml", "localhost,")
    assert proc.returncode != 0
    assert "No VM in scope" in tasks["Check that there is something in scope"]["msg"]
    assert nsg_requests(sandbox) == {}


def test_proxy_with_the_plugin_inventory_and_check_mode(run, sandbox):
    sandbox.control.load_fixtures(fleet())
    sandbox.control.clear_requests()
    extra = {"azbackup_proxy_address": "10.0.0.5/32"}
    proc, doc, tasks = playbook(run, "network_proxy.yml", plugin_inventory(run), extra, check=True)
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert tasks["Allow the proxy VM to reach the Internet"]["summary"]["changed"] == 4
    assert arm_requests(sandbox, writes=True) == []
    proc, doc, tasks = playbook(run, "network_proxy.yml", plugin_inventory(run), extra)
    assert proc.returncode == 0, proc.stdout[-4000:]
    for nsg in ALL_NSGS:
        assert rules_by_name(sandbox, nsg)["AllowProxyToInternet"]["priority"] == 200
    assert tasks["VMs with no NSG on their path (nothing to open)"]["msg"] == "Nothing to open for 1 VM(s): vm-neither"


def test_vaults_take_the_regions_of_the_plugin_inventory(run, sandbox):
    sandbox.control.load_fixtures(fleet())
    extra = {"azbackup_vault_resource_group": "rg-flow-weu"}
    proc, doc, tasks = playbook(run, "vaults.yml", plugin_inventory(run), extra, check=True)
    assert proc.returncode == 0, proc.stdout[-4000:]
    results = tasks["Ensure a vault in each region"]["results"]
    assert sorted(r["region"] for r in results) == ["northeurope", "westeurope"]
    assert all(r["changed"] for r in results)
    # The static form: `location` host variables, and hosts without one do not count.
    hosts = {"a": {"location": "West Europe"}, "b": {"azure_location": "uksouth"}, "c": {}}
    proc, doc, tasks = playbook(run, "vaults.yml", static_inventory(run, hosts), extra, check=True)
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert sorted(r["region"] for r in tasks["Ensure a vault in each region"]["results"]) == ["uksouth", "westeurope"]


def test_denied_network_reads_fail_closed_before_any_write(run, sandbox):
    """A VM whose NIC or VNet (subnet) read was denied has NSGs nobody knows: not "nothing to open" but "NSGs
    unknown", and the play fails before any NSG write, naming the VMs, the permission and the scope - unless
    azbackup_nsgs_unknown_ok says to go on with the NSGs that are known."""
    sandbox.control.load_fixtures(fleet())
    sub = sandbox.subscription_id
    neu = "/subscriptions/%s/resourceGroups/rg-flow-neu" % sub
    sandbox.control.set_faults(deny=[{"scope": neu, "actions": ["Microsoft.Network/networkInterfaces/read"]}])
    sandbox.control.clear_requests()
    proc, doc, tasks = playbook(run, "network_service_tags.yml", plugin_inventory(run))
    assert proc.returncode != 0, proc.stdout[-3000:]
    stop = tasks["Stop when an NSG of a VM in scope is unknown"]
    assert stop.get("failed"), stop
    assert "vm-both" in stop["msg"] and "vm-nic-only" not in stop["msg"], stop["msg"]
    assert "Microsoft.Network/networkInterfaces/read over %s" % neu in stop["msg"], stop["msg"]
    assert tasks["VMs whose NSGs are unknown (a read was denied)"]["msg"] == "NSGs unknown for 1 VM(s): vm-both"
    assert tasks["VMs with no NSG on their path (nothing to open)"]["msg"] == "Nothing to open for 1 VM(s): vm-neither"
    denied = tasks["Collect the NSGs"]["ansible_facts"]["azbackup_unreadable_reads"]
    assert [(u["permission"], u["scope"]) for u in denied] == [("Microsoft.Network/networkInterfaces/read", neu)]
    assert arm_requests(sandbox, writes=True) == []

    # azbackup_nsgs_unknown_ok: the NSGs that are known are opened, the unknown VM stays listed.
    proc, doc, tasks = playbook(run, "network_service_tags.yml", plugin_inventory(run),
                                {"azbackup_nsgs_unknown_ok": True})
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "2 NSG(s) from inventory" in tasks["The NSGs to open"]["msg"], tasks["The NSGs to open"]
    assert_tag_rules(sandbox, {NIC_WEU, SUBNET_WEU})

    # A static inventory (vm_info) fails the same way; the denied VNet hides the subnet NSG of every VM behind it.
    weu = "/subscriptions/%s/resourceGroups/rg-flow-weu" % sub
    sandbox.control.load_fixtures(fleet())
    sandbox.control.set_faults(deny=[{"scope": weu, "actions": ["Microsoft.Network/virtualNetworks/read"]}])
    sandbox.control.clear_requests()
    hosts = {"vm-nic-only": {}, "vm-subnet-only": {}, "vm-both": {}}
    proc, doc, tasks = playbook(run, "network_proxy.yml", static_inventory(run, hosts),
                                {"azbackup_proxy_address": "10.0.0.5/32"})
    assert proc.returncode != 0, proc.stdout[-3000:]
    stop = tasks["Stop when an NSG of a VM in scope is unknown"]
    assert "vm-nic-only, vm-subnet-only" in stop["msg"], stop["msg"]
    assert "Microsoft.Network/virtualNetworks/read over %s" % weu in stop["msg"], stop["msg"]
    assert arm_requests(sandbox, writes=True) == []


def test_proxy_rule_goes_to_every_nsg_of_the_vms_in_scope(run, sandbox):
    """docs/network.md's table says where option 2 writes: every NSG of the VMs in scope (not only the proxy VM's),
    azbackup_network_hosts narrows it, and the same write removes option 1's rules there."""
    with open(os.path.join(ROOT, "docs", "network.md"), encoding="utf-8") as handle:
        row = next(line for line in handle if line.startswith("| Rules per NSG |"))
    assert "proxy VM's subnet" not in row and "every NSG of the VMs in scope" in row, row
    assert "azbackup_network_hosts" in row and "removes option 1's" in row, row
    sandbox.control.load_fixtures(fleet())
    proc, doc, tasks = playbook(run, "network_service_tags.yml", plugin_inventory(run))
    assert proc.returncode == 0, proc.stdout[-3000:]
    proc, doc, tasks = playbook(run, "network_proxy.yml", plugin_inventory(run),
                                {"azbackup_proxy_address": "10.0.0.5/32", "azbackup_network_hosts": "vm-both"})
    assert proc.returncode == 0, proc.stdout[-3000:]
    for nsg in (SUBNET_NEU, NIC_NEU):  # vm-both's NSGs, the proxy VM is none of them
        rules = rules_by_name(sandbox, nsg)
        assert "AllowProxyToInternet" in rules and not set(TAG_RULES) & set(rules), (nsg, sorted(rules))
    for nsg in (NIC_WEU, SUBNET_WEU):  # outside azbackup_network_hosts: untouched
        rules = rules_by_name(sandbox, nsg)
        assert "AllowProxyToInternet" not in rules and set(TAG_RULES) <= set(rules), (nsg, sorted(rules))
