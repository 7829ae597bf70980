//! The OpenAPI document is a snapshot: every change to the API shows up in review as a diff of
//! `tests/openapi.snapshot.json`. Refresh with `UPDATE_SNAPSHOTS=1 cargo test -p sozialmonitor-web`.

#[test]
fn openapi_document_matches_the_snapshot() {
    let doc = sozialmonitor_web::api::openapi_document();
    let text = serde_json::to_string_pretty(&doc).expect("json") + "\n";
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/openapi.snapshot.json");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &text).expect("write snapshot");
    }
    let want =
        std::fs::read_to_string(&path).expect("snapshot exists (UPDATE_SNAPSHOTS=1 makes it)");
    assert_eq!(
        text, want,
        "the API changed: review and refresh the snapshot"
    );
    // Every path the router serves is documented.
    for p in [
        "/api/v1/regions",
        "/api/v1/regions/{key}",
        "/api/v1/indicators",
        "/api/v1/indicators/{key}",
        "/api/v1/values",
        "/api/v1/catalog",
    ] {
        assert!(doc["paths"].get(p).is_some(), "{p} undocumented");
    }
}
