//! A listing from the place's row, and the row again from the listing.

use std::sync::Arc;

use entity::{
    offer,
    place::{self, Amenities, WorkerGroups},
    place_photo,
};

use super::{Lifecycle, Listing, PackedStrings, Rare, Stamp, StoredStatus, Text, Traits};
use crate::{
    auth::viewer::Role,
    domain::{directory::schedule::Schedule, voice::Rating},
};

impl Listing {
    /// Prepares a listing from its parts: deleted offers dropped, offers by id, filter keys
    /// computed once.
    pub(in crate::domain::directory) fn new(
        place: place::Model,
        mut offers: Vec<offer::Model>,
        rating: Rating,
        schedule: Option<Arc<Schedule>>,
    ) -> Self {
        let place::Model {
            id,
            kind,
            name,
            address,
            description,
            latitude,
            longitude,
            opening_hours,
            time_zone,
            phone,
            amenities,
            serves_groups,
            owner_subject,
            owner_role,
            publication,
            review_note,
            submitted_at,
            follows_work_calendar,
            status_state,
            status_seats_free,
            status_note,
            status_updated_at,
            status_expires_at,
            version,
            created_at,
            updated_at,
            approved_latitude,
            approved_longitude,
            deleted_at,
            log_position,
        } = place;
        offers.retain(|offer| offer.deleted_at.is_none());
        offers.sort_by_key(|offer| offer.id);
        let (lower_name, lower_address) = (name.to_lowercase(), address.to_lowercase());
        let hours_shared = schedule
            .as_deref()
            .is_some_and(|schedule| schedule.expression() == opening_hours && schedule.zone() == time_zone);
        let known_role = Role::from_claim(&owner_role);
        let texts = PackedStrings::new([
            Some(name.as_str()),
            Some(address.as_str()),
            (lower_name != name).then_some(lower_name.as_str()),
            (lower_address != address).then_some(lower_address.as_str()),
            description.as_deref(),
            phone.as_deref(),
            Some(owner_subject.as_str()),
            known_role.is_none().then_some(owner_role.as_str()),
            review_note.as_deref(),
            status_note.as_deref(),
            (!hours_shared).then_some(opening_hours.as_str()),
            (!hours_shared).then_some(time_zone.as_str()),
        ]);
        // Bit for bit, so the row rebuilt from the listing is the row read.
        let approved_here = approved_latitude.map(f64::to_bits) == Some(latitude.to_bits())
            && approved_longitude.map(f64::to_bits) == Some(longitude.to_bits());
        let (approved_latitude, approved_longitude) = if approved_here {
            (None, None)
        } else {
            (approved_latitude, approved_longitude)
        };
        let traits = Traits::new(
            amenities.0.iter().copied(),
            serves_groups.0.iter().copied(),
            approved_here,
        );
        let status = (status_state.is_some()
            || status_seats_free.is_some()
            || status_updated_at.is_some()
            || status_expires_at.is_some())
        .then(|| {
            Box::new(StoredStatus {
                state: status_state,
                seats_free: status_seats_free,
                updated_at: status_updated_at,
                expires_at: status_expires_at,
            })
        });
        let submitted = submitted_at.and_then(Stamp::of);
        let submitted_at = submitted_at.filter(|_| submitted.is_none());
        let (created, updated) = (Stamp::of(created_at), Stamp::of(updated_at));
        let created_at = Some(created_at).filter(|_| created.is_none());
        let updated_at = Some(updated_at).filter(|_| updated.is_none());
        let lifecycle = (submitted_at.is_some()
            || created_at.is_some()
            || updated_at.is_some()
            || approved_latitude.is_some()
            || approved_longitude.is_some()
            || deleted_at.is_some())
        .then(|| {
            Box::new(Lifecycle {
                submitted_at,
                created_at,
                updated_at,
                approved_latitude,
                approved_longitude,
                deleted_at,
            })
        });
        let rare = Rare {
            offers: offers.into_boxed_slice(),
            rating,
            photos: Box::default(),
            status,
            lifecycle,
            amenities: unless_ascending(amenities.0),
            serves_groups: unless_ascending(serves_groups.0),
        };
        Self {
            id,
            kind,
            publication,
            version,
            latitude,
            longitude,
            log_position,
            follows_work_calendar,
            created: created.unwrap_or(Stamp::NONE),
            updated: updated.unwrap_or(Stamp::NONE),
            schedule,
            texts,
            traits,
            owner_role: known_role,
            submitted: submitted.unwrap_or(Stamp::NONE),
            rare: (!rare.is_empty()).then(|| Box::new(rare)),
        }
    }

    /// The listing with its photos, in display order.
    pub(crate) fn with_photos(mut self, photos: Vec<place_photo::Model>) -> Self {
        if !photos.is_empty() || self.rare.is_some() {
            self.rare.get_or_insert_default().photos = photos.into_boxed_slice();
        }
        self
    }

    /// The place's row as it was read, for the few paths that need a whole row.
    pub fn to_model(&self) -> place::Model {
        let status = self.stored_status();
        let lifecycle = self.lifecycle();
        let (approved_latitude, approved_longitude) = if self.traits.approved_here() {
            (Some(self.latitude), Some(self.longitude))
        } else {
            lifecycle.map_or((None, None), |lifecycle| {
                (lifecycle.approved_latitude, lifecycle.approved_longitude)
            })
        };
        place::Model {
            id: self.id,
            kind: self.kind,
            name: self.name().to_owned(),
            address: self.address().to_owned(),
            description: self.description().map(str::to_owned),
            latitude: self.latitude,
            longitude: self.longitude,
            opening_hours: self.opening_hours().to_owned(),
            time_zone: self.time_zone().to_owned(),
            phone: self.phone().map(str::to_owned),
            amenities: Amenities(self.amenities().collect()),
            serves_groups: WorkerGroups(self.serves_groups().collect()),
            owner_subject: self.owner_subject().to_owned(),
            owner_role: self.owner_role().to_owned(),
            publication: self.publication,
            review_note: self.review_note().map(str::to_owned),
            submitted_at: self.submitted_at(),
            follows_work_calendar: self.follows_work_calendar,
            status_state: status.and_then(|status| status.state),
            status_seats_free: status.and_then(|status| status.seats_free),
            status_note: self.text(Text::StatusNote).map(str::to_owned),
            status_updated_at: status.and_then(|status| status.updated_at),
            status_expires_at: status.and_then(|status| status.expires_at),
            version: self.version,
            created_at: self.created_at(),
            updated_at: self.updated_at(),
            approved_latitude,
            approved_longitude,
            deleted_at: self.deleted_at(),
            log_position: self.log_position,
        }
    }
}

/// A list to keep as it is stored, unless it is ascending with each item once: then its
/// bits say all of it, and nothing more is kept.
fn unless_ascending<T: Ord>(stored: Vec<T>) -> Option<Box<[T]>> {
    (!stored.is_sorted_by(|before, after| before < after)).then(|| stored.into_boxed_slice())
}

#[cfg(test)]
pub(super) mod tests {
    use chrono::{DateTime, TimeZone, Utc};
    use entity::place::{Amenity, PlaceKind, Publication, StatusState, WorkerGroup};

    use super::*;

    /// A typical published place's row.
    pub(in crate::domain::directory) fn row() -> place::Model {
        let now = Utc.with_ymd_and_hms(2026, 3, 4, 5, 6, 7).unwrap();
        place::Model {
            id: 7,
            kind: PlaceKind::RiderCanteen,
            name: "骑手食堂·三和路店".to_owned(),
            address: "三和路 18 号".to_owned(),
            description: None,
            latitude: 36.1842,
            longitude: 116.7618,
            opening_hours: "Mo-Su 08:00-20:00".to_owned(),
            time_zone: "Asia/Shanghai".to_owned(),
            phone: None,
            amenities: Amenities(vec![Amenity::Wifi, Amenity::HotWater, Amenity::Seating]),
            serves_groups: WorkerGroups(vec![WorkerGroup::Courier, WorkerGroup::DeliveryRider]),
            owner_subject: "m-1".to_owned(),
            owner_role: "merchant".to_owned(),
            publication: Publication::Published,
            review_note: None,
            submitted_at: None,
            follows_work_calendar: false,
            status_state: None,
            status_seats_free: None,
            status_note: None,
            status_updated_at: None,
            status_expires_at: None,
            version: 3,
            created_at: now,
            updated_at: now,
            approved_latitude: Some(36.1842),
            approved_longitude: Some(116.7618),
            deleted_at: None,
            log_position: 42,
        }
    }

    fn schedule_of(row: &place::Model) -> Option<Arc<Schedule>> {
        Schedule::parse(
            &row.opening_hours,
            &row.time_zone,
            row.follows_work_calendar,
            Arc::default(),
        )
        .ok()
        .map(Arc::new)
    }

    fn round_trip(row: place::Model) {
        let listing = Listing::new(row.clone(), Vec::new(), Rating::default(), schedule_of(&row));
        assert_eq!(listing.to_model(), row);
    }

    #[test]
    fn a_typical_row_reads_back_whole() {
        round_trip(row());
    }

    #[test]
    fn a_row_with_every_rare_field_reads_back_whole() {
        let at = Utc.with_ymd_and_hms(2026, 5, 6, 7, 8, 9).unwrap();
        round_trip(place::Model {
            name: "Rider Café".to_owned(),
            address: "8 Main St".to_owned(),
            description: Some(String::new()),
            phone: Some("0538-1234567".to_owned()),
            publication: Publication::Suspended,
            review_note: Some("moved without review".to_owned()),
            submitted_at: Some(at),
            follows_work_calendar: true,
            status_state: Some(StatusState::Full),
            status_seats_free: Some(0),
            status_note: Some("满座".to_owned()),
            status_updated_at: Some(at),
            status_expires_at: Some(at),
            approved_latitude: Some(36.0),
            approved_longitude: None,
            deleted_at: Some(at),
            ..row()
        });
    }

    #[test]
    fn hours_that_do_not_parse_are_still_served_as_stored() {
        let row = place::Model {
            opening_hours: "ask at the door".to_owned(),
            time_zone: "Mars/Olympus".to_owned(),
            ..row()
        };
        let listing = Listing::new(row.clone(), Vec::new(), Rating::default(), None);
        assert_eq!(listing.opening_hours(), "ask at the door");
        assert_eq!(listing.time_zone(), "Mars/Olympus");
        assert_eq!(listing.to_model(), row);
    }

    #[test]
    fn lower_case_is_kept_only_where_it_differs() {
        let latin = Listing::new(
            place::Model {
                name: "Rider Café".to_owned(),
                ..row()
            },
            Vec::new(),
            Rating::default(),
            None,
        );
        assert_eq!(latin.lower_name(), "rider café");
        assert_eq!(latin.lower_address(), "三和路 18 号");
    }

    #[test]
    fn amenities_and_groups_in_any_other_order_read_back_as_stored() {
        round_trip(place::Model {
            amenities: Amenities(vec![Amenity::Wifi, Amenity::HotWater, Amenity::Wifi]),
            serves_groups: WorkerGroups(vec![WorkerGroup::Courier, WorkerGroup::DeliveryRider]),
            ..row()
        });
        round_trip(place::Model {
            amenities: Amenities(Vec::new()),
            serves_groups: WorkerGroups(vec![WorkerGroup::DeliveryRider, WorkerGroup::OtherOutdoorWorker]),
            ..row()
        });
    }

    #[test]
    fn an_owner_role_no_token_grants_reads_back_as_stored() {
        round_trip(place::Model {
            owner_role: "cooperative".to_owned(),
            ..row()
        });
        round_trip(place::Model {
            owner_role: "Merchant".to_owned(),
            ..row()
        });
    }

    #[test]
    fn times_a_stamp_cannot_hold_read_back_whole() {
        for at in [
            Utc.with_ymd_and_hms(1500, 1, 2, 3, 4, 5).unwrap(),
            Utc.with_ymd_and_hms(2400, 1, 2, 3, 4, 5).unwrap(),
            DateTime::from_timestamp_nanos(i64::MIN),
            Utc.timestamp_opt(1_780_000_000, 123_456_789).unwrap(),
        ] {
            round_trip(place::Model {
                submitted_at: Some(at),
                ..row()
            });
            round_trip(place::Model {
                created_at: at,
                ..row()
            });
            round_trip(place::Model {
                updated_at: at,
                ..row()
            });
        }
    }

    #[test]
    fn approval_where_it_stands_and_elsewhere_reads_back() {
        let here = row();
        round_trip(place::Model {
            approved_latitude: Some(here.latitude),
            approved_longitude: Some(here.longitude),
            ..here.clone()
        });
        round_trip(place::Model {
            approved_latitude: Some(here.latitude + 0.001),
            approved_longitude: Some(here.longitude),
            ..here.clone()
        });
        round_trip(place::Model {
            approved_latitude: None,
            approved_longitude: None,
            amenities: Amenities(vec![Amenity::DrinkingWater, Amenity::Lockers]),
            serves_groups: WorkerGroups(vec![WorkerGroup::OtherOutdoorWorker]),
            ..here
        });
    }

    #[test]
    fn amenity_and_group_bits_follow_declaration_order_and_fit_their_fields() {
        use sea_orm::Iterable as _;
        assert!(Amenity::iter().count() <= Traits::GROUPS_SHIFT as usize);
        assert!(WorkerGroup::iter().count() <= Traits::GROUPS as usize);
        assert!(PlaceKind::iter().count() <= 32);
        assert!(
            Amenity::iter()
                .enumerate()
                .all(|(index, amenity)| amenity as usize == index)
        );
        assert!(
            WorkerGroup::iter()
                .enumerate()
                .all(|(index, group)| group as usize == index)
        );
    }

    #[test]
    fn a_plain_listing_keeps_nothing_rare() {
        let plain = place::Model {
            amenities: Amenities(vec![Amenity::HotWater, Amenity::Wifi]),
            serves_groups: WorkerGroups(vec![WorkerGroup::DeliveryRider, WorkerGroup::Courier]),
            submitted_at: Some(Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap()),
            ..row()
        };
        let listing = Listing::new(plain.clone(), Vec::new(), Rating::default(), schedule_of(&plain));
        assert!(listing.rare.is_none());
        assert_eq!(listing.to_model(), plain);
    }
}
