# -*- coding: utf-8 -*-
# Copyright: contributors to the azbackup.vmprep collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The regions of the public Azure clouds, and the checks of a region option against them (one home).

Custom clouds (cloud_environment given as a Resource Manager URL: Azure Stack Hub, private clouds, the test
sandbox) have regions the collection cannot know: they skip the table, and Azure's own answer decides.
"""

from __future__ import annotations

import difflib
from urllib.parse import urlparse

from ansible_collections.azbackup.vmprep.plugins.module_utils._auth import CLOUD_ALIASES, KNOWN_CLOUDS
from ansible_collections.azbackup.vmprep.plugins.module_utils._errors import AzbError

# ARM names (as `az account list-locations --query "[].name"` prints them) of the physical regions of each public
# cloud, as of 2026-11-30. Compiled from:
#  - Azure SDK for .NET, Azure.Core AzureLocation (sdk/core/Azure.Core/src/AzureLocation.cs, commit 0936c596):
#    the regions of the three clouds up to 2021, with the China and US Government names;
#  - `az account list-locations` output recorded in public repositories (tal66/cloud-regions
#    web/data/azureData.js, commit 360cfdc7; vmisson/azure-region-span dashboard/www/regions.js, commit 0ff38548)
#    for the regions opened since (italynorth ... denmarkeast);
#  - the China service tag file's regional variants (ChinaEast ... ChinaNorth3) for chinaeast3 and chinanorth3;
#  - the Microsoft.Network ServiceTags_List example (azure-rest-api-specs, 2025-07-01, commit 445fcb88) for the
#    form of a tag's `region` property (the same lower-case ARM name).
# Left out on purpose: logical locations (europe, global, ...), staging locations (eastusstg, brazilus, ...) and
# retired regions (germanycentral, germanynortheast, usgoviowa). Azure opens regions faster than this collection is
# released: a region missing here is accepted with allow_unlisted_region=true (documented in each module using it).
PUBLIC_REGIONS = {
    "AzureCloud": frozenset([
        # Americas
        "eastus", "eastus2", "centralus", "northcentralus", "southcentralus", "westcentralus", "westus", "westus2",
        "westus3", "centraluseuap", "eastus2euap", "canadacentral", "canadaeast", "brazilsouth", "brazilsoutheast",
        "mexicocentral", "chilecentral",
        # Europe
        "northeurope", "westeurope", "uksouth", "ukwest", "francecentral", "francesouth", "germanywestcentral",
        "germanynorth", "switzerlandnorth", "switzerlandwest", "norwayeast", "norwaywest", "swedencentral",
        "italynorth", "polandcentral", "spaincentral", "austriaeast", "belgiumcentral", "denmarkeast",
        # Asia Pacific
        "eastasia", "southeastasia", "japaneast", "japanwest", "koreacentral", "koreasouth", "centralindia",
        "southindia", "westindia", "jioindiacentral", "jioindiawest", "australiaeast", "australiasoutheast",
        "australiacentral", "australiacentral2", "newzealandnorth", "indonesiacentral", "malaysiawest",
        # Middle East and Africa
        "uaenorth", "uaecentral", "qatarcentral", "israelcentral", "southafricanorth", "southafricawest",
    ]),
    "AzureChinaCloud": frozenset([
        "chinaeast", "chinaeast2", "chinaeast3", "chinanorth", "chinanorth2", "chinanorth3",
    ]),
    "AzureUSGovernment": frozenset([
        "usgovvirginia", "usgovtexas", "usgovarizona", "usdodcentral", "usdodeast",
    ]),
}

LIST_COMMAND = "az account list-locations --query \"[].name\" -o tsv"


def public_cloud(cloud_environment):
    """'AzureCloud', 'AzureChinaCloud' or 'AzureUSGovernment' for a public cloud, given by name or by its Resource
    Manager URL; None for any other cloud (Azure Stack Hub, private clouds), whose regions are not known here."""
    value = (cloud_environment or "AzureCloud").strip()
    key = CLOUD_ALIASES.get(value.lower(), value.lower())
    if key in KNOWN_CLOUDS:
        return KNOWN_CLOUDS[key][0]
    host = (urlparse(value).hostname or "").lower()
    for name, resource_manager, _login, _scope in KNOWN_CLOUDS.values():
        if host and host == urlparse(resource_manager).hostname:
            return name
    return None


def closest(value, candidates, count=3):
    """The candidates most like value (difflib), best first; empty when none is close."""
    candidates = sorted(set(candidates))
    found = difflib.get_close_matches(value, candidates, n=count, cutoff=0.75)
    if not found:
        found = difflib.get_close_matches(value, candidates, n=count, cutoff=0.6)
    return found


def suggestion(value, candidates):
    """' Did you mean westeurope?' or ''."""
    found = closest(value, candidates)
    if not found:
        return ""
    if len(found) == 1:
        return " Did you mean %s?" % found[0]
    return " Did you mean %s or %s?" % (", ".join(found[:-1]), found[-1])


def check_public_region(region, cloud, option, escape_option="allow_unlisted_region"):
    """Raise AzbError when cloud is a public cloud and region (an ARM name, already normalised) is not one of its
    regions. Nothing is checked for other clouds (cloud None)."""
    known = PUBLIC_REGIONS.get(cloud) if cloud else None
    if not known or region in known:
        return
    msg = ("%s '%s' is not a region of %s.%s The regions are listed by '%s' (the Name column of "
           "'az account list-locations -o table'). For a region Azure opened after this release of the collection, "
           "set %s=true: Azure's answer then decides.")
    raise AzbError(msg % (option, region, cloud, suggestion(region, known), LIST_COMMAND, escape_option),
                   code="UnknownRegion")


def check_answer_region(region, answered, option, where):
    """Raise AzbError when region is not among the regions an Azure answer contains (answered, an iterable)."""
    answered = sorted(set(r for r in answered if r))
    if region in answered:
        return
    msg = "%s '%s' is not a region of %s.%s It has: %s."
    raise AzbError(msg % (option, region, where, suggestion(region, answered), ", ".join(answered) or "no regions at all"),
                   code="UnknownRegion")
