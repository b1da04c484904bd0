"""Fuzzing and property tests (issue 11): how many examples each runs.

Brief by default so `make test` stays fast; ``NEWSLETTER_TEST_FUZZ_EXAMPLES=N`` (what
`make fuzz` sets) makes every target run N examples. The Hypothesis database is off:
the corpus under tests/corpus/ is the checked-in memory of what once failed.
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, settings

_ASKED = int(os.environ.get("NEWSLETTER_TEST_FUZZ_EXAMPLES", "0") or 0)


def fuzz_settings(default: int, **more: Any) -> settings:
    """Settings for one property: ``default`` examples unless more are asked for."""
    return settings(
        max_examples=_ASKED or default,
        deadline=None,  # a loaded machine is not a failure
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        **more,
    )
