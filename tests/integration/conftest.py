"""Integration harness: the collection built and installed from its tarball, run by ansible-playbook against the
local ARM sandbox over HTTPS, exactly as a user runs it against Azure Stack Hub (cloud_environment = a URL)."""

import fcntl
import json
import os
import shutil
import subprocess
import sys
import textwrap
import uuid

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# The demo estate of the sandbox (docs/sandbox.md): seven VMs in two resource groups.
SEED = os.path.join(ROOT, "tests", "sandbox", "fixtures", "seed.json")
sys.path.insert(0, os.path.join(ROOT, "tests", "sandbox"))

from armsandbox.client import start_sandbox  # noqa: E402
from armsandbox.compactschema import strict_problem  # noqa: E402


# Fault profiles of the reliability matrix (`make reliability` runs the suite once per profile; `make test` runs
# the whole suite without faults plus the idempotence and convergence tests under "transient", "busy",
# "lost-answer" and "busy-window"). Tests that set faults themselves override these.
FAULT_PROFILES = {
    "none": None,
    "transient": {"fault_rate": 0.3, "fault_statuses": [429, 500, 503], "retry_after": 0.05, "drop_rate": 0.0},
    "slow-lro": {"lro_polls": 4, "lro_retry_after": 0.25},
    "drop-lro": {"lro_polls": 3, "lro_retry_after": 0.05, "lro_drop_rate": 0.3},
    # Hostile ARM (docs/reliability.md): busy 409s without Retry-After, and accepted writes whose long-running
    # operation ends Failed with AnotherOperationInProgress / RetryableErrorDueToAnotherOperation, change not applied.
    "busy": {"busy_rate": 0.25, "busy_retry_after_rate": 0.0, "busy_lro_rate": 0.15},
    # Writes that Azure applied but whose answer was lost: the connection dropped, or a 500, after the change.
    "lost-answer": {"lost_answer_rate": 0.25, "lost_answer_kinds": ["drop", 500]},
    # Every NSG write keeps the NSG busy for 1 s; other writes meanwhile get 409 AnotherOperationInProgress, half of
    # them without Retry-After.
    "busy-window": {"nsg_busy_seconds": 1.0, "busy_retry_after_rate": 0.5},
}
# Faults are counted apart by who asked for them: the session's profile, or a test that sets its own (retry and
# recovery tests do, under every profile, "none" included).
FAULT_TOTALS = {"tests": 0, "requests": 0, "faults": 0, "own_fault_tests": 0, "own_faults": 0}


def pytest_addoption(parser):
    parser.addoption("--fault-profile", default=os.environ.get("AZBACKUP_FAULT_PROFILE", "none"),
                     choices=sorted(FAULT_PROFILES), help="fault profile applied to the sandbox before each test")


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """pytest-xdist: add a worker's fault figures to the controller's (which prints the summary)."""
    for key, value in getattr(node, "workeroutput", {}).get("azbackup_fault_totals", {}).items():
        FAULT_TOTALS[key] += value


def pytest_sessionfinish(session):
    if _is_xdist_worker(session.config):
        session.config.workeroutput["azbackup_fault_totals"] = dict(FAULT_TOTALS)


def pytest_terminal_summary(terminalreporter, config):
    line = fault_summary(config.getoption("--fault-profile"), FAULT_TOTALS)
    if line:
        terminalreporter.write_line(line)


def fault_summary(profile, totals):
    """The closing line of a run, truthful for every profile: under "none" the profile injects nothing, and the
    faults that tests set themselves are counted apart."""
    if not totals["tests"]:
        return ""
    line = "fault profile %s: %d tests, %d sandbox requests; " % (profile, totals["tests"], totals["requests"])
    if FAULT_PROFILES[profile] is None:
        line += "the profile injects no faults"
    else:
        line += "%d faults injected by the profile" % totals["faults"]
    if totals["own_fault_tests"]:
        line += "; %d more by the %d test(s) that set faults of their own (retry and recovery tests)" % (
            totals["own_faults"], totals["own_fault_tests"])
    return line


# One build of the collection per test run, shared by all pytest-xdist workers: the controller (or the only process
# without xdist) names the run's directory in the environment before the workers start, and they inherit it.
RUN_ENV = "AZBACKUP_IT_RUN_DIR"
RUNS_DIR = os.path.join(ROOT, "build", "integration")


def _is_xdist_worker(config):
    return hasattr(config, "workerinput")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    # Tests that use neither the Azure SDKs nor the sandbox (role input checks, demo tooling): the lowest-SDK pass
    # (make integration-lowest) deselects them, since they would only repeat the newest pass.
    config.addinivalue_line("markers", "sdk_independent: does not use the Azure SDKs; run once, in the newest pass")
    if not _is_xdist_worker(config) and not os.environ.get(RUN_ENV):
        os.environ[RUN_ENV] = os.path.join(RUNS_DIR, "run-%d-%s" % (os.getpid(), uuid.uuid4().hex[:8]))
        config._azbackup_run_dir = os.environ[RUN_ENV]


def pytest_unconfigure(config):
    run_dir = getattr(config, "_azbackup_run_dir", None)
    if run_dir:
        shutil.rmtree(run_dir, ignore_errors=True)
        os.environ.pop(RUN_ENV, None)


def build_collection_once(run_dir):
    """Build the collection with ansible-galaxy and install it from the tarball into run_dir/collections, once:
    the first worker builds under an exclusive file lock, the others wait for the lock and reuse the result."""
    os.makedirs(run_dir, exist_ok=True)
    dest = os.path.join(run_dir, "collections")
    done = os.path.join(run_dir, "collections.done")
    with open(os.path.join(run_dir, "collections.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.exists(done):
            env = dict(os.environ, VENV=sys.prefix)  # the venv that runs the tests also builds (ansible-galaxy)
            out = subprocess.run([os.path.join(ROOT, "scripts", "collection.sh"), "install", dest], check=True,
                                 capture_output=True, text=True, cwd=ROOT, env=env)
            with open(done, "w") as fh:
                fh.write(out.stdout.strip().splitlines()[-1])
        with open(done) as fh:
            return fh.read().strip()


@pytest.fixture(scope="session")
def collections_path():
    """The collection as users get it: built with ansible-galaxy and installed from the tarball (no Galaxy access)."""
    return build_collection_once(os.environ[RUN_ENV])


@pytest.fixture(scope="session")
def sandbox_server(tmp_path_factory):
    """One sandbox per session, i.e. per pytest-xdist worker (each on a port of its own)."""
    handle = start_sandbox(str(tmp_path_factory.mktemp("sandbox")), strict=True)
    yield handle
    stats = handle.control.strict_stats()
    handle.stop()
    problem = strict_problem(stats)  # the run fails when a request body reached the sandbox unvalidated
    if problem:
        pytest.fail(problem)


@pytest.fixture
def sandbox(sandbox_server, request):
    """A clean sandbox per test: empty state, the session's fault profile, empty request log."""
    ctl = sandbox_server.control
    ctl.reset()
    ctl.set_strict(True)  # every request body is validated against the Azure specs
    ctl.clear_faults()
    profile = FAULT_PROFILES[request.config.getoption("--fault-profile")]
    if profile:
        ctl.set_faults(**profile)
    ctl.clear_requests()
    own = []  # whether the test sets faults of its own (then its faults are not the profile's)
    set_faults = ctl.set_faults
    ctl.set_faults = lambda **settings: (own.append(True), set_faults(**settings))[1]
    try:
        yield sandbox_server
    finally:
        del ctl.set_faults
    log = ctl.requests()
    faults = sum(1 for r in log if r.get("fault"))
    FAULT_TOTALS["tests"] += 1
    FAULT_TOTALS["requests"] += len(log)
    if own:
        FAULT_TOTALS["own_fault_tests"] += 1
        FAULT_TOTALS["own_faults"] += faults
    else:
        FAULT_TOTALS["faults"] += faults


class Runner:
    """Runs tasks of the installed collection through ansible-playbook and returns each task's result."""

    def __init__(self, sandbox, collections_path, tmp_path):
        self.sandbox = sandbox
        self.collections_path = collections_path
        self.tmp_path = tmp_path

    def env(self, **overrides):
        sb = self.sandbox
        env = {k: v for k, v in os.environ.items() if not k.startswith("AZURE_")}
        env.update({
            "HOME": str(self.tmp_path),
            "ANSIBLE_COLLECTIONS_PATH": self.collections_path,
            "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
            "ANSIBLE_LOCALHOST_WARNING": "false",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
            "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
            "ANSIBLE_NOCOLOR": "1",
            # What the AWX "Microsoft Azure Resource Manager" credential injects.
            "AZURE_CLIENT_ID": sb.client_id,
            "AZURE_SECRET": sb.client_secret,
            "AZURE_TENANT": sb.tenant_id,
            "AZURE_SUBSCRIPTION_ID": sb.subscription_id,
            "AZURE_CLOUD_ENVIRONMENT": sb.url,
            "REQUESTS_CA_BUNDLE": sb.ca_bundle,
            "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""),
        })
        for key, value in overrides.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    def playbook(self, tasks, check=False, diff=False, verbosity=0, env=None, extra_args=(), raw=False):
        """Run a list of task dicts on localhost; returns (results, completed process)."""
        play = [{"name": "integration", "hosts": "localhost", "gather_facts": False, "connection": "local",
                 "tasks": tasks}]
        path = self.tmp_path / ("play-%s.yml" % uuid.uuid4().hex[:8])
        path.write_text(json.dumps(play))
        cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,", str(path)]
        if check:
            cmd.append("--check")
        if diff:
            cmd.append("--diff")
        if verbosity:
            cmd.append("-" + "v" * verbosity)
        cmd.extend(extra_args)
        proc = subprocess.run(cmd, env=env or self.env(), capture_output=True, text=True, timeout=600, check=False)
        if raw:
            return None, proc
        try:
            doc = json.loads(proc.stdout[proc.stdout.index("{"):])
        except ValueError:
            raise AssertionError("ansible-playbook output is not JSON:\n%s\n%s" % (proc.stdout[-3000:], proc.stderr[-3000:]))
        results = []
        for play_doc in doc.get("plays", []):
            for task in play_doc.get("tasks", []):
                results.append(task["hosts"].get("localhost", {}))
        return results, proc

    def ansible_playbook(self, *args, env=None):
        """ansible-playbook with the given arguments (a playbook of the repository, an inventory, -e ...)."""
        cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), *args]
        return subprocess.run(cmd, env=env or self.env(ANSIBLE_STDOUT_CALLBACK="default"), capture_output=True,
                              text=True, timeout=900, check=False)

    def module(self, name, args=None, **kwargs):
        """Run one module task and return its result dict (failed results are returned, not raised)."""
        task = {"name": name, "azbackup.vmprep.%s" % name: args or {}, "ignore_errors": True}
        results, proc = self.playbook([task], **kwargs)
        assert results, "no task result:\n%s\n%s" % (proc.stdout[-2000:], proc.stderr[-2000:])
        return results[0]


@pytest.fixture
def run(sandbox, collections_path, tmp_path):
    return Runner(sandbox, collections_path, tmp_path)


def arm_requests(sandbox, writes=None, polls=True):
    """ARM requests of the sandbox log that took effect: not login, metadata or control traffic, and not requests
    that an injected fault answered (their retries are what counts); LRO status polls unless polls=False."""
    kinds = ("arm", "lro-poll") if polls else ("arm",)
    out = [r for r in sandbox.control.requests() if r.get("kind") in kinds and not r.get("fault")]
    if writes is not None:
        out = [r for r in out if bool(r.get("is_write")) == writes]
    return out


def dedent(text):
    return textwrap.dedent(text).strip() + "\n"


@pytest.fixture
def seeded(sandbox):
    """The sandbox with the demo estate (SEED) loaded and an empty request log."""
    with open(SEED, encoding="utf-8") as handle:
        sandbox.control.load_fixtures(json.load(handle))
    sandbox.control.clear_requests()
    return sandbox
