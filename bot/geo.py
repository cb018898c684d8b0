"""Distances from a traveller to the sights the knowledge has coordinates for.

Pure computation over the knowledge, so the Telegram layer, the terminal and the tests all get
the same nearest sights; rendering them into words is somebody else's job.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bot.knowledge import KnowledgeBase

EARTH_RADIUS_KM = 6371.0088  # the mean radius (IUGG); the haversine's error is well under 1 %


@dataclass(frozen=True)
class Nearby:
    """A sight with coordinates and how far it is, in kilometres along the Earth's surface."""

    sight_id: str
    cluster_id: str
    km: float


def is_on_earth(lat: float, lon: float) -> bool:
    """A real point: finite, latitude within ±90°, longitude within ±180°. Telegram sends
    only such points, but an update is JSON anyone can forge, and Python reads NaN and
    Infinity in it."""
    return -90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0  # NaN compares false


def _check(lat: float, lon: float) -> None:
    if not is_on_earth(lat, lon):
        raise ValueError(f"({lat!r}, {lon!r}) is not a point on Earth")


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance by the haversine formula (stable for short distances too).
    Raises ``ValueError`` for a point that is not on Earth (see ``is_on_earth``)."""
    _check(lat1, lon1)
    _check(lat2, lon2)
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon2 - lon1)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def nearest(kb: KnowledgeBase, lat: float, lon: float, limit: int = 3) -> list[Nearby]:
    """The ``limit`` sights closest to (lat, lon), closest first; sights without
    coordinates are left out rather than guessed. Raises ``ValueError`` for a point that is
    not on Earth."""
    _check(lat, lon)
    found = [
        Nearby(sight.id, cluster.id, distance_km(lat, lon, sight.location.lat, sight.location.lon))
        for cluster in kb.clusters
        for sight in cluster.sights
        if sight.location is not None
    ]
    found.sort(key=lambda n: (n.km, n.sight_id))
    return found[: max(0, limit)]
