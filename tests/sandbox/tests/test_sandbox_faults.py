"""Fault injection: the real SDK rides through throttling, 5xx and dropped connections; the sandbox plays the hostile
parts of real ARM (busy without Retry-After, busy final states, busy windows, lost answers of applied writes)."""

import http.client
import time

from azure.core.exceptions import HttpResponseError, ServiceResponseError
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


# ---- hostile ARM: busy without Retry-After, busy final states, busy windows, lost answers --------------------


def _rule_path(name):
    return f"{NSG}/securityRules/{name}"


def _relative(url):
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def _rule_names(arm):
    status, _unused, body = arm.send("GET", f"{NSG}/securityRules", api_version=NETWORK_API)
    assert status == 200, body
    return sorted(r["name"] for r in body["value"])


def test_busy_409_without_retry_after_changes_nothing(sandbox, arm, clients):
    sandbox.control.load_fixtures(nsg_fixture())
    sandbox.control.set_faults(busy_rate=1.0)
    status, headers, body = arm.send("PUT", _rule_path("r1"), rule_body(), api_version=NETWORK_API)
    assert status == 409 and body["error"]["code"] == "AnotherOperationInProgress"
    assert not {k.lower() for k in headers} & {"retry-after", "retry-after-ms", "x-ms-retry-after-ms"}
    # Reads are never busy; azure-core's default policy does not retry a 409 without Retry-After.
    assert clients.network.network_security_groups.get("rg1", "nsg1").name == "nsg1"
    try:
        clients.network.security_rules.begin_create_or_update("rg1", "nsg1", "r2", _rule(300)).result()
    except HttpResponseError as exc:
        assert exc.status_code == 409 and exc.error.code == "AnotherOperationInProgress"
    else:
        raise AssertionError("a busy 409 must reach the caller")
    writes = [e for e in sandbox.control.requests() if e["method"] == "PUT"]
    assert [e["fault"] for e in writes] == ["busy", "busy"]
    sandbox.control.set_faults(busy_rate=1.0, busy_retry_after_rate=1.0, retry_after=2)
    status, headers, _unused = arm.send("DELETE", _rule_path("r1"), api_version=NETWORK_API)
    assert status == 409 and headers["Retry-After"] == "2"
    sandbox.control.clear_faults()
    assert _rule_names(arm) == []  # the busy writes changed nothing


def test_busy_final_state_of_an_accepted_write_undoes_it(sandbox, arm, clients):
    sandbox.control.load_fixtures(nsg_fixture(rules=[{"name": "keep", **rule_body(100)}]))
    sandbox.control.set_faults(busy_lro_rate=1.0, busy_lro_codes=["RetryableErrorDueToAnotherOperation"])
    status, headers, body = arm.send("PUT", _rule_path("r1"), rule_body(), api_version=NETWORK_API)
    assert status == 201 and body["properties"]["provisioningState"] == "Updating"
    monitor = headers["Azure-AsyncOperation"]
    assert _rule_names(arm) == ["keep"]  # not applied, not even while the operation runs
    status, _unused, op = arm.send("GET", _relative(monitor))
    assert status == 200 and op["status"] == "Failed"
    assert op["error"]["code"] == "RetryableErrorDueToAnotherOperation"

    sandbox.control.set_faults(busy_lro_rate=1.0, busy_lro_codes=["AnotherOperationInProgress"])
    for begin in (lambda: clients.network.security_rules.begin_create_or_update("rg1", "nsg1", "r2", _rule(300)),
                  lambda: clients.network.security_rules.begin_delete("rg1", "nsg1", "keep")):
        poller = begin()
        try:
            poller.result()
        except HttpResponseError as exc:
            assert exc.error.code == "AnotherOperationInProgress", exc
        else:
            raise AssertionError("the operation must end Failed")
    assert _rule_names(arm) == ["keep"]
    assert [e["fault"] for e in sandbox.control.requests() if e["kind"] == "arm" and e["is_write"]] == \
        ["busy-lro"] * 3
    sandbox.control.clear_faults()
    clients.network.security_rules.begin_create_or_update("rg1", "nsg1", "r2", _rule(300)).result()
    assert _rule_names(arm) == ["keep", "r2"]


def test_nsg_busy_window_after_each_write(sandbox, arm):
    sandbox.control.load_fixtures(nsg_fixture())
    sandbox.control.load_fixtures(nsg_fixture(nsg="other"))
    sandbox.control.set_faults(nsg_busy_seconds=1.5, lro_polls=0)
    started = time.monotonic()
    status, _unused, _body = arm.send("PUT", _rule_path("r1"), rule_body(200), api_version=NETWORK_API)
    assert status == 201
    # The writer's operation is over, but the NSG stays busy for the window: every other write is refused.
    status, headers, body = arm.send("PUT", _rule_path("r2"), rule_body(201), api_version=NETWORK_API)
    assert status == 409 and body["error"]["code"] == "AnotherOperationInProgress", body
    assert "/operations/" in body["error"]["message"] and "Retry-After" not in headers
    for method, path, payload in (("DELETE", _rule_path("r1"), None), ("PATCH", NSG, {"tags": {"a": "b"}})):
        status, _unused, body = arm.send(method, path, payload, api_version=NETWORK_API)
        assert status == 409, (method, body)
    # Reads and other NSGs are not affected.
    assert _rule_names(arm) == ["r1"]
    other = NSG.replace("/nsg1", "/other")
    assert arm.send("PUT", f"{other}/securityRules/x", rule_body(200), api_version=NETWORK_API)[0] == 201
    window = [e["fault"] for e in sandbox.control.requests() if e["status"] == 409]
    assert window == ["busy-window"] * 3  # logged as faults: tests that count requests leave them out
    time.sleep(max(0.0, 1.6 - (time.monotonic() - started)))
    assert arm.send("PUT", _rule_path("r2"), rule_body(201), api_version=NETWORK_API)[0] == 201
    # A rule DELETE opens a window too.
    sandbox.control.set_faults(nsg_busy_seconds=0.3)
    assert arm.send("PUT", _rule_path("r3"), rule_body(202), api_version=NETWORK_API)[0] == 409
    time.sleep(1.6)
    assert arm.send("DELETE", _rule_path("r2"), api_version=NETWORK_API)[0] == 202
    assert arm.send("PUT", _rule_path("r3"), rule_body(202), api_version=NETWORK_API)[0] == 409
    sandbox.control.set_faults(busy_retry_after_rate=1.0, retry_after=0.05)
    status, headers, _unused = arm.send("PUT", _rule_path("r3"), rule_body(202), api_version=NETWORK_API)
    assert status == 409 and headers["Retry-After"] == "1"


def test_lost_answers_hide_writes_that_landed(sandbox, arm, clients):
    sandbox.control.load_fixtures(nsg_fixture())
    sandbox.control.set_faults(lost_answer_rate=1.0, lost_answer_kinds=["drop"], lro_polls=0)
    try:
        arm.send("PUT", _rule_path("dropped"), rule_body(200), api_version=NETWORK_API)
    except (OSError, http.client.HTTPException):
        pass
    else:
        raise AssertionError("the answer should have been lost")
    sandbox.control.set_faults(lost_answer_kinds=[500])
    status, _unused, body = arm.send("PUT", _rule_path("five-hundred"), rule_body(201), api_version=NETWORK_API)
    assert status == 500 and body["error"]["code"] == "InternalServerError"
    # GETs are never lost answers.
    assert _rule_names(arm) == ["dropped", "five-hundred"]  # both writes landed
    status, _unused, body = arm.send("DELETE", _rule_path("dropped"), api_version=NETWORK_API)
    assert status == 500
    assert _rule_names(arm) == ["five-hundred"]
    lost = [e for e in sandbox.control.requests() if e["fault"] in ("lost-drop", "lost-500")]
    assert [(e["method"], e["fault"], e["status"], e["applied_status"]) for e in lost] == [
        ("PUT", "lost-drop", None, 201), ("PUT", "lost-500", 500, 201), ("DELETE", "lost-500", 500, 202)]
    # A plain SDK client sees an error for a write that landed; a transport replay of a create then answers 200.
    try:
        clients.network.security_rules.begin_create_or_update("rg1", "nsg1", "sdk", _rule(300)).result()
    except (HttpResponseError, ServiceResponseError):
        pass
    sandbox.control.clear_faults()
    assert "sdk" in _rule_names(arm)


def test_old_sdk_api_versions_are_accepted(sandbox, arm):
    """api-versions the oldest allowed SDKs send: azure-mgmt-network 28.0.0 (2024-03-01), azure-mgmt-recoveryservices
    3.0.0 (2024-04-01), azure-mgmt-compute 33.0.0 (virtual machines 2024-07-01), azure-mgmt-core's provider
    registration (2016-02-01)."""
    sandbox.control.load_fixtures(nsg_fixture())
    sub = NSG.split("/")[2]
    checks = [
        ("GET", NSG, "2024-03-01"),
        ("PUT", _rule_path("old"), "2024-03-01"),
        ("GET", f"/subscriptions/{sub}/providers/Microsoft.Network/locations/westeurope/serviceTags", "2024-03-01"),
        ("GET", f"/subscriptions/{sub}/providers/Microsoft.RecoveryServices/vaults", "2024-04-01"),
        ("GET", f"/subscriptions/{sub}/resourceGroups/rg1/providers/Microsoft.RecoveryServices/vaults", "2024-04-01"),
        ("GET", f"/subscriptions/{sub}/providers/Microsoft.Compute/virtualMachines", "2024-07-01"),
        ("GET", f"/subscriptions/{sub}/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines", "2024-07-01"),
        ("GET", f"/subscriptions/{sub}/providers/Microsoft.Network", "2016-02-01"),
    ]
    for method, path, version in checks:
        status, _unused, body = arm.send(method, path, rule_body() if method == "PUT" else None, api_version=version)
        assert status in (200, 201), (path, version, body)
