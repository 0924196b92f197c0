#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the azbackup.vmprep collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: service_tags_info
short_description: Azure service tags and their address prefixes, for NSGs and firewalls
version_added: 1.0.0
description:
  - Reads the service tags of Azure (for example C(AzureBackup), C(Storage.WestEurope), C(AzureActiveDirectory))
    with their address prefixes and change numbers, with one request.
  - Use the tag names in NSG rules (see M(azbackup.vmprep.nsg_rule)); use the prefixes for firewalls and proxies
    that cannot use tags. Azure Backup needs C(AzureBackup), C(Storage.<region>) and C(AzureActiveDirectory).
author:
  - azbackup.vmprep developers (@azbackup)
options:
  location:
    description:
      - An Azure region, for example V(westeurope). It selects the cloud's tag list; it is not a filter.
    type: str
    required: true
  names:
    description:
      - Tag names to return, compared without regard to case.
      - A name without a region suffix (V(Storage)) returns the tag and all its regional tags (V(Storage.WestEurope), ...).
      - A name with a suffix (V(Storage.WestEurope)) returns only that tag.
      - Empty returns every tag.
    type: list
    elements: str
    default: []
  region:
    description:
      - Return only tags of this region (the tag's C(region) property, for example V(westeurope)), plus global tags
        when O(include_global=true).
    type: str
  include_global:
    description:
      - With O(region), also return tags that have no region, such as C(AzureActiveDirectory).
    type: bool
    default: true
  ip_version:
    description:
      - Which address prefixes to return.
    type: str
    choices: [all, ipv4, ipv6]
    default: all
extends_documentation_fragment:
  - azbackup.vmprep.azure
  - azbackup.vmprep.azure.info_module
"""

EXAMPLES = r"""
- name: Address ranges the backup extension needs in West Europe
  azbackup.vmprep.service_tags_info:
    location: westeurope
    names: [AzureBackup, Storage, AzureActiveDirectory]
    region: westeurope
    ip_version: ipv4
  register: tags

- name: Feed a firewall that cannot use service tags
  ansible.builtin.debug:
    msg: "{{ tags.service_tags | map(attribute='address_prefixes') | flatten }}"
"""

RETURN = r"""
change_number:
  description: Change number of the whole tag list; it grows when Azure changes any tag.
  returned: success
  type: str
  sample: "83"
cloud:
  description: The cloud the list belongs to.
  returned: success
  type: str
  sample: Public
service_tags:
  description: The matching tags.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: Tag name, usable as an NSG rule prefix.
      type: str
      sample: Storage.WestEurope
    id:
      description: Tag ID.
      type: str
      sample: Storage.WestEurope
    region:
      description: Region of a regional tag, empty for global tags.
      type: str
      sample: westeurope
    system_service:
      description: The Azure service the tag belongs to.
      type: str
      sample: AzureStorage
    change_number:
      description: Change number of this tag.
      type: str
      sample: "12"
    address_prefixes:
      description: The tag's address prefixes after the O(ip_version) filter.
      type: list
      elements: str
      sample: ["192.0.2.0/24"]
"""

from ansible_collections.azbackup.vmprep.plugins.module_utils._client import raw
from ansible_collections.azbackup.vmprep.plugins.module_utils._errors import AzbError
from ansible_collections.azbackup.vmprep.plugins.module_utils._module import AzureModule
from ansible_collections.azbackup.vmprep.plugins.module_utils._validate import normalize_location, validate_location


def wanted(tag_name, names):
    if not names:
        return True
    lowered = tag_name.lower()
    for name in (n.lower() for n in names):
        if lowered == name or ("." not in name and lowered.startswith(name + ".")):
            return True
    return False


def keep_prefix(prefix, ip_version):
    if ip_version == "all":
        return True
    return (":" in prefix) == (ip_version == "ipv6")


def select(values, params):
    region = normalize_location(params.get("region"))
    out = []
    for value in values:
        props = value.get("properties") or {}
        tag_region = (props.get("region") or "").lower()
        if not wanted(value.get("name", ""), params["names"]):
            continue
        if region and tag_region != region and not (params["include_global"] and not tag_region):
            continue
        out.append({
            "name": value.get("name"),
            "id": value.get("id"),
            "region": tag_region,
            "system_service": props.get("systemService") or "",
            "change_number": props.get("changeNumber") or value.get("serviceTagChangeNumber") or "",
            "address_prefixes": [p for p in props.get("addressPrefixes") or [] if keep_prefix(p, params["ip_version"])],
        })
    return out


def main_logic(module):
    location = validate_location(module.params["location"])
    client = module.clients.network()

    # The raw ARM JSON: the same shape whatever the SDK release (older ones flatten models into snake_case).
    result = client.service_tags.list(location, cls=raw)
    if not isinstance(result, dict) or not isinstance(result.get("values"), list):
        raise AzbError("the service tags answer for %s has no 'values' list; nothing is reported from a read that "
                       "could not be parsed." % location, code="UnreadableAnswer")
    module.exit(changed=False, change_number=result.get("changeNumber"), cloud=result.get("cloud"),
                service_tags=select(result.get("values") or [], module.params))


def main():
    module = AzureModule(
        argument_spec=dict(
            location=dict(type="str", required=True),
            names=dict(type="list", elements="str", default=[]),
            region=dict(type="str"),
            include_global=dict(type="bool", default=True),
            ip_version=dict(type="str", choices=["all", "ipv4", "ipv6"], default="all"),
        ),
        supports_check_mode=True,
    )
    module.run(main_logic)


if __name__ == "__main__":
    main()
