"""Where the runs execute: in-process, a local process pool, or Dask (local or remote).

All three have one method, `imap_unordered(fn, arg_tuples)`, yielding results as they finish.
Order does not matter: the campaign sorts records by run index, and a record depends only on
its run index, so the result is the same whatever executes it.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import select
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any, Callable, Iterable, Iterator


class SerialExecutor:
    """Runs everything in this process: for debugging and for tiny campaigns."""

    name = "serial"
    workers = 1

    def __enter__(self) -> "SerialExecutor":
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def imap_unordered(self, fn: Callable, args: Iterable[tuple]) -> Iterator[Any]:
        for a in args:
            yield fn(*a)


def _mp_context():
    # forkserver: cheap worker start without inheriting the parent's threads (tqdm, Dask);
    # spawn where forkserver does not exist.
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    return multiprocessing.get_context(method)


def _exit_with(parent: int) -> None:
    """Pool initializer: this worker ends when the campaign's process ends, however it ends
    (a SIGKILL included), so no worker is left orphaned running runs nobody will collect.

    A parent-death signal (prctl PR_SET_PDEATHSIG) is not enough here: forkserver workers are
    the fork server's children, and the fork server lives as long as any worker holds its
    "alive" pipe. So each worker watches the campaign process itself: a pidfd where Linux
    has them (woken the moment it exits), else a poll every half second."""
    threading.Thread(target=_watch_parent, args=(parent,), name="exit-with-parent", daemon=True).start()


def _watch_parent(pid: int) -> None:
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        os._exit(1)
    except (AttributeError, OSError):        # no pidfd (not Linux 5.3+): poll
        while _alive(pid):
            time.sleep(0.5)
    else:
        select.select([fd], [], [])
    os._exit(1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


class PoolExecutor:
    """A local `ProcessPoolExecutor` of `workers` processes (default: all CPUs)."""

    name = "pool"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> "PoolExecutor":
        self._pool = ProcessPoolExecutor(self.workers, mp_context=_mp_context(),
                                         initializer=_exit_with, initargs=(os.getpid(),))
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._pool is not None
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._pool = None

    def imap_unordered(self, fn: Callable, args: Iterable[tuple]) -> Iterator[Any]:
        assert self._pool is not None, "use the executor as a context manager"
        pending = {self._pool.submit(fn, *a) for a in args}
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()


LOCAL_WORKER_CONFIG = {"distributed.worker.profile.enabled": False,
                       "distributed.admin.system-monitor.interval": "1s"}


class DaskExecutor:
    """Dask distributed: a `LocalCluster` it starts itself, or an existing scheduler address.

    Needs the `cluster` extra. Workers must be able to import this package (same code, same
    versions) for results to match; with a remote scheduler the retained run directories are
    written by the driver process, not the workers (see campaign.py).
    """

    name = "dask"

    def __init__(self, workers: int | None = None, address: str | None = None) -> None:
        self.address = address
        self.workers = workers or os.cpu_count() or 1
        self._client = self._cluster = None

    @property
    def local(self) -> bool:
        return self.address is None

    def __enter__(self) -> "DaskExecutor":
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:                      # pragma: no cover - depends on extras
            raise RuntimeError("Dask executors need the 'cluster' extra: pip install 'msr-fsw[cluster]'") from exc
        if self.address is None:
            import dask
            # the workers' own housekeeping competes with the runs for the same cores: no
            # statistical profiler (it samples every stack every 10 ms), no memory monitor
            with dask.config.set(LOCAL_WORKER_CONFIG):
                self._cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                             dashboard_address=None, silence_logs=logging.ERROR,
                                             memory_limit=0)
            self._client = Client(self._cluster)
        else:
            self._client = Client(self.address)
            self.workers = len(self._client.scheduler_info().get("workers", {})) or self.workers
        return self

    def __exit__(self, *exc: object) -> None:
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._client = self._cluster = None

    def imap_unordered(self, fn: Callable, args: Iterable[tuple]) -> Iterator[Any]:
        from distributed import as_completed
        assert self._client is not None, "use the executor as a context manager"
        futures = [self._client.submit(fn, *a, pure=False) for a in args]
        for future in as_completed(futures):
            yield future.result()
            future.release()


def make_executor(workers: int | None = None, scheduler: str | None = None, dask: bool = False):
    """`scheduler` -> existing Dask cluster; `dask` -> Dask LocalCluster; else a local pool
    (workers=0 runs in-process)."""
    if scheduler:
        return DaskExecutor(workers, scheduler)
    if dask:
        return DaskExecutor(workers)
    if workers == 0:
        return SerialExecutor()
    return PoolExecutor(workers)
