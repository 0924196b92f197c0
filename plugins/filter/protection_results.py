# Copyright: contributors to the azbackup.vmprep collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter protection_results: per VM, what step 6 did - protection state, policy, first backup - for the report."""

from __future__ import annotations

DOCUMENTATION = r"""
name: protection_results
short_description: Per VM, the protection state, policy and first backup result of C(playbooks/protect.yml)
version_added: 1.1.0
description:
  - Joins the plan of P(azbackup.vmprep.protection_plan#filter) with the registered loop results of
    M(azbackup.vmprep.vm_protection) and M(azbackup.vmprep.backup_now) (one loop item per vault, whose C(vms) are
    the entries sent), by the position of each VM in its task's input.
  - Makes no request.
options:
  _input:
    description: The plan from P(azbackup.vmprep.protection_plan#filter).
    type: dict
    required: true
  protection:
    description: The registered result of the M(azbackup.vmprep.vm_protection) loop.
    type: raw
  backups:
    description: The registered result of the M(azbackup.vmprep.backup_now) loop.
    type: raw
  items:
    description:
      - The registered result of the M(azbackup.vmprep.vm_protection_info) loop (one loop item per vault, whose
        C(scope), else C(targets), are the VMs asked for). With it, C(backup_vaults) holds only VMs that never had a backup
        (no C(last_backup_status)) - a VM whose first backup failed is not triggered again by a re-run, and the
        report shows its last backup.
    type: raw
  jobs:
    description:
      - The registered result of the M(azbackup.vmprep.backup_job_info) loop (one loop item per vault, backup jobs of
        its VMs). Each VM's most recent backup job becomes its C(backup_job), which the report shows - the same
        job whether this run started it or an earlier one did, so a re-run renders the same report.
    type: raw
  check_mode:
    description: In check mode, C(backup_vaults) leaves out the VMs that vm_protection would change (not protected yet).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Results per VM
  ansible.builtin.set_fact:
    azbackup_protection: "{{ plan | azbackup.vmprep.protection_results(protection=protected, backups=first_backups) }}"
"""

RETURN = r"""
_value:
  description:
    - C(vms) - a dict by VM key (C(<resource group>/<name>) in lower case) of C(name), C(resource_group), C(vault),
      C(policy), C(verdict), C(state) (C(protected), C(not protected), C(failed), ...), C(protection_state)
      (Azure's; for a VM left alone, read by vm_protection_info - such a VM protected in Azure has the state
      C(protected (left alone))), C(changed), C(failed), C(msg), C(skip_reason), C(reasons) and C(first_backup) (C(status),
      C(error_code), C(error_message), C(duration_seconds), C(job_id), C(triggered)) or none, and C(last_backup)
      (C(status), C(time) from vm_protection_info) or none, and C(backup_job) (the VM's most recent backup job -
      C(status), C(error_code), C(error_message), C(duration_seconds), C(start_time), C(job_id)) or none.
    - C(summary) - counts C(vms), C(protected), C(skipped) (left alone), C(planned_new_vault) (check mode - in a vault
      this run would create), C(failed), C(backup_completed), C(backup_failed),
      C(backup_other) (this run's backups), C(jobs_completed), C(jobs_failed), C(jobs_other) (the VMs' most recent
      backup jobs); C(failures) - one line per VM that failed (not protected, or its first backup could not be
      triggered or followed; a backup job that ended Failed is a result, not a failure).
    - C(backup_vaults) - per vault (C(name), C(resource_group), C(vms)), the VMs that vm_protection left protected,
      for M(azbackup.vmprep.backup_now).
  type: dict
"""


def _results(registered):
    if not isinstance(registered, dict):
        return []
    return [r for r in registered.get("results") or [] if isinstance(r, dict)]


def _entries(result, field):
    """(sent entry, answer) pairs of one loop item, by position."""
    sent = (result.get("item") or {}).get("vms") or []
    if result.get("skipped"):
        return [(vm, None) for vm in sent]
    got = result.get(field) or []
    return [(vm, got[i] if i < len(got) and isinstance(got[i], dict) else None) for i, vm in enumerate(sent)]


def _key(vm):
    return "%s/%s" % (str(vm.get("resource_group") or "").lower(), str(vm.get("name") or "").lower())


def protection_results(plan, protection=None, backups=None, items=None, jobs=None, check_mode=False):
    out = {}
    backup_vaults = []
    for vm in (plan or {}).get("vms") or []:
        out[vm["key"]] = {"name": vm["name"], "resource_group": vm["resource_group"],
                          "vault": vm["vault_name"], "policy": vm["policy"] if vm["protect"] else None,
                          "verdict": vm["verdict"], "state": "not protected" if not vm["protect"] else (
                              "planned (vault created by this run)" if vm.get("new_vault") else (
                                  "to protect once its policy exists" if vm.get("pending") else "planned")),
                          "protection_state": "", "changed": False, "failed": False, "msg": "",
                          "skip_reason": vm["skip_reason"], "reasons": vm["reasons"], "first_backup": None,
                          "last_backup": None, "backup_job": None}
    failures = []
    known = {}  # VM key -> its item as vm_protection_info read it
    for result in _results(items):
        item = result.get("item") or {}
        sent = item.get("scope") or item.get("targets") or []
        got = result.get("vms") or []  # vm_protection_info's list (named vms: in Jinja, x.items is dict.items)
        for index, vm in enumerate(sent):
            if index < len(got) and isinstance(got[index], dict):
                known[_key(vm)] = got[index]
                row = out.get(_key(vm))
                if row is None:
                    continue
                if got[index].get("last_backup_status"):
                    row["last_backup"] = {"status": got[index].get("last_backup_status"),
                                          "time": got[index].get("last_backup_time")}
                state = got[index].get("protection_state") or ""
                if row["skip_reason"] and state and state != "NotProtected":
                    # Left alone by this run (readiness, no policy...), but protected in Azure: its real state.
                    row.update(protection_state=state, policy=got[index].get("policy") or None,
                               state=("soft deleted" if got[index].get("soft_deleted") else
                                      "protected" if state in ("Protected", "IRPending", "ProtectionError")
                                      else state) + " (left alone)")
    for result in _results(protection):
        ready = []
        item = result.get("item") or {}
        backup_vaults.append({"name": item.get("name"), "resource_group": item.get("resource_group"), "vms": ready})
        for sent, answer in _entries(result, "vms"):
            row = out.get(_key(sent))
            if row is None:
                continue
            if result.get("skipped"):
                row["state"] = "not run"
            elif answer is None:
                row.update(state="failed", failed=True,
                           msg=str(result.get("msg") or "vm_protection returned no result for this VM"))
            else:
                row.update(state=answer.get("state") or "", protection_state=answer.get("protection_state") or "",
                           policy=answer.get("policy") or row["policy"], changed=bool(answer.get("changed")),
                           failed=bool(answer.get("failed")), msg=str(answer.get("msg") or ""))
                if answer.get("failed"):
                    row["state"] = "failed"
                elif answer.get("state") == "protected" and not (check_mode and answer.get("changed")):
                    item = known.get(_key(sent))
                    never = item is not None and item.get("protection_state") != "NotProtected" and not (
                        item.get("last_backup_status") or item.get("last_recovery_point"))
                    if items is None or never:
                        ready.append({"name": sent.get("name"), "resource_group": sent.get("resource_group")})
            if row["failed"]:
                failures.append("%s (%s): %s" % (row["name"], row["resource_group"], row["msg"]))
    for result in _results(backups):
        for sent, answer in _entries(result, "jobs"):
            row = out.get(_key(sent))
            if row is None or result.get("skipped"):
                continue
            if answer is None:
                row["first_backup"] = {"status": "Failed", "error_code": "", "triggered": False, "job_id": "",
                                       "duration_seconds": None,
                                       "error_message": str(result.get("msg") or "backup_now returned no result")}
                failures.append("%s (%s): first backup: %s"
                                % (row["name"], row["resource_group"], row["first_backup"]["error_message"]))
                continue
            fields = ("status", "error_code", "error_message", "job_id", "duration_seconds", "triggered",
                      "start_time", "end_time")
            row["first_backup"] = {k: answer.get(k) for k in fields}
            if answer.get("failed") and answer.get("msg"):
                row["first_backup"]["error_message"] = row["first_backup"]["error_message"] or answer.get("msg")
            if answer.get("failed"):
                # Not a job that ended Failed (fail_on_job_failure is false, so those are results): the backup
                # could not be triggered or followed (refused, not protected, timed out...).
                failures.append("%s (%s): first backup: %s%s" % (
                    row["name"], row["resource_group"],
                    ("%s: " % answer["error_code"]) if answer.get("error_code") else "",
                    answer.get("msg") or answer.get("error_message") or "failed"))
    for result in _results(jobs):
        for job in result.get("jobs") or []:
            if not isinstance(job, dict):
                continue
            parts = str(job.get("container") or "").split(";")
            key = ("%s/%s" % (parts[-2], parts[-1])).lower() if len(parts) >= 3 else None
            row = out.get(key)
            if row is None:
                continue
            if row["backup_job"] is None or str(job.get("start_time") or "") > str(row["backup_job"]["start_time"]):
                row["backup_job"] = {k: job.get(k) for k in ("status", "error_code", "error_message",
                                                             "duration_seconds", "start_time", "job_id")}
    rows = list(out.values())
    backups_run = [r["first_backup"] for r in rows if r["first_backup"]]
    summary = {"vms": len(rows),
               "protected": sum(1 for r in rows if r["state"] == "protected"),
               "skipped": sum(1 for r in rows if r["skip_reason"]),
               "planned_new_vault": sum(1 for r in rows if r["state"] == "planned (vault created by this run)"),
               "failed": sum(1 for r in rows if r["failed"]),
               "backup_completed": sum(1 for b in backups_run if str(b.get("status")).lower().startswith("completed")),
               "backup_failed": sum(1 for b in backups_run if str(b.get("status")).lower() == "failed"),
               }
    summary["backup_other"] = len(backups_run) - summary["backup_completed"] - summary["backup_failed"]
    last_jobs = [str(r["backup_job"].get("status")) for r in rows if r["backup_job"]]
    summary["jobs_completed"] = sum(1 for s in last_jobs if s.lower().startswith("completed"))
    summary["jobs_failed"] = sum(1 for s in last_jobs if s.lower() == "failed")
    summary["jobs_other"] = len(last_jobs) - summary["jobs_completed"] - summary["jobs_failed"]
    return {"vms": out, "summary": summary, "failures": failures,
            "backup_vaults": [v for v in backup_vaults if v["vms"]]}


class FilterModule(object):
    def filters(self):
        return {"protection_results": protection_results}
