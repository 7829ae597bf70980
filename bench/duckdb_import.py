"""Peer for `sozialmonitor bench`: DuckDB reading the same GENESIS flat CSV into a table.

Usage: python3 bench/duckdb_import.py FILE.csv OUT.db   (prints seconds=N)
"""
import sys
import time

import duckdb

csv, db = sys.argv[1], sys.argv[2]
start = time.perf_counter()
con = duckdb.connect(db)
# all_varchar keeps the statistical symbols as published, like the pandas peer.
con.execute(f"CREATE TABLE observation AS SELECT * FROM read_csv('{csv}', delim=';', header=true, all_varchar=true)")
rows = con.execute("SELECT count(*) FROM observation").fetchone()[0]
con.close()
print(f"rows={rows}")
print(f"seconds={time.perf_counter() - start:.3f}")
