"""service_tags_info and regions (issue 13): a region Azure does not know is a clear error naming the option, never
a list of only the global tags. Public clouds: checked against the collection's table before any request. Custom
clouds (the sandbox is reached as one, by its Resource Manager URL): Azure's answer decides, after one read."""

import json

from conftest import arm_requests

TAGS = {"location": "westeurope", "names": ["AzureBackup", "Storage", "AzureActiveDirectory"], "region": "westeurope"}


def _clean(result):
    assert result.get("failed"), result
    assert "Traceback" not in json.dumps(result), result
    return result["msg"]


def test_public_cloud_region_typo_fails_with_no_request(run, sandbox):
    # cloud_environment AzureCloud: the table of public regions decides before anything is sent (no discovery,
    # no token, no read); the sandbox log stays empty.
    result = run.module("service_tags_info", dict(TAGS, region="westeurpoe", cloud_environment="AzureCloud"))
    msg = _clean(result)
    assert "region 'westeurpoe' is not a region of AzureCloud" in msg and "Did you mean westeurope" in msg
    assert "az account list-locations" in msg and "allow_unlisted_region" in msg
    result = run.module("service_tags_info", dict(TAGS, location="West Eurpoe", cloud_environment="AzureCloud"))
    msg = _clean(result)
    assert "location 'westeurpoe' is not a region of AzureCloud" in msg and "Did you mean westeurope" in msg
    assert sandbox.control.requests() == []


def test_custom_cloud_region_typo_fails_after_one_read(run, sandbox):
    result = run.module("service_tags_info", dict(TAGS, region="westeurpoe"))
    msg = _clean(result)
    assert "region 'westeurpoe' is not a region of the service tag list of the cloud at https://" in msg
    assert "Did you mean westeurope?" in msg
    assert "It has: australiaeast, canadacentral, centralindia, eastus, francecentral, germanywestcentral, japaneast, " \
           "northeurope, southeastasia, uksouth, westeurope, westus2." in msg
    assert "service_tags" not in result
    reads = arm_requests(sandbox)
    assert len(reads) == 1 and "serviceTags" in reads[0]["path"]


def test_custom_cloud_region_without_tags_is_not_answered_with_global_tags_only(run, sandbox):
    # swedencentral is served by the sandbox's tag API but has no regional tags there (like a region just opened).
    result = run.module("service_tags_info", dict(TAGS, location="swedencentral", region="swedencentral"))
    msg = _clean(result)
    assert "region 'swedencentral' is not a region of the service tag list" in msg
    assert len(arm_requests(sandbox)) == 1


def test_custom_cloud_location_typo_is_refused_by_arm_and_named(run, sandbox):
    result = run.module("service_tags_info", dict(TAGS, location="westeurpoe"))
    msg = _clean(result)
    assert result.get("status_code") == 400 and result.get("error_code") == "NoRegisteredProviderFound"
    assert "location 'westeurpoe' is not a region where the cloud at https://" in msg
    assert "Did you mean westeurope?" in msg and "It serves: " in msg
    reads = [r for r in sandbox.control.requests() if r.get("kind") == "arm"]
    assert len(reads) == 1 and reads[0].get("status") == 400


def test_valid_region_is_unchanged(run, sandbox):
    result = run.module("service_tags_info", dict(TAGS, include_global=False, ip_version="ipv4"))
    assert not result.get("failed"), result
    assert sorted(t["name"] for t in result["service_tags"]) == ["AzureBackup.WestEurope", "Storage.WestEurope"]
    assert all(t["region"] == "westeurope" for t in result["service_tags"])
    assert all("." in p for t in result["service_tags"] for p in t["address_prefixes"])
    assert len(arm_requests(sandbox)) == 1
