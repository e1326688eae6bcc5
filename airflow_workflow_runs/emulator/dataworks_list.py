"""ListWorkflowInstances of the DataWorks emulator: which instances a project's business date lists,
its filters (workflow, ids, name, type, environment), ``SortBy`` on Id and ``PageNumber``/``PageSize``;
and ListProjects (a connection test's call): the workspaces that have workflows, by id.

Its own module so the listing rules, which clients' window checks depend on, read apart from the
operations that change instances.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .dataworks_wire import DataWorksError, int_param, json_param, wire_instance
from .service import CallContext
from .store import Store


def list_instances(store: Store, service: str, params: Mapping[str, str], ctx: CallContext) -> dict[str, Any]:
    """One page of ListWorkflowInstances; only the instances on the page are observed."""
    project_id, biz_date = int_param(params, "ProjectId"), int_param(params, "BizDate")
    workflow_id = int_param(params, "WorkflowId", required=False)
    page_size = int_param(params, "PageSize", required=False) or 10
    page_number = int_param(params, "PageNumber", required=False) or 1
    if page_size > 100:
        raise DataWorksError(400, "InvalidParameter", "The parameter PageSize must be at most 100.")
    ids = {int(i) for i in json_param(params, "Ids") or []}
    name, kind, env = params.get("Name"), params.get("Type"), params.get("EnvType")
    sort = (params.get("SortBy") or "Id Desc").split()
    if sort[0] != "Id":
        raise DataWorksError(400, "InvalidParameter", "The emulator sorts by Id only.")
    with store.lock:
        runs = [
            r
            for r in store.runs(service)
            if r.data["project_id"] == project_id
            and r.data["biz_date"] == biz_date
            and (workflow_id is None or r.data["workflow_id"] == workflow_id)
            and (not ids or int(r.run_id) in ids)
            and (not name or name in r.data["name"])
            and (not kind or r.data["type"] == kind)
            and (not env or r.data["env_type"] == env)
        ]
        runs.sort(key=lambda r: int(r.run_id), reverse=len(sort) < 2 or sort[1] != "Asc")
        page = runs[(page_number - 1) * page_size : page_number * page_size]
        position = store.observe if ctx.observe else store.peek
        items = [wire_instance(r, position(r)) for r in page]
    return {
        "PagingInfo": {
            "PageNumber": page_number,
            "PageSize": page_size,
            "TotalCount": len(runs),
            "WorkflowInstances": items,
        }
    }


def list_projects(store: Store, service: str, params: Mapping[str, str]) -> dict[str, Any]:
    """One page of ListProjects: every workspace a workflow was defined in, lowest id first."""
    page_size = int_param(params, "PageSize", required=False) or 10
    page_number = int_param(params, "PageNumber", required=False) or 1
    if page_size > 100:
        raise DataWorksError(400, "InvalidParameter", "The parameter PageSize must be at most 100.")
    ids = sorted({int(w.data["project_id"]) for w in store.workflows(service)})
    page = ids[(page_number - 1) * page_size : page_number * page_size]
    projects = [{"Id": i, "Name": f"project_{i}", "DisplayName": f"Project {i}", "Status": "Available"} for i in page]
    return {
        "PagingInfo": {"PageNumber": page_number, "PageSize": page_size, "TotalCount": len(ids), "Projects": projects}
    }
