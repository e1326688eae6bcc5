"""Calling the control API from another process (tests, scripts): one function, standard library only."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import Emulator


def control(emulator: Emulator | str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """One call to ``/_emulator/<path>`` over plain HTTP (an emulator or its ``http_url``): ``(status, answer)``."""
    base = emulator if isinstance(emulator, str) else emulator.http_url
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{base}/_emulator/{path}", data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read())
