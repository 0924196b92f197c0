"""Loading fixture documents (see docs/sandbox.md for the format) into the sandbox state."""

import json

from . import asg, backup, compute, identity, network, resources, routing, vaults


def load(sandbox, data):
    if isinstance(data, str):
        with open(data, encoding="utf-8") as fh:
            data = json.load(fh)
    resources.load(sandbox, data)
    counts = {}
    for module in (network, routing, asg, identity, vaults, compute, backup):
        for key, loader in module.LOADERS:
            for spec in data.get(key, []):
                sub = spec.get("subscription_id") or sandbox.default_subscription
                if sandbox.state.subscription(sub) is None:
                    sandbox.state.add_subscription({"subscription_id": sub})
                if sandbox.state.resource_group(sub, spec["resource_group"]) is None:
                    resources.add_group(sandbox, sub, spec["resource_group"], spec.get("location") or "westeurope")
                loader(sandbox, spec, sub)
                counts[key] = counts.get(key, 0) + 1
    network.relink(sandbox)
    return {"loaded": counts}
