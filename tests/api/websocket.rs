//! graphql-transport-ws as the protocol says: its close codes, limits and error codes.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::{
    Message, client::IntoClientRequest, protocol::frame::coding::CloseCode,
};
use yizhan::auth::Role;

use crate::helpers::TestApp;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn open(app: &TestApp) -> Socket {
    let mut request = (app.address.replace("http://", "ws://") + "/graphql/ws")
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
    tokio_tungstenite::connect_async(request).await.unwrap().0
}

async fn send(socket: &mut Socket, message: Value) {
    socket.send(Message::text(message.to_string())).await.unwrap();
}

/// The next message: a JSON text, or the close code.
async fn next(socket: &mut Socket) -> Result<Value, u16> {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(15), socket.next())
            .await
            .expect("an answer within 15 s");
        match message {
            Some(Ok(Message::Text(text))) => return Ok(serde_json::from_str(text.as_str()).unwrap()),
            Some(Ok(Message::Close(frame))) => return Err(frame.map_or(1005, |frame| u16::from(frame.code))),
            Some(Ok(_)) => continue,
            Some(Err(error)) => panic!("socket error: {error}"),
            None => return Err(1006),
        }
    }
}

async fn acknowledged(app: &TestApp, token: Option<&str>) -> Socket {
    let mut socket = open(app).await;
    let payload = token.map_or(
        json!({}),
        |token| json!({ "Authorization": format!("Bearer {token}") }),
    );
    send(
        &mut socket,
        json!({ "type": "connection_init", "payload": payload }),
    )
    .await;
    assert_eq!(next(&mut socket).await.unwrap()["type"], "connection_ack");
    socket
}

#[tokio::test]
async fn the_protocol_close_codes_hold() {
    let app = TestApp::spawn().await;
    let mut forged = open(&app).await;
    send(
        &mut forged,
        json!({ "type": "connection_init", "payload": { "Authorization": "Bearer forged" } }),
    )
    .await;
    assert_eq!(next(&mut forged).await, Err(4403));

    let mut early = open(&app).await;
    send(
        &mut early,
        json!({ "type": "subscribe", "id": "1", "payload": { "query": "{ me { role } }" } }),
    )
    .await;
    assert_eq!(next(&mut early).await, Err(4401));

    let mut twice = acknowledged(&app, None).await;
    send(&mut twice, json!({ "type": "connection_init" })).await;
    assert_eq!(next(&mut twice).await, Err(4429));

    let mut garbage = acknowledged(&app, None).await;
    send(&mut garbage, json!({ "what": "is this" })).await;
    assert_eq!(next(&mut garbage).await, Err(4400));

    let mut duplicate = acknowledged(&app, None).await;
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

    let mut pinged = acknowledged(&app, None).await;
    send(&mut pinged, json!({ "type": "ping" })).await;
    assert_eq!(next(&mut pinged).await.unwrap()["type"], "pong");
}

#[tokio::test]
async fn operations_answer_with_codes_and_documents_are_checked_like_http() {
    let app = TestApp::spawn().await;
    let token = app.token(Role::Operator, "community-01");
    let mut socket = acknowledged(&app, Some(&token)).await;
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
    let mut socket = acknowledged(&app, None).await;
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
    let mut flooded = acknowledged(&app, None).await;
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
