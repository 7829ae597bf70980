//! Reads files with the importers and prints what they found, without a database.
//! `cargo run -p sozialmonitor-import --example inspect -- FILE...`

fn main() {
    for arg in std::env::args().skip(1) {
        let src = match sozialmonitor_import::Source::read(std::path::Path::new(&arg)) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("{arg}: {e}");
                continue;
            }
        };
        let t = std::time::Instant::now();
        let ds = sozialmonitor_import::read(&src, None);
        let errors = ds
            .diagnostics
            .iter()
            .filter(|d| d.severity == sozialmonitor_core::Severity::Error)
            .count();
        println!(
            "{arg}: format={} rows={} obs={} measures={} breakdowns={} regions={} register={} boundaries={} catalog={} errors={errors} warnings={} ({:?})",
            ds.format,
            ds.rows_read,
            ds.observations.len(),
            ds.measures.len(),
            ds.breakdowns.len(),
            ds.region_keys.len(),
            ds.regions.len(),
            ds.boundaries.len(),
            ds.catalog.len(),
            ds.diagnostics.len() - errors,
            t.elapsed()
        );
        for d in ds.diagnostics.iter().take(3) {
            println!("  {d}");
        }
        if std::env::var("VERBOSE").is_ok() {
            for m in &ds.measures {
                println!("  measure {} | {} | {}", m.code, m.label, m.unit);
            }
            for b in ds.breakdowns.iter().take(30) {
                println!("  breakdown {}", b.key());
            }
        }
    }
}
