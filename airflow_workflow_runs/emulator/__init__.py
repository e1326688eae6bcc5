"""A local emulator of cloud workflow-run APIs for tests and demos, run by the real SDK clients.

Importing this package is cheap: the server, TLS and service modules load on first use of
:class:`Emulator`. Nothing here imports boto3, botocore or Airflow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import Emulator
    from .clock import ManualClock

__all__ = ["Emulator", "ManualClock"]


def __getattr__(name: str) -> Any:
    if name == "Emulator":
        from .app import Emulator

        return Emulator
    if name == "ManualClock":
        from .clock import ManualClock

        return ManualClock
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
