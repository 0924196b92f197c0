# -*- coding: utf-8 -*-
# Copyright: contributors to the azbackup.vmprep collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Backup protection of Azure VMs in a Recovery Services vault (vm_protection, vm_protection_info).

One task reads the vault's protected items once, plans every VM from that list, and only then sends what the
plan needs: one GET per distinct policy that a write uses, the protectable-items list (and one refreshContainers,
only when a VM to protect is not yet protectable), one GET of the vault when a delete must tell soft delete from
hard delete or another vault's protection must be looked up, and then per VM one write (two for an undelete
followed by protection) with its long-running operation, up to ``max_concurrency`` VMs at a time. Each VM's write
runs in its own ``_client.Operation``: busy answers and lost answers make that VM read its item again (one GET) and
plan again, so a write that landed although its answer was lost is reported as a change and never sent twice
blindly.
"""

from __future__ import annotations

import json
import re
import threading

from ansible_collections.azbackup.vmprep.plugins.module_utils import _backup, _client
from ansible_collections.azbackup.vmprep.plugins.module_utils._errors import AzbError, from_exception

STATES = ("protected", "stopped", "absent")
ITEM_TYPE = "Microsoft.Compute/virtualMachines"
MAX_CONCURRENCY = 64
OTHER_VAULT = "usererrorbackupitemalreadyprotectedwithothervault"
# Azure's protectionState values of an item whose protection is stopped (data kept).
_STOPPED = ("protectionstopped", "protectionpaused", "backupssuspended")
_POLICY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,149}$")
_SOFT_DELETE_ON = ("enabled", "alwayson")

ARGSPEC = dict(
    policy=dict(type="str"),
    state=dict(type="str", default="protected", choices=list(STATES)),
    max_concurrency=dict(type="int", default=16),
    wait_timeout=dict(type="int", default=900),
)


# ---- input ------------------------------------------------------------------------------------------------

def check_policy_name(name, where):
    if not isinstance(name, str) or not _POLICY_NAME.fullmatch(name):
        raise AzbError("%s must be a backup policy name (1-150 letters, digits, '_', '.' or '-', starting with a "
                       "letter or digit); got %r." % (where, name))
    return name


def _no_line_breaks(params, vms):
    """Names with a line break or other whitespace (a regular expression's ``$`` matches before a final newline)."""
    for where, value in [("vault_name", params.get("vault_name")),
                         ("vault_resource_group", params.get("vault_resource_group"))] + [
            ("%s.%s" % (vm["where"], key), vm[key]) for vm in vms for key in ("name", "resource_group")]:
        if value is not None and re.search(r"\s", str(value)):
            raise AzbError("%s must not contain whitespace or line breaks; got %r." % (where, value))


def validate_vault(params):
    _backup.validate_vault(params)
    _no_line_breaks(params, [])


def vm_list(params, subscription_id, **kwargs):
    out = _backup.vm_targets(params["vms"], subscription_id, option="vms", **kwargs)
    for index, vm in enumerate(out):
        vm["where"] = "vms[%d]" % index
    _no_line_breaks(params, out)
    return out


def targets(params, subscription_id):
    """The VMs of a vm_protection task, every option checked before any request."""
    validate_vault(params)
    if not 1 <= params["max_concurrency"] <= MAX_CONCURRENCY:
        raise AzbError("max_concurrency must be between 1 and %d; got %d."
                       % (MAX_CONCURRENCY, params["max_concurrency"]))
    if not params.get("vms"):
        raise AzbError("vms must list at least one VM (a VM resource id, or a dict with name and resource_group).")
    if params.get("policy") is not None:
        check_policy_name(params["policy"], "policy")
    out = vm_list(params, subscription_id, extra_keys=("policy",))
    missing = []
    for index, vm in enumerate(out):
        if vm.get("policy") is not None:
            vm["policy"] = check_policy_name(vm["policy"], "vms[%d].policy" % index)
        else:
            vm["policy"] = params.get("policy")
        if params["state"] == "protected" and not vm["policy"]:
            missing.append("vms[%d]" % index)
    if missing:
        raise AzbError("state=protected needs a backup policy for every VM: give policy (the default) or a policy "
                       "in each entry; %s %s none." % (", ".join(missing), "has" if len(missing) == 1 else "have"))
    return out


# ---- items ------------------------------------------------------------------------------------------------

def _props(item):
    props = item.get("properties") if isinstance(item, dict) else None
    if not isinstance(props, dict):
        raise AzbError("Azure answered a protected item without properties; nothing was planned from it.",
                       code="UnreadableAnswer")
    return props


def state_of(item):
    """protected, stopped, soft_deleted or absent."""
    if item is None:
        return "absent"
    props = _props(item)
    if props.get("isScheduledForDeferredDelete"):
        return "soft_deleted"
    if str(props.get("protectionState") or "").lower() in _STOPPED:
        return "stopped"
    return "protected"


def policy_of(item):
    """The name of the item's policy, None when it has none."""
    if item is None:
        return None
    props = _props(item)
    if props.get("policyName"):
        return str(props["policyName"])
    policy = str(props.get("policyId") or "").rstrip("/")
    return policy.rsplit("/", maxsplit=1)[-1] if policy else None


def view(item):
    state = state_of(item)
    return {"state": state, "policy": policy_of(item) if state == "protected" else None}


def plan(item, state, policy_id):
    """The writes that bring the item to ``state`` (with ``policy_id`` for protected), in order."""
    current = state_of(item)
    if state == "protected":
        if current == "absent":
            return ["protect"]
        if current == "soft_deleted":
            return ["undelete", "protect"]
        if current == "stopped":
            return ["protect"]
        have = str(_props(item).get("policyId") or "")
        return [] if have.lower() == policy_id.lower() else ["protect"]
    if state == "stopped":
        if current == "soft_deleted":
            return ["undelete"]
        return ["stop"] if current == "protected" else []
    return ["delete"] if current in ("protected", "stopped") else []


def info_entry(vm_id, item):
    """One element of vm_protection_info's ``items``: ``vm_id`` as given, else (None) the item's VM."""
    if vm_id is None:
        props = _props(item)
        vm_id = str(props.get("sourceResourceId") or props.get("virtualMachineId"))
    _sub, group, name = _backup.parse_vm_id(vm_id) if _backup.VM_ID.match(vm_id or "") else (None, None, None)
    if item is None:
        return {"id": vm_id, "name": name, "resource_group": group, "item_id": None,
                "protection_state": "NotProtected", "protection_status": None, "health_status": None,
                "last_backup_status": None, "last_backup_time": None, "last_recovery_point": None, "policy": None,
                "soft_deleted": False}
    props = _props(item)
    return {
        "id": vm_id, "name": name or props.get("friendlyName"), "resource_group": group, "item_id": item.get("id"),
        "protection_state": props.get("protectionState"), "protection_status": props.get("protectionStatus"),
        "health_status": props.get("healthStatus"), "last_backup_status": props.get("lastBackupStatus") or None,
        "last_backup_time": props.get("lastBackupTime"), "last_recovery_point": props.get("lastRecoveryPoint"),
        "policy": policy_of(item), "soft_deleted": bool(props.get("isScheduledForDeferredDelete")),
    }


# ---- the task ---------------------------------------------------------------------------------------------

class _OtherVault(Exception):
    """Azure refused protection: another vault protects the VM (not retried by the Operation)."""

    def __init__(self, error):
        super().__init__(str(error))
        self.azb = error


class Task(object):
    """One vm_protection run: the vault, the VMs and what was read for them."""

    def __init__(self, module, vms):
        self.module = module
        self.params = module.params
        self.vms = vms
        self.vault_name = self.params["vault_name"]
        self.vault_group = self.params["vault_resource_group"]
        self.vault_id = _backup.vault_id(module.clients.subscription_id, self.vault_group, self.vault_name)
        self.bclient = _backup.client(module.clients)
        self.policies = {}  # lower name -> policy id as Azure spells it
        self._vault = None
        self._vault_lock = threading.Lock()
        self.refreshed = False
        self.failed_changed = set()  # keys of failed VMs of which a write was accepted or landed

    # -- reads shared by the VMs

    def vault(self):
        """The vault's JSON, read once (for its region and its soft delete), only when needed."""
        with self._vault_lock:
            if self._vault is None:
                client = self.module.clients.recovery_services()
                body = client.vaults.get(self.vault_group, self.vault_name, cls=_client.raw)
                if not isinstance(body, dict):
                    raise AzbError("Azure answered a read of vault '%s' without a JSON object." % self.vault_name,
                                   code="UnreadableAnswer")
                self._vault = body
            return self._vault

    def soft_delete(self):
        """True when a delete in this vault is a soft delete; None when the vault does not say."""
        props = self.vault().get("properties") or {}
        state = (((props.get("securitySettings") or {}).get("softDeleteSettings") or {}).get("softDeleteState"))
        if not state:
            return None
        return str(state).lower() in _SOFT_DELETE_ON

    def protector(self, vm_id):
        """The id of the vault that protects ``vm_id`` according to backupStatus (None: none does)."""
        region = str(self.vault().get("location") or "").replace(" ", "").lower()
        if not region:
            raise AzbError("Vault '%s' has no location; backupStatus cannot be asked." % self.vault_name,
                           code="UnreadableAnswer")
        body = json.dumps({"resourceType": "VM", "resourceId": vm_id}).encode()
        op = _client.Operation(self.params["wait_timeout"], "the backup status of VM '%s'" % vm_id)
        answer = op.run(lambda _op: _backup.send(self.bclient.backup_status, "get", region, body,
                                                 content_type="application/json"))
        status = answer.body if isinstance(answer.body, dict) else {}
        if str(status.get("protectionStatus") or "").lower() == "protected" and status.get("vaultId"):
            return str(status["vaultId"])
        return None

    def check_policies(self, names):
        """One GET per distinct policy that a write uses. Returns {lower name: a function of the entry that gives
        the AzbError of a VM asking for it} for each policy that does not exist or is not an AzureIaasVM policy: those
        VMs fail on their own, before any write of theirs; the others go on."""
        bad = {}
        for lower, (name, _users) in sorted(names.items()):
            policy = _backup.get(self.bclient.protection_policies, self.vault_name, self.vault_group, name)
            if policy is None:
                bad[lower] = (lambda who, name=name: AzbError(
                    "Backup policy '%s' does not exist in vault '%s' (resource group '%s'); asked for by %s. Nothing "
                    "was changed for this VM." % (name, self.vault_name, self.vault_group, who), code="PolicyNotFound"))
                continue
            props = policy.get("properties") if isinstance(policy.get("properties"), dict) else {}
            kind = props.get("backupManagementType")
            if kind and str(kind).lower() != "azureiaasvm":
                bad[lower] = (lambda who, name=name, kind=kind: AzbError(
                    "Backup policy '%s' of vault '%s' is a %s policy, not one for Azure VMs (AzureIaasVM); asked for "
                    "by %s. Nothing was changed for this VM." % (name, self.vault_name, kind, who),
                    code="PolicyNotForVMs"))
                continue
            self.policies[lower] = str(policy.get("id") or _backup.policy_id(self.vault_id, name))
        return bad

    def protectable(self):
        """Lower-case VM id -> VM id as Azure spells it, of the vault's protectable VMs (one list)."""
        out = {}
        for item in _backup.list_all(self.bclient.backup_protectable_items.list, self.vault_name, self.vault_group,
                                     filter="backupManagementType eq '%s'" % _backup.BACKUP_MANAGEMENT_TYPE):
            props = item.get("properties") if isinstance(item, dict) else None
            vm_id = (props or {}).get("virtualMachineId")
            if not vm_id:
                raise AzbError("Azure listed a protectable item without its VM (virtualMachineId); nothing was "
                               "planned from the list.", code="UnreadableAnswer")
            out[str(vm_id).lower()] = str(vm_id)
        return out

    def refresh(self):
        """One refreshContainers (Azure discovers the VMs it may protect), followed to its end."""
        def step(op):
            answer = op.write(lambda: _backup.send(self.bclient.protection_containers, "refresh", self.vault_name,
                                                   self.vault_group, _backup.FABRIC))
            return _backup.track(self.module.clients, answer, self.params["wait_timeout"],
                                 "the discovery of VMs (refreshContainers) in vault '%s'" % self.vault_name)

        _client.Operation(self.params["wait_timeout"], "refreshContainers").run(step)
        self.refreshed = True

    # -- one VM

    def item_id(self, vm):
        """The resource ID Azure gives the protected item of ``vm`` in this vault."""
        key = "iaasvmcontainerv2;%s;%s" % (vm["resource_group"].lower(), vm["name"].lower())
        return "%s/backupFabrics/%s/protectionContainers/IaasVMContainer;%s/protectedItems/VM;%s" % (
            self.vault_id, _backup.FABRIC, key, key)

    def get_item(self, vm):
        return _backup.get(self.bclient.protected_items, self.vault_name, self.vault_group, _backup.FABRIC,
                           _backup.container_name(vm["resource_group"], vm["name"]),
                           _backup.item_name(vm["resource_group"], vm["name"]))

    def _body(self, vm, item, action):
        props = {"protectedItemType": ITEM_TYPE,
                 "sourceResourceId": (_props(item).get("sourceResourceId") if item else None) or vm.get("source")
                 or vm["id"]}
        if action == "protect":
            props["policyId"] = (self.policies.get(vm["policy"].lower())
                                 or _backup.policy_id(self.vault_id, vm["policy"]))
            extended = _props(item).get("extendedProperties") if item else None
            if extended:
                # A policy switch or a resume keeps what the item has (diskExclusionProperties, for example),
                # exactly as read: a PUT without it would drop it.
                props["extendedProperties"] = extended
        elif action == "stop":
            props.update(protectionState="ProtectionStopped", policyId="")
        elif action == "undelete":
            props.update(protectionState="ProtectionStopped", policyId="", isRehydrate=True)
        return json.dumps({"properties": props}).encode()

    def _send(self, vm, item, action, op):
        names = (self.vault_name, self.vault_group, _backup.FABRIC,
                 _backup.container_name(vm["resource_group"], vm["name"]),
                 _backup.item_name(vm["resource_group"], vm["name"]))
        what = {"protect": "the protection of VM '%s'", "stop": "stopping the protection of VM '%s'",
                "undelete": "the undelete of the backup item of VM '%s'",
                "delete": "the deletion of the backup data of VM '%s'"}[action] % vm["name"]
        if action == "delete":
            answer = _backup.send(self.bclient.protected_items, "delete", *names)
        else:
            answer = _backup.send(self.bclient.protected_items, "create_or_update", *names,
                                  self._body(vm, item, action), content_type="application/json")
        try:
            status = _backup.track(self.module.clients, answer, self.params["wait_timeout"], what)
        except Exception as exc:
            # Azure accepted the write: an operation that timed out (it goes on in Azure), failed or whose status
            # was lost is a change; one that ended busy (refused, nothing done) is retried and is not.
            if _client.classify(exc) != _client.BUSY:
                op.keep("landed", True)
            raise
        op.keep("landed", True)
        return status

    def predict(self, vm, item, actions):
        """The {state, policy} the actions lead to."""
        last = actions[-1]
        if last == "protect":
            known = self.policies.get(vm["policy"].lower())  # the id Azure gave: its name as Azure spells it
            return {"state": "protected", "policy": known.rstrip("/").rsplit("/", maxsplit=1)[-1] if known else vm["policy"]}
        if last in ("stop", "undelete"):
            return {"state": "stopped", "policy": None}
        soft = self.soft_delete()
        return {"state": "soft_deleted" if soft or soft is None else "absent", "policy": None}

    def step(self, vm, op):
        """Read (the list on the first round, one GET after a busy or lost answer), plan, write."""
        state = self.params["state"]
        want_id = self.policies.get((vm["policy"] or "").lower()) or (
            _backup.policy_id(self.vault_id, vm["policy"]) if vm["policy"] else "")
        item = vm["listed"] if op.attempt == 1 else self.get_item(vm)
        before = op.keep("before", view(item))
        item_id = op.keep("item_id", item.get("id") if item else self.item_id(vm))
        actions = plan(item, state, want_id)
        result = {"before": before, "item": item, "item_id": (item or {}).get("id") or item_id,
                  "protection_state": _props(item).get("protectionState") if item else "NotProtected",
                  "job_id": op.keep("job_id", None)}
        if not actions:
            after = view(item)
            result.update(after=after, changed=after != before)
            return result
        after = self.predict(vm, item, actions)
        result.update(after=after, changed=True)
        if self.module.check_mode:
            return result
        status = None
        for action in actions:
            try:
                status = op.write(lambda action=action: self._send(vm, item, action, op))
            except Exception as exc:
                if _client.error_code(exc).lower() == OTHER_VAULT:
                    raise _OtherVault(from_exception(exc))
                raise
            op._saved["job_id"] = _backup.job_id_of(status) or op._saved.get("job_id")  # pylint: disable=protected-access
        result["job_id"] = op._saved.get("job_id")  # pylint: disable=protected-access
        if actions[-1] == "delete":
            soft = self.soft_delete()
            if soft is None:
                after = view(self.get_item(vm))
            result.update(after=after, item_id=(item or {}).get("id") or item_id)
        result["item"] = item
        return result

    def apply(self, vm):
        """One VM, in its own Operation; returns (result, error)."""
        op = _client.Operation(self.params["wait_timeout"], "the protection of VM '%s'" % vm["name"])
        try:
            return op.run(lambda current: self.step(vm, current)), None
        except _OtherVault as other:
            error = self.other_vault_error(vm, other)
        except Exception as exc:  # pylint: disable=broad-except
            error = exc
        if self.wrote(vm, op):
            self.failed_changed.add(vm["key"])
        return None, error

    def wrote(self, vm, op):
        """Whether a failed VM changed: a write of it was accepted or completed (an undelete before a failed
        protection, a PUT whose operation timed out or failed), or a write whose answer was lost is found landed
        by one more read of the item."""
        if op._saved.get("landed"):  # pylint: disable=protected-access
            return True
        if not op.maybe_landed or self.module.check_mode:
            return False
        try:
            return view(self.get_item(vm)) != op._saved.get("before")  # pylint: disable=protected-access
        except Exception:  # pylint: disable=broad-except
            return True  # a write that may have landed and cannot be read back: do not report "no change"

    def other_vault_error(self, vm, other):
        """The failure of a VM whose PUT Azure refused because another vault protects it, naming that vault."""
        try:
            vault = self.protector(vm["id"])
        except Exception:  # pylint: disable=broad-except
            vault = None
        vault = vault or _vault_in(other.azb.msg)
        error = AzbError("VM '%s' is protected by another Recovery Services vault%s; stop its protection there "
                         "(and delete or keep its data) before protecting it in vault '%s'."
                         % (vm["name"], " (%s)" % vault if vault else "", self.vault_name),
                         status=other.azb.status, code="UserErrorBackupItemAlreadyProtectedWithOtherVault")
        error.vault_id = vault
        return error

    # -- the whole task

    def run(self):
        """Every VM planned from one list, then written with bounded concurrency. Returns (entries, diff)."""
        items = _backup.protected_items(self.bclient, self.vault_group, self.vault_name)
        state = self.params["state"]
        policy_users = {}
        needs_protectable = []
        for vm in self.vms:
            vm["listed"] = items.get(vm["key"])
            want = _backup.policy_id(self.vault_id, vm["policy"]) if vm["policy"] else ""
            actions = plan(vm["listed"], state, want)
            vm["actions"] = actions
            if "protect" in actions:
                name, users = policy_users.setdefault(vm["policy"].lower(), (vm["policy"], []))
                users.append("%s (%s)" % (vm["where"], vm["name"]))
                if vm["listed"] is None:
                    needs_protectable.append(vm)
        early = {}
        bad = self.check_policies(policy_users) if policy_users else {}
        for vm in self.vms:
            if "protect" in vm["actions"] and vm["policy"].lower() in bad:
                early[vm["key"]] = (None, bad[vm["policy"].lower()]("%s (%s)" % (vm["where"], vm["name"])))
        needs_protectable = [vm for vm in needs_protectable if vm["key"] not in early]
        if any(vm["key"] not in early and vm["actions"] and vm["actions"][-1] == "delete" for vm in self.vms):
            self.soft_delete()  # one GET of the vault: a delete reports soft_deleted or absent truthfully
        if needs_protectable:
            found = self.protectable()
            missing = [vm for vm in needs_protectable if vm["key"] not in found]
            if missing and not self.module.check_mode:
                self.refresh()
                found = self.protectable()
                missing = [vm for vm in needs_protectable if vm["key"] not in found]
            for vm in needs_protectable:
                vm["source"] = found.get(vm["key"])
            if self.module.check_mode:
                # No PUT (that Azure would refuse) and no refreshContainers: backupStatus (a read) of each VM to
                # protect predicts another vault's protection exactly like a real run; a VM that only needs
                # refreshContainers is predicted protectable.
                for vm in needs_protectable:
                    other = self.other_vault(vm)
                    if other is not None:
                        early[vm["key"]] = (None, other)
            else:
                for vm in missing:
                    early[vm["key"]] = self.not_protectable(vm)
        todo = [vm for vm in self.vms if vm["key"] not in early]
        outcomes = dict(early)
        if len(todo) > 1 and self.params["max_concurrency"] > 1:
            from concurrent.futures import ThreadPoolExecutor

            self.module.clients.warm_up()  # one token for every thread
            with ThreadPoolExecutor(max_workers=min(self.params["max_concurrency"], len(todo))) as pool:
                for vm, outcome in zip(todo, pool.map(self.apply, todo), strict=True):
                    outcomes[vm["key"]] = outcome
        else:
            for vm in todo:
                outcomes[vm["key"]] = self.apply(vm)
        entries, before, after = [], {}, {}
        for vm in self.vms:
            result, error = outcomes[vm["key"]]
            entries.append(self.entry(vm, result, error))
            if result is not None:
                before[vm["id"]] = result["before"]
                after[vm["id"]] = result["after"]
        return entries, {"before": before, "after": after}

    def other_vault(self, vm):
        """The AzbError naming the other vault that protects ``vm`` (backupStatus), None when no other vault does."""
        try:
            other = self.protector(vm["id"])
        except Exception:  # pylint: disable=broad-except
            other = None
        if other and other.lower() != self.vault_id.lower():
            error = AzbError("VM '%s' is protected by another Recovery Services vault (%s); stop its protection there "
                             "before protecting it in vault '%s'." % (vm["name"], other, self.vault_name),
                             code="UserErrorBackupItemAlreadyProtectedWithOtherVault")
            error.vault_id = other
            return error
        return None

    def not_protectable(self, vm):
        """A VM to protect that Azure does not list as protectable, even after refreshContainers."""
        other = self.other_vault(vm)
        if other is not None:
            return None, other
        return None, AzbError(
            "VM '%s' is not protectable by vault '%s', even after Azure discovered the VMs again (refreshContainers): "
            "it does not exist, or it is in another region or subscription than the vault (the vault is in %s)."
            % (vm["id"], self.vault_name, self.vault().get("location") or "an unknown region"),
            code="VMNotProtectable")

    def entry(self, vm, result, error):
        out = {"id": vm["id"], "name": vm["name"], "resource_group": vm["resource_group"]}
        if error is None:
            after = result["after"]
            out.update(changed=result["changed"], failed=False, state=after["state"], policy=after["policy"],
                       protection_state=_predicted_ps(result) if result["changed"] else result["protection_state"],
                       item_id=result["item_id"] if after["state"] != "absent" else None,
                       job_id=result["job_id"])
            return out
        azb = from_exception(error, secrets=self.module._secrets())  # pylint: disable=protected-access
        out.update(changed=vm["key"] in self.failed_changed, failed=True, state=None, policy=None, protection_state=None,
                   item_id=(vm.get("listed") or {}).get("id"), job_id=None, msg=azb.full_message())
        if getattr(error, "vault_id", None):
            out["vault_id"] = error.vault_id
        if azb.code:
            out["error_code"] = azb.code
        return out


def _predicted_ps(result):
    """Azure's protectionState after a change, as Azure sets it: a new or resumed protection is IRPending until
    its first backup (Protected when the item already had one), a stop or a soft delete is ProtectionStopped."""
    after = result["after"]["state"]
    if after == "absent":
        return "NotProtected"
    if after in ("stopped", "soft_deleted"):
        return "ProtectionStopped"
    item = result.get("item")
    if item is not None and state_of(item) == "protected":
        return _props(item).get("protectionState")
    if item is not None and _props(item).get("lastBackupTime"):
        return "Protected"
    return "IRPending"


def _vault_in(message):
    match = re.search(r"(/subscriptions/[^/\s']+/resourceGroups/[^/\s']+/providers/Microsoft\.RecoveryServices/"
                      r"vaults/[^/\s'.]+)", message or "", re.IGNORECASE)
    return match.group(1) if match else None
