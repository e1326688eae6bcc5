"""Conventions shared by this provider's own connection types.

- The standard **Host** field, when set, overrides the service endpoint (proxies, sovereign
  clouds, private endpoints, the emulator). A host without a scheme means ``https://``; the
  **Port** field is appended when set.
- The extra field **ca_bundle** names a CA bundle file used to verify TLS.
- Extras stored from a URI arrive as strings: :func:`extra_str`/:func:`extra_bool` coerce them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
