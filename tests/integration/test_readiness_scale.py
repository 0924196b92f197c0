"""Scale of backup_readiness_info: 50 and 1,000 VMs with 50 ms latency per request.

Asserted: request counts (at most 1.1 ARM requests per VM; lists only where the subscription-wide list carries the
instance views; at most one instance-view GET per VM). Times are printed, never asserted.
"""

import math

import pytest
from readiness_bench import line, measure


@pytest.mark.parametrize("n", [50, 1000])
def test_subscription_scope(collections_path, sandbox, capsys, n):
    figures = measure(collections_path, sandbox, n, "subscription")
    with capsys.disabled():
        print("\n" + line(figures))
    assert figures["vms"] == n
    assert figures["requests"] <= 1.1 * n
    assert figures["list_requests"] <= 3 * math.ceil(n * 1.04 / 50) + 3
    # Instance views came with ListAll?statusOnly=true: list pages only, no GET per VM.
    assert figures["instance_view_gets"] == 0
    assert figures["module_reported_requests"] == figures["requests"]
    assert figures["summary"]["pass"] + figures["summary"]["warn"] + figures["summary"]["fail"] == n


@pytest.mark.parametrize("n", [50, 1000])
def test_one_resource_group(collections_path, sandbox, capsys, n):
    figures = measure(collections_path, sandbox, n, "one-group")
    with capsys.disabled():
        print("\n" + line(figures))
    assert figures["vms"] == n
    # Lists grow with pages (50 items a page: VMs, NICs; one page of VNets, NSGs, vaults), plus one GET per VM.
    assert figures["list_requests"] <= 2 * math.ceil(n * 1.04 / 50) + 3
    if n >= 1000:
        assert figures["requests"] <= 1.1 * n
    assert figures["instance_view_gets"] == n  # one per VM, never one per VM per check
    names = [vm["name"] for vm in figures["result"]["vms"]]
    assert len(set(names)) == n
