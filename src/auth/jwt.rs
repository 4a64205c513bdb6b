//! Token verification and, for development and tests, minting.
//!
//! The accepted algorithm always comes from the configured key, never from the token's
//! header: HS256 for a shared secret, RS256 or ES256 for a PEM public key, and the key's
//! own algorithm for each key of a JWKS file, selected by `kid`.

use std::{
    collections::HashMap,
    fmt,
    path::{Path, PathBuf},
    sync::RwLock,
    time::{Duration, Instant, SystemTime},
};

use anyhow::{Context as _, bail};
use entity::place::WorkerGroup;
use jsonwebtoken::{
    Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, decode_header, encode,
    errors::ErrorKind,
    jwk::{AlgorithmParameters, JwkSet, KeyAlgorithm},
};
use serde::{Deserialize, Serialize};

use super::viewer::{Identity, Role};
use crate::error::{AppError, AppResult};

/// How often a JWKS file is checked for rotation at most.
const JWKS_RECHECK: Duration = Duration::from_secs(1);

/// The claims yizhan reads. Unknown claims are ignored.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Required; optional here only so its absence is reported as such.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
}

enum Keys {
    Shared {
        decoding: DecodingKey,
        encoding: EncodingKey,
    },
    Public {
        decoding: DecodingKey,
        algorithm: Algorithm,
    },
    Jwks(Jwks),
}

/// How tokens are checked: at most one key source, the claims to insist on, and where a
/// development secret lives when no key is configured.
#[derive(Clone)]
pub struct AuthSettings {
    /// A shared HS256 secret.
    pub secret: Option<String>,
    /// A PEM public key (RS256 or ES256).
    pub public_key_file: Option<PathBuf>,
    /// A JWKS file, re-read when it changes, for key rotation.
    pub jwks_file: Option<PathBuf>,
    /// The `iss` every token must carry, when set.
    pub issuer: Option<String>,
    /// The `aud` every token must carry, when set.
    pub audience: Option<String>,
    /// Clock skew tolerated on `exp`.
    pub leeway: Duration,
    /// Where the development secret is kept when no key is configured.
    pub dev_secret_path: PathBuf,
    /// True in production: a missing key stops the start instead of falling back to the
    /// development secret.
    pub key_required: bool,
}

impl fmt::Debug for AuthSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthSettings")
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("public_key_file", &self.public_key_file)
            .field("jwks_file", &self.jwks_file)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("leeway", &self.leeway)
            .field("dev_secret_path", &self.dev_secret_path)
            .field("key_required", &self.key_required)
            .finish()
    }
}

/// Verifies bearer tokens under one configuration.
pub struct Authenticator {
    keys: Keys,
    issuer: Option<String>,
    audience: Option<String>,
    leeway: Duration,
    /// Set when no key is configured and a development secret signs tokens.
    development_secret: Option<PathBuf>,
}

impl Authenticator {
    /// Builds the verifier the settings describe. With no key configured it falls back to
    /// a development secret beside the database, created on first use, unless a key is
    /// required.
    pub fn new(jwt: &AuthSettings) -> anyhow::Result<Self> {
        let configured = [
            jwt.secret.is_some(),
            jwt.public_key_file.is_some(),
            jwt.jwks_file.is_some(),
        ];
        if configured.iter().filter(|set| **set).count() > 1 {
            bail!("set only one of YIZHAN_JWT_SECRET, YIZHAN_JWT_PUBLIC_KEY_FILE and YIZHAN_JWT_JWKS_FILE");
        }
        let mut development_secret = None;
        let keys = if let Some(secret) = &jwt.secret {
            if secret.len() < 32 {
                bail!("YIZHAN_JWT_SECRET: use at least 32 characters of randomness");
            }
            shared(secret.as_bytes())
        } else if let Some(path) = &jwt.public_key_file {
            let (decoding, algorithm) = read_public_key(path)?;
            Keys::Public { decoding, algorithm }
        } else if let Some(path) = &jwt.jwks_file {
            Keys::Jwks(Jwks::load(path.clone())?)
        } else {
            if jwt.key_required {
                bail!(
                    "YIZHAN_ENV=production needs a signing key: set YIZHAN_JWT_SECRET, \
                     YIZHAN_JWT_PUBLIC_KEY_FILE or YIZHAN_JWT_JWKS_FILE"
                );
            }
            let path = jwt.dev_secret_path.clone();
            let secret = read_or_create_dev_secret(&path)?;
            development_secret = Some(path);
            shared(secret.as_bytes())
        };
        Ok(Self {
            keys,
            issuer: jwt.issuer.clone(),
            audience: jwt.audience.clone(),
            leeway: jwt.leeway,
            development_secret,
        })
    }

    /// The development secret's file, when tokens are signed with one.
    pub fn development_secret(&self) -> Option<&Path> {
        self.development_secret.as_deref()
    }

    /// Checks a bearer token and turns its claims into an identity. The error names the
    /// class of problem (expired, bad signature, wrong audience…), never the key.
    pub fn verify(&self, token: &str) -> AppResult<Identity> {
        let refuse = |reason: &str| AppError::Unauthenticated(format!("invalid token: {reason}"));
        let header = decode_header(token).map_err(|_| refuse("malformed token (expected a signed JWT)"))?;
        let (key, algorithm) = match &self.keys {
            Keys::Shared { decoding, .. } => (decoding.clone(), Algorithm::HS256),
            Keys::Public { decoding, algorithm } => (decoding.clone(), *algorithm),
            Keys::Jwks(jwks) => {
                let kid = header
                    .kid
                    .as_deref()
                    .ok_or_else(|| refuse("the token names no key (kid)"))?;
                jwks.key(kid).ok_or_else(|| refuse("unknown signing key (kid)"))?
            }
        };
        if header.alg != algorithm {
            return Err(refuse("signing algorithm not accepted"));
        }
        let mut validation = Validation::new(algorithm);
        validation.leeway = self.leeway.as_secs();
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "sub"]);
        match &self.issuer {
            Some(issuer) => validation.set_issuer(&[issuer]),
            None => validation.iss = None,
        }
        match &self.audience {
            Some(audience) => validation.set_audience(&[audience]),
            None => validation.validate_aud = false,
        }
        let claims = decode::<Claims>(token, &key, &validation)
            .map_err(|error| {
                refuse(match error.kind() {
                    ErrorKind::ExpiredSignature => "token expired",
                    ErrorKind::ImmatureSignature => "token not valid yet (nbf)",
                    ErrorKind::InvalidSignature => "bad signature",
                    ErrorKind::InvalidAudience => "wrong audience",
                    ErrorKind::InvalidIssuer => "wrong issuer",
                    ErrorKind::InvalidAlgorithm => "signing algorithm not accepted",
                    ErrorKind::MissingRequiredClaim(_) => "a required claim (exp, sub) is missing",
                    _ => "malformed token or claims",
                })
            })?
            .claims;
        identity_from(claims).map_err(|reason| refuse(&reason))
    }

    /// Signs a token for `subject`, as `yizhan token` prints. Only possible with a shared
    /// secret: with public keys, tokens come from the identity provider.
    pub fn mint(
        &self,
        subject: &str,
        role: Role,
        group: Option<WorkerGroup>,
        ttl: Duration,
    ) -> anyhow::Result<String> {
        let Keys::Shared { encoding, .. } = &self.keys else {
            bail!(
                "yizhan token signs with YIZHAN_JWT_SECRET or the development secret; with public keys, tokens come from your identity provider"
            );
        };
        if subject.trim().is_empty() {
            bail!("--sub must not be empty");
        }
        let exp = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)?
            .as_secs()
            + ttl.as_secs();
        let claims = Claims {
            sub: subject.to_owned(),
            role: role.claim().to_owned(),
            group: group.map(group_claim),
            exp: Some(exp),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
        };
        Ok(encode(&Header::new(Algorithm::HS256), &claims, encoding)?)
    }
}

fn shared(secret: &[u8]) -> Keys {
    Keys::Shared {
        decoding: DecodingKey::from_secret(secret),
        encoding: EncodingKey::from_secret(secret),
    }
}

fn group_claim(group: WorkerGroup) -> String {
    serde_json::to_value(group)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn identity_from(claims: Claims) -> Result<Identity, String> {
    if claims.sub.trim().is_empty() || claims.sub.len() > 200 {
        return Err("sub must be 1 to 200 characters".to_owned());
    }
    let role = Role::from_claim(&claims.role).ok_or_else(|| {
        format!(
            "unknown role {:?} (expected worker, merchant, operator or admin)",
            claims.role
        )
    })?;
    let group = claims
        .group
        .map(|group| {
            serde_json::from_value::<WorkerGroup>(serde_json::Value::String(group.clone())).map_err(|_| {
                format!("unknown group {group:?} (expected a WorkerGroup such as DELIVERY_RIDER)")
            })
        })
        .transpose()?;
    let expires_at = claims
        .exp
        .and_then(|exp| i64::try_from(exp).ok())
        .and_then(|exp| chrono::DateTime::from_timestamp(exp, 0));
    Ok(Identity {
        subject: claims.sub,
        role,
        group,
        expires_at,
    })
}

/// The development secret: read when its file exists (a damaged one is refused, never
/// silently replaced: tokens already handed out would stop working), else created readable
/// by its owner only.
fn read_or_create_dev_secret(path: &Path) -> anyhow::Result<String> {
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

fn read_public_key(path: &Path) -> anyhow::Result<(DecodingKey, Algorithm)> {
    let pem = std::fs::read(path)
        .with_context(|| format!("YIZHAN_JWT_PUBLIC_KEY_FILE: cannot read {}", path.display()))?;
    if let Ok(key) = DecodingKey::from_rsa_pem(&pem) {
        return Ok((key, Algorithm::RS256));
    }
    if let Ok(key) = DecodingKey::from_ec_pem(&pem) {
        return Ok((key, Algorithm::ES256));
    }
    bail!(
        "YIZHAN_JWT_PUBLIC_KEY_FILE: {} is neither an RSA nor a P-256 EC public key in PEM form",
        path.display()
    )
}

/// A JWKS file whose keys are re-read within a second of the file changing, so keys
/// rotate without a restart.
struct Jwks {
    path: PathBuf,
    state: RwLock<JwksState>,
}

struct JwksState {
    modified: Option<SystemTime>,
    checked: Instant,
    keys: KeysByKid,
}

type KeysByKid = HashMap<String, (DecodingKey, Algorithm)>;

impl Jwks {
    fn load(path: PathBuf) -> anyhow::Result<Self> {
        let (keys, modified) = read_jwks(&path)?;
        Ok(Self {
            path,
            state: RwLock::new(JwksState {
                modified,
                checked: Instant::now(),
                keys,
            }),
        })
    }

    fn key(&self, kid: &str) -> Option<(DecodingKey, Algorithm)> {
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
        match read_jwks(&self.path) {
            Ok((keys, modified)) => {
                tracing::info!(path = %self.path.display(), keys = keys.len(), "reloaded JWKS");
                state.keys = keys;
                state.modified = modified;
            }
            Err(error) => tracing::warn!(path = %self.path.display(), %error, "keeping the previous JWKS"),
        }
    }
}

fn read_jwks(path: &Path) -> anyhow::Result<(KeysByKid, Option<SystemTime>)> {
    let modified = std::fs::metadata(path).and_then(|meta| meta.modified()).ok();
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("YIZHAN_JWT_JWKS_FILE: cannot read {}", path.display()))?;
    let set: JwkSet = serde_json::from_str(&text)
        .with_context(|| format!("YIZHAN_JWT_JWKS_FILE: {} is not a JWKS document", path.display()))?;
    let mut keys = HashMap::new();
    for jwk in &set.keys {
        let Some(kid) = jwk.common.key_id.clone() else {
            bail!("YIZHAN_JWT_JWKS_FILE: every key needs a kid");
        };
        let algorithm = match (&jwk.algorithm, jwk.common.key_algorithm) {
            (AlgorithmParameters::RSA(_), None | Some(KeyAlgorithm::RS256)) => Algorithm::RS256,
            (AlgorithmParameters::EllipticCurve(_), None | Some(KeyAlgorithm::ES256)) => Algorithm::ES256,
            _ => bail!("YIZHAN_JWT_JWKS_FILE: key {kid} must be an RS256 or ES256 key"),
        };
        let key = DecodingKey::from_jwk(jwk)
            .with_context(|| format!("YIZHAN_JWT_JWKS_FILE: key {kid} is malformed"))?;
        keys.insert(kid, (key, algorithm));
    }
    Ok((keys, modified))
}
