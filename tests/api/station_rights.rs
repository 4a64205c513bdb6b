//! The station-services rows of the authorization matrix (`authorization.rs` runs them
//! with its own callers): items, loans, check-ins and statistics on merchant-01's place.

use serde_json::{Value, json};
use yizhan::auth::Role;

use crate::{
    checkins::CHECK_IN,
    helpers::{TestApp, data},
    items::{BORROW, CREATE_ITEM, RETURN},
    writes::merchant_01_place,
};

type Row = [&'static str; 6];

const OK: &str = "OK";
const UNAUTH: &str = "UNAUTHENTICATED";
const FORBID: &str = "FORBIDDEN";
const NOT_FOUND: &str = "NOT_FOUND";
const BAD: &str = "BAD_USER_INPUT";

const OWNER_OR_ADMIN: Row = [UNAUTH, FORBID, OK, FORBID, FORBID, OK];

/// (operation, expected outcomes) for anonymous, worker (rider-1), owning merchant, other
/// merchant, operator (community-01) and admin.
pub const MATRIX: [(&str, Row); 13] = [
    ("createItem", OWNER_OR_ADMIN),
    ("updateItem", OWNER_OR_ADMIN),
    ("retireItem", OWNER_OR_ADMIN),
    // Workers borrow for themselves; the owner and admins must name a walk-in borrower.
    (
        "borrowItem (for yourself)",
        [UNAUTH, OK, BAD, FORBID, FORBID, BAD],
    ),
    ("borrowItem (a walk-in)", [UNAUTH, BAD, OK, FORBID, FORBID, OK]),
    // rider-1's own loan: strangers learn nothing of it.
    ("returnItem", [UNAUTH, OK, OK, NOT_FOUND, NOT_FOUND, OK]),
    ("checkIn", [UNAUTH, OK, FORBID, FORBID, FORBID, FORBID]),
    ("rotateCheckInCode", OWNER_OR_ADMIN),
    ("Place.loans", OWNER_OR_ADMIN),
    ("Place.checkInCode", OWNER_OR_ADMIN),
    ("Place.visitStats", OWNER_OR_ADMIN),
    ("Place.items", [OK, OK, OK, OK, OK, OK]),
    ("Query.networkStats", [UNAUTH, FORBID, FORBID, FORBID, FORBID, OK]),
];

/// Owner-only fields of `Place` among station services.
pub const OWNER_ONLY_PLACE_FIELDS: [&str; 3] = ["loans", "checkInCode", "visitStats"];

async fn owner(app: &TestApp, query: &str, variables: Value) -> Value {
    let body = app
        .gql_as(&app.token(Role::Merchant, "merchant-01"), query, variables)
        .await;
    data(&body).clone()
}

/// A fresh item of merchant-01's place.
async fn item(app: &TestApp, place: &Value) -> Value {
    let input =
        json!({ "placeId": place, "name": "雨伞", "category": "UMBRELLA", "quantity": 5, "loanHours": 24 });
    owner(app, CREATE_ITEM, json!({ "input": input })).await["createItem"]["item"]["id"].clone()
}

/// The query and variables that run a station-services row.
pub async fn operation(app: &TestApp, operation: &str) -> Option<(&'static str, Value)> {
    let (place, _) = merchant_01_place(app).await;
    Some(match operation {
        "createItem" => (
            CREATE_ITEM,
            json!({ "input": { "placeId": place, "name": "老花镜", "category": "READING_GLASSES", "quantity": 2, "loanHours": 4 } }),
        ),
        "updateItem" => (
            "mutation U($id: ID!) { updateItem(input: { id: $id, quantity: 6 }) { item { id } } }",
            json!({ "id": item(app, &place).await }),
        ),
        "retireItem" => (
            "mutation R($id: ID!) { retireItem(input: { id: $id }) { item { id } } }",
            json!({ "id": item(app, &place).await }),
        ),
        "borrowItem (for yourself)" => (BORROW, json!({ "input": { "itemId": item(app, &place).await } })),
        "borrowItem (a walk-in)" => (
            BORROW,
            json!({ "input": { "itemId": item(app, &place).await, "borrower": { "name": "张三", "phone": "13812341234" } } }),
        ),
        "returnItem" => {
            let item = item(app, &place).await;
            let rider = app.token(Role::Worker, "rider-1");
            let body = app
                .gql_as(&rider, BORROW, json!({ "input": { "itemId": item } }))
                .await;
            (RETURN, json!({ "id": data(&body)["borrowItem"]["loan"]["id"] }))
        }
        "checkIn" => {
            let code = owner(
                app,
                "query C($id: ID!) { place(id: $id) { checkInCode } }",
                json!({ "id": place }),
            )
            .await;
            (
                CHECK_IN,
                json!({ "input": { "code": code["place"]["checkInCode"] } }),
            )
        }
        "rotateCheckInCode" => (
            "mutation R($id: ID!) { rotateCheckInCode(input: { placeId: $id }) { checkInCode } }",
            json!({ "id": place }),
        ),
        "Place.loans" => (
            "query P($id: ID!) { place(id: $id) { loans { totalCount } } }",
            json!({ "id": place }),
        ),
        "Place.checkInCode" => (
            "query P($id: ID!) { place(id: $id) { checkInCode } }",
            json!({ "id": place }),
        ),
        "Place.visitStats" => (
            "query P($id: ID!) { place(id: $id) { visitStats(from: \"2026-01-01T00:00:00Z\", to: \"2027-01-01T00:00:00Z\") { visits } } }",
            json!({ "id": place }),
        ),
        "Place.items" => (
            "query P($id: ID!) { place(id: $id) { items { id available } } }",
            json!({ "id": place }),
        ),
        "Query.networkStats" => (
            "{ networkStats(from: \"2026-01-01T00:00:00Z\", to: \"2027-01-01T00:00:00Z\") { visits } }",
            json!({}),
        ),
        _ => return None,
    })
}
