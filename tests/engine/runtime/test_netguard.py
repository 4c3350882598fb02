"""The SSRF guard's decision, on addresses and hosts written every way a URL can write them; no network."""

from __future__ import annotations

import ipaddress

import httpx
import pytest

from engine.errors import StepError
from engine.runtime import netguard
from engine.runtime.addresses import embedded_ipv4, literal_address, refusal

# (host as a URL or resolver gives it, the reason it is refused)
REFUSED = [
    # IPv4-compatible (::/96), in dotted and hex spellings
    ("::127.0.0.1", "IPv4-compatible address embedding 127.0.0.1 (loopback)"),
    ("::7f00:1", "IPv4-compatible address embedding 127.0.0.1 (loopback)"),
    ("::a9fe:a9fe", "IPv4-compatible address embedding 169.254.169.254 (cloud metadata service)"),
    ("[::127.0.0.1]", "IPv4-compatible address embedding 127.0.0.1 (loopback)"),
    # NAT64, well-known /96 and local-use /48
    ("64:ff9b::127.0.0.1", "NAT64 address embedding 127.0.0.1 (loopback)"),
    ("64:ff9b::7f00:1", "NAT64 address embedding 127.0.0.1 (loopback)"),
    ("64:FF9B::A00:1", "NAT64 address embedding 10.0.0.1 (private)"),
    ("64:ff9b::169.254.169.254", "NAT64 address embedding 169.254.169.254 (cloud metadata service)"),
    ("64:ff9b::0.0.0.0", "NAT64 address embedding 0.0.0.0 ('this network')"),
    ("64:ff9b:1::127.0.0.1", "local-use NAT64 address embedding 127.0.0.1 (loopback)"),
    ("64:ff9b:1::8.8.8.8", "local-use NAT64"),
    # 6to4 (2002::/16): the IPv4 address is bits 16-47
    ("2002:7f00:1::", "6to4 address embedding 127.0.0.1 (loopback)"),
    ("2002:7f00:0001:0:0:0:0:1", "6to4 address embedding 127.0.0.1 (loopback)"),
    ("2002:a9fe:a9fe::1", "6to4 address embedding 169.254.169.254 (cloud metadata service)"),
    ("2002:c0a8:101::", "6to4 address embedding 192.168.1.1 (private)"),
    # IPv4-mapped (::ffff:0:0/96) and IPv4-translated (::ffff:0:0:0/96)
    ("::ffff:127.0.0.1", "IPv4-mapped address embedding 127.0.0.1 (loopback)"),
    ("::ffff:7f00:1", "IPv4-mapped address embedding 127.0.0.1 (loopback)"),
    ("::FFFF:7F00:1", "IPv4-mapped address embedding 127.0.0.1 (loopback)"),
    ("0:0:0:0:0:ffff:7f00:1", "IPv4-mapped address embedding 127.0.0.1 (loopback)"),
    ("::ffff:169.254.169.254", "IPv4-mapped address embedding 169.254.169.254 (cloud metadata service)"),
    ("::ffff:8.8.8.8", "IPv4-mapped"),
    ("::ffff:0:127.0.0.1", "IPv4-translated address embedding 127.0.0.1 (loopback)"),
    ("::ffff:0:7f00:1", "IPv4-translated address embedding 127.0.0.1 (loopback)"),
    # Teredo (2001::/32): server in bits 32-63, client inverted in the last 32
    ("2001:0:7f00:1::", "Teredo server address embedding 127.0.0.1 (loopback)"),
    ("2001:0:4136:e378:8000:63bf:f5ff:fffe", "Teredo client address embedding 10.0.0.1 (private)"),
    ("2001:0:4136:e378:8000:63bf:f7f7:f7f7", "Teredo"),
    # other special-purpose IPv6
    ("::1", "loopback"),
    ("0:0:0:0:0:0:0:1", "loopback"),
    ("[::1]", "loopback"),
    ("::", "unspecified"),
    ("fe80::1", "link-local"),
    ("fe80::1%eth0", "link-local"),
    ("fe80::1%25eth0", "link-local"),
    ("FE80::ABCD%lo", "link-local"),
    ("fec0::1", "site-local"),
    ("fd00::1", "unique local (private)"),
    ("fd00:ec2::254", "cloud metadata service"),
    ("100::1", "discard-only"),
    ("2001:2::1", "benchmarking"),
    ("2001:10::1", "ORCHID"),
    ("2001:20::1", "ORCHIDv2"),
    ("2001:db8::1", "documentation"),
    ("3fff::1", "documentation"),
    ("5f00::1", "segment routing SIDs"),
    ("ff02::1", "multicast"),
    ("ff0e::1", "multicast"),
    # IPv4, dotted and in the integer forms inet_aton reads
    ("127.0.0.1", "loopback"),
    ("127.0.0.1.", "loopback"),
    ("127.1", "loopback"),
    ("2130706433", "loopback"),
    ("0x7f.1", "loopback"),
    ("0X7F.0.0.1", "loopback"),
    ("017700000001", "loopback"),
    ("0x7f000001", "loopback"),
    ("0177.0.0.01", "loopback"),
    ("0", "'this network'"),
    ("10.0.0.1", "private"),
    ("172.16.5.4", "private"),
    ("192.168.1.1", "private"),
    ("169.254.1.1", "link-local"),
    ("169.254.169.254", "cloud metadata service"),
    ("2852039166", "cloud metadata service"),
    ("100.100.100.200", "cloud metadata service"),
    ("100.64.0.1", "shared address space (carrier-grade NAT)"),
    ("192.0.0.8", "IETF protocol assignments"),
    ("192.0.2.1", "documentation"),
    ("198.18.0.1", "benchmarking"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "broadcast"),
]

ALLOWED = [
    "8.8.8.8", "1.1.1.1", "93.184.215.14", "134744072", "0x08.0x08.0x08.0x08", "2606:4700::1111",
    "[2606:4700:4700::1111]", "2a00:1450:4001:82b::200e", "64:ff9b::8.8.8.8", "64:ff9b::808:808", "2002:808:808::1",
]


@pytest.mark.parametrize(("host", "reason"), REFUSED)
def test_refused_with_the_reason(host, reason):
    address = literal_address(host)

    assert address is not None, host
    assert refusal(address) == reason
    assert not netguard.is_public(address)


@pytest.mark.parametrize("host", ALLOWED)
def test_public_addresses_are_allowed(host):
    address = literal_address(host)

    assert address is not None and refusal(address) is None, (host, address and refusal(address))


def test_the_table_is_large():
    assert len(REFUSED) >= 40


@pytest.mark.parametrize(("url", "reason"), [
    ("http://[::127.0.0.1]:8080/", "IPv4-compatible address embedding 127.0.0.1 (loopback)"),
    ("http://[::FFFF:7F00:1]/x", "IPv4-mapped address embedding 127.0.0.1 (loopback)"),
    ("https://[64:ff9b::7f00:1]:443/", "NAT64 address embedding 127.0.0.1 (loopback)"),
    ("http://[2002:7f00:1::]/", "6to4 address embedding 127.0.0.1 (loopback)"),
    ("http://[fe80::1%25eth0]/", "link-local"),
    ("http://2130706433/", "loopback"),
    ("http://0x7f.1/", "loopback"),
    ("http://017700000001/", "loopback"),
    ("http://127.0.0.1./", "loopback"),
    ("http://user:pw@169.254.169.254/latest/meta-data/", "cloud metadata service"),
])
def test_urls_are_read_as_the_socket_would(url, reason):
    address = literal_address(httpx.URL(url).host)

    assert address is not None and refusal(address) == reason


@pytest.mark.parametrize("host", ["example.org", "localhost", "0x7f.example", "1.2.3.4.5", "08.1.1.1", "0x", "256.1",
                                  "1.2.3.256", "1.2.65536", "4294967296", "1..2", "", "+1", "1_0"])
def test_names_and_malformed_numbers_are_left_to_dns(host):
    assert literal_address(host) is None


def test_teredo_names_both_ends():
    address = ipaddress.IPv6Address("2001:0:4136:e378:8000:63bf:3fff:fdd2")

    assert [(form, str(inner)) for form, inner in embedded_ipv4(address)] == [
        ("Teredo server", "65.54.227.120"), ("Teredo client", "192.0.2.45")]


# ---- check(): the guard's answer for a URL --------------------------------------------------


async def test_a_refusal_names_host_address_reason_and_the_allow_list():
    with pytest.raises(StepError) as refused:
        await netguard.check(httpx.URL("http://[::127.0.0.1]:8080/"), frozenset())

    assert refused.value.kind == "blocked"
    message = refused.value.message
    assert "::127.0.0.1 (::7f00:1): not a public address: IPv4-compatible address embedding 127.0.0.1" in message
    assert "LOOM_HTTP_ALLOW=::127.0.0.1" in message


async def test_an_integer_host_is_decided_without_dns():
    with pytest.raises(StepError, match=r"2130706433 \(127\.0\.0\.1\): not a public address: loopback"):
        await netguard.check(httpx.URL("http://2130706433/"), frozenset())


async def test_a_public_integer_host_is_pinned_to_its_dotted_address():
    target = await netguard.check(httpx.URL("http://134744072:8080/x"), frozenset())

    assert target.address == "8.8.8.8"
    request = target.request(httpx.AsyncClient(), "GET", {})
    assert str(request.url) == "http://8.8.8.8:8080/x" and request.headers["host"] == "134744072:8080"


@pytest.mark.parametrize("allow", [{"127.0.0.1"}, {"127.0.0.1:8080"}])
async def test_the_allow_list_opens_a_named_host(allow):
    target = await netguard.check(httpx.URL("http://127.0.0.1:8080/"), frozenset(allow))

    assert target.address is None


@pytest.mark.parametrize("url", ["http://2130706433:8080/", "http://[::ffff:127.0.0.1]:8080/", "http://127.1:8080/",
                                 "http://127.0.0.1:8081/"])
async def test_the_allow_list_opens_only_the_host_as_written(url):
    with pytest.raises(StepError) as refused:
        await netguard.check(httpx.URL(url), frozenset({"127.0.0.1:8080"}))

    assert refused.value.kind == "blocked"


async def test_an_allowed_ipv6_host_may_be_written_with_or_without_brackets():
    for allow in ("::1", "[::1]", "[::1]:8080"):
        assert (await netguard.check(httpx.URL("http://[::1]:8080/"), frozenset({allow}))).address is None


# ---- check_api_base(): a model's base URL -----------------------------------------------------


@pytest.mark.parametrize(("base", "why"), [
    ("http://127.0.0.1:11434", "loopback"),
    ("http://localhost:11434/v1", "loopback"),  # resolved from /etc/hosts, not the network
    ("https://[::ffff:a9fe:a9fe]/v1", "IPv4-mapped address embedding 169.254.169.254 (cloud metadata service)"),
    ("http://metadata.google.internal/v1", "a cloud metadata service"),
])
async def test_a_private_api_base_is_blocked(base, why):
    with pytest.raises(StepError) as refused:
        await netguard.check_api_base(base, frozenset())

    assert refused.value.kind == "blocked"
    assert refused.value.message.startswith("api_base: refused to connect to ")
    assert why in refused.value.message and "LOOM_HTTP_ALLOW" in refused.value.message


@pytest.mark.parametrize("base", ["127.0.0.1:11434", "ftp://example.org/", "file:///etc/passwd", "/v1", "http://"])
async def test_an_api_base_that_is_no_http_url_is_the_workflows_error(base):
    with pytest.raises(StepError) as refused:
        await netguard.check_api_base(base, frozenset())

    assert refused.value.kind == "error" and "api_base" in refused.value.message


async def test_an_allowed_api_base_passes():
    await netguard.check_api_base("http://127.0.0.1:11434", frozenset({"127.0.0.1"}))
    await netguard.check_api_base("http://[2606:4700::1111]/v1", frozenset())
