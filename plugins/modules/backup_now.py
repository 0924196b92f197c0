#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the azbackup.vmprep collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: backup_now
short_description: Take an on-demand backup of protected Azure VMs and wait for its jobs
version_added: 1.1.0
description:
  - Triggers an on-demand backup (C(Backup now)) of each VM given, in the Recovery Services vault that protects it,
    and waits for the backup jobs to end.
  - Each VM must already be protected by the vault (see M(azbackup.vmprep.vm_protection)). A VM the vault does not
    protect, whose protection is stopped, or whose backup item is soft deleted fails with a message saying so; the
    other VMs go on and the task fails at the end, naming each failed VM.
  - With O(only_first=true) (the default) a VM that already has a recovery point, or that has a backup job in
    progress, is not triggered again, so a second run after a completed backup reports no change. A VM whose backup
    failed has no recovery point, so a second run triggers it again. A backup job in progress is followed (and, with
    O(wait=true), waited for) instead. (C(playbooks/protect.yml) leaves out every VM that was ever backed up, so the
    playbook does not retry a failed first backup.)
  - Requests sent are one list of the vault's protected items; with O(only_first=true), one list of the vault's backup jobs
    in progress when a VM has no recovery point yet; per VM triggered, one POST and one poll of its operation; then
    per polling round one read of the job (one VM) or one list of the vault's backup jobs (several VMs).
  - The results of all VMs come back in RV(jobs), in the order of O(vms), with the symbolic error code Azure Backup
    gives a failed job (for example C(UserErrorGuestAgentStatusUnavailable) or C(ExtensionSnapshotFailedNoNetwork)),
    its message and Azure's recommendations.
author:
  - azbackup.vmprep developers (@azbackup)
options:
  retain_until:
    description:
      - The day, C(YYYY-MM-DD) (UTC), until which the recovery point of the on-demand backup is kept. A day after
        today, at most 9999 days ahead.
      - Mutually exclusive with O(retain_days).
    type: str
  retain_days:
    description:
      - How many days (1-9999) the recovery point of the on-demand backup is kept, counted from today (UTC).
      - Used when O(retain_until) is not given; defaults to V(30).
    type: int
  only_first:
    description:
      - V(true) triggers a backup only for VMs whose backup item has no recovery point and no backup job in progress;
        a re-run after a completed backup changes nothing; a VM whose backup failed (no recovery point) is triggered
        again.
      - V(false) triggers a backup of every VM given, at each run.
    type: bool
    default: true
  wait:
    description:
      - V(true) waits until each job has ended (no longer C(InProgress) or C(Cancelling)), polling at the interval
        Azure asks for, else at growing intervals up to 30 seconds, within O(wait_timeout). The jobs of all VMs are
        polled together, with one list of the vault's backup jobs per round.
      - V(false) returns once Azure accepted each backup, with the job id and status C(InProgress). Follow the jobs
        with M(azbackup.vmprep.backup_job_info).
    type: bool
    default: true
  max_concurrency:
    description:
      - How many VMs are triggered and followed at the same time, 1 to 64.
    type: int
    default: 16
  fail_on_job_failure:
    description:
      - V(true) fails the task, after every VM was handled, when a backup job ended C(Failed) or C(Cancelled), naming
        each such VM with its error code.
      - V(false) reports failed jobs in RV(jobs) only; the task fails only for VMs that could not be triggered.
    type: bool
    default: true
extends_documentation_fragment:
  - azbackup.vmprep.azure
  - azbackup.vmprep.azure.backup_vault
  - azbackup.vmprep.azure.backup_vms
  - azbackup.vmprep.azure.wait
attributes:
  check_mode:
    support: full
    description: Reads the protected items (and the jobs in progress) and reports which VMs would be triggered; sends
      no trigger.
  diff_mode:
    support: full
    description: Returns in RV(diff) the last recovery point of each VM before, and which VMs get a new one after.
notes:
  - O(wait_timeout) bounds the whole task, triggers and (with O(wait=true)) jobs. A job still running when the time
    runs out fails its VM with C(OperationTimedOut); the backup goes on in Azure, and a later run with
    O(only_first=true) follows it instead of starting another.
  - Azure Backup keeps one on-demand backup job per VM at a time; the job of a backup triggered while another is in
    progress fails in Azure.
  - O(wait_timeout) also bounds the triggers. A VM whose turn comes (O(max_concurrency) VMs at a time) after
    O(wait_timeout) is spent is not triggered; it fails with a message saying it was not triggered because
    O(wait_timeout) was reached before its turn, and RV(jobs[].triggered=false). A VM whose trigger Azure accepted
    is RV(jobs[].triggered=true) and makes the task changed, even when following its backup then times out.
  - When the answer to a trigger is lost (a dropped connection or a server error after the request was sent), the
    trigger is not sent again blindly. Before any trigger the module lists the vault's recent backup jobs once (one
    request per task) and remembers their ids. After a lost answer it lists the backup jobs again and follows the job
    of that VM that was not listed before and did not start earlier than a minute before the trigger, so an older
    job of the VM (for example a backup that failed minutes earlier) is never taken for this run's. When no such job
    is listed yet it lists again up to 3 times, 1 second apart, and only then triggers again.
  - Azure reports the error number of a failed job (C(errorDetails[].errorCode), an integer) in RV(jobs[].error_number)
    and its symbolic code (C(errorTitle), also the head of C(extendedInfo.dynamicErrorMessage)) in
    RV(jobs[].error_code).
  - Check the readiness of VMs for backup (agent, outbound path) beforehand with M(azbackup.vmprep.backup_readiness_info);
    the error codes it predicts are those of the failed jobs here.
seealso:
  - module: azbackup.vmprep.backup_job_info
  - module: azbackup.vmprep.backup_readiness_info
"""

EXAMPLES = r"""
- name: First backup of newly protected VMs, kept 30 days
  azbackup.vmprep.backup_now:
    vault_name: rsv-backup-westeurope
    vault_resource_group: rg-backup
    vms:
      - name: vm-web-01
        resource_group: rg-app
      - /subscriptions/33333333-3333-3333-3333-333333333333/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm-db-01
  register: first

- name: Show each VM's outcome
  ansible.builtin.debug:
    msg: "{{ item.name }}: {{ item.status }} {{ item.error_code | default('', true) }}"
  loop: "{{ first.jobs }}"

- name: Back up again now (before a change), kept until a date, without waiting
  azbackup.vmprep.backup_now:
    vault_name: rsv-backup-westeurope
    vault_resource_group: rg-backup
    vms:
      - name: vm-web-01
        resource_group: rg-app
    only_first: false
    retain_until: "2027-06-30"
    wait: false
  register: started

- name: Report failed jobs without failing the play
  azbackup.vmprep.backup_now:
    vault_name: rsv-backup-westeurope
    vault_resource_group: rg-backup
    vms: "{{ protected_vm_ids }}"
    fail_on_job_failure: false
    wait_timeout: 7200
  register: backups
"""

RETURN = r"""
changed:
  description: Whether a backup was triggered (in check mode, would be).
  returned: always
  type: bool
jobs:
  description: One entry per VM of O(vms), in the same order.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Resource ID of the VM.
      type: str
      sample: /subscriptions/33333333-3333-3333-3333-333333333333/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm1
    name:
      description: Name of the VM.
      type: str
      sample: vm-web-01
    resource_group:
      description: Resource group of the VM.
      type: str
      sample: rg-app
    triggered:
      description:
        - Whether this run triggered a backup of the VM (in check mode, would trigger).
        - V(false) for a VM skipped by O(only_first), or whose job in progress was followed.
      type: bool
      sample: true
    job_id:
      description: The backup job (its name in the vault); V(null) when there is none, and in check mode.
      type: str
      sample: 5d8a6d9e-0f3b-4a57-9a39-8e2b9b5c1f4e
    status:
      description:
        - Azure's status of the job, V(Completed), V(CompletedWithWarnings), V(Failed), V(Cancelled), V(InProgress) or
          V(Cancelling); V(Skipped) for a VM that already has a recovery point (O(only_first=true)); V(null) for a VM
          that failed before a job, and in check mode.
      type: str
      sample: Completed
    start_time:
      description: When the job started (UTC, ISO 8601), as Azure reports it.
      type: str
      sample: "2026-11-30T08:12:41.5173Z"
    end_time:
      description: When the job ended, V(null) while it runs.
      type: str
      sample: "2026-11-30T08:31:02.0417Z"
    duration_seconds:
      description: How long the job ran (so far), in seconds.
      type: float
      sample: 1100.52
    error_code:
      description:
        - The symbolic code of a failed job (Azure's C(errorTitle), or the head of C(dynamicErrorMessage)), for example
          V(UserErrorGuestAgentStatusUnavailable) or V(ExtensionSnapshotFailedNoNetwork).
        - For a VM that failed before a job, the code of that failure (for example V(NotProtected)).
      type: str
      sample: UserErrorGuestAgentStatusUnavailable
    error_number:
      description: Azure's error number of a failed job (C(errorDetails[].errorCode), an integer).
      type: int
      sample: 400001
    error_message:
      description: Azure's message for a failed job.
      type: str
      sample: VM Agent unable to communicate with Azure Backup.
    recommendations:
      description: Azure's recommendations for a failed job.
      type: list
      elements: str
      sample: ["Ensure the VM agent is installed, running and up to date."]
    failed:
      description: Whether this VM makes the task fail (it could not be triggered or followed, or its job failed with
        O(fail_on_job_failure=true)).
      type: bool
      sample: false
    msg:
      description: Why the VM failed, or why it was skipped.
      type: str
      sample: VM 'vm-web-01' already has a recovery point (2026-11-29T22:03:11Z); only_first is true.
diff:
  description: The last recovery point of each VM before the run, and after it the VMs that get a new backup.
  returned: when diff mode is on
  type: dict
"""

import time

from ansible_collections.azbackup.vmprep.plugins.module_utils import _backup, _backup_jobs, _client
from ansible_collections.azbackup.vmprep.plugins.module_utils._module import AzureModule


def _plan(module, bclient, targets, deadline):
    """Entries of every VM and what to do with each: 'trigger', 'follow' (a job in progress) or None."""
    params = module.params
    vault, group = params["vault_name"], params["vault_resource_group"]
    items = _client.Operation(_remaining(deadline), "the protected items of vault '%s'" % vault).run(
        lambda _op: _backup.protected_items(bclient, group, vault))
    plans = []
    for target in targets:
        entry = _backup_jobs.entry_for(target)
        item = items.get(target["key"])
        if item is None:
            entry.update(failed=True, error_code="NotProtected",
                         msg="VM '%s' (resource group %s) is not protected by vault '%s' (resource group %s): it has "
                             "no backup item there. Protect it first (azbackup.vmprep.vm_protection)."
                             % (target["name"], target["resource_group"], vault, group))
            plans.append((entry, None, None))
            continue
        usable, reason = _backup_jobs.item_state(item)
        if not usable:
            entry.update(failed=True, error_code="NotProtected",
                         msg="VM '%s' cannot be backed up by vault '%s': %s." % (target["name"], vault, reason))
            plans.append((entry, None, item))
            continue
        last = (item.get("properties") or {}).get("lastRecoveryPoint")
        if params["only_first"] and last:
            entry.update(status="Skipped", msg="VM '%s' already has a recovery point (%s); only_first is true."
                         % (target["name"], last))
            plans.append((entry, None, item))
            continue
        plans.append((entry, "trigger", item))
    candidates = [p for p in plans if p[1] == "trigger"]
    if params["only_first"] and candidates:
        running = _client.Operation(_remaining(deadline), "the backup jobs of vault '%s'" % vault).run(
            lambda _op: _backup_jobs.list_jobs(bclient, group, vault, _backup_jobs.job_filter(
                status="InProgress", operation="Backup")))
        for index, (entry, _action, item) in enumerate(plans):
            if _action != "trigger":
                continue
            target = targets[index]
            job = next((v for v in running if _backup_jobs.job_of_vm(v, target)), None)
            if job is not None:
                _backup_jobs.fill(entry, job)
                entry["msg"] = "a backup job of VM '%s' is in progress; it is followed, not triggered again." \
                    % target["name"]
                plans[index] = (entry, "follow", item)
    return plans


def _remaining(deadline):
    return max(1.0, deadline - time.monotonic())


def _trigger_one(module, clients, bclient, target, entry, expiry, deadline, known):
    state = {}
    try:
        if time.monotonic() >= deadline:
            # Its turn came after the time budget was spent: no trigger is sent once wait_timeout is reached.
            raise _backup_jobs.not_triggered(target, module.params["wait_timeout"])
        job_id = _backup_jobs.trigger(clients, bclient, module.params, target, expiry, _remaining(deadline),
                                      known=known, deadline=deadline, state=state)
        entry.update(triggered=True, job_id=job_id, status="InProgress")
    except Exception as exc:  # pylint: disable=broad-except
        _backup_jobs.failure(entry, exc, module._secrets())  # pylint: disable=protected-access
        # A trigger Azure accepted runs even when following it failed: the VM was triggered (changed).
        entry["triggered"] = bool(state.get("accepted"))
    return entry


def _wait_all(module, bclient, entries, since, deadline):
    """Every job followed or triggered, polled together until it ends; each VM's outcome in its entry."""
    params = module.params
    group, vault = params["vault_resource_group"], params["vault_name"]
    waiting = [e for e in entries if e["job_id"] and not e["failed"]]
    starts = [_backup_jobs._stamp(e["start_time"]) for e in waiting]  # pylint: disable=protected-access
    since = min([since] + [s for s in starts if s is not None])
    try:
        views, late = _backup_jobs.wait_jobs(bclient, group, vault, [e["job_id"] for e in waiting], since, deadline)
    except Exception as exc:  # pylint: disable=broad-except
        for entry in waiting:
            _backup_jobs.failure(entry, exc, module._secrets())  # pylint: disable=protected-access
        return
    for entry in waiting:
        if entry["job_id"] in views:
            _backup_jobs.fill(entry, views[entry["job_id"]])
        if entry["job_id"] in late:
            entry.update(failed=True, error_code=entry["error_code"] or "OperationTimedOut",
                         msg="OperationTimedOut: the backup job %s of VM '%s' is still %s after wait_timeout (%d "
                             "seconds); it goes on in Azure. Follow it with azbackup.vmprep.backup_job_info, or raise "
                             "wait_timeout." % (entry["job_id"], entry["name"], entry["status"] or "InProgress",
                                                params["wait_timeout"]))
        elif str(entry["status"] or "").lower() in _backup_jobs.FAILED and params["fail_on_job_failure"]:
            entry.update(failed=True, msg="the backup job %s of VM '%s' ended %s with %s: %s" % (
                entry["job_id"], entry["name"], entry["status"], entry["error_code"] or "no error code",
                entry["error_message"] or "no message"))


def _diff(plans):
    before, after = {}, {}
    for entry, action, item in plans:
        last = ((item or {}).get("properties") or {}).get("lastRecoveryPoint")
        before[entry["name"]] = {"last_recovery_point": last}
        after[entry["name"]] = {"last_recovery_point": "(new, on-demand backup)" if action == "trigger" and
                                entry["triggered"] else last}
    return {"before": before, "after": after}


def main_logic(module):
    params = module.params
    expiry = _backup_jobs.validate_now(params)
    _backup.validate_vault(params)
    targets = _backup.vm_targets(params["vms"], lambda: module.settings.subscription_id)
    deadline = time.monotonic() + params["wait_timeout"]
    clients = module.clients
    bclient = _backup.client(clients)
    since = _backup_jobs.utcnow()
    plans = _plan(module, bclient, targets, deadline)
    work = [(targets[i], entry, action) for i, (entry, action, _item) in enumerate(plans) if action]
    if module.check_mode:
        for _target, entry, action in work:
            entry["triggered"] = action == "trigger"
    elif work:
        triggers = [(target, entry) for target, entry, action in work if action == "trigger"]
        known = set()
        if triggers:
            # The backup jobs listed before any trigger: never taken for the job of a trigger whose answer was lost.
            known = _client.Operation(_remaining(deadline), "the backup jobs of vault '%s'" % params["vault_name"]).run(
                lambda _op: _backup_jobs.known_job_ids(bclient, params["vault_resource_group"], params["vault_name"],
                                                       since))
        if len(triggers) > 1 and params["max_concurrency"] > 1:
            from concurrent.futures import ThreadPoolExecutor

            clients.warm_up()
            with ThreadPoolExecutor(max_workers=min(params["max_concurrency"], len(triggers))) as pool:
                list(pool.map(lambda w: _trigger_one(module, clients, bclient, w[0], w[1], expiry, deadline, known),
                              triggers))
        else:
            for target, entry in triggers:
                _trigger_one(module, clients, bclient, target, entry, expiry, deadline, known)
        if params["wait"]:
            _wait_all(module, bclient, [entry for _target, entry, _action in work], since, deadline)
    entries = [p[0] for p in plans]
    changed = any(e["triggered"] for e in entries)
    result = {"changed": changed, "jobs": entries}
    if module.diff_mode:
        result["diff"] = _diff(plans)
    if any(e["failed"] for e in entries):
        module.fail(_backup_jobs.summary_message(entries, params["vault_name"]), **result)
    module.exit(**result)


def main():
    spec = dict(_backup.VAULT_ARGSPEC)
    spec.update(_backup.VMS_ARGSPEC)
    spec.update(
        retain_until=dict(type="str"),
        retain_days=dict(type="int"),
        only_first=dict(type="bool", default=True),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=900),
        max_concurrency=dict(type="int", default=16),
        fail_on_job_failure=dict(type="bool", default=True),
    )
    module = AzureModule(argument_spec=spec, supports_check_mode=True,
                         mutually_exclusive=[("retain_until", "retain_days")])
    module.run(main_logic)


if __name__ == "__main__":
    main()
