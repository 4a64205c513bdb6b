//! Statistics on known data: a place's visits, distinct workers by group and loans per
//! period, the network's figures, rights and range checks.

use chrono::{Duration, Utc};
use entity::{loan, place::WorkerGroup};
use sea_orm::{EntityTrait, sea_query::Expr};
use serde_json::{Value, json};
use yizhan::auth::Role;

use crate::{
    checkins::{check_in, check_in_code},
    helpers::{TestApp, code, data},
    items::{borrow, item, operator},
};

const VISIT_STATS: &str = "query S($id: ID!, $from: DateTime!, $to: DateTime!, $by: StatsPeriod!) {
    place(id: $id) { visitStats(from: $from, to: $to, by: $by) {
        visits workers loans byGroup { group visits workers }
        periods { period visits workers loans byGroup { group visits workers } } } } }";
const NETWORK_STATS: &str = "query N($from: DateTime!, $to: DateTime!) { networkStats(from: $from, to: $to) {
    places { kind publication count } workersServed byGroup { group visits workers } visits loans
    byKind { kind visits loans } busiestPlaces { place { id kind } visits } overdueLoans } }";

/// Two places of `community-01`.
async fn two_stations(app: &TestApp) -> (Value, Value) {
    let body = app
        .gql_as(
            &operator(app),
            "{ me { places(first: 2) { edges { node { id } } } } }",
            json!({}),
        )
        .await;
    let edges = &data(&body)["me"]["places"]["edges"];
    (edges[0]["node"]["id"].clone(), edges[1]["node"]["id"].clone())
}

/// Four workers visit the first station (one of them twice within 30 minutes, and once at
/// the second station); one umbrella is lent there.
async fn known_data(app: &TestApp) -> (Value, Value) {
    let (first, second) = two_stations(app).await;
    let code = check_in_code(app, &first).await;
    let workers = [
        ("rider-a", WorkerGroup::DeliveryRider),
        ("rider-b", WorkerGroup::DeliveryRider),
        ("courier-a", WorkerGroup::Courier),
        ("sweeper-a", WorkerGroup::SanitationWorker),
    ];
    for (subject, group) in workers {
        check_in(app, &app.worker_token(subject, group), &code).await;
    }
    let rider_a = app.worker_token("rider-a", WorkerGroup::DeliveryRider);
    assert_eq!(check_in(app, &rider_a, &code).await["repeat"], true);
    check_in(app, &rider_a, &check_in_code(app, &second).await).await;
    let umbrellas = item(app, &first, "雨伞", 3).await;
    borrow(app, &rider_a, &umbrellas).await;
    (first, second)
}

fn range() -> Value {
    json!({ "from": (Utc::now() - Duration::days(1)).to_rfc3339(), "to": (Utc::now() + Duration::days(1)).to_rfc3339() })
}

fn group<'a>(groups: &'a Value, name: &str) -> &'a Value {
    groups
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["group"] == name)
        .unwrap_or_else(|| panic!("{name} in {groups}"))
}

#[tokio::test]
async fn a_station_counts_visits_distinct_workers_by_group_and_loans_per_period() {
    let app = TestApp::spawn().await;
    let (first, _) = known_data(&app).await;
    let mut vars = range();
    vars["id"] = first.clone();
    vars["by"] = json!("MONTH");
    let body = app.gql_as(&operator(&app), VISIT_STATS, vars.clone()).await;
    let stats = &data(&body)["place"]["visitStats"];
    assert_eq!(
        (
            stats["visits"].as_i64(),
            stats["workers"].as_i64(),
            stats["loans"].as_i64()
        ),
        (Some(4), Some(4), Some(1))
    );
    assert_eq!(group(&stats["byGroup"], "DELIVERY_RIDER")["workers"], 2);
    assert_eq!(group(&stats["byGroup"], "SANITATION_WORKER")["visits"], 1);
    let month = Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .format("%Y-%m")
        .to_string();
    let periods = stats["periods"].as_array().unwrap();
    assert_eq!(periods.len(), 1);
    assert_eq!(periods[0]["period"], month.as_str());
    assert_eq!(
        (periods[0]["visits"].as_i64(), periods[0]["loans"].as_i64()),
        (Some(4), Some(1))
    );
    assert_eq!(group(&periods[0]["byGroup"], "COURIER")["workers"], 1);

    vars["by"] = json!("DAY");
    let body = app
        .gql_as(&app.token(Role::Admin, "city"), VISIT_STATS, vars.clone())
        .await;
    let day = Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .format("%Y-%m-%d")
        .to_string();
    assert_eq!(
        data(&body)["place"]["visitStats"]["periods"][0]["period"],
        day.as_str()
    );

    vars["from"] = json!((Utc::now() + Duration::hours(1)).to_rfc3339());
    let body = app.gql_as(&operator(&app), VISIT_STATS, vars).await;
    assert_eq!(
        data(&body)["place"]["visitStats"]["visits"],
        0,
        "visits outside the range do not count"
    );
}

#[tokio::test]
async fn the_network_counts_each_worker_once_across_places() {
    let app = TestApp::spawn().await;
    let (first, _) = known_data(&app).await;
    let admin = app.token(Role::Admin, "city");
    let body = app.gql_as(&admin, NETWORK_STATS, range()).await;
    let stats = &data(&body)["networkStats"];
    assert_eq!(
        stats["workersServed"], 4,
        "rider-a visited two places and counts once"
    );
    assert_eq!(
        (stats["visits"].as_i64(), stats["loans"].as_i64()),
        (Some(5), Some(1))
    );
    assert_eq!(group(&stats["byGroup"], "DELIVERY_RIDER")["workers"], 2);
    assert_eq!(stats["busiestPlaces"][0]["place"]["id"], first);
    assert_eq!(stats["busiestPlaces"][0]["visits"], 4);
    let kind = stats["busiestPlaces"][0]["place"]["kind"].clone();
    let by_kind: i64 = stats["byKind"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["kind"] == kind)
        .map(|k| k["visits"].as_i64().unwrap())
        .sum();
    assert!(by_kind >= 4, "{}", stats["byKind"]);
    let places: i64 = stats["places"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["count"].as_i64().unwrap())
        .sum();
    assert_eq!(places, 180, "the demo network's places");
    assert_eq!(stats["overdueLoans"], 0);

    loan::Entity::update_many()
        .col_expr(loan::Column::DueAt, Expr::value(Utc::now() - Duration::hours(1)))
        .exec(&app.db)
        .await
        .unwrap();
    let body = app.gql_as(&admin, NETWORK_STATS, range()).await;
    assert_eq!(data(&body)["networkStats"]["overdueLoans"], 1);
}

#[tokio::test]
async fn statistics_are_for_the_station_and_admins_and_ranges_are_checked() {
    let app = TestApp::spawn().await;
    let (first, _) = two_stations(&app).await;
    let mut vars = range();
    vars["id"] = first;
    vars["by"] = json!("WEEK");
    for token in [
        app.worker_token("rider-a", WorkerGroup::Courier),
        app.token(Role::Merchant, "merchant-01"),
        app.token(Role::Operator, "community-02"),
    ] {
        assert_eq!(
            code(&app.gql_as(&token, VISIT_STATS, vars.clone()).await),
            "FORBIDDEN"
        );
        assert_eq!(
            code(&app.gql_as(&token, NETWORK_STATS, range()).await),
            "FORBIDDEN"
        );
    }
    assert_eq!(code(&app.gql(NETWORK_STATS, range()).await), "UNAUTHENTICATED");
    let admin = app.token(Role::Admin, "city");
    for (from, to) in [
        ("2026-12-01T00:00:00Z", "2026-11-01T00:00:00Z"),
        ("1900-01-01T00:00:00Z", "2026-11-01T00:00:00Z"),
        ("2026-01-01T00:00:00Z", "3000-01-01T00:00:00Z"),
    ] {
        let body = app
            .gql_as(&admin, NETWORK_STATS, json!({ "from": from, "to": to }))
            .await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{from} {to}");
    }
}
