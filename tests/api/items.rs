//! The lending register: items, loans, the 200-way borrow race, returns and rights.

use entity::place::WorkerGroup;
use serde_json::{Value, json};
use yizhan::auth::Role;

use crate::helpers::{TestApp, code, data};

pub const CREATE_ITEM: &str = "mutation C($input: CreateItemInput!) { createItem(input: $input) {
    item { id name category quantity available onLoan loanHours } } }";
const UPDATE_ITEM: &str = "mutation U($input: UpdateItemInput!) { updateItem(input: $input) {
    item { id name quantity available } } }";
const RETIRE_ITEM: &str = "mutation R($id: ID!) { retireItem(input: { id: $id }) { item { id retiredAt } } }";
pub const BORROW: &str = "mutation B($input: BorrowItemInput!) { borrowItem(input: $input) {
    loan { id borrowedAt dueAt returnedAt overdue walkIn borrowerName borrowerPhone item { id available } } } }";
pub const RETURN: &str =
    "mutation R($id: ID!, $note: String) { returnItem(input: { loanId: $id, note: $note }) {
    loan { id returnedAt returnNote overdue item { id available } } } }";
pub const ITEMS: &str =
    "query I($id: ID!) { place(id: $id) { items { id name category quantity available loanHours } } }";
pub const LOANS: &str = "query L($id: ID!, $state: LoanState) { place(id: $id) { loans(state: $state, first: 100) {
    totalCount edges { node { id dueAt overdue returnedAt walkIn borrowerName borrowerPhone item { name } } } } } }";
const MY_LOANS: &str = "{ me { loans(first: 50) { totalCount edges { node { id returnedAt item { name } place { name } } } } } }";

/// The first place of `community-01` (an operator): its id.
pub async fn station(app: &TestApp) -> Value {
    let token = app.token(Role::Operator, "community-01");
    let body = app
        .gql_as(
            &token,
            "{ me { places(first: 1) { edges { node { id } } } } }",
            json!({}),
        )
        .await;
    data(&body)["me"]["places"]["edges"][0]["node"]["id"].clone()
}

pub fn operator(app: &TestApp) -> String {
    app.token(Role::Operator, "community-01")
}

/// Creates an item at `place` and returns its id.
pub async fn item(app: &TestApp, place: &Value, name: &str, quantity: i64) -> Value {
    let input = json!({ "placeId": place, "name": name, "category": "UMBRELLA", "quantity": quantity, "loanHours": 24 });
    let body = app
        .gql_as(&operator(app), CREATE_ITEM, json!({ "input": input }))
        .await;
    data(&body)["createItem"]["item"]["id"].clone()
}

pub fn rider(app: &TestApp, subject: &str) -> String {
    app.worker_token(subject, WorkerGroup::DeliveryRider)
}

/// A worker borrows `item` and gets the loan's id.
pub async fn borrow(app: &TestApp, token: &str, item: &Value) -> Value {
    let body = app
        .gql_as(token, BORROW, json!({ "input": { "itemId": item } }))
        .await;
    data(&body)["borrowItem"]["loan"]["id"].clone()
}

pub async fn listed(app: &TestApp, place: &Value, item: &Value) -> Value {
    let body = app.gql(ITEMS, json!({ "id": place })).await;
    data(&body)["place"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|listed| listed["id"] == *item)
        .cloned()
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn riders_see_how_many_are_available_and_borrow_and_return_for_themselves() {
    let app = TestApp::spawn().await;
    let place = station(&app).await;
    let umbrellas = item(&app, &place, "雨伞", 2).await;
    let seen = listed(&app, &place, &umbrellas).await;
    assert_eq!(seen["name"], "雨伞");
    assert_eq!(seen["category"], "UMBRELLA");
    assert_eq!(
        (seen["quantity"].as_i64(), seen["available"].as_i64()),
        (Some(2), Some(2))
    );

    let token = rider(&app, "rider-1");
    let loan = borrow(&app, &token, &umbrellas).await;
    assert_eq!(listed(&app, &place, &umbrellas).await["available"], 1);
    let mine = app.gql_as(&token, MY_LOANS, json!({})).await;
    let mine = &data(&mine)["me"]["loans"];
    assert_eq!(mine["totalCount"], 1);
    assert_eq!(mine["edges"][0]["node"]["id"], loan);
    assert_eq!(mine["edges"][0]["node"]["item"]["name"], "雨伞");

    let body = app
        .gql_as(&token, RETURN, json!({ "id": loan, "note": "谢谢" }))
        .await;
    let returned = &data(&body)["returnItem"]["loan"];
    assert!(returned["returnedAt"].is_string());
    assert_eq!(returned["returnNote"], "谢谢");
    assert_eq!(listed(&app, &place, &umbrellas).await["available"], 2);
}

#[tokio::test]
async fn two_hundred_concurrent_borrowers_get_exactly_five_loans() {
    let app = TestApp::spawn().await;
    let place = station(&app).await;
    let chargers = item(&app, &place, "充电器", 5).await;
    let tokens: Vec<String> = (0..200).map(|n| rider(&app, &format!("racer-{n}"))).collect();
    let borrows = tokens
        .iter()
        .map(|token| app.gql_as(token, BORROW, json!({ "input": { "itemId": chargers } })));
    let answers = futures_util::future::join_all(borrows).await;
    let lent = answers.iter().filter(|body| body.get("errors").is_none()).count();
    let refused: Vec<&str> = answers
        .iter()
        .filter(|body| body.get("errors").is_some())
        .map(code)
        .collect();
    assert_eq!(lent, 5, "exactly the five pieces are lent");
    assert_eq!(refused.len(), 195);
    assert!(refused.iter().all(|code| *code == "CONFLICT"), "{refused:?}");
    let refusal = answers.iter().find(|body| body.get("errors").is_some()).unwrap();
    assert!(
        refusal["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("out on loan")
    );

    let seen = listed(&app, &place, &chargers).await;
    assert_eq!(seen["available"], 0);
    let body = app
        .gql_as(&operator(&app), LOANS, json!({ "id": place, "state": "OPEN" }))
        .await;
    assert_eq!(data(&body)["place"]["loans"]["totalCount"], 5);
}

#[tokio::test]
async fn returning_twice_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let place = station(&app).await;
    let glasses = item(&app, &place, "老花镜", 3).await;
    let token = rider(&app, "rider-1");
    let first = borrow(&app, &token, &glasses).await;
    let _second = borrow(&app, &rider(&app, "rider-2"), &glasses).await;
    data(&app.gql_as(&token, RETURN, json!({ "id": first })).await);
    let again = app.gql_as(&operator(&app), RETURN, json!({ "id": first })).await;
    assert_eq!(code(&again), "CONFLICT");
    assert_eq!(
        listed(&app, &place, &glasses).await["available"],
        2,
        "one piece is still out"
    );
}

#[tokio::test]
async fn quantity_cannot_drop_below_what_is_on_loan() {
    let app = TestApp::spawn().await;
    let place = station(&app).await;
    let tools = item(&app, &place, "维修工具", 3).await;
    borrow(&app, &rider(&app, "rider-1"), &tools).await;
    borrow(&app, &rider(&app, "rider-2"), &tools).await;
    let op = operator(&app);
    let body = app
        .gql_as(
            &op,
            UPDATE_ITEM,
            json!({ "input": { "id": tools, "quantity": 1, "name": "工具箱" } }),
        )
        .await;
    assert_eq!(code(&body), "BAD_USER_INPUT");
    let seen = listed(&app, &place, &tools).await;
    assert_eq!(
        (seen["quantity"].as_i64(), seen["name"].as_str()),
        (Some(3), Some("维修工具")),
        "nothing changed"
    );
    let body = app
        .gql_as(
            &op,
            UPDATE_ITEM,
            json!({ "input": { "id": tools, "quantity": 2 } }),
        )
        .await;
    assert_eq!(data(&body)["updateItem"]["item"]["available"], 0);
}

#[tokio::test]
async fn bad_items_and_strangers_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let place = station(&app).await;
    let before = data(&app.gql(ITEMS, json!({ "id": place })).await)["place"]["items"].clone();
    let input = |quantity: i64, hours: i64| json!({ "input": { "placeId": place, "name": "雨伞", "category": "UMBRELLA", "quantity": quantity, "loanHours": hours } });
    let op = operator(&app);
    assert_eq!(
        code(&app.gql_as(&op, CREATE_ITEM, input(-1, 24)).await),
        "BAD_USER_INPUT"
    );
    assert_eq!(
        code(&app.gql_as(&op, CREATE_ITEM, input(5, 0)).await),
        "BAD_USER_INPUT"
    );
    assert_eq!(
        code(&app.gql_as(&op, CREATE_ITEM, input(5, 721)).await),
        "BAD_USER_INPUT"
    );
    let stranger = app.token(Role::Operator, "community-02");
    assert_eq!(
        code(&app.gql_as(&stranger, CREATE_ITEM, input(5, 24)).await),
        "FORBIDDEN"
    );
    let merchant = app.token(Role::Merchant, "merchant-01");
    assert_eq!(
        code(&app.gql_as(&merchant, CREATE_ITEM, input(5, 24)).await),
        "FORBIDDEN"
    );
    assert_eq!(code(&app.gql(CREATE_ITEM, input(5, 24)).await), "UNAUTHENTICATED");
    let after = data(&app.gql(ITEMS, json!({ "id": place })).await)["place"]["items"].clone();
    assert_eq!(before, after);
}

#[tokio::test]
async fn a_retired_item_leaves_the_list_and_cannot_be_borrowed_but_its_loans_come_back() {
    let app = TestApp::spawn().await;
    let place = station(&app).await;
    let kit = item(&app, &place, "急救箱", 2).await;
    let token = rider(&app, "rider-1");
    let loan = borrow(&app, &token, &kit).await;
    data(
        &app.gql_as(&operator(&app), RETIRE_ITEM, json!({ "id": kit }))
            .await,
    );
    assert_eq!(listed(&app, &place, &kit).await, Value::Null);
    let body = app
        .gql_as(
            &rider(&app, "rider-2"),
            BORROW,
            json!({ "input": { "itemId": kit } }),
        )
        .await;
    assert_eq!(code(&body), "BAD_USER_INPUT");
    data(&app.gql_as(&token, RETURN, json!({ "id": loan })).await);
}

#[tokio::test]
async fn a_worker_cannot_read_or_return_another_workers_loan() {
    let app = TestApp::spawn().await;
    let place = station(&app).await;
    let umbrellas = item(&app, &place, "雨伞", 2).await;
    let loan = borrow(&app, &rider(&app, "rider-1"), &umbrellas).await;
    let other = rider(&app, "rider-2");
    assert_eq!(
        code(&app.gql_as(&other, RETURN, json!({ "id": loan })).await),
        "NOT_FOUND"
    );
    let body = app
        .gql_as(
            &other,
            "query N($id: ID!) { node(id: $id) { id } }",
            json!({ "id": loan }),
        )
        .await;
    assert_eq!(data(&body)["node"], Value::Null);
    assert_eq!(
        data(&app.gql_as(&other, MY_LOANS, json!({})).await)["me"]["loans"]["totalCount"],
        0
    );
    assert_eq!(
        code(&app.gql_as(&other, LOANS, json!({ "id": place })).await),
        "FORBIDDEN"
    );
}

#[tokio::test]
async fn the_demo_stations_lend_what_the_article_names() {
    let app = TestApp::spawn().await;
    let place = station(&app).await;
    let body = app.gql(ITEMS, json!({ "id": place })).await;
    let items = data(&body)["place"]["items"].as_array().unwrap().clone();
    let names: Vec<&str> = items.iter().map(|item| item["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"雨伞") && names.contains(&"老花镜"), "{names:?}");
    assert!(items.iter().all(|item| item["available"] == item["quantity"]));
    let body = app
        .gql(
            "{ places(first: 100, filter: { kinds: [RIDER_CANTEEN] }) { edges { node { items { id } } } } }",
            json!({}),
        )
        .await;
    let canteens = data(&body)["places"]["edges"].as_array().unwrap();
    assert!(!canteens.is_empty() && canteens.iter().all(|edge| edge["node"]["items"] == json!([])));
}
