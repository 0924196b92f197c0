"""The compact schemas and conformance examples carried in the repository.

They are generated from the Azure REST API specs by tests/sandbox/generate_schema.py. Without the specs
directory, the files are checked for shape and coverage; with it, they must equal what the generator makes
(so the committed facts cannot drift from the specs silently).
"""

import json
import os

import generate_schema
import pytest
from armsandbox import compactschema
from armsandbox.server import Sandbox


def _routes_with_schema():
    return sorted({r.body_schema for r in Sandbox().routes if r.body_schema} | set(compactschema.ANSWER_SCHEMAS))


def test_every_validated_body_has_a_compact_schema():
    wanted = {compactschema.file_for(ref): ref for ref in _routes_with_schema()}
    carried = sorted(n for n in os.listdir(compactschema.SCHEMA_DIR) if n.endswith(".json"))
    assert carried == sorted(wanted), "run tests/sandbox/generate_schema.py"
    for name, ref in wanted.items():
        path = os.path.join(compactschema.SCHEMA_DIR, name)
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        document = json.loads(text)
        assert text == generate_schema.dumps(document), f"{name}: not in the generator's format"
        assert document["schema"] == ref
        assert document["root"] in document["types"]
        source = document["source"]
        assert source["file"] == ref.partition("#")[0]
        assert source["api_version"] and source["commit"] and source["path"].startswith("specification/")
        for key, obj in document["types"].items():
            for node in (obj.get("properties") or {}).values():
                if "ref" in node:
                    assert node["ref"] in document["types"], f"{name}: {key} refers to a missing type"


def test_examples_readme_names_the_source_and_license():
    with open(os.path.join(generate_schema.EXAMPLES_DIR, "README.md"), encoding="utf-8") as fh:
        text = fh.read()
    assert "Azure/azure-rest-api-specs" in text and "MIT" in text


def test_carried_files_equal_the_specs():
    specs_dir = generate_schema.find_specs_dir()
    if specs_dir is None:
        pytest.skip("azure-specs directory not found: the carried schemas/examples were not compared with the specs")
    problems = generate_schema.differences(specs_dir)
    assert not problems, "run tests/sandbox/generate_schema.py:\n" + "\n".join(problems)
