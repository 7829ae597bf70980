"""Every catalogue indicator for every region and year, in pandas: the peer of
`sozialmonitor bench indicators`. Usage: python3 pandas_indicators.py DIR

Reads DIR/regions.csv, DIR/values.csv and DIR/plan.json as written by the benchmark (not timed).
Timed from the long table in memory, as the engine is: sums every additive series up the hierarchy
level by level over the parts alive that year, where a region has no value of its own (long
format, groupby); then evaluates every formula over dense region x year columns. Symbols are plain
missing values here and incompleteness is not tracked, so this does less than the engine, not
more. Prints seconds=, prepare_seconds=, count=, sum=.
"""

import json
import sys
import time

import numpy as np
import pandas as pd


def main(d):
    t0 = time.perf_counter()
    plan = json.load(open(f"{d}/plan.json", encoding="utf-8"))
    regions = pd.read_csv(f"{d}/regions.csv")
    values = pd.read_csv(f"{d}/values.csv")
    first, last = plan["first_year"], plan["last_year"]
    ny = last - first + 1
    cells = len(regions) * ny
    additive = [s["id"] for s in plan["series"] if s["additive"]]
    t1 = time.perf_counter()

    # Sums up the hierarchy, deepest level first; a region's own value (even a symbol) wins.
    data = values
    for depth in sorted(regions["depth"].unique(), reverse=True):
        if depth == 0:
            continue
        kids = regions.loc[regions["depth"] == depth, ["id", "parent", "first", "last"]]
        rows = data[data["series"].isin(additive)].merge(kids, left_on="region", right_on="id")
        rows = rows[(rows["year"] >= rows["first"]) & (rows["year"] <= rows["last"])]
        sums = (
            rows.groupby(["series", "parent", "year"], sort=False)["value"]
            .sum(min_count=1)
            .reset_index()
            .rename(columns={"parent": "region"})
        )
        data = pd.concat([data, sums], ignore_index=True).drop_duplicates(
            ["series", "region", "year"], keep="first"
        )

    # One dense column (region * ny + year offset) per series a formula reads.
    data = data.assign(cell=data["region"] * ny + (data["year"] - first))
    by_series = {sid: g.set_index("cell")["value"] for sid, g in data.groupby("series", sort=False)}
    grid = pd.RangeIndex(cells)
    region = pd.Series(np.repeat(regions["id"].to_numpy(), ny), index=grid)
    year = pd.Series(np.tile(np.arange(first, last + 1), len(regions)), index=grid)
    missing = pd.Series(np.nan, index=grid)
    dense = {}

    def column(sid):
        if sid not in dense:
            s = by_series.get(sid)
            dense[sid] = missing if s is None else s.reindex(grid)
        return dense[sid]

    def ev(e):
        kind = e[0]
        if kind == "num":
            return float(e[1])
        if kind == "missing":
            return missing
        if kind == "ref":
            cols, wildcard = e[1], e[2]
            if len(cols) == 1:
                return column(cols[0])
            if wildcard:
                # Tables without totals: the sum of whatever categories are there.
                parts = pd.concat([by_series[c] for c in cols if c in by_series])
                return parts.groupby(level=0).sum(min_count=1).reindex(grid)
            return pd.concat([column(c) for c in cols], axis=1).sum(axis=1, min_count=len(cols))
        if kind == "neg":
            return -ev(e[1])
        if kind == "bin":
            a, b = ev(e[2]), ev(e[3])
            op = e[1]
            if op == "+":
                return a + b
            if op == "-":
                return a - b
            if op == "*":
                return a * b
            return (a / b).replace([np.inf, -np.inf], np.nan)
        if kind == "coalesce":
            out = ev(e[1][0])
            for a in e[1][1:]:
                out = out.fillna(ev(a))
            return out
        if kind == "call":
            f, x, n = e[1], ev(e[2]), e[3]
            shifted = lambda k: x.groupby(region).shift(k)
            if f == "lag":
                return shifted(n)
            if f == "change":
                return x - shifted(n)
            if f == "pct_change":
                return ((x - shifted(n)) * 100 / shifted(n)).replace([np.inf, -np.inf], np.nan)
            if f == "index":
                base = x.where(year == n).groupby(region).transform("max")
                return (x * 100 / base).replace([np.inf, -np.inf], np.nan)
            if f == "mavg":
                return x.groupby(region).transform(lambda s: s.rolling(n).mean())
        raise ValueError(f"unknown expression {e}")

    results = {}
    for ind in plan["indicators"]:
        r = ev(ind["expr"])
        if not isinstance(r, pd.Series):
            r = pd.Series(r, index=grid)
        results[ind["key"]] = r
    t2 = time.perf_counter()

    count, total = 0, 0.0
    for r in results.values():
        v = r.to_numpy(dtype=float)
        ok = np.isfinite(v)
        count += int(ok.sum())
        total += float(v[ok].sum())
    print(f"prepare_seconds={t1 - t0:.4f}")
    print(f"seconds={t2 - t1:.4f}")
    print(f"count={count}")
    print(f"sum={total!r}")


if __name__ == "__main__":
    main(sys.argv[1])
