"""No secret of a connection shows anywhere: a unique sentinel per service and secret field.

Each service's wait runs through the hook (sync and async), the sensor in poke mode and deferred
(the trigger, as the triggerer runs it), with throttling, a 5xx, an HTML page, an expired
credential and a final access-denied failure on the way. Searched for every sentinel, and for its
obvious encodings (base64, URL quoting, hex): every log record at DEBUG of every logger (the SDKs'
and urllib3's included) and everything written to stdout/stderr, every exception's text and repr,
XCom values, the trigger's serialized kwargs and its events, ``repr`` of hooks, clients and their
settings, and the emulator's request log.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import uuid
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from airflow.sdk.exceptions import TaskDeferred

from airflow_workflow_runs.model import WorkflowRunError
from tests.emulated_services import EmulatedServices
from tests.helpers import first_event, run_context

#: Which of the connections' secrets each target's wait holds.
SECRET_FIELDS = {
    "glue": ("aws_secret_access_key", "aws_session_token"),
    "codecatalyst": ("codecatalyst_token",),
    "logic_apps_consumption": ("azure_client_secret",),
    "logic_apps_standard": ("azure_client_secret",),
    "datadog": ("datadog_api_key", "datadog_app_key"),
    "dataworks": ("dataworks_access_key_secret", "dataworks_security_token"),
}
LOGGERS = (
    "",
    "airflow",
    "airflow.task",
    "airflow_workflow_runs",
    "botocore",
    "boto3",
    "urllib3",
    "azure",
    "azure.core",
    "azure.identity",
    "msal",
    "aiohttp",
    "datadog_api_client",
    "alibabacloud_tea_openapi",
    "alibabacloud_credentials",
    "darabonba",
)


def sentinels() -> dict[str, str]:
    """A unique secret per field: nothing else in the process can hold it by chance."""
    return {field: f"SNTL{uuid.uuid4().hex}{field.replace('_', '')}" for field in EmulatedServices.DEFAULT_SECRETS}


def encodings(secret: str) -> set[str]:
    raw = secret.encode()
    forms = {
        secret,
        base64.b64encode(raw).decode(),
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
        quote(secret, safe=""),
        quote_plus(secret),
        raw.hex(),
    }
    return forms | {form.lower() for form in forms}


def leaks(texts: Iterable[str | tuple[str, str]], secrets: dict[str, str]) -> list[str]:
    """Which secrets (field and encoding) appear in which of ``texts`` (each maybe with its source),
    once per field and source."""
    found: dict[tuple[str, str], str] = {}
    for item in texts:
        source, text = item if isinstance(item, tuple) else ("output", item)
        folded = text.lower()
        for field, secret in secrets.items():
            for form in sorted(encodings(secret)):
                start = folded.find(form.lower())
                if start >= 0 and (field, source) not in found:
                    context = text[max(start - 60, 0) : start + 16]
                    found[field, source] = f"{field} in {source} (as {form[:10]}...): ...{context!r}"
    return list(found.values())


def test_the_search_finds_a_secret_in_every_encoding():
    secrets = sentinels()
    secret = secrets["datadog_api_key"]
    for form in encodings(secret):
        assert leaks([f"header: {form}; more"], secrets), form
    assert leaks([f"Bearer {secret.upper()}"], secrets)
    assert not leaks(["nothing to see", json.dumps(list(EmulatedServices.DEFAULT_SECRETS))], secrets)


class Outputs:
    """Everything the wait produced that a person (or the metadata DB) gets to see."""

    def __init__(self) -> None:
        self.texts: list[str | tuple[str, str]] = []

    def add(self, *values: Any) -> None:
        for value in values:
            self.texts.append(value if isinstance(value, str) else f"{value!s} {value!r}")
            if isinstance(value, BaseException):
                self.texts.append(f"{value.__cause__!r} {value.__context__!r} {getattr(value, 'args', ())!r}")
            if isinstance(value, (dict, list, tuple)):
                self.texts.append(json.dumps(value, default=str))

    def call(self, action: Any) -> Any:
        """``action()``'s result, or the exception it raised (both kept)."""
        try:
            result = action()
        except Exception as error:
            self.add(error)
            return error
        self.add(result)
        return result


FAULTS = [
    {"status": 429, "retry_after": 0},
    {"status": 500},
    {"body": "non_json", "status": 200},
    {"status": 401},  # a credential the service no longer takes: the hook rebuilds its client once
]


@pytest.mark.parametrize("target", EmulatedServices.TARGETS)
def test_no_secret_shows_anywhere_in_a_wait(services_with, target, caplog, capfd):
    secrets = sentinels()
    services = services_with(secrets)
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    out = Outputs()
    hook = services.hook(target)

    # The hook, sync and async, through every fault and then an access denied that stays.
    ref = services.add_run(target, "succeeded")
    for read in (lambda: hook.get_run(ref), lambda: asyncio.run(hook.aget_run(ref))):
        for fault in FAULTS:
            services.fault(target, **fault)
            out.call(read)
        services.fault(target, count=4, status=403)
        assert isinstance(out.call(read), WorkflowRunError)
        services.emu.clear_faults()
        out.add(out.call(read).to_dict())  # read again: the credential works once the refusals end
    out.add(repr(hook), repr(hook.client), hook.serialize(), vars(hook.client).get("settings"))

    # The sensor in poke mode: faults, then the run; then a sensor whose reads stay denied.
    ref = services.add_run(target, "running", "succeeded", polls=2)
    sensor = services.sensor(target, ref, poke_interval=0.01)
    ctx = run_context()
    for fault in FAULTS:
        services.fault(target, **fault)
        out.call(lambda: sensor.poke(ctx))
    done = None
    while not getattr(done, "is_done", False):
        done = out.call(lambda: sensor.poke(ctx))
    out.add(done.xcom_value, ctx["ti"].xcoms, repr(sensor.hook))
    services.fault(target, count=4, status=403)
    out.call(lambda: services.sensor(target, ref, task_id="denied").poke(run_context()))
    services.emu.clear_faults()

    # Deferred: the trigger's kwargs, its events through faults, and the result it resumes with.
    ref = services.add_run(target, "running", "succeeded", polls=2)
    sensor = services.sensor(target, ref, poke_interval=0.01, deferrable=True)
    ctx = run_context()
    with pytest.raises(TaskDeferred) as deferred:
        sensor.execute(ctx)
    trigger = deferred.value.trigger
    out.add(trigger.serialize(), repr(trigger))
    for fault in FAULTS:
        services.fault(target, **fault)
    event = first_event(trigger)
    assert event["status"] == "terminal", event
    out.add(event, out.call(lambda: sensor.execute_complete(ctx, event)), ctx["ti"].xcoms)
    services.fault(target, count=4, status=403)
    denied = first_event(services.trigger(target, ref, poll_interval=0.01))
    assert denied["status"] == "error", denied
    out.add(denied, out.call(lambda: sensor.execute_complete(ctx, denied)))
    services.emu.clear_faults()

    # The emulator saw the connection's credentials (it refuses others), and logged what was sent.
    out.add(json.dumps(services.emu.requests(), default=str))
    captured = capfd.readouterr()
    out.texts.extend([("stdout", captured.out), ("stderr", captured.err)])
    for record in caplog.records:
        for text in (record.getMessage(), repr(record.args), repr(getattr(record, "exc_text", None))):
            out.texts.append((f"a log record of {record.name!r}", text))
    assert len(caplog.records) > 20, "the logs were not captured"
    found = leaks(out.texts, {field: secrets[field] for field in SECRET_FIELDS[target]})
    assert not found, "\n".join(found)


def is_botocore_debug(record: logging.LogRecord) -> bool:
    return record.name.startswith("botocore") and record.levelno <= logging.DEBUG


@pytest.mark.parametrize("target", ["glue", "codecatalyst"])
def test_botocores_debug_logs_show_no_secret(services_with, target, caplog):
    secrets = sentinels()
    services = services_with(secrets)
    caplog.set_level(logging.DEBUG, logger="botocore")
    ref = services.add_run(target, "succeeded")
    assert services.hook(target).get_run(ref).state.value == "succeeded"
    texts = [(f"a log record of {r.name!r}", r.getMessage()) for r in caplog.records if is_botocore_debug(r)]
    assert texts, "botocore logged nothing at DEBUG"
    found = leaks(texts, {field: secrets[field] for field in SECRET_FIELDS[target]})
    assert not found, "\n".join(found)


def test_the_redaction_keeps_everything_but_the_credential_values():
    from airflow_workflow_runs.clients.log_redaction import redact

    dump = (
        "headers={'X-Amz-Target': b'AWSGlue.GetWorkflowRun', 'X-Amz-Security-Token': b'tok+/=', "
        "'Authorization': b'AWS4-HMAC-SHA256 Credential=AKID/x, Signature=abc'}"
    )
    assert redact(dump) == (
        "headers={'X-Amz-Target': b'AWSGlue.GetWorkflowRun', 'X-Amz-Security-Token': b'***', 'Authorization': b'***'}"
    )
    assert (
        redact("host:x\nx-amz-security-token:tok+/=\nx-amz-target:y")
        == "host:x\nx-amz-security-token:***\nx-amz-target:y"
    )
    assert redact("the authorization of a user") == "the authorization of a user"

    sts = "<AssumeRoleResult><Credentials><AccessKeyId>ASIA1</AccessKeyId><SecretAccessKey>s3cr3t</SecretAccessKey>"
    sts += "<SessionToken>t0k3n</SessionToken></Credentials></AssumeRoleResult>"
    assert (
        "s3cr3t" not in redact(sts) and "t0k3n" not in redact(sts) and "<AccessKeyId>ASIA1</AccessKeyId>" in redact(sts)
    )
    sso = '{"roleCredentials": {"accessKeyId": "ASIA2", "secretAccessKey": "s3cr3t", "sessionToken": "t0k3n"}}'
    assert "s3cr3t" not in redact(sso) and "t0k3n" not in redact(sso) and '"accessKeyId": "ASIA2"' in redact(sso)
    web_identity = "{'RoleArn': 'arn:aws:iam::1:role/r', 'WebIdentityToken': 'eyJhbGciOi.x.y'}"
    assert "eyJhbGciOi" not in redact(web_identity) and "'RoleArn': 'arn:aws:iam::1:role/r'" in redact(web_identity)
    assert "sso-t0k3n" not in redact("headers={'x-amz-sso_bearer_token': b'sso-t0k3n'}")
