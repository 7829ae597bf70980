"""Cohort-component population projection of every municipality in NumPy: the peer of
`sozialmonitor bench analysis DIR` (its projection part). Usage: python3 projection_peer.py DIR

Reads (not timed) DIR/projection-base.csv (id,sex,age,population), DIR/projection-assumptions.csv
(id,sex,age,survival,fertility,migration) and DIR/projection.json (base_year, last_year, boys, variants) as
written by the benchmark; sex 0 = male, 1 = female, ages 0..90 with 90 the open group 90+. Ids are kept as
text and sorted as strings; every id must have all 2 x 91 rows. Arranged (not timed) into dense arrays
[id, sex, age].

Timed, vectorised over the municipalities (a Python loop only over variants and years), the same arithmetic as
the engine (crates/core/src/analysis/projection.rs): per variant (low: m - |m|/2, main: m, high: m + |m|/2 of
the net migration m of every cell), from base_year + 1 to last_year, from the population P at the start of the
year: births = sum over ages of fertility * women, split boys / (1 - boys); every cohort ages by one year with
P * clip(survival, 0, 1), the open group 90+ keeping its own survivors; age 0 = births * clip(survival at age
0, 0, 1); then net migration by age at the end of the year, never taking more than the cohort has
(next += max(m, -next)). Of every projected year the five-year age groups by sex are kept ([years, ids, 2,
19] per variant: 0-4, ..., 85-89, 90+), as the engine's caller keeps them for tables and charts. Best of 3 runs. The births are summed over ages in NumPy's order, not the engine's left-to-right
one, so the results agree with the engine to rounding, not bit for bit.

Prints to stdout: python=, numpy=, seconds=, municipalities=, total_last_low=, total_last_main=,
total_last_high= (everybody at the end of last_year, summed over the municipalities) and aged80_last_main=
(aged 80 and over, main variant). Each run's time goes to stderr.
"""

import json
import platform
import sys
import time

import numpy as np
import pandas as pd

AGES = 91
OPEN = AGES - 1
RUNS = 3
GROUP_STARTS = np.arange(0, AGES, 5)  # 0, 5, ..., 90: five-year groups, the last one 90+


def dense(df, ids, columns):
    """The columns of a long (id, sex, age) table as arrays [id, sex, age], in the order of ids."""
    full = pd.MultiIndex.from_product([ids, [0, 1], range(AGES)], names=["id", "sex", "age"])
    table = df.set_index(["id", "sex", "age"])[columns].reindex(full)
    values = table.to_numpy(dtype=float)
    if np.isnan(values).any():
        missing = table[table.isna().any(axis=1)].index[:5].tolist()
        sys.exit(f"missing or empty rows, e.g. {missing}")
    return [values[:, i].reshape(len(ids), 2, AGES) for i in range(len(columns))]


def variant_migration(name, m):
    if name == "low":
        return m - np.abs(m) / 2.0
    if name == "main":
        return m
    if name == "high":
        return m + np.abs(m) / 2.0
    sys.exit(f"unknown variant {name!r}")


def project(p0, survival, fertility, migration, boys, years):
    """The five-year age groups by sex at the end of each projected year: [years, ids, 2, 19]."""
    out = np.empty((years, p0.shape[0], 2, len(GROUP_STARTS)))
    split = np.array([boys, 1.0 - boys])
    women_fertility = fertility[:, 1, :]
    infant = survival[:, :, 0]
    p = p0
    buffers = (np.empty_like(p0), np.empty_like(p0))
    for y in range(years):
        births = (women_fertility * p[:, 1, :]).sum(axis=1)[:, None] * split  # [ids, sex]
        survivors = p * survival
        nxt = buffers[y % 2]
        nxt[:, :, 1:OPEN] = survivors[:, :, : OPEN - 1]
        nxt[:, :, OPEN] = survivors[:, :, OPEN - 1] + survivors[:, :, OPEN]
        nxt[:, :, 0] = births * infant
        nxt += np.maximum(migration, -nxt)
        out[y] = np.add.reduceat(nxt, GROUP_STARTS, axis=2)
        p = nxt
    return out


def run(p0, s, f, m, cfg):
    survival = np.clip(s, 0.0, 1.0)
    years = cfg["last_year"] - cfg["base_year"]
    return {
        name: project(p0, survival, f, variant_migration(name, m), cfg["boys"], years)
        for name in cfg["variants"]
    }


def main(d):
    print(f"python={platform.python_version()}")
    print(f"numpy={np.__version__}")

    cfg = json.load(open(f"{d}/projection.json", encoding="utf-8"))
    base = pd.read_csv(f"{d}/projection-base.csv", dtype={"id": str})
    assumptions = pd.read_csv(f"{d}/projection-assumptions.csv", dtype={"id": str})
    ids = sorted(base["id"].unique())
    if sorted(assumptions["id"].unique()) != ids:
        sys.exit("projection-base.csv and projection-assumptions.csv have different ids")
    (p0,) = dense(base, ids, ["population"])
    s, f, m = dense(assumptions, ids, ["survival", "fertility", "migration"])
    if cfg["last_year"] < cfg["base_year"]:
        sys.exit("last_year is before base_year")

    best, result = float("inf"), None
    for i in range(RUNS):
        t0 = time.perf_counter()
        result = run(p0, s, f, m, cfg)
        t1 = time.perf_counter()
        print(f"run {i + 1}: {t1 - t0:.6f} s", file=sys.stderr)
        best = min(best, t1 - t0)

    def last(name):
        years = result[name]
        return years[-1] if len(years) else np.add.reduceat(p0, GROUP_STARTS, axis=2)

    print(f"seconds={best:.6f}")
    print(f"municipalities={len(ids)}")
    for name in ("low", "main", "high"):
        if name in result:
            print(f"total_last_{name}={float(last(name).sum())!r}")
    if "main" in result:
        print(f"aged80_last_main={float(last('main')[:, :, 16:].sum())!r}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python3 projection_peer.py DIR")
    main(sys.argv[1])
