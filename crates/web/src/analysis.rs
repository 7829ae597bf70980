//! The public analyses: `/analyse` (the typology of municipalities with its method: features,
//! how the number of types was chosen, the agreement of two methods, the stability, a map) and
//! `/analyse/typ/{n}`, one page per type with what sets it apart and its municipalities.

use std::fmt::Write as _;

use sozialmonitor_core::format::{count_de, german_number};
use sozialmonitor_site::Site;
use sozialmonitor_site::typology::{COVERAGE, LIMIT, OPTIONS, Types};
use sozialmonitor_viz::esc;

/// Percent with no decimals, German.
fn percent(share: f64) -> String {
    format!("{} %", german_number(share * 100.0, 0))
}

/// The method of the typology in words, its candidates and the list of types.
fn method(t: &Types) -> String {
    let mut b = String::new();
    let features: Vec<String> = t.feature_words().iter().map(|w| esc(w)).collect();
    let ty = &t.typology;
    let (k_min, k_max) = (
        ty.candidates.first().map_or(0, |c| c.k),
        ty.candidates.last().map_or(0, |c| c.k),
    );
    let _ = write!(
        b,
        r#"<h2>Methode</h2><p>Die Gemeinden werden nach {n} Merkmalen aus dem Indikatorenkatalog gruppiert: {features}. Jedes Merkmal geht mit dem letzten Jahr ein, in dem es für mindestens {coverage} % so viele Gemeinden einen veröffentlichten Wert hat wie in seinem am besten abgedeckten Jahr; stark schief verteilte Merkmale gehen logarithmiert ein. Alle Merkmale werden standardisiert (Mittelwert 0, Standardabweichung 1), damit jedes gleich zählt; Werte weiter als {limit} Standardabweichungen vom Mittel zählen wie {limit}, damit eine einzelne Ausnahmegemeinde keinen eigenen Typ bildet. {typed}{left}</p>
<p>Gruppiert wird mit dem k-Means-Verfahren (Startwerte nach k-means++, {restarts} Neustarts, feste Zufallszahlen, daher bei gleichen Daten immer dasselbe Ergebnis). Geprüft wurden {k_min} bis {k_max} Typen; gewählt ist die Anzahl mit der besten Silhouette (wie deutlich jede Gemeinde ihrem Typ näher ist als dem nächsten). Die Gap-Statistik vergleicht die Gruppierung mit gleichförmig verteilten Zufallsdaten; ihre Regel ist mit angegeben.</p>"#,
        n = t.features.len(),
        features = features.join(", "),
        coverage = german_number(COVERAGE * 100.0, 0),
        limit = german_number(LIMIT, 0),
        restarts = OPTIONS.restarts,
        typed = format_args!(
            "Typisiert sind {} mit Werten für jedes Merkmal",
            count_de(t.members.len(), "Gemeinde", "Gemeinden")
        ),
        left = match t.untyped.len() {
            0 => ".".to_string(),
            1 => "; 1 Gemeinde ohne veröffentlichten Wert in einem der Merkmale bleibt ohne Typ."
                .to_string(),
            n => format!(
                "; {} ohne veröffentlichten Wert in einem der Merkmale bleiben ohne Typ.",
                count_de(n, "Gemeinde", "Gemeinden")
            ),
        }
    );
    b.push_str(r#"<div class="table-wrap"><table><caption>Geprüfte Anzahlen von Typen</caption><thead><tr><th scope="col">Typen</th><th scope="col" class="num">Silhouette</th><th scope="col" class="num">Gap (± Standardfehler)</th><th scope="col">Wahl</th></tr></thead><tbody>"#);
    for c in &ty.candidates {
        let choice = match (c.k == ty.k, ty.gap_k == Some(c.k)) {
            (true, true) => "gewählt; auch nach der Gap-Regel",
            (true, false) => "gewählt (beste Silhouette)",
            (false, true) => "nach der Gap-Regel",
            (false, false) => "",
        };
        let _ = write!(
            b,
            r#"<tr><th scope="row">{}</th><td class="num">{}</td><td class="num">{} (± {})</td><td>{}</td></tr>"#,
            c.k,
            german_number(c.silhouette, 3),
            german_number(c.gap.gap, 3),
            german_number(c.gap.error, 3),
            choice
        );
    }
    b.push_str("</tbody></table></div>");
    let _ = write!(
        b,
        "<p>Zur Kontrolle wurden die Gemeinden auch hierarchisch nach Ward in {k} Typen gruppiert. Beide Verfahren stimmen mit einem bereinigten Rand-Index von {ari} überein (1 heißt: dieselbe Einteilung, 0: nicht mehr als zufällig). Die Stabilität sagt, in wie vielen von {bootstrap} Bootstrap-Stichproben (Gemeinden mit Zurücklegen gezogen, neu gruppiert) eine Gemeinde in ihrem Typ blieb.</p>",
        k = ty.k,
        ari = german_number(ty.agreement, 2),
        bootstrap = OPTIONS.bootstrap
    );
    b
}

/// The list of types with size, stability and description.
fn types_table(t: &Types) -> String {
    let mut b = String::from(
        r#"<div class="table-wrap"><table><caption>Die Gemeindetypen</caption><thead><tr><th scope="col">Typ</th><th scope="col" class="num">Gemeinden</th><th scope="col" class="num">Stabilität</th><th scope="col">Was ihn auszeichnet</th></tr></thead><tbody>"#,
    );
    let sizes = t.typology.partition.sizes();
    for (ty, size) in sizes.iter().enumerate() {
        let _ = write!(
            b,
            r#"<tr><th scope="row"><a href="/analyse/typ/{n}">{label}</a></th><td class="num">{size}</td><td class="num">{stab}</td><td>{what}</td></tr>"#,
            n = ty + 1,
            label = Types::label(ty),
            size = german_number(*size as f64, 0),
            stab = percent(t.typology.stability_of(ty)),
            what = esc(&t.describe(ty)),
        );
    }
    b.push_str("</tbody></table></div>");
    b
}

/// `/analyse`: (title, body).
pub fn page(site: &Site) -> (String, String) {
    let title = "Analysen: Gemeindetypen".to_string();
    let mut b = format!("<h1>{title}</h1>");
    let t = match &site.typology {
        Ok(t) => t,
        Err(why) => {
            let _ = write!(
                b,
                "<p>Eine Typisierung der Gemeinden ist derzeit nicht möglich: {}</p>",
                esc(why)
            );
            return (title, b);
        }
    };
    let _ = write!(
        b,
        r#"<p class="lead">Gemeinden mit ähnlichen Merkmalen bilden einen Typ. Die Typisierung hilft, Gemeinden mit vergleichbarer Lage zu finden und voneinander zu lernen; sie bewertet keine Gemeinde. {n} Gemeinden in {k} Typen.</p>"#,
        n = german_number(t.members.len() as f64, 0),
        k = t.count()
    );
    b.push_str(&types_table(t));
    let _ = write!(
        b,
        r#"<figure class="map">{}<figcaption>Jede Fläche führt zum Profil der Gemeinde. Die Seiten der Typen (Tabelle oben) nennen jede Gemeinde mit ihrem Typ.</figcaption></figure>"#,
        t.map(site, None, 760.0)
    );
    b.push_str(&method(t));
    (title, b)
}

/// `/analyse/typ/{n}` (n from 1): (title, body), `None` for no such type.
pub fn type_page(site: &Site, n: usize) -> Option<(String, String)> {
    let t = site.typology.as_ref().ok()?;
    let k = n.checked_sub(1).filter(|k| *k < t.count())?;
    let title = format!("Gemeindetyp {n}");
    let members = t.of_type(k);
    let mut b = format!(
        r#"<p><a href="/analyse">Analysen: Gemeindetypen</a> › Typ</p><h1>{title}</h1><p class="lead">{what}. {count} der {all} typisierten Gemeinden; im Mittel blieben sie in {stab} der Bootstrap-Stichproben in diesem Typ.</p>"#,
        what = esc(&capitalised(&t.describe(k))),
        count = count_de(members.len(), "Gemeinde", "Gemeinden"),
        all = german_number(t.members.len() as f64, 0),
        stab = percent(t.typology.stability_of(k)),
    );
    let _ = write!(
        b,
        r#"<h2>Merkmale</h2><figure>{}<figcaption>Mittelwert des Typs in Standardabweichungen vom Durchschnitt aller typisierten Gemeinden ({}).</figcaption></figure>"#,
        t.chart(k, 640.0),
        esc(&t.feature_words().join(", "))
    );
    let _ = write!(
        b,
        r#"<h2>Karte</h2><figure class="map">{}</figure>"#,
        t.map(site, Some(k), 760.0)
    );
    let _ = write!(
        b,
        r#"<h2>Gemeinden dieses Typs</h2><div class="table-wrap"><table><caption>Gemeinden vom {}, mit Kreis und Stabilität der Zuordnung</caption><thead><tr><th scope="col">Gemeinde</th><th scope="col">Kreis</th><th scope="col" class="num">Stabilität</th></tr></thead><tbody>"#,
        Types::label(k)
    );
    let mut sorted = members;
    sorted.sort_by(|a, b| site.regions[*a].name.cmp(&site.regions[*b].name));
    for r in sorted {
        let kreis = site
            .up(r, sozialmonitor_core::RegionLevel::Kreis)
            .map(|k| esc(&site.regions[k].name))
            .unwrap_or_default();
        let _ = write!(
            b,
            r#"<tr><th scope="row"><a href="/gemeinde/{key}">{name}</a></th><td>{kreis}</td><td class="num">{stab}</td></tr>"#,
            key = esc(&site.regions[r].key),
            name = esc(&site.regions[r].name),
            stab = t.region_stability(r).map(percent).unwrap_or_default(),
        );
    }
    b.push_str("</tbody></table></div>");
    Some((title, b))
}

/// The profile's section on the municipality's type, or on a Kreis's profile its
/// municipalities by type; empty when there is nothing typed.
pub fn profile_section(site: &Site, r: usize) -> String {
    let Ok(t) = &site.typology else {
        return String::new();
    };
    if site.regions[r].level == sozialmonitor_core::RegionLevel::Kreis {
        return district_section(site, t, r);
    }
    let (Some(k), Some(sentence)) = (t.type_of(r), t.sentence(r)) else {
        return String::new();
    };
    format!(
        r#"<h2>Gemeindetyp</h2><p>{}</p><p><a href="/analyse/typ/{}">Alle Gemeinden vom {}</a> · <a href="/analyse">Wie die Typen gebildet werden</a></p>"#,
        esc(&sentence),
        k + 1,
        Types::label(k)
    )
}

/// A Kreis's municipalities by type: how many of each, linked to the type's page.
fn district_section(site: &Site, t: &Types, kreis: usize) -> String {
    let by_type = t.in_district(site, kreis);
    if by_type.is_empty() {
        return String::new();
    }
    let items: String = by_type
        .iter()
        .map(|(k, of)| {
            format!(
                r#"<li><a href="/analyse/typ/{}">{}</a>: {} – {}</li>"#,
                k + 1,
                Types::label(*k),
                count_de(of.len(), "Gemeinde", "Gemeinden"),
                esc(&t.describe(*k))
            )
        })
        .collect();
    format!(
        r#"<h2>Gemeindetypen</h2><p>Die Gemeinden von {} nach ihrem Typ (<a href="/analyse">wie die Typen gebildet werden</a>):</p><ul class="plain">{items}</ul>"#,
        esc(&site.regions[kreis].name)
    )
}

/// The first letter in upper case (the core's descriptions start with a feature's name, or in
/// lower case with „in allen Merkmalen …“).
fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
