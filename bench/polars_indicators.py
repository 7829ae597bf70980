"""Every catalogue indicator for every region and year, in Polars: the peer of
`sozialmonitor bench indicators`. Usage: python3 polars_indicators.py DIR

The same computation as pandas_indicators.py, written the Polars way: the hierarchy sums as joins
and group_by on the long table, the series a formula reads pivoted to dense columns over the
region x year grid, sums over tables without totals as a group_by, and then every formula as one
expression, all evaluated in a single parallel select. Symbols are plain nulls here and
incompleteness is not tracked, so this does less than the engine, not more. Prints seconds=,
prepare_seconds=, count=, sum=.
"""

import json
import sys
import time

import numpy as np
import polars as pl


def main(d):
    t0 = time.perf_counter()
    plan = json.load(open(f"{d}/plan.json", encoding="utf-8"))
    regions = pl.read_csv(f"{d}/regions.csv")
    values = pl.read_csv(
        f"{d}/values.csv",
        schema={"series": pl.Int32, "region": pl.Int32, "year": pl.Int32, "value": pl.Float64},
    )
    first, last = plan["first_year"], plan["last_year"]
    ny = last - first + 1
    additive = [s["id"] for s in plan["series"] if s["additive"]]
    t1 = time.perf_counter()

    # Sums up the hierarchy, deepest level first; a region's own value (even a null) wins.
    data = values
    for depth in sorted(regions["depth"].unique().to_list(), reverse=True):
        if depth == 0:
            continue
        kids = regions.filter(pl.col("depth") == depth).select(
            pl.col("id").cast(pl.Int32).alias("region"),
            pl.col("parent").cast(pl.Int32),
            "first",
            "last",
        )
        sums = (
            data.filter(pl.col("series").is_in(additive))
            .join(kids, on="region")
            .filter(pl.col("year").is_between(pl.col("first"), pl.col("last")))
            .group_by("series", "parent", "year")
            .agg(
                pl.when(pl.col("value").count() > 0)
                .then(pl.col("value").sum())
                .alias("value")
            )
            .select("series", pl.col("parent").alias("region"), "year", "value")
        )
        # Only where the region has no value of its own.
        data = pl.concat([data, sums.join(data, on=["series", "region", "year"], how="anti")])

    data = data.with_columns(cell=pl.col("region") * ny + (pl.col("year") - first)).select(
        "series", "cell", "value"
    )
    grid = pl.DataFrame(
        {
            "cell": np.arange(len(regions) * ny, dtype=np.int32),
            "region": np.repeat(regions["id"].to_numpy().astype(np.int32), ny),
            "year": np.tile(np.arange(first, last + 1, dtype=np.int32), len(regions)),
        }
    )

    # Which series are read one by one, and which sums over tables without totals.
    single, wild = set(), {}

    def scan(e):
        kind = e[0]
        if kind == "ref":
            if e[2]:
                wild[tuple(e[1])] = f"w{len(wild)}"
            else:
                single.update(e[1])
        elif kind == "neg":
            scan(e[1])
        elif kind == "bin":
            scan(e[2]), scan(e[3])
        elif kind == "call":
            scan(e[2])
        elif kind == "coalesce":
            for a in e[1]:
                scan(a)

    for ind in plan["indicators"]:
        scan(ind["expr"])
    wide = (
        data.filter(pl.col("series").is_in(list(single)))
        .pivot(on="series", index="cell", values="value", aggregate_function="first")
    )
    frame = grid.join(wide, on="cell", how="left")
    for cols, name in wild.items():
        w = (
            data.filter(pl.col("series").is_in(list(cols)))
            .group_by("cell")
            .agg(pl.when(pl.col("value").count() > 0).then(pl.col("value").sum()).alias(name))
        )
        frame = frame.join(w, on="cell", how="left")
    frame = frame.sort("cell")
    present = set(frame.columns)
    null = pl.lit(None, dtype=pl.Float64)

    def col(sid):
        return pl.col(str(sid)) if str(sid) in present else null

    def div(a, b):
        return pl.when(b != 0).then(a / b).otherwise(None)

    def ev(e):
        kind = e[0]
        if kind == "num":
            return pl.lit(float(e[1]))
        if kind == "missing":
            return null
        if kind == "ref":
            cols, wildcard = e[1], e[2]
            if wildcard:
                return pl.col(wild[tuple(cols)])
            out = col(cols[0])
            for c in cols[1:]:
                out = out + col(c)
            return out
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
            return div(a, b)
        if kind == "coalesce":
            return pl.coalesce([ev(a) for a in e[1]])
        if kind == "call":
            f, x, n = e[1], ev(e[2]), e[3]
            shifted = lambda k: x.shift(k).over("region")
            if f == "lag":
                return shifted(n)
            if f == "change":
                return x - shifted(n)
            if f == "pct_change":
                return div((x - shifted(n)) * 100, shifted(n))
            if f == "index":
                base = x.filter(pl.col("year") == n).first().over("region")
                return div(x * 100, base)
            if f == "mavg":
                return x.rolling_mean(n).over("region")
        raise ValueError(f"unknown expression {e}")

    results = frame.select([ev(ind["expr"]).alias(ind["key"]) for ind in plan["indicators"]])
    t2 = time.perf_counter()

    v = results.to_numpy().astype(float)
    ok = np.isfinite(v)
    print(f"prepare_seconds={t1 - t0:.4f}")
    print(f"seconds={t2 - t1:.4f}")
    print(f"count={int(ok.sum())}")
    print(f"sum={float(v[ok].sum())!r}")


if __name__ == "__main__":
    main(sys.argv[1])
