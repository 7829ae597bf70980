//! Accounts, sessions and the audit log on both backends.

use sozialmonitor_core::access::{Login, Role};
use sozialmonitor_store::testing::{Backend, Scratch};
use sozialmonitor_store::transfer::export_text;
use sozialmonitor_store::{
    AccountChange, Accounts, ApiTokens, AuditEvent, AuditFilter, CommentaryVersion, Database,
    NewAccount, NewApiToken, ReportInfo, StoreError, Writing,
};

sozialmonitor_store::on_both_backends!(
    accounts_change_with_their_audit_event_and_end_sessions,
    sessions_end_on_sign_out_and_when_stale,
    audit_filters_match_literally,
    copy_moves_accounts_and_audit_but_no_session,
    commentary_keeps_every_version_and_reports_their_bytes,
    api_keys_act_as_their_account_until_revoked,
);

fn scratch(backend: Backend, test: &str) -> Option<(Scratch, Database)> {
    let s = Scratch::new(backend, test)?;
    let db = s.open().expect("open");
    Some((s, db))
}

fn anna() -> NewAccount {
    NewAccount {
        login: Login::parse("Anna.Sommer").expect("login"),
        name: "Anna Sommer".into(),
        role: Role::Planner,
        department: None,
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        must_change: true,
    }
}

fn accounts_change_with_their_audit_event_and_end_sessions(b: Backend) {
    let Some((_s, mut db)) = scratch(b, "accounts_change") else {
        return;
    };
    let ev = |at, action: &str| AuditEvent::new(at, "cli:admin", action, "anna.sommer");
    let id = db
        .add_account(&anna(), 100, &ev(100, "account.create"))
        .expect("add");
    let Err(StoreError::Conflict(_)) = db.add_account(&anna(), 101, &ev(101, "account.create"))
    else {
        panic!("a second account with the same login must be refused");
    };
    let (a, hash) = db.account("anna.sommer").expect("read").expect("there");
    assert_eq!((a.id, a.role, a.must_change), (id, Role::Planner, true));
    assert!(hash.starts_with("$argon2id$"));
    db.login_succeeded(id, "tokenhash", "csrf1", &ev(110, "login"))
        .expect("login");
    assert_eq!(
        db.session("tokenhash").expect("s").map(|s| s.csrf),
        Some("csrf1".into())
    );
    db.change_account(
        id,
        &AccountChange::Role(Role::Provider, Some("Jugendamt".into())),
        &ev(120, "account.role").values(Some("planner".into()), Some("provider".into())),
    )
    .expect("role");
    // A new role ends the sessions begun under the old one.
    assert_eq!(db.session("tokenhash").expect("s"), None);
    let a = db.account_by_id(id).expect("r").expect("there");
    assert_eq!(a.department.as_deref(), Some("Jugendamt"));
    let Err(StoreError::Conflict(_)) = db.change_account(
        999,
        &AccountChange::Disabled(true),
        &ev(130, "account.disable"),
    ) else {
        panic!("an unknown id is an error");
    };
    let events = db.audit_events(&AuditFilter::default()).expect("audit");
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    // Newest first; the refused changes left no event.
    assert_eq!(actions, ["account.role", "login", "account.create"]);
    assert_eq!(events[0].new_value.as_deref(), Some("provider"));
}

fn sessions_end_on_sign_out_and_when_stale(b: Backend) {
    let Some((_s, mut db)) = scratch(b, "sessions_end") else {
        return;
    };
    let id = db
        .add_account(
            &anna(),
            0,
            &AuditEvent::new(0, "system", "account.create", "anna"),
        )
        .expect("add");
    for (t, at) in [("a", 10), ("b", 20), ("c", 30)] {
        db.login_succeeded(id, t, "x", &AuditEvent::new(at, "anna", "login", "anna"))
            .expect("login");
    }
    db.touch_session("a", 40).expect("touch");
    db.end_session("c", Some(&AuditEvent::new(41, "anna", "logout", "anna")))
        .expect("logout");
    assert!(db.session("c").expect("s").is_none());
    // Idle since before 25: b (seen 20); a was seen at 40.
    assert_eq!(db.end_stale_sessions(25, 0).expect("stale"), 1);
    assert!(db.session("a").expect("s").is_some());
    assert!(db.session("b").expect("s").is_none());
    db.change_account(
        id,
        &AccountChange::Password {
            hash: "new".into(),
            must_change: false,
        },
        &AuditEvent::new(50, "anna", "account.password", "anna"),
    )
    .expect("password");
    assert!(db.session("a").expect("s").is_none());
    let a = db.account_by_id(id).expect("r").expect("there");
    assert_eq!((a.password_changed_at, a.must_change), (50, false));
}

fn audit_filters_match_literally(b: Backend) {
    let Some((_s, mut db)) = scratch(b, "audit_filters") else {
        return;
    };
    for (i, (actor, action)) in [
        ("anna", "account.create"),
        ("bert", "account_x"),
        ("anna", "import.commit"),
        ("anna", "account.role"),
    ]
    .iter()
    .enumerate()
    {
        db.record(&AuditEvent::new(i as i64, actor, action, "o"))
            .expect("record");
    }
    let only = |actor: Option<&str>, prefix: Option<&str>, limit| {
        db.audit_events(&AuditFilter {
            actor: actor.map(str::to_string),
            action_prefix: prefix.map(str::to_string),
            limit,
        })
        .expect("audit")
        .iter()
        .map(|e| e.action.clone())
        .collect::<Vec<_>>()
    };
    assert_eq!(
        only(None, Some("account."), 0),
        ["account.role", "account.create"]
    );
    // `_` is a character here, not a wildcard.
    assert_eq!(only(None, Some("account_"), 0), ["account_x"]);
    assert_eq!(
        only(Some("anna"), None, 2),
        ["account.role", "import.commit"]
    );
}

fn copy_moves_accounts_and_audit_but_no_session(b: Backend) {
    let Some((_s, mut db)) = scratch(b, "copy_accounts") else {
        return;
    };
    let id = db
        .add_account(
            &anna(),
            0,
            &AuditEvent::new(0, "system", "account.create", "anna"),
        )
        .expect("add");
    db.login_succeeded(id, "tok", "x", &AuditEvent::new(1, "anna", "login", "anna"))
        .expect("login");
    let other = Scratch::new(Backend::Sqlite, "copy_accounts_target").expect("sqlite");
    let mut to = other.open().expect("open");
    // A session already in the target must not survive the copy either.
    let tid = to
        .add_account(
            &anna(),
            0,
            &AuditEvent::new(0, "system", "account.create", "anna"),
        )
        .expect("add");
    to.login_succeeded(
        tid,
        "old",
        "x",
        &AuditEvent::new(1, "anna", "login", "anna"),
    )
    .expect("login");
    sozialmonitor_store::transfer::copy(&db, &mut to).expect("copy");
    assert_eq!(export_text(&db).expect("a"), export_text(&to).expect("b"));
    assert!(to.account("anna.sommer").expect("r").is_some());
    assert!(to.session("tok").expect("s").is_none());
    assert!(to.session("old").expect("s").is_none());
}

fn commentary_keeps_every_version_and_reports_their_bytes(b: Backend) {
    let Some((_s, mut db)) = scratch(b, "commentary_versions") else {
        return;
    };
    let v = |chapter: &str, body: &str, at| CommentaryVersion {
        id: 0,
        kreis: "14522".into(),
        chapter: chapter.into(),
        body: body.into(),
        author: "anna".into(),
        at,
    };
    let ev = |at| AuditEvent::new(at, "anna", "commentary.save", "14522/wohnen");
    db.save_commentary(&v("wohnen", "Erster Entwurf", 1), &ev(1))
        .expect("save");
    db.save_commentary(&v("zusammenfassung", "Kurz **gesagt**", 2), &ev(2))
        .expect("save");
    db.save_commentary(&v("wohnen", "Zweiter <Entwurf> & mehr", 3), &ev(3))
        .expect("save");
    let current: Vec<(String, String)> = db
        .commentary("14522")
        .expect("current")
        .into_iter()
        .map(|c| (c.chapter, c.body))
        .collect();
    assert_eq!(
        current,
        [
            ("wohnen".to_string(), "Zweiter <Entwurf> & mehr".to_string()),
            ("zusammenfassung".to_string(), "Kurz **gesagt**".to_string())
        ]
    );
    let versions = db.commentary_versions("14522", "wohnen").expect("versions");
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[1].body, "Erster Entwurf");
    assert!(db.commentary("15082").expect("other").is_empty());
    let pdf: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let info = ReportInfo {
        id: 0,
        kind: "sozialbericht".into(),
        region_key: "14522".into(),
        data_version: 97,
        created_at: 4,
        author: "anna".into(),
        bytes: 0,
    };
    let id = db
        .save_report(
            &info,
            &pdf,
            &AuditEvent::new(4, "anna", "report.create", "14522"),
        )
        .expect("report");
    let (got, bytes) = db.report(id).expect("read").expect("there");
    assert_eq!((got.data_version, got.bytes), (97, 70_000));
    assert_eq!(bytes, pdf);
    assert_eq!(db.reports("14522").expect("list").len(), 1);
    assert!(db.report(id + 1).expect("read").is_none());
    assert_eq!(
        db.audit_events(&AuditFilter::default())
            .expect("audit")
            .len(),
        4
    );
    // Profiles of a district's municipalities: kept together, one audit event, found by kind
    // and the district's key; other districts and kinds stay out.
    let profile = |key: &str, byte: u8| {
        (
            ReportInfo {
                kind: "gemeindeprofil".into(),
                region_key: key.into(),
                ..info.clone()
            },
            vec![byte; 1000],
        )
    };
    let ids = db
        .save_reports(
            &[
                profile("14522010", 1),
                profile("14522020", 2),
                profile("15082005", 3),
            ],
            &AuditEvent::new(5, "anna", "report.create", "14522"),
        )
        .expect("profiles");
    assert_eq!(ids.len(), 3);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    assert_eq!(
        db.report(ids[1]).expect("read").expect("there").1,
        vec![2; 1000]
    );
    let found: Vec<String> = db
        .reports_of("gemeindeprofil", "14522")
        .expect("list")
        .into_iter()
        .map(|r| r.region_key)
        .collect();
    assert_eq!(found, ["14522020", "14522010"]);
    assert!(
        db.reports_of("sozialbericht", "1452201")
            .expect("list")
            .is_empty()
    );
    assert!(
        db.reports_of("gemeindeprofil", "%")
            .expect("list")
            .is_empty()
    );
    assert_eq!(
        db.audit_events(&AuditFilter::default())
            .expect("audit")
            .len(),
        5
    );
}

fn api_keys_act_as_their_account_until_revoked(b: Backend) {
    let Some((_s, mut db)) = scratch(b, "api_keys") else {
        return;
    };
    let ev = |action: &str| AuditEvent::new(100, "anna.sommer", action, "Skript");
    let anna = db
        .add_account(&anna(), 100, &ev("account.create"))
        .expect("add");
    let new = NewApiToken {
        account_id: anna,
        label: "Skript",
        token_hash: "h1",
        created_at: 100,
        expires_at: 200,
    };
    let id = db.add_api_token(&new, &ev("token.create")).expect("key");
    // The same key twice is refused (the hash is unique).
    assert!(db.add_api_token(&new, &ev("token.create")).is_err());
    let (key, account) = db.api_token("h1").expect("read").expect("found");
    assert_eq!(
        (key.id, account.id, key.label.as_str()),
        (id, anna, "Skript")
    );
    assert!(key.valid_at(199) && !key.valid_at(200));
    assert_eq!(db.api_token("h2").expect("read"), None);
    db.api_token_used(id, 150).expect("used");
    assert_eq!(db.api_tokens(anna).expect("list")[0].used_at, 150);
    // Only its own account revokes it, and once.
    assert!(matches!(
        db.revoke_api_token(id, anna + 1, &ev("token.revoke")),
        Err(StoreError::Conflict(_))
    ));
    db.revoke_api_token(id, anna, &ev("token.revoke"))
        .expect("revoke");
    assert!(matches!(
        db.revoke_api_token(id, anna, &ev("token.revoke")),
        Err(StoreError::Conflict(_))
    ));
    let (key, _) = db.api_token("h1").expect("read").expect("found");
    assert!(key.revoked && !key.valid_at(150));
    // A new password ends every key of the account; a new role does not.
    let second = NewApiToken {
        token_hash: "h2",
        ..new.clone()
    };
    db.add_api_token(&second, &ev("token.create")).expect("key");
    db.change_account(
        anna,
        &AccountChange::Role(Role::Viewer, None),
        &ev("account.role"),
    )
    .expect("role");
    assert!(
        db.api_token("h2")
            .expect("read")
            .expect("found")
            .0
            .valid_at(150)
    );
    db.change_account(
        anna,
        &AccountChange::Password {
            hash: "$argon2id$x".into(),
            must_change: false,
        },
        &ev("account.password"),
    )
    .expect("password");
    assert!(
        !db.api_token("h2")
            .expect("read")
            .expect("found")
            .0
            .valid_at(150)
    );
    let events = db
        .audit_events(&AuditFilter {
            action_prefix: Some("token.".into()),
            ..AuditFilter::default()
        })
        .expect("audit");
    assert_eq!(events.len(), 3, "{events:?}");
}
