//! The public analyses: `/analyse` (the typology of municipalities with its method: features,
//! how the number of types was chosen, the agreement of two methods, the stability, a map) and
//! `/analyse/typ/{n}`, one page per type with what sets it apart and its municipalities.

use std::fmt::Write as _;

use sozialmonitor_core::format::{count_de, german_number};
use sozialmonitor_site::Site;
use sozialmonitor_site::typology::Types;
use sozialmonitor_viz::esc;

/// Percent with no decimals, German.
fn percent(share: f64) -> String {
    format!("{} %", german_number(share * 100.0, 0))
}

/// The method of the typology in words, its candidates and the list of types.
fn method(t: &Types) -> String {
    let mut b = String::new();
    let features: Vec<String> = t.feature_words().iter().map(|w| esc(w)).collect();
    let _ = write!(
        b,
        r#"<h2>Methode</h2><p>Die Gemeinden werden nach {n} Merkmalen aus dem Indikatorenkatalog gruppiert: {features}. Jedes Merkmal geht mit dem letzten Jahr ein, für das neun von zehn Gemeinden einen veröffentlichten Wert haben; stark schief verteilte Merkmale gehen logarithmiert ein. Alle Merkmale werden standardisiert (Mittelwert 0, Standardabweichung 1), damit jedes gleich zählt; Werte weiter als drei Standardabweichungen vom Mittel zählen wie drei, damit eine einzelne Ausnahmegemeinde keinen eigenen Typ bildet. {typed}{left}</p>
<p>Gruppiert wird mit dem k-Means-Verfahren (Startwerte nach k-means++, 10 Neustarts, feste Zufallszahlen, daher bei gleichen Daten immer dasselbe Ergebnis). Geprüft wurden 3 bis 7 Typen; gewählt ist die Anzahl mit der besten Silhouette (wie deutlich jede Gemeinde ihrem Typ näher ist als dem nächsten). Die Gap-Statistik vergleicht die Gruppierung mit gleichförmig verteilten Zufallsdaten; ihre Regel ist mit angegeben.</p>"#,
        n = t.features.len(),
        features = features.join(", "),
        typed = format_args!(
            "Typisiert sind {} mit Werten für jedes Merkmal",
            count_de(t.members.len(), "Gemeinde", "Gemeinden")
        ),
        left = if t.left_out > 0 {
            format!(
                "; {} ohne veröffentlichten Wert in einem der Merkmale bleiben ohne Typ.",
                count_de(t.left_out, "Gemeinde", "Gemeinden")
            )
        } else {
            ".".into()
        }
    );
    b.push_str(r#"<div class="table-wrap"><table><caption>Geprüfte Anzahlen von Typen</caption><thead><tr><th scope="col">Typen</th><th scope="col" class="num">Silhouette</th><th scope="col" class="num">Gap (± Standardfehler)</th><th scope="col">Wahl</th></tr></thead><tbody>"#);
    let ty = &t.typology;
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
        "<p>Zur Kontrolle wurden die Gemeinden auch hierarchisch nach Ward in {k} Typen gruppiert. Beide Verfahren stimmen mit einem bereinigten Rand-Index von {ari} überein (1 heißt: dieselbe Einteilung, 0: nicht mehr als zufällig). Die Stabilität sagt, in wie vielen von 20 Bootstrap-Stichproben (Gemeinden mit Zurücklegen gezogen, neu gruppiert) eine Gemeinde in ihrem Typ blieb.</p>",
        k = ty.k,
        ari = german_number(ty.agreement, 2)
    );
    b
}

/// The list of types with size, stability and description.
fn types_table(t: &Types) -> String {
    let mut b = String::from(
        r#"<div class="table-wrap"><table><caption>Die Gemeindetypen</caption><thead><tr><th scope="col">Typ</th><th scope="col" class="num">Gemeinden</th><th scope="col" class="num">Stabilität</th><th scope="col">Was ihn auszeichnet</th></tr></thead><tbody>"#,
    );
    let sizes = t.typology.partition.sizes();
    for (k, size) in sizes.iter().enumerate() {
        let _ = write!(
            b,
            r#"<tr><th scope="row"><a href="/analyse/typ/{n}">{label}</a></th><td class="num">{size}</td><td class="num">{stab}</td><td>{what}</td></tr>"#,
            n = k + 1,
            label = Types::label(k),
            stab = percent(t.typology.stability_of(k)),
            what = esc(&t.describe(k)),
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
        n = t.members.len(),
        k = t.count()
    );
    b.push_str(&types_table(t));
    let _ = write!(
        b,
        r#"<figure class="map">{}<figcaption>Jede Fläche führt zum Profil der Gemeinde. Die Tabelle oben und die Seiten der Typen nennen jede Gemeinde mit ihrem Typ.</figcaption></figure>"#,
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
        r#"<p><a href="/analyse">Analysen: Gemeindetypen</a> › Typ</p><h1>{title}</h1><p class="lead">{what}. {count} von {all}; im Mittel blieben sie in {stab} der Bootstrap-Stichproben in diesem Typ.</p>"#,
        what = esc(&capitalised(&t.describe(k))),
        count = count_de(members.len(), "Gemeinde", "Gemeinden"),
        all = t.members.len(),
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
    b.push_str(r#"<h2>Gemeinden dieses Typs</h2><div class="table-wrap"><table><caption>Gemeinden vom Typ, mit Kreis und Stabilität der Zuordnung</caption><thead><tr><th scope="col">Gemeinde</th><th scope="col">Kreis</th><th scope="col" class="num">Stabilität</th></tr></thead><tbody>"#);
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
            stab = t.stability_of(r).map(percent).unwrap_or_default(),
        );
    }
    b.push_str("</tbody></table></div>");
    Some((title, b))
}

/// The profile's section on the municipality's type; empty when it has none.
pub fn profile_section(site: &Site, r: usize) -> String {
    let Ok(t) = &site.typology else {
        return String::new();
    };
    let Some(sentence) = t.sentence(r) else {
        return String::new();
    };
    let k = t.type_of(r).unwrap_or(0);
    format!(
        r#"<h2>Gemeindetyp</h2><p>{}</p><p><a href="/analyse/typ/{}">Alle Gemeinden vom {}</a> · <a href="/analyse">Wie die Typen gebildet werden</a></p>"#,
        esc(&sentence),
        k + 1,
        Types::label(k)
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
