"""``make screenshots``: the README's pictures, taken in headless Chromium from the live stack.

Starts the stack ``make live`` runs (on a free port), or uses one already running (``--url``),
logs in as a person does, and captures into ``docs/images/``:

- ``connection-<type>.png``: each of the provider's connection forms (Admin → Connections → Add,
  the type picked, its extra fields opened);
- ``example_cross_cloud_gate-graph.png``: the graph of ``example_cross_cloud_gate`` after a run;
- ``asset-glue_workflow_finished.png``: the asset the Glue watcher of
  ``example_schedule_on_remote_runs`` updates, once it has announced a few runs: the assets and
  DAGs they schedule, and its events with the DAG runs each triggered.

The browser is the system's Chromium (Debian: ``apt-get install chromium``), driven by
playwright-python with ``executable_path``; no browser is downloaded.

    python -m e2e.screenshots [--url http://127.0.0.1:8080] [--out docs/images]
"""

from __future__ import annotations

import argparse
import base64
import os
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .api import Airflow, wait_for
from .live import PASSWORD, start_live_stack
from .procs import free_port
from .stack import ROOT, USERNAME

OUT = ROOT / "docs" / "images"
GATE_DAG = "example_cross_cloud_gate"
WATCHED_ASSET = "glue_workflow_finished"
ASSET_EVENTS = 3  # the emulator's schedule finishes a run every 30 s
BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def provider_connection_types() -> list[tuple[str, str, str]]:
    """(connection type, the name the form's type picker shows, default connection id) of ours."""
    from airflow_workflow_runs import services

    return [
        (d.conn_type, d.hook_name, f"{d.conn_type}_default")
        for d in services.declarations()
        if d.connection_form is not None  # Glue's `aws` form is the amazon provider's
    ]


def chromium_path() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    raise SystemExit("screenshots: no Chromium found; install the system's (Debian: apt-get install chromium)")


@contextmanager
def stack_url(url: str | None) -> Iterator[str]:
    if url:
        yield url.rstrip("/")
        return
    run_dir = ROOT / ".e2e" / f"{time.strftime('%Y%m%d-%H%M%S')}-screenshots"  # sorts with the e2e runs
    run_dir.mkdir(parents=True)
    print(f"screenshots: starting the live stack (logs in {run_dir}) ...", flush=True)
    stack = start_live_stack(run_dir, free_port(), trigger=False)
    try:
        yield stack.api_url
    finally:
        stack.stop()


def gate_run(url: str) -> str:
    """A finished, successful run of the gate DAG (triggered now, as the UI does)."""
    api = Airflow(url, USERNAME, PASSWORD)
    try:
        api.unpause(GATE_DAG)
        run_id = api.trigger(GATE_DAG)
        run = api.wait_dag_run(GATE_DAG, run_id, time.monotonic() + 300)
        if run["state"] != "success":
            raise SystemExit(f"screenshots: {GATE_DAG} run {run_id} ended {run['state']}")
        return run_id
    finally:
        api.close()


def watched_asset(url: str) -> int:
    """The id of the Glue watcher's asset, once it has ``ASSET_EVENTS`` events (the live stack
    unpauses DAGs at creation, so its watcher runs from the start)."""
    api = Airflow(url, USERNAME, PASSWORD)
    try:
        found = api.call("GET", "/assets", params={"name_pattern": WATCHED_ASSET})["assets"]
        asset_id = int(next(a["id"] for a in found if a["name"] == WATCHED_ASSET))

        def events() -> bool:
            answer = api.call("GET", "/assets/events", params={"asset_id": asset_id, "limit": 100})
            return len(answer["asset_events"]) >= ASSET_EVENTS

        wait_for(f"{ASSET_EVENTS} events on {WATCHED_ASSET}", events, 240, 5)
        return asset_id
    finally:
        api.close()


def capture_asset(page: Any, url: str, asset_id: int, out: Path) -> Path:
    page.goto(f"{url}/assets/{asset_id}")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(2500)  # the graph lays itself out
    path = out / f"asset-{WATCHED_ASSET}.png"
    page.screenshot(path=str(path))
    return path


def log_in(page: Any, url: str) -> None:
    page.goto(f"{url}/")
    page.locator("input[name=username]").fill(USERNAME)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("button[type=submit]").click()
    page.wait_for_url(f"{url}/", timeout=30_000)


def capture_connection_form(page: Any, url: str, conn_type: str, hook_name: str, conn_id: str, out: Path) -> Path:
    """The form's two sections side by side: the form opens one at a time (standard fields, as
    relabeled for the type, then the type's extra fields)."""
    page.goto(f"{url}/connections")
    page.get_by_role("button", name="Add Connection").click()
    dialog = page.get_by_role("dialog")
    dialog.locator("input[name=connection_id]").fill(conn_id)
    dialog.get_by_role("combobox").fill(hook_name)
    page.keyboard.press("Enter")
    page.wait_for_timeout(800)  # the section's opening animation
    standard = dialog.screenshot()
    dialog.get_by_text("Extra Fields", exact=True).click()
    page.wait_for_timeout(800)
    extra = dialog.screenshot()
    page.keyboard.press("Escape")
    path = out / f"connection-{conn_type}.png"
    side_by_side(page, [standard, extra], path)
    return path


def side_by_side(page: Any, pictures: list[bytes], path: Path) -> None:
    """One PNG of ``pictures`` in a row, laid out by the browser itself (no imaging library)."""
    images = "".join(
        f'<img src="data:image/png;base64,{base64.b64encode(p).decode()}" style="display:block">' for p in pictures
    )
    row = '<div id="row" style="display:inline-flex;gap:24px;align-items:flex-start;background:#fff;padding:12px">'
    viewport = page.viewport_size
    page.set_viewport_size({"width": 2400, "height": viewport["height"]})  # the row must fit, uncut
    page.set_content(f'<body style="margin:0">{row}{images}</div></body>')
    page.locator("#row").screenshot(path=str(path))
    page.set_viewport_size(viewport)


def capture_gate_graph(page: Any, url: str, run_id: str, out: Path) -> Path:
    page.goto(f"{url}/dags/{GATE_DAG}/runs/{run_id}")
    page.get_by_role("button", name="Show Graph (Press g)").click()
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(2000)  # the graph lays itself out, then fits the view
    path = out / f"{GATE_DAG}-graph.png"
    page.screenshot(path=str(path))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m e2e.screenshots", description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running `make live` stack, e.g. http://127.0.0.1:8080 (default: start one)")
    parser.add_argument("--out", type=Path, default=OUT, help=f"where the pictures go (default {OUT})")
    args = parser.parse_args(argv)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise SystemExit("screenshots: playwright is not installed; `make screenshots` installs it") from None
    browser_path = chromium_path()
    args.out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with stack_url(args.url) as url, sync_playwright() as playwright:
        run_id = gate_run(url)
        sandbox = ["--no-sandbox"] if os.geteuid() == 0 else []  # Chromium's sandbox refuses root
        browser = playwright.chromium.launch(executable_path=browser_path, args=sandbox)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900}, device_scale_factor=1)
            log_in(page, url)
            written.append(capture_gate_graph(page, url, run_id, args.out))
            written.append(capture_asset(page, url, watched_asset(url), args.out))
            page.set_viewport_size({"width": 1000, "height": 2400})  # a long form is not cut off
            for conn_type, hook_name, conn_id in provider_connection_types():
                written.append(capture_connection_form(page, url, conn_type, hook_name, conn_id, args.out))
        finally:
            browser.close()
    for path in written:
        print(f"screenshots: wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
