"""Conventions shared by this provider's own connection types.

- The standard **Host** field, when set, overrides the service endpoint (proxies, sovereign
  clouds, private endpoints, the emulator). A host without a scheme means ``https://``; the
  **Port** field is appended when set.
- The extra field **ca_bundle** names a CA bundle file used to verify TLS.
- Extras stored from a URI arrive as strings: :func:`extra_str`, :func:`extra_bool` and
  :func:`extra_number` coerce them (and refuse what is not a value, naming the field).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from airflow.sdk import Connection


def extras(conn: Connection | None) -> dict[str, Any]:
    return dict(conn.extra_dejson) if conn is not None else {}


def extra_str(conn: Connection | None, key: str) -> str | None:
    """A non-empty string extra, or None (the UI stores empty fields as '' or null)."""
    value = extras(conn).get(key)
    if value is None:
        return None
    value = str(value).strip()
    return value or None


N = TypeVar("N", int, float)


def extra_number(conn: Connection | None, key: str, default: N, *, minimum: float = 0, above: bool = False) -> N:
    """A numeric extra (a whole number when ``default`` is an int), ``>= minimum`` (``> minimum``
    with ``above``), or ``default`` when unset; anything else is refused naming the field."""
    raw = extra_str(conn, key)
    if raw is None:
        return default
    whole = isinstance(default, int)
    rule = f"{'a whole number' if whole else 'a number'} {'>' if above else '>='} {minimum:g}"
    try:
        number = float(raw)
        value = type(default)(number)
    except (ValueError, OverflowError):
        raise ValueError(f"the connection's {key} must be {rule}, got {raw!r}") from None
    if not math.isfinite(number) or (whole and value != number) or not (value > minimum if above else value >= minimum):
        raise ValueError(f"the connection's {key} must be {rule}, got {raw!r}")
    return value


def extra_bool(conn: Connection | None, key: str, default: bool = False) -> bool:
    value = extras(conn).get(key)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def endpoint_override(conn: Connection | None) -> str | None:
    """The Host field as a base URL (``https://`` unless a scheme is given), or None."""
    if conn is None or not conn.host:
        return None
    host = conn.host.strip().rstrip("/")
    if "://" not in host:
        host = f"https://{host}"
    if conn.port:
        scheme, _, rest = host.partition("://")
        authority, slash, path = rest.partition("/")
        if ":" not in authority.rsplit("]", 1)[-1]:
            authority = f"{authority}:{conn.port}"
        host = f"{scheme}://{authority}{slash}{path}"
    return host


def ca_bundle(conn: Connection | None) -> str | None:
    """Path of the CA bundle that verifies the service's TLS certificate, when one is set."""
    return extra_str(conn, "ca_bundle")
