"""Running per-layer work in dependency order, several layers at a time."""

from __future__ import annotations

import concurrent.futures as cf
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

T = TypeVar("T")


def run_in_order(
    names: Sequence[str],
    depends_on: Mapping[str, Sequence[str]],
    work: Callable[[str], T],
    jobs: int = 1,
) -> dict[str, T]:
    """Call ``work(name)`` for each name once all its dependencies among ``names`` finished.

    With ``jobs > 1`` independent names run in worker threads. The first exception
    stops new work from starting; running work finishes, then that exception is raised
    (the earliest failure in ``names`` order, so results do not depend on timing).
    """
    wanted = list(names)
    deps = {n: [d for d in depends_on.get(n, ()) if d in wanted and d != n] for n in wanted}
    results: dict[str, T] = {}
    if jobs <= 1:
        for name in wanted:
            results[name] = work(name)
        return results
    done: set[str] = set()
    failures: dict[str, BaseException] = {}
    running: dict[cf.Future[T], str] = {}
    pending = list(wanted)
    with cf.ThreadPoolExecutor(max_workers=jobs) as pool:
        while pending or running:
            if not failures:
                for name in list(pending):
                    if len(running) >= jobs:
                        break
                    if all(d in done for d in deps[name]):
                        pending.remove(name)
                        running[pool.submit(work, name)] = name
            if not running:
                break
            finished, _ = cf.wait(running, return_when=cf.FIRST_COMPLETED)
            for future in finished:
                name = running.pop(future)
                error = future.exception()
                if error is not None:
                    failures[name] = error
                else:
                    results[name] = future.result()
                    done.add(name)
    if failures:
        first = min(failures, key=wanted.index)
        raise failures[first]
    return {name: results[name] for name in wanted if name in results}
