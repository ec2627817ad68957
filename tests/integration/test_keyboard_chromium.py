"""The X11 keyboard wedge into a web page in Chromium (a stand-in for a web-based library system).

A tiny page served on 127.0.0.1 has one autofocused field (利用者番号); on Enter it POSTs the
field's value back to the same server and clears the field. Chromium runs non-headless on the
Xvfb display, so the wedge's XTest keystrokes go through a real X window.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from drivers.keyboard.base import WedgeSettings
from drivers.keyboard.wedge import KeyboardWedge, WedgeStatus
from drivers.keyboard.x11 import X11Backend
from tests.fixtures.xvfb import Xvfb

pytestmark = pytest.mark.integration

DIGITS = r"[0-9]{10}"
TITLE = "Library-OPAC-Web"
WAIT_S = 60.0  # a deadline for the browser, not a timing assertion
SETTLE_S = 0.5  # after the expected values arrived, let any surplus (doubled) one arrive too

# Submissions are chained so the POSTs reach the server in the order they were typed; each
# carries a sequence number, so a lost or doubled submit would show.
PAGE = f"""<!DOCTYPE html>
<html lang="ja"><head><meta charset="utf-8"><title>{TITLE}</title></head>
<body>
<form id="f" autocomplete="off">
  <label for="patron">利用者番号</label>
  <input id="patron" name="patron" autofocus autocomplete="off">
</form>
<script>
const field = document.getElementById("patron");
let seq = 0;
let chain = Promise.resolve();
function post(path, body) {{
  chain = chain.then(() => fetch(path, {{method: "POST", body: JSON.stringify(body)}}))
               .catch(() => {{}});
}}
document.getElementById("f").addEventListener("submit", (e) => {{
  e.preventDefault();
  seq += 1;
  post("/lookup", {{seq: seq, value: field.value}});
  field.value = "";
}});
window.addEventListener("focus", () => post("/event", {{event: "focus"}}));
window.addEventListener("load", () => {{
  field.focus();
  post("/event", {{event: "ready"}});
  if (document.hasFocus()) post("/event", {{event: "focus"}});
}});
</script>
</body></html>
""".encode()


@dataclass
class LibraryServer:
    """The local "library system": serves the page and records what it receives."""

    httpd: ThreadingHTTPServer
    lookups: list[tuple[int, str]] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/"

    def values(self) -> list[str]:
        with self.lock:
            return [value for _, value in self.lookups]

    def clear(self) -> None:
        with self.lock:
            self.lookups.clear()

    def wait_values(self, count: int) -> list[str]:
        """Wait until ``count`` lookups arrived (or the deadline passed), then return them."""
        deadline = time.monotonic() + WAIT_S
        while len(self.values()) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(SETTLE_S)
        with self.lock:
            seqs = [seq for seq, _ in self.lookups]
        assert seqs == sorted(seqs), f"lookups arrived out of order: {seqs}"
        return self.values()

    def wait_event(self, name: str) -> bool:
        """Wait until the page reported ``name`` ("ready", "focus") at least once."""
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            with self.lock:
                if name in self.events:
                    return True
            time.sleep(0.05)
        return False


def _start_server() -> LibraryServer:
    holder: list[LibraryServer] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            if self.path != "/":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(PAGE)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(PAGE)

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            server = holder[0]
            with server.lock:
                if self.path == "/lookup":
                    server.lookups.append((int(body["seq"]), str(body["value"])))
                elif self.path == "/event":
                    server.events.append(str(body["event"]))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    server = LibraryServer(httpd)
    holder.append(server)
    threading.Thread(target=httpd.serve_forever, name="library-server", daemon=True).start()
    return server


@dataclass
class Browser:
    """Chromium showing the library page."""

    process: subprocess.Popen[bytes]
    window_id: str


def _xdotool(xvfb: Xvfb, *args: str) -> str:
    result = subprocess.run(
        ["xdotool", *args], env=xvfb.env, capture_output=True, text=True, timeout=WAIT_S
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def _chromium_exe() -> str:
    for name in ("chromium", "chromium-browser"):
        exe = shutil.which(name)
        if exe is not None:
            return exe
    pytest.skip("Chromium is not installed (apt-get install chromium)")


def _stop_browser(process: subprocess.Popen[bytes]) -> None:
    """Stop Chromium and its helper processes: its own process group, by its PID."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
    try:  # helpers that outlived the browser process
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    if process.poll() is None:
        process.wait(timeout=15)


@pytest.fixture(scope="module")
def library() -> Iterator[LibraryServer]:
    server = _start_server()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()


@pytest.fixture(scope="module")
def browser(
    xvfb: Xvfb, library: LibraryServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Browser]:
    if shutil.which("xdotool") is None:
        pytest.skip("xdotool is not installed (apt-get install xdotool)")
    exe = _chromium_exe()
    profile = tmp_path_factory.mktemp("chromium-profile")
    log = (profile.parent / "chromium.log").open("wb")
    process = subprocess.Popen(
        [
            exe,
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-default-apps",
            "--disable-features=Translate",
            "--password-store=basic",
            f"--user-data-dir={profile}",
            "--window-position=0,0",
            "--window-size=1200,800",
            f"--app={library.url}",
        ],
        env=xvfb.env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        assert library.wait_event("ready"), "the page did not load in Chromium"
        found = _xdotool(xvfb, "search", "--sync", "--onlyvisible", "--name", f"^{TITLE}$")
        yield Browser(process, found.splitlines()[0])
    finally:
        _stop_browser(process)
        log.close()


@pytest.fixture
def focused_page(xvfb: Xvfb, browser: Browser, library: LibraryServer) -> Iterator[Browser]:
    """The Chromium window with the keyboard focus (no window manager: set it directly)."""
    _xdotool(xvfb, "windowfocus", "--sync", browser.window_id)
    assert library.wait_event("focus"), "the page never got the focus"
    library.clear()
    yield browser
    library.clear()


@pytest.fixture
def backend(xvfb: Xvfb) -> Iterator[X11Backend]:
    b = X11Backend(xvfb.display)
    yield b
    b.close()


def test_number_and_enter_reach_the_web_page(
    focused_page: Browser, library: LibraryServer, backend: X11Backend
) -> None:
    window = backend.focused_window()
    assert window is not None and TITLE in window.title

    outcome = KeyboardWedge(backend, WedgeSettings()).deliver("0123456789", DIGITS)

    assert outcome.typed, outcome.message
    assert library.wait_values(1) == ["0123456789"]


def test_200_lookups_in_a_row_lose_or_double_nothing(
    focused_page: Browser, library: LibraryServer, backend: X11Backend
) -> None:
    wedge = KeyboardWedge(backend, WedgeSettings(target_window_pattern=TITLE))
    numbers = [f"{(i * 7919 + 1234567) % 10**10:010d}" for i in range(200)]

    for number in numbers:
        outcome = wedge.deliver(number, DIGITS)
        assert outcome.typed, outcome.message

    assert library.wait_values(200) == numbers


def test_matching_target_pattern_types(
    focused_page: Browser, library: LibraryServer, backend: X11Backend
) -> None:
    wedge = KeyboardWedge(backend, WedgeSettings(target_window_pattern=f"^{TITLE}"))

    outcome = wedge.deliver("9876543210", DIGITS)

    assert outcome.typed, outcome.message
    assert library.wait_values(1) == ["9876543210"]


def test_target_pattern_that_does_not_match_types_nothing(
    focused_page: Browser, library: LibraryServer, backend: X11Backend
) -> None:
    wedge = KeyboardWedge(backend, WedgeSettings(target_window_pattern="^Other-App$"))

    outcome = wedge.deliver("0123456789", DIGITS)

    assert outcome.status is WedgeStatus.WRONG_WINDOW
    assert outcome.window is not None and TITLE in outcome.window.title
    # Prove the page was live and would have received keys: a matching wedge gets through.
    marker = KeyboardWedge(backend, WedgeSettings(target_window_pattern=TITLE))
    assert marker.deliver("4242424242", DIGITS).typed
    assert library.wait_values(1) == ["4242424242"]
