//! Delta sync for offline apps: a download of an area, then only what changed, with
//! tombstones, across compaction.

use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use yizhan::{auth::Role, domain::change_log};

use crate::{
    changes::{HEXI, MOVE, SET_STATUS, SUSPEND, VERSION, around_hexi},
    helpers::{TestApp, code, data, numeric_id},
};

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

const SYNC: &str = "query Sync($lat: Float!, $lng: Float!, $meters: Float!, $after: String, $first: Int) {
  placeChanges(near: { lat: $lat, lng: $lng }, within: { meters: $meters }, after: $after, first: $first) {
    pageInfo { hasNextPage endCursor }
    edges { cursor node { change placeId position place { id name status { note } } } } } }";
