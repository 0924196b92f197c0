# Copyright: contributors to the azbackup.vmprep collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks of Azure names that every module shares, run before any request (one home for each naming rule)."""

from __future__ import annotations

import re

from ansible_collections.azbackup.vmprep.plugins.module_utils._errors import AzbError

# Resource groups: 1-90 characters, letters, digits, underscores, hyphens, periods and parentheses, not ending
# with a period (Azure's resource naming rules, Microsoft.Resources).
_GROUP = re.compile(r"^[-\w.()]{1,90}\Z")
_REGION = re.compile(r"^[a-z0-9]{2,40}\Z")
_REGION_RAW = re.compile(r"^[A-Za-z0-9 ]+\Z")  # westeurope, West Europe, WestEurope


def normalize_location(location):
    """'West Europe' -> 'westeurope', as ARM does."""
    return re.sub(r"\s+", "", location or "").lower()


def validate_resource_group(group, option="resource_group"):
    if not group or not _GROUP.match(group) or group.endswith("."):
        raise AzbError("%s '%s' is not a valid resource group name: use 1 to 90 characters, letters, digits, "
                       "underscores, hyphens, periods and parentheses, not ending with a period." % (option, group))


def validate_location(location, option="location"):
    """The normalised region name; raises AzbError when the value cannot be a region."""
    region = normalize_location(location)
    if not _REGION_RAW.match(location or "") or not _REGION.match(region):
        raise AzbError("%s '%s' is not an Azure region name such as westeurope or 'West Europe'." % (option, location))
    return region
