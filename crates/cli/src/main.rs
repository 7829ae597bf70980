//! `sozialmonitor`, the command line: the definition of the interface plus glue over the library
//! crates. All real work happens in `sozialmonitor-import` and `sozialmonitor-store`.

mod analysis;
mod audit;
mod bench;
mod bench_analysis;
mod bench_germany;
mod bench_indicators;
mod bench_reports;
mod catalog;
mod config;
mod currency;
mod demo;
mod export;
mod gisd;
mod indicator;
mod ops;

mod network;
mod report;
mod services;
mod table;
mod user;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use sozialmonitor_core::{Period, Severity};
use sozialmonitor_import::Format;
use sozialmonitor_store::{
    Database, ImportOptions, ImportOutcome, ImportSource, Location, ObservationQuery, Store,
    Territory,
};

/// Sozialmonitor: integrated social planning for German districts.
#[derive(Parser)]
#[command(name = "sozialmonitor", version, about, long_about = None)]
struct Cli {
    /// The database: a SQLite file (default sozialmonitor.sqlite; also sqlite:FILE) or a
    /// PostgreSQL server (postgres://user:password@host:5432/dbname).
    #[arg(long, global = true, env = "SOZIALMONITOR_DB", hide_env_values = true)]
    db: Option<String>,
    /// Configuration file (TOML, see docs/operations.md); default ./sozialmonitor.toml if it
    /// exists.
    #[arg(long, global = true, env = "SOZIALMONITOR_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create an empty database.
    Init,
    /// Import files of official statistics (format detected, or chosen with --format).
    Import {
        /// Files to import.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Format: ffcsv, flat-old, table, cube, gv100ad, inkar, inkar-codebook, long-csv, shapefile, geojson, spreadsheet.
        #[arg(long)]
        format: Option<String>,
        /// Import the good rows of a file with bad ones; the bad rows are listed.
        #[arg(long)]
        skip_bad_rows: bool,
        /// Show what each file would change (new, revised, unchanged values; bad rows) and
        /// store nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Find regions, show one region with its children, or its territorial history.
    Regions {
        /// Name, key (AGS, ARS) or postcode to search for; with --show a key.
        query: Option<String>,
        /// Show the region with this key: details, children and history.
        #[arg(long)]
        show: Option<String>,
        /// With --show: the children valid on this date (31.12.2023 or 2023-12-31).
        #[arg(long)]
        at: Option<String>,
        /// Most rows to list.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// The measures in the store, with coverage.
    Measures {
        /// Only measures whose code, label or statistic contains this text.
        filter: Option<String>,
    },
    /// Values for regions × measures × periods as a table.
    Query(QueryArgs),
    /// Export values as CSV or XLSX.
    Export {
        #[command(flatten)]
        q: QueryArgs,
        /// Output file; `-` for standard output.
        #[arg(short, long)]
        output: PathBuf,
        /// csv (decimal point, comma-separated), csv-de (`;`, decimal comma, for Excel), xlsx.
        #[arg(long, value_enum, default_value_t = export::ExportFormat::Csv)]
        format: export::ExportFormat,
        /// For publication: values under statistical confidentiality (small counts and the
        /// cells that would give them away) are written as `.`. Without it the export is
        /// internal and marks those values `vertraulich`.
        #[arg(long)]
        public: bool,
    },
    /// Compute a formula for regions and periods (inputs are summed up the hierarchy where a
    /// region has no value of its own; rates are recomputed, never averaged).
    Compute {
        /// Compute every catalogue indicator for every region and year and cache the results
        /// (with the public, confidentiality-protected view).
        #[arg(long, conflicts_with_all = ["formula", "indicator", "region", "period"])]
        all: bool,
        /// With --all: today's territory (merged municipalities summed into their successor) or
        /// the territory as published.
        #[arg(long, default_value = "today", value_parser = parse_territory)]
        territory: Territory,
        /// The formula, e.g. "100 * BEVSTD[GES=GESW] / BEVSTD".
        #[arg(short, long, required_unless_present_any = ["indicator", "all"])]
        formula: Option<String>,
        /// Or the key of a catalogue indicator, e.g. anteil_65_plus.
        #[arg(short, long, conflicts_with = "formula")]
        indicator: Option<String>,
        /// Region key(s).
        #[arg(short, long, num_args = 1.., required_unless_present = "all")]
        region: Vec<String>,
        /// Also the regions directly below (the municipalities of a Kreis).
        #[arg(long)]
        children: bool,
        /// Period(s): 2015 or 31.12.2015.
        #[arg(short, long, num_args = 1.., required_unless_present = "all")]
        period: Vec<String>,
        /// Decimal places to show.
        #[arg(long, default_value_t = 1)]
        decimals: usize,
    },
    /// One catalogue indicator for regions in a year, with the parent's and the Land's value,
    /// rank among siblings, change over n years and map classes (from the results cache,
    /// recomputed first when the data changed).
    Indicator {
        /// Indicator key, e.g. anteil_65_plus.
        key: String,
        /// Region key(s); default: the Länder.
        #[arg(short, long, num_args = 1..)]
        region: Vec<String>,
        /// Also the regions directly below (the municipalities of a Kreis).
        #[arg(long)]
        children: bool,
        /// Year (default: the latest with values).
        #[arg(short, long)]
        year: Option<u16>,
        /// today (default) or published.
        #[arg(long, default_value = "today", value_parser = parse_territory)]
        territory: Territory,
        /// Public view: values under statistical confidentiality show as `.`.
        #[arg(long)]
        public: bool,
        /// Number of map classes.
        #[arg(long, default_value_t = 5)]
        classes: usize,
        /// Class method: quantile, equal, jenks or manual:B1;B2;...
        #[arg(long, default_value = "quantile", value_parser = sozialmonitor_core::classify::Method::parse)]
        method: sozialmonitor_core::classify::Method,
        /// Years back for the change column.
        #[arg(long, default_value_t = 5)]
        change: usize,
    },
    /// Checks confidentiality: suppresses every count as the public views do (as published and
    /// on today's territory, together), then proves that no withheld cell can be worked out from
    /// the published cells of both (exit code 1 if one can).
    Audit {
        /// Also check every small count's feasible interval over all relations together (linear
        /// programmes; minutes on a large database).
        #[arg(long)]
        intervals: bool,
        /// Only these measures (repeatable; the code as `query -m` takes it): a quicker check of
        /// the tables a change concerns. Relations between measures do not exist, so the result
        /// for a measure is the same as in the full audit.
        #[arg(short, long = "measure")]
        measures: Vec<String>,
    },
    /// Writes a public-only database for the internet-facing host: regions, boundaries, the
    /// catalogue and the public side of the indicator results, without any observation or
    /// withheld number (`serve --db` runs from it). Refuses when the audit finds a disclosure.
    Publish {
        /// The new database file.
        #[arg(long)]
        to: PathBuf,
    },
    /// The indicator catalogue (Datenkatalog): list, show KEY, check, gaps.
    Catalog {
        #[command(subcommand)]
        action: CatalogAction,
    },
    /// The import history, or one import with all its diagnostics.
    Imports {
        /// Show this batch in full.
        id: Option<i64>,
    },
    /// Build the demo database from the real data in data/demo (if needed) and serve the dashboard.
    Demo {
        /// Only build the database.
        #[arg(long)]
        no_serve: bool,
        /// Folder with the demo data.
        #[arg(long)]
        data: Option<PathBuf>,
        /// Address to serve at.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: String,
    },
    /// PDF reports: municipal profiles and the social report of a district.
    Report {
        #[command(subcommand)]
        action: ReportAction,
    },
    /// Serve the public dashboard and the JSON API of a database, with /healthz, /readyz and
    /// /metrics for operations; new data is served as soon as it is imported and computed.
    Serve {
        /// Address to listen at [default: 127.0.0.1:8080].
        #[arg(long, env = "SOZIALMONITOR_ADDR")]
        addr: Option<String>,
        /// The district the start page shows [default: 14522].
        #[arg(long, env = "SOZIALMONITOR_KREIS")]
        kreis: Option<String>,
        /// Log lines as text or json [default: text].
        #[arg(long, env = "SOZIALMONITOR_LOG_FORMAT", value_parser = ["text", "json"])]
        log_format: Option<String>,
        /// Seconds between checks for new data; 0: never [default: 5].
        #[arg(long, env = "SOZIALMONITOR_RELOAD_SECONDS")]
        reload_seconds: Option<f64>,
        /// The planners' workspace: `same` (under /arbeitsbereich on --addr), an address of its
        /// own (e.g. an internal 10.0.0.5:8081), or `off` [default: same].
        #[arg(long, env = "SOZIALMONITOR_WORKSPACE_ADDR")]
        workspace_addr: Option<String>,
    },
    /// Accounts of the planners' workspace: add, list, disable, enable, set-role,
    /// reset-password.
    User {
        #[command(subcommand)]
        action: user::UserAction,
    },
    /// The planning cycle: `import FILE` reads cycles with their timeline, decisions,
    /// priorities, recommendations and measures from a TOML file (see
    /// data/demo/planung/planungszyklen.toml).
    Planning {
        #[command(subcommand)]
        action: PlanningAction,
    },
    /// The directory of social services (Wegweiser): `import FILE --kreis KEY` reads entries
    /// from a CSV or XLSX table (see data/demo/wegweiser/).
    Services {
        #[command(subcommand)]
        action: ServicesAction,
    },
    /// Analysis support: `index` computes the GISD-style deprivation index; `unusual -i KEY`
    /// lists a district's unusual changes; `typology` types
    /// the municipalities of Saxony and Saxony-Anhalt;
    /// `backtest` runs the population projection from 2015 with what was known then and
    /// compares it with what was published later.
    Analysis {
        #[command(subcommand)]
        action: AnalysisAction,
    },
    /// The network and participation: `import FILE --kreis KEY` reads actors, working groups,
    /// events and their impulses from a TOML file (see data/demo/netzwerk/).
    Network {
        #[command(subcommand)]
        action: NetworkAction,
    },
    /// Bring the database schema up to date (every command does so when it opens the database)
    /// and show its version.
    Migrate,
    /// Copy everything (values, history, batches, registers, boundaries, catalogue versions,
    /// results cache) from one database to another, e.g. from SQLite to PostgreSQL.
    Copy {
        /// Source database (file, sqlite:FILE or postgres://…).
        #[arg(long)]
        from: String,
        /// Target database; created if it is a new file.
        #[arg(long)]
        to: String,
        /// Replace the content of a target that holds data.
        #[arg(long)]
        replace: bool,
    },
    /// Write a consistent snapshot of the database to a new SQLite file, also while the server
    /// runs and imports go on.
    Backup {
        /// The backup file (must not exist).
        file: PathBuf,
    },
    /// Replace the database's content with a backup written by `backup`.
    Restore {
        /// The backup file.
        file: PathBuf,
        /// Replace a database that holds data.
        #[arg(long)]
        replace: bool,
    },
    /// Benchmarks: `import` (a GENESIS flat file into SQLite, against pandas and DuckDB),
    /// `indicators` (every indicator for ~11,000 municipalities × 25 years, against pandas and
    /// Polars) or `reports` (the PDF profiles of Saxony's municipalities, against headless
    /// Chromium printing the dashboard's HTML profile), `germany` or `analysis` (typology,
    /// deprivation index and population projection, against scikit-learn, pandas and NumPy).
    Bench {
        /// What to measure.
        #[arg(value_enum, default_value_t = BenchKind::Import)]
        what: BenchKind,
        /// For `indicators` and `reports`: the demo database (built first if missing).
        #[arg(long, default_value = "bench/out/demo.sqlite")]
        demo_db: PathBuf,
        /// For `indicators` and `germany`: copies of Saxony (26 ≈ Germany's number of
        /// municipalities).
        #[arg(long, default_value_t = 26)]
        copies: usize,
        /// Rows to generate by replicating the real ffcsv files.
        #[arg(long, default_value_t = 10_000_000)]
        rows: usize,
        /// Working folder for the generated file and databases.
        #[arg(long, default_value = "bench/out")]
        dir: PathBuf,
        /// Skip the peers (pandas, DuckDB).
        #[arg(long)]
        no_peers: bool,
        /// Folder with the demo data to replicate.
        #[arg(long)]
        data: Option<PathBuf>,
        /// For `reports`: print at most this many profiles with Chromium (0: all of Saxony).
        #[arg(long, default_value_t = 0)]
        chromium_limit: usize,
        /// For `import`: also store into a fresh database on this PostgreSQL server
        /// (postgres://user@host/anydb; the benchmark database is created and dropped).
        #[arg(long)]
        pg: Option<String>,
        /// For `germany`: the database to write (its content is replaced) [default:
        /// bench/out/germany.sqlite].
        #[arg(long)]
        to: Option<String>,
    },
}

/// What `planning` does.
#[derive(Subcommand, Debug)]
enum PlanningAction {
    /// Import cycles from a TOML file (checked whole first; a cycle already held is refused).
    Import {
        /// The file.
        file: PathBuf,
    },
}

/// What `services` does.
#[derive(Subcommand, Debug)]
enum ServicesAction {
    /// Add the entries of a CSV or XLSX table to a district's directory (checked whole first;
    /// every bad cell is named with its line and column, and then nothing is saved).
    Import {
        /// The file.
        file: PathBuf,
        /// The district whose directory it is.
        #[arg(long, default_value = "14522")]
        kreis: String,
    },
    /// Count the directory's counselling offers per municipality and measure the distance from
    /// each municipality's centre to the nearest, import that as statistics (examples never
    /// count) and recompute the indicators, so the coverage indicators are up to date.
    Coverage {
        /// The district.
        #[arg(long, default_value = "14522")]
        kreis: String,
    },
}

/// What `analysis` does.
#[derive(Subcommand, Debug)]
enum AnalysisAction {
    /// The deprivation index by the GISD method for every Gemeindeverband of Germany
    /// (2001–2017, INKAR 2018 inputs from data/demo/gisd): inputs, weights, explained
    /// variance, and the Gemeindeverbände of a district with index and quintile.
    Index {
        /// Folder with the demo data (default: data/demo).
        #[arg(long)]
        data: Option<PathBuf>,
        /// The district whose Gemeindeverbände are listed.
        #[arg(long, default_value = "14522")]
        kreis: String,
        /// Also import the index of the municipalities and Kreise of Saxony and
        /// Saxony-Anhalt into the database (with its catalogue entries), then recompute the
        /// indicators, so the dashboard shows it.
        #[arg(long)]
        import: bool,
    },
    /// Changes of an indicator in a district's municipalities that depart from their own
    /// history or from the other municipalities by more than noise explains (robust z-scores,
    /// sampling noise of small populations), and the district's trend.
    Unusual {
        /// The indicator (catalogue key).
        #[arg(short, long)]
        indicator: String,
        /// The district.
        #[arg(long, default_value = "14522")]
        kreis: String,
    },
    /// The types of the municipalities of Saxony and Saxony-Anhalt (k-means, number of types
    /// by silhouette and gap statistic, Ward for comparison, stability by bootstrap).
    Typology {
        /// Folder with the demo data (default: data/demo).
        #[arg(long)]
        data: Option<PathBuf>,
    },
    /// Project every municipality of Saxony and Saxony-Anhalt from 31.12.2015 and compare
    /// with the Zensus 2022 (per municipality, by size class) and the Fortschreibung of
    /// 31.12.2024 (per Kreis).
    Backtest {
        /// Folder with the demo data (default: data/demo).
        #[arg(long)]
        data: Option<PathBuf>,
    },
}

/// What `network` does.
#[derive(Subcommand, Debug)]
enum NetworkAction {
    /// Add the actors, working groups, events and impulses of a TOML file to a district's
    /// network (checked whole first, every reason listed; then one transaction).
    Import {
        /// The file.
        file: PathBuf,
        /// The district whose network it is.
        #[arg(long, default_value = "14522")]
        kreis: String,
    },
}

#[derive(Subcommand)]
enum ReportAction {
    /// The profile of one municipality (Gemeindeprofil), 2–4 pages.
    Profile {
        /// Municipality key (AGS), e.g. 14522010; a Kreis or Land key works too.
        key: String,
        /// The PDF file to write.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// The profiles of every municipality of a Kreis (or a Land), on all cores.
    Profiles {
        /// Kreis key, e.g. 14522.
        #[arg(long)]
        kreis: String,
        /// Folder for the PDF files (`AGS-name.pdf`).
        #[arg(short, long)]
        output: PathBuf,
    },
    /// The social report (Sozialbericht) of a district.
    Sozialbericht {
        /// Kreis key, e.g. 14522.
        #[arg(long)]
        kreis: String,
        /// The PDF file to write.
        #[arg(short, long)]
        output: PathBuf,
        /// Folder with the planners' commentary, one file per chapter (`wohnen.md`,
        /// `zusammenfassung.typ`, …); the command lists the file names it takes.
        #[arg(long, default_value_os_t = report::default_commentary_dir())]
        kommentare: PathBuf,
    },
    /// The Seniorenwegweiser as a booklet: the directory's published entries for older people,
    /// of the district or of one municipality.
    Seniorenwegweiser {
        /// Kreis key, e.g. 14522.
        #[arg(long, default_value = "14522")]
        kreis: String,
        /// Only the entries in or serving this municipality (AGS).
        #[arg(long)]
        gemeinde: Option<String>,
        /// The PDF file to write.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// The planning document (Planungsdokument) of the district's newest planning cycle.
    Planungsdokument {
        /// Kreis key, e.g. 14522.
        #[arg(long)]
        kreis: String,
        /// The PDF file to write.
        #[arg(short, long)]
        output: PathBuf,
    },
}

#[derive(Subcommand)]
enum CatalogAction {
    /// All indicators, optionally of one action field.
    List {
        /// Only this action field (Handlungsfeld), or part of its name.
        field: Option<String>,
    },
    /// One indicator in full.
    Show {
        /// Indicator key.
        key: String,
    },
    /// Every formula parses, every input measure exists, units fit.
    Check,
    /// Available, planned and missing indicators per action field and target group.
    Gaps,
    /// Compare the indicators that have an INKAR equivalent with INKAR, for every Kreis of Saxony
    /// and Saxony-Anhalt and every year both have.
    Verify,
    /// How current each indicator is: per region level the latest year held against the latest
    /// year its publishers have released (from the catalogue's `[[release]]` entries), and what
    /// to import to catch up. Without --region, a level's year is the latest of any region of
    /// it and every publication counts; give your Kreis for its own answer.
    Currency {
        /// Only the indicators behind their publisher.
        #[arg(long)]
        behind: bool,
        /// Only this region and the regions below it, e.g. 14522.
        #[arg(short, long)]
        region: Option<String>,
        /// Today as YYYY-MM (default: the clock), for a reproducible answer.
        #[arg(long)]
        today: Option<String>,
    },
}

#[derive(clap::Args, Clone)]
struct QueryArgs {
    /// Measure code(s), e.g. BEVSTD.
    #[arg(short, long, num_args = 1..)]
    measure: Vec<String>,
    /// Region key(s): AGS, ARS, Kreis, Land, DG.
    #[arg(short, long, num_args = 1..)]
    region: Vec<String>,
    /// Include the regions directly below the given ones.
    #[arg(long)]
    children: bool,
    /// Period(s): 2023 or 31.12.2023.
    #[arg(short, long, num_args = 1..)]
    period: Vec<String>,
    /// Breakdown key, e.g. GES=GESW; `total` for the total only.
    #[arg(short, long)]
    breakdown: Option<String>,
    /// Include superseded values (revisions).
    #[arg(long)]
    history: bool,
    /// Most rows.
    #[arg(long)]
    limit: Option<usize>,
}

impl QueryArgs {
    fn to_query(&self) -> Result<ObservationQuery> {
        let periods = self
            .period
            .iter()
            .map(|p| Period::parse(p).with_context(|| format!("bad --period `{p}`")))
            .collect::<Result<Vec<_>>>()?;
        Ok(ObservationQuery {
            measures: self.measure.clone(),
            regions: self.region.clone(),
            include_children: self.children,
            periods,
            breakdown: self.breakdown.as_ref().map(|b| {
                if b == "total" {
                    String::new()
                } else {
                    b.clone()
                }
            }),
            history: self.history,
            limit: self.limit,
        })
    }
}

fn main() -> ExitCode {
    // `sozialmonitor query ... | head` closes the pipe early; that is not an error worth a panic.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .unwrap_or("");
        if msg.contains("Broken pipe") {
            std::process::exit(0);
        }
        default_hook(info);
    }));
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn open_existing(db: &Location) -> Result<Database> {
    Database::open_existing(db)
        .with_context(|| format!("opening {db}"))?
        .with_context(|| format!("no database at {db}; create one with `sozialmonitor import FILE` or `sozialmonitor demo`"))
}

fn open(db: &Location) -> Result<Database> {
    Database::open(db).with_context(|| format!("opening {db}"))
}

/// Loads the public side of the database (computing the results cache if it is stale) and serves
/// the dashboard until Ctrl-C.
/// `publish`: audit, then write the public-only database via a `.part` file.
fn publish(store: &mut Database, to: &Path) -> Result<ExitCode> {
    anyhow::ensure!(
        !store.is_publication()?,
        "this database is a publication already; publish from the planners' database"
    );
    anyhow::ensure!(
        !to.exists(),
        "{} exists; choose a new file (a publication is written whole, never merged)",
        to.display()
    );
    // A fresh run, audited as it is, and only then cached and written: the publication holds
    // exactly the protection the audit checked.
    let mut run = indicator::compute(store, sozialmonitor_store::Territory::Today)?;
    let outcome = audit::of_views(&run.views, run.seconds.1);
    if !outcome.report.is_clean() {
        audit::print(&outcome);
        anyhow::bail!(
            "the audit found a disclosure; nothing was published, the cache is unchanged"
        );
    }
    indicator::save(store, &mut run)?;
    let part = to.with_extension("part");
    let _ = std::fs::remove_file(&part);
    let p = store
        .publish(&part)
        .with_context(|| format!("writing {}", part.display()))?;
    std::fs::rename(&part, to).with_context(|| format!("renaming to {}", to.display()))?;
    println!(
        "{} geschrieben: {} Indikatorwerte ({} gesperrt, ohne Zahl), {} Gebiete; keine Einzeldaten, keine gesperrten Werte",
        to.display(),
        de_int(p.values as i64),
        de_int(p.withheld as i64),
        de_int(p.regions as i64)
    );
    println!("Geheimhaltungsprüfung vor dem Schreiben: keine gesperrte Zelle ist berechenbar.");
    Ok(ExitCode::SUCCESS)
}

fn run(cli: Cli) -> Result<ExitCode> {
    let settings = config::Config::load(cli.config.as_deref())?;
    let db = Location::parse(
        cli.db
            .as_deref()
            .or(settings.db.as_deref())
            .unwrap_or("sozialmonitor.sqlite"),
    )?;
    match cli.command {
        Command::Init => {
            if let Location::Sqlite(p) = &db
                && p.exists()
            {
                println!("{db} exists already; schema is up to date");
            }
            Database::open(&db).with_context(|| format!("creating {db}"))?;
            println!("database ready: {db}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate => {
            let store = open(&db)?;
            let (version, known) = store.schema_version()?;
            println!(
                "{}: schema version {version} (this program knows up to {known}); up to date",
                store.describe()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Copy { from, to, replace } => ops::copy(&from, &to, replace),
        Command::Backup { file } => ops::backup(&db, &file),
        Command::Restore { file, replace } => ops::restore(&db, &file, replace),
        Command::Import {
            files,
            format,
            skip_bad_rows,
            dry_run,
        } => {
            let format = match format {
                Some(f) => Some(Format::from_name(&f).with_context(|| {
                    format!(
                        "unknown format `{f}`; one of: {}",
                        Format::ALL
                            .iter()
                            .map(|(_, n)| *n)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })?),
                None => None,
            };
            let mut store = open(&db)?;
            let ok = import_files(
                &mut store,
                &files,
                format,
                ImportOptions {
                    skip_bad_rows,
                    dry_run,
                },
                true,
            )?;
            Ok(if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Regions {
            query,
            show,
            at,
            limit,
        } => {
            let store = open_existing(&db)?;
            if let Some(key) = show {
                let at = at
                    .map(|a| Period::parse(&a).with_context(|| format!("bad --at `{a}`")))
                    .transpose()?;
                show_region(&store, &key, at)
            } else {
                let q = query.unwrap_or_default();
                let rows = store.search_regions(&q, limit)?;
                if rows.is_empty() {
                    bail!("no region matches `{q}`");
                }
                let mut t = table::Table::new(&[
                    "Schlüssel",
                    "Name",
                    "Ebene",
                    "übergeordnet",
                    "gültig bis",
                ]);
                for r in rows {
                    t.row(vec![
                        r.key,
                        r.name,
                        r.level.label_de().to_string(),
                        r.parent.unwrap_or_default(),
                        r.valid_to.map(|d| iso_de(&d)).unwrap_or_default(),
                    ]);
                }
                print!("{}", t.render());
                Ok(ExitCode::SUCCESS)
            }
        }
        Command::Measures { filter } => {
            let store = open_existing(&db)?;
            let f = filter.unwrap_or_default().to_lowercase();
            let mut t = table::Table::new(&[
                "Code",
                "Bezeichnung",
                "Einheit",
                "Statistik",
                "Werte",
                "Regionen",
                "Zeiträume",
                "von",
                "bis",
            ]);
            for m in store.measures()?.into_iter().filter(|m| {
                f.is_empty()
                    || format!("{} {} {}", m.code, m.label, m.statistic)
                        .to_lowercase()
                        .contains(&f)
            }) {
                t.row(vec![
                    m.code,
                    m.label,
                    m.unit,
                    m.statistic,
                    de_int(m.values),
                    de_int(m.regions),
                    de_int(m.periods),
                    m.first.map(|p| p.german()).unwrap_or_default(),
                    m.last.map(|p| p.german()).unwrap_or_default(),
                ]);
            }
            print!("{}", t.render());
            Ok(ExitCode::SUCCESS)
        }
        Command::Query(q) => {
            let store = open_existing(&db)?;
            let rows = store.query(&q.to_query()?)?;
            if rows.is_empty() {
                bail!("no values match; see `sozialmonitor measures` and `sozialmonitor regions`");
            }
            let mut t = table::Table::new(&[
                "Region",
                "Name",
                "Merkmal",
                "Gliederung",
                "Zeit",
                "Wert",
                "Einheit",
                "Import",
            ]);
            for r in rows {
                let status = match r.superseded_by {
                    Some(by) => format!("#{} (ersetzt durch #{by})", r.import_id),
                    None => format!("#{}", r.import_id),
                };
                t.row(vec![
                    r.region_key,
                    r.region_name,
                    r.measure,
                    r.breakdown_label,
                    r.period.german(),
                    r.value.german(),
                    r.unit,
                    status,
                ]);
            }
            print!("{}", t.render_right(&[5]));
            Ok(ExitCode::SUCCESS)
        }
        Command::Export {
            q,
            output,
            format,
            public,
        } => {
            let store = open_existing(&db)?;
            let mut rows = store.query(&q.to_query()?)?;
            let (marks, hidden) = export::protect(&store, &mut rows, public)?;
            export::write(&output, format, &rows, &marks)
                .with_context(|| format!("writing {}", output.display()))?;
            // With `-o -` the data is standard output: the messages go to standard error.
            let say = |line: String| {
                if export::is_stdout(&output) {
                    eprintln!("{line}");
                } else {
                    println!("{line}");
                }
            };
            say(format!(
                "wrote {} values to {}",
                de_int(rows.len() as i64),
                output.display()
            ));
            if public {
                say(format!(
                    "öffentlicher Export: {} Werte wegen Geheimhaltung gesperrt (.)",
                    de_int(hidden as i64)
                ));
            } else if hidden > 0 {
                eprintln!(
                    "Achtung: interner Export mit {} vertraulichen Werten (Spalte confidentiality); nicht veröffentlichen, für die Veröffentlichung --public verwenden",
                    de_int(hidden as i64)
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Imports { id } => {
            let store = open_existing(&db)?;
            let batches = store.imports()?;
            if let Some(id) = id {
                let b = batches
                    .iter()
                    .find(|b| b.id == id)
                    .with_context(|| format!("no import #{id}"))?;
                println!(
                    "import #{}: {}\n  format {}, sha256 {}\n  at {} in {} ms",
                    b.id, b.file_name, b.format, b.sha256, b.imported_at, b.duration_ms
                );
                println!(
                    "  rows read {}, stored {}, revised {}, unchanged {}, skipped {}",
                    de_int(b.rows_read),
                    de_int(b.rows_stored),
                    de_int(b.rows_revised),
                    de_int(b.rows_unchanged),
                    de_int(b.rows_skipped)
                );
                for d in &b.diagnostics {
                    println!("  {d}");
                }
                return Ok(ExitCode::SUCCESS);
            }
            let mut t = table::Table::new(&[
                "#",
                "Datei",
                "Format",
                "gelesen",
                "gespeichert",
                "revidiert",
                "unverändert",
                "übersprungen",
                "Hinweise",
                "Zeit (UTC)",
            ]);
            for b in batches {
                t.row(vec![
                    b.id.to_string(),
                    Path::new(&b.file_name)
                        .file_name()
                        .map(|f| f.to_string_lossy().to_string())
                        .unwrap_or(b.file_name),
                    b.format,
                    de_int(b.rows_read),
                    de_int(b.rows_stored),
                    de_int(b.rows_revised),
                    de_int(b.rows_unchanged),
                    de_int(b.rows_skipped),
                    b.diagnostics.len().to_string(),
                    b.imported_at,
                ]);
            }
            print!("{}", t.render_right(&[0, 3, 4, 5, 6, 7, 8]));
            Ok(ExitCode::SUCCESS)
        }
        Command::Compute {
            all: true,
            territory,
            ..
        } => {
            let mut store = open_existing(&db)?;
            indicator::all(&mut store, territory)
        }
        Command::Indicator {
            key,
            region,
            children,
            year,
            territory,
            public,
            classes,
            method,
            change,
        } => {
            let mut store = open_existing(&db)?;
            indicator::show(
                &mut store,
                &indicator::Show {
                    key,
                    regions: region,
                    children,
                    year,
                    territory,
                    public,
                    classes,
                    method,
                    change,
                },
            )
        }
        Command::Compute {
            formula,
            indicator,
            region,
            children,
            period,
            decimals,
            ..
        } => {
            let store = open_existing(&db)?;
            let formula = match (formula, indicator) {
                (Some(f), _) => f,
                (None, Some(key)) => {
                    let e = store
                        .indicators()?
                        .into_iter()
                        .find(|e| e.key == key)
                        .with_context(|| format!("no indicator `{key}` in the catalogue"))?;
                    anyhow::ensure!(
                        !e.formula.is_empty(),
                        "indicator `{key}` has no formula (status: {:?}); see `sozialmonitor catalog show {key}`",
                        e.status
                    );
                    e.formula
                }
                (None, None) => anyhow::bail!("give --formula or --indicator"),
            };
            let expr = sozialmonitor_core::formula::parse(&formula)
                .map_err(|e| anyhow::anyhow!("{e}\n{}", e.show(&formula)))?;
            let periods = period
                .iter()
                .map(|p| Period::parse(p).with_context(|| format!("bad --period `{p}`")))
                .collect::<Result<Vec<_>>>()?;
            let mut keys = Vec::new();
            for r in &region {
                let key = sozialmonitor_core::RegionKey::parse(r)
                    .with_context(|| format!("bad --region `{r}`"))?;
                // The region first, then its parts at each period.
                let mut group = vec![key.clone()];
                if children {
                    for p in &periods {
                        group.extend(sozialmonitor_core::engine::Inputs::parts(&store, &key, *p));
                    }
                }
                for k in group {
                    if !keys.contains(&k) {
                        keys.push(k);
                    }
                }
            }
            let engine = sozialmonitor_core::engine::Engine::new(&store);
            let mut t = table::Table::new(&["Region", "Name", "Zeit", "Wert", "Hinweis"]);
            for k in &keys {
                let name = store
                    .region(k.as_str())?
                    .map(|r| r.name)
                    .unwrap_or_default();
                for p in &periods {
                    let o = engine.eval(&expr, k, *p);
                    let v = match o.cell {
                        sozialmonitor_core::engine::Cell::Num(n) => {
                            sozialmonitor_core::format::german_number(n, decimals)
                        }
                        sozialmonitor_core::engine::Cell::Sym(s) => s.as_str().to_string(),
                        sozialmonitor_core::engine::Cell::Missing => "–".to_string(),
                    };
                    let note = if o.incomplete {
                        "unvollständig: nicht alle Teilgebiete haben Werte"
                    } else {
                        ""
                    };
                    t.row(vec![
                        k.to_string(),
                        name.clone(),
                        p.german(),
                        v,
                        note.to_string(),
                    ]);
                }
            }
            print!("{}", t.render_right(&[3]));
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit {
            intervals,
            measures,
        } => {
            let store = open_existing(&db)?;
            Ok(audit::print(&audit::run(&store, intervals, &measures)?))
        }
        Command::Publish { to } => {
            let mut store = open_existing(&db)?;
            publish(&mut store, &to)
        }
        Command::Catalog { action } => {
            let mut store = open_existing(&db)?;
            match action {
                CatalogAction::List { field } => catalog::list(&store, field.as_deref()),
                CatalogAction::Show { key } => catalog::show(&store, &key),
                CatalogAction::Check => catalog::check(&store),
                CatalogAction::Gaps => catalog::gaps(&store),
                CatalogAction::Verify => catalog::verify(&store),
                CatalogAction::Currency {
                    behind,
                    region,
                    today,
                } => currency::run(
                    &mut store,
                    &currency::Options {
                        behind,
                        region,
                        today,
                    },
                ),
            }
        }
        Command::Demo {
            no_serve,
            data,
            addr,
        } => {
            let code = demo::run(&db, data.as_deref())?;
            if no_serve || code != ExitCode::SUCCESS {
                return Ok(code);
            }
            // Serve from a fresh process: building the database and computing the cache peak at
            // well over a gigabyte, which the allocator keeps; the server itself needs ~100 MB.
            // The database goes by the environment, not the command line, where `ps` would
            // show a password.
            let status = std::process::Command::new(std::env::current_exe()?)
                .env("SOZIALMONITOR_DB", db.as_arg())
                .args(["serve", "--addr", &addr, "--kreis", "14522"])
                .status()
                .context("starting the dashboard server")?;
            Ok(if status.success() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Serve {
            addr,
            kreis,
            log_format,
            reload_seconds,
            workspace_addr,
        } => {
            let s = &settings.serve;
            let opts = ops::ServeOptions {
                addr: addr
                    .or(s.addr.clone())
                    .unwrap_or_else(|| "127.0.0.1:8080".into()),
                kreis: kreis.or(s.kreis.clone()).unwrap_or_else(|| "14522".into()),
                json_log: log_format.or(s.log_format.clone()).as_deref() == Some("json"),
                reload_every: reload_seconds.or(s.reload_seconds).unwrap_or(5.0),
                vars: settings.server_vars(),
                workspace_addr: workspace_addr
                    .or(s.workspace_addr.clone())
                    .unwrap_or_else(|| "same".into()),
                workspace: ops::workspace_settings(s)?,
            };
            ops::serve(&db, &opts)
        }
        Command::User { action } => user::run(&db, action),
        Command::Planning {
            action: PlanningAction::Import { file },
        } => {
            let mut store = open(&db)?;
            let n = sozialmonitor_workspace::plan_file::import(
                &mut store,
                &file,
                &user::actor(),
                user::now(),
            )?;
            println!("{n} planning cycle(s) imported from {}", file.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Services {
            action: ServicesAction::Import { file, kreis },
        } => {
            let mut store = open(&db)?;
            let n = services::import(&mut store, &file, &kreis)?;
            println!(
                "{n} service(s) added to the directory of {kreis} from {}",
                file.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Services {
            action: ServicesAction::Coverage { kreis },
        } => {
            let mut store = open(&db)?;
            services::coverage(&mut store, &kreis)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Analysis {
            action: AnalysisAction::Unusual { indicator, kreis },
        } => analysis::unusual(&open(&db)?, &indicator, &kreis).map(|()| ExitCode::SUCCESS),
        Command::Analysis {
            action:
                AnalysisAction::Index {
                    data,
                    kreis,
                    import,
                },
        } => {
            analysis::index(data.as_deref(), &kreis)?;
            if import {
                let dir = demo::data_dir(data.as_deref())?;
                let mut store = open(&db)?;
                gisd::publish(&mut store, &dir)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Analysis {
            action: AnalysisAction::Typology { data },
        } => analysis::typology(data.as_deref()).map(|()| ExitCode::SUCCESS),
        Command::Analysis {
            action: AnalysisAction::Backtest { data },
        } => analysis::run(data.as_deref()).map(|()| ExitCode::SUCCESS),
        Command::Network {
            action: NetworkAction::Import { file, kreis },
        } => {
            let mut store = open(&db)?;
            let n = network::import(&mut store, &file, &kreis)?;
            println!(
                "{n} network record(s) of {kreis} imported from {}",
                file.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Report { action } => match action {
            ReportAction::Profile { key, output } => report::profile(&db, &key, &output),
            ReportAction::Profiles { kreis, output } => report::profiles(&db, &kreis, &output),
            ReportAction::Seniorenwegweiser {
                kreis,
                gemeinde,
                output,
            } => report::senior_booklet(&db, &kreis, gemeinde.as_deref(), &output),
            ReportAction::Sozialbericht {
                kreis,
                output,
                kommentare,
            } => report::social(&db, &kreis, &output, &kommentare),
            ReportAction::Planungsdokument { kreis, output } => {
                report::planning(&db, &kreis, &output)
            }
        },
        Command::Bench {
            what: BenchKind::Import,
            rows,
            dir,
            no_peers,
            data,
            pg,
            ..
        } => bench::run(rows, &dir, !no_peers, data.as_deref(), pg.as_deref()),
        Command::Bench {
            what: BenchKind::Indicators,
            dir,
            no_peers,
            data,
            demo_db,
            copies,
            ..
        } => bench_indicators::run(&demo_db, &dir, copies, !no_peers, data.as_deref()),
        Command::Bench {
            what: BenchKind::Analysis,
            dir,
            no_peers,
            data,
            copies,
            ..
        } => bench_analysis::run(&dir, copies, !no_peers, data.as_deref()),
        Command::Bench {
            what: BenchKind::Reports,
            dir,
            data,
            demo_db,
            chromium_limit,
            ..
        } => bench_reports::run(&demo_db, &dir, chromium_limit, data.as_deref()),
        Command::Bench {
            what: BenchKind::Germany,
            demo_db,
            copies,
            data,
            to,
            ..
        } => bench_germany::run(
            &demo_db,
            to.as_deref().unwrap_or("bench/out/germany.sqlite"),
            copies,
            data.as_deref(),
        ),
    }
}

/// The benchmarks of `sozialmonitor bench`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum BenchKind {
    /// Import speed.
    Import,
    /// Indicator computation speed.
    Indicators,
    /// Municipal profiles as PDF per second, against headless Chromium printing the HTML page.
    Reports,
    /// A Germany-sized database (Saxony replicated) on either backend: load, compute, dashboard.
    Germany,
    /// Typology, deprivation index and population projection against scikit-learn, pandas
    /// and NumPy.
    Analysis,
}

/// Imports files one by one; each file is one transaction. Returns false if any file failed.
pub(crate) fn import_files(
    store: &mut Database,
    files: &[PathBuf],
    format: Option<Format>,
    opts: ImportOptions,
    verbose: bool,
) -> Result<bool> {
    let bar = if files.len() > 1 && verbose {
        let b = indicatif::ProgressBar::new(files.len() as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {wide_msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Some(b)
    } else {
        None
    };
    let spinner = |msg: String, size: usize| -> Option<indicatif::ProgressBar> {
        // Large single files get a spinner so the user sees that work is going on.
        (verbose && bar.is_none() && size > 20 << 20).then(|| {
            let s = indicatif::ProgressBar::new_spinner();
            s.enable_steady_tick(std::time::Duration::from_millis(120));
            s.set_message(msg);
            s
        })
    };
    let mut all_ok = true;
    for path in files {
        if let Some(b) = &bar {
            b.set_message(path.display().to_string());
        }
        let size = std::fs::metadata(path)
            .map(|m| m.len() as usize)
            .unwrap_or(0);
        let sp = spinner(format!("reading {}", path.display()), size);
        let (src, ds) = sozialmonitor_import::load(path, format)
            .with_context(|| format!("reading {}", path.display()))?;
        if let Some(s) = &sp {
            s.set_message(format!(
                "storing {} values",
                de_int(ds.observations.len() as i64)
            ));
        }
        let by = sozialmonitor_store::Actor {
            name: user::actor(),
            at: user::now(),
        };
        let outcome = store.import_by(
            &ImportSource {
                file_name: src.name.clone(),
                sha256: src.sha256.clone(),
            },
            &ds,
            opts,
            Some(&by),
        )?;
        if let Some(s) = sp {
            s.finish_and_clear();
        }
        let print = |s: String| match &bar {
            Some(b) => b.println(s),
            None => println!("{s}"),
        };
        match outcome {
            ImportOutcome::Imported(b) => {
                if verbose {
                    print(format!(
                        "{}: imported as #{} ({}): {} rows read, {} stored, {} revised, {} unchanged{}",
                        path.display(),
                        b.id,
                        b.format,
                        de_int(b.rows_read),
                        de_int(b.rows_stored),
                        de_int(b.rows_revised),
                        de_int(b.rows_unchanged),
                        if b.rows_skipped > 0 {
                            format!(", {} bad rows skipped", de_int(b.rows_skipped))
                        } else {
                            String::new()
                        }
                    ));
                    for d in &b.diagnostics {
                        print(format!("  {d}"));
                    }
                }
            }
            ImportOutcome::Previewed(b) => print(format!(
                "{}: would import ({}): {} rows read, {} new or changed, {} revised, {} unchanged, {} bad rows; nothing was stored (--dry-run)",
                path.display(),
                b.format,
                de_int(b.rows_read),
                de_int(b.rows_stored),
                de_int(b.rows_revised),
                de_int(b.rows_unchanged),
                de_int(b.rows_skipped)
            )),
            ImportOutcome::AlreadyImported(b) => {
                if verbose {
                    print(format!(
                        "{}: identical to import #{} ({}); nothing to do",
                        path.display(),
                        b.id,
                        b.file_name
                    ));
                }
            }
            ImportOutcome::Rejected(diags) => {
                all_ok = false;
                let errors = diags
                    .iter()
                    .filter(|d| d.severity == Severity::Error)
                    .count();
                eprintln!(
                    "{}: rejected, {errors} errors; nothing was imported from this file",
                    path.display()
                );
                for d in diags.iter().take(50) {
                    eprintln!("  {d}");
                }
                if diags.len() > 50 {
                    eprintln!("  … and {} more", diags.len() - 50);
                }
                // --skip-bad-rows cannot help when an error concerns the whole file (line 0).
                if !diags
                    .iter()
                    .any(|d| d.severity == Severity::Error && d.line == 0)
                {
                    eprintln!("  hint: fix the file, or import its good rows with --skip-bad-rows");
                } else {
                    eprintln!(
                        "  hint: fix the file; an error about the whole file cannot be skipped"
                    );
                }
            }
        }
        if let Some(b) = &bar {
            b.inc(1);
        }
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    Ok(all_ok)
}

fn show_region(store: &Database, key: &str, at: Option<Period>) -> Result<ExitCode> {
    let r = store
        .region(key)?
        .with_context(|| format!("no region with key `{key}`"))?;
    println!(
        "{} {} ({}{})",
        r.key,
        r.name,
        r.level.label_de(),
        r.kind
            .as_ref()
            .map(|k| format!(", {k}"))
            .unwrap_or_default()
    );
    if let Some(p) = &r.parent {
        let pn = store.region(p)?.map(|x| x.name).unwrap_or_default();
        println!("  liegt in: {p} {pn}");
    }
    if let Some(v) = &r.verband {
        let vn = store.region(v)?.map(|x| x.name).unwrap_or_default();
        println!("  Gemeindeverband: {v} {vn}");
    }
    if let Some(a) = r.area_km2 {
        println!(
            "  Fläche: {} km²",
            sozialmonitor_core::format::german_number(a, 2)
        );
    }
    if let Some(p) = r.population {
        println!("  Bevölkerung: {}", de_int(p));
    }
    if let Some(p) = &r.postcode {
        println!("  PLZ: {p}");
    }
    match (&r.valid_from, &r.valid_to) {
        (Some(f), Some(t)) => println!(
            "  in den Verzeichnissen vom {} bis {} (danach aufgelöst)",
            iso_de(f),
            iso_de(t)
        ),
        (Some(f), None) => println!("  in den Verzeichnissen seit {}", iso_de(f)),
        _ => {}
    }
    for c in store.changes(&r.key)? {
        let (other, text) = if c.from_key == r.key {
            (&c.to_key, "aufgegangen in")
        } else {
            (&c.from_key, "Vorgänger")
        };
        let on = store.region(other)?.map(|x| x.name).unwrap_or_default();
        println!(
            "  {text}: {other} {on} (zwischen {} und {}{})",
            iso_de(&c.last_seen),
            iso_de(&c.first_gone),
            if c.confirmed {
                ""
            } else {
                ", Zuordnung geschätzt"
            }
        );
    }
    let children = store.children(&r.key, at)?;
    if !children.is_empty() {
        let mut by_level: std::collections::BTreeMap<_, Vec<_>> = std::collections::BTreeMap::new();
        for c in children {
            by_level.entry(c.level).or_default().push(c);
        }
        for (level, cs) in by_level {
            println!(
                "  {} {}{}:",
                cs.len(),
                level.label_de(),
                at.map(|p| format!(" am {}", p.german()))
                    .unwrap_or_default()
            );
            for c in cs {
                println!(
                    "    {} {}{}",
                    c.key,
                    c.name,
                    c.valid_to
                        .map(|t| format!(" (bis {})", iso_de(&t)))
                        .unwrap_or_default()
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `2023-11-30` → `30.11.2023`.
fn iso_de(s: &str) -> String {
    Period::parse(s)
        .map(|p| p.german())
        .unwrap_or_else(|_| s.to_string())
}

/// German integer with thousands separators.
pub(crate) fn de_int(n: i64) -> String {
    sozialmonitor_core::format::german_number(n as f64, 0)
}

fn parse_territory(s: &str) -> std::result::Result<Territory, String> {
    Territory::parse(s).ok_or_else(|| format!("unknown territory {s:?}; use today or published"))
}
