"""Translate botocore errors into the model's errors, shared by the AWS services.

botocore's own retry layer has already run when an error reaches us; what is left is classified
so that throttling, 5xx and network trouble never end a wait, and the rest fails with a message
a user can act on.
"""

from __future__ import annotations

import re

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError,
    HTTPClientError,
    IncompleteReadError,
    NoAuthTokenError,
    NoCredentialsError,
    TokenRetrievalError,
)
from botocore.parsers import ResponseParserError

from airflow_workflow_runs.clients.answers import READ_ERRORS, garbled
from airflow_workflow_runs.clients.network_errors import network_failure
from airflow_workflow_runs.clients.retry_policy import retry_after_seconds
from airflow_workflow_runs.model import (
    CredentialsRejected,
    PermissionDenied,
    RunNotFound,
    ServiceError,
    ServiceUnreachable,
    TransientServiceError,
    UnknownEndpoint,
    WorkflowRunError,
)

NOT_FOUND_CODES = frozenset({"EntityNotFoundException", "ResourceNotFoundException", "NotFoundException"})
#: Refusals of a permission (IAM's answer to an accepted identity); the other access codes refuse
#: the credentials themselves.
PERMISSION_CODES = frozenset({"AccessDeniedException", "AccessDenied"})
ACCESS_CODES = PERMISSION_CODES | frozenset(
    {
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "ExpiredTokenException",
        "MissingAuthenticationTokenException",
        "UnauthorizedException",
        "IncompleteSignature",
        "IncompleteSignatureException",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
    }
)
TRANSIENT_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "InternalServiceException",
        "InternalServerException",
        "InternalFailure",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "OperationTimeoutException",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)


#: How IAM names the action it refused: "... is not authorized to perform: glue:GetWorkflowRun on ...".
AUTHORIZED_ACTION = re.compile(r"not authorized to perform:? ([\w-]+:[\w*-]+)")
DEFAULT_ACCESS_HINT = "Check the connection's credentials and that their policy allows this call."


def translate(
    error: Exception, what: str, not_found_hint: str = "", access_hint: str = DEFAULT_ACCESS_HINT
) -> WorkflowRunError:
    """Return the model error for a botocore exception raised while working on ``what``."""
    if isinstance(error, ClientError):
        return _from_client_error(error, what, not_found_hint, access_hint)
    if isinstance(error, WorkflowRunError):
        return error
    if isinstance(error, (ResponseParserError, IncompleteReadError)):
        return garbled("a body botocore could not parse", error).about(what)
    if isinstance(error, (ConnectionError, HTTPClientError)):
        return ServiceUnreachable(
            f"{what}: the service could not be reached ({type(error).__name__}: {error}); will retry",
            reason=network_failure(error),
        )
    if isinstance(error, (*READ_ERRORS, RuntimeError)):
        # botocore's parsers assume the documented shape: a JSON [] or "x" raises AttributeError,
        # a timestamp out of any calendar RuntimeError("Unable to calculate correct timezone offset").
        return garbled("a body that is not the documented object", error).about(what)
    if isinstance(error, (NoCredentialsError, NoAuthTokenError, TokenRetrievalError)):
        return CredentialsRejected(f"{what}: no AWS credentials were found ({error}); set them in the connection")
    if type(error).__name__ == "InvalidRegionError":
        return UnknownEndpoint(f"{what}: {error}")
    if isinstance(error, BotoCoreError):
        return ServiceError(f"{what}: {type(error).__name__}: {error}")
    return ServiceError(f"{what}: {type(error).__name__}: {error}")


def _from_client_error(error: ClientError, what: str, not_found_hint: str, access_hint: str) -> WorkflowRunError:
    body = error.response.get("Error", {})
    meta = error.response.get("ResponseMetadata", {})
    code = str(body.get("Code", ""))
    message = str(body.get("Message", "") or "")
    status = int(meta.get("HTTPStatusCode") or 0)
    detail = f"{code or status}: {message}".rstrip(": ")
    if code in NOT_FOUND_CODES or status == 404:
        return RunNotFound(f"{what} was not found ({detail}).{' ' + not_found_hint if not_found_hint else ''}")
    if code in PERMISSION_CODES or (status == 403 and code not in ACCESS_CODES):
        action = AUTHORIZED_ACTION.search(message)
        return PermissionDenied(f"{what}: access denied ({detail}). {access_hint}", action and action.group(1))
    if code in ACCESS_CODES or status == 401:
        return CredentialsRejected(f"{what}: access denied ({detail}). {access_hint}")
    if code in TRANSIENT_CODES or status == 429 or status >= 500:
        return TransientServiceError(
            f"{what}: the service is throttling or failing ({detail}); will retry",
            retry_after=retry_after_seconds(meta.get("HTTPHeaders")),
        )
    if not code or code == str(status):  # botocore puts the status in Code when it read no type
        # Every AWS error answer names its type (__type / x-amzn-ErrorType); one without it was cut
        # off or replaced on the way (a 400 is also how Glue throttles): not a refusal to act on.
        garbled_error = garbled(f"an HTTP {status} error answer botocore could not read ({message[:120]!r})")
        return garbled_error.about(what)
    return ServiceError(f"{what}: the service refused the request ({detail})")
