"""What ``airflow providers ...`` and the UI learn about this package (entry point target).

Every service entry is read from the service declarations (``airflow_workflow_runs.services``),
which import neither Airflow nor an SDK: Airflow reads this in every process that lists providers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from airflow_workflow_runs.services import ServiceDeclaration, declarations

PACKAGE = "airflow_workflow_runs"
#: The integration of the modules that serve every service (the gate, the triggers).
SHARED = "Cross-cloud gate"
SHARED_DOC_URL = "https://airflow.apache.org/docs/apache-airflow/stable/authoring-and-scheduling/deferring.html"


def _modules(service: ServiceDeclaration, kind: str) -> dict[str, Any]:
    return {"integration-name": service.title, "python-modules": [service.module(kind)]}


def _connection_type(service: ServiceDeclaration) -> dict[str, Any] | None:
    if service.connection_form is None:  # a connection type of another provider (Glue: amazon's ``aws``)
        return None
    return {
        "connection-type": service.conn_type,
        "hook-class-name": service.hook_class_path,
        "hook-name": service.hook_name,
        **service.connection_form,
    }


def get_provider_info() -> dict[str, Any]:
    return provider_info(declarations())


def provider_info(services: Iterable[ServiceDeclaration]) -> dict[str, Any]:
    """The provider's info for these services (the gate and the generic triggers serve them all)."""
    services = tuple(services)
    return {
        "package-name": "airflow-workflow-runs",
        "name": "Workflow runs in other clouds",
        "description": "Sensors, deferrable triggers and operators that gate DAGs on workflow runs in "
        f"other clouds: {', '.join(s.title for s in services)}.",
        "integrations": [
            *({"integration-name": s.title, "external-doc-url": s.doc_url, "tags": list(s.tags)} for s in services),
            {"integration-name": SHARED, "external-doc-url": SHARED_DOC_URL, "tags": ["software"]},
        ],
        "hooks": [_modules(s, "hooks") for s in services],
        "sensors": [
            *(_modules(s, "sensors") for s in services),
            # One sensor gates on runs of every service.
            {"integration-name": SHARED, "python-modules": [f"{PACKAGE}.sensors.cross_cloud_gate"]},
        ],
        "operators": [_modules(s, "operators") for s in services],
        "triggers": [
            # Each service's event trigger (AssetWatcher); one generic wait trigger serves every service.
            *(_modules(s, "triggers") for s in services),
            {
                "integration-name": SHARED,
                "python-modules": [f"{PACKAGE}.triggers.workflow_run", f"{PACKAGE}.triggers.cross_cloud_gate"],
            },
        ],
        "config": {
            "workflow_runs": {
                "description": "Settings of the airflow-workflow-runs provider (triggers, sensors, operators).",
                "options": {
                    "io_threads": {
                        "description": "Threads of the provider's own I/O pool, which runs blocking SDK calls "
                        "(boto3, datadog-api-client, DataWorks), SDK imports and client builds off a "
                        "triggerer's event loop, and the size of each shared client's connection pool. "
                        "Threads start on demand. Concurrent polls are bounded by it: at 0.3 s per "
                        "answer, 64 threads make ~210 polls a second (a 2-core triggerer parses ~350 at "
                        "most); raise it for slower endpoints (1 s and more across regions). Never the event loop's "
                        "default executor (shared with Airflow's own sync-to-async work).",
                        "version_added": "0.1.0",
                        "type": "integer",
                        "example": "256",
                        "default": "64",
                    },
                    "defer_settle_seconds": {
                        "description": "No trigger event sooner than this many seconds after the trigger "
                        "started, so that Airflow has processed the deferring worker's exit first "
                        "(apache/airflow#67287). Unset: [workers] min_heartbeat_interval + 5 (10). 0: off.",
                        "version_added": "0.2.0",
                        "type": "float",
                        "example": "15",
                        "default": None,
                    },
                    "check_at_parse": {
                        "description": "Whether the event triggers (AssetWatcher) check their workflow ids and "
                        "connection when a DAG is parsed: the connection must exist and be of the service's "
                        "type, and the ids must pass the service's rules with its defaults. It reads the "
                        "connection (and imports the service's SDK) in the DAG processor at every parse; "
                        "False leaves the checks to the first listing in the triggerer.",
                        "version_added": "0.2.0",
                        "type": "boolean",
                        "example": "False",
                        "default": "True",
                    },
                },
            },
        },
        "extra-links": [s.link_path for s in services],
        "connection-types": [entry for s in services if (entry := _connection_type(s)) is not None],
    }
