//! The JSON API under `/api/v1`: regions, indicators with metadata, public values, the catalogue,
//! and its OpenAPI document. Errors are JSON with a stable code.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use sozialmonitor_core::catalog::{IndicatorEntry, IndicatorStatus, Polarity};

use sozialmonitor_site::{Pub, Site};

use crate::query::{MAX_PAIRS, MAX_QUERY_BYTES, Params};

type Shared = Arc<Site>;

/// The API routes.
pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/regions", get(regions))
        .route("/regions/{key}", get(region))
        .route("/indicators", get(indicators))
        .route("/indicators/{key}", get(indicator))
        .route("/values", get(values))
        .route("/catalog", get(catalog))
        .route("/planning", get(planning))
        .route("/planning/measures/{id}", get(planning_measure))
        .route("/openapi.json", get(openapi))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "not_found", "no such API route") })
}

fn json_response(v: &Value) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::to_string(v).unwrap_or_default(),
    )
        .into_response()
}

/// A JSON error with a stable code.
pub fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        json!({"error": {"code": code, "message": message}}).to_string(),
    )
        .into_response()
}

fn region_json(site: &Site, r: usize) -> Value {
    let reg = &site.regions[r];
    json!({
        "key": reg.key,
        "name": reg.name,
        "level": reg.level.code(),
        "parent": reg.parent.map(|p| site.regions[p].key.clone()),
        "current": reg.current,
        "successor": site.successor.get(&r).map(|&s| site.regions[s].key.clone()),
    })
}

async fn regions(State(site): State<Shared>, q: Params) -> Response {
    let text = q.get("q").unwrap_or("");
    let parent = q.get("parent");
    let list: Vec<Value> = if let Some(p) = parent {
        let Some(p) = site.region(p) else {
            return error(
                StatusCode::NOT_FOUND,
                "unknown_region",
                "no such parent region",
            );
        };
        site.children(p)
            .iter()
            .map(|&r| region_json(&site, r))
            .collect()
    } else if !text.is_empty() {
        site.search(text, 100)
            .into_iter()
            .map(|r| region_json(&site, r))
            .collect()
    } else {
        return error(
            StatusCode::BAD_REQUEST,
            "missing_parameter",
            "give q (name, key or postcode) or parent (region key)",
        );
    };
    json_response(&json!({ "regions": list }))
}

async fn region(State(site): State<Shared>, Path(key): Path<String>) -> Response {
    match site.region(&key) {
        Some(r) => json_response(&region_json(&site, r)),
        None => error(StatusCode::NOT_FOUND, "unknown_region", "no such region"),
    }
}

fn entry_json(e: &IndicatorEntry) -> Value {
    json!({
        "key": e.key,
        "name": e.name,
        "short_name": e.short_name,
        "definition": e.definition,
        "formula": e.formula,
        "unit": e.unit,
        "reference_population": e.reference_population,
        "action_field": e.action_field,
        "target_groups": e.target_groups,
        "polarity": match e.polarity {
            Polarity::HigherIsBetter => "higher_is_better",
            Polarity::HigherIsWorse => "higher_is_worse",
            Polarity::Neutral => "neutral",
        },
        "source": e.source,
        "spatial_levels": e.spatial_levels,
        "update_rhythm": e.update_rhythm,
        "owner": e.owner,
        "status": match e.status {
            IndicatorStatus::Available => "available",
            IndicatorStatus::Planned => "planned",
            IndicatorStatus::Missing => "missing",
        },
        "how_to_collect": e.how_to_collect,
        "public": e.public,
        "confidentiality": e.confidentiality,
        "inkar_code": e.inkar_code,
        "breaks": e.breaks.iter().map(|b| json!({
            "key": b.key,
            "title": b.title,
            "year": b.year,
            "date": b.date,
            "explanation": b.explanation,
            "levels": b.levels,
            "regions": b.regions,
        })).collect::<Vec<_>>(),
    })
}

async fn indicators(State(site): State<Shared>) -> Response {
    let list: Vec<Value> = site
        .indicators
        .iter()
        .map(|i| {
            let mut v = entry_json(&i.entry);
            v["years"] = json!(i.years);
            v
        })
        .collect();
    json_response(&json!({ "indicators": list }))
}

async fn indicator(State(site): State<Shared>, Path(key): Path<String>) -> Response {
    match site.indicator(&key) {
        Some(i) => {
            let mut v = entry_json(&i.entry);
            v["years"] = json!(i.years);
            json_response(&v)
        }
        None => error(
            StatusCode::NOT_FOUND,
            "unknown_indicator",
            "no such indicator",
        ),
    }
}

async fn catalog(State(site): State<Shared>) -> Response {
    let list: Vec<Value> = site
        .indicators
        .iter()
        .map(|i| entry_json(&i.entry))
        .chain(site.gaps.iter().map(entry_json))
        .collect();
    json_response(&json!({ "catalog": list }))
}

/// `/values?indicator=K[&region=R][&children=true][&year=Y]`: public values only; a suppressed
/// value has `value: null, symbol: "."` and `suppressed: true`; a number that is a sum with
/// missing parts has `incomplete: true` (the pages mark it `*`).
async fn values(State(site): State<Shared>, q: Params) -> Response {
    let Some(key) = q.get("indicator") else {
        return error(
            StatusCode::BAD_REQUEST,
            "missing_parameter",
            "indicator is required",
        );
    };
    let Some(ind) = site.indicator(key) else {
        return error(
            StatusCode::NOT_FOUND,
            "unknown_indicator",
            "no such indicator",
        );
    };
    let year = match q.get("year").map(|y| y.parse::<u16>()) {
        Some(Ok(y)) => Some(y),
        Some(Err(_)) => return error(StatusCode::BAD_REQUEST, "bad_year", "year must be a number"),
        None => None,
    };
    let mut regions: Vec<usize> = match q.get("region") {
        Some(k) => match site.region(k) {
            Some(r) => vec![r],
            None => return error(StatusCode::NOT_FOUND, "unknown_region", "no such region"),
        },
        None => std::iter::once(site.home)
            .chain(site.municipalities(site.home))
            .collect(),
    };
    if q.get("children") == Some("true") {
        let extra: Vec<usize> = regions
            .iter()
            .flat_map(|&r| {
                let m = site.municipalities(r);
                if m.is_empty() { site.kreise(r) } else { m }
            })
            .collect();
        regions.extend(extra);
    }
    let years: Vec<u16> = match year {
        Some(y) => vec![y],
        None => ind.years.clone(),
    };
    let mut out = Vec::new();
    for &r in &regions {
        for &y in &years {
            let Some(v) = ind.get(r, y) else { continue };
            let (value, symbol, suppressed) = match v {
                Pub::Num(n) => (json!(n), Value::Null, false),
                Pub::Sym(s) => (Value::Null, json!(s.as_str()), false),
                Pub::Secret => (Value::Null, json!("."), true),
            };
            out.push(json!({
                "region": site.regions[r].key,
                "year": y,
                "value": value,
                "symbol": symbol,
                "suppressed": suppressed,
                "incomplete": ind.incomplete(r, y),
                "source": ind.source_of(r, y),
                "break": ind.break_at(r, y).map(|b| &b.key),
            }));
        }
    }
    json_response(&json!({
        "indicator": ind.entry.key,
        "unit": ind.entry.unit,
        "values": out,
    }))
}

/// The OpenAPI 3.1 document of this API.
pub fn openapi_document() -> Value {
    let err = json!({"$ref": "#/components/responses/Error"});
    let q = |name: &str, desc: &str, required: bool, ty: &str| json!({"name": name, "in": "query", "required": required, "description": desc, "schema": {"type": ty}});
    let p = |name: &str, desc: &str| json!({"name": name, "in": "path", "required": true, "description": desc, "schema": {"type": "string"}});
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Sozialmonitor API",
            "version": "1.0.0",
            "description": format!("Public indicators of social planning: regions, indicators with metadata and their public values (small numbers suppressed). Data licence dl-de/by-2-0. Limits: a query string of at most {MAX_QUERY_BYTES} bytes and {MAX_PAIRS} parameters, each parameter at most once; beyond that 400 (bad_request). A response that takes longer than the server's time limit is 503 (timeout) with Retry-After."),
            "license": {"name": "EUPL-1.2"}
        },
        "paths": {
            "/api/v1/regions": {"get": {
                "summary": "Search regions or list the regions below one",
                "parameters": [q("q", "name, key or postcode", false, "string"), q("parent", "key of the parent region", false, "string")],
                "responses": {"200": {"description": "regions", "content": {"application/json": {"schema": {"type": "object", "properties": {"regions": {"type": "array", "items": {"$ref": "#/components/schemas/Region"}}}}}}}, "400": err, "404": err}
            }},
            "/api/v1/regions/{key}": {"get": {
                "summary": "One region",
                "parameters": [p("key", "AGS, Kreis or Land key")],
                "responses": {"200": {"description": "the region", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Region"}}}}, "404": err}
            }},
            "/api/v1/indicators": {"get": {
                "summary": "Indicators with metadata and the years with values",
                "responses": {"200": {"description": "indicators", "content": {"application/json": {"schema": {"type": "object", "properties": {"indicators": {"type": "array", "items": {"$ref": "#/components/schemas/Indicator"}}}}}}}}
            }},
            "/api/v1/indicators/{key}": {"get": {
                "summary": "One indicator",
                "parameters": [p("key", "catalogue key")],
                "responses": {"200": {"description": "the indicator", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Indicator"}}}}, "404": err}
            }},
            "/api/v1/values": {"get": {
                "summary": "Public values of an indicator by region and year",
                "parameters": [q("indicator", "catalogue key", true, "string"), q("region", "region key (default: the home district and its municipalities)", false, "string"), q("children", "also the municipalities of a Kreis or the Kreise of a Land (true)", false, "boolean"), q("year", "year", false, "integer")],
                "responses": {"200": {"description": "values", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Values"}}}}, "400": err, "404": err}
            }},
            "/api/v1/catalog": {"get": {
                "summary": "The whole catalogue including planned and missing indicators",
                "responses": {"200": {"description": "catalogue", "content": {"application/json": {"schema": {"type": "object", "properties": {"catalog": {"type": "array", "items": {"$ref": "#/components/schemas/Indicator"}}}}}}}}
            }},
            "/api/v1/planning": {"get": {
                "summary": "The published planning of the home district: cycles, recommendations with their decisions, measures with their aims evaluated on the public values",
                "responses": {"200": {"description": "planning", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Planning"}}}}}
            }},
            "/api/v1/planning/measures/{id}": {"get": {
                "summary": "One published measure",
                "parameters": [p("id", "the measure's id")],
                "responses": {"200": {"description": "the measure", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Measure"}}}}, "404": err}
            }}
        },
        "components": {
            "schemas": {
                "Region": {"type": "object", "required": ["key", "name", "level", "current"], "properties": {
                    "key": {"type": "string"}, "name": {"type": "string"},
                    "level": {"type": "string", "enum": ["germany", "land", "regbez", "kreis", "gemeindeverband", "gemeinde", "submunicipal"]},
                    "parent": {"type": ["string", "null"]}, "current": {"type": "boolean"},
                    "successor": {"type": ["string", "null"], "description": "for a merged municipality, the one it became part of"}}},
                "Indicator": {"type": "object", "required": ["key", "name", "unit", "status"], "properties": {
                    "key": {"type": "string"}, "name": {"type": "string"}, "short_name": {"type": "string"},
                    "definition": {"type": "string"}, "formula": {"type": "string"}, "unit": {"type": "string"},
                    "reference_population": {"type": "string"}, "action_field": {"type": "string"},
                    "target_groups": {"type": "array", "items": {"type": "string"}},
                    "polarity": {"type": "string", "enum": ["higher_is_better", "higher_is_worse", "neutral"]},
                    "source": {"type": "string"}, "spatial_levels": {"type": "array", "items": {"type": "string"}},
                    "update_rhythm": {"type": "string"}, "owner": {"type": "string"},
                    "status": {"type": "string", "enum": ["available", "planned", "missing"]},
                    "how_to_collect": {"type": "string"}, "public": {"type": "boolean"},
                    "confidentiality": {"type": "string"}, "inkar_code": {"type": ["string", "null"]},
                    "breaks": {"type": "array", "description": "breaks in the time series: from `year` on, values rest on a new basis (census, revised count, new Kreise), so changes across one are only partly comparable", "items": {"$ref": "#/components/schemas/SeriesBreak"}},
                    "years": {"type": "array", "items": {"type": "integer"}}}},
                "SeriesBreak": {"type": "object", "required": ["key", "title", "year", "explanation"], "properties": {
                    "key": {"type": "string"}, "title": {"type": "string", "description": "short German name, e.g. Zensus 2022"},
                    "year": {"type": "integer", "description": "the first year whose values rest on the new basis"},
                    "date": {"type": "string", "description": "when it happened (German date)"},
                    "explanation": {"type": "string", "description": "what changed, in German"},
                    "levels": {"type": "array", "items": {"type": "string"}, "description": "region levels it concerns; empty for all"},
                    "regions": {"type": "array", "items": {"type": "string"}, "description": "key prefixes of the regions it concerns; empty for all"}}},
                "Values": {"type": "object", "required": ["indicator", "values"], "properties": {
                    "indicator": {"type": "string"}, "unit": {"type": "string"},
                    "values": {"type": "array", "items": {"type": "object", "required": ["region", "year", "suppressed", "incomplete"], "properties": {
                        "region": {"type": "string"}, "year": {"type": "integer"},
                        "value": {"type": ["number", "null"]},
                        "symbol": {"type": ["string", "null"], "description": "statistical symbol where there is no number: . (secret or suppressed), - (nil), ... (later), / (unreliable), x (not meaningful)"},
                        "suppressed": {"type": "boolean", "description": "suppressed by the confidentiality rules (small numbers)"},
                        "incomplete": {"type": "boolean", "description": "the value is a sum over parts of which some had no value (shown with * on the pages); always false for a suppressed value or a symbol other than - (nil)"},
                        "source": {"type": ["string", "null"], "description": "where the value comes from when it is not computed from the raw counts: the indicator's published equivalent (e.g. \"INKAR 2024, BBSR Bonn\") filling years and regions without raw counts; null for our own computation"},
                        "break": {"type": ["string", "null"], "description": "key of the series break (see the indicator's breaks) before this value when it is the region's first value on the new basis; null otherwise"}}}}}},
                "Planning": {"type": "object", "required": ["district", "cycles", "recommendations", "measures"], "properties": {
                    "district": {"type": "string"},
                    "cycles": {"type": "array", "items": {"type": "object", "properties": {"title": {"type": "string"}, "first_year": {"type": "integer"}, "last_year": {"type": "integer"}}}},
                    "recommendations": {"type": "array", "items": {"$ref": "#/components/schemas/Recommendation"}},
                    "measures": {"type": "array", "items": {"$ref": "#/components/schemas/Measure"}}}},
                "Recommendation": {"type": "object", "required": ["id", "action_field", "title", "body", "indicators", "status", "decided_by", "decided_on", "reference", "outcome", "example"], "properties": {
                    "id": {"type": "integer"}, "action_field": {"type": "string"}, "title": {"type": "string"}, "body": {"type": "string", "description": "Markdown"},
                    "indicators": {"type": "array", "items": {"type": "string"}, "description": "catalogue keys of the indicators it rests on"},
                    "status": {"$ref": "#/components/schemas/PlanStatus"},
                    "decided_by": {"type": "string"}, "decided_on": {"type": "string"}, "reference": {"type": "string"},
                    "outcome": {"type": "string", "description": "the decision; empty while open"},
                    "example": {"type": "boolean", "description": "an example, not from the sources"}}},
                "Measure": {"type": "object", "required": ["id", "title", "body", "owner", "partners", "period_from", "period_to", "budget", "status", "target_groups", "municipalities", "recommendation", "action_field", "example", "aims", "comparisons"], "properties": {
                    "id": {"type": "integer"}, "title": {"type": "string"}, "body": {"type": "string"}, "owner": {"type": "string"},
                    "partners": {"type": "string"}, "period_from": {"type": "string"}, "period_to": {"type": "string"},
                    "budget": {"type": ["number", "null"], "description": "euros"}, "status": {"$ref": "#/components/schemas/PlanStatus"},
                    "target_groups": {"type": "string"}, "municipalities": {"type": "array", "items": {"type": "string"}, "description": "AGS; empty for the whole district"},
                    "recommendation": {"type": ["integer", "null"], "description": "id of the published recommendation it implements"},
                    "action_field": {"type": ["string", "null"]}, "example": {"type": "boolean"},
                    "aims": {"type": "array", "items": {"$ref": "#/components/schemas/Aim"}},
                    "comparisons": {"type": "array", "items": {"type": "string"}, "description": "the change in the measure's municipalities against the rest of the district (difference in differences), in German; a description, not proof of effect"}}},
                "Aim": {"type": "object", "required": ["indicator", "region", "direction", "baseline", "target", "progress", "latest", "expected"], "description": "baseline, target and evaluation are null where the baseline is not a published value", "properties": {
                    "indicator": {"type": "string"}, "region": {"type": "string"}, "direction": {"type": "string", "enum": ["steigen", "sinken"]},
                    "baseline": {"type": ["object", "null"], "properties": {"value": {"type": "number"}, "year": {"type": "integer"}}},
                    "target": {"type": ["object", "null"], "properties": {"value": {"type": "number"}, "year": {"type": "integer"}}},
                    "progress": {"type": ["string", "null"], "enum": ["erreicht", "auf_kurs", "rueckstand", "entfernt", "keine_daten", null]},
                    "latest": {"type": ["object", "null"], "properties": {"value": {"type": "number"}, "year": {"type": "integer"}}},
                    "expected": {"type": ["number", "null"], "description": "the value the straight path from baseline to target expects in the latest value's year"}}},
                "PlanStatus": {"type": "string", "enum": ["geplant", "laufend", "abgeschlossen", "verworfen"]},
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
                    "code": {"type": "string", "enum": ["not_found", "unknown_region", "unknown_indicator", "missing_parameter", "bad_year", "bad_request", "timeout", "internal", "csv", "xlsx"]},
                    "message": {"type": "string"}}}}}
            },
            "responses": {"Error": {"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}
        }
    })
}

async fn planning(State(site): State<Shared>) -> Response {
    json_response(&crate::planning::api_json(&site))
}

async fn planning_measure(State(site): State<Shared>, Path(id): Path<String>) -> Response {
    let found = id
        .parse::<i64>()
        .ok()
        .and_then(|id| site.planning.measure(id));
    match found {
        Some(m) => json_response(&crate::planning::measure_json(&site, m)),
        None => error(
            StatusCode::NOT_FOUND,
            "not_found",
            "no published measure with this id",
        ),
    }
}

async fn openapi() -> Response {
    json_response(&openapi_document())
}
