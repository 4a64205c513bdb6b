//! Offers and live status: validity windows, groups, expiry.

use serde_json::{Value, json};
use yizhan::auth::Role;

use crate::{
    helpers::{TestApp, code, data},
    listings::{
        AVAILABLE, CREATE_OFFER, DELETE_OFFER, OWNER_VIEW, PUBLIC_VIEW, SET_STATUS, UPDATE_OFFER, actions, ok,
    },
    writes::merchant_01_place,
};

#[tokio::test]
async fn offers_reach_workers_only_inside_their_window() {
    let app = TestApp::spawn().await;
    let (id, _) = merchant_01_place(&app).await;
    let owner = app.token(Role::Merchant, "merchant-01");
    let upcoming = json!({ "placeId": id, "title": "春节骑手红包", "validFrom": "2027-02-01T00:00:00Z", "validUntil": "2027-02-20T00:00:00Z" });
    let upcoming_id =
        ok(&app, &owner, CREATE_OFFER, json!({ "input": upcoming })).await["createOffer"]["offer"]["id"]
            .clone();
    let current = json!({ "placeId": id, "title": "免费热水", "validUntil": "2027-01-01T00:00:00Z" });
    let created = ok(&app, &owner, CREATE_OFFER, json!({ "input": current })).await;
    let current_id = created["createOffer"]["offer"]["id"].clone();
    assert_eq!(
        created["createOffer"]["offer"]["groups"],
        json!([]),
        "no groups means every worker"
    );

    let public = app.gql(PUBLIC_VIEW, json!({ "id": id })).await;
    let titles: Vec<&Value> = data(&public)["place"]["offers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|offer| &offer["title"])
        .collect();
    assert!(titles.contains(&&json!("免费热水")));
    assert!(
        !titles.contains(&&json!("春节骑手红包")),
        "an upcoming offer is not shown yet"
    );
    let owner_view = ok(&app, &owner, OWNER_VIEW, json!({ "id": id })).await;
    let owned: Vec<&Value> = owner_view["place"]["offers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|offer| &offer["id"])
        .collect();
    assert!(owned.contains(&&upcoming_id));

    let node = app
        .gql(
            "query N($id: ID!) { node(id: $id) { ... on Offer { title } } }",
            json!({ "id": current_id }),
        )
        .await;
    assert_eq!(data(&node)["node"]["title"], "免费热水");
    let node = app
        .gql(
            "query N($id: ID!) { node(id: $id) { ... on Offer { title } } }",
            json!({ "id": upcoming_id }),
        )
        .await;
    assert_eq!(data(&node)["node"], Value::Null);

    let stale = app
        .gql_as(
            &owner,
            UPDATE_OFFER,
            json!({ "input": { "id": current_id, "expectedVersion": 7, "title": "改过的标题" } }),
        )
        .await;
    assert_eq!(code(&stale), "CONFLICT");
    let updated = ok(
        &app,
        &owner,
        UPDATE_OFFER,
        json!({ "input": { "id": current_id, "expectedVersion": 1, "title": "免费热水和充电" } }),
    )
    .await;
    assert_eq!(updated["updateOffer"]["offer"]["version"], 2);

    for input in [
        json!({ "placeId": id, "title": "倒着的优惠", "validFrom": "2027-01-01T00:00:00Z", "validUntil": "2026-01-01T00:00:00Z" }),
        json!({ "placeId": id, "title": "太长的优惠", "validFrom": "2026-01-01T00:00:00Z", "validUntil": "2028-01-01T00:00:00Z" }),
        json!({ "placeId": id, "title": "x", "validUntil": "2027-01-01T00:00:00Z" }),
        json!({ "placeId": id, "title": "未知群体", "groups": ["PILOT"], "validUntil": "2027-01-01T00:00:00Z" }),
    ] {
        assert_eq!(
            code(&app.gql_as(&owner, CREATE_OFFER, json!({ "input": input })).await),
            "BAD_USER_INPUT"
        );
    }

    let deleted = ok(&app, &owner, DELETE_OFFER, json!({ "id": current_id })).await;
    assert_eq!(deleted["deleteOffer"]["deletedId"], current_id);
    assert_eq!(
        code(
            &app.gql_as(&owner, DELETE_OFFER, json!({ "id": current_id }))
                .await
        ),
        "NOT_FOUND"
    );
    let public = app.gql(PUBLIC_VIEW, json!({ "id": id })).await;
    assert!(
        !data(&public)["place"]["offers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|offer| offer["id"] == current_id)
    );
    let view = ok(&app, &owner, OWNER_VIEW, json!({ "id": id })).await;
    assert_eq!(
        actions(&view)[..4],
        ["OFFER_DELETED", "OFFER_UPDATED", "OFFER_CREATED", "OFFER_CREATED"]
    );
    let deletion = &view["place"]["history"]["edges"][0]["node"]["changes"];
    assert!(
        deletion
            .as_array()
            .unwrap()
            .contains(&json!({ "field": "offer.title", "oldValue": "免费热水和充电", "newValue": null }))
    );
}

#[tokio::test]
async fn an_expired_status_reads_as_null_and_no_longer_filters() {
    let app = TestApp::spawn().await;
    let (id, _) = merchant_01_place(&app).await;
    let owner = app.token(Role::Merchant, "merchant-01");
    let kinds = json!({ "kinds": ["FRIENDLY_MERCHANT"] });
    let before = ok(&app, &owner, AVAILABLE, kinds.clone()).await["places"]["totalCount"]
        .as_i64()
        .unwrap();
    let set = ok(
        &app,
        &owner,
        SET_STATUS,
        json!({ "input": { "id": id, "state": "FULL", "expiresInMinutes": 30 } }),
    )
    .await;
    let status = &set["setPlaceStatus"]["place"]["status"];
    assert_eq!(status["state"], "FULL");
    let expires = chrono::DateTime::parse_from_rfc3339(status["expiresAt"].as_str().unwrap()).unwrap();
    let updated = chrono::DateTime::parse_from_rfc3339(status["updatedAt"].as_str().unwrap()).unwrap();
    assert_eq!((expires - updated).num_minutes(), 30);
    assert_eq!(
        ok(&app, &owner, AVAILABLE, kinds.clone()).await["places"]["totalCount"],
        before - 1
    );

    // Time passes: the status's expiry is now behind us (written as another instance would).
    let expired = chrono::Utc::now() - chrono::Duration::minutes(1);
    let sql = format!(
        "UPDATE places SET status_expires_at = '{}', updated_at = '{}' WHERE owner_subject = 'merchant-01'",
        expired.to_rfc3339(),
        chrono::Utc::now().to_rfc3339()
    );
    app.write_as_another_instance(&sql, &[id.as_str().unwrap()]).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let public = app.gql(PUBLIC_VIEW, json!({ "id": id })).await;
        if data(&public)["place"]["status"].is_null() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the expired status still shows: {public}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        ok(&app, &owner, AVAILABLE, kinds).await["places"]["totalCount"],
        before
    );

    for input in [
        json!({ "id": id, "state": "OPEN", "expiresInMinutes": 481 }),
        json!({ "id": id, "state": "OPEN", "expiresInMinutes": 0 }),
        json!({ "id": id, "state": "OPEN", "seatsFree": -1 }),
        json!({ "id": id, "state": "OPEN", "note": "长".repeat(201) }),
        json!({ "id": id, "state": "PARTY" }),
    ] {
        assert_eq!(
            code(&app.gql_as(&owner, SET_STATUS, json!({ "input": input })).await),
            "BAD_USER_INPUT"
        );
    }
}
