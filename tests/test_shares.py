"""Worker processes that keep their share of the records: the same answers as one process, and a clear
error (never a hang) when a worker fails or dies."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from auditor.shares import Share, ShareError, ShareJob, Shares, bounds, task


@task("test_sum_squares")
def _sum_squares(share: Share, power: int) -> Iterator[tuple[str, Any]]:
    """Progress per item, then the sum of the share's items raised to `power`."""
    total = 0
    for value in share.outcomes:
        total += value**power  # type: ignore[operator]
        yield "progress", 1
    yield "result", (share.lo, share.hi, total, share.in_worker)


@task("test_fail")
def _fail(share: Share) -> Iterator[tuple[str, Any]]:
    if share.lo > 0:
        raise ValueError("the second share's data is bad")
    yield "result", "fine"


@task("test_die")
def _die(share: Share) -> Iterator[tuple[str, Any]]:
    if share.lo > 0 and share.in_worker:
        os._exit(9)  # as the kernel's OOM killer would
    yield "result", "alive"


@task("test_exit")
def _exit(share: Share) -> Iterator[tuple[str, Any]]:
    if share.lo > 0 and share.in_worker:
        raise SystemExit("leaving mid-task")  # not an Exception: escapes the task's error reporting
    yield "result", "stayed"


@task("test_finalizer")
def _finalizer(share: Share, path: str) -> Iterator[tuple[str, Any]]:
    """Leave a closer that writes a file, and an object whose finalizer would write another."""

    class Noisy:
        def __del__(self) -> None:
            with open(path + ".freed", "a") as handle:
                handle.write("freed")

    lo = share.lo  # the closer must not hold the share: a cycle would keep it from being freed anyway
    share.state["noisy"] = Noisy()
    share.state["close"] = lambda: open(path + f".closed.{lo}", "w").close()
    yield "result", share.lo


def test_bounds_cover_every_item_once_in_near_equal_ranges() -> None:
    for size in (0, 1, 2, 3, 10, 1001):
        for shares in (1, 2, 3, 8):
            found = bounds(size, shares)
            assert found[0][0] == 0 and found[-1][1] == size
            assert all(a[1] == b[0] for a, b in zip(found, found[1:], strict=False))
            sizes = [hi - lo for lo, hi in found]
            assert max(sizes) - min(sizes) <= 1 and len(found) == max(1, min(shares, size))


@pytest.mark.parametrize("workers", [1, 3])
def test_a_task_gives_the_same_answer_in_workers_as_here(workers: int) -> None:
    items = list(range(1000))
    with Shares(ShareJob(records=items), workers) as shares:  # type: ignore[arg-type]
        assert shares.forked == (workers > 1)
        progress = sum(value for _n, (kind, value) in shares.stream("test_sum_squares", (2,)) if kind == "progress")
        results = shares.run("test_sum_squares", (3,))
    assert progress == len(items)
    assert [r[:2] for r in results] == shares.bounds
    assert sum(r[2] for r in results) == sum(i**3 for i in items)
    assert {r[3] for r in results} == {workers > 1}


@task("test_flood")
def _flood(share: Share) -> Iterator[tuple[str, Any]]:
    """More than a pipe holds: a worker blocks sending until this process reads."""
    for _ in range(64):
        yield "part", b"x" * (1 << 20)
    yield "result", share.lo


def test_leaving_by_an_error_ends_workers_blocked_sending_at_once() -> None:
    """An error while the workers still send (the audit's writer failing mid-scoring) leaves the shares
    at once: the workers, blocked writing to pipes nobody reads any more, are ended, not waited for."""
    import time

    started = time.monotonic()
    with pytest.raises(RuntimeError, match="the store went away"):
        with Shares(ShareJob(records=list(range(10))), 2) as shares:  # type: ignore[arg-type]
            for _number, (kind, _value) in shares.stream("test_flood"):
                if kind == "part":
                    raise RuntimeError("the store went away")
    assert time.monotonic() - started < 20  # waiting for them took 30 s a worker
    assert not shares._procs


def test_a_task_that_raises_in_a_worker_is_raised_here_with_its_traceback() -> None:
    with Shares(ShareJob(records=list(range(10))), 2) as shares, pytest.raises(ShareError) as raised:  # type: ignore[arg-type]
        shares.run("test_fail")
    assert "the second share's data is bad" in str(raised.value) and "Traceback" in str(raised.value)


def test_a_worker_that_dies_is_reported_not_waited_for() -> None:
    with Shares(ShareJob(records=list(range(10))), 2) as shares:  # type: ignore[arg-type]
        with pytest.raises(ShareError, match="stopped during 'test_die'"):
            shares.run("test_die")
    assert not shares._procs  # closed: every worker joined or terminated


def test_workers_keep_what_an_earlier_task_left() -> None:
    with Shares(ShareJob(records=list(range(100))), 2) as shares:  # type: ignore[arg-type]
        shares.keep(range(90, -1, -10))  # ranked in this order: item 90 first
        found = shares.records([*range(10), 10, 11])  # ranks 10 and 11 do not exist
    assert found == {rank: 90 - 10 * rank for rank in range(10)}


def test_stopped_workers_exit_while_this_process_goes_on_and_run_nothing_more() -> None:
    import time

    with Shares(ShareJob(records=list(range(10))), 2) as shares:  # type: ignore[arg-type]
        procs = list(shares._procs)
        shares.stop()
        deadline = time.monotonic() + 30
        while any(p.is_alive() for p in procs) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not any(p.is_alive() for p in procs)  # they exited without being waited for
        with pytest.raises(ShareError, match="stopped"):
            shares.run("test_sum_squares", (1,))
    assert [p.exitcode for p in procs] == [0, 0] and not shares._procs


def test_a_stopped_worker_runs_its_closer_and_leaves_without_freeing_its_share(tmp_path: Any) -> None:
    """A worker gives its share's memory back by exiting, not by freeing millions of objects one by one;
    what it must close (a PostgreSQL connection) it closes first."""
    base = str(tmp_path / "mark")
    with Shares(ShareJob(records=list(range(10))), 2) as shares:  # type: ignore[arg-type]
        procs = list(shares._procs)
        assert shares.run("test_finalizer", (base,)) == [0, 5]
    assert [p.exitcode for p in procs] == [0, 0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mark.closed.0", "mark.closed.5"]


def test_a_worker_leaving_by_an_uncaught_exit_reports_it_and_exits_non_zero(capfd: Any) -> None:
    with Shares(ShareJob(records=list(range(10))), 2) as shares:  # type: ignore[arg-type]
        procs = list(shares._procs)
        with pytest.raises(ShareError, match="stopped during 'test_exit'"):
            shares.run("test_exit")
    assert procs[1].exitcode == 1 and procs[0].exitcode == 0
    assert "leaving mid-task" in capfd.readouterr().err
