//! Reports that correct the map: one per worker, place, reason and day; owners and admins
//! read and resolve them; three riders reporting a place closed within 24 hours flag it.

use std::time::{Duration as StdDuration, Instant};

use chrono::{Duration, Utc};
use entity::place_report;
use sea_orm::{EntityTrait, sea_query::Expr};
use serde_json::{Value, json};
use yizhan::auth::Role;

use crate::{
    helpers::{TestApp, code, data},
    reviews::{places, rider},
    writes::merchant_01_place,
};

const REPORT: &str = "mutation R($id: ID!, $reason: ReportReason!, $note: String) {
    reportPlace(input: { placeId: $id, reason: $reason, note: $note }) {
        report { id reason note state reporterName createdAt } } }";
const RESOLVE: &str =
    "mutation R($id: ID!, $note: String!) { resolvePlaceReport(input: { id: $id, note: $note }) {
    report { id state resolvedAt resolutionNote } } }";
const STATUS: &str = "query S($id: ID!) { place(id: $id) { status { state note } } }";
const REPORTS: &str = "query R($id: ID!, $state: ReportState) { place(id: $id) {
    reports(state: $state) { totalCount edges { node { id reason note state reporterName resolutionNote } } } } }";
const SET_STATUS: &str = "mutation S($id: ID!) { setPlaceStatus(input: { id: $id, state: OPEN, note: \"正常营业\" }) { place { id } } }";
const FLAG_NOTE: &str = "多名骑手反馈暂停营业";

/// Files a report as `subject` and returns its id.
async fn report(app: &TestApp, subject: &str, place: &Value, reason: &str) -> Value {
    let body = app
        .gql_as(
            &rider(app, subject),
            REPORT,
            json!({ "id": place, "reason": reason, "note": "到了门口发现关着" }),
        )
        .await;
    data(&body)["reportPlace"]["report"]["id"].clone()
}

async fn status(app: &TestApp, place: &Value) -> Value {
    data(&app.gql(STATUS, json!({ "id": place })).await)["place"]["status"].clone()
}

async fn available(app: &TestApp, place: &Value) -> bool {
    let body = app
        .gql(
            "{ places(first: 100, filter: { available: true, kinds: [FRIENDLY_MERCHANT, RIDER_CANTEEN, RIDER_PHARMACY, RIDER_CLINIC] }) {
                edges { node { id } } } }",
            json!({}),
        )
        .await;
    data(&body)["places"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .any(|edge| edge["node"]["id"] == *place)
}

#[tokio::test]
async fn three_workers_reporting_a_place_closed_within_a_day_flag_it_until_a_report_is_resolved() {
    let app = TestApp::spawn().await;
    let (place, _) = merchant_01_place(&app).await;
    assert!(available(&app, &place).await);
    let first = report(&app, "rider-1", &place, "CLOSED_PERMANENTLY").await;
    report(&app, "rider-2", &place, "TEMPORARILY_CLOSED").await;
    report(&app, "rider-2", &place, "WRONG_HOURS").await;
    assert!(status(&app, &place).await.is_null(), "two riders are not enough");
    report(&app, "rider-3", &place, "TEMPORARILY_CLOSED").await;
    assert_eq!(
        status(&app, &place).await,
        json!({ "state": "TEMPORARILY_CLOSED", "note": FLAG_NOTE })
    );
    assert!(!available(&app, &place).await, "discovery sees the flag at once");

    let owner = app.token(Role::Merchant, "merchant-01");
    let resolved = app
        .gql_as(
            &owner,
            RESOLVE,
            json!({ "id": first, "note": "照常营业，门口装修" }),
        )
        .await;
    assert_eq!(
        data(&resolved)["resolvePlaceReport"]["report"]["state"],
        "RESOLVED"
    );
    assert!(status(&app, &place).await.is_null(), "resolving lifts the flag");
    assert!(available(&app, &place).await);
}

#[tokio::test]
async fn the_flag_ends_when_the_owner_sets_a_status_and_a_fourth_voice_does_not_overrule_it() {
    let app = TestApp::spawn().await;
    let (place, _) = merchant_01_place(&app).await;
    for subject in ["rider-1", "rider-2", "rider-3"] {
        report(&app, subject, &place, "TEMPORARILY_CLOSED").await;
    }
    assert_eq!(status(&app, &place).await["note"], FLAG_NOTE);
    let owner = app.token(Role::Merchant, "merchant-01");
    data(&app.gql_as(&owner, SET_STATUS, json!({ "id": place })).await);
    assert_eq!(status(&app, &place).await["state"], "OPEN");
    report(&app, "rider-4", &place, "CLOSED_PERMANENTLY").await;
    assert_eq!(status(&app, &place).await["state"], "OPEN");
}

#[tokio::test]
async fn one_worker_counts_once_and_reports_older_than_a_day_do_not_count() {
    let app = TestApp::spawn().await;
    let (place, _) = merchant_01_place(&app).await;
    report(&app, "rider-1", &place, "TEMPORARILY_CLOSED").await;
    report(&app, "rider-1", &place, "CLOSED_PERMANENTLY").await;
    report(&app, "rider-2", &place, "TEMPORARILY_CLOSED").await;
    assert!(status(&app, &place).await.is_null(), "two different riders");

    // A day passes (the stored times, moved back): the old reports fall out of the window.
    place_report::Entity::update_many()
        .col_expr(
            place_report::Column::CreatedAt,
            Expr::value(Utc::now() - Duration::hours(25)),
        )
        .exec(&app.db)
        .await
        .unwrap();
    report(&app, "rider-3", &place, "TEMPORARILY_CLOSED").await;
    assert!(
        status(&app, &place).await.is_null(),
        "the other two were more than 24 hours ago"
    );
    report(&app, "rider-4", &place, "TEMPORARILY_CLOSED").await;
    report(&app, "rider-5", &place, "CLOSED_PERMANENTLY").await;
    assert_eq!(status(&app, &place).await["note"], FLAG_NOTE);
}

#[tokio::test]
async fn a_worker_reports_a_place_once_per_reason_and_day() {
    let app = TestApp::spawn().await;
    let (place, _) = merchant_01_place(&app).await;
    report(&app, "rider-1", &place, "MISSING_AMENITY").await;
    let again = app
        .gql_as(
            &rider(&app, "rider-1"),
            REPORT,
            json!({ "id": place, "reason": "MISSING_AMENITY" }),
        )
        .await;
    assert_eq!(code(&again), "CONFLICT");
    report(&app, "rider-1", &place, "WRONG_HOURS").await;
    report(&app, "rider-2", &place, "MISSING_AMENITY").await;
    let owner = app.token(Role::Merchant, "merchant-01");
    let seen = app.gql_as(&owner, REPORTS, json!({ "id": place })).await;
    assert_eq!(data(&seen)["place"]["reports"]["totalCount"], 3);
}

#[tokio::test]
async fn owners_and_admins_read_and_resolve_reports_and_others_may_not() {
    let app = TestApp::spawn().await;
    let (place, _) = merchant_01_place(&app).await;
    let id = report(&app, "rider-13800000000", &place, "OFFER_NOT_HONOURED").await;
    report(&app, "rider-2", &place, "WRONG_LOCATION").await;
    let owner = app.token(Role::Merchant, "merchant-01");
    let admin = app.token(Role::Admin, "city-admin");

    let open = app
        .gql_as(&owner, REPORTS, json!({ "id": place, "state": "OPEN" }))
        .await;
    let reports = &data(&open)["place"]["reports"];
    assert_eq!(reports["totalCount"], 2);
    assert_eq!(reports["edges"][1]["node"]["id"], id, "newest first");
    assert_eq!(reports["edges"][1]["node"]["note"], "到了门口发现关着");
    let name = reports["edges"][1]["node"]["reporterName"].as_str().unwrap();
    assert!(name.starts_with("骑手"), "{name}");
    assert!(!open.to_string().contains("13800000000"));

    for token in [
        rider(&app, "rider-2"),
        app.token(Role::Merchant, "merchant-02"),
        app.token(Role::Operator, "community-01"),
    ] {
        let read = app.gql_as(&token, REPORTS, json!({ "id": place })).await;
        assert_eq!(code(&read), "FORBIDDEN");
        let resolve = app
            .gql_as(&token, RESOLVE, json!({ "id": id, "note": "已处理" }))
            .await;
        assert_eq!(code(&resolve), "FORBIDDEN");
    }
    assert_eq!(
        code(&app.gql(RESOLVE, json!({ "id": id, "note": "已处理" })).await),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        code(
            &app.gql_as(&admin, RESOLVE, json!({ "id": id, "note": " " }))
                .await
        ),
        "BAD_USER_INPUT"
    );

    let resolved = app
        .gql_as(
            &admin,
            RESOLVE,
            json!({ "id": id, "note": "已联系商家，优惠恢复" }),
        )
        .await;
    let report = &data(&resolved)["resolvePlaceReport"]["report"];
    assert_eq!(report["resolutionNote"], "已联系商家，优惠恢复");
    assert!(report["resolvedAt"].is_string());
    let twice = app
        .gql_as(&owner, RESOLVE, json!({ "id": id, "note": "再处理" }))
        .await;
    assert_eq!(code(&twice), "BAD_USER_INPUT");

    let done = app
        .gql_as(&owner, REPORTS, json!({ "id": place, "state": "RESOLVED" }))
        .await;
    assert_eq!(data(&done)["place"]["reports"]["totalCount"], 1);
    let node = app
        .gql_as(
            &owner,
            "query N($id: ID!) { node(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(data(&node)["node"]["id"], id);
    let hidden = app
        .gql("query N($id: ID!) { node(id: $id) { id } }", json!({ "id": id }))
        .await;
    assert!(data(&hidden)["node"].is_null());
}

#[tokio::test]
async fn reports_are_limited_per_worker_and_bad_input_changes_nothing() {
    let app = TestApp::spawn().await;
    let places = places(&app, 2).await;
    let reasons = [
        "CLOSED_PERMANENTLY",
        "TEMPORARILY_CLOSED",
        "WRONG_HOURS",
        "WRONG_LOCATION",
        "MISSING_AMENITY",
        "OFFER_NOT_HONOURED",
        "OTHER",
    ];
    let token = rider(&app, "rider-busy");
    let long = json!({ "id": places[0], "reason": "OTHER", "note": "长".repeat(501) });
    assert_eq!(code(&app.gql_as(&token, REPORT, long).await), "BAD_USER_INPUT");
    let merchant = app.token(Role::Merchant, "merchant-02");
    let refused = app
        .gql_as(&merchant, REPORT, json!({ "id": places[0], "reason": "OTHER" }))
        .await;
    assert_eq!(code(&refused), "FORBIDDEN");

    let mut attempts = places
        .iter()
        .flat_map(|place| reasons.iter().map(move |reason| (place.clone(), *reason)));
    for (place, reason) in attempts.by_ref().take(10) {
        data(
            &app.gql_as(&token, REPORT, json!({ "id": place, "reason": reason }))
                .await,
        );
    }
    let (place, reason) = attempts.next().unwrap();
    let eleventh = app
        .gql_as(&token, REPORT, json!({ "id": place, "reason": reason }))
        .await;
    assert_eq!(code(&eleventh), "RATE_LIMITED");
    let owner_view = app
        .gql_as(
            &app.token(Role::Admin, "city-admin"),
            REPORTS,
            json!({ "id": places[1] }),
        )
        .await;
    assert_eq!(data(&owner_view)["place"]["reports"]["totalCount"], 3);
}

#[tokio::test]
async fn the_flag_reaches_another_instance_through_the_change_log() {
    let first = TestApp::spawn().await;
    let second = first.spawn_process_sharing().await;
    let (place, _) = merchant_01_place(&first).await;
    for subject in ["rider-1", "rider-2", "rider-3"] {
        report(&first, subject, &place, "CLOSED_PERMANENTLY").await;
    }
    let deadline = Instant::now() + StdDuration::from_secs(15);
    loop {
        let seen = second.gql(&first.client, STATUS, json!({ "id": place })).await;
        if seen["data"]["place"]["status"]["note"] == FLAG_NOTE {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the second instance never saw the flag: {seen}"
        );
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
}
