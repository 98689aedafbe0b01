"""GET /api/sites/{site_id}/announcement.wav?ticket=A-012&counter=<counter id>: a call's
announcement as WAV, spoken by the display's offline Indonesian voice (services/display/
speech.py), for lobby PCs whose browser offers no id-ID voice.

200 audio/wav; 404 for a site without configuration; 422 for a ticket number or counter the
site could not call (it renders nothing else); 503 where the display has no offline voice
(the board then plays its chime and shows the call). The same question always gets the same
WAV, so browsers may cache it for a day.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response

from services.display.api.deps import BoardServiceDep, known_config
from services.display.speech import (
    OfflineVoice,
    OutOfVocabulary,
    SpeechUnavailable,
    site_announcement,
)

router = APIRouter()


def offline_voice(request: Request) -> OfflineVoice:
    """The app's offline voice, made on first use (one cache per display process)."""
    voice: OfflineVoice | None = getattr(request.app.state, "offline_voice", None)
    if voice is None:
        voice = OfflineVoice()
        request.app.state.offline_voice = voice
    return voice


@router.get(
    "/api/sites/{site_id}/announcement.wav",
    response_class=Response,
    responses={
        200: {"content": {"audio/wav": {}}, "description": "The spoken announcement"},
        404: {"description": "Unknown site"},
        422: {"description": "Not a ticket number or counter of this site"},
        503: {"description": "No offline voice on this display"},
    },
)
async def announcement_wav(
    request: Request,
    boards: BoardServiceDep,
    site_id: str,
    ticket: Annotated[str, Query(max_length=12, description="e.g. A-012")],
    counter: Annotated[str, Query(max_length=64, description="a counter id of the site")],
) -> Response:
    config = known_config(boards, site_id)
    try:
        text = site_announcement(config, ticket, counter)
    except OutOfVocabulary as exc:
        raise HTTPException(422, str(exc)) from None
    voice = offline_voice(request)
    try:
        body = await voice.wav(text)
    except SpeechUnavailable as exc:
        raise HTTPException(
            503, f"no offline voice: {exc}", headers={"Cache-Control": "no-store"}
        ) from None
    return Response(
        body,
        media_type="audio/wav",
        headers={
            "Cache-Control": "public, max-age=86400",
            "Content-Language": "id",
            "X-Content-Type-Options": "nosniff",
        },
    )
