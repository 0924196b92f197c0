# -*- coding: utf-8 -*-
# Copyright: contributors to the azbackup.vmprep collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base every module of the collection runs in: auth options, lazy clients, one error path."""

from __future__ import annotations

import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.azbackup.vmprep.plugins.module_utils import _auth
from ansible_collections.azbackup.vmprep.plugins.module_utils._errors import AzbError, from_exception, scrub

SDK_PACKAGES = {
    "azure.identity": "azure-identity",
    "azure.core": "azure-core",
    "azure.mgmt.core": "azure-mgmt-core",
    "azure.mgmt.network": "azure-mgmt-network",
    "azure.mgmt.recoveryservicesbackup": "azure-mgmt-recoveryservicesbackup",
    "azure.mgmt.recoveryservices": "azure-mgmt-recoveryservices",
    "azure.mgmt.compute": "azure-mgmt-compute",
}


def missing_package(exc):
    """The distribution to install when `exc` comes from a package that truly cannot be imported, else None.

    Only a ModuleNotFoundError can mean a missing package. Its top module (an SDK package of SDK_PACKAGES, else the
    first part of the name) is imported again: if that works, the package is there and lacks the module asked for,
    which no install fixes.
    """
    import importlib

    if not isinstance(exc, ModuleNotFoundError) or not getattr(exc, "name", None):
        return None
    name = exc.name
    top, package = next(((m, p) for m, p in SDK_PACKAGES.items() if name == m or name.startswith(m + ".")),
                        (name.split(".", 1)[0], name.split(".", 1)[0]))
    try:
        importlib.import_module(top)
    except ImportError:
        return package
    return None


class AzureModule(object):
    """AnsibleModule plus the collection's auth options and a lazily built AzureClients."""

    def __init__(self, argument_spec, supports_check_mode=True, **kwargs):
        spec = dict(_auth.AUTH_ARGSPEC)
        spec.update(argument_spec)
        self.ansible = AnsibleModule(argument_spec=spec, supports_check_mode=supports_check_mode, **kwargs)
        self.params = self.ansible.params
        self._clients = None
        self._settings = None

    @property
    def check_mode(self):
        return self.ansible.check_mode

    @property
    def diff_mode(self):
        return self.ansible._diff

    @property
    def settings(self):
        if self._settings is None:
            self._settings = _auth.resolve_settings(self.params)
            # Secrets from the environment or a profile are not module parameters: mask them as well.
            for value in self._settings.secrets:
                self.ansible.no_log_values.add(value)
        return self._settings

    @property
    def clients(self):
        if self._clients is None:
            from ansible_collections.azbackup.vmprep.plugins.module_utils._client import AzureClients

            self._clients = AzureClients(self.settings)
        return self._clients

    def _secrets(self):
        values = [self.params.get("secret")]
        if self._settings is not None:
            values.extend(self._settings.secrets)
        return [v for v in values if v]

    def fail(self, msg, **kwargs):
        self.ansible.fail_json(msg=scrub(msg, self._secrets()), **kwargs)

    def exit(self, **kwargs):
        self.ansible.exit_json(**kwargs)

    def validate_common(self):
        """Checks of the options several modules share, before main and so before any request."""
        timeout = self.params.get("wait_timeout")
        if timeout is not None and timeout < 1:
            # Operation and the pollers would otherwise wait 1 second instead, and fail a change that was meant to
            # be waited for.
            raise AzbError("wait_timeout must be a whole number of seconds, 1 or more; got %s." % timeout)

    def run(self, main):
        """Run main(self); every failure ends in one fail_json without a traceback for anything a user can cause."""
        try:
            self.validate_common()
            main(self)
        except AzbError as exc:
            self.ansible.fail_json(**from_exception(exc, secrets=self._secrets()).to_fail_kwargs())
        except ImportError as exc:
            package = missing_package(exc)
            if package:
                self.ansible.fail_json(msg=missing_required_lib(package), exception=traceback.format_exc())
            else:
                # An installed package without the module or name asked for (another release, or a defect of the
                # collection): the real message, and the traceback for -vvv.
                self.ansible.fail_json(msg=scrub("%s: %s" % (type(exc).__name__, exc), self._secrets()),
                                       exception=scrub(traceback.format_exc(), self._secrets()))
        except Exception as exc:  # pylint: disable=broad-except
            err = from_exception(exc, secrets=self._secrets())
            kwargs = err.to_fail_kwargs()
            if type(exc).__module__.split(".", maxsplit=1)[0] not in ("azure", "msal", "requests", "urllib3"):
                # Not an Azure answer: a defect of the collection. Keep the traceback for -vvv.
                kwargs["exception"] = scrub(traceback.format_exc(), self._secrets())
            self.ansible.fail_json(**kwargs)
