#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the azbackup.vmprep collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vm_protection
short_description: Protect Azure VMs with a backup policy of a Recovery Services vault, stop or delete their backup
version_added: 1.1.0
description:
  - Brings the Azure Backup protection of many virtual machines in one Recovery Services vault to O(state) in one
    task. Every option of every VM is checked before the first request.
  - B(protected) - the VM is protected by the vault with its policy (the C(policy) of its entry in O(vms), else O(policy)). A VM
    protected with another policy is switched to it, a VM whose protection was stopped is resumed, and a VM whose
    backup item is soft-deleted is undeleted and then protected again.
  - B(stopped) - the protection stops and the backup data is kept (Azure's "stop backup and retain data"). A
    soft-deleted item is undeleted, so that its data is kept. A VM without a backup item is left as it is.
  - B(absent) - the protection stops and the backup data is deleted. In a vault with soft delete the item is kept
    as soft-deleted for the vault's retention days (RV(vms[].state=soft_deleted)); otherwise it is gone. A VM
    without a backup item, or with a soft-deleted one, is left as it is.
  - B(Requests) - one list of the vault's protected items plans every VM. Only when a write needs them come one
    read per distinct policy that a write uses, one list of the protectable VMs when a VM is to be protected for the
    first time, and one C(refreshContainers) (Azure's discovery of new VMs) only when such a VM is not protectable
    yet, followed by a second list (in check mode, one C(backupStatus) read per such VM instead). Then each
    VM that changes gets one write with its long-running operation (two for an undelete followed by protection), up
    to O(max_concurrency) VMs at a time. A run that changes nothing costs the one list.
  - B(Unknown policy) - a VM whose policy does not exist in the vault, or is not a policy for Azure VMs
    (C(AzureIaasVM)), fails on its own before any write of it, with a message that names the policy and the entry of
    O(vms) that asked for it. The other VMs go on; the task then fails naming each failed VM.
  - B(Retries) - each VM's write is retried on its own while Azure is busy (409/429, or an operation that ends
    with a busy code) and after a lost answer; each retry reads the VM's item again (one GET) before planning
    again, so a write whose answer was lost but that landed is reported as a change, not sent twice.
  - B(Another vault) - a VM that another vault protects fails (that VM only) naming the other vault's resource ID,
    read from Azure's backup status of the VM. The other VMs go on; the task then fails naming each failed VM.
  - B(Changed) - a VM that fails reports RV(vms[].changed=true) when a write of it landed or was accepted by Azure
    before the failure (an undelete before a failed protection, a write whose operation timed out - it goes on in
    Azure - or failed, a write whose answer was lost and that one more read finds landed). The task reports
    C(changed) when any VM changed, also when it fails.
  - B(Switch and resume) - the write that switches the policy of a protected VM or resumes a stopped one carries the
    item's C(extendedProperties) as read (for example C(diskExclusionProperties), the disks excluded from the
    backup), so they are kept; nothing the item did not have is added.
author:
  - azbackup.vmprep developers (@azbackup)
options:
  vms:
    description:
      - Each entry may also carry C(policy), the name of the backup policy for that VM (instead of O(policy)).
    required: true
  policy:
    description:
      - The name of the backup policy (in the vault) for the VMs whose entry has no C(policy).
      - Required with O(state=protected) unless every entry of O(vms) has its own C(policy). Ignored with
        O(state=stopped) and O(state=absent).
    type: str
  state:
    description:
      - V(protected) protects the VMs with their policy, V(stopped) stops their protection and keeps the data,
        V(absent) stops their protection and deletes the data (soft delete where the vault has it).
    type: str
    choices: [protected, stopped, absent]
    default: protected
  max_concurrency:
    description:
      - How many VMs are written at the same time, 1-64.
    type: int
    default: 16
extends_documentation_fragment:
  - azbackup.vmprep.azure
  - azbackup.vmprep.azure.wait
  - azbackup.vmprep.azure.backup_vault
  - azbackup.vmprep.azure.backup_vms
attributes:
  check_mode:
    support: full
    description: Reads the protected items (and the policies and protectable VMs a change needs) and reports what
      would change, without any write - not even C(refreshContainers); a VM that would need it is predicted as
      protectable (and protected). Each VM to protect for the first time is looked up in Azure's backup status (a
      POST that only reads), so a VM that another vault protects is predicted to fail, naming that vault, exactly
      like a real run.
  diff_mode:
    support: full
    description: Shows C(state) and C(policy) of each VM before and after, keyed by the VM's resource ID.
notes:
  - O(wait_timeout) applies to each VM's write and to C(refreshContainers).
  - A VM can be protected only by a vault in its own region and subscription. A VM that Azure does not offer as
    protectable, even after C(refreshContainers), fails with a message that says so.
  - Deleting backup data (O(state=absent)) of a vault with soft delete C(AlwaysON) cannot be undone by disabling
    soft delete; the item is purged when its retention ends.
seealso:
  - module: azbackup.vmprep.vm_protection_info
  - module: azbackup.vmprep.recovery_vault
"""

EXAMPLES = r"""
- name: Protect two VMs with the policy DailyPolicy
  azbackup.vmprep.vm_protection:
    vault_name: rsv-backup-westeurope
    vault_resource_group: rg-backup
    policy: DailyPolicy
    vms:
      - name: vm-web-01
        resource_group: rg-app
      - /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm-db-01

- name: A policy per VM (the database gets the enhanced policy)
  azbackup.vmprep.vm_protection:
    vault_name: rsv-backup-westeurope
    vault_resource_group: rg-backup
    policy: DailyPolicy
    vms:
      - {name: vm-web-01, resource_group: rg-app}
      - {name: vm-db-01, resource_group: rg-app, policy: EnhancedHourly}

- name: Stop the backup of a VM and keep its recovery points
  azbackup.vmprep.vm_protection:
    vault_name: rsv-backup-westeurope
    vault_resource_group: rg-backup
    state: stopped
    vms: [{name: vm-old, resource_group: rg-app}]

- name: Stop the backup and delete the data (soft delete keeps it 14 days where the vault has it)
  azbackup.vmprep.vm_protection:
    vault_name: rsv-backup-westeurope
    vault_resource_group: rg-backup
    state: absent
    vms: [{name: vm-old, resource_group: rg-app}]

- name: Protect a fleet, 32 VMs at a time; go on when some VMs fail (another vault protects them, for example)
  azbackup.vmprep.vm_protection:
    vault_name: rsv-backup-westeurope
    vault_resource_group: rg-backup
    policy: DailyPolicy
    vms: "{{ fleet_vm_ids }}"
    max_concurrency: 32
  register: protection
  ignore_errors: true

- name: The VMs that failed, and why
  ansible.builtin.debug:
    msg: "{{ protection.vms | selectattr('failed') | map(attribute='msg') | list }}"
  when: protection is failed
"""

RETURN = r"""
vms:
  description: One entry per entry of O(vms), in the same order.
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
    changed:
      description:
        - Whether the VM's protection changed (would change, in check mode).
        - Also true for a VM that failed after a write of it landed or was accepted by Azure (see the description).
      type: bool
    failed:
      description: Whether this VM failed; see RV(vms[].msg).
      type: bool
    state:
      description:
        - The protection of the VM in this vault after the run - V(protected), V(stopped), V(soft_deleted) or
          V(absent) (no backup item). Null when the VM failed.
      type: str
      sample: protected
    protection_state:
      description:
        - Azure's protection state of the item (C(IRPending) until the first backup, C(Protected),
          C(ProtectionStopped), C(ProtectionError), ...), C(NotProtected) without an item. After a change, the state
          Azure gives such a change.
      type: str
      sample: IRPending
    policy:
      description: The name of the backup policy when RV(vms[].state=protected), else null.
      type: str
      sample: DailyPolicy
    item_id:
      description: The resource ID of the VM's protected item in the vault (null when RV(vms[].state=absent)).
      type: str
    job_id:
      description: The ID of the Azure Backup job of the last write (ConfigureBackup, DisableBackup,
        DeleteBackupData, Undelete), when Azure named one.
      type: str
    msg:
      description: Why the VM failed.
      type: str
      returned: when the VM failed
    vault_id:
      description: The resource ID of the other vault that protects the VM.
      type: str
      returned: when the VM failed because another vault protects it
    error_code:
      description: Azure's error code of the failure, when there is one.
      type: str
      returned: when the VM failed
  sample:
    - id: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm-web-01
      name: vm-web-01
      resource_group: rg-app
      changed: true
      failed: false
      state: protected
      protection_state: IRPending
      policy: DailyPolicy
      item_id: /subscriptions/.../vaults/rsv-backup-westeurope/.../protectedItems/VM;iaasvmcontainerv2;rg-app;vm-web-01
      job_id: 0b1c2d3e-0000-0000-0000-000000000000
summary:
  description: How many VMs there were, and how many changed, did not change and failed.
  returned: always
  type: dict
  sample: {"total": 50, "changed": 3, "unchanged": 47, "failed": 0}
refreshed:
  description: Whether C(refreshContainers) ran (it runs at most once per task, and never in check mode).
  returned: always
  type: bool
  sample: false
diff:
  description: C(state) and C(policy) of each VM before and after, keyed by VM resource ID; with C(--diff).
  returned: with --diff
  type: dict
"""

from ansible_collections.azbackup.vmprep.plugins.module_utils import _backup, _protection
from ansible_collections.azbackup.vmprep.plugins.module_utils._module import AzureModule


def main_logic(module):
    vms = _protection.targets(module.params, lambda: module.settings.subscription_id)
    task = _protection.Task(module, vms)
    entries, diff = task.run()
    changed = any(e["changed"] for e in entries)
    failed = [e for e in entries if e["failed"]]
    summary = {"total": len(entries), "changed": sum(1 for e in entries if e["changed"]),
               "unchanged": sum(1 for e in entries if not e["failed"] and not e["changed"]), "failed": len(failed)}
    extra = {"diff": diff} if module.diff_mode else {}
    if failed:
        module.fail("%d of %d VMs failed: %s. The results of every VM are in vms."
                    % (len(failed), len(entries), "; ".join("%s (%s): %s" % (e["name"], e["resource_group"], e["msg"])
                                                            for e in failed)),
                    changed=changed, vms=entries, summary=summary, refreshed=task.refreshed, **extra)
    module.exit(changed=changed, vms=entries, summary=summary, refreshed=task.refreshed, **extra)


def main():
    spec = dict(_backup.VAULT_ARGSPEC)
    spec.update(vms=dict(type="list", elements="raw", required=True))
    spec.update(_protection.ARGSPEC)
    module = AzureModule(argument_spec=spec, supports_check_mode=True)
    module.run(main_logic)


if __name__ == "__main__":
    main()
