//! Ratings in the directory and the per-worker limits on review writes.

use std::sync::atomic::Ordering;

use chrono::{Duration, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, code, data},
    reviews::{REVIEW, places, read, review, rider},
};

#[tokio::test]
async fn review_writes_are_limited_per_worker_by_the_database() {
    let app = TestApp::spawn().await;
    let places = places(&app, 11).await;
    let token = rider(&app, "rider-busy");
    for place in &places[..10] {
        review(&app, &token, place, 4, "不错").await;
    }
    let input = json!({ "input": { "placeId": places[10], "stars": 4 } });
    assert_eq!(
        code(&app.gql_as(&token, REVIEW, input.clone()).await),
        "RATE_LIMITED"
    );
    // Rewriting counts too.
    let rewrite = json!({ "input": { "placeId": places[0], "stars": 2 } });
    assert_eq!(code(&app.gql_as(&token, REVIEW, rewrite).await), "RATE_LIMITED");
    assert_eq!(read(&app, None, &places[10]).await["rating"]["count"], 0);
    // Other workers are not held back.
    review(&app, &rider(&app, "rider-calm"), &places[10], 5, "").await;

    // An hour later (the stored times, moved back) the worker may write again.
    let backend = app.db.get_database_backend();
    let earlier = Utc::now() - Duration::hours(2);
    let sql = match backend {
        DatabaseBackend::Postgres => "UPDATE rider_actions SET at = $1",
        _ => "UPDATE rider_actions SET at = ?",
    };
    app.db
        .execute_raw(Statement::from_sql_and_values(backend, sql, [earlier.into()]))
        .await
        .unwrap();
    data(&app.gql_as(&token, REVIEW, input).await);
}

#[tokio::test]
async fn rating_and_min_rating_come_from_the_directory_without_a_query_per_place() {
    let app = TestApp::spawn().await;
    let near = json!({ "lat": 36.18, "lng": 116.77 });
    let nearby = "query N($near: LocationInput!, $first: Int, $filter: PlaceFilterInput) {
        nearby(near: $near, within: { meters: 20000 }, first: $first, filter: $filter) {
            edges { node { id rating { average count distribution } } } } }";
    let ids = |body: &Value| -> Vec<Value> {
        data(body)["nearby"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|edge| edge["node"]["id"].clone())
            .collect()
    };
    let all = ids(&app.gql(nearby, json!({ "near": near, "first": 100 })).await);
    let (good, poor) = (&all[3], &all[1]);
    review(&app, &rider(&app, "rider-1"), good, 5, "好").await;
    review(&app, &rider(&app, "rider-2"), good, 4, "好").await;
    review(&app, &rider(&app, "rider-1"), poor, 2, "差").await;

    let statements = |first: i64| {
        let app = &app;
        let near = near.clone();
        async move {
            let before = app.statements.load(Ordering::SeqCst);
            data(&app.gql(nearby, json!({ "near": near, "first": first })).await);
            app.statements.load(Ordering::SeqCst) - before
        }
    };
    assert_eq!(statements(1).await, statements(100).await);

    let rated = app
        .gql(
            nearby,
            json!({ "near": near, "first": 100, "filter": { "minRating": 4 } }),
        )
        .await;
    assert_eq!(ids(&rated), vec![good.clone()]);
    assert_eq!(
        data(&rated)["nearby"]["edges"][0]["node"]["rating"],
        json!({ "average": 4.5, "count": 2, "distribution": [0, 0, 0, 1, 1] })
    );
    let both = ids(&app
        .gql(
            nearby,
            json!({ "near": near, "first": 100, "filter": { "minRating": 2 } }),
        )
        .await);
    let nearest_first: Vec<Value> = all
        .iter()
        .filter(|id| *id == good || *id == poor)
        .cloned()
        .collect();
    assert_eq!(both, nearest_first, "the filter keeps the nearest-first order");
    let search =
        "query S($filter: PlaceFilterInput) { search(text: \"驿站\", filter: $filter) { totalCount } }";
    let found = app.gql(search, json!({ "filter": { "minRating": 1 } })).await;
    assert!(data(&found)["search"]["totalCount"].as_i64().unwrap() <= 2);
    for bad in [0.5, 5.5, -1.0] {
        let body = app
            .gql(nearby, json!({ "near": near, "filter": { "minRating": bad } }))
            .await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{bad}");
    }
}
