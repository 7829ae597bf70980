//! The HTML pages: start, indicator, municipal profile, compare, catalogue, search, imprint.

use std::fmt::Write;

use sozialmonitor_core::RegionLevel;
use sozialmonitor_core::catalog::Polarity;
use sozialmonitor_core::classify::Method;
use sozialmonitor_core::format::german_number;
use sozialmonitor_site::facts::{
    KEY_FIGURES, TREND_YEARS, age_chart, age_groups, comparison_year, default_year, developments,
    direction, indicator_map, kreis_and_land, location_map, map_regions, series_lines,
    series_regions, trend_text, unit_in_brackets, unit_suffix, with_unit,
};
use sozialmonitor_site::{
    BREAK_MARK, BREAK_WORDS, INCOMPLETE_MARK, INCOMPLETE_MEANING, Indicator, Pub, SOURCE_CHANGE,
    Site,
};
use sozialmonitor_viz::chart::{Bar, bars, lines};
use sozialmonitor_viz::esc;

use crate::html::{german_date, options, page, qv};
use crate::query::{MAX_BREAKS, MAX_CLASSES, Params, too_many_breaks};

/// The `*` after a number that is an incomplete sum, with its meaning as a tooltip and for screen
/// readers, marked up like the symbols.
fn incomplete_html() -> String {
    format!(
        r#"<span class="sym" title="{}">{INCOMPLETE_MARK}<span class="skip"> (unvollständig)</span></span>"#,
        esc(INCOMPLETE_MEANING)
    )
}

/// [`incomplete_html`] for an incomplete value, else nothing.
fn mark_if(incomplete: bool) -> String {
    if incomplete {
        incomplete_html()
    } else {
        String::new()
    }
}

/// [`mark_if`] for the value of `r` in `y`.
fn mark_html(ind: &Indicator, r: usize, y: u16) -> String {
    mark_if(ind.incomplete(r, y))
}

/// Where a value comes from, beside it, when it is not our own computation from the raw counts
/// (`Quelle: INKAR 2024, BBSR Bonn`); nothing for our own.
fn source_html(ind: &Indicator, r: usize, y: u16) -> String {
    ind.source_of(r, y)
        .map(|s| format!(r#"<div class="src">Quelle: {}</div>"#, esc(s)))
        .unwrap_or_default()
}

/// A value cell: the number (with [`mark_html`]), or the symbol with its meaning for screen
/// readers and a tooltip.
fn value_html(ind: &Indicator, r: usize, y: u16) -> String {
    break_html(ind, r, y) + &plain_value_html(ind, r, y)
}

/// [`BREAK_MARK`] before the first value after a series break, with the break as a tooltip and
/// for screen readers; nothing for any other value.
fn break_html(ind: &Indicator, r: usize, y: u16) -> String {
    ind.break_at(r, y)
        .map(|b| {
            format!(
                r#"<span class="sym brk" title="{BREAK_WORDS} {}: {}">{BREAK_MARK}<span class="skip"> ({BREAK_WORDS}: {}) </span></span> "#,
                b.year,
                esc(&b.title),
                esc(&b.title)
            )
        })
        .unwrap_or_default()
}

/// [`value_html`] without the break mark.
fn plain_value_html(ind: &Indicator, r: usize, y: u16) -> String {
    match ind.get(r, y) {
        Some(Pub::Secret) => {
            r#"<span class="sym" title="gesperrt: kleine Fallzahl (Geheimhaltung)">.<span class="skip"> (gesperrt)</span></span>"#.to_string()
        }
        // `-` (exactly zero) may be an incomplete sum too, so it can carry the mark.
        Some(Pub::Sym(s)) => format!(
            r#"<span class="sym" title="{m}">{}<span class="skip"> ({m})</span></span>{}"#,
            esc(s.as_str()),
            mark_html(ind, r, y),
            m = esc(s.meaning_de())
        ),
        _ => esc(&ind.text(r, y)) + &mark_html(ind, r, y),
    }
}

fn region_name(site: &Site, r: usize) -> String {
    site.regions[r].name.clone()
}

fn region_link(site: &Site, r: usize) -> String {
    format!(
        r#"<a href="/gemeinde/{}">{}</a>"#,
        esc(&site.regions[r].key),
        esc(&site.regions[r].name)
    )
}

/// Start page: the district at a glance.
pub fn start(site: &Site) -> String {
    let home = site.home;
    let mut b = String::new();
    let _ = write!(
        b,
        r#"<h1>{} auf einen Blick</h1><p class="lead">Sozialmonitor zeigt Kennzahlen zur sozialen Lage für alle Gemeinden, Kreise und Länder – als Karte, Diagramm und Tabelle. Wählen Sie ein Thema, einen Indikator oder eine Gemeinde.</p>"#,
        esc(&region_name(site, home))
    );
    b.push_str(&key_cards(site, home));
    b.push_str("<h2>Themen</h2><ul class=\"cards\">");
    let mut fields: Vec<&str> = site
        .indicators
        .iter()
        .map(|i| i.entry.action_field.as_str())
        .filter(|f| !f.is_empty())
        .collect();
    fields.sort();
    fields.dedup();
    for f in fields {
        let n = site
            .indicators
            .iter()
            .filter(|i| i.entry.action_field == f)
            .count();
        let _ = write!(
            b,
            r#"<li class="card"><a href="/katalog?feld={}">{}</a><br><span class="muted">{n} Indikatoren</span></li>"#,
            qv(f),
            esc(f)
        );
    }
    b.push_str("</ul>");
    if let Some(ind) = site.indicator("anteil_65_plus")
        && let Some(y) = default_year(ind, home)
    {
        b.push_str("<h2>Karte: Anteil der Einwohner:innen ab 65 Jahren</h2>");
        let set = map_regions(site, ind, home, y);
        let (svg, table) = map_and_table(site, ind, &set, home, y, &Method::Quantiles, 5, None);
        let _ = write!(
            b,
            r#"<div class="grid2"><figure>{svg}</figure><div><p>Je dunkler, desto höher der Anteil; schraffiert: kein Wert. Alle Werte stehen in der Tabelle; <a href="/indikator/anteil_65_plus?gebiet={}">zur Indikatorseite</a>.</p><details><summary>Tabelle zur Karte</summary>{table}</details></div></div>"#,
            esc(&site.regions[home].key)
        );
    }
    b.push_str("<h2>Zuletzt aktualisiert</h2><ul class=\"plain\">");
    for (f, d) in &site.imports {
        let _ = write!(b, "<li>{} – {}</li>", esc(f), esc(&german_date(d)));
    }
    b.push_str("</ul>");
    page(
        &format!("{} auf einen Blick", region_name(site, home)),
        &b,
        &site.data_date,
    )
}

/// Key figure cards of a region: value, direction over five years, comparison with the Land.
fn key_cards(site: &Site, r: usize) -> String {
    let (_, land) = kreis_and_land(site, r);
    let mut b = String::from(r#"<h2>Kennzahlen</h2><ul class="cards">"#);
    for key in KEY_FIGURES {
        let Some(ind) = site.indicator(key) else {
            continue;
        };
        let Some(y) = default_year(ind, r) else {
            continue;
        };
        let mut cmp = String::new();
        if let (Some(now), Some(then)) = (ind.num(r, y), ind.num(r, y - TREND_YEARS)) {
            let (arrow, word) = direction(now, then);
            let _ = write!(
                cmp,
                "<br>{arrow} seit {}: {word} (von {}{}{})",
                y - TREND_YEARS,
                esc(&with_unit(ind, then)),
                mark_html(ind, r, y - TREND_YEARS),
                if ind.sources_differ(r, y, y - TREND_YEARS) {
                    format!("; {SOURCE_CHANGE}")
                } else {
                    String::new()
                }
            );
        }
        if let Some(l) = land
            && ind.get(l, y).is_some()
        {
            let _ = write!(
                cmp,
                "<br>{}: {}",
                esc(&region_name(site, l)),
                value_html(ind, l, y)
            );
        }
        let _ = write!(
            b,
            r#"<li class="card"><a href="/indikator/{}?gebiet={}">{}</a> ({y})<div class="value">{}<span class="unit">{}</span></div>{}<div class="cmp">{cmp}</div></li>"#,
            esc(key),
            esc(&site.regions[r].key),
            esc(&ind.entry.short_name),
            value_html(ind, r, y),
            esc(&unit_suffix(ind)),
            source_html(ind, r, y)
        );
    }
    b.push_str("</ul>");
    b
}

/// The choropleth of an indicator over `set` (from [`map_regions`]) and the table with the same
/// numbers.
#[allow(clippy::too_many_arguments)]
pub fn map_and_table(
    site: &Site,
    ind: &Indicator,
    set: &[usize],
    selected: usize,
    year: u16,
    method: &Method,
    k: usize,
    base_query: Option<&str>,
) -> (String, String) {
    let href = |r: usize| {
        Some(match base_query {
            Some(q) => format!(
                "/indikator/{}?{q}&gebiet={}",
                ind.entry.key, site.regions[r].key
            ),
            None => format!("/gemeinde/{}", site.regions[r].key),
        })
    };
    let (svg, classes) = indicator_map(site, ind, set, selected, year, method, k, &href, 640.0);
    let mut rows: Vec<(usize, Option<f64>)> = set.iter().map(|&r| (r, ind.num(r, year))).collect();
    rows.sort_by(|a, b| {
        b.1.unwrap_or(f64::MIN)
            .total_cmp(&a.1.unwrap_or(f64::MIN))
            .then(site.regions[a.0].name.cmp(&site.regions[b.0].name))
    });
    let mut t = format!(
        r#"<div class="table-wrap"><table><caption>{} {year}</caption><thead><tr><th scope="col">Rang</th><th scope="col">Gebiet</th><th scope="col" class="num">Wert{}</th><th scope="col">Klasse</th></tr></thead><tbody>"#,
        esc(&ind.entry.name),
        esc(&unit_suffix(ind))
    );
    for (n, (r, v)) in rows.iter().enumerate() {
        let class = v
            .filter(|_| !classes.is_empty())
            .map(|v| (classes.class_of(v) + 1).to_string())
            .unwrap_or_else(|| "–".into());
        let rank = if v.is_some() {
            (n + 1).to_string()
        } else {
            "–".into()
        };
        let _ = write!(
            t,
            r#"<tr><td>{rank}</td><th scope="row">{}</th><td class="num">{}</td><td>{class}</td></tr>"#,
            region_link(site, *r),
            value_html(ind, *r, year)
        );
    }
    t.push_str("</tbody></table></div>");
    (svg, t)
}

/// The parameters of an indicator view.
pub struct View {
    /// Selected region.
    pub region: usize,
    /// Year.
    pub year: u16,
    /// Class method.
    pub method: Method,
    /// Method as in the URL.
    pub method_code: String,
    /// Number of classes.
    pub classes: usize,
}

impl View {
    /// Reads `gebiet`, `jahr`, `methode`, `klassen`; defaults: the home district, the latest
    /// year with a number, quantiles, 5 classes. At most [`MAX_CLASSES`] classes and
    /// [`MAX_BREAKS`] manual breaks: the page grows with each, and no map needs more.
    pub fn parse(site: &Site, ind: &Indicator, q: &Params) -> Result<View, String> {
        let region = match q.get("gebiet") {
            Some(k) => site
                .region(k)
                .ok_or_else(|| format!("Gebiet {k} ist unbekannt"))?,
            None => site.home,
        };
        let region = site.successor.get(&region).copied().unwrap_or(region);
        let year = match q.get("jahr") {
            Some(y) => y
                .parse::<u16>()
                .map_err(|_| format!("Jahr {y} ist keine Jahreszahl"))?,
            None => default_year(ind, region).ok_or("Für diesen Indikator gibt es keine Werte")?,
        };
        let method_code = q.get("methode").unwrap_or("quantile").to_string();
        if too_many_breaks(&method_code) {
            return Err(format!(
                "Klassenbildung: höchstens {MAX_BREAKS} Klassengrenzen"
            ));
        }
        let method = Method::parse(&method_code).map_err(|e| format!("Klassenbildung: {e}"))?;
        let classes = match q.get("klassen") {
            Some(k) => k
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|k| (2..=MAX_CLASSES).contains(k))
                .ok_or_else(|| format!("Klassen: eine Zahl von 2 bis {MAX_CLASSES}"))?,
            None => 5,
        };
        Ok(View {
            region,
            year,
            method,
            method_code,
            classes,
        })
    }

    /// The query string of this view.
    pub fn query(&self, site: &Site) -> String {
        format!(
            "gebiet={}&jahr={}&methode={}&klassen={}",
            qv(&site.regions[self.region].key),
            self.year,
            qv(&self.method_code),
            self.classes
        )
    }
}

/// The indicator page.
pub fn indicator(site: &Site, ind: &Indicator, v: &View) -> String {
    let e = &ind.entry;
    let r = v.region;
    let query = v.query(site);
    let mut b = String::new();
    let _ = write!(
        b,
        r#"<p class="muted"><a href="/katalog?feld={}">{}</a></p><h1>{}</h1><p class="lead">{}</p>"#,
        qv(&e.action_field),
        esc(&e.action_field),
        esc(&e.name),
        esc(&e.definition)
    );
    if !e.public {
        b.push_str(r#"<p class="note">Dieser Indikator ist nur für den internen Gebrauch bestimmt; öffentlich werden keine Werte gezeigt.</p>"#);
    }
    // Controls: every choice is in the URL, so each view can be bookmarked and shared.
    let years: Vec<(String, String)> = ind
        .years
        .iter()
        .rev()
        .map(|y| (y.to_string(), y.to_string()))
        .collect();
    let mut regions: Vec<(String, String)> = Vec::new();
    let set = map_regions(site, ind, r, v.year);
    let (k, l) = kreis_and_land(site, r);
    for x in [l, k].into_iter().flatten().chain(set.iter().copied()) {
        let item = (site.regions[x].key.clone(), site.regions[x].name.clone());
        if !regions.contains(&item) {
            regions.push(item);
        }
    }
    if !regions.iter().any(|(key, _)| *key == site.regions[r].key) {
        regions.insert(
            0,
            (site.regions[r].key.clone(), site.regions[r].name.clone()),
        );
    }
    let methods = [
        ("quantile", "Quantile (gleich viele Gebiete je Klasse)"),
        ("equal", "Gleiche Intervalle"),
        ("jenks", "Natürliche Brüche (Jenks)"),
    ]
    .map(|(a, b)| (a.to_string(), b.to_string()));
    let ks: Vec<(String, String)> = (3..=7).map(|k| (k.to_string(), k.to_string())).collect();
    let _ = write!(
        b,
        r#"<form class="controls" method="get" action="/indikator/{key}" aria-label="Ansicht wählen">
<label>Gebiet<select name="gebiet">{}</select></label>
<label>Jahr<select name="jahr">{}</select></label>
<label>Klassenbildung<select name="methode">{}</select></label>
<label>Klassen<select name="klassen">{}</select></label>
<button type="submit">Anzeigen</button></form>"#,
        options(&regions, &site.regions[r].key),
        options(&years, &v.year.to_string()),
        options(&methods, &v.method_code),
        options(&ks, &v.classes.to_string()),
        key = esc(&e.key)
    );
    let _ = write!(
        b,
        r#"<p><strong>{}, {}:</strong> {}{}</p>"#,
        esc(&site.regions[r].name),
        v.year,
        value_html(ind, r, v.year),
        if ind.num(r, v.year).is_some() {
            esc(&unit_suffix(ind))
        } else {
            String::new()
        }
    );
    let (svg, table) = map_and_table(
        site,
        ind,
        &set,
        r,
        v.year,
        &v.method,
        v.classes,
        Some(&format!(
            "jahr={}&methode={}&klassen={}",
            v.year,
            qv(&v.method_code),
            v.classes
        )),
    );
    let bars_svg = ranking(site, ind, &set, r, v.year);
    let series_at = series_regions(site, ind, r);
    let lines_v = series_lines(site, ind, &series_at);
    let ts = lines(
        &lines_v,
        &format!("{}: Zeitreihe", e.short_name),
        &format!(
            "Entwicklung von {} im Vergleich mit Kreis und Land; die Werte stehen in der Tabelle.",
            site.regions[r].name
        ),
        ind.decimals,
        640.0,
    );
    let _ = write!(
        b,
        r#"<h2>Karte</h2><div class="grid2"><figure><figcaption>{} {}</figcaption>{svg}</figure><figure><figcaption>Rangfolge {}</figcaption>{bars_svg}</figure></div>"#,
        esc(&e.short_name),
        v.year,
        v.year
    );
    let _ = write!(
        b,
        r#"<h2>Zeitreihe</h2><figure><figcaption>{} – {}</figcaption>{ts}</figure>"#,
        esc(&e.short_name),
        esc(&site.regions[r].name)
    );
    b.push_str(&series_table(site, ind, &series_at));
    let _ = write!(b, "<h2>Tabelle</h2>{table}");
    let _ = write!(
        b,
        r#"<h2>Herunterladen</h2><ul class="plain downloads">
<li><a href="/indikator/{k}/daten.csv?{query}" download>Tabelle als CSV</a> (Trennzeichen Semikolon, Dezimalkomma)</li>
<li><a href="/indikator/{k}/daten.xlsx?{query}" download>Tabelle als Excel-Datei (XLSX)</a></li>
<li><a href="/indikator/{k}/karte.svg?{query}" download>Karte als SVG</a></li>
<li><a href="/indikator/{k}/zeitreihe.svg?{query}" download>Zeitreihe als SVG</a></li>
<li><a href="/api/v1/values?indicator={k}&amp;year={}">Werte über die API (JSON)</a></li></ul>"#,
        v.year,
        k = esc(&e.key),
        query = esc(&query)
    );
    b.push_str(&metadata(site, ind));
    page(&e.name, &b, &site.data_date)
}

/// The ranking bar chart of the map's regions.
pub fn ranking(site: &Site, ind: &Indicator, set: &[usize], r: usize, year: u16) -> String {
    let mut items: Vec<Bar> = set
        .iter()
        .map(|&x| Bar {
            label: site.regions[x].name.clone(),
            value: ind.num(x, year),
            text: ind.text_marked(x, year),
            highlight: x == r,
        })
        .collect();
    let note = if set.iter().any(|&x| ind.incomplete(x, year)) {
        format!("; {INCOMPLETE_MARK}: Summe unvollständig")
    } else {
        String::new()
    };
    items.sort_by(|a, b| {
        b.value
            .unwrap_or(f64::MIN)
            .total_cmp(&a.value.unwrap_or(f64::MIN))
    });
    bars(
        &items,
        &format!("{}: Rangfolge {year}", ind.entry.short_name),
        &format!(
            "Balken je Gebiet, nach Wert geordnet; gesperrte oder fehlende Werte ohne Balken{note}."
        ),
        560.0,
    )
}

/// The table beside a time series chart: one column per region of [`series_regions`], with the
/// same symbols and marks as every other table (a suppressed value is `.`, not a gap).
fn series_table(site: &Site, ind: &Indicator, regions: &[usize]) -> String {
    let mut t = String::from(
        r#"<details><summary>Tabelle zur Zeitreihe</summary><div class="table-wrap"><table><caption>Zeitreihe</caption><thead><tr><th scope="col">Jahr</th>"#,
    );
    for &x in regions {
        let _ = write!(
            t,
            r#"<th scope="col" class="num">{}</th>"#,
            esc(&site.regions[x].name)
        );
    }
    t.push_str("</tr></thead><tbody>");
    for &y in ind.years.iter().rev() {
        let _ = write!(t, r#"<tr><th scope="row">{y}</th>"#);
        for &x in regions {
            let _ = write!(t, r#"<td class="num">{}</td>"#, value_html(ind, x, y));
        }
        t.push_str("</tr>");
    }
    t.push_str("</tbody></table></div>");
    t.push_str(&breaks_note(ind, regions));
    t.push_str("</details>");
    t
}

/// Below a table: what each series break marked in it means, nothing where none is marked.
fn breaks_note(ind: &Indicator, regions: &[usize]) -> String {
    let mut shown: Vec<&sozialmonitor_core::catalog::SeriesBreak> = regions
        .iter()
        .flat_map(|&x| ind.years.iter().filter_map(move |&y| ind.break_at(x, y)))
        .collect();
    shown.sort_by_key(|b| (b.year, b.key.as_str()));
    shown.dedup_by_key(|b| b.key.as_str());
    if shown.is_empty() {
        return String::new();
    }
    let mut o = String::from(r#"<ul class="plain notes">"#);
    for b in shown {
        let _ = write!(
            o,
            "<li>{BREAK_MARK} {BREAK_WORDS} {} ({}): {}</li>",
            b.year,
            esc(&b.title),
            esc(&b.explanation)
        );
    }
    o.push_str("</ul>");
    o
}

fn metadata(site: &Site, ind: &Indicator) -> String {
    let e = &ind.entry;
    let polarity = match e.polarity {
        Polarity::HigherIsBetter => "höher ist besser",
        Polarity::HigherIsWorse => "höher ist ungünstiger",
        Polarity::Neutral => "neutral",
    };
    let conf = match e.confidentiality.trim() {
        "none" => "keine Sperrung (keine Personenzahlen)".to_string(),
        "" => "Werte 1 und 2 werden gesperrt, dazu Werte, aus denen sie sich errechnen ließen"
            .to_string(),
        c => format!(
            "Fallzahlen unter {} werden gesperrt, dazu Werte, aus denen sie sich errechnen ließen",
            c.trim_start_matches("min_count=")
        ),
    };
    let first = ind.years.first().map(|y| y.to_string()).unwrap_or_default();
    let last = ind.years.last().map(|y| y.to_string()).unwrap_or_default();
    format!(
        r#"<h2>Über diesen Indikator</h2><dl class="meta">
<dt>Definition</dt><dd>{}</dd>
<dt>Berechnung</dt><dd><code>{}</code></dd>
<dt>Einheit</dt><dd>{}</dd>
<dt>Bezugsgröße</dt><dd>{}</dd>
<dt>Bewertung</dt><dd>{polarity}</dd>
<dt>Zielgruppen</dt><dd>{}</dd>
<dt>Quelle</dt><dd>{}</dd>
<dt>Zeitraum</dt><dd>{first}–{last}, {}</dd>
<dt>Raumebenen</dt><dd>{}</dd>
<dt>Zuständig</dt><dd>{}</dd>
<dt>Geheimhaltung</dt><dd>{conf}. Ein gesperrter Wert erscheint als „.“.</dd>
<dt>Unvollständige Summen</dt><dd>Ein Wert mit „*“ ist eine Summe über Teilgebiete, von denen nicht alle Werte haben; er beruht nur auf den übrigen.</dd>
<dt>Zeitreihenbrüche</dt><dd>{}</dd>
<dt>Datenstand</dt><dd>{}</dd>
</dl>"#,
        esc(&e.definition),
        esc(&e.formula),
        esc(&e.unit),
        esc(&e.reference_population),
        esc(&e.target_groups.join(", ")),
        esc(&e.source),
        esc(&e.update_rhythm),
        esc(&e.spatial_levels.join(", ")),
        esc(&e.owner),
        breaks_list(site, ind),
        esc(&german_date(&site.data_date))
    )
}

/// Every break of an indicator's series with its year, scope and explanation, for the
/// indicator's metadata.
fn breaks_list(site: &Site, ind: &Indicator) -> String {
    if ind.breaks.is_empty() {
        return "keine bekannt".into();
    }
    let mut o = String::from(r#"<ul class="plain">"#);
    for b in &ind.breaks {
        let b = &b.brk;
        let date = if b.date.is_empty() {
            String::new()
        } else {
            format!(", {}", esc(&b.date))
        };
        let _ = write!(
            o,
            "<li><strong>{} ({}{date})</strong>: {} Erster Wert auf neuer Grundlage: {}; in Tabellen mit „{BREAK_MARK}“ markiert.</li>",
            esc(&b.title),
            esc(&scope_words(site, b)),
            esc(&b.explanation),
            b.year
        );
    }
    o.push_str("</ul>");
    o
}

/// Where a break applies, in words („alle Gebiete“, „Ebene Kreis in Sachsen“); a key prefix
/// that is a region is named, another is shown as a key.
fn scope_words(site: &Site, b: &sozialmonitor_core::catalog::SeriesBreak) -> String {
    let levels: Vec<&str> = (b.levels.iter())
        .filter_map(|l| RegionLevel::from_code(l))
        .map(|l| l.label_de())
        .collect();
    let places: Vec<String> = (b.regions.iter())
        .map(|p| match site.region(p) {
            Some(x) => site.regions[x].name.clone(),
            None => format!("Schlüssel {p}…"),
        })
        .collect();
    match (levels.is_empty(), places.is_empty()) {
        (true, true) => "alle Gebiete".into(),
        (false, true) => format!("Ebene {}", levels.join(", ")),
        (true, false) => places.join(", "),
        (false, false) => format!("Ebene {} in {}", levels.join(", "), places.join(", ")),
    }
}

/// The municipal profile (also for a Kreis or a Land).
pub fn profile(site: &Site, r: usize, merged_from: Option<usize>) -> String {
    let reg = &site.regions[r];
    let (k, l) = kreis_and_land(site, r);
    let mut b = String::new();
    let within = [k, l]
        .into_iter()
        .flatten()
        .map(|x| region_link(site, x))
        .collect::<Vec<_>>()
        .join(", ");
    let _ = write!(
        b,
        r#"<h1>{}</h1><p class="lead">{} {}{}</p>"#,
        esc(&reg.name),
        esc(reg.level.label_de()),
        esc(&reg.key),
        if within.is_empty() {
            String::new()
        } else {
            format!(" · liegt in {within}")
        }
    );
    let _ = write!(
        b,
        r#"<p class="downloads"><a href="/gemeinde/{}/profil.pdf" download>{} als PDF herunterladen</a> (getaggtes PDF nach PDF/UA-1, 2–4 Seiten, Datenstand {})</p>"#,
        esc(&reg.key),
        if reg.level == RegionLevel::Gemeinde {
            "Gemeindeprofil"
        } else {
            "Gebietsprofil"
        },
        esc(&german_date(&site.data_date))
    );
    if let Some(old) = merged_from {
        let _ = write!(
            b,
            r#"<p class="note">{} ({}) gibt es nicht mehr; die Gemeinde gehört heute zu {}. Die Zahlen unten gelten für das heutige Gebiet.</p>"#,
            esc(&site.regions[old].name),
            esc(&site.regions[old].key),
            esc(&reg.name)
        );
    }
    if !reg.current && merged_from.is_none() {
        b.push_str(r#"<p class="note">Diese Gemeinde besteht nicht mehr (Gebietsänderung); gezeigt werden die Zahlen aus der Zeit, in der sie bestand.</p>"#);
    }
    let text = developments(site, r);
    if !text.is_empty() {
        b.push_str("<h2>Auffällige Entwicklungen</h2><ul class=\"plain\">");
        for s in &text {
            let _ = write!(b, "<li>{}</li>", esc(s));
        }
        b.push_str("</ul>");
    }
    b.push_str(&crate::analysis::profile_section(site, r));
    b.push_str(&crate::planning::profile_section(site, r));
    b.push_str(&crate::wegweiser::profile_section(site, r));
    // Key figures against Kreis and Land.
    let cols: Vec<usize> = [Some(r), k, l].into_iter().flatten().collect();
    let mut t = String::from(
        r#"<h2>Kennzahlen im Vergleich</h2><div class="table-wrap"><table><caption>Kennzahlen, jeweils letztes verfügbares Jahr</caption><thead><tr><th scope="col">Indikator</th><th scope="col">Jahr</th>"#,
    );
    for &c in &cols {
        let _ = write!(
            t,
            r#"<th scope="col" class="num">{}</th>"#,
            esc(&site.regions[c].name)
        );
    }
    let _ = write!(
        t,
        r#"<th scope="col">Entwicklung seit {} Jahren</th></tr></thead><tbody>"#,
        TREND_YEARS
    );
    for key in KEY_FIGURES {
        let Some(ind) = site.indicator(key) else {
            continue;
        };
        let Some(y) = comparison_year(ind, &cols) else {
            continue;
        };
        let _ = write!(
            t,
            r#"<tr><th scope="row"><a href="/indikator/{}?gebiet={}">{}</a>{}</th><td>{y}{}</td>"#,
            esc(key),
            esc(&reg.key),
            esc(&ind.entry.short_name),
            esc(&unit_in_brackets(ind)),
            source_html(ind, r, y)
        );
        for &c in &cols {
            let _ = write!(t, r#"<td class="num">{}</td>"#, value_html(ind, c, y));
        }
        let _ = write!(t, "<td>{}</td></tr>", esc(&trend_text(ind, r, y)));
    }
    t.push_str("</tbody></table></div>");
    b.push_str(&t);
    // Small multiples of the main trends.
    b.push_str("<h2>Entwicklung</h2><div class=\"grid2\">");
    for key in [
        "bevoelkerung",
        "anteil_65_plus",
        "arbeitslose_je_1000",
        "wanderungssaldo_je_1000",
    ] {
        let Some(ind) = site.indicator(key) else {
            continue;
        };
        let series_at = series_regions(site, ind, r);
        let ls = series_lines(site, ind, &series_at);
        if ls.is_empty() {
            continue;
        }
        let svg = lines(
            &ls,
            &ind.entry.short_name,
            &format!(
                "Zeitreihe {} für {} mit Kreis und Land.",
                ind.entry.short_name, reg.name
            ),
            ind.decimals,
            460.0,
        );
        let _ = write!(
            b,
            r#"<figure><figcaption><a href="/indikator/{}?gebiet={}">{}</a></figcaption>{svg}{}</figure>"#,
            esc(key),
            esc(&reg.key),
            esc(&ind.entry.short_name),
            series_table(site, ind, &series_at)
        );
    }
    b.push_str("</div>");
    b.push_str(&age_section(site, r));
    // Place on the district map.
    let href = |g: usize| Some(format!("/gemeinde/{}", site.regions[g].key));
    if let Some(svg) = location_map(site, r, &href, 480.0) {
        let _ = write!(b, "<h2>Lage</h2><figure>{svg}</figure>");
    }
    if reg.level != RegionLevel::Gemeinde {
        let m = site.municipalities(r);
        if !m.is_empty() {
            b.push_str("<h2>Gemeinden</h2><ul class=\"plain\">");
            for g in m {
                let _ = write!(b, "<li>{}</li>", region_link(site, g));
            }
            b.push_str("</ul>");
        }
    }
    b.push_str("<h2>Alle Indikatoren für dieses Gebiet</h2><ul class=\"plain\">");
    for ind in &site.indicators {
        if ind.years.iter().any(|&y| ind.get(r, y).is_some())
            && !ind.entry.key.starts_with("inkar_")
        {
            let _ = write!(
                b,
                r#"<li><a href="/indikator/{}?gebiet={}">{}</a></li>"#,
                esc(&ind.entry.key),
                esc(&reg.key),
                esc(&ind.entry.name)
            );
        }
    }
    b.push_str("</ul>");
    page(&reg.name, &b, &site.data_date)
}

/// Age structure as a chart and a table.
fn age_section(site: &Site, r: usize) -> String {
    let Some((y, groups)) = age_groups(site, r) else {
        return String::new();
    };
    let svg = age_chart(site, r, y, &groups, 520.0);
    let mut t = format!(
        r#"<div class="table-wrap"><table><caption>Altersgruppen {y} (Anteil in %)</caption><tbody>"#
    );
    for g in groups {
        let _ = write!(
            t,
            r#"<tr><th scope="row">{}</th><td class="num">{}{}</td></tr>"#,
            g.label,
            german_number(g.share, 1),
            mark_if(g.incomplete)
        );
    }
    t.push_str("</tbody></table></div>");
    format!(r#"<h2>Altersstruktur</h2><div class="grid2"><figure>{svg}</figure>{t}</div>"#)
}

/// The catalogue, filterable by action field, target group and text.
pub fn catalogue(site: &Site, feld: &str, gruppe: &str, text: &str) -> String {
    let mut fields: Vec<String> = site
        .indicators
        .iter()
        .map(|i| i.entry.action_field.clone())
        .chain(site.gaps.iter().map(|g| g.action_field.clone()))
        .filter(|f| !f.is_empty())
        .collect();
    fields.sort();
    fields.dedup();
    let mut groups: Vec<String> = site
        .indicators
        .iter()
        .flat_map(|i| i.entry.target_groups.clone())
        .collect();
    groups.sort();
    groups.dedup();
    let mut fo = vec![(String::new(), "alle".to_string())];
    fo.extend(fields.iter().map(|f| (f.clone(), f.clone())));
    let mut go = vec![(String::new(), "alle".to_string())];
    go.extend(groups.iter().map(|g| (g.clone(), g.clone())));
    let mut b = String::from(
        "<h1>Indikatoren</h1><p class=\"lead\">Alle Kennzahlen mit Definition, Quelle und Zuständigkeit – und die Daten, die noch fehlen.</p>",
    );
    let _ = write!(
        b,
        r#"<form class="controls" method="get" action="/katalog" aria-label="Katalog filtern">
<label>Handlungsfeld<select name="feld">{}</select></label>
<label>Zielgruppe<select name="gruppe">{}</select></label>
<label>Suchbegriff<input name="q" type="search" value="{}"></label>
<button type="submit">Filtern</button></form>"#,
        options(&fo, feld),
        options(&go, gruppe),
        esc(text)
    );
    let t = text.to_lowercase();
    let shown: Vec<&Indicator> = site
        .indicators
        .iter()
        .filter(|i| feld.is_empty() || i.entry.action_field == feld)
        .filter(|i| gruppe.is_empty() || i.entry.target_groups.iter().any(|g| g == gruppe))
        .filter(|i| {
            t.is_empty()
                || i.entry.name.to_lowercase().contains(&t)
                || i.entry.definition.to_lowercase().contains(&t)
                || i.entry.key.contains(&t)
        })
        .collect();
    let _ = write!(
        b,
        r#"<div class="table-wrap"><table><caption>{} Indikatoren</caption><thead><tr><th scope="col">Indikator</th><th scope="col">Handlungsfeld</th><th scope="col">Zielgruppen</th><th scope="col">Einheit</th><th scope="col">Quelle</th><th scope="col">Jahre</th></tr></thead><tbody>"#,
        shown.len()
    );
    for i in &shown {
        let e = &i.entry;
        let _ = write!(
            b,
            r#"<tr><th scope="row"><a href="/indikator/{}">{}</a></th><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}–{}</td></tr>"#,
            esc(&e.key),
            esc(&e.name),
            esc(&e.action_field),
            esc(&e.target_groups.join(", ")),
            esc(&e.unit),
            esc(&e.source),
            i.years.first().copied().unwrap_or_default(),
            i.years.last().copied().unwrap_or_default()
        );
    }
    b.push_str("</tbody></table></div>");
    b.push_str("<h2 id=\"luecken\">Datenlücken</h2><p>Diese Indikatoren sind geplant oder es fehlen die Daten; so könnten sie erhoben werden:</p>");
    for f in &fields {
        let gaps: Vec<_> = site
            .gaps
            .iter()
            .filter(|g| g.action_field == *f)
            .filter(|g| feld.is_empty() || g.action_field == feld)
            .collect();
        if gaps.is_empty() {
            continue;
        }
        let _ = write!(b, "<h3>{}</h3><ul class=\"plain\">", esc(f));
        for g in gaps {
            let status = match g.status {
                sozialmonitor_core::catalog::IndicatorStatus::Planned => "geplant",
                _ => "fehlt",
            };
            let _ = write!(
                b,
                "<li><strong>{}</strong> ({status}, zuständig: {}): {}</li>",
                esc(&g.name),
                esc(&g.owner),
                esc(&g.how_to_collect)
            );
        }
        b.push_str("</ul>");
    }
    page("Indikatoren", &b, &site.data_date)
}

/// Region search.
pub fn search(site: &Site, q: &str) -> String {
    let hits = site.search(q, 50);
    let mut b = format!(
        r#"<h1>Gebiet suchen</h1><form class="controls" role="search" method="get" action="/suche"><label>Name, Postleitzahl oder Schlüssel<input name="q" type="search" value="{}"></label><button type="submit">Suchen</button></form>"#,
        esc(q)
    );
    if !q.trim().is_empty() {
        let _ = write!(
            b,
            "<h2>{} Treffer für „{}“</h2><ul class=\"plain\">",
            hits.len(),
            esc(q)
        );
        for r in hits {
            let reg = &site.regions[r];
            let note = if reg.current {
                String::new()
            } else {
                site.successor
                    .get(&r)
                    .map(|&s| format!(" – aufgegangen in {}", esc(&site.regions[s].name)))
                    .unwrap_or_else(|| " – nicht mehr bestehend".into())
            };
            let _ = write!(
                b,
                "<li>{} <span class=\"muted\">({} {}{})</span>{note}</li>",
                region_link(site, r),
                esc(reg.level.label_de()),
                esc(&reg.key),
                reg.postcode
                    .as_ref()
                    .map(|p| format!(", PLZ {}", esc(p)))
                    .unwrap_or_default()
            );
        }
        b.push_str("</ul>");
    }
    page("Gebiet suchen", &b, &site.data_date)
}

/// Compare up to five regions on any indicators.
pub fn compare(site: &Site, regions: &[usize], inds: &[&Indicator]) -> String {
    // Regions without indicators (a link from a profile): the key figures, so the page shows a
    // comparison to start from rather than an empty form.
    let figures: Vec<&Indicator>;
    let inds = if inds.is_empty() {
        figures = KEY_FIGURES
            .iter()
            .filter_map(|k| site.indicator(k))
            .take(4)
            .collect();
        figures.as_slice()
    } else {
        inds
    };
    let mut b = String::from(
        "<h1>Gebiete vergleichen</h1><p class=\"lead\">Bis zu fünf Gebiete nebeneinander, jeweils im letzten Jahr mit Werten.</p>",
    );
    let all: Vec<(String, String)> = std::iter::once((String::new(), "—".to_string()))
        .chain(
            site.indicators
                .iter()
                .filter(|i| !i.entry.key.starts_with("inkar_"))
                .map(|i| (i.entry.key.clone(), i.entry.name.clone())),
        )
        .collect();
    b.push_str(
        r#"<form class="controls" method="get" action="/vergleich" aria-label="Vergleich wählen">"#,
    );
    for n in 0..5 {
        let v = regions
            .get(n)
            .map(|&r| site.regions[r].key.clone())
            .unwrap_or_default();
        let _ = write!(
            b,
            r#"<label>Gebiet {} (Name, PLZ oder Schlüssel)<input name="r" value="{}" size="16"></label>"#,
            n + 1,
            esc(&v)
        );
    }
    for n in 0..4 {
        let v = inds.get(n).map(|i| i.entry.key.clone()).unwrap_or_default();
        let _ = write!(
            b,
            r#"<label>Indikator {}<select name="i">{}</select></label>"#,
            n + 1,
            options(&all, &v)
        );
    }
    b.push_str(r#"<button type="submit">Vergleichen</button></form>"#);
    if !regions.is_empty() && !inds.is_empty() {
        b.push_str(r#"<div class="table-wrap"><table><caption>Vergleich</caption><thead><tr><th scope="col">Indikator</th><th scope="col">Jahr</th>"#);
        for &r in regions {
            let _ = write!(
                b,
                r#"<th scope="col" class="num">{}</th>"#,
                region_link(site, r)
            );
        }
        b.push_str("</tr></thead><tbody>");
        for ind in inds {
            let y = regions
                .iter()
                .filter_map(|&r| default_year(ind, r))
                .max()
                .unwrap_or_default();
            let _ = write!(
                b,
                r#"<tr><th scope="row"><a href="/indikator/{}">{}</a></th><td>{y}</td>"#,
                esc(&ind.entry.key),
                esc(&ind.entry.short_name)
            );
            for &r in regions {
                let _ = write!(b, r#"<td class="num">{}</td>"#, value_html(ind, r, y));
            }
            b.push_str("</tr>");
        }
        b.push_str("</tbody></table></div>");
    }
    page("Gebiete vergleichen", &b, &site.data_date)
}

/// Imprint and data sources.
pub fn imprint(site: &Site) -> String {
    let b = r#"<h1>Daten und Impressum</h1>
<h2>Datenquellen</h2>
<ul class="plain">
<li>Statistische Ämter des Bundes und der Länder: Regionaldatenbank Deutschland (regionalstatistik.de), GENESIS-Online (Destatis), Gemeindeverzeichnis GV100AD.</li>
<li>Statistisches Landesamt des Freistaates Sachsen und Statistisches Landesamt Sachsen-Anhalt.</li>
<li>Bundesagentur für Arbeit: Arbeitsmarkt- und Grundsicherungsstatistik (über die Regionaldatenbank).</li>
<li>Bundesinstitut für Bau-, Stadt- und Raumforschung (BBSR): INKAR – Indikatoren und Karten zur Raum- und Stadtentwicklung.</li>
<li>Bundesamt für Kartographie und Geodäsie: Verwaltungsgebiete (VG2500, VG250), © GeoBasis-DE / BKG.</li>
</ul>
<p>Die Daten stehen unter der Datenlizenz Deutschland – Namensnennung – Version 2.0 (<a href="https://www.govdata.de/dl-de/by-2-0">dl-de/by-2-0</a>). Die Indikatoren sind aus diesen Daten berechnet; Raten und Anteile werden auf jeder Ebene aus Zähler und Nenner neu berechnet, nie gemittelt.</p>
<h2>Zeichen</h2>
<dl class="meta">
<dt>.</dt><dd>Zahlenwert unbekannt oder geheim zu halten; hier auch: gesperrt, weil die Fallzahl klein ist oder sich aus anderen Werten errechnen ließe.</dd>
<dt>-</dt><dd>nichts vorhanden (genau null).</dd>
<dt>...</dt><dd>Angabe fällt später an.</dd>
<dt>/</dt><dd>keine Angabe, da Zahlenwert nicht sicher genug.</dd>
<dt>x</dt><dd>Tabellenfach gesperrt, weil Aussage nicht sinnvoll.</dd>
<dt>–</dt><dd>kein Wert vorhanden.</dd>
<dt>*</dt><dd>Summe unvollständig: nicht alle Teilgebiete haben Werte; die Zahl beruht nur auf den übrigen.</dd>
</dl>
<h2>Barrierefreiheit</h2>
<p>Das Angebot soll der BITV 2.0 (WCAG 2.1, Stufe AA) entsprechen: Jede Karte und jedes Diagramm hat eine Textbeschreibung und dieselben Zahlen als Tabelle; alle Funktionen sind mit der Tastatur und ohne JavaScript nutzbar.</p>
<h2>Impressum</h2>
<p>Sozialmonitor ist freie Software (EUPL-1.2). Verantwortlich für die Inhalte dieses Angebots ist die betreibende Verwaltung.</p>"#;
    page("Daten und Impressum", b, &site.data_date)
}

/// An error page.
pub fn error(site: &Site, title: &str, message: &str) -> String {
    page(
        title,
        &format!(
            r#"<h1>{}</h1><p>{}</p><p><a href="/">Zur Startseite</a> · <a href="/suche">Gebiet suchen</a></p>"#,
            esc(title),
            esc(message)
        ),
        &site.data_date,
    )
}
