"""Regenerate the sandbox's compact schemas and conformance examples from the Azure REST API specs.

Run by hand when the saved specs change:

    python tests/sandbox/generate_schema.py [--specs-dir DIR] [--check]

It reads the OpenAPI (swagger 2.0) files in the specs directory ($AZBACKUP_SPECS_DIR, else the first
shared/reference/azure-specs next to the repository root or one of its ancestors) and writes:

* tests/sandbox/armsandbox/specschema/<file>.<Definition>.json: one compact schema per request body that
  strict mode validates (the `body_schema` of the sandbox's routes), and per answer the tests check against the
  specs (armsandbox.compactschema.ANSWER_SCHEMAS). Field names, JSON types, enums,
  required and read-only fields, with `allOf` flattened and `$ref`s resolved into a `types` table, and
  the source file, api-version and spec path/commit noted under `source`.
* tests/sandbox/tests/examples/: the spec examples that the conformance tests replay (the examples whose
  operation the sandbox implements), copied verbatim, plus `operations.json` (example -> operation).

--check compares instead of writing and exits 1 on any difference (tests/sandbox/tests/test_sandbox_schema.py
does the same when the specs directory exists). Output is deterministic: sorted keys, two-space indent.
"""

import argparse
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from armsandbox import compactschema  # noqa: E402
from armsandbox.schema import find_specs_dir  # noqa: E402

SCHEMA_DIR = compactschema.SCHEMA_DIR
EXAMPLES_DIR = os.path.join(HERE, "tests", "examples")
OPERATIONS_FILE = "operations.json"

# ARM common-types envelopes (common-types/resource-management/v3 types.json is not saved in the specs dir).
COMMON_FILE = "<common-types>"
COMMON_TYPES = {
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


def dumps(document):
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def read_sources(specs_dir):
    """saved file name -> {"path", "commit"} from the tables of SOURCES.md (abbreviated prefixes expanded)."""
    try:
        with open(os.path.join(specs_dir, "SOURCES.md"), encoding="utf-8") as fh:
            text = fh.read()
    except OSError:
        return {}
    prefixes = {}
    for match in re.finditer(r'^"?([.\w]+)"? = (specification/\S+?)[;,]?\s', text, re.MULTILINE):
        prefixes[match.group(1)] = match.group(2)
    sources = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not re.fullmatch(r"[0-9a-f]{40}", cells[2]):
            continue
        name = cells[0].split()[0]
        path = cells[1].split()[0]
        head, _sep, rest = path.partition("/")
        if head in prefixes:
            prefix = prefixes[head]
            if rest.split("/")[0] == prefix.rsplit("/", 1)[-1]:  # ".../RecoveryServices/stable/..." overlaps
                prefix = prefix.rsplit("/", 1)[0]
            path = f"{prefix}/{rest}"
        sources.setdefault(name, {"path": path, "commit": cells[2]})
    return sources


class Compactor:
    """Turns one swagger definition into the compact form that armsandbox.compactschema validates with."""

    def __init__(self, specs_dir):
        self.specs_dir = specs_dir
        self.documents = {}
        self.types = {}
        self.type_keys = {}  # (file, definition) -> key in self.types
        self.files = set()

    def load(self, name):
        if name == COMMON_FILE:
            return {"definitions": COMMON_TYPES}
        if name not in self.documents:
            try:
                with open(os.path.join(self.specs_dir, name), encoding="utf-8") as fh:
                    self.documents[name] = json.load(fh)
            except OSError:
                self.documents[name] = None
        return self.documents[name]

    def resolve(self, ref, current_file):
        """(schema, file, definition name) of a $ref, or (None, None, None) when its file is not saved."""
        target, _sep, pointer = ref.partition("#")
        if "common-types" in target:
            target = COMMON_FILE
        file_name = os.path.basename(target) if target else current_file
        node = self.load(file_name)
        if node is None:
            return None, None, None
        for part in pointer.strip("/").split("/"):
            node = node.get(part) if isinstance(node, dict) else None
            if node is None:
                return None, None, None
        if file_name != COMMON_FILE:
            self.files.add(file_name)
        return node, file_name, pointer.rsplit("/", 1)[-1]

    @staticmethod
    def kind(schema):
        return schema.get("type") or ("object" if ("properties" in schema or "allOf" in schema) else None)

    def node(self, schema, file_name):
        """Compact node of a property, items or additionalProperties schema."""
        read_only = bool(schema.get("readOnly"))
        if "$ref" in schema:
            target, target_file, def_name = self.resolve(schema["$ref"], file_name)
            if target is None:
                out = {}  # the $ref'd file is not saved: anything is accepted
            elif self.kind(target) == "object":
                out = {"ref": self.named_type(target, target_file, def_name)}
            else:
                out = self.node(target, target_file)
                out.pop("readOnly", None)  # only the property's own readOnly counts, as before
                if out:
                    out["name"] = def_name
        else:
            kind = self.kind(schema)
            if kind == "object":
                out = self.object_type(schema, file_name)
                out["type"] = "object"
            elif kind == "array":
                out = {"type": "array", "items": self.node(schema.get("items", {}), file_name)}
            elif kind in ("string", "integer", "number", "boolean"):
                out = {"type": kind}
                if schema.get("enum"):
                    out["enum"] = list(schema["enum"])
            else:
                out = {}
        if read_only:
            out["readOnly"] = True
        return out

    def named_type(self, schema, file_name, def_name):
        ident = (file_name, def_name)
        if ident in self.type_keys:
            return self.type_keys[ident]
        key = def_name if def_name not in self.types else f"{def_name}@{file_name}"
        self.type_keys[ident] = key
        self.types[key] = None  # placeholder: recursive types refer to the key before it is filled in
        body = self.object_type(schema, file_name)
        if key != def_name:
            body["name"] = def_name
        if schema.get("discriminator"):
            subtypes = self.subtypes(file_name, def_name)
            if subtypes:
                body["discriminator"] = schema["discriminator"]
                body["subtypes"] = subtypes
        self.types[key] = body
        return key

    def subtypes(self, file_name, base_name):
        """{discriminator value: type key} of the definitions of ``file_name`` derived (through allOf, at any depth)
        from ``base_name``: a polymorphic body is checked against the subtype its discriminator names."""
        definitions = (self.load(file_name) or {}).get("definitions") or {}

        def derives(name, seen=()):
            for base in (definitions.get(name) or {}).get("allOf", []):
                ref = base.get("$ref", "")
                if not ref.startswith("#/definitions/"):
                    continue
                parent = ref.rsplit("/", 1)[-1]
                if parent == base_name or (parent not in seen and derives(parent, seen + (name,))):
                    return True
            return False

        out = {}
        for name in sorted(definitions):
            if name != base_name and derives(name):
                value = definitions[name].get("x-ms-discriminator-value") or name
                out[value] = self.named_type(definitions[name], file_name, name)
        return out

    def object_type(self, schema, file_name):
        """Flatten properties/required/additionalProperties over allOf the way strict mode always has."""
        props, required, additional, open_base = {}, set(), None, False
        stack = [(schema, file_name)]
        while stack:
            node, node_file = stack.pop()
            if "$ref" in node:
                node, node_file, _name = self.resolve(node["$ref"], node_file)
                if node is None:
                    open_base = True  # unknown base type: any extra member is accepted
                    continue
            for key, sub in node.get("properties", {}).items():
                props.setdefault(key, (sub, node_file))
            required.update(node.get("required", []))
            if "additionalProperties" in node and additional is None:
                additional = (node["additionalProperties"], node_file)
            for base in node.get("allOf", []):
                stack.append((base, node_file))
        out = {}
        if props:
            out["properties"] = {key: self.node(sub, sub_file) for key, (sub, sub_file) in props.items()}
        if required:
            out["required"] = sorted(required)
        if open_base or (additional is None and not props) or (additional is not None and additional[0] is True):
            out["additional"] = {}
        elif additional is not None and isinstance(additional[0], dict):
            out["additional"] = self.node(additional[0], additional[1])
        return out


def _api_version(document):
    """info.version; an extract (e.g. RecoveryServicesBackup.bms-extract.json) keeps it in `_provenance`."""
    return (document.get("info") or {}).get("version") or (document.get("_provenance") or {}).get("info.version")


def compact_schema(specs_dir, schema_ref, sources):
    file_name, _sep, pointer = schema_ref.partition("#")
    compactor = Compactor(specs_dir)
    schema, file_name, def_name = compactor.resolve(f"{file_name}#{pointer}", file_name)
    if schema is None:
        raise SystemExit(f"{schema_ref}: not found in {specs_dir}")
    root = compactor.named_type(schema, file_name, def_name)
    document = compactor.load(file_name)
    files = {}
    for name in sorted(compactor.files):
        info = {"api_version": _api_version(compactor.load(name))}
        info.update(sources.get(name, {}))
        files[name] = info
    return {
        "schema": schema_ref,
        "root": root,
        "source": {
            "file": file_name,
            "definition": def_name,
            "api_version": _api_version(document),
            "repo": "Azure/azure-rest-api-specs",
            **sources.get(file_name, {}),
            "files": files,
            "note": "Facts taken from the official OpenAPI specs by tests/sandbox/generate_schema.py; do not edit by hand.",
        },
        "types": compactor.types,
    }


def operations(specs_dir):
    """example file name or operationId -> (operationId, method, path template, body parameter name)."""
    found = {}
    for name in sorted(os.listdir(specs_dir)):
        if not name.endswith(".json"):
            continue
        with open(os.path.join(specs_dir, name), encoding="utf-8") as fh:
            document = json.load(fh)
        for path, ops in (document.get("paths") or {}).items():
            for method, operation in ops.items():
                if not isinstance(operation, dict) or "operationId" not in operation:
                    continue
                body = next((p.get("name") for p in operation.get("parameters", []) if p.get("in") == "body"), None)
                entry = (operation["operationId"], method.upper(), path, body)
                found[operation["operationId"]] = entry
                for ref in (operation.get("x-ms-examples") or {}).values():
                    found[os.path.basename(ref["$ref"])] = entry
        extract = (document.get("_provenance") or {}).get("operation")
        if extract:
            found[extract["operationId"]] = (extract["operationId"], extract["method"], extract["path"], None)
    return found


def replayed_examples(specs_dir, routes):
    """{file name: (raw text, operation)} of the saved examples whose operation the sandbox implements."""
    ops = operations(specs_dir)
    cases = {}
    for name in sorted(n for n in os.listdir(specs_dir) if n.endswith(".json")):
        with open(os.path.join(specs_dir, name), encoding="utf-8") as fh:
            text = fh.read()
        example = json.loads(text)
        if not isinstance(example, dict) or "responses" not in example or "parameters" not in example:
            continue
        operation = ops.get(name) or ops.get(example.get("operationId"))
        if operation is None:
            continue
        segments = operation[2].strip("/").split("/")
        if any(r.method == operation[1] and r.match(segments) is not None for r in routes):
            cases[name] = (text, operation)
    return cases


def body_schemas(routes):
    """The request bodies strict mode validates, and the answers the tests check (compactschema.ANSWER_SCHEMAS)."""
    return sorted({r.body_schema for r in routes if r.body_schema} | set(compactschema.ANSWER_SCHEMAS))


def build(specs_dir):
    """{absolute path: file content} of everything the generator owns."""
    from armsandbox.server import Sandbox

    routes = Sandbox().routes
    sources = read_sources(specs_dir)
    out = {}
    for ref in body_schemas(routes):
        out[os.path.join(SCHEMA_DIR, compactschema.file_for(ref))] = dumps(compact_schema(specs_dir, ref, sources))
    index = {}
    for name, (text, operation) in replayed_examples(specs_dir, routes).items():
        out[os.path.join(EXAMPLES_DIR, name)] = text
        op_id, method, path, body = operation
        index[name] = {"operationId": op_id, "method": method, "path": path, "body": body,
                       "source": sources.get(name, {})}
    out[os.path.join(EXAMPLES_DIR, OPERATIONS_FILE)] = dumps(index)
    return out


def owned_files():
    """The generated files now in the repository (README.md of the examples is written by hand)."""
    found = set()
    for folder in (SCHEMA_DIR, EXAMPLES_DIR):
        if os.path.isdir(folder):
            found.update(os.path.join(folder, n) for n in os.listdir(folder) if n.endswith(".json"))
    return found


def differences(specs_dir):
    """Human-readable list of what differs between the repository and a fresh generation."""
    wanted = build(specs_dir)
    problems = []
    for path in sorted(set(wanted) | owned_files()):
        rel = os.path.relpath(path, os.path.dirname(os.path.dirname(HERE)))
        if path not in wanted:
            problems.append(f"{rel}: not generated from the specs any more (delete it)")
            continue
        try:
            with open(path, encoding="utf-8") as fh:
                current = fh.read()
        except OSError:
            problems.append(f"{rel}: missing")
            continue
        if current != wanted[path]:
            problems.append(f"{rel}: differs from the specs")
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--specs-dir", default=None, help="saved azure-rest-api-specs files (default: found)")
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 when anything differs")
    args = parser.parse_args(argv)
    specs_dir = args.specs_dir or find_specs_dir()
    if not specs_dir or not os.path.isdir(specs_dir):
        parser.error("no specs directory (set AZBACKUP_SPECS_DIR or pass --specs-dir)")
    if args.check:
        problems = differences(specs_dir)
        for line in problems:
            print(line)
        return 1 if problems else 0
    wanted = build(specs_dir)
    for stale in sorted(owned_files() - set(wanted)):
        os.remove(stale)
    for path, content in sorted(wanted.items()):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(content)
    print(f"wrote {len(wanted)} files from {specs_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
