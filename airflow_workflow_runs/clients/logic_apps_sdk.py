"""The Azure SDK clients of one Logic Apps client, synchronous and aio, for both tiers.

- **Standard**: azure-mgmt-web's ``WebSiteManagementClient`` (``azure.mgmt.web.aio`` in triggers), one
  per subscription.
- **Consumption**: azure-mgmt-core's ``ARMPipelineClient`` / ``AsyncARMPipelineClient`` sending
  ``azure.core.rest.HttpRequest``. **Why not azure-mgmt-logic:** its last release (10.0.0, 2022) is built
  on the legacy msrest runtime and imports ``six`` without declaring it, so installing it alone breaks
  at import; the four calls needed here are plain ARM GET/POSTs. The ARM pipeline is the very pipeline
  the generated SDKs run (same retry, redirect, ARM challenge bearer authentication, resource-provider
  registration, logging and proxy policies, same ``ARMErrorFormat`` error mapping), without the dead
  weight.

Credentials are long-lived azure-identity objects; the SDK pipeline's ``BearerTokenCredentialPolicy``
(ARM challenge variant) asks them for a token whenever the cached one is within five minutes of expiry,
so waits of many hours keep working. No token string is stored here.

The aio clients belong to one event loop (:class:`.logic_apps_azure.AsyncClients`): built in the I/O
pool, used in the loop, closed when it shuts down. Nothing here knows about runs: :mod:`.logic_apps`
says what to ask, this module asks it.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
from collections.abc import Callable
from typing import Any

from airflow_workflow_runs.clients.io import run_blocking
from airflow_workflow_runs.clients.logic_apps_azure import (
    ASYNC_PATH_MODULES,
    CONSUMPTION_API_VERSION,
    SYNC_PATH_MODULES,
    AsyncClients,
    LogicAppsSettings,
    aio_transport,
    arm_policies,
    arm_result,
    build_credential,
    close_at_loop_shutdown,
    web_client,
)
from airflow_workflow_runs.clients.logic_apps_calls import ArmCall, NextPage, OpenPages, Step, WebCall
from airflow_workflow_runs.clients.sdk_logging import quiet_sdk_logs


class SdkClients:
    """The SDK clients of one connection; ``credential``/``async_credential_factory`` override its own."""

    def __init__(
        self,
        settings: LogicAppsSettings,
        *,
        credential: Any = None,
        async_credential_factory: Callable[[], Any] | None = None,
    ) -> None:
        self.settings = settings
        self.credential = credential
        self.async_credential_factory = async_credential_factory
        quiet_sdk_logs()  # azure-core logs every request and response at INFO
        for module in SYNC_PATH_MODULES:
            with contextlib.suppress(ImportError):  # reported, with advice, by the first call
                importlib.import_module(module)
        self.arm: Any = None
        self.web: dict[str, Any] = {}
        #: This event loop's aio credential and clients (``None`` until the first aio call).
        self.aio: AsyncClients | None = None

    # -- synchronous ------------------------------------------------------------------------------

    def sync_credential(self) -> Any:
        if self.credential is None:
            self.credential = build_credential(self.settings, aio=False)
        return self.credential

    def web_for(self, subscription_id: str) -> Any:
        client = self.web.get(subscription_id)
        if client is None:
            client = self.web[subscription_id] = web_client(
                self.sync_credential(), self.settings, subscription_id, aio=False
            )
        return client

    def arm_client(self) -> Any:
        if self.arm is None:
            from azure.mgmt.core import ARMPipelineClient

            self.arm = ARMPipelineClient(
                base_url=self.settings.endpoint,
                policies=arm_policies(self.sync_credential(), self.settings, aio=False),
                **self.settings.transport_kwargs(),
            )
        return self.arm

    def perform(self, step: Step) -> Any:
        """The answer to one step of :mod:`.logic_apps_calls` (the SDK's exception if it fails)."""
        if isinstance(step, ArmCall):
            return arm_result(self.arm_client().send_request(arm_request(self.settings, step)))
        if isinstance(step, NextPage):
            page = next(step.pager, None)
            return None if page is None else [model.as_dict() for model in page]
        if isinstance(step, OpenPages):
            return iter(_operation(self.web_for(step.call.subscription_id), step.call).by_page())
        if isinstance(step, WebCall):
            return _operation(self.web_for(step.subscription_id), step)
        raise TypeError(f"not an SDK call: {step!r}")

    def close(self) -> None:
        """Close the synchronous SDK clients and credential (the aio ones close with their loop)."""
        for client in [*self.web.values(), self.arm]:
            if client is not None:
                client.close()
        self.web.clear()
        self.arm = None
        close = getattr(self.credential, "close", None)
        if close is not None:
            close()

    # -- aio --------------------------------------------------------------------------------------

    def prepare_async(self) -> None:
        """Import what the aio path imports lazily on first use: ``azure.core.rest`` (used inside
        functions here), the exceptions, and azure-core's aiohttp response types, which it imports
        when the first answer arrives (tests/test_event_loop.py finds any that are left)."""
        for module in ASYNC_PATH_MODULES:
            with contextlib.suppress(ImportError):  # private names may move between azure-core releases
                importlib.import_module(module)

    async def aio_clients(self) -> AsyncClients:
        """This event loop's aio credential and clients, built in the I/O pool, used in the loop.

        Building them imports aiohttp and azure-core's aio transport and reads the connection's
        settings: that stays off the event loop. Nothing binds to a loop until the first request
        opens its session. A triggerer has one loop for its life, so one set per connection; tests
        that call ``asyncio.run`` repeatedly get a fresh set per loop, each closed when its loop
        shuts down.
        """
        loop = asyncio.get_running_loop()
        clients = self.aio
        if clients is not None and clients.loop is loop:
            return clients
        factory = self.async_credential_factory or (lambda: build_credential(self.settings, aio=True))
        credential = await run_blocking(factory)
        clients = self.aio
        if clients is not None and clients.loop is loop:  # another wait built them meanwhile
            await AsyncClients(loop=loop, credential=credential).aclose()
            return clients
        clients = self.aio = AsyncClients(loop=loop, credential=credential)
        clients.closer = close_at_loop_shutdown(clients)
        await clients.closer.__anext__()  # registered with the loop: closed by shutdown_asyncgens
        return clients

    async def aio_web_for(self, subscription_id: str) -> Any:
        clients = await self.aio_clients()
        client = clients.web.get(subscription_id)
        if client is None:
            client = await run_blocking(web_client, clients.credential, self.settings, subscription_id, aio=True)
            client = clients.web.setdefault(subscription_id, client)
        return client

    async def aio_arm_client(self) -> Any:
        clients = await self.aio_clients()
        if clients.arm is None:
            arm = await run_blocking(self._new_async_arm_client, clients.credential)
            clients.arm = clients.arm or arm  # another wait may have built one meanwhile: keep one
        return clients.arm

    async def aperform(self, step: Step) -> Any:
        """:meth:`perform` through the aio clients, in the event loop."""
        if isinstance(step, ArmCall):
            arm = await self.aio_arm_client()
            return arm_result(await arm.send_request(arm_request(self.settings, step)))
        if isinstance(step, NextPage):
            page = await anext(step.pager, None)
            return None if page is None else [model.as_dict() async for model in page]
        if isinstance(step, OpenPages):
            return _operation(await self.aio_web_for(step.call.subscription_id), step.call).by_page()
        if isinstance(step, WebCall):
            return await _operation(await self.aio_web_for(step.subscription_id), step)
        raise TypeError(f"not an SDK call: {step!r}")

    def _new_async_arm_client(self, credential: Any) -> Any:
        from azure.mgmt.core import AsyncARMPipelineClient

        kwargs = self.settings.transport_kwargs(aio=True)
        return AsyncARMPipelineClient(
            base_url=self.settings.endpoint,
            policies=arm_policies(credential, self.settings, aio=True),
            transport=aio_transport(kwargs),
            **kwargs,
        )


def _operation(web: Any, call: WebCall) -> Any:
    """``call`` on an azure-mgmt-web client: the answer (sync), an awaitable (aio) or a pager (a listing)."""
    return getattr(getattr(web, call.group), call.operation)(*call.args, **call.kwargs)


def arm_request(settings: LogicAppsSettings, call: ArmCall) -> Any:
    """The ``HttpRequest`` of an :class:`ArmCall`: a relative url gets the api-version, a ``nextLink``
    is sent as it is."""
    from azure.core.rest import HttpRequest

    url, query = call.url, {}
    if "://" not in url:
        url = settings.endpoint + url
        query = {"api-version": CONSUMPTION_API_VERSION, **call.params}
    return HttpRequest(call.method, url, params=query, headers={"Accept": "application/json"})
