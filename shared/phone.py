"""Indonesian phone numbers: normalise to +62 E.164, and mask them for logs."""

from __future__ import annotations

import re

_DIGITS = re.compile(r"[\s\-().]")


class InvalidPhone(ValueError):
    pass


def normalise_phone(raw: str) -> str:
    """'0812-3456-7890', '62812…', '+62 812…' → '+6281234567890'; raise InvalidPhone otherwise.

    Indonesian mobile numbers are 0 8xx followed by 7–10 more digits (total national
    significant number 9–12 digits starting with 8); landlines (0 + area code) are
    accepted too, since some citizens give an office number, but they must be 8–12 digits.
    """
    cleaned = _DIGITS.sub("", raw.strip())
    if cleaned.startswith("+62"):
        national = cleaned[3:]
    elif cleaned.startswith("62"):
        national = cleaned[2:]
    elif cleaned.startswith("0"):
        national = cleaned[1:]
    else:
        raise InvalidPhone("nomor harus diawali 0, 62 atau +62")
    if not national.isdigit():
        raise InvalidPhone("nomor hanya boleh berisi angka")
    if national.startswith("0"):
        raise InvalidPhone("nomor tidak valid")
    if national.startswith("8"):
        if not 9 <= len(national) <= 12:
            raise InvalidPhone("panjang nomor HP tidak valid")
    elif not 8 <= len(national) <= 11:
        raise InvalidPhone("panjang nomor tidak valid")
    return "+62" + national


def mask_phone(phone: str | None) -> str:
    """'+6281234567890' → '+62812*****890': enough to recognise, not enough to call."""
    if not phone:
        return "-"
    if len(phone) <= 7:
        return "*" * len(phone)
    return phone[:6] + "*" * (len(phone) - 9) + phone[-3:]
