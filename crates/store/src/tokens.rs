//! Keys for the workspace's JSON API, on both backends from one text. A key is known by its
//! SHA-256 only; it acts as the account that made it, with that account's role and state at
//! the time of each request, until it expires or is revoked. Making and revoking a key are
//! written with their audit event in one transaction.

use crate::Result;
use crate::accounts::{
    ACCOUNT_TYPES, Account, AuditEvent, Sql, Step, account_columns_of, account_of, event_step, int,
    text,
};
use crate::transfer::{Field, Ty};

/// An API key as listed (never the key itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    /// Database id.
    pub id: i64,
    /// The account it acts as.
    pub account_id: i64,
    /// What the owner called it ("Import-Skript Jugendamt").
    pub label: String,
    /// Unix seconds of creation.
    pub created_at: i64,
    /// Unix seconds after which it is refused.
    pub expires_at: i64,
    /// Unix seconds of its last use (0: never used).
    pub used_at: i64,
    /// Revoked keys are refused.
    pub revoked: bool,
}

impl ApiToken {
    /// Whether the key may be used at `now`.
    pub fn valid_at(&self, now: i64) -> bool {
        !self.revoked && now < self.expires_at
    }
}

const TOKEN_COLUMNS: &str = "t.id, t.account_id, t.label, t.created_at, t.expires_at, \
     t.used_at, t.revoked";
const TOKEN_TYPES: [Ty; 7] = [
    Ty::Int,
    Ty::Int,
    Ty::Text,
    Ty::Int,
    Ty::Int,
    Ty::Int,
    Ty::Int,
];

fn token_of(r: &[Field]) -> ApiToken {
    ApiToken {
        id: int(&r[0]),
        account_id: int(&r[1]),
        label: text(&r[2]).unwrap_or_default(),
        created_at: int(&r[3]),
        expires_at: int(&r[4]),
        used_at: int(&r[5]),
        revoked: int(&r[6]) != 0,
    }
}

/// A new key as its owner makes it.
#[derive(Debug, Clone)]
pub struct NewApiToken<'a> {
    /// The account it acts as.
    pub account_id: i64,
    /// Its label.
    pub label: &'a str,
    /// The SHA-256 (hex) of the key.
    pub token_hash: &'a str,
    /// Unix seconds now.
    pub created_at: i64,
    /// Unix seconds after which it is refused.
    pub expires_at: i64,
}

/// API keys of workspace accounts.
pub trait ApiTokens {
    /// Saves a new key with its audit event; its id.
    fn add_api_token(&mut self, new: &NewApiToken<'_>, event: &AuditEvent) -> Result<i64>;
    /// The keys of an account, newest first.
    fn api_tokens(&self, account_id: i64) -> Result<Vec<ApiToken>>;
    /// The key with this hash and its account, whether valid or not.
    fn api_token(&self, token_hash: &str) -> Result<Option<(ApiToken, Account)>>;
    /// Notes that a key was used (at most once a minute is enough for the list).
    fn api_token_used(&mut self, id: i64, now: i64) -> Result<()>;
    /// Revokes a key of the account with its audit event; a key that is not the account's, or
    /// revoked already, is a conflict and changes nothing.
    fn revoke_api_token(&mut self, id: i64, account_id: i64, event: &AuditEvent) -> Result<()>;
}

impl<T: Sql> ApiTokens for T {
    fn add_api_token(&mut self, new: &NewApiToken<'_>, event: &AuditEvent) -> Result<i64> {
        let done = self.transact(&[
            Step {
                sql: "INSERT INTO api_token (account_id, label, token_hash, created_at, \
                      expires_at) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
                params: vec![
                    Field::Int(new.account_id),
                    Field::Text(new.label.to_string()),
                    Field::Text(new.token_hash.to_string()),
                    Field::Int(new.created_at),
                    Field::Int(new.expires_at),
                ],
                returns: &[Ty::Int],
                or_else: None,
                id_of: None,
            },
            event_step(event),
        ])?;
        crate::accounts::first_id(&done)
    }

    fn api_tokens(&self, account_id: i64) -> Result<Vec<ApiToken>> {
        let sql = format!(
            "SELECT {TOKEN_COLUMNS} FROM api_token t WHERE t.account_id = ?1 ORDER BY t.id DESC"
        );
        Ok(self
            .select(&sql, &[Field::Int(account_id)], &TOKEN_TYPES)?
            .iter()
            .map(|r| token_of(r))
            .collect())
    }

    fn api_token(&self, token_hash: &str) -> Result<Option<(ApiToken, Account)>> {
        let account_cols = account_columns_of("a");
        let sql = format!(
            "SELECT {TOKEN_COLUMNS}, {account_cols} FROM api_token t \
             JOIN account a ON a.id = t.account_id WHERE t.token_hash = ?1"
        );
        let mut types = TOKEN_TYPES.to_vec();
        types.extend(ACCOUNT_TYPES);
        let rows = self.select(&sql, &[Field::Text(token_hash.to_string())], &types)?;
        rows.first()
            .map(|r| Ok((token_of(r), account_of(&r[TOKEN_TYPES.len()..])?)))
            .transpose()
    }

    fn api_token_used(&mut self, id: i64, now: i64) -> Result<()> {
        self.transact(&[Step {
            sql: "UPDATE api_token SET used_at = ?2 WHERE id = ?1",
            params: vec![Field::Int(id), Field::Int(now)],
            returns: &[],
            or_else: None,
            id_of: None,
        }])?;
        Ok(())
    }

    fn revoke_api_token(&mut self, id: i64, account_id: i64, event: &AuditEvent) -> Result<()> {
        self.transact(&[
            Step {
                sql: "UPDATE api_token SET revoked = 1 WHERE id = ?1 AND account_id = ?2 \
                      AND revoked = 0",
                params: vec![Field::Int(id), Field::Int(account_id)],
                returns: &[],
                or_else: Some(format!("no key {id} to revoke")),
                id_of: None,
            },
            event_step(event),
        ])?;
        Ok(())
    }
}
