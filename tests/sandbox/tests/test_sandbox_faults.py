"""Fault injection: the real SDK rides through throttling, 5xx and dropped connections."""

import time

from azure.mgmt.network.models import SecurityRule
from sandbox_testlib import NETWORK_API, nsg_fixture, rule_body

NSG = ("/subscriptions/33333333-3333-3333-3333-333333333333/resourceGroups/rg1/providers/Microsoft.Network/"
       "networkSecurityGroups/nsg1")


def _rule(priority):
    return SecurityRule(protocol="Tcp", access="Allow", direction="Outbound", priority=priority,
                        source_address_prefix="VirtualNetwork", destination_address_prefix="Storage",
                        source_port_range="*", destination_port_range="443")


def test_sdk_completes_with_random_faults(sandbox, clients):
    sandbox.control.load_fixtures(nsg_fixture())
    sandbox.control.set_faults(fault_rate=0.3, seed=11, retry_after=0.02)
    net = clients.network
    for i in range(6):
        net.security_rules.begin_create_or_update("rg1", "nsg1", f"rule{i}", _rule(200 + i)).result()
    net.security_rules.begin_delete("rg1", "nsg1", "rule0").result()
    assert sorted(r.name for r in net.security_rules.list("rg1", "nsg1")) == [f"rule{i}" for i in range(1, 6)]
    tags = net.service_tags.list("westeurope")
    assert tags.values_property
    log = sandbox.control.requests()
    faulted = [e for e in log if e["fault"] in ("429", "500", "503")]
    assert faulted, "seeded fault_rate=0.3 should inject some faults"
    assert {e["status"] for e in faulted} <= {429, 500, 503}
    assert all(e["kind"] != "login" for e in faulted)  # apply_to defaults to "arm"
    # A faulted write never had an effect: every rule was created exactly once (one 201 per rule).
    created = [e for e in log if e["method"] == "PUT" and e["status"] == 201]
    assert len(created) == 6


def test_fault_responses_are_arm_shaped(sandbox, arm):
    sandbox.control.load_fixtures(nsg_fixture())
    sandbox.control.set_faults(fault_rate=1.0, fault_statuses=[429], retry_after=3)
    status, headers, body = arm.send("PUT", f"{NSG}/securityRules/r1", rule_body(), api_version=NETWORK_API)
    assert status == 429 and body["error"]["code"] == "SubscriptionRequestsThrottled"
    assert headers["Retry-After"] == "3"
    sandbox.control.set_faults(fault_rate=1.0, fault_statuses=[503], retry_after=0.05)
    status, headers, body = arm.send("GET", NSG, api_version=NETWORK_API)
    assert status == 503 and body["error"]["code"] == "ServiceUnavailable"
    assert headers["retry-after-ms"] == "50"
    sandbox.control.clear_faults()
    status, _unused, rules = arm.send("GET", f"{NSG}/securityRules", api_version=NETWORK_API)
    assert status == 200 and rules["value"] == []  # the faulted PUT changed nothing
    assert sandbox.control.state()["resource_groups"]  # control calls are never faulted


def test_dropped_connections_are_retried(sandbox, clients):
    sandbox.control.load_fixtures(nsg_fixture())
    sandbox.control.set_faults(drop_rate=0.3, seed=5)
    for _unused in range(8):
        assert clients.network.network_security_groups.get("rg1", "nsg1").name == "nsg1"
    drops = [e for e in sandbox.control.requests() if e["fault"] == "drop"]
    assert drops and all(e["status"] is None for e in drops)


def test_lro_poll_drops_and_latency(sandbox, clients):
    sandbox.control.load_fixtures(nsg_fixture())
    # Seed 1 drops the very first status poll: operations also end on the clock (3 x 50 ms here), so on a busy
    # machine a later poll may never happen.
    sandbox.control.set_faults(lro_drop_rate=0.5, lro_polls=3, seed=1, latency_ms=20)
    started = time.monotonic()
    rule = clients.network.security_rules.begin_create_or_update("rg1", "nsg1", "r1", _rule(300)).result()
    assert rule.provisioning_state == "Succeeded"
    log = sandbox.control.requests()
    assert time.monotonic() - started >= 0.02 * len([e for e in log if e["kind"] != "login"])
    assert any(e["kind"] == "lro-poll" and e["fault"] == "drop" for e in log)
    assert all(e["fault"] in ("latency", "drop") for e in log if e["kind"] != "login")
