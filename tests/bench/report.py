"""Write docs/performance.md and docs/performance.png from the raw results of `make bench` (reports/bench.json).

    .venv/bin/python tests/bench/report.py [--results reports/bench.json]

The plot needs matplotlib, which is installed into the benchmark's azure.azcollection venv only (never into the
project venv); without it a plain SVG (docs/performance.svg) is drawn instead.
"""

import argparse
import html
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_common import RESULTS_JSON, ROOT, format_table, read_json  # noqa: E402

DOC = os.path.join(ROOT, "docs", "performance.md")
PNG = os.path.join(ROOT, "docs", "performance.png")
SVG = os.path.join(ROOT, "docs", "performance.svg")
BENCH_PYTHON = os.path.join(ROOT, ".cache", "bench-venv-azcollection", "bin", "python")


def plot_series(results):
    """(label, ours seconds, theirs seconds) of the time measurements, and (label, ratio, goal) of the ratios."""
    times, ratios = [], []
    imp = results.get("imports")
    if imp:
        times.append(("import\nmodule_utils", imp["ours"]["import"]["median"], imp["theirs"]["import"]["median"]))
        ratios.append(("import time", imp["ratio"], None))
    for name, entry in (results.get("per_task") or {}).items():
        times.append(("%s\nno change" % name, entry["ours"]["net_of_ping"],
                      entry["theirs"]["net_of_ping"]))
        ratios.append(("%s per task" % name, entry["ratio_net"], 3))
    n50 = (results.get("nsg50") or {}).get("variants") or {}
    if "nsg_rules" in n50 and "azure_rm_securitygroup" in n50:
        o, t = n50["nsg_rules"], n50["azure_rm_securitygroup"]
        times.append(("50 rules\nchange", o["change"]["wall"], t["change"]["wall"]))
        ratios.append(("50 rules, change", o.get("ratio_change"), None))
    prep = results.get("prepare")
    if prep:
        times.append(("prepare\nfirst run", prep["ours"]["change"]["wall"], prep["theirs"]["change"]["wall"]))
        times.append(("prepare\nre-run", prep["ours"]["no_change"]["wall"], prep["theirs"]["no_change"]["wall"]))
        ratios.append(("prepare, first run", prep.get("ratio_change"), None))
        ratios.append(("prepare, re-run", prep.get("ratio_no_change"), None))
    fp = results.get("footprint")
    if fp:
        ratios.append(("install size", fp["ratio_bytes"], 5))
        ratios.append(("install packages", fp["ratio_packages"], 5))
    times = [t for t in times if t[1] is not None and t[2] is not None]
    ratios = [r for r in ratios if r[1] is not None]
    return times, ratios


MATPLOTLIB_SCRIPT = r"""
import json, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
times, ratios, out = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
fig, (a, b) = plt.subplots(1, 2, figsize=(13, 5.2), gridspec_kw={"width_ratios": [3, 2]})
labels = [t[0] for t in times]
x = range(len(times))
w = 0.38
a.bar([i - w / 2 for i in x], [t[1] for t in times], w, label="azbackup.vmprep", color="#2b7bba")
a.bar([i + w / 2 for i in x], [t[2] for t in times], w, label="azure.azcollection", color="#c8553d")
a.set_xticks(list(x))
a.set_xticklabels(labels, fontsize=8)
a.set_yscale("log")
a.set_ylabel("seconds (median, log scale)")
a.set_title("Time (per-task bars: no-change task minus ping baseline)", fontsize=10)
a.legend(fontsize=8)
a.grid(axis="y", alpha=0.3)
rl = [r[0] for r in ratios][::-1]
rv = [r[1] for r in ratios][::-1]
goals = [r[2] for r in ratios][::-1]
colors = ["#2b7bba" if (g is None or v >= g) else "#c8553d" for v, g in zip(rv, goals)]
b.barh(range(len(rv)), rv, color=colors)
for i, (v, g) in enumerate(zip(rv, goals)):
    b.text(v, i, " %.1fx" % v, va="center", fontsize=8)
    if g:
        b.plot([g, g], [i - 0.4, i + 0.4], color="black", lw=1.5)
b.set_yticks(range(len(rv)))
b.set_yticklabels(rl, fontsize=8)
b.axvline(1, color="grey", lw=0.8)
b.set_xlabel("azure.azcollection / azbackup.vmprep\n(higher is better for us; black tick = goal)")
b.set_title("Ratios")
b.set_xlim(0, max(rv + [g for g in goals if g]) * 1.25)
fig.tight_layout()
fig.savefig(out, dpi=110)
"""


def plot_png(times, ratios):
    """docs/performance.png with matplotlib from the bench venv; False when matplotlib is not available there."""
    python = BENCH_PYTHON if os.path.exists(BENCH_PYTHON) else None
    if python is None:
        return False
    probe = subprocess.run([python, "-c", "import matplotlib"], capture_output=True, check=False)
    if probe.returncode != 0:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import bench_env

        if not bench_env.ensure_matplotlib():
            return False
    proc = subprocess.run([python, "-c", MATPLOTLIB_SCRIPT, json.dumps(times), json.dumps(ratios), PNG],
                          capture_output=True, text=True, check=False, timeout=300)
    if proc.returncode != 0:
        print("report: matplotlib failed: %s" % proc.stderr[-2000:], file=sys.stderr)
        return False
    return True


def plot_svg(ratios):
    """A plain bar chart of the ratios, drawn by hand (used only without matplotlib)."""
    width, row, left = 760, 26, 220
    height = 40 + row * len(ratios)
    top = max([r[1] for r in ratios] + [r[2] or 0 for r in ratios] + [1]) * 1.2
    scale = (width - left - 60) / top
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">'
             % (width, height), '<text x="10" y="18" font-weight="bold">azure.azcollection / azbackup.vmprep '
             '(higher is better for us; black tick = goal)</text>']
    for i, (label, value, goal) in enumerate(ratios):
        y = 30 + i * row
        color = "#2b7bba" if goal is None or value >= goal else "#c8553d"
        parts.append('<text x="%d" y="%d" text-anchor="end">%s</text>' % (left - 8, y + 15, html.escape(label)))
        parts.append('<rect x="%d" y="%d" width="%.1f" height="18" fill="%s"/>' % (left, y + 2, value * scale, color))
        parts.append('<text x="%.1f" y="%d">%.1fx</text>' % (left + value * scale + 4, y + 15, value))
        if goal:
            gx = left + goal * scale
            parts.append('<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="black" stroke-width="2"/>' % (gx, gx, y, y + 22))
    parts.append("</svg>")
    with open(SVG, "w", encoding="utf-8") as fh:
        fh.write("\n".join(parts) + "\n")


# ---- the page -----------------------------------------------------------------------------------------------------

def gb(value):
    return "%.2f GB" % (value / 1e9) if value >= 1e9 else "%.0f MB" % (value / 1e6)


def s(value):
    return "-" if value is None else "%.2f s" % value


def x(value):
    return "-" if value is None else "%.1fx" % value


def reqs(counts):
    return "%d GET + %d write + %d poll" % (counts["reads"], counts["writes"], counts["polls"])


def goal_lines(results):
    lines = []
    per_task = results.get("per_task") or {}
    if per_task:
        got = ["%s %s" % (name, x(e["ratio_net"])) for name, e in per_task.items()]
        ok = all((e["ratio_net"] or 0) >= 3 for e in per_task.values())
        lines.append("| At least 3x faster per task (no-change task, ping baseline subtracted) | %s | %s |"
                     % (", ".join(got), "met" if ok else "**not met**"))
    fp = results.get("footprint")
    if fp:
        ok = fp["ratio_bytes"] >= 5 and fp["ratio_packages"] >= 5
        lines.append("| At least 5x smaller install footprint | %s smaller, %s fewer packages | %s |"
                     % (x(fp["ratio_bytes"]), x(fp["ratio_packages"]), "met" if ok else "**not met**"))
    runs = []
    for name, e in per_task.items():
        for kind in ("no_change", "change"):
            runs.append(("%s %s" % (name, kind.replace("_", " ")), e["ours"][kind]))
    n50 = ((results.get("nsg50") or {}).get("variants") or {}).get("nsg_rules")
    if n50:
        for kind in ("change", "no_change"):
            runs.append(("nsg_rules 50 rules %s" % kind.replace("_", " "), n50[kind]))
    prep = results.get("prepare")
    if prep:
        for kind in ("change", "no_change"):
            runs.append(("prepare flow %s" % kind.replace("_", " "), prep["ours"][kind]))
    if runs:
        bad = [name for name, r in runs if not r.get("at_minimum")]
        lines.append("| Request counts equal to the minimum | %d of %d operations at the minimum%s | %s |"
                     % (len(runs) - len(bad), len(runs), (" (not: %s)" % ", ".join(bad)) if bad else "",
                        "met" if not bad else "**not met**"))
    imp = results.get("imports")
    if imp:
        med = imp["ours"]["import"]["median"]
        best = imp["ours"]["import"]["min"]
        verdict = "met" if med <= 0.7 else "**not met** (median)"
        lines.append("| Import of module_utils plus the SDKs one network module needs: at most 0.7 s | median %s "
                     "(fastest of %d: %s) | %s |" % (s(med), imp["ours"]["import"]["n"], s(best), verdict))
    return lines


def request_table(results):
    rows = []
    for name, e in (results.get("per_task") or {}).items():
        for kind in ("no_change", "change"):
            o, t = e["ours"][kind], e["theirs"][kind]
            rows.append(["%s, %s" % (name, kind.replace("_", " ")), reqs(o["minimum"]), reqs(o["requests"]),
                         "yes" if o["at_minimum"] else "no", "%s (%s)" % (reqs(t["requests"]), e["theirs_module"])])
    n50 = (results.get("nsg50") or {}).get("variants") or {}
    for key, v in n50.items():
        for kind in ("change", "no_change"):
            rows.append(["50 rules, %s, %s" % (key, kind.replace("_", " ")), reqs(v[kind]["minimum"]),
                         reqs(v[kind]["requests"]), "yes" if v[kind]["at_minimum"] else "no", ""])
    prep = results.get("prepare")
    if prep:
        for kind in ("change", "no_change"):
            o, t = prep["ours"][kind], prep["theirs"][kind]
            rows.append(["prepare flow, %s" % kind.replace("_", " "), reqs(o["minimum"]), reqs(o["requests"]),
                         "yes" if o["at_minimum"] else "no", reqs(t["requests"])])
    return rows


def render(results, image):
    m = results.get("machine") or {}
    out = []
    out.append("# Performance: azbackup.vmprep side by side with azure.azcollection\n")
    out.append("Generated by `tests/bench/report.py` from `reports/bench.json`, the raw results of `make bench` "
               "(started %s, %s repetitions per median, %s s in all). Re-run both to refresh this page.\n"
               % (results.get("started"), results.get("runs"), results.get("seconds")))
    out.append("## What is measured, and how\n")
    out.append(
        "* **One sandbox, one run.** Both collections talk to the same local ARM sandbox (`tests/sandbox`), with the "
        "same credentials (the AWX-style `AZURE_*` variables), `cloud_environment` AzureCloud, the same latency "
        "profile and the same request log. azure.azcollection cannot use a custom Resource Manager URL, so the "
        "sandbox listens on 127.0.0.1:443 with a certificate for management.azure.com and login.microsoftonline.com, "
        "and the benchmark runs in a private mount namespace whose `/etc/hosts` maps those names to 127.0.0.1 (the "
        "machine's own `/etc/hosts` is untouched).\n"
        "* **As Ansible runs them.** Every measurement runs `ansible-playbook` with one play on localhost. Ours "
        "runs from the project venv with the collection built and installed from its tarball; azure.azcollection "
        "(from the `ansible` bundle) runs from `.cache/bench-venv-azcollection`, a venv with its requirements file and "
        "the same ansible-core. Per-task time is the wall time from process start to exit of a no-change run, median "
        "of N, minus the median of a playbook that only runs `ansible.builtin.ping` with the same controller.\n"
        "* **Requests** come from the sandbox log: GETs, writes (PUT/PATCH/DELETE/POST) and long-running-operation "
        "polls. The minimum of a no-change run is one GET; of a change, one GET to find out, one write, the polls the "
        "service asks for, and the final GET that the ARM protocol of that operation prescribes (Microsoft.Network "
        "PUTs finish with a GET of the resource; a vault PUT returns the vault in its last poll).\n"
        "* **Cold import** is measured inside fresh interpreter processes (median of N, after one warm-up run that "
        "writes the .pyc files): ours imports `_module`, `_client`, azure.identity and azure.mgmt.network (what one "
        "network module needs); azure.azcollection's is its shared `azure_rm_common`.\n"
        "* **Install footprint**: a fresh venv with only our requirements.txt, and a fresh venv with only "
        "azure.azcollection's requirements file (measured before ansible-core is added to it): `du` and `pip list` "
        "(pip, setuptools and wheel not counted).\n"
        "* Times are reported, never asserted; they depend on the machine and on what else runs on it.\n")
    out.append("## The machine\n")
    out.append(format_table(["", ""], [
        ["CPU", m.get("cpu")], ["cores", m.get("cores")], ["memory", "%s GiB" % m.get("memory_gib")],
        ["OS", m.get("os")], ["Python", m.get("python")],
        ["load average (1/5/15 min) at start / end", "%s / %s" % (
            "/".join(str(v) for v in m.get("load_average_start") or []) or "-",
            "/".join(str(v) for v in m.get("load_average_end") or []) or "-")],
        ["ansible-core (ours / azure.azcollection venv)", "%s / %s" % (m.get("ansible_core_ours"), m.get("ansible_core_theirs"))],
        ["ansible bundle / azure.azcollection", "%s / %s" % (m.get("ansible_bundle"), m.get("azure_azcollection"))],
    ]) + "\n")
    loads = [v[0] for v in (m.get("load_average_start"), m.get("load_average_end")) if v]
    if loads and m.get("cores") and max(loads) > m["cores"]:
        out.append("**The machine was busy while the benchmark ran** (1-minute load average up to %.1f on %s cores): "
                   "times are noisy and slower than on an idle machine; request counts are not affected.\n"
                   % (max(loads), m["cores"]))
    out.append("## Results\n")
    ratios = results.get("ratios") or {}
    if ratios.get("rows"):
        out.append(format_table(ratios["headers"], ratios["rows"]) + "\n")
    if image:
        out.append("![azbackup.vmprep vs azure.azcollection](%s)\n" % image)
    goals = goal_lines(results)
    if goals:
        out.append("## Against the goals\n")
        out.append("| goal | measured | |\n|---|---|---|\n" + "\n".join(goals) + "\n")
    rows = request_table(results)
    if rows:
        out.append("## ARM requests per operation\n")
        out.append(format_table(["operation", "minimum", "azbackup.vmprep", "at minimum", "azure.azcollection"], rows) + "\n")
    n50 = results.get("nsg50")
    if n50:
        out.append("## 50 rules on one NSG\n")
        out.append("`nsg_rules` writes the NSG once; a loop of `nsg_rule` writes each rule as its own child resource "
                   "(one module run, one read, one write and its polls per rule); `azure_rm_securitygroup` reads the "
                   "resource group and the NSG, then writes the NSG once.\n")
        rows = []
        for key, v in n50["variants"].items():
            rows.append([key, s(v["change"]["wall"]), v["change"]["requests"]["total_arm"],
                         s(v["no_change_wall"]["median"]), v["no_change"]["requests"]["total_arm"]])
        out.append(format_table(["variant", "first run", "ARM requests", "no-change run", "ARM requests"], rows) + "\n")
        out.append("The minimum in the request table above is that of the job (one NSG); a loop of `nsg_rule` pays one "
                   "module run and one read per rule by design, which is why `nsg_rules` exists.\n")
    prep = results.get("prepare")
    if prep:
        out.append("## The Azure part of the prepare flow: 20 VMs in 2 regions\n")
        out.append("%s. Latency profile: %s ms per request, long-running operations take %s polls with Retry-After "
                   "%s s. Compared: %s.\n" % (prep["layout"], prep["profile"]["latency_ms"], prep["profile"]["lro_polls"],
                                              prep["profile"]["lro_retry_after"], prep["compared"]))
        rows = []
        for kind in ("change", "no_change"):
            o, t = prep["ours"][kind], prep["theirs"][kind]
            rows.append([{"change": "first run", "no_change": "re-run (no change)"}[kind], s(o["wall"]), reqs(o["requests"]),
                         s(t["wall"]), reqs(t["requests"]), x(prep["ratio_" + kind])])
        out.append(format_table(["run", "ours", "ours requests", "azure.azcollection", "their requests", "ratio"], rows) + "\n")
        if prep.get("ours_readiness"):
            r = prep["ours_readiness"]
            out.append("`backup_readiness_info` over the same 20 VMs (no azure.azcollection counterpart): %s, %d ARM "
                       "requests.\n" % (s(r["wall"]), r["requests"]["total_arm"]))
    scale = results.get("readiness_scale")
    if scale and scale.get("figures"):
        out.append("## backup_readiness_info at scale\n")
        rows = [[f["scenario"], f["vms"], f["requests"], s(f["module_seconds"]), s(f["playbook_seconds"])]
                for f in scale["figures"]]
        out.append(format_table(["scope", "VMs", "ARM requests", "module", "ansible-playbook"], rows) + "\n")
    fleet = fleet_block(results)
    if fleet:
        out.append(fleet)
    if results.get("skipped"):
        out.append("Not measured (module not available when the benchmark ran): %s.\n" % ", ".join(results["skipped"]))
    return "\n".join(out)


FLEET_BEGIN = "<!-- fleet sections: tests/bench/report.py --fleet-only rewrites from here -->"
FLEET_END = "<!-- end of the fleet sections -->"


def fleet_block(results):
    import bench_fleet

    text = bench_fleet.markdown(results)
    return "%s\n%s%s\n" % (FLEET_BEGIN, text, FLEET_END) if text else ""


def splice_fleet(doc, results):
    """docs/performance.md with its fleet sections replaced (or added after the first paragraph)."""
    block = fleet_block(results)
    if FLEET_BEGIN in doc and FLEET_END in doc:
        head, rest = doc.split(FLEET_BEGIN, 1)
        return head + block.rstrip("\n") + rest.split(FLEET_END, 1)[1]
    title, sep, body = doc.partition("\n\n")
    intro, sep2, rest = body.partition("\n\n")
    return title + sep + intro + sep2 + block + "\n" + rest


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default=RESULTS_JSON)
    parser.add_argument("--fleet-only", action="store_true",
                        help="only rewrite the fleet sections (inventory, fleet) of docs/performance.md")
    args = parser.parse_args(argv)
    results = read_json(args.results)
    if not results:
        raise SystemExit("report: no results in %s; run `make bench` first" % args.results)
    if args.fleet_only:
        with open(DOC, encoding="utf-8") as fh:
            doc = fh.read()
        with open(DOC, "w", encoding="utf-8") as fh:
            fh.write(splice_fleet(doc, results))
        print("report: wrote the fleet sections of %s" % os.path.relpath(DOC, ROOT))
        return 0
    times, ratios = plot_series(results)
    image = None
    if ratios:
        if plot_png(times, ratios):
            image = "performance.png"
        else:
            plot_svg(ratios)
            image = "performance.svg"
    with open(DOC, "w", encoding="utf-8") as fh:
        fh.write(render(results, image))
    print("report: wrote %s%s" % (os.path.relpath(DOC, ROOT), (" and docs/%s" % image) if image else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
