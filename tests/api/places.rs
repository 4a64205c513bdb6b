use std::collections::{BTreeMap, HashSet};

use serde_json::{Value, json};

use crate::helpers::{TestApp, code, data};

const COUNT_BY_KIND: &str =
    "query Count($kinds: [PlaceKind!]!) { places(first: 0, filter: { kinds: $kinds }) { totalCount } }";
const PAGE: &str = "query Page($first: Int, $after: String, $filter: PlaceFilterInput) {
  places(first: $first, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id name kind amenities servesGroups openNow publication } }
  }
}";
const NODE: &str = "query Node($id: ID!) { node(id: $id) { id ... on Place { name kind } } }";
const PLACE: &str = "query Place($id: ID!) { place(id: $id) { id name address phone openingHours timeZone version location { lat lng } } }";

async fn total(app: &TestApp, filter: Value) -> i64 {
    let body = app.gql(PAGE, json!({ "first": 0, "filter": filter })).await;
    data(&body)["places"]["totalCount"].as_i64().expect("a count")
}

#[tokio::test]
async fn the_demo_network_has_the_articles_counts_per_kind() {
    let app = TestApp::spawn().await;
    let mut counts = BTreeMap::new();
    for (kind, expected) in [
        ("PARTY_SERVICE_CENTER", 30),
        ("GRID_STATION", 71),
        ("UNION_STATION", 6),
        ("RIDER_STATION", 3),
        ("DRIVER_STATION", 1),
        ("VOLUNTEER_HOME", 1),
    ] {
        let body = app.gql(COUNT_BY_KIND, json!({ "kinds": [kind] })).await;
        assert_eq!(data(&body)["places"]["totalCount"], expected, "{kind}");
        counts.insert(kind, expected);
    }
    let body = app
        .gql(
            COUNT_BY_KIND,
            json!({ "kinds": ["CITY_STATION", "SANITATION_REST_ROOM"] }),
        )
        .await;
    assert_eq!(data(&body)["places"]["totalCount"], 21);
    let merchant_kinds = [
        "FRIENDLY_MERCHANT",
        "RIDER_CANTEEN",
        "RIDER_PHARMACY",
        "RIDER_CLINIC",
    ];
    let body = app.gql(COUNT_BY_KIND, json!({ "kinds": merchant_kinds })).await;
    assert_eq!(data(&body)["places"]["totalCount"], 47);
    assert_eq!(total(&app, json!({})).await, 180);
}

#[tokio::test]
async fn the_articles_named_places_are_there() {
    let app = TestApp::spawn().await;
    let body = app.gql(PAGE, json!({ "first": 100, "filter": { "kinds": ["GRID_STATION", "DRIVER_STATION", "VOLUNTEER_HOME"] } })).await;
    let names: HashSet<&str> = data(&body)["places"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"]["name"].as_str().unwrap())
        .collect();
    for name in [
        "市委四宿舍网格驿站",
        "山东众成饲料科技有限公司司机驿站",
        "龙山社区志愿者之家",
    ] {
        assert!(names.contains(name), "{name} is missing");
    }
}

#[tokio::test]
async fn paging_through_places_visits_each_once_without_gaps() {
    let app = TestApp::spawn().await;
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let body = app.gql(PAGE, json!({ "first": 7, "after": after })).await;
        let places = &data(&body)["places"];
        assert_eq!(places["totalCount"], 180);
        let edges = places["edges"].as_array().unwrap();
        seen.extend(
            edges
                .iter()
                .map(|edge| edge["node"]["id"].as_str().unwrap().to_owned()),
        );
        assert_eq!(places["pageInfo"]["hasPreviousPage"], false);
        if places["pageInfo"]["hasNextPage"] == false {
            break;
        }
        assert_eq!(edges.len(), 7);
        assert_eq!(places["pageInfo"]["endCursor"], edges.last().unwrap()["cursor"]);
        after = Some(places["pageInfo"]["endCursor"].as_str().unwrap().to_owned());
    }
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(seen.len(), 180);
    assert_eq!(unique.len(), 180);
}

#[tokio::test]
async fn filters_combine_and_keep_the_total_exact() {
    let app = TestApp::spawn().await;
    let everything = app.gql(PAGE, json!({ "first": 100 })).await;
    let second = app
        .gql(
            PAGE,
            json!({ "first": 100, "after": data(&everything)["places"]["pageInfo"]["endCursor"] }),
        )
        .await;
    let nodes: Vec<Value> = [&everything, &second]
        .iter()
        .flat_map(|body| data(body)["places"]["edges"].as_array().unwrap().clone())
        .map(|edge| edge["node"].clone())
        .collect();
    assert_eq!(nodes.len(), 180);
    let has =
        |node: &Value, field: &str, value: &str| node[field].as_array().unwrap().iter().any(|v| v == value);

    // Amenities: a place must have all of those asked.
    let expected = nodes
        .iter()
        .filter(|n| has(n, "amenities", "MICROWAVE") && has(n, "amenities", "WIFI"))
        .count();
    assert!(expected > 0);
    assert_eq!(
        total(&app, json!({ "amenities": ["MICROWAVE", "WIFI"] })).await,
        expected as i64
    );

    // Groups: a place must serve at least one of those asked.
    let expected = nodes
        .iter()
        .filter(|n| has(n, "servesGroups", "SANITATION_WORKER"))
        .count();
    assert_eq!(
        total(&app, json!({ "groups": ["SANITATION_WORKER"] })).await,
        expected as i64
    );

    // Kinds, amenities and groups together.
    let expected = nodes
        .iter()
        .filter(|n| {
            n["kind"] == "RIDER_CANTEEN"
                && has(n, "amenities", "PHONE_CHARGING")
                && has(n, "servesGroups", "COURIER")
        })
        .count();
    let filter =
        json!({ "kinds": ["RIDER_CANTEEN"], "amenities": ["PHONE_CHARGING"], "groups": ["COURIER"] });
    assert_eq!(total(&app, filter).await, expected as i64);

    // Open now, and not open now, split the network.
    let open = total(&app, json!({ "openNow": true })).await;
    let closed = total(&app, json!({ "openNow": false })).await;
    assert_eq!(open + closed, 180);
    assert!(open >= 3, "the three 24/7 rider stations are always open");
    let body = app
        .gql(PAGE, json!({ "first": 100, "filter": { "openNow": true } }))
        .await;
    for edge in data(&body)["places"]["edges"].as_array().unwrap() {
        assert_eq!(edge["node"]["openNow"], true);
    }
    let body = app
        .gql(
            PAGE,
            json!({ "first": 100, "filter": { "openNow": true, "kinds": ["RIDER_STATION"] } }),
        )
        .await;
    assert_eq!(data(&body)["places"]["totalCount"], 3);
}

#[tokio::test]
async fn global_ids_round_trip_through_node_and_place() {
    let app = TestApp::spawn().await;
    let body = app.gql(PAGE, json!({ "first": 3 })).await;
    for edge in data(&body)["places"]["edges"].as_array().unwrap() {
        let id = &edge["node"]["id"];
        let node = app.gql(NODE, json!({ "id": id })).await;
        assert_eq!(data(&node)["node"]["id"], *id);
        assert_eq!(data(&node)["node"]["name"], edge["node"]["name"]);
        let place = app.gql(PLACE, json!({ "id": id })).await;
        assert_eq!(data(&place)["place"]["id"], *id);
        assert_eq!(data(&place)["place"]["timeZone"], "Asia/Shanghai");
    }
}

#[tokio::test]
async fn ids_are_stable_across_restarts_of_the_same_data() {
    let first = TestApp::spawn().await;
    let second = TestApp::spawn().await;
    let ids = |body: &Value| {
        data(body)["places"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["node"]["id"].clone(), e["node"]["name"].clone()))
            .collect::<Vec<_>>()
    };
    let a = first.gql(PAGE, json!({ "first": 50 })).await;
    let b = second.gql(PAGE, json!({ "first": 50 })).await;
    assert_eq!(ids(&a), ids(&b));
}

#[tokio::test]
async fn unknown_and_malformed_ids_are_told_apart() {
    let app = TestApp::spawn().await;
    let missing = app.gql(PLACE, json!({ "id": "UGxhY2U6OTk5OTk5" })).await; // Place:999999
    assert_eq!(data(&missing)["place"], Value::Null);
    let malformed = app.gql(PLACE, json!({ "id": "not-an-id" })).await;
    assert_eq!(code(&malformed), "BAD_USER_INPUT");
    let node = app.gql(NODE, json!({ "id": "bm9wZTox" })).await; // nope:1
    assert_eq!(code(&node), "BAD_USER_INPUT");
}

#[tokio::test]
async fn bad_paging_arguments_are_refused_with_a_clear_message() {
    let app = TestApp::spawn().await;
    for (variables, fragment) in [
        (json!({ "first": 101 }), "between 0 and 100"),
        (json!({ "first": -1 }), "between 0 and 100"),
        (json!({ "first": 5, "after": "garbage!" }), "not a cursor"),
        (json!({ "first": 5, "after": "bmVhcjoxOjE" }), "not a cursor"),
    ] {
        let body = app.gql(PAGE, variables.clone()).await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{variables}");
        assert!(
            body["errors"][0]["message"].as_str().unwrap().contains(fragment),
            "{body}"
        );
    }
    let body = app.gql(PAGE, json!({ "filter": { "kinds": ["CASTLE"] } })).await;
    assert_eq!(code(&body), "BAD_USER_INPUT");
}
