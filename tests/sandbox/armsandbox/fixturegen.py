"""Generated fixture documents for scale tests (e.g. 1,000 VMs with NICs, VNets and NSGs)."""

import random


def _guest_faults(vm, os_type, rng):
    """Some VMs with an old agent (10 %) or a failed backup extension (5 %); two draws of rng, always."""
    if rng.random() < 0.1:
        vm["agent_version"] = "2.2.10" if os_type == "Linux" else "2.7.41491.949"
    if rng.random() < 0.05:
        ext = ("VMSnapshotLinux", "Microsoft.Azure.RecoveryServices.VMSnapshotLinux") if os_type == "Linux" else (
            "VMSnapshot", "Microsoft.Azure.RecoveryServices.VMSnapshot")
        vm["extensions"] = [{"name": ext[0], "type": ext[1], "typeHandlerVersion": "1.0", "status": "failed"}]


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
        _guest_faults(vm, os_type, rng)
        fixture["virtual_machines"].append(vm)
    return fixture


# ---- fleets over subscriptions and regions, with the whole network path ------------------------------

SUBNET_KINDS = ("default", "nat_gateway", "default", "forced_tunnel", "default", "private", "nat_gateway", "default")
"""What each subnet of a fleet VNet is, by subnet index (cycled): `default` (no outbound setting:
defaultOutboundAccess absent), `nat_gateway` (the region's NAT gateway, defaultOutboundAccess false),
`forced_tunnel` (the region's route table sending 0.0.0.0/0 to a firewall appliance) and `private`
(defaultOutboundAccess false, no NAT gateway: VMs there have no outbound path unless they have a public IP or sit
in the load balancer's outbound pool)."""


FLEET_REGIONS = ("westeurope", "northeurope", "eastus", "westus2", "uksouth", "germanywestcentral", "francecentral",
                 "southeastasia", "australiaeast", "japaneast", "canadacentral", "centralindia")
"""Regions whose regional service tags (Storage.<Region>, AzureBackup.<Region>) the sandbox publishes."""


def fleet_subscription_ids(count):
    """`count` deterministic subscription ids (the first is the sandbox's default subscription)."""
    from . import DEFAULT_SUBSCRIPTION_ID

    return [DEFAULT_SUBSCRIPTION_ID] + [f"5ab5c0de-0000-4000-8000-{i:012d}" for i in range(1, count)]


def make_fleet(vms, subscriptions=None, regions=("westeurope", "northeurope"), nsgs=None, seed=0,
               subnets_per_vnet=8, resource_groups_per_region=2, nic_nsg_share=0.5, public_ip_share=0.05,
               load_balancer_share=0.25, tags=True):
    """Return a fixture dict: `vms` VMs with one NIC each over `subscriptions` x `regions` ("cells").

    Per cell (subscription, region): resource group `rg-net-<region>` with VNet `vnet-<region>` (10.<cell>.0.0/16,
    `subnets_per_vnet` /20 subnets `snet-00`… whose kinds cycle through SUBNET_KINDS), route table
    `rt-forced-<region>` (0.0.0.0/0 -> VirtualAppliance 10.<cell>.255.4), NAT gateway `ng-<region>` with public IP
    `pip-ng-<region>`, load balancer `lb-out-<region>` (pool `outbound`, outbound rule `outbound-all`, public IP
    `pip-lb-<region>`), and the cell's NSGs `nsg-<region>-<nnn>`; the VMs and NICs are in
    `rg-vm-<region>-<nn>` (`resource_groups_per_region` groups).

    NSGs: `nsgs` in total (default: 2 per cell), dealt round-robin to the cells. In a cell, the first half (at
    least one) guard subnets - every subnet but each 4th gets one, round-robin - and the rest guard NICs: a share
    `nic_nsg_share` of the VMs get a NIC NSG, round-robin over the rest (over all the cell's NSGs when the cell has
    one NSG). So VMs are NIC-only, subnet-only, both and neither, and with enough VMs every NSG is in use.
    VMs are dealt round-robin to the cells and, in a cell, to the subnets and groups. A share `public_ip_share` of
    VMs get a public IP on their NIC, and a share `load_balancer_share` of the VMs in `private` subnets sit in the
    load balancer's outbound pool. OS type, size, power state, agent version, a failed snapshot extension (5 %),
    zones and tags (`env`, `app`) vary with `seed`. Deterministic: the same arguments give the same fixture.
    """
    from . import DEFAULT_SUBSCRIPTION_ID

    rng = random.Random(seed)
    subs = list(subscriptions or [DEFAULT_SUBSCRIPTION_ID])
    regions = list(regions)
    cells = [(sub, region) for sub in subs for region in regions]
    nsg_total = len(cells) * 2 if nsgs is None else int(nsgs)
    subnets_per_vnet = max(1, min(16, int(subnets_per_vnet)))
    fixture = {"subscriptions": [{"subscription_id": s, "display_name": f"Fleet subscription {i + 1}"}
                                 for i, s in enumerate(subs)],
               "resource_groups": [], "network_security_groups": [], "route_tables": [], "public_ip_addresses": [],
               "nat_gateways": [], "load_balancers": [], "virtual_networks": [], "network_interfaces": [],
               "virtual_machines": []}
    cell_nsgs = {c: [] for c in range(len(cells))}
    for j in range(nsg_total):
        cell_nsgs[j % len(cells)].append(f"nsg-{cells[j % len(cells)][1]}-{j // len(cells):03d}")
    layout = []
    for c, (sub, region) in enumerate(cells):
        net_rg = f"rg-net-{region}"
        octet = c % 256
        common = {"subscription_id": sub, "location": region}
        fixture["resource_groups"].append({"name": net_rg, **common})
        vm_groups = [f"rg-vm-{region}-{g:02d}" for g in range(max(1, int(resource_groups_per_region)))]
        fixture["resource_groups"].extend({"name": g, **common} for g in vm_groups)
        names = cell_nsgs[c]
        for name in names:
            fixture["network_security_groups"].append({"resource_group": net_rg, "name": name, **common,
                                                       "security_rules": [_ssh_rule()]})
        guarded = [i for i in range(subnets_per_vnet) if i % 4 != 3] if names else []
        subnet_nsgs = names[:max(1, len(names) // 2)] if names else []
        subnet_nsgs = subnet_nsgs[:len(guarded)] or subnet_nsgs
        nic_nsgs = names[len(subnet_nsgs):] or list(names)
        rt, ng, lb = f"rt-forced-{region}", f"ng-{region}", f"lb-out-{region}"
        fixture["route_tables"].append({"resource_group": net_rg, "name": rt, **common,
                                        "disable_bgp_route_propagation": True,
                                        "routes": [{"name": "default-to-firewall", "address_prefix": "0.0.0.0/0",
                                                    "next_hop_type": "VirtualAppliance",
                                                    "next_hop_ip_address": f"10.{octet}.255.4"}]})
        fixture["public_ip_addresses"] += [
            {"resource_group": net_rg, "name": f"pip-ng-{region}", **common, "ip_address": f"198.51.{octet}.1"},
            {"resource_group": net_rg, "name": f"pip-lb-{region}", **common, "ip_address": f"198.51.{octet}.2"}]
        fixture["nat_gateways"].append({"resource_group": net_rg, "name": ng, **common,
                                        "public_ip_addresses": [f"pip-ng-{region}"]})
        fixture["load_balancers"].append({"resource_group": net_rg, "name": lb, **common,
                                          "backend_address_pools": ["outbound"],
                                          "frontend_ip_configurations": [{"name": "fe-out",
                                                                          "public_ip": f"pip-lb-{region}"}],
                                          "outbound_rules": [{"name": "outbound-all", "backend_pool": "outbound",
                                                              "frontend_ip_configurations": ["fe-out"]}]})
        subnets = []
        for i in range(subnets_per_vnet):
            kind = SUBNET_KINDS[i % len(SUBNET_KINDS)]
            subnet = {"name": f"snet-{i:02d}", "address_prefix": f"10.{octet}.{i * 16}.0/20"}
            if i in guarded and subnet_nsgs:
                subnet["network_security_group"] = subnet_nsgs[guarded.index(i) % len(subnet_nsgs)]
            if kind == "forced_tunnel":
                subnet["route_table"] = rt
            elif kind == "nat_gateway":
                subnet["nat_gateway"] = ng
                subnet["default_outbound_access"] = False
            elif kind == "private":
                subnet["default_outbound_access"] = False
            subnets.append(subnet)
        fixture["virtual_networks"].append({"resource_group": net_rg, "name": f"vnet-{region}", **common,
                                            "address_prefixes": [f"10.{octet}.0.0/16"], "subnets": subnets})
        layout.append({"net_rg": net_rg, "vm_groups": vm_groups, "subnets": subnets, "nic_nsgs": nic_nsgs,
                       "octet": octet, "count": 0, "nic_nsg_turn": 0})
    for i in range(vms):
        c = i % len(cells)
        sub, region = cells[c]
        cell = layout[c]
        local = cell["count"]
        cell["count"] += 1
        subnet_index = local % len(cell["subnets"])
        subnet = cell["subnets"][subnet_index]
        host = local // len(cell["subnets"])
        group = cell["vm_groups"][local % len(cell["vm_groups"])]
        net_id = f"/subscriptions/{sub}/resourceGroups/{cell['net_rg']}/providers/Microsoft.Network"
        name = f"vm-{region[:12]}-{i:05d}"
        common = {"subscription_id": sub, "location": region, "resource_group": group}
        nic = {**common, "name": f"nic-{name}", "primary": True,
               "subnet": f"{net_id}/virtualNetworks/vnet-{region}/subnets/{subnet['name']}",
               "private_ip": f"10.{cell['octet']}.{subnet_index * 16 + (host + 4) // 256}.{(host + 4) % 256}"}
        if cell["nic_nsgs"] and rng.random() < nic_nsg_share:
            nic["network_security_group"] = f"{net_id}/networkSecurityGroups/" + cell["nic_nsgs"][
                cell["nic_nsg_turn"] % len(cell["nic_nsgs"])]
            cell["nic_nsg_turn"] += 1
        if rng.random() < public_ip_share:
            pip = f"pip-{name}"
            fixture["public_ip_addresses"].append({**common, "name": pip,
                                                   "ip_address": f"203.0.{(i // 250) % 256}.{4 + i % 250}"})
            nic["public_ip"] = pip
        if SUBNET_KINDS[subnet_index % len(SUBNET_KINDS)] == "private" and rng.random() < load_balancer_share:
            nic["load_balancer_backend_pools"] = [f"{net_id}/loadBalancers/lb-out-{region}/backendAddressPools/outbound"]
        fixture["network_interfaces"].append(nic)
        os_type = "Windows" if rng.random() < 0.3 else "Linux"
        vm = {**common, "name": name, "os_type": os_type, "nics": [nic["name"]],
              "vm_size": rng.choice(["Standard_B2s", "Standard_D2s_v5", "Standard_D4s_v5", "Standard_E4s_v5"]),
              "power_state": rng.choices(["running", "stopped", "deallocated"], weights=[85, 5, 10])[0],
              "data_disks": rng.choice([0, 0, 1, 2])}
        if rng.random() < 0.3:
            vm["zones"] = [rng.choice(["1", "2", "3"])]
        if tags:
            vm["tags"] = {"env": rng.choice(["prod", "prod", "test", "dev"]),
                          "app": rng.choice(["web", "api", "db", "batch"])}
        _guest_faults(vm, os_type, rng)
        fixture["virtual_machines"].append(vm)
    return fixture


def _ssh_rule():
    return {"name": "AllowSshInbound", "properties": {
        "protocol": "Tcp", "sourcePortRange": "*", "destinationPortRange": "22",
        "sourceAddressPrefix": "10.0.0.0/8", "destinationAddressPrefix": "VirtualNetwork",
        "access": "Allow", "priority": 100, "direction": "Inbound"}}


def fleet_summary(fixture):
    """Counts of a make_fleet fixture: VMs by NSG placement (nic_only/subnet_only/both/neither), by subnet kind, and
    the NSGs in use (attached to a subnet or NIC that a VM uses)."""
    subnets = {}
    for vnet in fixture.get("virtual_networks", []):
        sub = vnet.get("subscription_id", "")
        for s in vnet.get("subnets", []):
            key = f"/subscriptions/{sub}/resourceGroups/{vnet['resource_group']}/providers/Microsoft.Network/" \
                  f"virtualNetworks/{vnet['name']}/subnets/{s['name']}".lower()
            subnets[key] = (s, sub, vnet["resource_group"])
    placement = {"nic_only": 0, "subnet_only": 0, "both": 0, "neither": 0}
    kinds = {}
    used = set()
    for nic in fixture.get("network_interfaces", []):
        subnet, sub, net_rg = subnets[nic["subnet"].lower()]
        on_subnet = subnet.get("network_security_group")
        on_nic = nic.get("network_security_group")
        placement["both" if on_nic and on_subnet else "nic_only" if on_nic else "subnet_only" if on_subnet
                  else "neither"] += 1
        if on_subnet:
            used.add((sub, net_rg.lower(), on_subnet.lower()))
        if on_nic:
            used.add((sub, on_nic.split("/")[4].lower(), on_nic.rsplit("/", 1)[-1].lower()))
        if subnet.get("route_table"):
            kind = "forced_tunnel"
        elif subnet.get("nat_gateway"):
            kind = "nat_gateway"
        elif subnet.get("default_outbound_access") is False:
            kind = "private_lb" if nic.get("load_balancer_backend_pools") else "private"
        else:
            kind = "default"
        kinds[kind] = kinds.get(kind, 0) + 1
    return {"vms": len(fixture.get("virtual_machines", [])), "placement": placement, "subnet_kinds": kinds,
            "nsgs": len(fixture.get("network_security_groups", [])), "nsgs_in_use": len(used),
            "public_ips_on_nics": sum(1 for n in fixture.get("network_interfaces", []) if n.get("public_ip"))}
