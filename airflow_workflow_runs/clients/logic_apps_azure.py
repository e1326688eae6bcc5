"""Azure plumbing of the Logic Apps client: clouds, connection settings, credentials, the ARM
pipeline and azure-mgmt-web clients (sync and aio), and the aio transport that builds one TLS
context. Nothing here knows about runs; :mod:`.logic_apps_sdk` and :mod:`.logic_apps` use it.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import urllib.request
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from airflow_workflow_runs.clients.io import io_threads
from airflow_workflow_runs.model import (
    AccessDenied,
)

CONSUMPTION_API_VERSION = "2019-05-01"
STANDARD_API_VERSION = "2025-05-01"  # the documented (seed) version, pinned on the SDK client

CLOUDS: Mapping[str, Mapping[str, str]] = {
    "AZURE_PUBLIC_CLOUD": {
        "arm": "https://management.azure.com",
        "scope": "https://management.azure.com/.default",
        "authority": "login.microsoftonline.com",
        "portal": "https://portal.azure.com",
    },
    "AZURE_CHINA_CLOUD": {
        "arm": "https://management.chinacloudapi.cn",
        "scope": "https://management.chinacloudapi.cn/.default",
        "authority": "login.chinacloudapi.cn",
        "portal": "https://portal.azure.cn",
    },
    "AZURE_US_GOVERNMENT": {
        "arm": "https://management.usgovcloudapi.net",
        "scope": "https://management.core.usgovcloudapi.net/.default",
        "authority": "login.microsoftonline.us",
        "portal": "https://portal.azure.us",
    },
}
KNOWN_AUTHORITIES = frozenset(cloud["authority"] for cloud in CLOUDS.values())


@dataclass(frozen=True)
class LogicAppsSettings:
    """What a connection says; the secret is kept out of ``repr``.

    ``arm_endpoint``/``token_scope``/``authority_host`` default to the ``cloud``'s values. With a custom
    ``arm_endpoint`` (a proxy, a private endpoint, the emulator) the token scope stays the cloud's, since
    ARM validates the token's audience, not the host it was sent to.
    """

    subscription_id: str | None = None
    resource_group_name: str | None = None
    tenant_id: str | None = None
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    cloud: str = "AZURE_PUBLIC_CLOUD"
    arm_endpoint: str | None = None
    token_scope: str | None = None
    authority_host: str | None = None
    ca_bundle: str | None = None
    location: str | None = None
    retry_total: int = 3
    timeout: float = 60.0

    def __post_init__(self) -> None:
        if self.cloud not in CLOUDS:
            raise ValueError(f"unknown Azure cloud {self.cloud!r}; use one of {sorted(CLOUDS)}")

    @property
    def endpoint(self) -> str:
        return (self.arm_endpoint or CLOUDS[self.cloud]["arm"]).rstrip("/")

    @property
    def scope(self) -> str:
        return self.token_scope or CLOUDS[self.cloud]["scope"]

    @property
    def authority(self) -> str:
        return (self.authority_host or CLOUDS[self.cloud]["authority"]).rstrip("/")

    @property
    def portal(self) -> str:
        return CLOUDS[self.cloud]["portal"]

    def transport_kwargs(self, *, aio: bool = False) -> dict[str, Any]:
        """azure-core pipeline settings: TLS trust, retries, timeouts, user agent (and for the aio
        pipelines, proxies: see :func:`environment_proxies`)."""
        kwargs: dict[str, Any] = {
            "retry_total": self.retry_total,
            "read_timeout": self.timeout,
            "connection_timeout": min(self.timeout, 30.0),
            "user_agent": "airflow-workflow-runs",
        }
        if self.ca_bundle:
            kwargs["connection_verify"] = self.ca_bundle
        if aio:
            kwargs.update(aio_proxy_kwargs(self.endpoint, self.authority))
        return kwargs


def aio_proxy_kwargs(*urls: str) -> dict[str, Any]:
    """The environment's proxies (``HTTPS_PROXY``, ``NO_PROXY``...) for ``urls``, resolved once.

    azure-core's aiohttp transport otherwise lets aiohttp read them (``trust_env``) on every
    request, and with them ``~/.netrc``, through the event loop's default executor: a thread of
    the six a triggerer shares with Airflow, for every poll. Called where clients are built (the
    I/O pool); the same proxies apply, per host.
    """
    environment = urllib.request.getproxies_environment()
    proxies: dict[str, str] = {}
    for url in urls:
        parts = urlsplit(url)
        proxy = environment.get(parts.scheme)
        if proxy and parts.hostname and not _bypasses_proxy(parts.hostname, environment):
            proxies[f"{parts.scheme}://{parts.netloc}"] = proxy
    return {"use_env_settings": False, **({"proxies": proxies} if proxies else {})}


def _bypasses_proxy(host: str, environment: Mapping[str, str]) -> bool:
    """``NO_PROXY`` says to reach ``host`` directly (the standard library's rule, as requests uses)."""
    bypass: Callable[[str, Mapping[str, str]], bool] = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]
    return bypass(host, environment)


def build_credential(settings: LogicAppsSettings, *, aio: bool) -> Any:
    """A long-lived azure-identity credential: the service principal when a secret is set, else
    ``DefaultAzureCredential`` (workload identity, managed identity, environment, Azure CLI...), with
    the connection's client id as the user-assigned managed identity / workload identity client id."""
    identity: Any = importlib.import_module("azure.identity.aio" if aio else "azure.identity")
    kwargs: dict[str, Any] = {"authority": settings.authority}
    if aio:
        kwargs.update(aio_proxy_kwargs(settings.authority))
    if settings.ca_bundle:
        kwargs["connection_verify"] = settings.ca_bundle
    if settings.client_secret:
        if not settings.tenant_id or not settings.client_id:
            missing = "tenant id" if not settings.tenant_id else "client id"
            raise AccessDenied(
                f"The azure_logic_apps connection has a client secret but no {missing}: a service principal "
                "needs the tenant id, the client id (login) and the client secret (password)."
            )
        if settings.authority.split("://")[-1] not in KNOWN_AUTHORITIES:
            # A private or emulated authority: no instance discovery against login.microsoftonline.com.
            kwargs["disable_instance_discovery"] = True
        return identity.ClientSecretCredential(settings.tenant_id, settings.client_id, settings.client_secret, **kwargs)
    if settings.client_id:
        kwargs["managed_identity_client_id"] = settings.client_id
        kwargs["workload_identity_client_id"] = settings.client_id
    if settings.tenant_id:
        kwargs["workload_identity_tenant_id"] = settings.tenant_id
    return identity.DefaultAzureCredential(**kwargs)


def arm_policies(credential: Any, settings: LogicAppsSettings, *, aio: bool) -> list[Any]:
    """The policy list the generated ARM SDKs build (see azure-mgmt-web's ``_client.py``)."""
    from azure.core.pipeline import policies
    from azure.mgmt.core.policies import (
        ARMAutoResourceProviderRegistrationPolicy,
        ARMChallengeAuthenticationPolicy,
        ARMHttpLoggingPolicy,
        AsyncARMAutoResourceProviderRegistrationPolicy,
        AsyncARMChallengeAuthenticationPolicy,
    )

    kwargs = settings.transport_kwargs(aio=aio)
    return [
        policies.RequestIdPolicy(**kwargs),
        policies.HeadersPolicy(**kwargs),
        policies.UserAgentPolicy(**kwargs),
        policies.ProxyPolicy(**kwargs),
        policies.ContentDecodePolicy(**kwargs),
        AsyncARMAutoResourceProviderRegistrationPolicy() if aio else ARMAutoResourceProviderRegistrationPolicy(),
        policies.AsyncRedirectPolicy(**kwargs) if aio else policies.RedirectPolicy(**kwargs),
        policies.AsyncRetryPolicy(**kwargs) if aio else policies.RetryPolicy(**kwargs),
        (AsyncARMChallengeAuthenticationPolicy if aio else ARMChallengeAuthenticationPolicy)(
            credential, settings.scope, **kwargs
        ),
        policies.CustomHookPolicy(**kwargs),
        policies.NetworkTraceLoggingPolicy(**kwargs),
        policies.DistributedTracingPolicy(**kwargs),
        policies.SensitiveHeaderCleanupPolicy(**kwargs),
        ARMHttpLoggingPolicy(**kwargs),
    ]


def callback_client(settings: LogicAppsSettings, url: str) -> Any:
    """An azure-core pipeline client for a trigger's SAS-signed callback URL: no authentication (the
    callback refuses bearer tokens) and no retries (a POST retried may start twice)."""
    from azure.core import PipelineClient
    from azure.core.pipeline import policies

    kwargs = {**settings.transport_kwargs(), "retry_total": 0}
    pipeline = [
        policies.RequestIdPolicy(**kwargs),
        policies.HeadersPolicy(**kwargs),
        policies.UserAgentPolicy(**kwargs),
        policies.ProxyPolicy(**kwargs),
        policies.ContentDecodePolicy(**kwargs),
        policies.RetryPolicy(**kwargs),
        policies.CustomHookPolicy(**kwargs),
        policies.NetworkTraceLoggingPolicy(**kwargs),
        policies.HttpLoggingPolicy(**kwargs),  # redacts query values such as sig
    ]
    return PipelineClient(base_url=url, policies=pipeline, **kwargs)


def web_client(credential: Any, settings: LogicAppsSettings, subscription_id: str, *, aio: bool) -> Any:
    web: Any = importlib.import_module("azure.mgmt.web.aio" if aio else "azure.mgmt.web")
    kwargs = settings.transport_kwargs(aio=aio)
    if aio:
        kwargs["transport"] = aio_transport(kwargs)
    return web.WebSiteManagementClient(
        credential,
        subscription_id,
        base_url=settings.endpoint,
        credential_scopes=[settings.scope],
        api_version=STANDARD_API_VERSION,  # pinned: an azure-mgmt-web upgrade must not change what we call
        **kwargs,
    )


def aio_transport(kwargs: Mapping[str, Any]) -> Any:
    """azure-core's aiohttp transport, building its TLS context once instead of per request.

    With a CA bundle (``connection_verify`` a path: a private CA, a corporate proxy, the emulator)
    azure-core calls ``ssl.create_default_context(cafile=...)`` for every request, on the event
    loop, and aiohttp pools connections by context, so every poll also opened a new TLS
    connection (measured: 5.4 ms of loop CPU per poll and a connection per request at 1,000
    waits). Built in the I/O pool, where the first context is made too.
    """
    transport = _one_tls_context_transport()(**kwargs)
    transport._build_ssl_config(kwargs.get("connection_cert"), kwargs.get("connection_verify", True))  # off the loop
    return transport


@functools.cache
def _one_tls_context_transport() -> type:
    from azure.core.pipeline.transport import AioHttpTransport

    class OneTlsContextTransport(AioHttpTransport):  # type: ignore[misc]
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self._tls_contexts: dict[tuple[Any, Any], Any] = {}

        async def open(self) -> None:
            # aiohttp's connector allows 100 connections: as many as the I/O pool has threads, as
            # the blocking clients do. The session is azure-core's own otherwise.
            if getattr(self, "session", None) is None and self._session_owner:
                import aiohttp

                self.session = aiohttp.ClientSession(
                    connector=aiohttp.TCPConnector(limit=io_threads()),
                    trust_env=self._use_env_settings,
                    cookie_jar=aiohttp.DummyCookieJar(),
                    auto_decompress=False,
                )
            await super().open()

        def _build_ssl_config(self, cert: Any, verify: Any) -> Any:
            key = (tuple(cert) if isinstance(cert, list | tuple) else cert, verify)
            if key not in self._tls_contexts:
                self._tls_contexts[key] = super()._build_ssl_config(cert, verify)
            return self._tls_contexts[key]

    return OneTlsContextTransport


#: Modules the aio path would otherwise import on the event loop, the first time it runs.
#: What the synchronous path imports lazily on first use. azure-core's ``rest`` and its pipeline
#: transport import each other: first imported by several threads at once (poke-mode sensors of one
#: worker process), one can meet the other partially initialised ("cannot import name
#: '_format_parameters_helper' ... partially initialized module"). Imported when the client is
#: built, which the hook does under the SDK import lock for the first client of a process.
SYNC_PATH_MODULES = (
    "azure.core.rest",
    "azure.core.pipeline.transport",
    "azure.core.exceptions",
    "azure.mgmt.core",
    "azure.mgmt.core.exceptions",
    "azure.mgmt.web",
)
ASYNC_PATH_MODULES = (
    "azure.core.rest",
    "azure.core.exceptions",
    "azure.mgmt.core.exceptions",
    "azure.core.rest._aiohttp",
    "azure.core.rest._http_response_impl_async",
)


@dataclass
class AsyncClients:
    """The aio credential and clients of one event loop (created in it, closed when it shuts down)."""

    loop: asyncio.AbstractEventLoop
    credential: Any
    arm: Any = None
    web: dict[str, Any] = field(default_factory=dict)
    closer: Any = None

    async def aclose(self) -> None:
        for client in [*self.web.values(), self.arm]:
            if client is not None:
                await client.close()
        self.web.clear()
        self.arm = None
        close = getattr(self.credential, "close", None)
        if close is not None:
            await close()


async def close_at_loop_shutdown(clients: AsyncClients) -> AsyncIterator[None]:
    """An async generator the loop finalizes at shutdown (``asyncio.run`` calls ``shutdown_asyncgens``)
    or when it is garbage collected: the aio sessions are closed in the loop that opened them."""
    try:
        yield
    finally:
        await clients.aclose()


def arm_result(response: Any) -> Any:
    """The JSON of a 2xx ARM answer, or the exception the generated SDKs raise for it."""
    from azure.core.exceptions import (
        ClientAuthenticationError,
        HttpResponseError,
        ResourceExistsError,
        ResourceNotFoundError,
        ResourceNotModifiedError,
        map_error,
    )
    from azure.mgmt.core.exceptions import ARMErrorFormat

    if not 200 <= response.status_code < 300:
        error_map = {
            401: ClientAuthenticationError,
            404: ResourceNotFoundError,
            409: ResourceExistsError,
            304: ResourceNotModifiedError,
        }
        map_error(status_code=response.status_code, response=response, error_map=error_map)
        raise HttpResponseError(response=response, error_format=ARMErrorFormat)
    if not response.content:
        return {}
    return response.json()
