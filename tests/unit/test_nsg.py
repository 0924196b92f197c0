"""Pure logic of the NSG rule modules: validation, translation, comparison, priorities, plans."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.azbackup.vmprep.plugins.module_utils import _nsg
from ansible_collections.azbackup.vmprep.plugins.module_utils._errors import AzbError

SUB = "11111111-1111-1111-1111-111111111111"


def opts(**kw):
    base = {"name": "r1", "state": "present", "direction": "Inbound", "access": "Allow", "protocol": "*",
            "priority": 100, "priority_range": None, "source_address_prefixes": ["*"],
            "destination_address_prefixes": ["*"], "source_port_ranges": ["*"], "destination_port_ranges": ["*"],
            "source_application_security_groups": [], "destination_application_security_groups": [],
            "description": ""}
    base.update(kw)
    return base


def spec(**kw):
    return _nsg.validate(opts(**kw), SUB, "rg")


def arm(name, priority, direction="Inbound", **props):
    body = {"protocol": "Tcp", "access": "Allow", "direction": direction, "priority": priority,
            "sourceAddressPrefix": "*", "destinationAddressPrefix": "*", "sourcePortRange": "*",
            "destinationPortRange": "*", "provisioningState": "Succeeded"}
    body.update(props)
    return {"name": name, "id": "/x/securityRules/" + name, "etag": 'W/"1"', "properties": body}


def nsg(*rules):
    return {"name": "nsg1", "location": "westeurope", "etag": 'W/"e1"', "tags": {"a": "b"},
            "properties": {"securityRules": list(rules), "defaultSecurityRules": [arm("DenyAllInBound", 65500)],
                           "provisioningState": "Succeeded"}}


# ---- validation ---------------------------------------------------------------------------------------------


def test_proxy_exception_rule_translates_to_singular_fields():
    s = spec(name="allow-proxy", direction="outbound", protocol="TCP", access="allow", priority=200,
             source_address_prefixes=["10.0.0.5/32"], destination_address_prefixes=["Internet"],
             destination_port_ranges=["80-443"])
    body = _nsg.to_arm(s, 200)
    assert body == {"name": "allow-proxy", "properties": {
        "protocol": "Tcp", "access": "Allow", "direction": "Outbound", "priority": 200,
        "sourceAddressPrefix": "10.0.0.5/32", "destinationAddressPrefix": "Internet",
        "sourcePortRange": "*", "destinationPortRange": "80-443"}}


def test_several_values_go_to_plural_fields():
    s = spec(source_address_prefixes=["10.0.0.0/24", "10.0.1.4"], destination_port_ranges=[443, "8080-8090"])
    props = _nsg.to_arm(s, 100)["properties"]
    assert props["sourceAddressPrefixes"] == ["10.0.0.0/24", "10.0.1.4"]
    assert "sourceAddressPrefix" not in props
    assert props["destinationPortRanges"] == ["443", "8080-8090"]
    assert "destinationPortRange" not in props


def test_service_tag_and_asg():
    s = spec(destination_address_prefixes=["Storage.WestEurope"], source_application_security_groups=["asg-web"],
             source_address_prefixes=None)
    props = _nsg.to_arm(s, 100)["properties"]
    assert props["destinationAddressPrefix"] == "Storage.WestEurope"
    assert props["sourceApplicationSecurityGroups"] == [
        {"id": "/subscriptions/%s/resourceGroups/rg/providers/Microsoft.Network/applicationSecurityGroups/asg-web" % SUB}]
    assert "sourceAddressPrefix" not in props


def test_asg_name_resolves_subscription_lazily():
    calls = []

    def sub():
        calls.append(1)
        return SUB

    _nsg.validate(opts(), sub, "rg")
    assert calls == []
    _nsg.validate(opts(destination_application_security_groups=["a1"], destination_address_prefixes=None), sub, "rg")
    assert calls == [1]


@pytest.mark.parametrize("kw, words", [
    (dict(name=""), ["name", "1-80"]),
    (dict(name="x" * 81), ["name", "1-80"]),
    (dict(name="-bad"), ["name", "starting"]),
    (dict(name="bad-"), ["name", "ending"]),
    (dict(name="a b"), ["name"]),
    (dict(direction="sideways"), ["direction", "Inbound, Outbound"]),
    (dict(access="maybe"), ["access", "Allow, Deny"]),
    (dict(protocol="sctp"), ["protocol", "Tcp, Udp, Icmp, Esp, Ah, *"]),
    (dict(priority=99), ["priority", "100-4096"]),
    (dict(priority=4097), ["priority", "100-4096"]),
    (dict(priority="high"), ["priority", "auto"]),
    (dict(priority=True), ["priority"]),
    (dict(priority=200, priority_range=[200, 299]), ["either priority", "priority_range"]),
    (dict(priority=None, priority_range=[300, 200]), ["priority_range", "lowest first"]),
    (dict(priority=None, priority_range=[50, 200]), ["priority_range", "100-4096"]),
    (dict(priority=None, priority_range=[200]), ["priority_range", "two numbers"]),
    (dict(description="d" * 141), ["description", "141", "140"]),
    (dict(source_address_prefixes=["10.0.0.0/33"]), ["source_address_prefixes", "10.0.0.0/33", "CIDR"]),
    (dict(source_address_prefixes=["10.0.0.256"]), ["source_address_prefixes", "10.0.0.256"]),
    (dict(source_address_prefixes=["10.0.0.5/24"]), ["source_address_prefixes", "10.0.0.0/24"]),
    (dict(source_address_prefixes=["not a tag!"]), ["source_address_prefixes", "service tag"]),
    (dict(source_address_prefixes=[]), ["source_address_prefixes", "empty"]),
    (dict(destination_address_prefixes=["AzureBackup", "10.0.0.0/24"]),
     ["destination_address_prefixes", "AzureBackup", "only prefix"]),
    (dict(destination_address_prefixes=["*", "10.0.0.0/24"]), ["destination_address_prefixes", "'*'"]),
    (dict(source_address_prefixes=["10.0.0.1", "2001:db8::1"]), ["source_address_prefixes", "IPv4 and IPv6"]),
    (dict(source_address_prefixes=["10.0.0.1"], destination_address_prefixes=["2001:db8::/64"]),
     ["source_address_prefixes", "destination_address_prefixes", "IPv4 and IPv6"]),
    (dict(destination_port_ranges=["65536"]), ["destination_port_ranges", "0-65535"]),
    (dict(destination_port_ranges=["443-80"]), ["destination_port_ranges", "443-80"]),
    (dict(destination_port_ranges=["http"]), ["destination_port_ranges", "N-M"]),
    (dict(destination_port_ranges=[-1]), ["destination_port_ranges", "-1"]),
    (dict(source_port_ranges=["*", "80"]), ["source_port_ranges", "'*'"]),
    (dict(source_port_ranges=[]), ["source_port_ranges", "empty"]),
    (dict(source_port_ranges=[True]), ["source_port_ranges"]),
    (dict(source_address_prefixes=["10.0.0.0/24"], source_application_security_groups=["a"]),
     ["source_address_prefixes", "source_application_security_groups", "not both"]),
    (dict(source_application_security_groups=["/subscriptions/x/bad"]), ["source_application_security_groups"]),
])
def test_rejected_input_names_the_option(kw, words):
    with pytest.raises(_nsg.Invalid) as err:
        spec(**kw)
    for word in words:
        assert word in err.value.msg, (word, err.value.msg)


def test_accepted_values():
    assert spec(priority="auto", priority_range=None)["priority_range"] == (100, 4096)
    assert spec(priority="auto", priority_range=[200, 299])["priority_range"] == (200, 299)
    assert spec(priority=None, priority_range=[200, 200])["priority_range"] == (200, 200)
    assert spec(priority="300")["priority"] == 300
    assert spec(destination_port_ranges=["0", "65535", "1-1", 22])["destination_port_ranges"] == ["0", "65535", "1", "22"]
    assert spec(source_address_prefixes=["2001:db8::/64", "2001:db8:1::1"])["source_address_prefixes"]
    assert spec(source_address_prefixes=["10.0.0.5", "10.0.0.5/32"])["source_address_prefixes"] == ["10.0.0.5"]
    for tag in ["AzureBackup", "Storage.WestEurope", "AzureActiveDirectory", "VirtualNetwork", "AzureCloud.eastus2",
                "AzureActiveDirectory.ServiceEndpoint", "Internet"]:
        assert spec(destination_address_prefixes=[tag])["destination_address_prefixes"] == [tag]
    assert spec(name="a")["name"] == "a"
    assert spec(name="a" * 80)["name"] == "a" * 80
    assert spec(name="rule_1.x-y_")["name"] == "rule_1.x-y_"
    assert spec(description="d" * 140)["description"] == "d" * 140
    assert _nsg.validate({"name": "gone", "state": "absent"}) == {"name": "gone", "state": "absent"}


def test_validate_many_names_the_item_and_rejects_duplicates():
    with pytest.raises(_nsg.Invalid) as err:
        _nsg.validate_many([opts(name="a"), opts(name="b", destination_port_ranges=["99999"])], SUB, "rg")
    assert "rules[1].destination_port_ranges" in err.value.msg
    with pytest.raises(_nsg.Invalid) as err:
        _nsg.validate_many([opts(name="a"), opts(name="A", priority=101)], SUB, "rg")
    assert "rules[1].name" in err.value.msg and "rules[0]" in err.value.msg


# ---- comparison ---------------------------------------------------------------------------------------------


def test_equal_rules_compare_equal():
    azure = arm("Allow-Proxy", 200, "outbound", protocol="tcp", access="allow", sourceAddressPrefix="10.0.0.5",
                destinationAddressPrefix="internet", destinationPortRange="", destinationPortRanges=["443", "80"],
                sourcePortRanges=[], sourceAddressPrefixes=[])
    s = spec(name="allow-proxy", direction="Outbound", protocol="Tcp", access="Allow", priority=200,
             source_address_prefixes=["10.0.0.5/32"], destination_address_prefixes=["Internet"],
             destination_port_ranges=["80", "443"])
    assert _nsg.same(azure, _nsg.to_arm(s, 200))


def test_differences_are_seen():
    base = _nsg.to_arm(spec(priority=200, destination_port_ranges=["443"]), 200)
    for change in (dict(priority=201), dict(destination_port_ranges=["444"]), dict(access="Deny"),
                   dict(description="x"), dict(source_address_prefixes=["10.0.0.0/24"])):
        kw = dict(priority=200, destination_port_ranges=["443"])
        kw.update(change)
        other = _nsg.to_arm(spec(**kw), kw["priority"])
        assert not _nsg.same(base, other), change


@given(st.lists(st.integers(0, 65535), min_size=2, max_size=6, unique=True), st.randoms())
def test_port_order_and_field_do_not_matter(ports, rnd):
    shuffled = list(ports)
    rnd.shuffle(shuffled)
    a = _nsg.to_arm(spec(destination_port_ranges=ports), 100)
    b = arm("r1", 100, protocol="*", destinationPortRange=None, destinationPortRanges=[str(p) for p in shuffled])
    assert _nsg.same(a, b)


@given(st.lists(st.ip_addresses(v=4), min_size=1, max_size=5, unique=True))
def test_host_addresses_equal_their_slash_32(addresses):
    plain = [str(a) for a in addresses]
    cidr = [str(a) + "/32" for a in reversed(addresses)]
    a = _nsg.to_arm(spec(source_address_prefixes=plain), 100)
    b = _nsg.to_arm(spec(source_address_prefixes=cidr), 100)
    assert _nsg.same(a, b)


def test_view_merges_fields():
    v = _nsg.view(arm("r", 100, sourceAddressPrefix=None, sourceAddressPrefixes=["10.0.0.0/24", "10.0.1.0/24"]))
    assert v["source_address_prefixes"] == ["10.0.0.0/24", "10.0.1.0/24"]
    assert v["destination_port_ranges"] == ["*"]


# ---- priorities and plans -----------------------------------------------------------------------------------


def test_priority_conflict_names_the_other_rule():
    with pytest.raises(AzbError) as err:
        _nsg.plan_one(spec(name="new", priority=200, direction="Outbound"), nsg(arm("proxy", 200, "Outbound")), "nsg1")
    assert "proxy" in err.value.msg and "200" in err.value.msg and err.value.code == "SecurityRuleConflict"
    # The same priority in the other direction is fine.
    _nsg.plan_one(spec(name="new", priority=200, direction="Inbound"), nsg(arm("proxy", 200, "Outbound")), "nsg1")


def test_automatic_priority_is_lowest_free_and_kept():
    current = nsg(arm("a", 200, "Outbound"), arm("b", 201, "Outbound"), arm("c", 202, "Inbound"))
    after, changed = _nsg.plan_one(spec(name="new", priority=None, priority_range=[200, 299], direction="Outbound"),
                                   current, "nsg1")[1:]
    assert after["properties"]["priority"] == 202 and changed
    # An existing rule keeps its priority, even when a lower one is free.
    current = nsg(arm("a", 205, "Outbound"))
    after = _nsg.plan_one(spec(name="a", priority="auto", priority_range=[200, 299], direction="Outbound",
                               protocol="Tcp"), current, "nsg1")[1]
    assert after["properties"]["priority"] == 205
    # ... unless it lies outside the range.
    after = _nsg.plan_one(spec(name="a", priority="auto", priority_range=[300, 399], direction="Outbound"),
                          current, "nsg1")[1]
    assert after["properties"]["priority"] == 300


def test_no_free_priority():
    current = nsg(arm("a", 200, "Outbound"))
    with pytest.raises(AzbError) as err:
        _nsg.plan_one(spec(name="b", priority=None, priority_range=[200, 200], direction="Outbound"), current, "nsg1")
    assert "no free" in err.value.msg and "priority_range" in err.value.msg


def test_plan_one_no_change_and_delete():
    current = nsg(arm("A", 100, protocol="Tcp"))
    before, after, changed = _nsg.plan_one(spec(name="a", protocol="tcp"), current, "nsg1")
    assert not changed and after["name"] == "A"
    before, after, changed = _nsg.plan_one({"name": "a", "state": "absent"}, current, "nsg1")
    assert changed and after is None and before["name"] == "A"
    assert _nsg.plan_one({"name": "zz", "state": "absent"}, current, "nsg1")[2] is False


def test_plan_many_batch_purge_and_order():
    current = nsg(arm("keep", 100), arm("old", 101), arm("same", 300, "Outbound"))
    specs = _nsg.validate_many([
        opts(name="same", priority=None, priority_range=[300, 399], direction="Outbound", protocol="Tcp"),
        opts(name="n1", priority=None, priority_range=[300, 399], direction="Outbound"),
        opts(name="n2", priority=None, priority_range=[300, 399], direction="Outbound"),
        opts(name="fixed", priority=305, direction="Outbound"),
        opts(name="old", state="absent"),
    ], SUB, "rg")
    plan = _nsg.plan_many(specs, current, "nsg1")
    by_name = {r["name"]: r["properties"]["priority"] for r in plan["rules"]}
    assert by_name == {"keep": 100, "same": 300, "n1": 301, "n2": 302, "fixed": 305}
    assert plan["created"] == ["n1", "n2", "fixed"] and plan["updated"] == [] and plan["removed"] == ["old"]
    purged = _nsg.plan_many(specs, current, "nsg1", purge=True)
    assert set(purged["removed"]) == {"keep", "old"}
    # Read-only fields are not sent back.
    assert all("provisioningState" not in r["properties"] for r in plan["rules"])


def test_plan_many_conflicts_name_both_rules():
    current = nsg(arm("keep", 100))
    specs = _nsg.validate_many([opts(name="x", priority=100)], SUB, "rg")
    with pytest.raises(AzbError) as err:
        _nsg.plan_many(specs, current, "nsg1")
    assert "'x'" in err.value.msg and "'keep'" in err.value.msg
    # With purge the unlisted rule goes away, so no conflict.
    assert _nsg.plan_many(specs, current, "nsg1", purge=True)["changed"]
    specs = _nsg.validate_many([opts(name="x", priority=150), opts(name="y", priority=150)], SUB, "rg")
    with pytest.raises(AzbError) as err:
        _nsg.plan_many(specs, nsg(), "nsg1")
    assert "'x'" in err.value.msg and "'y'" in err.value.msg


def test_plan_many_idempotent_and_body():
    specs = _nsg.validate_many([opts(name="r%d" % i, priority=None, priority_range=[200, 299]) for i in range(50)],
                               SUB, "rg")
    plan = _nsg.plan_many(specs, nsg(), "nsg1")
    assert len(plan["created"]) == 50
    assert sorted(r["properties"]["priority"] for r in plan["rules"]) == list(range(200, 250))
    applied = nsg(*[dict(r, properties=dict(r["properties"], provisioningState="Succeeded")) for r in plan["rules"]])
    again = _nsg.plan_many(specs, applied, "nsg1")
    assert not again["changed"]
    body = _nsg.nsg_body(applied, again["rules"])
    assert body["location"] == "westeurope" and body["tags"] == {"a": "b"}
    assert set(body["properties"]) == {"securityRules"}


def test_lowest_free():
    assert _nsg.lowest_free({100, 101, 103}, (100, 104)) == 102
    assert _nsg.lowest_free({100}, (100, 100)) is None


# ---- fail closed: left-out fields keep their values; a new rule needs every deciding field ---------------------


def only(**kw):
    """Only the options a task gives (everything else None, as AnsibleModule passes it)."""
    base = {k: None for k in _nsg.RULE_OPTIONS}
    base.update(state="present")
    base.update(kw)
    return base


NARROW = arm("NarrowOut", 400, "Outbound", access="Deny", sourceAddressPrefix="10.0.0.5/32",
             destinationAddressPrefix="Internet", destinationPortRange="443", description="narrow")


def test_rule_options_have_no_widening_defaults():
    for key in ("direction", "access", "protocol", "source_port_ranges", "destination_port_ranges",
                "source_address_prefixes", "destination_address_prefixes", "source_application_security_groups",
                "destination_application_security_groups", "description", "priority"):
        assert "default" not in _nsg.RULE_OPTIONS[key], key


def test_partial_update_keeps_every_left_out_field():
    s = _nsg.validate(only(name="narrowout", priority=410), SUB, "rg")
    before, after, changed = _nsg.plan_one(s, nsg(NARROW), "nsg1")
    assert changed and after["name"] == "NarrowOut"
    assert after["properties"] == dict({k: v for k, v in NARROW["properties"].items() if k != "provisioningState"},
                                       priority=410)
    # Nothing given but the name: no change at all (the priority is kept too).
    assert _nsg.plan_one(_nsg.validate(only(name="NarrowOut"), SUB, "rg"), nsg(NARROW), "nsg1")[2] is False
    # One side given: only that side changes; an ASG replaces the prefixes of its side.
    s = _nsg.validate(only(name="NarrowOut", destination_application_security_groups=["asg1"]), SUB, "rg")
    props = _nsg.plan_one(s, nsg(NARROW), "nsg1")[1]["properties"]
    assert props["sourceAddressPrefix"] == "10.0.0.5/32" and "destinationAddressPrefix" not in props
    assert props["destinationApplicationSecurityGroups"][0]["id"].endswith("/applicationSecurityGroups/asg1")
    assert (props["access"], props["description"]) == ("Deny", "narrow")
    # An empty description given removes it.
    s = _nsg.validate(only(name="NarrowOut", description=""), SUB, "rg")
    assert "description" not in _nsg.plan_one(s, nsg(NARROW), "nsg1")[1]["properties"]


def test_partial_update_in_a_batch_keeps_every_left_out_field():
    specs = _nsg.validate_many([only(name="NarrowOut", priority=420)], SUB, "rg")
    plan = _nsg.plan_many(specs, nsg(NARROW), "nsg1")
    assert plan["updated"] == ["NarrowOut"]
    props = plan["rules"][0]["properties"]
    assert (props["direction"], props["access"], props["protocol"], props["sourceAddressPrefix"],
            props["destinationAddressPrefix"], props["destinationPortRange"], props["priority"]) == \
        ("Outbound", "Deny", "Tcp", "10.0.0.5/32", "Internet", "443", 420)


def test_new_rule_needs_every_deciding_field_and_names_the_missing_ones():
    with pytest.raises(_nsg.Invalid) as err:
        _nsg.plan_one(_nsg.validate(only(name="fresh", priority=300), SUB, "rg"), nsg(NARROW), "nsg1")
    for word in ("'fresh'", "direction", "access", "protocol", "destination_port_ranges", "source_address_prefixes",
                 "source_application_security_groups", "destination_address_prefixes"):
        assert word in err.value.msg, word
    assert "source_port_ranges" not in err.value.msg and "priority" not in err.value.msg.split("Missing:")[1]
    specs = _nsg.validate_many([only(name="NarrowOut", priority=420),
                                only(name="fresh", direction="Inbound", access="Allow", protocol="Tcp",
                                     source_address_prefixes=["*"], destination_port_ranges=[22])], SUB, "rg")
    with pytest.raises(_nsg.Invalid) as err:
        _nsg.plan_many(specs, nsg(NARROW), "nsg1")
    missing = err.value.msg.split("Missing:")[1]
    assert "rules[1].destination_address_prefixes" in missing and "rules[1].priority" in missing
    assert "rules[1].direction" not in missing and "rules[0]" not in missing


def test_new_rule_defaults_only_source_ports_and_description():
    s = _nsg.validate(only(name="fresh", priority=300, direction="Inbound", access="Allow", protocol="Tcp",
                           source_address_prefixes=["10.0.0.0/24"], destination_application_security_groups=["a"],
                           destination_port_ranges=[22]), SUB, "rg")
    props = _nsg.plan_one(s, nsg(), "nsg1")[1]["properties"]
    assert props["sourcePortRange"] == "*" and "description" not in props


def test_kept_side_of_the_other_family_is_refused():
    s = _nsg.validate(only(name="NarrowOut", destination_address_prefixes=["2001:db8::/64"]), SUB, "rg")
    with pytest.raises(_nsg.Invalid) as err:
        _nsg.plan_one(s, nsg(NARROW), "nsg1")
    assert "IPv4 and IPv6" in err.value.msg


# ---- reads: raw JSON only, strict shape ---------------------------------------------------------------------------


@pytest.mark.parametrize("bad, words", [
    ([], ["not a JSON object"]),
    ({"name": "n", "security_rules": []}, ["no properties"]),
    ({"properties": "x"}, ["no properties"]),
    ({"properties": {}}, ["securityRules is not a list"]),
    ({"properties": {"securityRules": {}}}, ["securityRules is not a list"]),
    ({"properties": {"securityRules": [], "defaultSecurityRules": "x"}}, ["defaultSecurityRules"]),
    ({"properties": {"securityRules": ["x"]}}, ["rule is not a JSON object"]),
    ({"properties": {"securityRules": [{"properties": {}}]}}, ["no name"]),
    ({"properties": {"securityRules": [{"name": "r", "protocol": "Tcp"}]}}, ["'r'", "no properties"]),
])
def test_unknown_read_shapes_fail(bad, words):
    with pytest.raises(_nsg.Unreadable) as err:
        _nsg.check_nsg_shape(bad, "nsg1")
    assert err.value.code == "UnreadableAnswer" and "writes nothing" in err.value.msg
    for word in words:
        assert word in err.value.msg, (word, err.value.msg)


def test_rest_shape_passes():
    assert _nsg.check_nsg_shape(nsg(NARROW), "nsg1")["name"] == "nsg1"


# ---- application security group IDs ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", [
    "/subscriptions/x/bad",
    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1",
    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/n1",
    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/applicationSecurityGroups/a1/child/c1",
    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/applicationSecurityGroups/-bad",
])
def test_asg_ids_that_are_not_asgs_are_refused(value):
    with pytest.raises(_nsg.Invalid):
        _nsg.asg_id(value, SUB, "rg", "source_application_security_groups")


def test_asg_ids_are_kept_and_names_resolved():
    rid = "/subscriptions/s/resourceGroups/rg/providers/microsoft.network/applicationSecurityGroups/a1"
    assert _nsg.asg_id(rid, SUB, "rg", "x") == rid
    assert _nsg.asg_id("a1", SUB, "rg2", "x") == \
        "/subscriptions/%s/resourceGroups/rg2/providers/Microsoft.Network/applicationSecurityGroups/a1" % SUB


@pytest.mark.parametrize("port", ["\u00b2", "\u0661\u0660", "8\u00b2", "1_0", "\u00b2-80", "80-\u0663"])
def test_port_takes_only_ascii_digits(port):
    with pytest.raises(_nsg.Invalid) as err:
        _nsg.parse_port(port, "destination_port_ranges")
    assert "destination_port_ranges" in err.value.msg and "0-65535" in err.value.msg


@pytest.mark.parametrize("priority", ["1_00", "\u0661\u0660\u0660", "\u00b9\u2070\u2070", "２００", " 1_0_0 "])
def test_priority_takes_only_ascii_digits(priority):
    with pytest.raises(_nsg.Invalid) as err:
        _nsg.parse_priority(priority, None)
    assert "priority must be a number 100-4096 or 'auto'" in err.value.msg
    assert _nsg.parse_priority(" 200 ", None) == (200, None)


@pytest.mark.parametrize("prefix", ["fe80::1%eth0", "fe80::1%1", "fe80::%eth0/64"])
def test_ipv6_zone_id_is_refused(prefix):
    with pytest.raises(_nsg.Invalid) as err:
        _nsg.parse_prefix(prefix, "source_address_prefixes")
    text = err.value.msg
    assert "source_address_prefixes" in text and "zone ID" in text and "'%" + prefix.split("%")[1].split("/")[0] in text
    assert "%" not in text.split("such as")[1]
