"""The state of an operation being run, in its two implementations.

``drivers.channel.Operation`` is built on the accelerator's ``OperationState``
where it is there, else on the pure-Python ``_OperationState``: both must
step a generator, and keep its outcome, alike.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Generator
from typing import Any

import pytest

from pgwire.accel.selection import compiled, speedups
from pgwire.drivers import channel

_c = compiled()
bases = [channel._OperationState]
if _c is not None:
    bases.append(_c.OperationState)


@pytest.fixture(params=bases, ids=lambda base: base.__module__.split(".")[-1])
def operation(request: pytest.FixtureRequest) -> Any:
    """An Operation class on one of the bases."""

    class Operation(request.param):  # type: ignore[misc, name-defined]
        __slots__ = ()
        owner_alive = channel.Operation.owner_alive
        finished = channel.Operation.finished
        outcome = channel.Operation.outcome

    return Operation


def test_channel_operation_is_built_on_the_compiled_base_when_there() -> None:
    selected = speedups.OperationState if speedups is not None else channel._OperationState
    assert channel.Operation.__mro__[1] is selected


def _answers(*steps: Any, returns: Any = None) -> Generator[Any, None, Any]:
    yield from steps
    return returns


def test_steps_until_the_generator_returns(operation: Any) -> None:
    op = operation(_answers(1, 2, returns=["result"]))
    assert (op.done, op.result, op.error, op.interrupted) == (False, None, None, False)
    assert op.owner_ref is None
    assert op.resume() is False
    assert op.resume() is False
    assert op.resume() is True
    assert (op.done, op.finished, op.result) == (True, True, ["result"])
    assert op.outcome() == ["result"]


def test_a_generator_returning_nothing(operation: Any) -> None:
    op = operation(_answers())
    assert op.resume() is True
    assert op.result is None
    assert op.outcome() is None


def test_an_error_is_kept_with_its_traceback(operation: Any) -> None:
    def failing() -> Generator[None, None, None]:
        yield
        raise ValueError("bad answer")

    op = operation(failing())
    op.resume()
    assert op.resume() is True
    assert (op.done, op.interrupted, op.finished) == (True, False, True)
    assert isinstance(op.error, ValueError)
    assert "failing" in [frame.name for frame in _frames(op.error)]
    with pytest.raises(ValueError, match="bad answer") as info:
        op.outcome()
    assert "failing" in [entry.name for entry in info.traceback]
    assert op.error is None  # raised once
    assert op.outcome() is None


def _frames(exc: BaseException) -> list[Any]:
    import traceback

    return list(traceback.extract_tb(exc.__traceback__))


def test_an_interruption_stops_it_halfway(operation: Any) -> None:
    def interrupted() -> Generator[None, None, None]:
        yield
        raise KeyboardInterrupt

    op = operation(interrupted())
    op.resume()
    assert op.resume() is True
    assert (op.done, op.interrupted, op.finished) == (True, True, False)
    with pytest.raises(KeyboardInterrupt):
        op.outcome()


def test_a_generator_stepped_while_running_is_an_error(operation: Any) -> None:
    def reentrant() -> Generator[None, None, None]:
        op.resume()
        yield

    op = operation(reentrant())
    assert op.resume() is True
    assert isinstance(op.error, ValueError)  # "generator already executing"


def test_the_owner_is_held_weakly(operation: Any) -> None:
    class Owner:
        closed = False

    owner = Owner()
    op = operation(_answers(), owner)
    assert isinstance(op.owner_ref, weakref.ref)
    assert op.owner_ref() is owner
    assert op.owner_alive()
    owner.closed = True
    assert not op.owner_alive()
    del owner
    gc.collect()
    assert op.owner_ref() is None
    assert not op.owner_alive()
    with pytest.raises(TypeError):
        operation(_answers(), 42)  # an int can't be referred to weakly


def test_the_attributes_are_settable_and_nothing_else(operation: Any) -> None:
    op = operation(_answers(1))
    op.done, op.interrupted, op.result, op.error = True, True, 5, None
    assert (op.done, op.interrupted, op.result) == (True, True, 5)
    gen = _answers(2)
    op.gen = gen
    assert op.gen is gen
    with pytest.raises(AttributeError):
        op.other = 1


def test_a_cycle_through_the_error_is_collected(operation: Any) -> None:
    def failing() -> Generator[None, None, None]:
        yield
        raise ValueError("x")

    class Marker:
        pass

    op = operation(failing())
    op.resume()
    op.resume()
    marker = Marker()
    op.error.cycle = (op, marker)  # type: ignore[union-attr]
    ref = weakref.ref(marker)
    del op, marker
    gc.collect()
    assert ref() is None


def test_bad_arguments(operation: Any) -> None:
    class Owner:
        closed = False

    owner = Owner()
    assert operation(_answers(), owner=owner).owner_ref() is owner
    assert operation(_answers(), owner=None).owner_ref is None
    for args, kwargs in [
        ((), {}),
        ((_answers(), owner, 3), {}),
        ((_answers(), owner), {"owner": owner}),
        ((_answers(),), {"other": owner}),
        ((), {"owner": owner}),
    ]:
        with pytest.raises(TypeError):
            operation(*args, **kwargs)
