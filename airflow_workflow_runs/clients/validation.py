"""Checks of documented input constraints, run before a request is sent.

Every identifier a client sends passes :func:`check_string`, so its guard is the one place where
values that would leave their URL path segment are refused: an SDK quotes ``/`` or ``?`` but keeps
``.`` and ``..``, which the HTTP client then normalises into the parent resource (``instance_id=".."``
would read the workflow itself). Each failure raises ``InvalidRunReference`` with the field, the
value and the rule it broke.
"""

from __future__ import annotations

import re

from airflow_workflow_runs.model import InvalidRunReference

UUID_PATTERN = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
#: Characters no path segment of ours may hold: separators, the query and fragment marks, the
#: escape mark, and control characters (C0, DEL, C1, Unicode line and paragraph separators).
SEGMENT_FORBIDDEN = re.compile(r"[/\\?#%\x00-\x1f\x7f-\x9f\u2028\u2029]")
DOT_SEGMENTS = frozenset({".", ".."})
PATH_SEGMENT_RULE = (
    "an id that stays in its URL path segment: not '.' or '..', and no '/', '\\', '?', '#', '%' or control characters"
)


def check_string(
    field: str,
    value: object,
    *,
    min_length: int = 1,
    max_length: int | None = None,
    pattern: str | None = None,
    rule: str | None = None,
    service: str = "",
    path_segment: bool = True,
) -> str:
    """Validate one identifier; ``rule`` is the human wording of ``pattern`` for the message.

    Empty and blank values are always refused (a template that rendered empty must not read as
    "some other resource"). ``path_segment`` (the default: most ids end up in a URL path) adds
    :data:`PATH_SEGMENT_RULE`; only a value sent in a request body (Glue's JSON) turns it off.
    """
    prefix = f"{service} " if service else ""
    if not isinstance(value, str):
        raise InvalidRunReference(f"{prefix}{field} must be a string, got {type(value).__name__} {value!r}")
    if value == "":
        raise InvalidRunReference(
            f"{prefix}{field} is empty (did a template render empty?): give a value, or leave the argument out"
        )
    if not value.strip():
        raise InvalidRunReference(f"{prefix}{field} {value!r} is blank: it holds only whitespace")
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
    if path_segment:  # after the field's own rule, whose wording is the more specific
        _check_segment(prefix, field, value)
    return value


def _check_segment(prefix: str, field: str, value: str) -> None:
    if value in DOT_SEGMENTS:
        raise InvalidRunReference(
            f"{prefix}{field} {value!r} is a dot segment: in a URL path it would address the parent resource; "
            f"it must be {PATH_SEGMENT_RULE}"
        )
    found = SEGMENT_FORBIDDEN.search(value)
    if found is not None:
        raise InvalidRunReference(
            f"{prefix}{field} {value[:60]!r} holds {found.group()!r} at position {found.start()}: "
            f"it must be {PATH_SEGMENT_RULE}"
        )
