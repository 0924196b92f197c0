"""Stress: concurrent writers on one NSG, and transient faults. Nothing may be lost and everything must converge.

The concurrency test plays real Azure's NSG busy window: every NSG write (a rule PUT or DELETE, an NSG PUT) keeps
the NSG busy for BUSY_SECONDS, and meanwhile every other write gets 409 AnotherOperationInProgress, half of them
without Retry-After. 22 writers need at least 22 x BUSY_SECONDS; the test takes two to three minutes.
"""

import json
import os
import subprocess
import sys
import time

from conftest import arm_requests
from nsg_helpers import NSG, PRE_EXISTING, RG, load_nsg, rules_by_name, shape, task

PARALLEL = 20
BATCHES = 2
BATCH_SIZE = 10
BUSY_SECONDS = 3.0


def _strip(props):
    return {k: v for k, v in props.items() if k != "provisioningState"}


def _playbook_process(run, play, inventory, extra=()):
    path = run.tmp_path / ("play-%d.json" % (time.monotonic_ns()))
    path.write_text(json.dumps(play))
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", inventory, str(path), *extra]
    return subprocess.Popen(cmd, env=run.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _results(proc):
    out, err = proc.communicate(timeout=600)
    try:
        doc = json.loads(out[out.index("{"):])
    except ValueError:
        raise AssertionError("not JSON (rc %s):\n%s\n%s" % (proc.returncode, out[-3000:], err[-6000:]))
    results = {}
    for task_doc in doc["plays"][0]["tasks"]:
        results.update(task_doc["hosts"])
    return results


def test_concurrent_nsg_rule_forks_and_nsg_rules_runs(run, sandbox):
    load_nsg(sandbox)
    existing = {r["name"]: _strip(p) for r, p in
                ((r, p) for r in PRE_EXISTING for p in [rules_by_name(sandbox)[r["name"]]])}
    sandbox.control.set_faults(nsg_busy_seconds=BUSY_SECONDS, busy_retry_after_rate=0.5)

    # 20 hosts, all local, each managing its own rule: one playbook with forks=20.
    inventory = run.tmp_path / "hosts.ini"
    lines = ["[writers]"] + ["w%02d idx=%d" % (i, i) for i in range(PARALLEL)]
    lines += ["[writers:vars]", "ansible_connection=local", "ansible_python_interpreter=%s" % sys.executable]
    inventory.write_text("\n".join(lines) + "\n")
    forks_play = [{"name": "parallel rule writers", "hosts": "writers", "gather_facts": False, "tasks": [
        task("nsg_rule", {"resource_group": RG, "security_group": NSG, "name": "par-{{ inventory_hostname }}",
                          "direction": "Inbound", "access": "Allow", "protocol": "Tcp",
                          "source_address_prefixes": ["10.9.{{ idx }}.0/24"], "destination_address_prefixes": ["*"],
                          "destination_port_ranges": ["{{ 8000 + idx | int }}"], "priority": "{{ 1000 + idx | int }}"}),
    ]}]
    batch_plays = []
    for b in range(BATCHES):
        rules = [{"name": "batch%d-%02d" % (b, i), "direction": "Outbound", "access": "Allow", "protocol": "Tcp",
                  "source_address_prefixes": ["*"],
                  "destination_address_prefixes": ["10.%d.%d.0/24" % (20 + b, i)], "destination_port_ranges": [443],
                  "priority": 2000 + 100 * b + i} for i in range(BATCH_SIZE)]
        batch_plays.append((rules, [{"name": "batch %d" % b, "hosts": "localhost", "gather_facts": False,
                                     "connection": "local", "tasks": [
                                         task("nsg_rules", {"resource_group": RG, "security_group": NSG,
                                                            "rules": rules})]}]))

    started = time.monotonic()
    procs = [_playbook_process(run, forks_play, str(inventory), extra=("-f", str(PARALLEL)))]
    procs += [_playbook_process(run, play, "localhost,") for _rules, play in batch_plays]
    results = [_results(p) for p in procs]
    elapsed = time.monotonic() - started

    # Every run succeeded, and every writer reports the change it made (no false "changed: false").
    forks = results[0]
    assert sorted(forks) == ["w%02d" % i for i in range(PARALLEL)], sorted(forks)
    failures = {host: r.get("msg") for host, r in forks.items() if r.get("failed") or r.get("unreachable")}
    unchanged = sorted(host for host, r in forks.items() if host not in failures and not r.get("changed"))
    for (_rules, _play), result in zip(batch_plays, results[1:]):
        result = result["localhost"]
        if result.get("failed"):
            failures["batch %s" % _rules[0]["name"]] = result.get("msg")
        elif not result.get("changed"):
            unchanged.append("batch %s" % _rules[0]["name"])

    log = arm_requests(sandbox)
    # The busy window's 409s are logged as faults (fault "busy-window"), so arm_requests() leaves them out.
    busy = [e for e in sandbox.control.requests() if e.get("kind") == "arm" and e.get("status") == 409]
    stale = [e for e in log if e.get("status") == 412]
    writes = [e for e in log if e.get("is_write") and e.get("status") and e["status"] < 300]
    print("\nconcurrency with a %.0f s busy window: %.1fs, %d ARM requests, %d writes applied, %d answered 409 "
          "AnotherOperationInProgress, %d answered 412, %d runs failed, %d false changed=false"
          % (BUSY_SECONDS, elapsed, len(log), len(writes), len(busy), len(stale), len(failures), len(unchanged)))
    assert not failures, failures
    assert not unchanged, unchanged

    # Every rule present, with its own properties; the pre-existing rules untouched; nothing else.
    state = rules_by_name(sandbox)
    expected = {"par-w%02d" % i for i in range(PARALLEL)}
    for rules, _play in batch_plays:
        expected |= {r["name"] for r in rules}
    assert expected <= set(state), sorted(expected - set(state))
    assert len(state) == len(expected) + len(existing), sorted(set(state) - expected - set(existing))
    for name, props in existing.items():
        assert _strip(state[name]) == props, name
    for i in range(PARALLEL):
        props = state["par-w%02d" % i]
        assert (props["priority"], props["sourceAddressPrefix"], props["destinationPortRange"]) == \
            (1000 + i, "10.9.%d.0/24" % i, str(8000 + i))
    for rules, _play in batch_plays:
        for rule in rules:
            props = state[rule["name"]]
            assert (props["priority"], props["direction"], props["destinationAddressPrefix"]) == \
                (rule["priority"], "Outbound", rule["destination_address_prefixes"][0]), rule["name"]
    assert busy, "the writers never met the busy window; the test proves nothing"

    # Converged: running everything again changes nothing and writes nothing.
    sandbox.control.clear_requests()
    procs = [_playbook_process(run, forks_play, str(inventory), extra=("-f", str(PARALLEL)))]
    procs += [_playbook_process(run, play, "localhost,") for _rules, play in batch_plays]
    for result in [r for p in procs for r in _results(p).values()]:
        assert result.get("changed") is False and not result.get("failed"), result
    assert shape(sandbox) == [("GET", "nsg")] * (PARALLEL + BATCHES)


def test_everything_converges_with_30_percent_transient_faults(run, sandbox):
    load_nsg(sandbox)
    sandbox.control.set_faults(fault_rate=0.3, fault_statuses=[429, 500, 503], retry_after=0, drop_rate=0.05,
                               seed=42, apply_to="arm")
    batch = [{"name": "f-%02d" % i, "direction": "Outbound", "access": "Allow", "protocol": "Tcp",
              "source_address_prefixes": ["*"], "destination_port_ranges": [443],
              "destination_address_prefixes": ["10.30.%d.0/24" % i], "priority_range": [500, 599]} for i in range(20)]
    tasks = [
        task("nsg_rule", {"resource_group": RG, "security_group": NSG, "name": "proxy", "direction": "Outbound",
                          "access": "Allow", "protocol": "Tcp", "source_address_prefixes": ["10.0.0.5/32"],
                          "destination_address_prefixes": ["Internet"], "destination_port_ranges": ["80-443"],
                          "priority": 200}),
        task("nsg_rule", {"resource_group": RG, "security_group": NSG, "name": "backup", "direction": "Outbound",
                          "access": "Allow", "protocol": "Tcp", "source_address_prefixes": ["*"],
                          "destination_address_prefixes": ["AzureBackup"],
                          "destination_port_ranges": [443], "priority_range": [200, 299]}),
        task("nsg_rules", {"resource_group": RG, "security_group": NSG, "rules": batch}),
        task("nsg_rule", {"resource_group": RG, "security_group": NSG, "name": "DenyInternetOutbound", "state": "absent"}),
        task("nsg_rule_info", {"resource_group": RG, "security_group": NSG, "include_default": False}),
    ]
    results, proc = run.playbook(tasks)
    assert len(results) == len(tasks), proc.stdout[-3000:]
    for result in results:
        assert not result.get("failed"), result
    assert all(r["changed"] for r in results[:4])
    faults = [e for e in sandbox.control.requests() if e.get("fault") in ("429", "500", "503", "drop")]
    total = len(arm_requests(sandbox))
    print("\nfaults: %d of %d ARM requests faulted" % (len(faults), total))
    assert len(faults) >= 0.15 * total

    names = {r["name"] for r in results[4]["rules"]}
    assert names == {"AllowSshFromBastion", "proxy", "backup"} | {r["name"] for r in batch}
    state = rules_by_name(sandbox)
    assert state["backup"]["priority"] == 201 and sorted(state[r["name"]]["priority"] for r in batch) == \
        list(range(500, 520))

    # Still faulty: a second pass changes nothing.
    again = run.playbook(tasks[:4])[0]
    assert [r.get("changed") for r in again] == [False] * 4, again
    # Without faults, the no-change pass costs exactly one read per task.
    sandbox.control.clear_faults()
    sandbox.control.clear_requests()
    again = run.playbook(tasks[:4])[0]
    assert [r.get("changed") for r in again] == [False] * 4
    assert shape(sandbox) == [("GET", "nsg")] * 4, arm_requests(sandbox)
