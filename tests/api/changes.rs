//! The change feed: every instance follows the database's change log by position, live
//! subscriptions hear of changes made on any instance, and apps sync an area offline.

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};
use yizhan::{auth::Role, domain::change_log};

use crate::helpers::{TestApp, code, data, numeric_id};

/// 河西社区, in the middle of the demo network.
const HEXI: (f64, f64) = (36.1842, 116.7618);

const NEARBY: &str = "query N($lat: Float!, $lng: Float!, $meters: Float!) {
  nearby(near: { lat: $lat, lng: $lng }, within: { meters: $meters }, first: 100) { edges { node { id name } } } }";
const PLACE: &str = "query P($id: ID!) { place(id: $id) { id name publication status { note } } }";
const SUSPEND: &str = "mutation S($id: ID!) { suspendPlace(input: { id: $id, reason: \"检查中\" }) { place { id publication } } }";
const APPROVE: &str =
    "mutation A($id: ID!) { approvePlace(input: { id: $id }) { place { id publication } } }";
const SET_STATUS: &str = "mutation St($id: ID!, $note: String!) {
  setPlaceStatus(input: { id: $id, state: OPEN, note: $note }) { place { id status { note } } } }";
const MOVE: &str = "mutation M($id: ID!, $version: Int!, $lat: Float!, $lng: Float!) {
  updatePlace(input: { id: $id, expectedVersion: $version, location: { lat: $lat, lng: $lng } }) { place { id publication } } }";
const VERSION: &str = "query V($id: ID!) { place(id: $id) { version location { lat lng } } }";
const ALL_PLACES: &str = "query All($after: String) {
  places(first: 100, after: $after) { pageInfo { hasNextPage endCursor } edges { node { id name status { note } } } } }";
const SYNC: &str = "query Sync($lat: Float!, $lng: Float!, $meters: Float!, $after: String, $first: Int) {
  placeChanges(near: { lat: $lat, lng: $lng }, within: { meters: $meters }, after: $after, first: $first) {
    pageInfo { hasNextPage endCursor }
    edges { cursor node { change placeId position place { id name status { note } } } } } }";
const PLACE_CHANGED: &str = "subscription C($lat: Float!, $lng: Float!, $meters: Float!) {
  placeChanged(near: { lat: $lat, lng: $lng }, within: { meters: $meters }) { change placeId position place { name status { note } } } }";
const PLACE_UPDATED: &str =
    "subscription U($id: ID!) { placeUpdated(id: $id) { change placeId place { name status { note } } } }";

/// Posts a query to any server address, with an optional token.
async fn post(
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
async fn eventually<F: std::future::Future<Output = bool>>(what: &str, mut check: impl FnMut() -> F) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !check().await {
        assert!(Instant::now() < deadline, "never happened: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A graphql-transport-ws connection to `address`, acknowledged.
async fn ws_connect(address: &str, token: Option<&str>) -> Socket {
    let mut request = (address.replace("http://", "ws://") + "/graphql/ws")
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
    let mut socket = tokio_tungstenite::connect_async(request).await.unwrap().0;
    let payload = token.map_or(
        json!({}),
        |token| json!({ "Authorization": format!("Bearer {token}") }),
    );
    socket
        .send(Message::text(
            json!({ "type": "connection_init", "payload": payload }).to_string(),
        ))
        .await
        .unwrap();
    assert_eq!(ws_next(&mut socket).await["type"], "connection_ack");
    socket
}

async fn ws_subscribe(socket: &mut Socket, id: &str, query: &str, variables: Value) {
    socket
        .send(Message::text(
            json!({ "type": "subscribe", "id": id, "payload": { "query": query, "variables": variables } })
                .to_string(),
        ))
        .await
        .unwrap();
}

/// The next protocol message, skipping pings; fails after 15 s.
async fn ws_next(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(15), socket.next())
            .await
            .expect("a message within 15 s")
            .expect("the socket is open")
            .unwrap();
        if let Message::Text(text) = message {
            let value: Value = serde_json::from_str(&text).unwrap();
            if value["type"] != "ping" {
                return value;
            }
        }
    }
}

/// The ids and names of published places around 河西社区.
async fn around_hexi(app: &TestApp, meters: f64) -> Vec<(String, String)> {
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
async fn a_subscriber_on_the_second_instance_hears_of_changes_made_on_the_first() {
    let first = TestApp::spawn().await;
    let second = first.spawn_process_sharing().await;
    let admin = first.token(Role::Admin, "admin-1");
    let places = around_hexi(&first, 800.0).await;
    let (updated, suspended, moved) = (&places[0].0, &places[1].0, &places[2].0);
    let mut socket = ws_connect(&second.address, None).await;
    let area = json!({ "lat": HEXI.0, "lng": HEXI.1, "meters": 1_000.0 });
    ws_subscribe(&mut socket, "area", PLACE_CHANGED, area).await;
    // The subscription is registered once the server has read it; a write before that is
    // not a change this subscriber could have heard of.
    tokio::time::sleep(Duration::from_millis(300)).await;

    data(
        &first
            .gql_as(&admin, SET_STATUS, json!({ "id": updated, "note": "热水已备好" }))
            .await,
    );
    let change = ws_next(&mut socket).await;
    assert_eq!(change["id"], "area");
    let change = &change["payload"]["data"]["placeChanged"];
    assert_eq!(change["change"], "UPDATED", "{change}");
    assert_eq!(&change["placeId"], updated);
    assert_eq!(change["place"]["status"]["note"], "热水已备好");
    let first_position: i64 = change["position"].as_str().unwrap().parse().unwrap();

    data(&first.gql_as(&admin, SUSPEND, json!({ "id": suspended })).await);
    let change = ws_next(&mut socket).await;
    let change = &change["payload"]["data"]["placeChanged"];
    assert_eq!(
        (change["change"].as_str(), change["placeId"].as_str()),
        (Some("LEFT"), Some(suspended.as_str()))
    );
    assert!(change["place"].is_null());
    assert!(change["position"].as_str().unwrap().parse::<i64>().unwrap() > first_position);

    // Moving a place 3 km away takes it out of the area (and back to review).
    let current = data(&first.gql_as(&admin, VERSION, json!({ "id": moved })).await)["place"].clone();
    let to = json!({ "id": moved, "version": current["version"], "lat": HEXI.0 + 0.03, "lng": HEXI.1 });
    data(&first.gql_as(&admin, MOVE, to).await);
    let change = ws_next(&mut socket).await;
    let change = &change["payload"]["data"]["placeChanged"];
    assert_eq!(
        (change["change"].as_str(), change["placeId"].as_str()),
        (Some("LEFT"), Some(moved.as_str()))
    );

    // Reinstating the suspended place brings it back.
    data(&first.gql_as(&admin, APPROVE, json!({ "id": suspended })).await);
    let change = ws_next(&mut socket).await;
    let change = &change["payload"]["data"]["placeChanged"];
    assert_eq!(
        (change["change"].as_str(), change["placeId"].as_str()),
        (Some("ENTERED"), Some(suspended.as_str()))
    );
}

#[tokio::test]
async fn place_updated_follows_one_place_and_drafts_reach_only_their_owner() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin, "admin-1");
    let (id, _) = around_hexi(&app, 300.0).await.remove(0);
    let mut socket = ws_connect(&app.address, None).await;
    ws_subscribe(&mut socket, "one", PLACE_UPDATED, json!({ "id": id })).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    data(
        &app.gql_as(&admin, SET_STATUS, json!({ "id": id, "note": "座位充足" }))
            .await,
    );
    let change = ws_next(&mut socket).await;
    assert_eq!(change["payload"]["data"]["placeUpdated"]["change"], "UPDATED");
    assert_eq!(
        change["payload"]["data"]["placeUpdated"]["place"]["status"]["note"],
        "座位充足"
    );
    data(&app.gql_as(&admin, SUSPEND, json!({ "id": id })).await);
    let change = ws_next(&mut socket).await;
    assert_eq!(change["payload"]["data"]["placeUpdated"]["change"], "LEFT");
    assert!(change["payload"]["data"]["placeUpdated"]["place"].is_null());

    // A suspended place is not visible to the public: subscribing to it is NOT_FOUND.
    ws_subscribe(&mut socket, "hidden", PLACE_UPDATED, json!({ "id": id })).await;
    let refused = ws_next(&mut socket).await;
    assert_eq!(refused["id"], "hidden", "{refused}");
    let errors = if refused["type"] == "error" {
        &refused["payload"]
    } else {
        &refused["payload"]["errors"]
    };
    assert_eq!(errors[0]["extensions"]["code"], "NOT_FOUND", "{refused}");
    // Its owner still follows it.
    let owner_rows = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            format!("SELECT owner_subject FROM places WHERE id = {}", numeric_id(&id)),
        ))
        .await
        .unwrap()
        .unwrap();
    let owner_subject: String = owner_rows.try_get("", "owner_subject").unwrap();
    let owner_role = if owner_subject.starts_with("merchant-") {
        Role::Merchant
    } else {
        Role::Operator
    };
    let owner = app.token(owner_role, &owner_subject);
    let mut owner_socket = ws_connect(&app.address, Some(&owner)).await;
    ws_subscribe(&mut owner_socket, "mine", PLACE_UPDATED, json!({ "id": id })).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    data(&app.gql_as(&admin, APPROVE, json!({ "id": id })).await);
    let change = ws_next(&mut owner_socket).await;
    assert_eq!(change["payload"]["data"]["placeUpdated"]["change"], "UPDATED");
    // The public subscriber sees the place come back.
    let change = loop {
        let message = ws_next(&mut socket).await;
        if message["id"] == "one" {
            break message;
        }
        assert_eq!(
            message["type"], "complete",
            "the refused subscription sends nothing more: {message}"
        );
    };
    assert_eq!(change["payload"]["data"]["placeUpdated"]["change"], "ENTERED");
}

#[tokio::test]
async fn an_expired_token_ends_its_subscription_with_unauthenticated() {
    let app = TestApp::spawn().await;
    let token = app.short_lived_token(Role::Worker, "rider-1", Duration::from_secs(2));
    let mut socket = ws_connect(&app.address, Some(&token)).await;
    let area = json!({ "lat": HEXI.0, "lng": HEXI.1, "meters": 500.0 });
    ws_subscribe(&mut socket, "area", PLACE_CHANGED, area).await;
    let ended = ws_next(&mut socket).await;
    assert_eq!(ended["id"], "area");
    assert_eq!(ended["type"], "next", "{ended}");
    assert_eq!(
        ended["payload"]["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
    assert_eq!(ws_next(&mut socket).await["type"], "complete");
}

/// Every page of a sync from `after`, with the cursor to keep.
async fn sync(app: &TestApp, meters: f64, mut after: Value) -> (Vec<Value>, Value) {
    let mut changes = Vec::new();
    loop {
        let variables = json!({ "lat": HEXI.0, "lng": HEXI.1, "meters": meters, "after": after, "first": 7 });
        let page = app.gql(SYNC, variables).await;
        let connection = &data(&page)["placeChanges"];
        changes.extend(
            connection["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|edge| edge["node"].clone()),
        );
        after = connection["pageInfo"]["endCursor"].clone();
        assert!(after.is_string(), "endCursor is never null: {page}");
        if connection["pageInfo"]["hasNextPage"] != true {
            return (changes, after);
        }
    }
}

#[tokio::test]
async fn delta_sync_downloads_the_area_once_then_only_what_changed_with_tombstones() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin, "admin-1");
    let area = around_hexi(&app, 1_500.0).await;
    let (download, cursor) = sync(&app, 1_500.0, Value::Null).await;
    assert_eq!(download.len(), area.len());
    assert!(download.iter().all(|change| change["change"] == "ENTERED"));

    let (nothing, same) = sync(&app, 1_500.0, cursor.clone()).await;
    assert!(nothing.is_empty(), "{nothing:?}");
    let (updated, suspended, moved) = (&area[0].0, &area[1].0, &area[2].0);
    data(
        &app.gql_as(&admin, SET_STATUS, json!({ "id": updated, "note": "午休暂停" }))
            .await,
    );
    data(
        &app.gql_as(&admin, SET_STATUS, json!({ "id": updated, "note": "恢复营业" }))
            .await,
    );
    data(&app.gql_as(&admin, SUSPEND, json!({ "id": suspended })).await);
    let current = data(&app.gql_as(&admin, VERSION, json!({ "id": moved })).await)["place"].clone();
    let to = json!({ "id": moved, "version": current["version"], "lat": HEXI.0 + 0.05, "lng": HEXI.1 });
    data(&app.gql_as(&admin, MOVE, to).await);
    // A change far away does not concern this area.
    let far = around_hexi(&app, 30_000.0)
        .await
        .into_iter()
        .find(|(id, _)| !area.iter().any(|(near, _)| near == id))
        .expect("the demo network reaches beyond 1.5 km")
        .0;
    data(
        &app.gql_as(&admin, SET_STATUS, json!({ "id": far, "note": "远处" }))
            .await,
    );

    let (delta, next) = sync(&app, 1_500.0, same).await;
    let summary: Vec<(String, String)> = delta
        .iter()
        .map(|change| {
            (
                change["change"].as_str().unwrap().to_owned(),
                change["placeId"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("UPDATED".to_owned(), updated.clone()),
            ("LEFT".to_owned(), suspended.clone()),
            ("LEFT".to_owned(), moved.clone()),
        ]
    );
    assert_eq!(delta[0]["place"]["status"]["note"], "恢复营业");
    let (again, _) = sync(&app, 1_500.0, next).await;
    assert!(again.is_empty(), "a synced app downloads nothing more: {again:?}");

    // A cursor the log no longer covers asks for a fresh download.
    app.db
        .execute_unprepared(
            "UPDATE change_log_horizon SET position = (SELECT MAX(position) FROM change_log) WHERE id = 1",
        )
        .await
        .unwrap();
    let old = app
        .gql(
            SYNC,
            json!({ "lat": HEXI.0, "lng": HEXI.1, "meters": 1500.0, "after": cursor }),
        )
        .await;
    assert_eq!(code(&old), "RESYNC_REQUIRED");
    let damaged = app
        .gql(
            SYNC,
            json!({ "lat": HEXI.0, "lng": HEXI.1, "meters": 1500.0, "after": "c3luYzp4OjE6Mg" }),
        )
        .await;
    assert_eq!(code(&damaged), "BAD_USER_INPUT");
}

#[tokio::test]
async fn compaction_keeps_one_entry_per_place_and_every_cursor_correct() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin, "admin-1");
    let area = around_hexi(&app, 1_500.0).await;
    let (_, cursor) = sync(&app, 1_500.0, Value::Null).await;
    let moved = &area[0].0;
    // Moved out in two steps: the first step's entry (from inside the area) is merged away.
    for lat in [HEXI.0 + 0.05, HEXI.0 + 0.06] {
        let current = data(&app.gql_as(&admin, VERSION, json!({ "id": moved })).await)["place"].clone();
        let to = json!({ "id": moved, "version": current["version"], "lat": lat, "lng": HEXI.1 });
        data(&app.gql_as(&admin, MOVE, to).await);
    }
    let removed = change_log::compact(&app.db).await.unwrap();
    assert!(removed >= 1, "compaction removed {removed} entries");
    let entries = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            format!(
                "SELECT COUNT(*) AS n FROM change_log WHERE place_id = {}",
                numeric_id(moved)
            ),
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(entries.try_get::<i64>("", "n").unwrap(), 1);
    let (delta, _) = sync(&app, 1_500.0, cursor).await;
    assert_eq!(delta.len(), 1, "{delta:?}");
    assert_eq!(
        (delta[0]["change"].as_str(), delta[0]["placeId"].as_str()),
        (Some("LEFT"), Some(moved.as_str()))
    );
}

#[tokio::test]
async fn delta_sync_never_reveals_drafts_and_refuses_empty_pages() {
    let app = TestApp::spawn().await;
    let (_, cursor) = sync(&app, 1_500.0, Value::Null).await;
    let merchant = app.token(Role::Merchant, "merchant-77");
    let create =
        "mutation C($input: CreatePlaceInput!) { createPlace(input: $input) { place { id version } } }";
    let input = json!({ "kind": "RIDER_CANTEEN", "name": "还没发布的食堂", "address": "新城街道草稿路1号",
        "location": { "lat": HEXI.0, "lng": HEXI.1 }, "openingHours": "24/7" });
    let created = app.gql_as(&merchant, create, json!({ "input": input })).await;
    let draft = data(&created)["createPlace"]["place"].clone();
    let to = json!({ "id": draft["id"], "version": draft["version"], "lat": HEXI.0 + 0.001, "lng": HEXI.1 });
    data(&app.gql_as(&merchant, MOVE, to).await);
    let (delta, _) = sync(&app, 1_500.0, cursor.clone()).await;
    assert!(
        delta.iter().all(|change| change["placeId"] != draft["id"]),
        "a draft leaked into delta sync: {delta:?}"
    );
    let empty = app
        .gql(
            SYNC,
            json!({ "lat": HEXI.0, "lng": HEXI.1, "meters": 1500.0, "after": cursor, "first": 0 }),
        )
        .await;
    assert_eq!(code(&empty), "BAD_USER_INPUT");
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
