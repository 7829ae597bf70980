"""Peer for `sozialmonitor bench`: what a planner would do with pandas.

Reads a GENESIS flat CSV (ffcsv) with pandas and writes it into a SQLite table with to_sql.
Usage: python3 bench/pandas_import.py FILE.csv OUT.db   (prints seconds=N)
"""
import sqlite3
import sys
import time

import pandas as pd

csv, db = sys.argv[1], sys.argv[2]
start = time.perf_counter()
# Keep every column as text, as the statistical symbols ('-', '.', '...') are not numbers.
df = pd.read_csv(csv, sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")
con = sqlite3.connect(db)
df.to_sql("observation", con, if_exists="replace", index=False, chunksize=100_000)
con.commit()
con.close()
print(f"rows={len(df)}")
print(f"seconds={time.perf_counter() - start:.3f}")
