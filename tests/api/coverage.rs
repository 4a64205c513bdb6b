//! Where the network has gaps: riders' looks for help counted anonymously per cell and
//! day, the cells without a place of the asked kinds within reach, and the covered share.

use chrono::{Duration, Utc};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use yizhan::auth::Role;

use crate::helpers::{TestApp, code, data};

/// 河西社区, among the demo network's grid stations.
const HEXI: (f64, f64) = (36.1842, 116.7618);
/// Open country north-west of Feicheng, far from every demo place.
const FAR: (f64, f64) = (36.3021, 116.5833);

const NEARBY: &str = "query N($lat: Float!, $lng: Float!) {
    nearby(near: { lat: $lat, lng: $lng }, within: { meters: 1000 }, first: 5) { edges { node { id } } } }";
const SEARCH: &str = "query S($lat: Float!, $lng: Float!) {
    search(text: \"驿站\", near: { lat: $lat, lng: $lng }, first: 5) { edges { node { id } } } }";
const GAPS: &str = "query G($from: DateTime!, $to: DateTime!, $kinds: [PlaceKind!]) {
    coverageGaps(kinds: $kinds, within: { minutes: 10, mode: WALK }, from: $from, to: $to, first: 5) {
        centre { lat lng } demand nearestMeters } }";
const COVERAGE: &str = "query C($from: DateTime!, $to: DateTime!) {
    coverage(kinds: [GRID_STATION], within: { minutes: 10, mode: WALK }, from: $from, to: $to) {
        demand covered share } }";

/// A range around today that no midnight can split.
fn around_today() -> Value {
    let now = Utc::now();
    json!({ "from": now - Duration::days(2), "to": now + Duration::days(2), "kinds": ["GRID_STATION"] })
}

async fn look(app: &TestApp, query: &str, (lat, lng): (f64, f64), times: usize) {
    let rider = app.token(Role::Worker, "rider-1");
    for _ in 0..times {
        let body = app.gql_as(&rider, query, json!({ "lat": lat, "lng": lng })).await;
        assert!(body.get("errors").is_none(), "{body}");
    }
}

#[tokio::test]
async fn the_busiest_cell_without_a_grid_station_in_walking_reach_comes_first() {
    let app = TestApp::spawn().await;
    look(&app, NEARBY, FAR, 5).await;
    look(&app, SEARCH, FAR, 2).await;
    look(&app, NEARBY, HEXI, 3).await;
    let admin = app.token(Role::Admin, "city-admin");
    let body = app.gql_as(&admin, GAPS, around_today()).await;
    let gaps = data(&body)["coverageGaps"].as_array().unwrap().clone();
    assert_eq!(gaps.len(), 1, "河西社区 has grid stations within a walk: {body}");
    let gap = &gaps[0];
    assert_eq!(gap["demand"], 7);
    let centre = (
        gap["centre"]["lat"].as_f64().unwrap(),
        gap["centre"]["lng"].as_f64().unwrap(),
    );
    assert!(
        (centre.0 - FAR.0).abs() < 0.005 && (centre.1 - FAR.1).abs() < 0.006,
        "{gap}"
    );
    // The nearest grid station is in Feicheng, kilometres away: beyond a 10-minute walk.
    assert!(gap["nearestMeters"].as_f64().unwrap() > 5_000.0, "{gap}");

    let body = app.gql_as(&admin, COVERAGE, around_today()).await;
    let coverage = &data(&body)["coverage"];
    assert_eq!(
        (coverage["demand"].as_i64(), coverage["covered"].as_i64()),
        (Some(10), Some(3))
    );
    assert!(
        (coverage["share"].as_f64().unwrap() - 0.3).abs() < 1e-9,
        "{coverage}"
    );
    // Any kind: Feicheng's places are all far from FAR too, so the gap stays.
    let mut any = around_today();
    any["kinds"] = Value::Null;
    let body = app.gql_as(&admin, GAPS, any).await;
    assert_eq!(data(&body)["coverageGaps"][0]["demand"], 7, "{body}");
}

#[tokio::test]
async fn demand_is_stored_per_cell_and_day_with_no_account_nor_point_and_adds_up() {
    let app = TestApp::spawn().await;
    look(&app, NEARBY, FAR, 2).await;
    let admin = app.token(Role::Admin, "city-admin");
    // Reading flushes this instance's counts; a second batch adds to the stored row.
    app.gql_as(&admin, COVERAGE, around_today()).await;
    look(&app, NEARBY, FAR, 3).await;
    let body = app.gql_as(&admin, COVERAGE, around_today()).await;
    assert_eq!(data(&body)["coverage"]["demand"], 5, "{body}");
    let rows = app
        .db
        .query_all_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT * FROM demand_cells",
        ))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let columns = rows[0].column_names();
    assert_eq!(columns.len(), 4, "only day, cell and count: {columns:?}");
    assert_eq!(rows[0].try_get::<i64>("", "count").unwrap(), 5);
}

#[tokio::test]
async fn only_admins_read_gaps_and_ranges_are_checked() {
    let app = TestApp::spawn().await;
    for role in [Role::Worker, Role::Merchant, Role::Operator] {
        let body = app
            .gql_as(&app.token(role, "someone"), GAPS, around_today())
            .await;
        assert_eq!(code(&body), "FORBIDDEN", "{body}");
    }
    let (_, _, anonymous) = app.send(None, COVERAGE, around_today()).await;
    assert_eq!(code(&anonymous), "UNAUTHENTICATED", "{anonymous}");
    let admin = app.token(Role::Admin, "city-admin");
    let now = Utc::now();
    let backwards = json!({ "from": now, "to": now - Duration::days(1) });
    assert_eq!(code(&app.gql_as(&admin, GAPS, backwards).await), "BAD_USER_INPUT");
    let far_off = json!({ "from": "1900-01-01T00:00:00Z", "to": now });
    assert_eq!(
        code(&app.gql_as(&admin, COVERAGE, far_off).await),
        "BAD_USER_INPUT"
    );
    let mut too_many = around_today();
    too_many["kinds"] = Value::Null;
    let query = GAPS.replace("first: 5", "first: 500");
    assert_eq!(
        code(&app.gql_as(&admin, &query, too_many).await),
        "BAD_USER_INPUT"
    );
}

#[tokio::test]
async fn gaps_export_as_geojson_for_admins() {
    let app = TestApp::spawn().await;
    look(&app, NEARBY, FAR, 4).await;
    let client = reqwest::Client::new();
    let now = Utc::now();
    let url = format!(
        "{}/exports/gaps.geojson?from={}&to={}&kinds=GRID_STATION&minutes=10&mode=WALK",
        app.address,
        (now - Duration::days(2)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        (now + Duration::days(2)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    );
    let refused = client
        .get(&url)
        .bearer_auth(app.token(Role::Operator, "community-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let answer = client
        .get(&url)
        .bearer_auth(app.token(Role::Admin, "city-admin"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["content-type"], "application/geo+json");
    let document: Value = answer.json().await.unwrap();
    assert_eq!(document["type"], "FeatureCollection");
    let feature = &document["features"][0];
    assert_eq!(feature["properties"]["demand"], 4, "{document}");
    let lng = feature["geometry"]["coordinates"][0].as_f64().unwrap();
    assert!(
        (lng - FAR.1).abs() < 0.006,
        "GeoJSON puts longitude first: {feature}"
    );
    let bad = client
        .get(format!("{url}&mode=HORSE"))
        .bearer_auth(app.token(Role::Admin, "city-admin"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn gaps_and_coverage_asked_together_count_the_same_demand() {
    let app = TestApp::spawn().await;
    look(&app, NEARBY, FAR, 3).await;
    let both = "query B($from: DateTime!, $to: DateTime!, $kinds: [PlaceKind!]) {
        coverageGaps(kinds: $kinds, within: { minutes: 10, mode: WALK }, from: $from, to: $to) { demand }
        coverage(kinds: $kinds, within: { minutes: 10, mode: WALK }, from: $from, to: $to) { demand } }";
    let body = app
        .gql_as(&app.token(Role::Admin, "city-admin"), both, around_today())
        .await;
    assert_eq!(data(&body)["coverageGaps"][0]["demand"], 3, "{body}");
    assert_eq!(data(&body)["coverage"]["demand"], 3, "{body}");
}
