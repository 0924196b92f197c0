#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the azbackup.vmprep collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vm_protection_info
short_description: Backup protection of Azure VMs in a Recovery Services vault - state, health, last backup, policy
version_added: 1.1.0
description:
  - Lists the Azure VM backup items of a Recovery Services vault with one request (one per page of 50 items or
    more, as Azure pages the list), soft-deleted items included.
  - With O(vms), returns one entry per VM given, in the same order; a VM without a backup item in the vault appears
    with RV(vms[].protection_state=NotProtected). Without O(vms), returns every VM item of the vault.
author:
  - azbackup.vmprep developers (@azbackup)
options:
  vms:
    description:
      - Only these VMs. Left out, every VM that has a backup item in the vault.
extends_documentation_fragment:
  - azbackup.vmprep.azure
  - azbackup.vmprep.azure.info_module
  - azbackup.vmprep.azure.backup_vault
  - azbackup.vmprep.azure.backup_vms
seealso:
  - module: azbackup.vmprep.vm_protection
"""

EXAMPLES = r"""
- name: The protection of two VMs
  azbackup.vmprep.vm_protection_info:
    vault_name: rsv-backup-westeurope
    vault_resource_group: rg-backup
    vms:
      - {name: vm-web-01, resource_group: rg-app}
      - {name: vm-db-01, resource_group: rg-app}
  register: protection

- name: VMs whose last backup did not complete
  ansible.builtin.debug:
    msg: "{{ protection.vms | rejectattr('last_backup_status', 'equalto', 'Completed') | map(attribute='name') | list }}"

- name: Every VM item of the vault
  azbackup.vmprep.vm_protection_info:
    vault_name: rsv-backup-westeurope
    vault_resource_group: rg-backup
  register: all_items
"""

RETURN = r"""
vms:
  description: One entry per VM of O(vms) in that order, else one per VM item of the vault.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The resource ID of the VM.
      type: str
    name:
      description: The name of the VM.
      type: str
    resource_group:
      description: The resource group of the VM.
      type: str
    item_id:
      description: The resource ID of the protected item, null without one.
      type: str
    protection_state:
      description: Azure's protection state (C(IRPending), C(Protected), C(ProtectionError), C(ProtectionStopped),
        ...); C(NotProtected) for a VM without an item in the vault.
      type: str
      sample: Protected
    protection_status:
      description: Azure's protection status of the item (for example C(Healthy)).
      type: str
    health_status:
      description: Azure's health of the item (C(Passed), C(ActionRequired), C(ActionSuggested)).
      type: str
      sample: Passed
    last_backup_status:
      description: The status of the last backup (for example C(Completed) or C(Failed)); null before the first.
      type: str
    last_backup_time:
      description: When the last backup ran (UTC, ISO 8601); null before the first.
      type: str
    last_recovery_point:
      description: The time of the latest recovery point (UTC, ISO 8601); null without one.
      type: str
    policy:
      description: The name of the item's backup policy; null when its protection is stopped.
      type: str
      sample: DailyPolicy
    soft_deleted:
      description: Whether the item is soft-deleted (its data is purged when the vault's retention ends).
      type: bool
  sample:
    - id: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm-web-01
      name: vm-web-01
      resource_group: rg-app
      item_id: /subscriptions/.../vaults/rsv-backup-westeurope/.../protectedItems/VM;iaasvmcontainerv2;rg-app;vm-web-01
      protection_state: Protected
      protection_status: Healthy
      health_status: Passed
      last_backup_status: Completed
      last_backup_time: "2026-11-30T02:00:00Z"
      last_recovery_point: "2026-11-30T02:00:00Z"
      policy: DailyPolicy
      soft_deleted: false
"""

from ansible_collections.azbackup.vmprep.plugins.module_utils import _backup, _protection
from ansible_collections.azbackup.vmprep.plugins.module_utils._module import AzureModule


def main_logic(module):
    params = module.params
    _protection.validate_vault(params)
    wanted = None
    if params.get("vms") is not None:
        wanted = _protection.vm_list(params, lambda: module.settings.subscription_id)
    items = _backup.protected_items(_backup.client(module.clients), params["vault_resource_group"],
                                    params["vault_name"])
    if wanted is None:
        out = [_protection.info_entry(None, item) for _key, item in sorted(items.items())]
    else:
        out = [_protection.info_entry(vm["id"], items.get(vm["key"])) for vm in wanted]
    module.exit(changed=False, vms=out)


def main():
    spec = dict(_backup.VAULT_ARGSPEC)
    spec.update(_backup.VMS_ARGSPEC)
    module = AzureModule(argument_spec=spec, supports_check_mode=True)
    module.run(main_logic)


if __name__ == "__main__":
    main()
