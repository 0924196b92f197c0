"""Fuzzing of every guest role's inputs, the way test_fuzz.py fuzzes the modules: each hostile value of each option in
a role's meta/argument_specs.yml must fail the role's validation (argument spec + preflight tasks) with a message
that names the variable, without a template error or traceback, and without any change.

The roles come from the collection as built from its tarball. Only their validation runs: for each case, one
block runs ansible.builtin.validate_argument_spec with the role's own spec (what the role does first when it is
called) and then `include_role: tasks_from: preflight` on localhost with a faked fact set; a rescue records the
message. Every case of a batch runs in ONE ansible-playbook process, so hundreds of cases take seconds.

Hostile values: a fixed list per kind of input (trailing newline, whitespace, control and non-ASCII characters,
non-ASCII digits, `../`, /0 CIDRs, huge ports, empty) plus hypothesis batches that mutate valid values the same ways.
"""

import ipaddress
import json
import os
import subprocess
import sys
import uuid

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.sdk_independent


# Hypothesis batches per role (each batch is one ansible-playbook run of BATCH_SIZE cases).
BATCHES = int(os.environ.get("AZBACKUP_ROLE_FUZZ_BATCHES", "2"))
BATCH_SIZE = int(os.environ.get("AZBACKUP_ROLE_FUZZ_BATCH_SIZE", "40"))
ROLES = ["proxy_client", "proxy_server", "proxy_firewall", "vm_agent"]

# A valid set of inputs per role (the base that one hostile value replaces), and the facts the preflight sees.
VALID = {
    "proxy_client": {"proxy_client_host": "10.0.0.4"},
    "proxy_server": {"proxy_server_allowed_cidrs": ["10.0.0.0/16"]},
    "proxy_firewall": {"proxy_firewall_source_cidrs": ["10.0.0.0/16"]},
    "vm_agent": {},
}
FACTS = {
    "proxy_client": {"os_family": "Windows"},
    "proxy_server": {"os_family": "Debian", "distribution": "Debian"},
    # Windows: the preflight skips the detection of the Linux firewall (service_facts, ufw status) on the controller.
    "proxy_firewall": {"os_family": "Windows"},
    "vm_agent": {"os_family": "Windows", "virtualization_role": "guest", "virtualization_type": "kvm"},
}

# The kind of every option (what its hostile values are), and whether empty is allowed. A new option without a kind
# fails test_every_role_option_has_a_kind, so that its input is fuzzed too.
KINDS = {
    "proxy_client": {
        "proxy_client_state": "choice", "proxy_client_url": "http_url", "proxy_client_host": "host",
        "proxy_client_port": "port", "proxy_client_no_proxy": "bypass_list",
        "proxy_client_environment": "bool", "proxy_client_environment_file": "path",
        "proxy_client_agent_dropin": "bool", "proxy_client_agent_conf": "bool", "proxy_client_restart_agent": "bool",
        "proxy_client_agent_service": "unit", "proxy_client_agent_config_file": "path_or_empty",
        "proxy_client_backup": "bool", "proxy_client_win_winhttp": "bool", "proxy_client_win_wininet": "bool",
    },
    "proxy_server": {
        "proxy_server_port": "port", "proxy_server_allowed_cidrs": "cidr_list", "proxy_server_allow_8443": "bool",
        "proxy_server_allow_http": "bool", "proxy_server_storage_domains": "domain_list",
        "proxy_server_backup_domains": "domain_list", "proxy_server_entra_domains": "domain_list",
        "proxy_server_extra_domains": "domain_list", "proxy_server_dropin_name": "file_name",
        "proxy_server_state": "choice", "proxy_server_allow_any_source": "bool",
        "proxy_server_update_cache": "bool", "proxy_server_backup": "bool",
    },
    "proxy_firewall": {
        "proxy_firewall_state": "choice", "proxy_firewall_port": "port", "proxy_firewall_source_cidrs": "cidr_list",
        "proxy_firewall_backend": "choice", "proxy_firewall_nftables_table": "ident",
        "proxy_firewall_nftables_file": "path", "proxy_firewall_nftables_input_policy": "choice",
        "proxy_firewall_nftables_allowed_tcp_ports": "port_list", "proxy_firewall_firewalld_zone": "ident",
        "proxy_firewall_rule_name": "text", "proxy_firewall_win_profiles": "choice_list",
        "proxy_firewall_allow_any_source": "bool", "proxy_firewall_firewalld_ipset": "ident",
        "proxy_firewall_win_group": "text",
    },
    "vm_agent": {
        "vm_agent_state": "choice", "vm_agent_package": "package", "vm_agent_service": "unit",
        "vm_agent_config_file": "path_or_empty", "vm_agent_update_cache": "bool", "vm_agent_auto_update": "bool",
        "vm_agent_backup": "bool", "vm_agent_service_start": "choice", "vm_agent_validate_version": "bool",
        "vm_agent_min_version": "version", "vm_agent_win_min_version": "version",
        "vm_agent_win_legacy_min_version": "version", "vm_agent_win_msi_src": "https_url",
        "vm_agent_win_msi_checksum": "sha256", "vm_agent_win_msi_checksum_algorithm": "choice",
        "vm_agent_win_msi_version": "version_or_empty", "vm_agent_win_download_dir": "win_dir",
        "vm_agent_backup_running_action": "choice", "vm_agent_backup_wait_timeout": "seconds_0_86400",
        "vm_agent_backup_wait_delay": "seconds_1_3600", "vm_agent_backup_process_pattern": "regex",
    },
}

# Hostile values that hold for every string kind: a trailing newline, CR/LF, surrounding whitespace, control characters.
MSI = "https://download.example/WindowsAzureVmAgent.msi"
SHA256 = "3f786850e387550fdab836ed7e6dc881de23001b0b6f8a2a1b4a3c5e6d7f8091"
GOOD = {  # a valid value per kind, which the mutations below break
    "host": "proxy.example", "http_url": "http://10.0.0.4:3128", "path": "/etc/environment",
    "path_or_empty": "/etc/waagent.conf", "unit": "walinuxagent", "package": "waagent", "version": "2.2.53.1",
    "version_or_empty": "2.7.41491.1172", "https_url": MSI, "sha256": SHA256, "win_dir": "C:\\Windows\\Temp",
    "ident": "azbackup_proxy", "file_name": "azbackup-vmprep.conf", "text": "azbackup.vmprep proxy",
    "regex": "Microsoft\\.Azure\\.RecoveryServices\\.VMSnapshot",
}
FIXED = {
    "port": [0, 65536, 99999999, -1, "3128\n", " 3128", "3128 ", "3_128", "\u0663\u0661\u0662\u0668",
             "\uff13\uff11\uff12\uff18", "\u00b3", "", True],
    "port_list": [[0], [65536], ["22\n"], ["2_2"], ["\u0662\u0662"]],
    "host": ["proxy.example\n", " proxy.example", "proxy example", "pr\u00f8xy.example", "10.0.0.4;reboot", "$(id)",
             "../x", "999.999.999.999", "fe80::1%eth0", "[fd00::4]", "-proxy", "a" * 300, "proxy.example\r",
             "x\x00y", ""],
    "http_url": ["http://10.0.0.4:3128\n", "https://10.0.0.4:3128", "http://10.0.0.4:0", "http://10.0.0.4:65536",
                 "http://10.0.0.4:99999999", "http://[::1:3128", "http://u:p@10.0.0.4:3128", "http://10.0.0.4/../x",
                 "ftp://10.0.0.4:3128", "http://10.0.0.4:3128/x?y", "http://10.0.0.4:\u0663\u0661\u0662\u0668",
                 " http://10.0.0.4:3128", "http://pr\u00f8xy:3128", "http://10.0.0.4;reboot:3128",
                 "http://999.999.999.999:3128", "http://[fe80::1%25eth0]:3128", "10.0.0.4:3128"],
    "path": ["/etc/environment\n", "etc/environment", "/etc/../shadow", "/etc/./environment", "/etc/ environment",
             "/etc/envir\u00f8nment", "/etc//environment", "/etc/env\x00", ""],
    "path_or_empty": ["/etc/waagent.conf\n", "waagent.conf", "/etc/../shadow", "/etc/wa agent.conf", "/etc/w\u00e4"],
    "unit": ["walinuxagent\n", "../x", "wa linuxagent", "a/b", "w\u00e4agent", "-x", "walinux..agent"],
    "package": ["waagent\n", "../x", "wa agent", "a/b", "w\u00e4agent", "-x", "waagent;reboot"],
    "version": ["2.2.53.1\n", " 2.2.53.1", "\u0662.2.53.1", "2..2", "v2.2", "2.2.53.1.5", ""],
    "version_or_empty": ["2.7.41491.1172\n", "2.7.x", "\u0662.7", "2.7.41491.1172.1.1"],
    "https_url": ["http://download.example/a.msi", "HTTP://download.example/a.msi",
                  "\\\\fileserver\\share\\WindowsAzureVmAgent.msi", "C:\\Install\\WindowsAzureVmAgent.msi",
                  "file:///C:/a.msi", "https://u:p@download.example/a.msi", MSI + "\n", "https://download.example:99999/a.msi",
                  "https://[::1]/a.msi", "ftp://download.example/a.msi", "https://download.example/a.msi#x",
                  "https://d\u00f8wnload.example/a.msi", " " + MSI],
    "sha256": [SHA256 + "\n", "g" * 64, SHA256[:63], SHA256[:32], SHA256[:40], "\uff41" * 64, " " + SHA256],
    "win_dir": ["\\\\fileserver\\share", "C:\\Windows\\..\\Users\\Public", "C:\\Temp\n", "Temp", "C:/Temp",
                "C:\\Te*mp", "\u00c7:\\Temp", ""],
    "ident": ["azbackup_proxy\n", "azbackup proxy", "../x", "", "azb\u00e4ckup", "a;b"],
    "file_name": ["../squid.conf", "conf.d/x.conf", "azbackup-vmprep.conf\n", "", "azb\u00e4ckup.conf", ".."],
    "text": ["azbackup.vmprep proxy\n", "a\x00b", "", "a\rb"],
    "regex": ["", "a\nb", "a\x00b"],
    "seconds_0_86400": [-1, 86401, 10 ** 12, "1_800", "\u0661\u0668\u0660\u0660", "1800\n"],
    "seconds_1_3600": [0, 3601, "1_5", "\u0661\u0665", "15\n"],
    "cidr_list": [["0.0.0.0/0"], ["::/0"], [":"], ["999.999.999.999/8"], ["10.0.0.0/16\n"], ["10.1.2.3/8"],
                  ["fe80::1%eth0"], ["10.0.0.0/33"], [""], [" 10.0.0.0/16"], ["../"], [], "10.0.0.0/16\n"],
    "domain_list": [[".example.com\n"], ["exa mple.com"], ["../x"], [""], ["\u00e9xample.com"], ["a;b"],
                    ["all\nhttp_access allow all"]],
    "bypass_list": [["0.0.0.0/0"], ["::/0"], ["../"], ["localhost\n"], ["a b"], [""], ["\u00f8"], "localhost\n"],
    "choice": ["not-a-choice", "present\n"],
    "choice_list": [["office"], ["domain\n"]],
    "bool": ["maybe"],
}
# Multi-variable cases: inputs valid alone but not together.
EXTRA = {
    "vm_agent": [
        ("vm_agent_win_msi_checksum", {"vm_agent_win_msi_src": MSI, "vm_agent_win_msi_checksum": ""}),
        ("vm_agent_win_msi_checksum_algorithm", {"vm_agent_win_msi_src": MSI, "vm_agent_win_msi_checksum": SHA256,
                                                 "vm_agent_win_msi_checksum_algorithm": "md5"}),
        ("vm_agent_win_msi_checksum_algorithm", {"vm_agent_win_msi_src": MSI, "vm_agent_win_msi_checksum": SHA256[:40],
                                                 "vm_agent_win_msi_checksum_algorithm": "sha1"}),
        ("vm_agent_win_msi_checksum", {"vm_agent_win_msi_src": MSI, "vm_agent_win_msi_checksum": SHA256,
                                       "vm_agent_win_msi_checksum_algorithm": "sha512"}),
    ],
    "proxy_client": [("proxy_client_url", {"proxy_client_host": "", "proxy_client_url": ""}),
                     # the role appends .service itself
                     ("proxy_client_agent_service", {"proxy_client_agent_service": "walinuxagent.service"})],
}
# Messages that mean the check itself broke instead of refusing the value.
BROKEN = ("Traceback", "Finalization of task args", "filter plugin", "test plugin", "is undefined",
          "template error", "Unexpected templating")


def spec_options(collections_path, role):
    path = os.path.join(collections_path, "ansible_collections", "azbackup", "vmprep", "roles", role, "meta",
                        "argument_specs.yml")
    with open(path) as fh:
        return yaml.safe_load(fh)["argument_specs"]["main"]["options"]


def no_template(value):
    """Hostile strings must not be Jinja: the generated playbook would evaluate them."""
    text = json.dumps(value)
    return not any(marker in text for marker in ("{{", "{%", "{#"))


# --- hypothesis strategies: valid values broken the same ways as FIXED ----------------------------------------------
CONTROL = st.sampled_from(["\n", "\r", "\t", "\x00", "\x1b", "\x7f", "\r\n", "\x0b", "\x0c"])
NON_ASCII = st.characters(min_codepoint=0x80, max_codepoint=0x2FFF).filter(lambda c: not c.isspace())
NON_ASCII_DIGIT = st.characters(categories=["Nd"]).filter(lambda c: c not in "0123456789")


def mutated(good, extra_pieces=(), space=True):
    """Insert a control character, a space (unless space=False: kinds where a space inside is valid), a non-ASCII
    character or an extra piece (only pieces that are invalid anywhere in that kind of value) into a valid value, or
    append a control character (a trailing newline...)."""
    spaces = [st.just(" ")] if space else []
    piece = st.one_of(CONTROL, NON_ASCII, *spaces, *[st.just(p) for p in extra_pieces])
    return st.builds(lambda p, at: good[:at] + p + good[at:], piece, st.integers(0, len(good))) | CONTROL.map(
        lambda c: good + c)


# Extra pieces per kind: characters or strings that no valid value of that kind contains.
PIECES = {"host": ("/", ";", "|", "$(", "@", "../"), "unit": ("/", ";", "|", "../"), "package": ("/", ";", "|", "../"),
          "version": ("/", ";", "..", "-"), "version_or_empty": ("/", ";", "..", "-"), "win_dir": ("|", "*", "?", '"'),
          "ident": ("/", ";", "../"), "file_name": ("/",), "path": ("//", "/../"), "path_or_empty": ("//", "/../")}


def port_values():
    return st.one_of(
        st.integers(max_value=0), st.integers(min_value=65536),
        st.text(NON_ASCII_DIGIT, min_size=1, max_size=5),
        st.builds(lambda n, c: "%d%s" % (n, c), st.integers(1, 65535), CONTROL | st.just(" ") | st.just("_0")),
    )


def ipv4_host_bits():
    def build(addr, prefix):
        net = ipaddress.ip_network("%s/%d" % (addr, prefix), strict=False)
        return None if str(net.network_address) == str(addr) else "%s/%d" % (addr, prefix)
    return st.builds(build, st.ip_addresses(v=4), st.integers(1, 31)).filter(bool)


def bad_cidrs():
    return st.one_of(
        st.sampled_from(["0.0.0.0/0", "::/0", "10.0.0.0/0", ":", "::/129"]),
        ipv4_host_bits(),
        st.builds(lambda a, b: "%d.%d.0.0/16" % (a, b), st.integers(256, 999), st.integers(0, 255)),
        st.builds(lambda a, c: "%s/32%s" % (a, c), st.ip_addresses(v=4), CONTROL),
        st.builds(lambda a, z: "%s%%%s" % (a, z), st.ip_addresses(v=6), st.text("abcdefgh0123", min_size=1, max_size=5)),
    )


def strategy_for(kind):
    if kind in ("port",):
        return port_values()
    if kind == "port_list":
        return port_values().map(lambda p: [p])
    if kind in ("seconds_0_86400", "seconds_1_3600"):
        top = 86400 if kind == "seconds_0_86400" else 3600
        low = 0 if kind == "seconds_0_86400" else 1
        return st.one_of(st.integers(min_value=top + 1), st.integers(max_value=low - 1),
                         st.text(NON_ASCII_DIGIT, min_size=1, max_size=4),
                         st.builds(lambda n, c: "%d%s" % (n, c), st.integers(low, top), CONTROL | st.just("_0")))
    if kind == "cidr_list":
        return st.builds(lambda bad, good, at: good[:at] + [bad] + good[at:], bad_cidrs(),
                         st.just(["10.0.0.0/16", "192.168.1.0/24"]), st.integers(0, 2))
    if kind == "domain_list":
        return mutated(".blob.core.windows.net", ("/", ";")).map(lambda d: [".backup.windowsazure.com", d])
    if kind == "bypass_list":
        return (bad_cidrs() | mutated(".internal.example", ("/", ";"))).map(lambda d: ["localhost", d])
    if kind == "choice":
        return st.sampled_from(["present", "latest", "auto", "wait", "sha256", "accept"]).flatmap(
            lambda c: CONTROL.map(lambda x: c + x) | st.just(c.upper()) | st.just(" " + c))
    if kind == "choice_list":
        return st.sampled_from(["domain", "private", "public"]).flatmap(lambda c: CONTROL.map(lambda x: [c + x]))
    if kind == "bool":
        return st.sampled_from(["maybe", "2", "perhaps", "yes please"])
    if kind in {"text", "regex"}:
        return st.builds(lambda c, at: GOOD[kind][:at] + c + GOOD[kind][at:], CONTROL, st.integers(0, len(GOOD[kind])))
    if kind == "sha256":
        return st.one_of(mutated(SHA256, ("g", "x", ":")), st.text("0123456789abcdef", min_size=1, max_size=63),
                         st.text("0123456789abcdef", min_size=65, max_size=130).filter(lambda s: len(s) not in (96, 128)))
    if kind == "https_url":
        plain_http = st.builds(lambda host, path: "http://%s/%s" % (host, path),
                               st.sampled_from(["download.example", "10.0.0.4"]),
                               st.text("abc.msi", min_size=1, max_size=8))
        return mutated(MSI, ("@",)) | plain_http
    if kind == "http_url":
        return mutated(GOOD[kind], ("@", "/x", "?", "#")) | port_values().map(lambda p: "http://10.0.0.4:%s" % p)
    if kind == "win_dir":
        # Windows directories may hold spaces (C:\Program Files\...), and the role accepts them.
        return mutated(GOOD[kind], PIECES[kind], space=False)
    return mutated(GOOD[kind], PIECES.get(kind, ()))


def hostile_strategy(role):
    cases = [strategy_for(kind).map(lambda v, o=opt: (o, {o: v})) for opt, kind in sorted(KINDS[role].items())]
    return st.one_of(cases).filter(lambda case: no_template(case[1]))


# --- the runner: one ansible-playbook per batch ---------------------------------------------------------------------
def spec_passes(options, args):
    """What the role's argument validation will say (the same validator); only those cases need the preflight."""
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

    return not ArgumentSpecValidator(options).validate(args).error_messages


def run_batch(collections_path, tmp_path, role, cases, options):
    """Run the valid inputs and every case of `cases` (list of (option, overrides)) in one ansible-playbook: one
    looped validate_argument_spec task for all of them, then `include_role: tasks_from: preflight` for each case
    the argument spec lets through, in a block whose rescue is a no-op. Returns (one dict per case: accepted and
    msg, every task result of the run)."""
    all_args = [dict(VALID[role], **overrides) for overrides in [{}] + [o for _opt, o in cases]]
    tasks = [
        {"name": "Fake the facts", "ansible.builtin.set_fact": {"ansible_facts": FACTS[role]}},
        {"name": "argument specs", "ansible.builtin.validate_argument_spec":
            {"argument_spec": options, "provided_arguments": "{{ item }}"},
         "loop": all_args, "loop_control": {"label": "{{ ansible_loop.index0 }}", "extended": True},
         "ignore_errors": True},
    ]
    for index, args in enumerate(all_args):
        if spec_passes(options, args):
            tasks.append({"name": "case %d" % index, "block": [
                {"name": "preflight %d" % index, "ansible.builtin.include_role":
                    {"name": "azbackup.vmprep.%s" % role, "tasks_from": "preflight"}, "vars": args}],
                "rescue": [{"ansible.builtin.meta": "noop"}]})
    play = [{"name": "fuzz %s" % role, "hosts": "localhost", "gather_facts": False, "connection": "local",
             "tasks": tasks}]
    path = tmp_path / ("fuzz-%s-%s.json" % (role, uuid.uuid4().hex[:8]))
    path.write_text(json.dumps(play))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "ANSIBLE_"))}
    env.update({"HOME": str(tmp_path), "ANSIBLE_COLLECTIONS_PATH": collections_path,
                "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json", "ANSIBLE_LOCALHOST_WARNING": "false",
                "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false", "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
                "ANSIBLE_NOCOLOR": "1", "ANSIBLE_DEPRECATION_WARNINGS": "false",
                "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")})
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,", str(path)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, check=False)
    try:
        doc = json.loads(proc.stdout[proc.stdout.index("{"):])
    except ValueError:
        raise AssertionError("ansible-playbook output is not JSON:\n%s\n%s" % (proc.stdout[-3000:], proc.stderr[-3000:]))
    assert proc.returncode == 0, (proc.stdout[-3000:], proc.stderr[-3000:])
    named = [(task["task"]["name"], task["hosts"]["localhost"]) for p in doc["plays"] for task in p["tasks"]
             if "localhost" in task["hosts"]]
    spec = [result for name, result in named if name == "argument specs"][0]["results"]
    assert len(spec) == len(all_args), spec
    # (the loop's item results carry argument_errors but no "failed" key under ignore_errors)
    outcome = [{"accepted": not (r.get("failed") or r.get("argument_errors")), "msg": r.get("msg", "")} for r in spec]
    current = None
    for name, result in named:
        if name.startswith("preflight "):
            current = int(name.split()[1])
            outcome[current]["ran_preflight"] = True
        elif current is not None and result.get("failed") and outcome[current]["accepted"]:
            outcome[current] = {"accepted": False, "msg": result.get("msg", ""), "ran_preflight": True}
    for index, item in enumerate(outcome):
        if item["accepted"] and not item.get("ran_preflight"):
            item.update(accepted=False, msg="the argument spec and the harness disagree about case %d" % index)
    return outcome, [result for _name, result in named]


def check_batch(collections_path, tmp_path, role, cases, options):
    """Run a batch; return the problems as readable lines."""
    results, every = run_batch(collections_path, tmp_path, role, cases, options)
    assert results[0]["accepted"], "the valid inputs of %s were refused: %s" % (role, results[0].get("msg"))
    changed = [t for t in every if t.get("changed")]
    problems = []
    if changed:
        problems.append("%s: validation made a change: %s" % (role, changed[:3]))
    for (option, overrides), result in zip(cases, results[1:]):
        msg = result.get("msg", "")
        if result["accepted"]:
            why = "accepted"
        elif any(b in msg for b in BROKEN):
            why = "broke the check instead of refusing: %s" % msg[:300]
        elif option not in msg:
            why = "refused without naming %s: %s" % (option, msg[:300])
        else:
            continue
        problems.append("%s %s -> %s" % (role, json.dumps(overrides, ensure_ascii=True), why))
    return problems


def report(role, problems, count):
    assert not problems, "%d of %d hostile inputs of %s were not refused properly:\n%s" % (
        len(problems), count, role, "\n".join(problems))
    print("fuzz role %s: %d hostile inputs refused naming the variable, 0 changes" % (role, count))


@pytest.mark.parametrize("role", ROLES)
def test_every_role_option_has_a_kind(role, collections_path):
    options = spec_options(collections_path, role)
    assert set(options) == set(KINDS[role]), (
        "give every option of roles/%s/meta/argument_specs.yml a kind in KINDS so that it is fuzzed: missing %s, "
        "stale %s" % (role, sorted(set(options) - set(KINDS[role])), sorted(set(KINDS[role]) - set(options))))


@pytest.mark.parametrize("role", ROLES)
def test_fixed_hostile_role_inputs_are_refused(role, collections_path, tmp_path):
    options = spec_options(collections_path, role)
    cases = [(opt, {opt: value}) for opt, kind in sorted(KINDS[role].items()) for value in FIXED[kind]]
    cases += EXTRA.get(role, [])
    report(role, check_batch(collections_path, tmp_path, role, cases, options), len(cases))


@pytest.mark.parametrize("role", ROLES)
def test_generated_hostile_role_inputs_are_refused(role, collections_path, tmp_path):
    options = spec_options(collections_path, role)
    seen = {"problems": [], "count": 0}

    @settings(max_examples=BATCHES, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                     HealthCheck.function_scoped_fixture, HealthCheck.data_too_large])
    @given(st.lists(hostile_strategy(role), min_size=BATCH_SIZE, max_size=BATCH_SIZE))
    def batch(cases):
        seen["problems"] += check_batch(collections_path, tmp_path, role, cases, options)
        seen["count"] += len(cases)

    batch()
    assert seen["count"] >= BATCHES * BATCH_SIZE
    report(role, seen["problems"], seen["count"])
