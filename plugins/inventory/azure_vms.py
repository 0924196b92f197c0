# -*- coding: utf-8 -*-
# Copyright: contributors to the azbackup.vmprep collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: azure_vms
short_description: Azure VMs as hosts, with what their backup depends on
version_added: 1.1.0
description:
  - Reads the Azure VMs of one or more subscriptions and makes each one a host, with host variables that say where
    it runs, its OS and image, its power, VM agent and backup extension state, its IP addresses, NICs, subnets and
    virtual networks, every NSG that filters it (from the NIC and the subnet), its subnet's route table and outbound
    path, its tags and, with O(readiness), the verdict of the backup readiness checks.
  - "Requests do not grow with the number of VMs: per subscription, one list each of VMs (with their instance
    views), NICs, virtual networks, NSGs and route tables, plus NAT gateways, public IPs and load balancers when a VM
    needs them (and the vaults with O(readiness)). It uses the same reader as
    M(azbackup.vmprep.backup_readiness_info) and M(azbackup.vmprep.vm_info)."
  - A list the identity may not read (403 C(AuthorizationFailed), for example the virtual networks of a network team's
    resource group) does not stop the inventory. The hosts it can see are kept, the variables that needed the read say
    so in C(azure_unreadable), and a warning names the permission and the scope.
  - "Default groups: C(azure_vms) (every host), C(azure_region_<region>) (for example C(azure_region_westeurope)),
    C(azure_os_linux) and C(azure_os_windows), and with O(readiness) C(azure_readiness_<verdict>) (C(pass), C(warn),
    C(unknown), C(fail)). O(keyed_groups), O(groups) and O(compose) add more."
  - The configuration file name must end in C(azure_vms.yml) or C(azure_vms.yaml).
author:
  - azbackup.vmprep developers (@azbackup)
options:
  plugin:
    description: The name of this plugin; marks the file as its configuration.
    type: str
    required: true
    choices: [azbackup.vmprep.azure_vms]
  subscriptions:
    description:
      - The subscriptions to read, as subscription IDs (GUIDs). They are read at the same time, up to 8 at once.
      - Empty reads the subscription of the credentials (O(subscription_id), E(AZURE_SUBSCRIPTION_ID), the credential
        profile or the Azure CLI's default subscription).
      - Every subscription is read with the same credentials.
    type: list
    elements: str
    default: []
  include_resource_groups:
    description:
      - Only VMs of these resource groups (names compare without regard to case). Empty includes every group.
    type: list
    elements: str
    default: []
  exclude_resource_groups:
    description:
      - No VM of these resource groups (names compare without regard to case). Applied after
        O(include_resource_groups).
    type: list
    elements: str
    default: []
  include_tags:
    description:
      - Only VMs that have every tag named here, with a matching value.
      - The value is a string, a list of strings (any of them matches), or V(*) (any value, the tag just has to be
        there). Values are shell-style patterns and compare with regard to case; tag names compare without.
    type: dict
    default: {}
  exclude_tags:
    description:
      - No VM that has any of the tags named here with a matching value. Same value forms as O(include_tags).
    type: dict
    default: {}
  power_states:
    description:
      - Only VMs in one of these power states. Empty includes every VM.
      - A VM whose power state is C(unknown) because the read of its instance view was denied (403) is kept whatever
        this list says; its C(azure_unreadable) names the missing permission.
    type: list
    elements: str
    choices: [running, stopped, deallocated, starting, stopping, deallocating, unknown]
    default: []
  hostname:
    description:
      - A Jinja2 expression over the host variables that gives each host its inventory name.
      - When two VMs get the same name (the same VM name in two resource groups or subscriptions), each of them is
        named C(<name>_<resource group>), and C(<name>_<resource group>_<subscription id>) if that is still not
        unique, with a warning.
      - "To connect by address, set C(ansible_host) with O(compose), for example
        C(ansible_host: azure_private_ips | first | default(omit))."
    type: str
    default: azure_name
  readiness:
    description:
      - Also run the backup readiness checks of M(azbackup.vmprep.backup_readiness_info) on every VM, set
        C(azure_readiness) and add the host to C(azure_readiness_<verdict>). Reads the subscription's vaults as well.
    type: bool
    default: false
  readiness_options:
    description:
      - Options of the readiness checks, with the names and defaults of M(azbackup.vmprep.backup_readiness_info).
      - Used only with O(readiness).
    type: dict
    default: {}
    suboptions:
      vault_regions:
        description: The C(region) check passes when a vault of the subscription is in one of these regions.
        type: list
        elements: str
      vaults:
        description:
          - The vaults (C(name), C(resource_group)) the C(region) check accepts. They may be in any of the
            subscriptions read; a vault that is in none of them fails the inventory.
        type: list
        elements: dict
      min_agent_version:
        description: Minimum VM agent version per OS (keys C(linux), C(windows)).
        type: dict
      max_data_disks:
        description: The most data disks Azure Backup supports on one VM.
        type: int
      proxy_vms:
        description: Names or shell-style patterns of VMs whose outbound traffic goes through a proxy.
        type: list
        elements: str
      proxy_tag:
        description: A VM with this tag is treated as declared in C(proxy_vms).
        type: str
      checks:
        description: The checks to run; all by default.
        type: list
        elements: str
  max_concurrency:
    description:
      - How many list requests run at the same time within one subscription, 1 to 64.
    type: int
    default: 16
extends_documentation_fragment:
  - azbackup.vmprep.azure
  - ansible.builtin.constructed
  - ansible.builtin.inventory_cache
notes:
  - The auth options read the same environment variables, in the same order, as the modules of the collection, so
    the AWX / Automation Platform C(Microsoft Azure Resource Manager) credential works on an inventory source sourced
    from a project. See the collection's C(docs/inventory.md).
  - With O(cache), a run that finds a fresh cache entry sends no request to Azure at all; C(--flush-cache) reads
    again, and so does a run whose file asks for other subscriptions, resource groups, cloud or readiness options.
    The cache holds host variables only, never credentials.
  - Needs Reader on the VMs; without Reader on NICs, virtual networks, NSGs or route tables, the variables that need
    them are reported as unknown.
seealso:
  - module: azbackup.vmprep.vm_info
  - module: azbackup.vmprep.backup_readiness_info
"""

EXAMPLES = r"""
# One configuration file (its name ends in azure_vms.yml). The smallest one is the single line
#   plugin: azbackup.vmprep.azure_vms
# which lists every VM of the credential's subscription, grouped by region and OS.
#
# Two subscriptions, running VMs of some resource groups, without the ones tagged backup=skip; readiness verdicts
plugin: azbackup.vmprep.azure_vms
subscriptions:
  - 00000000-0000-0000-0000-000000000001
  - 00000000-0000-0000-0000-000000000002
include_resource_groups: [rg-web, rg-data]
exclude_tags:
  backup: skip
power_states: [running]
readiness: true
readiness_options:
  vault_regions: [westeurope, northeurope]
compose:
  ansible_host: azure_private_ips | first | default(omit)
keyed_groups:
  - prefix: env
    key: azure_tags.env | default('none')
groups:
  azbackup_linux_vms: azure_os_type == 'linux'
  azbackup_windows_vms: azure_os_type == 'windows'
# A cloud with its own Resource Manager URL and CA, and a cache of one hour, add:
#   cloud_environment: https://management.local.azurestack.external
#   ca_bundle: /etc/pki/azurestack-ca.pem
#   cache: true
#   cache_plugin: ansible.builtin.jsonfile
#   cache_connection: /tmp/azure_vms_cache
#   cache_timeout: 3600
"""

import copy
import json
import re
from concurrent.futures import ThreadPoolExecutor

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.utils.display import Display

display = Display()

# Subscriptions read at the same time; each subscription's own lists run max_concurrency at a time.
SUBSCRIPTION_CONCURRENCY = 8
CACHE_VERSION = 1
AUTH_OPTIONS = ("auth_source", "subscription_id", "client_id", "secret", "tenant", "profile", "cloud_environment",
                "ca_bundle")
READINESS_KEYS = ("vault_regions", "vaults", "min_agent_version", "max_data_disks", "proxy_vms", "proxy_tag", "checks")
READINESS_TYPES = (
    ("vault_regions", list, "a list of region names"),
    ("vaults", list, "a list of {name, resource_group}"),
    ("min_agent_version", dict, "a dictionary with the keys linux and windows"),
    ("max_data_disks", int, "a whole number, 0 or more"),
    ("proxy_vms", list, "a list of VM names or shell-style patterns"),
    ("proxy_tag", str, "a tag name (empty to ignore tags)"),
    ("checks", list, "a list of check names"),
)


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\Z")


def _text(value):
    """A plain str for option values (vault-encrypted and tagged strings included), None stays None."""
    return None if value is None else str(value)


def _group_part(value):
    return re.sub(r"[^a-z0-9_]", "_", str(value or "").lower())


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    NAME = "azbackup.vmprep.azure_vms"

    def verify_file(self, path):
        if not super().verify_file(path):
            return False
        if path.endswith(("azure_vms.yml", "azure_vms.yaml")):
            return True
        display.debug("azure_vms: %s is not a configuration of this plugin (the name must end in azure_vms.yml or "
                      "azure_vms.yaml)" % path)
        return False

    # ---- options -------------------------------------------------------------------------------------------

    def _secrets(self):
        values = [_text(self.get_option("secret"))] if self.has_option("secret") else []
        settings = getattr(self, "_settings", None)
        if settings is not None:
            values.extend(settings.secrets)
        return [v for v in values if v]

    def _validated(self):
        """Every option checked, before any request (and before the cache): the run's plan."""
        from ansible_collections.azbackup.vmprep.plugins.module_utils import _auth, _scope
        from ansible_collections.azbackup.vmprep.plugins.module_utils._errors import AzbError

        params = {key: _text(self.get_option(key)) for key in AUTH_OPTIONS}
        if params["auth_source"] is None:
            params["auth_source"] = "auto"
        subscriptions = _scope.validate_subscriptions(self.get_option("subscriptions"))
        if not params["subscription_id"] and subscriptions:
            params["subscription_id"] = subscriptions[0]
        settings = _auth.resolve_settings(params)
        self._settings = settings
        plan = {
            "subscriptions": subscriptions or [settings.subscription_id],
            "include_resource_groups": _scope.validate_groups(self.get_option("include_resource_groups"),
                                                              "include_resource_groups"),
            "exclude_resource_groups": _scope.validate_groups(self.get_option("exclude_resource_groups"),
                                                              "exclude_resource_groups"),
            "include_tags": _scope.validate_tags(self.get_option("include_tags"), "include_tags"),
            "exclude_tags": _scope.validate_tags(self.get_option("exclude_tags"), "exclude_tags"),
            "power_states": _scope.validate_power_states(self.get_option("power_states")),
            "max_concurrency": _scope.validate_concurrency(self.get_option("max_concurrency")),
            "readiness": bool(self.get_option("readiness")),
            "readiness_options": None,
        }
        hostname = self.get_option("hostname")
        if not isinstance(hostname, str) or not hostname.strip():
            raise AzbError("hostname must be a Jinja2 expression over the host variables, such as azure_name.")
        if plan["readiness"]:
            plan["readiness_options"] = self._readiness_options(plan["max_concurrency"])
        return settings, plan

    def _readiness_options(self, concurrency):
        from ansible_collections.azbackup.vmprep.plugins.module_utils import _readiness
        from ansible_collections.azbackup.vmprep.plugins.module_utils._errors import AzbError

        given = self.get_option("readiness_options") or {}
        unknown = sorted(set(given) - set(READINESS_KEYS))
        if unknown:
            raise AzbError("readiness_options allows %s; got %s." % (", ".join(READINESS_KEYS), ", ".join(unknown)))
        for key, kind, words in READINESS_TYPES:
            value = given.get(key)
            if value is None:
                continue
            if kind is list and not (isinstance(value, list) and all(isinstance(v, (dict if key == "vaults" else str))
                                                                     for v in value)):
                raise AzbError("readiness_options.%s must be %s." % (key, words))
            if kind is not list and (isinstance(value, bool) or not isinstance(value, kind)):
                raise AzbError("readiness_options.%s must be %s." % (key, words))
        params = {
            "resource_group": None, "names": [], "vaults": given.get("vaults") or [],
            "vault_regions": given.get("vault_regions") or [], "min_agent_version": given.get("min_agent_version") or {},
            "max_data_disks": given.get("max_data_disks"), "proxy_vms": given.get("proxy_vms") or [],
            "proxy_tag": given.get("proxy_tag", _readiness.DEFAULT_PROXY_TAG),
            "checks": given.get("checks") or list(_readiness.CHECKS), "max_concurrency": concurrency,
        }
        bad = [c for c in params["checks"] if c not in _readiness.CHECKS]
        if bad:
            raise AzbError("readiness_options.checks allows %s; got %s." % (", ".join(_readiness.CHECKS), ", ".join(bad)))
        try:
            return _readiness.validate(params)
        except AzbError as exc:
            exc.msg = "readiness_options: " + exc.msg
            raise

    # ---- reading Azure ---------------------------------------------------------------------------------------

    def _clients(self, settings, subscriptions):
        """One AzureClients per subscription, sharing the cloud endpoints and the credential (one token)."""
        from ansible_collections.azbackup.vmprep.plugins.module_utils._client import AzureClients

        first = None
        out = []
        for sub in subscriptions:
            sub_settings = copy.copy(settings)
            sub_settings.subscription_id = sub
            clients = AzureClients(sub_settings)
            if first is None:
                first = clients
            else:
                clients._cloud = first.cloud  # pylint: disable=protected-access
                clients._credential = first.credential  # pylint: disable=protected-access
            out.append(clients)
        return out

    def _read_subscription(self, clients, plan):
        from ansible_collections.azbackup.vmprep.plugins.module_utils import _discovery

        scope = {"resource_groups": plan["include_resource_groups"] or None,
                 "exclude_resource_groups": plan["exclude_resource_groups"], "names": []}
        need = ("network", "views", "vaults") if plan["readiness"] else ("network", "views")
        estate = _discovery.discover(clients, scope=scope, max_concurrency=plan["max_concurrency"], need=need)
        found = []
        if plan["readiness"]:
            hosts, found = readiness_host_vars(estate, plan["readiness_options"])
        else:
            hosts = [_discovery.host_vars(estate, vm) for vm in estate.vms]
        return {"subscription_id": clients.subscription_id, "hosts": hosts, "unreadable": list(estate.unreadable),
                "requests": estate.requests, "error": None, "vaults_found": found}

    def _fetch(self, settings, plan):
        from ansible_collections.azbackup.vmprep.plugins.module_utils._errors import from_exception

        all_clients = self._clients(settings, plan["subscriptions"])
        # The cloud's endpoints and the token once, before the subscriptions share them.
        all_clients[0].warm_up()

        def read(clients):
            try:
                return self._read_subscription(clients, plan)
            except Exception as exc:  # pylint: disable=broad-except
                error = from_exception(exc, secrets=self._secrets())
                return {"subscription_id": clients.subscription_id, "hosts": [], "unreadable": [], "requests": 0,
                        "error": error.full_message(), "vaults_found": None}

        workers = min(SUBSCRIPTION_CONCURRENCY, len(all_clients))
        if workers <= 1:
            results = [read(c) for c in all_clients]
        else:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                results = list(pool.map(read, all_clients))
        named = (plan["readiness_options"] or {}).get("vault_names") or []
        readable = [r for r in results if not r["error"] and r["vaults_found"] is not None]
        if named and readable and len(readable) == len(results):
            found = {tuple(v) for r in readable for v in r["vaults_found"]}
            missing = [v for v in named if tuple(v) not in found]
            if missing:
                raise _Failure("readiness_options.vaults: no Recovery Services vault %s in the subscriptions read."
                               % ", ".join("'%s' in resource group '%s'" % (n, g) for n, g in missing))
        failed = [r for r in results if r["error"]]
        if failed and len(failed) == len(results):
            if len(failed) == 1:
                raise _Failure(failed[0]["error"])
            raise _Failure("no subscription could be read: " + "; ".join(
                "%s: %s" % (r["subscription_id"], r["error"]) for r in failed))
        return {"version": CACHE_VERSION, "read": self._fingerprint(settings, plan), "subscriptions": results}

    @staticmethod
    def _fingerprint(settings, plan):
        """What decides the reads: a cache entry made for other subscriptions, groups or readiness is not used, nor
        one that another identity wrote (auth source, tenant, client id; never the secret): what one identity may
        read is no answer for another."""
        read = {"cloud": settings.cloud_environment, "subscriptions": [s.lower() for s in plan["subscriptions"]],
                "auth_source": settings.source, "tenant": (settings.tenant or "").lower(),
                "client_id": (settings.client_id or "").lower(),
                "include_resource_groups": sorted(g.lower() for g in plan["include_resource_groups"]),
                "exclude_resource_groups": sorted(g.lower() for g in plan["exclude_resource_groups"]),
                "readiness": plan["readiness_options"] if plan["readiness"] else None}
        return json.loads(json.dumps(read, sort_keys=True))  # as a JSON cache gives it back (tuples as lists)

    # ---- the inventory ---------------------------------------------------------------------------------------

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache=cache)
        self._settings = None
        self._read_config_data(path)  # Ansible checks the option types and choices, naming the option
        try:
            settings, plan = self._validated()
            cache_key = self.get_cache_key(path)
            use_cache = bool(self.get_option("cache"))
            data = None
            if use_cache and cache:
                try:
                    data = self._cache[cache_key]
                except KeyError:
                    data = None
                if not isinstance(data, dict) or data.get("version") != CACHE_VERSION or \
                        data.get("read") != self._fingerprint(settings, plan):
                    data = None  # another plugin version, or the file now asks for other reads
            source = "cache"
            if data is None:
                data = self._fetch(settings, plan)
                source = "Azure"
                if use_cache:
                    self._cache[cache_key] = data
            self._populate(data, plan, source)
        except _Failure as exc:
            raise AnsibleParserError("azure_vms: %s" % exc) from None
        except ImportError as exc:
            from ansible_collections.azbackup.vmprep.plugins.module_utils._module import missing_package

            package = missing_package(exc)
            if not package:
                raise
            raise AnsibleParserError("azure_vms: the Python package %s is missing on the machine that runs the "
                                     "inventory (install the collection's requirements.txt there, or in the execution "
                                     "environment)." % package) from None
        except Exception as exc:  # pylint: disable=broad-except
            if isinstance(exc, AnsibleParserError):
                raise
            from ansible_collections.azbackup.vmprep.plugins.module_utils._errors import from_exception

            error = from_exception(exc, secrets=self._secrets())
            raise AnsibleParserError("azure_vms: %s" % error.full_message()) from None

    def _populate(self, data, plan, source):
        from ansible_collections.azbackup.vmprep.plugins.module_utils import _scope

        strict = self.get_option("strict")
        requests = 0
        hosts = []
        for result in data["subscriptions"]:
            requests += result["requests"]
            if result["error"]:
                display.warning("azure_vms: subscription %s could not be read, its VMs are missing from the "
                                "inventory: %s" % (result["subscription_id"], result["error"]))
            for item in result["unreadable"]:
                display.warning("azure_vms: could not read %s in %s (%s is missing); the hosts stay in the inventory "
                                "and their variables that need it say so in azure_unreadable."
                                % (item.get("what"), item.get("scope"), item.get("permission")))
            for hostvars in result["hosts"]:
                if _scope.keep(hostvars, plan["include_tags"], plan["exclude_tags"], plan["power_states"]):
                    hosts.append(hostvars)
        hosts.sort(key=lambda h: (str(h.get("azure_name", "")).lower(), str(h.get("azure_id", "")).lower()))
        names = self._hostnames(hosts, strict)
        self.inventory.add_group("azure_vms")
        for hostvars, name in zip(hosts, names, strict=True):
            host = self.inventory.add_host(name, group="azure_vms")
            for key, value in hostvars.items():
                self.inventory.set_variable(host, key, value)
            self._default_groups(host, hostvars)
            self._set_composite_vars(self.get_option("compose"), hostvars, host, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), hostvars, host, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), hostvars, host, strict=strict)
        display.v("azure_vms: %d hosts from %d subscription(s), read from %s%s"
                  % (len(hosts), len(data["subscriptions"]), source,
                     " with %d ARM requests" % requests if source == "Azure" else ""))

    def _default_groups(self, host, hostvars):
        location = _group_part(hostvars.get("azure_location"))
        if location:
            self.inventory.add_child(self.inventory.add_group("azure_region_" + location), host)
        os_type = _group_part(hostvars.get("azure_os_type"))
        if os_type in ("linux", "windows"):
            self.inventory.add_child(self.inventory.add_group("azure_os_" + os_type), host)
        verdict = (hostvars.get("azure_readiness") or {}).get("result")
        if verdict:
            self.inventory.add_child(self.inventory.add_group("azure_readiness_" + _group_part(verdict)), host)

    def _hostnames(self, hosts, strict):
        template = self.get_option("hostname")
        # A bare variable name (the default, azure_name) needs no template engine: 5,000 hosts save seconds.
        simple = template.strip() if _IDENTIFIER.match(template.strip()) else None
        names = []
        for hostvars in hosts:
            name = None
            try:
                if simple is not None and simple in hostvars:
                    name = hostvars[simple]
                else:
                    name = self._compose(template, hostvars)
            except Exception as exc:  # pylint: disable=broad-except
                if strict:
                    raise _Failure("hostname '%s' could not be evaluated for VM %s: %s"
                                   % (template, hostvars.get("azure_id"), exc))
            name = str(name).strip() if name not in (None, "") else ""
            if not name:
                if strict:
                    raise _Failure("hostname '%s' gave an empty name for VM %s." % (template, hostvars.get("azure_id")))
                name = hostvars.get("azure_name")
            names.append(name)

        def counts(values):
            seen = {}
            for value in values:
                seen[value.lower()] = seen.get(value.lower(), 0) + 1
            return seen

        renamed = set()
        for suffix in ("azure_resource_group", "azure_subscription_id"):
            seen = counts(names)
            for index, hostvars in enumerate(hosts):
                if seen[names[index].lower()] > 1:
                    names[index] = "%s_%s" % (names[index], hostvars.get(suffix))
                    renamed.add(index)
        if renamed:
            display.warning("azure_vms: host names occur more than once; named %s to keep them apart."
                            % ", ".join(sorted(names[i] for i in renamed)))
        return names


def readiness_host_vars(estate, opts):
    """Host variables plus azure_readiness {result, checks}, judged as backup_readiness_info judges them."""
    from ansible_collections.azbackup.vmprep.plugins.module_utils import _discovery, _readiness

    opts = dict(opts)
    denied = estate.vaults_denied()
    opts["vaults_denied"] = denied
    opts["all_vaults"] = estate.vaults or []
    found = None  # the named vaults that are in this subscription; None when the vaults could not be read
    if denied or estate.vaults is None:
        opts["vaults"] = []
    elif opts["vault_names"]:
        # Named vaults may live in any of the subscriptions read: a name that is in none of them is the error.
        opts["vaults"] = [v for v in estate.vaults if ((v.get("name") or "").lower(), _discovery.parse_id(
            v.get("id"))["resource_group"].lower()) in {tuple(n) for n in opts["vault_names"]}]
        found = [[(v.get("name") or "").lower(), _discovery.parse_id(v.get("id"))["resource_group"].lower()]
                 for v in opts["vaults"]]
    else:
        opts["vaults"] = _readiness.select_vaults(estate.vaults, opts)
    out = []
    for vm in estate.vms:
        facts = estate.facts(vm, proxied=_readiness.is_proxied(vm, opts["proxy_vms"], opts["proxy_tag"]))
        report = _readiness.vm_report(facts, opts, opts["checks"])
        hostvars = _discovery.host_vars(estate, vm, facts=facts)
        hostvars["azure_readiness"] = {"result": report["result"], "checks": report["checks"]}
        out.append(hostvars)
    return out, found


class _Failure(Exception):
    """A failure already worded for the user."""
