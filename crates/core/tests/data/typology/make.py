#!/usr/bin/env python3
"""Real-data clustering fixture: municipal typology of Saxony + Saxony-Anhalt (INKAR 2024, year 2021).

Regenerate (from the repository root):
    /work/pyenv/bin/python crates/core/tests/data/typology/make.py

Reads  data/demo/inkar/inkar2024/derived_inkar2024_SN_ST_long.csv.gz (long INKAR 2024 values, BBSR, dl-de/by-2-0)
Writes (beside this script)
    inputs.csv           ags,log10_q_bev_fl,a_bevd150_,q_hausarzt_bev,q_PBG_bev   (raw values, not standardised)
    sklearn.csv          ags,kmeans4,ward4                                        (labels on z-standardised columns)
    sklearn-summary.csv  k,inertia,silhouette                                     (k = 2..8)
"""
import os
import sys

import numpy as np
import pandas as pd
import scipy
import sklearn
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.metrics import silhouette_score

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", "..", "..", ".."))
SRC = os.path.join(REPO, "data", "demo", "inkar", "inkar2024", "derived_inkar2024_SN_ST_long.csv.gz")

YEAR = "2021"
# INKAR Kürzel -> output column. Population density is used as log10 (it spans 12..2,000 E/km², heavily right-skewed).
INDICATORS = [
    ("q_bev_fl", "log10_q_bev_fl"),       # Einwohner je km² (Siedlungsstruktur), log10-transformed
    ("a_bevd150_", "a_bevd150_"),         # Ländlichkeit: % of E in Gemeinden < 150 E/km² (at Gemeinde level 0 or 100)
    ("q_hausarzt_bev", "q_hausarzt_bev"), # Hausärzte je 10.000 E (medical supply)
    ("q_PBG_bev", "q_PBG_bev"),           # Personen in SGB II-Bedarfsgemeinschaften je 1.000 E (social need)
]
K_FIXTURE = 4
K_RANGE = range(2, 9)


def kmeans(k):
    return KMeans(n_clusters=k, init="k-means++", n_init=50, max_iter=300, random_state=0)


def main():
    d = pd.read_csv(SRC, dtype={"kennziffer": str, "zeitbezug": str})
    g = d[(d.raumbezug == "GEM") & (d.zeitbezug == YEAR)]
    n_all = g.kennziffer.nunique()
    assert (g.kennziffer.str.len() == 8).all(), "GEM kennziffer must be 8-digit AGS"
    assert not g.duplicated(["kennziffer", "kuerzel"]).any()
    kuerzel = [k for k, _ in INDICATORS]
    w = g[g.kuerzel.isin(kuerzel)].pivot(index="kennziffer", columns="kuerzel", values="wert")
    w = w.reindex(index=sorted(g.kennziffer.unique()), columns=kuerzel)
    print(f"GEM {YEAR}: {n_all} municipalities "
          f"({(w.index.str[:2] == '14').sum()} Saxony, {(w.index.str[:2] == '15').sum()} Saxony-Anhalt)")
    for k in kuerzel:
        print(f"  {k:16s} present for {w[k].notna().sum()}")
    missing = w.isna().any(axis=1)
    print(f"dropped {int(missing.sum())} municipalities with a missing value: {list(w.index[missing])}")
    w = w[~missing]
    assert (w["q_bev_fl"] > 0).all()
    out = pd.DataFrame(index=w.index)
    for k, col in INDICATORS:
        out[col] = np.log10(w[k]) if col.startswith("log10_") else w[k]
    out.index.name = "ags"
    out = out.sort_index()
    out.to_csv(os.path.join(HERE, "inputs.csv"), lineterminator="\n")
    print(f"inputs.csv: {len(out)} rows x {out.shape[1]} indicators")

    x = out.to_numpy(dtype=float)
    z = (x - x.mean(axis=0)) / x.std(axis=0, ddof=0)

    km = kmeans(K_FIXTURE).fit(z)
    ward = AgglomerativeClustering(n_clusters=K_FIXTURE, linkage="ward").fit_predict(z)
    lab = pd.DataFrame({"kmeans4": km.labels_, "ward4": ward}, index=out.index)
    lab.to_csv(os.path.join(HERE, "sklearn.csv"), lineterminator="\n")
    print(f"kmeans4 sizes {np.bincount(km.labels_).tolist()} inertia {km.inertia_:.6f}; "
          f"ward4 sizes {np.bincount(ward).tolist()}")

    rows = []
    for k in K_RANGE:
        m = kmeans(k).fit(z)
        rows.append((k, m.inertia_, silhouette_score(z, m.labels_)))
    summ = pd.DataFrame(rows, columns=["k", "inertia", "silhouette"])
    summ.to_csv(os.path.join(HERE, "sklearn-summary.csv"), index=False, lineterminator="\n")
    print(summ.to_string(index=False))
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, pandas {pd.__version__}, "
          f"scikit-learn {sklearn.__version__}, scipy {scipy.__version__}")


if __name__ == "__main__":
    main()
