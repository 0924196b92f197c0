"""The task pairs of the benchmark: what each collection is asked to do, and the minimum ARM requests for it."""

RG = "rg-bench"
LOCATION = "westeurope"
RULE_PRIORITY = 200

# Latency profiles (sent to POST /_sandbox/faults).
PROFILE_LOCAL = {"latency_ms": 0, "lro_polls": 1, "lro_retry_after": 0.05, "lro_max_seconds": 30.0}
PROFILE_REALISTIC = {"latency_ms": 50, "lro_polls": 3, "lro_retry_after": 1, "lro_max_seconds": 60.0}


def fixtures(nsgs=(), groups=((RG, LOCATION),)):
    """Sandbox fixture document: resource groups and empty NSGs (see docs/sandbox.md)."""
    return {
        "resource_groups": [{"name": name, "location": loc} for name, loc in groups],
        "network_security_groups": [{"resource_group": rg, "name": name, "location": loc} for rg, name, loc in nsgs],
    }


# ---- one rule -----------------------------------------------------------------------------------------------------

def backup_rule(index=0, name="allow-azurebackup"):
    """One outbound rule (the shape the prepare flow needs), in neutral form."""
    return {"name": name, "direction": "Outbound", "access": "Allow", "protocol": "Tcp",
            "priority": RULE_PRIORITY + index, "destination": "AzureBackup", "port": "443"}


def numbered_rule(i):
    """Rule i of the 50-rule set: inbound HTTPS from 10.<i>.0.0/24."""
    return {"name": "allow-https-%02d" % i, "direction": "Inbound", "access": "Allow", "protocol": "Tcp",
            "priority": 100 + i, "source": "10.%d.0.0/24" % i, "port": "443"}


def ours_rule_args(rule):
    args = {"name": rule["name"], "direction": rule["direction"], "access": rule["access"],
            "protocol": rule["protocol"], "priority": rule["priority"],
            "destination_port_ranges": [rule["port"]],
            # A new rule needs both address sides (nothing is assumed); '*' as azure_rm_securitygroup assumes it.
            "source_address_prefixes": [rule.get("source", "*")],
            "destination_address_prefixes": [rule.get("destination", "*")]}
    return args


def theirs_rule_args(rule):
    args = {"name": rule["name"], "direction": rule["direction"], "access": rule["access"],
            "protocol": rule["protocol"], "priority": rule["priority"],
            "destination_port_range": rule["port"], "source_port_range": "*",
            "source_address_prefix": rule.get("source", "*"),
            "destination_address_prefix": rule.get("destination", "*")}
    return args


def task_nsg_rule(nsg, rule, rg=RG):
    args = dict(ours_rule_args(rule), resource_group=rg, security_group=nsg)
    return {"name": "nsg_rule %s" % rule["name"], "azbackup.vmprep.nsg_rule": args}


def task_nsg_rule_loop(nsg, rules, rg=RG):
    """A loop of nsg_rule: one module run per rule, the usual way to write one rule per task."""
    items = [ours_rule_args(r) for r in rules]
    args = {"resource_group": rg, "security_group": nsg}
    for key in sorted({k for item in items for k in item}):
        args[key] = "{{ item.%s | default(omit) }}" % key
    return {"name": "nsg_rule loop", "azbackup.vmprep.nsg_rule": args, "loop": items,
            "loop_control": {"label": "{{ item.name }}"}}


def task_nsg_rules(nsg, rules, rg=RG):
    return {"name": "nsg_rules %s" % nsg, "azbackup.vmprep.nsg_rules": {
        "resource_group": rg, "security_group": nsg, "rules": [ours_rule_args(r) for r in rules]}}


def task_securitygroup(nsg, rules, rg=RG, location=LOCATION):
    return {"name": "azure_rm_securitygroup %s" % nsg, "azure.azcollection.azure_rm_securitygroup": {
        "resource_group": rg, "name": nsg, "location": location, "purge_rules": False,
        "rules": [theirs_rule_args(r) for r in rules]}}


# ---- vaults -------------------------------------------------------------------------------------------------------

def task_recovery_vault(name, rg=RG, location=LOCATION):
    return {"name": "recovery_vault %s" % name, "azbackup.vmprep.recovery_vault": {
        "name": name, "resource_group": rg, "location": location}}


def task_recoveryservicesvault(name, rg=RG, location=LOCATION):
    return {"name": "azure_rm_recoveryservicesvault %s" % name,
            "azure.azcollection.azure_rm_recoveryservicesvault": {
                "name": name, "resource_group": rg, "location": location, "state": "present"}}


PING = {"name": "ping", "ansible.builtin.ping": {}}


# ---- minimum ARM requests -----------------------------------------------------------------------------------------
# A run that changes nothing needs one GET. A change needs one read to find out, one write, the status polls the
# service asks for, and - only where the ARM long-running-operation protocol of that operation prescribes it - one
# final GET (Microsoft.Network PUTs are 'final-state-via: azure-async-operation': the client reads the resource once
# the operation succeeded; a Recovery Services vault PUT returns the vault in its last poll).

FINAL_GET = {"nsg_rule": 1, "nsg": 1, "vault": 0}


def minimum(operation, changed, polls_per_lro, count=1):
    if not changed:
        return {"reads": count, "writes": 0, "polls": 0}
    return {"reads": count * (1 + FINAL_GET[operation]), "writes": count, "polls": count * polls_per_lro}


# ---- the prepare flow: 20 VMs in 2 regions ------------------------------------------------------------------------

PREPARE_REGIONS = ("westeurope", "northeurope")
VMS_PER_REGION = 10
VAULT_RG = "rg-backup"


def region_short(region):
    return {"westeurope": "weu", "northeurope": "neu"}.get(region, region[:3])


def prepare_layout():
    """2 regions x 10 VMs; every VM has its own NIC NSG; one Recovery Services vault per region."""
    groups = [(VAULT_RG, PREPARE_REGIONS[0])] + [("rg-app-%s" % region_short(r), r) for r in PREPARE_REGIONS]
    nsgs, vms = [], []
    for region in PREPARE_REGIONS:
        rg = "rg-app-%s" % region_short(region)
        for i in range(1, VMS_PER_REGION + 1):
            vm = "vm-%s-%02d" % (region_short(region), i)
            nsgs.append((rg, "nsg-%s" % vm, region))
            vms.append({"name": vm, "resource_group": rg, "location": region, "nsg": "nsg-%s" % vm})
    vaults = [{"name": "rsv-bench-%s" % region_short(r), "location": r} for r in PREPARE_REGIONS]
    return {"groups": groups, "nsgs": nsgs, "vms": vms, "vaults": vaults}


def backup_path_rules(region):
    """The outbound rules the Azure Backup path needs from a VM (service tags, HTTPS)."""
    storage = "Storage.%s" % {"westeurope": "WestEurope", "northeurope": "NorthEurope"}.get(region, region)
    return [
        {"name": "allow-azurebackup", "direction": "Outbound", "access": "Allow", "protocol": "Tcp",
         "priority": 200, "destination": "AzureBackup", "port": "443"},
        {"name": "allow-backup-storage", "direction": "Outbound", "access": "Allow", "protocol": "Tcp",
         "priority": 201, "destination": storage, "port": "443"},
        {"name": "allow-entra-id", "direction": "Outbound", "access": "Allow", "protocol": "Tcp",
         "priority": 202, "destination": "AzureActiveDirectory", "port": "443"},
    ]
