"""What ``airflow providers ...`` and the UI learn about this package (entry point target).

Kept free of imports: Airflow reads it in every process that lists providers.
"""

from __future__ import annotations

from typing import Any

PACKAGE = "airflow_workflow_runs"
GLUE = "AWS Glue workflow runs"
CODECATALYST = "AWS CodeCatalyst workflow runs"
DATADOG = "Datadog Workflow Automation"
DATAWORKS = "Alibaba Cloud DataWorks workflow instances"
LOGIC_APPS = "Azure Logic Apps workflow runs"

CA_BUNDLE_FIELD = {
    "label": "CA bundle",
    "description": "Path of a PEM file of certificate authorities that verify the endpoint's TLS "
    "certificate (corporate proxies, the bundled emulator). Empty: the system's.",
    "schema": {"type": ["string", "null"]},
}


#: (integration name, module name) of every service; its hook, sensor and operator modules share the name.
SERVICES = (
    (GLUE, "glue"),
    (CODECATALYST, "codecatalyst"),
    (DATADOG, "datadog"),
    (DATAWORKS, "dataworks"),
    (LOGIC_APPS, "logic_apps"),
)


def _modules(integration: str, kind: str, service: str) -> dict[str, Any]:
    return {"integration-name": integration, "python-modules": [f"{PACKAGE}.{kind}.{service}"]}


def get_provider_info() -> dict[str, Any]:
    return {
        "package-name": "airflow-workflow-runs",
        "name": "Workflow runs in other clouds",
        "description": "Sensors, deferrable triggers and operators that gate DAGs on workflow runs in "
        "other clouds: AWS Glue and CodeCatalyst, Azure Logic Apps, Datadog, Alibaba DataWorks.",
        "integrations": [
            {
                "integration-name": GLUE,
                "external-doc-url": "https://docs.aws.amazon.com/glue/latest/dg/workflows_overview.html",
                "tags": ["aws"],
            },
            {
                "integration-name": CODECATALYST,
                "external-doc-url": "https://docs.aws.amazon.com/codecatalyst/latest/APIReference/API_GetWorkflowRun.html",
                "tags": ["aws"],
            },
            {
                "integration-name": DATADOG,
                "external-doc-url": "https://docs.datadoghq.com/api/latest/workflow-automation/",
                "tags": ["software"],
            },
            {
                "integration-name": DATAWORKS,
                "external-doc-url": "https://www.alibabacloud.com/help/en/dataworks/developer-reference/"
                "api-dataworks-public-2024-05-18-getworkflowinstance",
                "tags": ["alibaba"],
            },
            {
                "integration-name": LOGIC_APPS,
                "external-doc-url": "https://learn.microsoft.com/rest/api/appservice/workflow-runs/get",
                "tags": ["azure"],
            },
        ],
        "hooks": [_modules(name, "hooks", service) for name, service in SERVICES],
        "sensors": [
            *(_modules(name, "sensors", service) for name, service in SERVICES),
            # One sensor gates on runs of every service.
            {"integration-name": GLUE, "python-modules": [f"{PACKAGE}.sensors.workflow_runs"]},
        ],
        "operators": [_modules(name, "operators", service) for name, service in SERVICES],
        "triggers": [
            # One generic trigger serves every service.
            {
                "integration-name": GLUE,
                "python-modules": [f"{PACKAGE}.triggers.workflow_run", f"{PACKAGE}.triggers.workflow_runs"],
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
                },
            },
        },
        "extra-links": [
            f"{PACKAGE}.links.glue.GlueWorkflowRunLink",
            f"{PACKAGE}.links.codecatalyst.CodeCatalystWorkflowRunLink",
            f"{PACKAGE}.links.datadog.DatadogWorkflowInstanceLink",
            f"{PACKAGE}.links.dataworks.DataWorksWorkflowInstanceLink",
            f"{PACKAGE}.links.logic_apps.LogicAppsWorkflowRunLink",
        ],
        "connection-types": [
            # Glue uses the amazon provider's ``aws`` connection type: it is not registered again here.
            {
                "connection-type": "codecatalyst",
                "hook-class-name": f"{PACKAGE}.hooks.codecatalyst.CodeCatalystWorkflowRunHook",
                "hook-name": "AWS CodeCatalyst",
                "ui-field-behaviour": {
                    "hidden-fields": ["schema", "login", "port"],
                    "relabeling": {"host": "Endpoint URL", "password": "Personal access token"},
                    "placeholders": {
                        "host": "empty: https://codecatalyst.global.api.aws",
                        "password": "empty: botocore's token chain (AWS_BEARER_TOKEN_CODECATALYST, SSO)",
                    },
                },
                "conn-fields": {
                    "region_name": {
                        "label": "Region",
                        "description": "Signing region of the CodeCatalyst API (default us-west-2).",
                        "schema": {"type": ["string", "null"]},
                    },
                    "max_attempts": {
                        "label": "Attempts per call",
                        "description": "botocore standard-mode attempts for one API call (default 3).",
                        "schema": {"type": ["integer", "null"], "minimum": 1, "default": 3},
                    },
                    "ca_bundle": CA_BUNDLE_FIELD,
                },
            },
            {
                "connection-type": "datadog_workflows",
                "hook-class-name": f"{PACKAGE}.hooks.datadog.DatadogWorkflowInstanceHook",
                "hook-name": "Datadog Workflow Automation",
                "ui-field-behaviour": {
                    "hidden-fields": ["schema", "login", "port"],
                    "relabeling": {"host": "API URL override", "password": "Application key"},
                    "placeholders": {
                        "host": "empty: https://api.<site> (a proxy or the emulator; http:// works)",
                        "password": "an application key with workflows_read (and workflows_run to execute or cancel)",
                    },
                },
                "conn-fields": {
                    "api_key": {
                        "label": "API key",
                        "description": "The organization's Datadog API key.",
                        "schema": {"type": ["string", "null"], "format": "password"},
                    },
                    "site": {
                        "label": "Site",
                        "description": "The Datadog site of the organization (default datadoghq.com).",
                        "schema": {
                            "type": ["string", "null"],
                            "default": "datadoghq.com",
                            "enum": [
                                "datadoghq.com",
                                "us3.datadoghq.com",
                                "us5.datadoghq.com",
                                "datadoghq.eu",
                                "ap1.datadoghq.com",
                                "ap2.datadoghq.com",
                                "uk1.datadoghq.com",
                                "ddog-gov.com",
                                "us2.ddog-gov.com",
                                None,
                            ],
                        },
                    },
                    "timeout": {
                        "label": "Timeout (s)",
                        "description": "Seconds per API request (default 60).",
                        "schema": {"type": ["number", "null"], "exclusiveMinimum": 0, "default": 60},
                    },
                    "ca_bundle": CA_BUNDLE_FIELD,
                },
            },
            {
                "connection-type": "alibaba_dataworks",
                "hook-class-name": f"{PACKAGE}.hooks.dataworks.DataWorksWorkflowInstanceHook",
                "hook-name": "Alibaba Cloud DataWorks",
                "ui-field-behaviour": {
                    "hidden-fields": ["schema"],
                    "relabeling": {"host": "Endpoint URL", "login": "AccessKey ID", "password": "AccessKey secret"},
                    "placeholders": {
                        "host": "empty: https://dataworks.{region}.aliyuncs.com",
                        "login": "empty: the Alibaba default credential chain (ALIBABA_CLOUD_ACCESS_KEY_ID, ...)",
                        "password": "empty: the Alibaba default credential chain",
                    },
                },
                "conn-fields": {
                    "region": {
                        "label": "Region",
                        "description": "Region id of the DataWorks workspace, e.g. cn-hangzhou, cn-shanghai, "
                        "ap-southeast-1 (default cn-hangzhou). Picks the endpoint dataworks.{region}.aliyuncs.com "
                        "and the console link.",
                        "schema": {"type": ["string", "null"], "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$"},
                    },
                    "security_token": {
                        "label": "STS security token",
                        "description": "Only with a temporary (STS) AccessKey pair.",
                        "schema": {"type": ["string", "null"], "format": "password"},
                    },
                    "ca_bundle": CA_BUNDLE_FIELD,
                },
            },
            {
                "connection-type": "azure_logic_apps",
                "hook-class-name": f"{PACKAGE}.hooks.logic_apps.LogicAppsWorkflowRunHook",
                "hook-name": "Azure Logic Apps",
                "ui-field-behaviour": {
                    "hidden-fields": ["schema", "port"],
                    "relabeling": {
                        "host": "Resource Manager endpoint",
                        "login": "Client ID",
                        "password": "Client secret",
                    },
                    "placeholders": {
                        "host": "empty: the cloud's, e.g. https://management.azure.com",
                        "login": "application (client) id; without a secret: managed identity client id",
                        "password": "empty: DefaultAzureCredential (workload/managed identity, env, Azure CLI)",
                    },
                },
                "conn-fields": {
                    "tenant_id": {
                        "label": "Tenant ID",
                        "description": "Microsoft Entra tenant (directory) id of the service principal.",
                        "schema": {"type": ["string", "null"]},
                    },
                    "subscription_id": {
                        "label": "Subscription ID",
                        "description": "Subscription of the logic apps (a UUID). Empty: AZURE_SUBSCRIPTION_ID.",
                        "schema": {"type": ["string", "null"]},
                    },
                    "resource_group": {
                        "label": "Default resource group",
                        "description": "Used by tasks that do not name a resource group.",
                        "schema": {"type": ["string", "null"], "maxLength": 90},
                    },
                    "cloud": {
                        "label": "Azure cloud",
                        "description": "Sets the ARM endpoint, token scope, sign-in authority and portal links.",
                        "schema": {
                            "type": ["string", "null"],
                            "enum": ["AZURE_PUBLIC_CLOUD", "AZURE_CHINA_CLOUD", "AZURE_US_GOVERNMENT", None],
                            "default": "AZURE_PUBLIC_CLOUD",
                        },
                    },
                    "token_scope": {
                        "label": "Token scope",
                        "description": "OAuth scope of ARM tokens. Empty: the cloud's "
                        "(https://management.azure.com/.default).",
                        "schema": {"type": ["string", "null"]},
                    },
                    "authority_host": {
                        "label": "Authority host",
                        "description": "Microsoft Entra sign-in host. Empty: the cloud's (login.microsoftonline.com).",
                        "schema": {"type": ["string", "null"]},
                    },
                    "ca_bundle": CA_BUNDLE_FIELD,
                    "location": {
                        "label": "Region (portal links)",
                        "description": "Region of Standard logic apps, e.g. westeurope; only used for portal links.",
                        "schema": {"type": ["string", "null"]},
                    },
                    "retry_total": {
                        "label": "Retries per call",
                        "description": "azure-core retries of one API call (throttling, 5xx, network); default 3.",
                        "schema": {"type": ["integer", "null"], "minimum": 0, "default": 3},
                    },
                    "timeout": {
                        "label": "Timeout (s)",
                        "description": "Seconds to wait for an answer; default 60.",
                        "schema": {"type": ["number", "null"], "exclusiveMinimum": 0, "default": 60},
                    },
                },
            },
        ],
    }
