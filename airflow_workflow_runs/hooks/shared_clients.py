"""The process-wide client cache behind :meth:`WorkflowRunHook.aget_client`.

One client per hook class, connection id and hook options, in the whole process: a triggerer
holding thousands of waits on one connection builds one SDK client. The connection's fingerprint
tells when it changed (rotated secrets), and a failed rebuild is remembered so a thousand refused
waits do not rebuild a thousand times.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow_workflow_runs.clients.base import RunClient
from airflow_workflow_runs.model import TransientServiceError

if TYPE_CHECKING:
    from airflow.sdk import Connection

#: (hook class, connection id, hook options as JSON)
SharedKey = tuple[str, str | None, str]


@dataclass
class CachedClient:
    client: RunClient
    fingerprint: str
    checked_at: float
    built_at: float = 0.0
    renewed: bool = False  # built after its predecessor was refused


SHARED: dict[SharedKey, CachedClient] = {}
#: Hook classes that have built a client once (their SDK is imported).
BUILT_ONCE: set[type] = set()
#: The last failed rebuild per shared key: (the refused client, when, the error every wait gets).
REBUILD_FAILED: dict[SharedKey, tuple[RunClient, float, TransientServiceError]] = {}
#: One lock per event loop and key: the triggerer has one loop, tests start several.
LOCKS: dict[tuple[int, SharedKey], asyncio.Lock] = {}


def connection_fingerprint(conn: Connection | None) -> str:
    """A digest of everything in a connection, to notice changes without keeping a copy."""
    if conn is None:
        return ""
    fields: Mapping[str, Any] = {
        "conn_type": conn.conn_type,
        "host": conn.host,
        "login": conn.login,
        "password": conn.password,
        "schema": conn.schema,
        "port": conn.port,
        "extra": conn.extra,
    }
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()


def clear_shared_clients() -> None:
    """Forget every shared client (tests; a triggerer never needs this)."""
    SHARED.clear()
    LOCKS.clear()
    REBUILD_FAILED.clear()
