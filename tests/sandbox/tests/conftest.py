"""Fixtures for the ARM sandbox tests: one sandbox process per session, reset before every test."""

import os
import sys

import pytest

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
SANDBOX_DIR = os.path.dirname(TESTS_DIR)
for path in (SANDBOX_DIR, TESTS_DIR):
    if path not in sys.path:
        sys.path.insert(0, path)

from armsandbox.client import start_sandbox
from sandbox_testlib import Clients, RawArm


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory):
    handle = start_sandbox(str(tmp_path_factory.mktemp("armsandbox")))
    yield handle
    handle.stop()


@pytest.fixture(autouse=True)
def _fresh_sandbox(request):
    """Every test that uses the sandbox starts from the empty state with default settings."""
    if "sandbox" in request.fixturenames:
        request.getfixturevalue("sandbox").control.reset()


@pytest.fixture
def arm(sandbox):
    return RawArm(sandbox)


@pytest.fixture(scope="session")
def clients(sandbox):
    return Clients(sandbox)
