"""A real `guyub run` on loopback, a real Chromium (Debian's, never a downloaded one) driven by
Playwright at a phone's size, and axe-core for the accessibility check.

Without Chromium, Playwright or npm the browser tests are skipped with the reason, except in
CI (`CI=true`), where `.ci/run` installs Chromium and a missing piece is a failure.
"""

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from storage.db import make_engine, prepare, session_factory
from tests.conftest import MONDAY_9_WIB
from tests.processes import clean_env, free_port
from tests.site.market import Market, seed_market

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts"
AXE_VERSION = "4.10.2"
AXE_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "guyub" / "axe-core"
PHONE = {"width": 360, "height": 740}
"""A common cheap Android phone's viewport, in CSS pixels."""


def _missing(reason: str) -> None:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"browser tests cannot run in CI: {reason}")
    pytest.skip(reason)


def chromium_path() -> str:
    """Debian's chromium (installed by .ci/run), or CHROMIUM=/path."""
    path = (
        os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if path is None:
        _missing("no chromium on this machine (apt-get install chromium; .ci/run does)")
    assert path is not None
    return path


@pytest.fixture(scope="session")
def axe_script() -> Path:
    """axe-core's axe.min.js, installed once with npm into the user's cache folder."""
    script = AXE_CACHE / "node_modules" / "axe-core" / "axe.min.js"
    if script.is_file():
        return script
    npm = shutil.which("npm")
    if npm is None:
        _missing("npm is needed once to fetch axe-core")
    assert npm is not None
    AXE_CACHE.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [
            npm,
            "install",
            "--no-audit",
            "--no-fund",
            "--prefix",
            str(AXE_CACHE),
            f"axe-core@{AXE_VERSION}",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0 or not script.is_file():
        _missing(f"npm could not install axe-core: {done.stderr[-500:]}")
    return script


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium through Playwright (the Python package only; no browser download).

    Per module, not per session: Playwright's sync API runs an event loop of its own in this
    thread while it is open, and the asyncio tests that follow need the thread free."""
    path = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package is not installed (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=path, headless=True, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield launched
        launched.close()


class LiveGuyub:
    """`python -m bot run` on a seeded SQLite file, reachable at `base_url`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        database = folder / "guyub.db"
        engine = make_engine(f"sqlite:///{database}")
        prepare(engine)
        self.market: Market = seed_market(session_factory(engine), folder / "media", MONDAY_9_WIB)
        engine.dispose()
        self.settings = {
            "DATABASE_URL": f"sqlite:///{database}",
            "MEDIA_DIR": str(folder / "media"),
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "PUBLIC_BASE_URL": self.base_url,
            # WhatsApp "runs" so the web server does; nothing is sent, so Twilio is never asked
            "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
            "TWILIO_AUTH_TOKEN": "browser-test-auth-token",
            "TWILIO_WHATSAPP_FROM": "whatsapp:+6285550001111",
            "TWILIO_API_BASE_URL": "http://127.0.0.1:9",
        }
        self.log = folder / "guyub.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot", "run"],
                cwd=self.folder,
                env=clean_env(self.settings),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"guyub exited:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"guyub did not serve:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.1)  # waiting for another process: nothing to await

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGuyub]:
    """One live Guyub for the module's tests (chromium is checked first: no browser, no start)."""
    chromium_path()
    guyub = LiveGuyub(tmp_path_factory.mktemp("live"))
    guyub.start()
    try:
        yield guyub
    finally:
        guyub.stop()


@pytest.fixture
def phone(browser: Any, live: LiveGuyub) -> Iterator[Any]:
    """A fresh page at a phone's size, Indonesian like most visitors."""
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="id-ID"
    )
    page = context.new_page()
    yield page
    context.close()


def screenshot(page: Any, name: str) -> Path:
    """Keep a picture of the page for the CI artefacts (tests/artifacts/, not committed)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def serious_violations(page: Any, axe: Path) -> list[str]:
    """axe-core's serious and critical findings on the page, one line each."""
    page.add_script_tag(path=str(axe))
    found = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
            .map(v => ({id: v.id, impact: v.impact, help: v.help,
                        targets: v.nodes.map(n => n.target.join(" ")).slice(0, 3)}))"""
    )
    return [
        f"{v['impact']}: {v['id']} ({v['help']}) at {v['targets']}"
        for v in found
        if v["impact"] in ("serious", "critical")
    ]
