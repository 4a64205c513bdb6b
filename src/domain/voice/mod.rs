//! The riders' voice: favourites, reviews with owner replies and moderation, and reports
//! that correct the map. Riders know which canteen really gives the discount and which
//! station's hot water is broken; this is where they say so, under limits that keep the
//! voice trustworthy.
//!
//! Every row names its account by role and subject (`Account`), never by a bare subject.
//! Times that order or window these rows come from the database's clock (`clock`), so
//! instances with drifting clocks still agree.

pub mod favorites;
pub mod rating;
pub mod reports;
pub mod reviews;

pub(crate) mod clock;
mod limits;
mod pseudonym;
mod visits;

pub use rating::Rating;

use crate::{
    auth::{Role, Viewer, policy},
    error::{AppError, AppResult},
};

/// An account: the role and the subject together, as the token names it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Account {
    /// The role the account's tokens carry.
    pub role: Role,
    /// The subject within that role.
    pub subject: String,
}

impl Account {
    /// The signed-in caller's account; `None` when anonymous.
    pub fn of(viewer: &Viewer) -> Option<Self> {
        viewer.identity().map(|identity| Self {
            role: identity.role,
            subject: identity.subject.clone(),
        })
    }

    /// The caller's account when it is a worker's; otherwise the policy's refusal.
    pub fn worker(viewer: &Viewer, what: &str) -> AppResult<Self> {
        policy::may_speak_as_worker(viewer, what)?;
        Self::of(viewer)
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("a signed-in viewer without identity")))
    }

    /// The role as stored: the token's claim value.
    pub fn role_claim(&self) -> &'static str {
        self.role.claim()
    }

    /// Whether a stored (role, subject) pair names this account.
    pub fn is(&self, role: &str, subject: &str) -> bool {
        self.role_claim() == role && self.subject == subject
    }
}
