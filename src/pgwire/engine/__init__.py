"""Query building, without I/O: what to send for a query and how to file its answer.

Placeholders and SQL composition, the prepared-statement cache, learned
statement plans, ``executemany`` batches, COPY row encoding.  Nothing here
touches a socket, a lock or an event loop: the public classes call it and
hand what it builds to the protocol core.
"""
