"""Shared helpers of the NSG integration and stress tests: fixtures, state and request summaries."""

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


class Replanned(list):
    """The shape of a run in which an injected fault refused a write or lost its answer.

    The module's Operation then reads again and plans again, so the exact sequence depends on where the fault hit.
    Such a shape equals an expected one when it made no other kinds of request (reads of the NSG and polls aside)
    and every write the expected shape has was sent, answered or lost after it landed. A write that was not
    expected still makes it unequal, so a re-planned run that writes what it should not still fails.
    """

    def __init__(self, seen, writes_sent):
        super().__init__(seen)
        self.writes_sent = writes_sent

    def __eq__(self, expected):
        kinds = set(expected) | {("GET", "nsg"), ("GET", "poll")}
        wanted = {item for item in expected if item[0] != "GET"}
        return all(item in kinds for item in self) and wanted <= self.writes_sent

    def __ne__(self, expected):
        return not self.__eq__(expected)

    __hash__ = None


def _target(entry):
    path = entry["path"].lower()
    if entry["kind"] == "lro-poll":
        return "poll"
    if "/securityrules/" in path:
        return "rule"
    if path.rstrip("/").endswith("/networksecuritygroups/" + path.rstrip("/").rsplit("/", 1)[-1]):
        return "nsg"
    return path


def shape(sandbox):
    """The ARM requests as short (METHOD, target) pairs: nsg, rule, poll; injected faults left out.

    How many status polls an operation takes is the service's choice (the fault profiles of `make reliability` make
    it 3-4): consecutive polls appear as one ("GET", "poll"). Without a profile every operation takes exactly one.
    When an injected fault refused a write or lost its answer, the result is a Replanned shape (see there).
    """
    out = []
    writes_sent = set()
    replanned = False
    for entry in sandbox.control.requests():
        if entry.get("kind") not in ("arm", "lro-poll"):
            continue
        item = (entry["method"], _target(entry))
        fault = str(entry.get("fault") or "")
        if fault:
            if entry.get("is_write"):
                replanned = True
                if fault.startswith("lost"):
                    writes_sent.add(item)  # applied; only its answer was lost
            continue
        if entry.get("is_write"):
            writes_sent.add(item)
        if item == ("GET", "poll") and out and out[-1] == ("GET", "poll"):
            continue
        out.append(item)
    return Replanned(out, writes_sent) if replanned else out


def writes(sandbox):
    """The writes that took effect: answered, or applied with their answer lost (fault lost-drop / lost-500)."""
    return [e for e in sandbox.control.requests()
            if e.get("kind") == "arm" and e.get("is_write") and str(e.get("fault") or "lost").startswith("lost")]


def task(module, args, **extra):
    out = {"name": "%s %s" % (module, args.get("name", "")), "azbackup.vmprep.%s" % module: args, "ignore_errors": True}
    out.update(extra)
    return out
