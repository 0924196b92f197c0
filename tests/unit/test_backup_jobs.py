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


# ---- trigger(): deadline, accepted, lost answers (fakes, no network) -----------------------------------------

SENT = datetime.datetime(2026, 11, 30, 9, 0, 0)
TARGET = {"name": "vm1", "resource_group": "rg-app"}
PARAMS = {"vault_name": "rsv1", "vault_resource_group": "rg-backup", "wait_timeout": 60}


def _job(job_id, start, status="InProgress"):
    return {"job_id": job_id, "status": status, "start_time": start.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "container": "iaasvmcontainerv2;rg-app;vm1", "entity": "vm1"}


class _Fakes:
    """_backup.send / _backup.track / list_jobs replaced: ``answers`` are what each POST does (an exception to raise,
    else accepted naming job 'new'); ``listings`` what each jobs list returns (the last one repeats)."""

    def __init__(self, monkeypatch, answers=(), listings=((),), track_error=None):
        from ansible_collections.azbackup.vmprep.plugins.module_utils import _backup

        self.posts, self.lists, self.sleeps = 0, 0, []
        self.answers, self.listings = list(answers), [list(x) for x in listings]

        def send(*_args, **_kw):
            self.posts += 1
            outcome = self.answers.pop(0) if self.answers else None
            if isinstance(outcome, Exception):
                raise outcome  # pylint: disable=raising-bad-type
            return _backup.Answer(202, {}, None)

        def track(*_args, **_kw):
            if isinstance(track_error, Exception):
                raise track_error  # pylint: disable=raising-bad-type
            return {"properties": {"jobId": "new"}}

        def listed(*_args, **_kw):
            self.lists += 1
            return self.listings[min(self.lists - 1, len(self.listings) - 1)]

        monkeypatch.setattr(_backup, "send", send)
        monkeypatch.setattr(_backup, "track", track)
        monkeypatch.setattr(_backup, "job_id_of", lambda status: (status.get("properties") or {}).get("jobId"))
        monkeypatch.setattr(jobs, "list_jobs", listed)

    def run(self, **kw):
        kw.setdefault("now", lambda: SENT)
        return jobs.trigger(None, type("B", (), {"backups": None})(), PARAMS, TARGET, "2026-12-30T00:00:00Z", 60,
                            sleep=self.sleeps.append, **kw)


def _lost():
    from azure.core.exceptions import ServiceResponseError

    return ServiceResponseError("Connection aborted.", error=ConnectionResetError(104, "reset"))


def test_no_trigger_once_the_deadline_has_passed(monkeypatch):
    fakes = _Fakes(monkeypatch)
    state = {}
    with pytest.raises(AzbError, match="not triggered: wait_timeout .* reached before its turn"):
        fakes.run(deadline=0.0, clock=lambda: 5.0, state=state)
    assert fakes.posts == 0 and not state.get("accepted")


def test_accepted_trigger_is_triggered_even_when_following_it_times_out(monkeypatch):
    fakes = _Fakes(monkeypatch, track_error=AzbError("still running", code="OperationTimedOut"))
    state = {}
    with pytest.raises(AzbError, match="still running"):
        fakes.run(state=state)
    assert fakes.posts == 1 and state["accepted"] is True


def test_lost_answer_never_adopts_an_older_job_of_the_vm(monkeypatch):
    # A backup of vm1 failed 3 minutes before the trigger (inside the 5-minute list margin): not this run's job.
    older = _job("old", SENT - datetime.timedelta(minutes=3), status="Failed")
    fakes = _Fakes(monkeypatch, answers=[_lost()], listings=[[older]])
    assert fakes.run(known={"old"}) == "new"
    assert fakes.posts == 2  # the lost one never arrived: triggered again
    # Without the known ids, the start time alone still excludes it.
    fakes = _Fakes(monkeypatch, answers=[_lost()], listings=[[older]])
    assert fakes.run() == "new" and fakes.posts == 2


def test_lost_answer_waits_for_the_job_to_be_listed_before_triggering_again(monkeypatch):
    # The lost trigger landed, but its job shows only on the third list: followed, never sent twice.
    landed = _job("landed", SENT + datetime.timedelta(seconds=2))
    fakes = _Fakes(monkeypatch, answers=[_lost()], listings=[[], [], [landed]])
    state = {}
    assert fakes.run(known=set(), state=state) == "landed"
    assert fakes.posts == 1 and fakes.lists == 3 and state["accepted"] is True
    assert fakes.sleeps[-2:] == [jobs.LANDED_DELAY] * 2


def test_lost_answer_bounded_relisting_then_triggers_again(monkeypatch):
    fakes = _Fakes(monkeypatch, answers=[_lost()], listings=[[]])
    assert fakes.run(known=set()) == "new"
    assert fakes.posts == 2 and fakes.lists == jobs.LANDED_LISTS
