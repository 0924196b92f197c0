# -*- coding: utf-8 -*-
# Copyright: contributors to the azbackup.vmprep collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Azure Backup (Microsoft.RecoveryServices/vaults/backup*) through azure-mgmt-recoveryservicesbackup.

The one home of what the protection modules share: the SDK client, Azure Backup's names for a VM's container and
protected item, writes that work with every SDK release the collection allows, Azure Backup's own long-running
operations (202 with Azure-AsyncOperation or Location, polled here so that every SDK release behaves the same),
and lists read as the JSON Azure sent.

The SDK is imported only through ``client()`` (AzureClients.recovery_services_backup), so modules that do not
protect anything never load it.
"""

from __future__ import annotations

import re

from ansible_collections.azbackup.vmprep.plugins.module_utils._errors import AzbError

FABRIC = "Azure"
BACKUP_MANAGEMENT_TYPE = "AzureIaasVM"
VM_ID = re.compile(r"^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\.Compute/"
                   r"virtualMachines/([^/]+)$", re.IGNORECASE)
# Terminal states of an Azure Backup operation status (OperationStatus.status).
_DONE = ("succeeded", "failed", "canceled", "cancelled")


def client(clients):
    """The run's RecoveryServicesBackupClient (credential, cloud, CA bundle and retry policy of the run)."""
    return clients.recovery_services_backup()


# ---- names ------------------------------------------------------------------------------------------------

def parse_vm_id(vm_id):
    """(subscription, resource group, name) of a VM resource id; AzbError when it is not one."""
    match = VM_ID.fullmatch(vm_id or "")
    if not match or any(char.isspace() for char in vm_id):
        raise AzbError("'%s' is not the resource id of a virtual machine "
                       "(/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Compute/virtualMachines/"
                       "<name>)." % vm_id)
    return match.groups()


def container_name(resource_group, vm_name):
    """The protection container of an Azure VM, as Azure Backup names it."""
    return "iaasvmcontainer;iaasvmcontainerv2;%s;%s" % (resource_group.lower(), vm_name.lower())


def item_name(resource_group, vm_name):
    """The protected item of an Azure VM, as Azure Backup names it."""
    return "vm;iaasvmcontainerv2;%s;%s" % (resource_group.lower(), vm_name.lower())


def policy_id(vault_id, name):
    return "%s/backupPolicies/%s" % (vault_id, name)


def vault_id(subscription_id, resource_group, vault_name):
    return "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.RecoveryServices/vaults/%s" % (
        subscription_id, resource_group, vault_name)


# ---- answers ----------------------------------------------------------------------------------------------

class Answer(object):
    """One HTTP answer of a write: status, headers and JSON body (None when empty)."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name):
        for key, value in (self.headers or {}).items():
            if key.lower() == name.lower():
                return value
        return None


def _json_of(http, what):
    from ansible_collections.azbackup.vmprep.plugins.module_utils._client import json_of

    return json_of(http, what)


def capture(pipeline_response, _deserialized, _headers):
    """A ``cls=`` callback: the answer as Azure sent it (status, headers, JSON), whatever the SDK's models."""
    http = pipeline_response.http_response
    return Answer(http.status_code, dict(http.headers), _json_of(http, "%s %s" % (
        http.request.method, http.request.url.split("?")[0])))


def send(operations, name, *args, **kwargs):
    """Call the SDK operation ``name`` (for example ``create_or_update``) and return its first Answer.

    Releases differ: azure-mgmt-recoveryservicesbackup 11 has ``begin_create_or_update`` (a poller) where 9.1 and 10
    have ``create_or_update`` (one request). Both are sent once here, without the SDK's polling, so that
    ``track`` follows the operation the same way for every release the collection allows.
    """
    begin = getattr(operations, "begin_" + name, None)
    if begin is not None:
        return begin(*args, polling=_first_answer(), **kwargs).result()
    return getattr(operations, name)(*args, cls=capture, **kwargs)


def _first_answer():
    """A polling method that ends at the first answer and gives it as an Answer (the SDK's own deserialization of
    the final resource is never run: a 202 has no body)."""
    from azure.core.polling import NoPolling

    class FirstAnswer(NoPolling):
        def resource(self):
            return capture(self._initial_response, None, None)

    return FirstAnswer()


def track(clients, answer, timeout, what, sleep=None, clock=None):
    """Follow an Azure Backup long-running operation to its end; return the final operation status body (dict).

    A 200 or 204 first answer is already the end. A 202 names the operation in Azure-AsyncOperation (an
    OperationStatus: InProgress, then Succeeded, Failed or Canceled) or only in Location (202 until done, then 200
    or 204). Polls honour Retry-After, else wait FALLBACK_POLL_SECONDS, bounded by ``timeout`` seconds. A Failed or
    Canceled end raises AzbError with Azure's code and message: a busy code there is retried by the Operation like
    any busy answer.
    """
    import time

    from azure.core.exceptions import HttpResponseError
    from azure.core.rest import HttpRequest
    from ansible_collections.azbackup.vmprep.plugins.module_utils._client import FALLBACK_POLL_SECONDS

    if answer is None or answer.status != 202:
        return answer.body if answer is not None and isinstance(answer.body, dict) else {}
    sleep = sleep or time.sleep
    clock = clock or time.monotonic
    deadline = clock() + max(1, int(timeout))
    status_url = answer.header("Azure-AsyncOperation")
    result_url = answer.header("Location")
    if not status_url and not result_url:
        raise AzbError("Azure accepted %s (202) without naming the operation to follow (no Azure-AsyncOperation "
                       "or Location header); its outcome is unknown." % what, status=202, code="UnreadableAnswer")
    pipeline = clients.arm_pipeline()
    previous = answer
    while True:
        delay = _poll_delay(previous, FALLBACK_POLL_SECONDS)
        if clock() + delay > deadline:
            raise AzbError("%s is still running after %d seconds; it goes on in Azure. Run again later, or raise "
                           "wait_timeout." % (what, int(timeout)), code="OperationTimedOut")
        sleep(delay)
        response = pipeline.send_request(HttpRequest("GET", status_url or result_url))
        if response.status_code not in (200, 202, 204):
            raise HttpResponseError(response=response)
        body = _json_of(response, "the status of %s" % what)
        previous = Answer(response.status_code, dict(response.headers), body)
        if status_url:
            if not isinstance(body, dict) or not body.get("status"):
                raise AzbError("Azure answered the status of %s without a status; its outcome is unknown." % what,
                               code="UnreadableAnswer")
            state = str(body["status"]).lower()
            if state not in _DONE:
                continue
            if state != "succeeded":
                error = body.get("error") if isinstance(body.get("error"), dict) else {}
                raise AzbError("%s ended %s: %s" % (what, body["status"], error.get("message") or "no message"),
                               code=error.get("code") or "OperationFailed", details=error or None)
            return body
        if response.status_code == 202:
            continue
        return body if isinstance(body, dict) else {}


def _poll_delay(answer, fallback):
    for key, scale in (("retry-after-ms", 0.001), ("x-ms-retry-after-ms", 0.001), ("Retry-After", 1.0)):
        value = answer.header(key) if answer is not None else None
        if value:
            try:
                return max(0.0, float(value) * scale)
            except ValueError:
                continue
    return fallback


def job_id_of(status_body):
    """The job an operation status names (OperationStatusJobExtendedInfo.jobId), else None."""
    props = (status_body or {}).get("properties") if isinstance(status_body, dict) else None
    if isinstance(props, dict) and props.get("jobId"):
        return str(props["jobId"])
    return None


# ---- reads ------------------------------------------------------------------------------------------------

# 404 codes that mean a parent of the thing asked for is missing, not the thing itself.
PARENT_MISSING = ("resourcegroupnotfound", "subscriptionnotfound", "invalidsubscriptionid", "parentresourcenotfound")


def parent_missing(exc, vault_name):
    """True when a 404 says the vault (or its group or subscription) is missing rather than what was asked for:
    "no such item" must not be read from "no such vault"."""
    from ansible_collections.azbackup.vmprep.plugins.module_utils._client import _error_of

    code, message = _error_of(exc)
    code, message = code.lower(), message.lower()
    if code in PARENT_MISSING:
        return True
    return code == "resourcenotfound" and "microsoft.recoveryservices/vaults/%s'" % vault_name.lower() in message


def get(operations, *args, **kwargs):
    """One GET through the SDK, as the JSON Azure sent; None on 404 of the thing itself. The first argument of every
    Azure Backup GET is the vault's name: a 404 that says the vault, its group or its subscription is missing is
    raised as an error."""
    from azure.core.exceptions import ResourceNotFoundError

    try:
        answer = operations.get(*args, cls=capture, **kwargs)
    except ResourceNotFoundError as exc:
        if parent_missing(exc, str(args[0]) if args else ""):
            raise AzbError("vault '%s' in resource group '%s' was not found (%s)."
                           % (args[0], args[1] if len(args) > 1 else "?", str(exc).split("\n", maxsplit=1)[0]),
                           status=404, code="ResourceNotFound")
        return None
    if not isinstance(answer.body, dict):
        raise AzbError("Azure answered a read of %s without a JSON object; nothing was planned from it."
                       % "/".join(str(a) for a in args[:3]), code="UnreadableAnswer")
    return answer.body


def list_all(operation, *args, **kwargs):
    """Every element of an SDK list (all pages) as the JSON Azure sent, checked against what the SDK counted."""
    pages = []

    def keep_page(pipeline_response):
        http = pipeline_response.http_response
        if http.status_code == 200:
            pages.append(_json_of(http, "a list page %s" % http.request.url.split("?")[0]))

    try:
        count = sum(1 for _element in operation(*args, raw_response_hook=keep_page, **kwargs))
    except Exception as exc:  # pylint: disable=broad-except
        if type(exc).__name__ == "DeserializationError":
            raise AzbError("Azure answered a list the SDK could not read: %s"
                           % str(exc).split("\n", maxsplit=1)[0][:200], code="UnreadableAnswer")
        raise
    values = []
    for body in pages:
        if not isinstance(body, dict) or not isinstance(body.get("value"), list):
            raise AzbError("Azure answered a list page without a value list; nothing was planned from it.",
                           code="UnreadableAnswer")
        values.extend(body["value"])
    if len(values) != count:
        raise AzbError("Azure's list pages hold %d elements but the SDK read %d; nothing was planned from them."
                       % (len(values), count), code="UnreadableAnswer")
    return values


# ---- options the backup modules share ---------------------------------------------------------------------

# The vault every backup module works in (documented by the doc fragment azbackup.vmprep.azure.BACKUP_VAULT).
VAULT_ARGSPEC = dict(
    vault_name=dict(type="str", required=True),
    vault_resource_group=dict(type="str", required=True),
)
# The VMs option of vm_protection, vm_protection_info and backup_now (doc fragment azure.BACKUP_VMS).
VMS_ARGSPEC = dict(vms=dict(type="list", elements="raw"))
_VM_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")
_GROUP_NAME = re.compile(r"^[-\w._()]{1,90}$", re.UNICODE)


def validate_vault(params):
    """The vault options, checked before any request."""
    if not re.fullmatch(r"^[A-Za-z][A-Za-z0-9-]{1,49}$", params.get("vault_name") or ""):
        raise AzbError("vault_name must be 2-50 letters, digits or hyphens, starting with a letter; got %r."
                       % params.get("vault_name"))
    if not _GROUP_NAME.fullmatch(params.get("vault_resource_group") or "") or params["vault_resource_group"].endswith("."):
        raise AzbError("vault_resource_group must be 1-90 letters, digits, '_', '-', '.', '(' or ')', not ending in "
                       "'.'; got %r." % params.get("vault_resource_group"))


def vm_targets(vms, subscription_id, option="vms", extra_keys=()):
    """The entries of a VMs option as dicts: id, subscription_id, resource_group, name, key (lower-case id), plus
    the entry's ``extra_keys``. An entry is a VM resource id, or a dict with ``id``, or with ``name`` and
    ``resource_group`` (and optionally ``subscription_id``, else the run's). Checked before any request: a bad entry
    or a VM given twice fails naming ``option[i]``. ``subscription_id`` may be a callable (called only when an entry
    needs it)."""
    out = []
    seen = {}
    allowed = set(("id", "name", "resource_group", "subscription_id")) | set(extra_keys)
    for index, given in enumerate(vms or []):
        where = "%s[%d]" % (option, index)
        entry = {"id": given} if isinstance(given, str) else given
        if not isinstance(entry, dict):
            raise AzbError("%s must be a VM resource id or a dict with id, or with name and resource_group; got %r."
                           % (where, entry))
        unknown = sorted(set(entry) - allowed)
        if unknown:
            raise AzbError("%s has unknown keys %s; allowed: %s."
                           % (where, ", ".join(unknown), ", ".join(sorted(allowed))))
        if entry.get("id"):
            if entry.get("name") or entry.get("resource_group") or entry.get("subscription_id"):
                raise AzbError("%s gives id together with name, resource_group or subscription_id; give one form."
                               % where)
            try:
                sub, group, name = parse_vm_id(str(entry["id"]))
            except AzbError as exc:
                raise AzbError("%s: %s" % (where, exc.msg))
        else:
            name, group = entry.get("name"), entry.get("resource_group")
            if not name or not group:
                raise AzbError("%s needs id, or name and resource_group." % where)
            name, group = str(name), str(group)
            if not _VM_NAME.fullmatch(name):
                raise AzbError("%s.name %r is not a virtual machine name (1-64 letters, digits, '_', '.', '-')."
                               % (where, name))
            if not _GROUP_NAME.fullmatch(group):
                raise AzbError("%s.resource_group %r is not a resource group name." % (where, group))
            sub = entry.get("subscription_id") or (subscription_id() if callable(subscription_id)
                                                   else subscription_id)
            sub = str(sub)
        vm = "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/virtualMachines/%s" % (sub, group, name)
        key = vm.lower()
        if key in seen:
            raise AzbError("%s names the same VM as %s (%s); give each VM once." % (where, seen[key], vm))
        seen[key] = where
        target = dict((k, entry[k]) for k in extra_keys if k in entry)
        target.update(id=vm, subscription_id=sub, resource_group=group, name=name, key=key)
        out.append(target)
    return out


def protected_items(bclient, vault_resource_group, vault_name):
    """Every Azure VM item of the vault (soft-deleted ones included), by the lower-case id of its VM: one list."""
    items = list_all(bclient.backup_protected_items.list, vault_name, vault_resource_group,
                     filter="backupManagementType eq 'AzureIaasVM' and itemType eq 'VM'")
    out = {}
    for item in items:
        props = item.get("properties") if isinstance(item, dict) else None
        source = (props or {}).get("sourceResourceId") or (props or {}).get("virtualMachineId")
        if not isinstance(props, dict) or not source:
            raise AzbError("Azure listed a protected item without the VM it protects (sourceResourceId); nothing "
                           "was planned from the list.", code="UnreadableAnswer")
        out[str(source).lower()] = item
    return out
