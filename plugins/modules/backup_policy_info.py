#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the azbackup.vmprep collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: backup_policy_info
short_description: Read the Azure VM backup policies of a Recovery Services vault
version_added: 1.1.0
description:
  - Returns the backup policies for Azure VMs (backup management type C(AzureIaasVM)) of a vault, in the form of the
    options of M(azbackup.vmprep.backup_policy), so a result can be given back to that module.
  - With O(name), one GET; without it, one list (all pages). Policies of other workloads (SQL, file shares, ...) are
    left out.
author:
  - azbackup.vmprep developers (@azbackup)
options:
  name:
    description:
      - Only this policy. A policy that does not exist gives an empty list.
    type: str
extends_documentation_fragment:
  - azbackup.vmprep.azure
  - azbackup.vmprep.azure.backup_vault
  - azbackup.vmprep.azure.info_module
seealso:
  - module: azbackup.vmprep.backup_policy
"""

EXAMPLES = r"""
- name: All Azure VM backup policies of a vault
  azbackup.vmprep.backup_policy_info:
    vault_name: rsv-backup-westeurope
    vault_resource_group: rg-backup
  register: policies

- name: Policies that protect nothing
  ansible.builtin.debug:
    msg: "{{ policies.policies | selectattr('protected_items_count', 'equalto', 0) | map(attribute='name') | list }}"

- name: One policy
  azbackup.vmprep.backup_policy_info:
    vault_name: rsv-backup-westeurope
    vault_resource_group: rg-backup
    name: daily-30
  register: one
"""

RETURN = r"""
policies:
  description: The policies, sorted by name; each as RV(azbackup.vmprep.backup_policy#module:policy) describes.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Resource ID.
      type: str
    name:
      description: Policy name.
      type: str
      sample: daily-30
    policy_type:
      description: V(standard) or V(enhanced).
      type: str
      sample: standard
    protected_items_count:
      description: How many items the policy protects.
      type: int
      sample: 3
    schedule:
      description: C(frequency), C(times), C(weekdays), C(hourly_interval), C(hourly_window_start), C(hourly_window_hours).
      type: dict
    time_zone:
      description: Windows time zone id.
      type: str
      sample: UTC
    instant_restore_days:
      description: Days instant-restore snapshots are kept.
      type: int
      sample: 2
    retention:
      description: C(daily), C(weekly), C(monthly) and C(yearly) retention (V(null) when the policy has none).
      type: dict
"""

from ansible_collections.azbackup.vmprep.plugins.module_utils import _backup
from ansible_collections.azbackup.vmprep.plugins.module_utils import _backup_policy as _policy
from ansible_collections.azbackup.vmprep.plugins.module_utils._errors import AzbError
from ansible_collections.azbackup.vmprep.plugins.module_utils._module import AzureModule


def main_logic(module):
    params = module.params
    _backup.validate_vault(params)
    name = params.get("name")
    if name is not None:
        _policy.given_form({"name": name})
    bclient = _backup.client(module.clients)
    vault, group = params["vault_name"], params["vault_resource_group"]
    if name is not None:
        found = _policy.get(bclient.protection_policies, vault, group, name)
        listed = [found] if found is not None else []
    else:
        listed = _backup.list_all(bclient.backup_policies.list, vault, group,
                                  filter="backupManagementType eq '%s'" % _policy.BACKUP_MANAGEMENT_TYPE)
    policies = []
    for policy in listed:
        props = policy.get("properties") if isinstance(policy, dict) else None
        if not isinstance(props, dict):
            raise AzbError("Azure listed a backup policy without properties; nothing was read from the list.",
                           code="UnreadableAnswer")
        if props.get("backupManagementType") != _policy.BACKUP_MANAGEMENT_TYPE:
            if name is not None:
                raise AzbError("backup policy '%s' is a policy for %s, not for Azure VMs (AzureIaasVM)."
                               % (name, props.get("backupManagementType")), code="NotAnAzureVmPolicy")
            continue
        policies.append(_policy.from_arm(policy))
    policies.sort(key=lambda p: (p["name"] or "").lower())
    module.exit(changed=False, policies=policies)


def main():
    spec = dict(_backup.VAULT_ARGSPEC)
    spec.update(name=dict(type="str"))
    module = AzureModule(argument_spec=spec, supports_check_mode=True)
    module.run(main_logic)


if __name__ == "__main__":
    main()
