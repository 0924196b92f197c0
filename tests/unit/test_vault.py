"""Recovery Services vaults: validation, option <-> ARM translation, diff and error translation (no network)."""

import pytest

from ansible_collections.azbackup.vmprep.plugins.module_utils import _vault
from ansible_collections.azbackup.vmprep.plugins.module_utils._errors import AzbError
from ansible_collections.azbackup.vmprep.plugins.modules import recovery_vault_info as info

VAULT_ID = "/subscriptions/33333333-3333-3333-3333-333333333333/resourceGroups/RG-Backup/providers/Microsoft.RecoveryServices/vaults/rsv1"

ARM = {
    "id": VAULT_ID,
    "name": "rsv1",
    "type": "Microsoft.RecoveryServices/vaults",
    "location": "westeurope",
    "etag": "W/\"datetime'2026-01-01T00%3A00%3A00Z'\"",
    "tags": {"owner": "team"},
    "sku": {"name": "RS0", "tier": "Standard"},
    "properties": {
        "provisioningState": "Succeeded",
        "publicNetworkAccess": "Enabled",
        "redundancySettings": {"standardTierStorageRedundancy": "GeoRedundant", "crossRegionRestore": "Disabled"},
        "securitySettings": {"softDeleteSettings": {"softDeleteState": "Enabled", "softDeleteRetentionPeriodInDays": 14}},
    },
}


def params(**kw):
    base = {"name": "rsv1", "resource_group": "RG-Backup", "state": "present", "location": None,
            "storage_redundancy": None, "cross_region_restore": None, "soft_delete": None,
            "soft_delete_retention_days": None, "immutability": None, "immutability_lock_confirm": False,
            "public_network_access": None, "sku": "Standard", "tags": None, "append_tags": True, "wait_timeout": 900}
    base.update(kw)
    return base


def current():
    return _vault.normalize(ARM)


# ---- normalisation --------------------------------------------------------------------------------------------

def test_normalize_full_shape():
    assert current() == {
        "id": VAULT_ID, "name": "rsv1", "location": "westeurope", "resource_group": "RG-Backup",
        "provisioning_state": "Succeeded", "storage_redundancy": "GeoRedundant", "cross_region_restore": False,
        "soft_delete": "Enabled", "soft_delete_retention_days": 14, "immutability": "Disabled",
        "public_network_access": "Enabled", "sku": "Standard", "tags": {"owner": "team"}, "etag": ARM["etag"],
    }


def test_normalize_spellings_and_absent_settings():
    vault = {"id": VAULT_ID, "name": "rsv1", "location": "West Europe", "sku": {"name": "Standard"},
             "properties": {"redundancySettings": {"standardTierStorageRedundancy": "locallyredundant",
                                                   "crossRegionRestore": "Enabled"},
                            "securitySettings": {"softDeleteSettings": {"softDeleteState": "AlwaysOn"},
                                                 "immutabilitySettings": {"state": "locked"}}}}
    out = _vault.normalize(vault)
    assert out["location"] == "westeurope"
    assert out["storage_redundancy"] == "LocallyRedundant"
    assert out["cross_region_restore"] is True
    assert out["soft_delete"] == "AlwaysON"
    assert out["immutability"] == "Locked"
    assert out["public_network_access"] == "Enabled"  # absent means Enabled
    assert out["soft_delete_retention_days"] is None
    assert out["tags"] == {}
    assert _vault.normalize(None) is None


# ---- validation ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["a", "1vault", "-vault", "vault_1", "v" * 51, "vault.x", "", "vä"])
def test_invalid_names(name):
    with pytest.raises(AzbError, match="name"):
        _vault.validate_params(params(name=name))


@pytest.mark.parametrize("name", ["ab", "rsv-backup-westeurope", "A" + "1" * 49, "v-"])
def test_valid_names(name):
    _vault.validate_params(params(name=name))


def test_invalid_resource_group():
    for group in ("rg.", "a" * 91, "rg/x", ""):
        with pytest.raises(AzbError, match="resource_group"):
            _vault.validate_params(params(resource_group=group))


def test_cross_region_restore_needs_geo():
    with pytest.raises(AzbError, match="GeoRedundant"):
        _vault.validate_params(params(cross_region_restore=True, storage_redundancy="LocallyRedundant"))
    _vault.validate_params(params(cross_region_restore=True, storage_redundancy="GeoRedundant"))
    _vault.validate_params(params(cross_region_restore=True))  # redundancy unknown until the vault is read
    _vault.validate_params(params(cross_region_restore=False, storage_redundancy="ZoneRedundant"))


def test_locked_immutability_needs_confirmation():
    with pytest.raises(AzbError, match="immutability_lock_confirm"):
        _vault.validate_params(params(immutability="Locked"))
    _vault.validate_params(params(immutability="Locked", immutability_lock_confirm=True))
    _vault.validate_params(params(immutability="Unlocked"))


def test_retention_days_range():
    for days in (13, 181, 0):
        with pytest.raises(AzbError, match="soft_delete_retention_days"):
            _vault.validate_params(params(soft_delete_retention_days=days))
    with pytest.raises(AzbError, match="soft_delete_retention_days"):
        _vault.validate_params(params(soft_delete="Disabled", soft_delete_retention_days=30))
    _vault.validate_params(params(soft_delete_retention_days=14))
    _vault.validate_params(params(soft_delete_retention_days=180))


def test_location_and_tags():
    with pytest.raises(AzbError, match="location"):
        _vault.validate_params(params(location="west-europe!"))
    _vault.validate_params(params(location="West Europe"))
    with pytest.raises(AzbError, match="tags"):
        _vault.validate_params(params(tags={"a/b": "x"}))
    with pytest.raises(AzbError, match="tags"):
        _vault.validate_params(params(tags={"k%d" % i: "v" for i in range(51)}))


def test_absent_checks_only_names():
    _vault.validate_params(params(state="absent", immutability="Locked", location="bad location!"))
    with pytest.raises(AzbError):
        _vault.validate_params(params(state="absent", name="x"))


def test_validate_against_existing():
    cur = current()
    with pytest.raises(AzbError, match="already exists in westeurope") as err:
        _vault.validate_against(cur, {}, params(location="North Europe"))
    assert err.value.code == "LocationMismatch"
    _vault.validate_against(cur, {}, params(location="West Europe"))
    lrs = dict(cur, storage_redundancy="LocallyRedundant")
    with pytest.raises(AzbError, match="LocallyRedundant"):
        _vault.validate_against(lrs, {"cross_region_restore": True}, params())
    _vault.validate_against(lrs, {"cross_region_restore": True, "storage_redundancy": "GeoRedundant"}, params())
    crr = dict(cur, cross_region_restore=True)
    with pytest.raises(AzbError, match="cross_region_restore=false"):
        _vault.validate_against(crr, {"storage_redundancy": "LocallyRedundant"}, params())
    _vault.validate_against(crr, {"storage_redundancy": "LocallyRedundant", "cross_region_restore": False}, params())
    with pytest.raises(AzbError, match="irreversible"):
        _vault.validate_against(dict(cur, immutability="Locked"), {"immutability": "Unlocked"}, params())
    with pytest.raises(AzbError, match="irreversible"):
        _vault.validate_against(dict(cur, soft_delete="AlwaysON"), {"soft_delete": "Enabled"}, params())


# ---- translation --------------------------------------------------------------------------------------------------

def test_create_body_minimal():
    p = params(location="West Europe")
    body = _vault.create_body(p, _vault.desired_settings(p))
    assert body == {"location": "westeurope", "properties": {}, "sku": {"name": "Standard"}}


def test_create_body_every_option():
    p = params(location="westeurope", storage_redundancy="ZoneRedundant", cross_region_restore=False,
               soft_delete="AlwaysON", soft_delete_retention_days=30, immutability="Unlocked",
               public_network_access="Disabled", tags={"env": "prod", "n": 1})
    body = _vault.create_body(p, _vault.desired_settings(p))
    assert body == {
        "location": "westeurope",
        "sku": {"name": "Standard"},
        "tags": {"env": "prod", "n": "1"},
        "properties": {
            "redundancySettings": {"standardTierStorageRedundancy": "ZoneRedundant", "crossRegionRestore": "Disabled"},
            "securitySettings": {
                "softDeleteSettings": {"softDeleteState": "AlwaysON", "softDeleteRetentionPeriodInDays": 30},
                "immutabilitySettings": {"state": "Unlocked"},
            },
            "publicNetworkAccess": "Disabled",
        },
    }


def test_patch_body_is_empty_when_nothing_changes():
    cur = current()
    p = params(location="westeurope", storage_redundancy="GeoRedundant", cross_region_restore=False,
               soft_delete="Enabled", soft_delete_retention_days=14, public_network_access="Enabled",
               tags={"owner": "team"})
    assert _vault.patch_body(cur, _vault.desired_settings(p, cur["tags"])) == {}


@pytest.mark.parametrize("option,value,expected", [
    ("storage_redundancy", "LocallyRedundant",
     {"properties": {"redundancySettings": {"standardTierStorageRedundancy": "LocallyRedundant"}}}),
    ("cross_region_restore", True, {"properties": {"redundancySettings": {"crossRegionRestore": "Enabled"}}}),
    ("soft_delete", "Disabled", {"properties": {"securitySettings": {"softDeleteSettings": {"softDeleteState": "Disabled"}}}}),
    ("soft_delete_retention_days", 30,
     {"properties": {"securitySettings": {"softDeleteSettings": {"softDeleteRetentionPeriodInDays": 30}}}}),
    ("immutability", "Unlocked", {"properties": {"securitySettings": {"immutabilitySettings": {"state": "Unlocked"}}}}),
    ("public_network_access", "Disabled", {"properties": {"publicNetworkAccess": "Disabled"}}),
])
def test_patch_body_holds_only_the_changed_leaf(option, value, expected):
    cur = current()
    assert _vault.patch_body(cur, _vault.desired_settings(params(**{option: value}), cur["tags"])) == expected


def test_patch_tags_append_and_replace():
    cur = current()
    appended = _vault.desired_settings(params(tags={"env": "prod"}), cur["tags"])
    assert _vault.patch_body(cur, appended) == {"tags": {"owner": "team", "env": "prod"}}
    replaced = _vault.desired_settings(params(tags={"env": "prod"}, append_tags=False), cur["tags"])
    assert _vault.patch_body(cur, replaced) == {"tags": {"env": "prod"}}
    same = _vault.desired_settings(params(tags={"owner": "team"}, append_tags=False), cur["tags"])
    assert _vault.patch_body(cur, same) == {}
    cleared = _vault.desired_settings(params(tags={}, append_tags=False), cur["tags"])
    assert _vault.patch_body(cur, cleared) == {"tags": {}}


def test_predict_and_diff():
    cur = current()
    desired = _vault.desired_settings(params(public_network_access="Disabled", tags={"env": "prod"}), cur["tags"])
    after = _vault.predict(cur, desired)
    assert after["public_network_access"] == "Disabled" and after["tags"] == {"owner": "team", "env": "prod"}
    assert cur["public_network_access"] == "Enabled"  # current untouched
    diff_after = _vault.for_diff(after)
    assert "etag" not in diff_after and "provisioning_state" not in diff_after
    assert _vault.for_diff(None) == {}


def test_predict_new_vault_leaves_azure_choices_unknown():
    p = params(location="West Europe", soft_delete="Enabled")
    after = _vault.predict(None, _vault.desired_settings(p), p, "sub")
    assert after["id"] == "/subscriptions/sub/resourceGroups/RG-Backup/providers/Microsoft.RecoveryServices/vaults/rsv1"
    assert after["storage_redundancy"] is None and after["soft_delete"] == "Enabled" and after["sku"] == "Standard"
    assert after["location"] == "westeurope"


def test_roundtrip_create_body_normalises_to_desired():
    """What the module sends, read back as Azure returns it, is what the user asked for (idempotence)."""
    p = params(location="westeurope", storage_redundancy="GeoRedundant", cross_region_restore=True,
               soft_delete="Enabled", soft_delete_retention_days=20, immutability="Unlocked",
               public_network_access="Disabled", tags={"a": "b"})
    desired = _vault.desired_settings(p)
    body = _vault.create_body(p, desired)
    body.update(id=VAULT_ID, name="rsv1", sku={"name": "RS0", "tier": "Standard"})
    assert _vault.changes(_vault.normalize(body), desired) == []


# ---- tag filter and info selection ------------------------------------------------------------------------------

def test_tag_filter():
    tags = {"env": "prod", "owner": "a:b"}
    assert _vault.tag_filter_matches(tags, [])
    assert _vault.tag_filter_matches(tags, ["env"])
    assert _vault.tag_filter_matches(tags, ["env:prod", "owner:a:b"])
    assert not _vault.tag_filter_matches(tags, ["env:dev"])
    assert not _vault.tag_filter_matches(tags, ["team"])
    assert not _vault.tag_filter_matches({}, ["env"])


def test_info_select():
    other = dict(ARM, id=VAULT_ID.replace("rsv1", "rsv0"), name="rsv0", tags={})
    out = info.select([ARM, other])
    assert [v["name"] for v in out] == ["rsv0", "rsv1"]
    assert [v["name"] for v in info.select([ARM, other], name="RSV1")] == ["rsv1"]
    assert [v["name"] for v in info.select([ARM, other], tags=["owner:team"])] == ["rsv1"]


# ---- error translation ----------------------------------------------------------------------------------------

class FakeResponse:
    def __init__(self, status, text):
        self.status_code = status
        self._text = text

    def text(self):
        return self._text


class HttpResponseError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.response = FakeResponse(status, '{"error": {"code": "%s", "message": "%s"}}' % (code, message))
        self.status_code = status
        self.error = None


def test_translate_redundancy_lock():
    exc = HttpResponseError(400, "StorageModelModifyError", "Storage Redundancy option is locked.")
    err = _vault.translate(exc, "updating vault 'rsv1'", current(), {"storage_redundancy": "LocallyRedundant"})
    assert err.code == "StorageModelModifyError" and err.status == 400
    assert "locked at GeoRedundant" in err.msg and "LocallyRedundant" in err.msg
    assert "new vault" in err.hint


def test_translate_not_empty():
    exc = HttpResponseError(400, "ServiceResourceNotEmptyWithContainerDetails",
                            "Vault cannot be deleted as there are existing resources within the vault: vm1")
    err = _vault.translate(exc, "deleting vault 'rsv1'", current())
    assert "still holds items" in err.msg and "vm1" in err.msg and err.hint


def test_translate_other_keeps_service_message():
    err = _vault.translate(HttpResponseError(400, "BadRequest", "nope"), "creating vault 'rsv1'")
    assert err.msg == "creating vault 'rsv1': nope" and err.code == "BadRequest"


def test_location_with_control_characters_is_rejected():
    import pytest as _pytest

    from ansible_collections.azbackup.vmprep.plugins.module_utils._errors import AzbError as _AzbError
    from ansible_collections.azbackup.vmprep.plugins.module_utils._validate import validate_location

    assert validate_location("West Europe") == "westeurope"
    for bad in ("00\r", "west\teurope", "westeurope\n"):
        with _pytest.raises(_AzbError, match="not an Azure region name"):
            validate_location(bad)


# ---- shape checks, tag writes ---------------------------------------------------------------------------------------

def test_check_shape_accepts_arm_json():
    assert _vault.check_shape(ARM, "vault 'rsv1'") is ARM


@pytest.mark.parametrize("broken,words", [
    ({"properties": {"redundancy_settings": {"standard_tier_storage_redundancy": "LocallyRedundant"}}}, "snake_case"),
    ({"properties": {"redundancySettings": "GeoRedundant"}}, "redundancySettings is not an object"),
    ({"properties": {"securitySettings": {"softDeleteSettings": {"softDeleteRetentionPeriodInDays": "14"}}}}, "not a int"),
    ({"properties": {"publicNetworkAccess": True}}, "publicNetworkAccess is not a str"),
    ({"properties": None}, "no properties"),
    ({"id": None}, "no id"),
    ({"tags": ["a"]}, "tags"),
])
def test_check_shape_refuses_what_it_does_not_understand(broken, words):
    vault = dict(ARM, **broken)
    with pytest.raises(AzbError) as err:
        _vault.check_shape(vault, "vault 'rsv1'")
    assert words in err.value.msg and err.value.code == "UnreadableAnswer"
    assert "nothing was planned" in err.value.msg


def test_check_shape_refuses_a_model_as_dict():
    flattened = {"id": VAULT_ID, "name": "rsv1", "location": "westeurope", "properties": {
        "public_network_access": "Disabled", "redundancy_settings": {"standard_tier_storage_redundancy": "LocallyRedundant"}}}
    with pytest.raises(AzbError):
        _vault.check_shape(flattened, "vault 'rsv1'")


def test_tag_write_merges_only_the_tags_given_that_differ():
    p = params(tags={"owner": "team", "env": "prod"})
    desired = _vault.desired_settings(p, {"owner": "team", "other": "x"})
    assert _vault.tag_write({"owner": "team", "other": "x"}, desired, p) == ("Merge", {"env": "prod"})
    p = params(tags={"owner": "team"})
    assert _vault.tag_write({"owner": "team"}, _vault.desired_settings(p, {"owner": "team"}), p) is None
    p = params(tags={"owner": "team"}, append_tags=False)
    assert _vault.tag_write({"owner": "team", "other": "x"}, _vault.desired_settings(p, {}), p) == (
        "Replace", {"owner": "team"})
    p = params(tags={}, append_tags=False)
    assert _vault.tag_write({"a": "1"}, _vault.desired_settings(p, {}), p) == ("Replace", {})
    assert _vault.tag_write({}, _vault.desired_settings(p, {}), p) is None


def test_tags_hold():
    assert _vault.tags_hold({"a": "1", "b": "2"}, "Merge", {"a": "1"})
    assert not _vault.tags_hold({"b": "2"}, "Merge", {"a": "1"})
    assert _vault.tags_hold({"a": "1"}, "Replace", {"a": "1"})
    assert not _vault.tags_hold({"a": "1", "b": "2"}, "Replace", {"a": "1"})


# ---- the module's read-plan-write step under busy and lost answers (cases 3 and 4) ----------------------------------

class Exited(Exception):
    pass


class FakePoller(object):
    def __init__(self, result=None, error=None):
        self._result, self._error = result, error

    def wait(self, timeout=None):
        pass

    def done(self):
        return True

    def result(self):
        if self._error is not None:
            raise self._error
        return self._result


class FakeVaults(object):
    """A vault in memory; `script` lists what happens to each write: 'ok', 'lost' (applied, answer lost), 'busy'
    (refused, as a busy LRO final state)."""

    def __init__(self, vault, script):
        import copy

        self.vault = copy.deepcopy(vault)
        self.script = list(script)
        self.calls = []

    def _outcome(self, apply):
        from azure.core.exceptions import HttpResponseError, ServiceResponseError

        what = self.script.pop(0) if self.script else "ok"
        if what == "busy":
            exc = HttpResponseError("busy")
            exc.status_code = 409
            exc.error = type("E", (), {"code": "AnotherOperationInProgress", "message": "busy"})()
            return FakePoller(error=exc)
        apply()
        if what == "lost":
            raise ServiceResponseError("Connection aborted.")
        return FakePoller(result=self.vault)

    def get(self, group, name, cls=None):
        import copy

        self.calls.append("GET")
        if self.vault is None:
            from azure.core.exceptions import ResourceNotFoundError

            exc = ResourceNotFoundError("not found")
            exc.status_code = 404
            raise exc
        return copy.deepcopy(self.vault)

    def begin_update(self, group, name, body, content_type=None, cls=None):
        import json

        self.calls.append("PATCH")
        patch = json.loads(body) if isinstance(body, (bytes, str)) else body

        def apply():
            props = self.vault["properties"]
            for key, value in patch.get("properties", {}).items():
                props[key] = value
        return self._outcome(apply)

    def begin_delete(self, group, name, cls=None):
        self.calls.append("DELETE")

        def apply():
            self.vault = None
        return self._outcome(apply)


class FakeModule(object):
    check_mode = False

    def __init__(self, **kw):
        self.params = params(**kw)
        self.result = None
        self.clients = type("C", (), {"subscription_id": "33333333-3333-3333-3333-333333333333"})()

    def exit(self, **kwargs):
        self.result = kwargs
        raise Exited()


def run_step(monkeypatch, vaults, **kw):
    import time

    from ansible_collections.azbackup.vmprep.plugins.modules import recovery_vault

    monkeypatch.setattr(time, "sleep", lambda _seconds: None)
    module = FakeModule(**kw)
    client = type("Client", (), {"vaults": vaults})()
    with pytest.raises(Exited):
        if module.params["state"] == "absent":
            recovery_vault.absent(module, client)
        else:
            recovery_vault.present(module, client)
    return module.result


def test_case4_update_whose_answer_was_lost_reports_changed(monkeypatch):
    vaults = FakeVaults(ARM, ["lost"])
    result = run_step(monkeypatch, vaults, public_network_access="Disabled")
    assert result["changed"] is True
    assert vaults.calls == ["GET", "PATCH", "GET"]  # the re-read shows the write landed: no second PATCH
    assert result["diff"]["before"]["public_network_access"] == "Enabled"
    assert result["diff"]["after"]["public_network_access"] == "Disabled"


def test_case4_delete_whose_answer_was_lost_reports_changed(monkeypatch):
    vaults = FakeVaults(ARM, ["lost"])
    result = run_step(monkeypatch, vaults, state="absent")
    assert result["changed"] is True and result["vault"] == {}
    assert vaults.calls == ["GET", "DELETE", "GET"]
    assert result["diff"]["before"]["name"] == "rsv1" and result["diff"]["after"] == {}


def test_case3_busy_final_state_reruns_read_plan_write(monkeypatch):
    vaults = FakeVaults(ARM, ["busy", "busy", "ok"])
    result = run_step(monkeypatch, vaults, soft_delete_retention_days=30)
    assert result["changed"] is True
    assert vaults.calls == ["GET", "PATCH", "GET", "PATCH", "GET", "PATCH"]
    assert result["vault"]["soft_delete_retention_days"] == 30
    assert result["diff"]["before"]["soft_delete_retention_days"] == 14


def test_a_read_that_finds_nothing_to_do_reports_unchanged(monkeypatch):
    vaults = FakeVaults(ARM, [])
    result = run_step(monkeypatch, vaults, public_network_access="Enabled")
    assert result["changed"] is False and vaults.calls == ["GET"]


def test_get_reports_an_sdk_deserialization_error_as_unreadable():
    class DeserializationError(Exception):
        pass

    class Vaults(object):
        def get(self, group, name, cls=None):
            raise DeserializationError("Unable to deserialize to object: type")

    client = type("Client", (), {"vaults": Vaults()})()
    with pytest.raises(AzbError) as err:
        _vault.get(client, "rg", "rsv1")
    assert err.value.code == "UnreadableAnswer" and "nothing was planned" in err.value.msg
