//! Boundaries: ESRI Shapefiles (reprojected from the CRS named in the `.prj` to WGS84) and GeoJSON,
//! matched to regions by their AGS/ARS attribute; unmatched features are reported.

use std::path::Path;

use proj4rs::proj::Proj;
use sozialmonitor_core::{Boundary, Dataset, Diagnostic, RegionKey, Said};

/// PROJ definitions of the coordinate systems German boundary data comes in. The DHDN
/// Helmert parameters are those of EPSG's default transformation (as PROJ's `datum=potsdam`).
fn proj_string(epsg: u32) -> Option<&'static str> {
    Some(match epsg {
        4326 | 4258 => "+proj=longlat +datum=WGS84 +no_defs",
        31466 => {
            "+proj=tmerc +lat_0=0 +lon_0=6 +k=1 +x_0=2500000 +y_0=0 +ellps=bessel +towgs84=598.1,73.7,418.2,0.202,0.045,-2.455,6.7 +units=m +no_defs"
        }
        31467 => {
            "+proj=tmerc +lat_0=0 +lon_0=9 +k=1 +x_0=3500000 +y_0=0 +ellps=bessel +towgs84=598.1,73.7,418.2,0.202,0.045,-2.455,6.7 +units=m +no_defs"
        }
        31468 => {
            "+proj=tmerc +lat_0=0 +lon_0=12 +k=1 +x_0=4500000 +y_0=0 +ellps=bessel +towgs84=598.1,73.7,418.2,0.202,0.045,-2.455,6.7 +units=m +no_defs"
        }
        31469 => {
            "+proj=tmerc +lat_0=0 +lon_0=15 +k=1 +x_0=5500000 +y_0=0 +ellps=bessel +towgs84=598.1,73.7,418.2,0.202,0.045,-2.455,6.7 +units=m +no_defs"
        }
        25832 => "+proj=utm +zone=32 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs",
        25833 => "+proj=utm +zone=33 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs",
        3857 => {
            "+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m +nadgrids=@null +no_defs"
        }
        _ => return None,
    })
}

/// Finds the EPSG code a `.prj` (ESRI WKT) names, by its AUTHORITY or by its well-known name.
pub fn epsg_of_prj(wkt: &str) -> Option<u32> {
    if let Some((_, rest)) = wkt.rsplit_once("AUTHORITY[\"EPSG\",") {
        let num: String = rest
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '"')
            .take_while(|c| *c != ']')
            .collect();
        if let Ok(n) = num
            .trim_matches('"')
            .split('"')
            .next()
            .unwrap_or("")
            .parse()
        {
            return Some(n);
        }
    }
    let name = wkt.split('"').nth(1).unwrap_or("");
    Some(match name {
        n if n.contains("Gauss") && n.contains("Zone_2") => 31466,
        n if n.contains("Gauss") && n.contains("Zone_3") => 31467,
        n if n.contains("Gauss") && n.contains("Zone_4") => 31468,
        n if n.contains("Gauss") && n.contains("Zone_5") => 31469,
        n if n.contains("UTM_Zone_32N") => 25832,
        n if n.contains("UTM_Zone_33N") => 25833,
        "GCS_WGS_1984" | "WGS 84" => 4326,
        "GCS_ETRS_1989" => 4258,
        _ => return None,
    })
}

fn key_from_attrs(
    get: &dyn Fn(&str) -> Option<String>,
    layer_hint: &str,
) -> Option<(RegionKey, Option<String>)> {
    let name = get("GEN").or_else(|| get("NAME")).or_else(|| get("name"));
    let digits = |s: Option<String>| {
        s.map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit()))
    };
    let ags = digits(get("AGS"));
    let ars = digits(get("ARS").or_else(|| get("RS")));
    // BKG layers say their level in `ADE` (1 Staat ... 6 Gemeinde); a 12-digit ARS padded with
    // zeros names a higher level, so the level decides how much of the key counts.
    let level: Option<u32> = get("ADE")
        .and_then(|s| s.trim().parse().ok())
        .or(match layer_hint {
            h if h.contains("_STA") => Some(1),
            h if h.contains("_LAN") => Some(2),
            h if h.contains("_RBZ") => Some(3),
            h if h.contains("_KRS") => Some(4),
            h if h.contains("_VWG") => Some(5),
            _ => None,
        });
    let any = ars.clone().or(ags.clone());
    // The keys are ASCII digits (checked above), so `get` by byte position is by digit.
    let prefix = |n: usize| any.as_ref().and_then(|k| k.get(..n)).map(str::to_string);
    let key = match level {
        Some(1) => Some(RegionKey::GERMANY.to_string()),
        Some(2) => prefix(2),
        Some(3) => prefix(3),
        Some(4) => prefix(5),
        Some(5) => ars.as_deref().and_then(|k| k.get(..9)).map(str::to_string),
        _ => ags.or(ars),
    }?;
    RegionKey::parse(&key).ok().map(|k| (k, name))
}

/// Reads a Shapefile with its `.dbf` and `.prj` beside it.
pub fn read_shapefile(path: &Path) -> Dataset {
    let file = path.display().to_string();
    let mut ds = Dataset::new("shapefile");
    let prj_path = path.with_extension("prj");
    let prj = std::fs::read_to_string(&prj_path).ok();
    let epsg = match prj.as_deref() {
        None => {
            ds.diagnostics.push(no_prj(&file, &prj_path));
            return ds;
        }
        Some(w) => epsg_of_prj(w),
    };
    let Some(src_def) = epsg.and_then(proj_string) else {
        ds.diagnostics.push(unsupported_crs(&file, epsg));
        return ds;
    };
    let items = match shapefile::read(path) {
        Ok(v) => v,
        Err(e) => {
            ds.diagnostics.push(
                Diagnostic::error(
                    &file,
                    0,
                    0,
                    Said::both(
                        format!("cannot read shapefile: {e}"),
                        format!("Das Shapefile lässt sich nicht lesen: {e}"),
                    ),
                )
                .with_hint(Said::both(
                    "the .shp, .shx and .dbf must lie side by side",
                    "Die Dateien .shp, .shx und .dbf müssen im selben Ordner liegen",
                )),
            );
            return ds;
        }
    };
    let (src, dst) = match (
        Proj::from_proj_string(src_def),
        Proj::from_proj_string("+proj=longlat +datum=WGS84 +no_defs"),
    ) {
        (Ok(s), Ok(d)) => (s, d),
        _ => {
            ds.diagnostics.push(Diagnostic::error(
                &file,
                0,
                0,
                Said::both(
                    "internal error: cannot set up the coordinate transformation",
                    "Interner Fehler: Die Koordinatentransformation lässt sich nicht einrichten",
                ),
            ));
            return ds;
        }
    };
    let geographic = matches!(epsg, Some(4326 | 4258));
    let layer = path
        .file_name()
        .map(|s| s.to_string_lossy().to_uppercase())
        .unwrap_or_default();
    let mut by_key: std::collections::BTreeMap<RegionKey, usize> =
        std::collections::BTreeMap::new();
    for (i, (shape, record)) in items.into_iter().enumerate() {
        ds.rows_read += 1;
        let get = |f: &str| -> Option<String> {
            match record.get(f) {
                Some(shapefile::dbase::FieldValue::Character(Some(s))) => {
                    Some(s.trim().to_string())
                }
                Some(shapefile::dbase::FieldValue::Numeric(Some(n))) => Some(format!("{n}")),
                _ => None,
            }
        };
        let Some((key, name)) = key_from_attrs(&get, &layer) else {
            ds.diagnostics.push(Diagnostic::warning(
                &file,
                i + 1,
                0,
                Said::both(
                    "feature has no usable AGS/ARS attribute; not matched to a region",
                    "Das Objekt hat kein verwendbares AGS/ARS-Attribut; es wurde keiner Region zugeordnet",
                ),
            ));
            continue;
        };
        let rings: Vec<(bool, Vec<shapefile::Point>)> = match shape {
            shapefile::Shape::Polygon(p) => p
                .into_inner()
                .into_iter()
                .map(|r| {
                    (
                        matches!(r, shapefile::PolygonRing::Outer(_)),
                        r.into_inner(),
                    )
                })
                .collect(),
            shapefile::Shape::NullShape => continue,
            other => {
                let kind = other.shapetype();
                ds.diagnostics.push(Diagnostic::warning(
                    &file,
                    i + 1,
                    0,
                    Said::both(
                        format!("feature {key} is a {kind} , not a polygon; skipped"),
                        format!(
                            "Das Objekt {key} hat den Geometrietyp {kind} statt Polygon; es wurde übersprungen"
                        ),
                    ),
                ));
                continue;
            }
        };
        let mut polys: Vec<Vec<Vec<[f64; 2]>>> = Vec::new();
        let mut bad = false;
        for (outer, pts) in rings {
            let mut ring = Vec::with_capacity(pts.len());
            for p in pts {
                let mut pt = if geographic {
                    (p.x.to_radians(), p.y.to_radians(), 0.0)
                } else {
                    (p.x, p.y, 0.0)
                };
                if proj4rs::transform::transform(&src, &dst, &mut pt).is_err() {
                    bad = true;
                    break;
                }
                ring.push([round6(pt.0.to_degrees()), round6(pt.1.to_degrees())]);
            }
            if outer || polys.is_empty() {
                polys.push(vec![ring]);
            } else if let Some(last) = polys.last_mut() {
                last.push(ring);
            }
        }
        if bad {
            ds.diagnostics.push(Diagnostic::error(
                &file,
                i + 1,
                0,
                Said::both(
                    format!("coordinates of {key} cannot be transformed to WGS84"),
                    format!("Die Koordinaten von {key} lassen sich nicht nach WGS84 umrechnen"),
                ),
            ));
            continue;
        }
        add_boundary(&mut ds, &mut by_key, key, name, polys);
    }
    ds
}

/// The diagnostic for a Shapefile without its `.prj`.
fn no_prj(file: &str, prj: &Path) -> Diagnostic {
    let prj = prj.display();
    Diagnostic::error(
        file,
        0,
        0,
        Said::both(
            format!("no {prj} beside the shapefile"),
            format!("Neben dem Shapefile liegt keine Datei {prj}"),
        ),
    )
    .with_hint(Said::both(
        "the .prj tells the coordinate system; without it the boundaries cannot be placed",
        "Die .prj-Datei gibt das Koordinatensystem an; ohne sie lassen sich die Gebietsgrenzen nicht verorten",
    ))
}

/// The diagnostic for a `.prj` naming no coordinate system we can transform from.
fn unsupported_crs(file: &str, epsg: Option<u32>) -> Diagnostic {
    // The English shows the code as Rust prints an option; the German says it in words.
    let code = epsg.map_or_else(
        || "kein EPSG-Code erkennbar".to_string(),
        |n| format!("EPSG {n}"),
    );
    Diagnostic::error(
        file,
        0,
        0,
        Said::both(
            format!("unsupported coordinate system in .prj (EPSG {epsg:?})"),
            format!("Das Koordinatensystem in der .prj-Datei wird nicht unterstützt ({code})"),
        ),
    )
    .with_hint(Said::both(
        "supported: EPSG 4326, 4258, 25832, 25833, 31466-31469, 3857; reproject the file, e.g. with ogr2ogr -t_srs EPSG:4326",
        "Unterstützt: EPSG 4326, 4258, 25832, 25833, 31466-31469, 3857; die Datei umprojizieren, z. B. mit ogr2ogr -t_srs EPSG:4326",
    ))
}

/// Adds a feature's polygons; several features of one region (land and water parts) become one
/// multipolygon.
fn add_boundary(
    ds: &mut Dataset,
    by_key: &mut std::collections::BTreeMap<RegionKey, usize>,
    key: RegionKey,
    name: Option<String>,
    polygons: Vec<Vec<Vec<[f64; 2]>>>,
) {
    if let Some(b) = by_key.get(&key).and_then(|&ix| ds.boundaries.get_mut(ix)) {
        b.polygons.extend(polygons);
    } else {
        by_key.insert(key.clone(), ds.boundaries.len());
        ds.boundaries.push(Boundary {
            key,
            name,
            polygons,
        });
    }
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// Reads a GeoJSON FeatureCollection (RFC 7946, WGS84).
pub fn read_geojson(file: &str, bytes: &[u8]) -> Dataset {
    let mut ds = Dataset::new("geojson");
    let v: serde_json::Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            ds.diagnostics.push(Diagnostic::error(
                file,
                e.line(),
                e.column(),
                Said::both(
                    format!("not valid JSON: {e}"),
                    format!("Kein gültiges JSON: {e}"),
                ),
            ));
            return ds;
        }
    };
    let Some(features) = v.get("features").and_then(|f| f.as_array()) else {
        ds.diagnostics.push(Diagnostic::error(
            file,
            1,
            1,
            Said::both(
                "not a GeoJSON FeatureCollection (no `features` array)",
                "Keine GeoJSON-FeatureCollection (kein Array `features`)",
            ),
        ));
        return ds;
    };
    let mut by_key: std::collections::BTreeMap<RegionKey, usize> =
        std::collections::BTreeMap::new();
    for (i, f) in features.iter().enumerate() {
        ds.rows_read += 1;
        let props = f.get("properties");
        let get = |k: &str| -> Option<String> {
            props.and_then(|p| p.get(k)).and_then(|x| {
                x.as_str()
                    .map(str::to_string)
                    .or_else(|| x.as_u64().map(|n| n.to_string()))
            })
        };
        let Some((key, name)) = key_from_attrs(&get, "") else {
            ds.diagnostics.push(Diagnostic::warning(
                file,
                0,
                0,
                Said::both(
                    format!(
                        "feature {} has no usable AGS/ARS property; not matched to a region",
                        i + 1
                    ),
                    format!(
                        "Das Objekt {} hat keine verwendbare AGS/ARS-Eigenschaft; es wurde keiner Region zugeordnet",
                        i + 1
                    ),
                ),
            ));
            continue;
        };
        let geom = f.get("geometry");
        let kind = geom
            .and_then(|g| g.get("type"))
            .and_then(|t| t.as_str())
            .unwrap_or("");
        let coords = geom.and_then(|g| g.get("coordinates"));
        let ring = |r: &serde_json::Value| -> Option<Vec<[f64; 2]>> {
            r.as_array()?
                .iter()
                .map(|p| Some([p.get(0)?.as_f64()?, p.get(1)?.as_f64()?]))
                .collect()
        };
        let poly = |p: &serde_json::Value| -> Option<Vec<Vec<[f64; 2]>>> {
            p.as_array()?.iter().map(ring).collect()
        };
        let polys: Option<Vec<Vec<Vec<[f64; 2]>>>> = match (kind, coords) {
            ("Polygon", Some(c)) => poly(c).map(|p| vec![p]),
            ("MultiPolygon", Some(c)) => c.as_array().and_then(|ps| ps.iter().map(poly).collect()),
            _ => None,
        };
        let Some(polys) = polys else {
            // The feature number stands in for the line, as for Shapefile records: the error
            // concerns this feature, not the whole file, so `--skip-bad-rows` can skip it.
            ds.diagnostics.push(Diagnostic::error(
                file,
                i + 1,
                0,
                Said::both(
                    format!(
                        "feature {} ({key}) has no valid Polygon or MultiPolygon geometry",
                        i + 1
                    ),
                    format!(
                        "Das Objekt {} ({key}) hat keine gültige Polygon- oder MultiPolygon-Geometrie",
                        i + 1
                    ),
                ),
            ));
            continue;
        };
        add_boundary(&mut ds, &mut by_key, key, name, polys);
    }
    ds
}
