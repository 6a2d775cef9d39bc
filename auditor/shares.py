"""Records stay in the process that parsed them.

A zone's parsed registrations are the bulk of an audit. Sending one to another process costs about as much
as parsing it: pickling took 45 us a registration in the parse workers and unpickling 60 us in the parent
(against 120 us to parse it), a third of the parse stage at 200k. So an audit hands each worker process a
contiguous share of the raw records once, when it forks; the worker parses its share and keeps the
outcomes, and every later step (which registrations the audit keeps, scoring and grading them, the dataset
rules' facts) is a task run where the records are. Only rows for the store, small summaries, findings and
grades come back. With one worker the same tasks run in this process, on one share.

A task is a generator method of `Share`: it yields `(kind, value)` messages, "progress" with a count of
records done or anything else for the caller, and the caller reads them share by share as they arrive.
What a share needs that cannot be pickled (rules hold functions, the grading callback is a closure) is in
its `ShareJob`, which forked workers inherit; task arguments are plain data.
"""

from __future__ import annotations

import bisect
import contextlib
import gc
import multiprocessing
import multiprocessing.connection
import os
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from auditor.errors import AuditorError
from auditor.records import ParseOutcome, RawRecord, RegistrationRecord

#: Records scored between two progress messages.
PROGRESS_EVERY = 500

Message = tuple[str, Any]


class ShareError(AuditorError):
    """A worker process holding part of the audit failed or died."""

    slug = "share-error"


@dataclass
class ShareJob:
    """What every share of one audit knows from the start (inherited by forked workers, never pickled).

    Either `raws`, which the shares parse (an audit), or `records`, already parsed (`engine.score` called
    on a list of records).
    """

    raws: Sequence[RawRecord] = ()
    records: Sequence[RegistrationRecord] = ()
    #: the rest is read by the tasks in auditor.engine and auditor.pipeline
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.raws) or len(self.records)


class Share:
    """Items [lo, hi) of the job: their parse outcomes, and the registrations kept for the audit.

    `kept[i]` is the registration of global rank `ranks[i]` (its place in the audit's record order); the
    ranks of a share are ascending, though not contiguous when the audit's order differs from the input's.
    """

    def __init__(self, job: ShareJob, lo: int, hi: int) -> None:
        self.job = job
        self.lo, self.hi = lo, hi
        self.outcomes: list[ParseOutcome] = list(job.records[lo:hi]) if job.records else []
        self.kept: list[RegistrationRecord] = []
        self.ranks: list[int] = []
        self.state: dict[str, Any] = {}  # what earlier tasks left for later ones (a scoring context, ...)
        self.in_worker = False  # True in a forked worker process (set by _serve)

    def run(self, task: str, args: tuple[Any, ...]) -> Iterator[Message]:
        """The messages of one task (a function from `TASKS`)."""
        return TASKS[task](self, *args)

    def keep(self, positions: Sequence[tuple[int, int]]) -> Iterator[Message]:
        """Keep the outcomes at these (index in the share, rank) positions, in ascending rank."""
        self.kept = [self.outcomes[i] for i, _rank in positions]  # type: ignore[misc]
        self.ranks = [rank for _i, rank in positions]
        self.state.pop("rank_index", None)
        yield from ()

    def records(self, ranks: Sequence[int]) -> Iterator[Message]:
        """The kept records of these ranks that this share holds, as (rank, record)."""
        where = self.rank_index()
        yield "result", [(rank, self.kept[where[rank]]) for rank in ranks if rank in where]

    def rank_index(self) -> dict[int, int]:
        """Where each kept rank sits in `kept`."""
        found = self.state.get("rank_index")
        if found is None:
            found = self.state["rank_index"] = {rank: i for i, rank in enumerate(self.ranks)}
        return found


#: Task name -> function(share, *args) yielding messages. Tasks are registered by the modules that
#: define them (`task` below), so this module knows nothing about parsing or rules.
TASKS: dict[str, Callable[..., Iterator[Message]]] = {"keep": Share.keep, "records": Share.records}


def task(name: str) -> Callable[[Callable[..., Iterator[Message]]], Callable[..., Iterator[Message]]]:
    """Register a generator function(share, *args) as a task the shares can run."""

    def register(func: Callable[..., Iterator[Message]]) -> Callable[..., Iterator[Message]]:
        TASKS[name] = func
        return func

    return register


def bounds(size: int, shares: int) -> list[tuple[int, int]]:
    """Contiguous, nearly equal [lo, hi) ranges over `size` items."""
    shares = max(1, min(shares, size or 1))
    step, extra = divmod(size, shares)
    out, lo = [], 0
    for i in range(shares):
        hi = lo + step + (1 if i < extra else 0)
        out.append((lo, hi))
        lo = hi
    return out


class Shares:
    """The shares of one job and where they run. Use as a context manager: workers stop on exit."""

    def __init__(self, job: ShareJob, workers: int = 1) -> None:
        self.job = job
        self.bounds = bounds(job.size, workers)
        self._local: list[Share] = []
        self._conns: list[multiprocessing.connection.Connection] = []
        self._procs: list[Any] = []
        self._stopped = False
        if len(self.bounds) == 1 or "fork" not in multiprocessing.get_all_start_methods():
            self.bounds = [(0, job.size)]
            self._local = [Share(job, 0, job.size)]
            return
        context = multiprocessing.get_context("fork")
        for lo, hi in self.bounds:
            parent_end, child_end = context.Pipe()
            proc = context.Process(target=_serve, args=(child_end, job, lo, hi), daemon=True)
            proc.start()
            child_end.close()
            self._conns.append(parent_end)
            self._procs.append(proc)

    def __len__(self) -> int:
        return len(self.bounds)

    @property
    def forked(self) -> bool:
        """Do the shares run in worker processes (which see this process's later changes only if sent)?"""
        return bool(self._procs)

    def __enter__(self) -> Shares:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self.close(abandon=exc_type is not None)

    def keep(self, chosen: Sequence[int]) -> None:
        """Keep the job's items at these indices for the audit, each share its own, ranked by their place
        in `chosen` (the audit's record order)."""
        starts = [lo for lo, _hi in self.bounds]
        positions: list[list[tuple[int, int]]] = [[] for _ in starts]
        for rank, index in enumerate(chosen):
            number = bisect.bisect_right(starts, index) - 1
            positions[number].append((index - starts[number], rank))
        self.run("keep", [(p,) for p in positions])

    def records(self, ranks: Iterable[int]) -> dict[int, RegistrationRecord]:
        """Some kept records, by rank, fetched from the shares that hold them."""
        wanted = sorted(set(ranks))
        return {rank: record for found in self.run("records", (wanted,)) for rank, record in found}

    def stream(self, task_name: str, args: Sequence[tuple[Any, ...]] | tuple[Any, ...] = ()) -> Iterator[tuple[int, Message]]:
        """Run a task on every share; yields (share number, message) as they come. `args` is one tuple for
        all shares, or a list with one tuple per share."""
        if self._stopped:
            raise ShareError(f"cannot run {task_name!r}: the shares were stopped")
        per_share = args if isinstance(args, list) else [tuple(args)] * len(self)
        if self._local:
            for number, share in enumerate(self._local):
                for message in share.run(task_name, per_share[number]):
                    yield number, message
            return
        for conn, share_args in zip(self._conns, per_share, strict=True):
            conn.send((task_name, share_args))
        running = dict(enumerate(self._conns))
        while running:
            for conn in multiprocessing.connection.wait(list(running.values())):
                number = self._conns.index(conn)  # type: ignore[arg-type]
                try:
                    kind, value = conn.recv()  # type: ignore[union-attr]
                except (EOFError, OSError) as exc:
                    raise ShareError(f"worker {number} stopped during {task_name!r} "
                                     f"(exit code {self._procs[number].exitcode})") from exc
                if kind == "end":
                    del running[number]
                elif kind == "error":
                    raise ShareError(f"worker {number} failed during {task_name!r}:\n{value}")
                else:
                    yield number, (kind, value)

    def run(self, task_name: str, args: Sequence[tuple[Any, ...]] | tuple[Any, ...] = ()) -> list[Any]:
        """Run a task on every share and return each share's "result" message, in share order (progress
        messages are dropped)."""
        results: list[Any] = [None] * len(self)
        for number, (kind, value) in self.stream(task_name, args):
            if kind == "result":
                results[number] = value
        return results

    def stop(self) -> None:
        """Tell the workers to exit, without waiting for them (`close` waits). A worker holding a share
        of a large zone takes seconds to give its memory back; the caller can go on meanwhile. No task
        can run on the shares afterwards."""
        for conn in self._conns:
            try:
                conn.send(None)
            except OSError:
                pass  # already gone
        self._stopped = True

    def close(self, abandon: bool = False) -> None:
        """Stop the workers and wait for them to exit (they close their own connections as they exit).

        With `abandon` (this process is leaving by an error), end them at once instead: a worker may be
        blocked sending a message that nobody will read now, and waiting for it took 30 s a worker.
        """
        if not self._stopped:
            self.stop()
        for proc in self._procs:
            if abandon:
                proc.terminate()
            proc.join(timeout=30)
            if proc.is_alive():
                proc.terminate()
                proc.join()
        for conn in self._conns:
            conn.close()
        self._conns, self._procs, self._local = [], [], []
        self._stopped = True


def _serve(conn: multiprocessing.connection.Connection, job: ShareJob, lo: int, hi: int) -> None:
    """A worker's loop: run each task it is sent on its share, until told to stop; then leave at once.

    Leaving skips freeing the share's records one by one: at 200k registrations the two workers took
    0.40 s to exit that way after `Shares.stop`, their cores competing with the parent's last stage,
    and the operating system takes the memory back whole.
    """
    gc.freeze()  # what the parent held at fork is long-lived here too (see pipeline.keep_long_lived)
    share = Share(job, lo, hi)
    share.in_worker = True
    exit_code = 1
    try:
        while (request := conn.recv()) is not None:
            task_name, args = request
            try:
                for message in share.run(task_name, args):
                    conn.send(message)
                conn.send(("end", None))
            except Exception:  # noqa: BLE001 - reported to the parent, which raises it
                conn.send(("error", traceback.format_exc()))
        exit_code = 0
    except (EOFError, KeyboardInterrupt):
        exit_code = 0
    except BaseException:  # noqa: BLE001 - the parent sees the worker gone and the exit code; this says why
        traceback.print_exc()
    finally:
        try:
            closer = share.state.get("close")
            if closer is not None:
                closer()
            conn.close()
        except BaseException:  # noqa: BLE001 - as above
            traceback.print_exc()
            exit_code = 1
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(exit_code)
