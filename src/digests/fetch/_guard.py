"""The SSRF guard: which URLs and addresses a fetch may reach.

Three checks, so that no spelling of an address and no DNS trick gets through:

1. ``check_url`` before any I/O: http or https only, a host, and if the host is an address
   (in any spelling: dotted, decimal, hex, octal, IPv6, and IPv6 carrying an IPv4 address:
   mapped, translated, compatible, NAT64, 6to4, Teredo) it must be public.
2. ``GuardedResolver``: every name is resolved by us, and addresses that are not public are
   dropped; aiohttp connects only to what the resolver returned.
3. ``guarded_socket_factory`` at connect time: the address the socket is about to connect to
   must be public, whatever produced it.

Every redirect hop goes through check 1 again (the fetcher follows redirects itself).
"""

from __future__ import annotations

import errno
import functools
import ipaddress
import socket
from urllib.parse import urlsplit

from aiohappyeyeballs import AddrInfoType, SocketFactoryType
from aiohttp.abc import ResolveResult
from aiohttp.resolver import ThreadedResolver

from digests.errors import FeedError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Prefixes whose last 32 bits are an IPv4 address: NAT64's well-known prefix (RFC 6052),
#: IPv4-translated (RFC 2765: ::ffff:0:a.b.c.d) and IPv4-compatible (RFC 4291, deprecated:
#: ::a.b.c.d; it holds :: and ::1 too, whose "IPv4" 0.0.0.0 and 0.0.0.1 is not public either).
_EMBEDDING_LAST_32 = (
    ipaddress.IPv6Network("64:ff9b::/96"),
    ipaddress.IPv6Network("::ffff:0:0:0/96"),
    ipaddress.IPv6Network("::/96"),
)
#: NAT64's local-use prefix (RFC 8215): a network picks its own prefix length in it, so where
#: the IPv4 address sits is unknown; IANA lists it as not globally reachable. Refused whole.
_LOCAL_NAT64 = ipaddress.IPv6Network("64:ff9b:1::/48")


class BlockedURLError(FeedError, ValueError):
    """A URL the guard refuses to fetch; ``key`` is the URL."""


def _embedded_ipv4(address: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, ...]:
    """The IPv4 addresses an IPv6 one carries, if any: mapped (::ffff:a.b.c.d), translated,
    compatible, NAT64, 6to4 (2002::/16), Teredo (2001::/32: the server, and the client, which
    Teredo stores XORed and ``ipaddress`` gives back in clear)."""
    if address.ipv4_mapped is not None:
        return (address.ipv4_mapped,)
    if any(address in prefix for prefix in _EMBEDDING_LAST_32):
        return (ipaddress.IPv4Address(int(address) & 0xFFFFFFFF),)
    if address.sixtofour is not None:
        return (address.sixtofour,)
    if address.teredo is not None:
        return address.teredo
    return ()


def is_public(address: IPAddress) -> bool:
    """True for a globally routable unicast address; False for loopback, private, link-local,
    multicast, reserved, unspecified and the like, however they are wrapped: an IPv6 address
    that carries an IPv4 one is public only if every IPv4 address it carries is."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id or address.is_site_local or address in _LOCAL_NAT64:
            return False  # site-local fec0::/10 is deprecated but still means "this site"
        inner = _embedded_ipv4(address)
        if inner:
            return all(is_public(ipv4) for ipv4 in inner)
    return address.is_global and not address.is_multicast


@functools.lru_cache(maxsize=4096)  # a poll checks the same few hosts thousands of times
def parse_address(host: str) -> IPAddress | None:
    """``host`` as an IP address if it spells one in any form, else None (a name)."""
    bare = host.strip("[]").removesuffix(".")  # "127.0.0.1." is 127.0.0.1 to a resolver
    try:
        return ipaddress.ip_address(bare.split("%")[0])
    except ValueError:
        pass
    try:  # the legacy forms the C resolver accepts: 2130706433, 0x7f000001, 0177.1, 127.1
        return ipaddress.IPv4Address(socket.inet_aton(bare))
    except OSError:
        return None


def check_url(url: str, *, allow_private: bool) -> str:
    """Return the URL if a fetch may try it; raise :class:`BlockedURLError` otherwise."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
        _ = parts.port  # raises ValueError for a port out of range
    except ValueError as error:
        raise BlockedURLError(url, "not a valid URL") from error
    if parts.scheme not in ("http", "https"):
        raise BlockedURLError(url, "only http and https URLs can be fetched")
    if not host:
        raise BlockedURLError(url, "the URL has no host")
    if parts.username or parts.password:
        raise BlockedURLError(url, "URLs with a user name or password are refused")
    address = parse_address(host)
    if address is None and not _encodable(host):
        raise BlockedURLError(url, "not a valid host name")
    if address is not None and not allow_private and not is_public(address):
        raise BlockedURLError(url, f"{address} is not a public address")
    return url.strip()


def _encodable(host: str) -> bool:
    """Whether the resolver can look ``host`` up at all: the IDNA codec it uses refuses an empty
    label or one over 63 characters (with UnicodeError, which no caller expects)."""
    try:
        host.encode("idna")
    except UnicodeError:
        return False
    return True


class RefusedAddressError(OSError):
    """Raised from the socket factory: the connection would go to a non-public address."""

    def __init__(self, address: IPAddress) -> None:
        super().__init__(errno.EACCES, f"refused to connect to {address}: not a public address")
        self.address = address


def guarded_socket_factory(*, allow_private: bool) -> SocketFactoryType | None:
    """A socket factory for aiohttp that refuses to connect to a non-public address.

    aiohttp calls it with the exact address it is about to connect to, so this is the check of
    the address actually connected to, made before a byte is sent.
    """
    if allow_private:
        return None

    def factory(addr_info: AddrInfoType) -> socket.socket:
        family, kind, proto, _name, sockaddr = addr_info
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if not is_public(address):
            raise RefusedAddressError(address)
        return socket.socket(family=family, type=kind, proto=proto)

    return factory


class GuardedResolver(ThreadedResolver):
    """Resolves with the system resolver, then drops every address that is not public."""

    def __init__(self, *, allow_private: bool) -> None:
        super().__init__()
        self._allow_private = allow_private

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await super().resolve(host, port, family)
        if self._allow_private:
            return found
        public = [item for item in found if is_public(ipaddress.ip_address(item["host"]))]
        if not public:
            addresses = ", ".join(sorted({item["host"] for item in found}))
            raise BlockedURLError(host, f"resolves only to non-public addresses ({addresses})")
        return public
