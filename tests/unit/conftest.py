"""Make the collection importable as ansible_collections.azbackup.vmprep for unit tests."""

import os
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TREE = os.path.join(ROOT, "build", "unit")
LINK = os.path.join(TREE, "ansible_collections", "azbackup", "vmprep")
os.makedirs(os.path.dirname(LINK), exist_ok=True)
if not os.path.islink(LINK):
    os.symlink(ROOT, LINK)
if TREE not in sys.path:
    sys.path.insert(0, TREE)
