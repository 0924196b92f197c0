"""Long-running operations.

Like Azure, an operation finishes on the clock, whoever polls: its deadline is fixed when it
starts, `lro_polls` x `lro_retry_after` seconds later (the time a client that polls as told by
Retry-After needs to see the end), capped at `lro_max_seconds`. Any ARM request after the deadline
(a GET of the resource or of the status URL) sees the final state. Polls are still counted: the
`lro_polls`-th poll also ends the operation, so a client polling faster than told, or a test,
does not have to wait. When an operation finishes its `on_done` callback applies the final state
change (e.g. provisioningState -> Succeeded, or the removal of a deleted resource). `lock_key`
marks a resource (e.g. an NSG) as busy while the operation runs.
"""

import time

from .common import iso_now, new_guid


class Operation:
    def __init__(self, op_id, polls_needed, deadline, lock_key, on_done, result, info):
        self.id = op_id
        self.status = "InProgress"
        self.polls = 0
        self.polls_needed = polls_needed
        self.deadline = deadline
        self.lock_key = lock_key
        self.on_done = on_done
        self.result = result  # callable -> response body for "operation results" endpoints
        self.info = dict(info)
        self.start_time = iso_now()
        self.end_time = None
        self.error = None
        self.fail_with = None  # an error object: the operation ends Failed with it and on_done never runs

    @property
    def done(self):
        return self.status != "InProgress"


class LroManager:
    def __init__(self, settings):
        self.settings = settings  # shared dict with lro_polls / lro_max_seconds
        self.ops = {}

    def reset(self):
        self.ops = {}

    def start(self, lock_key=None, on_done=None, result=None, **info):
        polls = int(self.settings.get("lro_polls", 1))
        deadline = time.monotonic() + self.duration(polls)
        op = Operation(new_guid(), polls, deadline, lock_key, on_done, result, info)
        self.ops[op.id] = op
        if polls <= 0:
            self._finish(op)
        return op

    def duration(self, polls):
        """Seconds an operation takes on the clock: polls x the Retry-After interval, capped at lro_max_seconds."""
        cap = float(self.settings.get("lro_max_seconds", 3.0))
        interval = max(0.0, float(self.settings.get("lro_retry_after", 0.05)))
        return max(0.0, min(cap, polls * interval))

    def _finish(self, op, status="Succeeded", error=None):
        if op.done:
            return
        if op.fail_with is not None:
            status, error = "Failed", op.fail_with
        op.status = status
        op.error = error
        op.end_time = iso_now()
        if op.on_done is not None and op.fail_with is None:
            op.on_done(op)

    def sweep(self):
        """Finish every operation whose wall-clock deadline has passed."""
        now = time.monotonic()
        for op in list(self.ops.values()):
            if not op.done and now >= op.deadline:
                self._finish(op)

    def poll(self, op_id):
        """Count one status poll; returns the operation (None if unknown)."""
        op = self.ops.get(op_id)
        if op is None:
            return None
        if not op.done:
            op.polls += 1
            if op.polls >= op.polls_needed:
                self._finish(op)
        return op

    def busy(self, lock_key):
        """The unfinished operation holding lock_key, if any."""
        self.sweep()
        for op in self.ops.values():
            if not op.done and op.lock_key == lock_key:
                return op
        return None
