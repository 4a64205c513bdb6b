use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, code};

const ME: &str = "{ me { subject } }";

#[tokio::test]
async fn browsers_get_graphiql_and_probes_answer() {
    let app = TestApp::spawn().await;
    let page = app
        .client
        .get(app.url("/graphql"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(page.text().await.unwrap().to_lowercase().contains("graphiql"));
    for probe in ["/healthz", "/readyz"] {
        let response = app.client.get(app.url(probe)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{probe}");
    }
    let missing = app.client.get(app.url("/nope")).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn queries_work_by_get_and_mutations_by_get_are_405() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", "{ places(first: 1) { totalCount } }")])
        .header("accept", "application/graphql-response+json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/graphql-response+json")
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["data"]["places"]["totalCount"], 180);

    let mutation =
        "mutation { transferPlace(input: { id: \"UGxhY2U6MQ\", newOwnerSubject: \"x\" }) { place { id } } }";
    let response = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", mutation)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.headers()["allow"], "POST");
    let body: Value = response.json().await.unwrap();
    assert_eq!(code(&body), "BAD_USER_INPUT");
}

#[tokio::test]
async fn documents_that_fail_to_parse_or_validate_are_400_without_data() {
    let app = TestApp::spawn().await;
    for query in [
        "{ places(first: 1 { totalCount } }",
        "{ noSuchField }",
        "{ places { edges { node { secret } } } }",
    ] {
        let (status, headers, body) = app.send(None, query, json!({})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/graphql-response+json")
        );
        assert!(
            body.get("data").is_none(),
            "a request error has no data entry: {body}"
        );
        assert_eq!(code(&body), "BAD_USER_INPUT");
    }
}

#[tokio::test]
async fn older_clients_get_application_json() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": ME }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    assert!(response.headers().contains_key("x-request-id"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["data"]["me"], Value::Null);
}

#[tokio::test]
async fn bodies_that_are_not_graphql_requests_are_refused_with_the_errors_shape() {
    let app = TestApp::spawn().await;
    let post = |content_type: &'static str, body: &'static str| {
        app.client
            .post(app.url("/graphql"))
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let response = post("text/plain", "{ me { subject } }").await.unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(code(&response.json::<Value>().await.unwrap()), "BAD_USER_INPUT");
    let response = post("application/json", "{ not json").await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(code(&response.json::<Value>().await.unwrap()), "BAD_USER_INPUT");
    let response = post("application/json", "{\"variables\": {}}").await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);

    let huge = format!(
        "{{\"query\": \"{{ me {{ subject }} }}\", \"pad\": \"{}\"}}",
        "x".repeat(100_000)
    );
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(code(&response.json::<Value>().await.unwrap()), "BAD_USER_INPUT");

    let response = app
        .client
        .post(app.url("/graphql"))
        .header("accept", "text/csv")
        .json(&json!({ "query": ME }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_ACCEPTABLE);
}

#[tokio::test]
async fn batches_run_each_operation_up_to_a_cap() {
    let app = TestApp::spawn().await;
    let batch = json!([{ "query": "{ places(first: 0) { totalCount } }" }, { "query": ME }]);
    let response = app
        .client
        .post(app.url("/graphql"))
        .json(&batch)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body[0]["data"]["places"]["totalCount"], 180);
    assert_eq!(body[1]["data"]["me"], Value::Null);

    let too_many: Vec<Value> = (0..11).map(|_| json!({ "query": ME })).collect();
    let response = app
        .client
        .post(app.url("/graphql"))
        .json(&too_many)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(code(&response.json::<Value>().await.unwrap()), "BAD_USER_INPUT");
}

#[tokio::test]
async fn alias_and_complexity_limits_refuse_abusive_documents() {
    let app = TestApp::spawn().await;
    let aliases: String = (0..31).map(|i| format!("a{i}: me {{ subject }} ")).collect();
    let (status, _, body) = app.send(None, &format!("{{ {aliases} }}"), json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["errors"][0]["message"].as_str().unwrap().contains("aliases"),
        "{body}"
    );

    let deep = "{ node(id: \"x\") { ... on Place { id } } places { edges { node { location { lat } } } pageInfo { hasNextPage } } me { places { edges { node { location { lat } } } } } }";
    let (status, _, _) = app.send(None, deep, json!({})).await;
    assert_eq!(status, StatusCode::OK, "a reasonable document passes");

    // Eight fragments, each spreading the next eight times: 556 bytes that spread to two
    // million selections, which validation would visit one by one.
    let fragments: String = (0..8)
        .map(|level| {
            let body = if level == 7 {
                "__typename".to_owned()
            } else {
                vec![format!("...F{}", level + 1); 8].join(" ")
            };
            format!("fragment F{level} on Query {{ {body} }} ")
        })
        .collect();
    let (status, _, body) = app
        .send(None, &format!("{{ ...F0 }} {fragments}"), json!({}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("fragments"),
        "{body}"
    );
    let shared = "{ ...P } fragment P on Query { a: places(first: 1) { ...E } b: places(first: 2) { ...E } }
      fragment E on PlaceConnection { edges { node { id name } } }";
    let (status, _, body) = app.send(None, shared, json!({})).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "fragments spread a few times pass: {body}"
    );

    let wide: String = (0..25).map(|i| format!("p{i}: places(first: 100) {{ edges {{ node {{ id name address kind amenities servesGroups phone version }} }} }} ")).collect();
    let (status, _, body) = app.send(None, &format!("{{ {wide} }}"), json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(code(&body), "BAD_USER_INPUT");
}
