"""Drivers: move bytes between a socket and the sans-I/O protocol core.

``channel`` holds the non-blocking primitives every driver shares; the
blocking driver waits with ``poll``/``select``, the step driver never waits,
and the asyncio driver waits on the event loop.
"""
