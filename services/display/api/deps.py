"""What the display's routes depend on: the app's board service, and a site's board or
configuration, 404 for a site the display does not know."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from services.display.board import Board
from services.display.service import BoardService
from shared.sites import SiteConfig


async def board_service(request: Request) -> BoardService:
    """The app's board service (async: FastAPI would run a plain function in a thread)."""
    service: BoardService = request.app.state.boards
    return service


BoardServiceDep = Annotated[BoardService, Depends(board_service)]


def unknown_site(site_id: str) -> HTTPException:
    return HTTPException(404, f"unknown site {site_id!r}")


def known_board(boards: BoardService, site_id: str) -> Board:
    """The site's board as of now; 404 for a site neither configured nor seen."""
    board = boards.board(site_id)
    if board is None:
        raise unknown_site(site_id)
    return board


def known_config(boards: BoardService, site_id: str) -> SiteConfig:
    """The site's configuration; 404 for a site without one."""
    config = boards.config(site_id)
    if config is None:
        raise unknown_site(site_id)
    return config
