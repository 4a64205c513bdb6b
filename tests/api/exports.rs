//! The city's exports: admins only, streamed, CSV with a byte-order mark, GeoJSON that
//! parses, visits within the asked range.

use entity::place::WorkerGroup;
use serde_json::Value;
use yizhan::auth::Role;

use crate::{
    checkins::{check_in, check_in_code},
    helpers::TestApp,
    items::station,
};

async fn get(app: &TestApp, path: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

fn code_of(body: &str) -> String {
    let body: Value = serde_json::from_str(body).unwrap();
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn exports_are_for_admins_only() {
    let app = TestApp::spawn().await;
    for path in [
        "/exports/places.csv",
        "/exports/places.geojson",
        "/exports/visits.csv?from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z",
    ] {
        let response = get(&app, path, None).await;
        assert_eq!(response.status(), 401, "{path}");
        assert_eq!(code_of(&response.text().await.unwrap()), "UNAUTHENTICATED");
        let operator = app.token(Role::Operator, "community-01");
        let response = get(&app, path, Some(&operator)).await;
        assert_eq!(response.status(), 403, "{path}");
        assert_eq!(code_of(&response.text().await.unwrap()), "FORBIDDEN");
        let response = get(&app, path, Some("not-a-token")).await;
        assert_eq!(response.status(), 401, "{path}");
    }
}

#[tokio::test]
async fn places_csv_has_a_bom_a_header_and_every_place() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin, "city");
    let response = get(&app, "/exports/places.csv", Some(&admin)).await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let bytes = response.bytes().await.unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "a UTF-8 byte-order mark for Excel");
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    let lines: Vec<&str> = text.split("\r\n").filter(|line| !line.is_empty()).collect();
    assert!(lines[0].starts_with("id,kind,name,address,lat,lng"));
    assert_eq!(lines.len(), 1 + 180, "a header and the demo network's 180 places");
    assert!(text.contains("市委四宿舍网格驿站"));
    assert!(
        lines[1..]
            .iter()
            .all(|line| line.contains("PUBLISHED") || line.contains("DRAFT") || line.contains("PENDING"))
    );
}

#[tokio::test]
async fn places_geojson_is_a_feature_collection_of_every_place() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin, "city");
    let response = get(&app, "/exports/places.geojson", Some(&admin)).await;
    assert_eq!(response.status(), 200);
    let body: Value = serde_json::from_str(&response.text().await.unwrap()).expect("valid JSON");
    assert_eq!(body["type"], "FeatureCollection");
    let features = body["features"].as_array().unwrap();
    assert_eq!(features.len(), 180);
    let first = &features[0];
    assert_eq!(first["geometry"]["type"], "Point");
    let [lng, lat] = [
        first["geometry"]["coordinates"][0].as_f64().unwrap(),
        first["geometry"]["coordinates"][1].as_f64().unwrap(),
    ];
    assert!(
        (116.0..118.0).contains(&lng) && (35.0..37.0).contains(&lat),
        "longitude first: {lng}, {lat}"
    );
    assert!(first["properties"]["name"].is_string());
}

#[tokio::test]
async fn visits_csv_lists_the_ranges_visits_without_accounts() {
    let app = TestApp::spawn().await;
    let place = station(&app).await;
    let code = check_in_code(&app, &place).await;
    for subject in ["secret-rider-1", "secret-rider-2"] {
        check_in(&app, &app.worker_token(subject, WorkerGroup::Courier), &code).await;
    }
    let admin = app.token(Role::Admin, "city");
    let now = chrono::Utc::now();
    let path = format!(
        "/exports/visits.csv?from={}&to={}",
        (now - chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M:%SZ"),
        (now + chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M:%SZ")
    );
    let response = get(&app, &path, Some(&admin)).await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(text.starts_with('\u{FEFF}'));
    let lines: Vec<&str> = text
        .trim_start_matches('\u{FEFF}')
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[1].contains("COURIER") && lines[1].contains(place.as_str().unwrap()));
    assert!(!text.contains("secret-rider"), "no accounts in exports");

    let earlier = "/exports/visits.csv?from=2025-01-01T00:00:00Z&to=2025-02-01T00:00:00Z";
    let text = get(&app, earlier, Some(&admin)).await.text().await.unwrap();
    assert_eq!(
        text.trim_start_matches('\u{FEFF}')
            .split("\r\n")
            .filter(|l| !l.is_empty())
            .count(),
        1,
        "the header only"
    );
    for bad in [
        "/exports/visits.csv",
        "/exports/visits.csv?from=yesterday&to=2026-01-01T00:00:00Z",
        "/exports/visits.csv?from=2027-01-01T00:00:00Z&to=2026-01-01T00:00:00Z",
    ] {
        let response = get(&app, bad, Some(&admin)).await;
        assert_eq!(response.status(), 400, "{bad}");
        assert_eq!(code_of(&response.text().await.unwrap()), "BAD_USER_INPUT");
    }
}
