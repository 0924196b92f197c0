"""Make the collection importable as ansible_collections.azbackup.vmprep for unit tests."""

import contextlib
import io
import json
import os
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TREE = os.path.join(ROOT, "build", "unit")
LINK = os.path.join(TREE, "ansible_collections", "azbackup", "vmprep")
os.makedirs(os.path.dirname(LINK), exist_ok=True)
if not os.path.islink(LINK):
    os.symlink(ROOT, LINK)
if TREE not in sys.path:
    sys.path.insert(0, TREE)


# --- running a module's main() in process (its checks before any request) -----------------------------------------
SERVICE_PRINCIPAL_ENV = {"AZURE_CLIENT_ID": "11111111-1111-1111-1111-111111111111", "AZURE_SECRET": "not-a-secret",
                         "AZURE_TENANT": "22222222-2222-2222-2222-222222222222",
                         "AZURE_SUBSCRIPTION_ID": "33333333-3333-3333-3333-333333333333"}


@pytest.fixture
def service_principal_env(monkeypatch):
    """A complete service principal in the environment, so that a module gets past credential discovery."""
    for key, value in SERVICE_PRINCIPAL_ENV.items():
        monkeypatch.setenv(key, value)


def run_module(mod, args):
    """Run mod.main() with args; its JSON result, which must carry no exception (no traceback)."""
    from ansible.module_utils.testing import patch_module_args

    out = io.StringIO()
    with patch_module_args(args), contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        mod.main()
    text = out.getvalue()
    result = json.loads(text[text.index("{"):])
    assert "exception" not in result, result.get("exception")
    return result
