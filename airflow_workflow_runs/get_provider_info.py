"""What ``airflow providers ...`` and the UI learn about this package (entry point target).

Kept free of imports: Airflow reads it in every process that lists providers.
"""

from __future__ import annotations

from typing import Any

PACKAGE = "airflow_workflow_runs"


def get_provider_info() -> dict[str, Any]:
    return {
        "package-name": "airflow-workflow-runs",
        "name": "Workflow runs in other clouds",
        "description": "Sensors, deferrable triggers and operators that gate DAGs on workflow runs in "
        "other clouds (AWS Glue workflows, and more).",
        "integrations": [
            {
                "integration-name": "AWS Glue workflow runs",
                "external-doc-url": "https://docs.aws.amazon.com/glue/latest/dg/workflows_overview.html",
                "tags": ["aws"],
            },
        ],
        "hooks": [
            {"integration-name": "AWS Glue workflow runs", "python-modules": [f"{PACKAGE}.hooks.glue"]},
        ],
        "sensors": [
            {"integration-name": "AWS Glue workflow runs", "python-modules": [f"{PACKAGE}.sensors.glue"]},
        ],
        "operators": [
            {"integration-name": "AWS Glue workflow runs", "python-modules": [f"{PACKAGE}.operators.glue"]},
        ],
        "triggers": [
            {
                "integration-name": "AWS Glue workflow runs",
                "python-modules": [f"{PACKAGE}.triggers.workflow_run"],
            },
        ],
        "extra-links": [f"{PACKAGE}.links.glue.GlueWorkflowRunLink"],
        "connection-types": [],
    }
