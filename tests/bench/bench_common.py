"""Shared helpers of the side-by-side benchmark (pure functions, no I/O besides what the name says).

The benchmark itself is tests/bench/bench_run.py, started by scripts/bench.sh (`make bench`).
Files here are named bench_*.py so that pytest never collects them.
"""

import json
import os
import statistics
import subprocess
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CACHE = os.path.join(ROOT, ".cache")
REPORTS = os.path.join(ROOT, "reports")
RESULTS_JSON = os.path.join(REPORTS, "bench.json")

# ARM request kinds of the sandbox log that count as Resource Manager traffic (login and metadata do not).
ARM_KINDS = ("arm", "lro-poll")


def module_available(name):
    """True when this checkout has plugins/modules/<name>.py (modules are written on other branches)."""
    return os.path.exists(os.path.join(ROOT, "plugins", "modules", name + ".py"))


def not_available(what):
    print("not available yet: %s" % what, flush=True)


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarize(values):
    """median/min/max/stdev of a list of seconds (None entries are ignored)."""
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {
        "median": round(statistics.median(values), 4),
        "min": round(min(values), 4),
        "max": round(max(values), 4),
        "stdev": round(statistics.stdev(values), 4) if len(values) > 1 else 0.0,
        "n": len(values),
        "values": [round(v, 4) for v in values],
    }


def ratio(theirs, ours):
    """How many times `ours` is better than `theirs` (bigger = better for us); None when not computable."""
    if theirs is None or ours is None or ours <= 0:
        return None
    return round(float(theirs) / float(ours), 2)


def count_requests(entries):
    """Break a sandbox request log into reads, writes, polls and non-ARM traffic."""
    out = {"reads": 0, "writes": 0, "polls": 0, "login": 0, "other": 0, "faults": 0, "total_arm": 0}
    for entry in entries:
        kind = entry.get("kind")
        if entry.get("fault") not in (None, "latency"):
            out["faults"] += 1
        if kind == "lro-poll":
            out["polls"] += 1
        elif kind == "arm":
            if entry.get("is_write"):
                out["writes"] += 1
            else:
                out["reads"] += 1
        elif kind == "login":
            out["login"] += 1
        else:
            out["other"] += 1
    out["total_arm"] = out["reads"] + out["writes"] + out["polls"]
    return out


def describe_requests(entries):
    """Short 'METHOD path-tail' lines of the ARM requests, for the JSON report."""
    lines = []
    for entry in entries:
        if entry.get("kind") not in ARM_KINDS:
            continue
        path = entry.get("path", "")
        tail = "/".join(path.rstrip("/").split("/")[-2:])
        lines.append("%s %s %s" % (entry.get("method"), tail, entry.get("status")))
    return lines


def meets_minimum(counts, minimum):
    """True when the measured reads/writes/polls are all at most the minimum of the operation."""
    return all(counts.get(k, 0) <= v for k, v in minimum.items())


def fmt_seconds(value):
    return "-" if value is None else "%.2f s" % value


def fmt_ratio(value):
    return "-" if value is None else "%.1fx" % value


def format_table(headers, rows):
    """A plain-text table with aligned columns (also valid Markdown)."""
    cells = [[str(c) for c in headers]] + [[("-" if c is None else str(c)) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for i, row in enumerate(cells):
        lines.append("| " + " | ".join(c.ljust(widths[j]) for j, c in enumerate(row)) + " |")
        if i == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def timed_run(cmd, env=None, timeout=900, cwd=None):
    """Run a command; return (seconds from process start to exit, CompletedProcess)."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, check=False, cwd=cwd)
    return time.perf_counter() - start, proc


def write_json(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, sort_keys=False)
        fh.write("\n")
    os.replace(tmp, path)


def read_json(path, default=None):
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return default
