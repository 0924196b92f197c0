"""Strict mode: validate PUT/PATCH bodies against the OpenAPI (swagger 2.0) specs.

Checks JSON types (a JSON number is accepted for a string, as ARM converts it), `required` (read-only
properties are never required), enums (case-insensitive, as ARM deserialises them) and unknown
properties. The facts come from the compact schemas carried in armsandbox/specschema/ (see
compactschema.py), which tests/sandbox/generate_schema.py makes from the specs directory that
find_specs_dir() finds; the specs themselves are only needed to regenerate them.
"""

import os

from .compactschema import SCHEMA_DIR, CompactValidator


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


class SpecValidator(CompactValidator):
    """The strict-mode validator: the compact schemas in armsandbox/specschema/, no specs directory needed."""

    def __init__(self, schema_dir=None):
        super().__init__(schema_dir or SCHEMA_DIR)

    @property
    def specs_dir(self):
        """Where the schemas come from (reported in sandbox.json and by POST /_sandbox/strict)."""
        return self.schema_dir
