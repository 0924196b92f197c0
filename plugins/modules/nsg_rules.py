#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the azbackup.vmprep collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: nsg_rules
short_description: Apply a list of security rules to an Azure network security group with one write
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
author:
  - azbackup.vmprep developers (@azbackup)
options:
  resource_group:
    description:
      - The resource group of the NSG.
    type: str
    required: true
  security_group:
    description:
      - The name of the NSG. It must exist; this module does not create NSGs.
    type: str
    required: true
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
    type: list
    elements: dict
    required: true
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
          - Required when the rule is created, unless O(rules[].source_application_security_groups) is given. Left out
            (with the groups left out too), an existing rule keeps its source.
        type: list
        elements: str
      destination_address_prefixes:
        description:
          - V(*), one service tag, or IP addresses and CIDRs of one address family, without an IPv6 zone ID.
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
    description: Reads the NSG and reports what would change, without any write request.
  diff_mode:
    support: full
    description: Shows all custom rules of the NSG before and after, keyed by name; purged rules appear only before.
notes:
  - Invalid input in any item fails before any request; the message names the item and the option.
  - A priority used twice in the result (in the list, or by a rule that stays) fails before any write and names
    both rules.
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
  returned: success
  type: list
  elements: dict
  sample: [{"name": "allow-azurebackup", "priority": 200, "direction": "Outbound", "access": "Allow", "protocol": "Tcp",
            "description": "", "source_address_prefixes": ["*"], "destination_address_prefixes": ["AzureBackup"],
            "source_port_ranges": ["*"], "destination_port_ranges": ["443"],
            "source_application_security_groups": [], "destination_application_security_groups": []}]
created:
  description: Names of the rules created.
  returned: success
  type: list
  elements: str
  sample: [allow-azurebackup]
updated:
  description: Names of the rules changed.
  returned: success
  type: list
  elements: str
  sample: []
removed:
  description: Names of the rules removed (items with state=absent, and unlisted rules with purge).
  returned: success
  type: list
  elements: str
  sample: []
attempts:
  description: How many read-plan-write rounds the run needed (more than 1 after a concurrent change, a busy answer
    or a lost answer).
  returned: success
  type: int
  sample: 1
diff:
  description: The custom rules of the NSG before and after, keyed by rule name; with C(--diff).
  returned: diff mode
  type: dict
  sample: {"before": {"rules": {}}, "after": {"rules": {"allow-azurebackup": {"priority": 200}}}}
"""

from ansible_collections.azbackup.vmprep.plugins.module_utils import _client, _nsg
from ansible_collections.azbackup.vmprep.plugins.module_utils._errors import AzbError
from ansible_collections.azbackup.vmprep.plugins.module_utils._module import AzureModule


class _GiveUp(Exception):
    """Ends the Operation's retries (it would retry the AzbError for a 412 it carries)."""

    def __init__(self, error):
        super().__init__(error.msg)
        self.azb = error  # not "error": classify() reads an exception's .error


def _step(module, client, specs, op):
    """One read-plan-write round; Operation runs it again when Azure is busy, a 412 comes back or an answer is lost."""
    params = module.params
    rg, nsg_name = params["resource_group"], params["security_group"]
    nsg = _nsg.get_nsg(client, rg, nsg_name)
    plan = _nsg.plan_many(specs, nsg, nsg_name, purge=params["purge"])
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


def main_logic(module):
    params = module.params
    rg, nsg_name = params["resource_group"], params["security_group"]
    _nsg.validate_target(params)
    if params["max_attempts"] < 1:
        module.fail("max_attempts must be 1 or more; got %d." % params["max_attempts"])
    specs = _nsg.validate_many(params["rules"], subscription_id=lambda: module.settings.subscription_id,
                               resource_group=rg)
    client = module.clients.network()
    op = _client.Operation(params["wait_timeout"], "NSG '%s'" % nsg_name)
    try:
        result = op.run(lambda current_op: _step(module, client, specs, current_op))
    except _GiveUp as stop:
        raise stop.azb
    module.exit(**result)


def main():
    module = AzureModule(
        argument_spec=dict(
            resource_group=dict(type="str", required=True),
            security_group=dict(type="str", required=True),
            purge=dict(type="bool", default=False),
            max_attempts=dict(type="int", default=10),
            rules=dict(type="list", elements="dict", required=True, options=_nsg.rule_options()),
            wait_timeout=dict(type="int", default=900),
        ),
        supports_check_mode=True,
    )
    module.run(main_logic)


if __name__ == "__main__":
    main()
