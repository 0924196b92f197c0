"""backup_readiness_info: every check's pass / warn / fail, NSG evaluation, option validation, and the request plan of
build_report() through _discovery (lists per resource group or subscription, at most one GET per VM) against a fake
reader."""

import copy
import threading

import pytest

from ansible_collections.azbackup.vmprep.plugins.module_utils import _readiness as r
from ansible_collections.azbackup.vmprep.plugins.module_utils._errors import AzbError

SUB = "33333333-3333-3333-3333-333333333333"
RG = "rg-app"


def rid(kind, name, rg=RG, provider="Microsoft.Network"):
    return "/subscriptions/%s/resourceGroups/%s/providers/%s/%s/%s" % (SUB, rg, provider, kind, name)


def vm(name="vm1", os_type="Linux", location="westeurope", nics=("nic-vm1",), data_disks=0, rg=RG, **extra):
    body = {
        "id": rid("virtualMachines", name, rg, "Microsoft.Compute"),
        "name": name,
        "location": location,
        "tags": extra.pop("tags", {}),
        "properties": {
            "provisioningState": "Succeeded",
            "storageProfile": {
                "osDisk": {"name": name + "-os", "osType": os_type,
                           "managedDisk": {"storageAccountType": "Premium_LRS"}},
                "dataDisks": [{"name": "%s-d%d" % (name, i), "lun": i, "managedDisk": {"storageAccountType": "Premium_LRS"}}
                              for i in range(data_disks)],
            },
            "osProfile": {("linuxConfiguration" if os_type == "Linux" else "windowsConfiguration"): {"provisionVMAgent": True}},
            "networkProfile": {"networkInterfaces": [
                {"id": rid("networkInterfaces", n, rg), "properties": {"primary": i == 0}} for i, n in enumerate(nics)]},
        },
    }
    body.update(extra)
    return body


def view(power="running", agent="2.9.1.1", ready=True, os_name="ubuntu", os_version="22.04", extensions=()):
    out = {"osName": os_name, "osVersion": os_version,
           "statuses": [{"code": "ProvisioningState/succeeded", "level": "Info"},
                        {"code": "PowerState/" + power, "level": "Info", "displayStatus": "VM " + power}],
           "extensions": list(extensions)}
    if agent is not None:
        out["vmAgent"] = {"vmAgentVersion": agent, "statuses": [
            {"code": "ProvisioningState/succeeded", "level": "Info", "displayStatus": "Ready" if ready else "Not Ready",
             "message": "GuestAgent is running" if ready else "VM agent is unresponsive."}]}
    return out


def nic(name="nic-vm1", subnet="default", vnet="vnet1", nsg=None, public_ips=0, lb=False, ip="10.0.0.4", configs=1, rg=RG):
    ip_configs = []
    for i in range(configs):
        p = {"primary": i == 0, "privateIPAddress": ip if i == 0 else "10.0.0.%d" % (100 + i),
             "subnet": {"id": rid("virtualNetworks", vnet, rg) + "/subnets/" + subnet}}
        if i < public_ips:
            p["publicIPAddress"] = {"id": rid("publicIPAddresses", "%s-pip%d" % (name, i), rg)}
        if lb and i == 0:
            p["loadBalancerBackendAddressPools"] = [{"id": rid("loadBalancers", "lb1", rg) + "/backendAddressPools/pool"}]
        ip_configs.append({"name": "ipconfig%d" % i, "properties": p})
    body = {"id": rid("networkInterfaces", name, rg), "name": name, "properties": {"ipConfigurations": ip_configs}}
    if nsg:
        body["properties"]["networkSecurityGroup"] = {"id": rid("networkSecurityGroups", nsg, rg)}
    return body


def vnet(name="vnet1", subnets=(("default", None),), rg=RG):
    subs = []
    for sname, nsg in subnets:
        p = {"addressPrefix": "10.0.0.0/24"}
        if nsg:
            p["networkSecurityGroup"] = {"id": rid("networkSecurityGroups", nsg, rg)}
        subs.append({"id": rid("virtualNetworks", name, rg) + "/subnets/" + sname, "name": sname, "properties": p})
    return {"id": rid("virtualNetworks", name, rg), "name": name, "location": "westeurope", "properties": {"subnets": subs}}


def rule(name, priority, access="Deny", dest="Internet", port="443", protocol="Tcp", source="*", direction="Outbound", **extra):
    p = {"priority": priority, "access": access, "direction": direction, "protocol": protocol,
         "sourceAddressPrefix": source, "sourcePortRange": "*", "destinationAddressPrefix": dest, "destinationPortRange": port}
    p.update(extra)
    return {"name": name, "properties": p}


def nsg(name="nsg1", rules=(), rg=RG):
    return {"id": rid("networkSecurityGroups", name, rg), "name": name, "location": "westeurope",
            "properties": {"securityRules": list(rules)}}


def vault(name="rsv-weu", location="westeurope", rg="rg-backup"):
    return {"id": rid("vaults", name, rg, "Microsoft.RecoveryServices"), "name": name, "location": location,
            "properties": {"provisioningState": "Succeeded"}}


def facts(the_vm=None, the_view="default", nics=None, vnets=None, nsgs=None, proxied=False):
    the_vm = the_vm or vm()
    the_view = view() if the_view == "default" else the_view
    nics = [nic()] if nics is None else nics
    vnets = [vnet()] if vnets is None else vnets
    subnet_index = r._index(s for v in vnets for s in v["properties"]["subnets"])
    return r.vm_facts(the_vm, the_view, r._index(nics), subnet_index, r._index(nsgs or []), proxied=proxied)


OPTS = {"min_agent_version": dict(r.DEFAULT_MIN_AGENT), "max_data_disks": 32, "vaults": [vault()], "all_vaults": [vault()]}


def outcome(check, f, opts=None):
    got = r.CHECK_FUNCTIONS[check](f, opts or OPTS)
    assert got["check"] == check and got["result"] in r.RESULTS
    assert "\n" not in got["reason"] and got["reason"]
    if got["result"] != "pass":
        assert got["remedy"], got
    return got


# ---- agent ------------------------------------------------------------------------------------------

def test_agent_pass_warn_fail():
    assert outcome("agent", facts())["result"] == "pass"
    got = outcome("agent", facts(the_view=view(power="deallocated", agent=None)))
    assert got["result"] == "warn" and "deallocated" in got["reason"]
    got = outcome("agent", facts(the_view=view(agent=None)))
    assert got["result"] == "fail" and "No VM agent" in got["reason"]
    got = outcome("agent", facts(the_view=view(ready=False)))
    assert got["result"] == "fail" and "unresponsive" in got["reason"]
    got = outcome("agent", facts(the_view=view(agent="2.2.45")))
    assert got["result"] == "fail" and "2.2.45" in got["reason"] and "2.2.53.1" in got["reason"]
    got = outcome("agent", facts(the_view=view(agent="Unknown")))
    assert got["result"] == "warn"


def test_agent_minimum_per_os():
    windows_view = view(agent="2.7.41491.949", os_name="Windows Server 2016 Datacenter",
                        os_version="Microsoft Windows NT 10.0.14393.0")
    windows = facts(vm(os_type="Windows"), windows_view)
    assert outcome("agent", windows)["result"] == "fail"
    opts = dict(OPTS, min_agent_version={"linux": "2.2.53.1", "windows": "2.7.41491.900"})
    assert outcome("agent", windows, opts)["result"] == "pass"
    # A Linux minimum does not apply to Windows.
    opts = dict(OPTS, min_agent_version={"linux": "9.9", "windows": "2.7"})
    assert outcome("agent", windows, opts)["result"] == "pass"


def test_agent_provision_false_is_named():
    the_vm = vm()
    the_vm["properties"]["osProfile"]["linuxConfiguration"]["provisionVMAgent"] = False
    got = outcome("agent", facts(the_vm, view(agent=None)))
    assert got["result"] == "fail" and "provisionVMAgent=false" in got["reason"]


# ---- backup extension -------------------------------------------------------------------------------

def ext(level="Info", code="ProvisioningState/succeeded", message="ok", name="VMSnapshotLinux"):
    return {"name": name, "type": "Microsoft.Azure.RecoveryServices." + name, "typeHandlerVersion": "1.0.9",
            "statuses": [{"code": code, "level": level, "displayStatus": code.split("/")[-1], "message": message}]}


def test_backup_extension_pass_warn_fail():
    got = outcome("backup_extension", facts())
    assert got["result"] == "pass" and "first backup" in got["reason"]
    assert outcome("backup_extension", facts(the_view=view(extensions=[ext()])))["result"] == "pass"
    got = outcome("backup_extension", facts(the_view=view(extensions=[ext("Info", "ProvisioningState/transitioning")])))
    assert got["result"] == "warn"
    got = outcome("backup_extension", facts(the_view=view(extensions=[
        ext("Error", "ProvisioningState/failed", "Snapshot operation failed due to no network connectivity")])))
    assert got["result"] == "fail" and "no network connectivity" in got["reason"] and "VMSnapshotLinux" in got["reason"]


def test_backup_extension_windows_name_and_model_fallback():
    got = outcome("backup_extension", facts(the_view=view(extensions=[ext("Error", "ProvisioningState/failed", "boom", "VMSnapshot")])))
    assert got["result"] == "fail" and "VMSnapshot failed: boom" in got["reason"]
    # Deallocated VM: no extension status in the view; the VM model's extension resource is used.
    the_vm = vm(resources=[{"name": "VMSnapshotLinux", "properties": {"type": "VMSnapshotLinux", "provisioningState": "Failed"}}])
    assert outcome("backup_extension", facts(the_vm, view(power="deallocated", agent=None)))["result"] == "fail"


# ---- power state ------------------------------------------------------------------------------------

def test_power_state_pass_warn_fail():
    assert outcome("power_state", facts())["result"] == "pass"
    for state in ("stopped", "deallocated"):
        got = outcome("power_state", facts(the_view=view(power=state, agent=None)))
        assert got["result"] == "warn" and "crash-consistent" in got["reason"]
    assert outcome("power_state", facts(the_view=None))["result"] == "warn"
    failed = view()
    failed["statuses"][0]["code"] = "ProvisioningState/failed"
    assert outcome("power_state", facts(the_view=failed))["result"] == "fail"


# ---- region -----------------------------------------------------------------------------------------

def test_region_pass_warn_fail():
    got = outcome("region", facts())
    assert got["result"] == "pass" and "rsv-weu" in got["reason"]
    opts = dict(OPTS, vaults=[vault("rsv-neu", "northeurope")], all_vaults=[vault("rsv-neu", "northeurope"), vault()])
    got = outcome("region", facts(), opts)
    assert got["result"] == "warn" and "rsv-weu" in got["reason"]
    got = outcome("region", facts(vm(location="eastus")))
    assert got["result"] == "fail" and "eastus" in got["reason"]


def test_region_names_are_normalised():
    opts = dict(OPTS, vaults=[vault(location="West Europe")])
    assert outcome("region", facts(vm(location="WestEurope")), opts)["result"] == "pass"


# ---- disks ------------------------------------------------------------------------------------------

def test_disks_pass_warn_fail():
    got = outcome("disks", facts(vm(data_disks=32)))
    assert got["result"] == "pass" and "32" in got["reason"]
    got = outcome("disks", facts(vm(data_disks=33)))
    assert got["result"] == "fail" and "33" in got["reason"]
    assert outcome("disks", facts(vm(data_disks=3)), dict(OPTS, max_data_disks=2))["result"] == "fail"
    ultra = vm(data_disks=2)
    ultra["properties"]["storageProfile"]["dataDisks"][1]["managedDisk"]["storageAccountType"] = "UltraSSD_LRS"
    got = outcome("disks", facts(ultra))
    assert got["result"] == "warn" and "Enhanced" in got["reason"] and "Ultra" in got["reason"]
    ephemeral = vm()
    ephemeral["properties"]["storageProfile"]["osDisk"]["diffDiskSettings"] = {"option": "Local"}
    assert outcome("disks", facts(ephemeral))["result"] == "fail"


# ---- os ---------------------------------------------------------------------------------------------

def win(os_name, os_version, sku=""):
    the_vm = vm(os_type="Windows")
    if sku:
        the_vm["properties"]["storageProfile"]["imageReference"] = {"publisher": "MicrosoftWindowsServer", "sku": sku}
    return the_vm, view(os_name=os_name, os_version=os_version, agent="2.7.41491.1100")


def test_os_windows_pass_warn_fail():
    assert outcome("os", facts(*win("Windows Server 2019 Datacenter", "10.0.17763")))["result"] == "pass"
    assert outcome("os", facts(*win("Windows Server 2008 R2 Datacenter", "6.1.7601")))["result"] == "pass"
    got = outcome("os", facts(*win("Windows Server 2008 Datacenter", "6.0.6002")))
    assert got["result"] == "fail" and "2008 R2" in got["reason"]
    assert outcome("os", facts(*win("Windows Server 2003", "5.2.3790")))["result"] == "fail"
    # Deallocated: no OS name in the view; the image SKU decides, else a warning.
    the_vm = win("", "", sku="2012-R2-Datacenter")[0]
    assert outcome("os", facts(the_vm, view(power="deallocated", agent=None, os_name="", os_version="")))["result"] == "pass"
    the_vm = win("", "", sku="2008-SP2")[0]
    assert outcome("os", facts(the_vm, view(power="deallocated", agent=None, os_name="", os_version="")))["result"] == "fail"
    the_vm = win("", "")[0]
    got = outcome("os", facts(the_vm, view(power="deallocated", agent=None, os_name="", os_version="")))
    assert got["result"] == "warn"


def test_os_linux_pass_warn_fail():
    assert outcome("os", facts())["result"] == "pass"
    got = outcome("os", facts(the_view=view(agent=None)))
    assert got["result"] == "fail" and "agent" in got["reason"]
    no_agent = vm()
    no_agent["properties"]["osProfile"]["linuxConfiguration"]["provisionVMAgent"] = False
    assert outcome("os", facts(no_agent, view(power="deallocated", agent=None)))["result"] == "fail"
    assert outcome("os", facts(the_view=view(power="deallocated", agent=None)))["result"] == "pass"
    unknown = vm()
    unknown["properties"]["storageProfile"]["osDisk"].pop("osType")
    unknown["properties"].pop("osProfile")
    assert outcome("os", facts(unknown, view(power="deallocated", agent=None, os_name="")))["result"] == "warn"


# ---- network configuration --------------------------------------------------------------------------

def test_network_config_pass_warn_fail():
    assert outcome("network_config", facts())["result"] == "pass"
    assert outcome("network_config", facts(nics=[nic(public_ips=1)]))["result"] == "pass"
    got = outcome("network_config", facts(nics=[nic(lb=True)]))
    assert got["result"] == "warn" and "load-balancer" in got["reason"]
    got = outcome("network_config", facts(vm(nics=("nic-a", "nic-b")), nics=[nic("nic-a"), nic("nic-b")]))
    assert got["result"] == "warn" and "2 NICs" in got["reason"]
    got = outcome("network_config", facts(nics=[nic(public_ips=2, configs=2)]))
    assert got["result"] == "warn" and "2 public IPs" in got["reason"]
    got = outcome("network_config", facts(nics=[]))
    assert got["result"] == "fail" and "nic-vm1" in got["reason"]


# ---- outbound ---------------------------------------------------------------------------------------

def outbound(nic_rules=None, subnet_rules=None, proxied=False, source_ip="10.0.0.4", region="westeurope"):
    nsgs = []
    if nic_rules is not None:
        nsgs.append(nsg("nsg-nic", nic_rules))
    if subnet_rules is not None:
        nsgs.append(nsg("nsg-subnet", subnet_rules))
    f = facts(vm(location=region), nics=[nic(nsg="nsg-nic" if nic_rules is not None else None, ip=source_ip)],
              vnets=[vnet(subnets=(("default", "nsg-subnet" if subnet_rules is not None else None),))],
              nsgs=nsgs, proxied=proxied)
    return outcome("outbound", f)


def test_outbound_no_nsg_and_default_rules_pass():
    assert outbound()["result"] == "pass"
    got = outbound(nic_rules=[], subnet_rules=[])
    assert got["result"] == "pass" and "AllowInternetOutBound" in got["reason"]


def test_outbound_blocking_rule_is_named():
    got = outbound(subnet_rules=[rule("DenyInternet443", 4000)])
    assert got["result"] == "fail"
    assert "nsg-subnet" in got["reason"] and "DenyInternet443" in got["reason"] and "4000" in got["reason"]
    assert "Storage.westeurope" in got["remedy"]


def test_outbound_priority_order_decides():
    allow = rule("AllowStorage", 200, "Allow", "Storage.WestEurope")
    backup = rule("AllowBackup", 210, "Allow", "AzureBackup")
    assert outbound(nic_rules=[rule("DenyAll", 300, dest="*", port="*", protocol="*"), allow, backup])["result"] == "pass"
    # Storage alone is not enough: AzureBackup must be reachable too.
    got = outbound(nic_rules=[rule("DenyAll", 300, dest="*", port="*", protocol="*"), allow])
    assert got["result"] == "fail" and "DenyAll" in got["reason"] and "AzureBackup" in got["reason"]
    assert "Storage.westeurope" not in got["reason"]
    got = outbound(nic_rules=[rule("DenyAll", 100, dest="*", port="*", protocol="*"), allow])
    assert got["result"] == "fail" and "DenyAll" in got["reason"]
    # A Storage tag of another region neither allows nor blocks this VM's path.
    got = outbound(nic_rules=[rule("AllowStorageEUS", 100, "Allow", "Storage.EastUS"), rule("DenyInet", 200)])
    assert got["result"] == "fail" and "DenyInet" in got["reason"]


@pytest.mark.parametrize("dest", ["*", "Internet", "Storage", "Storage.WestEurope", "AzureCloud", "0.0.0.0/0"])
def test_outbound_destinations_that_cover_storage(dest):
    assert outbound(nic_rules=[rule("Deny", 100, dest=dest)])["result"] == "fail"


@pytest.mark.parametrize("field", [dict(protocol="Udp"), dict(port="80"), dict(port="1000-2000"), dict(dest="VirtualNetwork"),
                                   dict(direction="Inbound"), dict(source="192.168.0.0/16")])
def test_outbound_rules_that_do_not_apply(field):
    args = dict(name="Deny", priority=100)
    args.update(field)
    assert outbound(nic_rules=[rule(**args)])["result"] == "pass"


def test_outbound_port_ranges_and_lists():
    assert outbound(nic_rules=[rule("Deny", 100, port="400-500")])["result"] == "fail"
    assert outbound(nic_rules=[rule("Deny", 100, port=None, destinationPortRanges=["80", "443"])])["result"] == "fail"
    assert outbound(nic_rules=[rule("Deny", 100, source="10.0.0.0/24")])["result"] == "fail"


def test_outbound_both_layers_must_allow():
    got = outbound(nic_rules=[], subnet_rules=[rule("SubnetDeny", 150)])
    assert got["result"] == "fail" and "SubnetDeny" in got["reason"]
    got = outbound(nic_rules=[rule("NicDeny", 150)], subnet_rules=[])
    assert got["result"] == "fail" and "NicDeny" in got["reason"]


def test_outbound_proxy_passes_and_cidr_deny_warns():
    got = outbound(subnet_rules=[rule("DenyInternet443", 4000)], proxied=True)
    assert got["result"] == "pass" and "proxy" in got["reason"]
    got = outbound(nic_rules=[rule("DenySome", 100, dest="20.38.0.0/16")])
    assert got["result"] == "warn" and "DenySome" in got["reason"] and "20.38.0.0/16" in got["reason"]


def test_outbound_missing_nic_or_nsg():
    assert outcome("outbound", facts(nics=[]))["result"] == "fail"
    assert outcome("outbound", facts(nics=[], proxied=True))["result"] == "pass"
    assert outcome("outbound", facts(nics=[nic(nsg="gone")]))["result"] == "warn"


def test_explicit_default_rules_are_used():
    group = nsg("nsg-nic", [])
    group["properties"]["defaultSecurityRules"] = [rule("DenyAllOutBound", 65500, dest="*", port="*", protocol="*")]
    f = facts(nics=[nic(nsg="nsg-nic")], nsgs=[group])
    assert outcome("outbound", f)["result"] == "fail"


# ---- whole report -----------------------------------------------------------------------------------

def test_report_worst_and_summary():
    f = facts(the_view=view(power="deallocated", agent=None))
    report = r.vm_report(f, OPTS)
    assert report["result"] == "warn" and len(report["checks"]) == len(r.CHECKS)
    assert report["power_state"] == "deallocated" and report["resource_group"] == RG and report["os_type"] == "linux"
    bad = r.vm_report(facts(vm(location="eastus")), OPTS)
    summary = r.summarize([report, bad, r.vm_report(facts(), OPTS)])
    assert summary["vms"] == 3 and (summary["pass"], summary["warn"], summary["fail"]) == (1, 1, 1)
    assert summary["checks"]["region"] == {"pass": 2, "warn": 0, "unknown": 0, "fail": 1}


def test_a_broken_check_does_not_hide_the_report():
    f = facts()
    f["vm"]["properties"]["storageProfile"]["dataDisks"] = 5  # not a list
    report = r.vm_report(f, OPTS)
    disks = next(c for c in report["checks"] if c["check"] == "disks")
    assert disks["result"] == "warn" and "could not evaluate" in disks["reason"]


def test_worst():
    assert r.worst([]) == "pass" and r.worst(["pass", "warn"]) == "warn" and r.worst(["warn", "fail", "pass"]) == "fail"


def test_proxy_declaration():
    assert r.is_proxied(vm("web-01"), ["web-*"], None)
    assert not r.is_proxied(vm("db-01"), ["web-*"], "azbackup-proxy")
    assert r.is_proxied(vm("db-01", tags={"AzBackup-Proxy": "proxy.example:3128"}), [], "azbackup-proxy")
    assert not r.is_proxied(vm("db-01", tags={"azbackup-proxy": "false"}), [], "azbackup-proxy")


# ---- options ----------------------------------------------------------------------------------------

BASE = {"resource_group": None, "names": [], "vaults": [], "vault_regions": [], "min_agent_version": {},
        "max_data_disks": 32, "proxy_vms": [], "proxy_tag": "azbackup-proxy", "checks": list(r.CHECKS), "max_concurrency": 16}


@pytest.mark.parametrize("bad, word", [
    (dict(resource_group="rg with space"), "resource_group"),
    (dict(names=[""]), "names"),
    (dict(vaults=[{"name": "v", "resource_group": ""}]), "vaults[0]"),
    (dict(vault_regions=["west europe!"]), "vault_regions"),
    (dict(min_agent_version={"linux": "two"}), "min_agent_version.linux"),
    (dict(max_data_disks=-1), "max_data_disks"),
    (dict(max_concurrency=0), "max_concurrency"),
    (dict(max_concurrency=65), "max_concurrency"),
])
def test_validate_names_the_option(bad, word):
    with pytest.raises(AzbError) as err:
        r.validate(dict(BASE, **bad))
    assert word in err.value.msg


def test_validate_defaults():
    opts = r.validate(dict(BASE, min_agent_version={"linux": "2.9", "windows": None}, vault_regions=["West Europe"]))
    assert opts["min_agent_version"] == {"linux": "2.9", "windows": r.DEFAULT_MIN_AGENT["windows"]}
    assert opts["vault_regions"] == ["westeurope"] and opts["checks"] == list(r.CHECKS)


def test_select_vaults():
    everything = [vault(), vault("rsv-neu", "northeurope"), vault("other", "westeurope", "rg-x")]
    opts = r.validate(dict(BASE, vaults=[{"name": "RSV-NEU", "resource_group": "RG-BACKUP"}]))
    assert [v["name"] for v in r.select_vaults(everything, opts)] == ["rsv-neu"]
    opts = r.validate(dict(BASE, vault_regions=["westeurope"]))
    assert [v["name"] for v in r.select_vaults(everything, opts)] == ["rsv-weu", "other"]
    assert len(r.select_vaults(everything, r.validate(BASE))) == 3
    with pytest.raises(AzbError) as err:
        r.select_vaults(everything, r.validate(dict(BASE, vaults=[{"name": "nope", "resource_group": "rg-backup"}])))
    assert "nope" in err.value.msg


# ---- request plan (fake reader) ---------------------------------------------------------------------

class FakeReader(r.Reader):
    """Serves list answers from memory and records every call (one call = one list, or one GET)."""

    def __init__(self, vms, views, nics, vnets, nsgs, vaults, status_only=True):
        super().__init__(clients=None, max_concurrency=8)
        self.data = dict(vms=vms, views=views, nics=nics, vnets=vnets, nsgs=nsgs, vaults=vaults)
        self.status_only = status_only
        self.calls = []
        self.lock = threading.Lock()

    def warm(self, names=()):
        self._call("warm")

    def _call(self, *what):
        with self.lock:
            self.calls.append(what)

    def _in(self, items, rg):
        return [copy.deepcopy(i) for i in items if rg is None or r.parse_id(i["id"])["resource_group"].lower() == rg]

    def vms(self, rg=None):
        self._call("vms", rg)
        return self._in(self.data["vms"], rg)

    def status_views(self):
        self._call("status_views")
        if not self.status_only:
            err = Exception("bad request")
            err.status_code = 400
            raise err
        return dict(self.data["views"])

    def instance_view(self, vm):  # pylint: disable=redefined-outer-name
        self._call("instance_view", vm["name"])
        return copy.deepcopy(self.data["views"][vm["id"].lower()])

    def nics(self, rg=None):
        self._call("nics", rg)
        return self._in(self.data["nics"], rg)

    def nsgs(self, rg=None):
        self._call("nsgs", rg)
        return self._in(self.data["nsgs"], rg)

    def vnets(self, rg=None):
        self._call("vnets", rg)
        return self._in(self.data["vnets"], rg)

    def vaults(self):
        self._call("vaults")
        return list(self.data["vaults"])


def fleet(n, groups=3):
    vms, views, nics, vnets, nsgs = [], {}, [], [], []
    for g in range(groups):
        rg = "rg-%d" % g
        vnets.append(vnet("vnet", (("default", "nsg-subnet"),), rg=rg))
        nsgs.append(nsg("nsg-subnet", [], rg=rg))
    for i in range(n):
        rg = "rg-%d" % (i % groups)
        name = "vm-%03d" % i
        vms.append(vm(name, nics=("nic-" + name,), rg=rg))
        nics.append(nic("nic-" + name, vnet="vnet", rg=rg))
        views[vms[-1]["id"].lower()] = view(power="deallocated" if i % 5 == 0 else "running",
                                            agent=None if i % 5 == 0 else "2.9.1.1")
    return FakeReader(vms, views, nics, vnets, nsgs, [vault()])


def test_subscription_scope_uses_lists_only():
    reader = fleet(30)
    report = r.build_report(reader, BASE)
    assert report["summary"]["vms"] == 30
    kinds = sorted(c[0] for c in reader.calls if c[0] != "warm")
    assert kinds == ["nics", "nsgs", "status_views", "vaults", "vms", "vnets"]
    # Every VM has its instance view and NSG data from the lists.
    assert all(c["result"] == "pass" for v in report["vms"] for c in v["checks"] if c["check"] == "outbound")


def test_subscription_scope_falls_back_to_one_get_per_vm():
    reader = fleet(10)
    reader.status_only = False
    r.build_report(reader, BASE)
    gets = [c for c in reader.calls if c[0] == "instance_view"]
    assert len(gets) == 10 and len(set(gets)) == 10


def test_status_views_without_agent_get_the_running_vms_only():
    reader = fleet(10)
    # The list's views carry power state but no agent (what a real statusOnly list may do).
    reader.data["status_views_copy"] = {k: dict(v) for k, v in reader.data["views"].items()}

    def thin():
        reader._call("status_views")
        return {k: {kk: vv for kk, vv in v.items() if kk != "vmAgent"} for k, v in reader.data["views"].items()}
    reader.status_views = thin
    report = r.build_report(reader, BASE)
    gets = [c for c in reader.calls if c[0] == "instance_view"]
    assert len(gets) == 8  # 2 of 10 are deallocated: nothing more to read for them
    assert all(v["agent_version"] for v in report["vms"] if v["power_state"] == "running")


def test_resource_group_scope_lists_per_group():
    reader = fleet(12, groups=3)
    report = r.build_report(reader, dict(BASE, resource_group="rg-1", names=["vm-00*"]))
    assert [v["name"] for v in report["vms"]] == ["vm-001", "vm-004", "vm-007"]
    calls = sorted(reader.calls, key=str)
    assert ("vms", "rg-1") in calls and ("nics", "rg-1") in calls and ("vnets", "rg-1") in calls
    assert ("nsgs", "rg-1") in calls
    assert len([c for c in calls if c[0] == "instance_view"]) == 3
    assert not any(c[0] in ("nics", "vnets", "nsgs", "vms") and c[1] is None for c in calls)


def test_agent_of_a_stopped_vm_is_a_warning_not_a_failure():
    got = outcome("agent", facts(the_view=view(power="stopped", ready=False)))
    assert got["result"] == "warn" and "stopped" in got["reason"]


# ---- public SDK surface only: one table of reads, azure-mgmt-core ids, the NSG modules' parsers -------------------

PLUGINS = __import__("os").path.join(__import__("os").path.dirname(__file__), "..", "..", "plugins")


def test_no_private_sdk_module_is_used():
    import os

    for folder, _dirs, files in os.walk(PLUGINS):
        for name in files:
            if name.endswith(".py"):
                with open(os.path.join(folder, name), encoding="utf-8") as handle:
                    text = handle.read()
                assert "operations._operations" not in text, name
                assert "build_virtual_machines" not in text and "_send_request" not in text, name


def test_list_paths_come_from_one_table():
    assert r.list_path("vms", SUB) == "/subscriptions/%s/providers/Microsoft.Compute/virtualMachines" % SUB
    assert r.list_path("nics", SUB, "rg-x") == (
        "/subscriptions/%s/resourceGroups/rg-x/providers/Microsoft.Network/networkInterfaces" % SUB)
    assert r.list_path("vaults", SUB) == "/subscriptions/%s/providers/Microsoft.RecoveryServices/vaults" % SUB
    with pytest.raises(ValueError):
        r.list_path("vaults", SUB, "rg-x")
    assert r.instance_view_path(SUB, "rg-x", "vm1") == (
        "/subscriptions/%s/resourceGroups/rg-x/providers/Microsoft.Compute/virtualMachines/vm1/instanceView" % SUB)
    assert {v[2] for v in r.READS.values()} == {r.COMPUTE_API, r.NETWORK_API, r.VAULTS_API}


def test_parse_id_uses_azure_mgmt_core():
    subnet = rid("virtualNetworks", "vnet1", "Rg-Net") + "/subnets/snet-a"
    assert r.parse_id(subnet) == {"subscription": SUB, "resource_group": "Rg-Net", "name": "snet-a",
                                  "type": "Microsoft.Network/subnets"}
    lower = "/subscriptions/%s/resourcegroups/rg1/providers/Microsoft.Compute/virtualMachines/vm1" % SUB
    assert (r.parse_id(lower)["resource_group"], r.parse_id(lower)["name"]) == ("rg1", "vm1")
    assert r.parse_id(None) == {"subscription": "", "resource_group": "", "name": "", "type": ""}
    assert r.parse_id("/subscriptions/%s/resourceGroups/rg1" % SUB)["resource_group"] == "rg1"


def test_nsg_values_are_read_by_the_nsg_modules_parsers(monkeypatch):
    seen = []
    real_prefix, real_port = r.parse_prefix, r.parse_port
    monkeypatch.setattr(r, "parse_prefix", lambda v, o: seen.append(("prefix", v)) or real_prefix(v, o))
    monkeypatch.setattr(r, "parse_port", lambda v, o: seen.append(("port", v)) or real_port(v, o))
    assert outbound(nic_rules=[rule("Deny", 100, dest="Storage.WestEurope", port="440-450")])["result"] == "fail"
    assert ("port", "440-450") in seen and ("prefix", "Storage.WestEurope") in seen


@pytest.mark.parametrize("port,applies", [("443", True), ("0-65535", True), (" 443 ", True), ("444-400", False),
                                          ("abc", False), ("70000", False), ("*", True), (443, True)])
def test_outbound_ports_as_the_nsg_modules_read_them(port, applies):
    got = outbound(nic_rules=[rule("Deny", 100, port=port)])["result"]
    assert got == ("fail" if applies else "pass")


@pytest.mark.parametrize("source,applies", [("10.0.0.0/24", True), ("10.0.0.4", True), ("10.0.1.0/24", False),
                                            ("VirtualNetwork", True), ("0.0.0.0/0", True), ("Internet", False),
                                            ("10.0.0.4/24", None)])
def test_outbound_sources_as_the_nsg_modules_read_them(source, applies):
    got = outbound(nic_rules=[rule("Deny", 100, source=source)])["result"]
    # A source the parser rejects (host bits set) may or may not hold the VM: a doubt, not a pass or a failure.
    assert got == {True: "fail", False: "pass", None: "warn"}[applies]


def test_outbound_unparseable_destination_is_a_doubt_not_a_pass():
    got = outbound(nic_rules=[rule("DenyOdd", 100, dest="20.38.0.5/16")])
    assert got["result"] == "warn" and "DenyOdd" in got["reason"]


class FakePipeline:
    """Stands for the ARMPipelineClient: answers by URL, records every request, calls the response hook."""

    def __init__(self, pages):
        self.pages = pages
        self.sent = []

    def send_request(self, request, raw_response_hook=None):
        self.sent.append(request.url)
        if raw_response_hook:
            raw_response_hook(None)
        body = next(b for prefix, b in self.pages if request.url.startswith(prefix))

        class Answer:
            status_code = 200

            def json(self):
                return body
        return Answer()


class FakeClients:
    subscription_id = SUB

    class cloud:  # noqa: N801
        resource_manager = "https://arm.local"

    def warm_up(self):
        pass


def test_reader_pages_through_next_links_with_the_table_api_version():
    base = "https://arm.local/subscriptions/%s/providers/Microsoft.Compute/virtualMachines" % SUB
    pipeline = FakePipeline([
        (base + "?api-version=%s&statusOnly=true" % r.COMPUTE_API,
         {"value": [vm("a")], "nextLink": base + "?$skiptoken=2"}),
        (base + "?$skiptoken=2&api-version=%s" % r.COMPUTE_API, {"value": [vm("b")], "nextLink": base + "?x=3&api-version=1"}),
        (base + "?x=3", {"value": [vm("c")]}),
    ])
    reader = r.Reader(FakeClients(), max_concurrency=4)
    reader._pipeline = pipeline
    items = reader.list("vms", statusOnly="true")
    assert [i["name"] for i in items] == ["a", "b", "c"]
    assert reader.requests == 3 and len(pipeline.sent) == 3
    assert pipeline.sent[2].endswith("api-version=1")  # a link's own api-version is kept


def test_reader_instance_view_path():
    pipeline = FakePipeline([("https://arm.local/", {"vmAgent": {}})])
    reader = r.Reader(FakeClients())
    reader._pipeline = pipeline
    assert reader.instance_view(vm("vm9", rg="Rg-9")) == {"vmAgent": {}}
    assert pipeline.sent == ["https://arm.local/subscriptions/%s/resourceGroups/Rg-9/providers/Microsoft.Compute/"
                             "virtualMachines/vm9/instanceView?api-version=%s" % (SUB, r.COMPUTE_API)]


@pytest.mark.parametrize("vault, word", [
    ({"name": "../x", "resource_group": "rg-backup"}, "vaults[0].name '../x' is not a valid vault name"),
    ({"name": "rsv/../../x", "resource_group": "rg-backup"}, "vaults[0].name"),
    ({"name": "1rsv", "resource_group": "rg-backup"}, "starting with a letter"),
    ({"name": "rsv-weu", "resource_group": "rg/../x"}, "vaults[0].resource_group 'rg/../x'"),
])
def test_validate_checks_vault_names_before_any_request(vault, word):
    with pytest.raises(AzbError) as err:
        r.validate(dict(BASE, vaults=[vault]))
    assert word in err.value.msg
