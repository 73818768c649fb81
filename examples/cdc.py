"""Change data capture with logical replication (the README's example).

Needs a server with ``wal_level = logical``; pass its DSN as the argument.
"""

import sys

import pgwire
from pgwire import replication

dsn = sys.argv[1] if len(sys.argv) > 1 else "dbname=test"

# A table, a publication of it, and a slot that keeps its changes for us.
with pgwire.connect(dsn, autocommit=True) as conn:
    conn.execute("CREATE TABLE IF NOT EXISTS orders (id int PRIMARY KEY, item text, qty int)")
    conn.execute("DROP PUBLICATION IF EXISTS orders_pub")
    conn.execute("CREATE PUBLICATION orders_pub FOR TABLE orders")
with pgwire.connect(dsn, replication="database") as repl:
    repl.execute("CREATE_REPLICATION_SLOT orders_slot LOGICAL pgoutput")

# Some changes to capture (three transactions).
with pgwire.connect(dsn, autocommit=True) as conn:
    conn.execute("INSERT INTO orders VALUES (1, 'apple', 3), (2, 'pear', 1)")
    conn.execute("UPDATE orders SET qty = qty + 1 WHERE id = 1")
    conn.execute("DELETE FROM orders WHERE id = 2")

# Stream them: typed rows, acknowledged one transaction at a time.
transactions = 0
with pgwire.connect(dsn, replication="database") as repl:
    with repl.start_replication("orders_slot", publication_names=["orders_pub"]) as stream:
        for msg in stream:
            if isinstance(msg, replication.Insert):
                print("insert", msg.relation.name, msg.as_dict(msg.new))
            elif isinstance(msg, replication.Update):
                print("update", msg.relation.name, msg.as_dict(msg.new))
            elif isinstance(msg, replication.Delete):
                print("delete", msg.relation.name, msg.as_dict(msg.old))
            elif isinstance(msg, replication.Commit):
                stream.ack(msg)  # done: never delivered again
                transactions += 1
                if transactions == 3:
                    break  # the three above (a real consumer goes on)
    repl.execute("DROP_REPLICATION_SLOT orders_slot")
