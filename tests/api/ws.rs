//! A graphql-transport-ws client for tests: open, acknowledge, subscribe, read messages and
//! close codes.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};

/// An open WebSocket to a test server.
pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A connection to the server at `address` (`http://…`), speaking graphql-transport-ws,
/// not yet initialised.
pub async fn open(address: &str) -> Socket {
    let mut request = (address.replace("http://", "ws://") + "/graphql/ws")
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
    tokio_tungstenite::connect_async(request).await.unwrap().0
}

/// Sends one protocol message.
pub async fn send(socket: &mut Socket, message: Value) {
    socket.send(Message::text(message.to_string())).await.unwrap();
}

/// The next message other than a ping: a JSON text, or the close code. Fails after 15 s.
pub async fn next(socket: &mut Socket) -> Result<Value, u16> {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(15), socket.next())
            .await
            .expect("an answer within 15 s");
        match message {
            Some(Ok(Message::Text(text))) => {
                let value: Value = serde_json::from_str(text.as_str()).unwrap();
                if value["type"] != "ping" {
                    return Ok(value);
                }
            }
            Some(Ok(Message::Close(frame))) => return Err(frame.map_or(1005, |frame| u16::from(frame.code))),
            Some(Ok(_)) => continue,
            Some(Err(error)) => panic!("socket error: {error}"),
            None => return Err(1006),
        }
    }
}

/// The next message, which must not be a close.
pub async fn message(socket: &mut Socket) -> Value {
    next(socket)
        .await
        .unwrap_or_else(|code| panic!("the socket closed with {code}"))
}

/// A connection initialised with `token` (anonymous without one) and acknowledged.
pub async fn acknowledged(address: &str, token: Option<&str>) -> Socket {
    let mut socket = open(address).await;
    let payload = token.map_or(
        json!({}),
        |token| json!({ "Authorization": format!("Bearer {token}") }),
    );
    send(
        &mut socket,
        json!({ "type": "connection_init", "payload": payload }),
    )
    .await;
    assert_eq!(message(&mut socket).await["type"], "connection_ack");
    socket
}

/// Starts subscription `id`.
pub async fn subscribe(socket: &mut Socket, id: &str, query: &str, variables: Value) {
    send(
        socket,
        json!({ "type": "subscribe", "id": id, "payload": { "query": query, "variables": variables } }),
    )
    .await;
}
