"""The run a try started, kept in Airflow 3.3's task state store so that a retry finds it by id.

Airflow 3.3 gives each task instance a key/value store (``context["task_state_store"]``) that
outlives its tries: the operator writes the started run there before waiting, and a retry after
a worker crash reads it back and follows that run while it is still running. Without a store
(Airflow < 3.3), with an empty one, or when it cannot be read, each service's own lookup (run
tags, client tokens, tracking ids) is the fallback.

Unlike the amazon provider's ``ResumableJobMixin``, which also returns a job that already
succeeded, an earlier try's run is followed only while it runs. A stored run of another workflow
(the task's arguments changed between tries) is never followed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

#: The store's key; renaming it breaks the retries of tasks in flight during an upgrade.
STATE_KEY = "workflow_run"


def stored_run(context: Mapping[str, Any], workflow: Mapping[str, str], log: logging.Logger) -> dict[str, str] | None:
    """The ref an earlier try of this task stored for this workflow, or None."""
    store = context.get("task_state_store")
    if store is None:
        return None
    try:
        value = store.get(STATE_KEY)
    except Exception as error:  # the store is Airflow's (API server, backend): never fail the task on it
        log.warning("Could not read the task state store (%s); looking for the run by the service's own means", error)
        return None
    if not isinstance(value, dict) or not _is_ids(value.get("ref")):
        return None
    if value.get("workflow") != dict(workflow):
        log.info(
            "Not following the run an earlier try started (%s): it is of another workflow (%s) than this try's (%s)",
            value.get("ref"),
            value.get("workflow"),
            dict(workflow),
        )
        return None
    return dict(value["ref"])


def store_run(
    context: Mapping[str, Any], ref: Mapping[str, str], workflow: Mapping[str, str], log: logging.Logger
) -> None:
    """Keep the started run for a retry; a store that cannot be written leaves the fallback."""
    store = context.get("task_state_store")
    if store is None:
        return
    try:
        store.set(STATE_KEY, {"ref": dict(ref), "workflow": dict(workflow)})
    except Exception as error:  # as in stored_run
        log.warning("Could not keep the run in the task state store (%s); a retry will look for it otherwise", error)


def _is_ids(value: Any) -> bool:
    return isinstance(value, dict) and bool(value) and all(isinstance(v, str) for v in value.values())
