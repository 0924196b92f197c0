"""The azure_vms inventory plugin of the installed collection, run by ansible-inventory against the sandbox with the
environment that the AWX / Automation Platform "Microsoft Azure Resource Manager" credential injects: groups by region,
OS and readiness verdict, several subscriptions, filters, compose / keyed_groups / hostname, the inventory cache (a
cached run sends no request), denied reads (hosts kept, warning), and option errors before any request."""

import json
import os
import subprocess
import sys

import pytest
import yaml
from conftest import ROOT, arm_requests

SUB2 = "22222222-2222-4222-8222-222222222222"
SEED_VMS = {"vm-proxy-weu", "vm-web-weu-01", "vm-sql-weu-01", "vm-app-weu-02", "vm-app-neu-01", "vm-win-neu-01",
            "vm-legacy-neu-01"}
LIST_PATHS = ("microsoft.compute/virtualmachines", "microsoft.network/networkinterfaces",
              "microsoft.network/virtualnetworks", "microsoft.network/networksecuritygroups",
              "microsoft.network/routetables", "microsoft.network/natgateways", "microsoft.network/publicipaddresses",
              "microsoft.network/loadbalancers", "microsoft.recoveryservices/vaults")


class Inventory:
    """ansible-inventory with a plugin configuration, as AWX runs an inventory update."""

    def __init__(self, run):
        self.run = run
        self.count = 0

    def env(self, **overrides):
        # Only this plugin, and a configuration it cannot parse is an error (not a warning and an empty inventory).
        settings = {"ANSIBLE_INVENTORY_ENABLED": "azbackup.vmprep.azure_vms", "ANSIBLE_INVENTORY_UNPARSED_FAILED": "true",
                    "ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED": "true"}
        settings.update(overrides)
        return self.run.env(**settings)

    def path(self, config, name=None):
        self.count += 1
        path = self.run.tmp_path / (name or "test%d.azure_vms.yml" % self.count)
        path.write_text(yaml.safe_dump(dict({"plugin": "azbackup.vmprep.azure_vms"}, **config)))
        return path

    def call(self, config, *args, env=None, path=None):
        path = path or self.path(config)
        cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-inventory"), "-i", str(path), *args]
        return subprocess.run(cmd, env=env or self.env(), capture_output=True, text=True, timeout=300, check=False)

    def list(self, config, *args, **kwargs):
        proc = self.call(config, "--list", *args, **kwargs)
        assert proc.returncode == 0, proc.stderr[-3000:]
        return plain(json.loads(proc.stdout)), proc


def plain(value):
    """ansible-inventory --list marks the strings of inventory plugins (untrusted data) as {"__ansible_unsafe": s}."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def said(message, text):
    """message is in text, whatever line wrapping Ansible's display applied (it may break a line at a hyphen)."""
    return "".join(message.split()) in "".join(text.split())


def hosts_of(doc, group):
    """Hosts of a group and of its children, from ansible-inventory --list."""
    out = set(doc.get(group, {}).get("hosts", []))
    for child in doc.get(group, {}).get("children", []):
        out |= hosts_of(doc, child)
    return out


def hostvars(doc):
    return doc["_meta"]["hostvars"]


@pytest.fixture
def inv(run):
    return Inventory(run)


def two_subscriptions(sub1):
    """One VNet, NSG and two VMs per subscription; vm-shared exists in both (same name, other subscription)."""
    fixtures = {"virtual_networks": [], "network_security_groups": [], "network_interfaces": [],
                "virtual_machines": []}
    layout = ((sub1, "rg-one", "westeurope", "10.10", ["vm-one-a", "vm-shared"]),
              (SUB2, "rg-two", "eastus", "10.20", ["vm-two-a", "vm-shared"]))
    for sub, rg, region, net, names in layout:
        fixtures["network_security_groups"].append(
            {"subscription_id": sub, "resource_group": rg, "name": "nsg-" + rg, "location": region})
        fixtures["virtual_networks"].append({
            "subscription_id": sub, "resource_group": rg, "name": "vnet-" + rg, "location": region,
            "address_prefixes": [net + ".0.0/16"],
            "subnets": [{"name": "snet", "address_prefix": net + ".1.0/24", "network_security_group": "nsg-" + rg}]})
        for index, name in enumerate(names):
            fixtures["network_interfaces"].append({
                "subscription_id": sub, "resource_group": rg, "name": "nic-" + name, "location": region,
                "subnet": "vnet-%s/snet" % rg, "private_ip": "%s.1.%d" % (net, index + 4)})
            fixtures["virtual_machines"].append({
                "subscription_id": sub, "resource_group": rg, "name": name, "location": region,
                "os_type": "Windows" if name == "vm-two-a" else "Linux", "vm_size": "Standard_B2s",
                "nics": ["nic-" + name], "power_state": "running", "tags": {"team": rg}})
    return fixtures


def fleet(subscriptions, per_subscription):
    """per_subscription VMs in each subscription, one region each, with NSGs on some NICs and on one subnet."""
    fixtures = {"virtual_networks": [], "network_security_groups": [], "network_interfaces": [],
                "virtual_machines": []}
    for index, sub in enumerate(subscriptions):
        rg, region = "rg-fleet-%d" % index, ("westeurope", "northeurope", "eastus")[index % 3]
        for nsg in ("nsg-nic", "nsg-subnet"):
            fixtures["network_security_groups"].append(
                {"subscription_id": sub, "resource_group": rg, "name": nsg, "location": region})
        fixtures["virtual_networks"].append({
            "subscription_id": sub, "resource_group": rg, "name": "vnet", "location": region,
            "address_prefixes": ["10.%d.0.0/16" % index],
            "subnets": [{"name": "snet-a", "address_prefix": "10.%d.0.0/20" % index,
                         "network_security_group": "nsg-subnet"},
                        {"name": "snet-b", "address_prefix": "10.%d.16.0/20" % index}]})
        for n in range(per_subscription):
            name = "vm-%d-%03d" % (index, n)
            nic = {"subscription_id": sub, "resource_group": rg, "name": "nic-" + name, "location": region,
                   "subnet": "vnet/snet-" + "ab"[n % 2], "private_ip": "10.%d.%d.%d" % (index, (n % 2) * 16, n + 4)}
            if n % 3 == 0:
                nic["network_security_group"] = "nsg-nic"
            fixtures["network_interfaces"].append(nic)
            fixtures["virtual_machines"].append({
                "subscription_id": sub, "resource_group": rg, "name": name, "location": region,
                "os_type": "Linux", "vm_size": "Standard_B2s", "nics": ["nic-" + name], "power_state": "running"})
    return fixtures


def list_requests(sandbox):
    """(subscription, list kind) of every ARM list request."""
    out = []
    for request in arm_requests(sandbox):
        path = request["path"].lower().split("?")[0]
        kind = path.rsplit("/providers/", 1)[-1]
        out.append((path.split("/")[2], kind))
    return out


# ---- groups, host variables, AWX-style environment ------------------------------------------------------------


VAULTS = {"vaults": [{"resource_group": "rg-backup-weu", "name": "rsv-weu", "location": "westeurope"},
                     {"resource_group": "rg-backup-neu", "name": "rsv-neu", "location": "northeurope"}]}


def test_graph_groups_by_region_os_and_readiness(inv, seeded):
    """The done-when line: with the AWX-style environment, --graph shows groups by region, OS and readiness verdict."""
    seeded.control.load_fixtures(VAULTS)
    config = {"readiness": True}
    proc = inv.call(config, "--graph")
    assert proc.returncode == 0, proc.stderr[-3000:]
    graph = proc.stdout
    for group in ("@azure_vms:", "@azure_region_westeurope:", "@azure_region_northeurope:", "@azure_os_linux:",
                  "@azure_os_windows:"):
        assert group in graph, graph
    for verdict in ("pass", "warn", "fail"):
        assert "@azure_readiness_%s:" % verdict in graph, graph
    doc, proc = inv.list(config)
    assert hosts_of(doc, "azure_vms") == SEED_VMS
    assert hosts_of(doc, "azure_region_westeurope") == {"vm-proxy-weu", "vm-web-weu-01", "vm-sql-weu-01",
                                                        "vm-app-weu-02"}
    assert hosts_of(doc, "azure_region_northeurope") == {"vm-app-neu-01", "vm-win-neu-01", "vm-legacy-neu-01"}
    assert hosts_of(doc, "azure_os_windows") == {"vm-sql-weu-01", "vm-win-neu-01"}
    assert hosts_of(doc, "azure_os_linux") == SEED_VMS - {"vm-sql-weu-01", "vm-win-neu-01"}
    verdicts = {}
    for name, hv in hostvars(doc).items():
        verdicts.setdefault(hv["azure_readiness"]["result"], set()).add(name)
    for verdict, names in verdicts.items():
        assert hosts_of(doc, "azure_readiness_" + verdict) == names
    assert set().union(*verdicts.values()) == SEED_VMS
    # The proxy VM passes every check; the deallocated VM warns; a VM whose NSG blocks Storage fails.
    assert "vm-proxy-weu" in verdicts["pass"] and "vm-win-neu-01" in verdicts["warn"]
    assert "vm-web-weu-01" in verdicts["fail"]
    checks = {c["check"]: c for c in hostvars(doc)["vm-web-weu-01"]["azure_readiness"]["checks"]}
    assert checks["outbound"]["result"] == "fail" and checks["outbound"]["reason"]


def test_host_variables(inv, seeded):
    doc, _proc = inv.list({})
    hv = hostvars(doc)
    web = hv["vm-web-weu-01"]
    sub = seeded.subscription_id
    assert web["azure_id"].lower() == ("/subscriptions/%s/resourceGroups/rg-backup-weu/providers/"
                                       "Microsoft.Compute/virtualMachines/vm-web-weu-01" % sub).lower()
    assert web["azure_name"] == "vm-web-weu-01"
    assert web["azure_subscription_id"] == sub
    assert web["azure_resource_group"].lower() == "rg-backup-weu"
    assert web["azure_location"] == "westeurope"
    assert web["azure_os_type"] == "linux" and web["azure_vm_size"]
    assert web["azure_power_state"] == "running"
    assert web["azure_private_ips"] == ["10.0.1.4"]
    assert web["azure_tags"] == {"role": "web", "backup": "daily"}
    assert [n["name"] for n in web["azure_nics"]] == ["nic-vm-web-weu-01"]
    assert web["azure_subnet_ids"][0].lower().endswith("/virtualnetworks/vnet-backup-weu/subnets/snet-app")
    assert web["azure_vnet_ids"][0].lower().endswith("/virtualnetworks/vnet-backup-weu")
    # The NSG of the subnet filters it (no NIC NSG).
    assert [(n["name"], n["attached_to"]) for n in web["azure_nsgs"]] == [("nsg-app", "subnet")]
    # NIC NSG on vm-win-neu-01.
    assert ("nsg-app-neu", "nic") in [(n["name"], n["attached_to"]) for n in hv["vm-win-neu-01"]["azure_nsgs"]]
    # The proxy VM has a public IP: its outbound path, and its address once the public IPs are read.
    proxy = hv["vm-proxy-weu"]
    assert proxy["azure_outbound"]["path"] == "public_ip", proxy["azure_outbound"]
    assert proxy["azure_public_ips"], proxy
    for name, item in hv.items():
        for key in ("azure_zones", "azure_image", "azure_agent", "azure_backup_extension", "azure_route_table",
                    "azure_outbound", "azure_unreadable"):
            assert key in item, (name, key)
        assert item["azure_unreadable"] == []
    assert seeded.client_secret not in json.dumps(doc)


def test_request_plan_is_fixed_and_secret_never_shown(inv, seeded):
    """A fixed number of list requests, whatever the number of VMs; at -vvvv neither output holds the secret."""
    proc = inv.call({}, "--list", "-vvvv")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert seeded.client_secret not in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    requests = list_requests(seeded)
    assert arm_requests(seeded, writes=True) == []
    kinds = [kind for _sub, kind in requests]
    assert all(k in LIST_PATHS for k in kinds), kinds
    # No per-VM request: every request is a list, and no list is sent twice.
    assert len(kinds) == len(set(kinds)), kinds
    # -v says what was sent, retries of injected faults included.
    sent = len([r for r in seeded.control.requests() if r.get("kind") == "arm"])
    assert "azure_vms: 7 hosts from 1 subscription(s), read from Azure with %d ARM requests" % sent in \
        proc.stdout + proc.stderr


def test_options_in_the_file_win_over_the_environment(inv, seeded, run):
    """auth options in the file come first, the environment fills the rest; ca_bundle as an option."""
    env = inv.env(REQUESTS_CA_BUNDLE=None, AZURE_SUBSCRIPTION_ID="00000000-0000-4000-8000-000000000000")
    doc, _proc = inv.list({"subscription_id": seeded.subscription_id, "ca_bundle": seeded.ca_bundle}, env=env)
    assert hosts_of(doc, "azure_vms") == SEED_VMS
    # cloud_environment from the file, the service principal from the environment.
    env = inv.env(AZURE_CLOUD_ENVIRONMENT=None)
    doc, _proc = inv.list({"cloud_environment": seeded.url}, env=env)
    assert hosts_of(doc, "azure_vms") == SEED_VMS
    # A ca_bundle that is not a file fails before any request.
    seeded.control.clear_requests()
    proc = inv.call({"auth_source": "env", "ca_bundle": "/nonexistent/ca.pem"}, "--list", env=env)
    assert proc.returncode != 0 and said("ca_bundle /nonexistent/ca.pem is not a readable file", proc.stderr)
    assert seeded.control.requests() == []
    # Without the CA (neither the option nor REQUESTS_CA_BUNDLE) the TLS failure is named, with the remedy.
    proc = inv.call({}, "--list", env=inv.env(REQUESTS_CA_BUNDLE=None))
    assert proc.returncode != 0
    assert said("TLS verification failed", proc.stderr) and said("ca_bundle", proc.stderr), proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr


# ---- several subscriptions -----------------------------------------------------------------------------------------


def test_several_subscriptions(inv, sandbox):
    sub1 = sandbox.subscription_id
    sandbox.control.load_fixtures(two_subscriptions(sub1))
    sandbox.control.clear_requests()
    doc, proc = inv.list({"subscriptions": [sub1, SUB2]})
    hv = hostvars(doc)
    # vm-shared is in both subscriptions: both kept, named apart by resource group, with a warning.
    assert set(hv) == {"vm-one-a", "vm-two-a", "vm-shared_rg-one", "vm-shared_rg-two"}, set(hv)
    assert said("named vm-shared_rg-one, vm-shared_rg-two", proc.stderr), proc.stderr
    assert hv["vm-two-a"]["azure_subscription_id"] == SUB2 and hv["vm-one-a"]["azure_subscription_id"] == sub1
    assert hosts_of(doc, "azure_region_eastus") == {"vm-two-a", "vm-shared_rg-two"}
    assert hosts_of(doc, "azure_region_westeurope") == {"vm-one-a", "vm-shared_rg-one"}
    assert hosts_of(doc, "azure_os_windows") == {"vm-two-a"}
    assert [n["name"] for n in hv["vm-two-a"]["azure_nsgs"]] == ["nsg-rg-two"]
    # The same fixed set of lists in each subscription.
    requests = list_requests(sandbox)
    per_sub = {}
    for sub, kind in requests:
        per_sub.setdefault(sub, []).append(kind)
    assert set(per_sub) == {sub1.lower(), SUB2.lower()}
    assert sorted(per_sub[sub1.lower()]) == sorted(per_sub[SUB2.lower()])
    # The credential's subscription only, by default.
    doc, _proc = inv.list({})
    assert set(hostvars(doc)) == {"vm-one-a", "vm-shared"}


def test_named_vault_in_one_of_several_subscriptions(inv, sandbox):
    """readiness_options.vaults may name a vault of any subscription read; a name found in none is an error."""
    sub1 = sandbox.subscription_id
    fixtures = two_subscriptions(sub1)
    fixtures["vaults"] = [{"subscription_id": SUB2, "resource_group": "rg-two", "name": "rsv-two", "location": "eastus"}]
    sandbox.control.load_fixtures(fixtures)
    config = {"subscriptions": [sub1, SUB2], "readiness": True,
              "readiness_options": {"vaults": [{"name": "rsv-two", "resource_group": "rg-two"}]}}
    doc, _proc = inv.list(config)
    region = {name: next(c["result"] for c in v["azure_readiness"]["checks"] if c["check"] == "region")
              for name, v in hostvars(doc).items()}
    assert region == {"vm-one-a": "fail", "vm-shared_rg-one": "fail", "vm-two-a": "pass", "vm-shared_rg-two": "pass"}
    config["readiness_options"]["vaults"].append({"name": "rsv-nowhere", "resource_group": "rg-two"})
    proc = inv.call(config, "--list")
    assert proc.returncode != 0
    assert said("no Recovery Services vault 'rsv-nowhere' in resource group 'rg-two'", proc.stderr), proc.stderr


def test_requests_do_not_grow_with_the_vms(inv, sandbox):
    """Three subscriptions: the same lists for 2 VMs per subscription as for 60 (more VMs only add list pages), and
    no request per VM."""
    subs = [sandbox.subscription_id, SUB2, "44444444-4444-4444-8444-444444444444"]
    counts = {}
    for size in (2, 60):
        sandbox.control.reset()
        sandbox.control.load_fixtures(fleet(subs, size))
        sandbox.control.clear_requests()
        doc, _proc = inv.list({"subscriptions": subs})
        hv = hostvars(doc)
        assert len(hv) == 3 * size
        assert hosts_of(doc, "azure_region_eastus") == {n for n in hv if n.startswith("vm-2-")}
        # NIC NSG and subnet NSG, NIC-only, subnet-only and neither.
        nsgs = {n: [(g["name"], g["attached_to"]) for g in v["azure_nsgs"]] for n, v in hv.items()}
        assert nsgs["vm-0-000"] == [("nsg-nic", "nic"), ("nsg-subnet", "subnet")]
        assert nsgs["vm-0-001"] == []
        if size > 3:
            assert nsgs["vm-0-002"] == [("nsg-subnet", "subnet")] and nsgs["vm-0-003"] == [("nsg-nic", "nic")]
        reads = arm_requests(sandbox)
        # Every request is a list; the first page of each list once, then its further pages ($skiptoken).
        firsts = sorted(key for key, r in zip(list_requests(sandbox), reads, strict=True)
                        if "$skiptoken" not in (r.get("query") or {}))
        assert len(firsts) == len(set(firsts)), firsts
        assert all(kind in LIST_PATHS for _sub, kind in firsts), firsts
        counts[size] = (firsts, len(reads))
    assert counts[2][0] == counts[60][0], (counts[2][0], counts[60][0])
    print("inventory: 3 subscriptions, %d lists; %d ARM requests for 6 VMs, %d for 180 VMs (%.3f per VM)"
          % (len(counts[60][0]), counts[2][1], counts[60][1], counts[60][1] / 180.0))


def test_one_unreadable_subscription_keeps_the_others(inv, sandbox):
    sub1 = sandbox.subscription_id
    sandbox.control.load_fixtures(two_subscriptions(sub1))
    missing = "33333333-3333-4333-8333-333333333333"
    doc, proc = inv.list({"subscriptions": [sub1, missing]})
    assert set(hostvars(doc)) == {"vm-one-a", "vm-shared"}
    assert said("subscription %s could not be read" % missing, proc.stderr), proc.stderr
    # Only unreadable subscriptions: an error.
    proc = inv.call({"subscriptions": [missing]}, "--list")
    assert proc.returncode != 0 and said(missing, proc.stderr) and "Traceback" not in proc.stderr


# ---- filters -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("config, expected", [
    ({"include_resource_groups": ["RG-BACKUP-NEU"]}, {"vm-app-neu-01", "vm-win-neu-01", "vm-legacy-neu-01"}),
    ({"exclude_resource_groups": ["rg-backup-neu"]}, {"vm-proxy-weu", "vm-web-weu-01", "vm-sql-weu-01",
                                                      "vm-app-weu-02"}),
    ({"include_tags": {"backup": "daily"}}, {"vm-web-weu-01", "vm-sql-weu-01"}),
    ({"include_tags": {"Role": ["app", "legacy"]}}, {"vm-app-weu-02", "vm-app-neu-01", "vm-legacy-neu-01"}),
    ({"include_tags": {"backup": "*", "role": "web"}}, {"vm-web-weu-01"}),
    ({"exclude_tags": {"role": ["proxy", "data*"]}}, SEED_VMS - {"vm-proxy-weu", "vm-sql-weu-01"}),
    ({"power_states": ["stopped", "deallocated"]}, {"vm-app-weu-02", "vm-win-neu-01"}),
    ({"power_states": ["running"], "include_resource_groups": ["rg-backup-weu"], "exclude_tags": {"role": "proxy"}},
     {"vm-web-weu-01", "vm-sql-weu-01"}),
], ids=["include-rg", "exclude-rg", "tag-value", "tag-list", "tag-any", "exclude-tags", "power", "combined"])
def test_filters(inv, seeded, config, expected):
    doc, _proc = inv.list(config)
    assert set(hostvars(doc)) == expected


def test_resource_group_filter_reads_only_those_groups(inv, seeded):
    inv.list({"include_resource_groups": ["rg-backup-neu"]})
    vm_lists = [r["path"].lower() for r in arm_requests(seeded)
                if r["path"].lower().split("?")[0].endswith("/microsoft.compute/virtualmachines")]
    assert vm_lists and all("/resourcegroups/rg-backup-neu/" in p for p in vm_lists), vm_lists


# ---- constructed: compose, groups, keyed_groups, hostname ----------------------------------------------------------


def test_compose_groups_keyed_groups_and_hostname(inv, seeded):
    config = {
        "hostname": "azure_name ~ '.' ~ azure_location",
        "compose": {"ansible_host": "azure_private_ips | first", "backup_role": "azure_tags.role"},
        "groups": {"azbackup_linux_vms": "azure_os_type == 'linux' and azure_tags.role != 'proxy'",
                   "azbackup_proxy_servers": "azure_tags.role == 'proxy'"},
        "keyed_groups": [{"prefix": "role", "key": "azure_tags.role"},
                         {"prefix": "power", "key": "azure_power_state"}],
    }
    doc, _proc = inv.list(config)
    hv = hostvars(doc)
    assert "vm-web-weu-01.westeurope" in hv and "vm-web-weu-01" not in hv
    assert hv["vm-web-weu-01.westeurope"]["ansible_host"] == "10.0.1.4"
    assert hv["vm-sql-weu-01.westeurope"]["backup_role"] == "database"
    assert hosts_of(doc, "azbackup_proxy_servers") == {"vm-proxy-weu.westeurope"}
    assert hosts_of(doc, "azbackup_linux_vms") == {"vm-web-weu-01.westeurope", "vm-app-weu-02.westeurope",
                                                   "vm-app-neu-01.northeurope", "vm-legacy-neu-01.northeurope"}
    assert hosts_of(doc, "role_app") == {"vm-app-weu-02.westeurope", "vm-app-neu-01.northeurope"}
    assert hosts_of(doc, "power_deallocated") == {"vm-win-neu-01.northeurope"}
    # strict: an expression that fails is an error, not a silently missing variable.
    proc = inv.call({"strict": True, "compose": {"x": "azure_tags.no_such_tag.deeper"}}, "--list")
    assert proc.returncode != 0 and said("no_such_tag", proc.stderr) and "Traceback" not in proc.stderr


# ---- inventory cache -----------------------------------------------------------------------------------------------


def test_cache_second_run_sends_no_request(inv, seeded, run):
    cache_dir = run.tmp_path / "inventory-cache"
    config = {"cache": True, "cache_plugin": "ansible.builtin.jsonfile", "cache_connection": str(cache_dir),
              "cache_timeout": 3600, "readiness": True}
    path = inv.path(config, "cached.azure_vms.yml")
    first, _proc = inv.list(config, path=path)
    assert len(arm_requests(seeded)) > 0
    seeded.control.clear_requests()
    second, proc = inv.list(config, path=path)
    # Nothing at all reached the sandbox: no ARM request, no token, no metadata.
    assert seeded.control.requests() == [], seeded.control.requests()
    assert second == first
    # The cache holds host variables, never the credentials.
    cached = "".join(p.read_text() for p in cache_dir.iterdir())
    assert seeded.client_secret not in cached and "azure_name" in cached
    # --flush-cache reads Azure again (ansible-playbook's option: ansible-inventory has it only in newer releases).
    play = run.tmp_path / "noop.yml"
    play.write_text("- hosts: localhost\n  gather_facts: false\n  tasks: []\n")
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(path),
                           "--flush-cache", str(play)], env=inv.env(), capture_output=True, text=True, timeout=300,
                          check=False)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert len(arm_requests(seeded)) > 0
    # The tag filter applies to the cached hosts (no request); other resource groups are another read.
    seeded.control.clear_requests()
    path.write_text(yaml.safe_dump(dict(config, plugin="azbackup.vmprep.azure_vms", include_tags={"backup": "daily"})))
    filtered, _proc = inv.list({}, path=path)
    assert set(hostvars(filtered)) == {"vm-web-weu-01", "vm-sql-weu-01"}
    assert seeded.control.requests() == []
    path.write_text(yaml.safe_dump(dict(config, plugin="azbackup.vmprep.azure_vms",
                                        include_resource_groups=["rg-backup-neu"])))
    neu, _proc = inv.list({}, path=path)
    assert set(hostvars(neu)) == {"vm-app-neu-01", "vm-win-neu-01", "vm-legacy-neu-01"}
    assert len(arm_requests(seeded)) > 0


def test_cache_of_one_identity_is_not_served_to_another(inv, seeded, run):
    """The cache key holds the auth source, tenant and client id (never the secret): another service principal,
    which may be allowed to read less, reads Azure itself instead of getting the first one's hosts."""
    other, other_secret = "33333333-3333-4333-8333-333333333333", "second-principal-secret-5678"
    seeded.control.load_fixtures({"service_principals": [
        {"tenant_id": seeded.tenant_id, "client_id": other, "client_secret": other_secret,
         "subscriptions": [seeded.subscription_id]}]})
    cache_dir = run.tmp_path / "inventory-cache-identities"
    config = {"cache": True, "cache_plugin": "ansible.builtin.jsonfile", "cache_connection": str(cache_dir),
              "cache_timeout": 3600}
    path = inv.path(config, "identities.azure_vms.yml")
    inv.list(config, path=path)
    seeded.control.clear_requests()
    inv.list(config, path=path)
    assert seeded.control.requests() == []  # the same identity: the cache
    doc, _proc = inv.list(config, path=path, env=inv.env(AZURE_CLIENT_ID=other, AZURE_SECRET=other_secret))
    assert set(hostvars(doc)) == SEED_VMS
    assert len(arm_requests(seeded)) > 0, "a cache written by another client id was served"
    cached = "".join(p.read_text() for p in cache_dir.iterdir())
    assert other in cached and other_secret not in cached and seeded.client_secret not in cached


# ---- reads that are denied -----------------------------------------------------------------------------------------


def test_denied_vnet_list_keeps_the_hosts_and_warns(inv, seeded):
    sub = seeded.subscription_id
    scope = "/subscriptions/%s/resourceGroups/rg-backup-neu" % sub
    seeded.control.load_fixtures(VAULTS)
    seeded.control.set_faults(deny=[{"scope": scope, "actions": ["Microsoft.Network/virtualNetworks/read"]}])
    doc, proc = inv.list({"readiness": True})
    hv = hostvars(doc)
    assert set(hv) == SEED_VMS
    assert said("Microsoft.Network/virtualNetworks/read", proc.stderr), proc.stderr
    assert said("in /subscriptions/%s/resourceGroups/rg-backup-neu" % sub, proc.stderr), proc.stderr
    # The hosts behind the denied VNets say what is missing; the others are whole.
    neu = hv["vm-app-neu-01"]
    assert any(u["permission"] == "Microsoft.Network/virtualNetworks/read" for u in neu["azure_unreadable"]), neu
    assert neu["azure_outbound"]["path"] == "unknown"
    assert hv["vm-web-weu-01"]["azure_unreadable"] == []
    assert [n["name"] for n in hv["vm-web-weu-01"]["azure_nsgs"]] == ["nsg-app"]
    assert hosts_of(doc, "azure_region_northeurope") == {"vm-app-neu-01", "vm-win-neu-01", "vm-legacy-neu-01"}
    # The checks that needed the VNets say unknown; a VM that only warned otherwise is now in azure_readiness_unknown.
    win = {c["check"]: c for c in hv["vm-win-neu-01"]["azure_readiness"]["checks"]}
    assert win["outbound"]["result"] == "unknown", win["outbound"]
    assert "vm-win-neu-01" in hosts_of(doc, "azure_readiness_unknown")
    assert hv["vm-proxy-weu"]["azure_readiness"]["result"] == "pass"


def test_denied_vm_list_is_an_error(inv, seeded):
    seeded.control.set_faults(deny=[{"scope": "/subscriptions/%s" % seeded.subscription_id,
                                     "actions": ["Microsoft.Compute/virtualMachines/read"]}])
    proc = inv.call({}, "--list")
    assert proc.returncode != 0
    assert said("AuthorizationFailed", proc.stderr) and "Traceback" not in proc.stderr, proc.stderr[-2000:]


# ---- options checked before any request ----------------------------------------------------------------------------


@pytest.mark.parametrize("config, message", [
    ({"subscriptions": ["not-a-guid"]}, "subscriptions must be subscription IDs"),
    ({"include_resource_groups": ["rg/bad"]}, "include_resource_groups 'rg/bad' is not a valid resource group"),
    ({"exclude_resource_groups": ["ends-with."]}, "exclude_resource_groups 'ends-with.'"),
    ({"include_tags": {"env": {"nested": 1}}}, "include_tags.env: tag values must be strings"),
    ({"exclude_tags": "env=prod"}, "exclude_tags"),
    ({"power_states": ["asleep"]}, "power_states"),
    ({"max_concurrency": 0}, "max_concurrency must be a whole number from 1 to 64"),
    ({"readiness": True, "readiness_options": {"checks": ["teleport"]}}, "readiness_options.checks allows"),
    ({"readiness": True, "readiness_options": {"min_agent_version": {"linux": "new"}}},
     "readiness_options: min_agent_version.linux must be a dotted version"),
    ({"readiness": True, "readiness_options": {"vaults": ["rsv-weu"]}},
     "readiness_options.vaults must be a list of {name, resource_group}"),
    ({"readiness": True, "readiness_options": {"vault_regions": ["west-europe"]}},
     "vault_regions 'west-europe' is not an Azure region"),
    ({"auth_source": "env", "cloud_environment": "moon"}, "cloud_environment must be one of"),
    ({"cloud_environment": "http://plain.example"}, "cloud_environment must be one of"),
], ids=["subscription", "include-rg", "exclude-rg", "tag-value", "tags-type", "power", "concurrency", "checks",
        "agent-version", "vaults", "vault-region", "cloud-name", "cloud-http"])
def test_bad_options_fail_before_any_request(inv, sandbox, config, message):
    proc = inv.call(config, "--list")
    assert proc.returncode != 0
    assert said(message, proc.stderr), proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    assert sandbox.control.requests() == []


def test_missing_subscription_names_where_it_comes_from(inv, sandbox):
    proc = inv.call({}, "--list", env=inv.env(AZURE_SUBSCRIPTION_ID=None))
    assert proc.returncode != 0
    assert said("AZURE_SUBSCRIPTION_ID", proc.stderr) and "Traceback" not in proc.stderr
    assert sandbox.control.requests() == []


def test_wrong_secret_is_named_without_the_secret(inv, sandbox):
    wrong = "wrong-secret-value-1234"
    proc = inv.call({}, "--list", "-vvv", env=inv.env(AZURE_SECRET=wrong))
    assert proc.returncode != 0
    assert said("authentication failed", proc.stderr), proc.stderr[-2000:]
    assert wrong not in proc.stdout + proc.stderr and sandbox.client_secret not in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr


def test_file_name_must_end_in_azure_vms_yml(inv, sandbox):
    path = inv.path({}, "inventory.yml")
    proc = inv.call({}, "--list", path=path)
    assert proc.returncode != 0
    assert sandbox.control.requests() == []


def test_the_example_configuration(inv, seeded):
    """inventories/azure/backup.azure_vms.yml as shipped: the guest groups of the playbooks, ansible_host, readiness."""
    seeded.control.load_fixtures({"virtual_machines": [{
        "resource_group": "rg-backup-weu", "name": "vm-squid", "os_type": "Linux", "vm_size": "Standard_B2s",
        "nics": ["nic-vm-proxy-weu"], "power_state": "running", "tags": {"azbackup-proxy": "true"}}]})
    path = os.path.join(ROOT, "inventories", "azure", "backup.azure_vms.yml")
    example = inv.path({}, "backup.azure_vms.yml")
    example.write_text(open(path, encoding="utf-8").read())
    doc, _proc = inv.list({}, path=example)
    hv = hostvars(doc)
    assert set(hv) == SEED_VMS | {"vm-squid"}
    assert hosts_of(doc, "azbackup_proxy_servers") == {"vm-squid"}
    assert hosts_of(doc, "azbackup_windows_vms") == {"vm-sql-weu-01", "vm-win-neu-01"}
    assert hosts_of(doc, "azbackup_linux_vms") == SEED_VMS - {"vm-sql-weu-01", "vm-win-neu-01"}
    assert hv["vm-web-weu-01"]["ansible_host"] == "10.0.1.4"
    assert all("azure_readiness" in v for v in hv.values())
    assert hosts_of(doc, "azure_subscription_" + seeded.subscription_id.replace("-", "_")) == set(hv)


def test_the_demo_inventory_with_the_plugin(inv, seeded):
    """inventories/demo/hosts.yml plus inventories/demo/sandbox.azure_vms.yml, as make demo can combine them: the
    static file's localhost and variables, the plugin's VMs and groups."""
    demo = os.path.join(ROOT, "inventories", "demo")
    plugin = inv.path({}, "sandbox.azure_vms.yml")
    plugin.write_text(open(os.path.join(demo, "sandbox.azure_vms.yml"), encoding="utf-8").read())
    env = inv.env(ANSIBLE_INVENTORY_ENABLED="azbackup.vmprep.azure_vms,yaml")
    proc = inv.call({}, "--list", "-i", os.path.join(demo, "hosts.yml"), path=plugin, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    doc = plain(json.loads(proc.stdout))
    assert hosts_of(doc, "azure_vms") == SEED_VMS
    assert "localhost" in hostvars(doc)
    assert hosts_of(doc, "azure_outbound_public_ip") == {"vm-proxy-weu"}
    assert hostvars(doc)["vm-app-neu-01"]["azure_location"] == "northeurope"
    # The static file's variables of all reach the plugin's hosts.
    assert hostvars(doc)["vm-app-neu-01"]["azbackup_vault_resource_group"] == "rg-backup-weu"


def test_denied_vault_list_keeps_the_hosts_and_warns(inv, seeded):
    """readiness: true reads the vaults; without Reader on them the region check is unknown, nothing else moves."""
    seeded.control.load_fixtures(VAULTS)
    scope = "/subscriptions/%s" % seeded.subscription_id
    seeded.control.set_faults(deny=[{"scope": scope, "actions": ["Microsoft.RecoveryServices/vaults/read"]}])
    doc, proc = inv.list({"readiness": True})
    hv = hostvars(doc)
    assert set(hv) == SEED_VMS
    assert said("Microsoft.RecoveryServices/vaults/read", proc.stderr), proc.stderr
    for name, item in hv.items():
        region = next(c for c in item["azure_readiness"]["checks"] if c["check"] == "region")
        assert region["result"] == "unknown", (name, region)
        assert "Microsoft.RecoveryServices/vaults/read" in region["reason"] + region["remedy"], region
    # vm-proxy-weu passed everything with the vaults readable: now unknown, not fail.
    assert hv["vm-proxy-weu"]["azure_readiness"]["result"] == "unknown"
    assert "vm-proxy-weu" in hosts_of(doc, "azure_readiness_unknown")
