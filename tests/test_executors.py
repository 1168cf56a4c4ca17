"""map_tasks: same results, in input order, whatever the executor; clear infrastructure errors."""

from __future__ import annotations

import contextlib
import os
import time

import pytest

from toolkit import executors
from toolkit.errors import ParameterError
from toolkit.executors import ExecutorError, map_tasks


def slow_square(x: int) -> int:
    # Earlier items finish last, so completion order differs from input order.
    time.sleep(0.05 * (3 - x) if x < 3 else 0)
    return x * x


def thread_env(_: int) -> dict:
    return {var: os.environ.get(var) for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                                   "MKL_NUM_THREADS")}


def fail_on_two(x: int) -> int:
    if x == 2:
        raise ValueError("item 2 is bad")
    return x


def die(_: int) -> None:
    os.kill(os.getpid(), 9)


def test_serial_keeps_order_and_reports_each_result():
    seen = []
    out = map_tasks(slow_square, [3, 1, 2], executor="serial", progress=False,
                    on_result=lambda i, r: seen.append((i, r)))
    assert out == [9, 1, 4]
    assert seen == [(0, 9), (1, 1), (2, 4)]


def test_local_pool_keeps_input_order_and_pins_blas_threads():
    seen = []
    out = map_tasks(slow_square, [0, 1, 2, 3], executor="local", workers=2, progress=False,
                    on_result=lambda i, r: seen.append(i))
    assert out == [0, 1, 4, 9]
    assert sorted(seen) == [0, 1, 2, 3]
    envs = map_tasks(thread_env, [0, 1], executor="local", workers=2, progress=False)
    assert envs == [{"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                     "MKL_NUM_THREADS": "1"}] * 2


def test_task_exception_propagates():
    with pytest.raises(ValueError, match="item 2 is bad"):
        map_tasks(fail_on_two, [1, 2, 3], executor="local", workers=2, progress=False)


def test_empty_items_start_nothing():
    assert map_tasks(slow_square, [], executor="dask", progress=False) == []


def test_unknown_executor_and_misplaced_scheduler_are_parameter_errors():
    with pytest.raises(ParameterError, match="'executor' = 'threads'.*'serial' or 'local' or 'dask'"):
        map_tasks(slow_square, [1], executor="threads")
    with pytest.raises(ParameterError, match="scheduler"):
        map_tasks(slow_square, [1], executor="local", scheduler="tcp://127.0.0.1:8786")


def test_dask_local_cluster_matches_serial():
    items = [3, 0, 2, 1]
    dask_out = map_tasks(slow_square, items, executor="dask", workers=2, progress=False)
    assert dask_out == map_tasks(slow_square, items, executor="serial", progress=False)
    assert map_tasks(thread_env, [0], executor="dask", workers=1, progress=False)[0][
        "OMP_NUM_THREADS"] == "1"


def test_unreachable_scheduler_fails_fast_naming_the_address(monkeypatch):
    monkeypatch.setattr(executors, "DASK_CONNECT_TIMEOUT_S", 1)
    t0 = time.perf_counter()
    with pytest.raises(ExecutorError, match=r"tcp://127\.0\.0\.1:9 is unreachable"):
        map_tasks(slow_square, [1], executor="dask", scheduler="tcp://127.0.0.1:9",
                  progress=False)
    assert time.perf_counter() - t0 < 10


def test_dead_local_worker_is_an_executor_error():
    with pytest.raises(ExecutorError, match="a local worker process died abruptly"):
        map_tasks(die, [1], executor="local", workers=1, progress=False)


def die_on_two(x: int) -> int:
    if x == 2:
        os.kill(os.getpid(), 9)
    return x


def die_first_time(marker: str) -> str:
    if not os.path.exists(marker):
        open(marker, "w").close()  # noqa: SIM115 - a marker only
        os.kill(os.getpid(), 9)
    return "second attempt"


def test_one_dead_worker_keeps_the_finished_items_and_names_the_lost_one():
    out = map_tasks(die_on_two, [1, 2, 3, 4], executor="local", workers=2, progress=False,
                    on_lost=lambda item, message: ("lost", item, "died" in message))
    assert out == [1, ("lost", 2, True), 3, 4]


def test_a_worker_death_is_retried_alone(tmp_path):
    out = map_tasks(die_first_time, [str(tmp_path / "m")], executor="local", workers=1,
                    progress=False, retries=1)
    assert out == ["second attempt"]


@pytest.fixture
def silent_scheduler():
    """A loopback port that accepts connections and never answers."""
    import socket
    import threading

    server = socket.create_server(("127.0.0.1", 0))
    accepted = []

    def accept() -> None:
        with contextlib.suppress(OSError):
            while True:
                accepted.append(server.accept()[0])

    threading.Thread(target=accept, daemon=True).start()
    yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    server.close()
    for conn in accepted:
        conn.close()


def test_a_scheduler_that_never_answers_fails_within_the_stated_timeout(monkeypatch,
                                                                       silent_scheduler):
    monkeypatch.setattr(executors, "DASK_CONNECT_TIMEOUT_S", 1)
    t0 = time.perf_counter()
    with pytest.raises(ExecutorError, match="is unreachable .no answer within 1 s"):
        map_tasks(slow_square, [1], executor="dask", scheduler=silent_scheduler, progress=False)
    assert time.perf_counter() - t0 < 5


@pytest.mark.parametrize("address", ["http://127.0.0.1:8786", "127.0.0.1", "tcp://host:port"])
def test_a_malformed_scheduler_address_is_a_parameter_error(address):
    with pytest.raises(ParameterError, match="tcp://HOST:PORT"):
        map_tasks(slow_square, [1], executor="dask", scheduler=address, progress=False)
