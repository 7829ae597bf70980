//! The page frame (landmarks, skip link, navigation, footer) and small HTML helpers.

pub use sozialmonitor_core::format::german_date;
use sozialmonitor_viz::esc;

/// The stylesheet: system fonts, high contrast, visible focus, fluid layout down to 320 px.
pub const CSS: &str = r#"
:root{--ink:#111;--muted:#444;--accent:#0c2c84;--line:#ccc;--bg:#fff;--soft:#f4f6fa}
*{box-sizing:border-box}
html{font-size:100%}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",Arial,sans-serif;color:var(--ink);background:var(--bg);line-height:1.5}
a{color:var(--accent)}
a:hover{text-decoration-thickness:2px}
:focus-visible{outline:3px solid #b35806;outline-offset:2px}
.skip{position:absolute;left:-9999px;top:0;background:#fff;padding:.5rem 1rem;z-index:10}
.skip:focus{left:.5rem}
header.site{background:var(--accent);color:#fff;padding:.5rem 1rem;display:flex;flex-wrap:wrap;gap:1rem;align-items:center;justify-content:space-between}
header.site a{color:#fff}
header.site .brand{font-weight:700;font-size:1.25rem;text-decoration:none}
nav ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:1rem}
form.search{display:flex;gap:.25rem;flex:0 1 22rem;max-width:100%}
form.search input{min-width:0;flex:1}
input,select,button{font:inherit;padding:.3rem .5rem;border:1px solid #555;border-radius:3px;background:#fff;color:var(--ink)}
select{max-width:100%}
code{overflow-wrap:anywhere}
dl.meta dd{min-width:0}
button{background:var(--accent);color:#fff;border-color:var(--accent);cursor:pointer}
main{max-width:72rem;margin:0 auto;padding:1rem}
h1{font-size:1.8rem;margin:.5rem 0 1rem;line-height:1.2}
h2{font-size:1.35rem;margin:2rem 0 .75rem;border-bottom:2px solid var(--line);padding-bottom:.25rem}
h3{font-size:1.1rem;margin:1rem 0 .5rem}
.lead{font-size:1.1rem;color:var(--muted)}
.events{list-style:none;padding:0;display:grid;gap:1rem}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(15rem,1fr));gap:1rem;padding:0;list-style:none}
.card{border:1px solid var(--line);border-radius:6px;padding:.75rem 1rem;background:var(--soft)}
.card .value{font-size:1.6rem;font-weight:700}
.card .unit{font-size:1rem;font-weight:400}
.card .cmp{color:var(--muted);font-size:.95rem}
.card .src,td .src{color:var(--muted);font-size:.85rem}
.grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,26rem),1fr));gap:1.5rem;align-items:start}
.grid2>*{min-width:0}
figure{margin:0}
figcaption{font-weight:600;margin-bottom:.25rem}
svg{max-width:100%;height:auto}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}
caption{text-align:left;font-weight:600;padding:.25rem 0}
th,td{border-bottom:1px solid var(--line);padding:.3rem .5rem;text-align:left;vertical-align:top}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.table-wrap{overflow-x:auto}
.note{background:#fff8e1;border-left:4px solid #b35806;padding:.5rem 1rem;margin:1rem 0}
.muted{color:var(--muted)}
.tag{display:inline-block;border:1px solid var(--line);border-radius:3px;padding:0 .35rem;font-size:.85rem;font-weight:400;vertical-align:middle}
dl.meta{display:grid;grid-template-columns:minmax(8rem,14rem) minmax(0,1fr);gap:.25rem 1rem}
dl.meta dt{font-weight:600}
dl.meta dd{margin:0}
form.controls{display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-end;background:var(--soft);padding:.75rem;border-radius:6px}
form.controls label{display:flex;flex-direction:column;font-weight:600;font-size:.95rem;max-width:100%;min-width:0}
form.controls fieldset.checks{border:0;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.25rem 1rem;align-items:center}
form.controls fieldset.checks legend{font-weight:600;font-size:.95rem;padding:0;margin-bottom:.25rem}
form.controls label.check{flex-direction:row;gap:.4rem;align-items:center;font-weight:400}
.stale{color:#8a1c00;font-weight:600}
ul.plain{padding-left:1.2rem}
ul.plain li{overflow-wrap:anywhere}
main{overflow-wrap:break-word}
footer.site{border-top:1px solid var(--line);margin-top:3rem;padding:1rem;color:var(--muted);font-size:.95rem}
footer.site div{max-width:72rem;margin:0 auto}
.sym{font-weight:700}
@media (prefers-reduced-motion: reduce){*{transition:none!important;animation:none!important;scroll-behavior:auto!important}}
.services{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(18rem,100%),1fr));gap:1rem}
article.service{border:1px solid var(--line);border-radius:6px;padding:.75rem 1rem;break-inside:avoid}
article.service h3{margin-top:0}
article.service dl{display:grid;grid-template-columns:auto 1fr;gap:.2rem .75rem;margin:0}
article.service dt{font-weight:600}
article.service dd{margin:0}
.service-map svg{max-width:100%;height:auto}
a.point:focus-visible circle{stroke:#b35806;stroke-width:4}
@media print{header.site nav,form.search,form.controls,.skip,.downloads{display:none}a{color:#000}}
"#;

/// Instant switching: a changed selector submits its form (the button stays for use without
/// JavaScript).
pub const JS: &str = r#"document.querySelectorAll('form.controls:not(.filters) select').forEach(function(s){s.addEventListener('change',function(){s.form.submit();});});"#;

/// A whole page.
pub fn page(title: &str, body: &str, data_date: &str) -> String {
    format!(
        r##"<!DOCTYPE html>
<html lang="de">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{t} – Sozialmonitor</title>
<link rel="stylesheet" href="/static/style.css">
</head>
<body>
<a class="skip" href="#inhalt">Zum Inhalt springen</a>
<header class="site">
<a class="brand" href="/">Sozialmonitor</a>
<nav aria-label="Hauptnavigation"><ul>
<li><a href="/">Start</a></li>
<li><a href="/katalog">Indikatoren</a></li>
<li><a href="/vergleich">Vergleich</a></li>
<li><a href="/planung">Planung</a></li>
<li><a href="/wegweiser">Wegweiser</a></li>
<li><a href="/beteiligung">Beteiligung</a></li>
<li><a href="/analyse">Analysen</a></li>
<li><a href="/impressum">Daten und Impressum</a></li>
</ul></nav>
<form class="search" role="search" action="/suche" method="get">
<label for="q" class="skip">Gebiet suchen</label>
<input id="q" name="q" type="search" placeholder="Gemeinde, PLZ oder Schlüssel" aria-label="Gebiet suchen (Name, Postleitzahl oder Schlüssel)">
<button type="submit">Suchen</button>
</form>
</header>
<main id="inhalt" tabindex="-1">
{body}
</main>
<footer class="site"><div>
<p>Datenstand: {d}. Quellen: Statistische Ämter des Bundes und der Länder, Bundesagentur für Arbeit, BBSR (INKAR); Datenlizenz Deutschland – Namensnennung – Version 2.0 (<a href="https://www.govdata.de/dl-de/by-2-0">dl-de/by-2-0</a>). Kleine Fallzahlen sind aus Gründen der Geheimhaltung gesperrt (Zeichen „.“). Ein „*“ hinter einer Zahl: Summe unvollständig, nicht alle Teilgebiete haben Werte.</p>
<p><a href="/impressum">Daten und Impressum</a> · <a href="/api/v1/openapi.json">Programmierschnittstelle (API)</a></p>
</div></footer>
<script src="/static/app.js" defer></script>
</body>
</html>
"##,
        t = esc(title),
        d = esc(&german_date(data_date)),
    )
}

/// Percent-encodes a query value.
pub fn qv(s: &str) -> String {
    let mut o = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            o.push(b as char);
        } else {
            o.push_str(&format!("%{b:02X}"));
        }
    }
    o
}

/// `<option>` elements with one selected.
pub fn options(items: &[(String, String)], selected: &str) -> String {
    items
        .iter()
        .map(|(v, label)| {
            format!(
                r#"<option value="{}"{}>{}</option>"#,
                esc(v),
                if v == selected { " selected" } else { "" },
                esc(label)
            )
        })
        .collect()
}
