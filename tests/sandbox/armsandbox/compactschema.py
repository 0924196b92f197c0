"""Strict-mode validation from the compact schemas carried in the repository (armsandbox/specschema/).

Each request body that strict mode checks has one JSON file, generated from the official OpenAPI specs
by tests/sandbox/generate_schema.py (field names, JSON types, enums, required and read-only fields, with
`allOf` flattened and `$ref`s resolved). No specs directory is needed at run time.

File layout: {"schema": "<spec file>#/definitions/<Name>", "root": "<type key>", "source": {...},
"types": {key: object type}}. An object type is {"properties": {name: node}, "required": [...],
"additional": node, "name": ..., "discriminator": ..., "subtypes": {...}}: without "additional", members that
are not listed are rejected; "name" is the type name when it differs from the key; a polymorphic type (a spec
`discriminator`) names its subtypes by discriminator value, and a body whose discriminator names one is checked
against that subtype instead. A node is {"ref": key} (an object type), {"type":
"object", ...object type...} (an inline object), {"type": "array", "items": node}, {"type":
"string"|"integer"|"number"|"boolean", "enum": [...]} or {} (anything); it may carry "readOnly": true and
"name" (the definition name reported in errors).
"""

import json
import os
import threading

from .common import ArmError

SCHEMA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "specschema")

# Definitions whose compact schemas are carried to check the sandbox's own answers (GET and list items) against the
# specs in the tests, besides the request bodies that strict mode validates.
ANSWER_SCHEMAS = (
    "routeTable.json#/definitions/RouteTable",
    "natGateway.json#/definitions/NatGateway",
    "virtualNetwork.json#/definitions/VirtualNetwork",
    "virtualNetwork.json#/definitions/Subnet",
    "publicIpAddress.json#/definitions/PublicIPAddress",
    "networkInterface.json#/definitions/NetworkInterface",
    # Azure Backup (polymorphic in the spec: the tests check each answer's `properties` against its subtype).
    "RecoveryServicesBackup.bms-extract.json#/definitions/AzureIaaSVMProtectionPolicy",
    "RecoveryServicesBackup.bms-extract.json#/definitions/SimpleSchedulePolicy",
    "RecoveryServicesBackup.bms-extract.json#/definitions/SimpleSchedulePolicyV2",
    "RecoveryServicesBackup.bms-extract.json#/definitions/LongTermRetentionPolicy",
    "RecoveryServicesBackup.bms-extract.json#/definitions/AzureIaaSComputeVMProtectedItem",
    "RecoveryServicesBackup.bms-extract.json#/definitions/AzureIaaSComputeVMProtectableItem",
    "RecoveryServicesBackup.bms-extract.json#/definitions/AzureIaaSVMJob",
    "RecoveryServicesBackup.bms-extract.json#/definitions/BackupStatusResponse",
)


def file_for(schema_ref):
    """networkSecurityGroup.json#/definitions/SecurityRule -> networkSecurityGroup.SecurityRule.json"""
    file_name, _sep, pointer = schema_ref.partition("#")
    stem = os.path.splitext(os.path.basename(file_name))[0]
    return f"{stem}.{pointer.rsplit('/', 1)[-1]}.json"


def strict_problem(stats):
    """Why strict validation did not cover a session, from GET /_sandbox/strict's counts; None when it did.

    Every PUT/PATCH/POST body of a route with a schema must have been validated or rejected: a body that was
    neither means strict mode was off (or validation was skipped) for it."""
    unchecked = stats["bodies"] - stats["validated"] - stats["rejected"]
    if unchecked:
        return (f"strict validation did not run on {unchecked} of {stats['bodies']} PUT/PATCH/POST bodies "
                f"(validated {stats['validated']}, rejected {stats['rejected']})")
    if stats["bodies"] and not stats["validated"]:
        return f"strict validation passed none of {stats['bodies']} PUT/PATCH/POST bodies"
    return None


def invalid(message):
    return ArmError(400, "InvalidRequestContent",
                    f"The request content was invalid and could not be deserialized: '{message}'.")


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class CompactValidator:
    """Validates bodies against the compact schemas; counts what it validated and rejected."""

    def __init__(self, schema_dir=SCHEMA_DIR):
        self.schema_dir = schema_dir
        self._schemas = {}
        self._lock = threading.Lock()
        self.bodies = 0
        self.validated = 0
        self.rejected = 0

    def stats(self):
        """Counts since start-up (a reset does not clear them): PUT/PATCH/POST bodies of routes with a schema, and how
        many of them strict mode validated or rejected. bodies > validated + rejected means some went unchecked."""
        with self._lock:
            return {"bodies": self.bodies, "validated": self.validated, "rejected": self.rejected,
                    "schema_dir": self.schema_dir}

    def check(self, schema_ref, body, strict):
        """Called by the server for every PUT/PATCH/POST body of a route with a schema; validates when strict."""
        with self._lock:
            self.bodies += 1
        if strict:
            self.validate(schema_ref, body)

    def load(self, schema_ref):
        """The compact schema of a body; a missing file is an error (strict mode must not pass silently)."""
        if schema_ref not in self._schemas:
            path = os.path.join(self.schema_dir, file_for(schema_ref))
            with open(path, encoding="utf-8") as fh:
                document = json.load(fh)
            if document.get("schema") != schema_ref:
                raise ValueError(f"{path} holds {document.get('schema')!r}, not {schema_ref!r}")
            self._schemas[schema_ref] = document
        return self._schemas[schema_ref]

    def validate(self, schema_ref, body):
        document = self.load(schema_ref)
        root = document["root"]
        try:
            self._check(document["types"], {"ref": root}, body, "", root)
        except ArmError:
            with self._lock:
                self.rejected += 1
            raise
        with self._lock:
            self.validated += 1

    @staticmethod
    def _subtype(obj, value):
        """The type key of the subtype a polymorphic body names in its discriminator (None: the base type)."""
        subtypes = obj.get("subtypes")
        if not subtypes:
            return None
        named = value.get(obj["discriminator"])
        if not isinstance(named, str):
            return None
        if named in subtypes:
            return subtypes[named]
        return next((key for name, key in subtypes.items() if name.lower() == named.lower()), None)

    def _check(self, types, node, value, path, type_name):
        if "ref" in node:
            obj = types[node["ref"]]
            type_name = obj.get("name", node["ref"])
            kind = "object"
        else:
            obj = node
            type_name = node.get("name", type_name)
            kind = node.get("type")
        if value is None or kind is None:
            return
        where = path or "(root)"
        if kind == "object":
            if not isinstance(value, dict):
                raise invalid(f"Error converting value {json.dumps(value)} to type '{type_name}'. Path '{where}'")
            subtype = self._subtype(obj, value)
            if subtype is not None:
                self._check(types, {"ref": subtype}, value, path, type_name)
                return
            props = obj.get("properties", {})
            additional = obj.get("additional")
            for key, item in value.items():
                child_path = f"{path}.{key}" if path else key
                if key in props:
                    self._check(types, props[key], item, child_path, key)
                elif additional is not None:
                    self._check(types, additional, item, child_path, key)
                else:
                    raise invalid(f"Could not find member '{key}' on object of type '{type_name}'. Path '{child_path}'")
            for key in obj.get("required", ()):
                if key not in value and not props.get(key, {}).get("readOnly"):
                    raise invalid(f"Required property '{key}' not found in JSON. Path '{where}'")
        elif kind == "array":
            if not isinstance(value, list):
                raise invalid(f"Error converting value {json.dumps(value)} to type 'List'. Path '{where}'")
            for index, item in enumerate(value):
                self._check(types, node.get("items", {}), item, f"{path}[{index}]", type_name)
        elif kind == "string":
            # ARM's deserialiser turns a JSON number into a string (e.g. destinationPortRange: 80).
            if _number(value):
                value = str(value)
            if not isinstance(value, str):
                raise invalid(f"Error converting value {json.dumps(value)} to type 'System.String'. Path '{where}'")
            enum = node.get("enum")
            if enum and value.lower() not in {str(e).lower() for e in enum}:
                raise invalid(f"Error converting value \"{value}\" to type '{type_name}'. "
                              f"Allowed values: {', '.join(map(str, enum))}. Path '{where}'")
        elif kind == "integer":
            if isinstance(value, bool) or not isinstance(value, int):
                raise invalid(f"Error converting value {json.dumps(value)} to type 'System.Int32'. Path '{where}'")
        elif kind == "number":
            if not _number(value):
                raise invalid(f"Error converting value {json.dumps(value)} to type 'System.Double'. Path '{where}'")
        elif kind == "boolean" and not isinstance(value, bool):
            raise invalid(f"Error converting value {json.dumps(value)} to type 'System.Boolean'. Path '{where}'")
