# -*- coding: utf-8 -*-
# Copyright: contributors to the azbackup.vmprep collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Backup readiness of Azure VMs, judged from Azure's side (no login to the VM).

Two halves:
* pure functions: one per check, each taking the facts of one VM and returning
  {check, result: pass|warn|fail, reason (one line), remedy};
* `gather()`: reads everything the checks need with list calls (per resource group or per subscription) plus at
  most one instance-view GET per VM where no list call carried the instance view, concurrently and bounded.

Private to the collection: the leading underscore means no compatibility promise.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import re
import threading
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.azbackup.vmprep.plugins.module_utils._errors import AzbError
from ansible_collections.azbackup.vmprep.plugins.module_utils._nsg import PORT_MAX, parse_port, parse_prefix
from ansible_collections.azbackup.vmprep.plugins.module_utils._validate import (
    normalize_location,
    validate_location,
    validate_resource_group,
)
from ansible_collections.azbackup.vmprep.plugins.module_utils._vault import validate_name as validate_vault_name

CHECKS = ("agent", "backup_extension", "power_state", "region", "disks", "os", "network_config", "outbound")
RESULTS = ("pass", "warn", "fail")  # in order of severity
DEFAULT_MIN_AGENT = {"linux": "2.2.53.1", "windows": "2.7.41491.1010"}
# Azure Backup supports Azure VMs with up to 32 data disks (support matrix for Azure VM backups, "VM storage support").
DEFAULT_MAX_DATA_DISKS = 32
DEFAULT_PROXY_TAG = "azbackup-proxy"
BACKUP_EXTENSIONS = ("vmsnapshot", "vmsnapshotlinux")
# Disk types Azure Backup protects only with the Enhanced policy.
ENHANCED_ONLY_DISKS = {"ultrassd_lrs": "Ultra Disk", "premiumv2_lrs": "Premium SSD v2"}
_VERSION = re.compile(r"^\d+(\.\d+){0,3}\Z")
_NT_VERSION = re.compile(r"(\d+)\.(\d+)")


def result(check, outcome, reason, remedy=""):
    return {"check": check, "result": outcome, "reason": one_line(reason), "remedy": one_line(remedy)}


def one_line(text, limit=300):
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def worst(outcomes):
    """The most severe of pass/warn/fail (pass for none)."""
    level = 0
    for outcome in outcomes:
        level = max(level, RESULTS.index(outcome))
    return RESULTS[level]


def parse_id(resource_id):
    """{'subscription', 'resource_group', 'name', 'type'} of an ARM resource id, by azure-mgmt-core's parse_resource_id.

    'name' is the name of the last resource (a subnet's, for a subnet id), 'type' its 'namespace/type'; absent parts
    are ''.
    """
    from azure.mgmt.core.tools import parse_resource_id

    parts = parse_resource_id(resource_id or "")
    kind = "/".join(p for p in (parts.get("resource_namespace"), parts.get("resource_type")) if p)
    return {"subscription": parts.get("subscription") or "", "resource_group": parts.get("resource_group") or "",
            "name": parts.get("resource_name") or parts.get("name") or "", "type": kind}


def version_tuple(text):
    """(2, 2, 53, 1) for '2.2.53.1'; None for anything that is not a dotted version."""
    text = (text or "").strip()
    if not _VERSION.match(text):
        return None
    return tuple(int(p) for p in text.split("."))


def props(resource):
    return (resource or {}).get("properties") or {}


def statuses(obj):
    return (obj or {}).get("statuses") or []


# ---- facts of one VM ----------------------------------------------------------------------------

def power_state(view):
    """'running', 'deallocated', 'stopped', 'starting', ... from the instance view; 'unknown' without one."""
    for status in statuses(view):
        code = (status.get("code") or "").lower()
        if code.startswith("powerstate/"):
            return code.split("/", 1)[1]
    return "unknown"


def provisioning_state(vm, view):
    for status in statuses(view):
        code = (status.get("code") or "").lower()
        if code.startswith("provisioningstate/"):
            return code.split("/")[1]
    return (props(vm).get("provisioningState") or "").lower()


def os_type(vm, view=None):
    """'windows' or 'linux' ('' when nothing says)."""
    p = props(vm)
    value = (((p.get("storageProfile") or {}).get("osDisk") or {}).get("osType") or "").lower()
    if value in ("windows", "linux"):
        return value
    profile = p.get("osProfile") or {}
    if profile.get("windowsConfiguration"):
        return "windows"
    if profile.get("linuxConfiguration"):
        return "linux"
    name = ((view or {}).get("osName") or "").lower()
    if name:
        return "windows" if "windows" in name else "linux"
    return ""


def provision_vm_agent(vm):
    """The VM model's provisionVMAgent (True/False), None when the model does not say."""
    profile = props(vm).get("osProfile") or {}
    for key in ("windowsConfiguration", "linuxConfiguration"):
        conf = profile.get(key)
        if isinstance(conf, dict) and "provisionVMAgent" in conf:
            return bool(conf["provisionVMAgent"])
    return None


def is_proxied(vm, proxy_vms, proxy_tag):
    name = (vm.get("name") or "").lower()
    if any(fnmatch.fnmatchcase(name, pattern.lower()) for pattern in proxy_vms or ()):
        return True
    if proxy_tag:
        for key, value in (vm.get("tags") or {}).items():
            if key.lower() == proxy_tag.lower() and str(value).strip().lower() not in ("", "false", "no", "0", "none"):
                return True
    return False


def name_matches(name, patterns):
    if not patterns:
        return True
    lowered = (name or "").lower()
    return any(fnmatch.fnmatchcase(lowered, p.lower()) for p in patterns)


# ---- the checks ---------------------------------------------------------------------------------
# Each takes `facts` (built by vm_facts()) and `opts` (thresholds, vaults, ...) and returns result(...).

def check_agent(facts, opts):
    check = "agent"
    view = facts["view"] or {}
    agent = view.get("vmAgent")
    state = facts["power_state"]
    ready = [s for s in statuses(agent) if (s.get("displayStatus") or "").lower() == "ready"]
    if state != "running" and not ready:
        return result(check, "warn", "The VM is %s, so its agent cannot report; its state is unknown." % state,
                      "Start the VM and run the check again.")
    if not agent:
        extra = " and the VM was created with provisionVMAgent=false" if provision_vm_agent(facts["vm"]) is False else ""
        return result(check, "fail", "No VM agent reports from the running VM%s." % extra,
                      "Install the Azure VM agent (%s) and make sure its service runs."
                      % ("WindowsAzureGuestAgent MSI" if facts["os_type"] == "windows" else "walinuxagent package"))
    if not ready:
        bad = next(iter(statuses(agent)), {})
        message = bad.get("message") or bad.get("displayStatus") or "no status"
        return result(check, "fail", "The VM agent is not Ready: %s" % message,
                      "Restart the agent service (WindowsAzureGuestAgent / walinuxagent) and check its log.")
    version_text = agent.get("vmAgentVersion") or ""
    version = version_tuple(version_text)
    if version is None:
        return result(check, "warn", "The VM agent is Ready but reports no version ('%s')." % version_text,
                      "Update the VM agent to the latest release.")
    minimum_text = (opts.get("min_agent_version") or {}).get(facts["os_type"] or "linux") or ""
    minimum = version_tuple(minimum_text)
    if minimum and version < minimum:
        return result(check, "fail", "The VM agent %s is older than the minimum %s." % (version_text, minimum_text),
                      "Update the VM agent (role azbackup.vmprep.vm_agent) or enable its auto-update.")
    return result(check, "pass", "The VM agent %s is Ready." % version_text)


def _backup_extension(facts):
    """(name, statuses, source) of VMSnapshot / VMSnapshotLinux from the instance view, else from the VM model."""
    for ext in (facts["view"] or {}).get("extensions") or []:
        kind = (ext.get("type") or "").rsplit(".", 1)[-1].lower()
        if kind in BACKUP_EXTENSIONS or (ext.get("name") or "").lower() in BACKUP_EXTENSIONS:
            return ext.get("name") or kind, list(statuses(ext)) + [s for sub in [ext.get("substatuses") or []] for s in sub], "view"
    for ext in facts["vm"].get("resources") or []:
        kind = (props(ext).get("type") or "").lower()
        if kind in BACKUP_EXTENSIONS or (ext.get("name") or "").lower() in BACKUP_EXTENSIONS:
            state = (props(ext).get("provisioningState") or "").lower()
            status = {"code": "ProvisioningState/" + state, "displayStatus": state,
                      "level": "Error" if state == "failed" else "Info"}
            return ext.get("name") or kind, [status], "model"
    return None, [], None


def check_backup_extension(facts, opts):
    check = "backup_extension"
    name, sts, _source = _backup_extension(facts)
    if name is None:
        return result(check, "pass", "No backup extension yet; Azure Backup installs it with the first backup.")
    failed = [s for s in sts if (s.get("level") or "").lower() == "error" or "failed" in (s.get("code") or "").lower()]
    if failed:
        message = failed[0].get("message") or failed[0].get("displayStatus") or failed[0].get("code")
        return result(check, "fail", "%s failed: %s" % (name, message),
                      "Fix the cause in the message, remove the failed %s extension and run a backup again." % name)
    busy = [s for s in sts if (s.get("level") or "").lower() == "warning"
            or any(w in (s.get("code") or "").lower() for w in ("transitioning", "creating", "updating", "deleting"))]
    if busy:
        message = busy[0].get("message") or busy[0].get("displayStatus") or busy[0].get("code")
        return result(check, "warn", "%s is not settled: %s" % (name, message),
                      "Wait for the extension to finish; if it stays so, check the agent's extension log.")
    return result(check, "pass", "%s is installed and succeeded." % name)


def check_power_state(facts, opts):
    check = "power_state"
    state = facts["power_state"]
    prov = facts["provisioning_state"]
    if prov == "failed":
        return result(check, "fail", "The VM is in provisioning state Failed; backups of it fail.",
                      "Redeploy or reapply the VM (az vm reapply) until its provisioning state is Succeeded.")
    if state == "running":
        return result(check, "pass", "The VM is running.")
    if state == "unknown":
        return result(check, "warn", "The power state of the VM is unknown (no instance view).",
                      "Check the VM in the portal; run the check again.")
    return result(check, "warn", "The VM is %s: its backup would be only crash-consistent." % state,
                  "Start the VM before its backup window for application-consistent backups.")


def check_region(facts, opts):
    check = "region"
    region = normalize_location(facts["vm"].get("location"))
    chosen = [v for v in opts.get("vaults") or [] if normalize_location(v.get("location")) == region]
    if chosen:
        return result(check, "pass", "Vault %s is in the VM's region %s." % (chosen[0]["name"], region))
    others = [v for v in opts.get("all_vaults") or [] if normalize_location(v.get("location")) == region]
    if others:
        return result(check, "warn", "No selected vault is in %s, but vault %s (resource group %s) is."
                      % (region, others[0]["name"], parse_id(others[0].get("id")).get("resource_group")),
                      "Back this VM up to vault %s, or add it to the vaults option." % others[0]["name"])
    return result(check, "fail", "No Recovery Services vault is in the VM's region %s; cross-region backup is not "
                  "supported." % region,
                  "Create a Recovery Services vault in %s and back the VM up to it." % region)


def check_disks(facts, opts):
    check = "disks"
    storage = props(facts["vm"]).get("storageProfile") or {}
    data = storage.get("dataDisks") or []
    limit = opts.get("max_data_disks", DEFAULT_MAX_DATA_DISKS)
    os_disk = storage.get("osDisk") or {}
    if len(data) > limit:
        return result(check, "fail", "The VM has %d data disks; Azure Backup supports at most %d." % (len(data), limit),
                      "Detach data disks down to %d, or protect the extra disks with Azure Disk Backup." % limit)
    if ((os_disk.get("diffDiskSettings") or {}).get("option") or "").lower() == "local":
        return result(check, "fail", "The OS disk is ephemeral; Azure Backup cannot back up ephemeral OS disks.",
                      "Recreate the VM with a managed OS disk, or keep the state elsewhere.")
    special = []
    for disk in [os_disk] + data:
        kind = ((disk.get("managedDisk") or {}).get("storageAccountType") or "").lower()
        if kind in ENHANCED_ONLY_DISKS:
            special.append("%s (%s)" % (disk.get("name") or "disk", ENHANCED_ONLY_DISKS[kind]))
    if special:
        return result(check, "warn", "Disks %s need the Enhanced backup policy." % ", ".join(special),
                      "Use an Enhanced backup policy for this VM.")
    return result(check, "pass", "%d data disks, within the limit of %d." % (len(data), limit))


def windows_version(vm, view):
    """(major, minor) of the Windows version from the instance view or the image SKU; None when unknown."""
    version = (view or {}).get("osVersion") or ""
    match = _NT_VERSION.search(version)
    if match:
        return int(match.group(1)), int(match.group(2))
    text = " ".join([(view or {}).get("osName") or "",
                     ((props(vm).get("storageProfile") or {}).get("imageReference") or {}).get("sku") or ""]).lower()
    known = [("2003", (5, 2)), ("2008-r2", (6, 1)), ("2008 r2", (6, 1)), ("2008r2", (6, 1)), ("2008", (6, 0)),
             ("2012-r2", (6, 3)), ("2012 r2", (6, 3)), ("2012", (6, 2)), ("2016", (10, 0)), ("2019", (10, 0)),
             ("2022", (10, 0)), ("2025", (10, 0)), ("win10", (10, 0)), ("win11", (10, 0)), ("windows 1", (10, 0))]
    for marker, value in known:
        if marker in text:
            return value
    return None


def check_os(facts, opts):
    check = "os"
    vm, view = facts["vm"], facts["view"] or {}
    kind = facts["os_type"]
    label = view.get("osName") or ((props(vm).get("storageProfile") or {}).get("imageReference") or {}).get("sku") or kind
    if kind == "windows":
        version = windows_version(vm, view)
        if version is None:
            return result(check, "warn", "The Windows version cannot be read (VM not running, or a custom image).",
                          "Make sure the VM runs Windows Server 2008 R2 SP1 or later.")
        if version < (6, 1):
            return result(check, "fail", "%s is older than Windows Server 2008 R2; Azure Backup does not support it."
                          % label, "Upgrade the OS to a supported Windows Server version.")
        return result(check, "pass", "%s is supported." % label)
    if kind == "linux":
        if view.get("vmAgent"):
            return result(check, "pass", "%s with the Azure Linux agent." % label)
        if provision_vm_agent(vm) is False:
            return result(check, "fail", "The Linux VM was created without the Azure Linux agent; backups need it.",
                          "Install walinuxagent (role azbackup.vmprep.vm_agent) and set provisionVMAgent=true.")
        if facts["power_state"] == "running":
            return result(check, "fail", "No Azure Linux agent reports from the running Linux VM; backups need it.",
                          "Install walinuxagent (role azbackup.vmprep.vm_agent).")
        return result(check, "pass", "Linux VM provisioned with the Azure Linux agent.")
    return result(check, "warn", "The OS type of the VM is unknown.",
                  "Check the OS disk's osType; backups need a supported Windows or Linux OS.")


def check_network_config(facts, opts):
    check = "network_config"
    if facts["missing_nics"]:
        return result(check, "fail", "NIC %s of the VM cannot be read." % parse_id(facts["missing_nics"][0])["name"],
                      "Give the identity Reader on the NIC's resource group, or repair the VM's network profile.")
    notes = []
    nics = facts["nics"]
    if len(nics) > 1:
        notes.append("%d NICs" % len(nics))
    configs = [c for n in nics for c in props(n["nic"]).get("ipConfigurations") or []]
    publics = [c for c in configs if props(c).get("publicIPAddress")]
    if len(publics) > 1:
        notes.append("%d public IPs" % len(publics))
    if any(props(c).get("loadBalancerBackendAddressPools") for c in configs):
        notes.append("a load-balancer backend")
    if notes:
        return result(check, "warn", "Special network configuration: %s; a restore needs PowerShell or a template."
                      % ", ".join(notes),
                      "Restore disks, then create the VM with PowerShell or an ARM template (keep its network config).")
    return result(check, "pass", "One NIC, at most one public IP, no load-balancer backend.")


# ---- outbound path: NSG evaluation ---------------------------------------------------------------

# Azure's fixed default outbound rules, used when an NSG's answer does not carry defaultSecurityRules.
DEFAULT_OUTBOUND_RULES = [
    {"name": "AllowVnetOutBound", "properties": {"priority": 65000, "direction": "Outbound", "access": "Allow",
                                                 "protocol": "*", "sourceAddressPrefix": "VirtualNetwork",
                                                 "destinationAddressPrefix": "VirtualNetwork",
                                                 "sourcePortRange": "*", "destinationPortRange": "*"}},
    {"name": "AllowInternetOutBound", "properties": {"priority": 65001, "direction": "Outbound", "access": "Allow",
                                                     "protocol": "*", "sourceAddressPrefix": "*",
                                                     "destinationAddressPrefix": "Internet",
                                                     "sourcePortRange": "*", "destinationPortRange": "*"}},
    {"name": "DenyAllOutBound", "properties": {"priority": 65500, "direction": "Outbound", "access": "Deny",
                                               "protocol": "*", "sourceAddressPrefix": "*",
                                               "destinationAddressPrefix": "*",
                                               "sourcePortRange": "*", "destinationPortRange": "*"}},
]


# The prefixes and ports of an NSG rule are read with the NSG modules' own parsers (_nsg.parse_prefix, parse_port),
# so the readiness and the modules that write rules agree on what a value means. Those parsers reject what the
# modules must not write; a value Azure answers with that they reject counts here as an unknown range.

def _port_ranges(p):
    """[(low, high)] of a rule's destination ports; '*' is (0, 65535). Values the parser rejects are left out."""
    out = []
    for value in [p.get("destinationPortRange")] + list(p.get("destinationPortRanges") or []):
        if value in (None, ""):
            continue
        try:
            canonical = parse_port(value, "destinationPortRange")
        except AzbError:
            continue
        if canonical == "*":
            out.append((0, PORT_MAX))
        else:
            low, _sep, high = canonical.partition("-")
            out.append((int(low), int(high or low)))
    return out


def _ports_match(p, port):
    return any(low <= port <= high for low, high in _port_ranges(p))


def _prefixes(p, key):
    values = [p.get(key + "AddressPrefix")] + list(p.get(key + "AddressPrefixes") or [])
    return [str(v).strip() for v in values if v not in (None, "")]


def _parsed_prefixes(p, key):
    """[(kind, canonical, text)] of a rule's source or destination prefixes, kind 'any', 'tag', 'ip' or 'unknown'."""
    out = []
    for text in _prefixes(p, key):
        try:
            kind, canonical, _family = parse_prefix(text, key + "AddressPrefix")
        except AzbError:
            kind, canonical = "unknown", text
        out.append((kind, canonical, text))
    return out


def _in_cidr(ip, canonical):
    """True when `ip` lies in the network `canonical` (a prefix parse_prefix gave as kind 'ip')."""
    try:
        return ipaddress.ip_address(ip) in ipaddress.ip_network(canonical)
    except ValueError:
        return False


def _source_matches(p, source_ip, asg_ids):
    """True when the rule's source holds the NIC's IP, False when not, None when a prefix cannot be read."""
    groups = [(g.get("id") or "").lower() for g in p.get("sourceApplicationSecurityGroups") or []]
    if groups:
        return any(g in asg_ids for g in groups)
    unknown = False
    for kind, canonical, _text in _parsed_prefixes(p, "source"):
        if kind == "any" or (kind == "tag" and canonical.lower() in ("virtualnetwork", "any")) or canonical == "0.0.0.0/0":
            return True
        if kind == "ip" and source_ip and _in_cidr(source_ip, canonical):
            return True
        unknown = unknown or kind == "unknown"
    return None if unknown else False


def destination_coverage(p, region):
    """'all' if the rule's destination covers Storage in `region`, 'some' if it may cover part of it, else ''."""
    if p.get("destinationApplicationSecurityGroups"):
        return ""
    region = normalize_location(region)
    tags = {"any", "internet", "storage", "storage." + region, "azurecloud", "azurecloud." + region}
    coverage = ""
    for kind, canonical, _text in _parsed_prefixes(p, "destination"):
        if kind == "any" or (kind == "tag" and canonical.lower() in tags) or (kind == "ip" and canonical == "0.0.0.0/0"):
            return "all"
        if kind in ("ip", "unknown"):
            coverage = "some"
    return coverage


def outbound_rules(nsg):
    p = props(nsg)
    defaults = p.get("defaultSecurityRules") or DEFAULT_OUTBOUND_RULES
    rules = [r for r in list(p.get("securityRules") or []) + list(defaults)
             if (props(r).get("direction") or "").lower() == "outbound"]
    return sorted(rules, key=lambda r: int(props(r).get("priority") or 0))


def evaluate_nsg(nsg, region, source_ip, asg_ids=(), port=443):
    """Walk an NSG's outbound rules in priority order for TCP `port` to Storage of `region`.

    Returns (access 'Allow'|'Deny', deciding rule, [rules that deny part of the range before it]).
    """
    doubtful = []
    for rule in outbound_rules(nsg):
        p = props(rule)
        if (p.get("protocol") or "*").lower() not in ("tcp", "*"):
            continue
        if not _ports_match(p, port):
            continue
        source = _source_matches(p, source_ip, asg_ids)
        if source is False:
            continue
        coverage = destination_coverage(p, region)
        if source is None:  # a source the parser cannot read: a Deny of it may or may not hit the VM
            if coverage and (p.get("access") or "").lower() == "deny":
                doubtful.append(rule)
            continue
        if coverage == "all":
            return (p.get("access") or "Allow").capitalize(), rule, doubtful
        if coverage == "some" and (p.get("access") or "").lower() == "deny":
            doubtful.append(rule)
    return "Deny", None, doubtful


def describe_rule(nsg, rule):
    if rule is None:
        return "NSG %s (no matching rule)" % nsg.get("name")
    return "NSG %s rule %s (priority %s)" % (nsg.get("name"), rule.get("name"), props(rule).get("priority"))


def check_outbound(facts, opts):
    check = "outbound"
    vm = facts["vm"]
    region = normalize_location(vm.get("location"))
    proxied = facts["proxied"]
    primary = facts["primary_nic"]
    if primary is None:
        if proxied:
            return result(check, "pass", "The VM's NIC cannot be read; a proxy is declared for the VM.")
        return result(check, "fail", "The VM's primary NIC cannot be read, so its outbound path is unknown.",
                      "Give the identity Reader on the NIC's resource group, or declare a proxy for the VM.")
    if facts["missing_nsgs"]:
        return result(check, "warn", "NSG %s cannot be read, so the outbound path is unknown."
                      % parse_id(facts["missing_nsgs"][0])["name"],
                      "Give the identity Reader on the NSG's resource group.")
    layers = [nsg for nsg in (primary["nsg"], primary["subnet_nsg"]) if nsg]
    if not layers:
        return result(check, "pass", "No NSG on the NIC or its subnet: outbound TCP 443 is open.")
    allowed_by = []
    doubtful = []
    for nsg in layers:
        access, rule, maybe = evaluate_nsg(nsg, region, primary["ip"], primary["asgs"])
        doubtful.extend((nsg, r) for r in maybe)
        if access != "Allow":
            blocker = describe_rule(nsg, rule)
            if proxied:
                return result(check, "pass", "%s blocks direct TCP 443 to Storage, but a proxy is declared for the VM."
                              % blocker, "Make sure the proxy allows *.blob.core.windows.net and the Azure Backup endpoints.")
            return result(check, "fail", "%s blocks outbound TCP 443 to Storage.%s." % (blocker, region),
                          "Add an outbound Allow rule for TCP 443 to service tag Storage.%s (and AzureBackup, "
                          "AzureActiveDirectory) with a priority below %s (azbackup.vmprep.nsg_rule), or declare a "
                          "proxy for the VM." % (region, props(rule).get("priority") if rule else 4096))
        allowed_by.append(describe_rule(nsg, rule))
    if doubtful and not proxied:
        nsg, rule = doubtful[0]
        if destination_coverage(props(rule), region) == "all":
            return result(check, "warn", "%s denies TCP 443 to Storage from %s, a source that cannot be read as an "
                          "address range; it may include the VM." % (describe_rule(nsg, rule),
                                                                     ", ".join(_prefixes(props(rule), "source"))),
                          "Correct the rule's source to a valid CIDR (such as 10.0.0.0/24) or a service tag.")
        return result(check, "warn", "%s denies TCP 443 to %s, which may include Storage addresses."
                      % (describe_rule(nsg, rule), ", ".join(_prefixes(props(rule), "destination"))),
                      "Compare the range with the Storage.%s service tag (azbackup.vmprep.service_tags_info)." % region)
    return result(check, "pass", "Outbound TCP 443 to Storage is allowed by %s." % " and ".join(allowed_by))


CHECK_FUNCTIONS = {
    "agent": check_agent,
    "backup_extension": check_backup_extension,
    "power_state": check_power_state,
    "region": check_region,
    "disks": check_disks,
    "os": check_os,
    "network_config": check_network_config,
    "outbound": check_outbound,
}


# ---- facts, report, summary ---------------------------------------------------------------------

def _index(resources):
    return {(r.get("id") or "").lower(): r for r in resources or [] if r.get("id")}


def vm_facts(vm, view, nic_index, subnet_index, nsg_index, proxied=False):
    """Everything the checks need about one VM, joined from the list answers (all lookups by lower-case id)."""
    nics, missing_nics, missing_nsgs = [], [], []
    refs = (props(vm).get("networkProfile") or {}).get("networkInterfaces") or []
    marked = [r for r in refs if (r.get("properties") or {}).get("primary") or r.get("primary")]
    primary_ref = (marked or refs or [{}])[0]
    primary = None
    for ref in refs:
        nic = nic_index.get((ref.get("id") or "").lower())
        if nic is None:
            missing_nics.append(ref.get("id"))
            continue
        nsg_id = ((props(nic).get("networkSecurityGroup") or {}).get("id") or "").lower()
        configs = props(nic).get("ipConfigurations") or []
        config = next((c for c in configs if props(c).get("primary")), configs[0] if configs else {})
        subnet_id = ((props(config).get("subnet") or {}).get("id") or "").lower()
        subnet = subnet_index.get(subnet_id)
        subnet_nsg_id = ((props(subnet).get("networkSecurityGroup") or {}).get("id") or "").lower()
        entry = {
            "nic": nic,
            "nsg": nsg_index.get(nsg_id) if nsg_id else None,
            "subnet_nsg": nsg_index.get(subnet_nsg_id) if subnet_nsg_id else None,
            "ip": props(config).get("privateIPAddress"),
            "asgs": {(g.get("id") or "").lower() for g in props(config).get("applicationSecurityGroups") or []},
        }
        for nid in (nsg_id, subnet_nsg_id):
            if nid and nid not in nsg_index:
                missing_nsgs.append(nid)
        nics.append(entry)
        if ref is primary_ref:
            primary = entry
    return {
        "vm": vm,
        "view": view,
        "power_state": power_state(view),
        "provisioning_state": provisioning_state(vm, view),
        "os_type": os_type(vm, view),
        "nics": nics,
        "primary_nic": primary,
        "missing_nics": missing_nics,
        "missing_nsgs": missing_nsgs,
        "proxied": proxied,
    }


def run_checks(facts, opts, checks=CHECKS):
    out = []
    for name in checks:
        try:
            out.append(CHECK_FUNCTIONS[name](facts, opts))
        except Exception as exc:  # pylint: disable=broad-except
            # One odd VM must not hide the report of all the others.
            out.append(result(name, "warn", "The check could not evaluate this VM (%s: %s)." % (type(exc).__name__, exc),
                              "Report this as a bug of azbackup.vmprep with the VM's JSON."))
    return out


def vm_report(facts, opts, checks=CHECKS):
    vm = facts["vm"]
    results = run_checks(facts, opts, checks)
    agent = ((facts["view"] or {}).get("vmAgent") or {}).get("vmAgentVersion")
    return {
        "name": vm.get("name"),
        "id": vm.get("id"),
        "resource_group": parse_id(vm.get("id")).get("resource_group"),
        "location": normalize_location(vm.get("location")),
        "os_type": facts["os_type"],
        "power_state": facts["power_state"],
        "agent_version": agent or "",
        "checks": results,
        "result": worst(r["result"] for r in results),
    }


def summarize(reports, checks=CHECKS):
    summary = {"vms": len(reports), "pass": 0, "warn": 0, "fail": 0,
               "checks": {name: {"pass": 0, "warn": 0, "fail": 0} for name in checks}}
    for report in reports:
        summary[report["result"]] += 1
        for item in report["checks"]:
            summary["checks"][item["check"]][item["result"]] += 1
    return summary


# ---- options ------------------------------------------------------------------------------------

def validate(params):
    """Check the options before any request; returns the normalised options for the checks."""
    rg = params.get("resource_group")
    if rg is not None:
        validate_resource_group(rg)
    for pattern in params.get("names") or []:
        if not pattern or not pattern.strip():
            raise AzbError("names must be VM names or shell-style patterns such as 'web-*'; got an empty entry.")
    vaults = params.get("vaults") or []
    for i, vault in enumerate(vaults):
        if not vault.get("name") or not vault.get("resource_group"):
            raise AzbError("vaults[%d] needs both name and resource_group." % i)
        validate_vault_name(vault["name"], option="vaults[%d].name" % i)
        validate_resource_group(vault["resource_group"], option="vaults[%d].resource_group" % i)
    if vaults and params.get("vault_regions"):
        raise AzbError("vaults and vault_regions are mutually exclusive: name the vaults, or give their regions.")
    regions = [validate_location(r, option="vault_regions") for r in params.get("vault_regions") or []]
    minimum = dict(DEFAULT_MIN_AGENT)
    for key, value in (params.get("min_agent_version") or {}).items():
        if key not in ("linux", "windows"):
            raise AzbError("min_agent_version allows the keys linux and windows; got '%s'." % key)
        if value is None:
            continue
        if version_tuple(str(value)) is None:
            raise AzbError("min_agent_version.%s must be a dotted version such as %s; got '%s'."
                           % (key, DEFAULT_MIN_AGENT[key], value))
        minimum[key] = str(value)
    max_disks = params.get("max_data_disks")
    max_disks = DEFAULT_MAX_DATA_DISKS if max_disks is None else max_disks
    if max_disks < 0:
        raise AzbError("max_data_disks must be 0 or more; got %d." % max_disks)
    concurrency = params.get("max_concurrency")
    concurrency = 16 if concurrency is None else concurrency
    if not 1 <= concurrency <= 64:
        raise AzbError("max_concurrency must be between 1 and 64; got %d." % concurrency)
    checks = params.get("checks") or list(CHECKS)
    return {
        "resource_group": rg,
        "names": list(params.get("names") or []),
        "vault_names": [(v["name"].lower(), v["resource_group"].lower()) for v in vaults],
        "vault_regions": regions,
        "min_agent_version": minimum,
        "max_data_disks": max_disks,
        "proxy_vms": list(params.get("proxy_vms") or []),
        "proxy_tag": params.get("proxy_tag"),
        "max_concurrency": concurrency,
        "checks": [c for c in CHECKS if c in checks],
    }


def select_vaults(all_vaults, opts):
    """The vaults to check against: by name/resource group, by region, or all of the subscription."""
    if opts["vault_names"]:
        chosen = []
        for name, rg in opts["vault_names"]:
            match = [v for v in all_vaults if (v.get("name") or "").lower() == name
                     and parse_id(v.get("id"))["resource_group"].lower() == rg]
            if not match:
                raise AzbError("vaults: no Recovery Services vault '%s' in resource group '%s' of the subscription."
                               % (name, rg), code="ResourceNotFound", status=404)
            chosen.extend(match)
        return chosen
    if opts["vault_regions"]:
        return [v for v in all_vaults if normalize_location(v.get("location")) in opts["vault_regions"]]
    return list(all_vaults)


# ---- reading Azure ------------------------------------------------------------------------------

# Everything the readiness reads, in one table: provider namespace, resource type, api-version, and whether it is
# listed per resource group as well as per subscription. The requests are built here (paths by azure-mgmt-core's
# resource_id) and sent through azure-mgmt-core's public ARMPipelineClient with the collection's credential and retry
# policy. No SDK operation, model or private request builder is used, so no SDK release can rename them away; the
# answers are read as JSON, because turning thousands of VMs into SDK models and back costs more time than the
# requests themselves. The api-versions are those whose specs the collection is tested against (the sandbox checks
# every request against them).
COMPUTE_API = "2026-04-01"
NETWORK_API = "2025-07-01"
VAULTS_API = "2026-11-01"
READS = {
    # kind: (namespace, resource type, api-version, listed per resource group)
    "vms": ("Microsoft.Compute", "virtualMachines", COMPUTE_API, True),
    "nics": ("Microsoft.Network", "networkInterfaces", NETWORK_API, True),
    "nsgs": ("Microsoft.Network", "networkSecurityGroups", NETWORK_API, True),
    "vnets": ("Microsoft.Network", "virtualNetworks", NETWORK_API, True),
    "vaults": ("Microsoft.RecoveryServices", "vaults", VAULTS_API, False),
}
INSTANCE_VIEW = "instanceView"  # child path of a VM, api-version of "vms"


def list_path(kind, subscription_id, rg=None):
    """'/subscriptions/{sub}[/resourceGroups/{rg}]/providers/{namespace}/{type}' of a list in READS."""
    from azure.mgmt.core.tools import resource_id

    namespace, kind_type, _version, by_group = READS[kind]
    if rg and not by_group:
        raise ValueError("%s are listed per subscription only" % kind)
    return resource_id(subscription=subscription_id, resource_group=rg or None, namespace=namespace) + "/" + kind_type


def instance_view_path(subscription_id, rg, vm_name):
    from azure.mgmt.core.tools import resource_id

    namespace, kind_type, _version, _by_group = READS["vms"]
    return resource_id(subscription=subscription_id, resource_group=rg, namespace=namespace, type=kind_type,
                       name=vm_name) + "/" + INSTANCE_VIEW


def _raise_for(response):
    """The SDK's exception for an ARM error answer (what its operations raise)."""
    from azure.core.exceptions import (ClientAuthenticationError, HttpResponseError, ResourceExistsError,
                                       ResourceNotFoundError, map_error)
    from azure.mgmt.core.exceptions import ARMErrorFormat

    map_error(status_code=response.status_code, response=response,
              error_map={401: ClientAuthenticationError, 404: ResourceNotFoundError, 409: ResourceExistsError})
    raise HttpResponseError(response=response, error_format=ARMErrorFormat)


def _with_api_version(url, version):
    """A nextLink as ARM gives it; the api-version added when the link lacks one."""
    from urllib.parse import parse_qsl, urlparse

    if any(k.lower() == "api-version" for k, _v in parse_qsl(urlparse(url).query)):
        return url
    return url + ("&" if "?" in url else "?") + "api-version=" + version


class Reader(object):
    """The ARM reads of one run: list pages and per-VM GETs, counted, with a bounded pool of threads.

    Every request goes through one ARMPipelineClient (authentication, retries on 429/5xx honouring Retry-After, user
    agent), built once by warm() before the threads share it.
    """

    def __init__(self, clients, max_concurrency=16):
        self.clients = clients
        self.max_concurrency = max_concurrency
        self._lock = threading.Lock()
        self._pipeline = None
        self.requests = 0

    def _hook(self, response):
        with self._lock:
            self.requests += 1

    def warm(self):
        """Discover the cloud and build the pipeline once, before threads share it."""
        if self._pipeline is None:
            self._pipeline = self.clients.arm_pipeline()
        return self._pipeline

    def _get(self, url, version, **query):
        from azure.core.rest import HttpRequest

        params = {"api-version": version} if version else {}
        params.update(query)
        if not url.startswith("https://") and not url.startswith("http://"):
            url = self.clients.cloud.resource_manager + url
        response = self.warm().send_request(HttpRequest("GET", url, params=params), raw_response_hook=self._hook)
        if response.status_code != 200:
            _raise_for(response)
        return response.json()

    def _pages(self, path, version, **query):
        items = []
        body = self._get(path, version, **query) or {}
        while True:
            items.extend(body.get("value") or [])
            link = body.get("nextLink")
            if not link:
                return items
            body = self._get(_with_api_version(link, version), None) or {}

    def list(self, kind, rg=None, **query):
        """Every item of a list (all its pages), of one resource group or of the subscription."""
        return self._pages(list_path(kind, self.clients.subscription_id, rg), READS[kind][2], **query)

    def map(self, func, items):
        items = list(items)
        if len(items) <= 1 or self.max_concurrency <= 1:
            return [func(i) for i in items]
        if self.clients is not None:  # (unit tests run the gathering with canned answers and no clients)
            self.clients.warm_up()
        with ThreadPoolExecutor(max_workers=min(self.max_concurrency, len(items))) as pool:
            return list(pool.map(func, items))

    def vms(self, rg=None):
        return self.list("vms", rg)

    def status_views(self):
        """Instance views of every VM of the subscription from ListAll?statusOnly=true: {vm id: view}."""
        out = {}
        for vm in self.list("vms", statusOnly="true"):
            view = props(vm).get("instanceView")
            if vm.get("id") and view:
                out[vm["id"].lower()] = view
        return out

    def instance_view(self, vm):
        path = instance_view_path(self.clients.subscription_id, parse_id(vm.get("id"))["resource_group"], vm.get("name"))
        return self._get(path, READS["vms"][2])

    def nics(self, rg=None):
        return self.list("nics", rg)

    def nsgs(self, rg=None):
        return self.list("nsgs", rg)

    def vnets(self, rg=None):
        return self.list("vnets", rg)

    def vaults(self):
        return self.list("vaults")


def _needs_view_get(vm, view):
    """True when the list did not carry what the checks read from the instance view of a VM that may be running."""
    if view is None:
        return True
    if view.get("vmAgent"):
        return False
    # A stopped or deallocated VM has no agent to report: a GET would not say more.
    return power_state(view) in ("running", "unknown", "starting")


def _groups(ids):
    return sorted({parse_id(i)["resource_group"].lower() for i in ids if i and parse_id(i)["resource_group"]})


def _gone(exc):
    return getattr(exc, "status_code", None) == 404 or type(exc).__name__ == "ResourceNotFoundError"


def gather(reader, opts):
    """Read every fact the checks need. Returns (vms, views, nics, vnets, nsgs, all_vaults)."""
    rg = opts["resource_group"]
    subscription_wide = rg is None
    reader.warm()
    tasks = {"vms": lambda: reader.vms(rg), "vaults": reader.vaults}
    if subscription_wide:
        tasks.update(views=_status_views_or_none(reader), nics=reader.nics, nsgs=reader.nsgs, vnets=reader.vnets)
    got = dict(zip(tasks, reader.map(lambda f: f(), tasks.values()), strict=True))
    vms = [vm for vm in got["vms"] if name_matches(vm.get("name"), opts["names"])]
    views = got.get("views") or {}

    def view_of(vm):
        view = views.get((vm.get("id") or "").lower())
        if not _needs_view_get(vm, view):
            return view
        try:
            return reader.instance_view(vm)
        except Exception as exc:  # pylint: disable=broad-except
            if _gone(exc):  # deleted between the list and the GET
                return view
            raise

    if subscription_wide:
        view_list = reader.map(view_of, vms)
        nics, nsgs, vnets = got["nics"], got["nsgs"], got["vnets"]
    else:
        # One resource group: list NICs in every group the VMs' NICs live in, and read the instance views (one GET
        # per VM) in the same pool; then VNets and NSGs of the groups the NICs point at.
        nic_ids = [r.get("id") for vm in vms for r in (props(vm).get("networkProfile") or {}).get("networkInterfaces") or []]
        jobs = [("view", vm) for vm in vms] + [("nics", g) for g in _groups(nic_ids)]
        answers = reader.map(lambda job: view_of(job[1]) if job[0] == "view" else reader.nics(job[1]), jobs)
        view_list = answers[: len(vms)]
        nics = [n for page in answers[len(vms):] for n in page]
        subnet_ids = [(props(c).get("subnet") or {}).get("id") for n in nics for c in props(n).get("ipConfigurations") or []]
        nsg_ids = [(props(n).get("networkSecurityGroup") or {}).get("id") for n in nics]
        vnet_groups = _groups(subnet_ids)
        nsg_groups = _groups(nsg_ids)
        jobs = [("vnets", g) for g in vnet_groups] + [("nsgs", g) for g in nsg_groups]
        answers = reader.map(lambda job: reader.vnets(job[1]) if job[0] == "vnets" else reader.nsgs(job[1]), jobs)
        vnets = [v for page in answers[: len(vnet_groups)] for v in page]
        nsgs = [n for page in answers[len(vnet_groups):] for n in page]
        subnet_nsg_ids = [(props(s).get("networkSecurityGroup") or {}).get("id") for v in vnets for s in props(v).get("subnets") or []]
        more = [g for g in _groups(subnet_nsg_ids) if g not in nsg_groups]
        nsgs += [n for page in reader.map(reader.nsgs, more) for n in page]
    return vms, view_list, nics, vnets, nsgs, got["vaults"]


def _status_views_or_none(reader):
    def read():
        try:
            return reader.status_views()
        except Exception as exc:  # pylint: disable=broad-except
            # A cloud without statusOnly (Azure Stack Hub, older api-versions) answers 400: read per VM instead.
            if getattr(exc, "status_code", None) in (400, 404, 405):
                return {}
            raise
    return read


def build_report(reader, params):
    """The module's result: {'vms': [...], 'summary': {...}, 'requests': n}."""
    opts = validate(params)
    vms, views, nics, vnets, nsgs, all_vaults = gather(reader, opts)
    opts["all_vaults"] = all_vaults
    opts["vaults"] = select_vaults(all_vaults, opts)
    nic_index = _index(nics)
    nsg_index = _index(nsgs)
    subnet_index = _index(s for v in vnets for s in props(v).get("subnets") or [])
    reports = []
    for vm, view in zip(vms, views, strict=True):
        facts = vm_facts(vm, view, nic_index, subnet_index, nsg_index,
                         proxied=is_proxied(vm, opts["proxy_vms"], opts["proxy_tag"]))
        reports.append(vm_report(facts, opts, opts["checks"]))
    reports.sort(key=lambda r: ((r["resource_group"] or "").lower(), (r["name"] or "").lower()))
    return {
        "vms": reports,
        "summary": summarize(reports, opts["checks"]),
        "vaults": [{"name": v.get("name"), "resource_group": parse_id(v.get("id"))["resource_group"],
                    "location": normalize_location(v.get("location"))} for v in opts["vaults"]],
        "requests": reader.requests,
    }
