"""Fault injection: latency, random ARM-shaped 429/500/503 errors and dropped connections, and the hostile parts of
real ARM: busy 409s without Retry-After, long-running operations that end Failed because another operation was in
progress, and writes that were applied but whose answer was lost.

Most faults are decided before a request has any effect, so such a faulted write never changes state. Two kinds
are not: a lost answer (`lost_answer_rate`) applies the write and then drops the connection or answers 500, and a
busy final state (`busy_lro_rate`) accepts the write, undoes it at once and lets its operation end Failed.
Control calls (/_sandbox/...) are never faulted.
"""

import math
import random
import threading

from . import deny
from .common import ArmError, retry_after_headers

DEFAULTS = {
    "latency_ms": 0,
    "fault_rate": 0.0,
    "fault_statuses": [429, 500, 503],
    "retry_after": 0.05,
    "drop_rate": 0.0,
    "lro_polls": 1,
    "lro_retry_after": 0.05,
    "lro_max_seconds": 3.0,
    "lro_drop_rate": 0.0,
    "seed": None,
    "apply_to": "arm",
    "page_size": 50,
    # Hostile ARM (see docs/reliability.md).
    "busy_rate": 0.0,
    "busy_retry_after_rate": 0.0,
    "busy_lro_rate": 0.0,
    "busy_lro_codes": ["AnotherOperationInProgress", "RetryableErrorDueToAnotherOperation"],
    "nsg_busy_seconds": 0.0,
    "lost_answer_rate": 0.0,
    "lost_answer_kinds": ["drop", 500],
    # Denied scopes: [{"scope": ARM scope, "actions": [fnmatch patterns]}] (see deny.py).
    "deny": [],
}

WRITE_METHODS = ("PUT", "PATCH", "DELETE")
# POST actions that change state, and so can be busy or have their answer lost after they took effect: Azure
# Backup's refreshContainers and on-demand backup (a lost answer of a trigger leaves a job running).
MUTATING_POST_SUFFIXES = ("/refreshcontainers", "/backup")


BACKUP_BUSY_MESSAGE = ("Another operation is in progress on the selected item. If you have initiated any backup job, "
                       "wait for its completion and then retry.")
BACKUP_BUSY_LRO_CODES = ("BMSUserErrorObjectLocked", "BMSUserErrorConflictingProtectionOperation")


def is_backup_path(path):
    lower = (path or "").lower()
    return "/backupfabrics/" in lower or "/backuppolicies/" in lower


def is_write(method, path=""):
    method = (method or "").upper()
    return method in WRITE_METHODS or (method == "POST" and (path or "").lower().rstrip("/").endswith(
        MUTATING_POST_SUFFIXES))


BUSY_MESSAGE = "Another operation on this or dependent resource is in progress."

_FAULT_ERRORS = {
    429: (
        "SubscriptionRequestsThrottled",
        (
            "Number of requests for subscription '{sub}' and operation '{op}' exceeded the backend storage "
            "limit. Please try again after '{wait}' seconds."
        ),
    ),
    500: (
        "InternalServerError",
        (
            "Encountered internal server error. Diagnostic information: timestamp '{time}', "
            "tracking id '{tracking}', request correlation id '{tracking}'."
        ),
    ),
    503: (
        "ServiceUnavailable",
        "The service is currently unavailable. Please retry the request after '{wait}' seconds.",
    ),
}


class Faults:
    def __init__(self):
        self._lock = threading.Lock()
        self.settings = dict(DEFAULTS)
        self._rng = random.Random()
        self._marks = threading.local()

    def mark(self, fault):
        """Note that a handler answered with a fault of the settings (e.g. the NSG busy window), for the request log."""
        self._marks.fault = fault

    def take_mark(self):
        fault, self._marks.fault = getattr(self._marks, "fault", None), None
        return fault

    def configure(self, **changes):
        unknown = set(changes) - set(DEFAULTS)
        if unknown:
            raise ValueError(f"unknown fault settings: {sorted(unknown)}")
        if "deny" in changes:
            changes = {**changes, "deny": deny.validate(changes["deny"])}
        with self._lock:
            self.settings.update(changes)
            if "seed" in changes:
                self._rng = random.Random(changes["seed"])
        return dict(self.settings)

    def clear(self):
        with self._lock:
            self.settings.clear()
            self.settings.update(DEFAULTS)
            self.settings["deny"] = []
            self._rng = random.Random()

    def applies(self, kind):
        if kind == "control":
            return False
        if self.settings["apply_to"] == "all":
            return True
        return kind in ("arm", "lro-poll")

    def decide(self, kind, method=None, path=""):
        """Return None or the fault for a request of this kind and method.

        Before any effect: 'drop', 429, 500, 503, or 'busy' (409 AnotherOperationInProgress, ARM writes only).
        After the effect (ARM writes only; the server applies them only to a write that succeeded): 'busy-lro' (the
        long-running operation ends Failed with a busy code and the change is undone), 'lost-drop' and 'lost-500'.
        """
        if not self.applies(kind):
            return None
        write = kind == "arm" and is_write(method, path)
        with self._lock:
            s = self.settings
            if kind == "lro-poll" and s["lro_drop_rate"] and self._rng.random() < s["lro_drop_rate"]:
                return "drop"
            if s["drop_rate"] and self._rng.random() < s["drop_rate"]:
                return "drop"
            if s["fault_rate"] and self._rng.random() < s["fault_rate"]:
                return int(self._rng.choice(list(s["fault_statuses"])))
            if not write:
                return None
            if s["busy_rate"] and self._rng.random() < s["busy_rate"]:
                return "busy"
            if s["busy_lro_rate"] and self._rng.random() < s["busy_lro_rate"]:
                return "busy-lro"
            if s["lost_answer_rate"] and self._rng.random() < s["lost_answer_rate"]:
                how = self._rng.choice(list(s["lost_answer_kinds"]))
                return "lost-drop" if str(how) == "drop" else "lost-%d" % int(how)
        return None

    def busy_headers(self):
        """Headers of a busy 409: Retry-After for a share `busy_retry_after_rate` of them, otherwise none."""
        with self._lock:
            rate = self.settings["busy_retry_after_rate"]
            if rate and self._rng.random() < rate:
                return {"Retry-After": str(max(1, math.ceil(float(self.settings["retry_after"]))))}
        return {}

    def busy_error(self, monitor_url=None, path=""):
        """409 AnotherOperationInProgress, as the network resource provider answers a write to a busy resource; for
        Azure Backup's items, policies and actions, Azure Backup's own 400 BMSUserErrorObjectLocked (the status code
        is the sandbox's choice: Azure Backup answers its user errors with 400)."""
        if is_backup_path(path):
            return ArmError(400, "BMSUserErrorObjectLocked", BACKUP_BUSY_MESSAGE, headers=self.busy_headers())
        message = BUSY_MESSAGE
        if monitor_url:
            message += f" To retrieve status of the operation use uri: {monitor_url}."
        return ArmError(409, "AnotherOperationInProgress", message, headers=self.busy_headers())

    def busy_lro_error(self, path=""):
        """The error object of a long-running operation that ended Failed because the resource was busy (Azure
        Backup's own codes for its items)."""
        with self._lock:
            codes = BACKUP_BUSY_LRO_CODES if is_backup_path(path) else self.settings["busy_lro_codes"]
            code = str(self._rng.choice(list(codes)))
        return {"code": code, "message": (BACKUP_BUSY_MESSAGE if is_backup_path(path) else BUSY_MESSAGE)
                + " The operation was not applied; retry it."}

    def latency(self, kind):
        if kind == "control" or (kind not in ("arm", "lro-poll", "login") and self.settings["apply_to"] != "all"):
            return 0.0
        return float(self.settings["latency_ms"]) / 1000.0

    def error_for(self, status, subscription, operation, time, tracking):
        code, template = _FAULT_ERRORS.get(status, ("InternalServerError", "Injected fault."))
        wait = self.settings["retry_after"]
        message = template.format(sub=subscription, op=operation, wait=wait, time=time, tracking=tracking)
        return ArmError(status, code, message, headers=retry_after_headers(wait))
