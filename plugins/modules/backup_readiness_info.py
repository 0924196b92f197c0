#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the azbackup.vmprep collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: backup_readiness_info
short_description: Per-VM report of Azure VM Backup prerequisites and limitations
version_added: 1.0.0
description:
  - Checks every Azure VM of a resource group or of the whole subscription from Azure's side, without logging into
    the VM, and says per VM what will make its backup fail and how to fix it.
  - "The checks: C(agent) (VM agent present, Ready and recent enough), C(backup_extension) (VMSnapshot /
    VMSnapshotLinux status), C(power_state), C(region) (a vault in the VM's region), C(disks) (data-disk count,
    ephemeral OS disk, disks that need the Enhanced policy), C(os) (supported OS; a Linux VM needs the agent),
    C(network_config) (load-balancer backend, several NICs or public IPs), C(outbound) (the NSG rules on the NIC
    and the subnet allow TCP 443 to C(Storage.<region>) and C(AzureBackup), or a proxy is declared), C(route)
    (forced tunnelling: the subnet's route table sends 0.0.0.0/0 to an appliance, a gateway or nowhere) and
    C(outbound_path) (the subnet's way out: NAT gateway, public IP, load-balancer outbound rule or default outbound
    access; none for a private subnet)."
  - Each check gives V(pass), V(warn), V(unknown) or V(fail), a one-line reason and a remedy. V(unknown) means a
    read the check needs was denied (HTTP 403); the reason names the permission and the scope. See the
    collection's C(docs/readiness.md) for the table of checks.
  - "Requests grow with the number of resource groups and list pages, not with VMs times checks: VMs (with their
    instance views, C($expand=instanceView)), NICs, NSGs, virtual networks and vaults are read with list calls, and
    route tables, NAT gateways and load balancers with one list each only when a subnet or NIC in scope references
    them. Where a list does not carry the instance views, they come from C(statusOnly=true) or one GET per VM, run
    concurrently (O(max_concurrency)). Throttling answers (429) are retried honouring C(Retry-After)."
  - "A read the identity may not do never fails the module, except the VM list itself: a subscription-wide list
    refused with 403 is replaced by the lists of the resource groups the VMs reference, and a refused list is
    returned in RV(unreadable); the checks that needed it say V(unknown)."
author:
  - azbackup.vmprep developers (@azbackup)
options:
  resource_group:
    description:
      - Check only the VMs of this resource group. Without it, every VM of the subscription is checked.
    type: str
  names:
    description:
      - Check only VMs whose name matches one of these names or shell-style patterns (V(web-*)), without regard
        to case. Empty checks every VM of the scope.
    type: list
    elements: str
    default: []
  vaults:
    description:
      - The Recovery Services vaults the VMs are to be backed up to. The C(region) check passes when one of them is
        in the VM's region.
      - Mutually exclusive with O(vault_regions). Without both, every vault of the subscription counts.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description:
          - Vault name - 2 to 50 characters, letters, digits and hyphens, starting with a letter. Another name fails
            the task before any request.
        type: str
        required: true
      resource_group:
        description:
          - Resource group of the vault - 1 to 90 characters, letters, digits, underscores, hyphens, periods and
            parentheses, not ending with a period.
        type: str
        required: true
  vault_regions:
    description:
      - Use the vaults of the subscription in these regions (for example V(westeurope)).
    type: list
    elements: str
    default: []
  min_agent_version:
    description:
      - Minimum VM agent version per OS; an older agent fails the C(agent) check.
    type: dict
    default: {}
    suboptions:
      linux:
        description: Minimum Azure Linux agent (walinuxagent) version.
        type: str
        default: 2.2.53.1
      windows:
        description: Minimum Windows VM agent version.
        type: str
        default: 2.7.41491.1010
  max_data_disks:
    description:
      - The most data disks Azure Backup supports on one VM. The default follows the Azure VM backup support matrix
        (up to 32 data disks).
    type: int
    default: 32
  proxy_vms:
    description:
      - Names or shell-style patterns of VMs whose outbound traffic goes through a proxy. For them the C(outbound)
        check passes even when the NSG rules block TCP 443 to C(Storage) or C(AzureBackup), the C(route) check
        passes a default route to an appliance or a gateway (and warns on one to V(None)), and C(outbound_path)
        passes a private subnet. V(*) declares a proxy for every VM.
    type: list
    elements: str
    default: []
  proxy_tag:
    description:
      - A VM with this tag (any value except empty, V(false), V(no) or V(0)) is treated as declared in O(proxy_vms).
      - Set it to an empty string to ignore tags.
    type: str
    default: azbackup-proxy
  checks:
    description:
      - The checks to run. All by default. Without C(region) and O(vaults) no vault is read; without
        C(network_config), C(outbound), C(route) and C(outbound_path) no network resource is read.
    type: list
    elements: str
    choices: [agent, backup_extension, power_state, region, disks, os, network_config, outbound, route, outbound_path]
    default: [agent, backup_extension, power_state, region, disks, os, network_config, outbound, route, outbound_path]
  max_concurrency:
    description:
      - How many per-VM reads (instance views) and per-resource-group lists run at the same time, 1 to 64.
    type: int
    default: 16
extends_documentation_fragment:
  - azbackup.vmprep.azure
  - azbackup.vmprep.azure.info_module
notes:
  - The agent, extension and OS version are read from the VM's instance view. A stopped or deallocated VM has no
    running agent to report; its C(agent) check is a warning until the VM runs.
  - The C(outbound) check evaluates the custom and default outbound rules of the NSG on the primary NIC and on its
    subnet in priority order, for TCP 443 to C(Storage.<region>) and to C(AzureBackup). A Deny rule on a specific
    address range before the deciding rule gives a warning, because the module cannot tell whether the range holds
    Storage or Azure Backup addresses.
  - The C(route) check reads the route table of the primary NIC's subnet. Routes learned by BGP (from a VPN or
    ExpressRoute gateway) are not in the route table and cannot be seen; when the virtual network has a
    C(GatewaySubnet) or a peering that uses the remote gateways, and the table does not disable BGP route
    propagation, the check warns that a gateway may advertise a default route.
  - Needs Reader on the VMs, NICs, virtual networks, NSGs, route tables, NAT gateways, load balancers and vaults.
    Without some of them the module still reports every VM it can list; see RV(unreadable).
  - Reads Resource Manager through azure-mgmt-core's public pipeline with fixed api-versions (Microsoft.Compute
    2026-04-01, Microsoft.Network 2025-07-01, Microsoft.RecoveryServices 2026-11-01); it imports no
    azure-mgmt-compute, azure-mgmt-network or azure-mgmt-recoveryservices code, so any release of them that the
    collection's C(requirements.txt) allows works.
seealso:
  - module: azbackup.vmprep.service_tags_info
"""

EXAMPLES = r"""
- name: Check every VM of the subscription against the vaults of the subscription
  azbackup.vmprep.backup_readiness_info:
  register: readiness

- name: Check the web servers of one resource group against one vault, two of them behind a proxy
  azbackup.vmprep.backup_readiness_info:
    resource_group: rg-web
    names: ["web-*"]
    vaults:
      - name: rsv-weu
        resource_group: rg-backup
    proxy_vms: [web-01, web-02]
    min_agent_version:
      linux: 2.9.1.1
  register: readiness

- name: Stop when a VM will fail its backup
  ansible.builtin.assert:
    that: readiness.summary.fail == 0
    fail_msg: "{{ readiness.vms | selectattr('result', 'equalto', 'fail') | map(attribute='name') | list }}"
"""

RETURN = r"""
vms:
  description: One entry per VM, sorted by resource group and name.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: VM name.
      type: str
      sample: web-01
    id:
      description: VM resource ID.
      type: str
    resource_group:
      description: Resource group of the VM.
      type: str
      sample: rg-web
    location:
      description: Region of the VM.
      type: str
      sample: westeurope
    os_type:
      description: V(windows), V(linux), or empty when unknown.
      type: str
      sample: linux
    power_state:
      description: Power state from the instance view (V(running), V(stopped), V(deallocated), ... or V(unknown)).
      type: str
      sample: running
    agent_version:
      description: The VM agent version the instance view reports, empty when none.
      type: str
      sample: 2.9.1.1
    result:
      description: The worst result of the VM's checks, in the order V(pass) < V(warn) < V(unknown) < V(fail).
      type: str
      sample: warn
    unreadable:
      description: The entries of RV(unreadable) that concern this VM (the reads its V(unknown) checks needed).
      type: list
      elements: dict
    checks:
      description: The results of the checks.
      type: list
      elements: dict
      contains:
        check:
          description: Check name.
          type: str
          sample: outbound
        result:
          description: V(pass), V(warn), V(unknown) (a read the check needs was denied) or V(fail).
          type: str
          sample: fail
        reason:
          description: One line saying why.
          type: str
          sample: NSG nsg-web rule DenyInternet (priority 4000) blocks outbound TCP 443 to Storage.westeurope and AzureBackup.
        remedy:
          description: What to do about it; empty for a pass.
          type: str
summary:
  description: Counts of VMs per worst result, and of results per check.
  returned: success
  type: dict
  sample: {"vms": 3, "pass": 1, "warn": 1, "unknown": 0, "fail": 1,
           "checks": {"agent": {"pass": 2, "warn": 1, "unknown": 0, "fail": 0}}}
vaults:
  description: The vaults the C(region) check used; empty when the vault list could not be read.
  returned: success
  type: list
  elements: dict
  sample: [{"name": "rsv-weu", "resource_group": "rg-backup", "location": "westeurope"}]
unreadable:
  description:
    - The lists Resource Manager refused (HTTP 403), one entry per refused list. The checks that needed them say
      V(unknown). A subscription-wide list refused and then read per resource group is not listed.
  returned: success
  type: list
  elements: dict
  contains:
    what:
      description: What could not be read.
      type: str
      sample: virtual networks
    permission:
      description: The permission the identity lacks, from Resource Manager's message.
      type: str
      sample: Microsoft.Network/virtualNetworks/read
    scope:
      description: The scope it lacks it on.
      type: str
      sample: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-net
    message:
      description: Resource Manager's message.
      type: str
requests:
  description: How many HTTP requests to Resource Manager the module sent (retries included).
  returned: success
  type: int
  sample: 9
"""

from ansible_collections.azbackup.vmprep.plugins.module_utils._module import AzureModule
from ansible_collections.azbackup.vmprep.plugins.module_utils import _discovery, _readiness


def main_logic(module):
    _readiness.validate(module.params)  # bad input fails before any request
    reader = _discovery.Reader(module.clients, module.params["max_concurrency"])
    report = _readiness.build_report(reader, module.params)
    module.exit(changed=False, **report)


def main():
    module = AzureModule(
        argument_spec=dict(
            resource_group=dict(type="str"),
            names=dict(type="list", elements="str", default=[]),
            vaults=dict(type="list", elements="dict", default=[], options=dict(
                name=dict(type="str", required=True),
                resource_group=dict(type="str", required=True),
            )),
            vault_regions=dict(type="list", elements="str", default=[]),
            min_agent_version=dict(type="dict", default={}, options=dict(
                linux=dict(type="str", default=_readiness.DEFAULT_MIN_AGENT["linux"]),
                windows=dict(type="str", default=_readiness.DEFAULT_MIN_AGENT["windows"]),
            )),
            max_data_disks=dict(type="int", default=_readiness.DEFAULT_MAX_DATA_DISKS),
            proxy_vms=dict(type="list", elements="str", default=[]),
            proxy_tag=dict(type="str", default=_readiness.DEFAULT_PROXY_TAG),
            checks=dict(type="list", elements="str", choices=list(_readiness.CHECKS), default=list(_readiness.CHECKS)),
            max_concurrency=dict(type="int", default=16),
        ),
        supports_check_mode=True,
    )
    module.run(main_logic)


if __name__ == "__main__":
    main()
