"""Every service this provider knows, each declared once in a module of this package.

A module here that defines ``SERVICE`` (a :class:`~.declaration.ServiceDeclaration`) is a service;
:func:`register` adds one declared elsewhere (a plugin, a test). Importing this package imports no
Airflow and no SDK.
"""

from __future__ import annotations

import pkgutil
from functools import cache
from importlib import import_module

from airflow_workflow_runs.services.declaration import (
    REQUIRED,
    Argument,
    ServiceDeclaration,
    StartRequest,
)

__all__ = ["REQUIRED", "Argument", "ServiceDeclaration", "StartRequest", "declaration", "declarations", "register"]

#: Modules of this package that are not services.
_NOT_SERVICES = frozenset({"declaration", "class_parts"})
_REGISTERED: dict[str, ServiceDeclaration] = {}


@cache
def _builtin() -> tuple[ServiceDeclaration, ...]:
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name in _NOT_SERVICES or info.name.startswith("_"):
            continue
        service = getattr(import_module(f"{__name__}.{info.name}"), "SERVICE", None)
        if isinstance(service, ServiceDeclaration):
            found.append(service)
    return tuple(found)


def declarations() -> tuple[ServiceDeclaration, ...]:
    """The built-in services (by name), then those registered."""
    return (*_builtin(), *_REGISTERED.values())


def declaration(name: str) -> ServiceDeclaration:
    """The service called ``name``, or a ValueError listing the services."""
    for service in declarations():
        if service.name == name:
            return service
    known = ", ".join(s.name for s in declarations())
    raise ValueError(f"unknown service {name!r}; the services are: {known}")


def register(service: ServiceDeclaration) -> ServiceDeclaration:
    """Add a service declared outside this package; a name already taken is refused."""
    if any(s.name == service.name for s in _builtin()) or _REGISTERED.get(service.name, service) is not service:
        raise ValueError(f"a service called {service.name!r} is already declared")
    _REGISTERED[service.name] = service
    return service


def unregister(name: str) -> None:
    """Forget a registered service (tests)."""
    _REGISTERED.pop(name, None)
