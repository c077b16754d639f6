"""The embedded defaults' file cache counts whole across processes and threads."""

import multiprocessing

from shop_common.file_cache import FileCache

KEY = "counter"


def add_ones(location: str, times: int) -> None:
    cache = FileCache(location, {})
    for _ in range(times):
        cache.add(KEY, 0)
        cache.incr(KEY)


def test_increments_from_several_processes_are_all_kept(tmp_path):
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=add_ones, args=(str(tmp_path), 50)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)

    assert [worker.exitcode for worker in workers] == [0, 0, 0, 0]
    assert FileCache(str(tmp_path), {}).get(KEY) == 200


def test_a_full_folder_drops_expired_entries_before_live_ones(tmp_path):
    cache = FileCache(str(tmp_path), {"OPTIONS": {"MAX_ENTRIES": 10}})
    cache.set("live", 1, timeout=3600)
    for number in range(9):
        cache.set(f"expired-{number}", number, timeout=-1)

    for number in range(5):
        cache.set(f"new-{number}", number)

    assert cache.get("live") == 1
    assert all(cache.get(f"new-{number}") == number for number in range(5))


def test_its_lock_file_is_no_entry_of_the_cache(tmp_path):
    cache = FileCache(str(tmp_path), {})
    cache.set("a", 1)

    cache.clear()

    assert cache.get("a") is None
    assert (tmp_path / "writes.lock").exists()
