"""The retry loops of nsg_rules (412 → read again and re-apply) and nsg_rule (a priority taken concurrently), with
fake SDK clients. The same paths run against the sandbox in tests/integration/test_nsg_stress.py."""

import copy

import pytest
from azure.core.exceptions import HttpResponseError

from ansible_collections.azbackup.vmprep.plugins.module_utils._errors import AzbError
from ansible_collections.azbackup.vmprep.plugins.modules import nsg_rule, nsg_rules


class Exit(Exception):
    def __init__(self, result):
        super().__init__("exit")
        self.result = result


class Settings:
    subscription_id = "11111111-1111-1111-1111-111111111111"


class FakeModule:
    def __init__(self, params, client, check_mode=False, diff_mode=False):
        self.params = params
        self.check_mode = check_mode
        self.diff_mode = diff_mode
        self.settings = Settings()
        self.clients = self
        self._client = client

    def network(self):
        return self._client

    def exit(self, **kwargs):
        raise Exit(kwargs)

    def fail(self, msg, **kwargs):
        raise AzbError(msg)


class Done:
    def __init__(self, value):
        self.value = value

    def wait(self, timeout=None):
        return None

    def done(self):
        return True

    def result(self):
        return self.value


def http_error(status, code="x"):
    err = HttpResponseError(message="refused")
    err.status_code = status
    err.error = type("E", (), {"code": code, "message": "refused"})()
    return err


def rule(name, priority, direction="Outbound"):
    return {"name": name, "id": "/nsg/securityRules/" + name, "properties": {
        "protocol": "*", "access": "Allow", "direction": direction, "priority": priority, "sourceAddressPrefix": "*",
        "destinationAddressPrefix": "*", "sourcePortRange": "*", "destinationPortRange": "*",
        "provisioningState": "Succeeded"}}


class FakeNetwork:
    """An NSG whose etag changes behind the module's back a given number of times."""

    def __init__(self, rules, interfere=0, conflicts=0):
        self.nsg = {"name": "nsg", "location": "westeurope", "etag": 'W/"0"',
                    "properties": {"securityRules": list(rules), "defaultSecurityRules": []}}
        self.interfere = interfere
        self.conflicts = conflicts
        self.calls = []
        self.network_security_groups = self
        self.security_rules = Rules(self)

    def get(self, rg, name, cls=None):
        self.calls.append(("GET", name))
        return copy.deepcopy(self.nsg)

    def begin_create_or_update(self, rg, name, body, headers=None, cls=None):
        self.calls.append(("PUT", name, (headers or {}).get("If-Match")))
        if self.interfere:
            # Someone else adds a rule between our read and our write.
            self.interfere -= 1
            self.nsg["properties"]["securityRules"].append(rule("other-%d" % self.interfere, 3000 + self.interfere))
            self.nsg["etag"] = 'W/"%d"' % len(self.calls)
        if headers.get("If-Match") != self.nsg["etag"]:
            raise http_error(412, "PreconditionFailed")
        self.nsg["properties"]["securityRules"] = body["properties"]["securityRules"]
        self.nsg["etag"] = 'W/"%d"' % len(self.calls)
        return Done(copy.deepcopy(self.nsg))


class Rules:
    def __init__(self, net):
        self.net = net

    def begin_create_or_update(self, rg, nsg, name, body, cls=None):
        self.net.calls.append(("PUT-RULE", name, body["properties"]["priority"]))
        if self.net.conflicts:
            self.net.conflicts -= 1
            # A concurrent writer took the priority first.
            self.net.nsg["properties"]["securityRules"].append(rule("thief", body["properties"]["priority"]))
            raise http_error(400, "SecurityRuleConflict")
        stored = {"name": name, "properties": dict(body["properties"], provisioningState="Succeeded")}
        self.net.nsg["properties"]["securityRules"].append(stored)
        return Done(stored)


def batch_params(**kw):
    params = {"resource_group": "rg", "security_group": "nsg", "purge": False, "max_attempts": 5, "wait_timeout": 60,
              "security_groups": None, "max_concurrency": 16,
              "rules": [{"name": "mine", "state": "present", "direction": "Outbound", "priority": None,
                         "priority_range": [3000, 3100], "protocol": "Tcp",
                         "access": "Allow", "source_address_prefixes": ["*"], "destination_address_prefixes": ["*"],
                         "destination_port_ranges": ["*"]}]}
    params.update(kw)
    return params


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda seconds: None)


def test_nsg_rules_rereads_and_reapplies_on_412():
    net = FakeNetwork([rule("keep", 100)], interfere=2)
    with pytest.raises(Exit) as done:
        nsg_rules.main_logic(FakeModule(batch_params(), net))
    result = done.value.result
    assert result["attempts"] == 3 and result["created"] == ["mine"]
    assert [c[0] for c in net.calls] == ["GET", "PUT", "GET", "PUT", "GET", "PUT"]
    names = {r["name"]: r["properties"]["priority"] for r in net.nsg["properties"]["securityRules"]}
    # The rules the other writer added survive, and the automatic priority avoids theirs.
    assert names == {"keep": 100, "other-1": 3001, "other-0": 3000, "mine": 3002}


def test_nsg_rules_gives_up_after_max_attempts():
    net = FakeNetwork([], interfere=10)
    with pytest.raises(AzbError) as err:
        nsg_rules.main_logic(FakeModule(batch_params(max_attempts=2), net))
    assert err.value.status == 412 and "2 attempts" in err.value.msg and err.value.hint


def test_nsg_rules_check_mode_and_no_change_write_nothing():
    net = FakeNetwork([rule("keep", 100)])
    with pytest.raises(Exit) as done:
        nsg_rules.main_logic(FakeModule(batch_params(), net, check_mode=True, diff_mode=True))
    assert done.value.result["changed"] and net.calls == [("GET", "nsg")]
    assert set(done.value.result["diff"]["after"]["rules"]) == {"keep", "mine"}


def rule_params(**kw):
    params = {"resource_group": "rg", "security_group": "nsg", "wait_timeout": 60, "name": "mine", "state": "present",
              "direction": "Outbound", "access": "Allow", "protocol": "*", "priority": None,
              "priority_range": [200, 299], "source_address_prefixes": ["*"], "destination_address_prefixes": ["*"],
              "source_port_ranges": ["*"], "destination_port_ranges": ["*"], "source_application_security_groups": [],
              "destination_application_security_groups": [], "description": ""}
    params.update(kw)
    return params


def test_nsg_rule_picks_again_when_a_concurrent_writer_took_the_priority():
    net = FakeNetwork([rule("a", 200)], conflicts=2)
    with pytest.raises(Exit) as done:
        nsg_rule.main_logic(FakeModule(rule_params(), net))
    assert done.value.result["rule"]["priority"] == 203
    assert [c for c in net.calls if c[0] == "PUT-RULE"] == [("PUT-RULE", "mine", 201), ("PUT-RULE", "mine", 202),
                                                            ("PUT-RULE", "mine", 203)]


def test_nsg_rule_fixed_priority_conflict_is_not_retried():
    net = FakeNetwork([], conflicts=1)
    with pytest.raises(HttpResponseError):
        nsg_rule.main_logic(FakeModule(rule_params(priority=250, priority_range=None), net))
    assert len([c for c in net.calls if c[0] == "PUT-RULE"]) == 1


# ---- issue cases: flattened SDK models, busy answers, lost answers ------------------------------------------------


def flattened(nsg):
    """What azure-mgmt-network 28.0.0's model.as_dict() gives: snake_case, no properties object."""
    props = nsg["properties"]
    return {"name": nsg["name"], "location": nsg["location"], "etag": nsg["etag"],
            "security_rules": [dict(r["properties"], name=r["name"]) for r in props["securityRules"]],
            "default_security_rules": []}


class OldSdkNetwork(FakeNetwork):
    """Raw JSON only through cls=; the model's dict is the flattened one. always_flat: even cls= gives no REST shape."""

    def __init__(self, rules, always_flat=False):
        super().__init__(rules)
        self.always_flat = always_flat

    def get(self, rg, name, cls=None):
        self.calls.append(("GET", name))
        if cls is None or self.always_flat:
            return flattened(self.nsg)
        return copy.deepcopy(self.nsg)


def test_case2_nsg_rules_reads_raw_json_and_keeps_every_rule():
    net = OldSdkNetwork([rule("keep", 100), rule("also", 101)])
    with pytest.raises(Exit) as done:
        nsg_rules.main_logic(FakeModule(batch_params(), net))
    assert done.value.result["removed"] == [] and done.value.result["created"] == ["mine"]
    assert {r["name"] for r in net.nsg["properties"]["securityRules"]} == {"keep", "also", "mine"}


def test_case2_a_read_of_unknown_shape_fails_and_writes_nothing():
    net = OldSdkNetwork([rule("keep", 100)], always_flat=True)
    with pytest.raises(AzbError) as err:
        nsg_rules.main_logic(FakeModule(batch_params(), net))
    assert err.value.code == "UnreadableAnswer" and "properties" in err.value.msg
    with pytest.raises(AzbError):
        nsg_rule.main_logic(FakeModule(rule_params(), net))
    assert [c[0] for c in net.calls] == ["GET", "GET"]


class Flaky(FakeNetwork):
    """Writes that fail: 'busy' before applying (409 AnotherOperationInProgress, no Retry-After), or 'lost' after
    applying (500: the answer is lost, the change landed)."""

    def __init__(self, rules, faults):
        super().__init__(rules)
        self.faults = list(faults)
        self.security_rules = FlakyRules(self)

    def begin_create_or_update(self, rg, name, body, headers=None, cls=None):
        fault = self.faults.pop(0) if self.faults else None
        if fault == "busy":
            self.calls.append(("PUT", name, "busy"))
            raise http_error(409, "AnotherOperationInProgress")
        done = super().begin_create_or_update(rg, name, body, headers=headers, cls=cls)
        if fault == "lost":
            raise http_error(500, "InternalServerError")
        return done


class FlakyRules(Rules):
    def begin_create_or_update(self, rg, nsg, name, body, cls=None):
        fault = self.net.faults.pop(0) if self.net.faults else None
        if fault == "busy":
            self.net.calls.append(("PUT-RULE", name, "busy"))
            raise http_error(409, "AnotherOperationInProgress")
        done = super().begin_create_or_update(rg, nsg, name, body, cls=cls)
        if fault == "lost":
            raise http_error(500, "InternalServerError")
        return done

    def begin_delete(self, rg, nsg, name, cls=None):
        fault = self.net.faults.pop(0) if self.net.faults else None
        self.net.calls.append(("DELETE-RULE", name))
        if fault == "busy":
            raise http_error(409, "AnotherOperationInProgress")
        rules = self.net.nsg["properties"]["securityRules"]
        rules[:] = [r for r in rules if r["name"] != name]
        if fault == "lost":
            raise http_error(500, "InternalServerError")
        return Done(None)


def test_case3_busy_answers_rerun_the_whole_step():
    net = Flaky([rule("keep", 100)], ["busy", "busy"])
    with pytest.raises(Exit) as done:
        nsg_rules.main_logic(FakeModule(batch_params(max_attempts=1), net))
    assert done.value.result["changed"] and done.value.result["attempts"] == 3
    # Every attempt reads before it writes; busy answers do not count against max_attempts.
    assert [c[0] for c in net.calls] == ["GET", "PUT", "GET", "PUT", "GET", "PUT"]
    net = Flaky([], ["busy"])
    with pytest.raises(Exit) as done:
        nsg_rule.main_logic(FakeModule(rule_params(), net))
    assert done.value.result["changed"]
    assert [c[0] for c in net.calls] == ["GET", "PUT-RULE", "GET", "PUT-RULE"]


def test_case4_lost_answer_of_a_landed_write_reports_changed():
    net = Flaky([rule("keep", 100)], ["lost"])
    with pytest.raises(Exit) as done:
        nsg_rules.main_logic(FakeModule(batch_params(), net, diff_mode=True))
    result = done.value.result
    assert result["changed"] and result["created"] == ["mine"] and result["attempts"] == 2
    assert set(result["diff"]["before"]["rules"]) == {"keep"} and "mine" in result["diff"]["after"]["rules"]
    assert [c[0] for c in net.calls] == ["GET", "PUT", "GET"]

    net = Flaky([], ["lost"])
    with pytest.raises(Exit) as done:
        nsg_rule.main_logic(FakeModule(rule_params(), net, diff_mode=True))
    result = done.value.result
    assert result["changed"] and result["diff"]["before"] == {} and result["diff"]["after"]["priority"] == 200
    assert [c[0] for c in net.calls] == ["GET", "PUT-RULE", "GET"]

    net = Flaky([rule("mine", 250)], ["lost"])
    with pytest.raises(Exit) as done:
        nsg_rule.main_logic(FakeModule(rule_params(state="absent"), net, diff_mode=True))
    result = done.value.result
    assert result["changed"] and result["diff"]["before"]["name"] == "mine" and result["diff"]["after"] == {}
    assert [c[0] for c in net.calls] == ["GET", "DELETE-RULE", "GET"]


def test_case4_nothing_lost_and_nothing_changed_stays_unchanged():
    net = Flaky([rule("mine", 3000)], [])
    params = batch_params()
    params["rules"][0].update(protocol="*")
    with pytest.raises(Exit) as done:
        nsg_rules.main_logic(FakeModule(params, net))
    assert done.value.result["changed"] is False and [c[0] for c in net.calls] == ["GET"]
