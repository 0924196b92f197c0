"""Azure VM backup policies: options <-> ARM ProtectionPolicyResource translation, merge, Azure's rules (no network)."""

import copy
import json
import os

import pytest

from ansible_collections.azbackup.vmprep.plugins.module_utils import _backup_policy as pol
from ansible_collections.azbackup.vmprep.plugins.module_utils._errors import AzbError

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
EXAMPLES = os.path.join(ROOT, "tests", "sandbox", "tests", "examples")


def example(name):
    with open(os.path.join(EXAMPLES, name), encoding="utf-8") as handle:
        return json.load(handle)["responses"]["200"]["body"]


def params(**kw):
    base = {"name": "pol1", "state": "present", "policy_type": None, "schedule": None, "time_zone": None,
            "instant_restore_days": None, "retention": None, "wait_timeout": 900}
    base.update(kw)
    return base


def schedule(**kw):
    base = dict((k, None) for k in ("frequency", "times", "weekdays", "hourly_interval", "hourly_window_start",
                                    "hourly_window_hours"))
    base.update(kw)
    return base


def tier(name, **kw):
    base = dict((k, None) for k in pol._TIER_OPTIONS[name])
    base.update(kw)
    return base


def retention(**tiers):
    out = {}
    for name in pol.TIERS:
        out[name] = tier(name, **tiers[name]) if name in tiers else None
    return out


def daily_policy():
    given = pol.given_form(params(schedule=schedule(frequency="daily", times=["22:30"]), time_zone="UTC",
                                  retention=retention(daily={"count": 30}, weekly={"count": 12, "weekdays": ["sunday"]},
                                                      monthly={"count": 12, "weeks": ["first"],
                                                               "weekdays": ["Sunday"]})))
    return pol.merge(None, given, "pol1")


# ---- ARM -> options ---------------------------------------------------------------------------------------------

def test_the_v1_spec_example_reads_as_options():
    form = pol.from_arm(example("ProtectionPolicies_CreateOrUpdate_Simple.json"))
    assert form["policy_type"] == "standard" and form["name"] == "testPolicy1"
    assert form["schedule"] == schedule(frequency="daily", times=["02:00"])
    assert form["time_zone"] == "Pacific Standard Time" and form["instant_restore_days"] is None
    assert form["retention"] == retention(daily={"count": 1})
    assert form["protected_items_count"] == 0


def test_the_v2_spec_example_reads_as_options():
    form = pol.from_arm(example("IaaS_v2_daily.json"))
    assert form["policy_type"] == "enhanced" and form["instant_restore_days"] == 30
    assert form["schedule"] == schedule(frequency="daily", times=["10:00"])
    assert form["retention"] == retention(
        daily={"count": 180}, weekly={"count": 12, "weekdays": ["Sunday"]},
        monthly={"count": 60, "weekdays": ["Sunday"], "weeks": ["First"]},
        yearly={"count": 10, "months": ["January"], "weekdays": ["Sunday"], "weeks": ["First"]})


def test_options_round_trip_through_arm():
    for given in (
        params(schedule=schedule(frequency="daily", times=["22:30"]),
               retention=retention(daily={"count": 30}, monthly={"count": 6, "days": [1, "Last", "15"]},
                                   yearly={"count": 3, "months": ["March", "january"], "days": ["last"]})),
        params(policy_type="enhanced", instant_restore_days=20,
               schedule=schedule(frequency="hourly", hourly_interval=6, hourly_window_start="06:30",
                                 hourly_window_hours=18), retention=retention(daily={"count": 9999})),
        params(policy_type="enhanced", schedule=schedule(frequency="weekly", times=["01:00"],
                                                         weekdays=["Saturday", "monday"]),
               retention=retention(weekly={"count": 52}, monthly={"count": 2, "weeks": ["Last", "First"],
                                                                  "weekdays": ["Monday"]})),
    ):
        form = pol.merge(None, pol.given_form(given), "pol1")
        arm = dict(pol.body(form), id="x", name="pol1")
        back = pol.from_arm(arm)
        assert {k: back[k] for k in pol.DIFF_KEYS} == {k: form[k] for k in pol.DIFF_KEYS}
    assert form["schedule"]["weekdays"] == ["Monday", "Saturday"]
    assert form["retention"]["monthly"]["weeks"] == ["First", "Last"]


def test_day_of_month_last_is_azures_is_last():
    form = pol.merge(None, pol.given_form(params(schedule=schedule(frequency="daily", times=["02:00"]),
                                                 retention=retention(daily={"count": 7},
                                                                     monthly={"count": 1, "days": ["Last", 2]}))),
                     "pol1")
    node = pol.body(form)["properties"]["retentionPolicy"]["monthlySchedule"]
    assert node["retentionScheduleFormatType"] == "Daily"
    assert node["retentionScheduleDaily"]["daysOfTheMonth"] == [{"date": 2, "isLast": False},
                                                                {"date": 0, "isLast": True}]


@pytest.mark.parametrize("change,why", [
    (lambda p: p["properties"].update(backupManagementType="AzureWorkload"), "not for Azure VMs"),
    (lambda p: p["properties"]["schedulePolicy"].update(schedulePolicyType="LogSchedulePolicy"), "schedulePolicyType"),
    (lambda p: p["properties"]["schedulePolicy"].update(scheduleRunFrequency="Hourly"), "frequency"),
    (lambda p: p["properties"]["schedulePolicy"].update(scheduleRunTimes=["2 am"]), "scheduleRunTimes"),
    (lambda p: p["properties"]["retentionPolicy"].update(retentionPolicyType="SimpleRetentionPolicy"),
     "LongTermRetentionPolicy"),
    (lambda p: p["properties"]["retentionPolicy"]["dailySchedule"].update(retentionDuration={"count": "1"}), "count"),
    (lambda p: p["properties"].update(policyType="V2"), "schedulePolicyType"),
    (lambda p: p["properties"].update(instantRpRetentionRangeInDays="2"), "instantRpRetentionRangeInDays"),
])
def test_a_policy_of_unknown_shape_fails_closed(change, why):
    policy = example("ProtectionPolicies_CreateOrUpdate_Simple.json")
    change(policy)
    with pytest.raises(AzbError) as err:
        pol.from_arm(policy)
    assert why in err.value.msg


# ---- merge: options left out keep the policy's values ------------------------------------------------------------

def test_options_left_out_keep_current_values():
    current = daily_policy()
    desired = pol.merge(current, pol.given_form(params(retention={"daily": {"count": 60}})), "pol1")
    assert pol.changed_keys(current, desired) == ["retention"]
    assert desired["retention"]["weekly"] == current["retention"]["weekly"]
    assert desired["retention"]["daily"] == {"count": 60}
    same = pol.merge(current, pol.given_form(params(schedule={"times": ["22:30"]})), "pol1")
    assert pol.changed_keys(current, same) == []


def test_create_defaults():
    form = daily_policy()
    assert (form["policy_type"], form["instant_restore_days"]) == ("standard", 2)
    assert pol.merge(None, pol.given_form(params(schedule=schedule(frequency="daily", times=["02:00"]),
                                                 retention=retention(daily={"count": 7}))),
                     "p")["time_zone"] == "UTC"


def test_switch_to_weekly_drops_daily_retention_and_keeps_the_time():
    current = daily_policy()
    desired = pol.merge(current, pol.given_form(params(
        schedule=schedule(frequency="weekly", weekdays=["Sunday"]),
        retention={"weekly": {"count": 12}})), "pol1")
    assert desired["schedule"] == schedule(frequency="weekly", times=["22:30"], weekdays=["Sunday"])
    assert desired["retention"]["daily"] is None
    assert desired["retention"]["weekly"] == tier("weekly", count=12, weekdays=["Sunday"])


def test_count_zero_removes_a_tier_and_days_replace_weeks():
    current = daily_policy()
    desired = pol.merge(current, pol.given_form(params(retention={"weekly": {"count": 0},
                                                                  "monthly": {"days": [1]}})), "pol1")
    assert desired["retention"]["weekly"] is None
    assert desired["retention"]["monthly"] == tier("monthly", count=12, days=[1])
    arm = pol.body(desired, current)["properties"]["retentionPolicy"]
    assert "weeklySchedule" not in arm and arm["monthlySchedule"]["retentionScheduleFormatType"] == "Daily"


def test_the_write_keeps_what_the_module_does_not_manage():
    arm = example("IaaS_v2_daily.json")
    arm["properties"]["tieringPolicy"] = {"ArchivedRP": {"tieringMode": "DoNotTier"}}
    current = pol.from_arm(arm)
    desired = pol.merge(current, pol.given_form(params(instant_restore_days=10)), "v2-daily-sample")
    body = pol.body(desired, current, arm)["properties"]
    assert body["instantRpRetentionRangeInDays"] == 10
    assert body["snapshotConsistencyType"] == "OnlyCrashConsistent"
    assert body["tieringPolicy"] == {"ArchivedRP": {"tieringMode": "DoNotTier"}}
    # Not asked for: schedule and retention are sent exactly as read; read-only and null fields are left out.
    assert body["schedulePolicy"] == arm["properties"]["schedulePolicy"]
    assert body["retentionPolicy"] == arm["properties"]["retentionPolicy"]
    assert "protectedItemsCount" not in body and "resourceGuardOperationRequests" not in body


def test_a_new_time_moves_the_retention_times_too():
    current = daily_policy()
    desired = pol.merge(current, pol.given_form(params(schedule={"times": ["03:00"]})), "pol1")
    body = pol.body(desired, current, None)["properties"]
    assert body["schedulePolicy"]["scheduleRunTimes"] == ["2020-01-01T03:00:00Z"]
    for node in ("dailySchedule", "weeklySchedule", "monthlySchedule"):
        assert body["retentionPolicy"][node]["retentionTimes"] == ["2020-01-01T03:00:00Z"]


# ---- Azure's rules --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("given,word", [
    (params(name="-ab"), "name"),
    (params(name="a b c"), "name"),
    (params(time_zone="Europe/Berlin"), "time_zone"),
    (params(instant_restore_days=0), "instant_restore_days"),
    (params(instant_restore_days=6, policy_type="standard"), "1-5"),
    (params(instant_restore_days=31), "instant_restore_days"),
    (params(schedule=schedule(frequency="hourly"), policy_type="standard"), "policy_type=enhanced"),
    (params(schedule=schedule(times=["2:00"])), "schedule.times[0]"),
    (params(schedule=schedule(times=["02:10"])), "half hour"),
    (params(schedule=schedule(times=["02:00", "03:00"])), "exactly one time"),
    (params(schedule=schedule(times=[])), "exactly one time"),
    (params(schedule=schedule(weekdays=["Funday"])), "schedule.weekdays[0]"),
    (params(schedule=schedule(frequency="daily", weekdays=["Monday"])), "schedule.weekdays"),
    (params(schedule=schedule(frequency="hourly", times=["02:00"])), "schedule.times"),
    (params(schedule=schedule(frequency="daily", hourly_interval=4)), "schedule.hourly_interval"),
    (params(schedule=schedule(hourly_window_hours=3)), "schedule.hourly_window_hours"),
    (params(schedule=schedule(hourly_window_start="8")), "schedule.hourly_window_start"),
    (params(retention=retention(daily={"count": 6})), "retention.daily.count"),
    (params(retention=retention(weekly={"count": 5164})), "retention.weekly.count"),
    (params(retention=retention(monthly={"count": 1189})), "retention.monthly.count"),
    (params(retention=retention(yearly={"count": 100})), "retention.yearly.count"),
    (params(retention=retention(monthly={"days": [0]})), "retention.monthly.days[0]"),
    (params(retention=retention(monthly={"days": [True]})), "retention.monthly.days[0]"),
    (params(retention=retention(monthly={"days": ["1.5"]})), "retention.monthly.days[0]"),
    (params(retention=retention(monthly={"days": [1], "weeks": ["First"]})), "not both"),
    (params(retention=retention(yearly={"weeks": ["Fifth"]})), "retention.yearly.weeks[0]"),
    (params(retention=retention(weekly={"count": 0, "weekdays": ["Monday"]})), "count=0"),
    (params(schedule=schedule(frequency="weekly"), retention=retention(daily={"count": 30})), "retention.daily"),
    (params(schedule=schedule(frequency="weekly"), retention=retention(monthly={"days": [1]})),
     "retention.monthly.days"),
    (params(schedule=schedule(frequency="weekly", weekdays=["Sunday"]),
            retention=retention(yearly={"weekdays": ["Monday"]})), "retention.yearly.weekdays"),
])
def test_what_azure_refuses_fails_on_the_options_alone(given, word):
    with pytest.raises(AzbError) as err:
        pol.given_form(given)
    assert word in err.value.msg


@pytest.mark.parametrize("given,word", [
    (params(policy_type="enhanced"), "cannot change to enhanced"),
    (params(schedule=schedule(frequency="hourly", hourly_interval=4, hourly_window_start="08:00",
                              hourly_window_hours=12)), "policy_type=enhanced"),
    (params(schedule=schedule(weekdays=["Monday"])), "schedule.weekdays"),
    (params(schedule=schedule(frequency="weekly")), "schedule.weekdays"),
    (params(schedule=schedule(frequency="weekly", weekdays=["Monday"])), "retention.weekly.weekdays names Sunday"),
    (params(schedule=schedule(frequency="weekly", weekdays=["Sunday"]), retention={"weekly": {"count": 0}}),
     "retention.weekly.count"),
    (params(retention={"daily": {"count": 0}}), "retention.daily.count"),
    (params(retention={"yearly": {"count": 2}}), "retention.yearly needs days"),
    (params(retention={"yearly": {"count": 2, "days": [1]}}), "retention.yearly needs months"),
    (params(retention={"weekly": {"weekdays": None, "count": 3}, "monthly": {"count": 0}}), None),
])
def test_what_azure_refuses_fails_on_the_merge(given, word):
    current = daily_policy()
    if word is None:
        pol.merge(current, pol.given_form(given), "pol1")
        return
    with pytest.raises(AzbError) as err:
        pol.merge(current, pol.given_form(given), "pol1")
    assert word in err.value.msg


def test_create_needs_schedule_and_retention():
    with pytest.raises(AzbError, match="schedule"):
        pol.merge(None, pol.given_form(params(retention=retention(daily={"count": 7}))), "p")
    with pytest.raises(AzbError, match="retention is required"):
        pol.merge(None, pol.given_form(params(schedule=schedule(frequency="daily", times=["02:00"]))), "p")
    with pytest.raises(AzbError, match="policy_type=enhanced"):
        pol.merge(None, pol.given_form(params(schedule=schedule(frequency="hourly", hourly_interval=4,
                                                                hourly_window_start="08:00", hourly_window_hours=4),
                                              retention=retention(daily={"count": 7}))), "p")


def test_a_weekly_schedule_keeps_only_its_days():
    given = pol.given_form(params(schedule=schedule(frequency="weekly", times=["01:00"], weekdays=["Sunday"]),
                                  retention=retention(weekly={"count": 4})))
    form = pol.merge(None, given, "w")
    assert form["retention"]["weekly"]["weekdays"] == ["Sunday"]
    with pytest.raises(AzbError, match="retention.weekly.weekdays"):
        pol.merge(form, pol.given_form(params(schedule={"weekdays": ["Monday"]})), "w")


# ---- errors -------------------------------------------------------------------------------------------------

class Refused(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.response = type("R", (), {"status_code": 400, "text": lambda _self: "{}"})()
        self.error = type("E", (), {"code": code, "message": message})()


def test_policy_in_use_names_the_count():
    err = pol.translate(Refused("BMSUserErrorPolicyInUse", "Policy 'pol1' cannot be deleted because it is associated "
                                                           "with 3 protected item(s)."),
                        "deleting backup policy 'pol1'", "pol1", 0)
    assert err.code == "BMSUserErrorPolicyInUse" and "still protects 3 items" in err.msg and err.hint
    err = pol.translate(Refused("BMSUserErrorPolicyInUse", "in use"), "deleting", "pol1", 1)
    assert "still protects 1 item " in err.msg
    other = pol.translate(Refused("BMSUserErrorInvalidPolicyInput", "bad"), "creating backup policy 'p'", "p")
    assert other.msg == "creating backup policy 'p': bad" and other.code == "BMSUserErrorInvalidPolicyInput"


def test_for_diff_has_only_options():
    form = daily_policy()
    assert set(pol.for_diff(form)) == set(pol.DIFF_KEYS) and pol.for_diff(None) == {}
    assert pol.predict(form, "/v")["id"] == "/v/backupPolicies/pol1"
    assert copy.deepcopy(form) == form


def test_a_trailing_newline_is_refused_in_names_and_trimmed_from_values():
    with pytest.raises(AzbError, match="name"):
        pol.given_form(params(name="pol1\n"))
    given = pol.given_form(params(time_zone="UTC\n", schedule=schedule(times=[" 02:00\n"])))
    assert (given["time_zone"], given["schedule"]["times"]) == ("UTC", ["02:00"])


# ---- the module's write path with a 202 answer (Azure-AsyncOperation), without network ---------------------------

class FakeHttp(object):
    def __init__(self, status, body, headers=None):
        self.status_code = status
        self.headers = headers or {}
        self._text = json.dumps(body) if body is not None else ""

    def text(self):
        return self._text


class FakePolicies(object):
    """protection_policies of an SDK release without begin_create_or_update: the PUT answers 202."""

    def __init__(self, stored=None):
        self.stored = stored
        self.puts = []

    def get(self, vault, group, name, cls=None):
        from azure.core.exceptions import ResourceNotFoundError

        if self.stored is None:
            raise ResourceNotFoundError("Policy 'x' was not found.")
        from ansible_collections.azbackup.vmprep.plugins.module_utils import _backup

        return _backup.Answer(200, {}, copy.deepcopy(self.stored))

    def create_or_update(self, vault, group, name, payload, content_type=None, cls=None):
        from ansible_collections.azbackup.vmprep.plugins.module_utils import _backup

        body = json.loads(payload)
        self.puts.append(body)
        self.stored = dict(body, id="/v/backupPolicies/%s" % name, name=name)
        self.stored["properties"] = dict(body["properties"], protectedItemsCount=0)
        return _backup.Answer(202, {"Azure-AsyncOperation": "https://arm/op/1", "Retry-After": "0"}, None)


class FakeClients(object):
    subscription_id = "33333333-3333-3333-3333-333333333333"

    def __init__(self):
        self.polls = []

    def arm_pipeline(self):
        clients = self

        class Pipeline(object):
            def send_request(self, request):
                clients.polls.append(request.url)
                status = "InProgress" if len(clients.polls) < 2 else "Succeeded"
                return FakeHttp(200, {"id": "op/1", "name": "1", "status": status}, {"Retry-After": "0"})

        return Pipeline()


class FakeModule(object):
    def __init__(self, **kw):
        self.params = dict(params(**kw), vault_name="rsv1", vault_resource_group="rg1")
        self.check_mode = False
        self.result = None

    def exit(self, **kwargs):
        self.result = kwargs


def test_a_202_answer_is_followed_then_read_back():
    from ansible_collections.azbackup.vmprep.plugins.modules import backup_policy

    module = FakeModule(schedule=schedule(frequency="daily", times=["02:00"]), retention=retention(daily={"count": 7}))
    ops, clients = FakePolicies(), FakeClients()
    backup_policy.present(module, clients, ops, pol.given_form(module.params))
    assert clients.polls == ["https://arm/op/1", "https://arm/op/1"]
    assert module.result["changed"] is True
    assert module.result["policy"]["retention"]["daily"] == {"count": 7}
    assert module.result["policy"]["id"] == "/v/backupPolicies/pol1"
    assert len(ops.puts) == 1 and ops.puts[0]["properties"]["policyType"] == "V1"
    # Again: one read, no write.
    clients.polls[:] = []
    backup_policy.present(module, clients, ops, pol.given_form(module.params))
    assert module.result["changed"] is False and len(ops.puts) == 1 and clients.polls == []


def test_an_existing_v1_policy_without_policy_type_is_written_without_it():
    arm = example("ProtectionPolicies_CreateOrUpdate_Simple.json")
    current = pol.from_arm(arm)
    desired = pol.merge(current, pol.given_form(params(name="testPolicy1", instant_restore_days=3)), "testPolicy1")
    body = pol.body(desired, current, arm)["properties"]
    assert "policyType" not in body and body["instantRpRetentionRangeInDays"] == 3
    assert body["schedulePolicy"] == arm["properties"]["schedulePolicy"]
