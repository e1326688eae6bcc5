"""Each service sensor's declared arguments line up with its client: the data the generic code relies on."""

from __future__ import annotations

import inspect

import pytest

from airflow_workflow_runs.get_provider_info import SERVICES
from airflow_workflow_runs.registry import load_hook_class
from airflow_workflow_runs.sensors.workflow_run import WorkflowRunSensor
from airflow_workflow_runs.sensors.workflow_runs import service_arguments

MODULES = [module for _, module in SERVICES]


def sensor_class(module: str) -> type[WorkflowRunSensor]:
    from importlib import import_module

    found = [
        value
        for value in vars(import_module(f"airflow_workflow_runs.sensors.{module}")).values()
        if isinstance(value, type) and issubclass(value, WorkflowRunSensor) and value is not WorkflowRunSensor
    ]
    assert len(found) == 1
    return found[0]


@pytest.mark.parametrize("module", MODULES)
def test_arguments_name_the_clients_fields(module):
    arguments = service_arguments(module)
    client_class = load_hook_class(arguments.hook_class_path).client_class
    assert arguments.service == client_class.service == module
    assert arguments.ref_args == client_class.ref_fields  # run id last
    assert set(arguments.workflow_args) == set(client_class.workflow_fields)


@pytest.mark.parametrize("module", MODULES)
def test_every_argument_is_a_templated_parameter_of_the_sensor(module):
    cls = sensor_class(module)
    parameters = inspect.signature(cls.__init__).parameters
    arguments = service_arguments(module)
    for name in arguments.names:
        assert name in parameters, f"{cls.__name__} has no parameter {name}"
        assert name in cls.template_fields, f"{cls.__name__}.{name} is not templated"
    assert {"started_after", "started_before"} <= set(cls.template_fields)
    assert parameters[arguments.run_id_arg].default is None  # the run id may be left out
    assert cls.arguments is arguments and cls.hook_class_path == arguments.hook_class_path
