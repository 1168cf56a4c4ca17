"""Run one function over many items, serially, on local processes or on a dask cluster.

``map_tasks`` is the single entry point: the report runner, benchmarks and Monte Carlo code
call it and choose where the work happens with one keyword, so every executor returns the
same results in the same (input) order.
"""

from __future__ import annotations

import functools
import os
import re
import signal
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from tqdm.auto import tqdm

EXECUTORS = ("serial", "local", "dask")

#: Environment variables read by the BLAS / OpenMP runtimes at start-up. One thread per
#: worker process: N processes x N BLAS threads would oversubscribe the cores.
THREAD_ENV_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                   "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")

#: Seconds to wait for a dask scheduler before declaring it unreachable.
DASK_CONNECT_TIMEOUT_S = 5


#: A dask scheduler address: tcp:// or tls://, a host and a port.
_SCHEDULER_ADDRESS = re.compile(r"(tcp|tls)://[A-Za-z0-9._\-]+:\d{1,5}|(tcp|tls)://\[[0-9A-Fa-f:]+\]:\d{1,5}")


class ExecutorError(RuntimeError):
    """The execution infrastructure (not a task) failed: e.g. a scheduler is unreachable."""


def check_scheduler(scheduler: str | None) -> None:
    """ParameterError unless ``scheduler`` is None or a ``tcp://HOST:PORT`` address."""
    if scheduler is not None and not (isinstance(scheduler, str)
                                      and _SCHEDULER_ADDRESS.fullmatch(scheduler)):
        from toolkit.errors import ParameterError
        raise ParameterError("scheduler", scheduler, "a dask scheduler address tcp://HOST:PORT "
                             "(or tls://HOST:PORT), e.g. tcp://127.0.0.1:8786")


def pin_threads(n: int = 1) -> None:
    """Limit BLAS/OpenMP threads of this process to ``n`` (worker initializer).

    Environment variables only affect libraries loaded afterwards; threadpoolctl, when
    installed, also limits the ones already loaded (e.g. numpy imported by the parent).
    """
    for var in THREAD_ENV_VARS:
        os.environ[var] = str(n)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(limits=n)


def _die_with_parent(parent_pid: int) -> None:
    """Ask Linux to SIGKILL this worker when its parent dies (a killed runner leaves no orphan
    running notebooks); the kernels a worker starts exit when it does (ipykernel polls it)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the runner's lock still cannot leak
        return
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)


def _init_worker(parent_pid: int) -> None:
    """Local pool worker start-up: die with the parent, one BLAS thread."""
    _die_with_parent(parent_pid)
    pin_threads()


def default_workers() -> int:
    """Worker count when none is given: the CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def map_tasks(fn: Callable[[Any], Any], items: Iterable[Any], *, executor: str = "serial",
              scheduler: str | None = None, workers: int | None = None,
              progress: bool = True, desc: str | None = None,
              on_result: Callable[[int, Any], None] | None = None,
              retries: int = 1, on_lost: Callable[[Any, str], Any] | None = None) -> list:
    """Apply ``fn`` to every item and return the results in input order.

    Parameters
    ----------
    fn : a picklable callable (a module-level function for ``local``).
    items : the inputs; consumed into a list.
    executor : ``"serial"`` (this process), ``"local"`` (a process pool, one BLAS thread per
        worker) or ``"dask"`` (dask.distributed: ``scheduler`` address, or a LocalCluster).
    scheduler : ``tcp://host:port`` of a running dask scheduler (``dask`` only).
    workers : processes for ``local`` / a LocalCluster; default: usable CPUs (capped by items).
    progress : show a tqdm progress bar (stderr).
    desc : label of the progress bar.
    on_result : called in this process as ``on_result(index, result)`` as each item finishes
        (completion order), e.g. to print a status line per item while the rest still run.
    retries : when a worker process dies (OOM killer, signal), the items it may have been
        running are re-run this many times, each alone in a fresh worker, so the item that
        kills its worker is told apart from its neighbours. Finished items are kept.
    on_lost : ``on_lost(item, message)`` gives the result of an item whose worker still died
        after the retries (e.g. a "killed" record); without it such a loss raises
        ``ExecutorError`` (after the other items finished).

    An exception raised by ``fn`` propagates (the caller wraps ``fn`` when it wants per-item
    outcomes); an unreachable scheduler raises ``ExecutorError`` naming the address.
    """
    items = list(items)
    if executor not in EXECUTORS:
        from toolkit.errors import ParameterError
        raise ParameterError("executor", executor, " or ".join(repr(e) for e in EXECUTORS))
    if scheduler is not None and executor != "dask":
        from toolkit.errors import ParameterError
        raise ParameterError("scheduler", scheduler, "no scheduler unless executor='dask'")
    check_scheduler(scheduler)
    if not items:
        return []
    n_workers = max(1, min(workers or default_workers(), len(items)))
    bar = tqdm(total=len(items), desc=desc, disable=not progress, leave=False)
    try:
        if executor == "serial":
            results = []
            for i, item in enumerate(items):
                results.append(fn(item))
                _done(bar, on_result, i, results[-1])
            return results
        if executor == "local":
            return _map_local(fn, items, n_workers, bar, on_result, retries, on_lost)
        return _map_dask(fn, items, scheduler, n_workers, bar, on_result, on_lost)
    finally:
        bar.close()


def _done(bar, on_result, index, result) -> None:
    bar.update(1)
    if on_result is not None:
        on_result(index, result)


def _pool_round(fn, items, indices, n_workers, results, done, bar, on_result) -> list[int]:
    """Run ``items[indices]`` on one process pool; the indices lost to a dying worker."""
    lost: list[int] = []
    pool = ProcessPoolExecutor(max_workers=n_workers,
                               initializer=functools.partial(_init_worker, os.getpid()))
    try:
        futures = {pool.submit(fn, items[i]): i for i in indices}
        for future in as_completed(futures):
            i = futures[future]
            try:
                results[i] = future.result()
            except BrokenProcessPool:
                lost.append(i)
                continue
            done.add(i)
            _done(bar, on_result, i, results[i])
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return sorted(lost)


def _map_local(fn, items, n_workers, bar, on_result, retries=1, on_lost=None) -> list:
    results: list = [None] * len(items)
    done: set[int] = set()
    lost = _pool_round(fn, items, range(len(items)), n_workers, results, done, bar, on_result)
    gone: dict[int, int] = {}
    for i in lost:  # alone in a fresh worker: a death now is this item's own
        attempts = 1
        while attempts <= retries and i not in done:
            attempts += 1
            _pool_round(fn, items, [i], 1, results, done, bar, on_result)
        if i not in done:
            gone[i] = attempts
    for i, attempts in gone.items():
        message = (f"its worker process died abruptly {attempts} time(s) (out of memory, "
                   "signal); retried alone, then given up")
        if on_lost is None:
            raise ExecutorError(f"a local worker process died abruptly running item {i} "
                                f"({attempts} attempt(s)); check memory, or retry with "
                                "fewer --workers")
        results[i] = on_lost(items[i], message)
        _done(bar, on_result, i, results[i])
    return results


def _map_dask(fn, items, scheduler, n_workers, bar, on_result, on_lost=None) -> list:
    try:
        from distributed import Client, KilledWorker, LocalCluster
        from distributed import as_completed as dask_as_completed
    except ImportError as exc:  # optional dependency
        raise ExecutorError("executor='dask' needs dask.distributed: "
                            "pip install 'cc-sourcing-toolkit[dask]'") from exc
    cluster = None
    if scheduler:
        client = _connect(Client, scheduler, DASK_CONNECT_TIMEOUT_S)
    else:
        # Processes, one thread each: notebooks and numeric code are not GIL-friendly.
        cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                               dashboard_address=None,
                               env={var: "1" for var in THREAD_ENV_VARS})
        client = Client(cluster)
    try:
        if scheduler:
            client.run(pin_threads)
        # pure=False: the same item submitted twice (e.g. a forced re-run) runs twice.
        futures = client.map(fn, items, pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        results: list = [None] * len(items)
        for future in dask_as_completed(futures):
            i = index[future.key]
            try:
                results[i] = future.result()
            except KilledWorker as exc:  # workers kept dying on this task (dask retried it)
                if on_lost is None:
                    raise ExecutorError(f"dask workers died running item {i} ({exc}); "
                                        "check worker memory and logs") from exc
                results[i] = on_lost(items[i], "dask workers died running it (dask retried "
                                               "it on other workers, then gave up)")
            _done(bar, on_result, i, results[i])
        return results
    finally:
        client.close(timeout=DASK_CONNECT_TIMEOUT_S)
        if cluster is not None:
            cluster.close()


def _connect(client_class, scheduler: str, timeout_s: float):
    """A dask Client for ``scheduler``, or ExecutorError within ``timeout_s`` (plus 1 s).

    distributed's own ``timeout`` does not bound every step of the handshake: a peer that
    accepts the connection and never answers hangs it. The connection is therefore made in
    a daemon thread that this thread stops waiting for at the deadline.
    """
    box: dict = {}

    def connect() -> None:
        try:
            box["client"] = client_class(scheduler, timeout=timeout_s, set_as_default=False)
        except BaseException as exc:  # reported below, in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=connect, name="dask-connect", daemon=True)
    thread.start()
    thread.join(timeout_s + 1)
    if "client" in box:
        return box["client"]
    reason = (f"no answer within {timeout_s:g} s" if thread.is_alive()
              else f"{type(box['error']).__name__}: {box['error']}")
    raise ExecutorError(
        f"dask scheduler {scheduler} is unreachable ({reason}): start it with `dask scheduler` "
        f"and workers with `dask worker {scheduler}`, or use --executor local") from box.get("error")
