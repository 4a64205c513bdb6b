//! graphql-transport-ws as the protocol says: its close codes, limits and error codes.

use futures_util::SinkExt;
use serde_json::json;
use tokio_tungstenite::tungstenite::{Message, protocol::frame::coding::CloseCode};
use yizhan::auth::Role;

use crate::{
    helpers::TestApp,
    operations::{sample, scrape},
    ws::{acknowledged, next, open, send},
};

#[tokio::test]
async fn the_protocol_close_codes_hold() {
    let app = TestApp::spawn().await;
    let mut forged = open(&app.address).await;
    send(
        &mut forged,
        json!({ "type": "connection_init", "payload": { "Authorization": "Bearer forged" } }),
    )
    .await;
    assert_eq!(next(&mut forged).await, Err(4403));

    let mut early = open(&app.address).await;
    send(
        &mut early,
        json!({ "type": "subscribe", "id": "1", "payload": { "query": "{ me { role } }" } }),
    )
    .await;
    assert_eq!(next(&mut early).await, Err(4401));

    let mut twice = acknowledged(&app.address, None).await;
    send(&mut twice, json!({ "type": "connection_init" })).await;
    assert_eq!(next(&mut twice).await, Err(4429));

    let mut garbage = acknowledged(&app.address, None).await;
    send(&mut garbage, json!({ "what": "is this" })).await;
    assert_eq!(next(&mut garbage).await, Err(4400));

    let mut duplicate = acknowledged(&app.address, None).await;
    let watch = json!({ "query": "subscription { placeChanged(near: { lat: 36.18, lng: 116.76 }, within: { meters: 500 }) { change } }" });
    send(
        &mut duplicate,
        json!({ "type": "subscribe", "id": "same", "payload": watch }),
    )
    .await;
    send(
        &mut duplicate,
        json!({ "type": "subscribe", "id": "same", "payload": watch }),
    )
    .await;
    assert_eq!(next(&mut duplicate).await, Err(4409));

    let mut pinged = acknowledged(&app.address, None).await;
    send(&mut pinged, json!({ "type": "ping" })).await;
    assert_eq!(next(&mut pinged).await.unwrap()["type"], "pong");
}

#[tokio::test]
async fn operations_answer_with_codes_and_documents_are_checked_like_http() {
    let app = TestApp::spawn().await;
    let token = app.token(Role::Operator, "community-01");
    let mut socket = acknowledged(&app.address, Some(&token)).await;
    send(
        &mut socket,
        json!({ "type": "subscribe", "id": "me", "payload": { "query": "{ me { subject } }" } }),
    )
    .await;
    let answer = next(&mut socket).await.unwrap();
    assert_eq!(
        (answer["type"].as_str(), answer["id"].as_str()),
        (Some("next"), Some("me"))
    );
    assert_eq!(answer["payload"]["data"]["me"]["subject"], "community-01");
    assert_eq!(next(&mut socket).await.unwrap()["type"], "complete");

    // A document the schema refuses is an `error` message with a code.
    send(
        &mut socket,
        json!({ "type": "subscribe", "id": "bad", "payload": { "query": "{ noSuchField }" } }),
    )
    .await;
    let refused = next(&mut socket).await.unwrap();
    assert_eq!(refused["type"], "error");
    assert_eq!(refused["payload"][0]["extensions"]["code"], "BAD_USER_INPUT");
    // So is one over the alias cap, which used to need a separate schema for WebSockets.
    let aliases: String = (0..31).map(|n| format!("a{n}: __typename ")).collect();
    send(
        &mut socket,
        json!({ "type": "subscribe", "id": "aliases", "payload": { "query": format!("{{ {aliases} }}") } }),
    )
    .await;
    let refused = next(&mut socket).await.unwrap();
    assert_eq!(
        (refused["type"].as_str(), refused["id"].as_str()),
        (Some("error"), Some("aliases"))
    );
    // An id freed by an error can be used again.
    send(
        &mut socket,
        json!({ "type": "subscribe", "id": "bad", "payload": { "query": "{ __typename }" } }),
    )
    .await;
    assert_eq!(next(&mut socket).await.unwrap()["type"], "next");
}

#[tokio::test]
async fn a_connection_runs_a_bounded_number_of_operations_and_messages_are_bounded() {
    let app = TestApp::spawn().await;
    let mut socket = acknowledged(&app.address, None).await;
    let watch = json!({ "query": "subscription { placeChanged(near: { lat: 36.18, lng: 116.76 }, within: { meters: 500 }) { change } }" });
    for id in 0..50 {
        send(
            &mut socket,
            json!({ "type": "subscribe", "id": id.to_string(), "payload": watch }),
        )
        .await;
    }
    send(
        &mut socket,
        json!({ "type": "subscribe", "id": "one-too-many", "payload": watch }),
    )
    .await;
    let refused = next(&mut socket).await.unwrap();
    assert_eq!(refused["id"], "one-too-many");
    assert_eq!(refused["payload"][0]["extensions"]["code"], "RATE_LIMITED");

    // A message larger than the request body limit closes the connection.
    let mut flooded = acknowledged(&app.address, None).await;
    let huge = "x".repeat(200 * 1024);
    let _ = flooded
        .send(Message::text(
            json!({ "type": "ping", "payload": { "pad": huge } }).to_string(),
        ))
        .await;
    let closed = next(&mut flooded).await;
    assert!(
        matches!(closed, Err(code) if code == u16::from(CloseCode::Size) || code == 1006),
        "{closed:?}"
    );
}

/// Over a WebSocket as over HTTP, a query reuses its document's validation, and bad
/// variables still get the full check's error.
#[tokio::test]
async fn queries_reuse_their_documents_validation_and_bad_variables_are_still_refused() {
    let app = TestApp::spawn().await;
    let mut socket = acknowledged(&app.address, None).await;
    let subscribe = |id: &str, variables: serde_json::Value| {
        let query = "query Few($first: Int) { places(first: $first) { edges { node { name } } } }";
        json!({ "type": "subscribe", "id": id, "payload": { "query": query, "variables": variables } })
    };
    let reused = |metrics: &str| sample(metrics, "yizhan_graphql_validations_reused_total");

    send(&mut socket, subscribe("1", json!({ "first": 2 }))).await;
    let first = next(&mut socket).await.unwrap();
    assert_eq!(first["type"], "next", "{first}");
    assert_eq!(next(&mut socket).await.unwrap()["type"], "complete");
    let before = reused(&scrape(&app).await);
    send(&mut socket, subscribe("2", json!({ "first": 2 }))).await;
    let second = next(&mut socket).await.unwrap();
    assert_eq!(second["payload"], first["payload"]);
    assert_eq!(next(&mut socket).await.unwrap()["type"], "complete");
    assert_eq!(reused(&scrape(&app).await), before + 1.0);

    send(&mut socket, subscribe("3", json!({ "first": "two" }))).await;
    let bad = next(&mut socket).await.unwrap();
    assert_eq!(bad["type"], "error", "{bad}");
    assert!(
        bad["payload"][0]["message"]
            .as_str()
            .unwrap()
            .contains("Invalid value"),
        "{bad}"
    );
    assert_eq!(reused(&scrape(&app).await), before + 1.0);
}
