"""Scale measurement of backup_readiness_info against the sandbox (50 ms latency per request by default).

Used by tests/integration/test_readiness_scale.py (which asserts request counts, never times) and runnable on its own
for `make bench`:

    .venv/bin/python tests/integration/readiness_bench.py [--sizes 50,1000] [--latency-ms 50]

It builds and installs the collection from its tarball, starts a sandbox, loads a generated fleet and runs the module
through ansible-playbook, as a user does. Printed: VMs, ARM requests (from the sandbox log), requests per VM,
instance-view GETs, the module's own run time (task duration) and the whole ansible-playbook wall time.
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
if os.path.join(ROOT, "tests", "sandbox") not in sys.path:
    sys.path.insert(0, os.path.join(ROOT, "tests", "sandbox"))

from armsandbox.fixturegen import make_vm_fleet  # noqa: E402

SCENARIOS = {
    # Subscription scope over 10 resource groups in two regions: instance views come with ListAll?statusOnly=true.
    "subscription": {"groups": 10, "args": {}},
    # One resource group holding the whole fleet: one instance-view GET per VM (the worst case the design allows).
    "one-group": {"groups": 1, "args": {"resource_group": "rg-fleet-00"}},
}


def fleet(n, groups=10, seed=7):
    names = ["rg-fleet-%02d" % i for i in range(groups)]
    fixture = make_vm_fleet(n, regions=("westeurope", "northeurope"), resource_groups=names, seed=seed)
    fixture["vaults"] = [{"resource_group": names[0], "name": "rsv-fleet-weu", "location": "westeurope"},
                         {"resource_group": names[0], "name": "rsv-fleet-neu", "location": "northeurope"}]
    return fixture


def ansible_env(sandbox, collections_path, home):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AZURE_")}
    env.update({
        "HOME": home,
        "ANSIBLE_COLLECTIONS_PATH": collections_path,
        "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
        "ANSIBLE_LOCALHOST_WARNING": "false",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "ANSIBLE_NOCOLOR": "1",
        "AZURE_CLIENT_ID": sandbox.client_id,
        "AZURE_SECRET": sandbox.client_secret,
        "AZURE_TENANT": sandbox.tenant_id,
        "AZURE_SUBSCRIPTION_ID": sandbox.subscription_id,
        "AZURE_CLOUD_ENVIRONMENT": sandbox.url,
        "REQUESTS_CA_BUNDLE": sandbox.ca_bundle,
        "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""),
    })
    return env


def _seconds(duration):
    def parse(text):
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (parse(duration["end"]) - parse(duration["start"])).total_seconds()


def measure(collections_path, sandbox, n, scenario="subscription", latency_ms=50, seed=7):
    """Run the module once over a generated fleet of n VMs; returns the figures (and the module result)."""
    spec = SCENARIOS[scenario]
    control = sandbox.control
    control.reset()
    control.load_fixtures(fleet(n, spec["groups"], seed))
    control.set_faults(latency_ms=latency_ms)
    control.clear_requests()
    with tempfile.TemporaryDirectory() as home:
        play = [{"name": "bench", "hosts": "localhost", "gather_facts": False, "connection": "local",
                 "tasks": [{"name": "readiness", "azbackup.vmprep.backup_readiness_info": spec["args"]}]}]
        path = os.path.join(home, "bench.yml")
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(play, fh)
        started = time.monotonic()
        proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,", path],
                              env=ansible_env(sandbox, collections_path, home), capture_output=True, text=True,
                              timeout=900, check=False)
        wall = time.monotonic() - started
    control.clear_faults()
    doc = json.loads(proc.stdout[proc.stdout.index("{"):])
    task = doc["plays"][0]["tasks"][0]
    result = task["hosts"]["localhost"]
    if result.get("failed"):
        raise AssertionError("module failed: %s" % result.get("msg"))
    arm = [r for r in control.requests() if r.get("kind") in ("arm", "lro-poll")]
    views = [r for r in arm if r["path"].lower().endswith("/instanceview")]
    return {
        "scenario": scenario,
        "vms": result["summary"]["vms"],
        "requests": len(arm),
        "requests_per_vm": round(len(arm) / max(1, n), 3),
        "instance_view_gets": len(views),
        "list_requests": len(arm) - len(views),
        "module_seconds": round(_seconds(task["task"]["duration"]), 2),
        "playbook_seconds": round(wall, 2),
        "module_reported_requests": result.get("requests"),
        "summary": {k: result["summary"][k] for k in ("pass", "warn", "fail")},
        "result": result,
    }


def line(figures):
    return ("readiness bench %(scenario)-12s %(vms)5d VMs: %(requests)5d ARM requests (%(requests_per_vm).3f/VM; "
            "%(list_requests)d list pages + %(instance_view_gets)d instance-view GETs), module %(module_seconds).2f s, "
            "ansible-playbook %(playbook_seconds).2f s" % figures)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--sizes", default="50,1000")
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    args = parser.parse_args(argv)
    from armsandbox.client import start_sandbox

    out = subprocess.run([os.path.join(ROOT, "scripts", "collection.sh"), "install"], check=True,
                         capture_output=True, text=True, cwd=ROOT)
    collections_path = out.stdout.strip().splitlines()[-1]
    with tempfile.TemporaryDirectory() as state:
        sandbox = start_sandbox(state, strict=True)
        try:
            for scenario in args.scenarios.split(","):
                for n in (int(s) for s in args.sizes.split(",")):
                    print(line(measure(collections_path, sandbox, n, scenario, args.latency_ms)), flush=True)
        finally:
            sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
