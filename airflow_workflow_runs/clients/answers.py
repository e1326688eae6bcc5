"""What a client does with an answer it cannot read: one rule for every service.

A 2xx answer whose body is not the documented object is a :class:`GarbledAnswer` (transient),
wherever the reading fails: in the SDK's deserializer (botocore raises ``AttributeError`` for a
JSON ``[]``, azure-core a ``JSONDecodeError`` for an HTML page) or in our parser.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from airflow_workflow_runs.model import GarbledAnswer, WorkflowRunError

F = TypeVar("F", bound=Callable[..., Any])

#: What reading an unexpected body raises, in an SDK's deserializer or in our parsers: wrong
#: types and shapes, and numbers out of any range (``int(inf)``, a timestamp of 1e300).
READ_ERRORS: tuple[type[Exception], ...] = (
    AttributeError,
    TypeError,
    KeyError,
    IndexError,
    ValueError,
    ArithmeticError,
)
#: What a parser of ours may raise on a decoded body: also ``OSError``, which ``datetime.fromtimestamp``
#: raises for a time past the platform's range (a parser does no I/O, so it cannot be the network).
PARSE_ERRORS: tuple[type[Exception], ...] = (*READ_ERRORS, OSError)


def garbled(problem: str, error: BaseException | None = None) -> GarbledAnswer:
    """A GarbledAnswer saying what was wrong with the body (and what reading it raised)."""
    cause = f" ({type(error).__name__}: {str(error)[:200]})" if error is not None else ""
    return GarbledAnswer(f"the service answered with {problem}{cause}; will retry")


def reads_answer(parse: F) -> F:
    """Decorate a parser of service answers: any body it cannot read becomes a GarbledAnswer,
    never a bare ``KeyError``/``TypeError``/``AttributeError`` that would end a wait as failed."""

    @functools.wraps(parse)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return parse(*args, **kwargs)
        except WorkflowRunError:
            raise
        except PARSE_ERRORS as error:
            raise garbled("a body that is not a readable run", error) from None

    return wrapper  # type: ignore[return-value]


def require_object(raw: Any, problem: str = "no run object") -> Mapping[str, Any]:
    """``raw`` if it is a JSON object, else a GarbledAnswer (``[]``, ``null``, a bare string)."""
    if not isinstance(raw, Mapping):
        raise garbled(f"{problem}: a JSON {json_kind(raw)} instead of an object")
    return raw


def json_kind(value: Any) -> str:
    """The JSON name of a decoded value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else type(value).__name__


def require_status(raw_status: Any, field: str) -> str:
    """The run's raw status, if it is a non-empty string; anything else (absent, ``""``, a number,
    a list) is a garbled answer, never a status to look up (that would end the wait as unknown)."""
    if not isinstance(raw_status, str) or not raw_status.strip():
        shown = "none" if raw_status is None else f"a JSON {json_kind(raw_status)} {str(raw_status)[:40]!r}"
        raise garbled(f"no readable run status ({field}: {shown})")
    return raw_status


def require_listing(page: Any, field: str) -> list[Any]:
    """The list ``page[field]`` of a listing answer (a page of runs), else a GarbledAnswer.

    A real listing always holds its list, ``[]`` when there is nothing to list; a page that is not
    an object, or whose list is missing or not a list (``{}``, ``[]``, ``null``, a bare string, or an
    HTML page or cut-off body that an SDK read as ``{}``), is garbled, never "no runs": a listing
    taken as truth would skip the runs it did not show.
    """
    if not isinstance(page, Mapping):
        raise garbled(f"no run listing: a JSON {json_kind(page)} instead of an object")
    items = page.get(field)
    if not isinstance(items, list):
        shown = "it is missing" if items is None else f"a JSON {json_kind(items)} instead of a list"
        raise garbled(f"no run listing (no {field} list: {shown})")
    return items
