#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the azbackup.vmprep collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vm_info
short_description: Azure VMs with their network path, agent and backup extension state
version_added: 1.1.0
description:
  - Reads the Azure VMs of a subscription and returns, per VM, the host variables that the
    P(azbackup.vmprep.azure_vms#inventory) inventory plugin sets - placement, OS and image, power, VM agent and backup
    extension state, IP addresses, NICs, subnets, virtual networks, every NSG that filters the VM (NIC and subnet), the
    route table, the outbound path and the tags.
  - For playbooks run against a static inventory, which have no such host variables.
  - "Requests do not grow with the number of VMs: one list each of VMs (with their instance views), NICs, virtual
    networks, NSGs and route tables, plus NAT gateways, public IPs and load balancers when a VM needs them; the same
    reader as M(azbackup.vmprep.backup_readiness_info)."
  - A list the identity may not read (403 C(AuthorizationFailed)) does not fail the module, except the VM list itself.
    It is returned in RV(unreadable), and the facts of each VM that needed it in that VM's C(azure_unreadable).
author:
  - azbackup.vmprep developers (@azbackup)
options:
  resource_groups:
    description:
      - Only VMs of these resource groups (names compare without regard to case). Empty reads the whole subscription.
    type: list
    elements: str
    default: []
    aliases: [resource_group]
  exclude_resource_groups:
    description:
      - No VM of these resource groups (names compare without regard to case).
    type: list
    elements: str
    default: []
  names:
    description:
      - Only VMs whose name matches one of these names or shell-style patterns (V(web-*)), without regard to case.
        Empty returns every VM of the scope.
    type: list
    elements: str
    default: []
  tags:
    description:
      - Only VMs that have every tag named here, with a matching value.
      - The value is a string, a list of strings (any of them matches), or V(*) (any value). Values are shell-style
        patterns and compare with regard to case; tag names compare without.
    type: dict
    default: {}
  exclude_tags:
    description:
      - No VM that has any of the tags named here with a matching value. Same value forms as O(tags).
    type: dict
    default: {}
  power_states:
    description:
      - Only VMs in one of these power states. Empty returns every VM.
      - A VM whose power state is C(unknown) because the read of its instance view was denied (403) is returned
        whatever this list says; its C(azure_unreadable) names the missing permission.
    type: list
    elements: str
    choices: [running, stopped, deallocated, starting, stopping, deallocating, unknown]
    default: []
  max_concurrency:
    description:
      - How many list requests run at the same time, 1 to 64.
    type: int
    default: 16
extends_documentation_fragment:
  - azbackup.vmprep.azure
  - azbackup.vmprep.azure.info_module
notes:
  - Needs Reader on the VMs; without Reader on NICs, virtual networks, NSGs or route tables, the facts that need them
    are reported as unknown.
  - The subscription is that of the auth options (O(subscription_id), E(AZURE_SUBSCRIPTION_ID), ...). For several
    subscriptions, loop over them or use the P(azbackup.vmprep.azure_vms#inventory) inventory plugin.
seealso:
  - plugin: azbackup.vmprep.azure_vms
    plugin_type: inventory
  - module: azbackup.vmprep.backup_readiness_info
"""

EXAMPLES = r"""
- name: Every VM of the subscription
  azbackup.vmprep.vm_info:
  register: estate

- name: The running web servers of two resource groups
  azbackup.vmprep.vm_info:
    resource_groups: [rg-web-weu, rg-web-neu]
    names: ["web-*"]
    power_states: [running]
  register: web

- name: The NSGs that filter them, NIC and subnet alike, each once
  ansible.builtin.set_fact:
    nsgs_to_open: "{{ web.vms | map(attribute='azure_nsgs') | flatten | unique(attribute='id') }}"

- name: Say what could not be read
  ansible.builtin.debug:
    msg: "{{ item.what }} in {{ item.scope }}: {{ item.permission }} is missing"
  loop: "{{ estate.unreadable }}"
"""

RETURN = r"""
vms:
  description:
    - One entry per VM, sorted by resource group and name, with the host variables of the
      P(azbackup.vmprep.azure_vms#inventory) inventory plugin. See the collection's C(docs/inventory.md) for each of them.
  returned: success
  type: list
  elements: dict
  contains:
    azure_id:
      description: VM resource ID.
      type: str
    azure_name:
      description: VM name.
      type: str
      sample: web-01
    azure_subscription_id:
      description: Subscription of the VM.
      type: str
    azure_resource_group:
      description: Resource group of the VM.
      type: str
      sample: rg-web
    azure_location:
      description: Region, lower case without spaces.
      type: str
      sample: westeurope
    azure_zones:
      description: Availability zones of the VM.
      type: list
      elements: str
    azure_vm_size:
      description: VM size.
      type: str
      sample: Standard_B2s
    azure_os_type:
      description: V(linux), V(windows), or empty when unknown.
      type: str
      sample: linux
    azure_image:
      description: Image reference (C(publisher), C(offer), C(sku), C(version), C(id)); empty strings when absent.
      type: dict
    azure_power_state:
      description: Power state from the instance view (V(running), V(stopped), V(deallocated), ... or V(unknown)).
      type: str
      sample: running
    azure_agent:
      description: VM agent C(version), C(status) (V(Ready), V(NotReady) or V(unknown)) and C(message).
      type: dict
    azure_backup_extension:
      description:
        - The backup extension's C(name), C(status) (V(succeeded), V(failed), V(transitioning), V(absent) or
          V(unknown)) and C(message).
      type: dict
    azure_private_ips:
      description: Private IP addresses of the VM's NICs.
      type: list
      elements: str
    azure_public_ips:
      description: Public IP addresses, when the public IP addresses could be read; empty otherwise.
      type: list
      elements: str
    azure_nics:
      description: The VM's NICs (C(id), C(name), C(primary), C(private_ips), C(public_ip_ids), C(subnet_id), C(vnet_id),
        C(nsg_id)).
      type: list
      elements: dict
    azure_subnet_ids:
      description: IDs of the subnets of the VM's NICs.
      type: list
      elements: str
    azure_vnet_ids:
      description: IDs of the virtual networks of the VM's NICs.
      type: list
      elements: str
    azure_nsgs:
      description:
        - Every NSG that filters the VM, each once, NIC NSGs first (C(id), C(name), C(resource_group), C(subscription_id),
          C(location), C(attached_to) V(nic) or V(subnet), C(via) the NIC or subnet ID).
      type: list
      elements: dict
    azure_route_table:
      description:
        - The route table of the primary NIC's subnet (C(id), C(name), C(forced_tunnelling), and C(route), the route
          that decides 0.0.0.0/0, or null); null when the subnet has none. C(forced_tunnelling) is null (unknown)
          when the route table could not be read.
      type: dict
    azure_outbound:
      description:
        - The outbound path of the VM, C(path) one of V(nat_gateway), V(public_ip), V(load_balancer),
          V(default_outbound_access), V(forced_tunnelling), V(none) or V(unknown), with C(resource_id) and C(reason).
      type: dict
    azure_tags:
      description: Tags of the VM.
      type: dict
    azure_unreadable:
      description: The entries of RV(unreadable) that concern this VM.
      type: list
      elements: dict
  sample:
    - azure_name: web-01
      azure_resource_group: rg-web
      azure_location: westeurope
      azure_os_type: linux
      azure_power_state: running
      azure_nsgs:
        - {name: nsg-web, resource_group: rg-web, attached_to: nic}
unreadable:
  description:
    - The lists Azure refused to the identity (403). C(what) is the kind of resource, C(permission) the missing action,
      C(scope) where it is missing and C(message) Azure's message.
  returned: success
  type: list
  elements: dict
  sample:
    - what: virtual networks
      permission: Microsoft.Network/virtualNetworks/read
      scope: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-net
      message: The client ... does not have authorization to perform action ...
requests:
  description: How many HTTP requests to Resource Manager the module sent (retries included).
  returned: success
  type: int
  sample: 6
"""

from ansible_collections.azbackup.vmprep.plugins.module_utils._module import AzureModule
from ansible_collections.azbackup.vmprep.plugins.module_utils import _scope


def validate(params):
    """Every option checked before any request."""
    return {
        "resource_groups": _scope.validate_groups(params.get("resource_groups"), "resource_groups"),
        "exclude_resource_groups": _scope.validate_groups(params.get("exclude_resource_groups"),
                                                          "exclude_resource_groups"),
        "names": _scope.validate_names(params.get("names")),
        "tags": _scope.validate_tags(params.get("tags"), "tags"),
        "exclude_tags": _scope.validate_tags(params.get("exclude_tags"), "exclude_tags"),
        "power_states": _scope.validate_power_states(params.get("power_states")),
        "max_concurrency": _scope.validate_concurrency(params.get("max_concurrency")),
    }


def main_logic(module):
    from ansible_collections.azbackup.vmprep.plugins.module_utils import _discovery

    opts = validate(module.params)
    scope = {"resource_groups": opts["resource_groups"] or None,
             "exclude_resource_groups": opts["exclude_resource_groups"], "names": opts["names"]}
    estate = _discovery.discover(module.clients, scope=scope, max_concurrency=opts["max_concurrency"],
                                 need=("network", "views"))
    vms = [_discovery.host_vars(estate, vm) for vm in estate.vms]
    vms = [v for v in vms if _scope.keep(v, opts["tags"], opts["exclude_tags"], opts["power_states"])]
    vms.sort(key=lambda v: (str(v.get("azure_resource_group") or "").lower(), str(v.get("azure_name") or "").lower()))
    module.exit(changed=False, vms=vms, unreadable=list(estate.unreadable), requests=estate.requests)


def main():
    module = AzureModule(
        argument_spec=dict(
            resource_groups=dict(type="list", elements="str", default=[], aliases=["resource_group"]),
            exclude_resource_groups=dict(type="list", elements="str", default=[]),
            names=dict(type="list", elements="str", default=[]),
            tags=dict(type="dict", default={}),
            exclude_tags=dict(type="dict", default={}),
            power_states=dict(type="list", elements="str", default=[], choices=list(_scope.POWER_STATES)),
            max_concurrency=dict(type="int", default=16),
        ),
        supports_check_mode=True,
    )
    module.run(main_logic)


if __name__ == "__main__":
    main()
