"""Synthetic, deterministic Azure service tags (Microsoft.Network serviceTags / serviceTagDetails).

The shapes follow the real API; the address ranges are carved from 100.64.0.0/10 (shared address
space) and 2001:db8::/32 (documentation) so they can never point at a real Azure service.
"""

import ipaddress

REGIONS = (
    ("eastus", "EastUS"),
    ("westeurope", "WestEurope"),
    ("northeurope", "NorthEurope"),
    ("westus2", "WestUS2"),
    ("southeastasia", "SoutheastAsia"),
    ("uksouth", "UKSouth"),
    ("germanywestcentral", "GermanyWestCentral"),
    ("australiaeast", "AustraliaEast"),
    ("francecentral", "FranceCentral"),
    ("canadacentral", "CanadaCentral"),
    ("japaneast", "JapanEast"),
    ("centralindia", "CentralIndia"),
)

# Locations this sandbox cloud serves the service tag API in. Regional tags exist only for REGIONS: the others
# stand for regions whose tags are not published (yet), as real Azure has right after a region opens. Any other
# location is refused the way ARM refuses a location a resource type is not registered in.
LOCATIONS = tuple(r for r, _unused in REGIONS) + ("westus", "eastus2", "centralus", "westcentralus", "swedencentral")

# (tag name, systemService, has regional variants, lower-case region suffix like AzureCloud.westeurope)
SERVICES = (
    ("AzureBackup", "AzureBackup", True, False),
    ("Storage", "AzureStorage", True, False),
    ("AzureActiveDirectory", "AzureAD", False, False),
    ("AzureCloud", "", True, True),
    ("AzureMonitor", "AzureMonitor", True, False),
    ("AzureKeyVault", "AzureKeyVault", True, False),
    ("Sql", "AzureSQL", True, False),
    ("EventHub", "AzureEventHub", True, False),
    ("AzureResourceManager", "AzureResourceManager", False, False),
    ("GuestAndHybridManagement", "GuestAndHybridManagement", False, False),
    ("AzureFrontDoor.Frontend", "AzureFrontDoor", False, False),
    ("AzureTrafficManager", "AzureTrafficManager", False, False),
)
CHANGE_NUMBER = "142"

# Tags that are not service tags but are valid in a security rule's singular address prefix.
BUILTIN_TAGS = ("VirtualNetwork", "AzureLoadBalancer", "Internet")


def _block(number):
    """The number-th /19 of 100.64.0.0/10 (512 of them): (second octet, third octet)."""
    return 64 + number // 8, (number % 8) * 32


def _regional_prefixes(service_index, region_index):
    # /19 block service * 16 + region (room for 16 regions per service), three /21s of it.
    second, third = _block(service_index * 16 + region_index)
    v4 = [f"100.{second}.{third + 8 * k}.0/21" for k in range(3)]
    v6 = [str(ipaddress.ip_network(f"2001:db8:{service_index:x}{region_index:02x}::/48"))]
    return v4 + v6


def _global_prefixes(service_index):
    second, third = _block(448 + service_index)
    return [f"100.{second}.{third + k}.0/24" for k in range(2)] + [
        str(ipaddress.ip_network(f"2001:db8:{service_index:x}ff::/48"))
    ]


def _network_order(prefix):
    network = ipaddress.ip_network(prefix)
    return network.version, int(network.network_address)


def _build():
    values = []
    for s_index, (tag, system, regional, lower_suffix) in enumerate(SERVICES):
        if regional:
            regional_entries = []
            for r_index, (region, pretty) in enumerate(REGIONS):
                name = f"{tag}.{region if lower_suffix else pretty}"
                regional_entries.append({
                    "name": name,
                    "id": name,
                    "properties": {
                        "changeNumber": str(1 + (s_index * 7 + r_index * 3) % 19),
                        "region": region,
                        "state": "GA",
                        "systemService": system,
                        "addressPrefixes": _regional_prefixes(s_index, r_index),
                        "networkFeatures": ["API", "NSG", "UDR", "FW"],
                    },
                })
            union = sorted({p for e in regional_entries for p in e["properties"]["addressPrefixes"]},
                           key=_network_order)
        else:
            regional_entries = []
            union = _global_prefixes(s_index)
        values.append({
            "name": tag,
            "id": tag,
            "properties": {
                "changeNumber": str(20 + s_index),
                "region": "",
                "state": "GA",
                "systemService": system,
                "addressPrefixes": union,
                "networkFeatures": ["API", "NSG", "UDR", "FW"],
            },
        })
        values.extend(regional_entries)
    return values


SERVICE_TAGS = _build()
TAG_NAMES = {v["name"].lower(): v["name"] for v in SERVICE_TAGS}


def is_tag(value):
    lower = value.lower()
    return lower in TAG_NAMES or lower in {t.lower() for t in BUILTIN_TAGS}
