"""A service's hook module whose SDK is not installed (tests/test_packaging.py)."""

import toy_sdk_that_is_not_installed  # noqa: F401
