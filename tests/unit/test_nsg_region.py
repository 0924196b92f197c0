"""The {region} placeholder of nsg_rules: resolved from the NSG as read, and fail closed without a region."""

import pytest

from ansible_collections.azbackup.vmprep.plugins.module_utils import _nsg

RULES = [{"name": "AzureBackup-Storage", "destination_address_prefixes": ["Storage.{region}"],
          "source_address_prefixes": ["*"]},
         {"name": "AzureBackup-Service", "destination_address_prefixes": ["AzureBackup"]}]


def test_uses_region_only_in_address_prefixes():
    assert _nsg.uses_region(RULES)
    assert not _nsg.uses_region([{"name": "x", "description": "{region}", "destination_address_prefixes": ["*"]}])


def test_with_region_replaces_and_leaves_the_input_alone():
    out = _nsg.with_region(RULES, "northeurope")
    assert out[0]["destination_address_prefixes"] == ["Storage.northeurope"]
    assert out[1] == RULES[1]
    assert RULES[0]["destination_address_prefixes"] == ["Storage.{region}"]


@pytest.mark.parametrize("location, region", [("westeurope", "westeurope"), ("West Europe", "westeurope"),
                                              ("UKSouth", "uksouth")])
def test_nsg_region_normalizes(location, region):
    assert _nsg.nsg_region({"location": location}, "nsg") == region


@pytest.mark.parametrize("nsg", [{}, {"location": None}, {"location": ""}, {"location": "west/europe"},
                                 {"location": 7}, "not a dict"])
def test_nsg_region_fails_closed(nsg):
    with pytest.raises(_nsg.Unreadable, match="cannot be resolved"):
        _nsg.nsg_region(nsg, "nsg-x")


def test_validate_many_names_each_item_by_its_own_prefix():
    rules = [{"name": "a", "destination_port_ranges": [443]}, {"name": "A", "destination_port_ranges": [443]}]
    with pytest.raises(_nsg.Invalid, match=r"security_groups\[2\]\.rules\[0\]\.name 'A' repeats rules\[0\]\.name"):
        _nsg.validate_many(rules, option_prefixes=["rules[0].", "security_groups[2].rules[0]."])
