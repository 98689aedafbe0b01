"""`python -m services.display.espeak_lib VOICE RATE TEXT`: TEXT as WAV on stdout, spoken by
the libespeak-ng and voice data that the PyPI package `espeakng-loader` ships (a locked
dependency), so a display on a bare machine has its offline voice with no apt package.

Run as a process of its own by services/display/speech.py: the library keeps global state
and is not thread-safe, and a process can be timed out and killed.
"""

from __future__ import annotations

import ctypes
import io
import sys
import wave
from pathlib import Path

AUDIO_OUTPUT_SYNCHRONOUS = 2
ESPEAK_RATE = 1
POS_CHARACTER = 1
ESPEAK_CHARS_UTF8 = 1

_Callback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)


def bundled() -> tuple[Path, Path] | None:
    """The bundled library and its data folder, or None where the package is missing."""
    try:
        import espeakng_loader
    except ImportError:
        return None
    library = Path(espeakng_loader.get_library_path())
    data = Path(espeakng_loader.get_data_path())
    return (library, data) if library.is_file() and data.is_dir() else None


def render(text: str, voice: str = "id", rate: int = 140) -> bytes:
    """TEXT as a 16-bit mono WAV at the library's sample rate."""
    found = bundled()
    if found is None:
        raise RuntimeError("espeakng-loader is not installed")
    library, data = found
    lib = ctypes.CDLL(str(library))
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
    lib.espeak_Synth.argtypes = [
        ctypes.c_char_p,
        ctypes.c_size_t,
        ctypes.c_uint,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.c_uint,
        ctypes.c_void_p,
        ctypes.c_void_p,
    ]
    sample_rate = lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, str(data).encode(), 0)
    if sample_rate <= 0:
        raise RuntimeError(f"espeak_Initialize failed ({sample_rate})")
    chunks: list[bytes] = []

    def collect(samples: ctypes._Pointer[ctypes.c_short], count: int, _events: int) -> int:
        if samples and count > 0:
            chunks.append(ctypes.string_at(samples, count * 2))
        return 0

    callback = _Callback(collect)
    lib.espeak_SetSynthCallback(callback)
    if lib.espeak_SetVoiceByName(voice.encode()) != 0:
        raise RuntimeError(f"espeak-ng has no voice {voice!r}")
    lib.espeak_SetParameter(ESPEAK_RATE, rate, 0)
    encoded = text.encode("utf-8")
    status = lib.espeak_Synth(
        encoded, len(encoded) + 1, 0, POS_CHARACTER, 0, ESPEAK_CHARS_UTF8, None, None
    )
    lib.espeak_Synchronize()
    if status != 0 or not chunks:
        raise RuntimeError(f"espeak_Synth failed ({status})")
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(b"".join(chunks))
    return out.getvalue()


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        sys.stderr.write("usage: python -m services.display.espeak_lib VOICE RATE TEXT\n")
        return 2
    voice, rate, text = argv
    try:
        body = render(text, voice, int(rate))
    except (RuntimeError, OSError, ValueError) as exc:
        sys.stderr.write(f"{exc}\n")
        return 1
    sys.stdout.buffer.write(body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
