"""``python -m airflow_workflow_runs.cli``: the same as the ``airflow-workflow-runs`` script."""

import sys

from airflow_workflow_runs.cli import main

sys.exit(main())
