"""Shared helpers of the NSG integration and stress tests: fixtures, state and request summaries."""

import os

from conftest import ROOT, arm_requests

SEED = os.path.join(ROOT, "tests", "sandbox", "fixtures", "seed.json")
RG = "rg-net"
NSG = "nsg-test"


def rule_fixture(name, priority, direction, **props):
    body = {"protocol": "Tcp", "sourcePortRange": "*", "destinationPortRange": "22", "sourceAddressPrefix": "10.0.250.0/26",
            "destinationAddressPrefix": "VirtualNetwork", "access": "Allow", "priority": priority, "direction": direction}
    body.update(props)
    return {"name": name, "properties": body}


PRE_EXISTING = [
    rule_fixture("AllowSshFromBastion", 100, "Inbound", description="SSH from the bastion subnet"),
    rule_fixture("DenyInternetOutbound", 4000, "Outbound", protocol="*", destinationPortRange="*", sourceAddressPrefix="*",
                 destinationAddressPrefix="Internet", access="Deny"),
]


def load_nsg(sandbox, rules=None, name=NSG):
    sandbox.control.load_fixtures({
        "resource_groups": [{"name": RG, "location": "westeurope"}],
        "network_security_groups": [{"resource_group": RG, "name": name, "location": "westeurope",
                                     "security_rules": PRE_EXISTING if rules is None else rules}],
    })
    sandbox.control.clear_requests()


def nsg_state(sandbox, name=NSG):
    for item in sandbox.control.state()["resources"].get("networkSecurityGroups", []):
        if item["name"].lower() == name.lower():
            return item
    raise AssertionError("no NSG %s in the sandbox" % name)


def rules_by_name(sandbox, name=NSG):
    return {r["name"]: r["properties"] for r in nsg_state(sandbox, name)["properties"]["securityRules"]}


def shape(sandbox):
    """The ARM requests as short (METHOD, target) pairs: nsg, rule, poll; injected faults left out.

    How many status polls an operation takes is the service's choice (the fault profiles of `make reliability` make
    it 3-4): consecutive polls appear as one ("GET", "poll"). Without a profile every operation takes exactly one.

    A write refused by an injected fault sends the module's Operation round again, and that round starts with a read:
    the NSG read right after such a write, repeating the read before it, appears once.
    """
    out = []
    replanned = False
    for entry in sandbox.control.requests():
        if entry.get("kind") not in ("arm", "lro-poll"):
            continue
        if entry.get("fault"):
            replanned = replanned or bool(entry.get("is_write"))
            continue
        path = entry["path"].lower()
        if entry["kind"] == "lro-poll":
            target = "poll"
        elif "/securityrules/" in path:
            target = "rule"
        elif path.rstrip("/").endswith("/networksecuritygroups/" + path.rstrip("/").rsplit("/", 1)[-1]):
            target = "nsg"
        else:
            target = path
        if target == "poll" and out and out[-1] == ("GET", "poll"):
            continue
        if replanned and (entry["method"], target) == ("GET", "nsg") and out and out[-1] == ("GET", "nsg"):
            replanned = False
            continue
        out.append((entry["method"], target))
    return out


def writes(sandbox):
    return [e for e in arm_requests(sandbox, writes=True) if not e.get("fault")]


def task(module, args, **extra):
    out = {"name": "%s %s" % (module, args.get("name", "")), "azbackup.vmprep.%s" % module: args, "ignore_errors": True}
    out.update(extra)
    return out
