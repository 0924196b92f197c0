#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the azbackup.vmprep collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: backup_job_info
short_description: Read the Azure VM backup jobs of a Recovery Services vault
version_added: 1.1.0
description:
  - Returns the Azure VM jobs of a vault (backups, protection changes, restores), newest first, with the symbolic
    error code of failed jobs.
  - With O(job_id), reads that job with one request. Otherwise lists the vault's jobs with one list (all pages),
    filtered by Azure on O(status), O(operation) and O(since_hours), then on O(vms) here.
author:
  - azbackup.vmprep developers (@azbackup)
options:
  job_id:
    description:
      - One job, by its name in the vault (the RV(azbackup.vmprep.backup_now#module:jobs[].job_id) of
        M(azbackup.vmprep.backup_now)). An unknown job gives an empty list.
      - The other filters still apply to it.
    type: str
  status:
    description:
      - Only jobs in this state.
    type: str
    choices: [InProgress, Completed, Failed, CompletedWithWarnings, Cancelled, Cancelling]
  operation:
    description:
      - Only jobs of this operation. V(Backup) is a scheduled or on-demand backup, V(ConfigureBackup) a protection
        change, V(DisableBackup) a stop of protection.
    type: str
    choices: [Backup, Restore, ConfigureBackup, DisableBackup, DeleteBackupData, Register, UnRegister,
              CrossRegionRestore, Undelete, UpdateCustomerManagedKey]
  vms:
    description:
      - Only jobs of these VMs, each a VM name (compared without regard to case) or a VM resource ID (then its
        resource group must match too).
    type: list
    elements: str
  since_hours:
    description:
      - Only jobs started in the last so many hours, 1 to 4320 (180 days).
    type: int
extends_documentation_fragment:
  - azbackup.vmprep.azure
  - azbackup.vmprep.azure.backup_vault
  - azbackup.vmprep.azure.info_module
seealso:
  - module: azbackup.vmprep.backup_now
"""

EXAMPLES = r"""
- name: Failed backups of the last day
  azbackup.vmprep.backup_job_info:
    vault_name: rsv-backup-westeurope
    vault_resource_group: rg-backup
    operation: Backup
    status: Failed
    since_hours: 24
  register: failed

- name: Name each failed VM with its error code
  ansible.builtin.debug:
    msg: "{{ item.entity }}: {{ item.error_code }} {{ item.error_message }}"
  loop: "{{ failed.jobs }}"

- name: Follow a job started by backup_now with wait=false
  azbackup.vmprep.backup_job_info:
    vault_name: rsv-backup-westeurope
    vault_resource_group: rg-backup
    job_id: "{{ started.jobs[0].job_id }}"
  register: job
  until: job.jobs[0].status not in ['InProgress', 'Cancelling']
  retries: 60
  delay: 60
"""

RETURN = r"""
jobs:
  description: The jobs found, newest first.
  returned: always
  type: list
  elements: dict
  contains:
    job_id:
      description: The job's name in the vault.
      type: str
      sample: 5d8a6d9e-0f3b-4a57-9a39-8e2b9b5c1f4e
    operation:
      description: Azure's operation of the job, for example V(Backup) or V(ConfigureBackup).
      type: str
      sample: Backup
    status:
      description: Azure's status, for example V(InProgress), V(Completed) or V(Failed).
      type: str
      sample: Failed
    name:
      description: The VM's name (Azure's C(entityFriendlyName)).
      type: str
      sample: vm-web-01
    entity:
      description: The same as RV(jobs[].name).
      type: str
      sample: vm-web-01
    container:
      description: Azure Backup's container of the VM.
      type: str
      sample: iaasvmcontainerv2;rg-app;vm-web-01
    start_time:
      description: When the job started (UTC).
      type: str
      sample: "2026-11-30T08:12:41.5173Z"
    end_time:
      description: When it ended; V(null) while it runs.
      type: str
    duration_seconds:
      description: How long the job ran (so far), in seconds.
      type: float
      sample: 1100.52
    error_code:
      description: The symbolic code of a failed job (Azure's C(errorTitle), or the head of C(dynamicErrorMessage)).
      type: str
      sample: ExtensionSnapshotFailedNoNetwork
    error_number:
      description: Azure's error number (C(errorDetails[].errorCode), an integer).
      type: int
    error_message:
      description: Azure's message for a failed job.
      type: str
    recommendations:
      description: Azure's recommendations for a failed job.
      type: list
      elements: str
"""

import datetime

from ansible_collections.azbackup.vmprep.plugins.module_utils import _backup, _backup_jobs, _client
from ansible_collections.azbackup.vmprep.plugins.module_utils._errors import AzbError
from ansible_collections.azbackup.vmprep.plugins.module_utils._module import AzureModule

MAX_HOURS = 4320


def vm_filters(values):
    """[(name, resource group or None)] of the vms option, checked before any request."""
    out = []
    for index, value in enumerate(values or []):
        text = str(value or "").strip()
        if "/" in text:
            try:
                _sub, group, name = _backup.parse_vm_id(text)
            except AzbError as exc:
                raise AzbError("vms[%d]: %s" % (index, exc.msg))
            out.append((name.lower(), group.lower()))
        elif _backup._VM_NAME.match(text):  # pylint: disable=protected-access
            out.append((text.lower(), None))
        else:
            raise AzbError("vms[%d] must be a VM name or a VM resource id; got %r." % (index, value))
    return out


def matches(view, filters):
    if not filters:
        return True
    for name, group in filters:
        if group is None and str(view.get("entity") or "").lower() == name:
            return True
        if group is not None and _backup_jobs.job_of_vm(view, {"name": name, "resource_group": group}):
            return True
    return False


def main_logic(module):
    params = module.params
    _backup_jobs.reject_padding(params, vms_option=False)
    _backup.validate_vault(params)
    filters = vm_filters(params["vms"])
    hours = params["since_hours"]
    if hours is not None and not 1 <= hours <= MAX_HOURS:
        raise AzbError("since_hours must be between 1 and %d; got %d." % (MAX_HOURS, hours))
    job_id = params["job_id"]
    if job_id is not None and (not job_id.strip() or "/" in job_id):
        raise AzbError("job_id must be the name of a job (no '/'); got %r." % job_id)
    vault, group = params["vault_name"], params["vault_resource_group"]
    bclient = _backup.client(module.clients)
    op = _client.Operation(300, "the jobs of vault '%s'" % vault)
    if job_id:
        view = op.run(lambda _op: _backup_jobs.get_job(bclient, group, vault, job_id.strip()))
        views = [view] if view else []
        if view:
            view.pop("_retry_after", None)
        since = _backup_jobs.utcnow() - datetime.timedelta(hours=hours) if hours else None
        views = [v for v in views
                 if (not params["status"] or str(v["status"]).lower() == params["status"].lower())
                 and (not params["operation"] or str(v["operation"]).lower() == params["operation"].lower())
                 and (since is None or (_backup_jobs._stamp(v["start_time"]) or since) >= since)]  # pylint: disable=protected-access
    else:
        since = _backup_jobs.utcnow() - datetime.timedelta(hours=hours) if hours else None
        flt = _backup_jobs.job_filter(status=params["status"], operation=params["operation"], since=since)
        views = op.run(lambda _op: _backup_jobs.list_jobs(bclient, group, vault, flt))
    jobs = []
    for view in views:
        if not matches(view, filters):
            continue
        view["name"] = view.get("entity")
        jobs.append(view)
    jobs.sort(key=lambda v: str(v.get("start_time") or ""), reverse=True)
    module.exit(changed=False, jobs=jobs)


def main():
    spec = dict(_backup.VAULT_ARGSPEC)
    spec.update(
        job_id=dict(type="str"),
        status=dict(type="str", choices=list(_backup_jobs.JOB_STATUSES)),
        operation=dict(type="str", choices=list(_backup_jobs.JOB_OPERATIONS)),
        vms=dict(type="list", elements="str"),
        since_hours=dict(type="int"),
    )
    module = AzureModule(argument_spec=spec, supports_check_mode=True)
    module.run(main_logic)


if __name__ == "__main__":
    main()
