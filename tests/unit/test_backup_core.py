"""plugins/module_utils/_backup.py: names, the VMs option, Azure Backup's long-running operations and raw lists."""

import json

import pytest

from ansible_collections.azbackup.vmprep.plugins.module_utils import _backup, _client
from ansible_collections.azbackup.vmprep.plugins.module_utils._errors import AzbError

SUB = "33333333-3333-3333-3333-333333333333"
VM = "/subscriptions/%s/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm1" % SUB


# ---- names and options ------------------------------------------------------------------------------------

def test_names_follow_azure_backup():
    assert _backup.container_name("RG-App", "VM1") == "iaasvmcontainer;iaasvmcontainerv2;rg-app;vm1"
    assert _backup.item_name("RG-App", "VM1") == "vm;iaasvmcontainerv2;rg-app;vm1"
    vault = _backup.vault_id(SUB, "rg1", "rsv1")
    assert _backup.policy_id(vault, "daily") == vault + "/backupPolicies/daily"
    assert _backup.parse_vm_id(VM) == (SUB, "rg-app", "vm1")
    with pytest.raises(AzbError, match="not the resource id of a virtual machine"):
        _backup.parse_vm_id("/subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/n")


def test_vm_targets_forms_and_defaults():
    calls = []

    def sub():
        calls.append(1)
        return SUB

    out = _backup.vm_targets([VM, {"name": "vm2", "resource_group": "rg-app", "policy": "p"},
                              {"id": VM.replace("vm1", "vm3")}], sub, extra_keys=("policy",))
    assert [t["name"] for t in out] == ["vm1", "vm2", "vm3"]
    assert out[1]["id"] == VM.replace("vm1", "vm2") and out[1]["policy"] == "p"
    assert out[0]["key"] == VM.lower()
    assert calls == [1]  # the run's subscription is asked for only by the entry that needs it


@pytest.mark.parametrize("vms, message", [
    ([42], r"vms\[0\] must be a VM resource id"),
    (["/subscriptions/x/resourceGroups/rg"], r"vms\[0\]: .* is not the resource id"),
    ([{"name": "vm1"}], r"vms\[0\] needs id, or name and resource_group"),
    ([{"id": VM, "name": "vm1"}], r"vms\[0\] gives id together with name"),
    ([{"name": "bad name", "resource_group": "rg"}], r"vms\[0\].name 'bad name' is not a virtual machine name"),
    ([{"name": "vm1", "resource_group": "rg/x"}], r"vms\[0\].resource_group 'rg/x' is not a resource group name"),
    ([{"name": "vm1", "resource_group": "rg", "colour": "red"}], r"vms\[0\] has unknown keys colour"),
    ([VM, {"name": "VM1", "resource_group": "RG-APP"}], r"vms\[1\] names the same VM as vms\[0\]"),
])
def test_vm_targets_refuses_bad_entries_naming_them(vms, message):
    with pytest.raises(AzbError, match=message):
        _backup.vm_targets(vms, SUB)


@pytest.mark.parametrize("params, message", [
    ({"vault_name": "1vault", "vault_resource_group": "rg"}, "vault_name must be"),
    ({"vault_name": "v", "vault_resource_group": "rg"}, "vault_name must be"),
    ({"vault_name": "vault", "vault_resource_group": "rg."}, "vault_resource_group must be"),
    ({"vault_name": "vault", "vault_resource_group": None}, "vault_resource_group must be"),
])
def test_validate_vault(params, message):
    with pytest.raises(AzbError, match=message):
        _backup.validate_vault(params)
    _backup.validate_vault({"vault_name": "rsv-weu", "vault_resource_group": "rg-backup_(1)"})


# ---- long-running operations ------------------------------------------------------------------------------

class FakeResponse:
    def __init__(self, status, body=None, headers=None):
        self.status_code = status
        self.reason = "Reason"
        self.headers = headers or {}
        self._text = json.dumps(body) if body is not None else ""
        self.request = type("R", (), {"method": "GET", "url": "https://arm/x?api-version=1"})()

    def read(self):
        return self._text.encode()

    def text(self):
        return self._text


class FakePipeline:
    def __init__(self, answers):
        self.answers = list(answers)
        self.urls = []

    def send_request(self, request):
        self.urls.append(request.url)
        return self.answers.pop(0)


class FakeClients:
    def __init__(self, answers):
        self.pipeline = FakePipeline(answers)

    def arm_pipeline(self):
        return self.pipeline


class Clock:
    def __init__(self):
        self.now = 0.0
        self.slept = []

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds

    def __call__(self):
        return self.now


def accepted(**headers):
    return _backup.Answer(202, headers, None)


def test_a_200_answer_is_already_the_end():
    assert _backup.track(FakeClients([]), _backup.Answer(200, {}, {"id": "x"}), 10, "w") == {"id": "x"}
    assert _backup.track(FakeClients([]), _backup.Answer(204, {}, None), 10, "w") == {}


def test_azure_async_operation_is_polled_at_the_interval_azure_asks_for():
    clock = Clock()
    clients = FakeClients([
        FakeResponse(200, {"status": "InProgress"}, {"Retry-After": "3"}),
        FakeResponse(200, {"status": "Succeeded", "properties": {"objectType": "OperationStatusJobExtendedInfo",
                                                                 "jobId": "job-1"}}),
    ])
    out = _backup.track(clients, accepted(**{"Azure-AsyncOperation": "https://arm/op?api-version=1",
                                             "Location": "https://arm/res", "Retry-After": "1"}),
                        60, "protecting vm1", sleep=clock.sleep, clock=clock)
    assert _backup.job_id_of(out) == "job-1"
    assert clock.slept == [1.0, 3.0]
    assert clients.pipeline.urls == ["https://arm/op?api-version=1"] * 2  # the status, not the Location


def test_location_only_is_polled_until_it_stops_answering_202():
    clock = Clock()
    clients = FakeClients([FakeResponse(202, None, {"Retry-After": "0"}), FakeResponse(204)])
    assert _backup.track(clients, accepted(Location="https://arm/res", **{"Retry-After": "0"}), 60, "refresh",
                         sleep=clock.sleep, clock=clock) == {}
    assert len(clients.pipeline.urls) == 2
    assert clock.slept == [0.0, 0.0]


def test_without_retry_after_the_fallback_interval_is_used():
    clock = Clock()
    clients = FakeClients([FakeResponse(204)])
    _backup.track(clients, accepted(Location="https://arm/res"), 60, "refresh", sleep=clock.sleep, clock=clock)
    assert clock.slept == [_client.FALLBACK_POLL_SECONDS]


def test_a_busy_final_state_is_busy_for_the_operation():
    clock = Clock()
    clients = FakeClients([FakeResponse(200, {"status": "Failed", "error": {
        "code": "AnotherOperationInProgress", "message": "Another operation is in progress on the item."}})])
    with pytest.raises(AzbError) as caught:
        _backup.track(clients, accepted(**{"Azure-AsyncOperation": "https://arm/op"}), 60, "protecting vm1",
                      sleep=clock.sleep, clock=clock)
    assert caught.value.code == "AnotherOperationInProgress"
    assert _client.classify(caught.value) == _client.BUSY


def test_a_failed_operation_names_azure_code_and_message():
    clock = Clock()
    clients = FakeClients([FakeResponse(200, {"status": "Failed", "error": {
        "code": "UserErrorBackupItemAlreadyProtectedWithOtherVault", "message": "protected by vault X"}})])
    with pytest.raises(AzbError, match="protecting vm1 ended Failed: protected by vault X") as caught:
        _backup.track(clients, accepted(**{"Azure-AsyncOperation": "https://arm/op"}), 60, "protecting vm1",
                      sleep=clock.sleep, clock=clock)
    assert _client.classify(caught.value) is None


def test_a_status_without_status_is_not_guessed_at():
    clock = Clock()
    clients = FakeClients([FakeResponse(200, {"id": "op"})])
    with pytest.raises(AzbError, match="without a status") as caught:
        _backup.track(clients, accepted(**{"Azure-AsyncOperation": "https://arm/op"}), 60, "w",
                      sleep=clock.sleep, clock=clock)
    assert caught.value.code == "UnreadableAnswer"


def test_a_202_naming_no_operation_is_an_unknown_outcome():
    with pytest.raises(AzbError, match="without naming the operation to follow"):
        _backup.track(FakeClients([]), accepted(), 60, "w")


def test_the_wait_is_bounded_by_the_timeout():
    clock = Clock()
    clients = FakeClients([FakeResponse(200, {"status": "InProgress"}, {"Retry-After": "4"})] * 10)
    with pytest.raises(AzbError, match="still running after 10 seconds") as caught:
        _backup.track(clients, accepted(**{"Azure-AsyncOperation": "https://arm/op", "Retry-After": "4"}), 10,
                      "w", sleep=clock.sleep, clock=clock)
    assert caught.value.code == "OperationTimedOut"
    assert clock.now <= 10


def test_a_poll_answered_with_an_error_is_raised_for_the_retry_layer():
    from azure.core.exceptions import HttpResponseError

    clock = Clock()
    clients = FakeClients([FakeResponse(500, {"error": {"code": "InternalError", "message": "boom"}})])
    with pytest.raises(HttpResponseError):
        _backup.track(clients, accepted(Location="https://arm/res"), 60, "w", sleep=clock.sleep, clock=clock)


# ---- lists ------------------------------------------------------------------------------------------------

class FakeHttp:
    def __init__(self, body):
        self.status_code = 200
        self._text = json.dumps(body)
        self.request = type("R", (), {"method": "GET", "url": "https://arm/list?api-version=1"})()
        self.headers = {}

    def read(self):
        return self._text.encode()

    def text(self):
        return self._text


def pager(pages, count=None):
    def operation(*_args, **kwargs):
        hook = kwargs["raw_response_hook"]
        total = 0
        for body in pages:
            hook(type("PR", (), {"http_response": FakeHttp(body)})())
            total += len(body.get("value", []))
        return iter(range(total if count is None else count))
    return operation


def test_list_all_returns_every_page_as_sent():
    out = _backup.list_all(pager([{"value": [{"id": "a"}], "nextLink": "n"}, {"value": [{"id": "b"}]}]))
    assert out == [{"id": "a"}, {"id": "b"}]


def test_list_all_refuses_pages_that_disagree_with_the_sdk():
    with pytest.raises(AzbError, match="hold 1 elements but the SDK read 2"):
        _backup.list_all(pager([{"value": [{"id": "a"}]}], count=2))
    with pytest.raises(AzbError, match="without a value list"):
        _backup.list_all(pager([{"items": []}], count=0))


def test_protected_items_are_keyed_by_their_vm_and_must_name_it():
    class Ops:
        list = staticmethod(pager([{"value": [{"id": "item", "properties": {"sourceResourceId": VM}}]}]))

    bclient = type("B", (), {"backup_protected_items": Ops})()
    assert list(_backup.protected_items(bclient, "rg1", "rsv1")) == [VM.lower()]

    class Bad:
        list = staticmethod(pager([{"value": [{"id": "item", "properties": {}}]}]))

    bclient = type("B", (), {"backup_protected_items": Bad})()
    with pytest.raises(AzbError, match="without the VM it protects"):
        _backup.protected_items(bclient, "rg1", "rsv1")


def test_get_reads_a_missing_vault_as_an_error_and_a_missing_item_as_none():
    from azure.core.exceptions import ResourceNotFoundError

    def raising(code, message):
        def get(*_args, **_kwargs):
            exc = ResourceNotFoundError(message)
            exc.error = type("E", (), {"code": code, "message": message})()
            raise exc
        return type("Ops", (), {"get": staticmethod(get)})

    assert _backup.get(raising("BMSUserErrorPolicyNotFound", "Policy 'p' was not found."), "rsv1", "rg1", "p") is None
    missing_vault = ("The Resource 'Microsoft.RecoveryServices/vaults/rsv1' under resource group 'rg1' was not "
                     "found.")
    missing_group = "Resource group 'rg1' could not be found."
    for code, message in (("ResourceNotFound", missing_vault), ("ResourceGroupNotFound", missing_group)):
        with pytest.raises(AzbError, match="vault 'rsv1' in resource group 'rg1' was not found"):
            _backup.get(raising(code, message), "rsv1", "rg1", "p")
