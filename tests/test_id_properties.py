"""Id validators of all five services, as properties (hypothesis), through each client's public
``validate_ref`` / ``validate_workflow``:

- nothing that could leave its URL path segment is accepted for a field that becomes one: empty
  and blank values, the dot segments ``.`` and ``..``, and values holding ``/``, ``\\``, ``?``,
  ``#``, ``%`` or a control character; the error is ``InvalidRunReference`` naming the field;
- every id the service documents as valid is accepted, unchanged.

The documented patterns are written out here, from the services' API references, on purpose: the
tests state the rule instead of reusing the client's own regular expressions.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airflow_workflow_runs.clients.codecatalyst import CodeCatalystRunClient, build_boto_client
from airflow_workflow_runs.clients.datadog import DatadogRunClient, build_api
from airflow_workflow_runs.clients.dataworks import DataWorksRunClient, DataWorksSettings
from airflow_workflow_runs.model import InvalidRunReference
from tests.helpers import glue_client
from tests.logic_apps_helpers import client as logic_apps_client

PROPERTY = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- documented-valid ids ------------------------------------------------------------------------

UUID = st.from_regex(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", fullmatch=True
) | st.uuids().map(str)
#: CodeCatalyst spaceName / projectName: 3-63 characters of ``[a-zA-Z0-9]+(?:[-_\.][a-zA-Z0-9]+)*``.
CODECATALYST_NAME = st.builds(
    lambda first, rest: first + "".join(sep + part for sep, part in rest),
    st.text(string.ascii_letters + string.digits, min_size=1, max_size=12),
    st.lists(st.tuples(st.sampled_from("-_."), st.text(string.ascii_letters + string.digits, min_size=1, max_size=8))),
).filter(lambda name: 3 <= len(name) <= 63)
#: DataWorks instance, workflow and workspace ids: positive 64-bit integers (``Long``), given as an
#: int or as its digits (what a template renders).
DATAWORKS_ID = st.integers(1, 2**63 - 1).flatmap(lambda n: st.sampled_from([n, str(n)]))
#: Glue NameString / IdString: 1-255 characters of ``[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\t]``
#: (a single line: tab, but no other control character below U+0020), not blank.
GLUE_NAME = st.text(
    st.characters(
        exclude_categories=("Cs",), exclude_characters=[chr(c) for c in range(0x20) if c != 0x09] + ["\ufffe", "\uffff"]
    ),
    min_size=1,
    max_size=255,
).filter(str.strip)
_LETTERS_AND_DIGITS = st.characters(categories=("Lu", "Ll", "Lt", "Lm", "Lo", "Nd"))
#: ARM resource group: 1-90 Unicode letters or digits, '_', '-', '.', '(' and ')', not ending in '.'.
RESOURCE_GROUP = st.text(_LETTERS_AND_DIGITS | st.sampled_from("_-.()"), min_size=1, max_size=90).filter(
    lambda name: not name.endswith(".")
)
#: Logic apps, their workflows and runs, as Azure names them: letters, digits, '-', '_', '.', '(', ')'.
AZURE_NAME = st.text(_LETTERS_AND_DIGITS | st.sampled_from("-_.()"), min_size=1, max_size=80)
NOT_IN_A_SEGMENT = [*"/\\?#%", "\u2028", "\u2029"]
#: Anything else that stays one path segment: no separator, query, fragment or escape mark, no
#: control character, not blank and not a dot segment (spaces inside are fine: they are quoted).
ONE_SEGMENT = st.text(
    st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp"), exclude_characters=NOT_IN_A_SEGMENT),
    min_size=1,
    max_size=100,
)
LOGIC_APPS_NAME = (AZURE_NAME | ONE_SEGMENT).filter(lambda name: name.strip() and name not in (".", ".."))
#: Datadog instance ids are UUIDs in practice (no pattern is documented): any single path segment
#: of at most 128 characters without whitespace is accepted.
DATADOG_INSTANCE_ID = UUID | st.text(
    st.characters(exclude_categories=("Cc", "Cs", "Zs", "Zl", "Zp"), exclude_characters=NOT_IN_A_SEGMENT).filter(
        lambda c: not c.isspace()
    ),
    min_size=1,
    max_size=128,
).filter(lambda name: name not in (".", ".."))

# --- what could leave its path segment ---------------------------------------------------------

SEGMENT_MARKS = st.sampled_from(list("/\\?#%"))
CONTROL_CHARACTERS = st.characters(categories=("Cc",)) | st.sampled_from(["\u2028", "\u2029"])
BLANK = st.text(
    st.characters(categories=("Zs",)) | st.sampled_from(list(" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\u2028\u2029")),
    min_size=1,
    max_size=6,
)


def inserted(valid: st.SearchStrategy[Any], marks: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """A valid id with one of ``marks`` put in somewhere."""
    return st.tuples(valid.map(str), marks, st.integers(0, 300)).map(
        lambda parts: parts[0][: parts[2]] + parts[1] + parts[0][parts[2] :]
    )


def hostile(valid: st.SearchStrategy[Any], marks: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[str]:
    """Empty, blank, a dot segment, or a valid id with a separator or control character put in."""
    if marks is None:
        marks = SEGMENT_MARKS | CONTROL_CHARACTERS
    return st.sampled_from(["", ".", ".."]) | BLANK | inserted(valid, marks)


# --- the clients, as the per-service tests build them (no request is ever sent here) --------------


@pytest.fixture(scope="module")
def clients(_emulator) -> dict[str, Any]:
    host = _emulator.http_url.removeprefix("http://")
    return {
        "glue": glue_client(_emulator),
        "codecatalyst": CodeCatalystRunClient(
            build_boto_client(token="cc-token", endpoint_url=_emulator.https_url, verify=_emulator.ca_bundle)
        ),
        "logic_apps": logic_apps_client(_emulator),
        "datadog": DatadogRunClient(build_api(api_key="dd-api", app_key="dd-app", host=_emulator.http_url)),
        "dataworks": DataWorksRunClient(
            DataWorksSettings(
                region="cn-shanghai", access_key_id="LTAI5t", access_key_secret="dw", endpoint=host, protocol="http"
            )
        ),
    }


SUBSCRIPTION = "6f0d2b1e-3c4a-4e5f-9a8b-7c6d5e4f3a2b"
#: A valid ref and workflow per service; each case below replaces one field.
REFS = {
    "glue": {"workflow_name": "etl", "run_id": "wr_0123456789abcdef"},
    "codecatalyst": {
        "space_name": "example-corp",
        "project_name": "my-project",
        "run_id": "0f5b8c3e-1f2a-4b6c-9d8e-7a6b5c4d3e2f",
    },
    "logic_apps": {
        "subscription_id": SUBSCRIPTION,
        "resource_group_name": "rg-integration",
        "site_name": "la-standard-site",
        "workflow_name": "ingest-orders",
        "run_name": "08584737551867954143243946780CU57",
    },
    "datadog": {
        "workflow_id": "ccf73164-1998-4785-a7a3-8d06c7e5f558",
        "instance_id": "305a472b-71ab-4ce8-8f8d-75db635627b5",
    },
    "dataworks": {"project_id": "100", "instance_id": "1234567"},
}
WORKFLOWS = {
    "glue": {"workflow_name": "etl"},
    "codecatalyst": {
        "space_name": "example-corp",
        "project_name": "my-project",
        "workflow_id": "a1b2c3d4-5678-90ab-cdef-111111111111",
    },
    "logic_apps": {k: v for k, v in REFS["logic_apps"].items() if k != "run_name"},
    "datadog": {"workflow_id": "ccf73164-1998-4785-a7a3-8d06c7e5f558"},
    "dataworks": {"project_id": "100", "workflow_id": "4242"},
}
#: (service, method, field, documented-valid values). Every field here ends up in a request; all
#: but Glue's (sent in a JSON body) and DataWorks' (sent as query parameters) in a URL path.
CASES = [
    ("codecatalyst", "validate_ref", "space_name", CODECATALYST_NAME),
    ("codecatalyst", "validate_ref", "project_name", CODECATALYST_NAME),
    ("codecatalyst", "validate_ref", "run_id", UUID),
    ("codecatalyst", "validate_workflow", "space_name", CODECATALYST_NAME),
    ("codecatalyst", "validate_workflow", "project_name", CODECATALYST_NAME),
    ("codecatalyst", "validate_workflow", "workflow_id", UUID),
    ("logic_apps", "validate_ref", "subscription_id", UUID),
    ("logic_apps", "validate_ref", "resource_group_name", RESOURCE_GROUP),
    ("logic_apps", "validate_ref", "site_name", LOGIC_APPS_NAME),
    ("logic_apps", "validate_ref", "workflow_name", LOGIC_APPS_NAME),
    ("logic_apps", "validate_ref", "run_name", LOGIC_APPS_NAME),
    ("logic_apps", "validate_workflow", "resource_group_name", RESOURCE_GROUP),
    ("logic_apps", "validate_workflow", "site_name", LOGIC_APPS_NAME),
    ("logic_apps", "validate_workflow", "workflow_name", LOGIC_APPS_NAME),
    ("datadog", "validate_ref", "workflow_id", UUID),
    ("datadog", "validate_ref", "instance_id", DATADOG_INSTANCE_ID),
    ("datadog", "validate_workflow", "workflow_id", UUID),
    ("dataworks", "validate_ref", "project_id", DATAWORKS_ID),
    ("dataworks", "validate_ref", "instance_id", DATAWORKS_ID),
    ("dataworks", "validate_workflow", "project_id", DATAWORKS_ID),
    ("dataworks", "validate_workflow", "workflow_id", DATAWORKS_ID),
]
PATH_SEGMENT_CASES = [case for case in CASES if case[0] != "dataworks"]
DATAWORKS_CASES = [case for case in CASES if case[0] == "dataworks"]
GLUE_CASES = [
    ("glue", "validate_ref", "workflow_name", GLUE_NAME),
    ("glue", "validate_ref", "run_id", GLUE_NAME),
    ("glue", "validate_workflow", "workflow_name", GLUE_NAME),
]


def case_id(case: tuple[str, str, str, Any]) -> str:
    return f"{case[0]}.{case[1]}.{case[2]}"


def validator(clients: dict[str, Any], service: str, method: str) -> Callable[[dict[str, Any]], dict[str, str]]:
    base = REFS[service] if method == "validate_ref" else WORKFLOWS[service]
    validate = getattr(clients[service], method)
    return lambda changes: validate({**base, **changes})


def assert_refused_naming(validate: Callable[[dict[str, Any]], Any], field: str, value: Any) -> None:
    with pytest.raises(InvalidRunReference) as raised:
        validate({field: value})
    assert field in str(raised.value), f"the message does not name {field}: {raised.value}"


@pytest.mark.parametrize("case", PATH_SEGMENT_CASES, ids=case_id)
def test_nothing_that_could_leave_its_path_segment_is_accepted(clients, case):
    service, method, field, valid = case
    validate = validator(clients, service, method)

    @PROPERTY
    @given(hostile(valid))
    def refused(value: str) -> None:
        assert_refused_naming(validate, field, value)

    refused()


# DataWorks ids travel as query parameters, but an id is digits only: nothing else is an id.
@pytest.mark.parametrize("case", DATAWORKS_CASES, ids=case_id)
def test_a_dataworks_id_is_only_digits(clients, case):
    service, method, field, valid = case
    validate = validator(clients, service, method)
    non_digits = st.text(st.characters(exclude_characters=list(string.digits)), min_size=1, max_size=3)
    values = hostile(valid, marks=SEGMENT_MARKS | CONTROL_CHARACTERS | non_digits) | st.sampled_from(["0", "-1", "+1"])
    if (method, field) == ("validate_ref", "project_id"):
        values = values.filter(bool)  # the empty one: test_an_empty_dataworks_project_id_is_refused

    @PROPERTY
    @given(values)
    def refused(value: str) -> None:
        assert_refused_naming(validate, field, value)

    refused()


def test_an_empty_dataworks_project_id_is_refused(clients):
    assert_refused_naming(validator(clients, "dataworks", "validate_ref"), "project_id", "")


@pytest.mark.parametrize("case", [*CASES, *GLUE_CASES], ids=case_id)
def test_every_documented_valid_id_is_accepted_unchanged(clients, case):
    service, method, field, valid = case
    validate = validator(clients, service, method)

    @PROPERTY
    @given(valid)
    def accepted(value: Any) -> None:
        assert validate({field: value})[field] == str(value)

    accepted()


def test_dataworks_ids_past_64_bits_are_refused(clients):
    validate = validator(clients, "dataworks", "validate_ref")

    @PROPERTY
    @given(st.integers(2**63, 10**19 - 1))
    def refused(value: int) -> None:
        assert_refused_naming(validate, "instance_id", value)

    refused()


# Glue names are sent in a JSON body, so '/', '?', '.' and '..' are names like any other; what its
# single-line rule forbids (control characters but tab), and empty or blank names, are refused.
@pytest.mark.parametrize("case", GLUE_CASES, ids=case_id)
def test_glue_names_are_refused_for_what_the_single_line_rule_forbids(clients, case):
    service, method, field, valid = case
    validate = validator(clients, service, method)
    line_breaking = st.characters(max_codepoint=0x1F).filter(lambda c: c != "\t")

    @PROPERTY
    @given(st.just("") | BLANK | inserted(valid, line_breaking))
    def refused(value: str) -> None:
        assert_refused_naming(validate, field, value)

    refused()


@pytest.mark.parametrize("name", [".", "..", "a/b", "../other", "x?y#z", "100%", "back\\slash"])
def test_glue_names_with_path_characters_are_names_like_any_other(clients, name):
    assert clients["glue"].validate_ref({"workflow_name": name, "run_id": name}) == {
        "workflow_name": name,
        "run_id": name,
    }


def test_a_missing_or_non_string_id_is_refused_naming_it(clients):
    for service, method, field, _ in [*CASES, *GLUE_CASES]:
        validate = validator(clients, service, method)
        for value in ([], {}, 1.5, True) if service == "dataworks" else ([], {}, 1.5, 7, True):
            assert_refused_naming(validate, field, value)
        if not (service == "logic_apps" and field in ("subscription_id", "resource_group_name", "site_name")):
            # Logic Apps fills those from the connection; a Consumption workflow has no site.
            base = REFS[service] if method == "validate_ref" else WORKFLOWS[service]
            missing = {k: v for k, v in base.items() if k != field}
            if not (service == "dataworks" and method == "validate_ref" and field == "project_id"):
                with pytest.raises(InvalidRunReference, match=field):
                    getattr(clients[service], method)(missing)
