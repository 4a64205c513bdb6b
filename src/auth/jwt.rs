//! Token verification and, for development and tests, minting.
//!
//! Tokens come from one or more issuers. With `YIZHAN_TRUST_FILE` each issuer is found by
//! the token's `iss` and has its own key, audience and the roles it may grant; with the
//! single-key variables one issuer may grant every role. The accepted algorithm always
//! comes from the issuer's key, never from the token's header: HS256 for a shared secret,
//! RS256 or ES256 for a PEM public key, and the key's own algorithm for each key of a JWKS
//! file, selected by `kid`.

use std::{
    path::{Path, PathBuf},
    time::{Duration, SystemTime},
};

use anyhow::{Context as _, bail};
use entity::place::WorkerGroup;
use jsonwebtoken::{Algorithm, Header, Validation, decode, decode_header, encode, errors::ErrorKind};
use serde::{Deserialize, Serialize};

use super::{
    AuthSettings,
    keys::{Jwks, Keys, read_or_create_dev_secret, read_public_key, shared},
    trust::{self, IssuerSpec, KeySource},
    viewer::{Identity, Role},
};
use crate::error::{AppError, AppResult};

const EVERY_ROLE: [Role; 4] = [Role::Worker, Role::Merchant, Role::Operator, Role::Admin];

/// The claims yizhan reads. Unknown claims are ignored.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    /// The account's subject, unique within its issuer.
    pub sub: String,
    /// `worker`, `merchant`, `operator` or `admin`.
    pub role: String,
    /// The worker group of a worker, such as `DELIVERY_RIDER`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Required; optional here only so its absence is reported as such.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<u64>,
    /// The issuer, which the trust file uses to choose the key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// The audience or audiences the token is meant for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<Audience>,
}

/// The `aud` claim: one audience, or several as OIDC providers send them.
#[derive(Debug, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    /// A single audience.
    One(String),
    /// Several audiences; the token is good for any of them.
    Many(Vec<String>),
}

/// The one claim read before the signature is checked, only to choose the key that checks it.
#[derive(Deserialize)]
struct Unverified {
    #[serde(default)]
    iss: Option<serde_json::Value>,
}

/// One source of tokens: its key, the `iss` and `aud` its tokens must carry, and the roles
/// it may grant.
struct Issuer {
    /// `None` only for the single-key configuration without `YIZHAN_JWT_ISSUER`.
    name: Option<String>,
    keys: Keys,
    audience: Option<String>,
    roles: Vec<Role>,
}

/// Which issuer checks a token.
enum Issuers {
    /// The single-key variables: every token is checked by this one.
    Single(Issuer),
    /// The trust file: the token's `iss` picks one.
    Trusted(Vec<Issuer>),
}

/// Verifies bearer tokens under one configuration.
pub struct Authenticator {
    issuers: Issuers,
    leeway: Duration,
    /// Set when no key is configured and a development secret signs tokens.
    development_secret: Option<PathBuf>,
}

impl Authenticator {
    /// Builds the verifier the settings describe: the trust file's issuers, or one issuer
    /// from the single-key variables. With neither it falls back to a development secret
    /// beside the database, created on first use, unless a key is required.
    pub fn new(jwt: &AuthSettings) -> anyhow::Result<Self> {
        let single_key_variables = [
            ("YIZHAN_JWT_SECRET", jwt.secret.is_some()),
            ("YIZHAN_JWT_PUBLIC_KEY_FILE", jwt.public_key_file.is_some()),
            ("YIZHAN_JWT_JWKS_FILE", jwt.jwks_file.is_some()),
            ("YIZHAN_JWT_ISSUER", jwt.issuer.is_some()),
            ("YIZHAN_JWT_AUDIENCE", jwt.audience.is_some()),
        ];
        if let Some(path) = &jwt.trust_file {
            let set: Vec<&str> = single_key_variables
                .iter()
                .filter(|(_, set)| *set)
                .map(|(name, _)| *name)
                .collect();
            if !set.is_empty() {
                bail!(
                    "{}: the trust file lists every issuer with its key; unset {} (or leave out the trust file)",
                    trust::VARIABLE,
                    set.join(", ")
                );
            }
            let issuers = trust::load(path)?
                .into_iter()
                .map(Issuer::trusted)
                .collect::<anyhow::Result<_>>()?;
            return Ok(Self {
                issuers: Issuers::Trusted(issuers),
                leeway: jwt.leeway,
                development_secret: None,
            });
        }
        if single_key_variables[..3].iter().filter(|(_, set)| *set).count() > 1 {
            bail!("set only one of YIZHAN_JWT_SECRET, YIZHAN_JWT_PUBLIC_KEY_FILE and YIZHAN_JWT_JWKS_FILE");
        }
        let mut development_secret = None;
        let keys = if let Some(secret) = &jwt.secret {
            if secret.len() < 32 {
                bail!("YIZHAN_JWT_SECRET: use at least 32 characters of randomness");
            }
            shared(secret.as_bytes())
        } else if let Some(path) = &jwt.public_key_file {
            let (decoding, algorithm) = read_public_key(path, "YIZHAN_JWT_PUBLIC_KEY_FILE")?;
            Keys::Public { decoding, algorithm }
        } else if let Some(path) = &jwt.jwks_file {
            Keys::Jwks(Jwks::load(path.clone(), "YIZHAN_JWT_JWKS_FILE".to_owned())?)
        } else {
            if jwt.key_required {
                bail!(
                    "YIZHAN_ENV=production needs a signing key: set YIZHAN_TRUST_FILE, YIZHAN_JWT_SECRET, \
                     YIZHAN_JWT_PUBLIC_KEY_FILE or YIZHAN_JWT_JWKS_FILE"
                );
            }
            let path = jwt.dev_secret_path.clone();
            let secret = read_or_create_dev_secret(&path)?;
            development_secret = Some(path);
            shared(secret.as_bytes())
        };
        Ok(Self {
            issuers: Issuers::Single(Issuer {
                name: jwt.issuer.clone(),
                keys,
                audience: jwt.audience.clone(),
                roles: EVERY_ROLE.to_vec(),
            }),
            leeway: jwt.leeway,
            development_secret,
        })
    }

    /// The development secret's file, when tokens are signed with one.
    pub fn development_secret(&self) -> Option<&Path> {
        self.development_secret.as_deref()
    }

    /// Checks a bearer token and turns its claims into an identity. The error names the
    /// class of problem (expired, bad signature, wrong audience, a role its issuer may not
    /// grant…), never the key.
    pub fn verify(&self, token: &str) -> AppResult<Identity> {
        let refuse = |reason: &str| AppError::Unauthenticated(format!("invalid token: {reason}"));
        let header = decode_header(token).map_err(|_| refuse("malformed token (expected a signed JWT)"))?;
        let issuer = match &self.issuers {
            Issuers::Single(issuer) => issuer,
            Issuers::Trusted(issuers) => {
                // Read unverified only to choose the key; the issuer's key then checks the
                // whole token, `iss` included.
                let claimed = jsonwebtoken::dangerous::insecure_decode_claims::<Unverified>(token)
                    .map_err(|_| refuse("malformed token or claims"))?
                    .iss;
                let Some(serde_json::Value::String(claimed)) = claimed else {
                    return Err(refuse("the token names no issuer (iss)"));
                };
                issuers
                    .iter()
                    .find(|issuer| issuer.name.as_deref() == Some(claimed.as_str()))
                    .ok_or_else(|| refuse("unknown issuer (iss); the trust configuration does not list it"))?
            }
        };
        let (key, algorithm) = match &issuer.keys {
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
        match &issuer.name {
            Some(name) => validation.set_issuer(&[name]),
            None => validation.iss = None,
        }
        match &issuer.audience {
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
        let identity = identity_from(claims).map_err(|reason| refuse(&reason))?;
        if !issuer.roles.contains(&identity.role) {
            return Err(refuse(&format!(
                "the issuer {:?} may not grant the role {}",
                issuer.name.as_deref().unwrap_or_default(),
                identity.role.claim()
            )));
        }
        Ok(identity)
    }

    /// Signs a token for `subject` with the single-key configuration's secret (or the
    /// development secret), as `yizhan token` prints.
    pub fn mint(
        &self,
        subject: &str,
        role: Role,
        group: Option<WorkerGroup>,
        ttl: Duration,
    ) -> anyhow::Result<String> {
        self.mint_for(None, subject, role, group, ttl)
    }

    /// Signs a token as `issuer` (a trust file's `issuer`; `None` with the single-key
    /// variables). Only possible with a shared secret: with public keys, tokens come from
    /// the identity provider.
    pub fn mint_for(
        &self,
        issuer: Option<&str>,
        subject: &str,
        role: Role,
        group: Option<WorkerGroup>,
        ttl: Duration,
    ) -> anyhow::Result<String> {
        let issuer = match (&self.issuers, issuer) {
            (Issuers::Single(single), None) => single,
            (Issuers::Single(_), Some(_)) => {
                bail!(
                    "--issuer names an issuer of {}, which is not set",
                    trust::VARIABLE
                )
            }
            (Issuers::Trusted(issuers), None) if issuers.len() == 1 => &issuers[0],
            (Issuers::Trusted(issuers), None) => bail!(
                "{} lists several issuers; name one with --issuer ({})",
                trust::VARIABLE,
                names(issuers)
            ),
            (Issuers::Trusted(issuers), Some(name)) => issuers
                .iter()
                .find(|issuer| issuer.name.as_deref() == Some(name))
                .with_context(|| {
                    format!(
                        "{} lists no issuer {name:?} ({})",
                        trust::VARIABLE,
                        names(issuers)
                    )
                })?,
        };
        let Keys::Shared { encoding, .. } = &issuer.keys else {
            bail!(
                "yizhan token signs with a shared secret (YIZHAN_JWT_SECRET, a trust file's secret or the \
                 development secret); with public keys, tokens come from your identity provider"
            );
        };
        if !issuer.roles.contains(&role) {
            bail!(
                "the issuer {:?} may not grant the role {}",
                issuer.name.as_deref().unwrap_or_default(),
                role.claim()
            );
        }
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
            iss: issuer.name.clone(),
            aud: issuer.audience.clone().map(Audience::One),
        };
        Ok(encode(&Header::new(Algorithm::HS256), &claims, encoding)?)
    }
}

impl Issuer {
    fn trusted(spec: IssuerSpec) -> anyhow::Result<Self> {
        let label = format!("{}: issuer {:?}", trust::VARIABLE, spec.issuer);
        let keys = match spec.key {
            KeySource::Secret(secret) => shared(secret.as_bytes()),
            KeySource::PublicKeyFile(path) => {
                let (decoding, algorithm) = read_public_key(&path, &format!("{label}: public_key_file"))?;
                Keys::Public { decoding, algorithm }
            }
            KeySource::JwksFile(path) => Keys::Jwks(Jwks::load(path, format!("{label}: jwks_file"))?),
        };
        Ok(Self {
            name: Some(spec.issuer),
            keys,
            audience: spec.audience,
            roles: spec.roles,
        })
    }
}

fn names(issuers: &[Issuer]) -> String {
    issuers
        .iter()
        .filter_map(|issuer| issuer.name.as_deref())
        .collect::<Vec<_>>()
        .join(", ")
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
