//! The Feicheng (肥城) demo network. The places and their offers are data, in
//! `feicheng.toml` beside this file, after the news report "肥城:'双服务圈'让城市治理有力度更有温度"
//! (大众新闻); this module only reads that file into rows.

use chrono::{DateTime, Duration, Utc};
use entity::{
    offer,
    place::{self, Amenities, Amenity, PlaceKind, Publication, WorkerGroup, WorkerGroups},
};
use sea_orm::ActiveValue::Set;
use serde::Deserialize;

use super::owner_role_for;
use crate::domain::validate;

/// The network, compiled into the binary so a fresh start needs no file beside it.
const FEICHENG: &str = include_str!("feicheng.toml");

/// The groups a place welcomes when the data names none. (An offer without groups is for
/// every worker, group or not: its `groups` default to empty.)
const ALL_GROUPS: [WorkerGroup; 7] = [
    WorkerGroup::DeliveryRider,
    WorkerGroup::Courier,
    WorkerGroup::TruckDriver,
    WorkerGroup::RideHailingDriver,
    WorkerGroup::SanitationWorker,
    WorkerGroup::LandscapingWorker,
    WorkerGroup::OtherOutdoorWorker,
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Network {
    places: Vec<DemoPlace>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoPlace {
    kind: PlaceKind,
    name: String,
    address: String,
    description: Option<String>,
    lat: f64,
    lng: f64,
    hours: String,
    phone: String,
    amenities: Vec<Amenity>,
    #[serde(default = "all_groups")]
    groups: Vec<WorkerGroup>,
    owner: String,
    #[serde(default)]
    follows_work_calendar: bool,
    #[serde(default)]
    offers: Vec<DemoOffer>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoOffer {
    title: String,
    description: String,
    #[serde(default)]
    groups: Vec<WorkerGroup>,
}

fn all_groups() -> Vec<WorkerGroup> {
    ALL_GROUPS.to_vec()
}

/// A place of the demo network with the offers to add once it has an id.
pub struct Seed {
    /// The row to insert.
    pub place: place::ActiveModel,
    offers: Vec<DemoOffer>,
}

impl Seed {
    /// The place's offers, valid from a day before `now` for a year.
    pub fn offers(&self, place_id: i32, now: DateTime<Utc>) -> Vec<offer::ActiveModel> {
        self.offers
            .iter()
            .map(|offer| offer::ActiveModel {
                place_id: Set(place_id),
                title: Set(offer.title.clone()),
                description: Set(offer.description.clone()),
                groups: Set(WorkerGroups(offer.groups.clone())),
                valid_from: Set(now - Duration::days(1)),
                valid_until: Set(now + Duration::days(365)),
                version: Set(1),
                created_at: Set(now),
                updated_at: Set(now),
                deleted_at: Set(None),
                ..Default::default()
            })
            .collect()
    }
}

/// Every place of the demo network, in the data file's order, published as of `now`.
pub fn network(now: DateTime<Utc>) -> Vec<Seed> {
    let network: Network = toml::from_str(FEICHENG).expect("feicheng.toml is valid (a unit test reads it)");
    network
        .places
        .into_iter()
        .map(|spec| Seed {
            place: place::ActiveModel {
                kind: Set(spec.kind),
                name: Set(spec.name),
                address: Set(spec.address),
                description: Set(spec.description),
                latitude: Set(spec.lat),
                longitude: Set(spec.lng),
                opening_hours: Set(spec.hours),
                time_zone: Set("Asia/Shanghai".to_owned()),
                phone: Set(Some(spec.phone)),
                // Stored as the API stores them: in declaration order, each once.
                amenities: Set(Amenities(validate::deduplicated(spec.amenities))),
                serves_groups: Set(WorkerGroups(validate::deduplicated(spec.groups))),
                owner_subject: Set(spec.owner),
                owner_role: Set(owner_role_for(spec.kind).to_owned()),
                follows_work_calendar: Set(spec.follows_work_calendar),
                publication: Set(Publication::Published),
                // Published as approved where it stands: moves are measured from here.
                approved_latitude: Set(Some(spec.lat)),
                approved_longitude: Set(Some(spec.lng)),
                version: Set(1),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            },
            offers: spec.offers,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_data_file_holds_the_counts_of_the_report() {
        let network = super::network(chrono::Utc::now());
        assert_eq!(network.len(), 180);
        let offers: usize = network.iter().map(|seed| seed.offers.len()).sum();
        assert_eq!(offers, 27);
    }
}
