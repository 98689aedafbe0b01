"""Announcements spoken by the display itself, for lobby PCs whose browser has no Indonesian
voice (or no internet for a network one): the call's words (services/display/words.py, the
same text the board JSON carries as `announcement`), rendered to WAV by espeak-ng's
Indonesian voice.

The voice comes with the display: the PyPI package `espeakng-loader` (a locked dependency)
ships libespeak-ng and its voice data, run by services/display/espeak_lib.py in a process
of its own. Where that package is missing, an installed `espeak-ng` (apt) is used instead
(`espeak-ng -v id --stdout`).

It is no free text-to-speech service: the only text it renders is an announcement built
here from a ticket number whose prefix is one of the site's services' and whose digits are
digits, and a counter of the site's configuration (by id; its configured name is spoken).

Rendered WAVs are kept in memory (least recently used first out, bounded in count and
bytes); identical requests in flight share one render, and at most `concurrency` run at a
time.
"""

from __future__ import annotations

import asyncio
import logging
import re
import shutil
import sys
from collections import OrderedDict
from dataclasses import dataclass

from services.display import espeak_lib
from services.display.words import announcement
from shared.sites import SiteConfig

log = logging.getLogger("display.speech")

TICKET_NUMBER = re.compile(r"(?P<prefix>[A-Z]{1,3})-(?P<digits>[0-9]{3,6})")


def engine_command() -> list[str] | None:
    """How to run the offline voice here: the bundled library, else apt's espeak-ng."""
    if espeak_lib.bundled() is not None:
        return [sys.executable, "-m", "services.display.espeak_lib"]
    binary = shutil.which("espeak-ng")
    return [binary] if binary else None


class OutOfVocabulary(ValueError):
    """The ticket or counter is not one the site could call."""


def site_announcement(config: SiteConfig, ticket_number: str, counter_id: str) -> str:
    """The announcement for a call at this site, or OutOfVocabulary."""
    match = TICKET_NUMBER.fullmatch(ticket_number)
    if match is None or match["prefix"] not in {s.prefix for s in config.services}:
        raise OutOfVocabulary(f"not a ticket number of {config.site.id}: {ticket_number!r}")
    counter = next((c for c in config.counters if c.id == counter_id), None)
    if counter is None:
        raise OutOfVocabulary(f"not a counter of {config.site.id}: {counter_id!r}")
    return announcement(ticket_number, counter.name, config.site.announce_numbers)


class SpeechUnavailable(RuntimeError):
    """No offline voice here (espeak-ng missing or failing)."""


@dataclass
class OfflineVoice:
    """espeak-ng's Indonesian voice, with a bounded in-memory cache of rendered WAVs.
    `command`: the engine (`engine_command()` by default); one ending in
    `services.display.espeak_lib` takes VOICE RATE TEXT, any other espeak-ng's options."""

    command: list[str] | None = None
    voice: str = "id"
    words_per_minute: int = 140
    max_entries: int = 256
    max_bytes: int = 48 * 1024 * 1024
    timeout_s: float = 10.0
    concurrency: int = 2

    def __post_init__(self) -> None:
        if self.command is None:
            self.command = engine_command()
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._bytes = 0
        self._pending: dict[str, asyncio.Future[bytes]] = {}
        self._slots = asyncio.Semaphore(self.concurrency)
        self.rendered = 0

    @property
    def available(self) -> bool:
        return self.command is not None

    def cached(self) -> int:
        return len(self._cache)

    async def wav(self, text: str) -> bytes:
        """The WAV of `text` (from the cache when it is there)."""
        if not self.available:
            raise SpeechUnavailable("neither espeakng-loader nor espeak-ng is installed")
        hit = self._cache.get(text)
        if hit is not None:
            self._cache.move_to_end(text)
            return hit
        pending = self._pending.get(text)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._pending[text] = future
        try:
            body = await self._render(text)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody waits
            raise
        else:
            future.set_result(body)
            self._remember(text, body)
            return body
        finally:
            del self._pending[text]

    def _remember(self, text: str, body: bytes) -> None:
        if len(body) > self.max_bytes:
            return
        self._cache[text] = body
        self._bytes += len(body)
        while len(self._cache) > self.max_entries or self._bytes > self.max_bytes:
            _, old = self._cache.popitem(last=False)
            self._bytes -= len(old)

    def _argv(self, text: str) -> list[str]:
        assert self.command is not None
        if self.command[-1] == "services.display.espeak_lib":
            return [*self.command, self.voice, str(self.words_per_minute), text]
        options = ["-v", self.voice, "-s", str(self.words_per_minute), "--stdout", "--"]
        return [*self.command, *options, text]

    async def _render(self, text: str) -> bytes:
        argv = self._argv(text)
        name = argv[-2] if argv[0] == sys.executable else argv[0]
        async with self._slots:
            try:
                proc = await asyncio.create_subprocess_exec(
                    *argv,
                    stdin=asyncio.subprocess.DEVNULL,
                    stdout=asyncio.subprocess.PIPE,
                    stderr=asyncio.subprocess.PIPE,
                )
            except OSError as exc:
                raise SpeechUnavailable(f"cannot run {name}: {exc}") from exc
            try:
                out, err = await asyncio.wait_for(proc.communicate(), self.timeout_s)
            except TimeoutError:
                proc.kill()
                await proc.wait()
                raise SpeechUnavailable(f"{name} took over {self.timeout_s}s") from None
        if proc.returncode != 0 or not out.startswith(b"RIFF"):
            log.warning("%s failed (%s): %s", name, proc.returncode, err.decode(errors="replace"))
            raise SpeechUnavailable(f"{name} exited with {proc.returncode}")
        self.rendered += 1
        return out
