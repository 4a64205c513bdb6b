//! The benchmark city: N published places in a 30 km × 30 km box around Feicheng, 60 %
//! uniform, 25 % in a downtown cluster (normal, σ 2.5 km) and 15 % in three town clusters
//! (σ 1.2 km), with kinds weighted like the real network.

use chrono::Utc;
use entity::place::{self, Amenities, Amenity, PlaceKind, Publication, WorkerGroup, WorkerGroups};
use indicatif::{ProgressBar, ProgressStyle};
use rand::{Rng, SeedableRng, rngs::StdRng};
use sea_orm::{ActiveValue::Set, DatabaseConnection, TransactionTrait};

use crate::domain::geo::Point;

/// The centre synthetic cities spread around.
pub const CENTER: Point = Point {
    lat: 36.18,
    lng: 116.77,
};
const HALF_SIDE_METERS: f64 = 15_000.0;
const TOWNS: [Point; 3] = [
    Point {
        lat: 36.245,
        lng: 116.690,
    },
    Point {
        lat: 36.105,
        lng: 116.862,
    },
    Point {
        lat: 36.118,
        lng: 116.655,
    },
];
const METERS_PER_DEGREE_LAT: f64 = 111_195.0;

/// Kind weights, from the Feicheng network's own counts.
const KIND_WEIGHTS: [(PlaceKind, u32); 12] = [
    (PlaceKind::PartyServiceCenter, 30),
    (PlaceKind::GridStation, 71),
    (PlaceKind::UnionStation, 6),
    (PlaceKind::RiderStation, 3),
    (PlaceKind::CityStation, 9),
    (PlaceKind::SanitationRestRoom, 12),
    (PlaceKind::DriverStation, 1),
    (PlaceKind::FriendlyMerchant, 30),
    (PlaceKind::RiderCanteen, 8),
    (PlaceKind::RiderPharmacy, 6),
    (PlaceKind::RiderClinic, 3),
    (PlaceKind::VolunteerHome, 1),
];

/// A point drawn from the benchmark city's shape; the load generator draws its search
/// points from the same shape.
pub fn sample_point(rng: &mut impl Rng) -> Point {
    loop {
        let roll: f64 = rng.random();
        let (lat_m, lng_m) = if roll < 0.60 {
            (
                rng.random_range(-HALF_SIDE_METERS..HALF_SIDE_METERS),
                rng.random_range(-HALF_SIDE_METERS..HALF_SIDE_METERS),
            )
        } else {
            let (centre, sigma) = if roll < 0.85 {
                (CENTER, 2_500.0)
            } else {
                (TOWNS[rng.random_range(0..TOWNS.len())], 1_200.0)
            };
            let (north, east) = gaussian_pair(rng);
            let (dlat, dlng) = offset_meters(CENTER, centre);
            (dlat + north * sigma, dlng + east * sigma)
        };
        if lat_m.abs() <= HALF_SIDE_METERS && lng_m.abs() <= HALF_SIDE_METERS {
            return Point {
                lat: CENTER.lat + lat_m / METERS_PER_DEGREE_LAT,
                lng: CENTER.lng + lng_m / (METERS_PER_DEGREE_LAT * CENTER.lat.to_radians().cos()),
            };
        }
    }
}

fn offset_meters(from: Point, to: Point) -> (f64, f64) {
    (
        (to.lat - from.lat) * METERS_PER_DEGREE_LAT,
        (to.lng - from.lng) * METERS_PER_DEGREE_LAT * from.lat.to_radians().cos(),
    )
}

/// Two independent standard normal numbers (Box–Muller).
fn gaussian_pair(rng: &mut impl Rng) -> (f64, f64) {
    let u1: f64 = rng.random_range(f64::EPSILON..1.0);
    let u2: f64 = rng.random();
    let radius = (-2.0 * u1.ln()).sqrt();
    let angle = std::f64::consts::TAU * u2;
    (radius * angle.cos(), radius * angle.sin())
}

fn sample_kind(rng: &mut impl Rng) -> PlaceKind {
    let total: u32 = KIND_WEIGHTS.iter().map(|(_, weight)| weight).sum();
    let mut roll = rng.random_range(0..total);
    for (kind, weight) in KIND_WEIGHTS {
        if roll < weight {
            return kind;
        }
        roll -= weight;
    }
    PlaceKind::GridStation
}

/// The Chinese name of a kind, as used in generated place names.
fn kind_label(kind: PlaceKind) -> &'static str {
    match kind {
        PlaceKind::PartyServiceCenter => "党群服务中心",
        PlaceKind::GridStation => "网格驿站",
        PlaceKind::UnionStation => "工会驿站",
        PlaceKind::RiderStation => "骑手驿站",
        PlaceKind::CityStation => "城市驿站",
        PlaceKind::SanitationRestRoom => "环卫工人休息室",
        PlaceKind::DriverStation => "司机驿站",
        PlaceKind::FriendlyMerchant => "友好商家",
        PlaceKind::RiderCanteen => "骑手食堂",
        PlaceKind::RiderPharmacy => "骑手药堂",
        PlaceKind::RiderClinic => "骑手医院",
        PlaceKind::VolunteerHome => "志愿者之家",
    }
}

fn synthetic_place(rng: &mut impl Rng, number: u32, now: chrono::DateTime<Utc>) -> place::ActiveModel {
    let kind = sample_kind(rng);
    let point = sample_point(rng);
    let hours = [
        "24/7",
        "Mo-Su 08:00-20:00",
        "Mo-Fr 08:30-17:30",
        "Mo-Su 06:00-22:00",
    ][rng.random_range(0..4)];
    // In declaration order, each once, as the API stores amenities.
    let amenities = [
        Amenity::DrinkingWater,
        Amenity::HotWater,
        Amenity::Wifi,
        Amenity::PhoneCharging,
        Amenity::EbikeCharging,
        Amenity::Seating,
    ]
    .into_iter()
    .filter(|_| rng.random_bool(0.6))
    .collect();
    place::ActiveModel {
        kind: Set(kind),
        name: Set(format!("合成{}{number}号", kind_label(kind))),
        address: Set(format!("合成城区第{}街{}号", number % 500 + 1, number % 97 + 1)),
        description: Set(None),
        latitude: Set(point.lat),
        longitude: Set(point.lng),
        opening_hours: Set(hours.to_owned()),
        time_zone: Set("Asia/Shanghai".to_owned()),
        phone: Set(None),
        amenities: Set(Amenities(amenities)),
        serves_groups: Set(WorkerGroups(vec![
            WorkerGroup::DeliveryRider,
            WorkerGroup::Courier,
        ])),
        owner_subject: Set("synthetic".to_owned()),
        owner_role: Set(super::owner_role_for(kind).to_owned()),
        publication: Set(Publication::Published),
        // Submitted and approved as a place published through review is.
        submitted_at: Set(Some(now)),
        // Published as approved where it stands: moves are measured from here.
        approved_latitude: Set(Some(point.lat)),
        approved_longitude: Set(Some(point.lng)),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

/// Adds `count` synthetic places in one transaction, with a progress bar on stderr.
pub async fn insert(db: &DatabaseConnection, count: u32) -> anyhow::Result<()> {
    let mut rng = StdRng::from_rng(&mut rand::rng());
    let now = Utc::now();
    let bar = ProgressBar::new(u64::from(count)).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} places ({per_sec}, {eta} left)")
            .expect("the template is valid"),
    );
    let rows = (1..=count)
        .map(|number| synthetic_place(&mut rng, number, now))
        .collect();
    let txn = db.begin().await?;
    super::insert_all(&txn, rows, |inserted| bar.inc(inserted as u64)).await?;
    crate::domain::change_log::append_unlogged_places(&txn).await?;
    txn.commit().await?;
    bar.finish();
    Ok(())
}
