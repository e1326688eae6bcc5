"""The Microsoft Entra ID side of the Logic Apps emulator: the tokens its ARM endpoints accept.

``GET /{tenant}/v2.0/.well-known/openid-configuration`` (OpenIdConfiguration) and
``POST /{tenant}/oauth2/v2.0/token`` (GetToken, client credentials grant), so a real azure-identity
``ClientSecretCredential(authority=<https url>, disable_instance_discovery=True)`` signs in here.
Tokens are random strings kept only as SHA-256 digests with their scope and expiry; their lifetime
is :attr:`EntraTokens.lifetime` (default one hour; short ones make refresh tests real), and
:meth:`EntraTokens.revoke` revokes the tokens issued so far (401 InvalidAuthenticationToken).

A separate module because sign-in is its own protocol, with its own error shape (AADSTS), and
holds the only secrets the Logic Apps emulator keeps (as digests).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
import uuid
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs

from .logic_apps_wire import ArmError, origin
from .store import Store
from .wire import Request, Response

DEFAULT_TOKEN_LIFETIME = 3600
OIDC = re.compile(r"^/(?P<tenant>[^/]+)/v2\.0/\.well-known/openid-configuration$")
TOKEN = re.compile(r"^/(?P<tenant>[^/]+)/oauth2/v2\.0/token$")


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def aad_error(status: int, error: str, description: str) -> Response:
    """An error of the token endpoint, in Entra ID's OAuth shape (``AADSTS...`` codes)."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime())
    return Response.json(
        {
            "error": error,
            "error_description": f"{description} Trace ID: {uuid.uuid4()} Timestamp: {stamp}",
            "error_codes": [int(description[6:13])] if description[6:13].isdigit() else [],
            "timestamp": stamp,
            "trace_id": str(uuid.uuid4()),
            "correlation_id": str(uuid.uuid4()),
        },
        status,
    )


class EntraTokens:
    """Tokens issued (as digests), who asked for them, and the client secrets required; the store's
    lock guards them and its clock dates them."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.lifetime: int = DEFAULT_TOKEN_LIFETIME
        self._tokens: dict[str, dict[str, Any]] = {}
        self._token_requests: list[dict[str, Any]] = []
        self._client_secrets: dict[str, str] = {}

    def openid_configuration(self, request: Request) -> Response:
        match = OIDC.match(request.path)
        assert match is not None
        base = f"{origin(request)}/{match.group('tenant')}"
        return Response.json(
            {
                "issuer": f"{base}/v2.0",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
                "response_types_supported": ["code", "id_token", "token"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
            }
        )

    def token(self, request: Request) -> Response:
        match = TOKEN.match(request.path)
        assert match is not None
        if request.method != "POST":
            return aad_error(405, "invalid_request", "AADSTS900561: The endpoint only accepts POST requests.")
        form = {k: v[-1] for k, v in parse_qs(request.body.decode("utf-8", "replace")).items()}
        if form.get("grant_type") != "client_credentials":
            return aad_error(400, "unsupported_grant_type", "AADSTS70003: The app requested an unsupported grant type.")
        client_id, scope = form.get("client_id", ""), form.get("scope", "")
        if not client_id or not scope:
            return aad_error(400, "invalid_request", "AADSTS900144: The request body must contain client_id and scope.")
        expected = self._client_secrets.get(client_id)
        if expected is not None and digest(form.get("client_secret", "")) != expected:
            return aad_error(
                401,
                "invalid_client",
                f"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is "
                f"the client secret value, not the client secret ID, for a secret added to app '{client_id}'.",
            )
        token = "emu-aad-" + secrets.token_urlsafe(32)
        now = self.store.now()
        lifetime = self.lifetime
        with self.store.lock:
            self._tokens[digest(token)] = {"expires_at": now + lifetime, "scope": scope, "client_id": client_id}
            self._token_requests.append(
                {
                    "tenant": match.group("tenant"),
                    "client_id": client_id,
                    "scope": scope,
                    "expires_in": lifetime,
                    "issued_at": now,
                    "token_digest": digest(token),
                }
            )
        return Response.json(
            {"token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime, "access_token": token}
        )

    def authenticate(self, request: Request) -> dict[str, Any]:
        """The token of an ARM request's ``Authorization: Bearer`` header, else ARM's 401 (with the
        ``WWW-Authenticate`` challenge Azure sends)."""
        auth = request.header("authorization") or ""
        challenge = 'Bearer authorization_uri="https://login.microsoftonline.com/", error="invalid_token"'
        if not auth.startswith("Bearer ") or not auth[7:].strip():
            raise ArmError(
                401,
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is missing.",
                {"WWW-Authenticate": 'Bearer authorization_uri="https://login.microsoftonline.com/"'},
            )
        with self.store.lock:
            token = self._tokens.get(digest(auth[7:].strip()))
        if token is None:
            raise ArmError(
                401,
                "InvalidAuthenticationToken",
                "The access token is invalid.",
                {"WWW-Authenticate": f'{challenge}, error_description="The access token is invalid"'},
            )
        now = self.store.now()
        if now >= token["expires_at"]:
            expired = datetime.fromtimestamp(token["expires_at"], timezone.utc).strftime("%m/%d/%Y %H:%M:%S")
            current = datetime.fromtimestamp(now, timezone.utc).strftime("%m/%d/%Y %H:%M:%S")
            raise ArmError(
                401,
                "ExpiredAuthenticationToken",
                f"The access token expiry UTC time '{expired}' is earlier than current UTC time '{current}'.",
                {"WWW-Authenticate": f'{challenge}, error_description="The access token has expired"'},
            )
        return token

    def set_lifetime(self, seconds: int) -> None:
        """Lifetime (whole seconds >= 1) of tokens issued from now on; expired ones get 401."""
        if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 1:
            raise ValueError("the token lifetime must be an integer number of seconds >= 1")
        self.lifetime = seconds

    def require_client_secret(self, client_id: str, secret: str) -> None:
        """Refuse tokens to ``client_id`` unless it sends ``secret`` (kept as a digest only)."""
        self._client_secrets[client_id] = digest(secret)

    def revoke(self, *tokens: str) -> int:
        """Revoke these access tokens (none given: every token issued so far); ARM answers them 401."""
        with self.store.lock:
            digests = {digest(t) for t in tokens} if tokens else set(self._tokens)
            revoked = [d for d in digests if self._tokens.pop(d, None) is not None]
            return len(revoked)

    def requests(self) -> list[dict[str, Any]]:
        """Tokens issued, oldest first: tenant, client_id, scope, expires_in, issued_at, token_digest."""
        with self.store.lock:
            return [dict(entry) for entry in self._token_requests]

    def issue(self, scope: str, client_id: str) -> str:
        """A token as the token endpoint would issue it (for raw requests in tests)."""
        now = self.store.now()
        token = "emu-aad-" + secrets.token_urlsafe(32)
        with self.store.lock:
            self._tokens[digest(token)] = {
                "expires_at": now + self.lifetime,
                "scope": scope,
                "client_id": client_id,
            }
        return token
