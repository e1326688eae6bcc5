"""The services an emulator serves, in the order the dispatcher asks them.

To add a service: write a module with a :class:`~.service.Service` subclass and append the class
here. Put services with narrow ``matches`` (a specific header) before broad path-based ones.
"""

from __future__ import annotations

from .codecatalyst import CodeCatalystService
from .datadog import DatadogService
from .dataworks import DataWorksService
from .glue import GlueService
from .logic_apps import LogicAppsService
from .service import Service

BUILTIN_SERVICES: tuple[type[Service], ...] = (
    GlueService,
    CodeCatalystService,
    DataWorksService,
    DatadogService,
    LogicAppsService,
)
