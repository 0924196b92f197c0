"""Strict mode: validate PUT/PATCH bodies against the OpenAPI (swagger 2.0) specs.

Checks JSON types, `required` (read-only properties are never required), enums (case-insensitive,
as ARM deserialises them) and unknown properties. `$ref`s are resolved across the spec files in
the specs directory; a `$ref` to a file that is not there (e.g. applicationSecurityGroup.json)
accepts anything, and the ARM common-types Resource/TrackedResource/ProxyResource are built in.
"""

import json
import os
import sys

from .common import ArmError

_COMMON_TYPES = {
    "Resource": {
        "type": "object",
        "properties": {
            "id": {"type": "string", "readOnly": True},
            "name": {"type": "string", "readOnly": True},
            "type": {"type": "string", "readOnly": True},
            "systemData": {"type": "object", "readOnly": True, "additionalProperties": True},
        },
    },
    "TrackedResource": {
        "type": "object",
        "properties": {
            "tags": {"type": "object", "additionalProperties": {"type": "string"}},
            "location": {"type": "string"},
        },
        "required": ["location"],
        "allOf": [{"$ref": "#/definitions/Resource"}],
    },
    "ProxyResource": {"type": "object", "allOf": [{"$ref": "#/definitions/Resource"}]},
}
_COMMON_FILE = "<common-types>"


def find_specs_dir():
    """AZBACKUP_SPECS_DIR, else the first ancestor of the repo root holding shared/reference/azure-specs."""
    env = os.environ.get("AZBACKUP_SPECS_DIR")
    if env:
        return env if os.path.isdir(env) else None
    here = os.path.dirname(os.path.abspath(__file__))
    repo_root = os.path.abspath(os.path.join(here, "..", "..", ".."))
    current = repo_root
    while True:
        candidate = os.path.join(os.path.dirname(current), "shared", "reference", "azure-specs")
        if os.path.isdir(candidate):
            return candidate
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def _invalid(message):
    return ArmError(400, "InvalidRequestContent",
                    f"The request content was invalid and could not be deserialized: '{message}'.")


class SpecValidator:
    def __init__(self, specs_dir=None):
        self.specs_dir = specs_dir or find_specs_dir()
        self._files = {}
        self._warned = False

    def _load(self, name):
        if name == _COMMON_FILE:
            return {"definitions": _COMMON_TYPES}
        if name not in self._files:
            path = os.path.join(self.specs_dir or "", os.path.basename(name))
            try:
                with open(path, encoding="utf-8") as fh:
                    self._files[name] = json.load(fh)
            except OSError:
                self._files[name] = None
        return self._files[name]

    def _resolve(self, ref, current_file):
        """Return (schema, file, definition name) for a $ref, or (None, None, None) if unavailable."""
        target, _unused, pointer = ref.partition("#")
        if "common-types" in target:
            target = _COMMON_FILE
        file_name = os.path.basename(target) if target else current_file
        document = self._load(file_name)
        if document is None:
            return None, None, None
        node = document
        for part in pointer.strip("/").split("/"):
            node = node.get(part) if isinstance(node, dict) else None
            if node is None:
                return None, None, None
        return node, file_name, pointer.rsplit("/", 1)[-1]

    def validate(self, schema_ref, body):
        if not self.specs_dir:
            if not self._warned:
                sys.stderr.write("sandbox: strict mode enabled but no specs directory found; not validating\n")
                self._warned = True
            return
        file_name, _unused, pointer = schema_ref.partition("#")
        schema, file_name, type_name = self._resolve(f"{file_name}#{pointer}", file_name)
        if schema is None:
            return
        self._check(schema, body, "", file_name, type_name)

    def _collect(self, schema, file_name, type_name):
        """Merge properties/required/additionalProperties over allOf; returns a flat view."""
        props, required, additional = {}, set(), None
        stack = [(schema, file_name)]
        while stack:
            node, node_file = stack.pop()
            if "$ref" in node:
                node, node_file, _unused = self._resolve(node["$ref"], node_file)
                if node is None:
                    additional = True  # unknown base type: accept anything extra
                    continue
            for key, sub in node.get("properties", {}).items():
                props.setdefault(key, (sub, node_file))
            required.update(node.get("required", []))
            if "additionalProperties" in node and additional is None:
                additional = (node["additionalProperties"], node_file)
            for base in node.get("allOf", []):
                stack.append((base, node_file))
        return props, required, additional

    def _check(self, schema, value, path, file_name, type_name):
        if "$ref" in schema:
            schema, file_name, type_name = self._resolve(schema["$ref"], file_name)
            if schema is None:
                return
        if value is None:
            return
        kind = schema.get("type") or ("object" if ("properties" in schema or "allOf" in schema) else None)
        where = path or "(root)"
        if kind == "object":
            if not isinstance(value, dict):
                raise _invalid(f"Error converting value {json.dumps(value)} to type '{type_name}'. Path '{where}'")
            props, required, additional = self._collect(schema, file_name, type_name)
            for key, item in value.items():
                child_path = f"{path}.{key}" if path else key
                if key in props:
                    sub, sub_file = props[key]
                    self._check(sub, item, child_path, sub_file, key)
                elif isinstance(additional, tuple) and isinstance(additional[0], dict):
                    self._check(additional[0], item, child_path, additional[1], key)
                elif additional is True or (isinstance(additional, tuple) and additional[0] is True):
                    continue
                elif props or additional is not None:
                    raise _invalid(f"Could not find member '{key}' on object of type '{type_name}'. Path '{child_path}'")
            for key in sorted(required):
                sub = props.get(key, ({}, None))[0]
                if key not in value and not sub.get("readOnly"):
                    raise _invalid(f"Required property '{key}' not found in JSON. Path '{where}'")
        elif kind == "array":
            if not isinstance(value, list):
                raise _invalid(f"Error converting value {json.dumps(value)} to type 'List'. Path '{where}'")
            for index, item in enumerate(value):
                self._check(schema.get("items", {}), item, f"{path}[{index}]", file_name, type_name)
        elif kind == "string":
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                value = str(value)  # ARM's JSON reader turns a number into a string (e.g. destinationPortRange: 80)
            if not isinstance(value, str):
                raise _invalid(f"Error converting value {json.dumps(value)} to type 'System.String'. Path '{where}'")
            enum = schema.get("enum")
            if enum and value.lower() not in {str(e).lower() for e in enum}:
                raise _invalid(f"Error converting value \"{value}\" to type '{type_name}'. "
                               f"Allowed values: {', '.join(map(str, enum))}. Path '{where}'")
        elif kind == "integer":
            if isinstance(value, bool) or not isinstance(value, int):
                raise _invalid(f"Error converting value {json.dumps(value)} to type 'System.Int32'. Path '{where}'")
        elif kind == "number":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise _invalid(f"Error converting value {json.dumps(value)} to type 'System.Double'. Path '{where}'")
        elif kind == "boolean" and not isinstance(value, bool):
            raise _invalid(f"Error converting value {json.dumps(value)} to type 'System.Boolean'. Path '{where}'")
