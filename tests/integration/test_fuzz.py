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
MODULE_CASES = {
    "service_tags_info": {
        "valid": {"location": "westeurope"},
        "invalid": [("location", st.text(min_size=1, max_size=30).filter(lambda s: not s.replace(" ", "").isalnum()))],
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
    return st.one_of(strategies)


def run_in_process(mod, args):
    from ansible.module_utils.testing import patch_module_args

    out = io.StringIO()
    with patch_module_args(args), contextlib.redirect_stdout(out), pytest.raises(SystemExit):
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
        result = run_in_process(mod, args)
        assert result.get("failed") is True, (args, result)
        assert result.get("msg"), (args, result)
        assert "Traceback" not in json.dumps(result), (args, result)

    check()
    assert count["n"] >= min(EXAMPLES, 100)
    assert sandbox.control.requests() == [], "a request reached the sandbox for input that can be checked locally"
    print("fuzz %s: %d invalid argument sets, 0 requests" % (name, count["n"]))
