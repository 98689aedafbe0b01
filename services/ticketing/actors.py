"""Who asks: a staff account as a verified token names it, and the checks of its role."""

from __future__ import annotations

from dataclasses import dataclass

from services.ticketing.errors import NotAllowed


@dataclass(frozen=True)
class Actor:
    """Who asks: the staff account a verified token names, as the account is now."""

    username: str
    site_id: str
    role: str
    counter_ids: tuple[str, ...]
    deployment_admin: bool = False

    def administers(self, site_id: str) -> bool:
        """An admin of this site (named in its file or made by its admin), or of all."""
        return self.role == "admin" and (self.deployment_admin or self.site_id == site_id)

    def supervises(self, site_id: str) -> bool:
        return self.administers(site_id) or (self.role == "supervisor" and self.site_id == site_id)

    def may_use_counter(self, site_id: str, counter_id: str) -> bool:
        if self.supervises(site_id):
            return True
        return self.site_id == site_id and counter_id in self.counter_ids


def require_supervisor(actor: Actor, site_id: str) -> None:
    if not actor.supervises(site_id):
        raise NotAllowed(f"{actor.username} bukan supervisor atau admin lokasi {site_id}")


def require_admin(actor: Actor, site_id: str | None = None) -> None:
    """An admin of `site_id`; with None, a deployment-wide admin (every site at once)."""
    if site_id is None:
        if not (actor.role == "admin" and actor.deployment_admin):
            raise NotAllowed(f"{actor.username} bukan admin seluruh deployment")
    elif not actor.administers(site_id):
        raise NotAllowed(f"{actor.username} bukan admin lokasi {site_id}")
