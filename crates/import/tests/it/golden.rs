//! Golden summaries: every demo file is read and summarised; the summary must equal the file in
//! `tests/golden`. A change in what an importer reads shows up in review as a diff there.

use std::fmt::Write as _;
use std::path::Path;

use sozialmonitor_core::{Dataset, Severity};

fn summary(rel: &str, ds: &Dataset) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "file: {rel}");
    let _ = writeln!(s, "format: {}", ds.format);
    let _ = writeln!(s, "rows read: {}", ds.rows_read);
    let _ = writeln!(s, "observations: {}", ds.observations.len());
    let _ = writeln!(s, "regions referenced: {}", ds.region_keys.len());
    let _ = writeln!(s, "breakdowns: {}", ds.breakdowns.len());
    let _ = writeln!(s, "register entries: {}", ds.regions.len());
    let _ = writeln!(s, "boundaries: {}", ds.boundaries.len());
    let _ = writeln!(s, "catalogue entries: {}", ds.catalog.len());
    let mut symbols = std::collections::BTreeMap::new();
    for o in &ds.observations {
        if let Some(sym) = o.value.symbol {
            *symbols.entry(sym.as_str()).or_insert(0) += 1;
        }
    }
    let _ = writeln!(s, "symbols: {symbols:?}");
    let _ = writeln!(s, "measures:");
    for m in &ds.measures {
        let _ = writeln!(
            s,
            "  {} | {} | {} | {}",
            m.code, m.label, m.unit, m.statistic
        );
    }
    let _ = writeln!(s, "diagnostics:");
    for d in &ds.diagnostics {
        let sev = if d.severity == Severity::Error {
            "error"
        } else {
            "warning"
        };
        let _ = writeln!(
            s,
            "  {}:{}: {sev}: {}",
            d.line,
            d.column,
            d.message.english()
        );
    }
    let _ = writeln!(s, "first observations:");
    for o in ds.observations.iter().take(8) {
        let _ = writeln!(
            s,
            "  line {}: {} {} {} [{}] = {}",
            o.line,
            ds.measures[o.measure as usize].code,
            ds.region_keys[o.region as usize],
            o.period.german(),
            ds.breakdowns[o.breakdown as usize].key(),
            o.value.render()
        );
    }
    for b in ds.boundaries.iter().take(3) {
        let first = b
            .polygons
            .first()
            .and_then(|p| p.first())
            .and_then(|r| r.first());
        let _ = writeln!(
            s,
            "  boundary {} {:?}: {} polygons, first point {:?}",
            b.key,
            b.name,
            b.polygons.len(),
            first
        );
    }
    for r in ds.regions.iter().take(3) {
        let _ = writeln!(
            s,
            "  region {} {} {:?} parent {:?} from {:?}",
            r.key,
            r.name,
            r.level,
            r.parent.as_ref().map(|p| p.to_string()),
            r.valid_from.map(|p| p.german())
        );
    }
    s
}

fn demo_files() -> Vec<String> {
    let root = super::demo();
    let mut out = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("demo dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                // Folders that hold no statistics (see `NOT_STATISTICS`) are read by their own
                // commands, or not at all.
                if p.file_name().is_some_and(|n| {
                    !sozialmonitor_import::NOT_STATISTICS.contains(&n.to_string_lossy().as_ref())
                }) {
                    stack.push(p);
                }
                continue;
            }
            let n = p
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            let skip = n.starts_with("SOURCE")
                || [".dbf", ".shx", ".prj", ".cpg", ".md"]
                    .iter()
                    .any(|x| n.ends_with(x));
            if !skip {
                out.push(
                    p.strip_prefix(&root)
                        .expect("below root")
                        .to_string_lossy()
                        .replace('\\', "/"),
                );
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_demo_file_reads_as_its_golden_summary() {
    let update = std::env::var("UPDATE_GOLDEN").is_ok();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let files = demo_files();
    assert!(
        files.len() > 80,
        "expected the demo data, found {} files",
        files.len()
    );
    let mut failures = Vec::new();
    for rel in &files {
        let ds = super::read_demo(rel);
        assert!(
            !ds.has_errors(),
            "{rel}: {:?}",
            ds.diagnostics
                .iter()
                .find(|d| d.severity == Severity::Error)
        );
        let got = summary(rel, &ds);
        let golden = dir.join(format!("{}.txt", rel.replace('/', "__")));
        if update {
            std::fs::write(&golden, &got).expect("write golden");
            continue;
        }
        match std::fs::read_to_string(&golden) {
            Ok(want) if want == got => {}
            Ok(want) => {
                let line = want
                    .lines()
                    .zip(got.lines())
                    .position(|(a, b)| a != b)
                    .unwrap_or(0);
                failures.push(format!(
                    "{rel}: differs from {} at line {}:\n  want: {}\n  got:  {}",
                    golden.display(),
                    line + 1,
                    want.lines().nth(line).unwrap_or(""),
                    got.lines().nth(line).unwrap_or("")
                ))
            }
            Err(_) => failures.push(format!(
                "{rel}: no golden file {} (run with UPDATE_GOLDEN=1)",
                golden.display()
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
