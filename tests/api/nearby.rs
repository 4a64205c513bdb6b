use std::collections::HashSet;

use serde_json::{Value, json};

use crate::helpers::{TestApp, code, data, spherical_distance};

/// 河西社区, 新城街道, Feicheng (WGS-84).
const HEXI: (f64, f64) = (36.1842, 116.7618);

const NEARBY: &str = "query Nearby($near: LocationInput!, $within: WithinInput!, $filter: PlaceFilterInput, $first: Int, $after: String) {
  nearby(near: $near, within: $within, filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor distanceMeters travelMinutes node { id name kind amenities location { lat lng } } }
  }
}";
const ALL: &str = "query All($after: String) { places(first: 100, after: $after) {
  pageInfo { endCursor } edges { node { id kind location { lat lng } } } } }";
const LOCATIONS: &str = "query Where($id: ID!) { place(id: $id) {
  wgs: location { lat lng } gcj: location(system: GCJ02) { lat lng } bd: location(system: BD09) { lat lng } } }";

fn hexi(system: &str) -> Value {
    json!({ "lat": HEXI.0, "lng": HEXI.1, "system": system })
}

async fn every_place(app: &TestApp) -> Vec<Value> {
    let first = app.gql(ALL, json!({})).await;
    let after = data(&first)["places"]["pageInfo"]["endCursor"].clone();
    let second = app.gql(ALL, json!({ "after": after })).await;
    [first, second]
        .iter()
        .flat_map(|body| data(body)["places"]["edges"].as_array().unwrap().clone())
        .map(|edge| edge["node"].clone())
        .collect()
}

fn distance_from_hexi(node: &Value) -> f64 {
    spherical_distance(
        HEXI.0,
        HEXI.1,
        node["location"]["lat"].as_f64().unwrap(),
        node["location"]["lng"].as_f64().unwrap(),
    )
}

#[tokio::test]
async fn nearby_around_hexi_returns_the_nearest_places_with_exact_distances() {
    let app = TestApp::spawn().await;
    let everything = every_place(&app).await;
    let mut expected: Vec<(f64, String)> = everything
        .iter()
        .map(|node| (distance_from_hexi(node), node["id"].as_str().unwrap().to_owned()))
        .filter(|(distance, _)| *distance <= 1_000.0)
        .collect();
    expected.sort_by(|a, b| a.partial_cmp(b).unwrap());
    assert!(
        expected.len() > 5,
        "河西社区 has several places within a kilometre"
    );

    let body = app
        .gql(
            NEARBY,
            json!({ "near": hexi("WGS84"), "within": { "meters": 1000 }, "first": 100 }),
        )
        .await;
    let nearby = &data(&body)["nearby"];
    assert_eq!(nearby["totalCount"], expected.len());
    let edges = nearby["edges"].as_array().unwrap();
    assert_eq!(edges.len(), expected.len());
    let mut previous = 0.0;
    for (edge, (distance, id)) in edges.iter().zip(&expected) {
        let reported = edge["distanceMeters"].as_f64().unwrap();
        assert!((reported - distance).abs() < 0.01, "{reported} vs {distance}");
        assert!((reported - distance_from_hexi(&edge["node"])).abs() < 0.01);
        assert!(reported >= previous, "nearest first");
        previous = reported;
        assert_eq!(edge["node"]["id"].as_str().unwrap(), id);
        // Walking minutes: metres × 1.4 detour ÷ 75 m per minute (4.5 km/h).
        let minutes = edge["travelMinutes"].as_f64().unwrap();
        assert!((minutes - reported * 1.4 / 75.0).abs() < 1e-6);
    }
}

#[tokio::test]
async fn travel_time_converts_to_a_radius_per_mode() {
    let app = TestApp::spawn().await;
    let everything = every_place(&app).await;
    for (mode, meters_per_minute) in [("WALK", 75.0), ("EBIKE", 250.0), ("CAR", 500.0)] {
        let radius = 10.0 * meters_per_minute / 1.4;
        let expected = everything
            .iter()
            .filter(|node| distance_from_hexi(node) <= radius)
            .count();
        let within = json!({ "minutes": 10, "mode": mode });
        let body = app
            .gql(
                NEARBY,
                json!({ "near": hexi("WGS84"), "within": within, "first": 100 }),
            )
            .await;
        let nearby = &data(&body)["nearby"];
        assert_eq!(nearby["totalCount"], expected, "{mode}");
        for edge in nearby["edges"].as_array().unwrap() {
            let minutes = edge["travelMinutes"].as_f64().unwrap();
            assert!(minutes <= 10.0 + 1e-9, "{mode}: {minutes}");
            let expected_minutes = edge["distanceMeters"].as_f64().unwrap() * 1.4 / meters_per_minute;
            assert!((minutes - expected_minutes).abs() < 1e-6);
        }
    }
}

#[tokio::test]
async fn nearby_pages_continue_in_distance_order_without_gaps_or_repeats() {
    let app = TestApp::spawn().await;
    let within = json!({ "meters": 2000 });
    let whole = app
        .gql(
            NEARBY,
            json!({ "near": hexi("WGS84"), "within": within, "first": 100 }),
        )
        .await;
    assert_eq!(
        data(&whole)["nearby"]["pageInfo"]["hasNextPage"],
        false,
        "the whole result fits one page"
    );
    let whole_ids: Vec<Value> = data(&whole)["nearby"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].clone())
        .collect();
    assert!(whole_ids.len() > 20);
    let mut paged = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let body = app
            .gql(
                NEARBY,
                json!({ "near": hexi("WGS84"), "within": within, "first": 6, "after": after }),
            )
            .await;
        let nearby = &data(&body)["nearby"];
        paged.extend(
            nearby["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"]["id"].clone()),
        );
        if nearby["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = Some(nearby["pageInfo"]["endCursor"].as_str().unwrap().to_owned());
    }
    assert_eq!(paged, whole_ids);
    assert_eq!(paged.iter().collect::<HashSet<_>>().len(), paged.len());
}

#[tokio::test]
async fn nearby_filters_combine() {
    let app = TestApp::spawn().await;
    let filter = json!({ "kinds": ["GRID_STATION", "PARTY_SERVICE_CENTER"], "amenities": ["HOT_WATER"] });
    let body = app
        .gql(
            NEARBY,
            json!({ "near": hexi("WGS84"), "within": { "meters": 5000 }, "filter": filter, "first": 100 }),
        )
        .await;
    let nearby = &data(&body)["nearby"];
    let edges = nearby["edges"].as_array().unwrap();
    assert!(!edges.is_empty());
    assert_eq!(nearby["totalCount"], edges.len());
    for edge in edges {
        let node = &edge["node"];
        assert!(node["kind"] == "GRID_STATION" || node["kind"] == "PARTY_SERVICE_CENTER");
        assert!(
            node["amenities"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a == "HOT_WATER")
        );
    }
}

#[tokio::test]
async fn gcj02_and_bd09_positions_find_the_same_places_as_wgs84() {
    let app = TestApp::spawn().await;
    let wgs = app
        .gql(
            NEARBY,
            json!({ "near": hexi("WGS84"), "within": { "meters": 800 }, "first": 1 }),
        )
        .await;
    let nearest = data(&wgs)["nearby"]["edges"][0].clone();
    let id = nearest["node"]["id"].clone();
    let body = app.gql(LOCATIONS, json!({ "id": id })).await;
    let place = &data(&body)["place"];
    let (lat, lng) = (
        place["wgs"]["lat"].as_f64().unwrap(),
        place["wgs"]["lng"].as_f64().unwrap(),
    );
    for system in ["gcj", "bd"] {
        let (slat, slng) = (
            place[system]["lat"].as_f64().unwrap(),
            place[system]["lng"].as_f64().unwrap(),
        );
        let offset = spherical_distance(lat, lng, slat, slng);
        let expected = if system == "gcj" {
            300.0..=700.0
        } else {
            700.0..=1_500.0
        };
        assert!(expected.contains(&offset), "{system} offset {offset} m");
    }
    // Searching from the place's own GCJ-02 or BD-09 position finds it at (nearly) zero metres.
    for (system, key) in [("GCJ02", "gcj"), ("BD09", "bd")] {
        let near = json!({ "lat": place[key]["lat"], "lng": place[key]["lng"], "system": system });
        let body = app
            .gql(
                NEARBY,
                json!({ "near": near, "within": { "meters": 100 }, "first": 1 }),
            )
            .await;
        let edge = &data(&body)["nearby"]["edges"][0];
        assert_eq!(edge["node"]["id"], id);
        assert!(edge["distanceMeters"].as_f64().unwrap() < 1.0, "{system}: {edge}");
    }
}

#[tokio::test]
async fn bad_positions_and_radii_are_refused() {
    let app = TestApp::spawn().await;
    for (near, within) in [
        (json!({ "lat": 91, "lng": 116.7 }), json!({ "meters": 500 })),
        (json!({ "lat": 36.1, "lng": 181 }), json!({ "meters": 500 })),
        (hexi("WGS84"), json!({ "meters": 0 })),
        (hexi("WGS84"), json!({ "meters": 50001 })),
        (hexi("WGS84"), json!({ "minutes": 10 })),
        (
            hexi("WGS84"),
            json!({ "meters": 500, "minutes": 10, "mode": "WALK" }),
        ),
        (hexi("WGS84"), json!({ "minutes": 600, "mode": "CAR" })),
        (hexi("WGS84"), json!({})),
    ] {
        let body = app.gql(NEARBY, json!({ "near": near, "within": within })).await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{near} {within}: {body}");
        assert!(body["data"].is_null() || body["data"]["nearby"].is_null());
    }
    let body = app
        .gql(
            NEARBY,
            json!({ "near": { "lat": 36.1, "lng": 116.7, "system": "MARS" }, "within": { "meters": 5 } }),
        )
        .await;
    assert_eq!(code(&body), "BAD_USER_INPUT");
}
