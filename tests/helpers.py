"""Helpers shared by tests, free of side effects (conftest.py sets the environment up)."""

from __future__ import annotations

import datetime
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_workflow_runs.emulator import Emulator

GLUE_CONN_ID = "aws_emulator"
REGION = "eu-west-1"
START = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


def aws_connection(emulator: Emulator, **extra: Any) -> str:
    """An ``aws`` connection to the emulator, as JSON for an ``AIRFLOW_CONN_*`` variable."""
    return json.dumps(
        {
            "conn_type": "aws",
            "login": "AKIDEMULATOR",
            "password": "emulator-secret-never-logged",
            "extra": {
                "region_name": REGION,
                "endpoint_url": emulator.https_url,
                "verify": emulator.ca_bundle,
                # Reach our own retry logic quickly: botocore makes two attempts per call.
                "config_kwargs": {"retries": {"mode": "standard", "total_max_attempts": 2}},
                **extra,
            },
        }
    )
