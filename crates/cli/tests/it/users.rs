//! `sozialmonitor user`: the first admin and account changes from the command line, each in the
//! audit log; `import --dry-run` stores nothing and imports are logged too.

use std::io::Write as _;
use std::process::{Command, Stdio};

use sozialmonitor_store::Accounts;
use sozialmonitor_store::testing::Backend;

use super::{demo, run, scratch, text};

fn with_stdin(db: &str, args: &[&str], input: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sozialmonitor"))
        .arg("--db")
        .arg(db)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run sozialmonitor");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write");
    child.wait_with_output().expect("wait")
}

pub fn accounts_from_the_command_line_are_checked_and_logged(backend: Backend) {
    let Some((scratch, db)) = scratch(backend, "accounts_from_the_command_line") else {
        return;
    };
    let o = with_stdin(
        &db,
        &[
            "user",
            "add",
            "Anna",
            "--name",
            "Anna Sommer",
            "--role",
            "admin",
            "--password-stdin",
        ],
        "Pferd Batterie Heftklammer\n",
    );
    assert!(o.status.success(), "{:?}", text(&o));
    // A weak password, a provider without department, an unknown role: refused, with the reason.
    let o = with_stdin(
        &db,
        &[
            "user",
            "add",
            "bert",
            "--name",
            "Bert",
            "--role",
            "viewer",
            "--password-stdin",
        ],
        "kurz\n",
    );
    assert!(
        !o.status.success() && text(&o).1.contains("zu kurz"),
        "{:?}",
        text(&o)
    );
    let o = run(
        &db,
        &[
            "user", "add", "carla", "--name", "Carla", "--role", "provider",
        ],
    );
    assert!(
        !o.status.success() && text(&o).1.contains("--department"),
        "{:?}",
        text(&o)
    );
    let o = run(
        &db,
        &["user", "add", "dora", "--name", "Dora", "--role", "root"],
    );
    assert!(
        !o.status.success() && text(&o).1.contains("unknown role"),
        "{:?}",
        text(&o)
    );
    // Without --password-stdin a one-time password is printed.
    let o = run(
        &db,
        &[
            "user",
            "add",
            "jugendamt",
            "--name",
            "Jugendamt",
            "--role",
            "provider",
            "--department",
            "Jugendamt",
        ],
    );
    let (out, err) = text(&o);
    assert!(
        o.status.success() && out.contains("initial password"),
        "{out}{err}"
    );
    let o = run(&db, &["user", "disable", "jugendamt"]);
    assert!(o.status.success(), "{:?}", text(&o));
    let o = run(&db, &["user", "set-role", "anna", "planner"]);
    assert!(o.status.success(), "{:?}", text(&o));
    let (out, _) = text(&run(&db, &["user", "list"]));
    assert!(out.contains("anna") && out.contains("planner"), "{out}");
    assert!(
        out.contains("jugendamt") && out.contains("disabled"),
        "{out}"
    );
    // A dry run stores nothing; the import itself is logged with its counts.
    let file = demo("ba/arbeitslose-kreise-sachsen-sachsen-anhalt-2012-2025.csv");
    let file = file.to_str().expect("path");
    let (out, err) = text(&run(&db, &["import", "--dry-run", file]));
    assert!(
        out.contains("would import") && out.contains("nothing was stored"),
        "{out}{err}"
    );
    let (out, err) = text(&run(&db, &["import", file]));
    assert!(out.contains("imported as #1"), "{out}{err}");
    let store = scratch.open().expect("open");
    let events = store
        .audit_events(&sozialmonitor_store::AuditFilter::default())
        .expect("audit");
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "import.commit",
            "account.role",
            "account.disable",
            "account.create",
            "account.create"
        ]
    );
    assert!(events.iter().all(|e| e.actor.starts_with("cli:")));
    assert_eq!(events[1].old_value.as_deref(), Some("admin"));
}
