//! The network and participation in a TOML file with German field names, as planners write
//! them (`sozialmonitor network import FILE`, the demo's `data/demo/netzwerk/`): actors,
//! working groups with their members named by actor, events with the impulses they gave, each
//! impulse naming by title the recommendations and measures of the district's cycles it led to.
//! The whole file is checked first (every reason listed, naming the record); then everything is
//! saved in one transaction with an audit event per record. Actors' names are unique per
//! district, so a file cannot be imported twice. Contact persons are not read from files: they
//! are entered in the workspace with their consent.

use std::collections::HashSet;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use sozialmonitor_core::network::{ActorKind, EventFormat, ends_before};
use sozialmonitor_core::planning::is_plan_date;
use sozialmonitor_core::services::{TargetGroup, is_web_address};
use sozialmonitor_store::{
    AuditEvent, Database, Impulse, Network, NetworkRecords, Organisation, ParticipationEvent,
    WorkingGroup,
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    akteur: Vec<ActorIn>,
    #[serde(default)]
    arbeitsgruppe: Vec<GroupIn>,
    #[serde(default)]
    veranstaltung: Vec<EventIn>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ActorIn {
    kreis: String,
    name: String,
    art: String,
    #[serde(default)]
    handlungsfelder: Vec<String>,
    #[serde(default)]
    zielgruppen: Vec<String>,
    #[serde(default)]
    gemeinde: String,
    #[serde(default)]
    web: String,
    #[serde(default)]
    notiz: String,
    #[serde(default)]
    quelle: String,
    #[serde(default)]
    beispiel: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MemberIn {
    akteur: String,
    #[serde(default)]
    rolle: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupIn {
    kreis: String,
    name: String,
    #[serde(default)]
    handlungsfeld: String,
    #[serde(default)]
    zweck: String,
    #[serde(default)]
    mitglieder: Vec<MemberIn>,
    #[serde(default)]
    quelle: String,
    #[serde(default)]
    beispiel: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventIn {
    kreis: String,
    art: String,
    titel: String,
    von: String,
    #[serde(default)]
    bis: String,
    #[serde(default)]
    ort: String,
    #[serde(default)]
    gemeinde: String,
    #[serde(default)]
    zielgruppen: Vec<String>,
    #[serde(default)]
    teilnehmende: Option<i64>,
    #[serde(default)]
    themen: String,
    #[serde(default)]
    dokumente: String,
    #[serde(default)]
    veranstalter: String,
    #[serde(default)]
    oeffentlich: bool,
    #[serde(default)]
    quelle: String,
    #[serde(default)]
    beispiel: bool,
    #[serde(default)]
    impuls: Vec<ImpulseIn>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ImpulseIn {
    titel: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    handlungsfeld: String,
    #[serde(default)]
    empfehlungen: Vec<String>,
    #[serde(default)]
    massnahmen: Vec<String>,
    #[serde(default)]
    oeffentlich: bool,
    #[serde(default)]
    quelle: String,
    #[serde(default)]
    beispiel: bool,
}

/// What a file is checked against: the district's municipalities, the actors held, and the
/// titles of its recommendations and measures with their ids.
struct Known {
    municipalities: HashSet<String>,
    actors: HashSet<String>,
    recommendations: Vec<(String, i64)>,
    measures: Vec<(String, i64)>,
}

fn known(db: &Database, kreis: &str) -> Result<Known> {
    let plan = crate::participation::plan_records(db, kreis)?;
    Ok(Known {
        municipalities: crate::pages::municipalities_of(db, kreis)?
            .into_iter()
            .map(|r| r.key)
            .collect(),
        actors: db.actors(kreis)?.into_iter().map(|a| a.name).collect(),
        recommendations: plan
            .recommendations
            .into_iter()
            .map(|r| (r.title, r.id))
            .collect(),
        measures: plan.measures.into_iter().map(|m| (m.title, m.id)).collect(),
    })
}

/// Collects the reasons a file is refused, each naming its record.
#[derive(Default)]
struct Reasons(Vec<String>);

impl Reasons {
    fn check(&mut self, ok: bool, why: impl FnOnce() -> String) {
        if !ok {
            self.0.push(why());
        }
    }
}

fn groups_of(here: &str, codes: &[String], why: &mut Reasons) -> Vec<TargetGroup> {
    codes
        .iter()
        .filter_map(|c| {
            let g = TargetGroup::read(c);
            why.check(g.is_some(), || {
                format!("{here}: unbekannte Zielgruppe „{c}“")
            });
            g
        })
        .collect()
}

fn municipality(here: &str, ags: &str, k: &Known, why: &mut Reasons) {
    why.check(ags.is_empty() || k.municipalities.contains(ags), || {
        format!("{here}: „{ags}“ ist keine Gemeinde des Kreises")
    });
}

/// The ids of the records titled so; an unknown or ambiguous title is a reason.
fn ids_of(
    here: &str,
    kind: &str,
    titles: &[String],
    held: &[(String, i64)],
    why: &mut Reasons,
) -> Vec<i64> {
    titles
        .iter()
        .filter_map(|t| {
            let found: Vec<i64> = held
                .iter()
                .filter(|(h, _)| h == t)
                .map(|(_, id)| *id)
                .collect();
            why.check(found.len() == 1, || {
                if found.is_empty() {
                    format!("{here}: keine {kind} „{t}“ in den Planungszyklen des Kreises")
                } else {
                    format!("{here}: {kind} „{t}“ gibt es in mehreren Zyklen")
                }
            });
            (found.len() == 1).then(|| found[0])
        })
        .collect()
}

fn actor(a: ActorIn, kreis: &str, k: &Known, why: &mut Reasons) -> Option<Organisation> {
    let here = format!("Akteur „{}“", a.name);
    why.check(a.kreis == kreis, || {
        format!("{here}: Kreis {} statt {kreis}", a.kreis)
    });
    why.check(!a.name.trim().is_empty(), || {
        "Ein Akteur hat keinen Namen".into()
    });
    why.check(!k.actors.contains(&a.name), || {
        format!("{here} ist schon erfasst")
    });
    let kind = ActorKind::read(&a.art);
    why.check(kind.is_some(), || {
        format!("{here}: unbekannte Art „{}“", a.art)
    });
    municipality(&here, &a.gemeinde, k, why);
    why.check(a.web.is_empty() || is_web_address(&a.web), || {
        format!(
            "{here}: die Webadresse „{}“ beginnt nicht mit https://",
            a.web
        )
    });
    let target_groups = groups_of(&here, &a.zielgruppen, why);
    Some(Organisation {
        id: 0,
        kreis: a.kreis,
        name: a.name.trim().to_string(),
        kind: kind?,
        action_fields: a.handlungsfelder,
        target_groups,
        municipality: a.gemeinde,
        web: a.web,
        note: a.notiz,
        source: a.quelle,
        example: a.beispiel,
    })
}

fn event(
    e: EventIn,
    kreis: &str,
    k: &Known,
    why: &mut Reasons,
) -> Option<(ParticipationEvent, Vec<Impulse>)> {
    let here = format!("Veranstaltung „{}“", e.titel);
    why.check(e.kreis == kreis, || {
        format!("{here}: Kreis {} statt {kreis}", e.kreis)
    });
    let format = EventFormat::read(&e.art);
    why.check(format.is_some(), || {
        format!("{here}: unbekannte Art „{}“", e.art)
    });
    why.check(!e.von.trim().is_empty() && is_plan_date(&e.von), || {
        format!(
            "{here}: „{}“ ist kein Datum (2025, 2025-04 oder 2025-04-12)",
            e.von
        )
    });
    why.check(e.bis.is_empty() || is_plan_date(&e.bis), || {
        format!("{here}: „{}“ ist kein Datum", e.bis)
    });
    why.check(!ends_before(&e.von, &e.bis), || {
        format!("{here}: „bis“ {} liegt vor „von“ {}", e.bis, e.von)
    });
    why.check(e.teilnehmende.is_none_or(|n| n >= 0), || {
        format!("{here}: eine negative Zahl Teilnehmender")
    });
    municipality(&here, &e.gemeinde, k, why);
    let target_groups = groups_of(&here, &e.zielgruppen, why);
    let mut seen = HashSet::new();
    let impulses = e
        .impuls
        .into_iter()
        .map(|i| {
            let at = format!("{here}, Impuls „{}“", i.titel);
            why.check(seen.insert(i.titel.clone()), || {
                format!("{at} steht zweimal darin")
            });
            Impulse {
                id: 0,
                event_id: 0,
                recommendations: ids_of(
                    &at,
                    "Empfehlung",
                    &i.empfehlungen,
                    &k.recommendations,
                    why,
                ),
                measures: ids_of(&at, "Maßnahme", &i.massnahmen, &k.measures, why),
                title: i.titel,
                body: i.text,
                action_field: i.handlungsfeld,
                public: i.oeffentlich,
                source: i.quelle,
                example: i.beispiel,
            }
        })
        .collect();
    let event = ParticipationEvent {
        id: 0,
        kreis: e.kreis,
        format: format?,
        title: e.titel,
        date_from: e.von,
        date_to: e.bis,
        place: e.ort,
        municipality: e.gemeinde,
        target_groups,
        participants: e.teilnehmende,
        topics: e.themen,
        documents: e.dokumente,
        organiser: e.veranstalter,
        public: e.oeffentlich,
        source: e.quelle,
        example: e.beispiel,
    };
    Some((event, impulses))
}

fn group(
    g: GroupIn,
    kreis: &str,
    actors: &HashSet<String>,
    why: &mut Reasons,
) -> (WorkingGroup, Vec<(String, String)>) {
    let here = format!("Arbeitsgruppe „{}“", g.name);
    why.check(g.kreis == kreis, || {
        format!("{here}: Kreis {} statt {kreis}", g.kreis)
    });
    for m in &g.mitglieder {
        why.check(actors.contains(&m.akteur), || {
            format!("{here}: Mitglied „{}“ ist kein Akteur", m.akteur)
        });
    }
    let members = g
        .mitglieder
        .into_iter()
        .map(|m| (m.akteur, m.rolle))
        .collect();
    let wg = WorkingGroup {
        id: 0,
        kreis: g.kreis,
        name: g.name,
        action_field: g.handlungsfeld,
        purpose: g.zweck,
        source: g.quelle,
        example: g.beispiel,
    };
    (wg, members)
}

/// Reads and checks a network file for district `kreis`; every reason it is refused, naming
/// the record.
pub fn read(
    db: &Database,
    text: &str,
    kreis: &str,
) -> std::result::Result<NetworkRecords, Vec<String>> {
    let file: File = toml::from_str(text).map_err(|e| vec![e.to_string()])?;
    let k = known(db, kreis).map_err(|e| vec![e.to_string()])?;
    let mut why = Reasons::default();
    let mut names: HashSet<String> = HashSet::new();
    for a in &file.akteur {
        why.check(names.insert(a.name.trim().to_string()), || {
            format!("Akteur „{}“ steht zweimal darin", a.name)
        });
    }
    let all_actors: HashSet<String> = names.union(&k.actors).cloned().collect();
    let actors: Vec<Organisation> = file
        .akteur
        .into_iter()
        .filter_map(|a| actor(a, kreis, &k, &mut why))
        .collect();
    let groups = file
        .arbeitsgruppe
        .into_iter()
        .map(|g| group(g, kreis, &all_actors, &mut why))
        .collect();
    let events = file
        .veranstaltung
        .into_iter()
        .filter_map(|e| event(e, kreis, &k, &mut why))
        .collect();
    if !why.0.is_empty() {
        return Err(why.0);
    }
    Ok(NetworkRecords {
        actors,
        groups,
        events,
    })
}

/// Imports a network file into district `kreis`: checked whole, then saved in one transaction
/// with an audit event per record (`network.{kind}.create`). The number of records.
pub fn import(
    db: &mut Database,
    path: &Path,
    kreis: &str,
    (actor, now): (&str, i64),
) -> Result<usize> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let records = match read(db, &text, kreis) {
        Ok(r) => r,
        Err(why) => bail!("{}:\n  {}", path.display(), why.join("\n  ")),
    };
    let event = |kind: &str, title: &str| {
        AuditEvent::new(now, actor, &format!("network.{kind}.create"), kreis)
            .values(None, Some(title.to_string()))
    };
    db.add_network(&records, &event)
        .with_context(|| path.display().to_string())?;
    let impulses: usize = records.events.iter().map(|(_, i)| i.len()).sum();
    Ok(records.actors.len() + records.groups.len() + records.events.len() + impulses)
}
