"""The scope options of the azure_vms inventory plugin and vm_info: checks before any request, and the tag and
power-state filters on host variables."""

import pytest

from ansible_collections.azbackup.vmprep.plugins.module_utils import _scope
from ansible_collections.azbackup.vmprep.plugins.module_utils._errors import AzbError


def host(tags=None, power="running"):
    return {"azure_tags": tags or {}, "azure_power_state": power}


@pytest.mark.parametrize("tags, include, exclude, keep", [
    ({"env": "prod"}, {"env": ["prod"]}, {}, True),
    ({"Env": "prod"}, {"env": ["prod"]}, {}, True),            # tag names without regard to case
    ({"env": "Prod"}, {"env": ["prod"]}, {}, False),           # values with regard to case
    ({"env": "prod-eu"}, {"env": ["prod-*"]}, {}, True),       # shell-style patterns
    ({"env": ""}, {"env": ["*"]}, {}, True),                   # '*': present, any value (empty too)
    ({}, {"env": ["*"]}, {}, False),
    ({"env": "prod", "team": "web"}, {"env": ["prod"], "team": ["db"]}, {}, False),  # every include tag
    ({"env": "prod", "team": "web"}, {"env": ["test", "prod"]}, {}, True),           # any value of a list
    ({"backup": "skip"}, {}, {"backup": ["skip"]}, False),
    ({"backup": "daily"}, {}, {"backup": ["skip"], "x": ["*"]}, True),
])
def test_tag_filters(tags, include, exclude, keep):
    assert _scope.keep(host(tags), include, exclude) is keep


def test_power_state_filter():
    assert _scope.keep(host(power="deallocated"), power_states=["stopped", "deallocated"])
    assert not _scope.keep(host(power="running"), power_states=["stopped"])
    assert _scope.keep({"azure_tags": {}}, power_states=["unknown"])
    assert _scope.keep(host(power="starting"), power_states=[])


def test_tag_values_normalised():
    expected = {"env": ["prod"], "tier": ["a", "1"]}
    assert _scope.validate_tags({"env": "prod", "tier": ["a", 1]}, "include_tags") == expected
    assert _scope.validate_tags(None, "tags") == {}


@pytest.mark.parametrize("call, message", [
    (lambda: _scope.validate_tags("env=prod", "include_tags"), "include_tags must be a dictionary"),
    (lambda: _scope.validate_tags({"env": []}, "tags"), "tags.env: give a value"),
    (lambda: _scope.validate_tags({"env": True}, "tags"), "tags.env: tag values must be strings"),
    (lambda: _scope.validate_tags({"": "x"}, "tags"), "tags: tag names must be non-empty"),
    (lambda: _scope.validate_groups(["ok", "bad/one"], "include_resource_groups"),
     "include_resource_groups 'bad/one' is not a valid resource group name"),
    (lambda: _scope.validate_groups([3], "exclude_resource_groups"), "exclude_resource_groups must be a list"),
    (lambda: _scope.validate_power_states(["Running", "sleeping"]), "power_states allows running"),
    (lambda: _scope.validate_names(["web-*", " "]), "names must be VM names"),
    (lambda: _scope.validate_concurrency(0), "max_concurrency must be a whole number from 1 to 64"),
    (lambda: _scope.validate_concurrency(True), "max_concurrency must be a whole number"),
    (lambda: _scope.validate_subscriptions(["00000000-0000-0000-0000-00000000000"]), "subscriptions must be"),
])
def test_bad_values_name_the_option(call, message):
    with pytest.raises(AzbError) as info:
        call()
    assert message in str(info.value)


def test_good_values():
    assert _scope.validate_power_states(["Running", " deallocated "]) == ["running", "deallocated"]
    assert _scope.validate_concurrency(None) == 16
    sub = "00000000-0000-0000-0000-000000000001"
    assert _scope.validate_subscriptions([sub, sub.upper()]) == [sub]
    assert _scope.validate_groups(["rg-a", "RG_(b).c"], "x") == ["rg-a", "RG_(b).c"]


def test_power_state_filter_keeps_hosts_whose_instance_view_was_denied():
    denied = dict(host(power="unknown"), azure_unreadable=[{
        "what": "virtual machine instance views", "permission": "Microsoft.Compute/virtualMachines/instanceView/read",
        "scope": "/subscriptions/s/resourceGroups/rg", "message": "AuthorizationFailed"}])
    assert _scope.keep(denied, power_states=["running"])
    # A power state that is simply unknown (no denied read) is still filtered; other denied reads change nothing.
    assert not _scope.keep(host(power="unknown"), power_states=["running"])
    other = dict(host(power="unknown"), azure_unreadable=[{"what": "virtual networks",
                                                          "permission": "Microsoft.Network/virtualNetworks/read"}])
    assert not _scope.keep(other, power_states=["running"])
    assert not _scope.keep(dict(denied, azure_power_state="stopped"), power_states=["running"])
