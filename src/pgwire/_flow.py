"""Flows: logic written once for the blocking and the asyncio classes.

A *flow* is a generator that yields an *effect* each time it needs something
done that waits, and is resumed with the effect's result (or has its
exception thrown in). The logic of a public method (which statements to
send, what to do when one fails, what to clean up) is written once, as a
flow; the blocking class runs it with :func:`run`, the asyncio class with
:func:`arun`. The usual effect is :class:`Call`: the flow names a method of
the concrete object (``conn._command``), which is plain on the blocking class
and a coroutine on the asyncio one, and each runner calls it its own way.

A flow that produces values as it goes (rows, chunks) yields :class:`Give`
with them; :func:`run_iter` and :func:`arun_iter` hand them to their caller
one by one, and throw into the flow what stops the caller (an error, or
``close()`` when the loop is left early), so that the flow cleans up as
written.

This module loads no asyncio: the asyncio side only awaits what it is given.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterable, Iterator
from typing import Any, Generic, Protocol, TypeVar

__all__ = [
    "Call",
    "CallerLeft",
    "Effect",
    "Flow",
    "FlowGen",
    "Give",
    "Outcome",
    "arun",
    "arun_iter",
    "holding",
    "run",
    "run_iter",
]

T = TypeVar("T")


class Effect(Protocol):
    """What a flow yields: something done blocking or awaited."""

    def run_sync(self) -> Any:
        """Do it, blocking."""

    async def run_async(self) -> Any:
        """Do it in the running event loop."""


class Call:
    """Effect: call ``fn(*args, **kwargs)``; the asyncio runner awaits what it returns."""

    __slots__ = ("args", "fn", "kwargs")

    def __init__(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self.fn = fn
        self.args = args
        self.kwargs = kwargs

    def run_sync(self) -> Any:
        """Perform the call, blocking."""
        return self.fn(*self.args, **self.kwargs)

    async def run_async(self) -> Any:
        """Perform the call; await the result if it is awaitable (callbacks may be either)."""
        result = self.fn(*self.args, **self.kwargs)
        if isinstance(result, Awaitable):
            result = await result
        return result


class Give:
    """Not an effect: values for the caller of :func:`run_iter` / :func:`arun_iter`."""

    __slots__ = ("values",)

    def __init__(self, values: Iterable[Any]) -> None:
        self.values = values

    def run_sync(self) -> Any:
        """A flow run by :func:`run` has no caller to give values to."""
        raise TypeError("Give needs an iterating runner (run_iter or arun_iter)")

    async def run_async(self) -> Any:
        """A flow run by :func:`arun` has no caller to give values to."""
        raise TypeError("Give needs an iterating runner (run_iter or arun_iter)")


FlowGen = Generator[Effect, Any, T]


class CallerLeft(BaseException):
    """Thrown into a flow whose values the caller stopped taking (the loop was left).

    Not GeneratorExit itself: a flow delegating with ``yield from`` would
    close its inner flow rather than let it clean up with effects.
    """


class Outcome:
    """How an effect ended: with a value or with an exception."""

    __slots__ = ("error", "value")

    def __init__(self, value: Any = None, error: BaseException | None = None) -> None:
        self.value = value
        self.error = error

    def __repr__(self) -> str:
        return f"Outcome(value={self.value!r}, error={self.error!r})"

    @classmethod
    async def of_awaitable(cls, awaitable: Any) -> Outcome:
        """The outcome of awaiting ``awaitable``."""
        try:
            return cls(await awaitable)
        except BaseException as exc:
            return cls(error=exc)


class Flow(Generic[T]):
    """A flow being run: its ``pending`` effect, then its ``result``."""

    __slots__ = ("_gen", "pending", "result")

    def __init__(self, gen: FlowGen[T]) -> None:
        self._gen = gen
        self.pending: Effect | None = None
        self.result: T | None = None
        self.send(None)

    def send(self, value: Any) -> None:
        """Resume the flow with the value its pending effect returned."""
        try:
            self.pending = self._gen.send(value)
        except StopIteration as stop:
            self.pending = None
            self.result = stop.value

    def throw(self, error: BaseException) -> None:
        """Resume the flow with the exception its pending effect raised."""
        try:
            self.pending = self._gen.throw(error)
        except StopIteration as stop:
            self.pending = None
            self.result = stop.value

    def feed(self, outcome: Outcome) -> None:
        """Resume the flow with how its pending effect ended."""
        if outcome.error is not None:
            self.throw(outcome.error)
        else:
            self.send(outcome.value)

    def run_pending(self) -> None:
        """Perform the pending effect, blocking, and resume the flow with how it ended.

        Interrupts and cancellation go into the flow too, so that it can put
        things back in order before they propagate.
        """
        effect = self.pending
        assert effect is not None
        try:
            value = effect.run_sync()
        except BaseException as exc:
            error = exc
        else:
            self.send(value)
            return
        # Thrown outside the except clause: the flow's own errors are not
        # chained to this one unless the flow chains them.
        self.throw(error)


def holding(lock: Any, gen: FlowGen[T]) -> FlowGen[T]:
    """The flow ``gen`` run holding ``lock`` (a threading or an asyncio lock)."""
    yield Call(lock.acquire)
    try:
        return (yield from gen)
    finally:
        lock.release()


def run(gen: FlowGen[T]) -> T:
    """Run a flow to its end, blocking on each effect."""
    flow = Flow(gen)
    while flow.pending is not None:
        flow.run_pending()
    return flow.result  # type: ignore[return-value]


async def arun(gen: FlowGen[T]) -> T:
    """Run a flow to its end in the running event loop."""
    flow = Flow(gen)
    while (effect := flow.pending) is not None:
        flow.feed(await Outcome.of_awaitable(effect.run_async()))
    return flow.result  # type: ignore[return-value]


def run_iter(gen: FlowGen[Any]) -> Iterator[Any]:
    """Run a flow, blocking on each effect; yield the values it gives."""
    flow = Flow(gen)
    try:
        while (effect := flow.pending) is not None:
            if type(effect) is Give:
                try:
                    yield from effect.values
                except GeneratorExit:
                    flow.throw(CallerLeft())
                except BaseException as exc:
                    flow.throw(exc)
                else:
                    flow.send(None)
            else:
                flow.run_pending()
    except CallerLeft:
        return


async def arun_iter(gen: FlowGen[Any]) -> AsyncIterator[Any]:
    """Run a flow in the running event loop; yield the values it gives.

    The caller closes it (``aclose()``) when it stops early: a flow's
    clean-up may need to wait, which an abandoned async generator cannot.
    """
    flow = Flow(gen)
    try:
        while (effect := flow.pending) is not None:
            if type(effect) is Give:
                try:
                    for value in effect.values:
                        yield value
                except GeneratorExit:
                    flow.feed(Outcome(error=CallerLeft()))
                except BaseException as exc:
                    flow.feed(Outcome(error=exc))
                else:
                    flow.feed(Outcome())
            else:
                flow.feed(await Outcome.of_awaitable(effect.run_async()))
    except CallerLeft:
        return
