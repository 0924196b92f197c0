#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the azbackup.vmprep collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: recovery_vault_info
short_description: Find Recovery Services vaults by name, resource group, subscription and tags
version_added: 1.0.0
description:
  - Returns Recovery Services vaults in the same shape as M(azbackup.vmprep.recovery_vault) returns its vault.
  - With O(name) and O(resource_group), reads that vault with one request. With only O(resource_group), lists the
    vaults of the group. Otherwise lists the vaults of the whole subscription (then O(name) filters the list).
author:
  - azbackup.vmprep developers (@azbackup)
options:
  name:
    description:
      - Name of a vault, compared without regard to case.
    type: str
  resource_group:
    description:
      - Only vaults of this resource group. It must exist.
    type: str
  tags:
    description:
      - Only vaults carrying all these tags. An entry V(key) needs the tag, an entry V(key:value) needs the tag with
        that value (as in azure.azcollection).
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - azbackup.vmprep.azure
  - azbackup.vmprep.azure.info_module
seealso:
  - module: azbackup.vmprep.recovery_vault
"""

EXAMPLES = r"""
- name: One vault
  azbackup.vmprep.recovery_vault_info:
    name: rsv-backup-westeurope
    resource_group: rg-backup
  register: found

- name: Fail when it is missing or not geo-redundant
  ansible.builtin.assert:
    that:
      - found.vaults | length == 1
      - found.vaults[0].storage_redundancy == 'GeoRedundant'

- name: Every vault of the subscription owned by the platform team
  azbackup.vmprep.recovery_vault_info:
    tags:
      - owner:platform-team
  register: team_vaults

- name: Regions that have a vault
  ansible.builtin.debug:
    msg: "{{ team_vaults.vaults | map(attribute='location') | unique }}"
"""

RETURN = r"""
vaults:
  description: The matching vaults, sorted by resource ID. Empty when none matches.
  returned: always
  type: list
  elements: dict
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
      sample: false
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
"""

from ansible_collections.azbackup.vmprep.plugins.module_utils import _vault
from ansible_collections.azbackup.vmprep.plugins.module_utils._errors import AzbError
from ansible_collections.azbackup.vmprep.plugins.module_utils._module import AzureModule


def select(vaults, name=None, tags=None):
    """Normalised vaults matching the name (any case) and the tag filter, sorted by ID."""
    out = []
    for vault in (_vault.normalize(v) for v in vaults):
        if name and (vault["name"] or "").lower() != name.lower():
            continue
        if not _vault.tag_filter_matches(vault["tags"], tags):
            continue
        out.append(vault)
    return sorted(out, key=lambda v: (v["id"] or "").lower())


def main_logic(module):
    params = module.params
    name, group = params.get("name"), params.get("resource_group")
    if name is not None:
        _vault.validate_name(name)
    if group is not None:
        _vault.validate_resource_group(group)
    for entry in params["tags"]:
        if not entry or entry.startswith(":"):
            raise AzbError("tags entries must be 'key' or 'key:value'; got '%s'." % entry)
    client = module.clients.recovery_services()
    if name and group:
        found = _vault.get(client, group, name)
        vaults = [found] if found else []
    else:
        vaults = _vault.list_vaults(client, group)
    module.exit(changed=False, vaults=select(vaults, name, params["tags"]))


def main():
    module = AzureModule(
        argument_spec=dict(
            name=dict(type="str"),
            resource_group=dict(type="str"),
            tags=dict(type="list", elements="str", default=[]),
        ),
        supports_check_mode=True,
    )
    module.run(main_logic)


if __name__ == "__main__":
    main()
