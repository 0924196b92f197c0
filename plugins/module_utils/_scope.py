# -*- coding: utf-8 -*-
# Copyright: contributors to the azbackup.vmprep collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which VMs a run looks at: the scope options of the azure_vms inventory plugin and of vm_info, checked before any
request, and the filters applied to the host variables that discovery returns.

Private to the collection: the leading underscore means no compatibility promise.
"""

from __future__ import annotations

import fnmatch

from ansible_collections.azbackup.vmprep.plugins.module_utils._auth import GUID
from ansible_collections.azbackup.vmprep.plugins.module_utils._errors import AzbError
from ansible_collections.azbackup.vmprep.plugins.module_utils._validate import validate_resource_group

# The power states of a VM's instance view (PowerState/<state>), and 'unknown' when the view has none.
POWER_STATES = ("running", "stopped", "deallocated", "starting", "stopping", "deallocating", "unknown")
DEFAULT_CONCURRENCY = 16
MAX_CONCURRENCY = 64


def validate_groups(groups, option):
    out = []
    for group in groups or []:
        if not isinstance(group, str):
            raise AzbError("%s must be a list of resource group names; got %r." % (option, group))
        validate_resource_group(group, option=option)
        out.append(group)
    return out


def validate_tags(spec, option):
    """{tag name: [value patterns]} from {name: value | [values] | '*'}; raises AzbError naming the option."""
    if spec is None:
        return {}
    if not isinstance(spec, dict):
        raise AzbError("%s must be a dictionary of tag name to value, list of values, or '*'; got %s."
                       % (option, type(spec).__name__))
    out = {}
    for key, value in spec.items():
        if not isinstance(key, str) or not key.strip():
            raise AzbError("%s: tag names must be non-empty strings; got %r." % (option, key))
        values = value if isinstance(value, list) else [value]
        if not values:
            raise AzbError("%s.%s: give a value, a list of values, or '*'; got an empty list." % (option, key))
        patterns = []
        for item in values:
            if isinstance(item, bool) or not isinstance(item, (str, int, float)):
                raise AzbError("%s.%s: tag values must be strings (shell-style patterns allowed, '*' for any value); "
                               "got %r." % (option, key, item))
            patterns.append(str(item))
        out[key] = patterns
    return out


def validate_power_states(states, option="power_states"):
    out = []
    for state in states or []:
        value = str(state).strip().lower()
        if value not in POWER_STATES:
            raise AzbError("%s allows %s; got '%s'." % (option, ", ".join(POWER_STATES), state))
        out.append(value)
    return out


def validate_names(names, option="names"):
    out = []
    for name in names or []:
        if not isinstance(name, str) or not name.strip():
            raise AzbError("%s must be VM names or shell-style patterns such as 'web-*'; got %r." % (option, name))
        out.append(name.strip())
    return out


def validate_concurrency(value, option="max_concurrency"):
    value = DEFAULT_CONCURRENCY if value is None else value
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_CONCURRENCY:
        raise AzbError("%s must be a whole number from 1 to %d; got %r." % (option, MAX_CONCURRENCY, value))
    return value


def validate_subscriptions(subscriptions, option="subscriptions"):
    out = []
    for sub in subscriptions or []:
        if not isinstance(sub, str) or not GUID.match(sub.strip()):
            raise AzbError("%s must be subscription IDs (GUIDs like 00000000-0000-0000-0000-000000000000); got %r."
                           % (option, sub))
        if sub.strip().lower() not in [s.lower() for s in out]:
            out.append(sub.strip())
    return out


def _tag_lookup(tags, key):
    """The value of tag `key` (names compare without regard to case, as in Azure), or None."""
    for name, value in (tags or {}).items():
        if name.lower() == key.lower():
            return "" if value is None else str(value)
    return None


def tag_matches(tags, key, patterns):
    value = _tag_lookup(tags, key)
    return value is not None and any(fnmatch.fnmatchcase(value, p) for p in patterns)


def keep(hostvars, include_tags=None, exclude_tags=None, power_states=None):
    """Whether a VM (its host variables) passes the tag and power-state filters.

    include_tags: every tag named must be present with a matching value. exclude_tags: a VM with any of the named
    tags at a matching value is dropped. power_states: the VM's power state must be one of them (empty: any); a VM
    whose power state is 'unknown' because the read of its instance view was denied is kept (its azure_unreadable
    says so): a denied read is no reason to drop a host.
    """
    tags = hostvars.get("azure_tags") or {}
    for key, patterns in (include_tags or {}).items():
        if not tag_matches(tags, key, patterns):
            return False
    for key, patterns in (exclude_tags or {}).items():
        if tag_matches(tags, key, patterns):
            return False
    power = hostvars.get("azure_power_state") or "unknown"
    if power_states and power not in power_states and not (power == "unknown" and view_denied(hostvars)):
        return False
    return True


def view_denied(hostvars):
    """Whether the VM's instance view (its power state) could not be read: a 403, recorded in azure_unreadable."""
    return any("instanceview" in str(entry.get("permission", "")).lower()
               or "instance view" in str(entry.get("what", "")).lower()
               for entry in hostvars.get("azure_unreadable") or [] if isinstance(entry, dict))
