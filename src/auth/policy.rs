//! Who may do what: the one place yizhan decides it. Domain functions load the rows a
//! decision needs and ask here; resolvers never decide.

use entity::place::{self, PlaceKind, Publication};

use super::viewer::{Role, Viewer};
use crate::error::{AppError, AppResult};

/// What a decision about a place reads: which place, where it stands in review, whether
/// it was deleted and which account owns it. Rows and the directory's listings both answer,
/// so checking a listing never rebuilds its row.
pub trait OwnedPlace {
    /// The place's id.
    fn id(&self) -> i32;
    /// Where the place stands in review.
    fn publication(&self) -> Publication;
    /// True once its owner deleted it.
    fn is_deleted(&self) -> bool;
    /// The role of the owning account (`merchant`, `operator` or `admin`).
    fn owner_role(&self) -> &str;
    /// The `sub` claim of the owning account.
    fn owner_subject(&self) -> &str;
}

impl OwnedPlace for place::Model {
    fn id(&self) -> i32 {
        self.id
    }

    fn publication(&self) -> Publication {
        self.publication
    }

    fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }

    fn owner_role(&self) -> &str {
        &self.owner_role
    }

    fn owner_subject(&self) -> &str {
        &self.owner_subject
    }
}

/// The viewer's role; UNAUTHENTICATED for anonymous callers.
pub fn require_login(viewer: &Viewer) -> AppResult<Role> {
    viewer
        .role()
        .ok_or_else(|| AppError::Unauthenticated("sign in: send an Authorization: Bearer token".to_owned()))
}

/// A place is owned by an account: the role it signs in with and its subject. Workers own
/// nothing, and a merchant and an operator sharing a `sub` are different accounts.
fn owns(viewer: &Viewer, place: &impl OwnedPlace) -> bool {
    viewer.identity().is_some_and(|identity| {
        identity.role != Role::Worker
            && identity.role.claim() == place.owner_role()
            && identity.subject == place.owner_subject()
    })
}

/// Published places are public; the rest only reach their owner and admins.
pub fn can_see(viewer: &Viewer, place: &impl OwnedPlace) -> bool {
    !place.is_deleted()
        && (place.publication() == Publication::Published || viewer.is_admin() || owns(viewer, place))
}

/// A deleted place is gone for everyone: managing it, its items, offers or loans is
/// `NOT_FOUND`, as if it never existed.
fn not_deleted(place: &impl OwnedPlace) -> AppResult<()> {
    if place.is_deleted() {
        Err(AppError::NotFound(format!("place {} was deleted", place.id())))
    } else {
        Ok(())
    }
}

/// Merchants create the four merchant kinds, operators the station kinds, admins any kind.
pub fn may_create(viewer: &Viewer, kind: PlaceKind) -> AppResult<()> {
    match require_login(viewer)? {
        Role::Admin => Ok(()),
        Role::Merchant if kind.is_merchant_kind() => Ok(()),
        Role::Operator if !kind.is_merchant_kind() => Ok(()),
        Role::Merchant => Err(AppError::Forbidden(
            "merchants create FRIENDLY_MERCHANT, RIDER_CANTEEN, RIDER_PHARMACY or RIDER_CLINIC places"
                .to_owned(),
        )),
        Role::Operator => Err(AppError::Forbidden(
            "operators create station kinds; merchant kinds belong to merchants".to_owned(),
        )),
        Role::Worker => Err(AppError::Forbidden("workers cannot create places".to_owned())),
    }
}

/// The owner and admins manage a place: its offers, photos, live status, history, review
/// notes, and submitting it for review.
pub fn may_manage(viewer: &Viewer, place: &impl OwnedPlace) -> AppResult<()> {
    require_login(viewer)?;
    not_deleted(place)?;
    if viewer.is_admin() || owns(viewer, place) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "only the place's owner or an admin may do this".to_owned(),
        ))
    }
}

/// An owner edits its own places, within the kinds its role may hold; admins edit any.
pub fn may_edit(viewer: &Viewer, place: &impl OwnedPlace, new_kind: PlaceKind) -> AppResult<()> {
    may_manage(viewer, place)?;
    may_create(viewer, new_kind)
}

/// Admins moderate: approve, reject, suspend, transfer, read the review queue, keep the
/// work calendar.
pub fn may_moderate(viewer: &Viewer) -> AppResult<()> {
    match require_login(viewer)? {
        Role::Admin => Ok(()),
        _ => Err(AppError::Forbidden(
            "only the network administrator (role admin) may do this".to_owned(),
        )),
    }
}

/// Riders speak for themselves: favourites, reviews, helpful marks and reports are for
/// worker accounts, so a merchant cannot rate itself or a rival.
pub fn may_speak_as_worker(viewer: &Viewer, what: &str) -> AppResult<()> {
    match require_login(viewer)? {
        Role::Worker => Ok(()),
        _ => Err(AppError::Forbidden(format!(
            "only worker accounts (role worker) may {what}"
        ))),
    }
}

/// Only the place's owner answers its reviews, in its own name: admins moderate instead.
/// The owner is the merchant or operator account the place belongs to, never a worker
/// account that happens to carry the same subject.
pub fn may_reply(viewer: &Viewer, place: &impl OwnedPlace) -> AppResult<()> {
    let role = require_login(viewer)?;
    if matches!(role, Role::Merchant | Role::Operator) && owns(viewer, place) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "only the place's owner may reply to its reviews".to_owned(),
        ))
    }
}

/// A station's lending register, its loans, its check-in code and its statistics are
/// managed by its owner and admins: the same right as `may_manage`, named for what it
/// guards so the authorization matrix reads as the README's table.
pub fn may_run_station(viewer: &Viewer, place: &impl OwnedPlace) -> AppResult<()> {
    require_login(viewer)?;
    not_deleted(place)?;
    if viewer.is_admin() || owns(viewer, place) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "only the place's owner or an admin may manage its items, loans, check-in code and statistics"
                .to_owned(),
        ))
    }
}

/// A walk-in borrower's phone number is personal data (PIPL): only the lending place's
/// owner and admins read it whole; anyone else reads it masked.
pub fn may_read_borrower_phone(viewer: &Viewer, place: &impl OwnedPlace) -> bool {
    viewer.is_admin() || owns(viewer, place)
}

/// A loan is returned by the lending place's owner or an admin, or by the worker account
/// that borrowed it.
pub fn may_return(viewer: &Viewer, place: &impl OwnedPlace, borrower: Option<(&str, &str)>) -> AppResult<()> {
    require_login(viewer)?;
    not_deleted(place)?;
    let is_borrower = viewer.identity().is_some_and(|identity| {
        borrower.is_some_and(|(role, subject)| identity.role.claim() == role && identity.subject == subject)
    });
    if viewer.is_admin() || owns(viewer, place) || is_borrower {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "only the borrower, the place's owner or an admin may return this loan".to_owned(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::viewer::Identity;

    fn viewer(role: Role) -> Viewer {
        Viewer::authenticated(Identity {
            subject: "s".into(),
            role,
            group: None,
            expires_at: None,
        })
    }

    #[test]
    fn each_role_creates_only_its_own_kinds() {
        assert!(may_create(&viewer(Role::Merchant), PlaceKind::RiderCanteen).is_ok());
        assert!(may_create(&viewer(Role::Merchant), PlaceKind::GridStation).is_err());
        assert!(may_create(&viewer(Role::Operator), PlaceKind::GridStation).is_ok());
        assert!(may_create(&viewer(Role::Operator), PlaceKind::RiderCanteen).is_err());
        assert!(may_create(&viewer(Role::Admin), PlaceKind::RiderClinic).is_ok());
        assert!(may_create(&viewer(Role::Worker), PlaceKind::RiderClinic).is_err());
        assert!(matches!(
            may_create(&Viewer::anonymous(), PlaceKind::RiderClinic),
            Err(AppError::Unauthenticated(_))
        ));
    }
}
