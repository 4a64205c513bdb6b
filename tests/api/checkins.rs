//! Check-ins: the signed, rotatable code, check-in by position, repeats within 30 minutes,
//! rights, and `verifiedVisit` on reviews.

use chrono::{Duration, Utc};
use entity::{place::WorkerGroup, visit};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::{Value, json};
use yizhan::auth::Role;

use crate::{
    helpers::{TestApp, code, data, numeric_id},
    items::{operator, station},
    reviews::REVIEW,
};

pub const CHECK_IN: &str = "mutation C($input: CheckInInput!) { checkIn(input: $input) {
    repeat visit { id visitedAt group place { id } } } }";
const CODE: &str = "query C($id: ID!) { place(id: $id) { checkInCode location { lat lng } } }";
const ROTATE: &str =
    "mutation R($id: ID!) { rotateCheckInCode(input: { placeId: $id }) { checkInCode place { id } } }";

/// The place's current check-in code, as its operator reads it.
pub async fn check_in_code(app: &TestApp, place: &Value) -> String {
    let body = app.gql_as(&operator(app), CODE, json!({ "id": place })).await;
    data(&body)["place"]["checkInCode"].as_str().unwrap().to_owned()
}

/// A worker checks in with `code`; returns the payload.
pub async fn check_in(app: &TestApp, token: &str, code: &str) -> Value {
    let body = app
        .gql_as(token, CHECK_IN, json!({ "input": { "code": code } }))
        .await;
    data(&body)["checkIn"].clone()
}

fn rider(app: &TestApp, subject: &str) -> String {
    app.worker_token(subject, WorkerGroup::Courier)
}

#[tokio::test]
async fn a_worker_checks_in_with_the_printed_code_and_a_repeat_answers_the_same_visit() {
    let app = TestApp::spawn().await;
    let place = station(&app).await;
    let code = check_in_code(&app, &place).await;
    let token = rider(&app, "rider-1");
    let first = check_in(&app, &token, &code).await;
    assert_eq!(first["repeat"], false);
    assert_eq!(first["visit"]["group"], "COURIER");
    assert_eq!(first["visit"]["place"]["id"], place);
    let again = check_in(&app, &token, &code).await;
    assert_eq!(again["repeat"], true);
    assert_eq!(again["visit"]["id"], first["visit"]["id"]);

    // Half an hour later it is a new visit.
    visit::Entity::update_many()
        .col_expr(
            visit::Column::VisitedAt,
            Expr::value(Utc::now() - Duration::minutes(31)),
        )
        .filter(visit::Column::Id.eq(numeric_id(first["visit"]["id"].as_str().unwrap())))
        .exec(&app.db)
        .await
        .unwrap();
    let later = check_in(&app, &token, &code).await;
    assert_eq!(later["repeat"], false);
    assert_ne!(later["visit"]["id"], first["visit"]["id"]);
}

#[tokio::test]
async fn concurrent_check_ins_of_one_worker_record_one_visit() {
    let app = TestApp::spawn().await;
    let place = station(&app).await;
    let code = check_in_code(&app, &place).await;
    let token = rider(&app, "rider-1");
    let input = json!({ "input": { "code": code } });
    let answers =
        futures_util::future::join_all((0..10).map(|_| app.gql_as(&token, CHECK_IN, input.clone()))).await;
    let ids: std::collections::HashSet<String> = answers
        .iter()
        .map(|body| data(body)["checkIn"]["visit"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 1, "one visit: {ids:?}");
    let stored = visit::Entity::find()
        .filter(visit::Column::WorkerSubject.eq("rider-1"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
}

#[tokio::test]
async fn rotating_the_code_invalidates_printed_copies() {
    let app = TestApp::spawn().await;
    let place = station(&app).await;
    let printed = check_in_code(&app, &place).await;
    let body = app.gql_as(&operator(&app), ROTATE, json!({ "id": place })).await;
    let fresh = data(&body)["rotateCheckInCode"]["checkInCode"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(fresh, printed);
    assert_eq!(check_in_code(&app, &place).await, fresh);
    let token = rider(&app, "rider-1");
    let stale = app
        .gql_as(&token, CHECK_IN, json!({ "input": { "code": printed } }))
        .await;
    assert_eq!(code(&stale), "BAD_USER_INPUT");
    assert!(
        stale["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("replaced")
    );
    assert_eq!(check_in(&app, &token, &fresh).await["repeat"], false);
}

#[tokio::test]
async fn forged_codes_and_missing_proofs_are_refused_and_record_nothing() {
    let app = TestApp::spawn().await;
    let place = station(&app).await;
    let real = check_in_code(&app, &place).await;
    let other_place = numeric_id(place.as_str().unwrap()) + 1;
    let mut parts: Vec<String> = real.split('.').map(str::to_owned).collect();
    parts[1] = other_place.to_string();
    let token = rider(&app, "rider-1");
    for input in [
        json!({ "code": parts.join(".") }),
        json!({ "code": "hello" }),
        json!({}),
        json!({ "code": real, "placeId": place }),
    ] {
        let body = app.gql_as(&token, CHECK_IN, json!({ "input": input })).await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{input}");
    }
    assert!(visit::Entity::find().all(&app.db).await.unwrap().is_empty());
}

#[tokio::test]
async fn check_in_by_position_works_within_200_metres_only() {
    let app = TestApp::spawn().await;
    let place = station(&app).await;
    let body = app
        .gql(CODE.replace("checkInCode ", "").as_str(), json!({ "id": place }))
        .await;
    let at = data(&body)["place"]["location"].clone();
    let (lat, lng) = (at["lat"].as_f64().unwrap(), at["lng"].as_f64().unwrap());
    let token = rider(&app, "rider-1");
    // 0.0045° of latitude is about 500 m.
    let far = json!({ "input": { "placeId": place, "near": { "lat": lat + 0.0045, "lng": lng } } });
    let body = app.gql_as(&token, CHECK_IN, far).await;
    assert_eq!(code(&body), "BAD_USER_INPUT");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("200 m"));
    let near = json!({ "input": { "placeId": place, "near": { "lat": lat + 0.001, "lng": lng } } });
    let body = app.gql_as(&token, CHECK_IN, near).await;
    assert_eq!(data(&body)["checkIn"]["repeat"], false);
}

#[tokio::test]
async fn only_workers_check_in_and_only_the_station_reads_its_code() {
    let app = TestApp::spawn().await;
    let place = station(&app).await;
    let code_now = check_in_code(&app, &place).await;
    let input = json!({ "input": { "code": code_now } });
    for role in [Role::Operator, Role::Merchant, Role::Admin] {
        assert_eq!(
            code(
                &app.gql_as(&app.token(role, "community-01"), CHECK_IN, input.clone())
                    .await
            ),
            "FORBIDDEN"
        );
    }
    assert_eq!(code(&app.gql(CHECK_IN, input).await), "UNAUTHENTICATED");
    for token in [
        rider(&app, "rider-1"),
        app.token(Role::Operator, "community-02"),
        app.token(Role::Merchant, "merchant-01"),
    ] {
        let body = app
            .gql_as(
                &token,
                "query C($id: ID!) { place(id: $id) { checkInCode } }",
                json!({ "id": place }),
            )
            .await;
        assert_eq!(code(&body), "FORBIDDEN");
        assert_eq!(
            code(&app.gql_as(&token, ROTATE, json!({ "id": place })).await),
            "FORBIDDEN"
        );
    }
    let admin = app.token(Role::Admin, "city");
    let body = app
        .gql_as(
            &admin,
            "query C($id: ID!) { place(id: $id) { checkInCode } }",
            json!({ "id": place }),
        )
        .await;
    assert_eq!(data(&body)["place"]["checkInCode"], code_now.as_str());
}

#[tokio::test]
async fn a_review_is_a_verified_visit_once_its_author_checked_in() {
    let app = TestApp::spawn().await;
    let place = station(&app).await;
    let token = rider(&app, "rider-1");
    let input = json!({ "input": { "placeId": place, "stars": 5, "text": "热水很足" } });
    let body = app.gql_as(&token, REVIEW, input.clone()).await;
    assert_eq!(data(&body)["reviewPlace"]["review"]["verifiedVisit"], false);
    check_in(&app, &token, &check_in_code(&app, &place).await).await;
    let body = app.gql_as(&token, REVIEW, input).await;
    assert_eq!(data(&body)["reviewPlace"]["review"]["verifiedVisit"], true);
    let body = app
        .gql(
            "query R($id: ID!) { place(id: $id) { reviews { edges { node { verifiedVisit } } } } }",
            json!({ "id": place }),
        )
        .await;
    assert_eq!(
        data(&body)["place"]["reviews"]["edges"][0]["node"]["verifiedVisit"],
        true
    );
}
