//! The places, offers, reviews and reports each matrix row acts on, made fresh per test.

use serde_json::{Value, json};
use yizhan::auth::Role;

use crate::{
    helpers::{TestApp, data},
    writes::{CREATE, canteen, merchant_01_place},
};

/// Runs `query` as `role`/`subject` and returns the data, failing on errors.
async fn as_user(app: &TestApp, role: Role, subject: &str, query: &str, variables: Value) -> Value {
    let body = app.gql_as(&app.token(role, subject), query, variables).await;
    data(&body).clone()
}

/// A DRAFT canteen owned by merchant-01.
pub(super) async fn draft(app: &TestApp) -> Value {
    let data = as_user(
        app,
        Role::Merchant,
        "merchant-01",
        CREATE,
        json!({ "input": canteen() }),
    )
    .await;
    data["createPlace"]["place"]["id"].clone()
}

pub(super) async fn pending(app: &TestApp) -> Value {
    let id = draft(app).await;
    let submit = "mutation S($id: ID!) { submitPlace(input: { id: $id }) { place { id } } }";
    as_user(app, Role::Merchant, "merchant-01", submit, json!({ "id": id })).await;
    id
}

pub(super) async fn published(app: &TestApp) -> Value {
    let id = pending(app).await;
    let approve = "mutation A($id: ID!) { approvePlace(input: { id: $id }) { place { id } } }";
    as_user(app, Role::Admin, "city-admin", approve, json!({ "id": id })).await;
    id
}

/// A place an admin published and then suspended.
pub(super) async fn suspended(app: &TestApp) -> Value {
    let id = published(app).await;
    let suspend =
        "mutation P($id: ID!) { suspendPlace(input: { id: $id, reason: \"投诉核实中\" }) { place { id } } }";
    as_user(app, Role::Admin, "city-admin", suspend, json!({ "id": id })).await;
    id
}

pub(super) async fn offer(app: &TestApp) -> Value {
    let (place, _) = merchant_01_place(app).await;
    let create = "mutation C($input: CreateOfferInput!) { createOffer(input: $input) { offer { id } } }";
    let input = json!({ "placeId": place, "title": "矩阵测试优惠", "validUntil": "2027-01-01T00:00:00Z" });
    as_user(
        app,
        Role::Merchant,
        "merchant-01",
        create,
        json!({ "input": input }),
    )
    .await["createOffer"]["offer"]["id"]
        .clone()
}

/// A review of merchant-01's place by `rider`.
pub(super) async fn review_by(app: &TestApp, rider: &str) -> Value {
    let (place, _) = merchant_01_place(app).await;
    let review = "mutation R($id: ID!) { reviewPlace(input: { placeId: $id, stars: 4, text: \"矩阵测试\" }) { review { id } } }";
    as_user(app, Role::Worker, rider, review, json!({ "id": place })).await["reviewPlace"]["review"]["id"]
        .clone()
}

/// An open report about merchant-01's place, by a rider of its own.
pub(super) async fn open_report(app: &TestApp) -> Value {
    let (place, _) = merchant_01_place(app).await;
    let rider = format!("reporter-{}", uuid::Uuid::new_v4().simple());
    let report = "mutation R($id: ID!) { reportPlace(input: { placeId: $id, reason: WRONG_HOURS }) { report { id } } }";
    as_user(app, Role::Worker, &rider, report, json!({ "id": place })).await["reportPlace"]["report"]["id"]
        .clone()
}
