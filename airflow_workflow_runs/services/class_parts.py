"""The parts of a class made from a declaration: its constructor, template fields and docstring.

Airflow reads an operator's ``__init__`` signature (required arguments, ``default_args``,
``partial``/``expand`` checks), so the made constructor carries the declared signature; the
docstring lists every declared argument, as a hand-written class would.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

from airflow_workflow_runs.services.declaration import Argument


def make_init(owner: type[Any], arguments: Sequence[Argument]) -> Callable[..., None]:
    """A keyword-only ``__init__`` that stores each declared argument as an attribute of the same
    name (after the base's ``__init__``, which gets every other keyword)."""

    def __init__(self: Any, **kwargs: Any) -> None:
        values = {}
        for argument in arguments:
            if argument.name in kwargs:
                values[argument.name] = kwargs.pop(argument.name)
            elif argument.required:
                raise TypeError(f"missing keyword argument {argument.name!r}")
            else:
                values[argument.name] = argument.default
        super(owner, self).__init__(**kwargs)
        for name, value in values.items():
            setattr(self, name, value)

    parameters = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    for argument in arguments:
        default = inspect.Parameter.empty if argument.required else argument.default
        parameters.append(
            inspect.Parameter(
                argument.name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=argument.annotation
            )
        )
    parameters.append(inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD, annotation="Any"))
    __init__.__signature__ = inspect.Signature(parameters, return_annotation="None")  # type: ignore[attr-defined]
    __init__.__qualname__ = f"{owner.__qualname__}.__init__"
    __init__.__module__ = owner.__module__
    return __init__


def template_fields(arguments: Sequence[Argument], extra: Sequence[str] = ()) -> tuple[str, ...]:
    return (*(a.name for a in arguments if a.templated), *extra)


def renderers(arguments: Sequence[Argument]) -> dict[str, str]:
    return {a.name: a.renderer for a in arguments if a.renderer}


def docstring(summary: str, arguments: Sequence[Argument], *tail: str) -> str:
    """``summary``, one ``:param:`` line per argument, then ``tail`` paragraphs."""
    lines = [inspect.cleandoc(summary), "", *(a.doc_line() for a in arguments)]
    for paragraph in tail:
        if paragraph:
            lines += ["", inspect.cleandoc(paragraph)]
    return "\n".join(lines)
