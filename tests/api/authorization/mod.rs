//! The authorization matrix: every mutation and every owner-only field, run over HTTP as
//! each kind of caller. It reads as the policy's specification; a mutation or an owner-only
//! field without a row here fails `every_mutation_and_owner_only_field_has_a_row`.

mod fixtures;

use fixtures::{draft, offer, open_report, pending, published, review_by, suspended};
use serde_json::{Value, json};
use yizhan::auth::Role;

use crate::{
    helpers::{TestApp, data},
    writes::{CREATE, UPDATE, canteen, merchant_01_place},
};

#[derive(Clone, Copy, Debug)]
enum Caller {
    Anonymous,
    Worker,
    OwningMerchant,
    OtherMerchant,
    Operator,
    Admin,
}

const CALLERS: [Caller; 6] = [
    Caller::Anonymous,
    Caller::Worker,
    Caller::OwningMerchant,
    Caller::OtherMerchant,
    Caller::Operator,
    Caller::Admin,
];

/// The expected outcome per caller, in the order of `CALLERS`.
type Row = [&'static str; 6];

const OK: &str = "OK";
const UNAUTH: &str = "UNAUTHENTICATED";
const FORBID: &str = "FORBIDDEN";

const NOT_FOUND: &str = "NOT_FOUND";

const OWNER_OR_ADMIN: Row = [UNAUTH, FORBID, OK, FORBID, FORBID, OK];
/// Unpublished places do not leak: to others, they do not exist.
const OWNER_OR_ADMIN_UNPUBLISHED: Row = [UNAUTH, NOT_FOUND, OK, NOT_FOUND, NOT_FOUND, OK];
const ADMIN_ONLY: Row = [UNAUTH, FORBID, FORBID, FORBID, FORBID, OK];
/// Riders speak for themselves: merchants, operators and admins do not review or report.
const WORKER_ONLY: Row = [UNAUTH, OK, FORBID, FORBID, FORBID, FORBID];

/// (operation, expected outcomes). Mutation rows start with the mutation's name; field rows
/// with `Type.field`; query rows with `Query.field`.
const MATRIX: [(&str, Row); 37] = [
    //                               anonymous worker  owner  other   operator admin
    (
        "createPlace (merchant kind)",
        [UNAUTH, FORBID, OK, OK, FORBID, OK],
    ),
    (
        "createPlace (station kind)",
        [UNAUTH, FORBID, FORBID, FORBID, OK, OK],
    ),
    ("updatePlace", OWNER_OR_ADMIN),
    ("transferPlace", ADMIN_ONLY),
    ("submitPlace", OWNER_OR_ADMIN_UNPUBLISHED),
    ("approvePlace", ADMIN_ONLY),
    ("rejectPlace", ADMIN_ONLY),
    ("suspendPlace", ADMIN_ONLY),
    ("withdrawPlace", OWNER_OR_ADMIN_UNPUBLISHED),
    ("appealPlace", OWNER_OR_ADMIN_UNPUBLISHED),
    ("deletePlace", OWNER_OR_ADMIN_UNPUBLISHED),
    ("setPlaceStatus", OWNER_OR_ADMIN),
    ("createOffer", OWNER_OR_ADMIN),
    ("updateOffer", OWNER_OR_ADMIN),
    ("deleteOffer", OWNER_OR_ADMIN),
    ("addPlacePhoto", OWNER_OR_ADMIN),
    ("removePlacePhoto", OWNER_OR_ADMIN),
    ("reorderPlacePhotos", OWNER_OR_ADMIN),
    ("setWorkCalendar", ADMIN_ONLY),
    ("Place.ownerSubject", OWNER_OR_ADMIN),
    ("Place.ownerRole", OWNER_OR_ADMIN),
    ("Place.reviewNote", OWNER_OR_ADMIN),
    ("Place.submittedAt", OWNER_OR_ADMIN),
    ("Place.history", OWNER_OR_ADMIN),
    ("Place.offers (includeUpcoming)", OWNER_OR_ADMIN),
    ("Query.reviewQueue", ADMIN_ONLY),
    ("Query.place (a draft)", [OK, OK, OK, OK, OK, OK]),
    ("favoritePlace", WORKER_ONLY),
    ("unfavoritePlace", WORKER_ONLY),
    ("reviewPlace", WORKER_ONLY),
    ("deleteMyReview", WORKER_ONLY),
    ("markReviewHelpful", WORKER_ONLY),
    // The owner answers in its own name; admins moderate instead.
    ("replyToReview", [UNAUTH, FORBID, OK, FORBID, FORBID, FORBID]),
    ("hideReview", ADMIN_ONLY),
    ("reportPlace", WORKER_ONLY),
    ("resolvePlaceReport", OWNER_OR_ADMIN),
    ("Place.reports", OWNER_OR_ADMIN),
];

/// Owner-only fields of `Place`: anonymous callers are refused them, and only them.
const OWNER_ONLY_PLACE_FIELDS: [&str; 6] = [
    "ownerSubject",
    "ownerRole",
    "reviewNote",
    "submittedAt",
    "history",
    "reports",
];

fn token(app: &TestApp, caller: Caller) -> Option<String> {
    match caller {
        Caller::Anonymous => None,
        Caller::Worker => Some(app.token(Role::Worker, "rider-1")),
        Caller::OwningMerchant => Some(app.token(Role::Merchant, "merchant-01")),
        Caller::OtherMerchant => Some(app.token(Role::Merchant, "merchant-02")),
        Caller::Operator => Some(app.token(Role::Operator, "community-01")),
        Caller::Admin => Some(app.token(Role::Admin, "city-admin")),
    }
}

fn outcome(body: &Value) -> String {
    match body.get("errors") {
        None => OK.to_owned(),
        Some(errors) => errors[0]["extensions"]["code"]
            .as_str()
            .unwrap_or("NO CODE")
            .to_owned(),
    }
}

async fn attempt(app: &TestApp, operation: &str, caller: Caller) -> String {
    let (place, version) = merchant_01_place(app).await;
    if operation == "addPlacePhoto" {
        // An upload is a multipart request, not JSON.
        return outcome(
            &crate::photos::fixtures::add_unique_photo(app, token(app, caller).as_deref(), &place).await,
        );
    }
    let (query, variables): (&str, Value) = match operation {
        "createPlace (merchant kind)" => (CREATE, json!({ "input": canteen() })),
        "createPlace (station kind)" => {
            let mut input = canteen();
            input["kind"] = json!("GRID_STATION");
            input["name"] = json!("新建网格驿站");
            (CREATE, json!({ "input": input }))
        }
        "updatePlace" => (
            UPDATE,
            json!({ "input": { "id": place, "expectedVersion": version, "name": "矩阵测试修改" } }),
        ),
        "transferPlace" => (
            "mutation T($input: TransferPlaceInput!) { transferPlace(input: $input) { place { id } } }",
            json!({ "input": { "id": place, "newOwnerSubject": "merchant-01" } }),
        ),
        "submitPlace" => (
            "mutation S($id: ID!) { submitPlace(input: { id: $id }) { place { id } } }",
            json!({ "id": draft(app).await }),
        ),
        "approvePlace" => (
            "mutation A($id: ID!) { approvePlace(input: { id: $id }) { place { id } } }",
            json!({ "id": pending(app).await }),
        ),
        "rejectPlace" => (
            "mutation R($id: ID!) { rejectPlace(input: { id: $id, reason: \"照片不清楚\" }) { place { id } } }",
            json!({ "id": pending(app).await }),
        ),
        "suspendPlace" => (
            "mutation P($id: ID!) { suspendPlace(input: { id: $id, reason: \"投诉核实中\" }) { place { id } } }",
            json!({ "id": published(app).await }),
        ),
        "withdrawPlace" => (
            "mutation W($id: ID!) { withdrawPlace(input: { id: $id }) { place { id } } }",
            json!({ "id": pending(app).await }),
        ),
        "appealPlace" => (
            "mutation A($id: ID!) { appealPlace(input: { id: $id, note: \"已整改\" }) { place { id } } }",
            json!({ "id": suspended(app).await }),
        ),
        "deletePlace" => (
            "mutation D($id: ID!) { deletePlace(input: { id: $id }) { deletedId } }",
            json!({ "id": draft(app).await }),
        ),
        "Place.submittedAt" => (
            "query P($id: ID!) { place(id: $id) { submittedAt } }",
            json!({ "id": place }),
        ),
        "setPlaceStatus" => (
            "mutation St($id: ID!) { setPlaceStatus(input: { id: $id, state: BUSY }) { place { id } } }",
            json!({ "id": place }),
        ),
        "createOffer" => (
            "mutation C($input: CreateOfferInput!) { createOffer(input: $input) { offer { id } } }",
            json!({ "input": { "placeId": place, "title": "新优惠", "validUntil": "2027-01-01T00:00:00Z" } }),
        ),
        "updateOffer" => (
            "mutation U($id: ID!) { updateOffer(input: { id: $id, title: \"改过的优惠\" }) { offer { id } } }",
            json!({ "id": offer(app).await }),
        ),
        "deleteOffer" => (
            "mutation D($id: ID!) { deleteOffer(input: { id: $id }) { deletedId } }",
            json!({ "id": offer(app).await }),
        ),
        "removePlacePhoto" => (
            "mutation R($id: ID!) { removePlacePhoto(input: { id: $id }) { deletedId } }",
            json!({ "id": crate::photos::fixtures::owners_photo(app, &place).await }),
        ),
        "reorderPlacePhotos" => (
            "mutation O($input: ReorderPlacePhotosInput!) { reorderPlacePhotos(input: $input) { place { id } } }",
            json!({ "input": { "placeId": place, "ids": crate::photos::fixtures::photo_ids(app, &place).await } }),
        ),
        "setWorkCalendar" => (
            "mutation W { setWorkCalendar(input: { year: 2030, days: [{ date: \"2030-01-01\", kind: HOLIDAY, name: \"元旦\" }] }) { days { date } } }",
            json!({}),
        ),
        "Place.ownerSubject" => (
            "query P($id: ID!) { place(id: $id) { ownerSubject } }",
            json!({ "id": place }),
        ),
        "Place.ownerRole" => (
            "query P($id: ID!) { place(id: $id) { ownerRole } }",
            json!({ "id": place }),
        ),
        "Place.reviewNote" => (
            "query P($id: ID!) { place(id: $id) { reviewNote } }",
            json!({ "id": place }),
        ),
        "Place.history" => (
            "query P($id: ID!) { place(id: $id) { history { totalCount } } }",
            json!({ "id": place }),
        ),
        "Place.offers (includeUpcoming)" => (
            "query P($id: ID!) { place(id: $id) { offers(includeUpcoming: true) { id } } }",
            json!({ "id": place }),
        ),
        "Query.reviewQueue" => ("{ reviewQueue { totalCount } }", json!({})),
        // Visible or not, asking for a draft by id is never an error: others get null.
        "Query.place (a draft)" => (
            "query P($id: ID!) { place(id: $id) { id } }",
            json!({ "id": draft(app).await }),
        ),
        "favoritePlace" => (
            "mutation F($id: ID!) { favoritePlace(input: { placeId: $id }) { place { id } } }",
            json!({ "id": place }),
        ),
        "unfavoritePlace" => (
            "mutation F($id: ID!) { unfavoritePlace(input: { placeId: $id }) { placeId } }",
            json!({ "id": place }),
        ),
        "reviewPlace" => (
            "mutation R($id: ID!) { reviewPlace(input: { placeId: $id, stars: 5, text: \"热水很方便\" }) { review { id } } }",
            json!({ "id": place }),
        ),
        "deleteMyReview" => {
            review_by(app, "rider-1").await;
            (
                "mutation D($id: ID!) { deleteMyReview(input: { placeId: $id }) { deletedId } }",
                json!({ "id": place }),
            )
        }
        "markReviewHelpful" => (
            "mutation M($id: ID!) { markReviewHelpful(input: { reviewId: $id }) { review { helpfulCount } } }",
            json!({ "id": review_by(app, &format!("reviewer-{}", uuid::Uuid::new_v4().simple())).await }),
        ),
        "replyToReview" => (
            "mutation R($id: ID!) { replyToReview(input: { reviewId: $id, text: \"谢谢反馈\" }) { review { id } } }",
            json!({ "id": review_by(app, &format!("reviewer-{}", uuid::Uuid::new_v4().simple())).await }),
        ),
        "hideReview" => (
            "mutation H($id: ID!) { hideReview(input: { reviewId: $id, reason: \"人身攻击\" }) { review { id } } }",
            json!({ "id": review_by(app, &format!("reviewer-{}", uuid::Uuid::new_v4().simple())).await }),
        ),
        "reportPlace" => (
            "mutation R($id: ID!) { reportPlace(input: { placeId: $id, reason: MISSING_AMENITY, note: \"没有热水\" }) { report { id } } }",
            json!({ "id": place }),
        ),
        "resolvePlaceReport" => (
            "mutation R($id: ID!) { resolvePlaceReport(input: { id: $id, note: \"已修好\" }) { report { state } } }",
            json!({ "id": open_report(app).await }),
        ),
        "Place.reports" => (
            "query P($id: ID!) { place(id: $id) { reports { totalCount } } }",
            json!({ "id": place }),
        ),
        other => crate::station_rights::operation(app, other)
            .await
            .unwrap_or_else(|| panic!("no way to run {other}")),
    };
    let (_, _, body) = app.send(token(app, caller).as_deref(), query, variables).await;
    outcome(&body)
}

#[tokio::test]
async fn every_cell_of_the_authorization_matrix_holds() {
    let app = TestApp::spawn().await;
    let mut failures = Vec::new();
    for (operation, row) in MATRIX.into_iter().chain(crate::station_rights::MATRIX) {
        for (caller, expected) in CALLERS.into_iter().zip(row) {
            let actual = attempt(&app, operation, caller).await;
            if actual != expected {
                failures.push(format!(
                    "{operation} as {caller:?}: expected {expected}, got {actual}"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "matrix cells that do not hold:\n{}",
        failures.join("\n")
    );
}

#[tokio::test]
async fn drafts_reach_only_their_owner_and_admins() {
    let app = TestApp::spawn().await;
    let id = draft(&app).await;
    let query = "query P($id: ID!) { place(id: $id) { id } }";
    for (caller, visible) in CALLERS.into_iter().zip([false, false, true, false, false, true]) {
        let (_, _, body) = app
            .send(token(&app, caller).as_deref(), query, json!({ "id": id }))
            .await;
        assert_eq!(data(&body)["place"].is_object(), visible, "{caller:?}");
    }
}

#[tokio::test]
async fn every_mutation_and_owner_only_field_has_a_row() {
    let app = TestApp::spawn().await;
    let body = app
        .gql("{ __type(name: \"Mutation\") { fields { name } } }", json!({}))
        .await;
    for field in data(&body)["__type"]["fields"].as_array().unwrap() {
        let name = field["name"].as_str().unwrap();
        assert!(
            MATRIX
                .iter()
                .chain(&crate::station_rights::MATRIX)
                .any(|(operation, _)| operation.split(' ').next() == Some(name)),
            "mutation {name} has no row in the authorization matrix"
        );
    }
    // Every field of a published Place, asked anonymously: only the owner-only ones fail.
    let introspection = "{ __type(name: \"Place\") { fields { name
        args { name defaultValue type { kind ofType { name } } }
        type { kind ofType { kind ofType { kind ofType { kind } } } } } } }";
    let body = app.gql(introspection, json!({})).await;
    let (id, _) = merchant_01_place(&app).await;
    for field in data(&body)["__type"]["fields"].as_array().unwrap() {
        let name = field["name"].as_str().unwrap();
        let required: Vec<String> = field["args"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|arg| arg["type"]["kind"] == "NON_NULL" && arg["defaultValue"].is_null())
            .map(|arg| {
                assert_eq!(
                    arg["type"]["ofType"]["name"], "DateTime",
                    "{name}: give a value for {}",
                    arg["name"]
                );
                format!("{}: \"2026-06-01T04:00:00Z\"", arg["name"].as_str().unwrap())
            })
            .collect();
        let args = if required.is_empty() {
            String::new()
        } else {
            format!("({})", required.join(", "))
        };
        let kinds = [
            &field["type"]["kind"],
            &field["type"]["ofType"]["kind"],
            &field["type"]["ofType"]["ofType"]["kind"],
            &field["type"]["ofType"]["ofType"]["ofType"]["kind"],
        ];
        let composite = kinds.iter().any(|kind| *kind == "OBJECT" || *kind == "INTERFACE");
        let selection = if composite {
            format!("{name}{args} {{ __typename }}")
        } else {
            format!("{name}{args}")
        };
        let body = app
            .gql(
                &format!("query P($id: ID!) {{ place(id: $id) {{ {selection} }} }}"),
                json!({ "id": id }),
            )
            .await;
        let refused = body.get("errors").is_some();
        assert_eq!(
            refused,
            OWNER_ONLY_PLACE_FIELDS.contains(&name)
                || crate::station_rights::OWNER_ONLY_PLACE_FIELDS.contains(&name),
            "Place.{name}: refused to anonymous callers = {refused} ({body}); add it to the matrix and OWNER_ONLY_PLACE_FIELDS"
        );
    }
}
