"""Generated fixture documents for scale tests (e.g. 1,000 VMs with NICs, VNets and NSGs)."""

import random


def make_vm_fleet(n, regions=("westeurope", "northeurope"), resource_groups=None, seed=0, subscription_id=None):
    """Return a fixture dict with n VMs spread over resource groups (one region per group).

    Each resource group gets a VNet 10.<g>.0.0/16 with subnet `snet-default` guarded by NSG
    `nsg-<group>`; each VM gets one NIC (every 25th VM a second one). Power states, OS types, agent
    versions and snapshot-extension health vary deterministically with `seed`.
    """
    rng = random.Random(seed)
    regions = list(regions)
    groups = list(resource_groups or [f"rg-fleet-{region}" for region in regions])
    fixture = {"resource_groups": [], "network_security_groups": [], "virtual_networks": [],
               "network_interfaces": [], "virtual_machines": []}
    extra = {"subscription_id": subscription_id} if subscription_id else {}
    for index, group in enumerate(groups):
        location = regions[index % len(regions)]
        fixture["resource_groups"].append({"name": group, "location": location, **extra})
        fixture["network_security_groups"].append({
            "resource_group": group, "name": f"nsg-{group}", "location": location, **extra,
            "security_rules": [{"name": "AllowSshInbound", "properties": {
                "protocol": "Tcp", "sourcePortRange": "*", "destinationPortRange": "22",
                "sourceAddressPrefix": "10.0.0.0/8", "destinationAddressPrefix": "VirtualNetwork",
                "access": "Allow", "priority": 100, "direction": "Inbound"}}],
        })
        fixture["virtual_networks"].append({
            "resource_group": group, "name": f"vnet-{group}", "location": location, **extra,
            "address_prefixes": [f"10.{index % 256}.0.0/16"],
            "subnets": [{"name": "snet-default", "address_prefix": f"10.{index % 256}.0.0/20",
                         "network_security_group": f"nsg-{group}"}],
        })
    for i in range(n):
        group_index = i % len(groups)
        group = groups[group_index]
        location = regions[group_index % len(regions)]
        name = f"vm-{i:05d}"
        os_type = "Windows" if rng.random() < 0.3 else "Linux"
        power = rng.choices(["running", "stopped", "deallocated"], weights=[85, 5, 10])[0]
        host = i // len(groups)
        nic_names = [f"nic-{name}"] + ([f"nic-{name}-2"] if i % 25 == 24 else [])
        for k, nic in enumerate(nic_names):
            fixture["network_interfaces"].append({
                "resource_group": group, "name": nic, "location": location, **extra,
                "subnet": f"vnet-{group}/snet-default",
                "private_ip": f"10.{group_index % 256}.{(host // 250) % 16}.{4 + host % 250}" if k == 0
                else f"10.{group_index % 256}.15.{4 + host % 250}",
                "primary": k == 0,
            })
        vm = {"resource_group": group, "name": name, "location": location, "os_type": os_type, **extra,
              "vm_size": rng.choice(["Standard_B2s", "Standard_D2s_v5", "Standard_D4s_v5", "Standard_E4s_v5"]),
              "power_state": power, "nics": nic_names, "data_disks": rng.choice([0, 0, 1, 2, 4])}
        if rng.random() < 0.1:
            vm["agent_version"] = "2.2.10" if os_type == "Linux" else "2.7.41491.949"
        if rng.random() < 0.05:
            ext = ("VMSnapshotLinux", "Microsoft.Azure.RecoveryServices.VMSnapshotLinux") if os_type == "Linux" else (
                "VMSnapshot", "Microsoft.Azure.RecoveryServices.VMSnapshot")
            vm["extensions"] = [{"name": ext[0], "type": ext[1], "typeHandlerVersion": "1.0", "status": "failed"}]
        fixture["virtual_machines"].append(vm)
    return fixture
