//! Favourites: private to the worker, newest first, following the place's publication.

use std::sync::atomic::Ordering;

use serde_json::{Value, json};
use yizhan::auth::Role;

use crate::{
    helpers::{TestApp, code, data},
    reviews::{places, rider},
};

const FAVORITE: &str =
    "mutation F($id: ID!) { favoritePlace(input: { placeId: $id }) { place { id isFavorite } } }";
const UNFAVORITE: &str = "mutation U($id: ID!) { unfavoritePlace(input: { placeId: $id }) { placeId } }";
const MINE: &str = "query M($first: Int, $after: String) { me { favorites(first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { id isFavorite } } } } }";
const SUSPEND: &str =
    "mutation S($id: ID!) { suspendPlace(input: { id: $id, reason: \"核实中\" }) { place { id } } }";
const APPROVE: &str = "mutation A($id: ID!) { approvePlace(input: { id: $id }) { place { id } } }";

async fn favorites(app: &TestApp, token: &str) -> Vec<Value> {
    let body = app.gql_as(token, MINE, json!({ "first": 100 })).await;
    data(&body)["me"]["favorites"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"]["id"].clone())
        .collect()
}

async fn is_favorite(app: &TestApp, token: &str, place: &Value) -> bool {
    let body = app
        .gql_as(
            token,
            "query P($id: ID!) { place(id: $id) { isFavorite } }",
            json!({ "id": place }),
        )
        .await;
    data(&body)["place"]["isFavorite"].as_bool().unwrap()
}

#[tokio::test]
async fn a_worker_keeps_favourites_newest_first_and_nobody_else_sees_them() {
    let app = TestApp::spawn().await;
    let ids = places(&app, 3).await;
    let (mine, other) = (rider(&app, "rider-1"), rider(&app, "rider-2"));
    for id in [&ids[1], &ids[0], &ids[2], &ids[0]] {
        let body = app.gql_as(&mine, FAVORITE, json!({ "id": id })).await;
        assert_eq!(data(&body)["favoritePlace"]["place"]["isFavorite"], true);
    }
    assert_eq!(
        favorites(&app, &mine).await,
        vec![ids[2].clone(), ids[0].clone(), ids[1].clone()],
        "newest first; keeping one again changes nothing"
    );
    assert!(is_favorite(&app, &mine, &ids[0]).await);
    assert!(favorites(&app, &other).await.is_empty());
    assert!(!is_favorite(&app, &other, &ids[0]).await);
    let anonymous = app
        .gql(
            "query P($id: ID!) { place(id: $id) { isFavorite } }",
            json!({ "id": ids[0] }),
        )
        .await;
    assert_eq!(data(&anonymous)["place"]["isFavorite"], false);

    let page = app.gql_as(&mine, MINE, json!({ "first": 2 })).await;
    let page = &data(&page)["me"]["favorites"];
    assert_eq!(page["totalCount"], 3);
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    let rest = app
        .gql_as(
            &mine,
            MINE,
            json!({ "first": 2, "after": page["pageInfo"]["endCursor"] }),
        )
        .await;
    assert_eq!(data(&rest)["me"]["favorites"]["edges"][0]["node"]["id"], ids[1]);

    let removed = app.gql_as(&mine, UNFAVORITE, json!({ "id": ids[0] })).await;
    assert_eq!(data(&removed)["unfavoritePlace"]["placeId"], ids[0]);
    data(&app.gql_as(&mine, UNFAVORITE, json!({ "id": ids[0] })).await);
    assert_eq!(favorites(&app, &mine).await, vec![ids[2].clone(), ids[1].clone()]);
    assert!(!is_favorite(&app, &mine, &ids[0]).await);
}

#[tokio::test]
async fn a_suspended_favourite_leaves_the_list_and_returns_when_reinstated() {
    let app = TestApp::spawn().await;
    let ids = places(&app, 2).await;
    let token = rider(&app, "rider-1");
    for id in &ids {
        data(&app.gql_as(&token, FAVORITE, json!({ "id": id })).await);
    }
    let admin = app.token(Role::Admin, "city-admin");
    data(&app.gql_as(&admin, SUSPEND, json!({ "id": ids[0] })).await);
    assert_eq!(favorites(&app, &token).await, vec![ids[1].clone()]);
    let count = app.gql_as(&token, MINE, json!({})).await;
    assert_eq!(data(&count)["me"]["favorites"]["totalCount"], 1);
    let again = app.gql_as(&token, FAVORITE, json!({ "id": ids[0] })).await;
    assert_eq!(code(&again), "NOT_FOUND", "a suspended place cannot be added");
    data(&app.gql_as(&admin, APPROVE, json!({ "id": ids[0] })).await);
    assert_eq!(
        favorites(&app, &token).await,
        vec![ids[1].clone(), ids[0].clone()]
    );
}

#[tokio::test]
async fn only_workers_keep_favourites() {
    let app = TestApp::spawn().await;
    let ids = places(&app, 1).await;
    let merchant = app.token(Role::Merchant, "merchant-01");
    assert_eq!(
        code(&app.gql_as(&merchant, FAVORITE, json!({ "id": ids[0] })).await),
        "FORBIDDEN"
    );
    assert_eq!(
        code(&app.gql(FAVORITE, json!({ "id": ids[0] })).await),
        "UNAUTHENTICATED"
    );
    assert!(favorites(&app, &merchant).await.is_empty());
    assert!(!is_favorite(&app, &merchant, &ids[0]).await);
}

#[tokio::test]
async fn is_favorite_on_a_page_of_places_costs_one_query() {
    let app = TestApp::spawn().await;
    let token = rider(&app, "rider-1");
    for id in places(&app, 5).await {
        data(&app.gql_as(&token, FAVORITE, json!({ "id": id })).await);
    }
    let query = "query P($first: Int) { places(first: $first) { edges { node { id isFavorite rating { average } } } } }";
    let statements = |first: i64| {
        let (app, token) = (&app, &token);
        async move {
            let before = app.statements.load(Ordering::SeqCst);
            let body = app.gql_as(token, query, json!({ "first": first })).await;
            let favourites = data(&body)["places"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|edge| edge["node"]["isFavorite"] == true)
                .count();
            (app.statements.load(Ordering::SeqCst) - before, favourites)
        }
    };
    let (one, _) = statements(1).await;
    let (hundred, favourites) = statements(100).await;
    assert_eq!(one, hundred, "{one} vs {hundred} statements");
    assert_eq!(favourites, 5);
}
