"""Helpers for real-browser tests: start the app with ``streamlit run`` on a free port and a
database of its own, and drive Debian's Chromium through Playwright.

Playwright's own browser download does not work everywhere, so the system Chromium is used
(``/usr/bin/chromium``, or ``CHROMIUM`` when set); tests are skipped when it is absent.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def chromium_available() -> bool:
    return Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def running_app(database_url: str, log_path: Path, *, timeout: float = 60) -> Iterator[str]:
    """``streamlit run app.py`` on a free port with ``DATABASE_URL`` and its own Demo Company
    books (next to ``log_path``); yields its base URL.

    The server's output goes to ``log_path`` (read it when a test fails). The process is stopped
    (terminate, then kill) when the block ends.
    """
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1",
           # the Demo Company's books of this run, not the developer's under data/
           "SETTLEBRIDGE_DEMO_DATA": str(log_path.parent / "demo-sandbox")}
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
           "--server.headless", "true", "--server.address", "127.0.0.1",
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"the app exited ({proc.returncode}): {log_path.read_text()[-2000:]}")
                with contextlib.suppress(OSError), \
                        urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                    if reply.status == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the app did not answer within {timeout:.0f} s")
                time.sleep(0.2)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


@contextlib.contextmanager
def browser_page(*, width: int = 1400, height: int = 1000) -> Iterator[Any]:
    """A Playwright page in the system Chromium (headless)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": width, "height": height})
            page = context.new_page()
            page.set_default_timeout(30_000)
            yield page
        finally:
            browser.close()


def wait_idle(page: Any, timeout: float = 30_000) -> None:
    """Wait until Streamlit has finished the current script run: no running-status widget and no
    element left over from the previous run (Streamlit marks those ``data-stale``)."""
    page.wait_for_timeout(300)  # let a just-triggered rerun start
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && !document.querySelector('[data-stale=\"true\"]')", timeout=timeout)
    page.wait_for_timeout(300)  # charts and grids draw after the run
