"""Benchmarks of pgwire against its peers, all on one throwaway server.

Run from the repository root::

    python -m bench --quick

The runner (:mod:`bench.runner`) starts a PostgreSQL server (or uses
``--dsn``), prepares the tables once, then runs every (workload, driver) pair
``--rounds`` times, each measurement in a fresh ``python -m bench.worker``
process, drivers interleaved. It prints the median times with each driver's
ratio to the best peer and writes the details as JSON.

Workloads are described in :mod:`bench.workloads`; each driver's way of doing
them lives in :mod:`bench.drivers`.
"""
