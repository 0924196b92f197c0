"""Filtering of service tags (names with and without region suffix, region, IP version)."""

from ansible_collections.azbackup.vmprep.plugins.modules import service_tags_info as mod

VALUES = [
    {"name": "Storage", "id": "Storage",
     "properties": {"region": "", "addressPrefixes": ["192.0.2.0/24", "2001:db8::/48"],
                    "changeNumber": "3", "systemService": "AzureStorage"}},
    {"name": "Storage.WestEurope", "id": "Storage.WestEurope",
     "properties": {"region": "westeurope", "addressPrefixes": ["192.0.2.0/25"], "changeNumber": "4"}},
    {"name": "Storage.NorthEurope", "id": "Storage.NorthEurope",
     "properties": {"region": "northeurope", "addressPrefixes": ["192.0.2.128/25"], "changeNumber": "4"}},
    {"name": "AzureActiveDirectory", "id": "AzureActiveDirectory", "properties": {"addressPrefixes": ["198.51.100.0/24"]}},
]


def names(**params):
    base = {"names": [], "region": None, "include_global": True, "ip_version": "all"}
    base.update(params)
    return [t["name"] for t in mod.select(VALUES, base)]


def test_name_without_suffix_includes_regional_tags():
    assert names(names=["storage"]) == ["Storage", "Storage.WestEurope", "Storage.NorthEurope"]


def test_name_with_suffix_is_exact():
    assert names(names=["Storage.westeurope"]) == ["Storage.WestEurope"]


def test_region_filter_keeps_global_tags():
    assert names(region="West Europe") == ["Storage", "Storage.WestEurope", "AzureActiveDirectory"]
    assert names(region="westeurope", include_global=False) == ["Storage.WestEurope"]


def test_ip_version_filter():
    base = {"names": ["Storage"], "region": None, "include_global": True}
    v6 = mod.select(VALUES[:1], dict(base, ip_version="ipv6"))
    v4 = mod.select(VALUES[:1], dict(base, ip_version="ipv4"))
    assert v6[0]["address_prefixes"] == ["2001:db8::/48"] and v4[0]["address_prefixes"] == ["192.0.2.0/24"]
