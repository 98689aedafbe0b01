"""The words a call is announced with (services/display/words.py: the only place they are
built; the board carries them as `announcement`), and the offline voice that speaks them
with no apt package (espeakng-loader's libespeak-ng, services/display/espeak_lib.py)."""

from __future__ import annotations

import asyncio
import io
import shutil
import wave
from array import array

import pytest

from services.display import espeak_lib, speech
from services.display.words import announcement, cardinal, spoken_number
from shared.sites import SITES_DIR, load_sites


@pytest.mark.parametrize(
    ("number", "counter", "spoken"),
    [
        ("A-012", "Loket 3", "Nomor antrean A, nol satu dua, silakan menuju Loket tiga"),
        ("A-001", "Loket 1", "Nomor antrean A, nol nol satu, silakan menuju Loket satu"),
        (
            "J-1234",
            "Loket 16",
            "Nomor antrean J, satu dua tiga empat, silakan menuju Loket enam belas",
        ),
        ("AB-905", "Loket 1", "Nomor antrean A B, sembilan nol lima, silakan menuju Loket satu"),
        ("W-100", "Meja Informasi", "Nomor antrean W, satu nol nol, silakan menuju Meja Informasi"),
    ],
)
def test_by_default_a_call_is_read_digit_by_digit(number: str, counter: str, spoken: str) -> None:
    assert announcement(number, counter) == spoken


@pytest.mark.parametrize(
    ("number", "spoken"),
    [
        ("A-012", "A dua belas"),
        ("A-001", "A satu"),
        ("B-010", "B sepuluh"),
        ("C-011", "C sebelas"),
        ("D-021", "D dua puluh satu"),
        ("E-100", "E seratus"),
        ("F-115", "F seratus lima belas"),
        ("G-999", "G sembilan ratus sembilan puluh sembilan"),
        ("H-1000", "H seribu"),
        ("J-2024", "J dua ribu dua puluh empat"),
        ("AB-250", "A B dua ratus lima puluh"),
    ],
)
def test_a_site_may_read_the_number_as_a_number(number: str, spoken: str) -> None:
    assert spoken_number(number, "number") == spoken
    assert announcement(number, "Loket 2", "number") == (
        f"Nomor antrean {spoken}, silakan menuju Loket dua"
    )


def test_cardinals() -> None:
    assert [cardinal(n) for n in (0, 9, 10, 11, 16, 20, 21, 99)] == [
        "nol",
        "sembilan",
        "sepuluh",
        "sebelas",
        "enam belas",
        "dua puluh",
        "dua puluh satu",
        "sembilan puluh sembilan",
    ]
    assert cardinal(1250) == "seribu dua ratus lima puluh"
    assert cardinal(11000) == "sebelas ribu"
    assert cardinal(123456) == "seratus dua puluh tiga ribu empat ratus lima puluh enam"


def test_the_offline_voice_renders_only_calls_the_site_could_make() -> None:
    config = load_sites(SITES_DIR)["balangan"].config
    assert (
        speech.site_announcement(config, "A-012", "balangan-loket-03")
        == "Nomor antrean A, nol satu dua, silakan menuju Loket tiga"
    )
    for ticket, counter in [
        ("A-012", "nowhere"),
        ("Z-012", "balangan-loket-03"),  # no service has prefix Z
        ("A-12", "balangan-loket-03"),
        ("A-0123456", "balangan-loket-03"),
        ("A-012 beli pulsa", "balangan-loket-03"),
        ("a-012", "balangan-loket-03"),
        ("A-01२", "balangan-loket-03"),
    ]:
        with pytest.raises(speech.OutOfVocabulary):
            speech.site_announcement(config, ticket, counter)


def loudness(body: bytes) -> tuple[float, float]:
    """(seconds, RMS of the 16-bit samples) of a WAV."""
    with wave.open(io.BytesIO(body)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth()) == (1, 2)
        frames = wav.readframes(wav.getnframes())
        seconds = wav.getnframes() / wav.getframerate()
    samples = array("h", frames)
    rms = (sum(s * s for s in samples) / max(1, len(samples))) ** 0.5
    return seconds, rms


def test_the_voice_comes_with_the_display_no_apt_package_needed() -> None:
    """The locked espeakng-loader wheel: libespeak-ng and its Indonesian voice data."""
    assert espeak_lib.bundled() is not None
    voice = speech.OfflineVoice()
    assert voice.command is not None and voice.command[-1] == "services.display.espeak_lib"
    text = "Nomor antrean A, nol nol satu, silakan menuju Loket satu"
    body = asyncio.run(voice.wav(text))
    seconds, rms = loudness(body)
    assert 2.0 < seconds < 12.0, seconds  # the whole sentence, not a blip
    assert rms > 500, rms  # speech, not silence
    assert asyncio.run(voice.wav(text)) == body and voice.rendered == 1  # cached
    longer, _ = loudness(asyncio.run(voice.wav(text + ", " + text)))
    assert longer > seconds * 1.6


def test_apt_espeak_ng_is_the_fallback() -> None:
    binary = shutil.which("espeak-ng")
    if binary is None:
        pytest.skip("no espeak-ng from apt on this machine")
    voice = speech.OfflineVoice(command=[binary])
    seconds, rms = loudness(asyncio.run(voice.wav("Nomor antrean A, nol nol satu")))
    assert seconds > 1.0 and rms > 500


def test_no_voice_at_all_is_a_clear_refusal() -> None:
    voice = speech.OfflineVoice()
    voice.command = None  # neither the wheel nor apt's espeak-ng
    with pytest.raises(speech.SpeechUnavailable):
        asyncio.run(voice.wav("Nomor antrean A, nol nol satu"))
