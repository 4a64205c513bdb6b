//! The token settings `config` builds for the verifier.

use std::{fmt, path::PathBuf, time::Duration};

/// How tokens are checked: the trust file or at most one key source, the claims to insist
/// on, and where a development secret lives when no key is configured.
#[derive(Clone)]
pub struct AuthSettings {
    /// The trust file: every issuer with its key, audience and roles.
    pub trust_file: Option<PathBuf>,
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
    /// Clock skew tolerated on `exp` and `nbf`.
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
            .field("trust_file", &self.trust_file)
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
