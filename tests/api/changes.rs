//! The change feed: every instance follows the database's change log by position, live
//! subscriptions hear of changes made on any instance, and apps sync an area offline.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::{Value, json};
use yizhan::{auth::Role, domain::change_log};

use crate::helpers::{TestApp, code, data, numeric_id};

/// 河西社区, in the middle of the demo network.
pub(crate) const HEXI: (f64, f64) = (36.1842, 116.7618);

pub(crate) const NEARBY: &str = "query N($lat: Float!, $lng: Float!, $meters: Float!) {
  nearby(near: { lat: $lat, lng: $lng }, within: { meters: $meters }, first: 100) { edges { node { id name } } } }";
pub(crate) const PLACE: &str = "query P($id: ID!) { place(id: $id) { id name publication status { note } } }";
pub(crate) const SUSPEND: &str = "mutation S($id: ID!) { suspendPlace(input: { id: $id, reason: \"检查中\" }) { place { id publication } } }";
pub(crate) const APPROVE: &str =
    "mutation A($id: ID!) { approvePlace(input: { id: $id }) { place { id publication } } }";
pub(crate) const SET_STATUS: &str = "mutation St($id: ID!, $note: String!) {
  setPlaceStatus(input: { id: $id, state: OPEN, note: $note }) { place { id status { note } } } }";
pub(crate) const MOVE: &str = "mutation M($id: ID!, $version: Int!, $lat: Float!, $lng: Float!) {
  updatePlace(input: { id: $id, expectedVersion: $version, location: { lat: $lat, lng: $lng } }) { place { id publication } } }";
pub(crate) const VERSION: &str = "query V($id: ID!) { place(id: $id) { version location { lat lng } } }";
pub(crate) const ALL_PLACES: &str = "query All($after: String) {
  places(first: 100, after: $after) { pageInfo { hasNextPage endCursor } edges { node { id name status { note } } } } }";
pub(crate) const PLACE_CHANGED: &str = "subscription C($lat: Float!, $lng: Float!, $meters: Float!) {
  placeChanged(near: { lat: $lat, lng: $lng }, within: { meters: $meters }) { change placeId position place { name status { note } } } }";
pub(crate) const PLACE_UPDATED: &str =
    "subscription U($id: ID!) { placeUpdated(id: $id) { change placeId place { name status { note } } } }";

/// Posts a query to any server address, with an optional token.
pub(crate) async fn post(
    client: &reqwest::Client,
    address: &str,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> Value {
    let mut request = client
        .post(format!("{address}/graphql"))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap().json().await.unwrap()
}

/// Polls `check` every 50 ms until it holds, failing with `what` after 15 s.
pub(crate) async fn eventually<F: std::future::Future<Output = bool>>(
    what: &str,
    mut check: impl FnMut() -> F,
) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !check().await {
        assert!(Instant::now() < deadline, "never happened: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The ids and names of published places around 河西社区.
pub(crate) async fn around_hexi(app: &TestApp, meters: f64) -> Vec<(String, String)> {
    let body = app
        .gql(NEARBY, json!({ "lat": HEXI.0, "lng": HEXI.1, "meters": meters }))
        .await;
    data(&body)["nearby"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| {
            (
                edge["node"]["id"].as_str().unwrap().to_owned(),
                edge["node"]["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn after_a_seed_of_ten_thousand_places_a_suspension_reaches_the_second_instance() {
    let first = TestApp::spawn().await;
    let second = first.spawn_process_sharing().await;
    // `yizhan seed --synthetic` writes every row in one transaction: one clump of entries.
    yizhan::seed::synthetic::insert(&first.db, 10_000).await.unwrap();
    let admin = first.token(Role::Admin, "admin-1");
    let (id, _) = around_hexi(&first, 300.0).await.remove(0);
    data(&first.gql_as(&admin, SUSPEND, json!({ "id": id })).await);
    let client = &first.client;
    eventually("the second instance hides the suspended place", || async {
        let seen = post(client, &second.address, None, PLACE, json!({ "id": id })).await;
        data(&seen)["place"].is_null()
    })
    .await;
    let count = "{ places(first: 0) { totalCount } }";
    eventually("the second instance lists the seeded places", || async {
        post(client, &second.address, None, count, json!({})).await["data"]["places"]["totalCount"]
            == 180 + 10_000 - 1
    })
    .await;
    // The first instance learns of the seed from the log too (it was written behind its back).
    eventually("the first instance lists the seeded places", || async {
        first.gql(count, json!({})).await["data"]["places"]["totalCount"] == 180 + 10_000 - 1
    })
    .await;
}

#[tokio::test]
async fn a_write_that_commits_late_is_not_skipped_by_writes_that_committed_before_it() {
    let first = TestApp::spawn().await;
    let second = first.spawn_process_sharing().await;
    let admin = first.token(Role::Admin, "admin-1");
    let places = around_hexi(&first, 2_000.0).await;
    let (slow_id, _) = places[0].clone();
    // The slow writer changes its row first and commits three seconds later, after others.
    let slow_db = first.db.clone();
    let slow = slow_id.clone();
    let late = tokio::spawn(async move {
        let txn = slow_db.begin().await.unwrap();
        txn.execute_unprepared(&format!(
            "UPDATE places SET name = '慢事务写入' WHERE id = {}",
            numeric_id(&slow)
        ))
        .await
        .unwrap();
        tokio::time::sleep(Duration::from_secs(3)).await;
        change_log::append_place(&txn, numeric_id(&slow), &[])
            .await
            .unwrap();
        txn.commit().await.unwrap();
    });
    for (id, _) in places.iter().skip(1).take(5) {
        data(
            &first
                .gql_as(&admin, SET_STATUS, json!({ "id": id, "note": "先提交" }))
                .await,
        );
    }
    late.await.unwrap();
    let client = &first.client;
    for address in [first.address.as_str(), second.address.as_str()] {
        eventually("both instances show the late write", || async {
            post(client, address, None, PLACE, json!({ "id": slow_id })).await["data"]["place"]["name"]
                == "慢事务写入"
        })
        .await;
        // On SQLite the other writes waited for the slow one's lock and so come after it.
        eventually("both instances show the other writes", || async {
            post(client, address, None, PLACE, json!({ "id": places[1].0 })).await["data"]["place"]["status"]
                ["note"]
                == "先提交"
        })
        .await;
    }
}

/// Every published place a server lists, with its status note.
async fn directory_of(client: &reqwest::Client, address: &str) -> Vec<(String, Value)> {
    let mut all = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = post(client, address, None, ALL_PLACES, json!({ "after": after })).await;
        let places = &data(&page)["places"];
        for edge in places["edges"].as_array().unwrap() {
            all.push((
                edge["node"]["id"].as_str().unwrap().to_owned(),
                edge["node"]["status"]["note"].clone(),
            ));
        }
        if places["pageInfo"]["hasNextPage"] != true {
            return all;
        }
        after = places["pageInfo"]["endCursor"].clone();
    }
}

/// The published places and their notes as the database holds them.
async fn database_of(app: &TestApp) -> Vec<(i32, Value)> {
    let rows = app
        .db
        .query_all_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            "SELECT id, status_note FROM places WHERE publication = 'PUBLISHED' ORDER BY id",
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|row| {
            let note: Option<String> = row.try_get("", "status_note").unwrap();
            (
                row.try_get("", "id").unwrap(),
                note.map_or(Value::Null, Value::from),
            )
        })
        .collect()
}

#[tokio::test]
async fn five_hundred_concurrent_writes_on_two_instances_leave_both_directories_equal_to_the_database() {
    let first = TestApp::spawn().await;
    let second = first.spawn_process_sharing().await;
    let admin = first.token(Role::Admin, "admin-1");
    let places: Vec<String> = around_hexi(&first, 3_000.0)
        .await
        .into_iter()
        .map(|(id, _)| id)
        .take(40)
        .collect();
    assert!(places.len() >= 20, "the demo network has places around 河西社区");
    let addresses = [first.address.clone(), second.address.clone()];
    let writes = futures_util::stream::iter(0..500)
        .map(|write| {
            let (client, admin) = (first.client.clone(), admin.clone());
            let address = addresses[write % 2].clone();
            let id = places[write % places.len()].clone();
            async move {
                // Every tenth write suspends a place, every tenth after that reinstates it.
                let (query, variables) = match write % 20 {
                    7 => (SUSPEND, json!({ "id": id })),
                    17 => (APPROVE, json!({ "id": id })),
                    _ => (SET_STATUS, json!({ "id": id, "note": format!("写入{write}") })),
                };
                post(&client, &address, Some(&admin), query, variables).await
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<Value>>()
        .await;
    let failures: Vec<&Value> = writes
        .iter()
        .filter(|body| {
            body.get("errors").is_some()
                // Two moderators acting on one place at once: one of them is told to re-read.
                && !matches!(code(body), "BAD_USER_INPUT" | "CONFLICT")
        })
        .collect();
    assert!(failures.is_empty(), "unexpected failures: {failures:?}");
    let expected: Vec<(String, Value)> = database_of(&first)
        .await
        .into_iter()
        .map(|(id, note)| {
            use base64::Engine;
            (
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("Place:{id}")),
                note,
            )
        })
        .collect();
    let client = &first.client;
    for address in [first.address.as_str(), second.address.as_str()] {
        eventually("the directory equals the database", || async {
            directory_of(client, address).await == expected
        })
        .await;
    }
}

#[tokio::test]
async fn reviews_and_status_writes_on_one_place_at_once_all_land() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin, "admin-1");
    let (id, _) = around_hexi(&app, 300.0).await.remove(0);
    let review = crate::reviews::REVIEW;
    let writes = (0..12).map(|n| {
        let (app, admin, id) = (&app, admin.clone(), id.clone());
        async move {
            if n % 2 == 0 {
                let rider =
                    app.worker_token(&format!("rider-{n}"), entity::place::WorkerGroup::DeliveryRider);
                let input = json!({ "placeId": id, "stars": 4, "text": "热水很方便" });
                app.gql_as(&rider, review, json!({ "input": input })).await
            } else {
                app.gql_as(
                    &admin,
                    SET_STATUS,
                    json!({ "id": id, "note": format!("第{n}次") }),
                )
                .await
            }
        }
    });
    for body in futures_util::future::join_all(writes).await {
        data(&body);
    }
}
