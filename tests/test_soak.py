"""``make soak`` in small: 14 waits a service (deferred, poke and reschedule) with 35% of the reads
faulted by every kind and the credentials rotated mid-wait; each must end as its run was scripted,
nothing may crash and no secret may show up anywhere.

A streak of k faulted polls backs a wait off 2**k - 1 intervals, so a rare long streak makes this
take a minute or two instead of ~25 s; each wait's timeout is set well above that.
"""

from __future__ import annotations

import io
import json

import pytest

from soak.run import Config, report, run_soak


@pytest.mark.timeout(300)
def test_short_soak_every_wait_ends_as_scripted_and_nothing_leaks():
    out = io.StringIO()
    config = Config(seed=10, waits=10, poke_waits=2, reschedule_waits=2, rate=0.35, interval=0.2, timeout=120.0)
    result = run_soak(config, out=out)
    report(result, out)
    summary = out.getvalue()
    problems = {name: s["problems"] for name, s in result["services"].items() if s["problems"]}
    assert result["total"]["waits"] == 5 * 14, summary
    assert result["fault_kinds_missing"] == [], summary
    assert all(s["rotated_at_s"] is not None and s["waits_running_at_rotation"] for s in result["services"].values())
    assert result["leaks"] == [], json.dumps(result["leaks"], indent=1)
    assert result["total"]["crashes"] == 0, summary + json.dumps(problems, indent=1)[:20000]
    assert result["total"]["false"] == 0, summary + json.dumps(problems, indent=1)[:20000]
    assert result["searched"]["log records"] > 0 and result["searched"]["events"] == 50
