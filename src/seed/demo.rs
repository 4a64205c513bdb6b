//! The Feicheng (肥城) demo network, with the counts of the news report in
//! `shared/seed/feicheng-article.txt`: 30 party service centres, 71 grid stations, 6 union
//! stations, 3 rider stations, 21 city stations and sanitation rest rooms, the 众成饲料
//! driver station, 47 partner merchants and the 龙山社区 volunteer home.
//!
//! Real names where the article gives them; elsewhere plausible names and addresses in
//! Feicheng's subdistricts. Generation is deterministic, so ids and places are the same on
//! every fresh database.
//!
//! Demo owners (mint a token with `yizhan token --role … --sub …` to edit their places):
//! `community-01` … `community-30` (operators; community-01 is 河西社区),
//! `union-feicheng` (operator: union and rider stations), `city-management` (operator: city
//! stations and sanitation rest rooms), `enterprise-zhongcheng` (operator: the driver
//! station), `volunteer-federation` (operator: the volunteer home), and `merchant-01` …
//! `merchant-47` (merchants, one listing each).

use chrono::{DateTime, Duration, Utc};
use entity::{
    offer,
    place::{self, Amenities, Amenity, PlaceKind, Publication, WorkerGroup, WorkerGroups},
};
use rand::{Rng, SeedableRng, rngs::StdRng, seq::IndexedRandom};
use sea_orm::ActiveValue::Set;

use crate::domain::geo::Point;

/// 河西社区, 新城街道: around the 市委四宿舍 grid station of the article.
pub const HEXI_COMMUNITY: Point = Point {
    lat: 36.1842,
    lng: 116.7618,
};

const ALL_GROUPS: [WorkerGroup; 7] = [
    WorkerGroup::DeliveryRider,
    WorkerGroup::Courier,
    WorkerGroup::TruckDriver,
    WorkerGroup::RideHailingDriver,
    WorkerGroup::SanitationWorker,
    WorkerGroup::LandscapingWorker,
    WorkerGroup::OtherOutdoorWorker,
];

/// Subdistrict, its communities, and the point they spread around.
const SUBDISTRICTS: [(&str, Point, &[&str]); 4] = [
    (
        "新城街道",
        Point {
            lat: 36.1860,
            lng: 116.7700,
        },
        &[
            "河西社区",
            "龙山社区",
            "东坞社区",
            "西坞社区",
            "南关社区",
            "北关社区",
            "凤山社区",
            "泰西社区",
            "长山社区",
            "向阳社区",
        ],
    ),
    (
        "老城街道",
        Point {
            lat: 36.1700,
            lng: 116.7450,
        },
        &[
            "老城社区",
            "文庙社区",
            "白云山社区",
            "肥桃社区",
            "栖幽社区",
            "康王河社区",
            "平安社区",
            "金鼎社区",
        ],
    ),
    (
        "王瓜店街道",
        Point {
            lat: 36.2150,
            lng: 116.7350,
        },
        &[
            "王瓜店社区",
            "小王庄社区",
            "北坦社区",
            "南栾社区",
            "罗窑社区",
            "刘庄社区",
        ],
    ),
    (
        "仪阳街道",
        Point {
            lat: 36.1420,
            lng: 116.8100,
        },
        &[
            "仪阳社区",
            "岈山社区",
            "孙庄社区",
            "鱼池社区",
            "东里社区",
            "红庙社区",
        ],
    ),
];

const ROADS: [&str; 16] = [
    "龙山路",
    "新城路",
    "泰西大街",
    "长山街",
    "向阳街",
    "文化路",
    "凤山大街",
    "仪阳路",
    "金牛山大街",
    "康汇大街",
    "三和路",
    "春秋路",
    "站北路",
    "白云山路",
    "桃都大街",
    "建设路",
];

const COMPOUNDS: [&str; 24] = [
    "教育局宿舍",
    "供电小区",
    "新城花园",
    "桃都花园",
    "龙山佳苑",
    "凤山名苑",
    "泰西小区",
    "康汇小区",
    "仪阳新村",
    "金龙湾",
    "春秋苑",
    "书香苑",
    "阳光家园",
    "锦绣城",
    "御景园",
    "翰林苑",
    "盛世嘉园",
    "东方花园",
    "幸福里",
    "长山小区",
    "文化苑",
    "工商小区",
    "粮食局宿舍",
    "银河小区",
];

/// The Chinese name of a kind, as used in generated place names.
pub fn kind_label(kind: PlaceKind) -> &'static str {
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

struct Builder {
    rng: StdRng,
    now: DateTime<Utc>,
    rows: Vec<place::ActiveModel>,
}

struct Spec<'a> {
    kind: PlaceKind,
    name: String,
    address: String,
    location: Point,
    hours: &'a str,
    amenities: Vec<Amenity>,
    groups: Vec<WorkerGroup>,
    owner: String,
    description: Option<&'a str>,
}

impl Builder {
    /// A point within `meters` of `centre`.
    fn near(&mut self, centre: Point, meters: f64) -> Point {
        let north = self.rng.random_range(-meters..meters);
        let east = self.rng.random_range(-meters..meters);
        Point {
            lat: centre.lat + north / 111_195.0,
            lng: centre.lng + east / (111_195.0 * centre.lat.to_radians().cos()),
        }
    }

    fn phone(&mut self) -> String {
        format!("0538-3{:06}", self.rng.random_range(200_000..999_999))
    }

    /// `base` plus a random few of `extras`.
    fn amenities(&mut self, base: &[Amenity], extras: &[Amenity]) -> Vec<Amenity> {
        let mut chosen = base.to_vec();
        chosen.extend(extras.iter().filter(|_| self.rng.random_bool(0.5)));
        chosen.sort();
        chosen.dedup();
        chosen
    }

    fn road(&mut self) -> &'static str {
        ROADS.choose(&mut self.rng).expect("roads are listed")
    }

    fn add(&mut self, spec: Spec<'_>) {
        let phone = self.phone();
        self.rows.push(place::ActiveModel {
            kind: Set(spec.kind),
            name: Set(spec.name),
            address: Set(spec.address),
            description: Set(spec.description.map(str::to_owned)),
            latitude: Set(spec.location.lat),
            longitude: Set(spec.location.lng),
            opening_hours: Set(spec.hours.to_owned()),
            time_zone: Set("Asia/Shanghai".to_owned()),
            phone: Set(Some(phone)),
            amenities: Set(Amenities(spec.amenities)),
            serves_groups: Set(WorkerGroups(spec.groups)),
            owner_subject: Set(spec.owner),
            owner_role: Set(owner_role_for(spec.kind).to_owned()),
            follows_work_calendar: Set(matches!(
                spec.kind,
                PlaceKind::PartyServiceCenter | PlaceKind::UnionStation
            )),
            publication: Set(Publication::Published),
            version: Set(1),
            created_at: Set(self.now),
            updated_at: Set(self.now),
            ..Default::default()
        });
    }
}

const STATION_BASE: [Amenity; 4] = [
    Amenity::DrinkingWater,
    Amenity::HotWater,
    Amenity::Seating,
    Amenity::FirstAidKit,
];
const STATION_EXTRAS: [Amenity; 11] = [
    Amenity::Microwave,
    Amenity::AirConditioning,
    Amenity::Heating,
    Amenity::Wifi,
    Amenity::PhoneCharging,
    Amenity::EbikeCharging,
    Amenity::Toilet,
    Amenity::Umbrellas,
    Amenity::ReadingGlasses,
    Amenity::RepairTools,
    Amenity::NewspapersAndBooks,
];
const MERCHANT_BASE: [Amenity; 2] = [Amenity::DrinkingWater, Amenity::PhoneCharging];
const MERCHANT_EXTRAS: [Amenity; 6] = [
    Amenity::HotWater,
    Amenity::Microwave,
    Amenity::Wifi,
    Amenity::AirConditioning,
    Amenity::Seating,
    Amenity::EbikeCharging,
];

/// Every place of the demo network, in a fixed order.
pub fn network(now: DateTime<Utc>) -> Vec<place::ActiveModel> {
    let mut b = Builder {
        rng: StdRng::seed_from_u64(0x0538_2026),
        now,
        rows: Vec::new(),
    };
    community_places(&mut b);
    union_and_rider_stations(&mut b);
    city_stations(&mut b);
    driver_station_and_volunteer_home(&mut b);
    merchants(&mut b);
    b.rows
}

/// 30 party service centres, one per community, and 71 grid stations, 7 of them in 河西社区.
fn community_places(b: &mut Builder) {
    let communities: Vec<(usize, &str, &str, Point)> = SUBDISTRICTS
        .iter()
        .flat_map(|(subdistrict, centre, names)| names.iter().map(move |name| (*subdistrict, *name, *centre)))
        .enumerate()
        .map(|(index, (subdistrict, name, centre))| (index + 1, subdistrict, name, centre))
        .collect();
    let mut centres = Vec::new();
    for &(number, subdistrict, community, area) in &communities {
        let centre = if number == 1 {
            HEXI_COMMUNITY
        } else {
            b.near(area, 2_200.0)
        };
        centres.push(centre);
        let road = b.road();
        let amenities = b.amenities(
            &[
                Amenity::DrinkingWater,
                Amenity::HotWater,
                Amenity::Seating,
                Amenity::Toilet,
                Amenity::Wifi,
                Amenity::AirConditioning,
            ],
            &STATION_EXTRAS,
        );
        b.add(Spec {
            kind: PlaceKind::PartyServiceCenter,
            name: format!("{community}党群服务中心"),
            address: format!("肥城市{subdistrict}{community}{road}{}号", 10 + number * 3),
            location: centre,
            hours: "Mo-Fr 08:30-17:30; Sa,Su 09:00-12:00; PH off",
            amenities,
            groups: ALL_GROUPS.to_vec(),
            owner: format!("community-{number:02}"),
            description: None,
        });
    }
    // 河西社区 built 7 grid stations, the article's 市委四宿舍 one first; the other 64
    // spread over the remaining communities.
    let hexi = &communities[0];
    b.add(Spec {
        kind: PlaceKind::GridStation,
        name: "市委四宿舍网格驿站".to_owned(),
        address: format!("肥城市{}{}市委四宿舍小区内", hexi.1, hexi.2),
        location: Point {
            lat: HEXI_COMMUNITY.lat + 0.0021,
            lng: HEXI_COMMUNITY.lng - 0.0017,
        },
        hours: "Mo-Su 08:00-20:00",
        amenities: vec![
            Amenity::DrinkingWater,
            Amenity::Seating,
            Amenity::FirstAidKit,
            Amenity::ReadingGlasses,
            Amenity::Umbrellas,
            Amenity::RepairTools,
        ],
        groups: ALL_GROUPS.to_vec(),
        owner: "community-01".to_owned(),
        description: Some(
            "位于小区人流量集中区域，设休息等候、便民工具存放等功能区，可借用工具、雨伞、老花镜。",
        ),
    });
    for station in 1..71 {
        let compound = station - 1;
        let community = if station < 7 { 0 } else { 1 + (station - 7) % 29 };
        let (number, subdistrict, name, _) = communities[community];
        let location = b.near(centres[community], 900.0);
        let compound_name = format!(
            "{}{}",
            COMPOUNDS[compound % COMPOUNDS.len()],
            ["", "二期", "三期"][compound / COMPOUNDS.len()]
        );
        let amenities = b.amenities(&STATION_BASE, &STATION_EXTRAS);
        let road = b.road();
        b.add(Spec {
            kind: PlaceKind::GridStation,
            name: format!("{compound_name}网格驿站"),
            address: format!("肥城市{subdistrict}{name}{road}{compound_name}"),
            location,
            hours: "Mo-Su 08:00-20:00",
            amenities,
            groups: ALL_GROUPS.to_vec(),
            owner: format!("community-{number:02}"),
            description: None,
        });
    }
}

fn union_and_rider_stations(b: &mut Builder) {
    for (name, area) in [
        (
            "新城工会驿站",
            Point {
                lat: 36.1880,
                lng: 116.7750,
            },
        ),
        (
            "老城工会驿站",
            Point {
                lat: 36.1690,
                lng: 116.7430,
            },
        ),
        (
            "王瓜店工会驿站",
            Point {
                lat: 36.2140,
                lng: 116.7330,
            },
        ),
        (
            "仪阳工会驿站",
            Point {
                lat: 36.1430,
                lng: 116.8080,
            },
        ),
        (
            "石横工会驿站",
            Point {
                lat: 36.1050,
                lng: 116.5850,
            },
        ),
        (
            "高新区工会驿站",
            Point {
                lat: 36.1980,
                lng: 116.7950,
            },
        ),
    ] {
        let location = b.near(area, 400.0);
        let amenities = b.amenities(
            &[
                Amenity::DrinkingWater,
                Amenity::HotWater,
                Amenity::Microwave,
                Amenity::PhoneCharging,
                Amenity::Seating,
            ],
            &STATION_EXTRAS,
        );
        let road = b.road();
        let address = format!("肥城市{road}{}号", b.rng.random_range(1..300));
        b.add(Spec {
            kind: PlaceKind::UnionStation,
            name: format!("肥城市总工会{name}"),
            address,
            location,
            hours: "Mo-Su 07:00-21:00",
            amenities,
            groups: ALL_GROUPS.to_vec(),
            owner: "union-feicheng".to_owned(),
            description: None,
        });
    }
    for (road, area) in [
        (
            "龙山路",
            Point {
                lat: 36.1900,
                lng: 116.7720,
            },
        ),
        (
            "泰西大街",
            Point {
                lat: 36.1800,
                lng: 116.7600,
            },
        ),
        (
            "康汇大街",
            Point {
                lat: 36.1760,
                lng: 116.7900,
            },
        ),
    ] {
        let location = b.near(area, 300.0);
        let address = format!("肥城市{road}{}号", b.rng.random_range(1..300));
        b.add(Spec {
            kind: PlaceKind::RiderStation,
            name: format!("{road}骑手驿站"),
            address,
            location,
            hours: "24/7",
            amenities: vec![
                Amenity::DrinkingWater,
                Amenity::HotWater,
                Amenity::Microwave,
                Amenity::PhoneCharging,
                Amenity::EbikeCharging,
                Amenity::BatterySwap,
                Amenity::Seating,
                Amenity::Toilet,
                Amenity::FirstAidKit,
            ],
            groups: vec![WorkerGroup::DeliveryRider, WorkerGroup::Courier],
            owner: "union-feicheng".to_owned(),
            description: None,
        });
    }
}

/// 21 city stations (巡管服务驿站) and sanitation rest rooms along the main roads.
fn city_stations(b: &mut Builder) {
    for index in 0..21 {
        let kind = if index < 9 {
            PlaceKind::CityStation
        } else {
            PlaceKind::SanitationRestRoom
        };
        let road = ROADS[index % ROADS.len()];
        let location = b.near(
            Point {
                lat: 36.1800,
                lng: 116.7700,
            },
            3_500.0,
        );
        let (name, hours, groups) = match kind {
            PlaceKind::CityStation => (
                format!("{road}城市驿站"),
                "Mo-Su 06:00-22:00",
                ALL_GROUPS.to_vec(),
            ),
            _ => (
                format!("{road}{}环卫工人休息室", ["", "东段", "西段"][index % 3]),
                "Mo-Su 04:30-20:00",
                vec![
                    WorkerGroup::SanitationWorker,
                    WorkerGroup::LandscapingWorker,
                    WorkerGroup::OtherOutdoorWorker,
                ],
            ),
        };
        let amenities = b.amenities(
            &[
                Amenity::DrinkingWater,
                Amenity::HotWater,
                Amenity::Microwave,
                Amenity::Seating,
            ],
            &STATION_EXTRAS,
        );
        b.add(Spec {
            kind,
            name,
            address: format!("肥城市{road}{}号旁", 20 + index * 7),
            location,
            hours,
            amenities,
            groups,
            owner: "city-management".to_owned(),
            description: None,
        });
    }
}

fn driver_station_and_volunteer_home(b: &mut Builder) {
    b.add(Spec {
        kind: PlaceKind::DriverStation,
        name: "山东众成饲料科技有限公司司机驿站".to_owned(),
        address: "肥城市王瓜店街道众成饲料厂区内".to_owned(),
        location: Point {
            lat: 36.2066,
            lng: 116.7198,
        },
        hours: "Mo-Su 06:00-22:00",
        amenities: vec![
            Amenity::AirConditioning,
            Amenity::Wifi,
            Amenity::Microwave,
            Amenity::Seating,
            Amenity::MassageChair,
            Amenity::NewspapersAndBooks,
            Amenity::FirstAidKit,
            Amenity::HotWater,
            Amenity::TruckParking,
        ],
        groups: vec![
            WorkerGroup::TruckDriver,
            WorkerGroup::Courier,
            WorkerGroup::DeliveryRider,
        ],
        owner: "enterprise-zhongcheng".to_owned(),
        description: Some(
            "空调、WIFI、微波炉、沙发、躺椅、按摩椅一应俱全，报纸书刊、应急药箱供大货车司机免费使用。",
        ),
    });
    b.add(Spec {
        kind: PlaceKind::VolunteerHome,
        name: "龙山社区志愿者之家".to_owned(),
        address: "肥城市新城街道龙山社区党群服务中心二楼".to_owned(),
        location: Point {
            lat: 36.1921,
            lng: 116.7786,
        },
        hours: "Mo-Fr 09:00-17:00; Sa 09:00-12:00",
        amenities: vec![
            Amenity::DrinkingWater,
            Amenity::HotWater,
            Amenity::Seating,
            Amenity::Wifi,
            Amenity::AirConditioning,
            Amenity::Toilet,
        ],
        groups: ALL_GROUPS.to_vec(),
        owner: "volunteer-federation".to_owned(),
        description: Some("依托志愿服务项目孵化基地，为全市志愿者提供服务交流平台。"),
    });
}

/// 47 signed partner places: 30 friendly merchants, 8 canteens, 6 pharmacies, 3 clinics.
fn merchants(b: &mut Builder) {
    const SHOPS: [&str; 10] = [
        "惠民便利店",
        "佳和超市",
        "鲜果坊",
        "老街面馆",
        "修车铺",
        "手机维修店",
        "包子铺",
        "茶饮店",
        "烧饼店",
        "五金店",
    ];
    const SURNAMES: [&str; 10] = ["王", "李", "张", "刘", "陈", "赵", "孙", "周", "吴", "郑"];
    let mut number = 0;
    for (kind, count) in [
        (PlaceKind::FriendlyMerchant, 30),
        (PlaceKind::RiderCanteen, 8),
        (PlaceKind::RiderPharmacy, 6),
        (PlaceKind::RiderClinic, 3),
    ] {
        for index in 0..count {
            number += 1;
            let road = b.road();
            let location = b.near(
                Point {
                    lat: 36.1820,
                    lng: 116.7700,
                },
                3_000.0,
            );
            let (name, hours) = match kind {
                PlaceKind::FriendlyMerchant => (
                    format!(
                        "{}记{}({road}店)",
                        SURNAMES[index % 10],
                        SHOPS[index % SHOPS.len()]
                    ),
                    "Mo-Su 08:00-22:00",
                ),
                PlaceKind::RiderCanteen => (format!("骑手食堂·{road}店"), "Mo-Su 10:00-14:00,16:30-21:00"),
                PlaceKind::RiderPharmacy => (format!("仁和大药房骑手药堂({road}店)"), "Mo-Su 08:00-22:00"),
                _ if index == 0 => ("肥城市人民医院骑手医院(急诊)".to_owned(), "24/7"),
                _ => (format!("{road}社区卫生服务站骑手医院"), "Mo-Su 08:00-18:00"),
            };
            let mut amenities = b.amenities(&MERCHANT_BASE, &MERCHANT_EXTRAS);
            if matches!(kind, PlaceKind::RiderPharmacy | PlaceKind::RiderClinic) {
                amenities.push(Amenity::FirstAidKit);
                amenities.sort();
            }
            let mut groups = vec![WorkerGroup::DeliveryRider, WorkerGroup::Courier];
            groups.extend(ALL_GROUPS[2..].iter().filter(|_| b.rng.random_bool(0.4)));
            b.add(Spec {
                kind,
                name,
                address: format!("肥城市{road}{}号", 100 + number * 5),
                location,
                hours,
                amenities,
                groups,
                owner: format!("merchant-{number:02}"),
                description: None,
            });
        }
    }
}

/// Perks of the demo merchants, valid from yesterday for a year: canteens and clinics for
/// riders and couriers, pharmacies and every third shop for every worker.
pub fn offers(places: &[place::Model], now: DateTime<Utc>) -> Vec<offer::ActiveModel> {
    let riders = vec![WorkerGroup::DeliveryRider, WorkerGroup::Courier];
    places
        .iter()
        .enumerate()
        .filter_map(|(index, place)| {
            let (title, description, groups) = match place.kind {
                PlaceKind::RiderCanteen => (
                    "骑手套餐立减5元",
                    "出示骑手或快递员工作证，午晚餐套餐立减5元。",
                    riders.clone(),
                ),
                PlaceKind::RiderPharmacy => (
                    "骑手购药九折",
                    "新就业群体凭工作证购药九折，可免费测血压。",
                    Vec::new(),
                ),
                PlaceKind::RiderClinic => ("骑手挂号费全免", "外卖员、快递员就诊免挂号费。", riders.clone()),
                PlaceKind::FriendlyMerchant if index % 3 == 0 => (
                    "免费热水和充电",
                    "户外劳动者可免费接热水、给手机充电。",
                    Vec::new(),
                ),
                _ => return None,
            };
            Some(offer::ActiveModel {
                place_id: Set(place.id),
                title: Set(title.to_owned()),
                description: Set(description.to_owned()),
                groups: Set(WorkerGroups(groups)),
                valid_from: Set(now - Duration::days(1)),
                valid_until: Set(now + Duration::days(365)),
                version: Set(1),
                created_at: Set(now),
                updated_at: Set(now),
                deleted_at: Set(None),
                ..Default::default()
            })
        })
        .collect()
}

/// Merchants hold the merchant kinds, operators the stations.
pub fn owner_role_for(kind: PlaceKind) -> &'static str {
    if kind.is_merchant_kind() {
        "merchant"
    } else {
        "operator"
    }
}

#[cfg(test)]
mod snapshot_tmp {
    #[test]
    fn dump() {
        let now = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let rows = super::network(now);
        std::fs::write(std::env::var("DUMP").unwrap(), format!("{rows:#?}")).unwrap();
    }
}
