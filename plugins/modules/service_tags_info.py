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
      - An Azure region, for example V(westeurope) or V(West Europe). It selects the cloud's tag list; it is not a
        filter.
      - In the public clouds (O(cloud_environment) V(AzureCloud), V(AzureChinaCloud), V(AzureUSGovernment), or their
        Resource Manager URLs) it must be one of the cloud's regions, checked before any request; the error names the
        closest regions. C(az account list-locations --query "[].name" -o tsv) lists them.
      - In other clouds (a Resource Manager URL such as Azure Stack Hub's) Azure checks it, and its refusal is
        reported with the regions it names.
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
      - In the public clouds it must be one of the cloud's regions, checked before any request, like O(location).
      - In every cloud, the answer must hold at least one regional tag of this region; otherwise the module fails
        and lists the regions the answer has, instead of returning only the global tags.
    type: str
  allow_unlisted_region:
    description:
      - Accept a O(location) or O(region) that the collection's table of public regions does not list, for a region
        Azure opened after this release of the collection.
      - The checks against Azure's answer still apply; Azure refuses an unknown O(location), and O(region) must have
        regional tags in the answer.
      - Has no effect on clouds other than the public ones, whose regions are always checked against the answer.
    type: bool
    default: false
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

import re

from ansible_collections.azbackup.vmprep.plugins.module_utils._client import raw
from ansible_collections.azbackup.vmprep.plugins.module_utils._errors import AzbError
from ansible_collections.azbackup.vmprep.plugins.module_utils._errors import _arm_error as arm_error
from ansible_collections.azbackup.vmprep.plugins.module_utils._module import AzureModule
from ansible_collections.azbackup.vmprep.plugins.module_utils._regions import (
    check_answer_region,
    check_public_region,
    public_cloud,
    suggestion,
)
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


# ARM's answers to a location the provider is not registered in ("... The supported locations are 'a, b'.").
LOCATION_REFUSALS = ("noregisteredproviderfound", "invalidlocation", "locationnotavailableforresourcetype")
_SUPPORTED = re.compile(r"supported locations are '([^']*)'", re.IGNORECASE)


def location_refused(status, code, message, location, where):
    """AzbError naming the location option for ARM's refusal of the location, or None for any other answer.

    message is ARM's whole message (not the first 600 characters kept in errors): the supported locations come after
    the list of api-versions."""
    if (code or "").lower() not in LOCATION_REFUSALS:
        return None
    if code.lower() == "noregisteredproviderfound" and "location '%s'" % location not in (message or "").lower():
        return None  # refused for another reason (the api-version): leave the answer as it is
    match = _SUPPORTED.search(message or "")
    supported = sorted(set(normalize_location(p) for p in match.group(1).split(","))) if match else []
    msg = "location '%s' is not a region where %s serves service tags." % (location, where)
    if supported:
        msg += "%s It serves: %s." % (suggestion(location, supported), ", ".join(supported))
    return AzbError(msg, status=status, code=code)


def answered_regions(values):
    return set((((v.get("properties") or {}).get("region")) or "").lower() for v in values if isinstance(v, dict))


def main_logic(module):
    params = module.params
    location = validate_location(params["location"])
    region = validate_location(params["region"], option="region") if params.get("region") else None
    # The cloud comes from the options, the environment or the profile: known without any request.
    cloud = public_cloud(module.settings.cloud_environment)
    if cloud and not params["allow_unlisted_region"]:
        check_public_region(location, cloud, "location")
        if region:
            check_public_region(region, cloud, "region")
    where = cloud or "the cloud at %s" % module.settings.cloud_environment
    client = module.clients.network()

    # The raw ARM JSON: the same shape whatever the SDK release (older ones flatten models into snake_case).
    try:
        result = client.service_tags.list(location, cls=raw)
    except Exception as exc:  # pylint: disable=broad-except
        refused = None
        if hasattr(exc, "response"):  # an answer of Azure: the location may be what it refused
            status, code, message, _details = arm_error(exc)
            refused = location_refused(status, code, message, location, where)
        if refused is not None:
            raise refused from exc
        raise
    if not isinstance(result, dict) or not isinstance(result.get("values"), list):
        raise AzbError("the service tags answer for %s has no 'values' list; nothing is reported from a read that "
                       "could not be parsed." % location, code="UnreadableAnswer")
    values = result.get("values") or []
    if region:
        # Never only the global tags for a region the answer does not know (a typo, or a table out of date).
        check_answer_region(region, answered_regions(values), "region",
                            "the service tag list of %s (read at location %s)" % (where, location))
    module.exit(changed=False, change_number=result.get("changeNumber"), cloud=result.get("cloud"),
                service_tags=select(values, params))


def main():
    module = AzureModule(
        argument_spec=dict(
            location=dict(type="str", required=True),
            names=dict(type="list", elements="str", default=[]),
            region=dict(type="str"),
            include_global=dict(type="bool", default=True),
            ip_version=dict(type="str", choices=["all", "ipv4", "ipv6"], default="all"),
            allow_unlisted_region=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    module.run(main_logic)


if __name__ == "__main__":
    main()
