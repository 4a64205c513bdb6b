//! The partners' side: lifecycle, edits that need review, offers, live status, history.

use entity::place::WorkerGroup;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use yizhan::auth::Role;

use crate::{
    helpers::{TestApp, code, data},
    writes::{CREATE, UPDATE, canteen, merchant_01_place},
};

const SUBMIT: &str =
    "mutation S($id: ID!) { submitPlace(input: { id: $id }) { place { id publication version } } }";
const APPROVE: &str =
    "mutation A($id: ID!) { approvePlace(input: { id: $id }) { place { id publication reviewNote } } }";
const REJECT: &str = "mutation R($id: ID!, $reason: String!) { rejectPlace(input: { id: $id, reason: $reason }) { place { id publication reviewNote } } }";
const SUSPEND: &str = "mutation P($id: ID!, $reason: String!) { suspendPlace(input: { id: $id, reason: $reason }) { place { id publication } } }";
const QUEUE: &str = "query Q($first: Int, $after: String) { reviewQueue(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id name } } } }";
pub(crate) const OWNER_VIEW: &str = "query O($id: ID!) { place(id: $id) { id publication reviewNote version
  status { state seatsFree note expiresAt }
  offers(includeUpcoming: true) { id title }
  history(first: 50) { totalCount edges { node { action actorSubject actorRole reason changes { field oldValue newValue } } } } } }";
pub(crate) const PUBLIC_VIEW: &str = "query P($id: ID!) { place(id: $id) { id name publication status { state seatsFree note } offers { id title groups forMe validUntil } } }";
pub(crate) const CREATE_OFFER: &str = "mutation C($input: CreateOfferInput!) { createOffer(input: $input) { offer { id title groups forMe validFrom validUntil version } } }";
pub(crate) const UPDATE_OFFER: &str =
    "mutation U($input: UpdateOfferInput!) { updateOffer(input: $input) { offer { id title version } } }";
pub(crate) const DELETE_OFFER: &str =
    "mutation D($id: ID!) { deleteOffer(input: { id: $id }) { deletedId } }";
pub(crate) const SET_STATUS: &str = "mutation St($input: SetPlaceStatusInput!) { setPlaceStatus(input: $input) { place { id version status { state seatsFree note updatedAt expiresAt } } } }";
pub(crate) const AVAILABLE: &str = "query Av($kinds: [PlaceKind!]!) { places(first: 100, filter: { kinds: $kinds, available: true }) { totalCount edges { node { id } } } }";

struct Actors {
    merchant: String,
    admin: String,
}

fn actors(app: &TestApp) -> Actors {
    Actors {
        merchant: app.token(Role::Merchant, "merchant-new"),
        admin: app.token(Role::Admin, "city-admin"),
    }
}

pub(crate) async fn ok(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    let body = app.gql_as(token, query, variables).await;
    data(&body).clone()
}

pub(crate) fn actions(view: &Value) -> Vec<String> {
    view["place"]["history"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"]["action"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_merchant_takes_a_listing_from_draft_to_published_with_a_perk_and_a_live_status() {
    let app = TestApp::spawn().await;
    let Actors { merchant, admin } = actors(&app);
    let created = ok(&app, &merchant, CREATE, json!({ "input": canteen() })).await;
    let id = created["createPlace"]["place"]["id"].clone();

    let submitted = ok(&app, &merchant, SUBMIT, json!({ "id": id })).await;
    assert_eq!(submitted["submitPlace"]["place"]["publication"], "PENDING_REVIEW");
    let queue = ok(&app, &admin, QUEUE, json!({})).await;
    assert_eq!(queue["reviewQueue"]["totalCount"], 1);
    assert_eq!(queue["reviewQueue"]["edges"][0]["node"]["id"], id);

    let rejected = ok(
        &app,
        &admin,
        REJECT,
        json!({ "id": id, "reason": "请补充门头照片" }),
    )
    .await;
    assert_eq!(rejected["rejectPlace"]["place"]["publication"], "REJECTED");
    let view = ok(&app, &merchant, OWNER_VIEW, json!({ "id": id })).await;
    assert_eq!(view["place"]["reviewNote"], "请补充门头照片");
    assert_eq!(
        data(&app.gql(PUBLIC_VIEW, json!({ "id": id })).await)["place"],
        Value::Null
    );

    ok(&app, &merchant, SUBMIT, json!({ "id": id })).await;
    let approved = ok(&app, &admin, APPROVE, json!({ "id": id })).await;
    assert_eq!(approved["approvePlace"]["place"]["publication"], "PUBLISHED");
    assert_eq!(approved["approvePlace"]["place"]["reviewNote"], Value::Null);
    let public = app.gql(PUBLIC_VIEW, json!({ "id": id })).await;
    assert_eq!(data(&public)["place"]["name"], "老王骑手食堂");
    let total = app.gql("{ places(first: 0) { totalCount } }", json!({})).await;
    assert_eq!(data(&total)["places"]["totalCount"], 181);

    let offer = json!({ "placeId": id, "title": "骑手套餐立减5元", "description": "出示工作证", "groups": ["DELIVERY_RIDER"], "validUntil": "2027-06-01T00:00:00Z" });
    let created_offer = ok(&app, &merchant, CREATE_OFFER, json!({ "input": offer })).await;
    assert_eq!(created_offer["createOffer"]["offer"]["version"], 1);
    let status = json!({ "id": id, "state": "BUSY", "seatsFree": 3, "note": "热水已备好" });
    let set = ok(&app, &merchant, SET_STATUS, json!({ "input": status })).await;
    let version_after_status = set["setPlaceStatus"]["place"]["version"].clone();
    assert_eq!(set["setPlaceStatus"]["place"]["status"]["seatsFree"], 3);

    let rider = app.worker_token("rider-9", WorkerGroup::DeliveryRider);
    let seen = ok(&app, &rider, PUBLIC_VIEW, json!({ "id": id })).await;
    assert_eq!(
        seen["place"]["status"],
        json!({ "state": "BUSY", "seatsFree": 3, "note": "热水已备好" })
    );
    assert_eq!(seen["place"]["offers"][0]["title"], "骑手套餐立减5元");
    assert_eq!(seen["place"]["offers"][0]["forMe"], true);
    let courier = app.worker_token("courier-9", WorkerGroup::Courier);
    let seen = ok(&app, &courier, PUBLIC_VIEW, json!({ "id": id })).await;
    assert_eq!(seen["place"]["offers"][0]["forMe"], false);

    // The live status does not bump the listing's version: edits in flight stay valid.
    assert_eq!(version_after_status, approved_version(&app, &merchant, &id).await);
    let view = ok(&app, &merchant, OWNER_VIEW, json!({ "id": id })).await;
    assert_eq!(
        actions(&view),
        [
            "STATUS_SET",
            "OFFER_CREATED",
            "APPROVED",
            "SUBMITTED",
            "REJECTED",
            "SUBMITTED",
            "CREATED"
        ]
    );
    let rejected_entry = &view["place"]["history"]["edges"][4]["node"];
    assert_eq!(rejected_entry["actorSubject"], "city-admin");
    assert_eq!(rejected_entry["actorRole"], "admin");
    assert_eq!(rejected_entry["reason"], "请补充门头照片");
    assert!(
        rejected_entry["changes"].as_array().unwrap().contains(
            &json!({ "field": "publication", "oldValue": "PENDING_REVIEW", "newValue": "REJECTED" })
        ),
        "{rejected_entry}"
    );
}

async fn approved_version(app: &TestApp, token: &str, id: &Value) -> Value {
    ok(app, token, OWNER_VIEW, json!({ "id": id })).await["place"]["version"].clone()
}

#[tokio::test]
async fn illegal_transitions_name_the_current_state_and_change_nothing() {
    let app = TestApp::spawn().await;
    let Actors { merchant, admin } = actors(&app);
    let id = ok(&app, &merchant, CREATE, json!({ "input": canteen() })).await["createPlace"]["place"]["id"]
        .clone();
    for (token, query, variables, state) in [
        (&admin, APPROVE, json!({ "id": id }), "DRAFT"),
        (&admin, REJECT, json!({ "id": id, "reason": "不合格" }), "DRAFT"),
        (&admin, SUSPEND, json!({ "id": id, "reason": "投诉" }), "DRAFT"),
    ] {
        let body = app.gql_as(token, query, variables).await;
        assert_eq!(code(&body), "BAD_USER_INPUT");
        assert!(
            body["errors"][0]["message"].as_str().unwrap().contains(state),
            "{body}"
        );
    }
    ok(&app, &merchant, SUBMIT, json!({ "id": id })).await;
    let body = app.gql_as(&merchant, SUBMIT, json!({ "id": id })).await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("PENDING_REVIEW"),
        "{body}"
    );
    let body = app
        .gql_as(&admin, SUSPEND, json!({ "id": id, "reason": "投诉" }))
        .await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("PENDING_REVIEW"),
        "{body}"
    );
    ok(&app, &admin, APPROVE, json!({ "id": id })).await;
    for (token, query, variables) in [
        (&merchant, SUBMIT, json!({ "id": id })),
        (&admin, APPROVE, json!({ "id": id })),
        (&admin, REJECT, json!({ "id": id, "reason": "不合格" })),
    ] {
        let body = app.gql_as(token, query, variables).await;
        assert_eq!(code(&body), "BAD_USER_INPUT");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("PUBLISHED"),
            "{body}"
        );
    }
    let body = app
        .gql_as(&admin, SUSPEND, json!({ "id": id, "reason": "" }))
        .await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "a suspension needs a reason");
    let view = ok(&app, &merchant, OWNER_VIEW, json!({ "id": id })).await;
    assert_eq!(view["place"]["publication"], "PUBLISHED");
    assert_eq!(
        actions(&view),
        ["APPROVED", "SUBMITTED", "CREATED"],
        "refused transitions leave no history"
    );

    let suspended = ok(
        &app,
        &admin,
        SUSPEND,
        json!({ "id": id, "reason": "食品安全投诉核实中" }),
    )
    .await;
    assert_eq!(suspended["suspendPlace"]["place"]["publication"], "SUSPENDED");
    assert_eq!(
        data(&app.gql(PUBLIC_VIEW, json!({ "id": id })).await)["place"],
        Value::Null
    );
    let view = ok(&app, &merchant, OWNER_VIEW, json!({ "id": id })).await;
    assert_eq!(view["place"]["reviewNote"], "食品安全投诉核实中");
}

#[tokio::test]
async fn the_review_queue_is_oldest_first_and_pages() {
    let app = TestApp::spawn().await;
    let Actors { merchant, admin } = actors(&app);
    let mut submitted = Vec::new();
    for n in 0..5 {
        let mut input = canteen();
        input["name"] = json!(format!("排队食堂{n}"));
        let id = ok(&app, &merchant, CREATE, json!({ "input": input })).await["createPlace"]["place"]["id"]
            .clone();
        ok(&app, &merchant, SUBMIT, json!({ "id": id })).await;
        submitted.push(id);
    }
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = ok(&app, &admin, QUEUE, json!({ "first": 2, "after": after })).await;
        assert_eq!(page["reviewQueue"]["totalCount"], 5);
        seen.extend(
            page["reviewQueue"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|edge| edge["node"]["id"].clone()),
        );
        if page["reviewQueue"]["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = page["reviewQueue"]["pageInfo"]["endCursor"]
            .as_str()
            .map(str::to_owned);
    }
    assert_eq!(seen, submitted);
}

#[tokio::test]
async fn moving_a_published_place_far_or_changing_its_kind_sends_it_back_to_review() {
    let app = TestApp::spawn().await;
    let (id, version) = merchant_01_place(&app).await;
    let owner = app.token(Role::Merchant, "merchant-01");
    let input =
        json!({ "id": id, "expectedVersion": version, "location": { "lat": 36.2301, "lng": 116.8201 } });
    let body = ok(&app, &owner, UPDATE, json!({ "input": input })).await;
    assert_eq!(body["updatePlace"]["place"]["version"], version + 1);
    let view = ok(&app, &owner, OWNER_VIEW, json!({ "id": id })).await;
    assert_eq!(view["place"]["publication"], "PENDING_REVIEW");
    assert!(
        view["place"]["history"]["edges"][0]["node"]["reason"]
            .as_str()
            .unwrap()
            .contains("back to review")
    );
    assert_eq!(
        data(&app.gql(PUBLIC_VIEW, json!({ "id": id })).await)["place"],
        Value::Null
    );

    let admin = app.token(Role::Admin, "city-admin");
    ok(&app, &admin, APPROVE, json!({ "id": id })).await;
    let version = approved_version(&app, &owner, &id).await.as_i64().unwrap();
    let input = json!({ "id": id, "expectedVersion": version, "kind": "RIDER_CANTEEN" });
    ok(&app, &owner, UPDATE, json!({ "input": input })).await;
    let view = ok(&app, &owner, OWNER_VIEW, json!({ "id": id })).await;
    assert_eq!(view["place"]["publication"], "PENDING_REVIEW");
}

#[tokio::test]
async fn history_records_each_edit_with_old_and_new_values() {
    let app = TestApp::spawn().await;
    let (id, version) = merchant_01_place(&app).await;
    let owner = app.token(Role::Merchant, "merchant-01");
    let input =
        json!({ "id": id, "expectedVersion": version, "name": "新名字便利店", "phone": "0538-3000000" });
    ok(&app, &owner, UPDATE, json!({ "input": input })).await;
    let stale = json!({ "id": id, "expectedVersion": version, "name": "不会写入" });
    assert_eq!(
        code(&app.gql_as(&owner, UPDATE, json!({ "input": stale })).await),
        "CONFLICT"
    );
    let view = ok(&app, &owner, OWNER_VIEW, json!({ "id": id })).await;
    assert_eq!(
        view["place"]["history"]["totalCount"], 1,
        "the conflict wrote nothing"
    );
    let entry = &view["place"]["history"]["edges"][0]["node"];
    assert_eq!(entry["action"], "UPDATED");
    assert_eq!(entry["actorSubject"], "merchant-01");
    let changes = entry["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 2, "{changes:?}");
    assert!(changes.contains(
        &json!({ "field": "name", "oldValue": "王记惠民便利店(文化路店)", "newValue": "新名字便利店" })
    ));
    assert!(
        changes
            .iter()
            .any(|change| change["field"] == "phone" && change["newValue"] == "0538-3000000")
    );
}

#[tokio::test]
async fn places_outside_the_service_area_are_refused() {
    let app = TestApp::spawn_with(&[("YIZHAN_SERVICE_AREA", "35.9,116.4,36.4,117.1")]).await;
    let merchant = app.token(Role::Merchant, "merchant-new");
    let mut input = canteen();
    input["location"] = json!({ "lat": 39.9, "lng": 116.4 });
    let body = app.gql_as(&merchant, CREATE, json!({ "input": input })).await;
    assert_eq!(code(&body), "BAD_USER_INPUT");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("service area")
    );
    assert!(
        data(&app.gql_as(&merchant, CREATE, json!({ "input": canteen() })).await)["createPlace"].is_object()
    );
}

#[tokio::test]
async fn a_failure_inside_a_change_rolls_it_back_and_leaks_no_internals() {
    let app = TestApp::spawn().await;
    let (id, _) = merchant_01_place(&app).await;
    let owner = app.token(Role::Merchant, "merchant-01");
    // The history table disappears: the change's second write fails inside its transaction.
    app.db
        .execute_unprepared("DROP TABLE place_history")
        .await
        .unwrap();
    let (_, headers, body) = app
        .send(
            Some(&owner),
            SET_STATUS,
            json!({ "input": { "id": id, "state": "FULL" } }),
        )
        .await;
    assert_eq!(code(&body), "INTERNAL");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("x-request-id"), "{message}");
    assert!(
        !message.to_lowercase().contains("place_history") && !message.contains("SQL"),
        "{message}"
    );
    assert!(headers.contains_key("x-request-id"));
    let public = app.gql(PUBLIC_VIEW, json!({ "id": id })).await;
    assert_eq!(data(&public)["place"]["status"], Value::Null);
    let statement = sea_orm::Statement::from_string(
        app.db.get_database_backend(),
        "SELECT COUNT(*) AS written FROM places WHERE status_state IS NOT NULL",
    );
    let row = app.db.query_one_raw(statement).await.unwrap().unwrap();
    assert_eq!(
        row.try_get::<i64>("", "written").unwrap(),
        0,
        "the status write was rolled back"
    );
}
