#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the azbackup.vmprep collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: backup_policy
short_description: Create, update and delete Azure VM backup policies of a Recovery Services vault
version_added: 1.1.0
description:
  - Creates a backup policy for Azure VMs (backup management type C(AzureIaasVM)) in a Recovery Services vault, or
    brings an existing one to the options given, or deletes it.
  - A V(standard) policy (Azure's C(V1)) backs up once a day or once a week. An V(enhanced) policy (Azure's C(V2))
    can also back up every few hours, and keeps instant-restore snapshots up to 30 days.
  - B(Options left out keep the values the policy has.) The options given are merged onto the policy read just
    before, and only the parts of the policy that change are rebuilt; everything else is written back as it was read.
  - A run that changes nothing sends exactly one GET request. A change is one GET and one PUT (plus the polls of
    Azure's long-running operation when Azure answers 202).
  - Combinations that Azure refuses fail before any request when the options given decide them, and otherwise after
    the read and before any write; the message names the option and what is allowed.
author:
  - azbackup.vmprep developers (@azbackup)
options:
  name:
    description:
      - Name of the policy, 1 to 150 letters, digits, V(-) or V(_), starting with a letter or digit.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the policy, V(absent) deletes it.
      - Azure refuses to delete a policy that still protects items. The module reads the policy's
        C(protectedItemsCount) first and fails naming that number, without sending the delete; Azure's own refusal
        (C(BMSUserErrorPolicyInUse)) is reported the same way.
    type: str
    choices: [present, absent]
    default: present
  policy_type:
    description:
      - V(standard) (Azure's C(V1), C(SimpleSchedulePolicy)) or V(enhanced) (Azure's C(V2), C(SimpleSchedulePolicyV2)).
      - V(standard) when a policy is created without it. Azure does not convert an existing policy from one type to
        the other; asking for it fails before any write.
    type: str
    choices: [standard, enhanced]
  schedule:
    description:
      - When backups run. Sub-options left out keep the policy's values.
      - Required to create a policy.
    type: dict
    suboptions:
      frequency:
        description:
          - V(daily), V(weekly), or V(hourly) (O(policy_type=enhanced) only).
        type: str
        choices: [daily, weekly, hourly]
      times:
        description:
          - The time of day backups start, as V(HH:MM) on the hour or half hour, in O(time_zone). Exactly one time.
          - For V(daily) and V(weekly). Kept when the frequency changes between those two.
        type: list
        elements: str
      weekdays:
        description:
          - The days of the week a V(weekly) schedule backs up, for example V(Sunday).
        type: list
        elements: str
      hourly_interval:
        description:
          - Hours between backups of an V(hourly) schedule.
        type: int
        choices: [4, 6, 8, 12]
      hourly_window_start:
        description:
          - The start of the daily backup window of an V(hourly) schedule, V(HH:MM) on the hour or half hour.
        type: str
      hourly_window_hours:
        description:
          - The length in hours of the daily backup window of an V(hourly) schedule, 4 to 24.
        type: int
  time_zone:
    description:
      - The Windows time zone id of the schedule times, for example V(UTC), V(W. Europe Standard Time) or
        V(Pacific Standard Time).
      - V(UTC) when a policy is created without it.
    type: str
  instant_restore_days:
    description:
      - Days the instant-restore snapshots are kept, 1 to 5 for a V(standard) policy and 1 to 30 for an V(enhanced)
        one.
      - V(2) when a policy is created without it.
    type: int
  retention:
    description:
      - How long recovery points are kept, per tier. A tier left out keeps the policy's value; a tier's sub-options
        left out keep the tier's values.
      - A V(daily) or V(hourly) schedule needs O(retention.daily). A V(weekly) schedule needs O(retention.weekly)
        and takes no daily retention (a daily retention is removed when the schedule becomes weekly).
      - Set a tier's C(count) to V(0) to remove that tier.
      - Required to create a policy.
    type: dict
    suboptions:
      daily:
        description: Daily recovery points.
        type: dict
        suboptions:
          count:
            description: Days to keep each daily recovery point, 7 to 9999.
            type: int
      weekly:
        description: Weekly recovery points.
        type: dict
        suboptions:
          count:
            description: Weeks to keep, 1 to 5163.
            type: int
          weekdays:
            description:
              - The day(s) of the week whose backup is kept. For a weekly schedule, days the schedule backs up on
                (the schedule's days when left out).
            type: list
            elements: str
      monthly:
        description:
          - Monthly recovery points, kept either on O(retention.monthly.days) of the month or on
            O(retention.monthly.weekdays) of O(retention.monthly.weeks) (not both; giving one replaces the other).
        type: dict
        suboptions:
          count:
            description: Months to keep, 1 to 1188.
            type: int
          weekdays:
            description: Days of the week, for example V(Sunday).
            type: list
            elements: str
          weeks:
            description: Weeks of the month, V(First), V(Second), V(Third), V(Fourth) or V(Last).
            type: list
            elements: str
          days:
            description:
              - Days of the month, 1 to 28 or V(Last). Not for a weekly schedule.
            type: list
            elements: raw
      yearly:
        description:
          - Yearly recovery points, in O(retention.yearly.months), on O(retention.yearly.days) or on
            O(retention.yearly.weekdays) of O(retention.yearly.weeks).
        type: dict
        suboptions:
          count:
            description: Years to keep, 1 to 99.
            type: int
          months:
            description: Months of the year, for example V(January).
            type: list
            elements: str
          weekdays:
            description: Days of the week.
            type: list
            elements: str
          weeks:
            description: Weeks of the month, V(First), V(Second), V(Third), V(Fourth) or V(Last).
            type: list
            elements: str
          days:
            description: Days of the month, 1 to 28 or V(Last). Not for a weekly schedule.
            type: list
            elements: raw
extends_documentation_fragment:
  - azbackup.vmprep.azure
  - azbackup.vmprep.azure.backup_vault
  - azbackup.vmprep.azure.wait
attributes:
  check_mode:
    support: full
    description: Reads the policy and reports what would change; sends no write request.
  diff_mode:
    support: full
    description: Returns the policy's options before and after in RV(diff).
notes:
  - Schedule times are sent as date-times on 2020-01-01; Azure uses only their time of day, in O(time_zone).
    Retention times are the schedule time (the window start of an hourly schedule), as Azure requires.
  - When Azure answers busy or with 412, the whole read, plan and write step runs again until O(wait_timeout). When
    the answer to a write is lost, the next read tells whether it landed, and the module reports a change when it
    did.
seealso:
  - module: azbackup.vmprep.backup_policy_info
  - module: azbackup.vmprep.recovery_vault
"""

EXAMPLES = r"""
- name: A standard policy, daily at 22:30 West European time, kept 30 days, 12 weeks and 12 months
  azbackup.vmprep.backup_policy:
    vault_name: rsv-backup-westeurope
    vault_resource_group: rg-backup
    name: daily-30
    schedule:
      frequency: daily
      times: ["22:30"]
    time_zone: W. Europe Standard Time
    instant_restore_days: 2
    retention:
      daily:
        count: 30
      weekly:
        count: 12
        weekdays: [Sunday]
      monthly:
        count: 12
        weeks: [First]
        weekdays: [Sunday]

- name: An enhanced policy backing up every 4 hours from 08:00 for 12 hours
  azbackup.vmprep.backup_policy:
    vault_name: rsv-backup-westeurope
    vault_resource_group: rg-backup
    name: hourly-enhanced
    policy_type: enhanced
    schedule:
      frequency: hourly
      hourly_interval: 4
      hourly_window_start: "08:00"
      hourly_window_hours: 12
    instant_restore_days: 7
    retention:
      daily:
        count: 30

- name: A weekly policy with weekly, monthly and yearly retention
  azbackup.vmprep.backup_policy:
    vault_name: rsv-backup-westeurope
    vault_resource_group: rg-backup
    name: weekly-long
    schedule:
      frequency: weekly
      weekdays: [Saturday]
      times: ["01:00"]
    instant_restore_days: 5
    retention:
      weekly:
        count: 52
      monthly:
        count: 36
        weeks: [Last]
        weekdays: [Saturday]
      yearly:
        count: 10
        months: [December]
        weeks: [Last]
        weekdays: [Saturday]

- name: Keep daily recovery points 60 days instead (everything else stays as it is)
  azbackup.vmprep.backup_policy:
    vault_name: rsv-backup-westeurope
    vault_resource_group: rg-backup
    name: daily-30
    retention:
      daily:
        count: 60

- name: Remove the monthly retention
  azbackup.vmprep.backup_policy:
    vault_name: rsv-backup-westeurope
    vault_resource_group: rg-backup
    name: daily-30
    retention:
      monthly:
        count: 0

- name: Delete a policy that no longer protects any VM
  azbackup.vmprep.backup_policy:
    vault_name: rsv-backup-westeurope
    vault_resource_group: rg-backup
    name: daily-30
    state: absent
"""

RETURN = r"""
policy:
  description:
    - The policy after the run in the form of the module's options (for check mode, as it would be). Empty after
      O(state=absent).
  returned: always
  type: dict
  contains:
    id:
      description: Resource ID.
      type: str
      sample: /subscriptions/3333.../resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults/rsv1/backupPolicies/daily-30
    name:
      description: Policy name.
      type: str
      sample: daily-30
    policy_type:
      description: V(standard) (Azure's V1) or V(enhanced) (V2).
      type: str
      sample: standard
    protected_items_count:
      description: How many items the policy protects (Azure's C(protectedItemsCount)).
      type: int
      sample: 0
    schedule:
      description:
        - C(frequency), C(times), C(weekdays), C(hourly_interval), C(hourly_window_start), C(hourly_window_hours);
          those that do not apply to the frequency are V(null).
      type: dict
      sample: {"frequency": "daily", "times": ["22:30"], "weekdays": null, "hourly_interval": null,
               "hourly_window_start": null, "hourly_window_hours": null}
    time_zone:
      description: Windows time zone id.
      type: str
      sample: W. Europe Standard Time
    instant_restore_days:
      description: Days instant-restore snapshots are kept.
      type: int
      sample: 2
    retention:
      description:
        - C(daily) ({count}), C(weekly) ({count, weekdays}), C(monthly) ({count, weekdays, weeks, days}) and
          C(yearly) ({count, months, weekdays, weeks, days}); a tier the policy does not have is V(null).
      type: dict
      sample: {"daily": {"count": 30}, "weekly": null, "monthly": null, "yearly": null}
diff:
  description: The policy's options before and after (without id and protected item count); empty dicts for no policy.
  returned: always
  type: dict
  contains:
    before:
      description: Before the run.
      type: dict
    after:
      description: After the run.
      type: dict
"""

import json

from ansible_collections.azbackup.vmprep.plugins.module_utils import _backup, _client
from ansible_collections.azbackup.vmprep.plugins.module_utils import _backup_policy as _policy
from ansible_collections.azbackup.vmprep.plugins.module_utils._errors import AzbError
from ansible_collections.azbackup.vmprep.plugins.module_utils._module import AzureModule


def finish(module, changed, before, after):
    module.exit(changed=changed, policy=after or {},
                diff={"before": _policy.for_diff(before), "after": _policy.for_diff(after)})


def run_operation(module, step, context):
    """Run step in an Operation; a write's own exception is translated after the Operation gave up (so that it can
    still tell a lost answer from a refusal)."""
    op = _client.Operation(module.params["wait_timeout"], "backup policy '%s'" % module.params["name"])
    try:
        return op.run(step)
    except AzbError as err:
        if (err.code or "").lower() == _policy.IN_USE and context.get("action"):
            raise _policy.translate(err, context["action"], module.params["name"], context.get("count"))
        raise
    except Exception as exc:  # pylint: disable=broad-except
        if not context.get("action"):
            raise
        raise _policy.translate(exc, context["action"], module.params["name"], context.get("count"))


def read(ops, params):
    found = _policy.get(ops, params["vault_name"], params["vault_resource_group"], params["name"])
    return found, (_policy.from_arm(found, "backup policy '%s'" % params["name"]) if found is not None else None)


def absent(module, clients, ops):
    params = module.params
    vault, group, name = params["vault_name"], params["vault_resource_group"], params["name"]
    context = {}

    def step(op):
        context.clear()
        _arm, current = read(ops, params)
        before = op.keep("before", current)
        if current is None:
            # Gone; deleted by this run when a DELETE of an earlier attempt landed but its answer was lost.
            return finish(module, op.wrote or op.maybe_landed, before, None)
        if current["protected_items_count"]:
            raise _policy.in_use_error(name, current["protected_items_count"])
        if not module.check_mode:
            context.update(action="deleting backup policy '%s'" % name, count=current["protected_items_count"])
            op.write(lambda: _backup.track(clients, _backup.send(ops, "delete", vault, group, name),
                                           params["wait_timeout"], "deleting backup policy '%s'" % name))
        return finish(module, True, before, None)

    return run_operation(module, step, context)


def present(module, clients, ops, given):
    params = module.params
    vault, group, name = params["vault_name"], params["vault_resource_group"], params["name"]
    context = {}

    def step(op):
        context.clear()
        current_arm, current = read(ops, params)
        before = op.keep("before", current)
        landed = op.wrote or op.maybe_landed
        desired = _policy.merge(current, given, name)
        if current is not None and not _policy.changed_keys(current, desired):
            return finish(module, landed, before, current)
        if module.check_mode:
            vault_id = _backup.vault_id(clients.subscription_id, group, vault)
            return finish(module, True, before, _policy.predict(desired, vault_id))
        payload = json.dumps(_policy.body(desired, current, current_arm)).encode("utf-8")
        what = "%s backup policy '%s'" % ("creating" if current is None else "updating", name)
        context.update(action=what)

        def write():
            answer = _backup.send(ops, "create_or_update", vault, group, name, payload,
                                  content_type="application/json")
            _backup.track(clients, answer, params["wait_timeout"], what)
            return answer

        answer = op.write(write)
        context.clear()
        after = None
        if answer.status == 200 and isinstance(answer.body, dict) and answer.body.get("properties"):
            after = _policy.from_arm(answer.body, "backup policy '%s'" % name)
        if after is None:
            # 202 (or an empty 200): read what Azure made of it.
            _unused, after = read(ops, params)
        if after is None:
            raise AzbError("Azure accepted %s but the policy cannot be read back." % what, code="UnreadableAnswer")
        return finish(module, True, before, after)

    return run_operation(module, step, context)


def main_logic(module):
    params = module.params
    _backup.validate_vault(params)
    given = _policy.given_form(params)
    clients = module.clients
    ops = _backup.client(clients).protection_policies
    if params["state"] == "absent":
        return absent(module, clients, ops)
    return present(module, clients, ops, given)


def main():
    spec = dict(_backup.VAULT_ARGSPEC)
    spec.update(_policy.ARGSPEC)
    module = AzureModule(argument_spec=spec, supports_check_mode=True)
    module.run(main_logic)


if __name__ == "__main__":
    main()
