"""Long-running operations end on the clock, whoever polls (as on Azure)."""

import time

from sandbox_testlib import NETWORK_API, VAULT_API, nsg_fixture, rule_body

SUB = "/subscriptions/33333333-3333-3333-3333-333333333333/resourceGroups"
NSG = f"{SUB}/rg1/providers/Microsoft.Network/networkSecurityGroups/nsg1"
VAULT = f"{SUB}/rg1/providers/Microsoft.RecoveryServices/vaults/rsv1"


def test_lro_finishes_on_the_clock_without_any_poll(sandbox, arm):
    sandbox.control.load_fixtures(nsg_fixture())
    # Two polls 0.2 s apart would see the end: the operation takes 0.4 s, far below the 60 s cap.
    sandbox.control.set_faults(lro_polls=2, lro_retry_after=0.2, lro_max_seconds=60)
    status, _unused, body = arm.send("PUT", f"{NSG}/securityRules/r1", rule_body(), api_version=NETWORK_API)
    assert (status, body["properties"]["provisioningState"]) == (201, "Updating")
    status, _unused, body = arm.send("PUT", VAULT, {"location": "westeurope", "sku": {"name": "Standard"}},
                                     api_version=VAULT_API)
    assert (status, body["properties"]["provisioningState"]) == (201, "Creating")
    assert arm.send("GET", f"{NSG}/securityRules/r1", api_version=NETWORK_API)[2]["properties"][
        "provisioningState"] == "Updating"
    time.sleep(0.6)
    rule = arm.send("GET", f"{NSG}/securityRules/r1", api_version=NETWORK_API)[2]
    assert rule["properties"]["provisioningState"] == "Succeeded"
    assert arm.send("GET", NSG, api_version=NETWORK_API)[2]["properties"]["provisioningState"] == "Succeeded"
    assert arm.send("GET", VAULT, api_version=VAULT_API)[2]["properties"]["provisioningState"] == "Succeeded"
    assert sandbox.control.requests(kind="lro-poll") == []
    # The NSG is no longer busy: the next write is accepted at once.
    status, _unused, _unused = arm.send("PUT", f"{NSG}/securityRules/r2", rule_body(300), api_version=NETWORK_API)
    assert status == 201


def test_lro_max_seconds_caps_the_duration(sandbox, arm):
    sandbox.control.load_fixtures(nsg_fixture())
    sandbox.control.set_faults(lro_polls=50, lro_retry_after=1, lro_max_seconds=0.3)
    arm.send("PUT", f"{NSG}/securityRules/r1", rule_body(), api_version=NETWORK_API)
    time.sleep(0.5)
    rule = arm.send("GET", f"{NSG}/securityRules/r1", api_version=NETWORK_API)[2]
    assert rule["properties"]["provisioningState"] == "Succeeded"
