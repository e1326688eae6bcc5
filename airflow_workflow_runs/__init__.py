"""Airflow provider that gates DAGs on workflow runs in other clouds.

Importing this package (or a sensor module) imports no cloud SDK: hooks load them when a task runs.
"""

from __future__ import annotations

__version__ = "0.1.0"
