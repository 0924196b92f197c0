"""Regions: the table of the public clouds, the closest-name suggestion, and service_tags_info's checks of location
and region (before any request in the public clouds, against Azure's answer in every cloud)."""

import json
import os
import re

import pytest

from conftest import run_module
from ansible_collections.azbackup.vmprep.plugins.module_utils import _client, _regions
from ansible_collections.azbackup.vmprep.plugins.module_utils._errors import AzbError
from ansible_collections.azbackup.vmprep.plugins.modules import service_tags_info as mod

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


# ---- the table -----------------------------------------------------------------------------------------------

def test_table_holds_arm_names_only_and_no_region_twice():
    seen = {}
    for cloud, regions in _regions.PUBLIC_REGIONS.items():
        assert len(regions) >= 5, cloud
        for region in regions:
            assert re.match(r"\A[a-z][a-z0-9]{3,30}\Z", region), region
            assert region not in seen, (region, cloud, seen.get(region))
            seen[region] = cloud
    assert {"westeurope", "swedencentral", "eastus2", "italynorth"} <= _regions.PUBLIC_REGIONS["AzureCloud"]
    assert "chinanorth3" in _regions.PUBLIC_REGIONS["AzureChinaCloud"]
    assert "usgovvirginia" in _regions.PUBLIC_REGIONS["AzureUSGovernment"]


def test_table_knows_every_region_of_the_spec_example():
    """The regions of the ServiceTags_List example of the Azure REST API specs are in the AzureCloud table."""
    with open(os.path.join(ROOT, "tests", "sandbox", "tests", "examples", "ServiceTagsList.json"), encoding="utf-8") as fh:
        example = json.load(fh)
    assert example["parameters"]["location"] in _regions.PUBLIC_REGIONS["AzureCloud"]
    regions = {v["properties"]["region"] for v in example["responses"]["200"]["body"]["values"]} - {""}
    assert regions and regions <= _regions.PUBLIC_REGIONS["AzureCloud"]


# ---- which cloud ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value,expected", [
    (None, "AzureCloud"),
    ("AzureCloud", "AzureCloud"),
    ("azurepubliccloud", "AzureCloud"),
    ("https://management.azure.com/", "AzureCloud"),
    ("AzureChinaCloud", "AzureChinaCloud"),
    ("https://management.chinacloudapi.cn", "AzureChinaCloud"),
    ("AzureUSGovernmentCloud", "AzureUSGovernment"),
    ("https://management.usgovcloudapi.net", "AzureUSGovernment"),
    ("https://127.0.0.1:8443", None),
    ("https://management.local.azurestack.external", None),
    ("https://management.azure.com.example.org", None),
])
def test_public_cloud(value, expected):
    assert _regions.public_cloud(value) == expected


# ---- suggestions ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("typo,first", [
    ("westeurpoe", "westeurope"),
    ("westeuropa", "westeurope"),
    ("swedencentrl", "swedencentral"),
    ("eastus4", "eastus"),
    ("norteurope", "northeurope"),
    ("germanywestcentrl", "germanywestcentral"),
])
def test_closest_puts_the_intended_region_first(typo, first):
    found = _regions.closest(typo, _regions.PUBLIC_REGIONS["AzureCloud"])
    assert found and found[0] == first and len(found) <= 3


def test_no_suggestion_for_a_name_like_nothing():
    assert _regions.closest("zz", _regions.PUBLIC_REGIONS["AzureCloud"]) == []
    assert _regions.suggestion("zz", ["westeurope"]) == ""
    assert _regions.suggestion("westeurpoe", ["westeurope", "northeurope"]) == " Did you mean westeurope?"


def test_public_check_names_the_option_the_closest_regions_and_the_way_out():
    with pytest.raises(AzbError) as info:
        _regions.check_public_region("westeurpoe", "AzureCloud", "location")
    msg = info.value.msg
    assert msg.startswith("location 'westeurpoe' is not a region of AzureCloud. Did you mean westeurope")
    assert "az account list-locations" in msg and "allow_unlisted_region=true" in msg
    _regions.check_public_region("westeurope", "AzureCloud", "location")
    _regions.check_public_region("anything", None, "location")  # custom clouds: not known here
    with pytest.raises(AzbError):
        _regions.check_public_region("westeurope", "AzureChinaCloud", "region")  # a region of another cloud


def test_answer_check_lists_what_the_answer_has():
    with pytest.raises(AzbError) as info:
        _regions.check_answer_region("westeurpoe", ["", "westeurope", "eastus", "westeurope"], "region", "the list")
    assert info.value.msg == ("region 'westeurpoe' is not a region of the list. Did you mean westeurope? "
                              "It has: eastus, westeurope.")
    _regions.check_answer_region("eastus", ["eastus"], "region", "the list")


def test_location_refusal_of_arm_is_translated():
    message = ("No registered resource provider found for location 'westeurpoe' and API version '2026-03-01' for "
               "type 'locations/serviceTags'. The supported api-versions are '%s'. The supported locations are "
               "'eastus, westeurope, West US'." % ", ".join("20%02d-01-01" % y for y in range(10, 99)))
    assert len(message) > 600  # longer than the first line errors keep: the locations come last
    err = mod.location_refused(400, "NoRegisteredProviderFound", message, "westeurpoe", "the cloud at https://stack")
    assert err.status == 400 and err.code == "NoRegisteredProviderFound"
    assert err.msg == ("location 'westeurpoe' is not a region where the cloud at https://stack serves service tags. "
                       "Did you mean westeurope? It serves: eastus, westeurope, westus.")
    other = "No registered resource provider found for location 'westeurope' and API version '1999-01-01'"
    assert mod.location_refused(400, "NoRegisteredProviderFound", other, "westeurpoe", "x") is None
    assert mod.location_refused(404, "SubscriptionNotFound", "gone", "westeurope", "x") is None


# ---- the module in-process -----------------------------------------------------------------------------------

ANSWER = {"changeNumber": "9", "cloud": "Public", "values": [
    {"name": "Storage", "id": "Storage", "properties": {"region": "", "addressPrefixes": ["192.0.2.0/24"]}},
    {"name": "Storage.WestEurope", "id": "Storage.WestEurope",
     "properties": {"region": "westeurope", "addressPrefixes": ["192.0.2.0/25"]}},
    {"name": "AzureActiveDirectory", "id": "AzureActiveDirectory", "properties": {"addressPrefixes": ["198.51.100.0/24"]}},
]}


class FakeClients:
    """Stands for AzureClients: counts the service tag reads and answers ANSWER (plus extra regional tags)."""

    reads = []
    extra = []

    def __init__(self, settings):
        self.settings = settings

    def network(self):
        return self

    @property
    def service_tags(self):
        return self

    def list(self, location, cls=None):
        FakeClients.reads.append(location)
        return dict(ANSWER, values=ANSWER["values"] + FakeClients.extra)


@pytest.fixture
def run(monkeypatch, service_principal_env):
    monkeypatch.setattr(_client, "AzureClients", FakeClients)
    monkeypatch.delenv("AZURE_CLOUD_ENVIRONMENT", raising=False)
    FakeClients.reads, FakeClients.extra = [], []
    return lambda args: run_module(mod, args)


@pytest.mark.parametrize("args,option", [
    ({"location": "westeurpoe"}, "location"),
    ({"location": "West Eurpoe"}, "location"),
    ({"location": "westeurope", "region": "westeurpoe"}, "region"),
    ({"location": "westeurope", "region": "chinanorth3"}, "region"),
    ({"location": "chinanorth3", "cloud_environment": "AzureChinaCloud", "region": "westeurope"}, "region"),
])
def test_public_cloud_unknown_region_fails_before_any_request(run, args, option):
    result = run(args)
    assert result["failed"] and result["msg"].startswith("UnknownRegion: %s '" % option), result["msg"]
    assert "az account list-locations" in result["msg"]
    assert FakeClients.reads == []


def test_typo_suggests_the_region_meant(run):
    result = run({"location": "westeurope", "region": "westeurpoe"})
    assert "Did you mean westeurope?" in result["msg"]


def test_region_without_regional_tags_in_the_answer_fails_after_the_read(run):
    # swedencentral is a region of AzureCloud, but the answer has no tag of it: never only the global tags.
    result = run({"location": "westeurope", "region": "swedencentral"})
    assert result["failed"] and FakeClients.reads == ["westeurope"]
    assert "region 'swedencentral' is not a region of the service tag list of AzureCloud" in result["msg"]
    assert "It has: westeurope." in result["msg"]


def test_unlisted_region_is_accepted_when_allowed_and_the_answer_has_it(run):
    result = run({"location": "westeurope", "region": "marsnorth"})
    assert result["failed"] and "allow_unlisted_region" in result["msg"] and FakeClients.reads == []
    result = run({"location": "westeurope", "region": "marsnorth", "allow_unlisted_region": True})
    assert result["failed"] and FakeClients.reads == ["westeurope"] and "It has: westeurope." in result["msg"]
    FakeClients.extra = [{"name": "Storage.MarsNorth", "id": "Storage.MarsNorth",
                          "properties": {"region": "marsnorth", "addressPrefixes": ["203.0.113.0/24"]}}]
    result = run({"location": "westeurope", "region": "marsnorth", "allow_unlisted_region": True,
                  "include_global": False})
    assert not result.get("failed"), result
    assert [t["name"] for t in result["service_tags"]] == ["Storage.MarsNorth"]


def test_custom_cloud_skips_the_table_and_the_answer_decides(run):
    args = {"location": "local", "region": "westeurope", "cloud_environment": "https://management.local.azurestack.external"}
    result = run(args)
    assert not result.get("failed"), result
    assert FakeClients.reads == ["local"]
    result = run(dict(args, region="local"))
    assert result["failed"] and "the cloud at https://management.local.azurestack.external" in result["msg"]


def test_valid_region_is_unchanged(run):
    result = run({"location": "West Europe", "region": "westeurope", "names": ["Storage"]})
    assert not result.get("failed"), result
    assert [t["name"] for t in result["service_tags"]] == ["Storage", "Storage.WestEurope"]
    assert FakeClients.reads == ["westeurope"]
