# Copyright: contributors to the azbackup.vmprep collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter protection_plan: which VM goes to which vault with which policy, and which VMs the readiness gate keeps out."""

from __future__ import annotations

DOCUMENTATION = r"""
name: protection_plan
short_description: Plan the protection of the inventory's VMs - vault, policy and readiness gate per VM
version_added: 1.1.0
description:
  - Used by C(playbooks/protect.yml) (step 6 of the main playbook). For each host it finds the VM's name, resource
    group, region and tags in the host variables of the C(azbackup.vmprep.azure_vms) inventory plugin (C(azure_name),
    C(azure_resource_group), C(azure_location), C(azure_tags), C(azure_id)), of the C(azure.azcollection.azure_rm)
    plugin (C(name), C(resource_group), C(location), C(tags), C(id)) or of a static inventory (the host name, with
    C(location) and C(resource_group)); what is missing comes from the readiness report when it has the VM.
  - The policy is the value of the tag O(tag) (tag names compare without regard to case), else O(default_policy).
  - The vault is O(vault_pattern) with C({region}) replaced by the VM's region, in O(vault_resource_group), as in
    C(playbooks/vaults.yml).
  - The readiness verdict comes from O(readiness) (the registered result of M(azbackup.vmprep.backup_readiness_info))
    when given, else from the host variable C(azure_readiness) that the inventory plugin sets with C(readiness=true).
    A VM whose verdict is not in O(allowed), or that has no verdict, is not protected; its C(reasons) name the checks
    that did not pass.
  - Makes no request.
options:
  _input:
    description: The inventory host names of the VMs in scope.
    type: list
    elements: str
    required: true
  hostvars:
    description: Ansible's C(hostvars).
    type: raw
    required: true
  readiness:
    description: The result of M(azbackup.vmprep.backup_readiness_info); empty uses the hosts' C(azure_readiness).
    type: raw
  allowed:
    description: The verdicts that may be protected.
    type: list
    elements: str
    default: [pass, warn]
  tag:
    description: The tag whose value names a VM's policy.
    type: str
    default: azbackup-policy
  default_policy:
    description: The policy of VMs without the tag; empty leaves them unprotected.
    type: str
  vault_pattern:
    description: The vault name, C({region}) becoming the region.
    type: str
    default: rsv-backup-{region}
  vault_resource_group:
    description: The resource group of the vaults.
    type: str
    required: true
  vault_regions:
    description: The regions that have a vault; empty means the regions of the VMs (as C(playbooks/vaults.yml)).
    type: list
    elements: str
    default: []
  pending_policies:
    description:
      - Policies that do not exist yet, as C(<vault name>/<policy name>) - in check mode, those the policy task would
        create. Their VMs stay out of C(vaults[].vms) (no protection task could find the policy) and are marked
        C(pending).
    type: list
    elements: str
    default: []
  existing_vaults:
    description:
      - The names of the vaults that exist (check mode, where step 1 only predicts the vaults). A vault of the plan
        that is not among them gets no C(vms) and no C(scope) (no Azure Backup module can read a vault that does not
        exist); its VMs are marked C(new_vault) and listed in its C(planned). Omitted, null or an empty string, every
        vault is taken to exist.
    type: list
    elements: str
"""

EXAMPLES = r"""
- name: Plan
  ansible.builtin.set_fact:
    plan: >-
      {{ query('ansible.builtin.inventory_hostnames', 'all:!localhost')
         | azbackup.vmprep.protection_plan(hostvars, readiness=azbackup_readiness, default_policy='daily',
                                           vault_resource_group='rg-backup') }}
"""

RETURN = r"""
_value:
  description: The plan.
  type: dict
  contains:
    vms:
      description:
        - One per VM, sorted by resource group and name - C(key) (C(<resource group>/<name>) in lower case), C(name),
          C(resource_group), C(id), C(region), C(vault_name), C(vault_resource_group), C(policy), C(verdict),
          C(protect) (bool), C(pending) (bool, see O(pending_policies)), C(new_vault) (bool, see O(existing_vaults)),
          C(skip_reason) and C(reasons) (the checks that did not pass, as C(check - reason)).
      type: list
      elements: dict
    vaults:
      description:
        - One per region - C(name), C(resource_group), C(region), C(vms) (C(name), C(resource_group), C(policy)),
          C(targets) (the same VMs without C(policy)), C(scope) (every VM of the region with a resource group,
          protected by this run or left alone, without C(policy)), C(new) (the vault is not in O(existing_vaults))
          and C(planned) (for a new vault, the VMs that would be protected, with C(policy); C(vms) and C(scope)
          are then empty).
      type: list
      elements: dict
    skipped:
      description: The entries of C(vms) that are not protected.
      type: list
      elements: dict
    report:
      description:
        - Without O(readiness), the readiness in the form of M(azbackup.vmprep.backup_readiness_info)'s result built
          from the hosts' C(azure_readiness), for the report; otherwise empty.
      type: dict
"""

from ansible.errors import AnsibleFilterError

ORDER = ("pass", "warn", "unknown", "fail")


def _get(hv, *names):
    for name in names:
        try:
            value = hv.get(name)
        except Exception:  # pylint: disable=broad-except  # an undefined or failing template counts as missing
            value = None
        if value not in (None, "", {}, []):
            return value
    return None


def _region(value):
    return "".join(str(value or "").split()).lower()


def _tag(tags, name):
    if not isinstance(tags, dict) or not name:
        return None
    for key, value in tags.items():
        if str(key).lower() == name.lower() and str(value or "").strip():
            return str(value).strip()
    return None


def _index(readiness):
    by_id, by_rg_name, by_name = {}, {}, {}
    for vm in (readiness or {}).get("vms") or []:
        if vm.get("id"):
            by_id[str(vm["id"]).lower()] = vm
        by_rg_name[(str(vm.get("resource_group") or "").lower(), str(vm.get("name") or "").lower())] = vm
        by_name.setdefault(str(vm.get("name") or "").lower(), []).append(vm)
    return by_id, by_rg_name, by_name


def _reasons(checks, allowed):
    out = []
    for check in checks or []:
        if check.get("result") not in allowed:
            out.append("%s (%s) - %s" % (check.get("check"), check.get("result"), check.get("reason") or ""))
    return out


def _summary(reports):
    names = []
    for report in reports:
        for check in report["checks"]:
            if check.get("check") not in names:
                names.append(check.get("check"))
    summary = {"vms": len(reports), "pass": 0, "warn": 0, "unknown": 0, "fail": 0,
               "checks": {name: {"pass": 0, "warn": 0, "unknown": 0, "fail": 0} for name in names}}
    for report in reports:
        if report["result"] in ORDER:
            summary[report["result"]] += 1
        for check in report["checks"]:
            if check.get("result") in ORDER:
                summary["checks"][check["check"]][check["result"]] += 1
    return summary


def protection_plan(hosts, hostvars, readiness=None, allowed=("pass", "warn"), tag="azbackup-policy",
                    default_policy=None, vault_pattern="rsv-backup-{region}", vault_resource_group=None,
                    vault_regions=(), pending_policies=(), existing_vaults=None):
    if not vault_resource_group:
        raise AnsibleFilterError("protection_plan: vault_resource_group is required (azbackup_vault_resource_group)")
    if isinstance(allowed, str):
        allowed = [allowed]
    allowed = [str(a).lower() for a in allowed or []]
    bad = [a for a in allowed if a not in ORDER]
    if bad:
        raise AnsibleFilterError("protection_plan: allowed verdicts must be among %s; got %s"
                                 % (", ".join(ORDER), ", ".join(bad)))
    vault_pattern = vault_pattern or "rsv-backup-{region}"
    pending = {str(p).lower() for p in pending_policies or []}
    if isinstance(existing_vaults, str) and existing_vaults.strip() in ("", "None"):
        # ansible-core 2.16 renders a template that is none as '' or 'None': the same as omitted.
        existing_vaults = None
    existing = None if existing_vaults is None else {str(v).lower() for v in existing_vaults}
    report_given = bool(readiness) and bool(readiness.get("vms") is not None)
    by_id, by_rg_name, by_name = _index(readiness if report_given else None)
    seen = set()
    vms = []
    host_reports = []
    for host in hosts or []:
        hv = hostvars[host]
        name = str(_get(hv, "azure_name", "name") or host)
        rg = _get(hv, "azure_resource_group", "resource_group")
        vm_id = _get(hv, "azure_id", "id")
        if vm_id is not None and not str(vm_id).lower().startswith("/subscriptions/"):
            vm_id = None
        entry = None
        if report_given:
            entry = by_id.get(str(vm_id).lower()) if vm_id else None
            if entry is None and rg:
                entry = by_rg_name.get((str(rg).lower(), name.lower()))
            if entry is None and not rg and len(by_name.get(name.lower(), [])) == 1:
                entry = by_name[name.lower()][0]
        rg = rg or (entry or {}).get("resource_group")
        vm_id = vm_id or (entry or {}).get("id")
        region = _region(_get(hv, "azure_location", "location") or (entry or {}).get("location"))
        verdict, checks = None, []
        if report_given:
            if entry is not None:
                verdict, checks = entry.get("result"), entry.get("checks") or []
        else:
            own = _get(hv, "azure_readiness") or {}
            if own.get("result"):
                verdict, checks = own.get("result"), list(own.get("checks") or [])
                agent = _get(hv, "azure_agent") or {}
                host_reports.append({
                    "name": name, "id": vm_id or "", "resource_group": rg or "", "location": region,
                    "os_type": _get(hv, "azure_os_type") or "", "power_state": _get(hv, "azure_power_state") or "unknown",
                    "agent_version": (agent.get("version") if isinstance(agent, dict) else "") or "",
                    "result": verdict, "checks": checks, "unreadable": list(_get(hv, "azure_unreadable") or [])})
        key = "%s/%s" % (str(rg or "").lower(), name.lower())
        if key in seen:
            continue
        seen.add(key)
        policy = _tag(_get(hv, "azure_tags", "tags"), tag) or (default_policy or None)
        vm = {"key": key, "name": name, "resource_group": rg or "", "id": vm_id or "", "region": region,
              "vault_name": vault_pattern.replace("{region}", region) if region else "",
              "vault_resource_group": vault_resource_group, "policy": policy, "verdict": verdict or "unchecked",
              "protect": False, "pending": False, "skip_reason": "", "reasons": []}
        if not rg:
            vm["skip_reason"] = "no resource group: not an Azure VM of the inventory or the readiness report"
        elif not region:
            vm["skip_reason"] = "no region (azure_location or location) known"
        elif vault_regions and region not in [_region(r) for r in vault_regions]:
            vm["skip_reason"] = "no vault in %s (not in azbackup_vault_regions)" % region
        elif verdict is None:
            vm["skip_reason"] = "no readiness verdict: the readiness report does not include this VM"
        elif verdict not in allowed:
            vm["skip_reason"] = "readiness %s (protected only when %s)" % (verdict, " or ".join(allowed))
            vm["reasons"] = _reasons(checks, allowed) or ["verdict %s" % verdict]
        elif not policy:
            vm["skip_reason"] = "no policy: no %s tag and no azbackup_default_policy" % tag
        else:
            vm["protect"] = True
            vm["pending"] = ("%s/%s" % (vm["vault_name"], policy)).lower() in pending
        vm["new_vault"] = bool(existing is not None and vm["vault_name"] and vm["vault_name"].lower() not in existing)
        vms.append(vm)
    vms.sort(key=lambda v: (v["resource_group"].lower(), v["name"].lower()))
    regions = sorted({_region(r) for r in vault_regions or [] if _region(r)} or {v["region"] for v in vms if v["region"]})
    vaults = []
    for region in regions:
        name = vault_pattern.replace("{region}", region)
        new = existing is not None and name.lower() not in existing
        members = [{"name": v["name"], "resource_group": v["resource_group"], "policy": v["policy"]}
                   for v in vms if v["protect"] and not v["pending"] and v["region"] == region and not new]
        # Every VM of the region (protected by this run or left alone), so that the report shows the real
        # protection of the VMs the gate leaves alone too.
        scope = [] if new else [{"name": v["name"], "resource_group": v["resource_group"]}
                                for v in vms if v["region"] == region and v["resource_group"]]
        vaults.append({"name": name, "resource_group": vault_resource_group, "region": region, "new": new,
                       "vms": members, "scope": scope,
                       "planned": [{"name": v["name"], "resource_group": v["resource_group"], "policy": v["policy"]}
                                   for v in vms if v["protect"] and v["region"] == region] if new else [],
                       "targets": [{"name": m["name"], "resource_group": m["resource_group"]} for m in members]})
    report = {}
    if not report_given and host_reports:
        host_reports.sort(key=lambda r: (r["resource_group"].lower(), r["name"].lower()))
        report = {"vms": host_reports, "summary": _summary(host_reports), "unreadable": [],
                  "vaults": [{"name": v["name"], "resource_group": v["resource_group"], "location": v["region"]}
                             for v in vaults]}
    return {"vms": vms, "vaults": vaults, "skipped": [v for v in vms if not v["protect"]], "report": report}


class FilterModule(object):
    def filters(self):
        return {"protection_plan": protection_plan}
