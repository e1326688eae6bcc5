"""Keep credentials out of the SDKs' DEBUG logs.

botocore logs every request at DEBUG: ``botocore.endpoint`` the prepared request with its headers
(``X-Amz-Security-Token``, ``Authorization: Bearer <personal access token>``), ``botocore.auth``
the canonical request (``x-amz-security-token:<token>``). A deployment that turns botocore up to
DEBUG to chase a problem would write session tokens into task and triggerer logs (and, with a role
to assume, ``botocore.parsers`` the STS answer's secret key and token). A filter on
those loggers (installed once, before the first AWS session is built) rewrites such records with the
values replaced by ``***``; records of other levels and loggers are left alone.
"""

from __future__ import annotations

import logging
import re
import threading

#: botocore's loggers that write request headers or signing material at DEBUG.
BOTOCORE_LOGGERS = (
    "botocore.endpoint",
    "botocore.auth",
    "botocore.awsrequest",
    "botocore.httpsession",
    "botocore.hooks",
    "botocore.retryhandler",
    "botocore.parsers",
    "botocore.tokens",
    "botocore.credentials",
)
_NAMES = r"authorization|x-amz-security-token|x-amz-session-token|x-amz-sso_bearer_token|x-api-key|x-acs-security-token"
#: Credential fields of STS / SSO answers and requests (``botocore.parsers`` logs answers' bodies).
_FIELDS = r"SecretAccessKey|SessionToken|WebIdentityToken|AccessToken|secretAccessKey|sessionToken|accessToken"
#: ``<SessionToken>...</SessionToken>`` in an STS XML answer.
_XML_FIELD = re.compile(rf"(<({_FIELDS})>)[^<]*(</\2>)")
#: ``"sessionToken": "..."`` (JSON) or ``'WebIdentityToken': '...'`` (a dict repr).
_QUOTED_FIELD = re.compile(rf"""(['"](?:{_FIELDS})['"]\s*:\s*b?)(['"])(.*?)\2""")
#: ``'Authorization': b'...'`` in a dict repr (the quoted value, whole).
_QUOTED_HEADER = re.compile(rf"""(?i)(['"](?:{_NAMES})['"]\s*:\s*b?)(['"])(.*?)\2""")
#: ``x-amz-security-token:...`` as a header line (a canonical request).
_HEADER_LINE = re.compile(rf"(?im)^((?:{_NAMES})\s*:).*$")
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")
_INSTALLED = threading.Event()
_LOCK = threading.Lock()


def redact(text: str) -> str:
    """``text`` with credential header values (and bearer tokens) replaced by ``***``."""
    text = _QUOTED_HEADER.sub(r"\1\2***\2", text)
    text = _QUOTED_FIELD.sub(r"\1\2***\2", _XML_FIELD.sub(r"\1***\3", text))
    return _BEARER.sub(r"\1***", _HEADER_LINE.sub(r"\1***", text))


class CredentialRedactingFilter(logging.Filter):
    """Rewrites a record whose message carries a credential header; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record that cannot be formatted is left to the handler to report
            return True
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def redact_botocore_logs() -> None:
    """Install the filter on botocore's loggers, once per process."""
    if _INSTALLED.is_set():
        return
    with _LOCK:
        if _INSTALLED.is_set():
            return
        redacting = CredentialRedactingFilter()
        for name in BOTOCORE_LOGGERS:
            logging.getLogger(name).addFilter(redacting)
        _INSTALLED.set()
