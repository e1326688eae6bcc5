"""What the Logic Apps client asks Azure, both tiers, as data: no I/O and no SDK import.

Each request is a :class:`WebCall` (Standard: an azure-mgmt-web operation) or an :class:`ArmCall`
(Consumption: one ARM request). The sync and aio paths build the same request here, hand it to
:class:`.logic_apps_sdk.SdkClients` (``perform`` or ``aperform``: only that call differs) and read
the answer here. Listing runs is a state machine (:func:`run_pages`) that yields the I/O it needs
and the pages it has read; a sync and an async driver run it, so page caps, continuation and
filters exist once.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from airflow_workflow_runs.clients.answers import require_listing
from airflow_workflow_runs.model import GarbledAnswer, WorkflowRun, format_ids


@dataclass(frozen=True)
class WebCall:
    """Standard: ``WebSiteManagementClient(subscription).<group>.<operation>(*args, **kwargs)``."""

    subscription_id: str
    group: str
    operation: str
    args: tuple[str, ...]
    kwargs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ArmCall:
    """Consumption: one ARM request. A relative ``url`` gets the api-version and ``params``; an absolute
    one (a ``nextLink``) is sent as it is. The answer is the JSON body."""

    method: str
    url: str
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OpenPages:
    """Standard: azure-mgmt-web's pager of a listing ``call`` (``.by_page()``, no request yet)."""

    call: WebCall


@dataclass(frozen=True)
class NextPage:
    """Standard: the next page of a pager from :class:`OpenPages`, as wire runs; ``None`` after the last."""

    pager: Any


@dataclass(frozen=True)
class Page:
    """Runs read by :func:`run_pages`, for its consumer (which sends ``None`` back)."""

    runs: list[WorkflowRun]


Call = WebCall | ArmCall
#: What :func:`run_pages` yields: the I/O to do (its answer is sent back), or a page read.
Step = WebCall | ArmCall | OpenPages | NextPage | Page


def run_call(ref: Mapping[str, str], operation: str) -> Call:
    """``get`` or ``cancel`` of one validated run."""
    if "site_name" in ref:
        args = (ref["resource_group_name"], ref["site_name"], ref["workflow_name"], ref["run_name"])
        return WebCall(ref["subscription_id"], "workflow_runs", operation, args)
    if operation == "get":
        return ArmCall("GET", consumption_path(ref, "runs", ref["run_name"]))
    return ArmCall("POST", consumption_path(ref, "runs", ref["run_name"], operation))


def run_wire(call: Call, answer: Any) -> Any:
    """The wire ``WorkflowRun`` of an answer to :func:`run_call`: azure-mgmt-web's model as a dict."""
    return answer.as_dict() if isinstance(call, WebCall) else answer


def callback_call(base: Mapping[str, str], trigger: str) -> Call:
    """The SAS-signed callback URL of a validated workflow's trigger (``list_callback_url``)."""
    if "site_name" in base:
        args = (base["resource_group_name"], base["site_name"], base["workflow_name"], trigger)
        return WebCall(base["subscription_id"], "workflow_triggers", "list_callback_url", args)
    return ArmCall("POST", consumption_path(base, "triggers", trigger, "listCallbackUrl"))


def callback_url(call: Call, answer: Any) -> Any:
    return answer.value if isinstance(call, WebCall) else answer.get("value")


def run_pages(
    base: Mapping[str, str],
    run_filter: str | None,
    page_size: int,
    max_pages: int,
    parse: Callable[[Mapping[str, str], Any], WorkflowRun],
) -> Generator[Step, Any, None]:
    """ListWorkflowRuns of a validated workflow, newest first: at most ``max_pages`` pages of
    ``page_size`` (``$top``), optionally filtered (``$filter``), following the continuation (the SDK's
    pager for Standard, ``nextLink`` for Consumption). Yields the I/O to do, to be sent its answer,
    and each :class:`Page` of runs (``parse`` reads one wire run)."""
    if "site_name" in base:
        args = (base["resource_group_name"], base["site_name"], base["workflow_name"])
        kwargs = {"top": page_size, "filter": run_filter, "raw_response_hook": refuse_garbled_page(base)}
        listing = WebCall(base["subscription_id"], "workflow_runs", "list", args, kwargs)
        pager = yield OpenPages(listing)
        for _ in range(max_pages):
            raws = yield NextPage(pager)
            if raws is None:
                return
            yield Page([parse(base, raw) for raw in raws])
        return
    params = {"$top": str(page_size)}
    if run_filter:
        params["$filter"] = run_filter
    url = consumption_path(base, "runs")
    for _ in range(max_pages):
        body = yield ArmCall("GET", url, params)
        yield Page([parse(base, raw) for raw in listed_runs(body, base)])
        url, params = body.get("nextLink"), {}
        if not url:
            return


def listed_runs(body: Any, base: Mapping[str, str]) -> list[Any]:
    """The ``value`` of a Consumption ListWorkflowRuns page, else a GarbledAnswer. ARM list answers
    always hold ``value`` (``[]`` for none); a ``{}`` (or an empty body, which ``arm_result`` reads as
    ``{}``) is garbled, never "no runs"."""
    try:
        return require_listing(body, "value")
    except GarbledAnswer as error:
        raise error.about(f"logic_apps ListWorkflowRuns ({format_ids(base)})") from None


def refuse_garbled_page(base: Mapping[str, str]) -> Callable[[Any], None]:
    """An azure-core ``raw_response_hook`` for a Standard listing: azure-mgmt-web's pager reads a 200
    ``{}`` as a page of no runs (its ``extract_data`` defaults ``value`` to ``[]``), so each page's
    answer is checked here first. A body that is not JSON is left to the pager, whose error is
    translated as garbled like any unreadable body."""

    def check(pipeline_response: Any) -> None:
        response = pipeline_response.http_response
        if response.status_code != 200:
            return
        try:
            body = response.json()
        except Exception:  # not JSON, or not read yet: the pager reads it and fails on its own
            return
        listed_runs(body, base)

    return check


def advance(steps: Generator[Step, Any, None], answer: Any) -> Step | None:
    """The next step of a :func:`run_pages` machine, sent the last one's answer; ``None`` at its end."""
    try:
        return steps.send(answer)
    except StopIteration:
        return None


def consumption_path(ref: Mapping[str, str], *tail: str) -> str:
    parts = [
        "subscriptions",
        ref["subscription_id"],
        "resourceGroups",
        ref["resource_group_name"],
        "providers",
        "Microsoft.Logic",
        "workflows",
        ref["workflow_name"],
        *tail,
    ]
    return "/" + "/".join(quote(part, safe="") for part in parts)
