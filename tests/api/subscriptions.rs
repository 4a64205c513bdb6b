//! Subscriptions: placeChanged across instances, placeUpdated and drafts, token expiry.

use std::time::Duration;

use sea_orm::ConnectionTrait;
use serde_json::json;
use yizhan::auth::Role;

use crate::{
    changes::{APPROVE, HEXI, MOVE, PLACE_CHANGED, PLACE_UPDATED, SET_STATUS, SUSPEND, VERSION, around_hexi},
    helpers::{TestApp, data, numeric_id},
    ws,
};

#[tokio::test]
async fn a_subscriber_on_the_second_instance_hears_of_changes_made_on_the_first() {
    let first = TestApp::spawn().await;
    let second = first.spawn_process_sharing().await;
    let admin = first.token(Role::Admin, "admin-1");
    let places = around_hexi(&first, 800.0).await;
    let (updated, suspended, moved) = (&places[0].0, &places[1].0, &places[2].0);
    let mut socket = ws::acknowledged(&second.address, None).await;
    let area = json!({ "lat": HEXI.0, "lng": HEXI.1, "meters": 1_000.0 });
    ws::subscribe(&mut socket, "area", PLACE_CHANGED, area).await;
    // The subscription is registered once the server has read it; a write before that is
    // not a change this subscriber could have heard of.
    tokio::time::sleep(Duration::from_millis(300)).await;

    data(
        &first
            .gql_as(&admin, SET_STATUS, json!({ "id": updated, "note": "热水已备好" }))
            .await,
    );
    let change = ws::message(&mut socket).await;
    assert_eq!(change["id"], "area");
    let change = &change["payload"]["data"]["placeChanged"];
    assert_eq!(change["change"], "UPDATED", "{change}");
    assert_eq!(&change["placeId"], updated);
    assert_eq!(change["place"]["status"]["note"], "热水已备好");
    let first_position: i64 = change["position"].as_str().unwrap().parse().unwrap();

    data(&first.gql_as(&admin, SUSPEND, json!({ "id": suspended })).await);
    let change = ws::message(&mut socket).await;
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
    let change = ws::message(&mut socket).await;
    let change = &change["payload"]["data"]["placeChanged"];
    assert_eq!(
        (change["change"].as_str(), change["placeId"].as_str()),
        (Some("LEFT"), Some(moved.as_str()))
    );

    // Reinstating the suspended place brings it back.
    data(&first.gql_as(&admin, APPROVE, json!({ "id": suspended })).await);
    let change = ws::message(&mut socket).await;
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
    let mut socket = ws::acknowledged(&app.address, None).await;
    ws::subscribe(&mut socket, "one", PLACE_UPDATED, json!({ "id": id })).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    data(
        &app.gql_as(&admin, SET_STATUS, json!({ "id": id, "note": "座位充足" }))
            .await,
    );
    let change = ws::message(&mut socket).await;
    assert_eq!(change["payload"]["data"]["placeUpdated"]["change"], "UPDATED");
    assert_eq!(
        change["payload"]["data"]["placeUpdated"]["place"]["status"]["note"],
        "座位充足"
    );
    data(&app.gql_as(&admin, SUSPEND, json!({ "id": id })).await);
    let change = ws::message(&mut socket).await;
    assert_eq!(change["payload"]["data"]["placeUpdated"]["change"], "LEFT");
    assert!(change["payload"]["data"]["placeUpdated"]["place"].is_null());

    // A suspended place is not visible to the public: subscribing to it is NOT_FOUND.
    ws::subscribe(&mut socket, "hidden", PLACE_UPDATED, json!({ "id": id })).await;
    let refused = ws::message(&mut socket).await;
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
    let mut owner_socket = ws::acknowledged(&app.address, Some(&owner)).await;
    ws::subscribe(&mut owner_socket, "mine", PLACE_UPDATED, json!({ "id": id })).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    data(&app.gql_as(&admin, APPROVE, json!({ "id": id })).await);
    let change = ws::message(&mut owner_socket).await;
    assert_eq!(change["payload"]["data"]["placeUpdated"]["change"], "UPDATED");
    // The public subscriber sees the place come back.
    let change = loop {
        let message = ws::message(&mut socket).await;
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
    let mut socket = ws::acknowledged(&app.address, Some(&token)).await;
    let area = json!({ "lat": HEXI.0, "lng": HEXI.1, "meters": 500.0 });
    ws::subscribe(&mut socket, "area", PLACE_CHANGED, area).await;
    let ended = ws::message(&mut socket).await;
    assert_eq!(ended["id"], "area");
    assert_eq!(ended["type"], "next", "{ended}");
    assert_eq!(
        ended["payload"]["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
    assert_eq!(ws::message(&mut socket).await["type"], "complete");
}
