"""The two small core modules behind the Telegram layer: distances to sights, and the per-user
flood guard. Both are pure, so they are tested without Telegram and with a fake clock."""

from __future__ import annotations

import math

import pytest

from bot import geo
from bot.flood import FloodGuard
from bot.knowledge import KnowledgeBase

TOKYO_STATION = (35.6812, 139.7671)
SEOUL_CITY_HALL = (37.5665, 126.9780)


def test_distance_is_zero_symmetric_and_right_for_known_pairs() -> None:
    assert geo.distance_km(*TOKYO_STATION, *TOKYO_STATION) == 0
    there = geo.distance_km(*TOKYO_STATION, *SEOUL_CITY_HALL)
    back = geo.distance_km(*SEOUL_CITY_HALL, *TOKYO_STATION)
    assert there == pytest.approx(back)
    assert there == pytest.approx(1159, rel=0.01)  # Tokyo–Seoul, great circle
    assert geo.distance_km(0, 0, 0, 180) == pytest.approx(math.pi * geo.EARTH_RADIUS_KM)
    # one degree of latitude is about 111 km anywhere
    assert geo.distance_km(10, 20, 11, 20) == pytest.approx(111.2, rel=0.01)


def test_nearest_sights_come_closest_first(kb: KnowledgeBase) -> None:
    found = geo.nearest(kb, *TOKYO_STATION, limit=3)
    assert [n.sight_id for n in found[:2]] == ["teamlab-planets", "yurikamome-line"]
    assert [n.km for n in found] == sorted(n.km for n in found)
    assert found[0].cluster_id == "tokyo-yokohama" and found[0].km < 10
    assert geo.nearest(kb, *TOKYO_STATION, limit=0) == []


def test_only_sights_with_coordinates_are_offered(kb: KnowledgeBase) -> None:
    everything = geo.nearest(kb, 0.0, 0.0, limit=1000)
    located = [s.id for c in kb.clusters for s in c.sights if s.location is not None]
    assert sorted(n.sight_id for n in everything) == sorted(located)
    assert "henn-na-hotel" not in {n.sight_id for n in everything}  # it has no coordinates


@pytest.mark.parametrize(
    ("lat", "lon"),
    [(math.nan, 0.0), (0.0, math.nan), (math.inf, 0.0), (0.0, -math.inf), (90.5, 0.0), (0, 181)],
)
def test_a_point_that_is_not_on_earth_is_refused(kb: KnowledgeBase, lat: float, lon: float) -> None:
    assert not geo.is_on_earth(lat, lon)
    with pytest.raises(ValueError, match="not a point on Earth"):
        geo.nearest(kb, lat, lon)
    with pytest.raises(ValueError, match="not a point on Earth"):
        geo.distance_km(lat, lon, 0.0, 0.0)


def test_the_edges_of_the_map_are_points_on_earth(kb: KnowledgeBase) -> None:
    for lat, lon in [(90, 180), (-90, -180), (0, 0)]:
        assert geo.is_on_earth(lat, lon)
        assert geo.nearest(kb, lat, lon, limit=1)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_is_allowed_then_refused_with_one_warning() -> None:
    guard = FloodGuard(rate=1.0, burst=3, clock=Clock())
    verdicts = [guard.check(7) for _ in range(6)]
    assert [v.allowed for v in verdicts] == [True, True, True, False, False, False]
    assert [v.warn for v in verdicts] == [False, False, False, True, False, False]


def test_the_bucket_refills_with_time_and_warns_again_after_a_pause() -> None:
    clock = Clock()
    guard = FloodGuard(rate=0.5, burst=2, clock=clock)
    assert guard.check(7).allowed and guard.check(7).allowed
    assert guard.check(7).warn
    clock.now += 1.0  # half a token
    assert not guard.check(7).allowed
    clock.now += 1.0  # a whole one
    assert guard.check(7).allowed
    refused = guard.check(7)
    assert not refused.allowed and refused.warn  # a new flood, a new warning
    clock.now += 3600
    assert [guard.check(7).allowed for _ in range(3)] == [True, True, False]  # capped at burst


def test_one_users_flood_does_not_touch_another() -> None:
    guard = FloodGuard(rate=0.0, burst=2, clock=Clock())
    for _ in range(10):
        guard.check(1)
    assert guard.check(2).allowed and guard.check(2).allowed
    assert not guard.check(1).allowed


def test_memory_is_bounded_forgetting_the_least_recently_seen() -> None:
    guard = FloodGuard(rate=0.0, burst=1, clock=Clock(), max_users=2)
    guard.check(1)
    guard.check(2)
    guard.check(1)  # 1 is now more recent than 2
    guard.check(3)  # evicts 2
    assert len(guard) == 2
    assert guard.check(2).allowed  # forgotten, so a fresh bucket
    assert not guard.check(3).allowed


@pytest.mark.parametrize(
    "kwargs", [{"rate": -1.0}, {"burst": 0}, {"max_users": 0}], ids=["rate", "burst", "users"]
)
def test_nonsense_limits_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        FloodGuard(**kwargs)  # type: ignore[arg-type]
