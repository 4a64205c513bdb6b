//! Reviews: one per worker and place, the owner's reply, moderation, helpful marks, the
//! rating served from the directory, pseudonyms and the per-worker limit.

use serde_json::{Value, json};
use yizhan::auth::Role;

use crate::{
    helpers::{TestApp, code, data},
    writes::merchant_01_place,
};

pub const REVIEW: &str = "mutation R($input: ReviewPlaceInput!) { reviewPlace(input: $input) {
    review { id stars text authorName isMine verifiedVisit helpfulCount hidden hiddenReason reply { text } } } }";
const DELETE: &str = "mutation D($id: ID!) { deleteMyReview(input: { placeId: $id }) { deletedId } }";
const REPLY: &str =
    "mutation R($id: ID!, $text: String!) { replyToReview(input: { reviewId: $id, text: $text }) {
    review { id reply { text repliedAt } } } }";
const HIDE: &str =
    "mutation H($id: ID!, $reason: String!) { hideReview(input: { reviewId: $id, reason: $reason }) {
    review { id hidden hiddenReason } } }";
const HELPFUL: &str =
    "mutation M($id: ID!) { markReviewHelpful(input: { reviewId: $id }) { review { id helpfulCount } } }";
const REVIEWS: &str = "query P($id: ID!, $order: ReviewOrder, $first: Int, $after: String) { place(id: $id) {
    rating { average count distribution }
    myReview { id stars hidden hiddenReason }
    reviews(order: $order, first: $first, after: $after) {
        totalCount pageInfo { hasNextPage endCursor }
        edges { node { id stars text authorName isMine verifiedVisit helpfulCount hidden hiddenReason reply { text } } } } } }";

/// A worker's token.
pub fn rider(app: &TestApp, subject: &str) -> String {
    app.token(Role::Worker, subject)
}

/// Writes a review and returns its id.
pub async fn review(app: &TestApp, token: &str, place: &Value, stars: i64, text: &str) -> Value {
    let input = json!({ "placeId": place, "stars": stars, "text": text });
    let body = app.gql_as(token, REVIEW, json!({ "input": input })).await;
    data(&body)["reviewPlace"]["review"]["id"].clone()
}

/// The place's reviews and rating as `token` (anonymous when `None`) reads them.
pub(crate) async fn read(app: &TestApp, token: Option<&str>, place: &Value) -> Value {
    let (_, _, body) = app.send(token, REVIEWS, json!({ "id": place })).await;
    data(&body)["place"].clone()
}

/// The ids of the first `n` published places, in id order.
pub async fn places(app: &TestApp, n: usize) -> Vec<Value> {
    let body = app
        .gql(
            "query P($n: Int) { places(first: $n) { edges { node { id } } } }",
            json!({ "n": n }),
        )
        .await;
    data(&body)["places"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"]["id"].clone())
        .collect()
}

#[tokio::test]
async fn a_worker_has_one_review_per_place_and_writing_again_replaces_it() {
    let app = TestApp::spawn().await;
    let (place, _) = merchant_01_place(&app).await;
    let token = rider(&app, "rider-1");
    let first = review(&app, &token, &place, 2, "热水不热").await;
    let second = review(&app, &token, &place, 5, "  修好了，热水很足  ").await;
    assert_eq!(first, second, "the second write replaces the first review");

    let seen = read(&app, None, &place).await;
    assert_eq!(seen["reviews"]["totalCount"], 1);
    let node = &seen["reviews"]["edges"][0]["node"];
    assert_eq!(node["stars"], 5);
    assert_eq!(node["text"], "修好了，热水很足", "text is trimmed like names");
    assert_eq!(node["verifiedVisit"], false);
    assert_eq!(
        seen["rating"],
        json!({ "average": 5.0, "count": 1, "distribution": [0, 0, 0, 0, 1] })
    );
}

#[tokio::test]
async fn concurrent_writes_by_one_worker_leave_one_review() {
    let app = TestApp::spawn().await;
    let (place, _) = merchant_01_place(&app).await;
    let token = rider(&app, "rider-1");
    let writes = (1..=5).map(|stars| {
        let input = json!({ "placeId": place, "stars": stars, "text": format!("第{stars}次") });
        app.gql_as(&token, REVIEW, json!({ "input": input }))
    });
    for body in futures_util::future::join_all(writes).await {
        data(&body);
    }
    let seen = read(&app, None, &place).await;
    assert_eq!(seen["reviews"]["totalCount"], 1);
    assert_eq!(seen["rating"]["count"], 1);
}

#[tokio::test]
async fn only_workers_review_and_only_the_owner_replies() {
    let app = TestApp::spawn().await;
    let (place, _) = merchant_01_place(&app).await;
    let input = json!({ "input": { "placeId": place, "stars": 1, "text": "对手的店很差" } });
    for role in [Role::Merchant, Role::Operator, Role::Admin] {
        let body = app
            .gql_as(&app.token(role, "merchant-02"), REVIEW, input.clone())
            .await;
        assert_eq!(code(&body), "FORBIDDEN", "{role:?}");
    }
    assert_eq!(code(&app.gql(REVIEW, input).await), "UNAUTHENTICATED");

    let id = review(&app, &rider(&app, "rider-1"), &place, 4, "饭菜实惠").await;
    let owner = app.token(Role::Merchant, "merchant-01");
    for token in [
        app.token(Role::Merchant, "merchant-02"),
        app.token(Role::Admin, "city-admin"),
        // A worker account with the owner's subject is not the owner.
        app.token(Role::Worker, "merchant-01"),
    ] {
        let body = app
            .gql_as(&token, REPLY, json!({ "id": id, "text": "谢谢" }))
            .await;
        assert_eq!(code(&body), "FORBIDDEN");
    }
    data(
        &app.gql_as(&owner, REPLY, json!({ "id": id, "text": "谢谢支持" }))
            .await,
    );
    let edited = app
        .gql_as(&owner, REPLY, json!({ "id": id, "text": "谢谢支持，欢迎再来" }))
        .await;
    assert_eq!(
        data(&edited)["replyToReview"]["review"]["reply"]["text"],
        "谢谢支持，欢迎再来"
    );
    let seen = read(&app, None, &place).await;
    assert_eq!(
        seen["reviews"]["edges"][0]["node"]["reply"]["text"],
        "谢谢支持，欢迎再来"
    );
    let empty = app.gql_as(&owner, REPLY, json!({ "id": id, "text": "  " })).await;
    assert_eq!(code(&empty), "BAD_USER_INPUT");
}

#[tokio::test]
async fn a_hidden_review_leaves_the_rating_and_reaches_only_its_author_and_admins() {
    let app = TestApp::spawn().await;
    let (place, _) = merchant_01_place(&app).await;
    let (author, other) = (rider(&app, "rider-1"), rider(&app, "rider-2"));
    let abusive = review(&app, &author, &place, 1, "老板是骗子").await;
    review(&app, &other, &place, 5, "骑手套餐很好").await;
    assert_eq!(read(&app, None, &place).await["rating"]["average"], 3.0);

    let hide = json!({ "id": abusive, "reason": "人身攻击，已隐藏" });
    for token in [other.clone(), app.token(Role::Merchant, "merchant-01")] {
        assert_eq!(code(&app.gql_as(&token, HIDE, hide.clone()).await), "FORBIDDEN");
    }
    let admin = app.token(Role::Admin, "city-admin");
    let hidden = app.gql_as(&admin, HIDE, hide).await;
    assert_eq!(data(&hidden)["hideReview"]["review"]["hidden"], true);

    let public = read(&app, None, &place).await;
    assert_eq!(
        public["rating"],
        json!({ "average": 5.0, "count": 1, "distribution": [0, 0, 0, 0, 1] })
    );
    assert_eq!(public["reviews"]["totalCount"], 1);
    let owner = read(&app, Some(&app.token(Role::Merchant, "merchant-01")), &place).await;
    assert_eq!(owner["reviews"]["totalCount"], 1);
    assert_eq!(read(&app, Some(&other), &place).await["reviews"]["totalCount"], 1);

    let own = read(&app, Some(&author), &place).await;
    assert_eq!(own["reviews"]["totalCount"], 2, "the author still sees it");
    assert_eq!(own["myReview"]["hidden"], true);
    assert_eq!(own["myReview"]["hiddenReason"], "人身攻击，已隐藏");
    assert_eq!(read(&app, Some(&admin), &place).await["reviews"]["totalCount"], 2);

    // Rewriting it, or deleting and posting again, does not bring it back.
    review(&app, &author, &place, 2, "改一下").await;
    data(&app.gql_as(&author, DELETE, json!({ "id": place })).await);
    review(&app, &author, &place, 1, "再发一次").await;
    let public = read(&app, None, &place).await;
    assert_eq!(public["rating"]["count"], 1);
    assert_eq!(public["reviews"]["totalCount"], 1);
}

#[tokio::test]
async fn a_deleted_review_leaves_the_rating() {
    let app = TestApp::spawn().await;
    let (place, _) = merchant_01_place(&app).await;
    let token = rider(&app, "rider-1");
    let id = review(&app, &token, &place, 3, "一般").await;
    review(&app, &rider(&app, "rider-2"), &place, 5, "很好").await;
    assert_eq!(read(&app, None, &place).await["rating"]["average"], 4.0);

    let merchant = app.token(Role::Merchant, "merchant-01");
    assert_eq!(
        code(&app.gql_as(&merchant, DELETE, json!({ "id": place })).await),
        "FORBIDDEN"
    );
    let deleted = app.gql_as(&token, DELETE, json!({ "id": place })).await;
    assert_eq!(data(&deleted)["deleteMyReview"]["deletedId"], id);
    let seen = read(&app, Some(&token), &place).await;
    assert_eq!(
        seen["rating"],
        json!({ "average": 5.0, "count": 1, "distribution": [0, 0, 0, 0, 1] })
    );
    assert_eq!(seen["reviews"]["totalCount"], 1);
    assert!(seen["myReview"].is_null());
    assert_eq!(
        code(&app.gql_as(&token, DELETE, json!({ "id": place })).await),
        "NOT_FOUND"
    );
    let node = app
        .gql("query N($id: ID!) { node(id: $id) { id } }", json!({ "id": id }))
        .await;
    assert!(data(&node)["node"].is_null());
}

#[tokio::test]
async fn each_worker_marks_a_review_helpful_once_and_the_most_helpful_come_first() {
    let app = TestApp::spawn().await;
    let (place, _) = merchant_01_place(&app).await;
    let (a, b, c) = (
        rider(&app, "rider-a"),
        rider(&app, "rider-b"),
        rider(&app, "rider-c"),
    );
    let older = review(&app, &a, &place, 4, "充电桩好用").await;
    let newer = review(&app, &b, &place, 3, "人有点多").await;
    for token in [&a, &c] {
        data(&app.gql_as(token, HELPFUL, json!({ "id": newer })).await);
    }
    let again = app.gql_as(&c, HELPFUL, json!({ "id": newer })).await;
    assert_eq!(data(&again)["markReviewHelpful"]["review"]["helpfulCount"], 2);
    data(&app.gql_as(&c, HELPFUL, json!({ "id": older })).await);
    assert_eq!(
        code(&app.gql_as(&b, HELPFUL, json!({ "id": newer })).await),
        "BAD_USER_INPUT"
    );
    let merchant = app.token(Role::Merchant, "merchant-01");
    assert_eq!(
        code(&app.gql_as(&merchant, HELPFUL, json!({ "id": older })).await),
        "FORBIDDEN"
    );

    let order = |order: &str, after: Option<String>| {
        app.gql(
            REVIEWS,
            json!({ "id": place, "order": order, "first": 1, "after": after }),
        )
    };
    let page = data(&order("MOST_HELPFUL", None).await)["place"]["reviews"].clone();
    assert_eq!(page["edges"][0]["node"]["id"], newer);
    assert_eq!(page["edges"][0]["node"]["helpfulCount"], 2);
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    let cursor = page["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    let next = data(&order("MOST_HELPFUL", cursor.clone()).await)["place"]["reviews"].clone();
    assert_eq!(next["edges"][0]["node"]["id"], older);
    assert_eq!(next["pageInfo"]["hasNextPage"], false);
    // A cursor of one order does not resume the other.
    assert_eq!(code(&order("NEWEST", cursor).await), "BAD_USER_INPUT");

    let newest = data(&order("NEWEST", None).await)["place"]["reviews"].clone();
    assert_eq!(newest["edges"][0]["node"]["id"], newer);
    let cursor = newest["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    let rest = data(&order("NEWEST", cursor).await)["place"]["reviews"].clone();
    assert_eq!(rest["edges"][0]["node"]["id"], older);
}

#[tokio::test]
async fn other_readers_see_a_stable_pseudonym_never_the_account() {
    let app = TestApp::spawn().await;
    let (place, _) = merchant_01_place(&app).await;
    let author = rider(&app, "rider-13800000000");
    review(&app, &author, &place, 4, "干净").await;
    let before = read(&app, Some(&rider(&app, "rider-2")), &place).await;
    let name = before["reviews"]["edges"][0]["node"]["authorName"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        name.starts_with("骑手") && name.chars().count() == 6,
        "a pseudonym such as 骑手3fa2, got {name}"
    );
    assert_eq!(before["reviews"]["edges"][0]["node"]["isMine"], false);
    let body = app
        .gql(
            "query P($id: ID!) { place(id: $id) { reviews { edges { node { id authorName text } } } } }",
            json!({ "id": place }),
        )
        .await;
    assert!(!body.to_string().contains("13800000000"), "{body}");

    review(&app, &author, &place, 5, "很干净").await;
    let after = read(&app, Some(&author), &place).await;
    assert_eq!(after["reviews"]["edges"][0]["node"]["authorName"], name.as_str());
    assert_eq!(after["reviews"]["edges"][0]["node"]["isMine"], true);
}

#[tokio::test]
async fn bad_review_input_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let (place, _) = merchant_01_place(&app).await;
    let token = rider(&app, "rider-1");
    for (stars, text) in [
        (0, "太差".to_owned()),
        (6, "太好".to_owned()),
        (4, "长".repeat(501)),
        (4, "bell\u{7}".to_owned()),
    ] {
        let input = json!({ "placeId": place, "stars": stars, "text": text });
        let body = app.gql_as(&token, REVIEW, json!({ "input": input })).await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{stars} {text}");
    }
    let offer_id = "T2ZmZXI6MQ";
    let input = json!({ "placeId": offer_id, "stars": 4 });
    assert_eq!(
        code(&app.gql_as(&token, REVIEW, json!({ "input": input })).await),
        "BAD_USER_INPUT"
    );
    let seen = read(&app, Some(&token), &place).await;
    assert_eq!(seen["rating"]["count"], 0);
    assert!(seen["rating"]["average"].is_null());
    assert!(seen["myReview"].is_null());
    review(&app, &token, &place, 4, &"长".repeat(500)).await;
}
