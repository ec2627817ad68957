"""`make demo`: the counter with the embedded platform and a virtual My Number Card.

Starts (and afterwards stops) everything it needs, all of it on this machine:
the platform on SQLite with demo data, pcscd with the virtual reader, a virtual demo
card, an enrolled terminal, and the counter. With a display (``DISPLAY`` set) the kiosk
opens and you type the demo PIN 1234 yourself; without one the same tap runs headless
(offscreen Qt, the script types the PIN) and a screenshot of the result screen is saved.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from contextlib import ExitStack
from pathlib import Path

from drivers.vcard.pcscd import MachineLock, PcscdUnavailable, private_pcscd

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOME = ROOT / "demo-home"
PORT = int(os.environ.get("MYKEY_DEMO_PORT", "8421"))
SERVER = f"http://127.0.0.1:{PORT}"
DEMO_PIN = "1234"


def say(text: str) -> None:
    print(f"[demo] {text}", flush=True)


def run(*args: str, env: dict[str, str], stdin: str | None = None) -> str:
    """Run one of our console scripts; stop the demo with its message if it fails."""
    proc = subprocess.run(
        [str(BIN / args[0]), *args[1:]], env=env, input=stdin, text=True, capture_output=True
    )
    if proc.returncode != 0:
        sys.exit(f"[demo] {' '.join(args[:3])} failed ({proc.returncode}):\n"
                 f"{proc.stdout}{proc.stderr}")
    return proc.stdout


def wait_http(url: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310 - loopback only
                return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"[demo] the platform did not answer at {url}")


def main() -> int:
    env = dict(os.environ)
    env["MYKEY_PLATFORM_DATABASE_URL"] = f"sqlite:///{HOME / 'platform.db'}"
    env["MYKEY_COUNTER_HOME"] = str(HOME / "counter")
    headless = not env.get("DISPLAY")
    if headless:
        env["QT_QPA_PLATFORM"] = "offscreen"
    else:
        env.pop("QT_QPA_PLATFORM", None)

    shutil.rmtree(HOME, ignore_errors=True)
    (HOME / "counter").mkdir(parents=True)
    started: list[subprocess.Popen[bytes]] = []
    with ExitStack() as stack:
        stack.enter_context(MachineLock()).acquire(on_wait=say)
        try:
            daemon = stack.enter_context(private_pcscd(HOME / "pcscd.log"))
        except PcscdUnavailable as error:
            sys.exit(f"[demo] {error}")
        say("pcscd with the virtual reader: " +
            ("started" if daemon.started_here else "already running, reused"))
        stack.callback(stop_all, started)
        return tap(env, headless, started)


def tap(env: dict[str, str], headless: bool, started: list[subprocess.Popen[bytes]]) -> int:
    """Everything after pcscd: demo data, platform, enrollment, card, counter."""
    say("making demo data (municipality, library service, test CA, demo holders)")
    print(run("mykey-platform", "demo-data", "--dir", str(HOME / "cards"), env=env))

    say(f"starting the MyKey Platform on {SERVER} (SQLite: {HOME / 'platform.db'})")
    log = (HOME / "platform.log").open("wb")
    started.append(subprocess.Popen(
        [str(BIN / "mykey-platform"), "serve", "--port", str(PORT)],
        env=env, stdout=log, stderr=log))
    wait_http(f"{SERVER}/v1/health")

    code = run("mykey-platform", "terminal", "add", "--service", "demo-library",
               "--name", "デモ貸出カウンター", env=env).strip().splitlines()[-1]
    (HOME / "counter" / "counter.toml").write_text(
        'secrets_backend = "file"\nlanguage = "ja"\n'
        'demo_mode = true\nallow_virtual_reader = true\n'
        f'fullscreen = {"false" if headless else "true"}\n', encoding="utf-8")
    say("enrolling this terminal")
    print(run("mykey-counter", "enroll", "--server", SERVER, "--code", code, env=env))

    holder = HOME / "cards" / "holders" / "hanako"
    card = [str(BIN / "mykey-vcard"), "run", str(holder)]
    if not headless:
        say(f"the counter opens; the demo card ({holder}) is placed on the reader in a few "
            f"seconds: type the demo PIN {DEMO_PIN}. Staff: Ctrl+Q closes the counter.")
        counter = subprocess.Popen([str(BIN / "mykey-counter")], env=env)
        time.sleep(3)
        started.append(subprocess.Popen(card, env=env))
        return counter.wait()
    shot = HOME / "result.png"
    say("no display: running the same tap headless (the script types the PIN)")
    counter = subprocess.Popen(
        [str(BIN / "mykey-counter"), "--demo-pin-stdin", "--screenshot", str(shot), "--once"],
        env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    time.sleep(2)
    say(f"placing the virtual card of the demo holder on the reader ({holder})")
    started.append(subprocess.Popen(card, env=env))
    out, err = counter.communicate(DEMO_PIN + "\n", timeout=180)
    sys.stderr.write(err)
    if counter.returncode != 0:
        say(f"the counter ended with status {counter.returncode}; screenshot: {shot}")
        return counter.returncode
    result = json.loads(out.strip().splitlines()[-1])
    say(f"screenshot of the result screen: {shot}")
    say(f"service ID ({result['service']}): {result['service_id']}")
    return 0




def stop_all(started: list[subprocess.Popen[bytes]]) -> None:
    """Stop what the demo started, newest first, by PID."""
    for proc in reversed(started):
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    sys.exit(main())
