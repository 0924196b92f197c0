"""Round trips with the real azure-identity and Azure management SDK clients."""

import pytest
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
)
from azure.identity import ClientSecretCredential
from azure.mgmt.network.models import NetworkSecurityGroup, SecurityRule
from azure.mgmt.recoveryservices.models import (
    PatchVault,
    Sku,
    Vault,
    VaultProperties,
)
from azure.mgmt.recoveryservices.models import (
    VaultPropertiesRedundancySettings as RedundancySettings,
)
from sandbox_testlib import SEED, nsg_fixture, rg_fixture


def _rule(priority=200, port="443", **kw):
    return SecurityRule(protocol="Tcp", access="Allow", direction=kw.pop("direction", "Outbound"), priority=priority,
                        source_address_prefix="VirtualNetwork", destination_address_prefix=kw.pop("dest", "AzureBackup"),
                        source_port_range="*", destination_port_range=port, **kw)


def test_security_rule_lifecycle(sandbox, clients):
    sandbox.control.load_fixtures(nsg_fixture())
    net = clients.network
    created = net.security_rules.begin_create_or_update("rg1", "nsg1", "AllowAzureBackup", _rule()).result()
    assert created.provisioning_state == "Succeeded"
    assert created.destination_address_prefix == "AzureBackup"
    updated = net.security_rules.begin_create_or_update("rg1", "nsg1", "allowazurebackup", _rule(port="80-443")).result()
    assert updated.name == "AllowAzureBackup"  # created casing is kept, match is case-insensitive
    assert updated.destination_port_range == "80-443"
    assert [r.name for r in net.security_rules.list("rg1", "nsg1")] == ["AllowAzureBackup"]
    nsg = net.network_security_groups.get("rg1", "nsg1")
    assert {r.name for r in nsg.default_security_rules} >= {"AllowVnetInBound", "DenyAllOutBound"}
    net.security_rules.begin_delete("rg1", "nsg1", "AllowAzureBackup").result()
    with pytest.raises(ResourceNotFoundError):
        net.security_rules.get("rg1", "nsg1", "AllowAzureBackup")
    log = sandbox.control.requests()
    put = next(e for e in log if e["method"] == "PUT")
    assert put["status"] == 201 and put["is_write"]
    assert any(e["kind"] == "lro-poll" for e in log)


def test_nsg_if_match_precondition(sandbox, clients):
    sandbox.control.load_fixtures(nsg_fixture())
    net = clients.network
    nsg = net.network_security_groups.get("rg1", "nsg1")
    old_etag = nsg.etag
    net.network_security_groups.update_tags("rg1", "nsg1", {"tags": {"owner": "backup"}})
    body = NetworkSecurityGroup(location="westeurope", security_rules=[_rule(name="r1")])
    with pytest.raises(HttpResponseError) as info:
        net.network_security_groups.begin_create_or_update("rg1", "nsg1", body, headers={"If-Match": old_etag})
    assert info.value.status_code == 412
    assert info.value.error.code == "PreconditionFailed"
    current = net.network_security_groups.get("rg1", "nsg1").etag
    result = net.network_security_groups.begin_create_or_update(
        "rg1", "nsg1", body, headers={"If-Match": current}).result()
    assert [r.name for r in result.security_rules] == ["r1"]
    assert result.etag != current


def test_concurrent_write_gets_409_with_retry_after(sandbox, clients, arm):
    sandbox.control.load_fixtures(nsg_fixture())
    # The first write runs for 1 s on the clock (1 poll x 1 s), long enough for the second to collide with it.
    sandbox.control.set_faults(lro_max_seconds=30, lro_retry_after=1)
    net = clients.network
    first = net.security_rules.begin_create_or_update("rg1", "nsg1", "first", _rule(200), polling=False)
    with pytest.raises(HttpResponseError) as info:
        net.security_rules.begin_create_or_update("rg1", "nsg1", "second", _rule(210), retry_total=0)
    assert info.value.status_code == 409
    assert info.value.error.code == "AnotherOperationInProgress"
    assert "/operations/" in info.value.error.message
    assert int(info.value.response.headers["Retry-After"]) >= 1
    # The message names the status monitor of the running operation; polling it finishes it.
    monitor = info.value.error.message.split("use uri: ", 1)[1].rstrip(".")
    status, _unused, body = arm.send("GET", monitor[len(sandbox.url):])
    assert (status, body["status"]) == (200, "Succeeded")
    assert first.result().name == "first"
    net.security_rules.begin_create_or_update("rg1", "nsg1", "other", _rule(220)).result()


def test_sdk_retries_409_until_the_other_write_finishes(sandbox, clients):
    sandbox.control.load_fixtures(nsg_fixture())
    sandbox.control.set_faults(lro_max_seconds=0.5, lro_retry_after=1)
    net = clients.network
    net.security_rules.begin_create_or_update("rg1", "nsg1", "first", _rule(200), polling=False)
    second = net.security_rules.begin_create_or_update("rg1", "nsg1", "second", _rule(210)).result()
    assert second.provisioning_state == "Succeeded"
    statuses = [e["status"] for e in sandbox.control.requests() if e["method"] == "PUT"]
    assert statuses[:3] == [201, 409, 201]


def test_vault_lifecycle(sandbox, clients):
    sandbox.control.load_fixtures(rg_fixture("rg-backup"))
    rs = clients.vaults
    vault = rs.vaults.begin_create_or_update(
        "rg-backup", "rsv-demo",
        Vault(location="West Europe", sku=Sku(name="Standard"), properties=VaultProperties()),
    ).result()
    assert vault.location == "westeurope"
    assert vault.sku.name == "RS0" and vault.sku.tier == "Standard"
    assert vault.properties.provisioning_state == "Succeeded"
    assert vault.properties.redundancy_settings.standard_tier_storage_redundancy == "GeoRedundant"
    assert vault.properties.redundancy_settings.cross_region_restore == "Disabled"
    soft = vault.properties.security_settings.soft_delete_settings
    assert (soft.soft_delete_state, soft.soft_delete_retention_period_in_days, soft.enhanced_security_state) == (
        "Enabled", 14, "Enabled")
    assert vault.properties.public_network_access == "Enabled"
    patched = rs.vaults.begin_update(
        "rg-backup", "rsv-demo",
        PatchVault(properties=VaultProperties(redundancy_settings=RedundancySettings(
            standard_tier_storage_redundancy="LocallyRedundant"))),
    ).result()
    assert patched.properties.redundancy_settings.standard_tier_storage_redundancy == "LocallyRedundant"
    assert [v.name for v in rs.vaults.list_by_resource_group("rg-backup")] == ["rsv-demo"]
    rs.vaults.begin_delete("rg-backup", "rsv-demo").result()
    with pytest.raises(ResourceNotFoundError):
        rs.vaults.get("rg-backup", "rsv-demo")
    kinds = [(e["method"], e["kind"], e["status"]) for e in sandbox.control.requests() if e["kind"] != "login"]
    assert ("PUT", "arm", 201) in kinds and ("PATCH", "arm", 202) in kinds and ("DELETE", "arm", 202) in kinds


def test_vault_service_rules(sandbox, clients):
    sandbox.control.load_fixtures({**rg_fixture("rg-backup"), "vaults": [
        {"resource_group": "rg-backup", "name": "rsv-busy", "location": "westeurope", "protected_items": 2},
    ]})
    rs = clients.vaults
    lrs = PatchVault(properties=VaultProperties(redundancy_settings=RedundancySettings(
        standard_tier_storage_redundancy="LocallyRedundant")))
    with pytest.raises(HttpResponseError) as info:
        rs.vaults.begin_update("rg-backup", "rsv-busy", lrs)
    assert info.value.error.code == "StorageModelModifyError"
    with pytest.raises(HttpResponseError) as info:
        rs.vaults.begin_delete("rg-backup", "rsv-busy")
    assert info.value.error.code == "ServiceResourceNotEmpty" and "2 backup items" in info.value.error.message
    with pytest.raises(HttpResponseError) as info:
        rs.vaults.begin_create_or_update("rg-backup", "rsv-busy", Vault(location="northeurope", sku=Sku(name="Standard")))
    assert info.value.error.code == "InvalidResourceLocation"
    assert "westeurope" in info.value.error.message and "northeurope" in info.value.error.message


def test_service_tags(sandbox, clients):
    tags = clients.network.service_tags.list("westeurope")
    assert tags.cloud == "Public"
    by_name = {t.name: t for t in tags.values_property}
    regional = by_name["AzureBackup.WestEurope"].properties
    assert regional.region == "westeurope" and regional.system_service == "AzureBackup"
    assert any(":" in p for p in regional.address_prefixes) and any("." in p for p in regional.address_prefixes)
    assert {"Storage.NorthEurope", "AzureActiveDirectory", "AzureCloud.westeurope"} <= set(by_name)


def test_service_tags_unknown_location_is_refused_like_arm(sandbox, clients):
    """A location the API is not registered in: 400 NoRegisteredProviderFound naming the supported locations, as
    ARM answers for every locations/* type; never a list."""
    for call in (clients.network.service_tags.list, lambda loc: list(clients.network.service_tag_information.list(loc))):
        with pytest.raises(HttpResponseError) as info:
            call("westeurpoe")
        assert info.value.status_code == 400 and info.value.error.code == "NoRegisteredProviderFound"
        message = info.value.error.message
        assert "location 'westeurpoe'" in message and "The supported locations are '" in message
        assert "westeurope" in message.split("supported locations are")[1]
    # A served location without published regional tags answers normally.
    tags = clients.network.service_tags.list("swedencentral")
    assert not any(t.properties.region == "swedencentral" for t in tags.values_property)


def test_vms_and_instance_views(sandbox, clients):
    sandbox.control.load_fixtures(SEED)
    compute = clients.compute
    all_vms = list(compute.virtual_machines.list_all())
    assert len(all_vms) == 7
    weu = [vm.name for vm in compute.virtual_machines.list("rg-backup-weu")]
    assert "vm-sql-weu-01" in weu and "vm-app-neu-01" not in weu
    sql = compute.virtual_machines.get("rg-backup-weu", "vm-sql-weu-01", expand="instanceView")
    assert len(sql.network_profile.network_interfaces) == 2
    assert len(sql.storage_profile.data_disks) == 12
    assert sql.instance_view.statuses[1].code == "PowerState/running"
    failed = compute.virtual_machines.instance_view("rg-backup-neu", "vm-app-neu-01")
    snapshot = next(e for e in failed.extensions if e.name == "VMSnapshotLinux")
    assert snapshot.statuses[0].code.startswith("ProvisioningState/failed")
    assert failed.vm_agent.statuses[0].display_status == "Ready"
    deallocated = compute.virtual_machines.instance_view("rg-backup-neu", "vm-win-neu-01")
    assert deallocated.statuses[-1].code == "PowerState/deallocated"
    legacy = compute.virtual_machines.instance_view("rg-backup-neu", "vm-legacy-neu-01")
    assert legacy.vm_agent.vm_agent_version == "2.2.10"
    status = {vm.name: vm.instance_view for vm in compute.virtual_machines.list_all(status_only="true")}
    assert status["vm-app-weu-02"].statuses[-1].code == "PowerState/stopped"
    nic = clients.network.network_interfaces.get("rg-backup-weu", "nic-vm-web-weu-01")
    assert nic.virtual_machine.id.endswith("/vm-web-weu-01")
    assert nic.ip_configurations[0].load_balancer_backend_address_pools[0].id.endswith("/bepool-web")
    subnet = clients.network.subnets.get("rg-backup-weu", "vnet-backup-weu", "snet-app")
    assert subnet.network_security_group.id.endswith("/nsg-app")


def test_vm_paging(sandbox, clients):
    from armsandbox.fixturegen import make_vm_fleet

    sandbox.control.load_fixtures(make_vm_fleet(120, ["westeurope", "eastus"], None, seed=3))
    sandbox.control.set_faults(page_size=50)
    names = [vm.name for vm in clients.compute.virtual_machines.list_all()]
    assert len(names) == len(set(names)) == 120
    pages = [e for e in sandbox.control.requests() if e["path"].endswith("/virtualMachines")]
    assert len(pages) == 3


def test_wrong_secret_is_client_authentication_error(sandbox):
    credential = ClientSecretCredential(sandbox.tenant_id, sandbox.client_id, "not-the-secret", authority=sandbox.url,
                                        disable_instance_discovery=True, connection_verify=sandbox.ca_bundle)
    with pytest.raises(ClientAuthenticationError) as info:
        credential.get_token(sandbox.scope)
    assert "AADSTS7000215" in str(info.value)
    unknown = ClientSecretCredential(sandbox.tenant_id, "99999999-9999-9999-9999-999999999999", "x",
                                     authority=sandbox.url, disable_instance_discovery=True,
                                     connection_verify=sandbox.ca_bundle)
    with pytest.raises(ClientAuthenticationError) as info:
        unknown.get_token(sandbox.scope)
    assert "AADSTS700016" in str(info.value)
    logged = str(sandbox.control.requests())
    assert "not-the-secret" not in logged and sandbox.client_secret not in logged
    assert "<redacted form body>" in logged
