"""The board as JSON, as a Server-Sent Events stream, and as a lobby page.

Stream protocol (CONTRACT.md, Display): `retry: 2000`, then an event `snapshot` whose
data is the board JSON, then one event per Kafka event (`event:` the event_type,
`id:` the event_id, `data:` the event JSON as received, except that a ticket-issued's
`contact` is null: this stream is public, plus `board`: what the event changed on the
board, services/display/board.py `Board.changes`), and a comment line when idle. The
snapshot carries as `id:` the latest event it includes, if any.

Last-Event-ID: the snapshot always comes first (it is the truth a board redraws
from); if the id is among the site's recent events, the events after it follow,
replayed, so a board that blinked still announces the calls it missed. The snapshot
already includes them, and a change names the state after it, not a step: applying
a replayed one again changes nothing. If the id is unknown or too old, the snapshot
alone.
"""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import FileResponse, Response

from services.display import sse
from services.display.api import announcements
from services.display.api.deps import BoardServiceDep, known_board
from services.display.settings import DisplaySettings
from services.display.stream import BoardStream

log = logging.getLogger("display.api")

router = APIRouter()
router.include_router(announcements.router)

STATIC = Path(__file__).resolve().parents[1] / "static"

PAGE_HEADERS = {
    # a lobby page runs unattended for months: nothing but its own files may run in it
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
        "base-uri 'none'; form-action 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
_STATIC_REF = re.compile(r"""(?P<q>["'])/static/(?P<path>[A-Za-z0-9_.-]+)(?P=q)""")


@router.get("/api/sites/{site_id}/board")
async def board_json(boards: BoardServiceDep, site_id: str) -> Response:
    body = boards.snapshot(known_board(boards, site_id))
    return Response(body, media_type="application/json", headers={"Cache-Control": "no-store"})


@router.get("/api/sites/{site_id}/board/stream")
async def board_stream(
    request: Request,
    boards: BoardServiceDep,
    site_id: str,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> BoardStream:
    settings: DisplaySettings = request.app.state.settings
    hub = boards.hub
    board = known_board(boards, site_id)
    # no await from here to connect(): the snapshot and the subscription see the same events
    body = boards.snapshot(board)
    client, replay, latest_id = hub.connect(site_id, board.day, last_event_id)
    first = [
        sse.retry(settings.sse_retry_ms),
        sse.frame(body.decode("utf-8"), event="snapshot", event_id=latest_id),
        *replay,
    ]
    return BoardStream(
        hub,
        client,
        first,
        settings.sse_keepalive_s,
        headers={
            "Cache-Control": "no-cache, no-transform",
            "X-Accel-Buffering": "no",  # nginx: do not buffer the stream
        },
    )


def _asset_version(name: str) -> str:
    """The content hash of a file; of a script, that of every script (it imports them)."""
    path = STATIC / name
    if not path.is_file():
        return "0"
    files = sorted(STATIC.glob("*.js")) if path.suffix == ".js" else [path]
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.name.encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()[:12]


def board_page_body() -> bytes:
    """board.html with each `/static/x` stamped `?v=<content hash of x>`: the page is
    revalidated on every load (no-cache), its files then come from the browser's cache
    until a release changes them, and a changed file is a new URL."""
    text = (STATIC / "board.html").read_text(encoding="utf-8")

    def stamp(m: re.Match[str]) -> str:
        return f"{m['q']}/static/{m['path']}?v={_asset_version(m['path'])}{m['q']}"

    return _STATIC_REF.sub(stamp, text).encode("utf-8")


@router.get("/boards/{site_id}", include_in_schema=False)
async def board_page(request: Request, boards: BoardServiceDep, site_id: str) -> Response:
    """The lobby page. Its ETag changes with any of its files, which the running page
    checks now and then to reload itself after an upgrade (no manual reload, ever)."""
    known_board(boards, site_id)  # 404 for an unknown site
    body = board_page_body()
    etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
    headers = {**PAGE_HEADERS, "Cache-Control": "no-cache", "ETag": etag}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="text/html; charset=utf-8", headers=headers)


@router.get("/favicon.ico", include_in_schema=False)
async def favicon() -> FileResponse:
    return FileResponse(
        STATIC / "favicon.svg",
        media_type="image/svg+xml",
        headers={"Cache-Control": "public, max-age=86400"},
    )
