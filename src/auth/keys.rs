//! Where token keys come from: a shared secret, a PEM public key, a JWKS file that may
//! rotate, or the development secret kept beside the database.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::RwLock,
    time::{Duration, Instant, SystemTime},
};

use anyhow::{Context as _, bail};
use jsonwebtoken::{
    Algorithm, DecodingKey, EncodingKey,
    jwk::{AlgorithmParameters, JwkSet, KeyAlgorithm},
};

/// How often a JWKS file is checked for rotation at most.
const JWKS_RECHECK: Duration = Duration::from_secs(1);

/// The key that checks an issuer's tokens.
pub(super) enum Keys {
    /// A shared HS256 secret, which can also sign (for development and tests).
    Shared {
        decoding: DecodingKey,
        encoding: EncodingKey,
    },
    /// A PEM public key: RS256 or ES256.
    Public {
        decoding: DecodingKey,
        algorithm: Algorithm,
    },
    /// A JWKS file, keys chosen by `kid`.
    Jwks(Jwks),
}

/// Keys from a shared secret.
pub(super) fn shared(secret: &[u8]) -> Keys {
    Keys::Shared {
        decoding: DecodingKey::from_secret(secret),
        encoding: EncodingKey::from_secret(secret),
    }
}

/// The development secret: read when its file exists (a damaged one is refused, never
/// silently replaced: tokens already handed out would stop working), else created readable
/// by its owner only.
pub(super) fn read_or_create_dev_secret(path: &Path) -> anyhow::Result<String> {
    use std::{io::Write, os::unix::fs::OpenOptionsExt};
    match std::fs::read_to_string(path) {
        Ok(secret) => {
            let secret = secret.trim().to_owned();
            if secret.len() < 32 {
                bail!(
                    "the development secret in {} is shorter than 32 characters; delete the file to \
                     have a new one made (tokens signed with the old one stop working)",
                    path.display()
                );
            }
            return Ok(secret);
        }
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
            return Err(error).with_context(|| format!("reading the development secret {}", path.display()));
        }
        Err(_) => {}
    }
    let secret: String = (0..48)
        .map(|_| format!("{:x}", rand::random::<u8>() & 0xf))
        .collect();
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating the development secret {}", path.display()))?;
    file.write_all(secret.as_bytes())
        .with_context(|| format!("writing the development secret to {}", path.display()))?;
    Ok(secret)
}

/// Reads a PEM public key; `label` names the setting in errors.
pub(super) fn read_public_key(path: &Path, label: &str) -> anyhow::Result<(DecodingKey, Algorithm)> {
    let pem = std::fs::read(path).with_context(|| format!("{label}: cannot read {}", path.display()))?;
    if let Ok(key) = DecodingKey::from_rsa_pem(&pem) {
        return Ok((key, Algorithm::RS256));
    }
    if let Ok(key) = DecodingKey::from_ec_pem(&pem) {
        return Ok((key, Algorithm::ES256));
    }
    bail!(
        "{label}: {} is neither an RSA nor a P-256 EC public key in PEM form",
        path.display()
    )
}

/// A JWKS file whose keys are re-read within a second of the file changing, so keys
/// rotate without a restart.
pub(super) struct Jwks {
    path: PathBuf,
    /// The setting that names the file, for errors.
    label: String,
    state: RwLock<JwksState>,
}

struct JwksState {
    modified: Option<SystemTime>,
    checked: Instant,
    keys: KeysByKid,
}

type KeysByKid = HashMap<String, (DecodingKey, Algorithm)>;

impl Jwks {
    pub(super) fn load(path: PathBuf, label: String) -> anyhow::Result<Self> {
        let (keys, modified) = read_jwks(&path, &label)?;
        Ok(Self {
            path,
            label,
            state: RwLock::new(JwksState {
                modified,
                checked: Instant::now(),
                keys,
            }),
        })
    }

    pub(super) fn key(&self, kid: &str) -> Option<(DecodingKey, Algorithm)> {
        self.refresh_if_due();
        let state = self.state.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        state.keys.get(kid).cloned()
    }

    fn refresh_if_due(&self) {
        {
            let state = self.state.read().unwrap_or_else(|poisoned| poisoned.into_inner());
            if state.checked.elapsed() < JWKS_RECHECK {
                return;
            }
        }
        let mut state = self
            .state
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        state.checked = Instant::now();
        let modified = std::fs::metadata(&self.path)
            .and_then(|meta| meta.modified())
            .ok();
        if modified == state.modified {
            return;
        }
        // A file caught half-written keeps the old keys until the next check.
        match read_jwks(&self.path, &self.label) {
            Ok((keys, modified)) => {
                tracing::info!(path = %self.path.display(), keys = keys.len(), "reloaded JWKS");
                state.keys = keys;
                state.modified = modified;
            }
            Err(error) => tracing::warn!(path = %self.path.display(), %error, "keeping the previous JWKS"),
        }
    }
}

fn read_jwks(path: &Path, label: &str) -> anyhow::Result<(KeysByKid, Option<SystemTime>)> {
    let modified = std::fs::metadata(path).and_then(|meta| meta.modified()).ok();
    let text =
        std::fs::read_to_string(path).with_context(|| format!("{label}: cannot read {}", path.display()))?;
    let set: JwkSet = serde_json::from_str(&text)
        .with_context(|| format!("{label}: {} is not a JWKS document", path.display()))?;
    let mut keys = HashMap::new();
    for jwk in &set.keys {
        let Some(kid) = jwk.common.key_id.clone() else {
            bail!("{label}: every key needs a kid");
        };
        let algorithm = match (&jwk.algorithm, jwk.common.key_algorithm) {
            (AlgorithmParameters::RSA(_), None | Some(KeyAlgorithm::RS256)) => Algorithm::RS256,
            (AlgorithmParameters::EllipticCurve(_), None | Some(KeyAlgorithm::ES256)) => Algorithm::ES256,
            _ => bail!("{label}: key {kid} must be an RS256 or ES256 key"),
        };
        let key = DecodingKey::from_jwk(jwk).with_context(|| format!("{label}: key {kid} is malformed"))?;
        keys.insert(kid, (key, algorithm));
    }
    Ok((keys, modified))
}
