"""Fault injection: latency, random ARM-shaped 429/500/503 errors and dropped connections.

Faults are decided before a request has any effect, so a faulted write never changes state.
Control calls (/_sandbox/...) are never faulted.
"""

import random
import threading

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
}

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

    def configure(self, **changes):
        unknown = set(changes) - set(DEFAULTS)
        if unknown:
            raise ValueError(f"unknown fault settings: {sorted(unknown)}")
        with self._lock:
            self.settings.update(changes)
            if "seed" in changes:
                self._rng = random.Random(changes["seed"])
        return dict(self.settings)

    def clear(self):
        with self._lock:
            self.settings.clear()
            self.settings.update(DEFAULTS)
            self._rng = random.Random()

    def applies(self, kind):
        if kind == "control":
            return False
        if self.settings["apply_to"] == "all":
            return True
        return kind in ("arm", "lro-poll")

    def decide(self, kind):
        """Return None or one of 'drop', 429, 500, 503 for a request of this kind."""
        if not self.applies(kind):
            return None
        with self._lock:
            s = self.settings
            if kind == "lro-poll" and s["lro_drop_rate"] and self._rng.random() < s["lro_drop_rate"]:
                return "drop"
            if s["drop_rate"] and self._rng.random() < s["drop_rate"]:
                return "drop"
            if s["fault_rate"] and self._rng.random() < s["fault_rate"]:
                return int(self._rng.choice(list(s["fault_statuses"])))
        return None

    def latency(self, kind):
        if kind == "control" or (kind not in ("arm", "lro-poll", "login") and self.settings["apply_to"] != "all"):
            return 0.0
        return float(self.settings["latency_ms"]) / 1000.0

    def error_for(self, status, subscription, operation, time, tracking):
        code, template = _FAULT_ERRORS.get(status, ("InternalServerError", "Injected fault."))
        wait = self.settings["retry_after"]
        message = template.format(sub=subscription, op=operation, wait=wait, time=time, tracking=tracking)
        return ArmError(status, code, message, headers=retry_after_headers(wait))
