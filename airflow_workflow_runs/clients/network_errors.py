"""What kept a request from being answered, read from whatever an SDK raised: one reading for every
service, so an unreachable endpoint is told apart (refused, timed out, a name that did not resolve,
TLS) from a service that answered, and the message says which.

SDKs wrap the socket's error in their own (botocore's ``EndpointConnectionError``, urllib3's
``MaxRetryError``, azure-core's ``ServiceRequestError``, Tea's ``UnretryableException``), sometimes
only as text, so both the exception chain and its text are read.
"""

from __future__ import annotations

import socket
import ssl

REFUSED = "the connection was refused (nothing listens at that host and port)"
DNS = "the host name did not resolve (check the host, region or site)"
TIMEOUT = "the connection timed out"
TLS = "the TLS handshake failed (check the CA bundle and that the endpoint speaks HTTPS)"

_BY_TEXT = (
    (DNS, ("name or service not known", "nodename nor servname", "temporary failure in name resolution",
           "getaddrinfo failed", "no address associated", "failed to resolve", "nameresolutionerror",
           "name resolution")),
    (REFUSED, ("connection refused", "actively refused", "errno 111")),
    (TLS, ("certificate_verify_failed", "certificate verify failed", "wrong_version_number", "ssl:")),
    (TIMEOUT, ("timed out", "timeout")),
)  # fmt: skip


def network_failure(error: BaseException) -> str | None:
    """Why the request got no answer, if the network is why (see the constants); else ``None``."""
    chain = list(_chain(error))
    for kind, types in ((DNS, (socket.gaierror,)), (REFUSED, (ConnectionRefusedError,)), (TLS, (ssl.SSLError,))):
        if any(isinstance(item, types) for item in chain):
            return kind
    text = " ".join(f"{type(item).__name__} {item}" for item in chain).lower()
    for kind, needles in _BY_TEXT:
        if any(needle in text for needle in needles):
            return kind
    if any(isinstance(item, TimeoutError) for item in chain):
        return TIMEOUT
    return None


def _chain(error: BaseException, depth: int = 8) -> list[BaseException]:
    """``error`` and what it wraps: causes, contexts, and the errors SDKs keep in attributes or args."""
    seen: list[BaseException] = []
    todo: list[BaseException] = [error]
    while todo and len(seen) < depth * 4:
        item = todo.pop(0)
        if any(item is known for known in seen):
            continue
        seen.append(item)
        wrapped = [item.__cause__, item.__context__, *item.args]
        wrapped += [getattr(item, name, None) for name in ("reason", "inner_exception", "original_error", "inner")]
        todo.extend(e for e in wrapped if isinstance(e, BaseException))
    return seen
