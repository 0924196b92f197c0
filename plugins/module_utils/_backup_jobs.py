# -*- coding: utf-8 -*-
# Copyright: contributors to the azbackup.vmprep collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""On-demand backups of Azure VMs and Azure Backup jobs (backup_now, backup_job_info).

A backup is triggered once per VM (POST .../protectedItems/{item}/backup, a 202 whose operation names the job),
then the job is polled until it ends. A trigger whose answer was lost is never sent again blindly: the jobs of the
vault tell whether it landed, and the job it started is followed instead.
"""

from __future__ import annotations

import datetime
import json
import re

from ansible_collections.azbackup.vmprep.plugins.module_utils import _backup, _client
from ansible_collections.azbackup.vmprep.plugins.module_utils._errors import AzbError, from_exception

MAX_CONCURRENCY = 64
MAX_RETAIN_DAYS = 9999
# Job states that are still going (Azure's JobStatus); any other state is an end.
RUNNING = ("inprogress", "cancelling")
FAILED = ("failed", "cancelled")
JOB_STATUSES = ["InProgress", "Completed", "Failed", "CompletedWithWarnings", "Cancelled", "Cancelling"]
JOB_OPERATIONS = ["Backup", "Restore", "ConfigureBackup", "DisableBackup", "DeleteBackupData", "Register",
                  "UnRegister", "CrossRegionRestore", "Undelete", "UpdateCustomerManagedKey"]
IN_PROGRESS_BACKUPS = "status eq 'InProgress' and operation eq 'Backup'"
# Poll intervals of a job when Azure does not say (a VM backup takes minutes to hours): short first, then every
# POLL_MAX seconds.
POLL_SCHEDULE = (1.0, 2.0, 4.0, 8.0, 15.0)
POLL_MAX = 30.0
# The margin around "now" of a job search after a lost answer, for the clocks of Azure and of the controller.
CLOCK_MARGIN = datetime.timedelta(minutes=5)
# After a lost trigger answer, a job is taken for it only if it started at most POST_SKEW before the trigger was
# sent (the clocks of Azure and of the controller differ a little), and it is looked for LANDED_LISTS times,
# LANDED_DELAY seconds apart (a new job may take a moment to be listed), before the trigger is sent again.
POST_SKEW = datetime.timedelta(seconds=60)
LANDED_LISTS = 4
LANDED_DELAY = _client.FALLBACK_POLL_SECONDS / 2
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_SYMBOL = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_]+)\s*[:.-]")
_DURATION = re.compile(r"^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?"
                       r"(?:(\d+(?:\.\d+)?)S)?)?$")


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


# ---- options ----------------------------------------------------------------------------------------------

def reject_padding(params, vms_option=True):
    """Names with leading or trailing whitespace (a final newline included, which ``$`` of _backup's checks lets
    through) are refused before any request: vault_name, vault_resource_group and every name in vms."""
    for option in ("vault_name", "vault_resource_group"):
        value = params.get(option)
        if isinstance(value, str) and value != value.strip():
            raise AzbError("%s must not begin or end with whitespace; got %r." % (option, value))
    for index, entry in enumerate((params.get("vms") or []) if vms_option else []):
        values = entry.items() if isinstance(entry, dict) else [("", entry)]
        for key, value in values:
            if isinstance(value, str) and value != value.strip():
                raise AzbError("vms[%d]%s must not begin or end with whitespace; got %r."
                               % (index, "." + key if key else "", value))


def validate_now(params, today=None):
    """backup_now's own options, checked before any request; returns the recovery point expiry (UTC, ISO 8601)."""
    if not params.get("vms"):
        raise AzbError("vms must list at least one virtual machine.")
    reject_padding(params)
    concurrency = params.get("max_concurrency")
    if concurrency is not None and not 1 <= concurrency <= MAX_CONCURRENCY:
        raise AzbError("max_concurrency must be between 1 and %d; got %s." % (MAX_CONCURRENCY, concurrency))
    today = today or utcnow().date()
    if params.get("retain_until") is not None:
        text = str(params["retain_until"]).strip()
        match = _DATE.match(text)
        try:
            until = datetime.date(*(int(x) for x in match.groups())) if match else None
        except ValueError:
            until = None
        if until is None:
            raise AzbError("retain_until must be a date YYYY-MM-DD; got %r." % params["retain_until"])
        if until <= today:
            raise AzbError("retain_until must be a date after today (%s UTC); got %s." % (today.isoformat(), text))
        if (until - today).days > MAX_RETAIN_DAYS:
            raise AzbError("retain_until may be at most %d days from today; got %s." % (MAX_RETAIN_DAYS, text))
    else:
        days = params.get("retain_days")
        days = 30 if days is None else days
        if not 1 <= days <= MAX_RETAIN_DAYS:
            raise AzbError("retain_days must be between 1 and %d; got %s." % (MAX_RETAIN_DAYS, days))
        until = today + datetime.timedelta(days=days)
    return until.strftime("%Y-%m-%dT00:00:00Z")


def trigger_body(expiry):
    return json.dumps({"properties": {"objectType": "IaasVMBackupRequest",
                                      "recoveryPointExpiryTimeInUTC": expiry}}).encode()


def job_filter(status=None, operation=None, since=None, until=None):
    """The $filter of a jobs list (the terms az backup job list sends): Azure VM jobs only."""
    terms = ["backupManagementType eq 'AzureIaasVM'"]
    if status:
        terms.append("status eq '%s'" % status)
    if operation:
        terms.append("operation eq '%s'" % operation)
    if since is not None:
        terms.append("startTime eq '%s'" % since.strftime("%Y-%m-%d %I:%M:%S %p"))
        terms.append("endTime eq '%s'" % (until or utcnow() + CLOCK_MARGIN).strftime("%Y-%m-%d %I:%M:%S %p"))
    return " and ".join(terms)


# ---- jobs -------------------------------------------------------------------------------------------------

def parse_duration(text):
    """Seconds of an ISO 8601 duration such as PT1M2.5S (None when it is not one)."""
    match = _DURATION.match(str(text or ""))
    if not match or not any(match.groups()):
        return None
    days, hours, minutes, seconds = (float(x) if x else 0.0 for x in match.groups())
    return round(((days * 24 + hours) * 60 + minutes) * 60 + seconds, 3)


def _stamp(text):
    if not text:
        return None
    value = str(text).rstrip("Z")
    for fmt in ("%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S"):
        try:
            return datetime.datetime.strptime(value[:26], fmt)
        except ValueError:
            continue
    return None


def error_of(props):
    """(error_code, error_number, error_message, recommendations) of a job's properties.

    errorDetails[].errorCode is an int in the API (AzureIaaSVMErrorInfo); the symbolic code the portal shows is
    errorTitle, else the head of extendedInfo.dynamicErrorMessage ("Code: message").
    """
    details = props.get("errorDetails") if isinstance(props.get("errorDetails"), list) else []
    first = next((d for d in details if isinstance(d, dict)), {})
    code = first.get("errorTitle") or None
    dynamic = ((props.get("extendedInfo") or {}).get("dynamicErrorMessage")
               if isinstance(props.get("extendedInfo"), dict) else None)
    if not code and dynamic:
        match = _SYMBOL.match(str(dynamic))
        code = match.group(1) if match else None
    number = first.get("errorCode")
    message = first.get("errorString") or (str(dynamic) if dynamic else None)
    recommendations = [str(r) for r in (first.get("recommendations") or [])]
    return code, number, message, recommendations


def job_view(job):
    """A job as the modules return it."""
    props = job.get("properties") if isinstance(job, dict) and isinstance(job.get("properties"), dict) else None
    if props is None:
        raise AzbError("Azure answered a backup job without properties; nothing was read from it.",
                       code="UnreadableAnswer")
    code, number, message, recommendations = error_of(props)
    start, end = props.get("startTime"), props.get("endTime")
    duration = parse_duration(props.get("duration"))
    if duration is None and _stamp(start) and _stamp(end):
        duration = round((_stamp(end) - _stamp(start)).total_seconds(), 3)
    return {
        "job_id": job.get("name") or str(job.get("id") or "").rsplit("/", maxsplit=1)[-1] or None,
        "operation": props.get("operation"),
        "status": props.get("status"),
        "entity": props.get("entityFriendlyName"),
        "container": props.get("containerName"),
        "start_time": start,
        "end_time": end or None,
        "duration_seconds": duration,
        "error_code": code,
        "error_number": number,
        "error_message": message,
        "recommendations": recommendations,
    }


def job_of_vm(view, target):
    """Whether a job view is a job of the VM target ({name, resource_group})."""
    container = str(view.get("container") or "").lower()
    suffix = ";%s;%s" % (target["resource_group"].lower(), target["name"].lower())
    if container:
        return container.endswith(suffix)
    return str(view.get("entity") or "").lower() == target["name"].lower()


def list_jobs(bclient, vault_rg, vault_name, flt):
    return [job_view(job) for job in _backup.list_all(bclient.backup_jobs.list, vault_name, vault_rg, filter=flt)]


def get_job(bclient, vault_rg, vault_name, job_id):
    """One job (a view, with the Retry-After of the answer as ``_retry_after``), or None when Azure has no such job."""
    from azure.core.exceptions import ResourceNotFoundError

    try:
        answer = bclient.job_details.get(vault_name, vault_rg, job_id, cls=_backup.capture)
    except ResourceNotFoundError:
        return None
    if not isinstance(answer.body, dict):
        raise AzbError("Azure answered the read of job %s without a JSON object." % job_id, code="UnreadableAnswer")
    view = job_view(answer.body)
    view["_retry_after"] = _backup._poll_delay(answer, None)  # pylint: disable=protected-access
    return view


def poll_delay(count, hinted):
    if hinted is not None:
        return max(0.0, min(float(hinted), POLL_MAX * 4))
    return POLL_SCHEDULE[count] if count < len(POLL_SCHEDULE) else POLL_MAX


def wait_jobs(bclient, vault_rg, vault_name, job_ids, since, deadline, sleep=None, clock=None):
    """Poll many jobs together until none is InProgress or Cancelling, or the deadline comes.

    Each round reads one job with a GET, or several with one list of the vault's backup jobs started since ``since``
    (all pages), so polling 200 jobs costs a few requests a round, not 200. A job the list does not show is read
    with a GET. Returns ({job id: final or last view}, [job ids still running at the deadline]).
    """
    import time

    sleep = sleep or time.sleep
    clock = clock or time.monotonic
    views = {}
    pending = [j for j in dict.fromkeys(job_ids) if j]
    count = 0
    while pending:
        hinted = views[pending[0]].get("_retry_after") if len(pending) == 1 and pending[0] in views else None
        # A job just triggered is read after the first interval too: it has only begun.
        delay = poll_delay(count, hinted)
        if clock() + delay > deadline:
            return views, pending
        sleep(delay)
        count += 1
        operation = _client.Operation(max(1.0, deadline - clock()), "the backup jobs of vault '%s'" % vault_name,
                                      sleep=sleep, clock=clock)
        found = {}
        if len(pending) > 1:
            listed = operation.run(lambda _op: list_jobs(bclient, vault_rg, vault_name,
                                                         job_filter(operation="Backup", since=since)))
            found = {v["job_id"]: v for v in listed if v.get("job_id") in pending}
        for job_id in pending:
            if job_id not in found:
                view = operation.run(lambda _op, j=job_id: get_job(bclient, vault_rg, vault_name, j))
                if view is None:
                    raise AzbError("Azure no longer knows the backup job %s." % job_id, code="JobNotFound")
                found[job_id] = view
        views.update(found)
        pending = [j for j in pending if str(views[j].get("status") or "").lower() in RUNNING]
    return views, pending


# ---- backup_now -------------------------------------------------------------------------------------------

def item_state(item):
    """(usable, reason) of a protected item for an on-demand backup."""
    props = item.get("properties") or {}
    if props.get("isScheduledForDeferredDelete"):
        return False, "its backup item is soft deleted (protection was removed); undelete and protect it first"
    if str(props.get("protectionState") or "").lower() == "protectionstopped":
        return False, "its protection is stopped; resume protection (azbackup.vmprep.vm_protection) first"
    return True, None


def entry_for(target):
    return {"id": target["id"], "name": target["name"], "resource_group": target["resource_group"],
            "triggered": False, "job_id": None, "status": None, "start_time": None, "end_time": None,
            "duration_seconds": None, "error_code": None, "error_number": None, "error_message": None,
            "recommendations": [], "failed": False, "msg": None}


def fill(entry, view):
    for key in ("job_id", "status", "start_time", "end_time", "duration_seconds", "error_code", "error_number",
                "error_message", "recommendations"):
        entry[key] = view.get(key)
    return entry


def find_landed(bclient, vault_rg, vault_name, target, sent, known=()):
    """The backup job of the VM a trigger sent at ``sent`` (UTC) started, else None.

    Only a job that was not listed before the trigger (its id is not in ``known``) and that did not start before
    shortly (POST_SKEW) before the trigger is taken: an older job of the VM, such as a backup that failed minutes
    earlier, is never adopted as this run's.
    """
    views = list_jobs(bclient, vault_rg, vault_name, job_filter(operation="Backup", since=sent - CLOCK_MARGIN))
    known = set(known or ())
    fresh = []
    for view in views:
        if not job_of_vm(view, target) or view.get("job_id") in known:
            continue
        start = _stamp(view.get("start_time"))
        if start is None or start < sent - POST_SKEW:
            continue
        fresh.append(view)
    running = [v for v in fresh if str(v.get("status") or "").lower() in RUNNING]
    return (running or fresh or [None])[0]


def known_job_ids(bclient, vault_rg, vault_name, since):
    """The ids of the vault's backup jobs started since ``since`` minus CLOCK_MARGIN (one list per task, before any
    trigger): a job listed here is never taken for the job of a trigger whose answer was lost."""
    return {v["job_id"] for v in list_jobs(bclient, vault_rg, vault_name,
                                           job_filter(operation="Backup", since=since - CLOCK_MARGIN))
            if v.get("job_id")}


def not_triggered(target, wait_timeout):
    return AzbError("VM '%s' not triggered: wait_timeout (%s seconds) reached before its turn; no backup was sent for "
                    "it. Run again, or raise wait_timeout or max_concurrency." % (target["name"], wait_timeout),
                    code="OperationTimedOut")


def trigger(clients, bclient, params, target, expiry, deadline_seconds, now=None, known=(), deadline=None,
            state=None, sleep=None, clock=None):
    """Trigger one VM's backup and return the job id: sent once; after a lost answer the vault's jobs are read first
    and a job the lost trigger started is followed instead of a second trigger.

    ``known``: the ids of the vault's backup jobs listed before any trigger. ``deadline`` (monotonic): no trigger is
    sent once it has passed. ``state["accepted"]`` becomes True once Azure accepted a trigger (the backup runs even
    when following it then fails or times out).
    """
    import time

    sleep = sleep or time.sleep
    clock = clock or time.monotonic
    state = {} if state is None else state
    vault_rg, vault_name = params["vault_resource_group"], params["vault_name"]
    now = now or utcnow
    container = _backup.container_name(target["resource_group"], target["name"])
    item = _backup.item_name(target["resource_group"], target["name"])
    what = "the backup of VM '%s'" % target["name"]
    body = trigger_body(expiry)
    sent = {"at": now()}

    def landed_job():
        # The lost trigger may not be listed yet: list again a few times before concluding it never arrived.
        for attempt in range(LANDED_LISTS):
            if attempt:
                sleep(LANDED_DELAY)
            landed = find_landed(bclient, vault_rg, vault_name, target, sent["at"], known)
            if landed is not None:
                return landed
        return None

    def step(op):
        if op.maybe_landed:
            landed = landed_job()
            if landed is not None:
                state["accepted"] = True
                return landed["job_id"]
        if deadline is not None and clock() >= deadline:
            raise not_triggered(target, params.get("wait_timeout"))
        sent["at"] = now()
        answer = op.write(lambda: _backup.send(bclient.backups, "trigger", vault_name, vault_rg, _backup.FABRIC,
                                               container, item, body, content_type="application/json"))
        state["accepted"] = True
        try:
            status = _backup.track(clients, answer, deadline_seconds, what)
        except Exception as exc:
            if _client.classify(exc) == _client.BUSY:
                state["accepted"] = False  # refused in the end (Azure Backup busy): no backup runs; retried
            raise
        job_id = _backup.job_id_of(status)
        if not job_id:
            # Accepted, but the operation did not name its job: the newest backup job of the VM is it.
            landed = find_landed(bclient, vault_rg, vault_name, target, sent["at"], known)
            job_id = landed and landed["job_id"]
        if not job_id:
            raise AzbError("Azure accepted %s but named no job for it; its outcome is unknown." % what,
                           code="UnreadableAnswer")
        return job_id

    return _client.Operation(deadline_seconds, what, sleep=sleep, clock=clock).run(step)


def failure(entry, exc, secrets=()):
    error = from_exception(exc, secrets=secrets)
    entry.update(failed=True, msg=error.full_message(), error_code=entry.get("error_code") or error.code)
    return entry


def summary_message(entries, vault_name):
    parts = []
    for entry in entries:
        if not entry["failed"]:
            continue
        if entry.get("status") and str(entry["status"]).lower() in FAILED:
            parts.append("%s: job %s %s with %s%s" % (
                entry["name"], entry["job_id"], entry["status"], entry.get("error_code") or "no error code",
                (" (%s)" % entry["error_message"]) if entry.get("error_message") else ""))
        else:
            parts.append("%s: %s" % (entry["name"], entry["msg"]))
    return "%d of %d VMs failed in vault '%s': %s. The result of every VM is in jobs." % (
        len(parts), len(entries), vault_name, "; ".join(parts))
