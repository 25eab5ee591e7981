"""The SSRF guard's address rules, without any I/O."""

from __future__ import annotations

import ipaddress

import pytest

from digests.fetch import BlockedURLError, check_url, is_public
from digests.fetch._guard import parse_address


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
        "0.0.0.0", "255.255.255.255", "224.0.0.1", "240.0.0.1", "192.0.2.1",
        "::1", "::", "fe80::1", "fc00::1", "ff02::1",
        "::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::7f00:1", "2002:7f00:1::1",
    ],
)  # fmt: skip
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


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
