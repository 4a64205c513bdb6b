//! What a merchant portal needs beyond the journey: withdraw, delete and appeal, versions
//! that move only when something changed, a CONFLICT that says the current version, live
//! status tied to publication, every offer in one list, and a review queue that pushes.

use std::time::Duration;

use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use yizhan::auth::Role;

use crate::{
    helpers::{TestApp, code, data, numeric_id},
    writes::{CREATE, UPDATE, canteen, merchant_01_place},
    ws,
};

const VIEW: &str = "query V($id: ID!) { place(id: $id) { id publication version submittedAt reviewNote
    status { state } history { totalCount edges { node { action reason changes { field oldValue newValue } } } } } }";
const SUBMIT: &str =
    "mutation S($id: ID!) { submitPlace(input: { id: $id }) { place { publication version } } }";
const APPROVE: &str = "mutation A($id: ID!) { approvePlace(input: { id: $id }) { place { publication } } }";
const SUSPEND: &str = "mutation P($id: ID!) { suspendPlace(input: { id: $id, reason: \"投诉核实中\" }) { place { publication } } }";
const WITHDRAW: &str =
    "mutation W($id: ID!) { withdrawPlace(input: { id: $id }) { place { publication version } } }";
const APPEAL: &str = "mutation A($id: ID!, $note: String!) { appealPlace(input: { id: $id, note: $note }) {
    place { publication submittedAt } } }";
const DELETE: &str = "mutation D($id: ID!) { deletePlace(input: { id: $id }) { deletedId } }";
const STATUS: &str = "mutation St($id: ID!) { setPlaceStatus(input: { id: $id, state: BUSY }) { place { status { state } } } }";

fn merchant(app: &TestApp) -> String {
    app.token(Role::Merchant, "merchant-01")
}

fn admin(app: &TestApp) -> String {
    app.token(Role::Admin, "city-admin")
}

async fn ok(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    let body = app.gql_as(token, query, variables).await;
    assert!(body.get("errors").is_none(), "{body}");
    data(&body).clone()
}

async fn view(app: &TestApp, id: &Value) -> Value {
    ok(app, &merchant(app), VIEW, json!({ "id": id })).await["place"].clone()
}

async fn draft(app: &TestApp) -> Value {
    ok(app, &merchant(app), CREATE, json!({ "input": canteen() })).await["createPlace"]["place"]["id"].clone()
}

#[tokio::test]
async fn an_owner_withdraws_from_review_and_only_from_review() {
    let app = TestApp::spawn().await;
    let id = draft(&app).await;
    let refused = app.gql_as(&merchant(&app), WITHDRAW, json!({ "id": id })).await;
    assert_eq!(code(&refused), "BAD_USER_INPUT", "{refused}");
    ok(&app, &merchant(&app), SUBMIT, json!({ "id": id })).await;
    let other = app
        .gql_as(
            &app.token(Role::Merchant, "merchant-02"),
            WITHDRAW,
            json!({ "id": id }),
        )
        .await;
    assert_eq!(code(&other), "NOT_FOUND", "{other}");
    let withdrawn = ok(&app, &merchant(&app), WITHDRAW, json!({ "id": id })).await;
    assert_eq!(withdrawn["withdrawPlace"]["place"]["publication"], "DRAFT");
    let place = view(&app, &id).await;
    assert_eq!(place["history"]["edges"][0]["node"]["action"], "WITHDRAWN");
    let queue = ok(&app, &admin(&app), "{ reviewQueue { totalCount } }", json!({})).await;
    assert_eq!(queue["reviewQueue"]["totalCount"], 0);
}

#[tokio::test]
async fn a_never_published_draft_is_deleted_from_every_list_and_its_history_stays() {
    let app = TestApp::spawn().await;
    let id = draft(&app).await;
    let mine = "{ me { places(first: 100) { totalCount } } }";
    let before = ok(&app, &merchant(&app), mine, json!({})).await["me"]["places"]["totalCount"].clone();
    let deleted = ok(&app, &merchant(&app), DELETE, json!({ "id": id })).await;
    assert_eq!(deleted["deletePlace"]["deletedId"], id);
    let after = ok(&app, &merchant(&app), mine, json!({})).await["me"]["places"]["totalCount"].clone();
    assert_eq!(after.as_i64().unwrap(), before.as_i64().unwrap() - 1);
    for token in [merchant(&app), admin(&app)] {
        let place = ok(
            &app,
            &token,
            "query P($id: ID!) { place(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
        assert!(place["place"].is_null(), "{place}");
    }
    let again = app.gql_as(&merchant(&app), DELETE, json!({ "id": id })).await;
    assert_eq!(code(&again), "NOT_FOUND", "{again}");
    let entries = app
        .db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            format!(
                "SELECT COUNT(*) AS n FROM place_history WHERE place_id = {} AND action = 'DELETED'",
                numeric_id(id.as_str().unwrap())
            ),
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(entries.try_get::<i64>("", "n").unwrap(), 1);
}

#[tokio::test]
async fn a_place_riders_have_seen_cannot_be_deleted_nor_a_pending_one() {
    let app = TestApp::spawn().await;
    let pending = draft(&app).await;
    ok(&app, &merchant(&app), SUBMIT, json!({ "id": pending })).await;
    let refused = app
        .gql_as(&merchant(&app), DELETE, json!({ "id": pending }))
        .await;
    assert_eq!(code(&refused), "BAD_USER_INPUT", "{refused}");
    // A seeded, published place moved far goes back to review; withdrawn, it is a DRAFT
    // that riders have seen.
    let (seeded, version) = merchant_01_place(&app).await;
    let moved = json!({ "input": { "id": seeded, "expectedVersion": version,
        "location": { "lat": 36.2101, "lng": 116.7912 } } });
    ok(&app, &merchant(&app), UPDATE, moved).await;
    ok(&app, &merchant(&app), WITHDRAW, json!({ "id": seeded })).await;
    let refused = app.gql_as(&merchant(&app), DELETE, json!({ "id": seeded })).await;
    assert_eq!(code(&refused), "BAD_USER_INPUT", "{refused}");
    assert!(
        refused["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("published before")
    );
    assert_eq!(view(&app, &seeded).await["publication"], "DRAFT");
}

#[tokio::test]
async fn a_suspended_owner_appeals_with_a_note_reviewers_read_and_the_queue_gets_it() {
    let app = TestApp::spawn().await;
    let id = draft(&app).await;
    ok(&app, &merchant(&app), SUBMIT, json!({ "id": id })).await;
    ok(&app, &admin(&app), APPROVE, json!({ "id": id })).await;
    let early = app
        .gql_as(&merchant(&app), APPEAL, json!({ "id": id, "note": "已整改" }))
        .await;
    assert_eq!(code(&early), "BAD_USER_INPUT", "{early}");
    ok(&app, &admin(&app), SUSPEND, json!({ "id": id })).await;
    let blank = app
        .gql_as(&merchant(&app), APPEAL, json!({ "id": id, "note": " " }))
        .await;
    assert_eq!(code(&blank), "BAD_USER_INPUT", "{blank}");
    let appealed = ok(
        &app,
        &merchant(&app),
        APPEAL,
        json!({ "id": id, "note": "已补充门头照片并更正营业时间" }),
    )
    .await;
    assert_eq!(appealed["appealPlace"]["place"]["publication"], "PENDING_REVIEW");
    assert!(appealed["appealPlace"]["place"]["submittedAt"].is_string());
    let entry = view(&app, &id).await["history"]["edges"][0]["node"].clone();
    assert_eq!(entry["action"], "APPEALED");
    assert_eq!(entry["reason"], "已补充门头照片并更正营业时间");
    let queue = ok(
        &app,
        &admin(&app),
        "{ reviewQueue { edges { node { id submittedAt } } } }",
        json!({}),
    )
    .await;
    assert_eq!(queue["reviewQueue"]["edges"][0]["node"]["id"], id);
}

#[tokio::test]
async fn an_edit_that_changes_nothing_keeps_the_version_and_a_stale_one_names_the_current() {
    let app = TestApp::spawn().await;
    let (id, version) = merchant_01_place(&app).await;
    let history = view(&app, &id).await["history"]["totalCount"].clone();
    let current_name = ok(
        &app,
        &merchant(&app),
        "query P($id: ID!) { place(id: $id) { name } }",
        json!({ "id": id }),
    )
    .await["place"]["name"]
        .clone();
    let same = json!({ "input": { "id": id, "expectedVersion": version, "name": current_name } });
    let answer = ok(&app, &merchant(&app), UPDATE, same).await;
    assert_eq!(answer["updatePlace"]["place"]["version"], version);
    assert_eq!(view(&app, &id).await["history"]["totalCount"], history);
    let changed = json!({ "input": { "id": id, "expectedVersion": version, "name": "改名后的店" } });
    ok(&app, &merchant(&app), UPDATE, changed).await;
    let stale = json!({ "input": { "id": id, "expectedVersion": version, "name": "另一个名字" } });
    let conflict = app.gql_as(&merchant(&app), UPDATE, stale).await;
    assert_eq!(code(&conflict), "CONFLICT", "{conflict}");
    assert_eq!(
        conflict["errors"][0]["extensions"]["currentVersion"],
        version + 1,
        "{conflict}"
    );
    // Even an edit that would change nothing is refused when made from an old version.
    let stale_same = json!({ "input": { "id": id, "expectedVersion": version, "name": "改名后的店" } });
    let conflict = app.gql_as(&merchant(&app), UPDATE, stale_same).await;
    assert_eq!(code(&conflict), "CONFLICT", "{conflict}");
}

#[tokio::test]
async fn offer_history_names_the_offer_by_its_id_and_an_unchanged_offer_keeps_its_version() {
    let app = TestApp::spawn().await;
    let (place, _) = merchant_01_place(&app).await;
    let create =
        "mutation C($input: CreateOfferInput!) { createOffer(input: $input) { offer { id version } } }";
    let input = json!({ "placeId": place, "title": "免费热水", "validUntil": "2027-06-01T00:00:00Z" });
    let offer =
        ok(&app, &merchant(&app), create, json!({ "input": input })).await["createOffer"]["offer"].clone();
    let update = "mutation U($input: UpdateOfferInput!) { updateOffer(input: $input) { offer { version } } }";
    let same = json!({ "input": { "id": offer["id"], "title": "免费热水", "expectedVersion": 1 } });
    let answer = ok(&app, &merchant(&app), update, same).await;
    assert_eq!(answer["updateOffer"]["offer"]["version"], 1);
    let renamed = json!({ "input": { "id": offer["id"], "title": "免费热水和充电", "expectedVersion": 1 } });
    ok(&app, &merchant(&app), update, renamed).await;
    let stale = json!({ "input": { "id": offer["id"], "title": "又改了", "expectedVersion": 1 } });
    let conflict = app.gql_as(&merchant(&app), update, stale).await;
    assert_eq!(
        conflict["errors"][0]["extensions"]["currentVersion"], 2,
        "{conflict}"
    );
    let entries = view(&app, &place).await["history"]["edges"].clone();
    let actions: Vec<&str> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"]["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions[..2], ["OFFER_UPDATED", "OFFER_CREATED"], "{entries}");
    for edge in &entries.as_array().unwrap()[..2] {
        let named = edge["node"]["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|change| change["field"] == "offer.id")
            .unwrap_or_else(|| panic!("no offer.id in {edge}"));
        assert_eq!(named["newValue"], offer["id"], "{edge}");
    }
}

#[tokio::test]
async fn a_creation_entry_lists_new_values_only() {
    let app = TestApp::spawn().await;
    let id = draft(&app).await;
    let entry = view(&app, &id).await["history"]["edges"][0]["node"].clone();
    assert_eq!(entry["action"], "CREATED");
    let changes = entry["changes"].as_array().unwrap();
    assert!(
        changes
            .iter()
            .any(|change| change["field"] == "name" && change["newValue"] == "老王骑手食堂")
    );
    assert!(
        changes.iter().all(|change| change["oldValue"].is_null()),
        "{entry}"
    );
}

#[tokio::test]
async fn a_live_status_belongs_to_a_published_place_and_goes_when_it_is_taken_down() {
    let app = TestApp::spawn().await;
    let id = draft(&app).await;
    let refused = app.gql_as(&merchant(&app), STATUS, json!({ "id": id })).await;
    assert_eq!(code(&refused), "BAD_USER_INPUT", "{refused}");
    ok(&app, &merchant(&app), SUBMIT, json!({ "id": id })).await;
    ok(&app, &admin(&app), APPROVE, json!({ "id": id })).await;
    let set = ok(&app, &merchant(&app), STATUS, json!({ "id": id })).await;
    assert_eq!(set["setPlaceStatus"]["place"]["status"]["state"], "BUSY");
    ok(&app, &admin(&app), SUSPEND, json!({ "id": id })).await;
    assert!(view(&app, &id).await["status"].is_null());
    ok(&app, &admin(&app), APPROVE, json!({ "id": id })).await;
    let public = app
        .gql(
            "query P($id: ID!) { place(id: $id) { publication status { state } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(data(&public)["place"]["publication"], "PUBLISHED");
    assert!(data(&public)["place"]["status"].is_null(), "{public}");
}

#[tokio::test]
async fn me_offers_lists_the_offers_of_every_place_an_account_owns() {
    let app = TestApp::spawn().await;
    let query = "query O($after: String) { me { offers(first: 1, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } edges { node { id title } } } } }";
    // community-01 owns stations without offers; a merchant with a canteen has one.
    let (place, _) = merchant_01_place(&app).await;
    let create = "mutation C($input: CreateOfferInput!) { createOffer(input: $input) { offer { id } } }";
    for title in ["第一个优惠", "第二个优惠"] {
        let input = json!({ "placeId": place, "title": title, "validUntil": "2027-06-01T00:00:00Z" });
        ok(&app, &merchant(&app), create, json!({ "input": input })).await;
    }
    let first = ok(&app, &merchant(&app), query, json!({})).await["me"]["offers"].clone();
    let total = first["totalCount"].as_i64().unwrap();
    assert!(total >= 2, "{first}");
    let mut seen = vec![first["edges"][0]["node"]["id"].clone()];
    let mut after = first["pageInfo"]["endCursor"].clone();
    while !after.is_null() {
        let page = ok(&app, &merchant(&app), query, json!({ "after": after })).await["me"]["offers"].clone();
        seen.extend(
            page["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|edge| edge["node"]["id"].clone()),
        );
        after = if page["pageInfo"]["hasNextPage"] == true {
            page["pageInfo"]["endCursor"].clone()
        } else {
            Value::Null
        };
    }
    assert_eq!(seen.len() as i64, total);
    let other = ok(&app, &app.token(Role::Merchant, "merchant-02"), query, json!({})).await;
    let theirs: Vec<Value> = other["me"]["offers"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].clone())
        .collect();
    assert!(theirs.iter().all(|id| !seen[1..].contains(id)), "{other}");
}

#[tokio::test]
async fn the_review_queue_pushes_entries_and_departures_to_admins_only() {
    let app = TestApp::spawn().await;
    let subscription = "subscription { reviewQueueChanged { change placeId place { publication } } }";
    let mut refused = ws::acknowledged(&app.address, Some(&merchant(&app))).await;
    ws::subscribe(&mut refused, "q", subscription, json!({})).await;
    let answer = ws::message(&mut refused).await;
    let errors = match answer["type"].as_str() {
        Some("next") => &answer["payload"]["errors"],
        _ => &answer["payload"],
    };
    assert_eq!(errors[0]["extensions"]["code"], "FORBIDDEN", "{answer}");

    let mut socket = ws::acknowledged(&app.address, Some(&admin(&app))).await;
    ws::subscribe(&mut socket, "q", subscription, json!({})).await;
    let id = draft(&app).await;
    // Give the server a moment to start the subscription (no message acknowledges it).
    tokio::time::sleep(Duration::from_millis(300)).await;
    ok(&app, &merchant(&app), SUBMIT, json!({ "id": id })).await;
    let entered = ws::message(&mut socket).await;
    assert_eq!(
        entered["payload"]["data"]["reviewQueueChanged"]["change"], "ENTERED",
        "{entered}"
    );
    assert_eq!(entered["payload"]["data"]["reviewQueueChanged"]["placeId"], id);
    ok(&app, &admin(&app), APPROVE, json!({ "id": id })).await;
    let left = ws::message(&mut socket).await;
    let change = &left["payload"]["data"]["reviewQueueChanged"];
    assert_eq!(change["change"], "LEFT", "{left}");
    assert!(change["place"].is_null());
}

#[tokio::test]
async fn a_place_with_a_walk_in_loan_out_cannot_be_deleted_and_a_deleted_one_takes_its_items_along() {
    let app = TestApp::spawn().await;
    let id = draft(&app).await;
    let create =
        "mutation C($id: ID!) { createItem(input: { placeId: $id, name: \"雨伞\", category: UMBRELLA,
        quantity: 2, loanHours: 24 }) { item { id } } }";
    let item =
        ok(&app, &merchant(&app), create, json!({ "id": id })).await["createItem"]["item"]["id"].clone();
    let borrow = "mutation B($item: ID!) { borrowItem(input: { itemId: $item,
        borrower: { name: \"张师傅\", phone: \"13812341234\" } }) { loan { id } } }";
    let loan =
        ok(&app, &merchant(&app), borrow, json!({ "item": item })).await["borrowItem"]["loan"]["id"].clone();
    let refused = app.gql_as(&merchant(&app), DELETE, json!({ "id": id })).await;
    assert_eq!(code(&refused), "BAD_USER_INPUT", "{refused}");
    let give_back = "mutation R($loan: ID!) { returnItem(input: { loanId: $loan }) { loan { id } } }";
    ok(&app, &merchant(&app), give_back, json!({ "loan": loan })).await;
    ok(&app, &merchant(&app), DELETE, json!({ "id": id })).await;
    for token in [merchant(&app), admin(&app)] {
        let node = ok(
            &app,
            &token,
            "query N($id: ID!) { node(id: $id) { id } }",
            json!({ "id": item }),
        )
        .await;
        assert!(node["node"].is_null(), "{node}");
        let again = app.gql_as(&token, borrow, json!({ "item": item })).await;
        assert_eq!(code(&again), "NOT_FOUND", "{again}");
    }
}
