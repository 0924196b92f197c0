"""Input every module must refuse with one clear message before any request: each module runs in-process, with
clients that count what would have been sent."""

import importlib

import pytest

from conftest import run_module
from ansible_collections.azbackup.vmprep.plugins.module_utils import _client

MODULES = "ansible_collections.azbackup.vmprep.plugins.modules."


class Counting:
    """Stands for AzureClients: any client asked for counts as a request."""

    requests = 0

    def __init__(self, settings):
        self.settings = settings

    def __getattr__(self, name):
        Counting.requests += 1
        raise AssertionError("a client was asked for before the input was checked: %s" % name)


@pytest.fixture
def run(monkeypatch, service_principal_env):
    monkeypatch.setattr(_client, "AzureClients", Counting)
    Counting.requests = 0

    def _run(name, args):
        result = run_module(importlib.import_module(MODULES + name), args)
        assert Counting.requests == 0
        return result

    return _run


NSG = {"resource_group": "rg", "security_group": "nsg"}
WAITING = [
    ("nsg_rule", dict(NSG, name="r1", priority=200, direction="Outbound", access="Allow", protocol="Tcp",
                      destination_port_ranges=["443"], source_address_prefixes=["*"],
                      destination_address_prefixes=["AzureBackup"])),
    ("nsg_rules", dict(NSG, rules=[{"name": "r1", "priority": 200}])),
    ("recovery_vault", {"name": "rsv-1", "resource_group": "rg", "location": "westeurope"}),
]


@pytest.mark.parametrize("name,args", WAITING, ids=[w[0] for w in WAITING])
@pytest.mark.parametrize("timeout", [-5, 0])
def test_wait_timeout_below_one_fails_before_any_request(run, name, args, timeout):
    result = run(name, dict(args, wait_timeout=timeout))
    assert result["failed"] and "wait_timeout must be" in result["msg"] and "1 or more" in result["msg"]
    assert str(timeout) in result["msg"]


@pytest.mark.parametrize("vault", [{"name": "../x", "resource_group": "rg"}, {"name": "rsv", "resource_group": "a/b"}])
def test_readiness_refuses_a_bad_vault_before_any_request(run, vault):
    result = run("backup_readiness_info", {"vaults": [vault]})
    assert result["failed"] and "vaults[0]." in result["msg"] and "not a valid" in result["msg"]
