//! The change-feed benchmark: how soon a write on one instance is seen on another, and how
//! fast one instance fans changes out to 10,000 `placeChanged` subscribers.
//!
//! `cargo bench --bench feed -- sqlite` (or `postgres`, with the server at `PG_ADMIN`,
//! default `postgres://postgres@127.0.0.1:5432/test`). See `bench/README.md`.

use std::{
    collections::HashMap,
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use futures_util::{SinkExt, StreamExt};
use rand::{Rng, SeedableRng, rngs::StdRng};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};

const SECRET: &str = "benchmark-secret-that-is-long-enough-0123456789";
const PLACES: u32 = 100_000;
const FRESHNESS_ROUNDS: usize = 200;
const SUBSCRIBERS: usize = 10_000;
const SUBSCRIPTIONS_PER_CONNECTION: usize = 20;
const CHANGES_PER_SECOND: u64 = 50;
const FAN_OUT_SECONDS: u64 = 20;
/// A 10-minute e-bike ride with the default speeds.
const REACH_METERS: f64 = 1_786.0;

const SET_STATUS: &str = "mutation S($id: ID!, $note: String!) { setPlaceStatus(input: { id: $id, state: OPEN, note: $note }) { place { id } } }";
const NEARBY: &str = "query N($lat: Float!, $lng: Float!) { nearby(near: { lat: $lat, lng: $lng }, within: { meters: 1000 }, first: 20) { edges { node { id } } } }";
const PLACE: &str = "query P($id: ID!) { place(id: $id) { status { note } } }";
const WATCH: &str = "subscription W($lat: Float!, $lng: Float!, $meters: Float!) { placeChanged(near: { lat: $lat, lng: $lng }, within: { meters: $meters }) { change place { status { note } } } }";

struct Server {
    address: String,
    child: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

impl Server {
    fn start(url: &str, port: u16) -> Self {
        let child = Command::new(env!("CARGO_BIN_EXE_yizhan"))
            .arg("serve")
            .envs(environment(url))
            .env("YIZHAN_LISTEN", format!("127.0.0.1:{port}"))
            .spawn()
            .expect("yizhan starts");
        Self {
            address: format!("127.0.0.1:{port}"),
            child,
        }
    }

    fn rss_mb(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    }
}

fn environment(url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("YIZHAN_DATABASE_URL", url.to_owned()),
        ("YIZHAN_JWT_SECRET", SECRET.to_owned()),
        ("YIZHAN_LOAD_DEMO", "false".to_owned()),
        ("YIZHAN_LOG", "warn".to_owned()),
    ]
}

fn yizhan(url: &str, arguments: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_yizhan"))
        .args(arguments)
        .envs(environment(url))
        .stderr(Stdio::inherit())
        .output()
        .expect("yizhan runs");
    assert!(output.status.success(), "yizhan {arguments:?} failed");
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// A fresh database: a temporary SQLite file or a recreated PostgreSQL database.
fn database(kind: &str, folder: &std::path::Path) -> String {
    match kind {
        "postgres" => {
            let admin = std::env::var("PG_ADMIN")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
            for sql in [
                "DROP DATABASE IF EXISTS yizhan_feed_bench WITH (FORCE)",
                "CREATE DATABASE yizhan_feed_bench",
            ] {
                let status = Command::new("psql")
                    .args([admin.as_str(), "-qc", sql])
                    .status()
                    .expect("psql runs");
                assert!(status.success(), "{sql} failed");
            }
            format!("{}/yizhan_feed_bench", admin.rsplit_once('/').unwrap().0)
        }
        _ => format!("sqlite://{}?mode=rwc", folder.join("feed.db").display()),
    }
}

async fn post(
    client: &reqwest::Client,
    server: &Server,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> Value {
    let mut request = client
        .post(format!("http://{}/graphql", server.address))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap().json().await.unwrap()
}

async fn wait_ready(client: &reqwest::Client, server: &Server) {
    for _ in 0..600 {
        if client
            .get(format!("http://{}/readyz", server.address))
            .send()
            .await
            .is_ok_and(|response| response.status().is_success())
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{} never became ready", server.address);
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn subscribe(server: &Server, subscriptions: &[(f64, f64, f64)]) -> Socket {
    let mut request = format!("ws://{}/graphql/ws", server.address)
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
    let mut socket = tokio_tungstenite::connect_async(request).await.unwrap().0;
    socket
        .send(Message::text(json!({ "type": "connection_init" }).to_string()))
        .await
        .unwrap();
    socket.next().await.unwrap().unwrap();
    for (index, (lat, lng, meters)) in subscriptions.iter().enumerate() {
        let payload = json!({ "query": WATCH, "variables": { "lat": lat, "lng": lng, "meters": meters } });
        socket
            .send(Message::text(
                json!({ "type": "subscribe", "id": index.to_string(), "payload": payload }).to_string(),
            ))
            .await
            .unwrap();
    }
    socket
}

/// The note of a `placeChanged` message, if it is one that carries a place.
fn note_of(message: &Message) -> Option<String> {
    let Message::Text(text) = message else { return None };
    let value: Value = serde_json::from_str(text.as_str()).ok()?;
    value["payload"]["data"]["placeChanged"]["place"]["status"]["note"]
        .as_str()
        .map(str::to_owned)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn summary(name: &str, mut values: Vec<f64>) {
    values.sort_by(f64::total_cmp);
    println!(
        "{name}: n={} p50={:.1} ms p99={:.1} ms max={:.1} ms",
        values.len(),
        percentile(&values, 0.50),
        percentile(&values, 0.99),
        values.last().copied().unwrap_or(f64::NAN)
    );
}

/// Published places of the benchmark city, with where they are.
async fn sample_places(client: &reqwest::Client, server: &Server, rng: &mut StdRng) -> Vec<String> {
    let mut ids = Vec::new();
    while ids.len() < 2_000 {
        let point = yizhan::seed::synthetic::sample_point(rng);
        let found = post(
            client,
            server,
            None,
            NEARBY,
            json!({ "lat": point.lat, "lng": point.lng }),
        )
        .await;
        for edge in found["data"]["nearby"]["edges"].as_array().into_iter().flatten() {
            ids.push(edge["node"]["id"].as_str().unwrap().to_owned());
        }
    }
    ids
}

async fn freshness(
    client: &reqwest::Client,
    a: &Server,
    b: &Server,
    admin: &str,
    places: &[String],
    rng: &mut StdRng,
) {
    let centre = yizhan::seed::synthetic::CENTER;
    let mut socket = subscribe(b, &[(centre.lat, centre.lng, 40_000.0)]).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (mut seen_by_subscriber, mut seen_by_query) = (Vec::new(), Vec::new());
    for round in 0..FRESHNESS_ROUNDS {
        let id = &places[rng.random_range(0..places.len())];
        let note = format!("fresh-{round}");
        let started = Instant::now();
        post(
            client,
            a,
            Some(admin),
            SET_STATUS,
            json!({ "id": id, "note": note }),
        )
        .await;
        let (mut subscriber, mut query) = (None, None);
        while subscriber.is_none() || query.is_none() {
            if query.is_none() {
                let read = post(client, b, None, PLACE, json!({ "id": id })).await;
                if read["data"]["place"]["status"]["note"] == note.as_str() {
                    query = Some(started.elapsed());
                }
            }
            if subscriber.is_none() {
                while let Ok(Some(Ok(message))) =
                    tokio::time::timeout(Duration::from_millis(1), socket.next()).await
                {
                    if note_of(&message).as_deref() == Some(note.as_str()) {
                        subscriber = Some(started.elapsed());
                    }
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "round {round} never arrived"
            );
        }
        seen_by_subscriber.push(subscriber.unwrap().as_secs_f64() * 1000.0);
        seen_by_query.push(query.unwrap().as_secs_f64() * 1000.0);
        // A random pause, so that writes do not fall into step with the polling interval.
        tokio::time::sleep(Duration::from_millis(rng.random_range(20..600))).await;
    }
    summary(
        "freshness, write on A seen by a subscriber on B",
        seen_by_subscriber,
    );
    summary("freshness, write on A seen by a query on B", seen_by_query);
}

async fn fan_out(client: &reqwest::Client, a: &Server, admin: &str, places: &[String], rng: &mut StdRng) {
    let before = a.rss_mb();
    let sent: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let latencies: Arc<Mutex<Vec<f64>>> = Arc::default();
    let mut readers = Vec::new();
    for _ in 0..SUBSCRIBERS / SUBSCRIPTIONS_PER_CONNECTION {
        let subscriptions: Vec<(f64, f64, f64)> = (0..SUBSCRIPTIONS_PER_CONNECTION)
            .map(|_| {
                let point = yizhan::seed::synthetic::sample_point(rng);
                (point.lat, point.lng, REACH_METERS)
            })
            .collect();
        let mut socket = subscribe(a, &subscriptions).await;
        let (sent, latencies) = (sent.clone(), latencies.clone());
        readers.push(tokio::spawn(async move {
            while let Some(Ok(message)) = socket.next().await {
                if let Some(note) = note_of(&message)
                    && let Some(at) = sent.lock().unwrap().get(&note)
                {
                    latencies
                        .lock()
                        .unwrap()
                        .push(at.elapsed().as_secs_f64() * 1000.0);
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = a.rss_mb();
    println!(
        "fan-out: {SUBSCRIBERS} subscribers on {} connections; server RSS {before:.0} MB before, {after:.0} MB after: {:.1} KB per subscriber",
        readers.len(),
        (after - before) * 1024.0 / SUBSCRIBERS as f64
    );
    let mut ticker = tokio::time::interval(Duration::from_millis(1000 / CHANGES_PER_SECOND));
    let mut writes = Vec::new();
    for change in 0..CHANGES_PER_SECOND * FAN_OUT_SECONDS {
        ticker.tick().await;
        let note = format!("fan-{change}");
        let id = places[rng.random_range(0..places.len())].clone();
        sent.lock().unwrap().insert(note.clone(), Instant::now());
        let (client, admin) = (client.clone(), admin.to_owned());
        let address = a.address.clone();
        writes.push(tokio::spawn(async move {
            client
                .post(format!("http://{address}/graphql"))
                .bearer_auth(admin)
                .json(&json!({ "query": SET_STATUS, "variables": { "id": id, "note": note } }))
                .send()
                .await
                .is_ok()
        }));
    }
    for write in writes {
        write.await.unwrap();
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let latencies = latencies.lock().unwrap().clone();
    println!(
        "fan-out: {} changes at {CHANGES_PER_SECOND}/s, {} deliveries",
        CHANGES_PER_SECOND * FAN_OUT_SECONDS,
        latencies.len()
    );
    summary("fan-out delivery (write sent → subscriber received)", latencies);
    for reader in readers {
        reader.abort();
    }
}

#[tokio::main]
async fn main() {
    let kind = std::env::args()
        .skip(1)
        .find(|argument| matches!(argument.as_str(), "sqlite" | "postgres"))
        .unwrap_or_else(|| "sqlite".to_owned());
    let folder = tempfile::tempdir().unwrap();
    let url = database(&kind, folder.path());
    println!("== {kind}: seeding {PLACES} places");
    yizhan(&url, &["seed", "--synthetic", &PLACES.to_string()]);
    let admin = yizhan(
        &url,
        &["token", "--role", "admin", "--sub", "bench-admin", "--ttl", "2h"],
    );
    let (a, b) = (Server::start(&url, 8091), Server::start(&url, 8092));
    let client = reqwest::Client::new();
    wait_ready(&client, &a).await;
    wait_ready(&client, &b).await;
    let mut rng = StdRng::seed_from_u64(7);
    let places = sample_places(&client, &a, &mut rng).await;
    freshness(&client, &a, &b, &admin, &places, &mut rng).await;
    fan_out(&client, &a, &admin, &places, &mut rng).await;
}
