"""The pure helpers of the benchmark (tests/bench): request counting, minimums, ratios and the table."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "bench"))

import bench_common  # noqa: E402
import bench_scenarios as sc  # noqa: E402


def entry(kind, method="GET", is_write=False, fault=None):
    return {"kind": kind, "method": method, "is_write": is_write, "fault": fault, "path": "/a/b/c", "status": 200}


def test_count_requests_separates_reads_writes_polls_and_login():
    log = [entry("login", "POST"), entry("login"), entry("arm"), entry("arm", "PUT", True), entry("lro-poll"),
           entry("arm", fault="latency"), entry("metadata")]
    counts = bench_common.count_requests(log)
    assert counts == {"reads": 2, "writes": 1, "polls": 1, "login": 2, "other": 1, "faults": 0, "total_arm": 4}


def test_count_requests_counts_injected_faults_but_not_latency():
    counts = bench_common.count_requests([entry("arm", fault="429"), entry("arm", fault="latency")])
    assert counts["faults"] == 1


def test_minimum_of_operations():
    assert sc.minimum("nsg_rule", False, 3) == {"reads": 1, "writes": 0, "polls": 0}
    # Network PUT: read, write, polls, final GET of the resource.
    assert sc.minimum("nsg_rule", True, 3) == {"reads": 2, "writes": 1, "polls": 3}
    # Vault PUT: the last poll returns the vault.
    assert sc.minimum("vault", True, 1) == {"reads": 1, "writes": 1, "polls": 1}
    assert sc.minimum("nsg", True, 3, count=20) == {"reads": 40, "writes": 20, "polls": 60}


def test_meets_minimum():
    minimum = {"reads": 1, "writes": 0, "polls": 0}
    assert bench_common.meets_minimum({"reads": 1, "writes": 0, "polls": 0, "login": 2}, minimum)
    assert not bench_common.meets_minimum({"reads": 2, "writes": 0, "polls": 0}, minimum)


def test_ratio_is_theirs_over_ours_and_safe():
    assert bench_common.ratio(3.0, 1.0) == 3.0
    assert bench_common.ratio(None, 1.0) is None
    assert bench_common.ratio(1.0, 0) is None


def test_summarize_ignores_missing_values():
    summary = bench_common.summarize([3.0, None, 1.0, 2.0])
    assert summary["median"] == 2.0 and summary["n"] == 3 and summary["min"] == 1.0
    assert bench_common.summarize([None]) is None


def test_format_table_is_markdown():
    text = bench_common.format_table(["a", "bb"], [["1", None]])
    lines = text.splitlines()
    assert lines[0] == "| a | bb |"
    assert lines[1] == "|---|----|"
    assert lines[2] == "| 1 | -  |"


def test_rule_arguments_describe_the_same_rule_for_both_collections():
    rule = sc.backup_rule()
    ours = sc.ours_rule_args(rule)
    theirs = sc.theirs_rule_args(rule)
    assert ours["destination_address_prefixes"] == [theirs["destination_address_prefix"]] == ["AzureBackup"]
    assert ours["destination_port_ranges"] == [theirs["destination_port_range"]] == ["443"]
    for key in ("name", "priority", "direction", "access", "protocol"):
        assert ours[key] == theirs[key]


def test_fifty_rules_have_unique_priorities_and_names():
    rules = [sc.numbered_rule(i) for i in range(50)]
    assert len({r["priority"] for r in rules}) == 50
    assert len({r["name"] for r in rules}) == 50
    assert all(100 <= r["priority"] <= 4096 for r in rules)


def test_prepare_layout_is_20_vms_in_2_regions_with_a_vault_each():
    layout = sc.prepare_layout()
    assert len(layout["vms"]) == 20
    assert {vm["location"] for vm in layout["vms"]} == {"westeurope", "northeurope"}
    assert len(layout["nsgs"]) == 20 and len(layout["vaults"]) == 2
    assert [r["destination"] for r in sc.backup_path_rules("northeurope")] == [
        "AzureBackup", "Storage.NorthEurope", "AzureActiveDirectory"]
