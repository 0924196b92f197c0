# -*- coding: utf-8 -*-
# Copyright: contributors to the azbackup.vmprep collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Discovery: the one home for reading an estate of Azure VMs and their network path.

`discover()` reads one subscription with a fixed set of list requests (VMs with their instance views, NICs, virtual
networks with their subnets, NSGs, and - only when something in scope references them - route tables, NAT gateways,
public IP addresses and load balancers; vaults when asked), concurrently and bounded. A read the identity may not do
(403) never fails the discovery, except the VM list itself: a subscription-wide list falls back to the lists of the
resource groups the VMs reference, and a denied resource-group list is recorded in `Estate.unreadable`; every fact
that needed it is 'unknown', naming the permission and the scope.

`Estate.facts(vm)` gives what the readiness checks read; `host_vars(estate, vm)` the documented inventory host
variables.

Private to the collection: the leading underscore means no compatibility promise.
"""

from __future__ import annotations

import fnmatch
import functools
import re
import threading
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.azbackup.vmprep.plugins.module_utils._validate import normalize_location

# ---- small helpers over ARM JSON ----------------------------------------------------------------


def parse_id(resource_id):
    """{'subscription', 'resource_group', 'name', 'type'} of an ARM resource id, by azure-mgmt-core's parse_resource_id.

    'name' is the name of the last resource (a subnet's, for a subnet id), 'type' its 'namespace/type'; absent parts
    are ''.
    """
    return dict(_parse_id(resource_id or ""))


@functools.lru_cache(maxsize=65536)
def _parse_id(resource_id):
    # An estate of thousands of VMs parses the same NSG, subnet and route-table ids over and over.
    from azure.mgmt.core.tools import parse_resource_id

    parts = parse_resource_id(resource_id)
    kind = "/".join(p for p in (parts.get("resource_namespace"), parts.get("resource_type")) if p)
    return {"subscription": parts.get("subscription") or "", "resource_group": parts.get("resource_group") or "",
            "name": parts.get("resource_name") or parts.get("name") or "", "type": kind}


def props(resource):
    return (resource or {}).get("properties") or {}


def statuses(obj):
    return (obj or {}).get("statuses") or []


def ref_id(obj):
    """The lower-case id of a sub-resource reference ({'id': ...}), '' when absent."""
    return ((obj or {}).get("id") or "").lower()


def _index(resources):
    return {(r.get("id") or "").lower(): r for r in resources or [] if r.get("id")}


def name_matches(name, patterns):
    if not patterns:
        return True
    lowered = (name or "").lower()
    return any(fnmatch.fnmatchcase(lowered, p.lower()) for p in patterns)


def power_state(view):
    """'running', 'deallocated', 'stopped', 'starting', ... from the instance view; 'unknown' without one."""
    for status in statuses(view):
        code = (status.get("code") or "").lower()
        if code.startswith("powerstate/"):
            return code.split("/", 1)[1]
    return "unknown"


def provisioning_state(vm, view):
    for status in statuses(view):
        code = (status.get("code") or "").lower()
        if code.startswith("provisioningstate/"):
            return code.split("/")[1]
    return (props(vm).get("provisioningState") or "").lower()


def os_type(vm, view=None):
    """'windows' or 'linux' ('' when nothing says)."""
    p = props(vm)
    value = (((p.get("storageProfile") or {}).get("osDisk") or {}).get("osType") or "").lower()
    if value in ("windows", "linux"):
        return value
    profile = p.get("osProfile") or {}
    if profile.get("windowsConfiguration"):
        return "windows"
    if profile.get("linuxConfiguration"):
        return "linux"
    name = ((view or {}).get("osName") or "").lower()
    if name:
        return "windows" if "windows" in name else "linux"
    return ""


def provision_vm_agent(vm):
    """The VM model's provisionVMAgent (True/False), None when the model does not say."""
    profile = props(vm).get("osProfile") or {}
    for key in ("windowsConfiguration", "linuxConfiguration"):
        conf = profile.get(key)
        if isinstance(conf, dict) and "provisionVMAgent" in conf:
            return bool(conf["provisionVMAgent"])
    return None


# ---- reading Azure ------------------------------------------------------------------------------

# Everything the collection reads to discover an estate, in one table: provider namespace, resource type,
# api-version, whether it is listed per resource group as well as per subscription, and what it is called in a
# report. The requests are built here (paths by azure-mgmt-core's resource_id) and sent through azure-mgmt-core's
# public ARMPipelineClient with the collection's credential and retry policy. No SDK operation, model or private
# request builder is used, so no SDK release can rename them away; the answers are read as JSON, because turning
# thousands of VMs into SDK models and back costs more time than the requests themselves. The api-versions are those
# whose specs the collection is tested against (the sandbox checks every request against them).
COMPUTE_API = "2026-04-01"
NETWORK_API = "2025-07-01"
VAULTS_API = "2026-11-01"
READS = {
    # kind: (namespace, resource type, api-version, listed per resource group)
    "vms": ("Microsoft.Compute", "virtualMachines", COMPUTE_API, True),
    "nics": ("Microsoft.Network", "networkInterfaces", NETWORK_API, True),
    "nsgs": ("Microsoft.Network", "networkSecurityGroups", NETWORK_API, True),
    "vnets": ("Microsoft.Network", "virtualNetworks", NETWORK_API, True),
    "route_tables": ("Microsoft.Network", "routeTables", NETWORK_API, True),
    "nat_gateways": ("Microsoft.Network", "natGateways", NETWORK_API, True),
    "public_ips": ("Microsoft.Network", "publicIPAddresses", NETWORK_API, True),
    "load_balancers": ("Microsoft.Network", "loadBalancers", NETWORK_API, True),
    "vaults": ("Microsoft.RecoveryServices", "vaults", VAULTS_API, False),
}
WHAT = {
    "vms": "virtual machines",
    "nics": "network interfaces",
    "nsgs": "network security groups",
    "vnets": "virtual networks",
    "route_tables": "route tables",
    "nat_gateways": "NAT gateways",
    "public_ips": "public IP addresses",
    "load_balancers": "load balancers",
    "vaults": "Recovery Services vaults",
}
INSTANCE_VIEW = "instanceView"  # child path of a VM, api-version of "vms"
NEEDS = ("network", "vaults", "views")


def list_path(kind, subscription_id, rg=None):
    """'/subscriptions/{sub}[/resourceGroups/{rg}]/providers/{namespace}/{type}' of a list in READS."""
    from azure.mgmt.core.tools import resource_id

    namespace, kind_type, _version, by_group = READS[kind]
    if rg and not by_group:
        raise ValueError("%s are listed per subscription only" % kind)
    return resource_id(subscription=subscription_id, resource_group=rg or None, namespace=namespace) + "/" + kind_type


def instance_view_path(subscription_id, rg, vm_name):
    from azure.mgmt.core.tools import resource_id

    namespace, kind_type, _version, _by_group = READS["vms"]
    return resource_id(subscription=subscription_id, resource_group=rg, namespace=namespace, type=kind_type,
                       name=vm_name) + "/" + INSTANCE_VIEW


def _raise_for(response):
    """The SDK's exception for an ARM error answer (what its operations raise)."""
    from azure.core.exceptions import (ClientAuthenticationError, HttpResponseError, ResourceExistsError,
                                       ResourceNotFoundError, map_error)
    from azure.mgmt.core.exceptions import ARMErrorFormat

    map_error(status_code=response.status_code, response=response,
              error_map={401: ClientAuthenticationError, 404: ResourceNotFoundError, 409: ResourceExistsError})
    raise HttpResponseError(response=response, error_format=ARMErrorFormat)


def _with_api_version(url, version):
    """A nextLink as ARM gives it; the api-version added when the link lacks one."""
    from urllib.parse import parse_qsl, urlparse

    if any(k.lower() == "api-version" for k, _v in parse_qsl(urlparse(url).query)):
        return url
    return url + ("&" if "?" in url else "?") + "api-version=" + version


def _status(exc):
    return getattr(exc, "status_code", None)


def _gone(exc):
    return _status(exc) == 404 or type(exc).__name__ == "ResourceNotFoundError"


class Reader(object):
    """The ARM reads of one run: list pages and per-VM GETs, counted, with a bounded pool of threads.

    Every request goes through one ARMPipelineClient (authentication, retries on 429/5xx honouring Retry-After, user
    agent), built once by warm() before the threads share it.
    """

    def __init__(self, clients, max_concurrency=16):
        self.clients = clients
        self.max_concurrency = max_concurrency
        self._lock = threading.Lock()
        self._pipeline = None
        self.requests = 0

    def _hook(self, response):
        with self._lock:
            self.requests += 1

    def warm(self):
        """Discover the cloud and build the pipeline once, before threads share it."""
        if self._pipeline is None:
            self._pipeline = self.clients.arm_pipeline()
        return self._pipeline

    def _get(self, url, version, **query):
        from azure.core.rest import HttpRequest

        params = {"api-version": version} if version else {}
        params.update(query)
        if not url.startswith("https://") and not url.startswith("http://"):
            url = self.clients.cloud.resource_manager + url
        response = self.warm().send_request(HttpRequest("GET", url, params=params), raw_response_hook=self._hook)
        if response.status_code != 200:
            _raise_for(response)
        return response.json()

    def _pages(self, path, version, **query):
        items = []
        body = self._get(path, version, **query) or {}
        while True:
            items.extend(body.get("value") or [])
            link = body.get("nextLink")
            if not link:
                return items
            body = self._get(_with_api_version(link, version), None) or {}

    def list(self, kind, rg=None, **query):
        """Every item of a list (all its pages), of one resource group or of the subscription."""
        return self._pages(list_path(kind, self.clients.subscription_id, rg), READS[kind][2], **query)

    def map(self, func, items):
        items = list(items)
        if len(items) <= 1 or self.max_concurrency <= 1:
            return [func(i) for i in items]
        if self.clients is not None:  # (unit tests run the gathering with canned answers and no clients)
            self.clients.warm_up()
        with ThreadPoolExecutor(max_workers=min(self.max_concurrency, len(items))) as pool:
            return list(pool.map(func, items))

    def vms(self, rg=None):
        """The VMs with their instance views ($expand=instanceView); a cloud that refuses the expansion on a list
        (400) answers the plain list, and the views are read as before (status_views, instance_view)."""
        try:
            return self.list("vms", rg, **{"$expand": "instanceView"})
        except Exception as exc:  # pylint: disable=broad-except
            if _status(exc) != 400:
                raise
        return self.list("vms", rg)

    def status_views(self):
        """Instance views of every VM of the subscription from ListAll?statusOnly=true: {vm id: view}."""
        out = {}
        for vm in self.list("vms", statusOnly="true"):
            view = props(vm).get("instanceView")
            if vm.get("id") and view:
                out[vm["id"].lower()] = view
        return out

    def instance_view(self, vm):
        path = instance_view_path(self.clients.subscription_id, parse_id(vm.get("id"))["resource_group"], vm.get("name"))
        return self._get(path, READS["vms"][2])

    def nics(self, rg=None):
        return self.list("nics", rg)

    def nsgs(self, rg=None):
        return self.list("nsgs", rg)

    def vnets(self, rg=None):
        return self.list("vnets", rg)

    def route_tables(self, rg=None):
        return self.list("route_tables", rg)

    def nat_gateways(self, rg=None):
        return self.list("nat_gateways", rg)

    def public_ips(self, rg=None):
        return self.list("public_ips", rg)

    def load_balancers(self, rg=None):
        return self.list("load_balancers", rg)

    def vaults(self):
        return self.list("vaults")


# ---- 403: what could not be read ---------------------------------------------------------------------

_AUTH_MESSAGE = re.compile(r"perform action '([^']+)' over scope '([^']+)'", re.IGNORECASE)


def _error_text(exc):
    error = getattr(exc, "error", None)
    code = getattr(error, "code", None) or getattr(exc, "code", None) or ""
    message = getattr(error, "message", None) or getattr(exc, "message", None) or getattr(exc, "msg", None) or str(exc)
    return str(code), " ".join(str(message).split())


def denial(exc, kind, subscription_id, rg=None):
    """The unreadable entry for a 403 answer to the list of `kind` (None for any other error).

    Permission and scope come from ARM's AuthorizationFailed message; when it does not name them they are built from
    the request: '<namespace>/<type>/read' over the list's scope.
    """
    if _status(exc) != 403:
        return None
    _code, message = _error_text(exc)
    namespace, kind_type, _version, _by_group = READS[kind]
    permission = "%s/%s/read" % (namespace, kind_type)
    scope = "/subscriptions/%s" % subscription_id + ("/resourceGroups/%s" % rg if rg else "")
    found = _AUTH_MESSAGE.search(message)
    if found:
        permission, scope = found.group(1), found.group(2)
    return {"what": WHAT[kind], "permission": permission, "scope": scope, "message": message}


def _covers(scope, resource_id):
    scope = (scope or "").rstrip("/").lower()
    rid = (resource_id or "").lower()
    return bool(scope) and (rid == scope or rid.startswith(scope + "/"))


def unknown_reason(entry):
    """One line naming what could not be read, the permission and the scope."""
    return "The %s of %s cannot be read: the identity lacks %s over that scope." % (
        entry["what"], entry["scope"], entry["permission"])


# ---- the estate -------------------------------------------------------------------------------------

def _nic_refs(vm):
    return (props(vm).get("networkProfile") or {}).get("networkInterfaces") or []


def _configs(nic):
    return props(nic).get("ipConfigurations") or []


def _primary_config(nic):
    configs = _configs(nic)
    return next((c for c in configs if props(c).get("primary")), configs[0] if configs else {})


def _vnet_of(subnet_id):
    return subnet_id.rsplit("/subnets/", 1)[0] if "/subnets/" in subnet_id else ""


def _lb_of(pool_id):
    return pool_id.rsplit("/backendaddresspools/", 1)[0] if "/backendaddresspools/" in pool_id.lower() else ""


def normalize_scope(scope):
    scope = dict(scope or {})
    groups = scope.get("resource_groups")
    return {
        "resource_groups": None if groups is None else [g for g in groups if g],
        "exclude_resource_groups": [g.lower() for g in scope.get("exclude_resource_groups") or []],
        "names": list(scope.get("names") or []),
    }


class Estate(object):
    """What discover() read of one subscription."""

    def __init__(self, subscription_id):
        self.subscription_id = subscription_id
        self.vms = []
        self.views = {}       # vm id (lower) -> instance view
        self.items = {kind: {} for kind in READS if kind != "vms"}  # kind -> {id (lower): resource}
        self.subnets = {}     # subnet id (lower) -> subnet
        self.vaults = None    # None when not read or unreadable
        self.unreadable = []
        self._denials = []    # (kind, entry)
        self.requests = 0
        self.proxied = lambda vm: False

    # -- lookups
    def denied(self, kind, resource_id):
        """The unreadable entry that hides `resource_id` of `kind`, or None."""
        for denied_kind, entry in self._denials:
            if denied_kind == kind and _covers(entry["scope"], resource_id):
                return entry
        return None

    def vaults_denied(self):
        return next((entry for kind, entry in self._denials if kind == "vaults"), None)

    def view(self, vm):
        return self.views.get((vm.get("id") or "").lower())

    def record(self, kind, entry):
        self._denials.append((kind, entry))
        if entry not in self.unreadable:
            self.unreadable.append(entry)

    # -- per-VM facts
    def facts(self, vm, proxied=None):
        """Everything the readiness checks need about one VM (vm_facts plus its network path)."""
        if proxied is None:
            proxied = self.proxied(vm)
        return vm_facts(vm, self.view(vm), self.items["nics"], self.subnets, self.items["nsgs"], proxied=proxied,
                        estate=self)


def vm_facts(vm, view, nic_index, subnet_index, nsg_index, proxied=False, estate=None):
    """Everything the checks need about one VM, joined from the list answers (all lookups by lower-case id).

    With an `estate`, what its unreadable lists hide is told apart from what is missing: the NIC, subnet and NSG
    entries carry the unreadable entry ('nic_denied', 'subnet_denied', 'nsg_denied', 'subnet_nsg_denied').
    """
    if estate is None:  # facts from bare indexes (no route tables, NAT gateways or load balancers read)
        estate = Estate("")
        estate.items.update(nics=nic_index, nsgs=nsg_index)
        estate.subnets = subnet_index

    def denied(kind, rid):
        return estate.denied(kind, rid) if rid else None

    nics, missing_nics, missing_nsgs, denials = [], [], [], []
    refs = _nic_refs(vm)
    marked = [r for r in refs if (r.get("properties") or {}).get("primary") or r.get("primary")]
    primary_ref = (marked or refs or [{}])[0]
    primary = None
    primary_denied = None
    for ref in refs:
        nic_id = (ref.get("id") or "").lower()
        nic = nic_index.get(nic_id)
        if nic is None:
            entry = denied("nics", nic_id)
            if entry:
                denials.append(entry)
                if ref is primary_ref:
                    primary_denied = entry
            else:
                missing_nics.append(ref.get("id"))
            continue
        nsg_id = ref_id(props(nic).get("networkSecurityGroup"))
        config = _primary_config(nic)
        subnet_id = ref_id(props(config).get("subnet"))
        subnet = subnet_index.get(subnet_id)
        subnet_denied = denied("vnets", subnet_id) if subnet is None else None
        subnet_nsg_id = ref_id(props(subnet).get("networkSecurityGroup"))
        entry = {
            "nic": nic,
            "nsg": nsg_index.get(nsg_id) if nsg_id else None,
            "subnet_nsg": nsg_index.get(subnet_nsg_id) if subnet_nsg_id else None,
            "ip": props(config).get("privateIPAddress"),
            "asgs": {ref_id(g) for g in props(config).get("applicationSecurityGroups") or []},
            "subnet_id": subnet_id,
            "subnet": subnet,
            "subnet_denied": subnet_denied,
            "nsg_id": nsg_id,
            "subnet_nsg_id": subnet_nsg_id,
            "nsg_denied": None,
            "subnet_nsg_denied": None,
        }
        for key, nid in (("nsg_denied", nsg_id), ("subnet_nsg_denied", subnet_nsg_id)):
            if nid and nid not in nsg_index:
                entry[key] = denied("nsgs", nid)
                if entry[key] is None:
                    missing_nsgs.append(nid)
        denials.extend(e for e in (subnet_denied, entry["nsg_denied"], entry["subnet_nsg_denied"]) if e)
        nics.append(entry)
        if ref is primary_ref:
            primary = entry
    route = route_facts(estate, primary, (primary_ref.get("id") or "").lower())
    path = outbound_path(estate, primary, route, (primary_ref.get("id") or "").lower())
    view_denied = estate.denied("views", (vm.get("id") or "") + "/instanceView") if view is None else None
    for entry in (view_denied, route["denied"], path["denied"], estate.vaults_denied()):
        if entry and entry not in denials:
            denials.append(entry)
    unreadable = []
    for entry in denials:
        if entry not in unreadable:
            unreadable.append(entry)
    return {
        "vm": vm,
        "view": view,
        "route": route,
        "outbound_path": path,
        "view_denied": view_denied,
        "vaults_denied": estate.vaults_denied(),
        "unreadable": unreadable,
        "power_state": power_state(view),
        "provisioning_state": provisioning_state(vm, view),
        "os_type": os_type(vm, view),
        "nics": nics,
        "primary_nic": primary,
        "primary_nic_id": (primary_ref.get("id") or "").lower(),
        "primary_nic_denied": primary_denied,
        "missing_nics": missing_nics,
        "missing_nsgs": missing_nsgs,
        "denials": denials,
        "proxied": proxied,
    }


# ---- route table and outbound path ---------------------------------------------------------------

FORCED_HOPS = ("virtualappliance", "virtualapplianceecmp", "virtualnetworkgateway", "none")
# The default route, and the two halves that together override it (split default routes, as VPN clients and some
# appliances use): any of them to an appliance, a gateway or None is forced tunnelling.
DEFAULT_ROUTE = ("0.0.0.0/0", "0.0.0.0/1", "128.0.0.0/1")
# Service tags whose addresses include Storage.<region> or AzureBackup: a route for them to None drops backup
# traffic, to an appliance or a gateway leaves it to that hop.
BACKUP_SERVICE_TAGS = ("storage", "azurebackup", "azurecloud")
# Service tags whose routes, sent to the Internet, let backup traffic bypass a forced-tunnelling default route.
BACKUP_TAGS = ("azurebackup",)
STORAGE_TAGS = ("storage",)


def _route_view(route):
    p = props(route)
    return {"name": route.get("name") or "", "address_prefix": p.get("addressPrefix") or "",
            "next_hop_type": p.get("nextHopType") or "", "next_hop_ip_address": p.get("nextHopIpAddress") or ""}


def _tag_bypass(routes, tags, region):
    """The route sending one of the service `tags` (or its regional form) to the Internet, or None."""
    wanted = set(tags) | {t + "." + region for t in tags}
    for route in routes:
        p = props(route)
        if (p.get("addressPrefix") or "").strip().lower() in wanted and (p.get("nextHopType") or "").lower() == "internet":
            return route
    return None


def route_facts(estate, primary, primary_nic_id=""):
    """The route table of the primary NIC's subnet and what it does with 0.0.0.0/0.

    {'known': bool, 'denied': entry|None, 'table': resource|None, 'table_id' (lower case), 'table_ref' (the id as
    the subnet spells it), 'route': route|None (the route that decides 0.0.0.0/0: a split default route
    0.0.0.0/1 or 128.0.0.0/1 to an appliance, a gateway or None, else 0.0.0.0/0), 'forced': bool (that route goes to
    an appliance, a gateway or None), 'hop': next hop type, 'bypass': {'storage': route|None, 'backup': route|None},
    'tag_routes': [routes for Storage, Storage.<region>, AzureBackup or AzureCloud to None, an appliance or a gateway],
    'bgp': None or {'gateway_subnet': bool, 'peering': name|None} when no route decides 0.0.0.0/0 and the VNet has a
    gateway (GatewaySubnet, or a peering using the remote gateways) whose BGP routes the table does not disable}
    """
    out = {"known": True, "denied": None, "table": None, "table_id": "", "table_ref": "", "route": None,
           "forced": False, "hop": "", "bypass": {"storage": None, "backup": None}, "tag_routes": [], "bgp": None}
    if primary is None:
        out.update(known=False, denied=estate.denied("nics", primary_nic_id) if primary_nic_id else None)
        return out
    if primary["subnet"] is None:
        out.update(known=False, denied=primary["subnet_denied"])
        return out
    table_id = ref_id(props(primary["subnet"]).get("routeTable"))
    vnet = estate.items["vnets"].get(_vnet_of(primary["subnet_id"]))
    if not table_id:
        out["bgp"] = _bgp(vnet)
        return out
    out["table_id"] = table_id
    out["table_ref"] = (props(primary["subnet"]).get("routeTable") or {}).get("id") or table_id
    table = estate.items["route_tables"].get(table_id)
    if table is None:
        out.update(known=False, denied=estate.denied("route_tables", table_id))
        return out
    out["table"] = table
    routes = props(table).get("routes") or []

    def hop_of(route):
        return (props(route).get("nextHopType") or "").lower()

    defaults = [r for r in routes if (props(r).get("addressPrefix") or "").strip() in DEFAULT_ROUTE]
    default = (next((r for r in defaults if hop_of(r) in FORCED_HOPS and props(r)["addressPrefix"].strip() != "0.0.0.0/0"), None)
               or next((r for r in defaults if props(r)["addressPrefix"].strip() == "0.0.0.0/0"), None)
               or next(iter(defaults), None))
    region = normalize_location(table.get("location") or "")
    out["bypass"] = {"storage": _tag_bypass(routes, STORAGE_TAGS, region),
                     "backup": _tag_bypass(routes, BACKUP_TAGS, region)}
    vm_region = normalize_location(primary["nic"].get("location") or "") or region
    tags = set(BACKUP_SERVICE_TAGS) | {"storage." + vm_region}
    out["tag_routes"] = [r for r in routes if (props(r).get("addressPrefix") or "").strip().lower() in tags
                         and hop_of(r) in FORCED_HOPS]
    if default is not None:
        out.update(route=default, hop=props(default).get("nextHopType") or "", forced=hop_of(default) in FORCED_HOPS)
    elif props(table).get("disableBgpRoutePropagation") is not True:
        out["bgp"] = _bgp(vnet)
    return out


def _bgp(vnet):
    """What in the VNet may advertise routes by BGP to its subnets: its GatewaySubnet, or a peering that uses the
    remote virtual network's gateways; None when neither (or the VNet was not read)."""
    if vnet is None:
        return None
    vp = props(vnet)
    gateway_subnet = any((s.get("name") or "").lower() == "gatewaysubnet" for s in vp.get("subnets") or [])
    peering = next((p.get("name") or "(unnamed)" for p in vp.get("virtualNetworkPeerings") or []
                    if props(p).get("useRemoteGateways") is True), None)
    if not gateway_subnet and not peering:
        return None
    return {"gateway_subnet": gateway_subnet, "peering": peering}


def outbound_path(estate, primary, route, primary_nic_id=""):
    """The VM's outbound path by Azure's precedence: NAT gateway on the subnet > public IP on the NIC > load-balancer
    outbound rule for a backend pool of the NIC > the subnet's default outbound access > none; 'forced_tunnelling'
    when the subnet's route table sends 0.0.0.0/0 to an appliance, a gateway or None.

    {'path', 'resource_id', 'reason', 'internet_path' (the path without the route table), 'denied': entry|None,
     'nat_gateway': resource|None}
    """
    out = {"path": "unknown", "resource_id": "", "reason": "", "internet_path": "unknown", "denied": None,
           "nat_gateway": None, "lb_without_rule": None}
    if primary is None:
        entry = estate.denied("nics", primary_nic_id) if primary_nic_id else None
        out.update(denied=entry, reason=unknown_reason(entry) if entry else "The VM's primary NIC cannot be read.")
        return out
    if primary["subnet"] is None:
        entry = primary["subnet_denied"]
        out.update(denied=entry, reason=unknown_reason(entry) if entry else
                   "Subnet %s of the VM's NIC cannot be read." % (parse_id(primary["subnet_id"])["name"] or "(none)"))
        return out
    subnet = primary["subnet"]
    sp = props(subnet)
    config = _primary_config(primary["nic"])
    nat_id = ref_id(sp.get("natGateway"))
    pip_id = ref_id(props(config).get("publicIPAddress"))
    pools = [ref_id(p) for p in props(config).get("loadBalancerBackendAddressPools") or []]
    subnet_name = parse_id(primary["subnet_id"])["name"]
    path, rid, reason = "none", subnet.get("id") or primary["subnet_id"], ""
    if nat_id:
        path, rid = "nat_gateway", (sp.get("natGateway") or {}).get("id")
        out["nat_gateway"] = estate.items["nat_gateways"].get(nat_id)
        if out["nat_gateway"] is None:
            # The NAT gateway decides the path, but whether it has a public IP cannot be told.
            out["denied"] = estate.denied("nat_gateways", nat_id)
        reason = "NAT gateway %s on subnet %s." % (parse_id(nat_id)["name"], subnet_name)
    elif pip_id:
        path, rid = "public_ip", (props(config).get("publicIPAddress") or {}).get("id")
        reason = "Public IP %s on NIC %s." % (parse_id(pip_id)["name"], primary["nic"].get("name"))
    else:
        rule, denied = None, None
        for pool in pools:
            lb_id = _lb_of(pool)
            lb = estate.items["load_balancers"].get(lb_id)
            if lb is None:
                denied = denied or estate.denied("load_balancers", lb_id)
                continue
            for candidate in props(lb).get("outboundRules") or []:
                if ref_id(props(candidate).get("backendAddressPool")) == pool:
                    rule = (lb, candidate)
                    break
            if rule:
                break
            if ((lb.get("sku") or {}).get("name") or "Standard").lower() != "basic" and not out.get("lb_without_rule"):
                out["lb_without_rule"] = {"load_balancer": lb.get("name"), "pool": pool.rsplit("/", 1)[-1],
                                          "id": lb.get("id")}
        if rule:
            path, rid = "load_balancer", rule[1].get("id") or rule[0].get("id") or ""
            reason = "Outbound rule %s of load balancer %s." % (rule[1].get("name"), rule[0].get("name"))
        elif denied:
            # A Standard load balancer's backend pool changes the path whatever defaultOutboundAccess says.
            out.update(denied=denied, reason=unknown_reason(denied))
            return out
        elif sp.get("defaultOutboundAccess") is not False:
            path = "default_outbound_access"
            reason = "Default outbound access of subnet %s (defaultOutboundAccess %s)." % (
                subnet_name, "true" if sp.get("defaultOutboundAccess") else "not set")
        else:
            reason = ("Subnet %s is private (defaultOutboundAccess false) and has no NAT gateway; the NIC has no public "
                      "IP and no load-balancer outbound rule." % subnet_name)
    out.update(internet_path=path, path=path, resource_id=rid, reason=reason)
    if route.get("forced"):
        table_name = (route.get("table") or {}).get("name") or parse_id(route.get("table_id"))["name"]
        route_name = (route.get("route") or {}).get("name")
        hop = route.get("hop")
        ip = props(route.get("route")).get("nextHopIpAddress")
        out.update(path="forced_tunnelling", resource_id=(route.get("table") or {}).get("id") or route.get("table_id") or "",
                   reason="Route table %s sends %s (route %s) to %s%s." % (
                       table_name, props(route.get("route")).get("addressPrefix"), route_name, hop, " " + ip if ip else ""))
    elif not route.get("known") and route.get("denied"):
        out.update(path="unknown", denied=route["denied"], reason=unknown_reason(route["denied"]))
    return out


# ---- discover() -------------------------------------------------------------------------------------

def _needs_view_get(vm, view):
    """True when the list did not carry what the checks read from the instance view of a VM that may be running."""
    if view is None:
        return True
    if view.get("vmAgent"):
        return False
    # A stopped or deallocated VM has no agent to report: a GET would not say more.
    return power_state(view) in ("running", "unknown", "starting")


def _group_of(resource_id):
    return parse_id(resource_id)["resource_group"].lower() if resource_id else ""


class _Discovery(object):
    """One run of discover(): the rounds of list requests, each round in one bounded pool."""

    NETWORK = ("nics", "vnets", "nsgs", "route_tables", "nat_gateways", "public_ips", "load_balancers")

    def __init__(self, reader, subscription_id, scope, need, public_ips=True):
        self.public_ips = public_ips
        self.reader = reader
        self.sub = subscription_id
        self.scope = scope
        self.need = need
        self.estate = Estate(subscription_id)
        self.subscription_wide = scope["resource_groups"] is None
        self.sub_state = {kind: None for kind in READS}   # None (not tried), 'ok', 'denied'
        self.listed = {kind: set() for kind in READS}     # resource groups (lower) listed or denied
        self.status_tried = False
        self.got_views = set()

    # -- the references of what is in scope
    def all_refs(self):
        """{kind: set of lower-case ids} that the VMs in scope reference, from what has been read so far."""
        est = self.estate
        nic_index, subnets = est.items["nics"], est.subnets
        out = {kind: set() for kind in self.NETWORK}
        nics = []
        for vm in est.vms:
            for ref in _nic_refs(vm):
                rid = ref_id(ref)
                out["nics"].add(rid)
                if rid in nic_index:
                    nics.append(nic_index[rid])
        for nic in nics:
            out["nsgs"].add(ref_id(props(nic).get("networkSecurityGroup")))
            for config in _configs(nic):
                cp = props(config)
                sid = ref_id(cp.get("subnet"))
                out["vnets"].add(_vnet_of(sid))
                if self.public_ips:
                    out["public_ips"].add(ref_id(cp.get("publicIPAddress")))
                subnet = subnets.get(sid)
                if subnet is None:
                    continue
                sp = props(subnet)
                out["nsgs"].add(ref_id(sp.get("networkSecurityGroup")))
                out["route_tables"].add(ref_id(sp.get("routeTable")))
                out["nat_gateways"].add(ref_id(sp.get("natGateway")))
            # A load balancer decides the outbound path only of a NIC without a public IP whose subnet has no NAT
            # gateway; only then is its list read.
            primary = props(_primary_config(nic))
            subnet = subnets.get(ref_id(primary.get("subnet")))
            if subnet is not None and not primary.get("publicIPAddress") and not ref_id(props(subnet).get("natGateway")):
                out["load_balancers"] |= {_lb_of(ref_id(p)) for p in primary.get("loadBalancerBackendAddressPools") or []}
        return out

    def jobs(self, kind, refs):
        prefix = "/subscriptions/%s/" % self.sub.lower() if self.sub else "/"
        ids = {i for i in refs if i and i.startswith(prefix)}
        items = self.estate.items[kind]
        if not ids - set(items):
            return []
        if self.subscription_wide and self.sub_state[kind] is None:
            return [(kind, None)]
        # Still missing after the subscription-wide list (or after their groups' lists): their groups are listed
        # once, so a denial there is recorded and a deleted resource is confirmed gone.
        groups = sorted({_group_of(i) for i in ids if i not in items} - self.listed[kind])
        return [(kind, g) for g in groups]

    # -- running a round
    def run(self, jobs):
        results = self.reader.map(self._do, jobs)
        for job, answer in zip(jobs, results, strict=True):
            self._take(job, answer)

    def _do(self, job):
        kind, arg = job
        try:
            if kind == "vms":
                return ("ok", self.reader.vms(arg))
            if kind == "status_views":
                return ("ok", self.reader.status_views())
            if kind == "view":
                return ("ok", self.reader.instance_view(arg))
            if kind == "vaults":
                return ("ok", self.reader.vaults())
            return ("ok", getattr(self.reader, kind)(arg))
        except Exception as exc:  # pylint: disable=broad-except
            return ("error", exc)

    def _take(self, job, answer):
        kind, arg = job
        state, value = answer
        est = self.estate
        if state == "error":
            if kind == "vms":
                raise value
            if kind == "status_views":
                # A cloud without statusOnly (Azure Stack Hub, older api-versions) answers 400: read per VM instead.
                if _status(value) in (400, 404, 405):
                    return
                raise value
            if kind == "view":
                if _gone(value):  # deleted between the list and the GET
                    return
                if _status(value) == 403:  # the VM is reported without its instance view
                    parts = parse_id(arg.get("id"))
                    entry = denial(value, "vms", self.sub, parts["resource_group"])
                    entry.update(what="virtual machine instance views",
                                 permission=entry["permission"] if "instanceView" in entry["permission"]
                                 else "Microsoft.Compute/virtualMachines/instanceView/read")
                    if not any(e["permission"] == entry["permission"] and e["scope"].lower() == entry["scope"].lower()
                               for e in est.unreadable):
                        est.record("views", entry)
                    return
                raise value
            entry = denial(value, kind, self.sub, arg)
            if entry is None:
                if kind != "vaults" and _gone(value):  # a resource group that is gone: nothing in it
                    if arg:
                        self.listed[kind].add(arg.lower())
                    else:
                        self.sub_state[kind] = "ok"
                    return
                raise value
            if kind == "vaults":
                est.record(kind, entry)
                return
            if arg is None:
                # Denied subscription-wide (Reader on some resource groups only): list the referenced groups.
                self.sub_state[kind] = "denied"
            else:
                self.listed[kind].add(arg.lower())
                est.record(kind, entry)
            return
        if kind == "vms":
            est.vms.extend(value)
            return
        if kind == "status_views":
            for vid, view in value.items():
                est.views.setdefault(vid, view)
            return
        if kind == "view":
            est.views[(arg.get("id") or "").lower()] = value
            return
        if kind == "vaults":
            est.vaults = list(value)
            return
        if arg is None:
            self.sub_state[kind] = "ok"
        else:
            self.listed[kind].add(arg.lower())
        index = est.items[kind]
        for item in value:
            if item.get("id"):
                index[item["id"].lower()] = item
        if kind == "vnets":
            for vnet in value:
                for subnet in props(vnet).get("subnets") or []:
                    if subnet.get("id"):
                        est.subnets[subnet["id"].lower()] = subnet

    def _in_scope(self, vm):
        rg = _group_of(vm.get("id"))
        if rg in self.scope["exclude_resource_groups"]:
            return False
        return name_matches(vm.get("name"), self.scope["names"])

    # -- the rounds
    def go(self):
        reader, est = self.reader, self.estate
        reader.warm()
        network = "network" in self.need
        first = [("vms", None)] if self.subscription_wide else [("vms", g) for g in self.scope["resource_groups"]]
        if "vaults" in self.need:
            first.append(("vaults", None))
        if network and self.subscription_wide:
            first += [("nics", None), ("nsgs", None), ("vnets", None)]
        self.run(first)
        est.vms = [vm for vm in est.vms if self._in_scope(vm)]
        seen = set()
        unique = []
        for vm in est.vms:
            key = (vm.get("id") or "").lower()
            if key not in seen:
                seen.add(key)
                unique.append(vm)
        est.vms = unique
        for vm in est.vms:
            view = props(vm).get("instanceView")
            if view:
                # The whole instance view, as a GET of it answers: nothing more to read for this VM.
                est.views[(vm.get("id") or "").lower()] = view
                self.got_views.add((vm.get("id") or "").lower())
        kinds = self.NETWORK if network else ()
        while True:
            jobs = []
            if "views" in self.need:
                jobs += self._view_jobs()
            refs = self.all_refs() if kinds else {}
            for kind in kinds:
                jobs += self.jobs(kind, refs[kind])
            if not jobs:
                break
            self.run(jobs)
        est.requests = reader.requests
        return est

    def _view_jobs(self):
        est = self.estate
        lacking = [vm for vm in est.vms if (vm.get("id") or "").lower() not in self.got_views
                   and _needs_view_get(vm, est.view(vm))]
        if not lacking:
            return []
        if self.subscription_wide and not self.status_tried:
            self.status_tried = True
            return [("status_views", None)]
        out = []
        for vm in lacking:
            key = (vm.get("id") or "").lower()
            if key in self.got_views:
                continue
            self.got_views.add(key)
            out.append(("view", vm))
        return out


def discover(clients, scope=None, max_concurrency=16, need=("network",), reader=None, public_ips=True):
    """Read one subscription's VMs (and, per `need`, their network, vaults and instance views) into an Estate.

    clients: _client.AzureClients of ONE subscription (unused when `reader` is given).
    scope: {'resource_groups': [..] | None (every group), 'exclude_resource_groups': [..], 'names': [patterns]}.
    need: subset of ('network', 'vaults', 'views').
    public_ips: with 'network', read the public IP addresses the NICs reference (for azure_public_ips); the
      readiness checks do not need them.
    """
    unknown = [n for n in need if n not in NEEDS]
    if unknown:
        raise ValueError("need: unknown %s" % ", ".join(unknown))
    reader = reader if reader is not None else Reader(clients, max_concurrency)
    subscription_id = getattr(reader.clients, "subscription_id", None) or getattr(reader, "subscription_id", None) or ""
    run = _Discovery(reader, subscription_id, normalize_scope(scope), tuple(need), public_ips=public_ips)
    return run.go()


# ---- host variables ---------------------------------------------------------------------------------

def _agent(view, state):
    agent = (view or {}).get("vmAgent")
    if not agent:
        return {"version": "", "status": "unknown", "message": ""}
    sts = statuses(agent)
    ready = any((s.get("displayStatus") or "").lower() == "ready" for s in sts)
    first = sts[0] if sts else {}
    status = "Ready" if ready else ("NotReady" if sts else "unknown")
    return {"version": agent.get("vmAgentVersion") or "", "status": status,
            "message": first.get("message") or first.get("displayStatus") or ""}


BACKUP_EXTENSIONS = ("vmsnapshot", "vmsnapshotlinux")


def _backup_extension(vm, view):
    for ext in (view or {}).get("extensions") or []:
        kind = (ext.get("type") or "").rsplit(".", 1)[-1].lower()
        if kind in BACKUP_EXTENSIONS or (ext.get("name") or "").lower() in BACKUP_EXTENSIONS:
            sts = list(statuses(ext)) + list(ext.get("substatuses") or [])
            return ext.get("name") or kind, sts
    for ext in vm.get("resources") or []:
        kind = (props(ext).get("type") or "").lower()
        if kind in BACKUP_EXTENSIONS or (ext.get("name") or "").lower() in BACKUP_EXTENSIONS:
            state = (props(ext).get("provisioningState") or "").lower()
            status = {"code": "ProvisioningState/" + state, "displayStatus": state,
                      "level": "Error" if state == "failed" else "Info"}
            return ext.get("name") or kind, [status]
    return None, []


def _extension_var(vm, view):
    name, sts = _backup_extension(vm, view)
    if name is None:
        return {"name": "", "status": "absent" if view is not None else "unknown", "message": ""}
    codes = [(s.get("code") or "").lower() for s in sts]
    levels = [(s.get("level") or "").lower() for s in sts]
    message = next((s.get("message") for s in sts if s.get("message")), "") or ""
    if "error" in levels or any("failed" in c for c in codes):
        status = "failed"
    elif "warning" in levels or any(w in c for c in codes for w in ("transitioning", "creating", "updating", "deleting")):
        status = "transitioning"
    elif any("succeeded" in c for c in codes):
        status = "succeeded"
    else:
        status = "unknown"
    return {"name": name, "status": status, "message": " ".join(message.split())}


def _image(vm):
    ref = (props(vm).get("storageProfile") or {}).get("imageReference") or {}
    return {key: str(ref.get(key) or "") for key in ("publisher", "offer", "sku", "version", "id")}


def host_vars(estate, vm, facts=None):
    """The documented inventory host variables of one VM of the estate."""
    facts = facts or estate.facts(vm)
    view = facts["view"]
    vid = vm.get("id") or ""
    nics, private_ips, public_ips, public_ids, subnet_ids, vnet_ids, nsgs = [], [], [], [], [], [], []
    primary_id = facts.get("primary_nic_id") or ""
    for ref in _nic_refs(vm):
        nic_id = ref_id(ref)
        nic = estate.items["nics"].get(nic_id)
        if nic is None:
            continue
        ips, pips, subnet_id = [], [], ""
        for config in _configs(nic):
            cp = props(config)
            if cp.get("privateIPAddress"):
                ips.append(cp["privateIPAddress"])
            pid = ref_id(cp.get("publicIPAddress"))
            if pid:
                pips.append((cp.get("publicIPAddress") or {}).get("id") or pid)
                pip = estate.items["public_ips"].get(pid)
                address = props(pip).get("ipAddress")
                if address and address not in public_ips:
                    public_ips.append(address)
        primary_subnet = (props(_primary_config(nic)).get("subnet") or {}).get("id") or ""
        subnet_id = primary_subnet
        nsg_id = (props(nic).get("networkSecurityGroup") or {}).get("id") or ""
        vnet_id = _vnet_of(subnet_id.lower()) and subnet_id[: len(_vnet_of(subnet_id.lower()))]
        nics.append({"id": nic.get("id"), "name": nic.get("name"), "primary": nic_id == primary_id,
                     "private_ips": ips, "public_ip_ids": pips, "subnet_id": subnet_id, "vnet_id": vnet_id,
                     "nsg_id": nsg_id})
        private_ips.extend(i for i in ips if i not in private_ips)
        public_ids.extend(pips)
        for config in _configs(nic):
            sid = (props(config).get("subnet") or {}).get("id") or ""
            if sid and sid.lower() not in [s.lower() for s in subnet_ids]:
                subnet_ids.append(sid)
                vnet = sid[: len(_vnet_of(sid.lower()))]
                if vnet and vnet.lower() not in [v.lower() for v in vnet_ids]:
                    vnet_ids.append(vnet)
        if nsg_id:
            nsgs.append(_nsg_var(estate, nsg_id, "nic", nic.get("id")))
        subnet = estate.subnets.get(subnet_id.lower())
        subnet_nsg = (props(subnet).get("networkSecurityGroup") or {}).get("id") or ""
        if subnet_nsg:
            nsgs.append(_nsg_var(estate, subnet_nsg, "subnet", subnet.get("id") or subnet_id))
    unique, seen = [], set()
    for nsg in sorted(nsgs, key=lambda n: 0 if n["attached_to"] == "nic" else 1):
        if nsg["id"].lower() not in seen:
            seen.add(nsg["id"].lower())
            unique.append(nsg)
    route = facts["route"]
    route_var = None
    if route.get("table_id"):
        table = route.get("table") or {}
        route_var = {"id": table.get("id") or route.get("table_ref") or route["table_id"],
                     "name": table.get("name") or parse_id(route.get("table_ref") or route["table_id"])["name"],
                     "forced_tunnelling": bool(route.get("forced")) if route.get("table") else None,
                     "route": _route_view(route["route"]) if route.get("route") else None}
    path = facts["outbound_path"]
    state = facts["power_state"]
    return {
        "azure_id": vid,
        "azure_name": vm.get("name") or "",
        "azure_subscription_id": parse_id(vid)["subscription"] or estate.subscription_id,
        "azure_resource_group": parse_id(vid)["resource_group"],
        "azure_location": normalize_location(vm.get("location")),
        "azure_zones": list(vm.get("zones") or []),
        "azure_vm_size": (props(vm).get("hardwareProfile") or {}).get("vmSize") or "",
        "azure_os_type": facts["os_type"],
        "azure_image": _image(vm),
        "azure_power_state": state,
        "azure_agent": _agent(view, state),
        "azure_backup_extension": _extension_var(vm, view),
        "azure_private_ips": private_ips,
        "azure_public_ips": public_ips,
        "azure_nics": nics,
        "azure_subnet_ids": subnet_ids,
        "azure_vnet_ids": vnet_ids,
        "azure_nsgs": unique,
        "azure_route_table": route_var,
        "azure_outbound": {"path": path["path"], "resource_id": path.get("resource_id") or "",
                           "reason": path.get("reason") or ""},
        "azure_tags": dict(vm.get("tags") or {}),
        "azure_unreadable": list(facts.get("unreadable") or []),
    }


def _nsg_var(estate, nsg_id, attached_to, via):
    nsg = estate.items["nsgs"].get(nsg_id.lower()) or {}
    parts = parse_id(nsg.get("id") or nsg_id)
    return {"id": nsg.get("id") or nsg_id, "name": nsg.get("name") or parts["name"],
            "resource_group": parts["resource_group"], "subscription_id": parts["subscription"],
            "location": normalize_location(nsg.get("location")), "attached_to": attached_to, "via": via}
