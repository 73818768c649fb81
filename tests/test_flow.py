"""The flow runners (pgwire._flow): one flow, run blocking and on the event loop."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from pgwire._flow import Call, FlowGen, Give, arun, arun_iter, holding, run, run_iter


class Steps:
    """Steps a flow calls, recording them; plain or coroutines."""

    def __init__(self, is_async: bool) -> None:
        self.done: list[str] = []
        self.is_async = is_async

    def step(self, name: str) -> Any:
        if not self.is_async:
            self.done.append(name)
            return name.upper()

        async def later() -> str:
            await asyncio.sleep(0)
            self.done.append(name)
            return name.upper()

        return later()

    def fail(self) -> Any:
        raise ValueError("step failed")


def _values_flow(steps: Steps) -> FlowGen[None]:
    try:
        first = yield Call(steps.step, "start")
        yield Give([first, 1, 2])
        yield Give(iter([3, 4]))
    finally:
        yield Call(steps.step, "clean")


def _failing_flow(steps: Steps) -> FlowGen[str]:
    try:
        yield Call(steps.fail)
    except ValueError as exc:
        return f"caught {exc}"
    return "not raised"


def test_run_sends_results_and_throws_errors() -> None:
    steps = Steps(is_async=False)
    assert run(_failing_flow(steps)) == "caught step failed"
    assert list(run_iter(_values_flow(steps))) == ["START", 1, 2, 3, 4]
    assert steps.done == ["start", "clean"]


def test_arun_awaits_coroutine_steps() -> None:
    steps = Steps(is_async=True)

    async def main() -> list[Any]:
        assert await arun(_failing_flow(steps)) == "caught step failed"
        return [value async for value in arun_iter(_values_flow(steps))]

    assert asyncio.run(main()) == ["START", 1, 2, 3, 4]
    assert steps.done == ["start", "clean"]


def test_leaving_the_loop_lets_a_delegated_flow_clean_up() -> None:
    steps = Steps(is_async=False)
    lock = threading.RLock()
    values = run_iter(holding(lock, _values_flow(steps)))
    assert next(values) == "START"
    values.close()
    assert steps.done == ["start", "clean"]
    assert lock.acquire(blocking=False)
    lock.release()


def test_aclose_lets_a_delegated_flow_clean_up() -> None:
    steps = Steps(is_async=True)

    async def main() -> bool:
        lock = asyncio.Lock()
        values = arun_iter(holding(lock, _values_flow(steps)))
        assert await values.__anext__() == "START"
        assert lock.locked()
        await values.aclose()
        return lock.locked()

    assert asyncio.run(main()) is False
    assert steps.done == ["start", "clean"]


def test_give_needs_an_iterating_runner() -> None:
    def flow() -> FlowGen[None]:
        yield Give([1])

    with pytest.raises(TypeError):
        run(flow())
