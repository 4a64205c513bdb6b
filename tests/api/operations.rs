//! What operators see and rely on: metrics, idempotent retries, shutdown, outages.

use serde_json::{Value, json};
use yizhan::auth::Role;

use crate::helpers::{TestApp, code, data};

async fn scrape(app: &TestApp) -> String {
    let response = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    response.text().await.unwrap()
}

/// The value of the first sample line that starts with `prefix`.
fn sample(metrics: &str, prefix: &str) -> f64 {
    metrics
        .lines()
        .find(|line| line.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix} in\n{metrics}"))
        .rsplit(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn metrics_count_operations_requests_the_directory_and_the_pool() {
    let app = TestApp::spawn().await;
    for _ in 0..3 {
        data(
            &app.gql("query RiderHome { places(first: 1) { totalCount } }", json!({}))
                .await,
        );
    }
    app.gql("query Broken { noSuchField }", json!({})).await;
    let metrics = scrape(&app).await;
    assert_eq!(
        sample(
            &metrics,
            "yizhan_graphql_operations_total{operation=\"RiderHome\",outcome=\"ok\"}"
        ),
        3.0
    );
    assert_eq!(
        sample(
            &metrics,
            "yizhan_graphql_operations_total{operation=\"Broken\",outcome=\"refused\"}"
        ),
        1.0
    );
    assert_eq!(sample(&metrics, "yizhan_directory_places "), 180.0);
    assert!(sample(&metrics, "yizhan_database_connections ") >= 1.0);
    assert!(metrics.contains("yizhan_http_request_duration_seconds_bucket{"));
    assert!(metrics.contains("route=\"/graphql\""));
    assert!(metrics.contains("yizhan_change_log_lag_positions"));
    assert!(metrics.contains("yizhan_websocket_connections"));
}

#[tokio::test]
async fn operation_names_cannot_grow_the_metrics_without_bound() {
    let app = TestApp::spawn().await;
    for number in 0..250 {
        app.gql(&format!("query Name{number} {{ __typename }}"), json!({}))
            .await;
    }
    let metrics = scrape(&app).await;
    let names = metrics
        .lines()
        .filter(|line| line.starts_with("yizhan_graphql_operations_total{"))
        .count();
    assert!(names <= 201, "{names} series");
    assert!(metrics.contains("operation=\"other\""));
}

const CREATE_OFFER: &str = "mutation C($title: String!, $until: DateTime!) { createOffer(input: { placeId: \"UGxhY2U6MQ\", title: $title, validUntil: $until }) { offer { id title } } }";

async fn create_offer(app: &TestApp, token: &str, key: Option<&str>, title: &str) -> (u16, bool, Value) {
    let until = (chrono::Utc::now() + chrono::Duration::days(30))
        .format("%Y-%m-%dT00:00:00Z")
        .to_string();
    let mut request = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": CREATE_OFFER, "variables": { "title": title, "until": until } }));
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    let response = request.send().await.unwrap();
    let replayed = response.headers().contains_key("idempotent-replayed");
    (
        response.status().as_u16(),
        replayed,
        response.json().await.unwrap(),
    )
}

async fn offers_titled(app: &TestApp, title: &str) -> usize {
    let admin = app.token(Role::Admin, "admin-1");
    let body = app
        .gql_as(
            &admin,
            "{ place(id: \"UGxhY2U6MQ\") { offers { title } } }",
            json!({}),
        )
        .await;
    data(&body)["place"]["offers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|offer| offer["title"] == title)
        .count()
}

#[tokio::test]
async fn a_retried_mutation_with_the_same_idempotency_key_writes_once_and_answers_the_same() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin, "admin-1");
    let (status, replayed, first) = create_offer(&app, &admin, Some("retry-7f3a"), "雨天热汤").await;
    assert_eq!((status, replayed), (200, false));
    assert_eq!(
        data(&first)["createOffer"]["offer"]["title"],
        "雨天热汤",
        "{first}"
    );
    let (status, replayed, again) = create_offer(&app, &admin, Some("retry-7f3a"), "雨天热汤").await;
    assert_eq!((status, replayed), (200, true));
    assert_eq!(again, first);
    assert_eq!(offers_titled(&app, "雨天热汤").await, 1);

    // The same key with another body is a conflict and writes nothing.
    let (status, _, other) = create_offer(&app, &admin, Some("retry-7f3a"), "另一份优惠").await;
    assert_eq!((status, code(&other)), (409, "CONFLICT"));
    assert_eq!(offers_titled(&app, "另一份优惠").await, 0);
    // Keys belong to an account: another admin's identical key is another request.
    let other_admin = app.token(Role::Admin, "admin-2");
    let (status, replayed, _) = create_offer(&app, &other_admin, Some("retry-7f3a"), "雨天热汤").await;
    assert_eq!((status, replayed), (200, false));
    assert_eq!(offers_titled(&app, "雨天热汤").await, 2);
    // Without a key every request writes.
    create_offer(&app, &admin, None, "无键优惠").await;
    create_offer(&app, &admin, None, "无键优惠").await;
    assert_eq!(offers_titled(&app, "无键优惠").await, 2);
    let (status, _, bad) = create_offer(&app, &admin, Some("含 空格"), "坏键").await;
    assert_eq!((status, code(&bad)), (400, "BAD_USER_INPUT"));
}

#[tokio::test]
async fn concurrent_retries_with_one_key_write_once() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin, "admin-1");
    let attempts = futures_util::future::join_all(
        (0..8).map(|_| create_offer(&app, &admin, Some("burst-1"), "并发重试")),
    )
    .await;
    for (status, _, body) in &attempts {
        assert!(
            *status == 200 || (*status == 409 && code(body) == "CONFLICT"),
            "{status} {body}"
        );
    }
    assert_eq!(offers_titled(&app, "并发重试").await, 1);
}
