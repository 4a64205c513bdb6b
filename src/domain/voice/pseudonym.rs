//! What other readers see instead of a reviewer's or reporter's account: "骑手" and the
//! first four hex digits of HMAC-SHA256(key, place id, role, subject).
//!
//! Why a keyed hash: the name must be stable (the same rider is recognisably the same
//! voice within one place, across edits and re-posts) yet reveal nothing: without the key
//! nobody can test a guessed account against it, and because the place is part of the
//! input, one rider's names at two places cannot be linked. The key is 32 random bytes
//! made on the first review or report and kept in the `pseudonym_key` table, so every
//! instance of a deployment shares it and it survives restarts; it never leaves the
//! database. Four hex digits are a label, not an identity: two riders of one place may
//! share one (about a 2% chance among 50 reviewers), which costs nothing but a moment's
//! confusion.

use hmac::{Hmac, Mac};
use rand::Rng;
use sea_orm::ConnectionTrait;
use sha2::Sha256;

use super::Account;
use crate::{
    domain::change_log::statement,
    error::{AppError, AppResult},
};

/// The prefix every pseudonym starts with.
const PREFIX: &str = "骑手";

/// The deployment's pseudonym key, made on first use. Two instances making it at once
/// both keep whichever was stored first.
async fn key(db: &impl ConnectionTrait) -> AppResult<String> {
    let backend = db.get_database_backend();
    let read = || statement(backend, "SELECT secret FROM pseudonym_key WHERE id = 1", vec![]);
    if let Some(row) = db.query_one_raw(read()).await? {
        return Ok(row.try_get("", "secret")?);
    }
    let bytes: [u8; 32] = rand::rng().random();
    db.execute_raw(statement(
        backend,
        "INSERT INTO pseudonym_key (id, secret) VALUES (1, ?) ON CONFLICT (id) DO NOTHING",
        vec![hex(&bytes).into()],
    ))
    .await?;
    let row = db
        .query_one_raw(read())
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("the pseudonym key was not stored")))?;
    Ok(row.try_get("", "secret")?)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The name `account` goes by at `place_id`.
pub async fn of(db: &impl ConnectionTrait, place_id: i32, account: &Account) -> AppResult<String> {
    Ok(with_key(&key(db).await?, place_id, account))
}

fn with_key(key: &str, place_id: i32, account: &Account) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes a key of any length");
    // Separators keep ("1", "2x") and ("12", "x") apart.
    mac.update(format!("{place_id}\n{}\n{}", account.role_claim(), account.subject).as_bytes());
    let digest = mac.finalize().into_bytes();
    format!("{PREFIX}{}", &hex(&digest[..2]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;

    fn rider(subject: &str) -> Account {
        Account {
            role: Role::Worker,
            subject: subject.to_owned(),
        }
    }

    #[test]
    fn a_pseudonym_is_stable_per_place_and_differs_across_places_and_keys() {
        let name = with_key("k", 1, &rider("r-1"));
        assert_eq!(name, with_key("k", 1, &rider("r-1")));
        assert!(name.starts_with("骑手") && name.chars().count() == 6, "{name}");
        let elsewhere: Vec<String> = (2..10).map(|place| with_key("k", place, &rider("r-1"))).collect();
        assert!(elsewhere.iter().any(|other| *other != name));
        let rekeyed: Vec<String> = ["a", "b", "c", "d"]
            .iter()
            .map(|key| with_key(key, 1, &rider("r-1")))
            .collect();
        assert!(rekeyed.iter().any(|other| *other != name));
    }
}
