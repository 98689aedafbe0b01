"""Announcements spoken by the display itself, for lobby PCs whose browser has no Indonesian
voice (or no internet for a network one): the same words as static/speech.js, rendered to
WAV by espeak-ng's Indonesian voice (`espeak-ng -v id --stdout`) where it is installed.

It is no free text-to-speech service: the only text it renders is an announcement built
here from a ticket number whose prefix is one of the site's services' and whose digits are
digits, and a counter of the site's configuration (by id; its configured name is spoken).

Rendered WAVs are kept in memory (least recently used first out, bounded in count and
bytes); identical requests in flight share one espeak-ng run, and at most `concurrency`
run at a time.
"""

from __future__ import annotations

import asyncio
import logging
import re
import shutil
from collections import OrderedDict
from dataclasses import dataclass

from shared.sites import SiteConfig

log = logging.getLogger("display.speech")

DIGITS = ("nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan")
TICKET_NUMBER = re.compile(r"(?P<prefix>[A-Z]{1,3})-(?P<digits>[0-9]{3,6})")


def cardinal(n: int) -> str:
    """0..9999 in Indonesian words: 11 "sebelas", 16 "enam belas", 100 "seratus"."""
    if not 0 <= n < 10000:
        return str(n)
    if n < 10:
        return DIGITS[n]
    if n == 10:
        return "sepuluh"
    if n == 11:
        return "sebelas"
    if n < 20:
        return f"{DIGITS[n - 10]} belas"
    thousands, hundreds, rest = n // 1000, n % 1000 // 100, n % 100
    parts = []
    if thousands:
        parts.append("seribu" if thousands == 1 else f"{DIGITS[thousands]} ribu")
    if hundreds:
        parts.append("seratus" if hundreds == 1 else f"{DIGITS[hundreds]} ratus")
    if rest:
        if rest < 20:
            parts.append(cardinal(rest))
        else:
            tens, ones = divmod(rest, 10)
            parts.append(f"{DIGITS[tens]} puluh" + (f" {DIGITS[ones]}" if ones else ""))
    return " ".join(parts)


def spoken_number(ticket_number: str) -> str:
    """A-012 -> "A, nol satu dua": letters one by one, digits one by one."""
    prefix, dash, digits = ticket_number.partition("-")
    if not dash:
        prefix, digits = "", ticket_number
    words = " ".join(DIGITS[int(d)] if d.isdigit() and d.isascii() else d for d in digits)
    return f"{' '.join(prefix)}, {words}" if prefix else words


def spoken_counter(counter_name: str) -> str:
    """Loket 16 -> "Loket enam belas"."""
    return re.sub(r"[0-9]+", lambda m: cardinal(int(m.group())), counter_name)


def announcement(ticket_number: str, counter_name: str) -> str:
    """A-012 at Loket 3 -> "Nomor antrian A, nol satu dua, silakan menuju Loket tiga",
    as speech.js says it."""
    return (
        f"Nomor antrian {spoken_number(ticket_number)}, "
        f"silakan menuju {spoken_counter(counter_name)}"
    )


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
    return announcement(ticket_number, counter.name)


class SpeechUnavailable(RuntimeError):
    """No offline voice here (espeak-ng missing or failing)."""


@dataclass
class OfflineVoice:
    """espeak-ng's Indonesian voice, with a bounded in-memory cache of rendered WAVs."""

    binary: str | None = None
    voice: str = "id"
    words_per_minute: int = 140
    max_entries: int = 256
    max_bytes: int = 48 * 1024 * 1024
    timeout_s: float = 10.0
    concurrency: int = 2

    def __post_init__(self) -> None:
        if self.binary is None:
            self.binary = shutil.which("espeak-ng")
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._bytes = 0
        self._pending: dict[str, asyncio.Future[bytes]] = {}
        self._slots = asyncio.Semaphore(self.concurrency)
        self.rendered = 0

    @property
    def available(self) -> bool:
        return self.binary is not None

    def cached(self) -> int:
        return len(self._cache)

    async def wav(self, text: str) -> bytes:
        """The WAV of `text` (from the cache when it is there)."""
        if not self.available:
            raise SpeechUnavailable("espeak-ng is not installed")
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

    async def _render(self, text: str) -> bytes:
        assert self.binary is not None
        async with self._slots:
            try:
                proc = await asyncio.create_subprocess_exec(
                    self.binary,
                    "-v",
                    self.voice,
                    "-s",
                    str(self.words_per_minute),
                    "--stdout",
                    "--",
                    text,
                    stdin=asyncio.subprocess.DEVNULL,
                    stdout=asyncio.subprocess.PIPE,
                    stderr=asyncio.subprocess.PIPE,
                )
            except OSError as exc:
                raise SpeechUnavailable(f"cannot run {self.binary}: {exc}") from exc
            try:
                out, err = await asyncio.wait_for(proc.communicate(), self.timeout_s)
            except TimeoutError:
                proc.kill()
                await proc.wait()
                raise SpeechUnavailable(f"{self.binary} took over {self.timeout_s}s") from None
        if proc.returncode != 0 or not out.startswith(b"RIFF"):
            log.warning("espeak-ng failed (%s): %s", proc.returncode, err.decode(errors="replace"))
            raise SpeechUnavailable(f"{self.binary} exited with {proc.returncode}")
        self.rendered += 1
        return out
