"""`make bench`: azbackup.vmprep side by side with azure.azcollection (started by scripts/bench.sh).

Measures, in one run against one sandbox: install footprint, cold import time of module_utils, per-task time of
no-change runs, ARM request counts against the minimum, 50 rules on one NSG, and the Azure part of the prepare flow
for 20 VMs in 2 regions under a realistic latency profile. Prints one table of ratios, writes reports/bench.json.
A measurement is skipped (with "not available yet: <module>") only while one of our modules does not exist.
Times are reported, never asserted.
"""

import argparse
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_env  # noqa: E402
import bench_scenarios as sc  # noqa: E402
from bench_common import (  # noqa: E402
    RESULTS_JSON, ROOT, fmt_ratio, format_table, meets_minimum, module_available, not_available, ratio,
    summarize, write_json,
)

SECTIONS = ("footprint", "imports", "tasks", "nsg50", "prepare", "scale", "inventory", "fleet", "protect")
# Sections that compare with azure.azcollection (they need its venv, and the sandbox on 127.0.0.1:443).
THEIRS_SECTIONS = ("footprint", "imports", "tasks", "nsg50", "prepare")


def log(msg):
    print("bench: %s" % msg, flush=True)


# ---- helpers ------------------------------------------------------------------------------------------------------

def run_record(run, minimum=None):
    """The parts of a playbook run kept in bench.json."""
    rec = {"wall": round(run["wall"], 4), "changed": run["changed"],
           "task_seconds": [None if t["seconds"] is None else round(t["seconds"], 4) for t in run["tasks"]],
           "requests": run["requests"], "request_lines": run["request_lines"]}
    if minimum is not None:
        rec["minimum"] = minimum
        rec["at_minimum"] = meets_minimum(run["requests"], minimum)
    return rec


def expect(run, changed, what):
    if run["changed"] != changed:
        raise RuntimeError("%s: expected changed=%s, got %s" % (what, changed, run["changed"]))


def repeat_no_change(bench, pairs, runs):
    """Interleaved no-change runs of each side (ABAB...), so drift affects both alike."""
    walls = {k: [] for k in pairs}
    task_secs = {k: [] for k in pairs}
    last = {}
    for i in range(runs):
        order = list(pairs) if i % 2 == 0 else list(reversed(list(pairs)))
        for key in order:
            side, tasks = pairs[key]
            run = bench.measured(side, tasks)
            expect(run, False, "%s no-change run" % key)
            walls[key].append(run["wall"])
            task_secs[key].append(sum(t["seconds"] or 0 for t in run["tasks"]))
            last[key] = run
    return {k: {"wall": summarize(walls[k]), "task": summarize(task_secs[k]), "last": last[k]} for k in pairs}


# ---- sections -----------------------------------------------------------------------------------------------------

def section_footprint(results):
    log("install footprint")
    ours = bench_env.prepare_footprint_venv_ours()
    theirs = results["_theirs_footprint"]
    results["footprint"] = {
        "ours": {"bytes": ours["bytes"], "packages": ours["packages"], "what": "fresh venv + requirements.txt"},
        "theirs": {"bytes": theirs["bytes"], "packages": theirs["packages"],
                   "what": "fresh venv + azure.azcollection requirements file"},
        "ratio_bytes": ratio(theirs["bytes"], ours["bytes"]),
        "ratio_packages": ratio(theirs["packages"], ours["packages"]),
        "ours_packages": ours["package_names"],
    }


def section_imports(results, runs, collections_path):
    log("cold import time of module_utils (%d fresh processes each)" % runs)
    imp = bench_env.measure_imports(collections_path, runs)
    imp["ratio"] = ratio(imp["theirs"]["import"]["median"], imp["ours"]["import"]["median"])
    imp["ours_target_seconds"] = 0.7
    results["imports"] = imp


def section_tasks(results, bench, runs):
    """Per-task time of no-change runs, and the request counts of the change and no-change runs."""
    log("baseline: ansible.builtin.ping playbook, %d runs per controller" % runs)
    bench.reset(None, sc.PROFILE_LOCAL)
    base = repeat_no_change(bench, {"ours": ("ours", [sc.PING]), "theirs": ("theirs", [sc.PING])}, runs)
    results["baseline"] = {k: {"wall": v["wall"], "task": v["task"]} for k, v in base.items()}
    per_task = results.setdefault("per_task", {})
    polls = sc.PROFILE_LOCAL["lro_polls"]

    pairs = [
        ("nsg_rule", "nsg_rule", "azure_rm_securitygroup", "nsg_rule", sc.fixtures(nsgs=[
            (sc.RG, "nsg-ours", sc.LOCATION), (sc.RG, "nsg-theirs", sc.LOCATION)]),
         [sc.task_nsg_rule("nsg-ours", sc.backup_rule())],
         [sc.task_securitygroup("nsg-theirs", [sc.backup_rule()])], "nsg"),
        ("recovery_vault", "recovery_vault", "azure_rm_recoveryservicesvault", "vault", sc.fixtures(),
         [sc.task_recovery_vault("rsv-bench-ours")], [sc.task_recoveryservicesvault("rsv-bench-theirs")], "vault"),
    ]
    for name, our_module, their_module, our_op, fx, ours_tasks, theirs_tasks, their_op in pairs:
        if not module_available(our_module):
            not_available(our_module)
            results["skipped"].append(our_module)
            continue
        log("per task: %s vs %s (1 change run, %d no-change runs each)" % (our_module, their_module, runs))
        bench.reset(fx, sc.PROFILE_LOCAL)
        entry = {"ours_module": our_module, "theirs_module": their_module, "profile": dict(sc.PROFILE_LOCAL)}
        for key, tasks, op in (("ours", ours_tasks, our_op), ("theirs", theirs_tasks, their_op)):
            run = bench.measured(key, tasks)
            expect(run, True, "%s change run" % key)
            entry[key] = {"change": run_record(run, sc.minimum(op, True, polls))}
        reps = repeat_no_change(bench, {"ours": ("ours", ours_tasks), "theirs": ("theirs", theirs_tasks)}, runs)
        op_of = {"ours": our_op, "theirs": their_op}
        for key in ("ours", "theirs"):
            rep = reps[key]
            net = rep["wall"]["median"] - results["baseline"][key]["wall"]["median"]
            entry[key].update(wall=rep["wall"], task=rep["task"], net_of_ping=round(net, 4),
                              no_change=run_record(rep["last"], sc.minimum(op_of[key], False, polls)))
        entry["ratio_wall"] = ratio(entry["theirs"]["wall"]["median"], entry["ours"]["wall"]["median"])
        entry["ratio_net"] = ratio(entry["theirs"]["net_of_ping"], entry["ours"]["net_of_ping"])
        entry["ratio_task"] = ratio(entry["theirs"]["task"]["median"], entry["ours"]["task"]["median"])
        per_task[name] = entry


def section_nsg50(results, bench, runs):
    rules = [sc.numbered_rule(i) for i in range(50)]
    nsgs = {"nsg_rules": "nsg-50-rules", "nsg_rule_loop": "nsg-50-loop", "azure_rm_securitygroup": "nsg-50-theirs"}
    variants = [
        ("nsg_rules", "nsg_rules", "ours", [sc.task_nsg_rules(nsgs["nsg_rules"], rules)], sc.minimum("nsg", True, 1),
         sc.minimum("nsg", False, 1)),
        ("nsg_rule_loop", "nsg_rule", "ours", [sc.task_nsg_rule_loop(nsgs["nsg_rule_loop"], rules)],
         sc.minimum("nsg", True, 1), sc.minimum("nsg", False, 1)),
        ("azure_rm_securitygroup", None, "theirs", [sc.task_securitygroup(nsgs["azure_rm_securitygroup"], rules)],
         sc.minimum("nsg", True, 1), sc.minimum("nsg", False, 1)),
    ]
    out = {"rules": len(rules), "profile": dict(sc.PROFILE_LOCAL), "variants": {},
           "minimum_note": "the job's minimum: one NSG read, one NSG write and its polls (change); one GET (no change)"}
    todo = []
    for key, module, side, tasks, min_change, min_same in variants:
        if module and not module_available(module):
            not_available(module)
            results["skipped"].append("%s (50 rules)" % module)
            continue
        todo.append((key, side, tasks, min_change, min_same))
    if not todo:
        return
    bench.reset(sc.fixtures(nsgs=[(sc.RG, n, sc.LOCATION) for n in nsgs.values()]), sc.PROFILE_LOCAL)
    n = max(1, min(runs, 3))
    for key, side, tasks, min_change, min_same in todo:
        # The loop is 50 module runs in itself; one no-change repetition of it is enough.
        reps = 1 if key == "nsg_rule_loop" else n
        log("50 rules on one NSG: %s (1 change run, %d no-change run%s)" % (key, reps, "s" if reps > 1 else ""))
        change = bench.measured(side, tasks)
        expect(change, True, "%s change run" % key)
        walls, last = [], None
        for dummy in range(reps):
            last = bench.measured(side, tasks)
            expect(last, False, "%s no-change run" % key)
            walls.append(last["wall"])
        out["variants"][key] = {"side": side, "change": run_record(change, min_change),
                                "no_change_wall": summarize(walls), "no_change": run_record(last, min_same)}
    v = out["variants"]
    theirs = v.get("azure_rm_securitygroup")
    for key in ("nsg_rules", "nsg_rule_loop"):
        if key in v and theirs:
            v[key]["ratio_change"] = ratio(theirs["change"]["wall"], v[key]["change"]["wall"])
            v[key]["ratio_no_change"] = ratio(theirs["no_change_wall"]["median"], v[key]["no_change_wall"]["median"])
    results["nsg50"] = out


def prepare_tasks(layout, side, with_readiness):
    """The Azure part of the prepare flow as one play: vaults per region, backup-path NSG rules for every VM."""
    tasks = []
    if side == "ours":
        for vault in layout["vaults"]:
            tasks.append(sc.task_recovery_vault(vault["name"], rg=sc.VAULT_RG, location=vault["location"]))
        for vm in layout["vms"]:
            tasks.append(sc.task_nsg_rules(vm["nsg"], sc.backup_path_rules(vm["location"]), rg=vm["resource_group"]))
        if with_readiness:
            tasks.extend(readiness_tasks(layout))
    else:
        for vault in layout["vaults"]:
            tasks.append(sc.task_recoveryservicesvault(vault["name"], rg=sc.VAULT_RG, location=vault["location"]))
        for vm in layout["vms"]:
            tasks.append(sc.task_securitygroup(vm["nsg"], sc.backup_path_rules(vm["location"]),
                                               rg=vm["resource_group"], location=vm["location"]))
    return tasks


def readiness_tasks(layout):
    """backup_readiness_info over the subscription, against the vaults of the flow (ours only; no counterpart)."""
    vaults = [{"name": v["name"], "resource_group": sc.VAULT_RG} for v in layout["vaults"]]
    return [{"name": "backup_readiness_info", "azbackup.vmprep.backup_readiness_info": {"vaults": vaults}}]


def prepare_fixtures(layout, with_vms):
    fx = sc.fixtures(nsgs=layout["nsgs"], groups=layout["groups"])
    if with_vms:
        fx["virtual_networks"] = [{"resource_group": "rg-app-%s" % sc.region_short(r), "name": "vnet-%s" % sc.region_short(r),
                                   "location": r, "subnets": [{"name": "default", "address_prefix": "10.0.0.0/24"}]}
                                  for r in sc.PREPARE_REGIONS]
        fx["network_interfaces"] = [{"resource_group": vm["resource_group"], "name": "nic-%s" % vm["name"],
                                     "location": vm["location"], "subnet": "vnet-%s/default" % sc.region_short(vm["location"]),
                                     "network_security_group": vm["nsg"]} for vm in layout["vms"]]
        fx["virtual_machines"] = [{"resource_group": vm["resource_group"], "name": vm["name"], "location": vm["location"],
                                   "nics": ["nic-%s" % vm["name"]]} for vm in layout["vms"]]
    return fx


def section_prepare(results, bench):
    needed = ["recovery_vault", "nsg_rules"]
    missing = [m for m in needed if not module_available(m)]
    for m in missing:
        not_available(m)
        results["skipped"].append("%s (prepare flow)" % m)
    if missing:
        return
    with_readiness = module_available("backup_readiness_info")
    if not with_readiness:
        not_available("backup_readiness_info")
        results["skipped"].append("backup_readiness_info (prepare flow)")
    layout = sc.prepare_layout()
    profile = sc.PROFILE_REALISTIC
    polls = profile["lro_polls"]
    out = {"vms": len(layout["vms"]), "regions": list(sc.PREPARE_REGIONS), "nsgs": len(layout["nsgs"]),
           "vaults": len(layout["vaults"]), "rules_per_nsg": 3, "profile": dict(profile),
           "layout": "2 regions x 10 VMs, one NIC NSG per VM (3 outbound backup-path rules each), one vault per region",
           "compared": "vaults + NSG rules (steps both collections have)"}
    count = len(layout["vms"])
    minimum_change = {k: sc.minimum("nsg", True, polls, count)[k] + sc.minimum("vault", True, polls, 2)[k]
                      for k in ("reads", "writes", "polls")}
    minimum_same = {k: sc.minimum("nsg", False, polls, count)[k] + sc.minimum("vault", False, polls, 2)[k]
                    for k in ("reads", "writes", "polls")}
    for side in ("ours", "theirs"):
        log("prepare flow, %s: 20 VMs in 2 regions, 50 ms per request, LROs 3 polls x Retry-After 1 s" % side)
        bench.reset(prepare_fixtures(layout, with_readiness and side == "ours"), profile)
        tasks = prepare_tasks(layout, side, with_readiness=False)
        change = bench.measured(side, tasks)
        expect(change, True, "prepare flow %s change run" % side)
        same = bench.measured(side, tasks)
        expect(same, False, "prepare flow %s no-change run" % side)
        out[side] = {"change": run_record(change, minimum_change), "no_change": run_record(same, minimum_same)}
        if side == "ours" and with_readiness:
            ready = bench.measured(side, readiness_tasks(layout))
            out["ours_readiness"] = run_record(ready)
    out["ratio_change"] = ratio(out["theirs"]["change"]["wall"], out["ours"]["change"]["wall"])
    out["ratio_no_change"] = ratio(out["theirs"]["no_change"]["wall"], out["ours"]["no_change"]["wall"])
    results["prepare"] = out


READINESS_SCALE = os.path.join(ROOT, "tests", "integration", "readiness_bench.py")
SCALE_LINE = re.compile(r"readiness bench (?P<scenario>\S+)\s+(?P<vms>\d+) VMs:\s+(?P<requests>\d+) ARM requests.*"
                        r"module (?P<module_seconds>[\d.]+) s, ansible-playbook (?P<playbook_seconds>[\d.]+) s")


def section_scale(results):
    """The 50/1,000-VM scale figures of backup_readiness_info, printed by the readiness work's own script."""
    if not module_available("backup_readiness_info") or not os.path.exists(READINESS_SCALE):
        not_available("backup_readiness_info scale figures")
        results["skipped"].append("backup_readiness_info scale figures")
        return
    log("backup_readiness_info scale figures (50 and 1,000 VMs, 50 ms per request): %s"
        % os.path.relpath(READINESS_SCALE, ROOT))
    proc = subprocess.run([sys.executable, READINESS_SCALE, "--sizes", "50,1000", "--latency-ms", "50"],
                          capture_output=True, text=True, timeout=3600, check=False, cwd=ROOT)
    print(proc.stdout, end="", flush=True)
    if proc.returncode != 0:
        raise RuntimeError("%s failed (rc %s):\n%s" % (READINESS_SCALE, proc.returncode, proc.stderr[-3000:]))
    figures = []
    for line in proc.stdout.splitlines():
        m = SCALE_LINE.search(line)
        if m:
            fig = m.groupdict()
            figures.append({"scenario": fig["scenario"], "vms": int(fig["vms"]), "requests": int(fig["requests"]),
                            "module_seconds": float(fig["module_seconds"]),
                            "playbook_seconds": float(fig["playbook_seconds"]), "line": line.strip()})
    results["readiness_scale"] = {"figures": figures, "output": proc.stdout}


# ---- the table ----------------------------------------------------------------------------------------------------

def mb(value):
    return "%.0f MB" % (value / 1e6)


def secs(value):
    return "-" if value is None else "%.2f s" % value


def req(counts):
    return "%d GET, %d write, %d poll" % (counts["reads"], counts["writes"], counts["polls"])


def ratio_rows(results):
    rows = []
    fp = results.get("footprint")
    if fp:
        rows.append(["install footprint (venv size)", mb(fp["ours"]["bytes"]), mb(fp["theirs"]["bytes"]),
                     fmt_ratio(fp["ratio_bytes"]), ">= 5x"])
        rows.append(["install footprint (packages)", fp["ours"]["packages"], fp["theirs"]["packages"],
                     fmt_ratio(fp["ratio_packages"]), ">= 5x"])
    imp = results.get("imports")
    if imp:
        rows.append(["cold import of module_utils (+ SDKs), median (min)",
                     "%s (%s)" % (secs(imp["ours"]["import"]["median"]), secs(imp["ours"]["import"]["min"])),
                     "%s (%s)" % (secs(imp["theirs"]["import"]["median"]), secs(imp["theirs"]["import"]["min"])),
                     fmt_ratio(imp["ratio"]), "ours <= 0.7 s"])
    base = results.get("baseline")
    if base:
        rows.append(["ansible.builtin.ping playbook (baseline)", secs(base["ours"]["wall"]["median"]),
                     secs(base["theirs"]["wall"]["median"]), "-", "-"])
    for name, entry in (results.get("per_task") or {}).items():
        label = "%s vs %s, no change" % (entry["ours_module"], entry["theirs_module"])
        rows.append([label + ": playbook", secs(entry["ours"]["wall"]["median"]), secs(entry["theirs"]["wall"]["median"]),
                     fmt_ratio(entry["ratio_wall"]), "-"])
        rows.append([label + ": task (minus ping)", secs(entry["ours"]["net_of_ping"]), secs(entry["theirs"]["net_of_ping"]),
                     fmt_ratio(entry["ratio_net"]), ">= 3x"])
        for kind in ("no_change", "change"):
            o, t = entry["ours"][kind], entry["theirs"][kind]
            rows.append(["%s: ARM requests, %s (min %s)" % (name, kind.replace("_", " "), req(o["minimum"])),
                         req(o["requests"]), req(t["requests"]),
                         fmt_ratio(ratio(t["requests"]["total_arm"], o["requests"]["total_arm"])),
                         "ours = min: %s" % ("yes" if o["at_minimum"] else "NO")])
    n50 = results.get("nsg50")
    if n50:
        v = n50["variants"]
        theirs = v.get("azure_rm_securitygroup")
        for key in ("nsg_rules", "nsg_rule_loop"):
            if key not in v:
                continue
            ours = v[key]
            for kind, okey, tkey in (("change", "change", "change"), ("no change", "no_change", "no_change")):
                o_wall = ours["change"]["wall"] if okey == "change" else ours["no_change_wall"]["median"]
                t_wall = None if not theirs else (theirs["change"]["wall"] if tkey == "change"
                                                  else theirs["no_change_wall"]["median"])
                rows.append(["50 rules, %s vs azure_rm_securitygroup, %s" % (key.replace("_loop", " loop"), kind),
                             "%s, %d req" % (secs(o_wall), ours[okey]["requests"]["total_arm"]),
                             "-" if not theirs else "%s, %d req" % (secs(t_wall), theirs[tkey]["requests"]["total_arm"]),
                             fmt_ratio(ratio(t_wall, o_wall)), "-"])
    prep = results.get("prepare")
    if prep:
        for kind, key in (("first run", "change"), ("re-run, no change", "no_change")):
            o, t = prep["ours"][key], prep["theirs"][key]
            rows.append(["prepare flow 20 VMs / 2 regions, %s" % kind,
                         "%s, %d req" % (secs(o["wall"]), o["requests"]["total_arm"]),
                         "%s, %d req" % (secs(t["wall"]), t["requests"]["total_arm"]),
                         fmt_ratio(ratio(t["wall"], o["wall"])), "-"])
    return rows


TABLE_HEADERS = ["measurement", "azbackup.vmprep", "azure.azcollection", "ratio (theirs/ours)", "goal"]


# ---- main ---------------------------------------------------------------------------------------------------------

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "5")),
                        help="repetitions for medians (default 5, env BENCH_RUNS)")
    parser.add_argument("--only", default=os.environ.get("BENCH_SECTIONS") or ",".join(SECTIONS),
                        help="comma-separated sections to run (default all: %s; env BENCH_SECTIONS)"
                        % ",".join(SECTIONS))
    parser.add_argument("--out", default=RESULTS_JSON, help="where to write the raw results")
    args = parser.parse_args(argv)
    runs = max(1, min(args.runs, 50))
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(only) - set(SECTIONS)
    if unknown:
        parser.error("unknown sections: %s" % ", ".join(sorted(unknown)))

    started = time.time()
    results = {"started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "runs": runs, "sections": only, "skipped": []}

    if set(THEIRS_SECTIONS) & set(only):
        ours_core = bench_env.installed_version(bench_env.OURS_VENV, "ansible-core")
        log("azure.azcollection venv (%s), ansible-core %s" % (os.path.relpath(bench_env.THEIRS_VENV, ROOT), ours_core))
        results["_theirs_footprint"] = bench_env.prepare_theirs_venv(ours_core)
    results["machine"] = bench_env.machine()
    results["machine"]["load_average_start"] = [round(v, 2) for v in os.getloadavg()]
    log("building and installing our collection from its tarball")
    out = subprocess.run([os.path.join(ROOT, "scripts", "collection.sh"), "install"], check=True,
                         capture_output=True, text=True, cwd=ROOT)
    collections_path = out.stdout.strip().splitlines()[-1]

    if "footprint" in only:
        section_footprint(results)
    if "imports" in only:
        section_imports(results, runs, collections_path)
    if {"tasks", "nsg50", "prepare"} & set(only):
        import bench_arm

        if not bench_arm.hosts_mapped():
            raise SystemExit("bench: management.azure.com / login.microsoftonline.com do not map to 127.0.0.1 here; "
                             "run the benchmark through scripts/bench.sh (it sets up a private mount namespace)")
        sandbox = bench_arm.start_sandbox()
        bench = bench_arm.Bench(sandbox, bench_arm.sides(collections_path))
        try:
            log("sandbox on %s (serving management.azure.com and login.microsoftonline.com)" % sandbox.url)
            if "tasks" in only:
                section_tasks(results, bench, runs)
            if "nsg50" in only:
                section_nsg50(results, bench, runs)
            if "prepare" in only:
                section_prepare(results, bench)
        finally:
            bench.close()
            sandbox.stop()
    if "scale" in only:
        section_scale(results)
    if "inventory" in only or "fleet" in only:
        import bench_fleet

        if "inventory" in only:
            bench_fleet.section_inventory(results, collections_path)
        if "fleet" in only:
            bench_fleet.section_fleet(results, collections_path)
    if "protect" in only:
        import bench_protect

        bench_protect.section_protect(results, collections_path)

    results.pop("_theirs_footprint", None)
    results["machine"]["load_average_end"] = [round(v, 2) for v in os.getloadavg()]
    results["ratios"] = {"headers": TABLE_HEADERS, "rows": ratio_rows(results)}
    results["seconds"] = round(time.time() - started, 1)
    if set(only) != set(SECTIONS) and os.path.exists(args.out):
        # A partial run (--only / BENCH_SECTIONS) keeps the other sections of the last full run.
        from bench_common import read_json

        merged = read_json(args.out, {}) or {}
        merged.update(results)
        merged["sections"] = sorted(set(merged.get("sections") or []) | set(only))
        merged["ratios"] = {"headers": TABLE_HEADERS, "rows": ratio_rows(merged)}
        results = merged
    write_json(args.out, results)
    print()
    if results["ratios"]["rows"]:
        print(format_table(TABLE_HEADERS, results["ratios"]["rows"]))
        print()
    if results.get("inventory") or results.get("fleet"):
        import bench_fleet

        print(bench_fleet.table(results))
        print()
    if results.get("protect"):
        import bench_protect

        print(bench_protect.table(results))
        print()
    if results["skipped"]:
        print("skipped (module not available yet): %s" % ", ".join(results["skipped"]))
    print("raw results: %s (%.0f s); docs: %s tests/bench/report.py"
          % (os.path.relpath(args.out, ROOT), results["seconds"], os.path.relpath(sys.executable, ROOT)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
