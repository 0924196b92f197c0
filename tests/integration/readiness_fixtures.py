"""Sandbox estate for backup_readiness_info: one VM per outcome, so that every check passes, warns and fails.

EXPECTED maps (vm, check) to the result the module must report. VMs not named for a check pass it unless listed.
"""

RG = "rg-ready"
SUB_RG = "rg-ready-net"  # network resources of some VMs live in another resource group
REGION = "westeurope"


def _nic(name, nsg=None, rg=RG, **extra):
    nic = {"resource_group": rg, "name": name, "location": REGION, "subnet": "vnet-ready/snet-app", "private_ip": "10.20.1.4"}
    if rg != RG:
        nic["subnet"] = {"id": "/subscriptions/{sub}/resourceGroups/%s/providers/Microsoft.Network/virtualNetworks/"
                               "vnet-ready/subnets/snet-app" % RG}
    if nsg:
        nic["network_security_group"] = nsg
    nic.update(extra)
    return nic


def _vm(name, nics=None, **extra):
    vm = {"resource_group": RG, "name": name, "location": REGION, "os_type": "Linux", "nics": nics or ["nic-" + name]}
    vm.update(extra)
    return vm


def _rule(name, priority, access, dest, port="443"):
    return {"name": name, "properties": {"protocol": "Tcp", "sourcePortRange": "*", "destinationPortRange": port,
                                         "sourceAddressPrefix": "*", "destinationAddressPrefix": dest,
                                         "access": access, "priority": priority, "direction": "Outbound"}}


def _view(power="running", agent=True, os_name="ubuntu", os_version="24.04", extensions=None, provisioning="succeeded"):
    view = {"computerName": "x", "osName": os_name, "osVersion": os_version,
            "statuses": [{"code": "ProvisioningState/" + provisioning, "level": "Info", "displayStatus": "Provisioning"},
                         {"code": "PowerState/" + power, "level": "Info", "displayStatus": "VM " + power}],
            "extensions": extensions or []}
    if agent:
        view["vmAgent"] = {"vmAgentVersion": "2.13.1.1", "statuses": [
            {"code": "ProvisioningState/succeeded", "level": "Info", "displayStatus": "Ready", "message": "GuestAgent is running"}]}
    return view


def _ultra_properties(sub):
    nic = "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/networkInterfaces/nic-vm-ultra" % (sub, RG)
    return {
        "provisioningState": "Succeeded",
        "hardwareProfile": {"vmSize": "Standard_E4s_v5"},
        "storageProfile": {
            "imageReference": {"publisher": "Canonical", "offer": "ubuntu-24_04-lts", "sku": "server", "version": "latest"},
            "osDisk": {"osType": "Linux", "name": "vm-ultra-os", "createOption": "FromImage",
                       "managedDisk": {"storageAccountType": "Premium_LRS"}},
            "dataDisks": [{"lun": 0, "name": "vm-ultra-d0", "createOption": "Empty",
                           "managedDisk": {"storageAccountType": "UltraSSD_LRS"}}],
        },
        "osProfile": {"computerName": "vm-ultra", "adminUsername": "azureuser",
                      "linuxConfiguration": {"provisionVMAgent": True}},
        "networkProfile": {"networkInterfaces": [{"id": nic}]},
    }


def estate(sub):
    def other_rg_nic(name):
        return "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/networkInterfaces/%s" % (sub, SUB_RG, name)

    failed_ext = [{"name": "VMSnapshotLinux", "type": "Microsoft.Azure.RecoveryServices.VMSnapshotLinux",
                   "status": "failed", "message": "Snapshot operation failed: the extension could not reach Storage."}]
    transitioning = [{"name": "VMSnapshotLinux", "type": "Microsoft.Azure.RecoveryServices.VMSnapshotLinux",
                      "typeHandlerVersion": "1.0.9225.0",
                      "statuses": [{"code": "ProvisioningState/transitioning", "level": "Info",
                                    "displayStatus": "Transitioning", "message": "Enable in progress"}]}]
    vms = [
        _vm("vm-good", data_disks=2),
        _vm("vm-dealloc", os_type="Windows", power_state="deallocated"),
        _vm("vm-oldagent", agent_version="2.2.10", extensions=failed_ext),
        _vm("vm-notready", agent_status="Not Ready"),
        _vm("vm-transit", instance_view=_view(extensions=transitioning)),
        _vm("vm-noagent", instance_view=_view(agent=False)),
        _vm("vm-neu", location="northeurope"),
        _vm("vm-eus", location="eastus"),
        _vm("vm-disks", data_disks=33),
        _vm("vm-ultra", properties=_ultra_properties(sub)),
        _vm("vm-win2008", os_type="Windows", os_name="Windows Server 2008 Datacenter", os_version="6.0.6002"),
        _vm("vm-wincustom", os_type="Windows", power_state="deallocated",
            instance_view=_view(power="deallocated", agent=False, os_name="", os_version=""),
            image={"id": "/subscriptions/%s/resourceGroups/rg-img/providers/Microsoft.Compute/images/golden" % sub}),
        _vm("vm-twonics", nics=["nic-vm-twonics-a", "nic-vm-twonics-b"]),
        _vm("vm-lb"),
        _vm("vm-ghostnic", nics=["nic-does-not-exist"]),
        _vm("vm-blocked", nics=[other_rg_nic("nic-vm-blocked")]),
        _vm("vm-proxied", nics=[other_rg_nic("nic-vm-proxied")], tags={"azbackup-proxy": "proxy.corp.example:3128"}),
        _vm("vm-cidr", nics=[other_rg_nic("nic-vm-cidr")]),
        _vm("vm-provfailed", instance_view=_view(provisioning="failed/InternalExecutionError")),
    ]
    special = ("vm-twonics", "vm-ghostnic", "vm-lb", "vm-blocked", "vm-proxied", "vm-cidr")
    nics = [_nic("nic-" + v["name"]) for v in vms if v["name"] not in special]
    nics += [
        _nic("nic-vm-twonics-a"), _nic("nic-vm-twonics-b", private_ip="10.20.1.9"),
        _nic("nic-vm-lb", load_balancer_backend_pools=["lb-ready/pool-web"]),
        _nic("nic-vm-blocked", nsg="nsg-deny", rg=SUB_RG),
        _nic("nic-vm-proxied", nsg="nsg-deny", rg=SUB_RG),
        _nic("nic-vm-cidr", nsg="nsg-cidr", rg=SUB_RG),
    ]
    return {
        "resource_groups": [{"name": RG, "location": REGION}, {"name": SUB_RG, "location": REGION},
                            {"name": "rg-backup", "location": REGION}],
        "network_security_groups": [
            {"resource_group": RG, "name": "nsg-snet-app", "location": REGION,
             "security_rules": [_rule("AllowStorageOut", 200, "Allow", "Storage.WestEurope")]},
            {"resource_group": SUB_RG, "name": "nsg-deny", "location": REGION,
             "security_rules": [_rule("DenyInternetOut", 4000, "Deny", "Internet")]},
            {"resource_group": SUB_RG, "name": "nsg-cidr", "location": REGION,
             "security_rules": [_rule("DenySomeRange", 300, "Deny", "20.38.0.0/16")]},
        ],
        "virtual_networks": [{"resource_group": RG, "name": "vnet-ready", "location": REGION,
                              "address_prefixes": ["10.20.0.0/16"],
                              "subnets": [{"name": "snet-app", "address_prefix": "10.20.1.0/24",
                                           "network_security_group": "nsg-snet-app"}]}],
        "load_balancers": [{"resource_group": RG, "name": "lb-ready", "location": REGION,
                            "backend_address_pools": ["pool-web"]}],
        "network_interfaces": [dict(n, subnet=n["subnet"] if isinstance(n["subnet"], str)
                                    else {"id": n["subnet"]["id"].format(sub=sub)}) for n in nics],
        "virtual_machines": vms,
        "vaults": [{"resource_group": "rg-backup", "name": "rsv-weu", "location": REGION},
                   {"resource_group": "rg-backup", "name": "rsv-neu", "location": "northeurope"}],
    }


# (vm, check) -> expected result; every other (vm, check) of a VM listed in FOCUS is 'pass'.
EXPECTED = {
    ("vm-good", "*"): "pass",
    ("vm-dealloc", "power_state"): "warn",
    ("vm-dealloc", "agent"): "warn",
    ("vm-oldagent", "agent"): "fail",
    ("vm-oldagent", "backup_extension"): "fail",
    ("vm-notready", "agent"): "fail",
    ("vm-transit", "backup_extension"): "warn",
    ("vm-noagent", "agent"): "fail",
    ("vm-noagent", "os"): "fail",
    ("vm-neu", "region"): "warn",
    ("vm-eus", "region"): "fail",
    ("vm-disks", "disks"): "fail",
    ("vm-ultra", "disks"): "warn",
    ("vm-win2008", "os"): "fail",
    ("vm-wincustom", "os"): "warn",
    ("vm-wincustom", "power_state"): "warn",
    ("vm-wincustom", "agent"): "warn",
    ("vm-twonics", "network_config"): "warn",
    ("vm-lb", "network_config"): "warn",
    ("vm-ghostnic", "network_config"): "fail",
    ("vm-ghostnic", "outbound"): "fail",
    ("vm-blocked", "outbound"): "fail",
    ("vm-proxied", "outbound"): "pass",
    ("vm-cidr", "outbound"): "warn",
    ("vm-provfailed", "power_state"): "fail",
}
