"""BaselineStorage: compare-and-set profiles, counts that add up, trips open until resumed."""

from __future__ import annotations

from interlock.state import BaselineStorage, StoredProfile, StoredTrip


def _profile(version: int, actions: int) -> StoredProfile:
    return StoredProfile("ag1", "runner", {"actions": actions}, version, 1.0)


def test_profiles_are_saved_with_compare_and_set(baselines: BaselineStorage) -> None:
    assert baselines.profile("ag1") is None and baselines.profile_version("ag1") == 0
    assert baselines.save_profile(_profile(1, 1), 0, {"env:staging": 1})
    assert not baselines.save_profile(_profile(1, 9), 0, {"env:prod": 1})  # someone won
    assert baselines.save_profile(_profile(2, 2), 1, {"env:staging": 1, "op:sql:SELECT": 1})
    assert not baselines.save_profile(_profile(3, 3), 1, {})  # stale version
    stored = baselines.profile("ag1")
    assert stored is not None and stored.version == 2 and stored.state == {"actions": 2}
    assert baselines.seen("ag1") == {"env:staging": 2, "op:sql:SELECT": 1}
    assert [p.key for p in baselines.profiles()] == ["ag1"]
    baselines.forget_profile("ag1")
    assert baselines.profile("ag1") is None and baselines.seen("ag1") == {}


def test_trips_stay_open_until_resumed(baselines: BaselineStorage) -> None:
    epoch = baselines.breaker_epoch()
    trip = StoredTrip("trp_1", "ag1", "runner", "5 denials", {"count": 5}, 10.0, None, None)
    baselines.add_trip(trip)
    assert baselines.breaker_epoch() == epoch + 1
    assert baselines.tripped_keys() == frozenset({"ag1"})
    found = baselines.open_trip("ag1")
    assert found is not None and found.evidence == {"count": 5}
    assert baselines.resume_trips("ag1", "alice", 20.0) == 1
    assert baselines.resume_trips("ag1", "alice", 21.0) == 0
    assert baselines.breaker_epoch() == epoch + 2
    assert baselines.open_trip("ag1") is None and baselines.tripped_keys() == frozenset()
    assert baselines.trips("ag1")[0].resumed_by == "alice"
