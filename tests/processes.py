"""`guyub run` as a real process, and the signed requests the platforms send it.

Shared by the crash test (tests/test_crash.py) and the inbound bench (bench/inbound.py):
both drive Guyub only from outside, through its settings, HTTP and the fake platform
servers, so they judge any implementation of the inbox by what a platform would see.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlencode

import httpx
from twilio.request_validator import RequestValidator

__all__ = [
    "PUBLIC_BASE_URL",
    "GuyubProcess",
    "alive",
    "children_of",
    "clean_env",
    "free_port",
    "post_telegram_update",
    "post_whatsapp",
    "proc_stat",
    "until",
    "whatsapp_form",
]

REPO = Path(__file__).resolve().parents[1]
PUBLIC_BASE_URL = "https://guyub.test"
"""What Twilio signs; the process itself listens on a free loopback port."""
TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_MACHINE_SETTINGS = ("TELEGRAM_", "TWILIO_", "WHATSAPP_", "DATABASE_URL", "PUBLIC_BASE_URL")


def free_port() -> int:
    """A loopback port nobody listens on right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def proc_stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (state, ppid, ...); None when
    there is no such process (or no /proc)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def children_of(pid: int) -> list[int]:
    """Processes whose parent is `pid` (Linux /proc; [] elsewhere)."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        fields = proc_stat(int(entry.name))
        if fields is not None and fields[1] == str(pid):
            found.append(int(entry.name))
    return sorted(found)


def alive(pid: int) -> bool:
    """Whether a process runs (a zombie, ended but not yet reaped, does not count)."""
    fields = proc_stat(pid)
    return fields is not None and fields[0] != "Z"


async def until(check: Callable[[], bool], timeout: float = 10.0) -> bool:  # noqa: ASYNC109
    """Whether `check()` came true within `timeout` s (polled: it looks at another process)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        await asyncio.sleep(0.05)
    return False


def clean_env(settings: Mapping[str, str]) -> dict[str, str]:
    """This environment without the machine's channel and database settings, plus `settings`;
    the repository this module lives in comes first on the import path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_MACHINE_SETTINGS)}
    env["PYTHONPATH"] = str(REPO)
    env.update(settings)
    return env


class GuyubProcess:
    """One `python -m bot run` with the given settings, its output in a log file.

    `start()` returns once /healthz answers; `kill()` is the crash (SIGKILL), `stop()` the
    service manager's SIGTERM. Leaving the `async with` block always ends the process.
    """

    def __init__(
        self, settings: Mapping[str, str], log_path: Path, args: Sequence[str] = ()
    ) -> None:
        self.settings = dict(settings)
        self.args = list(args)  # after `run`, e.g. ["--role", "worker"]
        self.port = int(self.settings["PORT"])
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.process: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None, "not started"
        return self.process.pid

    async def start(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Spawn the process and wait (bounded) until its web server answers /healthz."""
        with self.log_path.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                *self.args,
                cwd=self.log_path.parent,  # no .env of this machine is read
                env=clean_env(self.settings),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(base_url=self.base_url, timeout=2.0) as http:
            while True:
                if self.process.returncode is not None:
                    raise RuntimeError(
                        f"guyub exited with {self.process.returncode}:\n{self.tail()}"
                    )
                try:
                    if (await http.get("/healthz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"guyub did not serve within {timeout} s:\n{self.tail()}")
                await asyncio.sleep(0.05)  # polling another process: no event to await

    def children(self) -> list[int]:
        """The processes it started (its web processes), from /proc."""
        return children_of(self.pid)

    def kill(self) -> None:
        """The crash: SIGKILL, nothing gets to run (the caller then awaits `wait()`)."""
        if self.process is not None and self.process.returncode is None:
            self.process.kill()

    async def wait(self, timeout: float = 20.0) -> int:  # noqa: ASYNC109
        """The exit code, once the process has ended (killed if it takes longer)."""
        assert self.process is not None, "not started"
        try:
            async with asyncio.timeout(timeout):
                return await self.process.wait()
        except TimeoutError:
            self.kill()
            await self.process.wait()
            raise TimeoutError(f"guyub did not end within {timeout} s:\n{self.tail()}") from None

    async def stop(self, timeout: float = 20.0) -> int:  # noqa: ASYNC109
        """SIGTERM, as a service manager stops it; its exit code once it has finished."""
        if self.process is None:
            return 0
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        return await self.wait(timeout)

    def tail(self, lines: int = 40) -> str:
        """The end of the process's log, for failure messages."""
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """End the process whatever state it is in (idempotent)."""
        if self.process is not None and self.process.returncode is None:
            self.kill()
            with contextlib.suppress(ProcessLookupError):
                await self.process.wait()


def whatsapp_form(
    *, sid: str, number: str, text: str, account_sid: str, bot_number: str, name: str = "Anggota"
) -> dict[str, str]:
    """The form of an inbound WhatsApp text message, as Twilio sends it."""
    return {
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ProfileName": name,
        "MessageType": "text",
        "SmsSid": sid,
        "WaId": number.lstrip("+"),
        "SmsStatus": "received",
        "Body": text,
        "To": bot_number,
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": account_sid,
        "From": f"whatsapp:{number}",
        "ApiVersion": "2010-04-01",
    }


async def post_whatsapp(
    http: httpx.AsyncClient,
    form: Mapping[str, str],
    auth_token: str,
    public_base_url: str = PUBLIC_BASE_URL,
) -> httpx.Response:
    """POST a webhook to /whatsapp, signed as Twilio signs it (for the public URL)."""
    signature = RequestValidator(auth_token).compute_signature(
        f"{public_base_url}/whatsapp", dict(form)
    )
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": signature,
    }
    return await http.post("/whatsapp", content=urlencode(dict(form)), headers=headers)


async def post_telegram_update(
    http: httpx.AsyncClient, update: Mapping[str, Any], secret: str, path: str = "/telegram"
) -> httpx.Response:
    """POST an update as Telegram does in webhook mode, with the secret header."""
    headers = {"Content-Type": "application/json", TELEGRAM_SECRET_HEADER: secret}
    return await http.post(path, content=json.dumps(update), headers=headers)
