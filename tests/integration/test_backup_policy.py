"""backup_policy and backup_policy_info against the ARM sandbox (real SDK over HTTPS, the collection installed from
its tarball): create, idempotence with one GET, merge of the options given onto the policy, check mode, diff,
enhanced hourly and weekly policies, combinations Azure refuses rejected before any request, delete, delete of a
policy in use, the info module, busy and lost answers."""

import json
import os
import sys

import pytest
from conftest import FAULT_PROFILES, ROOT

sys.path.insert(0, os.path.join(ROOT, "tests", "sandbox", "tests"))
from sandbox_testlib import RawArm  # noqa: E402

RG = "rg-backup"
VAULT = "rsv1"
API = "2026-11-01"

DAILY = {"schedule": {"frequency": "daily", "times": ["22:30"]}, "time_zone": "W. Europe Standard Time",
         "retention": {"daily": {"count": 30}, "weekly": {"count": 12, "weekdays": ["Sunday"]},
                       "monthly": {"count": 12, "weeks": ["First"], "weekdays": ["Sunday"]}}}
HOURLY = {"policy_type": "enhanced", "instant_restore_days": 7,
          "schedule": {"frequency": "hourly", "hourly_interval": 4, "hourly_window_start": "08:00",
                       "hourly_window_hours": 12},
          "retention": {"daily": {"count": 30}}}
WEEKLY = {"schedule": {"frequency": "weekly", "weekdays": ["Saturday", "Wednesday"], "times": ["01:00"]},
          "instant_restore_days": 5,
          "retention": {"weekly": {"count": 52},
                        "monthly": {"count": 36, "weeks": ["Last"], "weekdays": ["Saturday"]},
                        "yearly": {"count": 10, "months": ["December"], "weeks": ["Last"], "weekdays": ["Saturday"]}}}


@pytest.fixture
def vault(sandbox):
    sandbox.control.load_fixtures({"resource_groups": [{"name": RG, "location": "westeurope"},
                                                       {"name": "rg-app", "location": "westeurope"}]})
    sandbox.control.load_fixtures({"vaults": [{"resource_group": RG, "name": VAULT, "location": "westeurope"}]})
    sandbox.control.clear_requests()
    return sandbox


def args(name="pol1", **kw):
    return dict({"vault_name": VAULT, "vault_resource_group": RG, "name": name}, **kw)


def vault_path(sandbox):
    return "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.RecoveryServices/vaults/%s" % (
        sandbox.subscription_id, RG, VAULT)


def stored(sandbox, name="pol1"):
    """The policy as the sandbox holds it (a raw GET, sent again when the session's fault profile answers it)."""
    for _unused in range(20):
        try:
            status, _unused, body = RawArm(sandbox).send("GET", "%s/backupPolicies/%s" % (vault_path(sandbox), name),
                                                         api_version=API)
        except OSError:
            continue
        if status in (200, 404):
            return body if status == 200 else None
    raise AssertionError("the sandbox did not answer a GET of policy %s" % name)


def served(sandbox, writes=None):
    """ARM requests that took effect: injected faults left out, except writes applied whose answer was lost."""
    log = [r for r in sandbox.control.requests() if r.get("kind") in ("arm", "lro-poll")]
    if writes is not None:
        log = [r for r in log if bool(r.get("is_write")) == writes]
    return [r for r in log if r.get("fault") in (None, "latency") or str(r.get("fault")).startswith("lost")]


def writes(sandbox):
    return served(sandbox, writes=True)


def faulted(sandbox):
    """Whether the session's fault profile (or the test) injected a fault: then a step may run again, and exact
    request counts hold only for a clean run."""
    return any(r.get("fault") not in (None, "latency") for r in sandbox.control.requests())


def methods(sandbox):
    return [r["method"] for r in served(sandbox)]


def assert_ok(result):
    assert not result.get("failed"), json.dumps(result, indent=1)
    assert "Traceback" not in json.dumps(result)


def assert_failed(result, *words):
    assert result.get("failed"), json.dumps(result, indent=1)
    assert "Traceback" not in json.dumps(result)
    for word in words:
        assert word in result["msg"], result["msg"]


def test_create_idempotent_rerun_with_one_get_then_change_one_option(run, vault):
    result = run.module("backup_policy", args(**DAILY))
    assert_ok(result)
    assert result["changed"] is True
    policy = result["policy"]
    assert policy["id"] == vault_path(vault) + "/backupPolicies/pol1"
    assert (policy["policy_type"], policy["time_zone"], policy["instant_restore_days"]) == (
        "standard", "W. Europe Standard Time", 2)
    assert policy["schedule"] == {"frequency": "daily", "times": ["22:30"], "weekdays": None, "hourly_interval": None,
                                  "hourly_window_start": None, "hourly_window_hours": None}
    assert policy["retention"] == {
        "daily": {"count": 30}, "weekly": {"count": 12, "weekdays": ["Sunday"]},
        "monthly": {"count": 12, "weeks": ["First"], "weekdays": ["Sunday"], "days": None}, "yearly": None}
    assert policy["protected_items_count"] == 0
    assert methods(vault) == ["GET", "PUT"] or faulted(vault)
    body = stored(vault)["properties"]
    assert body["schedulePolicy"]["schedulePolicyType"] == "SimpleSchedulePolicy"
    assert body["schedulePolicy"]["scheduleRunTimes"] == ["2020-01-01T22:30:00Z"]
    assert body["retentionPolicy"]["dailySchedule"]["retentionTimes"] == ["2020-01-01T22:30:00Z"]

    vault.control.clear_requests()
    again = run.module("backup_policy", args(**DAILY))
    assert_ok(again)
    assert again["changed"] is False and again["policy"] == policy
    assert methods(vault) == ["GET"] or faulted(vault)
    assert writes(vault) == []

    vault.control.clear_requests()
    changed = run.module("backup_policy", args(retention={"daily": {"count": 60}}), diff=True)
    assert_ok(changed)
    assert changed["changed"] is True
    assert changed["policy"]["retention"] == dict(policy["retention"], daily={"count": 60})
    assert {k: v for k, v in changed["policy"].items() if k != "retention"} == {
        k: v for k, v in policy.items() if k != "retention"}
    assert changed["diff"]["before"]["retention"]["daily"] == {"count": 30}
    assert changed["diff"]["after"]["retention"]["daily"] == {"count": 60}
    assert changed["diff"]["before"]["schedule"] == changed["diff"]["after"]["schedule"]
    assert "id" not in changed["diff"]["after"]
    put = [r for r in served(vault) if r["method"] == "PUT"]
    assert len(put) == 1
    # The schedule was not asked for: it is sent back exactly as read.
    assert put[0]["body"]["properties"]["schedulePolicy"] == body["schedulePolicy"]
    assert put[0]["body"]["properties"]["timeZone"] == "W. Europe Standard Time"


def test_check_mode_sends_no_write_and_predicts(run, vault):
    result = run.module("backup_policy", args(**DAILY), check=True, diff=True)
    assert_ok(result)
    assert result["changed"] is True and result["diff"]["before"] == {}
    assert result["diff"]["after"]["retention"]["daily"] == {"count": 30}
    assert result["policy"]["id"].endswith("/backupPolicies/pol1")
    assert writes(vault) == [] and stored(vault) is None
    assert_ok(run.module("backup_policy", args(**DAILY)))
    vault.control.clear_requests()
    result = run.module("backup_policy", args(schedule={"times": ["03:00"]}, instant_restore_days=4), check=True,
                        diff=True)
    assert_ok(result)
    assert result["changed"] is True
    assert result["diff"]["before"]["schedule"]["times"] == ["22:30"]
    assert result["diff"]["after"]["schedule"]["times"] == ["03:00"]
    assert result["diff"]["after"]["instant_restore_days"] == 4
    assert writes(vault) == []
    assert stored(vault)["properties"]["instantRpRetentionRangeInDays"] == 2


def test_enhanced_hourly_policy(run, vault):
    result = run.module("backup_policy", args("hourly", **HOURLY))
    assert_ok(result)
    policy = result["policy"]
    assert policy["policy_type"] == "enhanced" and policy["instant_restore_days"] == 7
    assert policy["schedule"] == {"frequency": "hourly", "times": None, "weekdays": None, "hourly_interval": 4,
                                  "hourly_window_start": "08:00", "hourly_window_hours": 12}
    props = stored(vault, "hourly")["properties"]
    assert props["policyType"] == "V2"
    assert props["schedulePolicy"] == {"schedulePolicyType": "SimpleSchedulePolicyV2", "scheduleRunFrequency": "Hourly",
                                       "hourlySchedule": {"interval": 4, "scheduleWindowStartTime":
                                                          "2020-01-01T08:00:00Z", "scheduleWindowDuration": 12}}
    again = run.module("backup_policy", args("hourly", **HOURLY))
    assert_ok(again)
    assert again["changed"] is False
    # Daily at one time, same enhanced policy: the hourly options go, the retention stays.
    daily = run.module("backup_policy", args("hourly", schedule={"frequency": "daily", "times": ["09:00"]}))
    assert_ok(daily)
    assert daily["policy"]["schedule"]["frequency"] == "daily"
    assert daily["policy"]["schedule"]["hourly_interval"] is None
    assert stored(vault, "hourly")["properties"]["schedulePolicy"]["dailySchedule"] == {
        "scheduleRunTimes": ["2020-01-01T09:00:00Z"]}


@pytest.mark.parametrize("policy_type", ["standard", "enhanced"])
def test_weekly_with_weekly_monthly_yearly_retention(run, vault, policy_type):
    result = run.module("backup_policy", args("weekly", policy_type=policy_type, **WEEKLY))
    assert_ok(result)
    policy = result["policy"]
    assert policy["schedule"]["weekdays"] == ["Wednesday", "Saturday"]
    # Left out, the weekly retention keeps the schedule's days.
    assert policy["retention"]["weekly"] == {"count": 52, "weekdays": ["Wednesday", "Saturday"]}
    assert policy["retention"]["daily"] is None
    assert policy["retention"]["yearly"] == {"count": 10, "months": ["December"], "weeks": ["Last"],
                                             "weekdays": ["Saturday"], "days": None}
    assert run.module("backup_policy", args("weekly", policy_type=policy_type, **WEEKLY))["changed"] is False
    # Remove the yearly tier only.
    result = run.module("backup_policy", args("weekly", retention={"yearly": {"count": 0}}))
    assert_ok(result)
    assert result["changed"] is True and result["policy"]["retention"]["yearly"] is None
    assert result["policy"]["retention"]["monthly"]["count"] == 36
    assert "yearlySchedule" not in stored(vault, "weekly")["properties"]["retentionPolicy"]


BAD = [
    (dict(DAILY, schedule={"frequency": "hourly", "hourly_interval": 4, "hourly_window_start": "08:00",
                           "hourly_window_hours": 12}, policy_type="standard"), "policy_type=enhanced"),
    (dict(DAILY, instant_restore_days=10, policy_type="standard"), "instant_restore_days"),
    (dict(DAILY, instant_restore_days=31), "instant_restore_days"),
    (dict(DAILY, schedule={"frequency": "daily", "times": ["02:00", "14:00"]}), "schedule.times"),
    (dict(DAILY, schedule={"frequency": "daily", "times": ["02:15"]}), "schedule.times[0]"),
    (dict(DAILY, schedule={"frequency": "daily", "times": ["02:00"], "weekdays": ["Monday"]}), "schedule.weekdays"),
    (dict(DAILY, retention={"daily": {"count": 3}}), "retention.daily.count"),
    (dict(WEEKLY, retention={"daily": {"count": 30}, "weekly": {"count": 4}}), "retention.daily"),
    (dict(WEEKLY, retention={"weekly": {"count": 4, "weekdays": ["Monday"]}}), "retention.weekly.weekdays"),
    (dict(WEEKLY, retention={"weekly": {"count": 4}, "monthly": {"count": 2, "days": [1]}}), "retention.monthly.days"),
    (dict(DAILY, retention={"daily": {"count": 30}, "monthly": {"count": 2, "days": [1], "weeks": ["First"]}}),
     "retention.monthly"),
    (dict(DAILY, retention={"daily": {"count": 30}, "monthly": {"count": 2, "days": [29]}}), "retention.monthly.days"),
    (dict(DAILY, retention={"daily": {"count": 30}, "yearly": {"count": 2, "months": ["Smarch"], "days": [1]}}),
     "retention.yearly.months"),
    (dict(HOURLY, schedule=dict(HOURLY["schedule"], hourly_window_hours=2)), "schedule.hourly_window_hours"),
    (dict(DAILY, time_zone="Europe/Berlin"), "time_zone"),
    (dict(DAILY, name="a/b"), "name"),
    (dict(WEEKLY, instant_restore_days=3), "instant_restore_days must be 5"),
    (dict(WEEKLY, instant_restore_days=7, policy_type="enhanced"), "instant_restore_days must be 5"),
]


@pytest.mark.parametrize("options,word", BAD, ids=[w + "-%d" % i for i, (_o, w) in enumerate(BAD)])
def test_combinations_azure_refuses_fail_before_any_request(run, vault, options, word):
    result = run.module("backup_policy", dict(args(), **options))
    assert_failed(result, word)
    assert vault.control.requests() == []  # not even a login


def test_combinations_that_need_the_policy_fail_before_any_write(run, vault):
    assert_ok(run.module("backup_policy", args(**DAILY)))
    vault.control.clear_requests()
    for options, word in (({"policy_type": "enhanced"}, "cannot change to enhanced"),
                          ({"schedule": {"frequency": "hourly", "hourly_interval": 4, "hourly_window_start": "08:00",
                                         "hourly_window_hours": 12}}, "policy_type=enhanced"),
                          ({"schedule": {"weekdays": ["Monday"]}}, "schedule.weekdays"),
                          ({"schedule": {"frequency": "weekly"}}, "schedule.weekdays"),
                          ({"retention": {"daily": {"count": 0}}}, "retention.daily.count")):
        assert_failed(run.module("backup_policy", args(**options)), word)
    assert writes(vault) == []
    assert run.module("backup_policy", args("new", retention={"daily": {"count": 30}}))["msg"].startswith(
        "schedule (with frequency) is required")


def test_delete_and_delete_while_in_use_names_the_count(run, vault, request):
    assert_ok(run.module("backup_policy", args(**DAILY)))
    assert_ok(run.module("backup_policy", args("spare", **DAILY)))
    # Two VMs protected with pol1 by raw requests (without the session's faults, which are set again after).
    vault.control.clear_faults()
    vault.control.load_fixtures({"virtual_machines": [{"resource_group": "rg-app", "name": "vm1"},
                                                      {"resource_group": "rg-app", "name": "vm2"}]})
    arm = RawArm(vault)
    base = vault_path(vault)
    status, headers, _unused = arm.send("POST", base + "/backupFabrics/Azure/refreshContainers", api_version=API)
    assert status == 202
    for _unused in range(50):
        if arm.send("GET", "/" + headers["Location"].split("://", 1)[1].split("/", 1)[1])[0] != 202:
            break
    for vm in ("vm1", "vm2"):
        cname = "iaasvmcontainerv2;rg-app;%s" % vm
        body = {"properties": {"protectedItemType": "Microsoft.Compute/virtualMachines",
                               "policyId": base + "/backupPolicies/pol1",
                               "sourceResourceId": "/subscriptions/%s/resourceGroups/rg-app/providers/"
                                                   "Microsoft.Compute/virtualMachines/%s" % (vault.subscription_id, vm)}}
        status = arm.send("PUT", "%s/backupFabrics/Azure/protectionContainers/IaasVMContainer;%s/protectedItems/VM;%s"
                          % (base, cname, cname), body, api_version=API)[0]
        assert status == 202
    profile = FAULT_PROFILES[request.config.getoption("--fault-profile")]
    if profile:
        vault.control.set_faults(**profile)
    vault.control.clear_requests()
    result = run.module("backup_policy", args(state="absent"))
    assert_failed(result, "still protects 2 items", "protectedItemsCount")
    assert result["error_code"] == "BMSUserErrorPolicyInUse"
    assert writes(vault) == [] and stored(vault) is not None
    info = run.module("backup_policy_info", {"vault_name": VAULT, "vault_resource_group": RG, "name": "pol1"})
    assert info["policies"][0]["protected_items_count"] == 2

    result = run.module("backup_policy", args("spare", state="absent"), check=True, diff=True)
    assert_ok(result)
    assert result["changed"] is True and result["diff"]["after"] == {} and stored(vault, "spare") is not None
    vault.control.clear_requests()
    result = run.module("backup_policy", args("spare", state="absent"), diff=True)
    assert_ok(result)
    assert result["changed"] is True and result["policy"] == {}
    assert result["diff"]["before"]["name"] == "spare"
    assert methods(vault) == ["GET", "DELETE"] or faulted(vault)
    assert [r["method"] for r in writes(vault)] == ["DELETE"]
    assert stored(vault, "spare") is None
    again = run.module("backup_policy", args("spare", state="absent"))
    assert_ok(again)
    assert again["changed"] is False


def test_info_lists_and_gets(run, vault):
    info = {"vault_name": VAULT, "vault_resource_group": RG}
    empty = run.module("backup_policy_info", info)
    assert_ok(empty)
    assert empty["policies"] == [] and empty["changed"] is False
    made = {}
    for name, options in (("daily", DAILY), ("hourly", HOURLY), ("weekly", WEEKLY)):
        result = run.module("backup_policy", args(name, **options))
        assert_ok(result)
        made[name] = result["policy"]
    vault.control.clear_requests()
    listed = run.module("backup_policy_info", info)
    assert_ok(listed)
    assert [p["name"] for p in listed["policies"]] == ["daily", "hourly", "weekly"]
    assert listed["policies"] == [made["daily"], made["hourly"], made["weekly"]]
    assert methods(vault) == ["GET"] or faulted(vault)
    one = run.module("backup_policy_info", dict(info, name="hourly"))
    assert one["policies"] == [made["hourly"]]
    assert run.module("backup_policy_info", dict(info, name="nope"))["policies"] == []
    # A result given back to the module changes nothing.
    options = {k: v for k, v in made["weekly"].items() if k not in ("id", "protected_items_count")}
    options["schedule"] = {k: v for k, v in options["schedule"].items() if v is not None}
    options["retention"] = {t: {k: v for k, v in e.items() if v is not None} if e else None
                            for t, e in options["retention"].items()}
    options["retention"] = {t: e for t, e in options["retention"].items() if e}
    again = run.module("backup_policy", dict(args(), **options))
    assert_ok(again)
    assert again["changed"] is False


def test_busy_answers_are_retried(run, vault):
    vault.control.set_faults(busy_rate=0.5, busy_retry_after_rate=0.0, busy_lro_rate=0.5, seed=3)
    for options in (DAILY, {"retention": {"daily": {"count": 45}}}, {"state": "absent"}):
        result = run.module("backup_policy", args(wait_timeout=120, **options))
        assert_ok(result)
        assert result["changed"] is True
    assert stored(vault) is None
    assert any(r.get("fault") for r in vault.control.requests()), "no busy answer was injected"


def test_a_write_whose_answer_was_lost_reports_changed(run, vault):
    vault.control.set_faults(lost_answer_rate=1.0, lost_answer_kinds=["drop", 500], seed=4)
    result = run.module("backup_policy", args(**DAILY), diff=True)
    assert_ok(result)
    assert result["changed"] is True and result["diff"]["before"] == {}
    assert result["policy"]["retention"]["daily"] == {"count": 30}
    result = run.module("backup_policy", args(instant_restore_days=3), diff=True)
    assert_ok(result)
    assert result["changed"] is True and result["policy"]["instant_restore_days"] == 3
    result = run.module("backup_policy", args(state="absent"))
    assert_ok(result)
    assert result["changed"] is True
    vault.control.clear_faults()
    assert stored(vault) is None
    # Each write was sent once and landed (its answer lost): nothing was replayed blindly. (A profile that also
    # refuses writes as busy adds refused attempts; those changed nothing and are left out.)
    sent = [r for r in writes(vault) if r["method"] in ("PUT", "DELETE")]
    assert len(sent) == 3 and all(str(r.get("fault")).startswith("lost") for r in sent), sent


def test_a_missing_vault_is_an_error_not_a_missing_policy(run, vault):
    for state in ("absent", "present"):
        result = run.module("backup_policy", dict(args(state=state, **DAILY), vault_name="rsv-nope"))
        assert_failed(result, "vault 'rsv-nope'", "was not found")
    result = run.module("backup_policy_info", {"vault_name": "rsv-nope", "vault_resource_group": RG, "name": "p1"})
    assert_failed(result, "vault 'rsv-nope'")
    assert writes(vault) == []


def test_days_of_the_month_and_switching_retention_formats(run, vault):
    options = {"schedule": {"frequency": "daily", "times": ["02:00"]},
               "retention": {"daily": {"count": 7}, "monthly": {"count": 6, "days": [1, "Last"]},
                             "yearly": {"count": 2, "months": ["June"], "days": [15]}}}
    result = run.module("backup_policy", args("days", **options))
    assert_ok(result)
    assert result["policy"]["retention"]["monthly"] == {"count": 6, "days": [1, "Last"], "weeks": None,
                                                        "weekdays": None}
    monthly = stored(vault, "days")["properties"]["retentionPolicy"]["monthlySchedule"]
    assert monthly["retentionScheduleDaily"]["daysOfTheMonth"] == [{"date": 1, "isLast": False},
                                                                   {"date": 0, "isLast": True}]
    assert run.module("backup_policy", args("days", **options))["changed"] is False
    # Weeks and weekdays given: the days go.
    result = run.module("backup_policy", args("days", retention={"monthly": {"weeks": ["Second"],
                                                                             "weekdays": ["Friday"]}}))
    assert_ok(result)
    assert result["policy"]["retention"]["monthly"] == {"count": 6, "days": None, "weeks": ["Second"],
                                                        "weekdays": ["Friday"]}
    assert result["policy"]["retention"]["yearly"]["days"] == [15]


@pytest.mark.parametrize("policy_type", ["standard", "enhanced"])
def test_a_weekly_policy_keeps_instant_restore_snapshots_5_days(run, vault, policy_type):
    """Azure refuses a weekly schedule whose instant restore retention is not 5 days (BMSUserErrorInvalidPolicyInput):
    a new weekly policy gets 5, and a daily policy switched to weekly without instant_restore_days fails before the
    write instead of writing a value nobody asked for."""
    weekly = dict((k, v) for k, v in WEEKLY.items() if k != "instant_restore_days")
    result = run.module("backup_policy", args("weekly", policy_type=policy_type, **weekly))
    assert_ok(result)
    assert result["policy"]["instant_restore_days"] == 5
    assert stored(vault, "weekly")["properties"]["instantRpRetentionRangeInDays"] == 5
    assert run.module("backup_policy", args("weekly", policy_type=policy_type, **weekly))["changed"] is False

    assert_ok(run.module("backup_policy", args("daily", policy_type=policy_type, **DAILY)))
    assert stored(vault, "daily")["properties"]["instantRpRetentionRangeInDays"] == 2
    vault.control.clear_requests()
    switch = {"schedule": {"frequency": "weekly", "weekdays": ["Sunday"]}, "retention": {"weekly": {"count": 12}}}
    result = run.module("backup_policy", args("daily", **switch))
    assert_failed(result, "instant_restore_days=5", "2 days")
    assert writes(vault) == []
    assert stored(vault, "daily")["properties"]["schedulePolicy"]["scheduleRunFrequency"] == "Daily"
    result = run.module("backup_policy", args("daily", instant_restore_days=5, **switch))
    assert_ok(result)
    assert result["changed"] is True and result["policy"]["instant_restore_days"] == 5
    assert result["policy"]["schedule"]["frequency"] == "weekly"
    # Another value for the weekly policy now: refused after the read, before any write.
    vault.control.clear_requests()
    assert_failed(run.module("backup_policy", args("daily", instant_restore_days=3)), "instant_restore_days must be 5")
    assert writes(vault) == []


def test_time_zone_in_another_case_is_no_change(run, vault):
    assert_ok(run.module("backup_policy", args(**DAILY)))
    vault.control.clear_requests()
    options = dict(DAILY)
    options["time_zone"] = "w. europe STANDARD time"
    result = run.module("backup_policy", args(**options), diff=True)
    assert_ok(result)
    assert result["changed"] is False and result["policy"]["time_zone"] == "W. Europe Standard Time"
    assert result["diff"]["before"] == result["diff"]["after"]
    assert writes(vault) == []
    assert methods(vault) == ["GET"] or faulted(vault)
