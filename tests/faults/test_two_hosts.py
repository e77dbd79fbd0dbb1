"""Two app hosts behind HAProxy (``benchmarks/two_hosts.py``): one killed and restarted under load.

Needs root, ``ip`` and HAProxy (``.ci/run`` installs HAProxy), and Redis (``TEST_REDIS_URL``,
as the rest of the suite). Everything asserted holds however the kill falls: whether it cut
a request off or not, no confirmed answer may be lost and every client must finish.
"""

from __future__ import annotations

import os

import pytest

from benchmarks.load import netns
from benchmarks.two_hosts import FREE_FAILURES, Settings, run_two_hosts


@pytest.fixture
def redis_url() -> str:
    """The suite's Redis; a clear failure (not a skip) when it does not answer."""
    import redis

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.fail(f"the two-host test shares Redis between hosts; none at {url}: {error}")
    finally:
        client.close()
    return url


def test_two_hosts_lose_nothing_share_sessions_and_counters_when_one_is_killed(
    fault_db, redis_url, tmp_path
):
    problem = netns.missing_requirements()
    assert problem is None, problem
    settings = Settings(
        n=40,
        window=24,
        kill_at=8,
        down=1,
        pace=(2.0, 4.0),
        submit_spread=3,
        sample=6,
        timeout=300,
        redis=redis_url,
    )
    result = run_two_hosts(fault_db.url, fault_db.take(settings.n), settings, tmp_path)

    # Host a's master and workers were SIGKILLed, and it came back into the balancer.
    assert result["fault"]["master_exit_status"] == -9, result["fault"]
    assert result["fault"]["came_back"], result["fault"]

    # A signed-in candidate reads and saves through either host alone, before the kill and
    # after it (host a then being a new gunicorn that never saw the sign-in).
    for check in ("sessions_before", "sessions_after"):
        for host in ("a", "b"):
            assert result[check][host] == {
                "sampled": settings.sample,
                "reads_ok": settings.sample,
                "saves_stored": settings.sample,
            }, (check, result[check])

    # Failures alternate between the hosts (two on each, in four processes): only a shared
    # count reaches the limit, and then the next try is refused on both hosts.
    counters = result["counters"]
    assert counters["failure_statuses"] == [401] * FREE_FAILURES, counters
    assert counters["next_try_statuses"] == {"a": 429, "b": 429}, counters
    assert counters["count_in_redis"] == FREE_FAILURES, counters

    # Nothing confirmed was lost, every save got an answer, every candidate finished.
    audit = result["audit"]
    assert audit["stored"] > 0, audit
    assert (audit["lost"], audit["corrupt"], audit["graded_wrong"]) == (0, 0, 0), audit
    assert audit["unconfirmed"] == 0, audit
    assert result["integrity"] == []
    assert result["submitted"] == settings.n
    assert result["ok"]
    # Namespaces, links and processes were removed (run_two_hosts raises otherwise).
    assert result["cleaned_up"]
