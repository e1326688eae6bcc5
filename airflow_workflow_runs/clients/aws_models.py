"""One botocore data loader for every AWS client this package builds in a process.

A botocore session loads and keeps its own copy of a service's JSON model: about 16 MiB for Glue,
paid again by every client built on a new session (one per connection, rebuilt when the connection
changes). Sharing the loader, as the amazon provider does for its async sessions, pays it once.
"""

from __future__ import annotations

from typing import Any

import botocore.loaders

_LOADER = botocore.loaders.Loader()


def share_service_models(botocore_session: Any) -> None:
    """Make ``botocore_session`` read service models through the process-wide loader.

    Call it after any ``boto3.Session`` wrapping it was created: boto3 adds its own data path to
    the session's loader at creation, which must not accumulate on the shared one.
    """
    botocore_session.register_component("data_loader", _LOADER)
