"""Stdlib helpers for tests: SandboxControl (control API client) and start_sandbox (subprocess)."""

import json
import os
import ssl
import subprocess
import sys
import time
import urllib.request

RUN_PY = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "run.py")


class SandboxControl:
    """Talks to the /_sandbox/ control API of a running sandbox."""

    def __init__(self, url, ca_bundle):
        self.url = url.rstrip("/")
        self._context = ssl.create_default_context(cafile=ca_bundle)

    def _call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}/_sandbox/{path}", data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, context=self._context, timeout=30) as response:
            payload = response.read()
        return json.loads(payload) if payload else None

    def reset(self, reload_fixtures=False):
        return self._call("POST", "reset", {"reload_fixtures": reload_fixtures})

    def load_fixtures(self, fixtures):
        """fixtures: a dict in the fixture format, or a path to a JSON file."""
        if not isinstance(fixtures, dict):
            with open(fixtures, encoding="utf-8") as fh:
                fixtures = json.load(fh)
        return self._call("POST", "fixtures", fixtures)

    def set_faults(self, **settings):
        return self._call("POST", "faults", settings)

    def clear_faults(self):
        return self._call("DELETE", "faults")

    def requests(self, kind=None):
        return self._call("GET", "requests" + (f"?kind={kind}" if kind else ""))

    def clear_requests(self):
        self._call("DELETE", "requests")

    def state(self):
        return self._call("GET", "state")

    def set_strict(self, enabled=True):
        return self._call("POST", "strict", {"enabled": enabled})

    def strict_stats(self):
        """{"enabled", "bodies", "validated", "rejected", "schema_dir"}: see GET /_sandbox/strict."""
        return self._call("GET", "strict")


class SandboxHandle:
    """A running sandbox subprocess: url, ca_bundle, credentials, control and stop()."""

    def __init__(self, process, info, state_dir):
        self.process = process
        self.info = info
        self.state_dir = state_dir
        self.url = info["url"]
        self.port = info["port"]
        self.ca_bundle = info["ca_bundle"]
        self.tenant_id = info["tenant_id"]
        self.client_id = info["client_id"]
        self.client_secret = info["client_secret"]
        self.subscription_id = info["subscription_id"]
        self.audience = info["audience"]
        self.scope = self.audience + ".default"
        self.control = SandboxControl(self.url, self.ca_bundle)

    def stop(self, timeout=10):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        return self.process.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def start_sandbox(state_dir, port=0, host="127.0.0.1", fixtures=(), strict=False, latency_ms=0,
                  timeout=30, python=None, log_path=None):
    """Spawn run.py and wait until DIR/sandbox.json names the new process; returns a SandboxHandle."""
    os.makedirs(state_dir, exist_ok=True)
    info_path = os.path.join(state_dir, "sandbox.json")
    command = [python or sys.executable, RUN_PY, "--state-dir", state_dir, "--port", str(port), "--host", host]
    if fixtures:
        command += ["--fixtures", *[str(f) for f in fixtures]]
    if strict:
        command.append("--strict")
    if latency_ms:
        command += ["--latency-ms", str(latency_ms)]
    with open(log_path or os.path.join(state_dir, "sandbox.log"), "ab") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"sandbox exited with code {process.returncode}; see {state_dir}/sandbox.log")
        try:
            with open(info_path, encoding="utf-8") as fh:
                info = json.load(fh)
            if info.get("pid") == process.pid:
                return SandboxHandle(process, info, state_dir)
        except (OSError, ValueError):
            pass
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"sandbox did not start within {timeout}s")
