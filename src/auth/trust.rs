//! The trust configuration (`YIZHAN_TRUST_FILE`): the issuers whose tokens yizhan accepts,
//! each with its key, its audience and the roles it may grant, so that a rider platform's
//! key can never mint a merchant's or an administrator's token.
//!
//! ```toml
//! [[issuers]]
//! issuer = "https://riders.example.com"   # the `iss` its tokens carry
//! secret_file = "riders.secret"           # or secret, public_key_file, jwks_file
//! audience = "yizhan"                     # optional
//! roles = ["worker"]
//! ```
//!
//! Relative paths are read from the trust file's folder.

use std::{
    collections::HashSet,
    path::{Path, PathBuf},
};

use anyhow::{Context as _, bail};
use serde::Deserialize;

use super::viewer::Role;

/// The setting that names the trust file.
pub const VARIABLE: &str = "YIZHAN_TRUST_FILE";

/// Where an issuer's verification key comes from.
pub enum KeySource {
    /// A shared HS256 secret, written in the file.
    Secret(String),
    /// A PEM public key (RS256 or ES256) in this file.
    PublicKeyFile(PathBuf),
    /// A JWKS file, re-read when it changes.
    JwksFile(PathBuf),
}

/// One trusted issuer, checked and ready for the authenticator.
pub struct IssuerSpec {
    /// The `iss` its tokens carry, which picks this entry.
    pub issuer: String,
    /// The key that checks its tokens.
    pub key: KeySource,
    /// The `aud` its tokens must carry, when set.
    pub audience: Option<String>,
    /// The roles its tokens may grant; a token claiming another is refused.
    pub roles: Vec<Role>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TrustFile {
    issuers: Vec<IssuerEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IssuerEntry {
    issuer: String,
    secret: Option<String>,
    secret_file: Option<PathBuf>,
    public_key_file: Option<PathBuf>,
    jwks_file: Option<PathBuf>,
    audience: Option<String>,
    roles: Vec<String>,
}

/// Reads and checks the trust file. Every error starts with the variable's name and says
/// which issuer and which entry is wrong.
pub fn load(path: &Path) -> anyhow::Result<Vec<IssuerSpec>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{VARIABLE}: cannot read {}", path.display()))?;
    let file: TrustFile = toml::from_str(&text).map_err(|error| {
        anyhow::anyhow!(
            "{VARIABLE}: {} is not a valid trust file: {error}",
            path.display()
        )
    })?;
    if file.issuers.is_empty() {
        bail!("{VARIABLE}: {} lists no [[issuers]]", path.display());
    }
    let folder = path.parent().unwrap_or(Path::new("."));
    let mut seen = HashSet::new();
    file.issuers
        .into_iter()
        .map(|entry| {
            let name = entry.issuer.trim().to_owned();
            if name.is_empty() {
                bail!("{VARIABLE}: every issuer needs a non-empty `issuer` (the `iss` its tokens carry)");
            }
            if !seen.insert(name.clone()) {
                bail!("{VARIABLE}: issuer {name:?} is listed twice");
            }
            entry
                .check(folder)
                .map_err(|problem| anyhow::anyhow!("{VARIABLE}: issuer {name:?}: {problem}"))
        })
        .collect()
}

impl IssuerEntry {
    fn check(self, folder: &Path) -> Result<IssuerSpec, String> {
        let key = match (
            self.secret,
            self.secret_file,
            self.public_key_file,
            self.jwks_file,
        ) {
            (Some(secret), None, None, None) => KeySource::Secret(secret),
            (None, Some(file), None, None) => {
                let file = folder.join(file);
                let secret = std::fs::read_to_string(&file)
                    .map_err(|error| format!("secret_file: cannot read {}: {error}", file.display()))?;
                KeySource::Secret(secret.trim().to_owned())
            }
            (None, None, Some(file), None) => KeySource::PublicKeyFile(folder.join(file)),
            (None, None, None, Some(file)) => KeySource::JwksFile(folder.join(file)),
            _ => {
                return Err(
                    "give exactly one of secret, secret_file, public_key_file and jwks_file".to_owned(),
                );
            }
        };
        if let KeySource::Secret(secret) = &key
            && secret.len() < 32
        {
            return Err("the secret needs at least 32 characters of randomness".to_owned());
        }
        if self
            .audience
            .as_deref()
            .is_some_and(|audience| audience.trim().is_empty())
        {
            return Err("audience, when given, must not be empty".to_owned());
        }
        if self.roles.is_empty() {
            return Err(
                "roles lists none; name the roles it may grant (worker, merchant, operator, admin)"
                    .to_owned(),
            );
        }
        let mut roles = Vec::new();
        for claim in &self.roles {
            let role = Role::from_claim(claim).ok_or_else(|| {
                format!("unknown role {claim:?} (expected worker, merchant, operator or admin)")
            })?;
            if !roles.contains(&role) {
                roles.push(role);
            }
        }
        Ok(IssuerSpec {
            issuer: self.issuer.trim().to_owned(),
            key,
            audience: self.audience,
            roles,
        })
    }
}
