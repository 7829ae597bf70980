//! The workspace's JSON API for scripts, under `/arbeitsbereich/api/v1/`: the district's
//! planning records with their internal details and each aim's state, a whole planning file
//! posted as JSON (the fields of `sozialmonitor planning import`), and measures added to a
//! stored cycle. A request carries an API key (`Authorization: Bearer smk_…`, see [`crate::keys`])
//! and never a cookie, so no other site can make a browser send one; it acts with the role of the
//! key's account at that moment, and every change is in the audit log under its login. Errors
//! are JSON with a stable code and a German message.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use sozialmonitor_core::access::Permission;
use sozialmonitor_store::{ApiTokens, Database, Planning, Store};

use crate::keys::KEY_PREFIX;
use crate::plan_file::{self, Format, MeasureIn, Refusal};
use crate::planning::judge;
use crate::{Signed, Workspace, auth};

/// An error as JSON: `{"error": code, "message": German text}`.
pub(crate) fn error(status: StatusCode, code: &str, message: &str) -> Response {
    let mut res = (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        json!({"error": code, "message": message}).to_string(),
    )
        .into_response();
    if status == StatusCode::UNAUTHORIZED {
        res.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"Sozialmonitor\""),
        );
    }
    res
}

fn ok_json(status: StatusCode, v: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        v.to_string(),
    )
        .into_response()
}

fn failed(e: &anyhow::Error) -> Response {
    tracing::error!(error = format!("{e:#}"), "workspace API request failed");
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "Die Anfrage ist fehlgeschlagen; der Fehler ist im Server-Protokoll vermerkt.",
    )
}

/// The guard of an API route: a valid key of an enabled account whose role has `permission`.
pub(crate) async fn key_guard(
    ws: Workspace,
    permission: Permission,
    mut req: Request,
    next: Next,
) -> Response {
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, k)| k.trim())
        .filter(|k| k.starts_with(KEY_PREFIX));
    let Some(key) = given else {
        return error(
            StatusCode::UNAUTHORIZED,
            "no_key",
            "Ein API-Schlüssel fehlt (Kopf Authorization: Bearer smk_…); er wird im Arbeitsbereich unter „API-Schlüssel“ erstellt.",
        );
    };
    let hash = auth::token_hash(key);
    let now = ws.now();
    let found = ws.db(move |db| Ok(db.api_token(&hash)?)).await;
    let (token, account) = match found {
        Ok(Some(f)) => f,
        Ok(None) => {
            return error(
                StatusCode::UNAUTHORIZED,
                "bad_key",
                "Diesen API-Schlüssel gibt es nicht.",
            );
        }
        Err(e) => return failed(&e),
    };
    if !token.valid_at(now) || account.disabled || account.must_change {
        return error(
            StatusCode::UNAUTHORIZED,
            "bad_key",
            "Der API-Schlüssel ist abgelaufen oder widerrufen, oder sein Konto ist gesperrt oder muss zuerst das Passwort ändern.",
        );
    }
    if !account.role.may(permission) {
        return error(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Die Rolle des Kontos erlaubt diese Anfrage nicht.",
        );
    }
    if now - token.used_at >= 60 {
        let id = token.id;
        if let Err(e) = ws.db(move |db| Ok(db.api_token_used(id, now)?)).await {
            tracing::warn!(error = format!("{e:#}"), "noting the key's use failed");
        }
    }
    // No form is posted with a key; the CSRF token is one no form carries, so that a handler
    // that checks one by mistake refuses.
    let Ok(csrf) = auth::token() else {
        return failed(&anyhow::anyhow!("no random numbers"));
    };
    req.extensions_mut().insert(Signed {
        account,
        csrf,
        token_hash: String::new(),
    });
    next.run(req).await
}

/// Every cycle of the district with every record, internal details included.
fn everything(db: &Database, kreis: &str) -> anyhow::Result<Value> {
    let entries = db.indicators()?;
    let mut cycles = Vec::new();
    for c in db.cycles(kreis)? {
        let mut measures = Vec::new();
        for m in db.plan_measures(c.id)? {
            let aims: Vec<Value> = judge(db, &entries, db.plan_aims(m.id)?)?
                .into_iter()
                .map(|j| {
                    json!({
                        "indikator": j.aim.indicator, "gebiet": j.aim.region_key,
                        "ausgangswert": j.aim.baseline, "ausgangsjahr": j.aim.baseline_year,
                        "zielwert": j.aim.target, "zieljahr": j.aim.target_year,
                        "richtung": j.aim.direction.code(),
                        "fortschritt": j.evaluation.map(|e| e.progress.code()),
                    })
                })
                .collect();
            measures.push(json!({
                "id": m.id, "titel": m.title, "text": m.body,
                "empfehlung_id": m.recommendation_id, "verantwortlich": m.owner,
                "partner": m.partners, "von": m.period_from, "bis": m.period_to,
                "budget": m.budget, "stand": m.status.code(), "zielgruppen": m.target_groups,
                "gemeinden": m.municipalities, "notizen": m.notes, "oeffentlich": m.public,
                "quelle": m.source, "beispiel": m.example, "ziel": aims,
            }));
        }
        cycles.push(json!({
            "id": c.id, "kreis": c.kreis, "titel": c.title, "von": c.first_year,
            "bis": c.last_year, "notiz": c.note, "quelle": c.source,
            "zeitplan": db.milestones(c.id)?.into_iter().map(|m| json!({
                "id": m.id, "art": m.kind.code(), "titel": m.title, "von": m.date_from,
                "bis": m.date_to, "stand": m.status.code(), "verantwortlich": m.responsible,
                "dokumente": m.documents, "quelle": m.source, "beispiel": m.example,
            })).collect::<Vec<_>>(),
            "entscheidung": db.decisions(c.id)?.into_iter().map(|d| json!({
                "id": d.id, "frage": d.question, "optionen": d.options,
                "entscheidet": d.decider, "bis": d.due, "ergebnis": d.outcome,
                "entschieden_am": d.decided_on, "quelle": d.source, "beispiel": d.example,
            })).collect::<Vec<_>>(),
            "schwerpunkt": db.priorities(c.id)?.into_iter().map(|p| json!({
                "id": p.id, "handlungsfeld": p.action_field, "art": p.kind.code(),
                "titel": p.title, "text": p.body, "quelle": p.source, "beispiel": p.example,
            })).collect::<Vec<_>>(),
            "empfehlung": db.recommendations(c.id)?.into_iter().map(|r| json!({
                "id": r.id, "handlungsfeld": r.action_field, "titel": r.title, "text": r.body,
                "indikatoren": r.indicators, "befunde": r.findings, "stand": r.status.code(),
                "beschlossen_von": r.decided_by, "beschlossen_am": r.decided_on,
                "aktenzeichen": r.reference, "ergebnis": r.outcome, "oeffentlich": r.public,
                "quelle": r.source, "beispiel": r.example,
            })).collect::<Vec<_>>(),
            "massnahme": measures,
        }));
    }
    Ok(json!({ "kreis": kreis, "zyklus": cycles }))
}

/// `GET /arbeitsbereich/api/v1/planung`.
pub async fn planning(State(ws): State<Workspace>) -> Response {
    let kreis = ws.inner.settings.kreis.clone();
    match ws.db(move |db| everything(db, &kreis)).await {
        Ok(v) => ok_json(StatusCode::OK, &v),
        Err(e) => failed(&e),
    }
}

fn refused(r: Refusal) -> Response {
    match r {
        Refusal::Input(why) => error(StatusCode::UNPROCESSABLE_ENTITY, "invalid", &why),
        Refusal::NoCycle => error(
            StatusCode::NOT_FOUND,
            "no_cycle",
            "Diesen Planungszyklus gibt es in den Zyklen des Kreises nicht.",
        ),
        Refusal::Exists(why) => error(StatusCode::CONFLICT, "exists", &why),
        Refusal::Failed(e) => failed(&e),
    }
}

/// `POST /arbeitsbereich/api/v1/planung`: new cycles with their records, as a planning file
/// in JSON; only the district's own, none held already. `201` with the new cycles' ids.
pub async fn post_cycles(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    body: Bytes,
) -> Response {
    let Ok(text) = std::str::from_utf8(&body) else {
        return refused(Refusal::Input("Die Anfrage ist kein UTF-8.".into()));
    };
    let cycles = match plan_file::parse(text, Format::Json, "Anfrage") {
        Ok(c) => c,
        Err(e) => return refused(Refusal::Input(format!("{e:#}"))),
    };
    let kreis = ws.inner.settings.kreis.clone();
    let (now, actor) = (ws.now(), me.account.login.clone());
    let saved = ws
        .db(move |db| Ok(plan_file::save(db, &cycles, Some(&kreis), (&actor, now))))
        .await;
    match saved {
        Ok(Ok(ids)) => ok_json(StatusCode::CREATED, &json!({ "zyklen": ids })),
        Ok(Err(r)) => refused(r),
        Err(e) => failed(&e),
    }
}

/// The body of `POST …/zyklen/{id}/massnahmen`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Measures {
    massnahme: Vec<MeasureIn>,
}

/// `POST /arbeitsbereich/api/v1/planung/zyklen/{id}/massnahmen`: measures with their aims
/// into a stored cycle, all or none. `201` with their number.
pub async fn post_measures(
    State(ws): State<Workspace>,
    Extension(me): Extension<Signed>,
    Path(cycle): Path<i64>,
    body: Bytes,
) -> Response {
    let parsed: Result<Measures, _> = serde_json::from_slice(&body);
    let measures = match parsed {
        Ok(m) => m.massnahme,
        Err(e) => return refused(Refusal::Input(format!("Anfrage: {e}"))),
    };
    let kreis = ws.inner.settings.kreis.clone();
    let (now, actor) = (ws.now(), me.account.login.clone());
    let placed = measures
        .into_iter()
        .enumerate()
        .map(|(i, m)| (m, format!("Anfrage, massnahme[{i}]")))
        .collect();
    let done = ws
        .db(move |db| {
            Ok(plan_file::add_measures(
                db,
                (&kreis, cycle),
                placed,
                (&actor, now),
            ))
        })
        .await;
    match done {
        Ok(Ok(n)) => ok_json(StatusCode::CREATED, &json!({ "massnahmen": n })),
        Ok(Err(r)) => refused(r),
        Err(e) => failed(&e),
    }
}

/// The schema of a measure as a request writes it (the fields of the planning file).
fn measure_schema() -> Value {
    let s = |d: &str| json!({"type": "string", "description": d});
    json!({"type": "object", "required": ["titel", "stand"], "additionalProperties": false, "properties": {
        "titel": s("title, unique in its cycle"), "text": s("description"),
        "empfehlung": s("title of the cycle's recommendation it implements"),
        "verantwortlich": s("owner"), "partner": s("partners"),
        "von": s("start: 2026, 2026-04 or 2026-04-22"), "bis": s("end, the same way"),
        "budget": {"type": "number", "description": "euro"},
        "stand": {"type": "string", "enum": ["geplant", "laufend", "abgeschlossen", "verworfen"]},
        "zielgruppen": s("target groups"),
        "gemeinden": {"type": "array", "items": {"type": "string", "description": "8-digit AGS of the district"}},
        "notizen": s("internal evaluation notes"), "oeffentlich": {"type": "boolean"},
        "quelle": s("where it is recorded"), "beispiel": {"type": "boolean", "description": "an example beyond the sources"},
        "ziel": {"type": "array", "items": {"$ref": "#/components/schemas/Aim"}}
    }})
}

/// The OpenAPI 3.1 document of the workspace's API.
pub fn openapi_document() -> Value {
    let err = json!({"$ref": "#/components/responses/Error"});
    let any = json!({"type": "object"});
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Sozialmonitor Arbeitsbereich API",
            "version": "1.0.0",
            "description": "The planners' records for scripts: read every planning record of the district with its internal details, add planning cycles and measures. A request carries an API key that a signed-in account makes under /arbeitsbereich/api-schluessel; it acts with that account's role at the time of the request, and every change is in the audit log under its login. Cookies are not accepted. Field names are German, as in the planning file of `sozialmonitor planning import`.",
            "license": {"name": "EUPL-1.2"}
        },
        "security": [{"key": []}],
        "paths": {
            "/arbeitsbereich/api/v1/planung": {
                "get": {
                    "summary": "Every planning cycle of the district with its timeline, decisions, priorities, recommendations and measures, each aim with its state on the internal values (role: planner, analyst or admin)",
                    "responses": {"200": {"description": "the planning records", "content": {"application/json": {"schema": any}}}, "401": err, "403": err}
                },
                "post": {
                    "summary": "New planning cycles with their records, checked whole and each saved in one transaction (role: planner or admin)",
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["zyklus"], "properties": {"zyklus": {"type": "array", "items": any}}, "description": "the planning file's fields: zyklus[] with kreis, titel, von, bis, notiz, quelle, zeitplan[], entscheidung[], schwerpunkt[], empfehlung[], massnahme[]"}}}},
                    "responses": {"201": {"description": "saved", "content": {"application/json": {"schema": {"type": "object", "properties": {"zyklen": {"type": "array", "items": {"type": "integer"}}}}}}}, "401": err, "403": err, "409": err, "422": err}
                }
            },
            "/arbeitsbereich/api/v1/planung/zyklen/{id}/massnahmen": {"post": {
                "summary": "Measures with their aims added to a stored cycle of the district, all or none (role: planner or admin)",
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["massnahme"], "additionalProperties": false, "properties": {"massnahme": {"type": "array", "items": {"$ref": "#/components/schemas/Measure"}}}}}}},
                "responses": {"201": {"description": "saved", "content": {"application/json": {"schema": {"type": "object", "properties": {"massnahmen": {"type": "integer"}}}}}}, "401": err, "403": err, "404": err, "422": err}
            }}
        },
        "components": {
            "securitySchemes": {"key": {"type": "http", "scheme": "bearer", "description": "an API key, smk_…"}},
            "schemas": {
                "Measure": measure_schema(),
                "Aim": {"type": "object", "additionalProperties": false, "required": ["indikator", "gebiet", "ausgangswert", "ausgangsjahr", "zielwert", "zieljahr", "richtung"], "properties": {
                    "indikator": {"type": "string", "description": "catalogue key"},
                    "gebiet": {"type": "string", "description": "the district's key or one of its municipalities"},
                    "ausgangswert": {"type": "number"}, "ausgangsjahr": {"type": "integer"},
                    "zielwert": {"type": "number"}, "zieljahr": {"type": "integer"},
                    "richtung": {"type": "string", "enum": ["steigen", "sinken"]}}},
                "Error": {"type": "object", "required": ["error", "message"], "properties": {
                    "error": {"type": "string", "enum": ["no_key", "bad_key", "forbidden", "invalid", "exists", "no_cycle", "internal"]},
                    "message": {"type": "string", "description": "in German"}}}
            },
            "responses": {"Error": {"description": "an error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}
        }
    })
}

/// `GET /arbeitsbereich/api/v1/openapi.json`: the document, readable without a key.
pub async fn openapi() -> Response {
    ok_json(StatusCode::OK, &openapi_document())
}
