"""Shared fixtures: an isolated Airflow home, the bundled emulator, and connections to it.

Airflow reads its configuration at import time, so the environment is set here, before any test
module imports Airflow. Tests drive the real SDK clients over real HTTPS against the emulator.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

_HOME = Path(tempfile.mkdtemp(prefix="awr-tests-airflow-"))
_DAGS = _HOME / "dags"
_DAGS.mkdir()
os.environ.update(
    {
        "AIRFLOW_HOME": str(_HOME),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{_HOME}/airflow.db",
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(_DAGS),
        "AIRFLOW__CORE__UNIT_TEST_MODE": "True",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
    }
)
for _name in [n for n in os.environ if n.startswith(("AIRFLOW_CONN_", "AWS_", "AZURE_", "DD_", "ALIBABA_CLOUD_"))]:
    del os.environ[_name]  # nothing from the developer's shell reaches the tests

from airflow_workflow_runs.emulator import Emulator  # noqa: E402  (after the environment is set)
from airflow_workflow_runs.hooks.shared_clients import clear_shared_clients  # noqa: E402
from tests.emulated_services import EmulatedServices  # noqa: E402
from tests.helpers import (  # noqa: E402
    CODECATALYST_CONN_ID,
    GLUE_CONN_ID,
    aws_connection,
    codecatalyst_connection,
)
from tests.logic_apps_helpers import install_connection  # noqa: E402


@pytest.fixture(scope="session")
def _emulator() -> Iterator[Emulator]:
    with Emulator(state_dir=str(_HOME / "emulator")) as emulator:
        yield emulator


@pytest.fixture
def emu(_emulator: Emulator) -> Iterator[Emulator]:
    """The emulator, emptied before each test."""
    _emulator.reset()
    clear_shared_clients()
    yield _emulator
    _emulator.reset()
    clear_shared_clients()


@pytest.fixture
def glue_conn(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(f"AIRFLOW_CONN_{GLUE_CONN_ID.upper()}", aws_connection(emu))
    return GLUE_CONN_ID


@pytest.fixture
def cc_conn(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(f"AIRFLOW_CONN_{CODECATALYST_CONN_ID.upper()}", codecatalyst_connection(emu))
    return CODECATALYST_CONN_ID


@pytest.fixture
def la_conn(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> str:
    """The Logic Apps connection to the emulator (whose token endpoint wants its client secret)."""
    return install_connection(emu, monkeypatch)


@pytest.fixture(scope="session")
def airflow_db() -> None:
    from airflow.utils import db

    db.initdb()
    from airflow.dag_processing.bundles.manager import DagBundlesManager

    DagBundlesManager().sync_bundles_to_db()


@pytest.fixture
def run_dag(airflow_db: None) -> Callable[..., Any]:
    """Run a DAG with ``dag.test()`` and return its DagRun (one process, so ~0.3 s each)."""
    from airflow.dag_processing.dagbag import DagBag, sync_bag_to_db

    def _run(dag: Any, **kwargs: Any) -> Any:
        bag = DagBag(dag_folder=str(_DAGS), collect_dags=False)
        bag.bag_dag(dag)
        sync_bag_to_db(bag, "dags-folder", None)
        return dag.test(**kwargs)

    return _run


_counter = iter(range(1_000_000))


@pytest.fixture
def dag_id(request: pytest.FixtureRequest) -> str:
    """A DAG id unique in the session (dag.test() keeps history in the shared DB)."""
    return f"t{next(_counter)}_{request.node.name[:60]}".replace("[", "_").replace("]", "")


# --- every service at once (tests of hostile ids, garbled answers and secret leaks) -------------


@pytest.fixture
def services(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> EmulatedServices:
    """A connection per service on the emulator, with the default (test) secrets."""
    return EmulatedServices(emu, monkeypatch)


@pytest.fixture
def services_with(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> Callable[[dict[str, str]], EmulatedServices]:
    """:class:`EmulatedServices` with the secrets given (the rest default)."""
    return lambda secrets: EmulatedServices(emu, monkeypatch, secrets)
