"""Glue's ListWorkflows: the workflow names of the account and region, a page at a time.

What a connection test calls (the cheapest Glue read that names no workflow). Names come sorted,
``MaxResults`` is 1..25 as in Glue, and ``NextToken`` is the last name of the page.
"""

from __future__ import annotations

from typing import Any

from .glue_wire import GlueError
from .store import Store

MAX_RESULTS = 25


def list_workflows(store: Store, service: str, body: dict[str, Any]) -> dict[str, Any]:
    """ListWorkflows' answer: ``{"Workflows": [names], "NextToken"?}``."""
    max_results = body.get("MaxResults", MAX_RESULTS)
    if isinstance(max_results, bool) or not isinstance(max_results, int) or not 1 <= max_results <= MAX_RESULTS:
        raise GlueError(
            "InvalidInputException",
            f"1 validation error detected: Value '{max_results}' at 'maxResults' failed to satisfy "
            f"constraint: Member must have value between 1 and {MAX_RESULTS}",
        )
    token = body.get("NextToken")
    names = sorted(w.name for w in store.workflows(service))
    if token:
        names = [name for name in names if name > str(token)]
    page = names[:max_results]
    out: dict[str, Any] = {"Workflows": page}
    if len(names) > max_results:
        out["NextToken"] = page[-1]
    return out
