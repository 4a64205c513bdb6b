//! What makes public reads cheap: persisted queries, compression, `ETag`s.

use std::io::Read;

use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use yizhan::auth::Role;

use crate::helpers::{TestApp, code, data};

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
