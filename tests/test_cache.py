"""The SQLite judge cache: hits and misses, persistence, concurrency, clearing."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from roleplay.cache import SQLiteJudgeCache, default_cache_dir
from roleplay.errors import ConfigError
from roleplay.evaluate import JudgeCache


def test_miss_then_hit_with_counters(tmp_path: Path) -> None:
    with SQLiteJudgeCache(tmp_path / "c.sqlite3", model="gpt-4o-mini") as cache:
        assert cache.get("k1") is None
        cache.put("k1", '{"score": 4}')
        assert cache.get("k1") == '{"score": 4}'
        assert cache.get("k2") is None
        stats = cache.stats
        assert (stats.hits, stats.misses, stats.puts, stats.entries) == (1, 2, 1, 1)
        model, created = cache.metadata("k1") or (None, "")
        assert model == "gpt-4o-mini" and created.endswith("Z")
        cache.put("k1", "replaced", model="other")
        assert cache.get("k1") == "replaced" and len(cache) == 1
        assert cache.metadata("k1") is not None
        assert cache.metadata("missing") is None


def test_it_is_a_judge_cache(tmp_path: Path) -> None:
    with SQLiteJudgeCache(tmp_path / "c.sqlite3") as cache:
        assert isinstance(cache, JudgeCache)


def test_replies_persist_across_instances(tmp_path: Path) -> None:
    with SQLiteJudgeCache.in_dir(tmp_path / "cache") as first:
        first.put("key", "reply")
    with SQLiteJudgeCache.in_dir(tmp_path / "cache") as second:
        assert second.get("key") == "reply"
        assert second.stats.hits == 1 and second.stats.puts == 0


def test_two_open_instances_see_each_others_writes(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite3"
    with SQLiteJudgeCache(path) as a, SQLiteJudgeCache(path) as b:
        a.put("x", "from a")
        assert b.get("x") == "from a"


def test_concurrent_puts_from_threads_are_all_kept(tmp_path: Path) -> None:
    cache = SQLiteJudgeCache(tmp_path / "c.sqlite3")
    barrier = threading.Barrier(8)

    def writer(n: int) -> None:
        barrier.wait()
        for i in range(40):
            cache.put(f"t{n}-{i}", f"v{n}-{i}")
            assert cache.get(f"t{n}-{i}") == f"v{n}-{i}"

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(cache) == 320 and cache.stats.puts == 320 and cache.stats.hits == 320
    cache.close()


async def test_concurrent_use_from_asyncio_tasks_and_worker_threads(tmp_path: Path) -> None:
    cache = SQLiteJudgeCache(tmp_path / "c.sqlite3")

    async def task(n: int) -> str | None:
        await asyncio.to_thread(cache.put, f"k{n}", f"v{n}")
        cache.put(f"loop{n}", "x")
        return await asyncio.to_thread(cache.get, f"k{n}")

    results = await asyncio.gather(*(task(n) for n in range(50)))
    assert results == [f"v{n}" for n in range(50)]
    assert len(cache) == 100
    cache.close()


def test_clear_empties_the_cache_and_resets_counters(tmp_path: Path) -> None:
    with SQLiteJudgeCache(tmp_path / "c.sqlite3") as cache:
        for i in range(3):
            cache.put(str(i), "v")
        cache.get("0")
        assert cache.clear() == 3
        assert len(cache) == 0 and cache.get("0") is None
        assert cache.stats.hits == 0 and cache.stats.puts == 0 and cache.stats.misses == 1


def test_keys_are_content_addressed_so_any_string_works(tmp_path: Path) -> None:
    with SQLiteJudgeCache(tmp_path / "c.sqlite3") as cache:
        long_key = "x" * 100_000
        cache.put(long_key, "a")
        cache.put("ümlaut ' \" ; DROP TABLE", "b")
        assert cache.get(long_key) == "a"
        assert cache.get("ümlaut ' \" ; DROP TABLE") == "b"


def test_default_cache_dir_honours_the_environment() -> None:
    assert default_cache_dir({}) == Path(".roleplay-cache")
    assert default_cache_dir({"ROLEPLAY_CACHE_DIR": "elsewhere/cache"}) == Path("elsewhere/cache")


def test_an_unusable_path_is_a_config_error_naming_it(tmp_path: Path) -> None:
    folder = tmp_path / "a-folder"
    folder.mkdir()
    with pytest.raises(ConfigError, match="a-folder"):
        SQLiteJudgeCache(folder)
