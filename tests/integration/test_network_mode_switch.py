"""Switching the network option (service tags <-> HTTP proxy) on the same NSGs converges, with the real playbooks.

The newcomer's path of issue 13: `make demo` (service tags), then the system packages, then `make demo` again
(proxy) on the same sandbox state failed with SecurityRuleConflict, because the service-tag rules held priority 200
that the proxy exception wants. Each network playbook now removes the other option's rules in the same guarded
write of each NSG (docs/network-options.md, "Switching between the options"); a re-run changes nothing.
"""

import json
import os
import subprocess
import sys

from conftest import ROOT, SEED
from nsg_helpers import rules_by_name, writes

NSGS = ("nsg-app", "nsg-app-neu")
TAG_RULES = ("AzureBackup-Storage", "AzureBackup-Service", "AzureBackup-EntraID")
PROXY_RULE = "AllowProxyToInternet"


def _network_step(run, mode, extra_vars=None):
    """The main playbook's step 2 for one mode: the network playbook it imports, with the demo inventory (whose
    variables name the seed's NSGs and proxy). Returns (recap of localhost, output)."""
    name = {"service_tags": "network_service_tags.yml", "proxy": "network_proxy.yml"}[mode]
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
           "-i", os.path.join(ROOT, "inventories", "demo", "hosts.yml"), os.path.join(ROOT, "playbooks", name),
           "-e", json.dumps(dict({"azbackup_network_mode": mode}, **(extra_vars or {})))]
    proc = subprocess.run(cmd, env=run.env(ANSIBLE_PYTHON_INTERPRETER=sys.executable), capture_output=True,
                          text=True, timeout=600, check=False)
    output = proc.stdout[-4000:] + proc.stderr[-2000:]
    assert proc.returncode == 0, "%s step failed:\n%s" % (mode, output)
    doc = json.loads(proc.stdout[proc.stdout.index("{"):])
    return doc["stats"]["localhost"], output


def _outbound(sandbox, nsg):
    """Name -> priority of the outbound rules of one NSG."""
    return {name: props["priority"] for name, props in rules_by_name(sandbox, nsg).items()
            if props["direction"] == "Outbound"}


def _assert_service_tags(sandbox):
    for nsg in NSGS:
        rules = _outbound(sandbox, nsg)
        assert PROXY_RULE not in rules, (nsg, rules)
        # The proxy exception's 200 is free again: the tag rules take the lowest free priorities of 200-299.
        assert [rules.get(n) for n in TAG_RULES] == [200, 201, 202], (nsg, rules)


def _assert_proxy(sandbox):
    for nsg in NSGS:
        rules = _outbound(sandbox, nsg)
        assert not set(TAG_RULES) & set(rules), (nsg, rules)
        assert rules.get(PROXY_RULE) == 200, (nsg, rules)
        props = rules_by_name(sandbox, nsg)[PROXY_RULE]
        assert (props["sourceAddressPrefix"], props["destinationAddressPrefix"], props["destinationPortRange"]) == \
            ("10.0.0.5/32", "Internet", "80-443"), props


def _assert_converged(run, sandbox, mode):
    sandbox.control.clear_requests()
    recap, output = _network_step(run, mode)
    assert recap["changed"] == 0 and recap["failures"] == 0, (mode, recap, output)
    assert writes(sandbox) == [], (mode, writes(sandbox))


def test_service_tags_then_proxy_then_back(run, sandbox):
    """The demo's sequence: service tags, then proxy on the same state (the SecurityRuleConflict of issue 13),
    a re-run with changed=0, then the reverse switch and its re-run."""
    sandbox.control.load_fixtures(SEED)
    # The seed's nsg-app already has the proxy exception (an estate that used option 2 before).
    assert _outbound(sandbox, "nsg-app").get(PROXY_RULE) == 200

    recap, output = _network_step(run, "service_tags")
    assert recap["changed"] >= 1, output
    # The switch (before the fix: SecurityRuleConflict, 'AzureBackup-Storage' held 200 on nsg-app-neu).
    recap, output = _network_step(run, "proxy")
    assert recap["changed"] >= 1, output
    _assert_proxy(sandbox)
    # Other rules of the NSG are kept.
    assert {"AllowSshFromBastion", "DenyInternetOutbound"} <= set(rules_by_name(sandbox, "nsg-app"))
    _assert_converged(run, sandbox, "proxy")

    recap, output = _network_step(run, "service_tags")
    assert recap["changed"] >= 1, output
    _assert_service_tags(sandbox)
    assert {"AllowSshFromBastion", "DenyInternetOutbound"} <= set(rules_by_name(sandbox, "nsg-app"))
    _assert_converged(run, sandbox, "service_tags")


def test_proxy_first_then_service_tags(run, sandbox):
    """The reverse order from the seed: proxy everywhere, then service tags, each converging."""
    sandbox.control.load_fixtures(SEED)
    _network_step(run, "proxy")
    _assert_proxy(sandbox)
    _assert_converged(run, sandbox, "proxy")
    _network_step(run, "service_tags")
    _assert_service_tags(sandbox)
    _assert_converged(run, sandbox, "service_tags")


def test_keeping_the_other_option_is_an_explicit_choice(run, sandbox):
    """azbackup_network_remove_other_option: false keeps the other option's rules (both paths at once); the proxy
    rule then needs a free priority, and a conflict names both rules before any write."""
    sandbox.control.load_fixtures(SEED)
    keep = {"azbackup_network_remove_other_option": "false"}  # the text an AWX survey sends
    _network_step(run, "service_tags", keep)
    weu = _outbound(sandbox, "nsg-app")
    assert weu[PROXY_RULE] == 200 and [weu[n] for n in TAG_RULES] == [201, 202, 203], weu

    sandbox.control.clear_requests()
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
           "-i", os.path.join(ROOT, "inventories", "demo", "hosts.yml"),
           os.path.join(ROOT, "playbooks", "network_proxy.yml"), "-e", json.dumps(keep)]
    proc = subprocess.run(cmd, env=run.env(ANSIBLE_PYTHON_INTERPRETER=sys.executable), capture_output=True,
                          text=True, timeout=600, check=False)
    assert proc.returncode != 0
    assert "SecurityRuleConflict" in proc.stdout or "already used by rule 'AzureBackup-Storage'" in proc.stdout, \
        proc.stdout[-3000:]
    assert PROXY_RULE not in rules_by_name(sandbox, "nsg-app-neu")

    _network_step(run, "proxy", dict(keep, azbackup_proxy_priority=250))
    neu = _outbound(sandbox, "nsg-app-neu")
    assert neu[PROXY_RULE] == 250 and [neu[n] for n in TAG_RULES] == [200, 201, 202], neu


def test_bad_switch_option_fails_before_any_request(run, sandbox):
    sandbox.control.load_fixtures(SEED)
    sandbox.control.clear_requests()
    for name in ("network_service_tags.yml", "network_proxy.yml"):
        cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
               "-i", os.path.join(ROOT, "inventories", "demo", "hosts.yml"), os.path.join(ROOT, "playbooks", name),
               "-e", json.dumps({"azbackup_network_remove_other_option": "maybe"})]
        proc = subprocess.run(cmd, env=run.env(ANSIBLE_PYTHON_INTERPRETER=sys.executable), capture_output=True,
                              text=True, timeout=600, check=False)
        assert proc.returncode != 0 and "azbackup_network_remove_other_option" in proc.stdout, proc.stdout[-3000:]
    assert [r for r in sandbox.control.requests() if r.get("kind") == "arm"] == []
