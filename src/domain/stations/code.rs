//! Check-in codes: what a station's printed QR code holds.
//!
//! `YZC1.<place id>.<rotation>.<signature>`: the signature is the first 16 bytes of
//! HMAC-SHA256 over the place and the rotation, with a key of 32 random bytes made on first
//! use and kept in the database (`station_secrets`), shared by every instance and never
//! sent out. Nobody can make a code for a place without the key, and rotating the place's
//! counter (`rotateCheckInCode`) makes every printed copy stale.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use rand::Rng;
use sea_orm::ConnectionTrait;
use sha2::Sha256;

use crate::{
    domain::change_log::statement,
    error::{AppError, AppResult},
};

const PREFIX: &str = "YZC1";
const KEY_NAME: &str = "check_in";
const SIGNATURE_BYTES: usize = 16;

/// The deployment's signing key, made on first use. Two instances making it at once both
/// keep whichever was stored first.
pub async fn key(db: &impl ConnectionTrait) -> AppResult<String> {
    let backend = db.get_database_backend();
    let read = || {
        statement(
            backend,
            "SELECT secret FROM station_secrets WHERE name = ?",
            vec![KEY_NAME.into()],
        )
    };
    if let Some(row) = db.query_one_raw(read()).await? {
        return Ok(row.try_get("", "secret")?);
    }
    let bytes: [u8; 32] = rand::rng().random();
    let secret: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    db.execute_raw(statement(
        backend,
        "INSERT INTO station_secrets (name, secret) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
        vec![KEY_NAME.into(), secret.into()],
    ))
    .await?;
    let row = db
        .query_one_raw(read())
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("the check-in key was not stored")))?;
    Ok(row.try_get("", "secret")?)
}

fn mac(key: &str, place_id: i32, rotation: i32) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(format!("check-in\n{place_id}\n{rotation}").as_bytes());
    mac
}

/// The code of `place_id` at `rotation`.
pub fn sign(key: &str, place_id: i32, rotation: i32) -> String {
    let digest = mac(key, place_id, rotation).finalize().into_bytes();
    format!(
        "{PREFIX}.{place_id}.{rotation}.{}",
        URL_SAFE_NO_PAD.encode(&digest[..SIGNATURE_BYTES])
    )
}

/// The place and rotation a code names, when its signature holds.
pub fn read(key: &str, code: &str) -> Option<(i32, i32)> {
    let mut parts = code.trim().split('.');
    let (prefix, place, rotation, signature) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if prefix != PREFIX || parts.next().is_some() {
        return None;
    }
    let (place_id, rotation): (i32, i32) = (place.parse().ok()?, rotation.parse().ok()?);
    let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
    if signature.len() != SIGNATURE_BYTES {
        return None;
    }
    // A constant-time comparison, so the signature cannot be guessed byte by byte.
    mac(key, place_id, rotation)
        .verify_truncated_left(&signature)
        .ok()?;
    Some((place_id, rotation))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_reads_back_only_with_its_key_and_unaltered() {
        let code = sign("k", 7, 2);
        assert_eq!(read("k", &code), Some((7, 2)));
        assert_eq!(read("other", &code), None);
        let forged = code.replacen("YZC1.7.", "YZC1.8.", 1);
        assert_eq!(read("k", &forged), None);
        assert_eq!(read("k", "hello"), None);
    }
}
