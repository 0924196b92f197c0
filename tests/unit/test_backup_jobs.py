"""backup_now / backup_job_info helpers: options, job views and error codes, the job wait (no network)."""

import datetime

import pytest

from ansible_collections.azbackup.vmprep.plugins.module_utils import _backup_jobs as jobs
from ansible_collections.azbackup.vmprep.plugins.module_utils._errors import AzbError

TODAY = datetime.date(2026, 11, 30)


def test_retention_options():
    assert jobs.validate_now({"vms": ["x"], "retain_days": None}, TODAY) == "2026-12-30T00:00:00Z"
    assert jobs.validate_now({"vms": ["x"], "retain_days": 1}, TODAY) == "2026-12-01T00:00:00Z"
    assert jobs.validate_now({"vms": ["x"], "retain_until": "2027-01-31"}, TODAY) == "2027-01-31T00:00:00Z"
    for bad, words in (({"retain_until": "2026-11-30"}, "after today"), ({"retain_until": "2027-02-29"}, "YYYY-MM-DD"),
                       ({"retain_until": "2027-2-1"}, "YYYY-MM-DD"), ({"retain_until": "2054-05-01"}, "9999 days"),
                       ({"retain_days": 10000}, "retain_days"), ({"max_concurrency": 65}, "max_concurrency")):
        with pytest.raises(AzbError, match=words):
            jobs.validate_now(dict({"vms": ["x"]}, **bad), TODAY)
    with pytest.raises(AzbError, match="at least one"):
        jobs.validate_now({"vms": []}, TODAY)


def test_error_code_from_title_else_dynamic_message():
    props = {"errorDetails": [{"errorCode": 400001, "errorTitle": "UserErrorGuestAgentStatusUnavailable",
                               "errorString": "VM Agent unable to communicate.", "recommendations": ["Fix it."]}]}
    assert jobs.error_of(props) == ("UserErrorGuestAgentStatusUnavailable", 400001, "VM Agent unable to communicate.",
                                    ["Fix it."])
    props = {"errorDetails": [{"errorCode": 400002}],
             "extendedInfo": {"dynamicErrorMessage": "ExtensionSnapshotFailedNoNetwork: Snapshot operation failed."}}
    code, number, message, _recs = jobs.error_of(props)
    assert (code, number) == ("ExtensionSnapshotFailedNoNetwork", 400002) and message.startswith("Extension")
    assert jobs.error_of({}) == (None, None, None, [])


def test_job_view_duration_and_vm_match():
    view = jobs.job_view({"name": "j1", "properties": {
        "operation": "Backup", "status": "Completed", "entityFriendlyName": "vm1",
        "containerName": "iaasvmcontainerv2;rg-app;vm1", "startTime": "2026-11-30T08:00:00.5Z",
        "endTime": "2026-11-30T08:01:02Z", "duration": "PT1M1.5S"}})
    assert view["duration_seconds"] == 61.5 and view["job_id"] == "j1"
    assert jobs.job_of_vm(view, {"name": "VM1", "resource_group": "RG-App"})
    assert not jobs.job_of_vm(view, {"name": "vm1", "resource_group": "rg-other"})
    assert jobs.parse_duration("P1DT2H") == 93600.0 and jobs.parse_duration("soon") is None
    with pytest.raises(AzbError, match="without properties"):
        jobs.job_view({"name": "j"})


def test_job_filter_terms():
    since = datetime.datetime(2026, 11, 30, 7, 5, 0)
    text = jobs.job_filter(status="InProgress", operation="Backup", since=since, until=since)
    assert text == ("backupManagementType eq 'AzureIaasVM' and status eq 'InProgress' and operation eq 'Backup' and "
                    "startTime eq '2026-11-30 07:05:00 AM' and endTime eq '2026-11-30 07:05:00 AM'")


def test_wait_jobs_polls_together_at_growing_intervals(monkeypatch):
    rounds = iter([["InProgress", "InProgress"], ["Completed", "InProgress"], ["Completed", "Failed"]])
    calls = []

    def listed(_client, _rg, _vault, flt):
        calls.append(("list", flt))
        states = next(rounds)
        return [{"job_id": "j1", "status": states[0]}, {"job_id": "j2", "status": states[1]},
                {"job_id": "other", "status": "InProgress"}]

    monkeypatch.setattr(jobs, "list_jobs", listed)
    monkeypatch.setattr(jobs, "get_job", lambda _c, _r, _v, j: calls.append(("get", j)) or
                        {"job_id": j, "status": "Failed", "_retry_after": None})
    slept, now = [], [0.0]

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    since = datetime.datetime(2026, 11, 30, 8, 0, 0)
    views, late = jobs.wait_jobs(None, "rg", "v", ["j1", "j2"], since, 100.0, sleep=sleep, clock=lambda: now[0])
    assert late == [] and views["j1"]["status"] == "Completed" and views["j2"]["status"] == "Failed"
    # Two lists while both ran, then one GET for the last one.
    assert [c[0] for c in calls] == ["list", "list", "get"] and slept == [1.0, 2.0, 4.0]
    assert "startTime eq '2026-11-30 08:00:00 AM'" in calls[0][1]


def test_wait_jobs_deadline_and_retry_after(monkeypatch):
    running = {"status": "InProgress", "_retry_after": 7.0}
    monkeypatch.setattr(jobs, "get_job", lambda _c, _r, _v, j: dict(running, job_id=j))
    slept, now = [], [0.0]

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    views, late = jobs.wait_jobs(None, "rg", "v", ["j1"], None, 20.0, sleep=sleep, clock=lambda: now[0])
    assert late == ["j1"] and views["j1"]["status"] == "InProgress"
    assert slept == [1.0, 7.0, 7.0]  # the job read's Retry-After is honoured after the first read
    monkeypatch.setattr(jobs, "get_job", lambda *_a: None)
    with pytest.raises(AzbError, match="no longer knows"):
        jobs.wait_jobs(None, "rg", "v", ["j1"], None, 20.0, sleep=sleep, clock=lambda: 0.0)


def test_names_with_padding_are_refused():
    for params, words in (({"vault_name": "rsv1\n"}, "vault_name"), ({"vault_resource_group": " rg"}, "vault_resource_group"),
                          ({"vms": [{"name": "vm1\n", "resource_group": "rg"}]}, r"vms\[0\].name"),
                          ({"vms": ["/subscriptions/x\n"]}, r"vms\[0\]")):
        with pytest.raises(AzbError, match=words):
            jobs.reject_padding(params)
    jobs.reject_padding({"vault_name": "rsv1", "vms": [{"name": "vm1", "resource_group": "rg"}, "id"]})
