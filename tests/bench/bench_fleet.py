"""Fleet sections of `make bench` (issue 14): the azure_vms inventory over 5,000 VMs in 3 subscriptions, and the
Azure part of the prepare flow for 1,000 VMs in 10 regions behind 200 NSGs, before and after, in one run.

Only our collection runs here, so the sandbox is served on a free local port and the collection is pointed at it
with cloud_environment = its URL (as the integration tests do); no root, no azure.azcollection venv. Fleets come
from armsandbox.fixturegen.make_fleet. Times are reported, never asserted.

    .venv/bin/python tests/bench/bench_run.py --only inventory,fleet      # or BENCH_SECTIONS=inventory,fleet make bench
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from bench_common import CACHE, ROOT, count_requests, format_table

SANDBOX_DIR = os.path.join(ROOT, "tests", "sandbox")
BEFORE_DIR = os.path.join(ROOT, "tests", "bench", "before")
if SANDBOX_DIR not in sys.path:
    sys.path.insert(0, SANDBOX_DIR)

# Sandbox timing of both sections: 50 ms per request; every long-running operation answers 3 status polls 1 s apart
# (the realistic profile of the 20-VM prepare section). Lists are served in pages of PAGE_SIZE items.
LATENCY_MS = 50
LRO = {"lro_polls": 3, "lro_retry_after": 1, "lro_max_seconds": 60.0}
PAGE_SIZE = int(os.environ.get("BENCH_PAGE_SIZE", "1000"))

INVENTORY_VMS = int(os.environ.get("BENCH_INVENTORY_VMS", "5000"))
INVENTORY_SUBSCRIPTIONS = 3
FLEET_VMS = int(os.environ.get("BENCH_FLEET_VMS", "1000"))
FLEET_NSGS = int(os.environ.get("BENCH_FLEET_NSGS", "200"))
FLEET_REGION_COUNT = 10
VAULT_RG = "rg-backup"


def log(msg):
    print("bench: %s" % msg, flush=True)


class Sandbox(object):
    """One sandbox on a free port, with the ansible environment that points our collection at it."""

    def __init__(self, collections_path):
        from armsandbox.client import start_sandbox

        self.state = os.path.join(CACHE, "bench-fleet-sandbox")
        shutil.rmtree(self.state, ignore_errors=True)
        self.handle = start_sandbox(self.state, strict=False)
        self.control = self.handle.control
        self.collections_path = collections_path
        self.tmp = tempfile.mkdtemp(prefix="azb-bench-fleet-")

    def close(self):
        self.handle.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def load(self, fixture, **faults):
        self.control.reset()
        self.control.clear_faults()
        started = time.monotonic()
        self.control.load_fixtures(fixture)
        seconds = time.monotonic() - started
        self.control.set_faults(latency_ms=LATENCY_MS, page_size=PAGE_SIZE, **dict(LRO, **faults))
        self.control.clear_requests()
        return seconds

    def env(self, **extra):
        sb = self.handle
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "ANSIBLE_"))}
        env.update({
            "HOME": self.tmp,
            "ANSIBLE_COLLECTIONS_PATH": self.collections_path,
            "ANSIBLE_LOCALHOST_WARNING": "false",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
            "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_RETRY_FILES_ENABLED": "false",
            "ANSIBLE_LOCAL_TEMP": os.path.join(self.tmp, "ansible-tmp"),
            "AZURE_CLIENT_ID": sb.client_id,
            "AZURE_SECRET": sb.client_secret,
            "AZURE_TENANT": sb.tenant_id,
            "AZURE_SUBSCRIPTION_ID": sb.subscription_id,
            "AZURE_CLOUD_ENVIRONMENT": sb.url,
            "REQUESTS_CA_BUNDLE": sb.ca_bundle,
            "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""),
        })
        env.update(extra)
        return env

    def write(self, name, data):
        path = os.path.join(self.tmp, name)
        with open(path, "w", encoding="utf-8") as fh:
            if name.endswith(".json"):
                json.dump(data, fh)
            else:
                import yaml

                yaml.safe_dump(data, fh)
        return path

    def run(self, cmd, **env):
        self.control.clear_requests()
        started = time.monotonic()
        proc = subprocess.run(cmd, env=self.env(**env), capture_output=True, text=True, timeout=7200, check=False,
                              cwd=self.tmp)
        seconds = time.monotonic() - started
        return seconds, proc, self.control.requests()


def _bin(name):
    return os.path.join(os.path.dirname(sys.executable), name)


def _arm(entries):
    return [e for e in entries if e.get("kind") in ("arm", "lro-poll")]


# ---- inventory ----------------------------------------------------------------------------------------------------

def section_inventory(results, collections_path):
    from armsandbox import fixturegen

    subs = fixturegen.fleet_subscription_ids(INVENTORY_SUBSCRIPTIONS)
    regions = list(fixturegen.FLEET_REGIONS[:FLEET_REGION_COUNT])
    fixture = fixturegen.make_fleet(INVENTORY_VMS, subscriptions=subs, regions=regions, seed=14)
    sb = Sandbox(collections_path)
    try:
        load_seconds = sb.load(fixture)
        log("inventory: %d VMs in %d subscriptions (%d regions), %d ms per request, page size %d"
            % (INVENTORY_VMS, len(subs), len(regions), LATENCY_MS, PAGE_SIZE))
        config = sb.write("fleet.azure_vms.yml", {"plugin": "azbackup.vmprep.azure_vms", "subscriptions": subs})
        runs = []
        for dummy in range(int(os.environ.get("BENCH_INVENTORY_RUNS", "2"))):
            seconds, proc, entries = sb.run([_bin("ansible-inventory"), "-i", config, "--list"],
                                            ANSIBLE_INVENTORY_ENABLED="azbackup.vmprep.azure_vms",
                                            ANSIBLE_INVENTORY_UNPARSED_FAILED="true")
            if proc.returncode != 0:
                raise RuntimeError("ansible-inventory failed (rc %s):\n%s" % (proc.returncode, proc.stderr[-3000:]))
            doc = json.loads(proc.stdout)
            hosts = len(doc.get("_meta", {}).get("hostvars", {}))
            arm = _arm(entries)
            per_kind = {}
            for entry in arm:
                kind = _list_kind(entry["path"])
                per_kind[kind] = per_kind.get(kind, 0) + 1
            runs.append({"seconds": round(seconds, 2), "hosts": hosts, "requests": len(arm),
                         "requests_per_vm": round(len(arm) / max(1, hosts), 4), "by_kind": per_kind,
                         "groups": sorted(k for k in doc if k.startswith("azure_region_"))})
            log("inventory: %d hosts in %.1f s, %d ARM requests (%.4f per VM)"
                % (hosts, seconds, len(arm), len(arm) / max(1, hosts)))
        best = min(runs, key=lambda r: r["seconds"])
        results["inventory"] = {
            "vms": INVENTORY_VMS, "subscriptions": len(subs), "regions": regions, "latency_ms": LATENCY_MS,
            "page_size": PAGE_SIZE, "fixture_load_seconds": round(load_seconds, 2), "runs": runs, "best": best,
            "how": "ansible-inventory --list with the azbackup.vmprep.azure_vms plugin (readiness off), "
                   "subscriptions: 3; wall time of the whole process",
            "goal": {"requests_per_vm": 0.02, "seconds": 15},
        }
    finally:
        sb.close()


def _list_kind(path):
    """A short name for the resource type a request reads (virtualMachines, networkInterfaces, ...)."""
    parts = [p for p in path.split("?")[0].split("/") if p]
    lowered = [p.lower() for p in parts]
    if "providers" in lowered:
        tail = parts[lowered.index("providers") + 1:]
        if len(tail) >= 2:
            return tail[1] if len(tail) <= 3 else "/".join(tail[1::2])
    return parts[-1] if parts else path


# ---- prepare flow -------------------------------------------------------------------------------------------------

def _wrapper(sb, playbooks_dir, name):
    """A playbook that imports vaults.yml and network_service_tags.yml from playbooks_dir: the Azure part of the
    prepare flow (steps 1 and 2)."""
    step2 = os.path.join(playbooks_dir, "network_service_tags.yml")
    play = [{"name": "Step 1", "ansible.builtin.import_playbook": os.path.join(playbooks_dir, "vaults.yml")},
            {"name": "Step 2", "ansible.builtin.import_playbook": step2}]
    return sb.write(name, play)


def per_nsg(entries, polls_per_lro):
    """Requests per NSG from a sandbox log: how many NSGs cost exactly the minimum, and what the others cost."""
    by_nsg = {}
    network_polls = 0
    for entry in _arm(entries):
        path = entry["path"].lower()
        if entry["kind"] == "lro-poll":
            if "microsoft.network" in path:
                network_polls += 1
            continue
        if "/networksecuritygroups/" in path:
            name = path.split("/networksecuritygroups/", 1)[1].split("/", 1)[0].split("?")[0]
            by_nsg.setdefault(name, []).append(entry["method"])
    shapes = {}
    for methods in by_nsg.values():
        key = " ".join(methods)
        shapes[key] = shapes.get(key, 0) + 1
    changed = sum(1 for m in by_nsg.values() if "PUT" in m)
    unchanged = len(by_nsg) - changed
    at_minimum = (all(m in (["GET"], ["GET", "PUT", "GET"]) for m in by_nsg.values())
                  and network_polls == polls_per_lro * changed)
    return {"nsgs": len(by_nsg), "changed": changed, "unchanged": unchanged, "shapes": shapes,
            "polls": network_polls, "polls_per_write": round(network_polls / changed, 2) if changed else 0,
            "at_minimum": at_minimum,
            "minimum": "1 GET per unchanged NSG; GET + PUT (If-Match) + %d polls + the final GET per changed NSG"
                       % polls_per_lro}


def _summary(seconds, proc, entries, polls_per_lro):
    if proc.returncode != 0:
        raise RuntimeError("playbook failed (rc %s):\n%s\n%s" % (proc.returncode, proc.stdout[-4000:],
                                                                 proc.stderr[-2000:]))
    recap = proc.stdout[proc.stdout.rfind("PLAY RECAP"):]
    return {"seconds": round(seconds, 1), "requests": count_requests(entries), "per_nsg": per_nsg(entries, polls_per_lro),
            "recap": recap.strip().splitlines()[1:3]}


def section_fleet(results, collections_path):
    from armsandbox import fixturegen

    regions = list(fixturegen.FLEET_REGIONS[:FLEET_REGION_COUNT])
    fixture = fixturegen.make_fleet(FLEET_VMS, regions=regions, nsgs=FLEET_NSGS, seed=14)
    summary = fixturegen.fleet_summary(fixture)
    polls = LRO["lro_polls"]
    sb = Sandbox(collections_path)
    out = {"vms": FLEET_VMS, "regions": regions, "nsgs_in_fixture": FLEET_NSGS, "latency_ms": LATENCY_MS,
           "lro": dict(LRO), "page_size": PAGE_SIZE, "fixture": summary}
    try:
        extra = {"azbackup_vault_resource_group": VAULT_RG}
        sb.load(fixture)
        sb.control.load_fixtures({"resource_groups": [{"name": VAULT_RG, "location": regions[0]}]})
        # After: the azure_vms inventory, regions and NSGs derived from its host variables, one nsg_rules task.
        config = sb.write("fleet.azure_vms.yml", {"plugin": "azbackup.vmprep.azure_vms"})
        after_play = _wrapper(sb, os.path.join(ROOT, "playbooks"), "after.yml")
        after = {}
        for kind in ("first_run", "re_run"):
            log("prepare flow, after: %d VMs, %d regions, %s" % (FLEET_VMS, len(regions), kind.replace("_", " ")))
            seconds, proc, entries = sb.run([_bin("ansible-playbook"), "-i", config, after_play,
                                             "-e", json.dumps(extra)])
            after[kind] = _summary(seconds, proc, entries, polls)
            log("  %.1f s, %d ARM requests, %d NSGs (%d changed), at the minimum per NSG: %s"
                % (seconds, after[kind]["requests"]["total_arm"], after[kind]["per_nsg"]["nsgs"],
                   after[kind]["per_nsg"]["changed"], after[kind]["per_nsg"]["at_minimum"]))
        out["after"] = after
        out["nsgs_opened"] = after["first_run"]["per_nsg"]["nsgs"]

        if os.environ.get("BENCH_FLEET_BEFORE", "1") == "1":
            # Before: the playbooks of 1.0 with what a user had to give them - a static inventory with each VM's
            # location, and azbackup_nsgs listing the same NSGs (one module run per NSG to read it and one to write).
            nsgs = _nsgs_in_use(fixture)
            hosts = {vm["name"]: {"location": vm["location"]} for vm in fixture["virtual_machines"]}
            inventory = sb.write("before-hosts.yml", {"all": {"hosts": dict(hosts, localhost={
                "ansible_connection": "local"})}})
            before_play = _wrapper(sb, BEFORE_DIR, "before.yml")
            before_extra = dict(extra, azbackup_nsgs=nsgs)
            sb.load(fixture)
            sb.control.load_fixtures({"resource_groups": [{"name": VAULT_RG, "location": regions[0]}]})
            before = {}
            for kind in ("first_run", "re_run"):
                log("prepare flow, before (1.0 playbooks): %d NSGs, %s" % (len(nsgs), kind.replace("_", " ")))
                seconds, proc, entries = sb.run([_bin("ansible-playbook"), "-i", inventory, before_play,
                                                 "-e", json.dumps(before_extra)])
                before[kind] = _summary(seconds, proc, entries, polls)
                log("  %.1f s, %d ARM requests" % (seconds, before[kind]["requests"]["total_arm"]))
            out["before"] = before
        results["fleet"] = out
    finally:
        sb.close()


def _nsgs_in_use(fixture):
    """The NSGs on the path of at least one VM (its NIC's or its subnet's), as azbackup_nsgs items: what a user of
    the 1.0 playbooks had to find and list by hand."""
    subnet_nsg = {}
    for vnet in fixture.get("virtual_networks", []):
        sub = vnet.get("subscription_id", "")
        for subnet in vnet.get("subnets", []):
            if subnet.get("network_security_group"):
                key = ("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/virtualNetworks/%s/subnets/%s"
                       % (sub, vnet["resource_group"], vnet["name"], subnet["name"])).lower()
                subnet_nsg[key] = (vnet["resource_group"], subnet["network_security_group"])
    used = set()
    for nic in fixture.get("network_interfaces", []):
        if nic["subnet"].lower() in subnet_nsg:
            used.add(subnet_nsg[nic["subnet"].lower()])
        if nic.get("network_security_group"):
            ref = nic["network_security_group"]
            used.add((ref.split("/")[4], ref.rsplit("/", 1)[-1]) if ref.startswith("/") else (nic["resource_group"], ref))
    return [{"resource_group": rg, "name": name} for rg, name in sorted(used)]


# ---- the report ---------------------------------------------------------------------------------------------------

def rows(results):
    out = []
    inv = results.get("inventory")
    if inv:
        best = inv["best"]
        out.append(["inventory: %d VMs, %d subscriptions" % (inv["vms"], inv["subscriptions"]),
                    "-", "%.1f s, %d req (%.4f/VM)" % (best["seconds"], best["requests"], best["requests_per_vm"]),
                    "<= 15 s, <= 0.02 req/VM"])
    fl = results.get("fleet")
    if fl:
        for kind, goal in (("first_run", "<= 180 s"), ("re_run", "<= 45 s")):
            after = fl["after"][kind]
            before = (fl.get("before") or {}).get(kind)
            label = "prepare flow %d VMs / %d regions / %d NSGs, %s" % (
                fl["vms"], len(fl["regions"]), fl["nsgs_opened"], kind.replace("_", " "))
            out.append([label,
                        "-" if not before else "%.1f s, %d req" % (before["seconds"], before["requests"]["total_arm"]),
                        "%.1f s, %d req" % (after["seconds"], after["requests"]["total_arm"]), goal])
            out.append(["  requests per NSG, %s (%s)" % (kind.replace("_", " "), after["per_nsg"]["minimum"]),
                        "-" if not before else _shape_text(before["per_nsg"]),
                        _shape_text(after["per_nsg"]), "at the minimum"])
    return out


def _shape_text(per):
    shapes = ", ".join("%d x [%s]" % (n, s) for s, n in sorted(per["shapes"].items(), key=lambda kv: -kv[1]))
    return "%s; %d network polls; minimum: %s" % (shapes, per["polls"], "yes" if per["at_minimum"] else "NO")


_RUN = {"first_run": "first run", "re_run": "re-run (no change)"}
HEADERS = ["measurement", "before (1.0 playbooks)", "after", "goal"]


def table(results):
    return format_table(HEADERS, rows(results))


def markdown(results):
    """The fleet part of docs/performance.md."""
    inv, fl = results.get("inventory"), results.get("fleet")
    if not inv and not fl:
        return ""
    out = ["## Fleet scale (issue 14)\n"]
    out.append("Run started %s; load average %s at the start and %s at the end (the 2-core machine was shared with "
               "other work, which shows in the spread of repeated runs). "
               % (results.get("started", "?"), (results.get("machine") or {}).get("load_average_start"),
                  (results.get("machine") or {}).get("load_average_end"))
               + "Measured by `BENCH_SECTIONS=inventory,fleet make bench` (tests/bench/bench_fleet.py) against the "
               "sandbox served on a local port, %d ms per request, every long-running operation answering %d status "
               "polls %s s apart, lists in pages of %d items (the sandbox's `page_size`). Fleets come from "
               "`armsandbox.fixturegen.make_fleet`. Times are wall times of the whole `ansible-inventory` or "
               "`ansible-playbook` process, on the machine described above; they are reported, not asserted.\n"
               % (LATENCY_MS, LRO["lro_polls"], LRO["lro_retry_after"], (inv or fl)["page_size"]))
    if inv:
        best = inv["best"]
        out.append("### Inventory: %d VMs in %d subscriptions\n" % (inv["vms"], inv["subscriptions"]))
        out.append("`ansible-inventory -i fleet.azure_vms.yml --list` (plugin `azbackup.vmprep.azure_vms`, "
                   "`subscriptions` listing the 3, readiness off), run(s) of %d: %s. Best: **%d hosts in %.1f s, %d ARM "
                   "requests, %.4f per VM** (goal: within 15 s, at most 0.02 per VM). Requests by resource type: %s.\n"
                   % (len(inv["runs"]), ", ".join("%.1f s" % r["seconds"] for r in inv["runs"]), best["hosts"],
                      best["seconds"], best["requests"], best["requests_per_vm"],
                      ", ".join("%s %d" % kv for kv in sorted(best["by_kind"].items()))))
    if fl:
        f = fl["fixture"]
        out.append("### Prepare flow: %d VMs in %d regions behind %d NSGs\n"
                   % (fl["vms"], len(fl["regions"]), fl["nsgs_opened"]))
        out.append("Steps 1 and 2 of the main playbook (vaults.yml, network_service_tags.yml): a vault per region "
                   "and the three service-tag rules on every NSG on a VM's path. The fleet: %s.\n"
                   % "; ".join("%s %s" % (k.replace("_", " "), v if isinstance(v, (int, str)) else ", ".join(
                       "%s %s" % (kk.replace("_", " "), vv) for kk, vv in sorted(v.items()))) for k, v in sorted(f.items())))
        out.append("- **after**: the `azure_vms` inventory; regions from `azure_location`, NSGs from `azure_nsgs`, "
                   "one `nsg_rules` task for all NSGs (16 at a time, each read once and written once with If-Match);")
        out.append("- **before**: the 1.0 playbooks (tests/bench/before/), with what they needed: a static inventory "
                   "with each VM's `location`, and `azbackup_nsgs` listing the same NSGs; one `nsg_rule_info` run "
                   "and one `nsg_rules` run per NSG.\n")
        out.append("| run | before | after | goal |\n|---|---|---|---|")
        for kind, goal in (("first_run", "within 180 s"), ("re_run", "within 45 s")):
            a = fl["after"][kind]
            b = (fl.get("before") or {}).get(kind)
            out.append("| %s | %s | %.1f s, %d ARM requests | %s |" % (
                _RUN[kind], "not run" if not b else "%.1f s, %d ARM requests" % (
                    b["seconds"], b["requests"]["total_arm"]), a["seconds"], a["requests"]["total_arm"], goal))
        out.append("")
        out.append("Besides the NSGs, the after runs read the inventory's lists (a fixed number per subscription) and "
                   "handle one vault per region; the before runs read each NSG twice (`nsg_rule_info`, then "
                   "`nsg_rules`) and the service tags of each region.\n")
        out.append("ARM requests per NSG (minimum: %s):\n" % fl["after"]["first_run"]["per_nsg"]["minimum"])
        out.append("| run | before | after |\n|---|---|---|")
        for kind in ("first_run", "re_run"):
            a = fl["after"][kind]["per_nsg"]
            b = ((fl.get("before") or {}).get(kind) or {}).get("per_nsg")
            out.append("| %s | %s | %s |" % (_RUN[kind], "not run" if not b else _shape_text(b),
                                             _shape_text(a)))
        out.append("")
    return "\n".join(out) + "\n"
