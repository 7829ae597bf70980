//! Spot checks on real files: known published values, symbols kept as symbols, region facts.

use sozialmonitor_core::{RegionLevel, Severity, Symbol};

use super::{cell, read_demo};

fn symbol_count(ds: &sozialmonitor_core::Dataset, s: Symbol) -> usize {
    ds.observations
        .iter()
        .filter(|o| o.value.symbol == Some(s))
        .count()
}

#[test]
fn ffcsv_population_of_mittelsachsen() {
    let ds = read_demo("genesis/ffcsv/12411-01-01-4_1773175772751_de_flat.csv.gz");
    assert_eq!(ds.observations.len(), 1467);
    assert_eq!(
        cell(&ds, "BEVSTD", "14522", "31.12.2024", "").as_deref(),
        Some("296431")
    );
    assert_eq!(
        cell(&ds, "BEVSTD", "14522", "31.12.2024", "GES=GESW").as_deref(),
        Some("149429")
    );
    // The English export carries the same numbers.
    let en = read_demo("genesis/ffcsv/12411-01-01-4_1773175790049_en_flat.csv.gz");
    assert_eq!(
        cell(&en, "BEVSTD", "14522", "31.12.2024", "").as_deref(),
        Some("296431")
    );
}

#[test]
fn ffcsv_symbols_are_kept_and_counted_as_published() {
    // SOURCE.txt of the Destatis export: '/' 2912 times, '...' 1088 times.
    let ds = read_demo("genesis/ffcsv/23311-0010_1773174933810_de_flat.csv.gz");
    assert_eq!(symbol_count(&ds, Symbol::Unreliable), 2912);
    assert_eq!(symbol_count(&ds, Symbol::NotYetAvailable), 1088);
    let ds = read_demo("genesis/ffcsv/12211-Z-11_1773175349407_de_flat.csv.gz");
    assert_eq!(
        cell(&ds, "LBFMZ01", "09564", "2019", "").as_deref(),
        Some("-"),
        "Insgesamt (LB-INS) is the total"
    );
    assert!(ds.qualities.iter().any(|q| q == "e"), "value_q is kept");
    let ds = read_demo("genesis/ffcsv/91111-0001_1773174964548_de_flat.csv.gz");
    for s in [
        Symbol::Secret,
        Symbol::NotYetAvailable,
        Symbol::Unreliable,
        Symbol::NotMeaningful,
    ] {
        assert!(symbol_count(&ds, s) > 0, "{s:?} kept");
    }
}

#[test]
fn ffcsv_zensus_ars_becomes_ags() {
    let ds = read_demo("genesis/ffcsv/1000A-0000_1773175153999_de_flat.csv.gz");
    assert!(
        ds.region_keys.iter().any(|k| k.as_str() == "14522180"),
        "Freiberg by its AGS"
    );
    assert!(ds.region_keys.iter().all(|k| k.as_str().len() != 12));
}

#[test]
fn old_flat_latin1_and_transitional_variant() {
    let ds = read_demo("genesis/older-flat/11111-0001_flat.csv.gz");
    assert_eq!(
        cell(&ds, "FLC006", "14", "31.12.2020", "").as_deref(),
        Some("18449,93")
    );
    assert_eq!(
        ds.region_names[ds
            .region_keys
            .iter()
            .position(|k| k.as_str() == "08")
            .expect("BW")]
        .as_deref(),
        Some("Baden-Württemberg")
    );
    // The total over all Länder (empty code, "Insgesamt") is Germany.
    assert!(cell(&ds, "FLC006", "DG", "31.12.2020", "").is_some());
    let ds = read_demo("genesis/older-flat/1909e12e6d19__12411-01-01-4.txt.gz");
    assert_eq!(
        cell(&ds, "BEVSTD", "DG", "31.12.2022", "").as_deref(),
        Some("84358845")
    );
    let ds = read_demo("genesis/older-flat/988566213a00__52411-02-01-4.txt.gz");
    assert!(!ds.has_errors());
    assert!(
        ds.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Warning
                && d.message.english().contains("no time and no values"))
    );
    assert_eq!(
        cell(&ds, "ISVNW1", "14522", "2023", "").as_deref(),
        Some("340")
    );
}

#[test]
fn table_csv_measures_breakdowns_and_periods_from_the_header() {
    let ds = read_demo("genesis/table-csv/12411-05-01-4_00.csv.gz");
    let m = "12411-05-01-4:Durchschnittliche Jahresbevölkerung";
    assert_eq!(cell(&ds, m, "14522", "2015", "").as_deref(), Some("312581"));
    assert_eq!(ds.measures[0].unit, "Anzahl");
    // Breakdown in a key column (Geschlecht in the row), period in the first column.
    let ds = read_demo("genesis/table-csv/22411-02-01-4_00.csv.gz");
    assert_eq!(
        cell(
            &ds,
            "22411-02-01-4:Pflegebedürftige",
            "DG",
            "31.12.2007",
            "Zeile4=männlich"
        )
        .as_deref(),
        Some("728946")
    );
    // Periods as column headers, municipalities merged away keep their `-`.
    let ds = read_demo("genesis/table-csv/12411-01-01-5_00.csv.gz");
    assert_eq!(
        cell(
            &ds,
            "12411-01-01-5:Bevölkerungsstand",
            "14522030",
            "31.12.2015",
            ""
        )
        .as_deref(),
        Some("-")
    );
    assert_eq!(
        cell(
            &ds,
            "12411-01-01-5:Bevölkerungsstand",
            "14522010",
            "31.12.2015",
            ""
        )
        .as_deref(),
        Some("1932")
    );
    // A period on its own line in the title block.
    let ds = read_demo("genesis/table-csv/12711-01-03-4_00.csv.gz");
    assert!(
        ds.observations
            .iter()
            .all(|o| o.period == sozialmonitor_core::Period::Year(2015))
    );
}

#[test]
fn cube_values_and_quality_flags() {
    let ds = read_demo("genesis/cube/22922KJ1141.txt.gz");
    assert_eq!(ds.observations.len(), 44786);
    assert_eq!(
        cell(
            &ds,
            "ELG002",
            "14522",
            "2016",
            "ELGAT2=ELGPLUS-X|ERW122=ERWERBST12|GES=GESM"
        )
        .as_deref(),
        Some("1048")
    );
    assert!(ds.qualities.iter().any(|q| q == "e"));
}

#[test]
fn gv100ad_register_snapshots() {
    let new = read_demo("registers/GV100AD_301123.txt.gz");
    let old = read_demo("registers/GV100AD_301121.ASC.gz");
    let gem = |ds: &sozialmonitor_core::Dataset, kreis: &str| {
        ds.regions
            .iter()
            .filter(|r| r.level == RegionLevel::Gemeinde && r.key.as_str().starts_with(kreis))
            .count()
    };
    assert_eq!(gem(&new, "14522"), 52);
    assert_eq!(gem(&old, "14522"), 53);
    assert_eq!(gem(&new, "15082"), 10);
    assert_eq!(
        new.regions
            .iter()
            .filter(|r| r.level == RegionLevel::Gemeinde)
            .count(),
        10981
    );
    assert_eq!(
        old.regions
            .iter()
            .filter(|r| r.level == RegionLevel::Gemeinde)
            .count(),
        10997
    );
    let jahnatal = new
        .regions
        .iter()
        .find(|r| r.key.as_str() == "14522275")
        .expect("Jahnatal");
    assert_eq!(jahnatal.name, "Jahnatal");
    assert_eq!(jahnatal.population, Some(4761));
    // Sorbian names: positions are characters, not bytes.
    let bautzen = new
        .regions
        .iter()
        .find(|r| r.key.as_str() == "14625020")
        .expect("Bautzen");
    assert_eq!(bautzen.name, "Bautzen / Budyšin, Stadt");
    assert_eq!(bautzen.population, Some(38140));
}

#[test]
fn inkar_values_and_codebook() {
    let ds = read_demo("inkar/inkar2024/derived_inkar2024_SN_ST_long.csv.gz");
    assert_eq!(ds.observations.len(), 232_551);
    assert_eq!(
        cell(&ds, "INKAR_a_GSa", "14522", "2020", "").as_deref(),
        Some("0.55")
    );
    let cb = read_demo("inkar/inkar2024/derived_inkar2024_codebook_SN_ST.csv.gz");
    assert_eq!(cb.catalog.len(), 123);
    assert!(cb.catalog.iter().all(|e| e.inkar_code.is_some()));
}

#[test]
fn spreadsheets_register_extract_and_inkar_xls() {
    let ds = read_demo("registers/AuszugGV2QAktuell.xlsx");
    assert_eq!(ds.format, "gv-auszug");
    let gem: Vec<_> = ds
        .regions
        .iter()
        .filter(|r| r.level == RegionLevel::Gemeinde)
        .collect();
    assert_eq!(gem.len(), 10_959);
    let j = gem
        .iter()
        .find(|r| r.key.as_str() == "14522275")
        .expect("Jahnatal");
    assert_eq!(j.population, Some(4761));
    assert_eq!(
        gem.iter()
            .filter(|r| r.key.as_str().starts_with("14522"))
            .count(),
        52
    );
    let ds = read_demo("inkar/xls-2018/E_Schuldnerquote.xls");
    assert_eq!(ds.format, "inkar-xls");
    assert!(
        ds.observations
            .iter()
            .any(|o| ds.region_keys[o.region as usize].as_str() == "14522")
    );
}

#[test]
fn boundaries_are_matched_and_reprojected() {
    let ds = read_demo("boundaries/vg250_gem_simplified_sachsen_sachsen-anhalt_wgs84.geojson.gz");
    assert_eq!(ds.boundaries.len(), 637);
    assert_eq!(
        ds.boundaries
            .iter()
            .filter(|b| b.key.as_str().starts_with("14522"))
            .count(),
        53
    );
    let shp = super::demo().join("boundaries/VG2500_KRS.shp");
    let ds = sozialmonitor_import::geo::read_shapefile(&shp);
    assert_eq!(ds.boundaries.len(), 400);
    let ms = ds
        .boundaries
        .iter()
        .find(|b| b.key.as_str() == "14522")
        .expect("Mittelsachsen");
    // EPSG:25832 → WGS84: every point of Mittelsachsen lies in its bounding box.
    for p in ms.polygons.iter().flatten().flatten() {
        assert!(
            (12.6..13.7).contains(&p[0]) && (50.6..51.35).contains(&p[1]),
            "point {p:?} outside Mittelsachsen"
        );
    }
    let lan =
        sozialmonitor_import::geo::read_shapefile(&super::demo().join("boundaries/VG2500_LAN.shp"));
    assert_eq!(
        lan.boundaries.len(),
        16,
        "water and land parts of a Land become one multipolygon"
    );
}

#[test]
fn saxon_register_gives_ortsteile_as_sub_municipal_areas() {
    let ds = read_demo("registers/gemeindeverzeichnis-sachsen-ortsteile.csv.gz");
    assert_eq!(ds.format, "ortsteile");
    assert!(
        ds.regions
            .iter()
            .all(|r| r.level == RegionLevel::SubMunicipal)
    );
    let freiberg: Vec<_> = ds
        .regions
        .iter()
        .filter(|r| r.key.as_str().starts_with("14522180:"))
        .collect();
    assert_eq!(freiberg.len(), 8);
    let alt = freiberg
        .iter()
        .find(|r| r.key.as_str() == "14522180:altstadt")
        .expect("Altstadt");
    assert_eq!(
        alt.name,
        "Altstadt (Domviertel, Petriviertel, Nikolaiviertel, Jakobiviertel)"
    );
    assert_eq!(alt.parent.as_ref().map(|p| p.as_str()), Some("14522180"));
}

#[test]
fn catalogue_breaks_reach_the_indicators_that_read_their_measures() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../catalog/indikatoren.toml");
    let src = sozialmonitor_import::Source::read(&path).expect("catalogue");
    let ds = sozialmonitor_import::read(&src, None);
    assert!(
        ds.diagnostics.iter().all(|d| d.severity != Severity::Error),
        "{:#?}",
        ds.diagnostics
    );
    let keys = |ind: &str| -> Vec<String> {
        let e = ds.catalog.iter().find(|e| e.key == ind).expect(ind);
        e.breaks.iter().map(|b| b.key.clone()).collect()
    };
    // The population and everything per inhabitant breaks at both censuses; years in order.
    assert_eq!(
        keys("bevoelkerung"),
        [
            "kreisreform_sachsen_anhalt_2007",
            "kreisreform_sachsen_2008",
            "zensus_2011",
            "zensus_2022"
        ]
    );
    assert!(keys("arbeitslose_je_1000").contains(&"zensus_2022".to_string()));
    // SGB II: its denominator and the Bundesagentur's revision.
    let sgb2 = keys("personen_bg_sgb2_je_1000");
    assert!(sgb2.contains(&"sgb2_revision_2016".into()) && sgb2.contains(&"zensus_2011".into()));
    // School leavers read no population: only the Kreis reforms concern them.
    assert_eq!(
        keys("schulabgaenger_ohne_abschluss"),
        [
            "kreisreform_sachsen_anhalt_2007",
            "kreisreform_sachsen_2008"
        ]
    );
    let reform = ds
        .catalog
        .iter()
        .flat_map(|e| &e.breaks)
        .find(|b| b.key == "kreisreform_sachsen_2008")
        .expect("reform");
    assert!(reform.covers(RegionLevel::Kreis, "14522"));
    assert!(
        !reform.covers(RegionLevel::Gemeinde, "14522010"),
        "Gemeinden kept their keys"
    );
    assert!(!reform.covers(RegionLevel::Kreis, "15082"), "Saxony only");
}

/// The Statistisches Landesamt Sachsen-Anhalt's age table for 2025 is shipped twice: the lines as
/// transcribed (`original/`) and the long CSV the demo imports. Every value of the long CSV must
/// come from the original line by the documented reshaping, and nothing may be left out.
#[test]
fn stala_st_age_file_is_the_original_reshaped() {
    let dir = "recent/stala-st-alter-2025";
    let original = std::fs::read_to_string(
        super::demo()
            .join(dir)
            .join("original/age_source_rows.15082-subset.csv"),
    )
    .expect("original");
    let ds = read_demo(&format!(
        "{dir}/bevoelkerung-altersgruppen-15082-31122025.csv"
    ));
    assert!(!ds.has_errors(), "{:?}", ds.diagnostics);
    let measure = "12411-6A119:Bevölkerungsstand";
    let mut lines = 0;
    for line in original.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let [ags, band, total, male, female, _page] = f[..] else {
            panic!("unexpected line {line:?}");
        };
        let age = if band == "Insgesamt" {
            String::new()
        } else {
            format!("Altersgruppe={band}")
        };
        let with_sex = |sex: &str| {
            if age.is_empty() {
                format!("Geschlecht={sex}")
            } else {
                format!("{age}|Geschlecht={sex}")
            }
        };
        for (breakdown, want) in [
            (age.clone(), total),
            (with_sex("männlich"), male),
            (with_sex("weiblich"), female),
        ] {
            assert_eq!(
                cell(&ds, measure, ags, "31.12.2025", &breakdown).as_deref(),
                Some(want),
                "{ags} {breakdown}"
            );
        }
        lines += 1;
    }
    assert_eq!(lines, 210, "10 Gemeinden x 21 age bands");
    assert_eq!(ds.observations.len(), 3 * lines, "nothing added");
    // Köthen (Anhalt), as the SOURCE file names it.
    assert_eq!(
        cell(&ds, measure, "15082180", "31.12.2025", "").as_deref(),
        Some("23831")
    );
}

/// A decimal with at most ten places as an integer count of 1e-10.
fn tenth_nanos(s: &str) -> i128 {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    assert!(frac.len() <= 10, "{s}");
    let frac = format!("{frac:0<10}");
    int.parse::<i128>().expect("int") * 10_000_000_000 + frac.parse::<i128>().expect("frac")
}

/// The Bundesagentur's unemployed by Kreis are shipped as the converted source (per occupational
/// group, `original/`) and the Kreis totals the demo imports. Every total must be the sum over the
/// 145 groups rounded to whole persons, a Kreis-year with a withheld group must be left out (its
/// sum is unknown), and the totals must agree with GENESIS 13211-01-03-4 where both have a year.
#[test]
fn ba_unemployed_totals_are_the_original_summed() {
    use std::collections::BTreeMap;
    use std::io::Read as _;
    let dir = super::demo().join("ba");
    let mut text = String::new();
    flate2::read::GzDecoder::new(
        std::fs::File::open(dir.join("original/unemployed_total_by_occupation_SN_ST.csv.gz"))
            .expect("original"),
    )
    .read_to_string(&mut text)
    .expect("gzip");
    // (Kreis, year, women?) -> (sum, groups, a group withheld)
    let mut sums: BTreeMap<(String, String, bool), (i128, usize, bool)> = BTreeMap::new();
    let mut header = text.lines();
    assert_eq!(
        header.next(),
        Some("region,occupational_group,year,total,women")
    );
    for line in header {
        let f: Vec<&str> = line.split(',').collect();
        let [region, _group, year, total, women] = f[..] else {
            panic!("unexpected line {line:?}");
        };
        for (women_only, v) in [(false, total), (true, women)] {
            let e = sums
                .entry((region.into(), year.into(), women_only))
                .or_default();
            e.1 += 1;
            if v.is_empty() {
                e.2 = true;
            } else {
                e.0 += tenth_nanos(v);
            }
        }
    }
    let ds = read_demo("ba/arbeitslose-kreise-sachsen-sachsen-anhalt-2012-2025.csv");
    assert!(!ds.has_errors(), "{:?}", ds.diagnostics);
    let mut left_out = Vec::new();
    for ((region, year, women), (sum, groups, withheld)) in &sums {
        assert_eq!(*groups, 145, "{region} {year}");
        let breakdown = if *women { "Geschlecht=weiblich" } else { "" };
        let got = cell(&ds, "BA-ALO:Arbeitslose", region, year, breakdown);
        if *withheld {
            assert_eq!(got, None, "{region} {year}: a withheld group, no total");
            if !women {
                left_out.push(format!("{region} {year}"));
            }
            continue;
        }
        let rounded = (sum + 5_000_000_000) / 10_000_000_000;
        assert_eq!(
            got,
            Some(rounded.to_string()),
            "{region} {year} {breakdown}"
        );
    }
    assert_eq!(left_out.len(), 11, "{left_out:?}");
    assert_eq!(ds.observations.len(), 2 * (sums.len() / 2 - left_out.len()));
    // GENESIS' annual averages for 2012-2016: the same numbers up to the Bundesagentur's revisions.
    let genesis = read_demo("genesis/table-csv/13211-01-03-4_00.csv.gz");
    let (mut same, mut near) = (0, 0);
    for ((region, year, _), _) in sums.iter().filter(|(k, v)| !k.2 && !v.2) {
        let Some(g) = cell(
            &genesis,
            "13211-01-03-4:Arbeitslose insgesamt",
            region,
            year,
            "",
        ) else {
            continue;
        };
        let ba = cell(&ds, "BA-ALO:Arbeitslose", region, year, "").expect("ba");
        let (g, ba): (i64, i64) = (g.parse().expect("g"), ba.parse().expect("ba"));
        if g == ba {
            same += 1;
        } else {
            assert!((g - ba).abs() * 1000 <= g, "{region} {year}: {ba} vs {g}");
            near += 1;
        }
    }
    assert_eq!((same, near), (104, 23));
    assert_eq!(
        cell(&ds, "BA-ALO:Arbeitslose", "14522", "2024", "").as_deref(),
        Some("8471")
    );
}
