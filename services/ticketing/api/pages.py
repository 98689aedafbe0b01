"""The web pages of ticketing: the kiosk (`/kiosk/{site_id}`), the operator console
(`/operator`), the supervisor console (`/supervisor/{site_id}`) and the citizen's tracking
page (`/t/{ticket_id}`), their static files under `/static/…`, and each ticket's QR code.

Everything is served from `services/ticketing/web/`, nothing from the internet: MPP networks
are often offline. Pages carry a strict Content-Security-Policy (only 'self', no inline
script or style) and `Cache-Control: no-cache`; the static files they link get a content hash
in the query (`?v=…`), so they can be cached for a year and still change with each release.
The scripts are native ES modules: each relative `import … from "./x.js"` is stamped the same
way when served, and a module's hash covers the hashes of what it imports, so a change deep
in `common/` gives every page that uses it new URLs all the way up.
"""

from __future__ import annotations

import hashlib
import html
import io
import re
from functools import lru_cache
from pathlib import Path
from uuid import UUID

import segno
from fastapi import APIRouter, HTTPException, Request, Response

from services.ticketing import errors
from services.ticketing.api.deps import Db
from services.ticketing.repositories import sites, tickets
from shared import links

WEB = Path(__file__).resolve().parents[1] / "web"

router = APIRouter(tags=["pages"], include_in_schema=False)

CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".json": "application/json",
}

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}

ONE_YEAR = 365 * 24 * 3600
_STATIC_REF = re.compile(r"""(?P<q>["'])/static/(?P<path>[A-Za-z0-9_./-]+)(?P=q)""")
_IMPORT = re.compile(
    r"""(?P<head>\b(?:from|import)\s*)(?P<q>["'])(?P<spec>\.{1,2}/[A-Za-z0-9_./-]+\.js)(?P=q)"""
)


@lru_cache(maxsize=256)
def _digest(path: Path, mtime_ns: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def _static_file(name: str) -> Path | None:
    """The file under web/ that `name` names, or None: no traversal, no hidden files,
    no directories, only the types in CONTENT_TYPES."""
    if not name or "\\" in name or "\x00" in name:
        return None
    parts = name.split("/")
    if any(p in ("", ".", "..") or p.startswith(".") for p in parts):
        return None
    path = (WEB / name).resolve()
    if not path.is_relative_to(WEB) or path.suffix not in CONTENT_TYPES or not path.is_file():
        return None
    return path


def _imported(path: Path, spec: str) -> str | None:
    """The web/ name of the module `spec` imported by the module at `path`, or None."""
    target = (path.parent / spec).resolve()
    if not target.is_relative_to(WEB):
        return None
    return target.relative_to(WEB).as_posix()


def _version(path: Path, seen: frozenset[Path] = frozenset()) -> str:
    """A file's content hash; a module's also covers the versions of what it imports."""
    own = _digest(path, path.stat().st_mtime_ns)
    if path.suffix != ".js" or path in seen:
        return own
    deps = sorted({m["spec"] for m in _IMPORT.finditer(path.read_text(encoding="utf-8"))})
    if not deps:
        return own
    parts = [own]
    for spec in deps:
        name = _imported(path, spec)
        dep = _static_file(name) if name else None
        parts.append(_version(dep, seen | {path}) if dep else "0")
    return hashlib.sha256(" ".join(parts).encode()).hexdigest()[:12]


def asset_version(name: str) -> str:
    """The content hash of a static file, for its `?v=` query."""
    path = _static_file(name)
    if path is None:
        return "0"
    return _version(path)


def _stamp_imports(path: Path) -> bytes:
    """A module's text with each relative import stamped with that module's version."""

    def stamp(m: re.Match[str]) -> str:
        name = _imported(path, m["spec"])
        version = asset_version(name) if name else "0"
        return f"{m['head']}{m['q']}{m['spec']}?v={version}{m['q']}"

    return _IMPORT.sub(stamp, path.read_text(encoding="utf-8")).encode()


def _render(page: str) -> bytes:
    """A page of web/ with every `/static/x` reference stamped with x's content hash."""
    text = (WEB / page).read_text(encoding="utf-8")

    def stamp(m: re.Match[str]) -> str:
        q, path = m["q"], m["path"]
        return f"{q}/static/{path}?v={asset_version(path)}{q}"

    return _STATIC_REF.sub(stamp, text).encode()


def _page(request: Request, page: str, status_code: int = 200) -> Response:
    body = _render(page)
    etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
    headers = {**SECURITY_HEADERS, "Cache-Control": "no-cache", "ETag": etag}
    if status_code == 200 and request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(
        body, status_code=status_code, media_type="text/html; charset=utf-8", headers=headers
    )


@router.get("/kiosk/{site_id}")
async def kiosk(site_id: str, request: Request) -> Response:
    """The touch kiosk where citizens take tickets (the site is read by the page's script)."""
    return _page(request, "kiosk.html")


@router.get("/supervisor/{site_id}")
async def supervisor(site_id: str, request: Request, conn: Db) -> Response:
    """The supervisor console of a site (it logs in and reads the API itself); an unknown
    site answers 404 with a page in Indonesian."""
    if await sites.site(conn, site_id) is None:
        return _page(request, "not-found.html", status_code=404)
    return _page(request, "supervisor.html")


@router.get("/booking/{site_id}")
async def booking(site_id: str, request: Request, conn: Db) -> Response:
    """The citizen's online booking on their phone; an unknown site gets a 404 page in
    Indonesian (a mistyped link from an SMS or a poster)."""
    if await sites.site(conn, site_id) is None:
        return _page(request, "not-found.html", status_code=404)
    return _page(request, "booking.html")


@router.get("/operator")
async def operator(request: Request) -> Response:
    """The counter operator's console."""
    return _page(request, "operator.html")


@router.get("/t/{ticket_id}")
async def track(ticket_id: str, request: Request) -> Response:
    """The citizen's own page for one ticket (the kiosk's QR code points here)."""
    try:
        UUID(ticket_id)
    except ValueError:
        if "text/html" in request.headers.get("accept", ""):
            back = request.headers.get("referer", "")
            if not back.startswith(str(request.base_url)):
                back = "/"
            return Response(
                _NO_TICKET_PAGE.replace("{back}", html.escape(back)).encode(),
                status_code=404,
                media_type="text/html; charset=utf-8",
                headers={**SECURITY_HEADERS, "Cache-Control": "no-cache"},
            )
        raise HTTPException(404, detail="tiket tidak ditemukan") from None
    return _page(request, "track.html")


# a browser following a mistyped or broken link gets a page, not JSON
_NO_TICKET_PAGE = (
    '<!doctype html><html lang="id"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    "<title>Tiket tidak ditemukan</title>"
    '<link rel="stylesheet" href="/static/common.css"></head>'
    "<body>"
    "<h1>Tiket tidak ditemukan</h1>"
    "<p>Tautan tiket ini tidak dikenal. Periksa kembali tautan atau kode QR pada tiket Anda.</p>"
    '<p><a href="{back}">Kembali</a></p></body></html>'
)


@router.get("/favicon.ico")
async def favicon() -> Response:
    return _serve(WEB / "favicon.svg", "image/svg+xml", "public, max-age=86400")


@router.get("/static/{name:path}")
async def static(name: str, request: Request) -> Response:
    path = _static_file(name)
    if path is None:
        raise HTTPException(404, detail="tidak ditemukan")
    version = _version(path)
    # a matching content hash never changes: cache it for a year; anything else briefly
    if request.query_params.get("v") == version:
        cache = f"public, max-age={ONE_YEAR}, immutable"
    else:
        cache = "public, max-age=300"
    etag = f'"{version}"'
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"ETag": etag, "Cache-Control": cache})
    body = _stamp_imports(path) if path.suffix == ".js" else None
    response = _serve(path, CONTENT_TYPES[path.suffix], cache, body)
    response.headers["ETag"] = etag
    return response


def _serve(path: Path, media_type: str, cache: str, body: bytes | None = None) -> Response:
    return Response(
        path.read_bytes() if body is None else body,
        media_type=media_type,
        headers={**SECURITY_HEADERS, "Cache-Control": cache},
    )


def tracking_url(request: Request, ticket_id: UUID) -> str:
    """The tracking page's address under PUBLIC_BASE_URL: never the request's Host, which
    the caller chooses (a tout's `Host: calo.example` must not end up in a citizen's QR)."""
    return links.tracking_link(request.app.state.settings.public_base_url, ticket_id)


@router.get("/api/tickets/{ticket_id}/qr.svg")
async def ticket_qr(ticket_id: UUID, request: Request, conn: Db) -> Response:
    """A QR code (SVG) of the ticket's tracking page, for the kiosk screen and receipt."""
    if await tickets.ticket(conn, ticket_id) is None:
        raise errors.NotFound("ticket not found")
    qr = segno.make(tracking_url(request, ticket_id), error="m", micro=False)
    out = io.BytesIO()
    qr.save(out, kind="svg", border=2, xmldecl=False, omitsize=True, nl=False)
    return Response(
        out.getvalue(),
        media_type="image/svg+xml",
        headers={**SECURITY_HEADERS, "Cache-Control": "private, max-age=86400"},
    )
