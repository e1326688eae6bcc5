"""ACS3-HMAC-SHA256 request signing as the DataWorks emulator checks it, and the credentials it knows.

Every request must be signed ``Authorization: ACS3-HMAC-SHA256 Credential=<AccessKeyId>,
SignedHeaders=<a;b;...>,Signature=<hex>`` with ``x-acs-content-sha256`` the SHA-256 of the body; a
missing or malformed signature is a 400 ``IncompleteSignature``. With :meth:`AcsCredentials.require`
the signature itself is verified (unknown key: 404 ``InvalidAccessKeyId.NotFound``; wrong secret: 400
``SignatureDoesNotMatch``), which proves the connection's secret reached the request. An STS token or
access key revoked mid-wait (:meth:`AcsCredentials.revoke`) is answered 400
``InvalidSecurityToken.Expired`` / ``InvalidAccessKeyId.Inactive``. Access key ids are logged as seen;
security tokens only as SHA-256 digests. Its own module: signing is Alibaba's gateway, not DataWorks.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from urllib.parse import quote

from .dataworks_wire import DataWorksError
from .wire import Request

AUTH = re.compile(
    r"^ACS3-HMAC-SHA256 Credential=(?P<ak>[^,\s]+),SignedHeaders=(?P<signed>[a-z0-9-]+(?:;[a-z0-9-]+)*),"
    r"Signature=(?P<signature>[0-9a-f]{64})$"
)
MUST_SIGN = ("host", "x-acs-action", "x-acs-version", "x-acs-date", "x-acs-content-sha256", "x-acs-signature-nonce")


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def signature(request: Request, signed: Sequence[str], secret: str) -> str:
    """The ACS3-HMAC-SHA256 signature of ``request`` over its ``signed`` headers with ``secret``."""
    query = "&".join(f"{key}={quote(values[-1], safe='~')}" for key, values in sorted(request.query.items()) if values)
    headers = "".join(f"{name}:{(request.header(name) or '').strip()}\n" for name in signed)
    canonical = "\n".join(
        [
            request.method,
            request.path or "/",
            query,
            headers,
            ";".join(signed),
            request.header("x-acs-content-sha256") or "",
        ]
    )
    to_sign = f"ACS3-HMAC-SHA256\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    return hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()


class AcsCredentials:
    """What signed the requests so far, which credentials are revoked, and (optionally) the only ones
    accepted with their secrets."""

    def __init__(self) -> None:
        self.access_key_ids: list[str] = []
        self.security_token_digests: list[str | None] = []
        self._credentials: dict[str, tuple[str, str | None]] | None = None
        self._revoked: set[str] = set()

    def authenticate(self, request: Request) -> None:
        """Check a request's signature (and, with :meth:`require`, its secret), else raise the gateway's error."""
        auth = request.header("authorization") or ""
        match = AUTH.match(auth)
        if match is None:
            raise DataWorksError(
                400,
                "IncompleteSignature",
                "The request signature does not conform to Aliyun standards: expected "
                "'ACS3-HMAC-SHA256 Credential=...,SignedHeaders=...,Signature=...'.",
            )
        signed = match.group("signed").split(";")
        missing = [h for h in MUST_SIGN if h not in signed]
        if missing or any(request.header(h) is None for h in signed):
            raise DataWorksError(400, "IncompleteSignature", f"The signed headers are incomplete (missing {missing}).")
        if request.header("x-acs-content-sha256") != hashlib.sha256(request.body).hexdigest():
            raise DataWorksError(400, "IncompleteSignature", "x-acs-content-sha256 is not the SHA-256 of the body.")
        access_key_id = match.group("ak")
        token = request.header("x-acs-security-token")
        self.access_key_ids.append(access_key_id)
        self.security_token_digests.append(digest(token) if token else None)
        if token and digest(token) in self._revoked:
            raise DataWorksError(400, "InvalidSecurityToken.Expired", "Specified SecurityToken is expired.")
        if digest(access_key_id) in self._revoked:
            raise DataWorksError(400, "InvalidAccessKeyId.Inactive", "Specified access key is disabled.")
        if self._credentials is None:
            return
        known = self._credentials.get(access_key_id)
        if known is None:
            raise DataWorksError(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        secret, expected_token = known
        if not hmac.compare_digest(signature(request, signed, secret), match.group("signature")):
            raise DataWorksError(400, "SignatureDoesNotMatch", "Specified signature does not match our calculation.")
        if expected_token is not None and token != expected_token:
            raise DataWorksError(400, "InvalidSecurityToken.Mismatch", "Specified SecurityToken is not valid.")

    def revoke(self, *secrets: str) -> int:
        """Refuse these access key ids or STS tokens from now on (none given: every one seen so far)."""
        if secrets:
            digests = {digest(s) for s in secrets}
        else:
            digests = {digest(ak) for ak in self.access_key_ids} | {d for d in self.security_token_digests if d}
        self._revoked |= digests
        return len(digests)

    def require(self, credentials: Mapping[str, str | tuple[str, str | None]] | None = None) -> None:
        """Verify signatures: ``{access_key_id: secret}`` or ``{id: (secret, sts_token)}``; None: any."""
        if credentials is None:
            self._credentials = None
            return
        self._credentials = {
            ak: (value, None) if isinstance(value, str) else (value[0], value[1]) for ak, value in credentials.items()
        }
