# -*- coding: utf-8 -*-
# Copyright: contributors to the azbackup.vmprep collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Azure VM backup policies: the module options of backup_policy <-> ARM ProtectionPolicyResource bodies.

An AzureIaasVM policy is Standard (policyType V1, SimpleSchedulePolicy: daily or weekly) or Enhanced (policyType V2,
SimpleSchedulePolicyV2: hourly, daily or weekly), with a LongTermRetentionPolicy (daily, weekly, monthly and yearly
tiers), instantRpRetentionRangeInDays and a Windows time zone (RecoveryServicesBackup 2026-11-01, bms.json).

The "form" is the module-option shape of a policy (what the module returns and diffs):
``{name, id, policy_type, protected_items_count, schedule, time_zone, instant_restore_days, retention}``.
A write is planned from the policy read just before: the options given are merged onto its form, and only the ARM
subtrees whose form changed are rebuilt; every other field of the policy is sent back as it was read.
"""

from __future__ import annotations

import copy
import re

from ansible_collections.azbackup.vmprep.plugins.module_utils._errors import AzbError, from_exception

BACKUP_MANAGEMENT_TYPE = "AzureIaasVM"
WEEKDAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
WEEKS = ("First", "Second", "Third", "Fourth", "Last")
FREQUENCIES = ("daily", "weekly", "hourly")
HOURLY_INTERVALS = (4, 6, 8, 12)
TIERS = ("daily", "weekly", "monthly", "yearly")
# Retention limits of Azure VM backup (count of days, weeks, months, years).
COUNT_LIMITS = {"daily": (7, 9999), "weekly": (1, 5163), "monthly": (1, 1188), "yearly": (1, 99)}
DURATION_TYPES = {"daily": "Days", "weekly": "Weeks", "monthly": "Months", "yearly": "Years"}
INSTANT_LIMITS = {"standard": 5, "enhanced": 30}
ARM_TYPE = {"standard": "V1", "enhanced": "V2"}
SCHEDULE_TYPE = {"standard": "SimpleSchedulePolicy", "enhanced": "SimpleSchedulePolicyV2"}
CREATE_DEFAULTS = {"policy_type": "standard", "time_zone": "UTC", "instant_restore_days": 2}
IN_USE = "bmsusererrorpolicyinuse"
_TIME = re.compile(r"^([01][0-9]|2[0-3]):(00|30)$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,149}$")
_TIME_ZONE = re.compile(r"^[A-Za-z][A-Za-z0-9 .()+,'-]{0,99}$")
_ARM_TIME = re.compile(r"T([0-2][0-9]):([0-5][0-9])")

# ---- options ------------------------------------------------------------------------------------------------

_TIER_OPTIONS = {
    "daily": dict(count=dict(type="int")),
    "weekly": dict(count=dict(type="int"), weekdays=dict(type="list", elements="str")),
    "monthly": dict(count=dict(type="int"), weekdays=dict(type="list", elements="str"),
                    weeks=dict(type="list", elements="str"), days=dict(type="list", elements="raw")),
    "yearly": dict(count=dict(type="int"), months=dict(type="list", elements="str"),
                   weekdays=dict(type="list", elements="str"), weeks=dict(type="list", elements="str"),
                   days=dict(type="list", elements="raw")),
}

ARGSPEC = dict(
    name=dict(type="str", required=True),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    policy_type=dict(type="str", choices=["standard", "enhanced"]),
    schedule=dict(type="dict", options=dict(
        frequency=dict(type="str", choices=list(FREQUENCIES)),
        times=dict(type="list", elements="str"),
        weekdays=dict(type="list", elements="str"),
        hourly_interval=dict(type="int", choices=list(HOURLY_INTERVALS)),
        hourly_window_start=dict(type="str"),
        hourly_window_hours=dict(type="int"),
    )),
    time_zone=dict(type="str"),
    instant_restore_days=dict(type="int"),
    retention=dict(type="dict", options=dict(
        (tier, dict(type="dict", options=opts)) for tier, opts in _TIER_OPTIONS.items())),
    wait_timeout=dict(type="int", default=900),
)


def _names(values, allowed, where):
    out = []
    lookup = dict((a.lower(), a) for a in allowed)
    for index, value in enumerate(values):
        key = str(value).strip().lower()
        if key not in lookup:
            raise AzbError("%s[%d] %r is not one of %s." % (where, index, value, ", ".join(allowed)))
        if lookup[key] not in out:
            out.append(lookup[key])
    if not out:
        raise AzbError("%s must name at least one of %s." % (where, ", ".join(allowed)))
    return sorted(out, key=allowed.index)


def _time(value, where):
    text = str(value).strip()
    if not _TIME.fullmatch(text):
        raise AzbError("%s %r is not a time Azure Backup takes: HH:MM (24-hour clock) on the hour or half hour, "
                       "for example 02:00 or 22:30." % (where, value))
    return text


def _days(values, where):
    out = []
    for index, value in enumerate(values):
        if isinstance(value, str) and value.strip().lower() == "last":
            day = "Last"
        else:
            try:
                day = int(str(value).strip()) if not isinstance(value, bool) else None
            except ValueError:
                day = None
            if day is None or not 1 <= day <= 28 or str(value).strip() not in (str(day), "0%d" % day):
                raise AzbError("%s[%d] %r is not a day of the month Azure Backup takes: 1 to 28, or Last."
                               % (where, index, value))
        if day not in out:
            out.append(day)
    if not out:
        raise AzbError("%s must name at least one day (1 to 28, or Last)." % where)
    return sorted(out, key=lambda d: 99 if d == "Last" else d)


def given_form(params):
    """The options given, checked and normalised (names capitalised, lists sorted): a partial form.

    Only what the user gave is in it (None = left out). Raises AzbError naming the option before any request.
    """
    name = params.get("name")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise AzbError("name must be 1-150 letters, digits, '-' or '_', starting with a letter or digit; got %r."
                       % name)
    given = {"policy_type": params.get("policy_type"), "time_zone": None, "instant_restore_days": None,
             "schedule": None, "retention": None}
    zone = params.get("time_zone")
    if zone is not None:
        if not _TIME_ZONE.fullmatch(zone.strip()):
            raise AzbError("time_zone must be a Windows time zone id such as UTC, 'W. Europe Standard Time' or "
                           "'Pacific Standard Time'; got %r." % zone)
        given["time_zone"] = zone.strip()
    instant = params.get("instant_restore_days")
    if instant is not None:
        top = INSTANT_LIMITS.get(given["policy_type"], max(INSTANT_LIMITS.values()))
        if not 1 <= instant <= top:
            raise AzbError("instant_restore_days must be 1-5 for a standard policy and 1-30 for an enhanced one%s; "
                           "got %s." % (" (policy_type=%s)" % given["policy_type"] if given["policy_type"] else "",
                                        instant))
        given["instant_restore_days"] = instant
    schedule = params.get("schedule")
    if schedule is not None:
        out = {"frequency": schedule.get("frequency"), "times": None, "weekdays": None,
               "hourly_interval": schedule.get("hourly_interval"), "hourly_window_start": None,
               "hourly_window_hours": schedule.get("hourly_window_hours")}
        if schedule.get("times") is not None:
            times = [_time(t, "schedule.times[%d]" % i) for i, t in enumerate(schedule["times"])]
            if len(times) != 1:
                raise AzbError("schedule.times must hold exactly one time: Azure Backup takes one backup a day (or "
                               "a week) for daily and weekly schedules; for several a day use frequency=hourly "
                               "with policy_type=enhanced. Got %d." % len(times))
            out["times"] = times
        if schedule.get("weekdays") is not None:
            out["weekdays"] = _names(schedule["weekdays"], WEEKDAYS, "schedule.weekdays")
        if schedule.get("hourly_window_start") is not None:
            out["hourly_window_start"] = _time(schedule["hourly_window_start"], "schedule.hourly_window_start")
        hours = out["hourly_window_hours"]
        if hours is not None and not 4 <= hours <= 24:
            raise AzbError("schedule.hourly_window_hours must be 4 to 24; got %s." % hours)
        given["schedule"] = out
    retention = params.get("retention")
    if retention is not None:
        out = {}
        for tier in TIERS:
            entry = retention.get(tier)
            if entry is None or all(v is None for v in entry.values()):
                continue
            where = "retention.%s" % tier
            tier_out = dict((k, None) for k in _TIER_OPTIONS[tier])
            count = entry.get("count")
            if count is not None:
                low, high = COUNT_LIMITS[tier]
                if count != 0 and not low <= count <= high:
                    raise AzbError("%s.count must be %d to %d (%s), or 0 to remove the %s retention; got %s."
                                   % (where, low, high, DURATION_TYPES[tier].lower(), tier, count))
                tier_out["count"] = count
            if entry.get("weekdays") is not None:
                tier_out["weekdays"] = _names(entry["weekdays"], WEEKDAYS, where + ".weekdays")
            if entry.get("weeks") is not None:
                tier_out["weeks"] = _names(entry["weeks"], WEEKS, where + ".weeks")
            if entry.get("months") is not None:
                tier_out["months"] = _names(entry["months"], MONTHS, where + ".months")
            if entry.get("days") is not None:
                tier_out["days"] = _days(entry["days"], where + ".days")
                if tier_out.get("weeks") is not None or tier_out.get("weekdays") is not None:
                    raise AzbError("%s gives days together with weeks or weekdays; Azure keeps a monthly or yearly "
                                   "recovery point either on days of the month (days) or on weekdays of weeks of the "
                                   "month (weeks and weekdays), not both." % where)
            if count == 0 and any(v is not None for k, v in tier_out.items() if k != "count"):
                raise AzbError("%s.count=0 removes the %s retention; give no other %s options with it."
                               % (where, tier, where))
            out[tier] = tier_out
        given["retention"] = out
    check_combination(given, partial=True)
    return given


# ---- rules Azure enforces -------------------------------------------------------------------------------------

def check_combination(form, partial=False, name=None):
    """The combinations Azure refuses, named by option. ``partial``: a form of the options given only, where a
    value left out is not known yet (the rules that need it are checked after the read)."""
    policy_type = form.get("policy_type")
    schedule = form.get("schedule") or {}
    frequency = schedule.get("frequency")
    instant = form.get("instant_restore_days")
    if policy_type and instant is not None and not 1 <= instant <= INSTANT_LIMITS[policy_type]:
        raise AzbError("instant_restore_days must be 1-%d for a %s policy; got %s."
                       % (INSTANT_LIMITS[policy_type], policy_type, instant))
    if frequency == "hourly" and policy_type == "standard":
        raise AzbError("schedule.frequency=hourly needs policy_type=enhanced: Azure takes hourly schedules only in "
                       "Enhanced (V2) policies.")
    if frequency:
        wrong = []
        if frequency != "weekly" and schedule.get("weekdays") is not None:
            wrong.append("schedule.weekdays")
        if frequency == "hourly" and schedule.get("times") is not None:
            wrong.append("schedule.times")
        if frequency != "hourly":
            wrong.extend("schedule.%s" % k for k in ("hourly_interval", "hourly_window_start", "hourly_window_hours")
                         if schedule.get(k) is not None)
        if wrong and partial:
            raise AzbError("%s do%s not apply to a %s schedule." % (", ".join(wrong), "es" if len(wrong) == 1 else "",
                                                                    frequency))
        if not partial:
            need = {"daily": ("times",), "weekly": ("times", "weekdays"),
                    "hourly": ("hourly_interval", "hourly_window_start", "hourly_window_hours")}[frequency]
            missing = ["schedule.%s" % k for k in need if schedule.get(k) is None]
            if missing:
                raise AzbError("a %s schedule needs %s%s." % (frequency, ", ".join(missing),
                                                              " (policy '%s' has none to keep)" % name if name else ""))
    retention = form.get("retention")
    if retention is None:
        return
    daily = retention.get("daily")
    if frequency == "weekly" and daily and daily.get("count"):
        raise AzbError("retention.daily does not apply to a weekly schedule: Azure keeps the weekly recovery points "
                       "with retention.weekly (give retention.daily.count=0 to remove a daily retention).")
    for tier in ("monthly", "yearly"):
        entry = retention.get(tier) or {}
        if frequency == "weekly" and entry.get("days") is not None:
            raise AzbError("retention.%s.days does not apply to a weekly schedule: Azure takes only weeks and "
                           "weekdays (the weekdays backups run) for it." % tier)
    if frequency == "weekly" and schedule.get("weekdays") is not None:
        for tier in ("weekly", "monthly", "yearly"):
            days = (retention.get(tier) or {}).get("weekdays")
            extra = [d for d in days or () if d not in schedule["weekdays"]]
            if extra:
                raise AzbError("retention.%s.weekdays names %s, but the weekly schedule backs up only on %s "
                               "(schedule.weekdays); Azure keeps only recovery points that exist."
                               % (tier, ", ".join(extra), ", ".join(schedule["weekdays"])))
    if partial:
        return
    where = " (policy '%s')" % name if name else ""
    if frequency in ("daily", "hourly") and not (daily and daily.get("count")):
        raise AzbError("a %s schedule needs retention.daily.count (7-9999 days)%s." % (frequency, where))
    if frequency == "weekly" and not (retention.get("weekly") or {}).get("count"):
        raise AzbError("a weekly schedule needs retention.weekly.count (1-5163 weeks)%s." % where)
    for tier in ("weekly", "monthly", "yearly"):
        entry = retention.get(tier)
        if not entry:
            continue
        if not entry.get("weekdays") and tier == "weekly":
            raise AzbError("retention.weekly needs weekdays (the day of the week whose backup is kept)%s." % where)
        if tier in ("monthly", "yearly"):
            if entry.get("days") is None and not (entry.get("weeks") and entry.get("weekdays")):
                raise AzbError("retention.%s needs days (days of the month), or weeks and weekdays%s."
                               % (tier, where))
            if tier == "yearly" and not entry.get("months"):
                raise AzbError("retention.yearly needs months%s." % where)


# ---- ARM -> form ----------------------------------------------------------------------------------------------

def _unreadable(what, why):
    return AzbError("%s is not a backup policy this module understands (%s); nothing was planned from it."
                    % (what, why), code="UnreadableAnswer")


def _hhmm(value, what, field):
    match = _ARM_TIME.search(str(value or ""))
    if not match:
        raise _unreadable(what, "%s %r is not a date-time" % (field, value))
    return "%s:%s" % match.groups()


def _list(node, key, what):
    value = node.get(key)
    if value is None:
        return None
    if not isinstance(value, list):
        raise _unreadable(what, "%s is not a list" % key)
    return value


def _arm_names(values, allowed, what, field):
    if values is None:
        return None
    lookup = dict((a.lower(), a) for a in allowed)
    out = []
    for value in values:
        if str(value).lower() not in lookup:
            raise _unreadable(what, "%s holds %r" % (field, value))
        if lookup[str(value).lower()] not in out:
            out.append(lookup[str(value).lower()])
    return sorted(out, key=allowed.index)


def _count(node, what, field):
    duration = node.get("retentionDuration")
    count = duration.get("count") if isinstance(duration, dict) else None
    if isinstance(count, bool) or not isinstance(count, int):
        raise _unreadable(what, "%s.retentionDuration.count is not a number" % field)
    return count


def _schedule_of(schedule, what):
    if not isinstance(schedule, dict):
        raise _unreadable(what, "no schedulePolicy")
    kind = schedule.get("schedulePolicyType")
    frequency = str(schedule.get("scheduleRunFrequency") or "").lower()
    out = dict((k, None) for k in ("frequency", "times", "weekdays", "hourly_interval", "hourly_window_start",
                                   "hourly_window_hours"))
    out["frequency"] = frequency
    if kind == "SimpleSchedulePolicy":
        if frequency not in ("daily", "weekly"):
            raise _unreadable(what, "a standard schedule with frequency %r" % schedule.get("scheduleRunFrequency"))
        node = schedule
    elif kind == "SimpleSchedulePolicyV2":
        if frequency not in FREQUENCIES:
            raise _unreadable(what, "an enhanced schedule with frequency %r" % schedule.get("scheduleRunFrequency"))
        node = schedule.get("%sSchedule" % frequency)
        if not isinstance(node, dict):
            raise _unreadable(what, "no %sSchedule" % frequency)
    else:
        raise _unreadable(what, "schedulePolicyType %r" % kind)
    if frequency == "hourly":
        interval, hours = node.get("interval"), node.get("scheduleWindowDuration")
        if not isinstance(interval, int) or not isinstance(hours, int):
            raise _unreadable(what, "hourlySchedule without interval or scheduleWindowDuration")
        out.update(hourly_interval=interval, hourly_window_hours=hours,
                   hourly_window_start=_hhmm(node.get("scheduleWindowStartTime"), what, "scheduleWindowStartTime"))
        return out
    times = _list(node, "scheduleRunTimes", what)
    if not times:
        raise _unreadable(what, "no scheduleRunTimes")
    out["times"] = sorted(set(_hhmm(t, what, "scheduleRunTimes") for t in times))
    if frequency == "weekly":
        out["weekdays"] = _arm_names(_list(node, "scheduleRunDays", what), WEEKDAYS, what, "scheduleRunDays")
        if not out["weekdays"]:
            raise _unreadable(what, "a weekly schedule without scheduleRunDays")
    return out


def _format_of(node, what, field, out):
    kind = str(node.get("retentionScheduleFormatType") or "").lower()
    if kind == "weekly":
        weekly = node.get("retentionScheduleWeekly")
        if not isinstance(weekly, dict):
            raise _unreadable(what, "%s without retentionScheduleWeekly" % field)
        out["weekdays"] = _arm_names(_list(weekly, "daysOfTheWeek", what), WEEKDAYS, what, field + ".daysOfTheWeek")
        out["weeks"] = _arm_names(_list(weekly, "weeksOfTheMonth", what), WEEKS, what, field + ".weeksOfTheMonth")
    elif kind == "daily":
        daily = node.get("retentionScheduleDaily")
        days = _list(daily, "daysOfTheMonth", what) if isinstance(daily, dict) else None
        if not days:
            raise _unreadable(what, "%s without retentionScheduleDaily.daysOfTheMonth" % field)
        found = []
        for day in days:
            if not isinstance(day, dict):
                raise _unreadable(what, "%s.daysOfTheMonth holds %r" % (field, day))
            value = "Last" if day.get("isLast") else day.get("date")
            if value != "Last" and (isinstance(value, bool) or not isinstance(value, int)):
                raise _unreadable(what, "%s.daysOfTheMonth holds %r" % (field, day))
            if value not in found:
                found.append(value)
        out["days"] = sorted(found, key=lambda d: 99 if d == "Last" else d)
    else:
        raise _unreadable(what, "%s.retentionScheduleFormatType %r" % (field, node.get("retentionScheduleFormatType")))


def _retention_of(retention, what):
    if not isinstance(retention, dict) or retention.get("retentionPolicyType") != "LongTermRetentionPolicy":
        raise _unreadable(what, "retentionPolicy is not a LongTermRetentionPolicy")
    out = {}
    for tier in TIERS:
        node = retention.get("%sSchedule" % tier)
        if node is None:
            out[tier] = None
            continue
        field = "retentionPolicy.%sSchedule" % tier
        if not isinstance(node, dict):
            raise _unreadable(what, "%s is not an object" % field)
        entry = dict((k, None) for k in _TIER_OPTIONS[tier])
        entry["count"] = _count(node, what, field)
        if tier == "weekly":
            entry["weekdays"] = _arm_names(_list(node, "daysOfTheWeek", what), WEEKDAYS, what, field + ".daysOfTheWeek")
        if tier in ("monthly", "yearly"):
            _format_of(node, what, field, entry)
        if tier == "yearly":
            entry["months"] = _arm_names(_list(node, "monthsOfYear", what), MONTHS, what, field + ".monthsOfYear")
        out[tier] = entry
    return out


def from_arm(policy, what=None):
    """The form of an ARM ProtectionPolicyResource (JSON as Azure sent it); AzbError when it is not understood."""
    if not what:
        what = "backup policy '%s'" % policy.get("name") if isinstance(policy, dict) else "a backup policy"
    if not isinstance(policy, dict) or not isinstance(policy.get("properties"), dict):
        raise _unreadable(what, "no properties object")
    props = policy["properties"]
    if props.get("backupManagementType") != BACKUP_MANAGEMENT_TYPE:
        raise AzbError("%s is a policy for %s, not for Azure VMs (AzureIaasVM); this module manages only Azure VM "
                       "policies. Choose another name." % (what, props.get("backupManagementType")),
                       code="NotAnAzureVmPolicy")
    arm_type = str(props.get("policyType") or "V1").upper()
    if arm_type not in ("V1", "V2"):
        raise _unreadable(what, "policyType %r" % props.get("policyType"))
    policy_type = "enhanced" if arm_type == "V2" else "standard"
    schedule = props.get("schedulePolicy")
    if isinstance(schedule, dict) and schedule.get("schedulePolicyType") != SCHEDULE_TYPE[policy_type]:
        raise _unreadable(what, "policyType %s with schedulePolicyType %r" % (arm_type,
                                                                              schedule.get("schedulePolicyType")))
    instant = props.get("instantRpRetentionRangeInDays")
    if instant is not None and (isinstance(instant, bool) or not isinstance(instant, int)):
        raise _unreadable(what, "instantRpRetentionRangeInDays is not a number")
    count = props.get("protectedItemsCount")
    return {
        "id": policy.get("id"),
        "name": policy.get("name"),
        "policy_type": policy_type,
        "protected_items_count": count if isinstance(count, int) and not isinstance(count, bool) else 0,
        "schedule": _schedule_of(schedule, what),
        "time_zone": props.get("timeZone"),
        "instant_restore_days": instant,
        "retention": _retention_of(props.get("retentionPolicy"), what),
    }


# ---- merge ----------------------------------------------------------------------------------------------------

_SCHEDULE_FIELDS = {"daily": ("times",), "weekly": ("times", "weekdays"),
                    "hourly": ("hourly_interval", "hourly_window_start", "hourly_window_hours")}


def _merge_schedule(current, given):
    current = current or {}
    given = given or {}
    frequency = given.get("frequency") or current.get("frequency")
    out = dict((k, None) for k in ("frequency", "times", "weekdays", "hourly_interval", "hourly_window_start",
                                   "hourly_window_hours"))
    out["frequency"] = frequency
    if frequency is None:
        return out
    for key in _SCHEDULE_FIELDS[frequency]:
        if given.get(key) is not None:
            out[key] = given[key]
        elif current.get(key) is not None:
            out[key] = current[key]  # kept (times also carry over between daily and weekly)
    return out


def _merge_tier(tier, current, given):
    if given is None:
        return copy.deepcopy(current)
    if given.get("count") == 0:
        return None
    out = copy.deepcopy(current) if current else dict((k, None) for k in _TIER_OPTIONS[tier])
    if given.get("days") is not None:
        out["weeks"] = out["weekdays"] = None
    elif tier != "weekly" and (given.get("weeks") is not None or given.get("weekdays") is not None):
        out["days"] = None
    for key, value in given.items():
        if value is not None:
            out[key] = value
    return out


def merge(current, given, name):
    """The form the policy should have: the options given over the current form (None: a new policy, whose options
    left out take CREATE_DEFAULTS). Raises AzbError for what Azure would refuse, before any write."""
    if current is None:
        if given.get("schedule") is None or not (given["schedule"].get("frequency")):
            raise AzbError("schedule (with frequency) is required to create backup policy '%s'." % name)
        if given.get("retention") is None:
            raise AzbError("retention is required to create backup policy '%s'." % name)
        base = {"id": None, "name": name, "protected_items_count": 0, "schedule": None,
                "retention": dict((t, None) for t in TIERS)}
        base.update(CREATE_DEFAULTS)
        if given.get("policy_type") is None and given["schedule"].get("frequency") == "hourly":
            raise AzbError("schedule.frequency=hourly needs policy_type=enhanced: Azure takes hourly schedules only "
                           "in Enhanced (V2) policies.")
    else:
        base = current
        if given.get("policy_type") and given["policy_type"] != current["policy_type"]:
            raise AzbError("policy_type of backup policy '%s' is %s and cannot change to %s: Azure does not convert a "
                           "policy between Standard (V1) and Enhanced (V2). Create a new policy with another name and "
                           "move the VMs to it, or leave policy_type out."
                           % (name, current["policy_type"], given["policy_type"]))
    desired = copy.deepcopy(base)
    for key in ("policy_type", "time_zone", "instant_restore_days"):
        if given.get(key) is not None:
            desired[key] = given[key]
    desired["schedule"] = _merge_schedule(base.get("schedule"), given.get("schedule"))
    if given.get("schedule"):
        # The schedule options given must fit the frequency the policy ends up with (given or kept).
        check_combination({"policy_type": desired["policy_type"],
                           "schedule": dict(given["schedule"], frequency=desired["schedule"]["frequency"])},
                          partial=True)
    given_retention = given.get("retention") or {}
    retention = {}
    for tier in TIERS:
        retention[tier] = _merge_tier(tier, (base.get("retention") or {}).get(tier), given_retention.get(tier))
    frequency = desired["schedule"]["frequency"]
    if frequency == "weekly":
        if retention["daily"] and not (given_retention.get("daily") or {}).get("count"):
            retention["daily"] = None  # a weekly schedule has no daily recovery points to keep
        if retention["weekly"] and not retention["weekly"].get("weekdays"):
            retention["weekly"]["weekdays"] = list(desired["schedule"].get("weekdays") or []) or None
    desired["retention"] = retention
    check_combination(desired, partial=False, name=name)
    return desired


def predict(desired, vault_id):
    """The form after a write that is not sent (check mode): the id of a new policy from the vault's."""
    after = copy.deepcopy(desired)
    if not after.get("id"):
        after["id"] = "%s/backupPolicies/%s" % (vault_id, after["name"])
    return after


DIFF_KEYS = ("name", "policy_type", "schedule", "time_zone", "instant_restore_days", "retention")


def for_diff(form):
    """The options of a form (no id or protected item count), for the diff."""
    if not form:
        return {}
    return dict((k, copy.deepcopy(form.get(k))) for k in DIFF_KEYS)


def changed_keys(current, desired):
    return [k for k in DIFF_KEYS if current.get(k) != desired.get(k)]


# ---- form -> ARM ----------------------------------------------------------------------------------------------

_DATE = "2020-01-01"


def _arm_time(hhmm):
    return "%sT%s:00Z" % (_DATE, hhmm)


def schedule_body(form):
    schedule = form["schedule"]
    frequency = schedule["frequency"]
    arm_frequency = frequency.capitalize()
    if form["policy_type"] == "standard":
        body = {"schedulePolicyType": "SimpleSchedulePolicy", "scheduleRunFrequency": arm_frequency,
                "scheduleRunTimes": [_arm_time(t) for t in schedule["times"]]}
        if frequency == "weekly":
            body["scheduleRunDays"] = list(schedule["weekdays"])
        return body
    body = {"schedulePolicyType": "SimpleSchedulePolicyV2", "scheduleRunFrequency": arm_frequency}
    if frequency == "hourly":
        body["hourlySchedule"] = {"interval": schedule["hourly_interval"],
                                  "scheduleWindowStartTime": _arm_time(schedule["hourly_window_start"]),
                                  "scheduleWindowDuration": schedule["hourly_window_hours"]}
    elif frequency == "daily":
        body["dailySchedule"] = {"scheduleRunTimes": [_arm_time(t) for t in schedule["times"]]}
    else:
        body["weeklySchedule"] = {"scheduleRunDays": list(schedule["weekdays"]),
                                  "scheduleRunTimes": [_arm_time(t) for t in schedule["times"]]}
    return body


def _format(entry):
    if entry.get("days") is not None:
        return {"retentionScheduleFormatType": "Daily", "retentionScheduleDaily": {"daysOfTheMonth": [
            {"date": 0, "isLast": True} if d == "Last" else {"date": d, "isLast": False} for d in entry["days"]]}}
    return {"retentionScheduleFormatType": "Weekly",
            "retentionScheduleWeekly": {"daysOfTheWeek": list(entry["weekdays"]),
                                        "weeksOfTheMonth": list(entry["weeks"])}}


def retention_body(form):
    schedule = form["schedule"]
    times = schedule["times"] if schedule["frequency"] != "hourly" else [schedule["hourly_window_start"]]
    retention_times = [_arm_time(t) for t in times]
    body = {"retentionPolicyType": "LongTermRetentionPolicy"}
    for tier in TIERS:
        entry = form["retention"].get(tier)
        if not entry:
            continue
        node = {"retentionTimes": list(retention_times),
                "retentionDuration": {"count": entry["count"], "durationType": DURATION_TYPES[tier]}}
        if tier == "weekly":
            node["daysOfTheWeek"] = list(entry["weekdays"])
        if tier in ("monthly", "yearly"):
            node.update(_format(entry))
        if tier == "yearly":
            node["monthsOfYear"] = list(entry["months"])
        body["%sSchedule" % tier] = node
    return body


def body(desired, current=None, current_arm=None):
    """The PUT body: the policy as read (fields this module does not manage kept as they are, read-only and null
    fields left out), with the managed fields of ``desired``. Schedule and retention are rebuilt only when their
    form changed."""
    props = {}
    if current_arm is not None:
        props = dict((k, copy.deepcopy(v)) for k, v in current_arm["properties"].items()
                     if v is not None and k != "protectedItemsCount")
    props["backupManagementType"] = BACKUP_MANAGEMENT_TYPE
    if current_arm is None or desired["policy_type"] == "enhanced":
        # An existing standard policy keeps policyType as read (Azure may leave it out for V1).
        props["policyType"] = ARM_TYPE[desired["policy_type"]]
    if desired.get("time_zone") is not None:
        props["timeZone"] = desired["time_zone"]
    if desired.get("instant_restore_days") is not None:
        props["instantRpRetentionRangeInDays"] = desired["instant_restore_days"]
    schedule_changed = current is None or current.get("schedule") != desired["schedule"]
    if schedule_changed:
        props["schedulePolicy"] = schedule_body(desired)
    if schedule_changed or current.get("retention") != desired["retention"]:
        props["retentionPolicy"] = retention_body(desired)
    return {"properties": props}


# ---- reads ---------------------------------------------------------------------------------------------------

# 404 codes that mean the vault (or what holds it) is missing, not the policy.
_PARENT_MISSING = ("resourcegroupnotfound", "subscriptionnotfound", "invalidsubscriptionid", "parentresourcenotfound")


def get(ops, vault, group, name):
    """The policy as the JSON Azure sent, or None when the vault has no such policy. A missing vault, resource group
    or subscription is an error (a 404 of the policy's parents must not read as "no policy")."""
    from ansible_collections.azbackup.vmprep.plugins.module_utils import _backup

    try:
        answer = ops.get(vault, group, name, cls=_backup.capture)
    except Exception as exc:  # pylint: disable=broad-except
        if type(exc).__name__ != "ResourceNotFoundError":
            raise
        err = from_exception(exc)
        code = (err.code or "").lower()
        text = (err.msg or "").lower()
        if code in _PARENT_MISSING or (code == "resourcenotfound" and "backuppolicies" not in text
                                       and "vaults/%s'" % vault.lower() in text):
            err.msg = "reading backup policy '%s': vault '%s' in resource group '%s' was not found: %s" % (
                name, vault, group, err.msg)
            raise err
        return None
    if not isinstance(answer.body, dict):
        raise _unreadable("backup policy '%s'" % name, "not a JSON object")
    return answer.body


# ---- errors ---------------------------------------------------------------------------------------------------

_IN_USE_COUNT = re.compile(r"(\d+)\s+protected item", re.IGNORECASE)


def in_use_error(name, count, message=None):
    text = ("backup policy '%s' still protects %s item%s (protectedItemsCount), so it cannot be deleted"
            % (name, count, "" if count == 1 else "s"))
    if message:
        text += ". Azure: %s" % message
    return AzbError(text + ".", code="BMSUserErrorPolicyInUse",
                    hint="protect those VMs with another policy, or stop their protection (azbackup.vmprep."
                         "vm_protection state=stopped or absent), then run again.")


def translate(exc, action, name=None, count=None):
    """An AzbError for a failed policy request; BMSUserErrorPolicyInUse names the number of items."""
    err = from_exception(exc)
    if (err.code or "").lower() == IN_USE:
        match = _IN_USE_COUNT.search(err.msg or "")
        number = int(match.group(1)) if match else count
        out = in_use_error(name, number if number is not None else "one or more", err.msg)
        out.status = err.status
        return out
    err.msg = "%s: %s" % (action, err.msg)
    return err
