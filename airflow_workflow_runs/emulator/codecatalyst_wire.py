"""CodeCatalyst's rest-json shapes: request paths, ``x-amzn-ErrorType`` errors, times and page cursors.

Pure functions and constants, no state: :mod:`.codecatalyst` decides what a request does, this
module says how CodeCatalyst spells it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from datetime import datetime, timezone

PREFIX = re.compile(r"^/v1/spaces/(?P<space>[^/]+)/projects/(?P<project>[^/]+)/workflowRuns(?:/(?P<run>[^/]+))?$")
#: VerifySession: whether the bearer token is valid (a connection test's call).
SESSION = "/session"
TERMINAL = frozenset({"SUCCEEDED", "FAILED", "STOPPED", "SUPERSEDED", "CANCELLED", "NOT_RUN", "ABANDONED"})
ERROR_TYPES = {
    400: "ValidationException",
    401: "UnauthorizedException",
    402: "ServiceQuotaExceededException",
    403: "AccessDeniedException",
    404: "ResourceNotFoundException",
    409: "ConflictException",
    429: "ThrottlingException",
}


class CodeCatalystError(Exception):
    def __init__(self, status: int, message: str, error_type: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.error_type = status, message, error_type


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def workflow_key(space: str, project: str, workflow_id: str) -> str:
    return f"{space}/{project}/{workflow_id}"


def encode_cursor(position: tuple[float, int], workflow_id: str | None) -> str:
    raw = json.dumps({"p": list(position), "w": workflow_id}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_cursor(token: str, workflow_id: str | None) -> tuple[float, int]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        if data["w"] != workflow_id:
            raise ValueError("a token of another listing")
        started, seq = data["p"]
        return float(started), int(seq)
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeEncodeError):
        raise CodeCatalystError(400, "The nextToken is not valid", "ValidationException") from None
