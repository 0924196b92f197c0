"""Fuzzing of every module's input with hypothesis: each invalid argument set must end in fail_json with a
message, without a traceback, and without any request reaching the sandbox.

Modules run in-process (the installed collection, as built from its tarball) so that hundreds of argument sets
per module take seconds. Invalid sets are built from each module's DOCUMENTATION (unknown options, wrong types,
values outside `choices`, missing required options) plus module-specific values that only the module's own
validation can reject (MODULE_CASES).
"""

import contextlib
import importlib
import io
import json
import os
import sys

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT

EXAMPLES = int(os.environ.get("AZBACKUP_FUZZ_EXAMPLES", "500"))

# Minimal valid arguments per module, and strategies for values only the module's own checks reject.
# (name of the option, strategy of invalid values)
NOT_REGION = st.text(min_size=1, max_size=30).filter(lambda s: not s.replace(" ", "").isalnum())
BAD_WAIT_TIMEOUT = st.integers(max_value=0)
BAD_VAULT_NAME = st.one_of(
    st.text("abc-", min_size=51, max_size=60).map(lambda s: "a" + s),  # too long
    st.text("0123456789-", min_size=1, max_size=10),  # does not start with a letter
    st.text("abc", min_size=1, max_size=5).map(lambda s: s + "_!"),  # characters outside letters, digits, hyphens
    st.just("a"),  # too short
)
BAD_GROUP = st.one_of(st.just(""), st.text("abc", min_size=1, max_size=5).map(lambda s: s + "/x"),
                      st.text("a", min_size=91, max_size=95), st.just("rg."))
NSG_RULE_INVALID = [
    ("name", st.sampled_from(["", "-x", "x-", "a b", "x" * 81, "r/1"]) | st.text(max_size=10).map(lambda s: "!" + s)),
    ("priority", st.integers().filter(lambda n: n < 100 or n > 4096)
     | st.sampled_from(["high", "1e3", "", "12.5", "1_00", "\u0661\u0660\u0660", "\uff12\uff10\uff10", "2\u00b2\u00b2"])),
    ("direction", st.text(min_size=1, max_size=12).filter(lambda s: s.lower() not in ("inbound", "outbound"))),
    ("access", st.text(min_size=1, max_size=12).filter(lambda s: s.lower() not in ("allow", "deny"))),
    ("protocol", st.text(min_size=1, max_size=12).filter(
        lambda s: s.lower() not in ("tcp", "udp", "icmp", "esp", "ah", "*"))),
    ("destination_port_ranges", st.integers(min_value=65536).map(lambda n: [n])
     | st.sampled_from([["http"], ["443-80"], ["*", "80"], [], ["-1"], ["1-2-3"], ["\u00b2"], ["8\u00b2"],
                        ["\u0661\u0660"], ["80-\u0663"], ["4_43"]])),
    ("source_address_prefixes", st.sampled_from([["10.0.0.0/33"], ["300.1.1.1"], ["AzureBackup", "10.0.0.1"],
                                                 ["*", "10.0.0.1"], ["10.0.0.1", "::1"], [], ["a b"], ["10.0.0.5/24"],
                                                 ["fe80::1%eth0"], ["fe80::%1/64"], ["2001:db8::1%en0"]])),
    ("description", st.text(min_size=141, max_size=300)),
    ("priority_range", st.sampled_from([[1, 50], [300, 200], [100], [100, 5000]])),
]
NSG = {"resource_group": "rg", "security_group": "nsg"}
NSG_TARGET_INVALID = [("resource_group", BAD_GROUP),
                      ("security_group", st.sampled_from(["", "-nsg", "nsg-", "a b", "n" * 81, "nsg/x"]))]


BACKUP_VAULT = {"vault_name": "rsv-fuzz", "vault_resource_group": "rg-fuzz"}
BACKUP_VAULT_INVALID = [("vault_name", BAD_VAULT_NAME | st.just("rsv1\n")),
                        ("vault_resource_group", BAD_GROUP | st.just("rg\n"))]
BACKUP_VMS_INVALID = [("vms", st.sampled_from([
    ["not-an-id"], [{"name": "vm1"}], [{"resource_group": "rg"}], [{"name": "vm 1", "resource_group": "rg"}],
    [{"name": "vm1\n", "resource_group": "rg"}], [{"name": "vm1", "resource_group": "rg/x"}], [5], [["x"]],
    [{"name": "vm1", "resource_group": "rg", "colour": "red"}],
    [{"name": "vm1", "resource_group": "rg"}, {"name": "VM1", "resource_group": "RG"}],
    ["/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1", {"id": "x", "name": "y"}],
]))]
BAD_POLICY = st.sampled_from(["", "a/b", "p 1", "p1\n", "-p", "x" * 151, "p?1"])


def in_batch(option, values):
    """A list of two rules: the first valid, the second with one invalid value of `option`."""
    return values.map(lambda v: [{"name": "ok", "priority": 300}, dict({"name": "r1", "priority": 200}, **{option: v})])


BACKUP_VAULT = {"vault_name": "rsv-fuzz", "vault_resource_group": "rg-fuzz"}
BAD_TIME = st.sampled_from(["2:00", "02:15", "24:00", "noon", "", "02:00:00", "0200"])
MODULE_CASES = {
    "backup_policy": {
        "valid": dict(BACKUP_VAULT, name="pol-fuzz"),
        "invalid": [
            ("vault_name", BAD_VAULT_NAME),
            ("vault_resource_group", BAD_GROUP),
            ("name", st.sampled_from(["", "a b", "a/b", "-ab", "x" * 151])),
            ("wait_timeout", BAD_WAIT_TIMEOUT),
            ("instant_restore_days", st.one_of(st.integers(max_value=0), st.integers(min_value=31))),
            ("time_zone", st.sampled_from(["Europe/Berlin", "", " ", "UTC;drop"])),
            ("schedule", BAD_TIME.map(lambda t: {"frequency": "daily", "times": [t]})),
            ("schedule", st.just({"frequency": "daily", "times": ["02:00", "03:00"]})),
            ("schedule", st.just({"frequency": "daily", "weekdays": ["Monday"]})),
            ("schedule", st.text(max_size=8).map(lambda d: {"weekdays": ["x" + d]})),
            ("schedule", st.integers().filter(lambda n: not 4 <= n <= 24).map(lambda n: {"hourly_window_hours": n})),
            ("retention", st.integers().filter(lambda n: n != 0 and not 7 <= n <= 9999).map(
                lambda n: {"daily": {"count": n}})),
            ("retention", st.sampled_from([{"monthly": {"days": [29]}}, {"monthly": {"days": [1], "weeks": ["First"]}},
                                           {"yearly": {"months": ["Smarch"]}}, {"weekly": {"weekdays": []}}])),
        ],
        "extra": [
            st.just(dict(BACKUP_VAULT, name="pol-fuzz", policy_type="standard",
                         schedule={"frequency": "hourly"})),
            st.just(dict(BACKUP_VAULT, name="pol-fuzz", policy_type="standard", instant_restore_days=6)),
            st.just(dict(BACKUP_VAULT, name="pol-fuzz", schedule={"frequency": "weekly"},
                         retention={"daily": {"count": 30}})),
        ],
    },
    "backup_policy_info": {
        "valid": dict(BACKUP_VAULT),
        "invalid": [("vault_name", BAD_VAULT_NAME), ("vault_resource_group", BAD_GROUP),
                    ("name", st.sampled_from(["", "a b", "a/b"]))],
    },
    "service_tags_info": {
        "valid": {"location": "westeurope"},
        "invalid": [("location", NOT_REGION)],
    },
    "recovery_vault": {
        "valid": {"name": "rsv-fuzz", "resource_group": "rg-fuzz", "location": "westeurope"},
        "invalid": [
            ("name", BAD_VAULT_NAME),
            ("resource_group", BAD_GROUP),
            ("location", NOT_REGION),
            ("wait_timeout", BAD_WAIT_TIMEOUT),
            ("soft_delete_retention_days", st.one_of(st.integers(max_value=13), st.integers(min_value=181))),
            ("immutability", st.just("Locked")),  # without immutability_lock_confirm
            ("tags", st.dictionaries(st.text("abc", min_size=1, max_size=4), st.just("v"), min_size=51, max_size=55)),
            ("tags", st.sampled_from([{"a/b": "v"}, {"x?": "v"}, {"k": "v" * 257}])),
        ],
        "extra": [
            st.just({"name": "rsv-fuzz", "resource_group": "rg-fuzz", "location": "westeurope",
                     "cross_region_restore": True, "storage_redundancy": "LocallyRedundant"}),
            st.just({"name": "rsv-fuzz", "resource_group": "rg-fuzz", "location": "westeurope",
                     "soft_delete": "Disabled", "soft_delete_retention_days": 30}),
        ],
    },
    "recovery_vault_info": {
        "valid": {"resource_group": "rg-fuzz"},
        "invalid": [("resource_group", BAD_GROUP), ("name", BAD_VAULT_NAME),
                    ("tags", st.sampled_from([[":v"], [""], [":"]]))],
    },
    "vm_info": {
        "valid": {"resource_groups": ["rg-fuzz"]},
        "invalid": [
            ("resource_groups", BAD_GROUP.map(lambda s: [s])),
            ("exclude_resource_groups", BAD_GROUP.map(lambda s: [s])),
            ("names", st.just([""])),
            ("tags", st.sampled_from([{"env": []}, {"": "x"}, {"env": None}, {"env": {"a": "b"}}, {"env": True}])),
            ("exclude_tags", st.sampled_from([{"env": []}, {"": "x"}])),
            ("max_concurrency", st.one_of(st.integers(max_value=0), st.integers(min_value=65))),
        ],
    },
    "backup_readiness_info": {
        "valid": {"resource_group": "rg-fuzz"},
        "invalid": [
            ("resource_group", BAD_GROUP),
            ("names", st.just([""])),
            ("vault_regions", NOT_REGION.map(lambda s: [s])),
            ("min_agent_version", st.sampled_from([{"solaris": "1.0"}, {"linux": "one.two"}, {"windows": ""}])),
            ("max_data_disks", st.integers(max_value=-1)),
            ("max_concurrency", st.one_of(st.integers(max_value=0), st.integers(min_value=65))),
            ("vaults", st.sampled_from([[{"name": "v"}], [{"resource_group": "rg"}],
                                        [{"name": "../x", "resource_group": "rg"}],
                                        [{"name": "rsv-ok", "resource_group": "rg/../x"}]])),
        ],
        "extra": [st.just({"vaults": [{"name": "v", "resource_group": "rg"}], "vault_regions": ["westeurope"]})],
    },
    "nsg_rule": {
        "valid": dict(NSG, name="r1", priority=200),
        "invalid": NSG_RULE_INVALID + NSG_TARGET_INVALID + [("wait_timeout", BAD_WAIT_TIMEOUT)],
    },
    "nsg_rules": {
        "valid": dict(NSG, rules=[{"name": "r1", "priority": 200}]),
        "invalid": [("rules", in_batch(opt, values)) for opt, values in NSG_RULE_INVALID]
        + [("rules", st.just([{"name": "twice", "priority": 200}, {"name": "TWICE", "priority": 201}])),
           ("max_attempts", st.integers(max_value=0)), ("wait_timeout", BAD_WAIT_TIMEOUT)] + NSG_TARGET_INVALID,
    },
    "backup_now": {
        "valid": {"vault_name": "rsv-fuzz", "vault_resource_group": "rg-fuzz", "vms": [
            "/subscriptions/33333333-3333-3333-3333-333333333333/resourceGroups/rg-fuzz/providers/"
            "Microsoft.Compute/virtualMachines/vm-fuzz"]},
        "invalid": [
            ("vault_name", BAD_VAULT_NAME | st.just("rsv1\n")), ("vault_resource_group", BAD_GROUP | st.just("rg\n")),
            ("wait_timeout", BAD_WAIT_TIMEOUT),
            ("retain_days", st.one_of(st.integers(max_value=0), st.integers(min_value=10000))),
            ("retain_until", st.text(max_size=12).filter(lambda s: not s.strip()[:4].isdigit())
             | st.sampled_from(["2020-01-01", "2027-02-30", "3000-01-01", "27-01-01", "2027-1-1", "2027-01-01T00"])),
            ("max_concurrency", st.one_of(st.integers(max_value=0), st.integers(min_value=65))),
            ("vms", st.sampled_from([[], ["vm1"], [{"name": "vm1"}], [{"resource_group": "rg"}], [1], [["x"]],
                                     [{"name": "vm/1", "resource_group": "rg"}], [{"id": "x", "name": "y"}],
                                     [{"name": "vm1", "resource_group": "rg", "policy": "p"}],
                                     [{"name": "vm1\n", "resource_group": "rg"}], [{"name": "vm1", "resource_group": "rg "}],
                                     ["/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/disks/d"]])),
        ],
        "extra": [st.just({"vault_name": "rsv-fuzz", "vault_resource_group": "rg-fuzz", "retain_days": 3,
                           "retain_until": "2030-01-01", "vms": [{"name": "vm1", "resource_group": "rg"}]}),
                  st.just({"vault_name": "rsv-fuzz", "vault_resource_group": "rg-fuzz",
                           "vms": [{"name": "vm1", "resource_group": "rg"}, {"name": "VM1", "resource_group": "RG"}]})],
    },
    "backup_job_info": {
        "valid": {"vault_name": "rsv-fuzz", "vault_resource_group": "rg-fuzz"},
        "invalid": [
            ("vault_name", BAD_VAULT_NAME | st.just("rsv1\n")), ("vault_resource_group", BAD_GROUP | st.just("rg\n")),
            ("since_hours", st.one_of(st.integers(max_value=0), st.integers(min_value=4321))),
            ("job_id", st.text(max_size=8).map(lambda s: s + "/x") | st.just("") | st.just("  ")),
            ("vms", st.sampled_from([[""], ["-vm"], ["vm 1"], ["/subscriptions/x/y"], ["a" * 65]])),
        ],
    },
    "vm_protection": {
        "valid": dict(BACKUP_VAULT, policy="p1", vms=[{"name": "vm1", "resource_group": "rg-app"}]),
        "invalid": BACKUP_VAULT_INVALID + BACKUP_VMS_INVALID + [
            ("policy", BAD_POLICY),
            ("vms", BAD_POLICY.map(lambda p: [{"name": "vm1", "resource_group": "rg-app", "policy": p}])),
            ("max_concurrency", st.one_of(st.integers(max_value=0), st.integers(min_value=65))),
            ("wait_timeout", BAD_WAIT_TIMEOUT)],
        "extra": [st.just(dict(BACKUP_VAULT, vms=[{"name": "vm1", "resource_group": "rg-app"}])),  # no policy
                  st.just(dict(BACKUP_VAULT, policy="p1", vms=[]))],
    },
    "vm_protection_info": {
        "valid": dict(BACKUP_VAULT),
        "invalid": BACKUP_VAULT_INVALID + BACKUP_VMS_INVALID,
    },
    "nsg_rule_info": {
        "valid": dict(NSG),
        "invalid": [("direction", st.text(min_size=1, max_size=12).filter(
            lambda s: s.lower() not in ("inbound", "outbound")))] + NSG_TARGET_INVALID,
    },
}


def module_names():
    folder = os.path.join(ROOT, "plugins", "modules")
    return sorted(f[:-3] for f in os.listdir(folder) if f.endswith(".py") and not f.startswith("_"))


def documented_options(mod):
    doc = yaml.safe_load(mod.DOCUMENTATION)
    return doc.get("options") or {}


WRONG_TYPE = {
    "int": st.sampled_from(["many", "1.5x", "ten", "[]"]),
    "bool": st.sampled_from(["maybe", "sometimes", "2", "perhaps"]),
    "dict": st.sampled_from(["not-a-dict", "[1, 2]", "1"]),
    "float": st.sampled_from(["fast", "x1"]),
}


def invalid_args(mod, name, options):
    """A strategy of argument dicts, each certainly invalid."""
    case = MODULE_CASES[name]
    valid = dict(case["valid"])
    strategies = [st.builds(lambda k, v: dict(valid, **{"zz_" + k: v}), st.text("abcdefgh", min_size=1, max_size=8),
                            st.text(max_size=10))]
    for opt, spec in options.items():
        kind = spec.get("type", "str")
        if spec.get("choices"):
            choices = [str(c) for c in spec["choices"]]
            values = st.text(min_size=1, max_size=12).filter(lambda v, c=choices: v not in c)
            if kind == "list":
                values = values.map(lambda v: [v])
            if kind in ("str", "list"):
                strategies.append(values.map(lambda v, o=opt: dict(valid, **{o: v})))
        if kind in WRONG_TYPE:
            strategies.append(WRONG_TYPE[kind].map(lambda v, o=opt: dict(valid, **{o: v})))
        if kind == "list" and spec.get("elements") in WRONG_TYPE:
            strategies.append(WRONG_TYPE[spec["elements"]].map(lambda v, o=opt: dict(valid, **{o: [v]})))
        if spec.get("required"):
            strategies.append(st.just({k: v for k, v in valid.items() if k != opt}))
    for opt, values in case["invalid"]:
        strategies.append(values.map(lambda v, o=opt: dict(valid, **{o: v})))
    strategies.extend(case.get("extra", []))
    return st.one_of(strategies)


@contextlib.contextmanager
def module_args(args):
    """The module's arguments, the way AnsibleModule reads them on every ansible-core the collection supports
    (ansible.module_utils.testing.patch_module_args exists from 2.19 on; 2.16 - 2.18 read basic._ANSIBLE_ARGS)."""
    try:
        from ansible.module_utils.testing import patch_module_args
    except ImportError:
        from ansible.module_utils import basic
        from ansible.module_utils.common.text.converters import to_bytes

        # ansible-core 2.16 - 2.18 also log the arguments to syslog, which raises ValueError on a NUL character
        # before any module code runs (docs/compatibility.md); the fuzzing is about the module's own checks.
        saved = basic._ANSIBLE_ARGS, basic.HAS_SYSLOG
        basic._ANSIBLE_ARGS = to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
        basic.HAS_SYSLOG = False
        try:
            yield
        finally:
            basic._ANSIBLE_ARGS, basic.HAS_SYSLOG = saved
        return
    with patch_module_args(args):
        yield


def run_in_process(mod, args):
    out = io.StringIO()
    with module_args(args), contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        mod.main()
    text = out.getvalue()
    return json.loads(text[text.index("{"):])


@pytest.fixture(scope="module")
def installed(collections_path):
    sys.path.insert(0, collections_path)
    yield
    sys.path.remove(collections_path)


@pytest.mark.parametrize("name", module_names())
def test_invalid_input_fails_cleanly_without_requests(name, installed, sandbox, monkeypatch):
    assert name in MODULE_CASES, "add %s to MODULE_CASES so that its input is fuzzed" % name
    for key, value in {"AZURE_CLIENT_ID": sandbox.client_id, "AZURE_SECRET": sandbox.client_secret,
                       "AZURE_TENANT": sandbox.tenant_id, "AZURE_SUBSCRIPTION_ID": sandbox.subscription_id,
                       "AZURE_CLOUD_ENVIRONMENT": sandbox.url, "REQUESTS_CA_BUNDLE": sandbox.ca_bundle}.items():
        monkeypatch.setenv(key, value)
    mod = importlib.import_module("ansible_collections.azbackup.vmprep.plugins.modules." + name)
    options = documented_options(mod)
    count = {"n": 0}

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                     HealthCheck.function_scoped_fixture])
    @given(invalid_args(mod, name, options))
    def check(args):
        count["n"] += 1
        before = len(sandbox.control.requests())
        result = run_in_process(mod, args)
        assert len(sandbox.control.requests()) == before, ("input that can be checked locally sent requests", args)
        assert result.get("failed") is True, (args, result)
        assert result.get("msg"), (args, result)
        assert "Traceback" not in json.dumps(result), (args, result)

    check()
    assert count["n"] >= min(EXAMPLES, 100)
    assert sandbox.control.requests() == [], "a request reached the sandbox for input that can be checked locally"
    print("fuzz %s: %d invalid argument sets, 0 requests" % (name, count["n"]))


def test_names_with_a_trailing_newline_are_rejected_locally(installed, sandbox, monkeypatch):
    """`$` in a regular expression also matches before a final newline: every name check must not."""
    from ansible_collections.azbackup.vmprep.plugins.module_utils import _validate, _vault

    for check, value in ((_validate.validate_resource_group, "rg\n"), (_validate.validate_location, "westeurope\n"),
                         (_vault.validate_name, "rsv1\n")):
        with pytest.raises(Exception, match="not a valid|not an Azure region"):
            check(value)
