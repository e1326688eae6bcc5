"""Checks of documented input constraints, run before a request is sent.

Each failure raises ``InvalidRunReference`` with the field, the value and the rule it broke.
"""

from __future__ import annotations

import re

from airflow_workflow_runs.model import InvalidRunReference

UUID_PATTERN = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


def check_string(
    field: str,
    value: object,
    *,
    min_length: int = 1,
    max_length: int | None = None,
    pattern: str | None = None,
    rule: str | None = None,
    service: str = "",
) -> str:
    """Validate one identifier; ``rule`` is the human wording of ``pattern`` for the message."""
    prefix = f"{service} " if service else ""
    if not isinstance(value, str):
        raise InvalidRunReference(f"{prefix}{field} must be a string, got {type(value).__name__} {value!r}")
    if len(value) < min_length:
        raise InvalidRunReference(
            f"{prefix}{field} {value!r} is too short: it must have at least {min_length} characters"
        )
    if max_length is not None and len(value) > max_length:
        raise InvalidRunReference(
            f"{prefix}{field} {value[:40]!r}... is {len(value)} characters long; the limit is {max_length}"
        )
    if pattern is not None and re.fullmatch(pattern, value) is None:
        raise InvalidRunReference(f"{prefix}{field} {value!r} does not match {rule or 'the pattern'} ({pattern})")
    return value
