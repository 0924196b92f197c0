#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the azbackup.vmprep collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: nsg_rules
short_description: Apply a list of security rules to one or many Azure network security groups, one write each
version_added: 1.0.0
description:
  - Applies a list of security rules to one existing network security group (NSG) in one task - one read of the NSG
    and, when something changes, one update of the NSG, however many rules the list has.
  - The update is guarded by the NSG's ETag (C(If-Match)) - when someone else changed the NSG between the read and
    the write, Azure refuses the write (HTTP 412) and the module reads the NSG again and re-applies the list, up to
    O(max_attempts) times. No concurrent change is lost.
  - The whole read-plan-write step also starts again from a fresh read while Azure answers that the NSG is busy
    (409 or 429, with or without C(Retry-After), or a long-running operation that ends busy) and after a lost
    answer, with a random growing pause, until O(wait_timeout). When the answer of the write is lost, the next read
    tells whether it landed; the task then reports C(changed=true) with the rules that write created, updated and
    removed, and the diff's C(before) is the NSG as the first read found it.
  - Fail closed, for every item of O(rules) - see M(azbackup.vmprep.nsg_rule). An option an item leaves out keeps
    the existing rule's value; an item for a rule that does not exist must give O(rules[].direction),
    O(rules[].access), O(rules[].protocol), O(rules[].destination_port_ranges), both address sides (prefixes or
    application security groups) and O(rules[].priority) or O(rules[].priority_range), or the task fails before any
    write and names each missing option as C(rules[N].option). Check mode and the diff show the merged rules.
  - Reads the NSG's JSON as Azure sends it, whatever the version of azure-mgmt-network. An answer whose shape the
    module does not understand fails the task; no write is planned from it, so unread rules are never removed.
  - Rules not in the list stay untouched, unless O(purge=true) removes them (the diff shows them).
  - Each item of O(rules) takes the options of M(azbackup.vmprep.nsg_rule), with the same validation, comparison
    and automatic priorities. Items with C(state=absent) are removed.
  - To manage a single rule without writing the NSG, use M(azbackup.vmprep.nsg_rule).
  - B(Many NSGs in one task) - O(security_groups) instead of O(resource_group) and O(security_group). Each NSG is
    read once and, only when something changes, written with one If-Match-guarded update, exactly as in the
    one-NSG form (with its own retries after a 412, a busy answer or a lost answer), up to O(max_concurrency) NSGs
    at a time over one shared credential. Every option is checked for every NSG before the first request. The
    results are per NSG in RV(security_groups); a failure of one NSG does not stop the others, and the task then
    fails naming each failed NSG.
  - B(The region of each NSG) - the text V({region}) in an item's O(rules[].source_address_prefixes) or
    O(rules[].destination_address_prefixes) becomes the region of the NSG as read (its C(location), lower case
    without spaces), for example V(Storage.{region}) becomes V(Storage.westeurope) for an NSG in West Europe.
    Azure compares service tag names without regard to case. An NSG without a readable location fails (nothing is
    written to it).
author:
  - azbackup.vmprep developers (@azbackup)
options:
  resource_group:
    description:
      - The resource group of the NSG (the one-NSG form, with O(security_group)).
      - Give either O(resource_group) and O(security_group), or O(security_groups).
    type: str
  security_group:
    description:
      - The name of the NSG (the one-NSG form, with O(resource_group)). It must exist; this module does not
        create NSGs.
    type: str
  security_groups:
    description:
      - Many NSGs in one task, instead of O(resource_group) and O(security_group). Each gets O(rules) and its own
        O(security_groups[].rules); an item of its own replaces the item of O(rules) with the same name.
      - Each NSG is listed once; every NSG must exist.
    type: list
    elements: dict
    version_added: 1.1.0
    suboptions:
      resource_group:
        description:
          - The resource group of the NSG.
        type: str
        required: true
      name:
        description:
          - The name of the NSG.
        type: str
        required: true
      subscription_id:
        description:
          - The subscription of the NSG; left out, the task's subscription (O(subscription_id)).
        type: str
      rules:
        description:
          - Rules for this NSG only, after O(rules). Each item takes the options of an item of O(rules), with the
            same types, choices, defaults and checks (see O(rules[].name) and the others).
        type: list
        elements: dict
  max_concurrency:
    description:
      - How many NSGs of O(security_groups) are read and written at the same time, 1-64.
    type: int
    default: 16
    version_added: 1.1.0
  purge:
    description:
      - Remove the custom rules of the NSG that O(rules) does not name. Default rules (priority 65000 and above)
        are never removed.
    type: bool
    default: false
  max_attempts:
    description:
      - How often to read and re-apply when a concurrent change makes the guarded update fail with HTTP 412.
        Between attempts the module waits a short, growing, random time so that a burst of other writers can pass.
      - Busy answers and lost answers do not count; they are retried until O(wait_timeout).
    type: int
    default: 10
  rules:
    description:
      - The rules. Names must be unique. See M(azbackup.vmprep.nsg_rule) for the meaning and the allowed values
        of each option.
      - Required in the one-NSG form; with O(security_groups), the rules of every NSG.
    type: list
    elements: dict
    suboptions:
      name:
        description:
          - Rule name; 1-80 letters, digits, underscores, periods or hyphens, compared without regard to case.
        type: str
        required: true
      state:
        description:
          - V(present) creates or updates the rule, V(absent) removes it.
        type: str
        choices: [present, absent]
        default: present
      direction:
        description:
          - V(Inbound) or V(Outbound), in any case. Required when the rule is created; left out, kept.
        type: str
      access:
        description:
          - V(Allow) or V(Deny), in any case. Required when the rule is created; left out, kept.
        type: str
      protocol:
        description:
          - V(Tcp), V(Udp), V(Icmp), V(Esp), V(Ah) or V(*), in any case. Required when the rule is created; left out,
            kept.
        type: str
      priority:
        description:
          - A number 100-4096 (digits 0-9 only), unique per direction, or V(auto).
          - Required when the rule is created, unless O(rules[].priority_range) is given. Left out (with
            O(rules[].priority_range) left out too), an existing rule keeps its priority.
        type: raw
      priority_range:
        description:
          - V([lowest, highest]) within 100-4096; the lowest free priority in it is picked, and an existing rule keeps
            its priority while it lies in the range. Automatic priorities are assigned in list order, after the
            numeric ones.
        type: list
        elements: int
      source_address_prefixes:
        description:
          - V(*), one service tag, or IP addresses and CIDRs of one address family, without an IPv6 zone ID.
          - V({region}) in a value becomes the region of the NSG as read.
          - Required when the rule is created, unless O(rules[].source_application_security_groups) is given. Left out
            (with the groups left out too), an existing rule keeps its source.
        type: list
        elements: str
      destination_address_prefixes:
        description:
          - V(*), one service tag, or IP addresses and CIDRs of one address family, without an IPv6 zone ID.
          - V({region}) in a value becomes the region of the NSG as read, as in V(Storage.{region}).
          - Required when the rule is created, unless O(rules[].destination_application_security_groups) is given.
            Left out (with the groups left out too), an existing rule keeps its destination.
        type: list
        elements: str
      source_port_ranges:
        description:
          - Each V(N), V(N-M) or V(*), ports 0-65535 in the digits 0-9. Left out, an existing rule keeps its source
            ports and a new rule gets V([*]) (client source ports are ephemeral).
        type: list
        elements: raw
      destination_port_ranges:
        description:
          - Each V(N), V(N-M) or V(*), ports 0-65535 in the digits 0-9. Required when the rule is created; left
            out, kept.
        type: list
        elements: raw
      source_application_security_groups:
        description:
          - Application security groups by name (in O(resource_group)) or resource ID. Either these or
            O(rules[].source_address_prefixes) are required when the rule is created.
        type: list
        elements: str
      destination_application_security_groups:
        description:
          - Application security groups by name (in O(resource_group)) or resource ID. Either these or
            O(rules[].destination_address_prefixes) are required when the rule is created.
        type: list
        elements: str
      description:
        description:
          - At most 140 characters. Empty removes it; left out, an existing rule keeps its description.
        type: str
extends_documentation_fragment:
  - azbackup.vmprep.azure
  - azbackup.vmprep.azure.wait
attributes:
  check_mode:
    support: full
    description: Reads each NSG and reports what would change, without any write request.
  diff_mode:
    support: full
    description: Shows all custom rules of each NSG before and after, keyed by name; purged rules appear only before.
notes:
  - Invalid input in any item fails before any request; the message names the item and the option.
  - A priority used twice in the result (in the list, or by a rule that stays) fails before any write and names
    both rules.
  - With O(security_groups), a request for one NSG never waits for another NSG's retries; O(wait_timeout) applies
    to each NSG.
seealso:
  - module: azbackup.vmprep.nsg_rule
  - module: azbackup.vmprep.nsg_rule_info
"""

EXAMPLES = r"""
- name: Outbound access for Azure VM Backup through service tags
  azbackup.vmprep.nsg_rules:
    resource_group: rg-app
    security_group: nsg-app
    rules:
      - name: allow-azurebackup
        direction: Outbound
        access: Allow
        protocol: Tcp
        source_address_prefixes: [VirtualNetwork]
        destination_address_prefixes: [AzureBackup]
        destination_port_ranges: [443]
        priority_range: [200, 299]
      - name: allow-storage
        direction: Outbound
        access: Allow
        protocol: Tcp
        source_address_prefixes: [VirtualNetwork]
        destination_address_prefixes: [Storage.WestEurope]
        destination_port_ranges: [443]
        priority_range: [200, 299]
      - name: allow-entra-id
        direction: Outbound
        access: Allow
        protocol: Tcp
        source_address_prefixes: [VirtualNetwork]
        destination_address_prefixes: [AzureActiveDirectory]
        destination_port_ranges: [443]
        priority_range: [200, 299]

- name: Make the NSG hold exactly these rules
  azbackup.vmprep.nsg_rules:
    resource_group: rg-app
    security_group: nsg-app
    purge: true
    rules:
      - name: allow-ssh-from-bastion
        direction: Inbound
        access: Allow
        protocol: Tcp
        source_address_prefixes: [10.0.1.0/26]
        destination_address_prefixes: [VirtualNetwork]
        destination_port_ranges: [22]
        priority: 100

- name: The backup path on every NSG of the VMs, the Storage tag of each NSG's region, 16 NSGs at a time
  azbackup.vmprep.nsg_rules:
    security_groups:
      - {resource_group: rg-app-weu, name: nsg-app-weu}
      - {resource_group: rg-app-neu, name: nsg-app-neu}
      - resource_group: rg-hub
        name: nsg-hub
        subscription_id: 11111111-2222-3333-4444-555555555555
    rules:
      - name: AzureBackup-Storage
        direction: Outbound
        access: Allow
        protocol: Tcp
        source_address_prefixes: ["*"]
        destination_address_prefixes: ["Storage.{region}"]
        destination_port_ranges: [443]
        priority_range: [200, 299]
      - name: AzureBackup-Service
        direction: Outbound
        access: Allow
        protocol: Tcp
        source_address_prefixes: ["*"]
        destination_address_prefixes: [AzureBackup]
        destination_port_ranges: [443]
        priority_range: [200, 299]
  register: backup_path

- name: Move two existing rules to other priorities; everything else about them stays as it is
  azbackup.vmprep.nsg_rules:
    resource_group: rg-app
    security_group: nsg-app
    rules:
      - name: allow-azurebackup
        priority: 250
      - name: allow-storage
        priority: 251
"""

RETURN = r"""
rules:
  description: All custom rules of the NSG after the run (what they would be in check mode), in option names.
  returned: success, one-NSG form
  type: list
  elements: dict
  sample: [{"name": "allow-azurebackup", "priority": 200, "direction": "Outbound", "access": "Allow", "protocol": "Tcp",
            "description": "", "source_address_prefixes": ["*"], "destination_address_prefixes": ["AzureBackup"],
            "source_port_ranges": ["*"], "destination_port_ranges": ["443"],
            "source_application_security_groups": [], "destination_application_security_groups": []}]
created:
  description: Names of the rules created.
  returned: success, one-NSG form
  type: list
  elements: str
  sample: [allow-azurebackup]
updated:
  description: Names of the rules changed.
  returned: success, one-NSG form
  type: list
  elements: str
  sample: []
removed:
  description: Names of the rules removed (items with state=absent, and unlisted rules with purge).
  returned: success, one-NSG form
  type: list
  elements: str
  sample: []
attempts:
  description: How many read-plan-write rounds the run needed (more than 1 after a concurrent change, a busy answer
    or a lost answer).
  returned: success, one-NSG form
  type: int
  sample: 1
diff:
  description:
    - The custom rules of the NSG before and after, keyed by rule name; with C(--diff).
    - With O(security_groups), a list of these, one per NSG read, each with C(before_header) and C(after_header)
      naming the NSG.
  returned: diff mode
  type: raw
  sample: {"before": {"rules": {}}, "after": {"rules": {"allow-azurebackup": {"priority": 200}}}}
security_groups:
  description:
    - With O(security_groups), one result per NSG, in the order of O(security_groups), also when the task fails.
    - A failed NSG has C(failed=true), C(changed=false) and C(msg) (and C(status_code), C(error_code) when Azure
      answered); C(rules), C(created), C(updated), C(removed) and C(attempts) are then absent.
  returned: always with O(security_groups)
  type: list
  elements: dict
  version_added: 1.1.0
  contains:
    resource_group:
      description: The resource group of the NSG.
      type: str
    name:
      description: The name of the NSG.
      type: str
    subscription_id:
      description: The subscription of the NSG.
      type: str
    location:
      description: The region of the NSG as read (null when it could not be read).
      type: str
    changed:
      description: Whether the NSG was changed (would be, in check mode).
      type: bool
    failed:
      description: Whether this NSG failed.
      type: bool
    msg:
      description: Why this NSG failed.
      type: str
    rules:
      description: All custom rules of the NSG after the run, as RV(rules).
      type: list
      elements: dict
    created:
      description: Names of the rules created.
      type: list
      elements: str
    updated:
      description: Names of the rules changed.
      type: list
      elements: str
    removed:
      description: Names of the rules removed.
      type: list
      elements: str
    attempts:
      description: Read-plan-write rounds this NSG needed.
      type: int
  sample: [{"resource_group": "rg-app-weu", "name": "nsg-app-weu", "subscription_id": "00000000-0000-0000-0000-000000000000",
            "location": "westeurope", "changed": true, "failed": false, "created": ["AzureBackup-Storage"],
            "updated": [], "removed": [], "attempts": 1, "rules": []}]
summary:
  description: With O(security_groups), how many NSGs there were, and how many changed, did not change and failed.
  returned: always with O(security_groups)
  type: dict
  version_added: 1.1.0
  sample: {"total": 200, "changed": 12, "unchanged": 188, "failed": 0}
"""

from ansible_collections.azbackup.vmprep.plugins.module_utils import _client, _nsg
from ansible_collections.azbackup.vmprep.plugins.module_utils._errors import AzbError, from_exception
from ansible_collections.azbackup.vmprep.plugins.module_utils._module import AzureModule

MAX_CONCURRENCY = 64


class _GiveUp(Exception):
    """Ends the Operation's retries (it would retry the AzbError for a 412 it carries)."""

    def __init__(self, error):
        super().__init__(error.msg)
        self.azb = error  # not "error": classify() reads an exception's .error


class _Target(object):
    """One NSG of the task: where it is, its rules (module options) and how its items are named in messages."""

    def __init__(self, resource_group, name, subscription_id, rules, prefixes, label):
        self.resource_group = resource_group
        self.name = name
        self.subscription_id = subscription_id
        self.rules = rules
        self.prefixes = prefixes
        self.label = label
        self.region_rules = _nsg.uses_region(rules)
        self.specs = None  # validated specs, when no rule needs the NSG's region
        self.client = None
        self.location = None


def _specs(module, target, nsg=None):
    """The validated specs of one NSG; with {region}, from the region of the NSG as read (``nsg``)."""
    sub = target.subscription_id or (lambda: module.settings.subscription_id)
    if not target.region_rules:
        if target.specs is None:
            target.specs = _nsg.validate_many(target.rules, subscription_id=sub, resource_group=target.resource_group,
                                              option_prefixes=target.prefixes)
        return target.specs
    region = _nsg.REGION_SAMPLE if nsg is None else _nsg.nsg_region(nsg, target.name)
    return _nsg.validate_many(_nsg.with_region(target.rules, region), subscription_id=sub,
                              resource_group=target.resource_group, option_prefixes=target.prefixes)


def _step(module, target, op):
    """One read-plan-write round; Operation runs it again when Azure is busy, a 412 comes back or an answer is lost."""
    params = module.params
    client, rg, nsg_name = target.client, target.resource_group, target.name
    nsg = _nsg.get_nsg(client, rg, nsg_name)
    target.location = nsg.get("location")
    plan = _nsg.plan_many(_specs(module, target, nsg), nsg, nsg_name, purge=params["purge"])
    # The diff and the lists show the first read: a later round may read what an earlier, lost answer wrote.
    before = op.keep("before", _nsg.views_by_name(_nsg.custom_rules(nsg)))
    sent = op.keep("sent", {})
    result = {
        "changed": plan["changed"],
        "rules": [_nsg.view(arm) for arm in plan["rules"]],
        "created": plan["created"],
        "updated": plan["updated"],
        "removed": plan["removed"],
        "attempts": op.attempt,
    }
    if module.diff_mode:
        result["diff"] = {"before": {"rules": before}, "after": {"rules": _nsg.views_by_name(plan["rules"])}}
    if not plan["changed"]:
        if op.maybe_landed and sent:
            # A write whose answer was lost landed: the NSG now holds what it wanted to write.
            result.update(changed=True, created=sent["created"], updated=sent["updated"], removed=sent["removed"])
        return result
    if module.check_mode:
        return result
    sent.update(created=plan["created"], updated=plan["updated"], removed=plan["removed"])
    try:
        written = op.write(lambda: _nsg.put_nsg(client, rg, nsg_name, _nsg.nsg_body(nsg, plan["rules"]),
                                                nsg.get("etag"), params["wait_timeout"]))
    except Exception as exc:
        if _client.classify(exc) == _client.STALE and op.retries[_client.STALE] + 1 >= params["max_attempts"]:
            raise _GiveUp(AzbError(
                "NSG '%s' was changed by someone else during each of %d attempts; run again."
                % (nsg_name, params["max_attempts"]), status=412, code="PreconditionFailed",
                hint="raise max_attempts when many writers change this NSG at once."))
        raise
    result["rules"] = [_nsg.view(arm) for arm in _nsg.custom_rules(written or {})] or result["rules"]
    return result


def _apply(module, target):
    """The whole guarded update of one NSG (its own Operation: busy, 412 and lost answers handled per NSG)."""
    op = _client.Operation(module.params["wait_timeout"], "NSG '%s'" % target.name)
    try:
        return op.run(lambda current_op: _step(module, target, current_op))
    except _GiveUp as stop:
        raise stop.azb


def _merged_rules(shared, own, index):
    """The rules of security_groups[index]: the shared ones, an own item replacing the shared item of its name."""
    own = own or []
    own_names = {str(item.get("name") or "").lower() for item in own}
    rules, prefixes = [], []
    for i, item in enumerate(shared or []):
        if str(item.get("name") or "").lower() not in own_names:
            rules.append(item)
            prefixes.append("rules[%d]." % i)
    for i, item in enumerate(own):
        rules.append(item)
        prefixes.append("security_groups[%d].rules[%d]." % (index, i))
    return rules, prefixes


def _own_rules(module, rules, index):
    """security_groups[index].rules checked and completed with the argument spec of ``rules`` (types, choices,
    defaults, unknown options), as AnsibleModule checks ``rules``."""
    if rules is None:
        return None
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

    spec = {"rules": dict(type="list", elements="dict", options=_nsg.rule_options())}
    checked = ArgumentSpecValidator(spec).validate({"rules": rules})
    if checked.error_messages:
        module.fail("security_groups[%d].rules: %s" % (index, "; ".join(checked.error_messages)))
    return checked.validated_parameters["rules"]


def _targets(module):
    """The NSGs of the task, every option checked (no request is sent before all of them pass)."""
    from ansible_collections.azbackup.vmprep.plugins.module_utils._auth import GUID
    from ansible_collections.azbackup.vmprep.plugins.module_utils._validate import validate_resource_group

    params = module.params
    if params["max_attempts"] < 1:
        module.fail("max_attempts must be 1 or more; got %d." % params["max_attempts"])
    if not 1 <= params["max_concurrency"] <= MAX_CONCURRENCY:
        module.fail("max_concurrency must be between 1 and %d; got %d." % (MAX_CONCURRENCY, params["max_concurrency"]))
    if params["security_groups"] is None:
        _nsg.validate_target(params)
        if params["rules"] is None:
            module.fail("rules is required with resource_group and security_group.")
        rules = params["rules"]
        targets = [_Target(params["resource_group"], params["security_group"], None, rules,
                           ["rules[%d]." % i for i in range(len(rules))], params["security_group"])]
    else:
        if not params["security_groups"]:
            module.fail("security_groups must not be empty: list the NSGs as {resource_group, name}.")
        targets, seen = [], {}
        # An NSG listed once with the task's subscription and once without is the same NSG: without a
        # subscription_id an entry is in the run's subscription (resolved without a request).
        run_sub = str(module.settings.subscription_id or "").lower()
        for index, item in enumerate(params["security_groups"]):
            where = "security_groups[%d]." % index
            validate_resource_group(item["resource_group"], where + "resource_group")
            _nsg.check_name(item["name"], where + "name", what="network security group")
            sub = item.get("subscription_id")
            if sub is not None and not GUID.match(sub):
                module.fail("%ssubscription_id must be a GUID (like 00000000-0000-0000-0000-000000000000); got '%s'."
                            % (where, sub))
            key = ((sub or run_sub).lower(), item["resource_group"].lower(), item["name"].lower())
            if key in seen:
                module.fail("security_groups[%d] repeats security_groups[%d] (%s/%s in subscription %s): list each "
                            "NSG once." % (index, seen[key], item["resource_group"], item["name"], key[0] or "-"))
            seen[key] = index
            rules, prefixes = _merged_rules(params["rules"], _own_rules(module, item.get("rules"), index), index)
            if not rules:
                module.fail("security_groups[%d] (%s/%s) has no rules: give rules (for every NSG) or %srules."
                            % (index, item["resource_group"], item["name"], where))
            label = "%s/%s" % (item["resource_group"], item["name"])
            if sub:
                label = "%s (subscription %s)" % (label, sub)
            targets.append(_Target(item["resource_group"], item["name"], sub, rules, prefixes, label))
    for target in targets:
        _specs(module, target)  # validation with {region} as a sample region: any bad item fails before a request
    return targets


def _network_client(module, subscription_id):
    clients = module.clients
    if not subscription_id or subscription_id.lower() == str(clients.subscription_id).lower():
        return clients.network()

    def factory(credential, _default_subscription, **kwargs):
        from azure.mgmt.network import NetworkManagementClient

        return NetworkManagementClient(credential, subscription_id, **kwargs)
    return clients._make("network:%s" % subscription_id.lower(), factory)  # pylint: disable=protected-access


def _one(module, target):
    try:
        return _apply(module, target), None
    except Exception as exc:  # pylint: disable=broad-except
        return None, exc


def _many(module, targets):
    """Every NSG with bounded concurrency: one shared credential and pipeline, each NSG read, planned and written on
    its own; a failure of one NSG does not stop the others."""
    if len(targets) > 1 and module.params["max_concurrency"] > 1:
        from concurrent.futures import ThreadPoolExecutor

        module.clients.warm_up()  # one token for every thread
        with ThreadPoolExecutor(max_workers=min(module.params["max_concurrency"], len(targets))) as pool:
            return list(pool.map(lambda target: _one(module, target), targets))
    return [_one(module, target) for target in targets]


def _entry(module, target, result, exc):
    entry = {"resource_group": target.resource_group, "name": target.name,
             "subscription_id": target.subscription_id or module.settings.subscription_id,
             "location": target.location}
    if exc is None:
        entry.update(failed=False, **{k: v for k, v in result.items() if k != "diff"})
        return entry
    error = from_exception(exc, secrets=module._secrets())  # pylint: disable=protected-access
    entry.update(failed=True, changed=False, msg=error.full_message())
    if error.status is not None:
        entry["status_code"] = error.status
    if error.code:
        entry["error_code"] = error.code
    return entry


def main_logic(module):
    params = module.params
    targets = _targets(module)
    for target in targets:
        target.client = _network_client(module, target.subscription_id)
    if params["security_groups"] is None:
        result, exc = _one(module, targets[0])
        if exc is not None:
            raise exc
        module.exit(**result)
    outcomes = _many(module, targets)
    entries = [_entry(module, target, outcomes[i][0], outcomes[i][1]) for i, target in enumerate(targets)]
    failed = [e for e in entries if e["failed"]]
    changed = any(e.get("changed") for e in entries)
    summary = {"total": len(entries), "changed": sum(1 for e in entries if e.get("changed")),
               "unchanged": sum(1 for e in entries if not e["failed"] and not e.get("changed")),
               "failed": len(failed)}
    extra = {}
    if module.diff_mode:
        extra["diff"] = [dict(outcomes[i][0]["diff"], before_header=target.label, after_header=target.label)
                         for i, target in enumerate(targets) if outcomes[i][1] is None and "diff" in outcomes[i][0]]
    if failed:
        module.fail("%d of %d NSGs failed: %s. The results of every NSG are in security_groups."
                    % (len(failed), len(entries), "; ".join("%s/%s: %s" % (e["resource_group"], e["name"], e["msg"])
                                                            for e in failed)),
                    changed=changed, security_groups=entries, summary=summary, **extra)
    module.exit(changed=changed, security_groups=entries, summary=summary, **extra)


def main():
    module = AzureModule(
        argument_spec=dict(
            resource_group=dict(type="str"),
            security_group=dict(type="str"),
            security_groups=dict(type="list", elements="dict", options=dict(
                resource_group=dict(type="str", required=True),
                name=dict(type="str", required=True),
                subscription_id=dict(type="str"),
                # Checked against the options of ``rules`` in _own_rules (documented once, under rules).
                rules=dict(type="list", elements="dict"),
            )),
            purge=dict(type="bool", default=False),
            max_attempts=dict(type="int", default=10),
            max_concurrency=dict(type="int", default=16),
            rules=dict(type="list", elements="dict", options=_nsg.rule_options()),
            wait_timeout=dict(type="int", default=900),
        ),
        supports_check_mode=True,
        mutually_exclusive=[("security_groups", "security_group"), ("security_groups", "resource_group")],
        required_together=[("resource_group", "security_group")],
        required_one_of=[("security_group", "security_groups")],
    )
    module.run(main_logic)


if __name__ == "__main__":
    main()
