//! What makes public reads cheap: persisted queries, compression, `ETag`s.

use std::io::Read;

use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use yizhan::auth::Role;

use crate::{
    helpers::{TestApp, code, data},
    operations::{sample, scrape},
};

#[tokio::test]
async fn automatic_persisted_queries_work_over_post_and_get() {
    let app = TestApp::spawn().await;
    let query = "{ places(first: 1) { totalCount } }";
    let hash = format!("{:x}", Sha256::digest(query.as_bytes()));
    let extensions = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
    let post = |body: Value| app.client.post(app.url("/graphql")).json(&body).send();

    let miss: Value = post(json!({ "extensions": extensions }))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(code(&miss), "PERSISTED_QUERY_NOT_FOUND");
    let first: Value = post(json!({ "query": query, "extensions": extensions }))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(data(&first)["places"]["totalCount"], 180);
    let hit: Value = post(json!({ "extensions": extensions }))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(data(&hit)["places"]["totalCount"], 180);
    let response = app
        .client
        .get(app.url("/graphql"))
        .query(&[("extensions", extensions.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        data(&response.json::<Value>().await.unwrap())["places"]["totalCount"],
        180
    );

    // A persisted mutation is still refused by GET.
    let mutation = "mutation { submitPlace(input: { id: \"UGxhY2U6MQ\" }) { place { id } } }";
    let hash = format!("{:x}", Sha256::digest(mutation.as_bytes()));
    let extensions = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
    post(json!({ "query": mutation, "extensions": extensions }))
        .await
        .unwrap();
    let response = app
        .client
        .get(app.url("/graphql"))
        .query(&[("extensions", extensions.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn responses_are_compressed_and_public_gets_revalidate_by_etag() {
    let app = TestApp::spawn().await;
    let query = [(
        "query",
        "{ places(first: 50) { edges { node { id name address } } } }",
    )];
    let response = app
        .client
        .get(app.url("/graphql"))
        .query(&query)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-encoding"], "gzip");
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(response.headers()["cache-control"], "public, max-age=5");
    let mut text = String::new();
    flate2::read::GzDecoder::new(&response.bytes().await.unwrap()[..])
        .read_to_string(&mut text)
        .unwrap();
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(data(&body)["places"]["edges"].as_array().unwrap().len(), 50);

    let response = app
        .client
        .get(app.url("/graphql"))
        .query(&query)
        .header("accept-encoding", "br")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-encoding"], "br");

    let response = app
        .client
        .get(app.url("/graphql"))
        .query(&query)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(response.headers()["etag"], etag.as_str());

    let token = app.token(Role::Worker, "rider-1");
    let response = app
        .client
        .get(app.url("/graphql"))
        .query(&query)
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert!(response.headers().get("etag").is_none());
    assert_eq!(response.headers()["cache-control"], "private, no-store");
    let response = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": query[0].1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["cache-control"], "private, no-store");
}

pub(crate) async fn merchant_place_id(app: &TestApp, n: usize) -> Value {
    let token = app.token(Role::Merchant, &format!("merchant-{:02}", n + 1));
    let body = app
        .gql_as(&token, "{ me { places { edges { node { id } } } } }", json!({}))
        .await;
    data(&body)["me"]["places"]["edges"][0]["node"]["id"].clone()
}

/// A document that passed validation once is not validated in full again, but every
/// request's variables still are: bad ones get exactly the answer a document never seen
/// before gets, and are not counted as reusing the validation.
#[tokio::test]
async fn a_document_validated_before_still_has_each_requests_variables_checked() {
    let app = TestApp::spawn().await;
    let nearby = "query Near($near: LocationInput!, $filter: PlaceFilterInput, $first: Int, $system: CoordinateSystem = GCJ02) {
      nearby(near: $near, within: { minutes: 10, mode: EBIKE }, filter: $filter, first: $first) {
        edges { cursor node { name location(system: $system) { lat lng } } } pageInfo { endCursor } } }";
    let place = "query One($id: ID = \"UGxhY2U6MQ\") { place(id: $id) { name } }";
    let near = json!({ "lat": 36.1842, "lng": 116.7618 });
    let reused = |metrics: &str| sample(metrics, "yizhan_graphql_validations_reused_total");

    // Every declared variable given, so its full validation checks every argument.
    let valid =
        json!({ "near": near, "filter": { "amenities": ["HOT_WATER"] }, "first": 3, "system": "GCJ02" });
    let first = app.send(None, nearby, valid.clone()).await;
    assert_eq!(first.0, StatusCode::OK);
    assert!(
        !data(&first.2)["nearby"]["edges"].as_array().unwrap().is_empty(),
        "{}",
        first.2
    );
    let before = reused(&scrape(&app).await);
    let again = app.send(None, nearby, valid).await;
    assert_eq!(
        again.2, first.2,
        "the same answer with the earlier validation reused"
    );
    assert!(
        app.gql(place, json!({ "id": "UGxhY2U6MQ" })).await["data"]["place"]["name"].is_string(),
        "validates the second document"
    );
    let place_answer = app.gql(place, json!({})).await;
    assert!(
        place_answer["data"]["place"]["name"].is_string(),
        "{place_answer}"
    );
    assert_eq!(reused(&scrape(&app).await), before + 2.0);

    let bad_variables = [
        (nearby, json!({})),
        (nearby, json!({ "near": null })),
        (nearby, json!({ "near": { "lat": 36.18 } })),
        (nearby, json!({ "near": { "lat": "north", "lng": 116.76 } })),
        (
            nearby,
            json!({ "near": near, "filter": { "openNow": true, "bogus": 1 } }),
        ),
        (
            nearby,
            json!({ "near": near, "filter": { "amenities": ["JACUZZI"] } }),
        ),
        (nearby, json!({ "near": near, "first": "ten" })),
        (nearby, json!({ "near": near, "system": "MARS" })),
        // A null where the default would have gone, for an argument that cannot be null.
        (place, json!({ "id": null })),
    ];
    for (document, variables) in bad_variables {
        let seen = app.send(None, document, variables.clone()).await;
        // The same document with a comment is new to the server, so it is validated in full.
        let fresh = app
            .send(None, &format!("{document} # {variables}"), variables.clone())
            .await;
        assert!(
            seen.2["errors"]
                .as_array()
                .is_some_and(|errors| !errors.is_empty()),
            "{variables}: {:?}",
            seen
        );
        assert_eq!((seen.0, &seen.2), (fresh.0, &fresh.2), "{variables}");
    }
    assert_eq!(
        reused(&scrape(&app).await),
        before + 2.0,
        "no bad request reused a validation"
    );
    assert_eq!(app.gql(place, json!({})).await, place_answer);

    // Full validation takes any whole number as an `Int` and leaves the range to the
    // argument's reading, so this one may reuse the validation and still answers alike.
    let too_many = json!({ "near": near, "first": 3_000_000_000_i64 });
    let seen = app.send(None, nearby, too_many.clone()).await;
    let fresh = app.send(None, &format!("{nearby} # too many"), too_many).await;
    assert_eq!(
        seen.2["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{:?}",
        seen
    );
    assert_eq!((seen.0, &seen.2), (fresh.0, &fresh.2));
    // The place asked for again after the bad requests, and this one.
    assert_eq!(reused(&scrape(&app).await), before + 4.0);
}

/// A full validation proves a document only when it checked every argument: not when a
/// variable was left out (the argument holding it goes unchecked, literal parts included),
/// nor for a document of several operations (those not selected go unchecked).
#[tokio::test]
async fn a_validation_that_checked_only_part_of_a_document_proves_nothing() {
    let app = &TestApp::spawn().await;
    let reused = |metrics: &str| sample(metrics, "yizhan_graphql_validations_reused_total");
    let send = |query: String, operation: Option<&str>, variables: Value| {
        post(
            app,
            json!({ "query": query, "operationName": operation, "variables": variables }),
        )
    };
    let before = reused(&scrape(app).await);

    let partly = "query Partly($near: LocationInput!, $m: Float = 500) {
      nearby(near: $near, within: { meters: $m, bogus: 1 }) { edges { node { name } } } }";
    let near = json!({ "lat": 36.1842, "lng": 116.7618 });
    for _ in 0..2 {
        let (status, body) = send(partly.to_owned(), None, json!({ "near": near })).await;
        assert_eq!(status, StatusCode::OK, "the argument went unchecked: {body}");
    }
    let with_m = json!({ "near": near, "m": 800 });
    let seen = send(partly.to_owned(), None, with_m.clone()).await;
    let fresh = send(format!("{partly} # fresh"), None, with_m).await;
    assert_eq!(seen.0, StatusCode::BAD_REQUEST, "{}", seen.1);
    assert!(seen.1.to_string().contains("bogus"), "{}", seen.1);
    assert_eq!(seen, fresh);

    let two = "query A($text: String!) { ...F } query B { __typename }
      fragment F on Query { search(text: $text) { totalCount } }";
    for _ in 0..2 {
        let (status, body) = send(two.to_owned(), Some("B"), json!({})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let seen = send(two.to_owned(), Some("B"), json!({ "text": 5 })).await;
    let fresh = send(format!("{two} # fresh"), Some("B"), json!({ "text": 5 })).await;
    assert_eq!(seen.0, StatusCode::BAD_REQUEST, "{}", seen.1);
    assert_eq!(seen, fresh);
    assert_eq!(reused(&scrape(app).await), before, "nothing was proven");
}

/// Apps leave out nullable variables they have no value for (`after` on a first page): a
/// request that leaves out only whole-argument variables still proves its document, and
/// later requests' variables are still checked, with the errors a fresh document gets.
#[tokio::test]
async fn a_document_is_proven_by_a_request_that_leaves_out_whole_argument_variables() {
    let app = &TestApp::spawn().await;
    let reused = |metrics: &str| sample(metrics, "yizhan_graphql_validations_reused_total");
    let search = "query S($text: String!, $near: LocationInput, $first: Int, $after: String) {
      search(text: $text, near: $near, first: $first, after: $after) { edges { node { name } } } }";
    let send = |query: String, variables: Value| post(app, json!({ "query": query, "variables": variables }));
    let before = reused(&scrape(app).await);
    let first = send(search.to_owned(), json!({ "text": "驿站" })).await;
    assert_eq!(first.0, StatusCode::OK, "{}", first.1);
    let again = send(search.to_owned(), json!({ "text": "驿站", "first": 2 })).await;
    assert_eq!(again.0, StatusCode::OK, "{}", again.1);
    assert_eq!(
        reused(&scrape(app).await),
        before + 1.0,
        "proven by the first request"
    );

    let bad = json!({ "text": "驿站", "first": "ten" });
    let seen = send(search.to_owned(), bad.clone()).await;
    let fresh = send(format!("{search} # fresh"), bad).await;
    assert_eq!(seen.0, StatusCode::BAD_REQUEST, "{}", seen.1);
    assert_eq!(seen, fresh);
    assert_eq!(reused(&scrape(app).await), before + 1.0);
}

/// Posts a GraphQL request asking for the spec's media type, so a refused document gets 400.
async fn post(app: &TestApp, body: Value) -> (StatusCode, Value) {
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("accept", "application/graphql-response+json")
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status(), response.json::<Value>().await.unwrap())
}
