"""Keep the SDKs' per-request INFO lines out of task and triggerer logs, unless someone asked.

azure-core's ``HttpLoggingPolicy`` logs every request and response at INFO (URL, method, every
header: six to fifteen lines a call) and azure-identity every token it fetches, so a Logic Apps wait
wrote more SDK lines than its own. Those loggers are set to WARNING when a client is built, so
warnings and errors still show.

Only loggers nobody configured are touched: one with a level of its own (other than NOTSET and the
one set here) keeps it, whether set before the first client or after; one below an ancestor with a
level (``azure``, ``azure.core``; not the root) is put back to NOTSET, to inherit it.

Measured (a poll of every service, sync and async, root logger at INFO): botocore/boto3,
datadog-api-client, urllib3 and alibabacloud/darabonba log requests at DEBUG only (botocore's
``Found credentials in ...`` at INFO comes once per session, not per request), so only Azure's
loggers are listed.
"""

from __future__ import annotations

import logging
import threading

#: Loggers writing one or more lines per request (or token) at INFO.
PER_REQUEST_LOGGERS = (
    "azure.core.pipeline.policies.http_logging_policy",
    "azure.identity",
)
QUIET_LEVEL = logging.WARNING
#: The level set here on each logger (NOTSET: left to an ancestor someone configured).
_SET: dict[str, int] = {}
_LOCK = threading.Lock()


def quiet_sdk_logs(names: tuple[str, ...] = PER_REQUEST_LOGGERS) -> None:
    """Set each logger nobody configured to WARNING; cheap, called whenever a client is built."""
    with _LOCK:
        for name in names:
            logger = logging.getLogger(name)
            if logger.level not in (logging.NOTSET, _SET.get(name)):
                continue  # configured by the deployment (or a test), before us or after
            level = logging.NOTSET if _ancestor_configured(name) else QUIET_LEVEL
            logger.setLevel(level)
            _SET[name] = level


def _ancestor_configured(name: str) -> bool:
    """Whether a logger above ``name`` (the root aside) has a level of its own."""
    parts = name.split(".")
    for end in range(1, len(parts)):
        ancestor = logging.root.manager.loggerDict.get(".".join(parts[:end]))
        if isinstance(ancestor, logging.Logger) and ancestor.level != logging.NOTSET:
            return True
    return False
