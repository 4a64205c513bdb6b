//! The caller of a request, as the verified token describes it.

use chrono::{DateTime, Utc};
use entity::place::WorkerGroup;

/// The four kinds of account, from the token's `role` claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// A rider, courier, driver or other outdoor worker.
    Worker,
    /// A partner merchant managing its own listings.
    Merchant,
    /// A station operator managing its stations.
    Operator,
    /// The city's administrators: review, moderation and the calendar.
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

    /// The role a token's `role` claim names; `None` for an unknown one.
    pub fn from_claim(value: &str) -> Option<Self> {
        [Self::Worker, Self::Merchant, Self::Operator, Self::Admin]
            .into_iter()
            .find(|role| role.claim() == value)
    }
}

/// A verified account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// The token's `sub`, unique within its issuer.
    pub subject: String,
    /// The role the token grants.
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
    /// A caller without a token.
    pub fn anonymous() -> Self {
        Self(None)
    }

    /// A caller whose token was verified.
    pub fn authenticated(identity: Identity) -> Self {
        Self(Some(identity))
    }

    /// Who the caller is, when they sent a valid token.
    pub fn identity(&self) -> Option<&Identity> {
        self.0.as_ref()
    }

    /// The caller's role, when authenticated.
    pub fn role(&self) -> Option<Role> {
        self.0.as_ref().map(|identity| identity.role)
    }

    /// The caller's subject, when authenticated.
    pub fn subject(&self) -> Option<&str> {
        self.0.as_ref().map(|identity| identity.subject.as_str())
    }

    /// When the caller's token expires; `None` for anonymous callers.
    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.as_ref().and_then(|identity| identity.expires_at)
    }

    /// Whether the caller is one of the city's administrators.
    pub fn is_admin(&self) -> bool {
        self.role() == Some(Role::Admin)
    }
}
