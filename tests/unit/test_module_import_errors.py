"""AzureModule.run: an ImportError is a missing package only when that package truly cannot be imported."""

import pytest

from ansible_collections.azbackup.vmprep.plugins.module_utils import _module


class Failed(Exception):
    pass


class FakeAnsible:
    def __init__(self):
        self.failed = None

    def fail_json(self, **kwargs):
        self.failed = kwargs
        raise Failed()


def run(main):
    module = object.__new__(_module.AzureModule)
    module.ansible = FakeAnsible()
    module.params = {"secret": "s3cret-value"}
    module._settings = None
    with pytest.raises(Failed):
        module.run(main)
    return module.ansible.failed


def test_package_that_is_not_installed_is_reported_missing():
    def main(module):
        import azbackup_no_such_package  # noqa: F401
    failed = run(main)
    assert "azbackup_no_such_package" in failed["msg"]
    assert "Failed to import the required Python library" in failed["msg"]


def test_sdk_module_names_map_to_their_distribution(monkeypatch):
    def main(module):
        raise ModuleNotFoundError("No module named 'azure.mgmt.compute'", name="azure.mgmt.compute")
    import importlib
    original = importlib.import_module

    def fake_import(name, *args):
        if name == "azure.mgmt.compute":
            raise ModuleNotFoundError("No module named 'azure.mgmt.compute'", name=name)
        return original(name, *args)
    monkeypatch.setattr(importlib, "import_module", fake_import)
    failed = run(main)
    assert "azure-mgmt-compute" in failed["msg"]


def test_missing_private_module_of_an_installed_sdk_is_a_defect():
    """What azure-mgmt-compute 33.0.0 did to the readiness: the package is there, its private module is not."""
    def main(module):
        import azure.mgmt.core.operations_no_such_private_module  # noqa: F401
    failed = run(main)
    assert "required Python library" not in failed["msg"]
    assert "ModuleNotFoundError" in failed["msg"] and "operations_no_such_private_module" in failed["msg"]
    assert "Traceback" in failed["exception"]


def test_cannot_import_name_is_a_defect_with_its_message():
    def main(module):
        from azure.mgmt.core.tools import no_such_builder_request  # noqa: F401
    failed = run(main)
    assert "required Python library" not in failed["msg"]
    assert "ImportError" in failed["msg"] and "no_such_builder_request" in failed["msg"]


def test_defect_message_is_scrubbed_of_secrets():
    def main(module):
        raise ImportError("cannot import name x (s3cret-value)", name="azure.core")
    failed = run(main)
    assert "s3cret-value" not in failed["msg"] and "s3cret-value" not in failed["exception"]
