"""A sqlite3 workload that says which transactions it saw committed.

    python3 sqlite_workload.py DB N JOURNAL_MODE SYNCHRONOUS

Opens DB (whose table t(i INTEGER PRIMARY KEY, v TEXT) exists), sets the journal mode and
PRAGMA synchronous (OFF, NORMAL, FULL, EXTRA, or "default" to leave sqlite's), prints
"mode JOURNAL_MODE synchronous S" (what sqlite reports), then commits N transactions, the i-th
inserting the row (i, "row i"), and after each COMMIT has returned writes "ack i" with one
write(2) on fd 2 (unbuffered: a SIGKILL loses no acknowledgement). Prints "done" last.

Used by tests/integration/t_power_loss_sqlite.sh; run it with /usr/bin/python3, whose sqlite3
module calls the system libsqlite3 (through the preloaded shim).
"""
import os
import sqlite3
import sys


def main():
    db, n, journal_mode, synchronous = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    con = sqlite3.connect(db, isolation_level=None)
    mode = con.execute("PRAGMA journal_mode=%s" % journal_mode).fetchone()[0]
    if synchronous != "default":
        con.execute("PRAGMA synchronous=%s" % synchronous)
    sync = con.execute("PRAGMA synchronous").fetchone()[0]
    os.write(2, b"mode %s synchronous %d\n" % (mode.encode(), sync))
    for i in range(1, n + 1):
        con.execute("BEGIN")
        con.execute("INSERT INTO t(i, v) VALUES (?, ?)", (i, "row %d" % i))
        con.execute("COMMIT")
        os.write(2, b"ack %d\n" % i)
    con.close()
    os.write(2, b"done\n")


main()
