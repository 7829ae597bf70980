//! `sozialmonitor user`: workspace accounts from the command line, for the first admin and for
//! scripts. Every change is written to the audit log as `cli:<system user>`.

use std::io::BufRead as _;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use sozialmonitor_core::access::{self, Login, Role};
use sozialmonitor_store::{
    Account, AccountChange, Accounts, AuditEvent, Database, Location, NewAccount,
};
use sozialmonitor_workspace::auth;

/// What `user` does.
#[derive(Subcommand, Debug)]
pub enum UserAction {
    /// Create an account. Without --password-stdin a random password is printed once and must
    /// be changed at the first sign-in.
    Add {
        /// Login name (a–z, 0–9, . _ -).
        login: String,
        /// Name shown in the workspace.
        #[arg(long)]
        name: String,
        /// admin, planner, provider or viewer.
        #[arg(long)]
        role: String,
        /// Department of a data provider (e.g. Jugendamt).
        #[arg(long)]
        department: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List the accounts.
    List,
    /// Disable an account (its sessions end at once).
    Disable {
        /// Login name.
        login: String,
    },
    /// Enable a disabled account again.
    Enable {
        /// Login name.
        login: String,
    },
    /// Change the role (and department) of an account.
    SetRole {
        /// Login name.
        login: String,
        /// admin, planner, provider or viewer.
        role: String,
        /// Department of a data provider.
        #[arg(long)]
        department: Option<String>,
    },
    /// Set a new password: random and printed once (to be changed at the next sign-in), or
    /// read from standard input.
    ResetPassword {
        /// Login name.
        login: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
}

/// Who runs the command, for the audit log: `cli:<system user>`.
pub fn actor() -> String {
    let who = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unbekannt".into());
    format!("cli:{who}")
}

/// Unix seconds now.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn role_of(text: &str, department: Option<String>) -> Result<(Role, Option<String>)> {
    let role = Role::parse(text)
        .with_context(|| format!("unknown role `{text}`: admin, planner, provider or viewer"))?;
    let department = department.filter(|d| !d.trim().is_empty());
    if role.needs_department() && department.is_none() {
        bail!("a data provider (provider) needs --department, e.g. --department Jugendamt");
    }
    Ok((role, department))
}

/// The password from stdin (checked against the rules) with `must_change = false`, or a random
/// one to be printed, with `must_change = true`.
fn password(login: &str, from_stdin: bool) -> Result<(String, Option<String>)> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        let pw = line.trim_end_matches(['\r', '\n']).to_string();
        access::check_password(login, &pw).map_err(|p| anyhow::anyhow!("{p}"))?;
        Ok((auth::hash_password(&pw)?, None))
    } else {
        let pw = auth::initial_password()?;
        Ok((auth::hash_password(&pw)?, Some(pw)))
    }
}

fn find(db: &Database, login: &str) -> Result<Account> {
    Ok(db
        .account(&login.trim().to_lowercase())?
        .with_context(|| format!("no account `{login}`; see `sozialmonitor user list`"))?
        .0)
}

/// Runs one `user` action.
pub fn run(location: &Location, action: UserAction) -> Result<ExitCode> {
    let mut db = Database::open(location).with_context(|| format!("opening {location}"))?;
    let who = actor();
    match action {
        UserAction::Add {
            login,
            name,
            role,
            department,
            password_stdin,
        } => {
            let login = Login::parse(&login).map_err(|m| anyhow::anyhow!("{m}"))?;
            let (role, department) = role_of(&role, department)?;
            let (hash, shown) = password(login.as_str(), password_stdin)?;
            let t = now();
            let described = match &department {
                Some(d) => format!("{} ({d})", role.code()),
                None => role.code().to_string(),
            };
            db.add_account(
                &NewAccount {
                    login: login.clone(),
                    name,
                    role,
                    department,
                    password_hash: hash,
                    must_change: shown.is_some(),
                },
                t,
                &AuditEvent::new(t, &who, "account.create", login.as_str())
                    .values(None, Some(described)),
            )?;
            println!("account {login} created ({})", role.label_de());
            if let Some(pw) = shown {
                println!("initial password (shown once, to be changed at the first sign-in): {pw}");
            }
        }
        UserAction::List => {
            for a in db.accounts()? {
                println!(
                    "{:<20} {:<10} {:<16} {:<30} {}",
                    a.login,
                    a.role.code(),
                    a.department.as_deref().unwrap_or("-"),
                    a.name,
                    if a.disabled { "disabled" } else { "active" }
                );
            }
        }
        UserAction::Disable { login } => {
            let a = find(&db, &login)?;
            let ev = AuditEvent::new(now(), &who, "account.disable", &a.login)
                .values(Some("aktiv".into()), Some("gesperrt".into()));
            db.change_account(a.id, &AccountChange::Disabled(true), &ev)?;
            println!("account {} disabled; its sessions ended", a.login);
        }
        UserAction::Enable { login } => {
            let a = find(&db, &login)?;
            let ev = AuditEvent::new(now(), &who, "account.enable", &a.login)
                .values(Some("gesperrt".into()), Some("aktiv".into()));
            db.change_account(a.id, &AccountChange::Disabled(false), &ev)?;
            println!("account {} enabled", a.login);
        }
        UserAction::SetRole {
            login,
            role,
            department,
        } => {
            let a = find(&db, &login)?;
            let (role, department) = role_of(&role, department)?;
            let show = |r: Role, d: &Option<String>| match d {
                Some(d) => format!("{} ({d})", r.code()),
                None => r.code().to_string(),
            };
            let ev = AuditEvent::new(now(), &who, "account.role", &a.login).values(
                Some(show(a.role, &a.department)),
                Some(show(role, &department)),
            );
            db.change_account(a.id, &AccountChange::Role(role, department), &ev)?;
            println!("account {} is now {}", a.login, role.label_de());
        }
        UserAction::ResetPassword {
            login,
            password_stdin,
        } => {
            let a = find(&db, &login)?;
            let (hash, shown) = password(&a.login, password_stdin)?;
            let ev = AuditEvent::new(now(), &who, "account.password_reset", &a.login);
            let change = AccountChange::Password {
                hash,
                must_change: shown.is_some(),
            };
            db.change_account(a.id, &change, &ev)?;
            println!("password of {} set; its sessions ended", a.login);
            if let Some(pw) = shown {
                println!("new password (shown once, to be changed at the next sign-in): {pw}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
