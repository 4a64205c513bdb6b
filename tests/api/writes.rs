use serde_json::{Value, json};
use yizhan::auth::Role;

use crate::helpers::{TestApp, code, data};

pub const CREATE: &str = "mutation Create($input: CreatePlaceInput!) { createPlace(input: $input) { place { id name kind publication version ownerSubject openingHours phone location { lat lng } } } }";
pub const UPDATE: &str = "mutation Update($input: UpdatePlaceInput!) { updatePlace(input: $input) { place { id name version phone openingHours description location { lat lng } } } }";
const PLACE: &str =
    "query Place($id: ID!) { place(id: $id) { id name version publication phone openingHours } }";
const PLACE_LOCATION: &str = "query Where($id: ID!) { place(id: $id) { location { lat lng } } }";
const MY_PLACES: &str = "{ me { places(first: 100) { totalCount edges { node { id name publication } } } } }";
const NEARBY_NAMES: &str = "query Near($lat: Float!, $lng: Float!) { nearby(near: { lat: $lat, lng: $lng }, within: { meters: 50 }) { edges { node { id name } } } }";

pub fn canteen() -> Value {
    json!({
        "kind": "RIDER_CANTEEN",
        "name": "老王骑手食堂",
        "address": "肥城市新城街道龙山路88号",
        "location": { "lat": 36.1901, "lng": 116.7712 },
        "openingHours": "Mo-Su 10:00-14:00,16:30-21:00",
        "phone": "0538-3221234",
        "amenities": ["HOT_WATER", "MICROWAVE", "PHONE_CHARGING"],
        "servesGroups": ["DELIVERY_RIDER", "COURIER"],
    })
}

/// The id and version of the merchant-01 listing in the demo network.
pub async fn merchant_01_place(app: &TestApp) -> (Value, i64) {
    let token = app.token(Role::Merchant, "merchant-01");
    let body = app
        .gql_as(
            &token,
            "{ me { places(first: 1) { edges { node { id version } } } } }",
            json!({}),
        )
        .await;
    let node = &data(&body)["me"]["places"]["edges"][0]["node"];
    (node["id"].clone(), node["version"].as_i64().unwrap())
}

#[tokio::test]
async fn a_new_place_is_a_draft_only_its_owner_and_admins_see() {
    let app = TestApp::spawn().await;
    let merchant = app.token(Role::Merchant, "merchant-new");
    let body = app.gql_as(&merchant, CREATE, json!({ "input": canteen() })).await;
    let place = &data(&body)["createPlace"]["place"];
    assert_eq!(place["publication"], "DRAFT");
    assert_eq!(place["version"], 1);
    assert_eq!(place["ownerSubject"], "merchant-new");
    assert_eq!(place["phone"], "0538-3221234");
    let id = place["id"].clone();

    assert_eq!(
        data(&app.gql(PLACE, json!({ "id": id })).await)["place"],
        Value::Null
    );
    let other = app.token(Role::Merchant, "merchant-02");
    assert_eq!(
        data(&app.gql_as(&other, PLACE, json!({ "id": id })).await)["place"],
        Value::Null
    );
    assert_eq!(
        data(&app.gql_as(&merchant, PLACE, json!({ "id": id })).await)["place"]["name"],
        "老王骑手食堂"
    );
    let admin = app.token(Role::Admin, "city-admin");
    assert_eq!(
        data(&app.gql_as(&admin, PLACE, json!({ "id": id })).await)["place"]["publication"],
        "DRAFT"
    );
    let mine = app.gql_as(&merchant, MY_PLACES, json!({})).await;
    assert_eq!(data(&mine)["me"]["places"]["totalCount"], 1);
    assert_eq!(data(&mine)["me"]["places"]["edges"][0]["node"]["id"], id);
    // Drafts never reach the public directory.
    let total = app.gql("{ places(first: 0) { totalCount } }", json!({})).await;
    assert_eq!(data(&total)["places"]["totalCount"], 180);
}

#[tokio::test]
async fn an_owner_edits_its_listing_and_riders_see_the_change_at_once() {
    let app = TestApp::spawn().await;
    let (id, version) = merchant_01_place(&app).await;
    let owner = app.token(Role::Merchant, "merchant-01");
    let before = app.gql(PLACE_LOCATION, json!({ "id": id })).await;
    // About 55 m north: close enough to stay published without a new review.
    let lat = data(&before)["place"]["location"]["lat"].as_f64().unwrap() + 0.0005;
    let lng = data(&before)["place"]["location"]["lng"].as_f64().unwrap();
    let input = json!({
        "id": id, "expectedVersion": version,
        "name": "王记惠民便利店(新址)", "openingHours": "24/7", "phone": null,
        "description": "骑手可免费接热水、充电", "location": { "lat": lat, "lng": lng },
    });
    let body = app.gql_as(&owner, UPDATE, json!({ "input": input })).await;
    let place = &data(&body)["updatePlace"]["place"];
    assert_eq!(place["version"], version + 1);
    assert_eq!(place["name"], "王记惠民便利店(新址)");
    assert_eq!(place["phone"], Value::Null);
    assert_eq!(place["description"], "骑手可免费接热水、充电");

    let public = app.gql(PLACE, json!({ "id": id })).await;
    assert_eq!(data(&public)["place"]["openingHours"], "24/7");
    assert_eq!(data(&public)["place"]["publication"], "PUBLISHED");
    let near = app.gql(NEARBY_NAMES, json!({ "lat": lat, "lng": lng })).await;
    let names: Vec<&Value> = data(&near)["nearby"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"]["name"])
        .collect();
    assert!(names.contains(&&json!("王记惠民便利店(新址)")), "{names:?}");
}

#[tokio::test]
async fn a_stale_version_is_a_conflict_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let (id, version) = merchant_01_place(&app).await;
    let owner = app.token(Role::Merchant, "merchant-01");
    let first = app
        .gql_as(
            &owner,
            UPDATE,
            json!({ "input": { "id": id, "expectedVersion": version, "name": "第一次修改" } }),
        )
        .await;
    data(&first);
    let stale = app
        .gql_as(
            &owner,
            UPDATE,
            json!({ "input": { "id": id, "expectedVersion": version, "name": "过期的修改" } }),
        )
        .await;
    assert_eq!(code(&stale), "CONFLICT");
    let now = app.gql(PLACE, json!({ "id": id })).await;
    assert_eq!(data(&now)["place"]["name"], "第一次修改");
    assert_eq!(data(&now)["place"]["version"], version + 1);
}

#[tokio::test]
async fn twenty_concurrent_edits_from_one_version_let_exactly_one_through() {
    let app = TestApp::spawn().await;
    let (id, version) = merchant_01_place(&app).await;
    let owner = app.token(Role::Merchant, "merchant-01");
    let attempts = (0..20).map(|n| {
        let input =
            json!({ "input": { "id": id, "expectedVersion": version, "name": format!("并发修改{n}") } });
        let (app, owner) = (&app, &owner);
        async move { app.gql_as(owner, UPDATE, input).await }
    });
    let results = futures_util::future::join_all(attempts).await;
    let winners: Vec<&Value> = results
        .iter()
        .filter(|body| body.get("errors").is_none())
        .collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    for body in results.iter().filter(|body| body.get("errors").is_some()) {
        assert_eq!(code(body), "CONFLICT");
    }
    let now = app.gql(PLACE, json!({ "id": id })).await;
    assert_eq!(data(&now)["place"]["version"], version + 1);
    assert_eq!(
        data(&now)["place"]["name"],
        winners[0]["data"]["updatePlace"]["place"]["name"]
    );
}

#[tokio::test]
async fn invalid_fields_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let (id, version) = merchant_01_place(&app).await;
    let owner = app.token(Role::Merchant, "merchant-01");
    for (field, value, fragment) in [
        ("name", json!("王"), "name must be"),
        ("name", json!("长".repeat(101)), "name must be"),
        ("address", json!("短"), "address must be"),
        ("openingHours", json!("whenever we like"), "opening_hours"),
        ("timeZone", json!("Mars/Olympus"), "IANA"),
        ("phone", json!("call me maybe"), "phone"),
        ("location", json!({ "lat": 95, "lng": 116.7 }), "latitude"),
        ("description", json!("x".repeat(2001)), "description must be"),
    ] {
        let mut input = json!({ "id": id, "expectedVersion": version });
        input[field] = value;
        let body = app.gql_as(&owner, UPDATE, json!({ "input": input })).await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{field}");
        assert!(
            body["errors"][0]["message"].as_str().unwrap().contains(fragment),
            "{field}: {body}"
        );
    }
    let body = app
        .gql_as(
            &owner,
            UPDATE,
            json!({ "input": { "id": id, "expectedVersion": version, "amenities": ["JACUZZI"] } }),
        )
        .await;
    assert_eq!(code(&body), "BAD_USER_INPUT");
    let now = app.gql(PLACE, json!({ "id": id })).await;
    assert_eq!(data(&now)["place"]["version"], version);

    let merchant = app.token(Role::Merchant, "merchant-new");
    let mut bad = canteen();
    bad["openingHours"] = json!("Mo-Fr 25:00-26:00 maybe");
    let body = app.gql_as(&merchant, CREATE, json!({ "input": bad })).await;
    assert_eq!(code(&body), "BAD_USER_INPUT");
    let mine = app.gql_as(&merchant, MY_PLACES, json!({})).await;
    assert_eq!(
        data(&mine)["me"]["places"]["totalCount"],
        0,
        "a refused create writes nothing"
    );
}
