#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the azbackup.vmprep collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: recovery_vault
short_description: Create, update and delete Recovery Services vaults for Azure VM Backup
version_added: 1.0.0
description:
  - Creates a Recovery Services vault, or brings an existing one to the settings given, or deletes it.
  - A vault holds the recovery points and backup policies of the VMs it protects, and must be in the same region as
    those VMs. Use one vault per region (see the C(azbackup.vmprep.vaults) playbook).
  - Only the options given are managed; an option left out keeps what the vault has.
  - An existing vault is changed with one PATCH request that holds only the settings that differ, and its tags with
    one request of ARM's Tags API that holds only the tags given that differ. A vault is created with one PUT. A vault
    is never deleted and recreated.
  - A run that changes nothing sends exactly one GET request.
author:
  - azbackup.vmprep developers (@azbackup)
options:
  name:
    description:
      - Name of the vault. 2 to 50 characters, letters, digits and hyphens, starting with a letter.
      - Checked before any request is sent.
    type: str
    required: true
  resource_group:
    description:
      - The resource group of the vault. It must exist.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the vault, V(absent) deletes it.
      - Azure refuses to delete a vault that still holds backup items, soft-deleted items, registered containers or
        private endpoints; the module then fails and names what blocks. It never deletes backup data itself.
    type: str
    choices: [present, absent]
    default: present
  location:
    description:
      - The Azure region, for example V(westeurope) or V(West Europe). Required to create a vault.
      - When the vault exists in another region the module fails; vaults cannot move.
    type: str
  storage_redundancy:
    description:
      - How the backup data is replicated. V(GeoRedundant) keeps a copy in the paired region, V(LocallyRedundant)
        keeps three copies in one datacenter, V(ZoneRedundant) spreads them over availability zones.
      - Left out on creation, Azure chooses (geo-redundant today) and the module returns what it chose.
      - B(Choose before protecting the first VM.) Azure locks the redundancy once the first item is protected or
        registered; a later change fails with an explanation, and the way out is a new vault.
    type: str
    choices: [GeoRedundant, LocallyRedundant, ZoneRedundant]
  cross_region_restore:
    description:
      - Allow restores from the copy in the paired region.
      - Only with geo-redundant storage; with any other redundancy (given, or the vault's own) the module fails before
        sending a write.
    type: bool
  soft_delete:
    description:
      - Whether deleted backup data is kept for O(soft_delete_retention_days) before it is purged.
      - V(AlwaysON) cannot be turned off again; the module refuses to change it.
    type: str
    choices: [Enabled, Disabled, AlwaysON]
  soft_delete_retention_days:
    description:
      - How many days soft-deleted backup data is kept, 14 to 180.
    type: int
  immutability:
    description:
      - V(Unlocked) protects recovery points from early deletion and can still be switched off.
      - V(Locked) cannot be undone, ever. It needs O(immutability_lock_confirm=true).
    type: str
    choices: [Disabled, Unlocked, Locked]
  immutability_lock_confirm:
    description:
      - Confirms that O(immutability=Locked) is meant. B(Locking is irreversible.) The vault can never be made
        mutable again, and recovery points cannot be deleted before they expire.
      - Needed whenever O(immutability=Locked) is given, so a copied task cannot lock a vault by accident.
    type: bool
    default: false
  public_network_access:
    description:
      - Whether the vault accepts traffic from public networks. V(Disabled) needs private endpoints for backup traffic.
    type: str
    choices: [Enabled, Disabled]
  sku:
    description:
      - The vault SKU. Azure answers with C(RS0) for it; the module reports V(Standard).
    type: str
    choices: [Standard]
    default: Standard
  tags:
    description:
      - Tags of the vault. Values are sent as strings.
      - Left out, the tags are not touched.
    type: dict
  append_tags:
    description:
      - With V(true), the O(tags) given are added to or update the vault's tags, and other tags stay.
      - With V(false), the vault gets exactly the O(tags) given.
    type: bool
    default: true
extends_documentation_fragment:
  - azbackup.vmprep.azure
  - azbackup.vmprep.azure.wait
attributes:
  check_mode:
    support: full
    description: Reads the vault and reports what would change; sends no write request.
  diff_mode:
    support: full
    description: Returns the vault's settings before and after in RV(diff).
notes:
  - The Recovery Services API (2026-11-01) declares no C(If-Match) header for vault updates, so the module sends none.
    An update holds only the settings that differ from the vault read just before, so settings changed by someone
    else in between are not overwritten.
  - Tags are written through ARM's Tags API (C(Microsoft.Resources/tags/default), operation C(Merge) with only the
    tags given, or C(Replace) with O(append_tags=false)), so a tag another run adds at the same time is never dropped;
    the module reads the tags back and merges again if its own are missing. This needs permission
    C(Microsoft.Resources/tags/write) (Contributor, Tag Contributor).
  - When Azure answers busy, or a long-running operation ends busy, the whole read, plan and write step runs again
    until O(wait_timeout). When the answer to a write is lost, the next read tells whether it landed, and the module
    reports a change when it did.
  - Storage redundancy and cross-region restore are vault settings of the Recovery Services API; the SKU does not
    affect them.
seealso:
  - module: azbackup.vmprep.recovery_vault_info
"""

EXAMPLES = r"""
- name: A geo-redundant vault with cross-region restore in West Europe
  azbackup.vmprep.recovery_vault:
    name: rsv-backup-westeurope
    resource_group: rg-backup
    location: westeurope
    storage_redundancy: GeoRedundant
    cross_region_restore: true
    soft_delete: Enabled
    soft_delete_retention_days: 14
    public_network_access: Enabled
    tags:
      owner: platform-team
  register: vault

- name: Show what Azure chose
  ansible.builtin.debug:
    msg: "{{ vault.vault.name }} stores {{ vault.vault.storage_redundancy }}"

- name: Lock immutability (irreversible)
  azbackup.vmprep.recovery_vault:
    name: rsv-backup-westeurope
    resource_group: rg-backup
    immutability: Locked
    immutability_lock_confirm: true

- name: Exactly these tags, others removed
  azbackup.vmprep.recovery_vault:
    name: rsv-backup-westeurope
    resource_group: rg-backup
    tags:
      owner: platform-team
    append_tags: false

- name: Delete a vault that no longer holds backup items
  azbackup.vmprep.recovery_vault:
    name: rsv-backup-westeurope
    resource_group: rg-backup
    state: absent
"""

RETURN = r"""
vault:
  description:
    - The vault after the run (for check mode, as it would be). Empty after O(state=absent).
    - Settings that Azure chooses on creation are V(null) in check mode.
  returned: always
  type: dict
  contains:
    id:
      description: Resource ID.
      type: str
      sample: /subscriptions/33333333-3333-3333-3333-333333333333/resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults/rsv1
    name:
      description: Vault name.
      type: str
      sample: rsv-backup-westeurope
    location:
      description: Region, in ARM's normalised form.
      type: str
      sample: westeurope
    resource_group:
      description: Resource group.
      type: str
      sample: rg-backup
    provisioning_state:
      description: Provisioning state Azure reports.
      type: str
      sample: Succeeded
    storage_redundancy:
      description: V(GeoRedundant), V(LocallyRedundant) or V(ZoneRedundant).
      type: str
      sample: GeoRedundant
    cross_region_restore:
      description: Whether cross-region restore is on.
      type: bool
      sample: true
    soft_delete:
      description: Soft delete state, V(Enabled), V(Disabled) or V(AlwaysON).
      type: str
      sample: Enabled
    soft_delete_retention_days:
      description: Days soft-deleted backup data is kept.
      type: int
      sample: 14
    immutability:
      description: V(Disabled), V(Unlocked) or V(Locked).
      type: str
      sample: Disabled
    public_network_access:
      description: V(Enabled) or V(Disabled).
      type: str
      sample: Enabled
    sku:
      description: The SKU, V(Standard) (Azure's C(RS0)).
      type: str
      sample: Standard
    tags:
      description: Tags.
      type: dict
      sample: {"owner": "platform-team"}
    etag:
      description: The vault's ETag.
      type: str
      sample: W/"datetime'2026-01-15T12%3A36%3A51.68Z'"
diff:
  description: The vault's settings before and after (without etag and provisioning state); empty dicts for no vault.
  returned: always
  type: dict
  contains:
    before:
      description: Before the run.
      type: dict
    after:
      description: After the run.
      type: dict
"""

from ansible_collections.azbackup.vmprep.plugins.module_utils import _client, _vault
from ansible_collections.azbackup.vmprep.plugins.module_utils._errors import AzbError
from ansible_collections.azbackup.vmprep.plugins.module_utils._module import AzureModule


def finish(module, changed, before, after):
    module.exit(changed=changed, vault=after or {},
                diff={"before": _vault.for_diff(before), "after": _vault.for_diff(after)})


def run_operation(module, step, context):
    """Run step in an Operation (read, plan, write; again while Azure is busy or an answer was lost).

    A write's own exception is translated here, after the Operation gave up, so that it could tell a lost answer
    (the write may have landed: read again) from a refusal.
    """
    op = _client.Operation(module.params["wait_timeout"], "vault '%s'" % module.params["name"])
    try:
        return op.run(step)
    except AzbError:
        raise
    except Exception as exc:  # pylint: disable=broad-except
        if not context.get("action"):
            raise
        raise _vault.translate(exc, context["action"], context.get("current"), context.get("desired"))


def absent(module, client):
    params = module.params
    name, group = params["name"], params["resource_group"]
    context = {}

    def step(op):
        context.clear()
        try:
            current = _vault.normalize(_vault.get(client, group, name))
        except AzbError as err:
            if (err.code or "").lower() != "resourcegroupnotfound":
                raise
            current = None
        before = op.keep("before", current)
        if current is None:
            # Gone: deleted by this run when a DELETE of an earlier attempt landed but its answer was lost.
            return finish(module, op.wrote or op.maybe_landed, before, None)
        if not module.check_mode:
            context.update(action="deleting vault '%s'" % name, current=current)
            op.write(lambda: _vault.delete(client, group, name, params["wait_timeout"]))
        return finish(module, True, before, None)

    return run_operation(module, step, context)


def present(module, client):
    params = module.params
    name, group = params["name"], params["resource_group"]
    context = {}
    tag_pipeline = []

    def tags_pipeline():
        if not tag_pipeline:
            tag_pipeline.append(_vault.tags_client(module.clients))
        return tag_pipeline[0]

    def step(op):
        context.clear()
        current = _vault.normalize(_vault.get(client, group, name))
        before = op.keep("before", current)
        # A write of an earlier attempt that landed, or whose answer was lost and which may have landed.
        landed = op.wrote or op.maybe_landed
        desired = _vault.desired_settings(params, current and current["tags"])
        if current is None:
            if not params.get("location"):
                raise AzbError("location is required to create vault '%s' in resource group '%s'." % (name, group))
            after = _vault.predict(None, desired, params, module.clients.subscription_id)
            if module.check_mode:
                return finish(module, True, before, after)
            body = _vault.create_body(params, desired)
            context.update(action="creating vault '%s'" % name, desired=desired)
            result = op.write(lambda: _vault.create(client, group, name, body, params["wait_timeout"]))
            context.clear()
            after = _vault.normalize(_vault.check_shape(result, "vault '%s'" % name)) if result else None
            if not after or after.get("storage_redundancy") is None:
                # Read back what Azure chose for the settings left out.
                after = _vault.normalize(_vault.get(client, group, name)) or after
            return finish(module, True, before, after)

        _vault.validate_against(current, desired, params)
        settings = {k: v for k, v in desired.items() if k != "tags"}
        body = _vault.patch_body(current, settings)
        tags = _vault.tag_write(current["tags"], desired, params)
        if not body and not tags:
            return finish(module, landed, before, current)
        if module.check_mode:
            return finish(module, True, before, _vault.predict(current, desired))
        after = current
        if body:
            context.update(action="updating vault '%s'" % name, current=current, desired=desired)
            result = op.write(lambda: _vault.update(client, group, name, body, params["wait_timeout"]))
            context.clear()
            after = _vault.normalize(_vault.check_shape(result, "vault '%s'" % name)) if result else None
        if tags:
            operation, values = tags
            vault_id = current["id"]
            context.update(action="updating the tags of vault '%s'" % name, current=current, desired=desired)
            op.write(lambda: _vault.write_tags(tags_pipeline(), vault_id, operation, values))
            context.clear()
            after = None
        if after is None or not after.get("id"):
            after = _vault.normalize(_vault.get(client, group, name))
        if tags and not _vault.tags_hold(after and after["tags"], *tags):
            # Someone replaced the tags between ARM's merge and this read: merge again (only this run's tags).
            raise AzbError("the tags of vault '%s' were changed by someone else right after this run wrote them; "
                           "merging them again." % name, status=412, code="ConcurrentTagChange")
        return finish(module, True, before, after)

    return run_operation(module, step, context)


def main_logic(module):
    _vault.validate_params(module.params)
    client = module.clients.recovery_services()
    if module.params["state"] == "absent":
        return absent(module, client)
    return present(module, client)


def main():
    module = AzureModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            resource_group=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            location=dict(type="str"),
            storage_redundancy=dict(type="str", choices=list(_vault.REDUNDANCY)),
            cross_region_restore=dict(type="bool"),
            soft_delete=dict(type="str", choices=list(_vault.SOFT_DELETE)),
            soft_delete_retention_days=dict(type="int"),
            immutability=dict(type="str", choices=list(_vault.IMMUTABILITY)),
            immutability_lock_confirm=dict(type="bool", default=False),
            public_network_access=dict(type="str", choices=list(_vault.NETWORK_ACCESS)),
            sku=dict(type="str", choices=list(_vault.SKUS), default="Standard"),
            tags=dict(type="dict"),
            append_tags=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=900),
        ),
        supports_check_mode=True,
    )
    module.run(main_logic)


if __name__ == "__main__":
    main()
