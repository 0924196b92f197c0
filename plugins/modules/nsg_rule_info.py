#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the azbackup.vmprep collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: nsg_rule_info
short_description: The security rules of an Azure network security group, custom and default
version_added: 1.0.0
description:
  - Returns the rules of one network security group (NSG) - its custom rules and, unless switched off, the default
    rules Azure adds to every NSG - with one request.
  - Rules come in the option names of M(azbackup.vmprep.nsg_rule), so a returned rule can be fed back to it.
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
      - The name of the NSG.
    type: str
    required: true
  names:
    description:
      - Return only rules whose name matches one of these, compared without regard to case. Shell-style wildcards
        (V(allow-*), V(?)) are allowed. Empty returns every rule.
    type: list
    elements: str
    default: []
  direction:
    description:
      - Return only rules of this direction, V(Inbound) or V(Outbound) (any case).
    type: str
  include_default:
    description:
      - Also return the default rules (C(AllowVnetInBound), C(DenyAllInBound), ...).
    type: bool
    default: true
extends_documentation_fragment:
  - azbackup.vmprep.azure
  - azbackup.vmprep.azure.info_module
seealso:
  - module: azbackup.vmprep.nsg_rule
  - module: azbackup.vmprep.nsg_rules
"""

EXAMPLES = r"""
- name: Outbound rules of an NSG
  azbackup.vmprep.nsg_rule_info:
    resource_group: rg-app
    security_group: nsg-app
    direction: Outbound
    include_default: false
  register: nsg

- name: Is the backup path open?
  ansible.builtin.assert:
    that: nsg.rules | selectattr('destination_address_prefixes', 'contains', 'AzureBackup') | list | length > 0
"""

RETURN = r"""
security_group:
  description: The NSG.
  returned: success
  type: dict
  contains:
    id:
      description: Resource ID.
      type: str
      sample: /subscriptions/.../resourceGroups/rg-app/providers/Microsoft.Network/networkSecurityGroups/nsg-app
    name:
      description: Name.
      type: str
      sample: nsg-app
    location:
      description: Region.
      type: str
      sample: westeurope
    etag:
      description: ETag of the NSG; it changes with every change to the NSG or its rules.
      type: str
      sample: W/"00000000-0000-0000-0000-000000000000"
rules:
  description: The matching rules, custom rules first, each in ascending priority order per direction.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: Rule name.
      type: str
      sample: allow-proxy-out
    default:
      description: Whether this is one of the default rules Azure adds to every NSG.
      type: bool
      sample: false
    priority:
      description: Priority.
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
      description: Resource ID of the rule.
      type: str
      sample: /subscriptions/.../networkSecurityGroups/nsg-app/securityRules/allow-proxy-out
    provisioning_state:
      description: Provisioning state of the rule.
      type: str
      sample: Succeeded
"""

import fnmatch

from ansible_collections.azbackup.vmprep.plugins.module_utils import _nsg
from ansible_collections.azbackup.vmprep.plugins.module_utils._module import AzureModule


def matches(name, patterns):
    if not patterns:
        return True
    lowered = (name or "").lower()
    return any(fnmatch.fnmatchcase(lowered, p.lower()) for p in patterns)


def select(nsg, params, direction):
    groups = [(False, _nsg.custom_rules(nsg))]
    if params["include_default"]:
        groups.append((True, _nsg.default_rules(nsg)))
    out = []
    for is_default, rules in groups:
        chosen = []
        for arm in rules:
            item = _nsg.view(arm)
            if not matches(item["name"], params["names"]):
                continue
            if direction and (item["direction"] or "").lower() != direction.lower():
                continue
            item["default"] = is_default
            item["id"] = arm.get("id")
            item["provisioning_state"] = (arm.get("properties") or {}).get("provisioningState")
            chosen.append(item)
        chosen.sort(key=lambda r: ((r["direction"] or "").lower(), r["priority"] or 0))
        out.extend(chosen)
    return out


def main_logic(module):
    params = module.params
    _nsg.validate_target(params)
    direction = None
    if params["direction"]:
        direction = _nsg.canonical(params["direction"], _nsg.DIRECTIONS, "direction")
    client = module.clients.network()
    nsg = _nsg.get_nsg(client, params["resource_group"], params["security_group"])
    module.exit(
        changed=False,
        security_group={k: nsg.get(k) for k in ("id", "name", "location", "etag")},
        rules=select(nsg, params, direction),
    )


def main():
    module = AzureModule(
        argument_spec=dict(
            resource_group=dict(type="str", required=True),
            security_group=dict(type="str", required=True),
            names=dict(type="list", elements="str", default=[]),
            direction=dict(type="str"),
            include_default=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    module.run(main_logic)


if __name__ == "__main__":
    main()
