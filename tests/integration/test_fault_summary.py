"""The closing line of the integration suite (issue 13: "fault profile none: ... 1245 faults injected" read as a
contradiction). Faults that tests set themselves are counted apart from the profile's."""

from conftest import fault_summary
import pytest

pytestmark = pytest.mark.sdk_independent


def test_profile_none_injects_nothing_and_says_who_did():
    line = fault_summary("none", {"tests": 300, "requests": 40000, "faults": 0, "own_fault_tests": 25,
                                  "own_faults": 1245})
    assert line.startswith("fault profile none: 300 tests, 40000 sandbox requests; the profile injects no faults")
    assert "1245 more by the 25 test(s) that set faults of their own" in line
    assert "1245 faults injected" not in line


def test_a_profile_counts_its_own_faults():
    line = fault_summary("busy", {"tests": 10, "requests": 900, "faults": 120, "own_fault_tests": 0, "own_faults": 0})
    assert line == "fault profile busy: 10 tests, 900 sandbox requests; 120 faults injected by the profile"


def test_no_tests_no_line():
    assert fault_summary("none", {"tests": 0, "requests": 0, "faults": 0, "own_fault_tests": 0, "own_faults": 0}) == ""
