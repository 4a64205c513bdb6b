//! graphql-transport-ws on `/graphql/ws`, implemented here rather than by async-graphql so
//! that the protocol's close codes, message limits and time limits hold: 4400 for a message
//! that is not the protocol's, 4401 for a subscribe before the acknowledgement, 4403 for a
//! bad token, 4408 when no `connection_init` comes in time, 4409 for an id already in use,
//! 4429 for a second `connection_init`, 1001 when the server shuts down. The token travels
//! in `connection_init`'s payload as `{"Authorization": "Bearer …"}` (or `{"token": "…"}`).
//! Every operation goes through the same document preparation as HTTP (persisted queries,
//! the alias cap) and every error carries `extensions.code`.

use std::{collections::HashMap, net::SocketAddr, time::Duration};

use async_graphql::{
    Request,
    futures_util::{SinkExt, StreamExt},
};
use axum::{
    extract::{
        ConnectInfo, State, WebSocketUpgrade,
        ws::{CloseFrame, Message, WebSocket},
    },
    http::HeaderMap,
    response::Response,
};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::{sync::mpsc, task::JoinHandle};

use super::{graphql::viewer_from, respond::default_code};
use crate::{auth::Viewer, error::AppError, graphql::prepare::Refusal, state::AppState, throttle::Caller};

/// The subprotocol spoken here.
const PROTOCOL: &str = "graphql-transport-ws";
/// How long a client may take to send `connection_init`.
const INIT_TIMEOUT: Duration = Duration::from_secs(10);
/// Operations one connection may run at once.
pub const MAX_OPERATIONS: usize = 50;
/// Messages waiting to be written to one connection before its operations wait.
const OUTGOING_QUEUE: usize = 64;

#[derive(Deserialize)]
struct ClientMessage {
    #[serde(rename = "type")]
    kind: String,
    id: Option<String>,
    payload: Option<Value>,
}

enum Outgoing {
    Text(String),
    /// An operation ended by itself: forget it, and tell the client unless an `error`
    /// message already ended it.
    Finished {
        id: String,
        complete: bool,
    },
}

/// Why the server closes a connection.
struct Close(u16, String);

impl Close {
    fn frame(self) -> Message {
        Message::Close(Some(CloseFrame {
            code: self.0,
            reason: self.1.into(),
        }))
    }
}

pub async fn upgrade(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let limit = state.limits.max_body_bytes;
    upgrade
        .protocols([PROTOCOL])
        .max_message_size(limit)
        .max_frame_size(limit)
        .on_upgrade(move |socket| serve(state, socket, peer, headers))
}

/// One connection, from `connection_init` to close.
async fn serve(state: AppState, socket: WebSocket, peer: SocketAddr, headers: HeaderMap) {
    let _open = state.metrics.websocket();
    let (mut sink, mut incoming) = socket.split();
    let (outgoing, mut queued) = mpsc::channel::<Outgoing>(OUTGOING_QUEUE);
    let mut connection = Connection {
        state: state.clone(),
        viewer: None,
        caller: None,
        peer,
        headers,
        initialised: false,
        operations: HashMap::new(),
        outgoing,
    };
    let mut shutdown = state.shutdown.clone();
    let init_deadline = tokio::time::sleep(INIT_TIMEOUT);
    tokio::pin!(init_deadline);
    let close = loop {
        tokio::select! {
            message = incoming.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    match connection.receive(text.as_str()).await {
                        Ok(Some(reply)) => {
                            if sink.send(Message::Text(reply.into())).await.is_err() {
                                break None;
                            }
                        }
                        Ok(None) => {}
                        Err(close) => break Some(close),
                    }
                }
                Some(Ok(Message::Binary(_))) => {
                    break Some(Close(4400, "messages are JSON text".to_owned()));
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                // The WebSocket library refuses a message over the limit with a capacity error.
                Some(Err(error)) if error.to_string().contains("too long") => {
                    break Some(Close(1009, format!("messages are at most {} bytes", state.limits.max_body_bytes)));
                }
                Some(Ok(Message::Close(_)) | Err(_)) | None => break None,
            },
            Some(message) = queued.recv() => {
                let text = match message {
                    Outgoing::Text(text) => text,
                    Outgoing::Finished { id, complete } => {
                        connection.operations.remove(&id);
                        if !complete {
                            continue;
                        }
                        json!({ "type": "complete", "id": id }).to_string()
                    }
                };
                if sink.send(Message::Text(text.into())).await.is_err() {
                    break None;
                }
            }
            () = &mut init_deadline, if !connection.initialised => {
                break Some(Close(4408, "Connection initialisation timeout".to_owned()));
            }
            _ = shutdown.changed() => {
                break Some(Close(1001, "the server is shutting down; reconnect".to_owned()));
            }
        }
    };
    for (_, operation) in connection.operations.drain() {
        operation.abort();
    }
    if let Some(close) = close {
        let _ = sink.send(close.frame()).await;
    }
    let _ = sink.close().await;
}

struct Connection {
    state: AppState,
    /// Set once `connection_init` was accepted.
    viewer: Option<Viewer>,
    /// Whose rate-limit budget the connection's operations take from.
    caller: Option<Caller>,
    peer: SocketAddr,
    headers: HeaderMap,
    initialised: bool,
    operations: HashMap<String, JoinHandle<()>>,
    outgoing: mpsc::Sender<Outgoing>,
}

impl Connection {
    /// Handles one client message: a reply to send at once, nothing, or a reason to close.
    async fn receive(&mut self, text: &str) -> Result<Option<String>, Close> {
        let message: ClientMessage = serde_json::from_str(text)
            .map_err(|_| Close(4400, "not a graphql-transport-ws message".to_owned()))?;
        match message.kind.as_str() {
            "connection_init" => {
                if self.initialised {
                    return Err(Close(4429, "Too many initialisation requests".to_owned()));
                }
                self.initialised = true;
                let viewer = viewer_from(
                    &self.state.auth,
                    authorization(message.payload.as_ref()).as_deref(),
                )
                .map_err(|error| Close(4403, format!("Forbidden: {}", error.public_message())))?;
                self.caller = Some(self.state.throttle.caller(&viewer, self.peer, &self.headers));
                self.viewer = Some(viewer);
                Ok(Some(json!({ "type": "connection_ack" }).to_string()))
            }
            "ping" => Ok(Some(json!({ "type": "pong" }).to_string())),
            "pong" => Ok(None),
            "subscribe" => {
                let viewer = self
                    .viewer
                    .clone()
                    .ok_or_else(|| Close(4401, "Unauthorized".to_owned()))?;
                let id = message
                    .id
                    .filter(|id| !id.is_empty() && id.len() <= 128)
                    .ok_or_else(|| Close(4400, "subscribe needs an id".to_owned()))?;
                let request: Request = message
                    .payload
                    .and_then(|payload| serde_json::from_value(payload).ok())
                    .ok_or_else(|| {
                        Close(
                            4400,
                            "subscribe needs a GraphQL request as its payload".to_owned(),
                        )
                    })?;
                if self.operations.contains_key(&id) {
                    return Err(Close(4409, format!("Subscriber for {id} already exists")));
                }
                Ok(self.start(id, request, viewer))
            }
            "complete" => {
                if let Some(operation) = message.id.and_then(|id| self.operations.remove(&id)) {
                    operation.abort();
                }
                Ok(None)
            }
            _ => Err(Close(4400, format!("unknown message type {:?}", message.kind))),
        }
    }

    /// Starts an operation, or answers at once with why it cannot start.
    fn start(&mut self, id: String, mut request: Request, viewer: Viewer) -> Option<String> {
        let refuse = |error: AppError| {
            let code = error.code();
            Some(
                json!({ "type": "error", "id": id, "payload": [{ "message": error.public_message(), "extensions": { "code": code } }] })
                    .to_string(),
            )
        };
        if self.operations.len() >= MAX_OPERATIONS {
            return refuse(AppError::RateLimited(format!(
                "a connection runs at most {MAX_OPERATIONS} operations at once; complete one first"
            )));
        }
        if let Some(caller) = &self.caller
            && let Err(refused) = self.state.throttle.admit(caller, 1, false)
        {
            self.state.metrics.rate_limited();
            return refuse(refused.error);
        }
        if viewer.expires_at().is_some_and(|at| at <= chrono::Utc::now()) {
            return refuse(AppError::Unauthenticated(
                "your token expired: reconnect with a fresh token".to_owned(),
            ));
        }
        let state = &self.state;
        let prepared = match state.documents.prepare(&mut request, false) {
            Ok(prepared) => prepared,
            Err(Refusal::Invalid(mut error)) => {
                default_code(&mut error);
                return Some(json!({ "type": "error", "id": id, "payload": [error] }).to_string());
            }
            // Only GET requests are refused for carrying a mutation.
            Err(Refusal::MutationViaGet) => {
                return refuse(AppError::bad_input("this operation cannot run here"));
            }
        };
        let mut request = request.data(viewer);
        prepared.hand_document(&mut request);
        let schema = state.schema_for(&prepared).clone();
        let (documents, outgoing) = (state.documents.clone(), self.outgoing.clone());
        let timeout = state.limits.request_timeout;
        let operation_id = id.clone();
        let running = state.metrics.websocket_operation();
        let task = tokio::spawn(async move {
            let _running = running;
            let mut responses = if prepared.subscription {
                schema.execute_stream(request)
            } else {
                let mutation = prepared.mutation;
                let single = async move {
                    let run = schema.execute(request);
                    if mutation {
                        // A write runs to the end, like over HTTP.
                        run.await
                    } else {
                        tokio::time::timeout(timeout, run).await.unwrap_or_else(|_| {
                            let error = AppError::TimedOut(format!(
                                "the operation took longer than {} s and was stopped",
                                timeout.as_secs()
                            ));
                            async_graphql::Response::from_errors(vec![
                                async_graphql::ErrorExtensions::extend(&error)
                                    .into_server_error(async_graphql::Pos::default()),
                            ])
                        })
                    }
                };
                async_graphql::futures_util::stream::once(single).boxed()
            };
            let mut first = true;
            let mut remember = Some(prepared);
            while let Some(mut response) = responses.next().await {
                for error in &mut response.errors {
                    default_code(error);
                }
                let refused = first
                    && response.data == async_graphql::Value::Null
                    && !response.errors.is_empty()
                    && response.errors.iter().all(|error| error.path.is_empty());
                first = false;
                let message = if refused {
                    json!({ "type": "error", "id": operation_id, "payload": response.errors })
                } else {
                    if let Some(prepared) = remember.take() {
                        documents.remember(prepared);
                    }
                    json!({ "type": "next", "id": operation_id, "payload": response })
                };
                if outgoing.send(Outgoing::Text(message.to_string())).await.is_err() {
                    return;
                }
                if refused {
                    let _ = outgoing
                        .send(Outgoing::Finished {
                            id: operation_id,
                            complete: false,
                        })
                        .await;
                    return;
                }
            }
            let _ = outgoing
                .send(Outgoing::Finished {
                    id: operation_id,
                    complete: true,
                })
                .await;
        });
        self.operations.insert(id, task);
        None
    }
}

/// The bearer credentials of a `connection_init` payload, as an Authorization header value.
fn authorization(payload: Option<&Value>) -> Option<String> {
    let payload = payload?;
    payload
        .get("Authorization")
        .or_else(|| payload.get("authorization"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| {
            payload
                .get("token")
                .and_then(Value::as_str)
                .map(|token| format!("Bearer {token}"))
        })
}
