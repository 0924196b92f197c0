"""vm_protection planning (no network): item states, the writes each desired state needs, predictions, input checks
before any request, the info view and the other-vault id in Azure's message."""

import pytest

from ansible_collections.azbackup.vmprep.plugins.module_utils import _protection
from ansible_collections.azbackup.vmprep.plugins.module_utils._errors import AzbError

SUB = "33333333-3333-3333-3333-333333333333"
VAULT = "/subscriptions/%s/resourceGroups/rg1/providers/Microsoft.RecoveryServices/vaults/rsv1" % SUB
VM = "/subscriptions/%s/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm1" % SUB
P1 = VAULT + "/backupPolicies/p1"


def item(state="Protected", policy=P1, soft=False, **extra):
    props = {"protectionState": state, "policyId": policy, "sourceResourceId": VM, **extra}
    if soft:
        props["isScheduledForDeferredDelete"] = True
    return {"id": VAULT + "/backupFabrics/Azure/protectionContainers/x/protectedItems/y", "properties": props}


@pytest.mark.parametrize("found,state", [
    (None, "absent"), (item(), "protected"), (item("IRPending"), "protected"), (item("ProtectionError"), "protected"),
    (item("ProtectionStopped", ""), "stopped"), (item("ProtectionPaused", ""), "stopped"),
    (item("BackupsSuspended", ""), "stopped"), (item("ProtectionStopped", "", soft=True), "soft_deleted"),
])
def test_state_of(found, state):
    assert _protection.state_of(found) == state


@pytest.mark.parametrize("found,want,actions", [
    (None, "protected", ["protect"]),
    (item(), "protected", []),
    (item(policy=P1.upper()), "protected", []),  # Azure compares ids without regard to case
    (item(policy=VAULT + "/backupPolicies/p2"), "protected", ["protect"]),
    (item("ProtectionStopped", ""), "protected", ["protect"]),
    (item("ProtectionStopped", "", soft=True), "protected", ["undelete", "protect"]),
    (None, "stopped", []),
    (item(), "stopped", ["stop"]),
    (item("ProtectionStopped", ""), "stopped", []),
    (item("ProtectionStopped", "", soft=True), "stopped", ["undelete"]),
    (None, "absent", []),
    (item(), "absent", ["delete"]),
    (item("ProtectionStopped", ""), "absent", ["delete"]),
    (item("ProtectionStopped", "", soft=True), "absent", []),
])
def test_plan(found, want, actions):
    assert _protection.plan(found, want, P1 if want == "protected" else "") == actions


def test_view_and_policy_name():
    assert _protection.view(item()) == {"state": "protected", "policy": "p1"}
    assert _protection.view(item(policyName="Daily")) == {"state": "protected", "policy": "Daily"}
    assert _protection.view(item("ProtectionStopped", "")) == {"state": "stopped", "policy": None}
    assert _protection.view(None) == {"state": "absent", "policy": None}


def test_an_item_without_properties_is_not_planned_from():
    with pytest.raises(AzbError, match="without properties"):
        _protection.plan({"id": "x"}, "protected", P1)


def params(**kw):
    base = {"vault_name": "rsv1", "vault_resource_group": "rg1", "policy": "p1", "state": "protected",
            "max_concurrency": 16, "wait_timeout": 900, "vms": [{"name": "vm1", "resource_group": "rg-app"}]}
    base.update(kw)
    return base


def test_targets_default_and_own_policy():
    vms = _protection.targets(params(vms=[VM, {"name": "vm2", "resource_group": "rg-app", "policy": "p2"}]), SUB)
    assert [(v["name"], v["policy"], v["where"]) for v in vms] == [("vm1", "p1", "vms[0]"), ("vm2", "p2", "vms[1]")]


@pytest.mark.parametrize("kw,words", [
    ({"policy": None}, "needs a backup policy for every VM: give policy"),
    ({"policy": "a/b"}, "policy must be a backup policy name"),
    ({"policy": "p1\n"}, "policy must be a backup policy name"),
    ({"vms": [{"name": "vm1", "resource_group": "rg-app", "policy": "x y"}]}, "vms[0].policy"),
    ({"vms": []}, "at least one VM"),
    ({"vms": [{"name": "vm1\n", "resource_group": "rg-app"}]}, "vms[0].name 'vm1\\n' is not a virtual machine name"),
    ({"vault_name": "rsv1\n"}, "vault_name"),
    ({"max_concurrency": 65}, "max_concurrency"),
])
def test_targets_refuse(kw, words):
    with pytest.raises(AzbError) as caught:
        _protection.targets(params(**kw), SUB)
    assert words in caught.value.msg


def test_stopped_and_absent_need_no_policy():
    assert _protection.targets(params(policy=None, state="absent"), SUB)[0]["policy"] is None


def test_info_entry():
    found = _protection.info_entry(None, item(lastBackupStatus="Completed", lastBackupTime="2026-11-29T02:00:00Z",
                                              healthStatus="Passed", protectionStatus="Healthy"))
    assert found["id"] == VM and found["name"] == "vm1" and found["resource_group"] == "rg-app"
    assert found["policy"] == "p1" and found["last_backup_status"] == "Completed" and found["soft_deleted"] is False
    missing = _protection.info_entry(VM, None)
    assert missing["protection_state"] == "NotProtected" and missing["item_id"] is None
    assert _protection.info_entry(VM, item(lastBackupStatus=""))["last_backup_status"] is None


def test_other_vault_in_message():
    other = VAULT.replace("rsv1", "rsv2")
    assert _protection._vault_in("Virtual machine 'vm1' is already protected by vault '%s'." % other) == other
    assert _protection._vault_in("no vault here") is None


class _Stub(_protection.Task):
    """A Task without clients: the vault and the backup status are given."""

    def __init__(self, protector_id):  # pylint: disable=super-init-not-called
        self.vault_name, self.vault_id = "rsv1", VAULT
        self._protector = protector_id

    def vault(self):
        return {"location": "westeurope"}

    def protector(self, vm_id):
        return self._protector


def test_a_vm_azure_does_not_offer_is_named_with_the_vault_that_protects_it():
    """Azure leaves VMs that another vault protects out of the protectable list: backupStatus names that vault."""
    other = VAULT.replace("rsv1", "rsv2")
    _result, error = _Stub(other).not_protectable({"id": VM, "name": "vm1"})
    assert error.vault_id == other and other in error.msg and error.code.endswith("OtherVault")
    _result, error = _Stub(None).not_protectable({"id": VM, "name": "vm1"})
    assert "not protectable" in error.msg and "westeurope" in error.msg and not getattr(error, "vault_id", None)


# ---- a failed VM reports the writes of it that landed ---------------------------------------------------------

class _Module(object):
    check_mode = False
    params = {"wait_timeout": 30, "state": "protected"}
    clients = None

    def _secrets(self):
        return []


class _Writer(_protection.Task):
    """A Task whose sends and item reads are given: ``outcomes`` maps each action to an exception or None."""

    def __init__(self, outcomes, now=None):  # pylint: disable=super-init-not-called
        self.module, self.params = _Module(), _Module.params
        self.vault_name, self.vault_group, self.vault_id = "rsv1", "rg1", VAULT
        self.policies = {"p1": P1}
        self.outcomes = outcomes
        self.now = now
        self.sent = []
        self.failed_changed = set()
        self.bclient = type("B", (), {"protected_items": None})()

    def get_item(self, vm):
        """The item as read again: ``now`` is one item for every read, or a list (its last one repeats)."""
        if isinstance(self.now, list):
            return self.now.pop(0) if len(self.now) > 1 else self.now[0]
        return self.now


def _vm(listed):
    return {"id": VM, "name": "vm1", "resource_group": "rg-app", "key": VM.lower(), "policy": "p1", "where": "vms[0]",
            "listed": listed}


def _fake_backup(monkeypatch, task):
    from ansible_collections.azbackup.vmprep.plugins.module_utils import _backup

    def send(_ops, _verb, *args, **_kw):
        action = "undelete" if b'"isRehydrate": true' in args[-1] else "protect"
        task.sent.append(action)
        if isinstance(task.outcomes.get(action), tuple):  # the request itself fails (its answer was lost)
            raise task.outcomes[action][0]
        return _backup.Answer(202, {}, None)

    def track(_clients, _answer, _timeout, _what):
        action = task.sent[-1]
        if isinstance(task.outcomes.get(action), Exception):
            raise task.outcomes[action]
        return {}

    monkeypatch.setattr(_backup, "send", send)
    monkeypatch.setattr(_backup, "track", track)
    monkeypatch.setattr("time.sleep", lambda _seconds: None)


@pytest.mark.parametrize("outcomes,listed,now,changed", [
    # The undelete landed, then the protection's operation failed: the VM changed (its item is back).
    ({"protect": AzbError("the protection ended Failed", code="UserErrorSomething")},
     item("ProtectionStopped", "", soft=True), None, True),
    # Azure accepted the PUT, its operation timed out (it goes on in Azure): a change.
    ({"protect": AzbError("still running", code="OperationTimedOut")}, None, None, True),
    # Every answer lost (each retry reads the item: not there yet); the read after the last one finds the write
    # landed: a change.
    ({"protect": (AzbError("lost", status=500),)}, None, [None] * 4 + [item()], True),
    # Every answer lost; the last read finds nothing: no change.
    ({"protect": (AzbError("lost", status=500),)}, None, None, False),
    # Refused before anything was accepted: no change.
    ({"protect": (AzbError("refused", status=400, code="BMSUserErrorInvalidInput"),)}, None, None, False),
])
def test_a_failed_vm_reports_the_writes_that_landed(monkeypatch, outcomes, listed, now, changed):
    task = _Writer(outcomes, now)
    _fake_backup(monkeypatch, task)
    vm = _vm(listed)
    result, error = task.apply(vm)
    assert result is None and error is not None
    entry = task.entry(vm, result, error)
    assert entry["failed"] is True and entry["changed"] is changed, (task.sent, entry)
