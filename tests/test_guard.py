"""The SSRF guard's address rules, without any I/O."""

from __future__ import annotations

import ipaddress
import socket

import pytest
from aiohttp.resolver import ThreadedResolver

from digests.fetch import BlockedURLError, check_url, is_public
from digests.fetch._guard import (
    GuardedResolver,
    RefusedAddressError,
    guarded_socket_factory,
    parse_address,
)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
        "0.0.0.0", "255.255.255.255", "224.0.0.1", "240.0.0.1", "192.0.2.1",
        "::1", "::", "fe80::1", "fc00::1", "ff02::1", "fec0::1",
        "::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::7f00:1", "2002:7f00:1::1",
    ],
)  # fmt: skip
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


#: IPv6 addresses that carry a non-public IPv4 address, in every way IPv6 can carry one.
EMBEDDING_PRIVATE = [
    "::127.0.0.1",  # IPv4-compatible
    "::10.0.0.1",
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:0:127.0.0.1",  # IPv4-translated (SIIT)
    "::ffff:0:169.254.169.254",
    "64:ff9b::127.0.0.1",  # NAT64, well-known prefix
    "64:ff9b::a9fe:a9fe",
    "64:ff9b:1::7f00:1",  # NAT64, local-use prefix (any length inside it)
    "64:ff9b:1:7f00:1::",
    "64:ff9b:1:808:808::",
    "2002:7f00:1::1",  # 6to4
    "2002:a9fe:a9fe::1",
    "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo: client 127.0.0.1, XORed
    "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo: client 10.0.0.1
    "2001:0:a00:1:8000:63bf:f7f7:f7f7",  # Teredo: server 10.0.0.1, public client
]
#: The same wrappings around a public IPv4 address: nothing wrong with these.
EMBEDDING_PUBLIC = ["::ffff:8.8.8.8", "64:ff9b::8.8.8.8", "2002:808:808::1", "::ffff:0:8.8.8.8"]


@pytest.mark.parametrize("address", EMBEDDING_PRIVATE)
def test_an_ipv6_address_carrying_a_private_ipv4_one_is_refused(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))
    with pytest.raises(BlockedURLError, match="is not a public address"):
        check_url(f"http://[{address}]:8080/feed", allow_private=False)


@pytest.mark.parametrize("address", EMBEDDING_PRIVATE)
async def test_a_name_resolving_to_an_embedded_private_address_is_refused(
    address: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def resolve(
        _self: ThreadedResolver, host: str, port: int = 0, family: int = socket.AF_INET
    ) -> list[dict[str, object]]:
        return [
            {"hostname": host, "host": address, "port": port, "family": socket.AF_INET6,
             "proto": 0, "flags": socket.AI_NUMERICHOST},
        ]  # fmt: skip

    monkeypatch.setattr(ThreadedResolver, "resolve", resolve)
    with pytest.raises(BlockedURLError, match="resolves only to non-public addresses"):
        await GuardedResolver(allow_private=False).resolve("news.example", 80)


@pytest.mark.parametrize("address", EMBEDDING_PRIVATE)
def test_a_connection_to_an_embedded_private_address_is_refused(address: str) -> None:
    factory = guarded_socket_factory(allow_private=False)
    assert factory is not None
    with pytest.raises(RefusedAddressError):
        factory((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, 80, 0, 0)))


@pytest.mark.parametrize("address", EMBEDDING_PUBLIC)
def test_an_ipv6_address_carrying_a_public_ipv4_one_passes(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))


def test_a_host_name_no_resolver_can_encode_is_refused_before_any_io() -> None:
    url = "http://" + "a" * 64 + ".com/feed"
    with pytest.raises(BlockedURLError, match="not a valid host name"):
        check_url(url, allow_private=False)
    with pytest.raises(BlockedURLError, match="not a valid host name"):
        check_url("http://news..example/feed", allow_private=False)
    assert check_url("http://bücher.example/feed", allow_private=False)


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8"]
)
def test_public_addresses_pass(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("[::ffff:127.0.0.1]", "::ffff:7f00:1"),
        ("news.example", None),
    ],
)
def test_every_spelling_of_an_address_is_recognised(host: str, expected: str | None) -> None:
    parsed = parse_address(host)
    assert (str(parsed) if parsed else None) == expected


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("file:///etc/passwd", "only http and https"),
        ("/etc/passwd", "only http and https"),
        ("ftp://news.example/feed", "only http and https"),
        ("gopher://news.example/", "only http and https"),
        ("http:///feed.xml", "no host"),
        ("http://user:pw@news.example/feed", "user name or password"),
        ("http://127.0.0.1/feed", "127.0.0.1 is not a public address"),
        ("http://2130706433/feed", "127.0.0.1 is not a public address"),
        ("http://0x7f000001/feed", "127.0.0.1 is not a public address"),
        ("http://[::1]:8080/feed", "::1 is not a public address"),
        ("http://[::ffff:127.0.0.1]/feed", "is not a public address"),
        ("http://169.254.169.254/latest/meta-data/", "is not a public address"),
        ("http://news.example:99999/", "not a valid URL"),
    ],
)
def test_urls_are_refused_before_any_io(url: str, reason: str) -> None:
    with pytest.raises(BlockedURLError, match=reason) as caught:
        check_url(url, allow_private=False)
    assert caught.value.url == url
    assert isinstance(caught.value, ValueError)


def test_private_addresses_pass_only_when_allowed() -> None:
    assert check_url("http://127.0.0.1:8080/feed", allow_private=True)
    assert check_url(" https://news.example/feed.xml ", allow_private=False) == (
        "https://news.example/feed.xml"
    )
    with pytest.raises(BlockedURLError):
        check_url("file:///etc/passwd", allow_private=True)  # the scheme rule always holds


@pytest.mark.parametrize("host", ["127.0.0.1.", "0x7f.1.", "10.0.0.1."])
def test_an_address_with_a_trailing_dot_is_refused_before_any_io(host: str) -> None:
    with pytest.raises(BlockedURLError):
        check_url(f"http://{host}/feed.xml", allow_private=False)
