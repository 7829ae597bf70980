//! Workspace accounts, their sessions and the audit log, on both backends from one text: the
//! SQL is written once with `?N` parameters, and each backend only runs statements ([`Sql`]).
//! Every change is written in the same transaction as its audit event, so the log cannot miss a
//! change that happened nor record one that did not.

use sozialmonitor_core::access::{Login, Role};

use crate::transfer::{Field, Ty};
use crate::{Result, StoreError};

/// A workspace account (without its password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Database id.
    pub id: i64,
    /// Login name (lower case).
    pub login: String,
    /// Name shown.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Department (Fachbereich) of a data provider.
    pub department: Option<String>,
    /// Disabled accounts cannot sign in; their sessions end.
    pub disabled: bool,
    /// The password was set by an admin and must be changed at the next sign-in.
    pub must_change: bool,
    /// Failed logins in a row.
    pub failed_logins: i64,
    /// Unix seconds until which sign-ins are refused (after repeated failures).
    pub locked_until: i64,
    /// Unix seconds of creation.
    pub created_at: i64,
    /// Unix seconds of the last password change.
    pub password_changed_at: i64,
}

/// A new account as an admin creates it.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// Login name.
    pub login: Login,
    /// Name shown.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Department (required for data providers).
    pub department: Option<String>,
    /// Password hash (PHC string, argon2id).
    pub password_hash: String,
    /// Whether the password must be changed at the first sign-in.
    pub must_change: bool,
}

/// A change to an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountChange {
    /// New role (and department, which only data providers have).
    Role(Role, Option<String>),
    /// Disabled or enabled again.
    Disabled(bool),
    /// New password hash; `must_change` when an admin set it.
    Password {
        /// PHC string.
        hash: String,
        /// Whether the owner must change it at the next sign-in.
        must_change: bool,
    },
}

/// A signed-in session with its account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The account.
    pub account: Account,
    /// The session's CSRF token, which every form carries.
    pub csrf: String,
    /// Unix seconds of the sign-in.
    pub created_at: i64,
    /// Unix seconds of the last request.
    pub seen_at: i64,
}

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// Id (0 for an event not yet written).
    pub id: i64,
    /// Unix seconds.
    pub at: i64,
    /// Who: the login name, `system` or `cli:…` for the command line.
    pub actor: String,
    /// What, as a stable code (`account.create`, `login.failed`, `import.commit`, …).
    pub action: String,
    /// What it was done to (a login name, a file, an indicator).
    pub object: String,
    /// The value before (`None` when nothing was there).
    pub old_value: Option<String>,
    /// The value after.
    pub new_value: Option<String>,
}

impl AuditEvent {
    /// An event without old and new value.
    pub fn new(at: i64, actor: &str, action: &str, object: &str) -> AuditEvent {
        AuditEvent {
            id: 0,
            at,
            actor: actor.to_string(),
            action: action.to_string(),
            object: object.to_string(),
            old_value: None,
            new_value: None,
        }
    }

    /// With the values before and after.
    pub fn values(mut self, old: Option<String>, new: Option<String>) -> AuditEvent {
        self.old_value = old;
        self.new_value = new;
        self
    }
}

/// Which audit events to list.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only this actor.
    pub actor: Option<String>,
    /// Only actions starting with this (`account.` for all account changes).
    pub action_prefix: Option<String>,
    /// At most this many, newest first (0: all).
    pub limit: usize,
}

/// Accounts, sessions and the audit log.
pub trait Accounts {
    /// Every account, by login name.
    fn accounts(&self) -> Result<Vec<Account>>;
    /// An account by login name, with its password hash.
    fn account(&self, login: &str) -> Result<Option<(Account, String)>>;
    /// An account by id.
    fn account_by_id(&self, id: i64) -> Result<Option<Account>>;
    /// Creates an account; a login name that exists is refused ([`StoreError::Conflict`]).
    fn add_account(&mut self, new: &NewAccount, now: i64, event: &AuditEvent) -> Result<i64>;
    /// Changes an account and ends its sessions (a changed role, a disabled account or a new
    /// password must not go on in a session begun before).
    fn change_account(&mut self, id: i64, change: &AccountChange, event: &AuditEvent)
    -> Result<()>;
    /// Records a failed sign-in: the count in a row and the lock it leads to.
    fn login_failed(
        &mut self,
        id: i64,
        failures: i64,
        locked_until: i64,
        event: &AuditEvent,
    ) -> Result<()>;
    /// Records a sign-in and starts a session (the failure count goes back to 0).
    fn login_succeeded(
        &mut self,
        id: i64,
        token_hash: &str,
        csrf: &str,
        event: &AuditEvent,
    ) -> Result<()>;
    /// The session of a token hash.
    fn session(&self, token_hash: &str) -> Result<Option<Session>>;
    /// Notes a request in a session.
    fn touch_session(&mut self, token_hash: &str, now: i64) -> Result<()>;
    /// Ends a session (sign-out), with its event.
    fn end_session(&mut self, token_hash: &str, event: Option<&AuditEvent>) -> Result<()>;
    /// Ends every session last used before `idle_before` or begun before `begun_before`.
    fn end_stale_sessions(&mut self, idle_before: i64, begun_before: i64) -> Result<u64>;
    /// Writes an event on its own.
    fn record(&mut self, event: &AuditEvent) -> Result<()>;
    /// Events, newest first.
    fn audit_events(&self, filter: &AuditFilter) -> Result<Vec<AuditEvent>>;
}

/// One statement with its parameters, and the types of the columns it returns (if any).
pub(crate) struct Step<'a> {
    /// SQL with `?1`, `?2`… parameters.
    pub sql: &'a str,
    /// Parameters.
    pub params: Vec<Field>,
    /// Types of the returned columns.
    pub returns: &'a [Ty],
    /// When it changes no row, the transaction is rolled back with this message (a
    /// [`StoreError::Conflict`]).
    pub or_else: Option<String>,
    /// The id that the step of this index returned (an earlier one) is appended to the
    /// parameters: the rows that belong to a new row (a measure's aims) are written in the
    /// same transaction.
    pub id_of: Option<usize>,
}

impl Step<'_> {
    /// The parameters, with an earlier step's id appended where the step asks for it.
    pub(crate) fn params_with(&self, done: &[(Vec<Vec<Field>>, u64)]) -> Result<Vec<Field>> {
        let mut p = self.params.clone();
        if let Some(k) = self.id_of {
            p.push(Field::Int(first_id(done.get(k..).unwrap_or(&[]))?));
        }
        Ok(p)
    }
}

impl Step<'_> {
    /// The refusal of a step that had to change a row and changed none (see `or_else`).
    pub(crate) fn check(&self, done: Option<&(Vec<Vec<Field>>, u64)>) -> Result<()> {
        match (done, &self.or_else) {
            (Some((_, 0)), Some(why)) => Err(StoreError::Conflict(why.clone())),
            _ => Ok(()),
        }
    }
}

/// What a backend provides for [`Accounts`]: reads and transactions of plain statements.
pub(crate) trait Sql {
    /// Rows of a query, as fields of the given types.
    fn select(&self, sql: &str, params: &[Field], types: &[Ty]) -> Result<Vec<Vec<Field>>>;
    /// Runs statements in one transaction; per statement, the rows it returned and the rows it
    /// changed.
    fn transact(&mut self, steps: &[Step<'_>]) -> Result<Vec<(Vec<Vec<Field>>, u64)>>;
}

pub(crate) const ACCOUNT_COLUMNS: &str = "id, login, name, role, department, disabled, must_change, \
     failed_logins, locked_until, created_at, password_changed_at";
/// [`ACCOUNT_COLUMNS`] of the table named `alias` in a join (`a.id, a.login, …`).
pub(crate) fn account_columns_of(alias: &str) -> String {
    ACCOUNT_COLUMNS
        .split(", ")
        .map(|c| format!("{alias}.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) const ACCOUNT_TYPES: [Ty; 11] = [
    Ty::Int,
    Ty::Text,
    Ty::Text,
    Ty::Text,
    Ty::Text,
    Ty::Int,
    Ty::Int,
    Ty::Int,
    Ty::Int,
    Ty::Int,
    Ty::Int,
];
const EVENT_TYPES: [Ty; 7] = [
    Ty::Int,
    Ty::Int,
    Ty::Text,
    Ty::Text,
    Ty::Text,
    Ty::Text,
    Ty::Text,
];

/// The id the first step of a transaction returned (an `INSERT … RETURNING id`).
pub(crate) fn first_id(done: &[(Vec<Vec<Field>>, u64)]) -> Result<i64> {
    done.first()
        .and_then(|(rows, _)| rows.first())
        .and_then(|r| r.first())
        .and_then(Field::as_int)
        .ok_or_else(|| StoreError::Corrupt("no id for the new row".into()))
}

pub(crate) fn int(f: &Field) -> i64 {
    f.as_int().unwrap_or(0)
}

pub(crate) fn text(f: &Field) -> Option<String> {
    match f {
        Field::Text(s) => Some(s.clone()),
        _ => None,
    }
}

fn opt_text(s: &Option<String>) -> Field {
    s.clone().map_or(Field::Null, Field::Text)
}

pub(crate) fn account_of(r: &[Field]) -> Result<Account> {
    let role_code = text(&r[3]).unwrap_or_default();
    let role = Role::parse(&role_code)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown role `{role_code}`")))?;
    Ok(Account {
        id: int(&r[0]),
        login: text(&r[1]).unwrap_or_default(),
        name: text(&r[2]).unwrap_or_default(),
        role,
        department: text(&r[4]),
        disabled: int(&r[5]) != 0,
        must_change: int(&r[6]) != 0,
        failed_logins: int(&r[7]),
        locked_until: int(&r[8]),
        created_at: int(&r[9]),
        password_changed_at: int(&r[10]),
    })
}

pub(crate) fn event_step(e: &AuditEvent) -> Step<'static> {
    Step {
        sql: "INSERT INTO audit_event (at, actor, action, object, old_value, new_value) \
              VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params: vec![
            Field::Int(e.at),
            Field::Text(e.actor.clone()),
            Field::Text(e.action.clone()),
            Field::Text(e.object.clone()),
            opt_text(&e.old_value),
            opt_text(&e.new_value),
        ],
        returns: &[],
        or_else: None,
        id_of: None,
    }
}

/// The audit event of an import, as a statement for the import's transaction.
pub(crate) fn import_event(
    by: &crate::Actor,
    file: &str,
    batch: i64,
    stored: i64,
    revised: i64,
    unchanged: i64,
    skipped: i64,
) -> (&'static str, Vec<Field>) {
    let e = AuditEvent::new(by.at, &by.name, "import.commit", file).values(
        None,
        Some(format!(
            "batch={batch} stored={stored} revised={revised} unchanged={unchanged} skipped={skipped}"
        )),
    );
    audit_insert(&e)
}

/// An audit event as a statement for another transaction (imports, catalogue changes).
pub(crate) fn audit_insert(e: &AuditEvent) -> (&'static str, Vec<Field>) {
    let step = event_step(e);
    (step.sql, step.params)
}

fn end_sessions_of(id: i64) -> Step<'static> {
    Step {
        sql: "DELETE FROM session WHERE account_id = ?1",
        params: vec![Field::Int(id)],
        returns: &[],
        or_else: None,
        id_of: None,
    }
}

impl<T: Sql> Accounts for T {
    fn accounts(&self) -> Result<Vec<Account>> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM account ORDER BY login");
        self.select(&sql, &[], &ACCOUNT_TYPES)?
            .iter()
            .map(|r| account_of(r))
            .collect()
    }

    fn account(&self, login: &str) -> Result<Option<(Account, String)>> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS}, password_hash FROM account WHERE login = ?1");
        let mut types = ACCOUNT_TYPES.to_vec();
        types.push(Ty::Text);
        let rows = self.select(&sql, &[Field::Text(login.to_string())], &types)?;
        rows.first()
            .map(|r| Ok((account_of(r)?, text(&r[11]).unwrap_or_default())))
            .transpose()
    }

    fn account_by_id(&self, id: i64) -> Result<Option<Account>> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM account WHERE id = ?1");
        let rows = self.select(&sql, &[Field::Int(id)], &ACCOUNT_TYPES)?;
        rows.first().map(|r| account_of(r)).transpose()
    }

    fn add_account(&mut self, new: &NewAccount, now: i64, event: &AuditEvent) -> Result<i64> {
        if self.account(new.login.as_str())?.is_some() {
            return Err(StoreError::Conflict(format!(
                "an account `{}` exists",
                new.login
            )));
        }
        let done = self.transact(&[
            Step {
                sql: "INSERT INTO account (login, name, role, department, password_hash, \
                      must_change, created_at, password_changed_at) \
                      VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) RETURNING id",
                params: vec![
                    Field::Text(new.login.as_str().to_string()),
                    Field::Text(new.name.clone()),
                    Field::Text(new.role.code().to_string()),
                    opt_text(&new.department),
                    Field::Text(new.password_hash.clone()),
                    Field::Int(i64::from(new.must_change)),
                    Field::Int(now),
                ],
                returns: &[Ty::Int],
                or_else: None,
                id_of: None,
            },
            event_step(event),
        ])?;
        first_id(&done)
    }

    fn change_account(
        &mut self,
        id: i64,
        change: &AccountChange,
        event: &AuditEvent,
    ) -> Result<()> {
        let update = match change {
            AccountChange::Role(role, department) => Step {
                sql: "UPDATE account SET role = ?2, department = ?3 WHERE id = ?1",
                params: vec![
                    Field::Int(id),
                    Field::Text(role.code().to_string()),
                    opt_text(department),
                ],
                returns: &[],
                or_else: None,
                id_of: None,
            },
            AccountChange::Disabled(off) => Step {
                sql: "UPDATE account SET disabled = ?2, failed_logins = 0, locked_until = 0 \
                      WHERE id = ?1",
                params: vec![Field::Int(id), Field::Int(i64::from(*off))],
                returns: &[],
                or_else: None,
                id_of: None,
            },
            AccountChange::Password { hash, must_change } => Step {
                sql: "UPDATE account SET password_hash = ?2, must_change = ?3, \
                      password_changed_at = ?4, failed_logins = 0, locked_until = 0 \
                      WHERE id = ?1",
                params: vec![
                    Field::Int(id),
                    Field::Text(hash.clone()),
                    Field::Int(i64::from(*must_change)),
                    Field::Int(event.at),
                ],
                returns: &[],
                or_else: None,
                id_of: None,
            },
        };
        let update = Step {
            or_else: Some(format!("no account with id {id}")),
            id_of: None,
            ..update
        };
        let mut steps = vec![update, end_sessions_of(id)];
        // A new password or a disabled account ends the account's API keys too: a key made
        // from a stolen session must not outlive the password change that locks the thief out,
        // nor come back when the account is enabled again. A new role does not: a key acts
        // with the role of the moment.
        if matches!(
            change,
            AccountChange::Password { .. } | AccountChange::Disabled(true)
        ) {
            steps.push(Step {
                sql: "UPDATE api_token SET revoked = 1 WHERE account_id = ?1 AND revoked = 0",
                params: vec![Field::Int(id)],
                returns: &[],
                or_else: None,
                id_of: None,
            });
        }
        steps.push(event_step(event));
        self.transact(&steps)?;
        Ok(())
    }

    fn login_failed(
        &mut self,
        id: i64,
        failures: i64,
        locked_until: i64,
        event: &AuditEvent,
    ) -> Result<()> {
        self.transact(&[
            Step {
                sql: "UPDATE account SET failed_logins = ?2, locked_until = ?3 WHERE id = ?1",
                params: vec![
                    Field::Int(id),
                    Field::Int(failures),
                    Field::Int(locked_until),
                ],
                returns: &[],
                or_else: None,
                id_of: None,
            },
            event_step(event),
        ])?;
        Ok(())
    }

    fn login_succeeded(
        &mut self,
        id: i64,
        token_hash: &str,
        csrf: &str,
        event: &AuditEvent,
    ) -> Result<()> {
        self.transact(&[
            Step {
                sql: "UPDATE account SET failed_logins = 0, locked_until = 0 WHERE id = ?1",
                params: vec![Field::Int(id)],
                returns: &[],
                or_else: None,
                id_of: None,
            },
            Step {
                sql: "INSERT INTO session (token_hash, account_id, csrf, created_at, seen_at) \
                      VALUES (?1, ?2, ?3, ?4, ?4)",
                params: vec![
                    Field::Text(token_hash.to_string()),
                    Field::Int(id),
                    Field::Text(csrf.to_string()),
                    Field::Int(event.at),
                ],
                returns: &[],
                or_else: None,
                id_of: None,
            },
            event_step(event),
        ])?;
        Ok(())
    }

    fn session(&self, token_hash: &str) -> Result<Option<Session>> {
        let cols = account_columns_of("a");
        let sql = format!(
            "SELECT {cols}, s.csrf, s.created_at, s.seen_at FROM session s \
             JOIN account a ON a.id = s.account_id WHERE s.token_hash = ?1"
        );
        let mut types = ACCOUNT_TYPES.to_vec();
        types.extend([Ty::Text, Ty::Int, Ty::Int]);
        let rows = self.select(&sql, &[Field::Text(token_hash.to_string())], &types)?;
        rows.first()
            .map(|r| {
                Ok(Session {
                    account: account_of(r)?,
                    csrf: text(&r[11]).unwrap_or_default(),
                    created_at: int(&r[12]),
                    seen_at: int(&r[13]),
                })
            })
            .transpose()
    }

    fn touch_session(&mut self, token_hash: &str, now: i64) -> Result<()> {
        self.transact(&[Step {
            sql: "UPDATE session SET seen_at = ?2 WHERE token_hash = ?1",
            params: vec![Field::Text(token_hash.to_string()), Field::Int(now)],
            returns: &[],
            or_else: None,
            id_of: None,
        }])?;
        Ok(())
    }

    fn end_session(&mut self, token_hash: &str, event: Option<&AuditEvent>) -> Result<()> {
        let mut steps = vec![Step {
            sql: "DELETE FROM session WHERE token_hash = ?1",
            params: vec![Field::Text(token_hash.to_string())],
            returns: &[],
            or_else: None,
            id_of: None,
        }];
        steps.extend(event.map(event_step));
        self.transact(&steps)?;
        Ok(())
    }

    fn end_stale_sessions(&mut self, idle_before: i64, begun_before: i64) -> Result<u64> {
        let done = self.transact(&[Step {
            sql: "DELETE FROM session WHERE seen_at < ?1 OR created_at < ?2",
            params: vec![Field::Int(idle_before), Field::Int(begun_before)],
            returns: &[],
            or_else: None,
            id_of: None,
        }])?;
        Ok(done.first().map_or(0, |d| d.1))
    }

    fn record(&mut self, event: &AuditEvent) -> Result<()> {
        self.transact(&[event_step(event)])?;
        Ok(())
    }

    fn audit_events(&self, filter: &AuditFilter) -> Result<Vec<AuditEvent>> {
        // Every condition is always there (a NULL parameter switches it off), so the statement
        // text is one and the parameters keep their numbers.
        let limit = if filter.limit == 0 {
            i64::MAX
        } else {
            filter.limit as i64
        };
        let prefix = filter.action_prefix.as_ref().map(|p| {
            // The prefix is matched literally: `%` and `_` in it are no wildcards.
            let escaped: String = p
                .chars()
                .flat_map(|c| match c {
                    '%' | '_' | '\\' => vec!['\\', c],
                    c => vec![c],
                })
                .collect();
            format!("{escaped}%")
        });
        let rows = self.select(
            "SELECT id, at, actor, action, object, old_value, new_value FROM audit_event \
             WHERE (CAST(?1 AS TEXT) IS NULL OR actor = ?1) \
             AND (CAST(?2 AS TEXT) IS NULL OR action LIKE ?2 ESCAPE '\\') \
             ORDER BY id DESC LIMIT ?3",
            &[
                opt_text(&filter.actor),
                opt_text(&prefix),
                Field::Int(limit),
            ],
            &EVENT_TYPES,
        )?;
        Ok(rows
            .iter()
            .map(|r| AuditEvent {
                id: int(&r[0]),
                at: int(&r[1]),
                actor: text(&r[2]).unwrap_or_default(),
                action: text(&r[3]).unwrap_or_default(),
                object: text(&r[4]).unwrap_or_default(),
                old_value: text(&r[5]),
                new_value: text(&r[6]),
            })
            .collect())
    }
}
