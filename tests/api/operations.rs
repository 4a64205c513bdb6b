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
