"""Microsoft.Compute virtual machines (read-only, seeded from fixtures) with instance views."""

import copy
import json
import uuid

from .common import Response, normalize_location, not_found, page_raw, strip_internal

API_VERSIONS = frozenset({
    "2026-04-01", "2025-11-01", "2025-04-01", "2024-11-01", "2024-07-01", "2024-03-01", "2023-09-01",
    "2023-07-01", "2023-03-01", "2022-11-01", "2022-08-01", "2022-03-01", "2021-11-01", "2021-07-01",
})
KIND = "virtualMachines"
TYPE = "Microsoft.Compute/virtualMachines"
BOOT_TIME = "2026-01-05T08:14:03.1185092+00:00"

_POWER = {
    "running": "VM running",
    "stopped": "VM stopped",
    "deallocated": "VM deallocated",
    "starting": "VM starting",
    "stopping": "VM stopping",
    "deallocating": "VM deallocating",
}
_IMAGES = {
    "Linux": {"publisher": "Canonical", "offer": "ubuntu-24_04-lts", "sku": "server", "version": "latest",
              "exactVersion": "24.04.202601080"},
    "Windows": {"publisher": "MicrosoftWindowsServer", "offer": "WindowsServer", "sku": "2022-datacenter-azure-edition",
                "version": "latest", "exactVersion": "20348.3091.260107"},
}
_OS_NAMES = {"Linux": ("ubuntu", "24.04"), "Windows": ("Windows Server 2022 Datacenter Azure Edition", "10.0.20348.3091")}
_SNAPSHOT_EXT = {"Linux": ("VMSnapshotLinux", "Microsoft.Azure.RecoveryServices.VMSnapshotLinux", "1.0.9225.0"),
                 "Windows": ("VMSnapshot", "Microsoft.Azure.RecoveryServices.VMSnapshot", "1.0.108.0")}


def vm_id(sub, rg, name):
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines/{name}"


def _not_found(rg, name):
    return not_found(TYPE, name, rg)


def render(vm, with_instance_view=False):
    body = strip_internal(vm)
    if with_instance_view:
        body["properties"]["instanceView"] = copy.deepcopy(vm["_instanceView"])
    return body


def get_vm(sandbox, req, sub, rg, vm):
    sandbox.require_group(sub, rg)
    found = sandbox.state.get(KIND, sub, rg, vm)
    if found is None:
        raise _not_found(rg, vm)
    expand = (req.q("$expand") or "").lower()
    return Response(200, render(found, with_instance_view=expand == "instanceview"))


def instance_view(sandbox, req, sub, rg, vm):
    sandbox.require_group(sub, rg)
    found = sandbox.state.get(KIND, sub, rg, vm)
    if found is None:
        raise _not_found(rg, vm)
    return Response(200, copy.deepcopy(found["_instanceView"]))


def _with_views(req):
    """True when a VM list asks for the instance views: $expand=instanceView (per group and list-all, as on a
    VM GET) or statusOnly=true (list-all)."""
    return (req.q("$expand") or "").lower() == "instanceview" or (req.q("statusOnly") or "").lower() == "true"


def _text(vm, with_instance_view):
    """The VM's JSON text, cached in the VM (VMs only change by a fixture load, which stores a new dict)."""
    cache = vm.setdefault("_cache", {})
    if with_instance_view not in cache:
        cache[with_instance_view] = json.dumps(render(vm, with_instance_view))
    return cache[with_instance_view]


def list_vms(sandbox, req, sub, rg):
    sandbox.require_group(sub, rg)
    views = _with_views(req)
    return Response(200, page_raw(req, sandbox.state.list(KIND, sub, rg), sandbox.page_size,
                                  lambda v: _text(v, views)))


def list_all_vms(sandbox, req, sub):
    views = _with_views(req)
    return Response(200, page_raw(req, sandbox.state.list(KIND, sub), sandbox.page_size, lambda v: _text(v, views)))


_VM = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines/{vm}"
ROUTES = [
    ("GET", _VM, get_vm, None),
    ("GET", _VM + "/instanceView", instance_view, None),
    ("GET", "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines", list_vms, None),
    ("GET", "/subscriptions/{sub}/providers/Microsoft.Compute/virtualMachines", list_all_vms, None),
]


# ---- fixtures --------------------------------------------------------------------------------------

def _status(code, display, level="Info", message=None, time=BOOT_TIME):
    status = {"code": code, "level": level, "displayStatus": display}
    if message:
        status["message"] = message
    if time:
        status["time"] = time
    return status


def build_instance_view(spec, os_type, data_disk_names, os_disk_name):
    power = spec.get("power_state", "running")
    os_name, os_version = _OS_NAMES[os_type]
    view = {
        "computerName": spec.get("computer_name", spec["name"]),
        "osName": spec.get("os_name", os_name),
        "osVersion": spec.get("os_version", os_version),
        "hyperVGeneration": "V2",
    }
    if power != "deallocated":
        agent_ready = spec.get("agent_status", "Ready") == "Ready" and power == "running"
        agent_status = (
            _status("ProvisioningState/succeeded", "Ready", message="GuestAgent is running and processing the "
                    "extensions.")
            if agent_ready else
            _status("ProvisioningState/Unavailable", "Not Ready", level="Warning",
                    message="VM status blob is found but not yet populated.")
        )
        extensions = spec.get("extensions")
        if extensions is None:
            name, ext_type, version = _SNAPSHOT_EXT[os_type]
            extensions = [{"name": name, "type": ext_type, "typeHandlerVersion": version, "status": "succeeded"}]
        view["vmAgent"] = {
            "vmAgentVersion": spec.get("agent_version", "2.13.1.1" if os_type == "Linux" else "2.7.41491.1102"),
            "statuses": [agent_status],
            "extensionHandlers": [
                {"type": e["type"], "typeHandlerVersion": e.get("typeHandlerVersion", "1.0"),
                 "status": _status("ProvisioningState/succeeded", "Ready", time=None)}
                for e in extensions
            ],
        }
        view["extensions"] = []
        for ext in extensions:
            ok = ext.get("status", "succeeded") == "succeeded"
            status = (
                _status("ProvisioningState/succeeded", "Provisioning succeeded",
                        message=ext.get("message", "Enable succeeded"))
                if ok else
                _status("ProvisioningState/failed/1", "Provisioning failed", level="Error",
                        message=ext.get("message", "Enable failed: the snapshot extension could not reach the "
                                                   "Azure Backup service."))
            )
            view["extensions"].append({"name": ext["name"], "type": ext["type"],
                                       "typeHandlerVersion": ext.get("typeHandlerVersion", "1.0"),
                                       "statuses": [status]})
    view["disks"] = [
        {"name": disk, "statuses": [_status("ProvisioningState/succeeded", "Provisioning succeeded")]}
        for disk in [os_disk_name] + data_disk_names
    ]
    view["bootDiagnostics"] = {}
    view["statuses"] = [
        _status("ProvisioningState/succeeded", "Provisioning succeeded"),
        _status(f"PowerState/{power}", _POWER.get(power, f"VM {power}"), time=None),
    ]
    return view


def build_vm(sandbox, spec, sub):
    rg = spec["resource_group"]
    name = spec["name"]
    vid = vm_id(sub, rg, name)
    os_type = spec.get("os_type", "Linux")
    location = normalize_location(spec.get("location") or sandbox.group_location(sub, rg))
    disk_rg = f"/subscriptions/{sub}/resourceGroups/{rg.upper()}/providers/Microsoft.Compute/disks"
    os_disk = f"{name}_OsDisk_1_{uuid.uuid5(uuid.NAMESPACE_URL, vid).hex}"
    data = spec.get("data_disks", 0)
    data_names = data if isinstance(data, list) else [f"{name}-data-{i:02d}" for i in range(int(data))]
    nic_ids = []
    for i, nic in enumerate(spec.get("nics", [])):
        nic_id = nic if str(nic).startswith("/subscriptions/") else (
            f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/networkInterfaces/{nic}")
        nic_ids.append({"id": nic_id, "properties": {"primary": i == 0}} if len(spec["nics"]) > 1 else {"id": nic_id})
    if os_type == "Windows":
        os_profile = {"computerName": spec.get("computer_name", name[:15]), "adminUsername": "azureadmin",
                      "windowsConfiguration": {"provisionVMAgent": True, "enableAutomaticUpdates": True,
                                               "patchSettings": {"patchMode": "AutomaticByOS",
                                                                 "assessmentMode": "ImageDefault"}},
                      "secrets": [], "allowExtensionOperations": True, "requireGuestProvisionSignal": True}
    else:
        os_profile = {"computerName": spec.get("computer_name", name), "adminUsername": "azureuser",
                      "linuxConfiguration": {"disablePasswordAuthentication": True, "provisionVMAgent": True,
                                             "patchSettings": {"patchMode": "ImageDefault",
                                                               "assessmentMode": "ImageDefault"}},
                      "secrets": [], "allowExtensionOperations": True, "requireGuestProvisionSignal": True}
    properties = {
        "vmId": str(uuid.uuid5(uuid.NAMESPACE_OID, vid.lower())),
        "hardwareProfile": {"vmSize": spec.get("vm_size", "Standard_D2s_v5")},
        "storageProfile": {
            "imageReference": dict(spec.get("image") or _IMAGES[os_type]),
            "osDisk": {"osType": os_type, "name": os_disk, "createOption": "FromImage", "caching": "ReadWrite",
                       "managedDisk": {"storageAccountType": "Premium_LRS", "id": f"{disk_rg}/{os_disk}"},
                       "deleteOption": "Delete", "diskSizeGB": 30 if os_type == "Linux" else 127},
            "dataDisks": [
                {"lun": lun, "name": disk, "createOption": "Empty", "caching": "ReadOnly" if lun == 0 else "None",
                 "managedDisk": {"storageAccountType": "Premium_LRS", "id": f"{disk_rg}/{disk}"},
                 "deleteOption": "Detach", "diskSizeGB": 128, "toBeDetached": False}
                for lun, disk in enumerate(data_names)
            ],
            "diskControllerType": "SCSI",
        },
        "osProfile": os_profile,
        "networkProfile": {"networkInterfaces": nic_ids},
        "diagnosticsProfile": {"bootDiagnostics": {"enabled": True}},
        "provisioningState": "Succeeded",
        "timeCreated": spec.get("time_created", "2025-11-03T09:12:44.5105367+00:00"),
    }
    if spec.get("properties"):
        properties = copy.deepcopy(spec["properties"])
    vm = {"name": name, "id": vid, "type": TYPE, "location": location, "properties": properties}
    if spec.get("zones"):
        vm["zones"] = list(spec["zones"])
    if spec.get("tags"):
        vm["tags"] = dict(spec["tags"])
    if spec.get("backup_network_path") is False:
        vm["_noNetworkPath"] = True  # Azure Backup's jobs fail with ExtensionSnapshotFailedNoNetwork (backup.py)
    if spec.get("instance_view") is not None:
        vm["_instanceView"] = copy.deepcopy(spec["instance_view"])
    else:
        vm["_instanceView"] = build_instance_view(spec, os_type, data_names, os_disk)
    return vm


def _load_vm(sandbox, spec, sub):
    vm = build_vm(sandbox, spec, sub)
    _text(vm, False)  # rendered now, so the first list of a large fleet answers as fast as the next ones
    _text(vm, True)
    sandbox.state.put(KIND, sub, spec["resource_group"], spec["name"], vm)
    for ref in vm["properties"].get("networkProfile", {}).get("networkInterfaces", []):
        nic = sandbox.state.by_id("networkInterfaces", ref["id"])
        if nic is not None:
            nic["properties"]["virtualMachine"] = {"id": vm["id"]}


LOADERS = (("virtual_machines", _load_vm),)
