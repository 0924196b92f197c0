"""Filter azbackup.vmprep.cidr_errors: the CIDR checks of the guest roles (issue 13 cases and their neighbours)."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.azbackup.vmprep.plugins.filter.cidr_errors import FilterModule, cidr_errors

OPT = "proxy_server_allowed_cidrs"


def one(entry, **kwargs):
    """The single message for one entry (asserts there is exactly one)."""
    out = cidr_errors([entry], option=OPT, **kwargs)
    assert len(out) == 1, out
    assert out[0].startswith(OPT + ": "), out
    return out[0]


def test_registered_as_filter():
    assert FilterModule().filters()["cidr_errors"] is cidr_errors


@pytest.mark.parametrize("entry", [
    "10.0.0.0/16", "10.1.2.3", "10.1.2.3/32", "192.168.0.0/24", "2001:db8::/32", "2001:db8::1", "fd00::/8",
    "::1/128", "172.16.0.0/12",
])
def test_valid_entries(entry):
    assert cidr_errors([entry], option=OPT) == []


def test_valid_list_and_single_string():
    assert cidr_errors(["10.0.0.0/16", "2001:db8::/48"]) == []
    assert cidr_errors("10.0.0.0/16") == []


# --- the cases from issue 13 -----------------------------------------------------------------------------------
@pytest.mark.parametrize("entry", ["0.0.0.0/0", "::/0"])
def test_prefix_zero_refused_by_default(entry):
    msg = one(entry)
    assert "allows every address" in msg
    assert "allow_any=true" in msg


@pytest.mark.parametrize("entry", ["0.0.0.0/0", "::/0"])
def test_prefix_zero_names_the_opt_in_variable(entry):
    msg = one(entry, allow_any_option="proxy_server_allow_any_source")
    assert "set proxy_server_allow_any_source: true" in msg


@pytest.mark.parametrize("entry", ["0.0.0.0/0", "::/0", "1.0.0.0/0"])
def test_prefix_zero_accepted_with_allow_any(entry):
    if entry == "1.0.0.0/0":  # host bits are still refused with the opt-in
        assert "host bits" in one(entry, allow_any=True)
    else:
        assert cidr_errors([entry], option=OPT, allow_any=True) == []


@pytest.mark.parametrize("value", ["false", "no", "0", "off", 0, False])
def test_allow_any_false_as_string_does_not_open(value):
    # -e proxy_server_allow_any_source=false arrives as the string "false": it must not allow 0.0.0.0/0
    assert "allows every address" in one("0.0.0.0/0", allow_any=value)


@pytest.mark.parametrize("value", ["true", "yes", "1", 1, True])
def test_allow_any_true_forms(value):
    assert cidr_errors(["::/0"], allow_any=value) == []


@pytest.mark.parametrize("value", ["maybe", None, "", [1]])
def test_allow_any_not_a_boolean_is_an_error(value):
    with pytest.raises(AnsibleFilterError, match="allow_any must be a boolean"):
        cidr_errors(["10.0.0.0/8"], allow_any=value)


@pytest.mark.parametrize("entry", [":", "999.999.999.999/8", "10.0.0.0/33", "2001:db8::/129", "10.0.0", "example.com",
                                   "10.0.0.0/", "/8", "10.0.0.0/+8", "10.0.0.0/-8", "10.0.0.0/8/8", "1.2.3.4.5"])
def test_not_an_address_or_cidr(entry):
    msg = one(entry)
    assert repr(entry) in msg
    assert "not an IPv4/IPv6 address or CIDR" in msg or "prefix after /" in msg


# --- zone ids, host bits, netmasks ---------------------------------------------------------------------------------
@pytest.mark.parametrize("entry", ["fe80::1%eth0", "fe80::/64%eth0", "fe80::1%1", "%"])
def test_zone_id_refused(entry):
    assert "zone id" in one(entry)


@pytest.mark.parametrize("entry, network", [
    ("10.1.2.3/8", "10.0.0.0/8"), ("192.168.1.1/24", "192.168.1.0/24"), ("2001:db8::1/32", "2001:db8::/32"),
])
def test_host_bits_name_the_network(entry, network):
    msg = one(entry)
    assert "host bits set" in msg
    assert "did you mean %s?" % network in msg


@pytest.mark.parametrize("entry", ["10.0.0.0/255.0.0.0", "10.0.0.0/0.255.255.255", "10.0.0.0/0.0.0.0"])
def test_netmask_form_refused(entry):
    # ipaddress reads these as /8 (or /0); nftables, ufw and firewalld do not all accept them
    assert "write the prefix length" in one(entry)


# --- whitespace, non-ASCII, empty, non-strings ----------------------------------------------------------------------
@pytest.mark.parametrize("entry", ["10.0.0.0/8\n", "10.0.0.0/8\r\n", " 10.0.0.0/8", "10.0.0.0/8 ", "10.0.0.0/\t8",
                                   "10.0.0.0/8\n0.0.0.0/0", "10.0.0.0/8\x0b", "10.0.0.0/8\u2028"])
def test_whitespace_refused(entry):
    assert "whitespace or non-ASCII" in one(entry)


@pytest.mark.parametrize("entry", ["１０.0.0.0/8", "10.0.0.0/٨", "10.0.0.0/²", "10.0.0.0/８", "fe80::ａ"])
def test_non_ascii_refused(entry):
    assert "whitespace or non-ASCII" in one(entry)


def test_empty_entry():
    assert one("") == OPT + ": an entry is empty"


@pytest.mark.parametrize("entry", [None, 10, 3.5, True, ["10.0.0.0/8"], {"cidr": "10.0.0.0/8"}, b"10.0.0.0/8"])
def test_non_string_entry(entry):
    assert "is not a string" in one(entry)


def test_none_value():
    assert cidr_errors(None, option=OPT) == [OPT + ": no value given"]


@pytest.mark.parametrize("value", [{"a": 1}, 10, 3.5])
def test_value_not_a_list_is_an_error(value):
    with pytest.raises(AnsibleFilterError, match="expects a list"):
        cidr_errors(value)


def test_one_message_per_bad_entry_in_input_order():
    out = cidr_errors(["10.0.0.0/8", "0.0.0.0/0", "10.1.2.3/8", "10.2.0.0/16", ":"], option="x")
    assert len(out) == 3
    assert "'0.0.0.0/0'" in out[0]
    assert "'10.1.2.3/8'" in out[1]
    assert "':'" in out[2]


def test_default_option_name():
    assert cidr_errors([":"])[0].startswith("cidrs: ")
