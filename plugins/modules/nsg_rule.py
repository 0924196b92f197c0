#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the azbackup.vmprep collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: nsg_rule
short_description: Manage one security rule of an Azure network security group, without touching the others
version_added: 1.0.0
description:
  - Creates, updates or deletes one named security rule of an existing network security group (NSG).
  - Only the named rule is written, as a child resource (C(securityRules/{name})); no other rule of the NSG is sent
    or changed, so tasks that manage different rules of one NSG can run in parallel.
  - Reads the NSG once (all its rules and their priorities). A run that changes nothing costs that one request.
  - A priority that another rule of the same direction already uses fails before any write, and the message names
    that rule. With O(priority_range) the module picks the lowest free priority in the range; a rule that already
    exists keeps its priority while it lies in the range.
  - Rules that Azure treats as equal compare equal, so there is no false change - the case of O(protocol),
    O(access) and O(direction), V(10.0.0.5) and V(10.0.0.5/32), the order of lists, and whether Azure keeps a value
    in its single-value or list field.
  - Fail closed. For a rule that exists, every option the task leaves out keeps the rule's current value, so a task
    that gives only O(name) and O(priority) changes the priority and nothing else. A rule that does not exist yet is
    created only when the task gives every field that decides what it allows - O(direction), O(access),
    O(protocol), O(destination_port_ranges), the source (O(source_address_prefixes) or
    O(source_application_security_groups)), the destination (O(destination_address_prefixes) or
    O(destination_application_security_groups)) and O(priority) or O(priority_range). A missing one fails before any
    write and the message names all that are missing; the module never assumes V(Inbound), V(Allow) or V(*). Check
    mode and the diff show the same merged rule the module would write.
  - Retries the whole read-plan-write step, from a fresh read, while Azure answers that the NSG is busy (409 or 429,
    with or without C(Retry-After), or a long-running operation that ends busy), after a 412 and after a lost
    answer, with a random growing pause, until O(wait_timeout). When the answer of a write is lost, the next read
    tells whether it landed; the task then reports C(changed=true).
  - The rule write carries no C(If-Match) - the API declares none for security rules, and Azure shares one ETag
    across an NSG and its rules, so a guard would refuse a write after any change to another rule and serialize
    tasks that manage different rules. Each attempt plans from its own read instead.
  - Reads the NSG's JSON as Azure sends it, whatever the version of azure-mgmt-network; an answer whose shape the
    module does not understand fails the task, and nothing is written from it.
  - To apply many rules to one NSG with one write, or to remove unlisted rules, use M(azbackup.vmprep.nsg_rules).
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
  name:
    description:
      - The name of the rule; 1-80 letters, digits, underscores, periods or hyphens, starting with a letter or digit
        and ending with a letter, digit or underscore. Compared without regard to case, as Azure does.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the rule, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  direction:
    description:
      - V(Inbound) or V(Outbound), in any case.
      - Required when the rule is created; left out, an existing rule keeps its direction.
    type: str
  access:
    description:
      - V(Allow) or V(Deny), in any case.
      - Required when the rule is created; left out, an existing rule keeps its access.
    type: str
  protocol:
    description:
      - V(Tcp), V(Udp), V(Icmp), V(Esp), V(Ah) or V(*) for any, in any case.
      - Required when the rule is created; left out, an existing rule keeps its protocol.
    type: str
  priority:
    description:
      - A number 100-4096, unique among the rules of the NSG with the same direction; lower numbers are evaluated first.
        Written with the digits 0-9 only (not V(1_00), nor digits of other scripts).
      - V(auto) picks the lowest free priority in O(priority_range) (100-4096 when that is not given).
      - Required when the rule is created, unless O(priority_range) is given. Left out (with O(priority_range)
        left out too), an existing rule keeps its priority.
    type: raw
  priority_range:
    description:
      - Two numbers V([lowest, highest]) within 100-4096. The module picks the lowest priority in this range that no
        other rule of the same direction uses; an existing rule keeps its priority while it lies in the range.
      - Give either this or a numeric O(priority).
    type: list
    elements: int
  source_address_prefixes:
    description:
      - Where traffic comes from - V(*) for any address, one service tag (for example V(VirtualNetwork),
        V(AzureLoadBalancer), V(Internet), V(AzureBackup), V(Storage.WestEurope)), or IP addresses and CIDRs.
      - One value goes into Azure's single-value field, several into its list field. V(*) and a service tag must be
        the only value; IPv4 and IPv6 cannot be mixed in one rule. An address is the same as its /32 or /128 CIDR.
        An IPv6 address with a zone ID (V(fe80::1%eth0)) is refused; give it without the zone.
      - Required when the rule is created, unless O(source_application_security_groups) is given. Left out (with
        O(source_application_security_groups) left out too), an existing rule keeps its source.
    type: list
    elements: str
  destination_address_prefixes:
    description:
      - Where traffic goes to; the same values and rules as O(source_address_prefixes).
      - Required when the rule is created, unless O(destination_application_security_groups) is given. Left out
        (with O(destination_application_security_groups) left out too), an existing rule keeps its destination.
    type: list
    elements: str
  source_port_ranges:
    description:
      - Source ports - each V(N), V(N-M) or V(*) for any, with ports 0-65535 written with the digits 0-9.
        V(*) must be the only value.
      - Left out, an existing rule keeps its source ports and a new rule gets V([*]) - a client's source port is
        ephemeral, so a new rule rarely means anything else; this is the only field a new rule does not need.
    type: list
    elements: raw
  destination_port_ranges:
    description:
      - Destination ports - each V(N), V(N-M) or V(*) for any, with ports 0-65535 written with the digits 0-9.
        V(*) must be the only value.
      - Required when the rule is created; left out, an existing rule keeps its destination ports.
    type: list
    elements: raw
  source_application_security_groups:
    description:
      - Application security groups as the source, by name (in O(resource_group)) or resource ID.
      - Cannot be combined with O(source_address_prefixes). Either of the two is required when the rule is created.
    type: list
    elements: str
  destination_application_security_groups:
    description:
      - Application security groups as the destination, by name (in O(resource_group)) or resource ID.
      - Cannot be combined with O(destination_address_prefixes). Either of the two is required when the rule is
        created.
    type: list
    elements: str
  description:
    description:
      - A description of the rule, at most 140 characters. Empty removes it; left out, an existing rule keeps its
        description (a new rule gets none).
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
    description: Shows the rule before and after, in the module's option names.
notes:
  - Every option is invalid input that fails before any request when it breaks the rules above; the message names
    the option and what is allowed. Whether a rule lacks fields it needs for creation is known only after the read
    of the NSG, so that failure costs one read and no write.
  - When two runs pick the same free priority at the same moment, Azure refuses the second one; with an automatic
    priority the module then reads the NSG again and picks the next free priority.
seealso:
  - module: azbackup.vmprep.nsg_rules
  - module: azbackup.vmprep.nsg_rule_info
  - module: azbackup.vmprep.service_tags_info
"""

EXAMPLES = r"""
- name: Let the VMs reach Azure Backup's storage in their region (service tag)
  azbackup.vmprep.nsg_rule:
    resource_group: rg-app
    security_group: nsg-app
    name: allow-backup-storage
    direction: Outbound
    access: Allow
    protocol: Tcp
    source_address_prefixes: [VirtualNetwork]
    destination_address_prefixes: [Storage.WestEurope]
    destination_port_ranges: [443]
    priority_range: [200, 299]

- name: Proxy exception - the proxy VM may reach the Internet on ports 80-443
  azbackup.vmprep.nsg_rule:
    resource_group: rg-app
    security_group: nsg-app
    name: allow-proxy-out
    direction: Outbound
    access: Allow
    protocol: Tcp
    source_address_prefixes: [10.0.0.5/32]
    destination_address_prefixes: [Internet]
    destination_port_ranges: [80-443]
    priority: 200

- name: Move an existing rule to another priority; every other field keeps its current value
  azbackup.vmprep.nsg_rule:
    resource_group: rg-app
    security_group: nsg-app
    name: allow-proxy-out
    priority: 210

- name: Remove a rule
  azbackup.vmprep.nsg_rule:
    resource_group: rg-app
    security_group: nsg-app
    name: allow-proxy-out
    state: absent
"""

RETURN = r"""
rule:
  description:
    - The rule after the run (what it would be in check mode), in the module's option names. Empty when absent.
  returned: success
  type: dict
  contains:
    name:
      description: Rule name.
      type: str
      sample: allow-proxy-out
    priority:
      description: Priority, also when the module picked it.
      type: int
      sample: 200
    direction:
      description: Inbound or Outbound.
      type: str
      sample: Outbound
    access:
      description: Allow or Deny.
      type: str
      sample: Allow
    protocol:
      description: Tcp, Udp, Icmp, Esp, Ah or *.
      type: str
      sample: Tcp
    description:
      description: Description, empty when none.
      type: str
      sample: ""
    source_address_prefixes:
      description: Source prefixes, from Azure's single-value and list fields.
      type: list
      elements: str
      sample: ["10.0.0.5/32"]
    destination_address_prefixes:
      description: Destination prefixes.
      type: list
      elements: str
      sample: ["Internet"]
    source_port_ranges:
      description: Source ports.
      type: list
      elements: str
      sample: ["*"]
    destination_port_ranges:
      description: Destination ports.
      type: list
      elements: str
      sample: ["80-443"]
    source_application_security_groups:
      description: Resource IDs of source application security groups.
      type: list
      elements: str
      sample: []
    destination_application_security_groups:
      description: Resource IDs of destination application security groups.
      type: list
      elements: str
      sample: []
    id:
      description: Resource ID of the rule, when it exists in Azure.
      type: str
      sample: /subscriptions/.../networkSecurityGroups/nsg-app/securityRules/allow-proxy-out
diff:
  description: The rule before and after (empty dicts for a rule that does not exist); with C(--diff).
  returned: diff mode
  type: dict
  sample: {"before": {}, "after": {"name": "allow-proxy-out", "priority": 200}}
"""

from ansible_collections.azbackup.vmprep.plugins.module_utils import _client, _nsg
from ansible_collections.azbackup.vmprep.plugins.module_utils._errors import AzbError
from ansible_collections.azbackup.vmprep.plugins.module_utils._module import AzureModule

# How often an automatic priority is picked again when a concurrent writer took it first.
ATTEMPTS = 5


def _result_view(arm):
    if arm is None:
        return {}
    out = _nsg.view(arm)
    if arm.get("id"):
        out["id"] = arm["id"]
    return out


def _step(module, client, spec, op):
    """One read-plan-write round; Operation runs it again when Azure is busy, a 412 comes back or an answer is lost."""
    params = module.params
    rg, nsg_name = params["resource_group"], params["security_group"]
    auto = spec["state"] == "present" and spec["priority"] is None and spec["priority_range"] is not None
    for attempt in range(1, ATTEMPTS + 1):
        nsg = _nsg.get_nsg(client, rg, nsg_name)
        current, after, changed = _nsg.plan_one(spec, nsg, nsg_name)
        # The diff shows the state of the first read: a later round may read what an earlier, lost answer wrote.
        before = op.keep("before", current)
        # Unchanged: the rule as Azure has it (with its id), also when an earlier round's lost write put it there.
        result = {"changed": changed or op.maybe_landed, "rule": _result_view(after if changed else current)}
        if module.diff_mode:
            result["diff"] = {"before": _nsg.view(before) if before else {}, "after": _nsg.view(after) if after else {}}
        if not changed or module.check_mode:
            # Not changed now, but a write whose answer was lost may have landed: the read shows what it wanted.
            return result
        if after is None:
            op.write(lambda name=current["name"]: _nsg.delete_rule(client, rg, nsg_name, name, params["wait_timeout"]))
            result["changed"] = True
            return result
        try:
            written = op.write(lambda rule=after: _nsg.put_rule(client, rg, nsg_name, rule, params["wait_timeout"]))
        except Exception as exc:  # pylint: disable=broad-except
            # A concurrent writer took the priority the module picked: read again and pick the next free one.
            if auto and _nsg.is_conflict(exc) and attempt < ATTEMPTS:
                continue
            raise
        result["changed"] = True
        result["rule"] = _result_view(written or after)
        if module.diff_mode:
            result["diff"]["after"] = _nsg.view(written or after)
        return result
    raise AzbError("could not find a free priority for rule '%s' after %d attempts." % (spec["name"], ATTEMPTS))


def main_logic(module):
    params = module.params
    rg = params["resource_group"]
    _nsg.validate_target(params)
    spec = _nsg.validate(params, subscription_id=lambda: module.settings.subscription_id, resource_group=rg)
    client = module.clients.network()
    op = _client.Operation(params["wait_timeout"], "rule '%s'" % spec["name"])
    result = op.run(lambda current_op: _step(module, client, spec, current_op))
    module.exit(**result)


def main():
    spec = dict(
        resource_group=dict(type="str", required=True),
        security_group=dict(type="str", required=True),
        wait_timeout=dict(type="int", default=900),
    )
    spec.update(_nsg.rule_options())
    module = AzureModule(argument_spec=spec, supports_check_mode=True)
    module.run(main_logic)


if __name__ == "__main__":
    main()
