"""The words a lobby board speaks for a call, in Indonesian: pure, and the only place they
are built. The board JSON and stream carry each call's `announcement` (services/display/
board.py), which the page speaks with the browser's id-ID voice; the display's offline
voice (services/display/speech.py) renders the same text to WAV.

"A-012" at "Loket 3" -> "Nomor antrean A, nol satu dua, silakan menuju Loket tiga" with a
site's `announce_numbers = "digits"` (the default: letters one by one, digits one by one),
or "Nomor antrean A dua belas, silakan menuju Loket tiga" with `"number"` (the digits as a
number). A number in the counter's name is read as a number ("Loket 16" -> "Loket enam
belas").
"""

from __future__ import annotations

import re
from typing import Literal

Reading = Literal["digits", "number"]

DIGITS = ("nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan")


def cardinal(n: int) -> str:
    """0..999999 in Indonesian words: 11 "sebelas", 16 "enam belas", 100 "seratus"."""
    if not 0 <= n < 1_000_000:
        return str(n)
    if n < 10:
        return DIGITS[n]
    if n == 10:
        return "sepuluh"
    if n == 11:
        return "sebelas"
    if n < 20:
        return f"{DIGITS[n - 10]} belas"
    if n < 100:
        tens, ones = divmod(n, 10)
        return f"{DIGITS[tens]} puluh" + (f" {DIGITS[ones]}" if ones else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        head = "seratus" if hundreds == 1 else f"{DIGITS[hundreds]} ratus"
        return head + (f" {cardinal(rest)}" if rest else "")
    thousands, rest = divmod(n, 1000)
    head = "seribu" if thousands == 1 else f"{cardinal(thousands)} ribu"
    return head + (f" {cardinal(rest)}" if rest else "")


def spoken_number(ticket_number: str, reading: Reading = "digits") -> str:
    """A-012 -> "A, nol satu dua" (digits) or "A dua belas" (number)."""
    prefix, dash, digits = ticket_number.partition("-")
    if not dash:
        prefix, digits = "", ticket_number
    letters = " ".join(prefix)
    if reading == "number" and digits.isascii() and digits.isdigit():
        words = cardinal(int(digits))
        return f"{letters} {words}" if letters else words
    words = " ".join(DIGITS[int(d)] if d.isdigit() and d.isascii() else d for d in digits)
    return f"{letters}, {words}" if letters else words


def spoken_counter(counter_name: str) -> str:
    """Loket 16 -> "Loket enam belas"."""
    return re.sub(r"[0-9]+", lambda m: cardinal(int(m.group())), counter_name)


def announcement(ticket_number: str, counter_name: str, reading: Reading = "digits") -> str:
    """A-012 at Loket 3 -> "Nomor antrean A, nol satu dua, silakan menuju Loket tiga"."""
    return (
        f"Nomor antrean {spoken_number(ticket_number, reading)}, "
        f"silakan menuju {spoken_counter(counter_name)}"
    )
