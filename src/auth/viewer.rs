//! The caller of a request, as the verified token describes it.

use chrono::{DateTime, Utc};
use entity::place::WorkerGroup;

/// The four kinds of account, from the token's `role` claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    Worker,
    Merchant,
    Operator,
    Admin,
}

impl Role {
    /// The claim value, as written in tokens.
    pub fn claim(self) -> &'static str {
        match self {
            Self::Worker => "worker",
            Self::Merchant => "merchant",
            Self::Operator => "operator",
            Self::Admin => "admin",
        }
    }

    pub fn from_claim(value: &str) -> Option<Self> {
        [Self::Worker, Self::Merchant, Self::Operator, Self::Admin]
            .into_iter()
            .find(|role| role.claim() == value)
    }
}

/// A verified account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub subject: String,
    pub role: Role,
    /// A worker's group, when the issuer says which.
    pub group: Option<WorkerGroup>,
    /// When the token stops being valid (its `exp`): long-lived subscriptions end then.
    pub expires_at: Option<DateTime<Utc>>,
}

/// The caller: anonymous, or a verified identity. A bad token never becomes anonymous:
/// the request is refused before it gets here.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Viewer(Option<Identity>);

impl Viewer {
    pub fn anonymous() -> Self {
        Self(None)
    }

    pub fn authenticated(identity: Identity) -> Self {
        Self(Some(identity))
    }

    pub fn identity(&self) -> Option<&Identity> {
        self.0.as_ref()
    }

    pub fn role(&self) -> Option<Role> {
        self.0.as_ref().map(|identity| identity.role)
    }

    pub fn subject(&self) -> Option<&str> {
        self.0.as_ref().map(|identity| identity.subject.as_str())
    }

    /// When the caller's token expires; `None` for anonymous callers.
    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.as_ref().and_then(|identity| identity.expires_at)
    }

    pub fn is_admin(&self) -> bool {
        self.role() == Some(Role::Admin)
    }
}
