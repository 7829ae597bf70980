"""Typology and deprivation index in scikit-learn / pandas / NumPy: the peer of
`sozialmonitor bench analysis DIR`. Usage: python3 analysis_peer.py DIR

Reads (not timed) DIR/typology.csv (id,v1..vd), DIR/typology.json, DIR/index.csv
(id,year,<nine GISD indicators>, empty cell = missing) and DIR/index.json as written by the benchmark.

Part A, typology (timed as typology_seconds): z-standardise (ddof=0); for k = k_min..k_max KMeans(k,
n_init=restarts, max_iter, random_state=seed), inertia, silhouette on a sample of silhouette_sample rows, gap
statistic (Tibshirani, Walther & Hastie 2001: gap_references reference sets drawn once, uniformly in the per-column
[min, max] box of the standardised data with numpy default_rng(seed), KMeans(k, n_init=3) on each,
gap = mean(log W_ref) - log W, s_k = sd(log W_ref) * sqrt(1 + 1/B)); k* = best silhouette (smallest k on a tie);
Ward on all rows at k*; bootstrap stability: `bootstrap` resamples with replacement (the same generator, continued),
KMeans(k*, n_init=3) on each, predict all rows, labels matched to the reference k-means labels by
scipy.optimize.linear_sum_assignment on the confusion matrix; a row's stability = share of resamples in which it
keeps its label. Every KMeans here uses max_iter from typology.json and random_state=seed; W = inertia_.

Part B, index (timed as index_seconds): per id and column, linear interpolation over the years of the id's series
with constant extrapolation at both ends (groupby + interpolate(method="index", limit_direction="both")); a column
with no value at all for an id gets that year's mean over the ids that have one (after interpolation). Then per
dimension, pooled over all rows: z-standardise (ddof=0), correlation matrix, numpy.linalg.eigh, first component,
sign such that sum(direction * loading) > 0, score = z . (v / sqrt(lambda)); index = sum of the dimension scores;
per year min-max normalised to 0..1 and quintiles 1..5 by rank (ties by row order; 5 = most deprived).

Prints to stdout: python=, numpy=, pandas=, sklearn=, scipy=, typology_seconds=, k=, mean_stability=,
index_seconds=, rows=, index_sum=. Per-k details and the index loadings go to stderr.
"""

import json
import platform
import sys
import time

import numpy as np
import pandas as pd
import scipy
import sklearn
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.metrics import silhouette_score


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def zscore(x):
    return (x - x.mean(axis=0)) / x.std(axis=0, ddof=0)


def typology(x, cfg):
    seed = cfg["seed"]
    z = zscore(x)
    n, d = z.shape
    rng = np.random.default_rng(seed)
    b = cfg["gap_references"]
    lo, hi = z.min(axis=0), z.max(axis=0)
    refs = [lo + (hi - lo) * rng.random((n, d)) for _ in range(b)]
    sample = min(cfg["silhouette_sample"], n)

    fits, rows = {}, []
    for k in range(cfg["k_min"], cfg["k_max"] + 1):
        km = KMeans(n_clusters=k, n_init=cfg["restarts"], max_iter=cfg["max_iter"], random_state=seed).fit(z)
        fits[k] = km
        sil = silhouette_score(z, km.labels_, sample_size=sample, random_state=seed)
        log_w_ref = np.log([KMeans(n_clusters=k, n_init=3, max_iter=cfg["max_iter"], random_state=seed).fit(r).inertia_ for r in refs])
        gap = log_w_ref.mean() - np.log(km.inertia_)
        s_k = log_w_ref.std(ddof=0) * np.sqrt(1.0 + 1.0 / b)
        rows.append((k, km.inertia_, sil, gap, s_k))
    best = max(rows, key=lambda r: (r[2], -r[0]))
    k_star = best[0]
    gap_k = next((rows[i][0] for i in range(len(rows) - 1) if rows[i][3] >= rows[i + 1][3] - rows[i + 1][4]), None)

    ward = AgglomerativeClustering(n_clusters=k_star, linkage="ward").fit_predict(z)

    ref = fits[k_star].labels_
    kept = np.zeros(n)
    for _ in range(cfg["bootstrap"]):
        idx = rng.integers(0, n, n)
        pred = KMeans(n_clusters=k_star, n_init=3, max_iter=cfg["max_iter"], random_state=seed).fit(z[idx]).predict(z)
        conf = np.zeros((k_star, k_star), dtype=np.int64)
        np.add.at(conf, (ref, pred), 1)
        r_ind, c_ind = linear_sum_assignment(conf, maximize=True)
        to_ref = np.empty(k_star, dtype=np.int64)
        to_ref[c_ind] = r_ind
        kept += to_ref[pred] == ref
    stability = kept / cfg["bootstrap"]
    return rows, k_star, gap_k, ward, stability


def index(df, cfg):
    directions, dimensions = cfg["directions"], cfg["dimensions"]
    cols = [c for inds in dimensions.values() for c in inds]
    df = df.sort_values(["id", "year"], kind="stable").set_index("year", drop=False)
    filled = df.groupby("id", sort=False)[cols].transform(
        lambda g: g.interpolate(method="index", limit_direction="both")
    )
    filled = filled.reset_index(drop=True)
    year = df["year"].reset_index(drop=True)
    for c in cols:
        if filled[c].isna().any():
            filled[c] = filled[c].fillna(filled[c].groupby(year).transform("mean"))

    total = np.zeros(len(filled))
    loadings = {}
    for dim, inds in dimensions.items():
        z = zscore(filled[inds].to_numpy(dtype=float))
        lam, vecs = np.linalg.eigh(np.corrcoef(z, rowvar=False))
        lam, v = lam[-1], vecs[:, -1]
        if np.dot([directions[i] for i in inds], v) < 0:
            v = -v
        loadings[dim] = (v * np.sqrt(lam), lam / len(inds))
        total += z @ (v / np.sqrt(lam))

    out = pd.DataFrame({"year": year, "index": total})
    by_year = out.groupby("year")["index"]
    lo, hi = by_year.transform("min"), by_year.transform("max")
    out["norm"] = (out["index"] - lo) / (hi - lo)
    rank = by_year.rank(method="first")
    size = by_year.transform("size")
    out["quintile"] = ((rank - 1) * 5 // size + 1).astype(int)
    return out, loadings


def main(d):
    print(f"python={platform.python_version()}")
    print(f"numpy={np.__version__}")
    print(f"pandas={pd.__version__}")
    print(f"sklearn={sklearn.__version__}")
    print(f"scipy={scipy.__version__}")

    tcfg = json.load(open(f"{d}/typology.json", encoding="utf-8"))
    tdf = pd.read_csv(f"{d}/typology.csv", dtype={"id": str})
    x = tdf.drop(columns=["id"]).to_numpy(dtype=float)
    assert not np.isnan(x).any(), "typology.csv must have no missing values"
    t0 = time.perf_counter()
    rows, k_star, gap_k, ward, stability = typology(x, tcfg)
    t1 = time.perf_counter()
    for k, inertia, sil, gap, s_k in rows:
        log(f"typology k={k} inertia={inertia:.6f} silhouette={sil:.6f} gap={gap:.6f} s_k={s_k:.6f}")
    log(f"typology gap-statistic k (Tibshirani's rule) = {gap_k}; ward sizes {np.bincount(ward).tolist()}")
    print(f"typology_seconds={t1 - t0:.3f}")
    print(f"k={k_star}")
    print(f"mean_stability={stability.mean():.6f}")

    icfg = json.load(open(f"{d}/index.json", encoding="utf-8"))
    idf = pd.read_csv(f"{d}/index.csv", dtype={"id": str})
    t0 = time.perf_counter()
    out, loadings = index(idf, icfg)
    t1 = time.perf_counter()
    for dim, (load, expl) in loadings.items():
        log(f"index {dim}: loadings {np.round(load, 6).tolist()} explained {expl:.6f}")
    log(f"index quintile sizes {out['quintile'].value_counts().sort_index().tolist()}")
    print(f"index_seconds={t1 - t0:.3f}")
    print(f"rows={len(out)}")
    print(f"index_sum={float(out['norm'].sum())!r}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python3 analysis_peer.py DIR")
    main(sys.argv[1])
