"""A site and its queues: what kiosks and boards read."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from services.ticketing import errors
from services.ticketing.api.deps import Db
from services.ticketing.api.schemas import (
    Agency,
    Counter,
    Queues,
    Service,
    ServiceStandard,
    Site,
)
from services.ticketing.repositories import counters, sites
from services.ticketing.usecases import opening, views
from shared import sites as shared_sites

router = APIRouter(prefix="/api/sites", tags=["sites"])


@router.get("/{site_id}", response_model=Site)
async def get_site(site_id: str, conn: Db) -> Site:
    site = await sites.site(conn, site_id)
    if site is None:
        raise HTTPException(404, detail="lokasi MPP tidak ditemukan")
    info = opening.site_calendar(site)[0]
    return Site(
        id=site["id"],
        name=site["name"],
        timezone=site["timezone"],
        address=site["address"],
        agencies=[Agency(**a) for a in await sites.agencies(conn, site_id)],
        services=[
            Service(
                id=s["id"],
                name=s["name"],
                prefix=s["prefix"],
                agency_id=s["agency_id"],
                target_minutes=s["target_minutes"],
                standard=ServiceStandard(
                    **shared_sites.ServiceStandard.model_validate(s["standard"]).model_dump()
                ),
            )
            for s in await sites.services(conn, site_id)
        ],
        counters=[
            Counter(
                id=c["id"],
                name=c["name"],
                service_ids=list(c["service_ids"]),
                paused_reason=c["paused_reason"],
            )
            for c in await counters.counters(conn, site_id)
        ],
        kiosk_required=info.kiosk.require_device,
        pledge=info.pledge,
        complaint_channels=info.complaint_channels,
        break_reasons=info.break_reasons,
    )


@router.get("/{site_id}/queues", response_model=Queues)
async def get_queues(site_id: str, conn: Db) -> Queues:
    try:
        lines = await views.queues(conn, site_id)
    except errors.NotFound as exc:
        raise HTTPException(404, detail=str(exc)) from None
    return {q.service_id: q for q in lines}
