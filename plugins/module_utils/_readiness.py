# -*- coding: utf-8 -*-
# Copyright: contributors to the azbackup.vmprep collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Backup readiness of Azure VMs, judged from Azure's side (no login to the VM).

Two halves:
* pure functions: one per check, each taking the facts of one VM and returning
  {check, result: pass|warn|unknown|fail, reason (one line), remedy};
* `build_report()`: reads everything the checks need through _discovery.discover() (list calls per subscription or
  per resource group, at most one instance-view GET per VM where no list call carried the instance view,
  concurrently and bounded; a denied read makes the checks that needed it 'unknown', never the run fail).

Private to the collection: the leading underscore means no compatibility promise.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import re

# The reading of Azure lives in _discovery; these names stay importable from here for the code that used them.
from ansible_collections.azbackup.vmprep.plugins.module_utils._discovery import (  # noqa: F401 pylint: disable=unused-import
    COMPUTE_API,
    INSTANCE_VIEW,
    NETWORK_API,
    READS,
    VAULTS_API,
    Estate,
    Reader,
    _index,
    discover,
    instance_view_path,
    list_path,
    name_matches,
    os_type,
    parse_id,
    power_state,
    props,
    provision_vm_agent,
    provisioning_state,
    statuses,
    unknown_reason,
    vm_facts,
)
from ansible_collections.azbackup.vmprep.plugins.module_utils._errors import AzbError
from ansible_collections.azbackup.vmprep.plugins.module_utils._nsg import PORT_MAX, parse_port, parse_prefix
from ansible_collections.azbackup.vmprep.plugins.module_utils._validate import (
    normalize_location,
    validate_location,
    validate_resource_group,
)
from ansible_collections.azbackup.vmprep.plugins.module_utils._vault import validate_name as validate_vault_name

CHECKS = ("agent", "backup_extension", "power_state", "region", "disks", "os", "network_config", "outbound", "route",
          "outbound_path")
RESULTS = ("pass", "warn", "unknown", "fail")  # in order of severity
NETWORK_CHECKS = ("network_config", "outbound", "route", "outbound_path")
# The endpoints Azure VM Backup reaches over TCP 443, as NSG service tags (Storage is regional: Storage.<region>).
BACKUP_SERVICES = ("Storage", "AzureBackup")
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
    return {"check": check, "result": outcome, "reason": one_line(reason), "remedy": one_line(remedy, 600)}


def one_line(text, limit=300):
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def worst(outcomes):
    """The most severe of pass/warn/unknown/fail (pass for none)."""
    level = 0
    for outcome in outcomes:
        level = max(level, RESULTS.index(outcome))
    return RESULTS[level]


def version_tuple(text):
    """(2, 2, 53, 1) for '2.2.53.1'; None for anything that is not a dotted version."""
    text = (text or "").strip()
    if not _VERSION.match(text):
        return None
    return tuple(int(p) for p in text.split("."))


def is_proxied(vm, proxy_vms, proxy_tag):
    name = (vm.get("name") or "").lower()
    if any(fnmatch.fnmatchcase(name, pattern.lower()) for pattern in proxy_vms or ()):
        return True
    if proxy_tag:
        for key, value in (vm.get("tags") or {}).items():
            if key.lower() == proxy_tag.lower() and str(value).strip().lower() not in ("", "false", "no", "0", "none"):
                return True
    return False


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
    denied = opts.get("vaults_denied")
    if denied:
        return result(check, "unknown", unknown_reason(denied), _grant(denied))
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
    if facts.get("primary_nic_denied") or (facts.get("denials") and not facts["nics"] and not facts["missing_nics"]):
        entry = facts.get("primary_nic_denied") or facts["denials"][0]
        return result(check, "unknown", unknown_reason(entry), _grant(entry))
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


def destination_coverage(p, region, service="Storage"):
    """'all' if the rule's destination covers `service` (a service tag: Storage, AzureBackup) in `region`, 'some' if
    it may cover part of it, else ''."""
    if p.get("destinationApplicationSecurityGroups"):
        return ""
    region = normalize_location(region)
    service = service.lower()
    tags = {"any", "internet", service, service + "." + region, "azurecloud", "azurecloud." + region}
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


def evaluate_nsg(nsg, region, source_ip, asg_ids=(), port=443, service="Storage"):
    """Walk an NSG's outbound rules in priority order for TCP `port` to `service` (a service tag) of `region`.

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
        coverage = destination_coverage(p, region, service)
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


def _grant(entry):
    """The remedy for a read that was denied: the permission, the scope, and the role that carries it."""
    return ("Grant the identity %s over %s (the Reader role there carries it), then run the check again."
            % (entry["permission"], entry["scope"]))


def _service_label(service, region):
    return "Storage.%s" % region if service == "Storage" else service


def check_outbound(facts, opts):
    """TCP 443 to Storage.<region> and AzureBackup through the NSGs of the primary NIC and of its subnet."""
    check = "outbound"
    vm = facts["vm"]
    region = normalize_location(vm.get("location"))
    proxied = facts["proxied"]
    primary = facts["primary_nic"]
    if primary is None:
        if proxied:
            return result(check, "pass", "The VM's NIC cannot be read; a proxy is declared for the VM.")
        if facts.get("primary_nic_denied"):
            return result(check, "unknown", unknown_reason(facts["primary_nic_denied"]),
                          _grant(facts["primary_nic_denied"]))
        return result(check, "fail", "The VM's primary NIC cannot be read, so its outbound path is unknown.",
                      "Give the identity Reader on the NIC's resource group, or declare a proxy for the VM.")
    if facts["missing_nsgs"]:
        return result(check, "warn", "NSG %s cannot be read, so the outbound path is unknown."
                      % parse_id(facts["missing_nsgs"][0])["name"],
                      "Give the identity Reader on the NSG's resource group.")
    unknown = [e for e in (primary.get("nsg_denied"), primary.get("subnet_denied"), primary.get("subnet_nsg_denied")) if e]
    layers = [nsg for nsg in (primary["nsg"], primary["subnet_nsg"]) if nsg]
    # A subnet that is missing with no denial to explain it: its NSG cannot be known, never assumed absent.
    lost_subnet = primary.get("subnet") is None and not primary.get("subnet_denied")
    if not layers and not unknown and not lost_subnet:
        return result(check, "pass", "No NSG on the NIC or its subnet: outbound TCP 443 is open.")
    allowed_by = []
    doubtful = []
    blocked = []  # (service, nsg, rule)
    for service in BACKUP_SERVICES:
        for nsg in layers:
            access, rule, maybe = evaluate_nsg(nsg, region, primary["ip"], primary["asgs"], service=service)
            doubtful.extend((service, nsg, r) for r in maybe if (nsg, r) not in [(n, x) for _s, n, x in doubtful])
            if access != "Allow":
                blocked.append((service, nsg, rule))
                break
            text = describe_rule(nsg, rule)
            if text not in allowed_by:
                allowed_by.append(text)
    if blocked:
        parts = []
        for service, nsg, rule in blocked:
            label = _service_label(service, region)
            text = describe_rule(nsg, rule)
            if parts and parts[-1][0] == text:
                parts[-1][1].append(label)
            else:
                parts.append((text, [label]))
        blocker = "; ".join("%s blocks outbound TCP 443 to %s" % (text, " and ".join(labels)) for text, labels in parts)
        if proxied:
            return result(check, "pass", "%s, but a proxy is declared for the VM." % blocker,
                          "Make sure the proxy allows *.blob.core.windows.net and the Azure Backup endpoints.")
        lowest = min(int(props(rule).get("priority") or 4096) if rule else 4096 for _s, _n, rule in blocked)
        return result(check, "fail", "%s." % blocker,
                      "Add outbound Allow rules for TCP 443 to service tags Storage.%s and AzureBackup (and "
                      "AzureActiveDirectory) with a priority below %s on NSG %s (azbackup.vmprep.nsg_rule), or "
                      "declare a proxy for the VM." % (region, lowest, blocked[0][1].get("name")))
    if unknown:
        if proxied:
            return result(check, "pass", "%s; a proxy is declared for the VM." % unknown_reason(unknown[0]))
        return result(check, "unknown", unknown_reason(unknown[0]), _grant(unknown[0]))
    if lost_subnet:
        name = parse_id(primary.get("subnet_id") or "")["name"] or "(none)"
        if proxied:
            return result(check, "pass", "The subnet %s of the VM's NIC cannot be read; a proxy is declared for the VM."
                          % name)
        return result(check, "warn", "The subnet %s of the VM's NIC cannot be read, so its NSG and the outbound "
                      "path are unknown." % name,
                      "Repair the NIC's IP configuration (its subnet %s does not exist), or give the identity Reader "
                      "on the virtual network's resource group." % name)
    if doubtful and not proxied:
        service, nsg, rule = doubtful[0]
        label = _service_label(service, region)
        if destination_coverage(props(rule), region, service) == "all":
            return result(check, "warn", "%s denies TCP 443 to %s from %s, a source that cannot be read as an "
                          "address range; it may include the VM." % (describe_rule(nsg, rule), label,
                                                                     ", ".join(_prefixes(props(rule), "source"))),
                          "Correct the rule's source to a valid CIDR (such as 10.0.0.0/24) or a service tag.")
        return result(check, "warn", "%s denies TCP 443 to %s, which may include %s addresses."
                      % (describe_rule(nsg, rule), ", ".join(_prefixes(props(rule), "destination")), label),
                      "Compare the range with the %s service tag (azbackup.vmprep.service_tags_info)." % label)
    return result(check, "pass", "Outbound TCP 443 to Storage.%s and AzureBackup is allowed by %s."
                  % (region, " and ".join(allowed_by)))


def _route_name(route):
    return (route or {}).get("name") or "(unnamed)"


def check_route(facts, opts):
    """Forced tunnelling: the route table of the primary NIC's subnet and its 0.0.0.0/0 route."""
    check = "route"
    route = facts["route"]
    region = normalize_location(facts["vm"].get("location"))
    proxied = facts["proxied"]
    if not route["known"]:
        if route["denied"]:
            return result(check, "unknown", unknown_reason(route["denied"]), _grant(route["denied"]))
        if facts["primary_nic"] is None:
            return result(check, "warn", "The VM's primary NIC cannot be read, so its route table is unknown.",
                          "Repair the VM's network profile, or give the identity Reader on the NIC's resource group.")
        if route["table_id"]:
            return result(check, "warn", "Route table %s of the VM's subnet cannot be read."
                          % parse_id(route["table_id"])["name"],
                          "Give the identity Reader on the route table's resource group.")
        return result(check, "warn", "The subnet of the VM's NIC cannot be read, so its route table is unknown.",
                      "Give the identity Reader on the virtual network's resource group.")
    bgp = route.get("bgp")
    bgp_remedy = ("Check the NIC's effective routes (az network nic show-effective-route-table -g <resource group> -n "
                  "<NIC>): if 0.0.0.0/0 goes to VirtualNetworkGateway, the appliance behind it must allow TCP 443 to "
                  "Storage.%s and AzureBackup." % region)

    def bgp_said(where):
        via = ("the virtual network's GatewaySubnet" if bgp["gateway_subnet"] else
               "peering %s (useRemoteGateways)" % bgp["peering"])
        return ("%s; a gateway behind %s may advertise a default route by BGP (forced tunnelling by BGP cannot be "
                "seen from the control plane)." % (where, via))
    if not route["table_id"]:
        if bgp:
            return result(check, "warn", bgp_said("No route table on the VM's subnet"), bgp_remedy)
        return result(check, "pass", "No route table on the VM's subnet: 0.0.0.0/0 goes to the Internet (system route).")
    table = route["table"]
    name = table.get("name") or parse_id(route["table_id"])["name"]
    rg = parse_id(route["table_id"])["resource_group"]
    tagged = route.get("tag_routes") or []
    dropped = [t for t in tagged if (props(t).get("nextHopType") or "").lower() == "none"]
    if dropped and not proxied:
        t = dropped[0]
        return result(check, "fail", "Route table %s sends %s (route %s) to None: backup traffic is dropped."
                      % (name, props(t).get("addressPrefix"), _route_name(t)),
                      "Delete route %s or point it at the Internet (az network route-table route update -g %s "
                      "--route-table-name %s -n %s --next-hop-type Internet)." % (_route_name(t), rg, name, _route_name(t)))
    if not route["forced"]:
        if tagged and not proxied:
            t = tagged[0]
            ip = props(t).get("nextHopIpAddress")
            return result(check, "warn", "Route table %s sends %s (route %s) to %s%s: the hop must allow TCP 443 to "
                          "Storage.%s and AzureBackup." % (name, props(t).get("addressPrefix"), _route_name(t),
                                                           props(t).get("nextHopType"), " " + ip if ip else "", region),
                          "Allow TCP 443 to service tags Storage.%s and AzureBackup on that hop, or point route %s at "
                          "the Internet (az network route-table route update -g %s --route-table-name %s -n %s "
                          "--next-hop-type Internet)." % (region, _route_name(t), rg, name, _route_name(t)))
        if bgp:
            return result(check, "warn", bgp_said("Route table %s has no 0.0.0.0/0 route and does not disable BGP "
                                                  "route propagation" % name), bgp_remedy)
        if route["route"] is not None:
            return result(check, "pass", "Route table %s sends 0.0.0.0/0 to %s (route %s)."
                          % (name, route["hop"], _route_name(route["route"])))
        return result(check, "pass", "Route table %s has no 0.0.0.0/0 route." % name)
    hop = route["hop"]
    address = props(route["route"]).get("nextHopIpAddress")
    where = "%s%s" % (hop, " " + address if address else "")
    said = "Route table %s sends %s to %s (route %s)" % (name, props(route["route"]).get("addressPrefix"), where,
                                                         _route_name(route["route"]))
    bypass = route["bypass"]
    if bypass["storage"] and bypass["backup"]:
        return result(check, "pass", "%s, but routes %s and %s send Storage and AzureBackup to the Internet."
                      % (said, _route_name(bypass["storage"]), _route_name(bypass["backup"])))
    missing = " and ".join(t for t, r in (("Storage.%s" % region, bypass["storage"]), ("AzureBackup", bypass["backup"]))
                           if not r)
    add_routes = ("add routes for %s with next hop Internet to route table %s (az network route-table route create "
                  "-g %s --route-table-name %s -n <name> --address-prefix <tag> --next-hop-type Internet)"
                  % (missing, name, rg, name))
    if hop.lower() == "none":
        if proxied:
            return result(check, "warn", "%s: traffic to the Internet is dropped; a proxy is declared for the VM, "
                          "and must be reachable inside the virtual network." % said,
                          "Make sure the proxy is inside the virtual network or its peerings, or %s." % add_routes)
        return result(check, "fail", "%s: traffic to Storage and AzureBackup is dropped." % said,
                      "Point 0.0.0.0/0 at a firewall that allows TCP 443 to them, or %s." % add_routes)
    if proxied:
        return result(check, "pass", "%s; a proxy is declared for the VM." % said,
                      "Make sure the proxy allows *.blob.core.windows.net and the Azure Backup endpoints.")
    return result(check, "warn", "%s: the appliance must allow TCP 443 to Storage.%s and AzureBackup." % (said, region),
                  "Allow TCP 443 to service tags %s on the appliance (Azure Firewall: a network rule with them), "
                  "or %s." % (missing, add_routes))


def check_outbound_path(facts, opts):
    """The subnet's way out to the Internet: NAT gateway, public IP, load-balancer outbound rule, default outbound
    access, or none (a private subnet)."""
    check = "outbound_path"
    path = facts["outbound_path"]
    proxied = facts["proxied"]
    kind = path["path"]
    if kind == "unknown":
        if path["denied"]:
            return result(check, "unknown", unknown_reason(path["denied"]), _grant(path["denied"]))
        return result(check, "warn", "%s The outbound path is unknown." % path["reason"],
                      "Repair the VM's network profile, or give the identity Reader on the network's resource groups.")
    subnet = parse_id(facts["primary_nic"]["subnet_id"]) if facts["primary_nic"] else {"name": "", "resource_group": ""}
    vnet = (facts["primary_nic"]["subnet_id"].split("/virtualnetworks/", 1)[-1].split("/", 1)[0]
            if facts["primary_nic"] else "")
    attach = ("Attach a NAT gateway to subnet %s (az network vnet subnet update -g %s --vnet-name %s -n %s "
              "--nat-gateway <name>), give the VM a public IP, or route 0.0.0.0/0 through a firewall that allows "
              "Storage and AzureBackup" % (subnet["name"], subnet["resource_group"], vnet, subnet["name"]))
    route = facts["route"]
    if kind == "forced_tunnelling":
        bypass = route["bypass"]
        if (bypass["storage"] or bypass["backup"]) and path["internet_path"] == "none" and not proxied:
            return result(check, "fail", "Routes of %s send Storage or AzureBackup to the Internet, but subnet %s "
                          "has no outbound path (no NAT gateway, public IP, load-balancer outbound rule or default "
                          "outbound access)." % ((route["table"] or {}).get("name"), subnet["name"]),
                          attach + ".")
        return result(check, "pass", "%s The route check judges the next hop." % path["reason"])
    if kind == "nat_gateway":
        nat = path.get("nat_gateway")
        if nat is None and path.get("denied"):
            return result(check, "unknown", "%s %s" % (path["reason"], unknown_reason(path["denied"])),
                          _grant(path["denied"]))
        if nat is not None and not (props(nat).get("publicIpAddresses") or props(nat).get("publicIpPrefixes")):
            return result(check, "fail", "NAT gateway %s of subnet %s has no public IP address or prefix: no "
                          "outbound connection can leave." % (nat.get("name"), subnet["name"]),
                          "Add a Standard public IP to NAT gateway %s (az network nat gateway update -g %s -n %s "
                          "--public-ip-addresses <ip>)." % (nat.get("name"), parse_id(nat.get("id"))["resource_group"],
                                                            nat.get("name")))
        return result(check, "pass", path["reason"])
    if kind in ("public_ip", "load_balancer"):
        return result(check, "pass", path["reason"])
    if kind == "default_outbound_access" and path.get("lb_without_rule") and not proxied:
        lb = path["lb_without_rule"]
        return result(check, "warn", "The NIC is in backend pool %s of Standard load balancer %s, which has no outbound "
                      "rule for it: the VM's way out then depends on the load balancer's rules, not on default "
                      "outbound access." % (lb["pool"], lb["load_balancer"]),
                      "Add an outbound rule for pool %s to load balancer %s (az network lb outbound-rule create -g %s "
                      "--lb-name %s -n <name> --address-pool %s --frontend-ip-configs <frontend> --protocol All), or "
                      "attach a NAT gateway to subnet %s." % (lb["pool"], lb["load_balancer"],
                                                              parse_id(lb["id"])["resource_group"], lb["load_balancer"],
                                                              lb["pool"], subnet["name"]))
    if kind == "default_outbound_access":
        return result(check, "pass", "%s Azure retires default outbound access for new virtual networks; an explicit "
                      "path (NAT gateway) is recommended." % path["reason"])
    if proxied:
        return result(check, "pass", "%s A proxy is declared for the VM." % path["reason"],
                      "Make sure the proxy is reachable inside the virtual network.")
    return result(check, "fail", path["reason"], attach + ", or declare a proxy for the VM.")


CHECK_FUNCTIONS = {
    "agent": check_agent,
    "backup_extension": check_backup_extension,
    "power_state": check_power_state,
    "region": check_region,
    "disks": check_disks,
    "os": check_os,
    "network_config": check_network_config,
    "outbound": check_outbound,
    "route": check_route,
    "outbound_path": check_outbound_path,
}


# ---- facts, report, summary ---------------------------------------------------------------------

# The checks that judge the instance view: 'unknown' when its GET was refused.
VIEW_CHECKS = ("agent", "backup_extension", "power_state")


def run_checks(facts, opts, checks=CHECKS):
    out = []
    for name in checks:
        if name in VIEW_CHECKS and facts.get("view_denied"):
            out.append(result(name, "unknown", unknown_reason(facts["view_denied"]), _grant(facts["view_denied"])))
            continue
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
        "unreadable": list(facts.get("unreadable") or []),
    }


def summarize(reports, checks=CHECKS):
    summary = {"vms": len(reports), "pass": 0, "warn": 0, "unknown": 0, "fail": 0,
               "checks": {name: {"pass": 0, "warn": 0, "unknown": 0, "fail": 0} for name in checks}}
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
    bad = [c for c in checks if c not in CHECKS]
    if bad:
        raise AzbError("checks: unknown check '%s'; choose from %s." % (bad[0], ", ".join(CHECKS)))
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


def assess(estate, params):
    """Readiness of every VM of an Estate read with need ('network', 'vaults', 'views'), for host variables:
    {vm id (lower case): {'result': pass|warn|unknown|fail, 'checks': [...]}}. `params` are the module's options
    (validated here; scope options are ignored, the estate is what it is)."""
    opts = validate(params)
    denied = estate.vaults_denied()
    opts["vaults_denied"] = denied
    opts["all_vaults"] = estate.vaults or []
    opts["vaults"] = [] if denied or estate.vaults is None else select_vaults(estate.vaults, opts)
    out = {}
    for vm in estate.vms:
        facts = estate.facts(vm, proxied=is_proxied(vm, opts["proxy_vms"], opts["proxy_tag"]))
        results = run_checks(facts, opts, opts["checks"])
        out[(vm.get("id") or "").lower()] = {"result": worst(r["result"] for r in results), "checks": results}
    return out


def build_report(reader, params):
    """The module's result: {'vms': [...], 'summary': {...}, 'vaults': [...], 'unreadable': [...], 'requests': n}."""
    opts = validate(params)
    need = ["views"]
    if any(c in NETWORK_CHECKS for c in opts["checks"]):
        need.append("network")
    if "region" in opts["checks"] or opts["vault_names"]:
        need.append("vaults")
    scope = {"resource_groups": [opts["resource_group"]] if opts["resource_group"] else None, "names": opts["names"]}
    estate = discover(None, scope, opts["max_concurrency"], need=tuple(need), reader=reader, public_ips=False)
    denied = estate.vaults_denied()
    opts["vaults_denied"] = denied
    opts["all_vaults"] = estate.vaults or []
    opts["vaults"] = [] if denied or estate.vaults is None else select_vaults(estate.vaults, opts)
    reports = []
    for vm in estate.vms:
        facts = estate.facts(vm, proxied=is_proxied(vm, opts["proxy_vms"], opts["proxy_tag"]))
        reports.append(vm_report(facts, opts, opts["checks"]))
    reports.sort(key=lambda r: ((r["resource_group"] or "").lower(), (r["name"] or "").lower()))
    return {
        "vms": reports,
        "summary": summarize(reports, opts["checks"]),
        "vaults": [{"name": v.get("name"), "resource_group": parse_id(v.get("id"))["resource_group"],
                    "location": normalize_location(v.get("location"))} for v in opts["vaults"]],
        "unreadable": list(estate.unreadable),
        "requests": reader.requests,
    }
