"""Command line entry point (used by tests/sandbox/run.py)."""

import argparse
import json
import os
import signal
import sys
import threading

from . import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_SUBSCRIPTION_ID,
    DEFAULT_TENANT_ID,
)
from .certs import ensure_certificates
from .server import Sandbox, SandboxHTTPServer


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Local Azure Resource Manager sandbox (HTTPS).")
    parser.add_argument("--port", type=int, default=0, help="TCP port (0 = pick a free one)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--state-dir", required=True, help="directory for certificates and sandbox.json")
    parser.add_argument("--fixtures", nargs="+", action="extend", default=[], metavar="FILE",
                        help="fixture JSON file(s) loaded at start-up")
    parser.add_argument("--strict", action="store_true", help="validate request bodies against the specs")
    parser.add_argument("--latency-ms", type=int, default=0, help="delay every ARM/login answer")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    return parser.parse_args(argv)


def write_json_atomic(path, data):
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2)
    os.replace(tmp, path)


def main(argv=None):
    args = parse_args(argv)
    state_dir = os.path.abspath(args.state_dir)
    os.makedirs(state_dir, exist_ok=True)
    certs = ensure_certificates(state_dir)
    sandbox = Sandbox(strict=args.strict, startup_fixtures=args.fixtures,
                      startup_faults={"latency_ms": args.latency_ms} if args.latency_ms else None)
    server = SandboxHTTPServer((args.host, args.port), sandbox, certs, verbose=args.verbose)
    port = server.server_address[1]
    host = f"[{args.host}]" if ":" in args.host else args.host
    info = {
        "url": f"https://{host}:{port}",
        "port": port,
        "ca_bundle": certs["ca"],
        "pid": os.getpid(),
        "tenant_id": DEFAULT_TENANT_ID,
        "client_id": DEFAULT_CLIENT_ID,
        "client_secret": DEFAULT_CLIENT_SECRET,
        "subscription_id": DEFAULT_SUBSCRIPTION_ID,
        "audience": "https://management.sandbox.local/",
        "strict": args.strict,
        "specs_dir": sandbox.validator.specs_dir,
    }
    info_path = os.path.join(state_dir, "sandbox.json")

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    write_json_atomic(info_path, info)
    sys.stderr.write(f"sandbox: listening on {info['url']} (state dir {state_dir})\n")
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        try:
            with open(info_path, encoding="utf-8") as fh:
                if json.load(fh).get("pid") == os.getpid():
                    os.remove(info_path)
        except (OSError, ValueError):
            pass
    return 0
