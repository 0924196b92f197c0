"""NRP-side validation and ARM behaviour of NSGs and security rules (raw HTTPS)."""

import pytest
from sandbox_testlib import NETWORK_API, nsg_fixture, rule_body

SUB = "33333333-3333-3333-3333-333333333333"
NSG = f"/subscriptions/{SUB}/resourceGroups/rg1/providers/Microsoft.Network/networkSecurityGroups/nsg1"
EXISTING = {"name": "Existing", "properties": rule_body(300, "Outbound")["properties"]}


@pytest.mark.parametrize(
    ("name", "overrides", "code", "fragment"),
    [
        ("r", {"priority": 99}, "SecurityRuleInvalidPriority", "Value provided: 99 Allowed range 100-4096"),
        ("r", {"priority": 4097}, "SecurityRuleInvalidPriority", "4097"),
        ("r", {"priority": 300}, "SecurityRuleConflict", "Security rule r conflicts with rule Existing"),
        ("r", {"destinationPortRange": "70000"}, "SecurityRuleInvalidPortRange", "Value provided: 70000"),
        ("r", {"destinationPortRange": "443-80"}, "SecurityRuleInvalidPortRange", "443-80"),
        ("r", {"sourceAddressPrefix": "10.0.0.0/33"}, "SecurityRuleInvalidAddressPrefix", "10.0.0.0/33"),
        ("r", {"sourceAddressPrefix": "NotATag"}, "SecurityRuleInvalidAddressPrefix", "NotATag"),
        ("r", {"destinationAddressPrefix": None, "destinationAddressPrefixes": ["10.0.0.0/8", "Internet"]},
         "SecurityRuleParameterContainsUnsupportedValue", "Unsupported value used: Internet"),
        ("r", {"sourceAddressPrefix": "10.0.0.0/8", "destinationAddressPrefix": "2001:db8::/32"},
         "ResourceCannotContainAddressPrefixesFromDifferentAddressFamilies", "different address families"),
        ("r", {"sourceAddressPrefixes": ["10.0.0.0/8"]}, "InvalidRequestFormat", "sourceAddressPrefix"),
        ("-bad", {}, "InvalidResourceName", "Resource name -bad is invalid"),
        ("r", {"protocol": "Sctp"}, "SecurityRuleParameterContainsUnsupportedValue", "Sctp"),
    ],
)
def test_rule_validation(sandbox, arm, name, overrides, code, fragment):
    sandbox.control.load_fixtures(nsg_fixture(rules=[EXISTING]))
    status, headers, body = arm.send("PUT", f"{NSG}/securityRules/{name}", rule_body(**overrides),
                                     api_version=NETWORK_API)
    assert status == 400, body
    assert body["error"]["code"] == code
    assert fragment in body["error"]["message"]
    assert "Retry-After" not in headers  # or azure-core would retry a client error
    status, _unused, listed = arm.send("GET", f"{NSG}/securityRules", api_version=NETWORK_API)
    assert [r["name"] for r in listed["value"]] == ["Existing"]


def test_rule_count_limit(sandbox, arm):
    rules = [{"name": f"r{i}", **rule_body(100 + i, "Inbound")} for i in range(1000)]
    sandbox.control.load_fixtures(nsg_fixture(rules=rules))
    status, _unused, body = arm.send("PUT", f"{NSG}/securityRules/one-more", rule_body(200, "Outbound"),
                                     api_version=NETWORK_API)
    assert (status, body["error"]["code"]) == (400, "SecurityRuleCountLimitReached")


def test_lro_headers_and_poll_counting(sandbox, arm):
    sandbox.control.load_fixtures(nsg_fixture())
    sandbox.control.set_faults(lro_polls=3, lro_retry_after=2)
    status, headers, body = arm.send("PUT", f"{NSG}/securityRules/r1", rule_body(), api_version=NETWORK_API)
    assert status == 201 and body["properties"]["provisioningState"] == "Updating"
    assert headers["Retry-After"] == "2"
    monitor = headers["Azure-AsyncOperation"]
    assert "/providers/Microsoft.Network/locations/westeurope/operations/" in monitor
    path = monitor[len(sandbox.url):]
    assert [arm.send("GET", path)[2]["status"] for _unused in range(3)] == ["InProgress", "InProgress", "Succeeded"]
    _unused, _unused, rule = arm.send("GET", f"{NSG}/securityRules/R1", api_version=NETWORK_API)
    assert rule["name"] == "r1" and rule["properties"]["provisioningState"] == "Succeeded"

    sandbox.control.set_faults(lro_polls=1, lro_retry_after=0.2)
    status, headers, _unused = arm.send("DELETE", f"{NSG}/securityRules/r1", api_version=NETWORK_API)
    assert status == 202 and "Location" in headers and "Azure-AsyncOperation" in headers
    assert headers["retry-after-ms"] == "200" and "Retry-After" not in headers
    status, _unused, _unused = arm.send("GET", headers["Location"][len(sandbox.url):])
    assert status == 204
    assert arm.send("DELETE", f"{NSG}/securityRules/r1", api_version=NETWORK_API)[0] == 204


def test_if_match_on_child_rule(sandbox, arm):
    sandbox.control.load_fixtures(nsg_fixture(rules=[EXISTING]))
    _unused, _unused, rule = arm.send("GET", f"{NSG}/securityRules/Existing", api_version=NETWORK_API)
    status, _unused, body = arm.send("PUT", f"{NSG}/securityRules/Existing", rule_body(300),
                                     headers={"If-Match": 'W/"00000000-0000-0000-0000-000000000000"'},
                                     api_version=NETWORK_API)
    assert (status, body["error"]["code"]) == (412, "PreconditionFailed")
    status, _unused, _unused = arm.send("DELETE", f"{NSG}/securityRules/Existing", headers={"If-Match": rule["etag"]},
                                        api_version=NETWORK_API)
    assert status == 202


def test_default_rules_and_errors(sandbox, arm):
    sandbox.control.load_fixtures(nsg_fixture())
    _unused, _unused, defaults = arm.send("GET", f"{NSG}/defaultSecurityRules", api_version=NETWORK_API)
    got = {(r["name"], r["properties"]["priority"], r["properties"]["direction"]) for r in defaults["value"]}
    assert got == {
        ("AllowVnetInBound", 65000, "Inbound"), ("AllowAzureLoadBalancerInBound", 65001, "Inbound"),
        ("DenyAllInBound", 65500, "Inbound"), ("AllowVnetOutBound", 65000, "Outbound"),
        ("AllowInternetOutBound", 65001, "Outbound"), ("DenyAllOutBound", 65500, "Outbound"),
    }
    assert arm.send("GET", NSG)[2]["error"]["code"] == "MissingApiVersionParameter"
    assert arm.send("GET", NSG, api_version="2099-01-01")[2]["error"]["code"] == "InvalidApiVersionParameter"
    missing_rg = NSG.replace("/rg1/", "/nope/")
    assert arm.send("GET", missing_rg, api_version=NETWORK_API)[2]["error"]["code"] == "ResourceGroupNotFound"
    missing_sub = NSG.replace(SUB, "44444444-4444-4444-4444-444444444444")
    assert arm.send("GET", missing_sub, api_version=NETWORK_API)[2]["error"]["code"] == "SubscriptionNotFound"
    status, _unused, body = arm.send("GET", NSG.replace("nsg1", "nsg2"), api_version=NETWORK_API)
    assert (status, body["error"]["code"]) == (404, "ResourceNotFound")
    lower = NSG.lower().replace("/subscriptions/", "/SUBSCRIPTIONS/")
    assert arm.send("GET", lower, api_version=NETWORK_API)[2]["name"] == "nsg1"
    status, headers, body = arm.send("GET", NSG, api_version=NETWORK_API, auth=False)
    assert (status, body["error"]["code"]) == (401, "AuthenticationFailed")
    assert headers["WWW-Authenticate"].startswith("Bearer authorization_uri=")


def test_nsg_in_use_cannot_be_deleted(sandbox, arm):
    sandbox.control.load_fixtures(nsg_fixture())
    sandbox.control.load_fixtures({"virtual_networks": [{"resource_group": "rg1", "name": "vnet1", "subnets": [
        {"name": "s1", "address_prefix": "10.0.1.0/24", "network_security_group": "nsg1"}]}]})
    status, _unused, body = arm.send("DELETE", NSG, api_version=NETWORK_API)
    assert (status, body["error"]["code"]) == (400, "InUseNetworkSecurityGroupCannotBeDeleted")
    _unused, _unused, nsg = arm.send("GET", NSG, api_version=NETWORK_API)
    assert nsg["properties"]["subnets"][0]["id"].endswith("/virtualNetworks/vnet1/subnets/s1")
