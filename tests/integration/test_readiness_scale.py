"""Scale of backup_readiness_info: 50 and 1,000 VMs with 50 ms latency per request.

Asserted: request counts (lists only: the VM lists carry the instance views through $expand=instanceView, so no
instance-view GET per VM, whatever the scope). Times are printed, never asserted.
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
    assert figures["list_requests"] <= 2 * math.ceil(n * 1.04 / 50) + 3
    # Instance views came with the VM list ($expand=instanceView): list pages only, no statusOnly list, no GET per VM.
    assert figures["instance_view_gets"] == 0
    assert figures["module_reported_requests"] == figures["requests"]
    assert figures["summary"]["pass"] + figures["summary"]["warn"] + figures["summary"]["fail"] == n


@pytest.mark.parametrize("n", [50, 1000])
def test_one_resource_group(collections_path, sandbox, capsys, n):
    figures = measure(collections_path, sandbox, n, "one-group")
    with capsys.disabled():
        print("\n" + line(figures))
    assert figures["vms"] == n
    # Lists grow with pages (50 items a page: VMs, NICs; one page of VNets, NSGs, vaults); the group's VM list
    # carries the instance views ($expand=instanceView), so no GET per VM.
    assert figures["list_requests"] <= 2 * math.ceil(n * 1.04 / 50) + 3
    assert figures["requests"] == figures["list_requests"]
    assert figures["instance_view_gets"] == 0
    names = [vm["name"] for vm in figures["result"]["vms"]]
    assert len(set(names)) == n
