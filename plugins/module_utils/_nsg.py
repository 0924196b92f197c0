# -*- coding: utf-8 -*-
# Copyright: contributors to the azbackup.vmprep collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""NSG security rules: option validation, translation to and from ARM JSON, comparison, priorities, API calls.

Everything above the "API calls" section is pure and unit tested. Three shapes of a rule appear here:

* options: the module options of one rule (azbackup.vmprep.nsg_rule, or one item of nsg_rules' ``rules``);
* spec: validated options - canonical case, parsed prefixes and ports, priority resolved or still "auto";
* ARM: the SecurityRule JSON (``{"name": ..., "properties": {...}}``) as Azure stores and returns it.

A "view" is what the modules return and show in the diff: a rule in option names, with lists.
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.azbackup.vmprep.plugins.module_utils._errors import AzbError
from ansible_collections.azbackup.vmprep.plugins.module_utils._validate import validate_resource_group

PROTOCOLS = ("Tcp", "Udp", "Icmp", "Esp", "Ah", "*")
ACCESSES = ("Allow", "Deny")
DIRECTIONS = ("Inbound", "Outbound")
PRIORITY_MIN = 100
PRIORITY_MAX = 4096
PORT_MAX = 65535
DESCRIPTION_MAX = 140
MAX_RULES = 1000

# Microsoft.Network child resource names: 1-80 characters; letters, digits, underscores, periods and hyphens;
# starting with a letter or digit, ending with a letter, digit or underscore.
_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?\Z")
# A service tag: AzureBackup, Storage.WestEurope, AzureCloud.eastus2, AzureActiveDirectory.ServiceEndpoint, ...
_TAG = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*\Z")
_LOOKS_NUMERIC = re.compile(r"^[0-9./]+\Z")
_PORT_RANGE = re.compile(r"^([0-9]+)\s*-\s*([0-9]+)\Z")
# Only ASCII digits are numbers here: str.isdigit() and int() also take other scripts' digits, superscripts
# ('²', which int() refuses) and underscores ('1_00'), none of which Azure reads as a number.
_ASCII_NUMBER = re.compile(r"^[0-9]+\Z")

# The options of one rule, shared by nsg_rule (top level) and nsg_rules (suboptions of ``rules``).
# No option that decides what a rule allows has a default: None means "not given". For a rule that exists, a field
# the task leaves out keeps its current value; a new rule must be given every field in CREATE_REQUIRED (fail closed:
# the module never fills a gap with "any").
RULE_OPTIONS = dict(
    name=dict(type="str", required=True),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    direction=dict(type="str"),
    access=dict(type="str"),
    protocol=dict(type="str"),
    priority=dict(type="raw"),
    priority_range=dict(type="list", elements="int"),
    source_address_prefixes=dict(type="list", elements="str"),
    destination_address_prefixes=dict(type="list", elements="str"),
    source_port_ranges=dict(type="list", elements="raw"),
    destination_port_ranges=dict(type="list", elements="raw"),
    source_application_security_groups=dict(type="list", elements="str"),
    destination_application_security_groups=dict(type="list", elements="str"),
    description=dict(type="str"),
)

# What a new rule must be given (each decides what the rule allows). A side (source, destination) is given by its
# address prefixes or its application security groups. source_port_ranges defaults to ['*'] on create (the client's
# source port is ephemeral, so any other value is rarely meant) and description to empty.
CREATE_REQUIRED = ("direction", "access", "protocol", "destination_port_ranges", "source", "destination")
SOURCE_PORTS_ON_CREATE = ["*"]

SIDES = ("source", "destination")
AUTO = "auto"


def rule_options():
    """A fresh copy of RULE_OPTIONS (AnsibleModule changes argument specs it is given)."""
    return {k: dict(v) for k, v in RULE_OPTIONS.items()}


# ---- validation -----------------------------------------------------------------------------------------------


class Invalid(AzbError):
    """Bad module input, found before any request."""


def _where(prefix, option):
    return "%s%s" % (prefix, option)


def canonical(value, allowed, option):
    for candidate in allowed:
        if str(value).lower() == candidate.lower():
            return candidate
    raise Invalid("%s must be one of %s (any case); got '%s'." % (option, ", ".join(allowed), value))


def check_name(name, option="name", what="rule"):
    if not isinstance(name, str) or not _NAME.match(name):
        raise Invalid("%s '%s' is not a valid %s name: use 1-80 letters, digits, underscores, periods or hyphens, "
                      "starting with a letter or digit and ending with a letter, digit or underscore."
                      % (option, name, what))
    return name


def validate_target(params):
    """The resource group and NSG names of every NSG module (NSG names follow the same rule as rule names)."""
    validate_resource_group(params["resource_group"])
    check_name(params["security_group"], "security_group", what="network security group")


def parse_prefix(text, option):
    """One address prefix → (kind, canonical, family). kind is 'any', 'tag' or 'ip'; family 4/6 for 'ip'."""
    value = str(text).strip()
    if value == "*":
        return "any", "*", None
    if ":" in value or "/" in value or _LOOKS_NUMERIC.match(value):
        if "%" in value:
            # Python's ipaddress takes an IPv6 zone ID (fe80::1%eth0); Azure does not, and a zone names an interface
            # of one host, which means nothing in an NSG rule.
            zone = re.search(r"%[^/]*", value).group(0)
            raise Invalid("%s: '%s' has an IPv6 zone ID ('%s'), which Azure does not accept; give the address or "
                          "CIDR without it, such as '%s'." % (option, value, zone, value.replace(zone, "", 1)))
        try:
            if "/" in value:
                net = ipaddress.ip_network(value, strict=True)
            else:
                net = ipaddress.ip_network(ipaddress.ip_address(value))
        except ValueError as exc:
            hint = ""
            if "host bits set" in str(exc):
                hint = " (did you mean %s?)" % ipaddress.ip_network(value, strict=False)
            raise Invalid("%s: '%s' is not a valid IP address or CIDR%s." % (option, value, hint))
        return "ip", net.compressed, net.version
    if _TAG.match(value) and len(value) <= 80:
        return "tag", value, None
    raise Invalid("%s: '%s' is neither '*', an IP address, a CIDR such as 10.0.0.0/24, nor a service tag such as "
                  "AzureBackup or Storage.WestEurope." % (option, value))


def check_prefixes(values, option):
    """A list of prefixes → list of (kind, canonical, family), deduplicated, with the single-field rules applied."""
    if not values:
        raise Invalid("%s must not be empty; use ['*'] for any address." % option)
    parsed = []
    seen = set()
    for value in values:
        item = parse_prefix(value, option)
        key = item[1].lower()
        if key not in seen:
            seen.add(key)
            parsed.append((item[0], str(value).strip(), item[1], item[2]))
    if len(parsed) > 1:
        for kind, raw, _canon, _family in parsed:
            if kind == "any":
                raise Invalid("%s: '*' means any address and cannot be combined with other prefixes." % option)
            if kind == "tag":
                raise Invalid("%s: the service tag '%s' must be the only prefix of its rule (Azure accepts a tag "
                              "only in the single-value field); put it in a rule of its own." % (option, raw))
    families = sorted({f for _k, _r, _c, f in parsed if f})
    if len(families) > 1:
        raise Invalid("%s mixes IPv4 and IPv6 prefixes; Azure needs one address family per rule: use two rules." % option)
    return parsed


def parse_port(value, option):
    """'N', 'N-M' or '*' (or an integer) → canonical text ('80', '80-443', '*')."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise Invalid("%s: '%s' is not a port: use N, N-M or '*' with ports 0-%d." % (option, value, PORT_MAX))
    text = str(value).strip()
    if text == "*":
        return "*"
    if _ASCII_NUMBER.match(text):
        low = high = int(text)
    else:
        match = _PORT_RANGE.match(text)
        if not match:
            raise Invalid("%s: '%s' is not a port: use N, N-M or '*' with ports 0-%d." % (option, value, PORT_MAX))
        low, high = int(match.group(1)), int(match.group(2))
    if high > PORT_MAX or low > PORT_MAX:
        raise Invalid("%s: '%s' is out of range: ports are 0-%d." % (option, value, PORT_MAX))
    if low > high:
        raise Invalid("%s: '%s' is an empty range: the first port must not be greater than the second." % (option, value))
    return str(low) if low == high else "%d-%d" % (low, high)


def check_ports(values, option):
    if not values:
        raise Invalid("%s must not be empty; use ['*'] for any port." % option)
    out = []
    for value in values:
        port = parse_port(value, option)
        if port not in out:
            out.append(port)
    if "*" in out and len(out) > 1:
        raise Invalid("%s: '*' means any port and cannot be combined with other ports." % option)
    return out


def _asg_tools():
    from azure.mgmt.core.tools import is_valid_resource_id, parse_resource_id, resource_id

    return is_valid_resource_id, parse_resource_id, resource_id


def asg_id(value, subscription_id, resource_group, option):
    """An application security group given by name (in the NSG's resource group) or by resource ID.

    Resource IDs are checked and built with azure-mgmt-core's tools. ``subscription_id`` may be a callable, called
    only for a name (so that validation needs no credentials).
    """
    is_valid_resource_id, parse_resource_id, resource_id = _asg_tools()
    text = str(value).strip()
    if text.startswith("/"):
        parts = parse_resource_id(text) if is_valid_resource_id(text) else {}
        if (str(parts.get("namespace", "")).lower() != "microsoft.network"
                or str(parts.get("type", "")).lower() != "applicationsecuritygroups"
                or parts.get("children") or not _NAME.match(str(parts.get("name", "")))):
            raise Invalid("%s: '%s' is not the resource ID of an application security group." % (option, text))
        return text
    if not _NAME.match(text):
        raise Invalid("%s: '%s' is neither an application security group name nor its resource ID." % (option, text))
    if callable(subscription_id):
        subscription_id = subscription_id()
    return resource_id(subscription=subscription_id, resource_group=resource_group, namespace="Microsoft.Network",
                       type="applicationSecurityGroups", name=text)


def parse_priority(priority, priority_range, option_prefix=""):
    """→ (fixed priority or None, (low, high) range or None). None/None: not given (keep, or required on create)."""
    p_opt = _where(option_prefix, "priority")
    r_opt = _where(option_prefix, "priority_range")
    span = None
    if priority_range is not None:
        if len(priority_range) != 2:
            raise Invalid("%s must be two numbers [lowest, highest], for example [200, 299]; got %s."
                          % (r_opt, priority_range))
        low, high = int(priority_range[0]), int(priority_range[1])
        if not (PRIORITY_MIN <= low <= high <= PRIORITY_MAX):
            raise Invalid("%s must lie within %d-%d with the lowest first; got [%s, %s]."
                          % (r_opt, PRIORITY_MIN, PRIORITY_MAX, low, high))
        span = (low, high)
    if priority is None and span is None:
        return None, None
    if priority is None or (isinstance(priority, str) and priority.strip().lower() == AUTO):
        return None, span or (PRIORITY_MIN, PRIORITY_MAX)
    if isinstance(priority, bool):
        number = None
    else:
        text = str(priority).strip()
        number = int(text) if _ASCII_NUMBER.match(text) else None
    if number is None or not (PRIORITY_MIN <= number <= PRIORITY_MAX):
        raise Invalid("%s must be a number %d-%d or 'auto'; got '%s'." % (p_opt, PRIORITY_MIN, PRIORITY_MAX, priority))
    if span is not None:
        raise Invalid("give either %s as a number or %s (with %s omitted or 'auto'), not both." % (p_opt, r_opt, p_opt))
    return number, None


def _families(prefixes):
    out = set()
    for value in prefixes or []:
        try:
            family = parse_prefix(value, "")[2]
        except Invalid:
            continue
        if family:
            out.add(family)
    return out


def validate(options, subscription_id=None, resource_group=None, option_prefix=""):
    """Module options of one rule → spec dict. Raises Invalid naming the option and what is allowed.

    Every field the task did not give is None in the spec: ``complete`` fills it from the existing rule, or fails
    for a new rule. Nothing is assumed here.
    """
    name = check_name(options.get("name"), _where(option_prefix, "name"))
    spec = {"name": name, "state": options.get("state") or "present"}
    if spec["state"] == "absent":
        return spec

    def opt(key):
        return _where(option_prefix, key)

    spec["option_prefix"] = option_prefix
    for key, allowed in (("direction", DIRECTIONS), ("access", ACCESSES), ("protocol", PROTOCOLS)):
        value = options.get(key)
        spec[key] = None if value is None else canonical(value, allowed, opt(key))
    spec["priority"], spec["priority_range"] = parse_priority(options.get("priority"), options.get("priority_range"),
                                                              option_prefix)
    description = options.get("description")
    if description is not None and len(description) > DESCRIPTION_MAX:
        raise Invalid("%s is %d characters long; Azure allows at most %d."
                      % (opt("description"), len(description), DESCRIPTION_MAX))
    spec["description"] = description
    families = {}
    for side in SIDES:
        asgs = options.get("%s_application_security_groups" % side) or None
        prefixes = options.get("%s_address_prefixes" % side)
        if asgs and prefixes:
            raise Invalid("give either %s or %s, not both: Azure takes one kind of %s per rule."
                          % (opt("%s_address_prefixes" % side), opt("%s_application_security_groups" % side), side))
        if asgs:
            spec["%s_application_security_groups" % side] = [
                asg_id(v, subscription_id, resource_group, opt("%s_application_security_groups" % side)) for v in asgs]
            spec["%s_address_prefixes" % side] = []
        elif prefixes is not None:
            parsed = check_prefixes(prefixes, opt("%s_address_prefixes" % side))
            spec["%s_address_prefixes" % side] = [raw for _k, raw, _c, _f in parsed]
            spec["%s_application_security_groups" % side] = []
            families[side] = {f for _k, _r, _c, f in parsed if f}
        else:
            spec["%s_address_prefixes" % side] = None
            spec["%s_application_security_groups" % side] = None
        ports = options.get("%s_port_ranges" % side)
        spec["%s_port_ranges" % side] = None if ports is None else check_ports(ports, opt("%s_port_ranges" % side))
    both = families.get("source", set()) | families.get("destination", set())
    if len(both) > 1:
        raise Invalid("%s and %s mix IPv4 and IPv6; Azure needs one address family per rule: use two rules."
                      % (opt("source_address_prefixes"), opt("destination_address_prefixes")))
    return spec


def _side_given(spec, side):
    return spec.get("%s_address_prefixes" % side) is not None


def missing_on_create(spec):
    """The options a new rule lacks (with the rules[i]. prefix), in CREATE_REQUIRED order."""
    prefix = spec.get("option_prefix", "")
    missing = []
    for key in CREATE_REQUIRED:
        if key in SIDES:
            if not _side_given(spec, key):
                missing.append("%s%s_address_prefixes (or %s%s_application_security_groups)" % (prefix, key, prefix, key))
        elif spec.get(key) is None:
            missing.append(prefix + key)
    if spec.get("priority") is None and spec.get("priority_range") is None:
        missing.append("%spriority (or %spriority_range)" % (prefix, prefix))
    return missing


def complete(spec, existing, nsg_name):
    """A validated spec → a full spec: fields left out keep the existing rule's values; a new rule must have them.

    Fail closed: a left-out field is never replaced by a default that allows more (Inbound, Allow, '*').
    """
    if spec["state"] == "absent":
        return spec
    prefix = spec.get("option_prefix", "")
    full = dict(spec)
    if existing is None:
        missing = missing_on_create(spec)
        if missing:
            raise Invalid("rule '%s' does not exist on NSG '%s', so it would be created, and a new rule needs every "
                          "field that decides what it allows; nothing is assumed. Missing: %s."
                          % (spec["name"], nsg_name, ", ".join(missing)))
        if full["source_port_ranges"] is None:
            full["source_port_ranges"] = list(SOURCE_PORTS_ON_CREATE)
        if full["description"] is None:
            full["description"] = ""
        return full
    current = view(existing)
    for key in ("direction", "access", "protocol"):
        if full[key] is None:
            full[key] = current[key]
    if full["description"] is None:
        full["description"] = current["description"]
    for side in SIDES:
        if not _side_given(spec, side):
            full["%s_address_prefixes" % side] = list(current["%s_address_prefixes" % side])
            full["%s_application_security_groups" % side] = list(current["%s_application_security_groups" % side])
        key = "%s_port_ranges" % side
        if full[key] is None:
            full[key] = list(current[key])
    if full["priority"] is None and full["priority_range"] is None:
        if current["priority"] is None:
            raise Invalid("%spriority is required: rule '%s' on NSG '%s' has none." % (prefix, spec["name"], nsg_name))
        full["priority"] = int(current["priority"])
    both = _families(full["source_address_prefixes"]) | _families(full["destination_address_prefixes"])
    if len(both) > 1:
        raise Invalid("%ssource_address_prefixes and %sdestination_address_prefixes of rule '%s' would mix IPv4 and "
                      "IPv6 (one side given, the other kept from the existing rule); give both sides."
                      % (prefix, prefix, spec["name"]))
    return full


def validate_many(rules, subscription_id=None, resource_group=None, option_prefixes=None):
    """The ``rules`` list of nsg_rules → list of specs; names must be unique (case-insensitively).

    ``option_prefixes`` names each item in messages (default ``rules[N].``); the multi-NSG form gives
    ``security_groups[M].rules[N].`` for the rules of one NSG.
    """
    specs = []
    seen = {}
    if len(rules) > MAX_RULES:
        raise Invalid("rules has %d items; an NSG holds at most %d rules." % (len(rules), MAX_RULES))
    for index, options in enumerate(rules):
        prefix = option_prefixes[index] if option_prefixes else "rules[%d]." % index
        spec = validate(options, subscription_id, resource_group, option_prefix=prefix)
        key = spec["name"].lower()
        if key in seen:
            raise Invalid("%sname '%s' repeats %sname: each rule must appear once."
                          % (prefix, spec["name"], seen[key]))
        seen[key] = prefix
        specs.append(spec)
    return specs


# ---- the {region} placeholder ---------------------------------------------------------------------------------

REGION_PLACEHOLDER = "{region}"
# What validation before any request puts in place of the placeholder (any region name would do).
REGION_SAMPLE = "westeurope"
_REGION_NAME = re.compile(r"^[a-z][a-z0-9]{1,49}\Z")
REGION_FIELDS = ("source_address_prefixes", "destination_address_prefixes")


def uses_region(rules):
    """True when an address prefix of the rules (module options) holds the {region} placeholder."""
    return any(REGION_PLACEHOLDER in str(value) for item in rules for key in REGION_FIELDS
               for value in item.get(key) or [])


def with_region(rules, region):
    """The rules (module options) with {region} in their address prefixes replaced by ``region``."""
    out = []
    for options in rules:
        item = dict(options)
        for key in REGION_FIELDS:
            if item.get(key):
                item[key] = [str(value).replace(REGION_PLACEHOLDER, region) for value in item[key]]
        out.append(item)
    return out


def nsg_region(nsg, name):
    """The NSG's region as read (normalized: lower case, no spaces), for {region}; Unreadable when it has none."""
    location = nsg.get("location") if isinstance(nsg, dict) else None
    region = re.sub(r"\s+", "", location).lower() if isinstance(location, str) else ""
    if not _REGION_NAME.match(region):
        raise _unreadable("network security group '%s'" % name,
                          "its location %r is not a region name, so {region} cannot be resolved" % (location,))
    return region


# ---- translation --------------------------------------------------------------------------------------------


def _put_list(props, singular, plural, values):
    if len(values) == 1:
        props[singular] = values[0]
    elif values:
        props[plural] = list(values)


def to_arm(spec, priority):
    """A spec (and its resolved priority) → SecurityRule JSON: one value in the singular field, several in the plural."""
    props = {
        "protocol": spec["protocol"],
        "access": spec["access"],
        "direction": spec["direction"],
        "priority": priority,
    }
    if spec.get("description"):
        props["description"] = spec["description"]
    for side in SIDES:
        asgs = spec["%s_application_security_groups" % side]
        if asgs:
            props["%sApplicationSecurityGroups" % side] = [{"id": i} for i in asgs]
        else:
            _put_list(props, "%sAddressPrefix" % side, "%sAddressPrefixes" % side, spec["%s_address_prefixes" % side])
        _put_list(props, "%sPortRange" % side, "%sPortRanges" % side, spec["%s_port_ranges" % side])
    return {"name": spec["name"], "properties": props}


def _merged(props, singular, plural):
    values = []
    if props.get(singular) not in (None, ""):
        values.append(props[singular])
    values.extend(v for v in props.get(plural) or [] if v not in (None, ""))
    return values


def view(arm):
    """SecurityRule JSON → the rule in option names (what the modules return and diff)."""
    props = arm.get("properties") or {}
    out = {
        "name": arm.get("name"),
        "priority": props.get("priority"),
        "direction": props.get("direction"),
        "access": props.get("access"),
        "protocol": props.get("protocol"),
        "description": props.get("description") or "",
    }
    for side in SIDES:
        asgs = [g.get("id") for g in props.get("%sApplicationSecurityGroups" % side) or [] if isinstance(g, dict)]
        out["%s_address_prefixes" % side] = _merged(props, "%sAddressPrefix" % side, "%sAddressPrefixes" % side)
        out["%s_port_ranges" % side] = _merged(props, "%sPortRange" % side, "%sPortRanges" % side)
        out["%s_application_security_groups" % side] = asgs
    return out


def _norm_prefix(value):
    try:
        return parse_prefix(value, "")[1].lower()
    except Invalid:
        return str(value).strip().lower()


def _norm_port(value):
    try:
        return parse_port(value, "")
    except Invalid:
        return str(value).strip()


def comparable(rule_view):
    """A view → a value equal for rules Azure treats as equal (case, 10.0.0.5 vs /32, order, singular vs plural)."""
    out = {
        "name": (rule_view.get("name") or "").lower(),
        "priority": int(rule_view["priority"]) if rule_view.get("priority") is not None else None,
        "direction": (rule_view.get("direction") or "").lower(),
        "access": (rule_view.get("access") or "").lower(),
        "protocol": (rule_view.get("protocol") or "").lower(),
        "description": rule_view.get("description") or "",
    }
    for side in SIDES:
        asgs = rule_view.get("%s_application_security_groups" % side) or []
        out["%s_asgs" % side] = sorted({a.lower() for a in asgs})
        prefixes = sorted({_norm_prefix(p) for p in rule_view.get("%s_address_prefixes" % side) or []})
        out["%s_prefixes" % side] = prefixes or ([] if asgs else ["*"])
        out["%s_ports" % side] = sorted({_norm_port(p) for p in rule_view.get("%s_port_ranges" % side) or []}) or ["*"]
    return out


def same(arm_a, arm_b):
    return comparable(view(arm_a)) == comparable(view(arm_b))


def writable(arm):
    """A rule as Azure returned it → the body to send back (read-only fields dropped)."""
    props = {k: v for k, v in (arm.get("properties") or {}).items() if k not in ("provisioningState",)}
    out = {"name": arm.get("name"), "properties": props}
    if arm.get("id"):
        out["id"] = arm["id"]
    return out


# ---- priorities ---------------------------------------------------------------------------------------------


def lowest_free(used, span):
    for candidate in range(span[0], span[1] + 1):
        if candidate not in used:
            return candidate
    return None


def _rule_key(arm):
    return (arm.get("name") or "").lower()


def resolve_priority(spec, existing, others, nsg_name):
    """The priority of one rule: fixed, or the existing rule's (when in range and free), or the lowest free.

    ``others`` are the other rules that stay on the NSG (ARM JSON). Raises Invalid naming a conflicting rule.
    """
    direction = spec["direction"].lower()
    taken = {}
    for arm in others:
        props = arm.get("properties") or {}
        if (props.get("direction") or "").lower() == direction and props.get("priority") is not None:
            taken.setdefault(int(props["priority"]), arm.get("name"))
    if spec["priority"] is not None:
        if spec["priority"] in taken:
            raise AzbError("priority %d (%s) of rule '%s' is already used by rule '%s' on NSG '%s'; choose another "
                           "priority or give priority_range to let the module pick a free one."
                           % (spec["priority"], spec["direction"], spec["name"], taken[spec["priority"]], nsg_name),
                           code="SecurityRuleConflict")
        return spec["priority"]
    span = spec["priority_range"]
    if existing is not None:
        props = existing.get("properties") or {}
        current = props.get("priority")
        if (current is not None and span[0] <= int(current) <= span[1] and int(current) not in taken
                and (props.get("direction") or "").lower() == direction):
            return int(current)
    found = lowest_free(set(taken), span)
    if found is None:
        raise AzbError("no free %s priority in %d-%d for rule '%s' on NSG '%s'; widen priority_range."
                       % (spec["direction"], span[0], span[1], spec["name"], nsg_name), code="SecurityRuleConflict")
    return found


# ---- plans --------------------------------------------------------------------------------------------------


def custom_rules(nsg):
    return list((nsg.get("properties") or {}).get("securityRules") or [])


def default_rules(nsg):
    return list((nsg.get("properties") or {}).get("defaultSecurityRules") or [])


def find(rules, name):
    key = name.lower()
    for arm in rules:
        if _rule_key(arm) == key:
            return arm
    return None


def plan_one(spec, nsg, nsg_name):
    """nsg_rule: → (before ARM or None, after ARM or None, changed)."""
    rules = custom_rules(nsg)
    existing = find(rules, spec["name"])
    if spec["state"] == "absent":
        return existing, None, existing is not None
    spec = complete(spec, existing, nsg_name)
    others = [r for r in rules if r is not existing]
    priority = resolve_priority(spec, existing, others, nsg_name)
    desired = to_arm(spec, priority)
    if existing is not None:
        # Keep the name as Azure knows it: names are case-insensitive and a PUT must not create a second rule.
        desired["name"] = existing.get("name") or desired["name"]
    changed = existing is None or not same(existing, desired)
    return existing, desired, changed


def plan_many(specs, nsg, nsg_name, purge=False):
    """nsg_rules: → dict(rules=the complete new custom rule list, created, updated, removed, changed)."""
    current = custom_rules(nsg)
    listed = {s["name"].lower(): s for s in specs}
    kept = []      # unlisted rules that stay
    removed = []
    for arm in current:
        spec = listed.get(_rule_key(arm))
        if spec is None:
            (removed if purge else kept).append(arm)
        elif spec["state"] == "absent":
            removed.append(arm)
    present = [complete(s, find(current, s["name"]), nsg_name) for s in specs if s["state"] == "present"]
    # Fixed priorities first (they conflict with kept rules and each other), then rules that keep their current
    # priority, then the lowest free priorities in list order.
    final = {}
    placed = list(kept)
    order = sorted(range(len(present)), key=lambda i: (present[i]["priority"] is None, i))
    pending = []
    for index in order:
        spec = present[index]
        existing = find(current, spec["name"])
        if spec["priority"] is None:
            pending.append((index, spec, existing))
            continue
        final[index] = to_arm(spec, resolve_priority(spec, existing, placed, nsg_name))
        placed.append(final[index])
    for keep_current in (True, False):
        for index, spec, existing in pending:
            if index in final:
                continue
            if keep_current:
                props = (existing or {}).get("properties") or {}
                current_priority = props.get("priority")
                span = spec["priority_range"]
                if (current_priority is None or not span[0] <= int(current_priority) <= span[1]
                        or (props.get("direction") or "").lower() != spec["direction"].lower()):
                    continue
            final[index] = to_arm(spec, resolve_priority(spec, existing, placed, nsg_name))
            placed.append(final[index])
    created, updated = [], []
    new_rules = [writable(arm) for arm in kept]
    for index, spec in enumerate(present):
        desired = final[index]
        existing = find(current, spec["name"])
        if existing is None:
            created.append(desired["name"])
            new_rules.append(desired)
        else:
            desired["name"] = existing.get("name") or desired["name"]
            if existing.get("id"):
                desired["id"] = existing["id"]
            if same(existing, desired):
                new_rules.append(writable(existing))
            else:
                updated.append(desired["name"])
                new_rules.append(desired)
    if len(new_rules) > MAX_RULES:
        raise AzbError("NSG '%s' would have %d custom rules; Azure allows at most %d." % (nsg_name, len(new_rules), MAX_RULES),
                       code="SecurityRuleCountLimitReached")
    return {
        "rules": new_rules,
        "created": created,
        "updated": updated,
        "removed": [arm.get("name") for arm in removed],
        "changed": bool(created or updated or removed),
    }


def views_by_name(rules):
    """Rules → {name: view without name}, the shape of nsg_rules' diff."""
    out = {}
    for arm in rules:
        item = view(arm)
        out[item.pop("name")] = item
    return out


def nsg_body(nsg, rules):
    """The PUT body for an NSG with a new custom rule list; everything else as Azure returned it."""
    body = {"location": nsg.get("location"), "properties": {"securityRules": rules}}
    if nsg.get("tags") is not None:
        body["tags"] = nsg["tags"]
    props = nsg.get("properties") or {}
    if "flushConnection" in props:
        body["properties"]["flushConnection"] = props["flushConnection"]
    return body


# ---- API calls ----------------------------------------------------------------------------------------------


class Unreadable(AzbError):
    """An answer whose shape the module does not understand: nothing is planned or written from it."""


def _unreadable(what, detail):
    return Unreadable("the answer for %s does not have the shape of Azure's REST API (%s); the module plans nothing "
                      "from a read it cannot parse and writes nothing." % (what, detail), code="UnreadableAnswer")


def check_rule_shape(arm, what):
    if not isinstance(arm, dict):
        raise _unreadable(what, "a rule is not a JSON object")
    if not isinstance(arm.get("name"), str) or not arm["name"]:
        raise _unreadable(what, "a rule has no name")
    if not isinstance(arm.get("properties"), dict):
        raise _unreadable(what, "rule '%s' has no properties object" % arm["name"])
    return arm


def check_nsg_shape(nsg, name):
    """The NSG JSON as ARM sends it, or Unreadable (for example an SDK model's flattened snake_case dict)."""
    what = "network security group '%s'" % name
    if not isinstance(nsg, dict):
        raise _unreadable(what, "not a JSON object")
    props = nsg.get("properties")
    if not isinstance(props, dict):
        raise _unreadable(what, "no properties object")
    if not isinstance(props.get("securityRules"), list):
        raise _unreadable(what, "properties.securityRules is not a list")
    if not isinstance(props.get("defaultSecurityRules", []), list):
        raise _unreadable(what, "properties.defaultSecurityRules is not a list")
    for arm in props["securityRules"] + props.get("defaultSecurityRules", []):
        check_rule_shape(arm, what)
    return nsg


def get_nsg(client, resource_group, name):
    """One GET of the NSG (it carries every custom and default rule and the ETag), as raw ARM JSON, shape-checked."""
    from azure.core.exceptions import ResourceNotFoundError

    from ansible_collections.azbackup.vmprep.plugins.module_utils import _client

    try:
        nsg = client.network_security_groups.get(resource_group, name, cls=_client.raw)
    except ResourceNotFoundError as exc:
        raise AzbError("network security group '%s' was not found in resource group '%s'; create it first, or check "
                       "security_group, resource_group and subscription_id." % (name, resource_group),
                       status=404, code=getattr(getattr(exc, "error", None), "code", None) or "NotFound")
    return check_nsg_shape(nsg, name)


def put_rule(client, resource_group, nsg_name, arm, timeout):
    """PUT one rule as a child resource (securityRules/{name}); no other rule is sent. Returns the rule's JSON.

    No If-Match: the API declares none for security rules, and NRP shares one ETag across an NSG and its rules, so a
    guard would refuse every write after any change to another rule (parallel tasks on one NSG). The caller reads the
    NSG before each attempt instead.
    """
    from ansible_collections.azbackup.vmprep.plugins.module_utils import _client

    poller = client.security_rules.begin_create_or_update(resource_group, nsg_name, arm["name"],
                                                          {"properties": arm["properties"]}, cls=_client.raw)
    written = _client.wait(poller, timeout, "the update of rule '%s'" % arm["name"])
    if written is not None:
        check_rule_shape(written, "rule '%s'" % arm["name"])
    return written


def delete_rule(client, resource_group, nsg_name, name, timeout):
    from ansible_collections.azbackup.vmprep.plugins.module_utils import _client

    poller = client.security_rules.begin_delete(resource_group, nsg_name, name, cls=_client.raw)
    _client.wait(poller, timeout, "the deletion of rule '%s'" % name)


def put_nsg(client, resource_group, nsg_name, body, etag, timeout):
    """PUT the NSG guarded by If-Match; returns the new NSG JSON. A 412 (someone else changed it first) is raised."""
    from ansible_collections.azbackup.vmprep.plugins.module_utils import _client

    headers = {"If-Match": etag} if etag else {}
    poller = client.network_security_groups.begin_create_or_update(resource_group, nsg_name, body, headers=headers,
                                                                   cls=_client.raw)
    written = _client.wait(poller, timeout, "the update of NSG '%s'" % nsg_name)
    return None if written is None else check_nsg_shape(written, nsg_name)


def is_conflict(exc):
    """True for Azure's answer to a priority taken by a concurrent writer (SecurityRuleConflict)."""
    code = getattr(getattr(exc, "error", None), "code", None) or getattr(exc, "code", None) or ""
    return str(code).lower() == "securityruleconflict"
