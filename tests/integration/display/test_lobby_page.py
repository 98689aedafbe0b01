"""The lobby board page and its static files."""

from __future__ import annotations

from tests.integration.display.conftest import Display


async def test_the_lobby_page_and_its_static_files(display: Display) -> None:
    page = await display.client.get("/boards/balangan?agency=disdukcapil")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-cache"
    assert "<title>" in page.text
    for path in ("/static/board.js", "/static/board.css", "/static/favicon.svg"):
        # as the page names them (?v=<content hash>): cached; by a plain URL (the modules
        # board.js imports): revalidated on every load
        asset = await display.client.get(path, params={"v": "0123456789ab"})
        assert asset.status_code == 200, path
        assert asset.headers["cache-control"].startswith("public, max-age="), path
        plain = await display.client.get(path)
        assert plain.status_code == 200, path
        assert plain.headers["cache-control"] == "no-cache", path
        assert "etag" in plain.headers, path
    assert (await display.client.get("/favicon.ico")).status_code == 200
    assert (await display.client.get("/boards/no-such-site")).status_code == 404
    board = await display.board("balangan")
    assert board["timezone"] == "Asia/Makassar"
