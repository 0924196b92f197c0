# Copyright: contributors to the azbackup.vmprep collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter cidr_errors: what is wrong with each entry of a list of IPv4/IPv6 addresses or CIDRs (real parser)."""

from __future__ import annotations

DOCUMENTATION = r"""
name: cidr_errors
short_description: Say what is wrong with each entry of a list of IPv4/IPv6 addresses or CIDRs
version_added: 1.0.0
description:
  - Checks each entry with Python's C(ipaddress) parser and returns one message per entry that is not a plain
    IPv4 or IPv6 address or CIDR. An empty list means every entry is valid.
  - The guest roles use it in their preflight checks, so a bad entry fails the play before any change.
  - Refused, each with its own message, naming the option given in O(option) - not text; an empty entry;
    non-ASCII characters or whitespace (a trailing newline included); an IPv6 zone id (C(%eth0)); an address
    or prefix length the parser does not accept (C(999.999.999.999/8), C(:)); a netmask instead of a prefix length
    (C(10.0.0.0/255.0.0.0), which firewall backends do not all read); host bits set after the prefix
    (C(10.1.2.3/8), with the network to use instead); a prefix length of 0 (C(0.0.0.0/0), C(::/0)), which
    means every address, unless O(allow_any=true).
options:
  _input:
    description: The entries to check. A single string is checked as a list of one.
    type: list
    elements: raw
    required: true
  option:
    description: The name of the option the entries come from, used in every message.
    type: str
    default: cidrs
  allow_any:
    description:
      - Accept a prefix length of 0 (every IPv4 or IPv6 address).
      - Read with Ansible's boolean rules, so the string V(false) (as C(-e) passes it) is false; a value that is not
        a boolean is an error.
    type: bool
    default: false
  allow_any_option:
    description: The name of the role variable that sets O(allow_any), named in the message about a prefix length of 0.
    type: str
"""

EXAMPLES = r"""
- name: Fail before any change when a CIDR is not valid
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems | join('; ') }}"
  vars:
    problems: "{{ my_cidrs | azbackup.vmprep.cidr_errors(option='my_cidrs') }}"
"""

RETURN = r"""
_value:
  description: One message per invalid entry, in input order; empty when every entry is valid.
  type: list
  elements: str
"""

import ipaddress

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.parsing.convert_bool import boolean


def _problem(entry, option, allow_any, allow_any_option):
    if not isinstance(entry, str):
        return "%s: %r is not a string; give an IPv4/IPv6 address or CIDR such as 10.0.0.0/16" % (option, entry)
    text = to_text(entry)
    shown = repr(text)
    if not text:
        return "%s: an entry is empty" % option
    if not text.isascii() or any(ch.isspace() for ch in text):
        return "%s: %s has whitespace or non-ASCII characters" % (option, shown)
    if "%" in text:
        return "%s: %s has an IPv6 zone id (%%...), which a firewall or proxy rule cannot use" % (option, shown)
    prefix = text.partition("/")[2]
    if "/" in text and not (prefix.isdigit() and len(prefix) <= 3):
        return "%s: %s has a netmask or an odd prefix after /; write the prefix length, such as 10.0.0.0/16" % (
            option, shown)
    try:
        network = ipaddress.ip_network(text, strict=True)
    except ValueError as exc:
        if "has host bits set" in str(exc):
            fixed = ipaddress.ip_network(text, strict=False)
            return "%s: %s has host bits set after the prefix length; did you mean %s?" % (option, shown, fixed)
        return "%s: %s is not an IPv4/IPv6 address or CIDR (%s)" % (option, shown, exc)
    if network.prefixlen == 0 and not allow_any:
        how = ("set %s: true" % allow_any_option) if allow_any_option else "set allow_any=true"
        return "%s: %s allows every address; list the virtual-network CIDRs instead, or %s" % (option, shown, how)
    return None


def cidr_errors(values, option="cidrs", allow_any=False, allow_any_option=None):
    if values is None:
        return ["%s: no value given" % option]
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, (list, tuple)):
        raise AnsibleFilterError("cidr_errors expects a list, got %s" % type(values).__name__)
    try:
        # Ansible's own boolean parsing: the string "false" (as -e gives it) must not allow every address.
        allow_any = boolean(allow_any, strict=True)
    except TypeError as exc:
        raise AnsibleFilterError("cidr_errors: allow_any must be a boolean (%s)" % exc)
    out = []
    for entry in values:
        problem = _problem(entry, option, allow_any, allow_any_option)
        if problem:
            out.append(problem)
    return out


class FilterModule(object):
    def filters(self):
        return {"cidr_errors": cidr_errors}
