#!/usr/bin/env python3
"""Real-data factor-analysis fixture in the manner of GISD (German Index of Socioeconomic Deprivation, RKI, Kroll et al. 2017).

Regenerate (from the repository root):
    /work/pyenv/bin/python crates/core/tests/data/gisd/make.py

Reads  data/demo/gisd/*.xls.gz (INKAR 2018/19 exports as committed by the GISD project, gzip-compressed in this
       repository; BBSR, dl-de/by-2-0) and data/demo/gisd/Referenz_Gebietsstand_2017.xlsx (sheet "Gemeindeverbände": population 31.12.2017 per Gemeindeverband)
Writes (beside this script)
    inputs-2015.csv        kreis + the nine GISD indicators for 2015
    numpy-reference.csv    dimension,indicator,loading,weight,explained   (first principal component per dimension)
    numpy-scores.csv       kreis,education,employment,income              (dimension scores = z . weights)

Kreis values: seven indicators are published at Kreis level (rows with Aggregat "krsfr. Stadt"/"Landkreis", 5-digit
Kennziffer) and are taken unchanged. A_Beschaeftigtenquote and E_Einkommensteuer are published ONLY at Gemeindeverband
level in these exports (Aggregat "Gemeinde"/"Gemeindeverband"/"gem.fr. Gebiet", 8-digit Kennziffer, no Kreis rows), so
their Kreis value is DERIVED here: population-weighted mean over the Kreis' Gemeindeverbände (weights: Einwohner
31.12.2017 from the INKAR reference table; Kreis = first 5 digits of the Gemeindeverband key; the uninhabited
gemeindefreie Gebiete have no value and are skipped). The same procedure applied to A_Arbeitslosigkeit, which is
published at both levels, reproduces the published Kreis values within 0.26 % on average (max 2.2 %); that check is
printed on every run.
"""
import gzip
import os
import sys

import numpy as np
import pandas as pd
import xlrd

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.normpath(os.path.join(HERE, "../../../../../data/demo/gisd"))
YEAR = "2015"

# id -> file stem; order = column order of inputs-2015.csv
INDICATORS = [
    ("academic", "B_BeschaeftigtemitakadAbschluss"),
    ("no_vocational", "B_BeschaeftigteohneAbschluss"),
    ("school_no_degree", "B_SchulabgaengerohneAbschluss"),
    ("employment_rate", "A_Beschaeftigtenquote"),
    ("unemployment", "A_Arbeitslosigkeit"),
    ("gross_wage", "A_Bruttoverdienst"),
    ("income_tax", "E_Einkommensteuer"),
    ("household_income", "E_Haushaltseinkommen"),
    ("debtors", "E_Schuldnerquote"),
]
# dimension -> (indicators, the indicator whose loading is made positive = deprivation direction)
DIMENSIONS = [
    ("education", ["academic", "no_vocational", "school_no_degree"], "no_vocational"),
    ("employment", ["employment_rate", "unemployment", "gross_wage"], "unemployment"),
    ("income", ["income_tax", "household_income", "debtors"], "debtors"),
]
KREIS_AGG = {"krsfr. Stadt", "Landkreis"}
GVB_AGG = {"Gemeinde", "Gemeindeverband", "gem.fr. Gebiet"}


def read_daten(stem):
    """Sheet "Daten": row 1 Kennziffer;Raumeinheit;Aggregat;<name>..., row 2 years. Returns kz, agg, value(YEAR)."""
    with gzip.open(os.path.join(SRC, stem + ".xls.gz")) as f:
        book = xlrd.open_workbook(file_contents=f.read(), logfile=open(os.devnull, "w"))
    s = book.sheet_by_name("Daten")
    head = s.row_values(0)
    assert head[:3] == ["Kennziffer", "Raumeinheit", "Aggregat"], head[:3]
    years = [str(y).strip() for y in s.row_values(1)]
    years = [y[:-2] if y.endswith(".0") else y for y in years]
    assert years.count(YEAR) == 1, (stem, years)
    col = years.index(YEAR)
    out = []
    for r in range(2, s.nrows):
        kz = s.cell_value(r, 0)
        assert isinstance(kz, str) and kz.isdigit(), (stem, r, kz)
        v = s.cell_value(r, col)
        if isinstance(v, str):
            assert v.strip() == "", (stem, r, v)  # blank cell = not available
            v = np.nan
        out.append((kz, s.cell_value(r, 2), float(v)))
    return pd.DataFrame(out, columns=["kz", "agg", "value"])


def gvb_population():
    ref = pd.read_excel(os.path.join(SRC, "Referenz_Gebietsstand_2017.xlsx"), sheet_name="Gemeindeverbände",
                        dtype=str, skiprows=[1])
    ref["kz"] = ref["gvb17"].str.zfill(8)
    ref["bev17"] = ref["bev17"].astype(float)
    assert ref.kz.is_unique
    return ref.set_index("kz")["bev17"]


def gvb_to_kreis(df, pop, stem):
    g = df[df["agg"].isin(GVB_AGG)].copy()
    assert (g.kz.str.len() == 8).all()
    g["bev"] = g.kz.map(pop)
    assert g.bev.notna().all(), f"{stem}: Gemeindeverband without population in the reference table"
    skipped = g[g.value.isna()]
    assert set(skipped["agg"]) <= {"gem.fr. Gebiet"} and (skipped.bev == 0).all(), skipped
    g = g[g.value.notna() & (g.bev > 0)]  # zero-population units carry zero weight anyway
    g["kreis"] = g.kz.str[:5]
    g["vw"] = g.value * g.bev
    s = g.groupby("kreis")[["vw", "bev"]].sum()
    return s.vw / s.bev, len(g), len(skipped)


def main():
    pop = gvb_population()
    cols = {}
    for ind, stem in INDICATORS:
        df = read_daten(stem)
        counts = df.groupby("agg").size().to_dict()
        kreis_rows = df[df["agg"].isin(KREIS_AGG)]
        assert set(counts) <= KREIS_AGG | GVB_AGG, counts
        assert (kreis_rows.kz.str.len() == 5).all() and kreis_rows.kz.is_unique
        if len(kreis_rows):
            cols[ind] = kreis_rows.set_index("kz")["value"]
            how = f"Kreis rows taken as published ({cols[ind].notna().sum()} with a {YEAR} value)"
        else:
            cols[ind], n_used, n_skip = gvb_to_kreis(df, pop, stem)
            how = (f"NO Kreis rows -> Kreis = Einwohner-2017-weighted mean of {n_used} Gemeindeverbände "
                   f"({n_skip} gemeindefreie Gebiete without value and without population skipped) -> {len(cols[ind])} Kreise")
        print(f"{ind:17s} {stem}.xls Aggregat {counts}: {how}")

    # Check the GVB -> Kreis derivation on the indicator that is published at both levels.
    alo = read_daten("A_Arbeitslosigkeit")
    derived, _, _ = gvb_to_kreis(alo, pop, "A_Arbeitslosigkeit")
    pub = alo[alo["agg"].isin(KREIS_AGG)].set_index("kz")["value"]
    rel = (derived / pub - 1).dropna()
    print(f"check: GVB->Kreis derivation vs published Kreis A_Arbeitslosigkeit {YEAR}: {len(rel)} Kreise, "
          f"mean |rel. diff| {rel.abs().mean():.4%}, max {rel.abs().max():.4%}")

    wide = pd.DataFrame(cols)[[i for i, _ in INDICATORS]]
    wide.index.name = "kreis"
    wide = wide.sort_index()
    missing = wide.isna().any(axis=1)
    print(f"{len(wide)} Kreise; dropped {int(missing.sum())} with a missing indicator: {list(wide.index[missing])}")
    wide = wide[~missing]
    wide.to_csv(os.path.join(HERE, f"inputs-{YEAR}.csv"), lineterminator="\n")

    ref_rows, scores = [], pd.DataFrame(index=wide.index)
    for dim, inds, plus in DIMENSIONS:
        x = wide[inds].to_numpy(dtype=float)
        z = (x - x.mean(axis=0)) / x.std(axis=0, ddof=0)
        r = np.corrcoef(z, rowvar=False)
        vals, vecs = np.linalg.eigh(r)  # ascending
        lam, v = vals[-1], vecs[:, -1].copy()
        if v[inds.index(plus)] < 0:
            v = -v
        loadings, weights = v * np.sqrt(lam), v / np.sqrt(lam)
        for i, ind in enumerate(inds):
            ref_rows.append((dim, ind, loadings[i], weights[i], lam / 3.0))
        scores[dim] = z @ weights
        print(f"{dim}: eigenvalues {np.round(vals[::-1], 6).tolist()}, explained {lam / 3:.4f}")
    ref = pd.DataFrame(ref_rows, columns=["dimension", "indicator", "loading", "weight", "explained"])
    ref.to_csv(os.path.join(HERE, "numpy-reference.csv"), index=False, lineterminator="\n")
    scores.to_csv(os.path.join(HERE, "numpy-scores.csv"), lineterminator="\n")
    print(ref.to_string(index=False))
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, pandas {pd.__version__}, xlrd {xlrd.__version__}")


if __name__ == "__main__":
    main()
