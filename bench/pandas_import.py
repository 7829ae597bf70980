"""Peer for `sozialmonitor bench`: what a planner would do with pandas.

Reads a GENESIS flat CSV (ffcsv) with pandas and writes it into a SQLite table with to_sql, in chunks of one
million rows so that ten million rows fit in memory.
Usage: python3 bench/pandas_import.py FILE.csv OUT.db   (prints seconds=N)
"""
import sqlite3
import sys
import time

import pandas as pd

csv, db = sys.argv[1], sys.argv[2]
start = time.perf_counter()
con = sqlite3.connect(db)
rows = 0
# Keep every column as text, as the statistical symbols ('-', '.', '...') are not numbers.
for chunk in pd.read_csv(csv, sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig", chunksize=1_000_000):
    chunk.to_sql("observation", con, if_exists="append", index=False)
    rows += len(chunk)
con.commit()
con.close()
print(f"rows={rows}")
print(f"seconds={time.perf_counter() - start:.3f}")
