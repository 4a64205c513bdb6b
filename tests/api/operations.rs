//! What operators see and rely on: metrics, idempotent retries, shutdown, outages.

use serde_json::{Value, json};
use yizhan::auth::Role;

use crate::{
    helpers::{TestApp, code, data},
    ws,
};

pub async fn scrape(app: &TestApp) -> String {
    let response = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    response.text().await.unwrap()
}

/// The value of the first sample line that starts with `prefix`.
pub fn sample(metrics: &str, prefix: &str) -> f64 {
    metrics
        .lines()
        .find(|line| line.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix} in\n{metrics}"))
        .rsplit(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn metrics_count_operations_requests_the_directory_and_the_pool() {
    let app = TestApp::spawn().await;
    for _ in 0..3 {
        data(
            &app.gql("query RiderHome { places(first: 1) { totalCount } }", json!({}))
                .await,
        );
    }
    app.gql("query Broken { noSuchField }", json!({})).await;
    let metrics = scrape(&app).await;
    assert_eq!(
        sample(
            &metrics,
            "yizhan_graphql_operations_total{operation=\"RiderHome\",outcome=\"ok\"}"
        ),
        3.0
    );
    assert_eq!(
        sample(
            &metrics,
            "yizhan_graphql_operations_total{operation=\"Broken\",outcome=\"refused\"}"
        ),
        1.0
    );
    assert_eq!(sample(&metrics, "yizhan_directory_places "), 180.0);
    assert!(sample(&metrics, "yizhan_database_connections ") >= 1.0);
    assert!(metrics.contains("yizhan_http_request_duration_seconds_bucket{"));
    assert!(metrics.contains("route=\"/graphql\""));
    assert!(metrics.contains("yizhan_change_log_lag_positions"));
    assert!(metrics.contains("yizhan_websocket_connections"));
}

#[tokio::test]
async fn operation_names_cannot_grow_the_metrics_without_bound() {
    let app = TestApp::spawn().await;
    for number in 0..250 {
        app.gql(&format!("query Name{number} {{ __typename }}"), json!({}))
            .await;
    }
    let metrics = scrape(&app).await;
    let names = metrics
        .lines()
        .filter(|line| line.starts_with("yizhan_graphql_operations_total{"))
        .count();
    assert!(names <= 201, "{names} series");
    assert!(metrics.contains("operation=\"other\""));
}

const CREATE_OFFER: &str = "mutation C($title: String!, $until: DateTime!) { createOffer(input: { placeId: \"UGxhY2U6MQ\", title: $title, validUntil: $until }) { offer { id title } } }";

async fn create_offer(app: &TestApp, token: &str, key: Option<&str>, title: &str) -> (u16, bool, Value) {
    let until = (chrono::Utc::now() + chrono::Duration::days(30))
        .format("%Y-%m-%dT00:00:00Z")
        .to_string();
    let mut request = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": CREATE_OFFER, "variables": { "title": title, "until": until } }));
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    let response = request.send().await.unwrap();
    let replayed = response.headers().contains_key("idempotent-replayed");
    (
        response.status().as_u16(),
        replayed,
        response.json().await.unwrap(),
    )
}

async fn offers_titled(app: &TestApp, title: &str) -> usize {
    let admin = app.token(Role::Admin, "admin-1");
    let body = app
        .gql_as(
            &admin,
            "{ place(id: \"UGxhY2U6MQ\") { offers { title } } }",
            json!({}),
        )
        .await;
    data(&body)["place"]["offers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|offer| offer["title"] == title)
        .count()
}

#[tokio::test]
async fn a_retried_mutation_with_the_same_idempotency_key_writes_once_and_answers_the_same() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin, "admin-1");
    let (status, replayed, first) = create_offer(&app, &admin, Some("retry-7f3a"), "雨天热汤").await;
    assert_eq!((status, replayed), (200, false));
    assert_eq!(
        data(&first)["createOffer"]["offer"]["title"],
        "雨天热汤",
        "{first}"
    );
    let (status, replayed, again) = create_offer(&app, &admin, Some("retry-7f3a"), "雨天热汤").await;
    assert_eq!((status, replayed), (200, true));
    assert_eq!(again, first);
    assert_eq!(offers_titled(&app, "雨天热汤").await, 1);

    // The same key with another body is a conflict and writes nothing.
    let (status, _, other) = create_offer(&app, &admin, Some("retry-7f3a"), "另一份优惠").await;
    assert_eq!((status, code(&other)), (409, "CONFLICT"));
    assert_eq!(offers_titled(&app, "另一份优惠").await, 0);
    // Keys belong to an account: another admin's identical key is another request.
    let other_admin = app.token(Role::Admin, "admin-2");
    let (status, replayed, _) = create_offer(&app, &other_admin, Some("retry-7f3a"), "雨天热汤").await;
    assert_eq!((status, replayed), (200, false));
    assert_eq!(offers_titled(&app, "雨天热汤").await, 2);
    // Without a key every request writes.
    create_offer(&app, &admin, None, "无键优惠").await;
    create_offer(&app, &admin, None, "无键优惠").await;
    assert_eq!(offers_titled(&app, "无键优惠").await, 2);
    let (status, _, bad) = create_offer(&app, &admin, Some("含 空格"), "坏键").await;
    assert_eq!((status, code(&bad)), (400, "BAD_USER_INPUT"));
}

#[tokio::test]
async fn concurrent_retries_with_one_key_write_once() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin, "admin-1");
    let attempts = futures_util::future::join_all(
        (0..8).map(|_| create_offer(&app, &admin, Some("burst-1"), "并发重试")),
    )
    .await;
    for (status, _, body) in &attempts {
        assert!(
            *status == 200 || (*status == 409 && code(body) == "CONFLICT"),
            "{status} {body}"
        );
    }
    assert_eq!(offers_titled(&app, "并发重试").await, 1);
}

#[tokio::test]
async fn sigterm_closes_websockets_with_1001_and_exits_cleanly() {
    let app = TestApp::spawn().await;
    let mut server = app.spawn_process_sharing().await;
    let mut socket = ws::acknowledged(&server.address, None).await;
    server.terminate();
    let closed = ws::next(&mut socket).await;
    assert_eq!(closed, Err(1001));
    let status = server
        .exited_within(std::time::Duration::from_secs(15))
        .await
        .expect("the process exits after SIGTERM");
    assert!(status.success(), "{status:?}");
}

/// A TCP proxy the test can cut and restore, between a server and PostgreSQL.
struct Cable {
    port: u16,
    connected: std::sync::Arc<std::sync::atomic::AtomicBool>,
    cut: tokio::sync::watch::Sender<u64>,
}

impl Cable {
    async fn to(upstream: std::net::SocketAddr) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let connected = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let (cut, cuts) = tokio::sync::watch::channel(0u64);
        let up = connected.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                if !up.load(std::sync::atomic::Ordering::SeqCst) {
                    continue;
                }
                let mut cuts = cuts.clone();
                // Only cuts after this connection opened end it.
                cuts.borrow_and_update();
                tokio::spawn(async move {
                    let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cuts.changed() => {}
                    }
                });
            }
        });
        Self { port, connected, cut }
    }

    fn cut(&self) {
        self.connected.store(false, std::sync::atomic::Ordering::SeqCst);
        self.cut.send_modify(|cuts| *cuts += 1);
    }

    fn restore(&self) {
        self.connected.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

#[tokio::test]
async fn while_postgresql_is_unreachable_reads_go_on_writes_fail_fast_and_it_recovers_losing_nothing() {
    let owner = TestApp::spawn().await;
    if !owner.on_postgres() {
        eprintln!("this test cuts a network link: it runs against PostgreSQL (YIZHAN_TEST_DATABASE_URL)");
        return;
    }
    let url = owner.database_url().to_owned();
    let (host_port, rest) = url
        .trim_start_matches("postgres://")
        .split_once('@')
        .map(|(_, rest)| rest.split_once('/').unwrap())
        .unwrap();
    let upstream: std::net::SocketAddr = tokio::net::lookup_host(host_port).await.unwrap().next().unwrap();
    let cable = Cable::to(upstream).await;
    let via_cable = url.replace(host_port, &format!("127.0.0.1:{}", cable.port));
    assert!(via_cable.ends_with(rest));
    let app = owner.spawn_sharing(via_cable, &[]).await;
    let admin = app.token(Role::Admin, "admin-1");
    let write = "mutation W($note: String!) { setPlaceStatus(input: { id: \"UGxhY2U6MQ\", state: OPEN, note: $note }) { place { status { note } } } }";
    let read = "{ place(id: \"UGxhY2U6MQ\") { name status { note } } }";
    data(&app.gql_as(&admin, write, json!({ "note": "断网前" })).await);

    cable.cut();
    let started = std::time::Instant::now();
    let failed = app.gql_as(&admin, write, json!({ "note": "断网中" })).await;
    assert_eq!(code(&failed), "INTERNAL");
    assert!(
        failed["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("database"),
        "{failed}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "failed fast: {:?}",
        started.elapsed()
    );
    let still = app.gql(read, json!({})).await;
    assert_eq!(
        data(&still)["place"]["status"]["note"],
        "断网前",
        "reads come from the directory"
    );
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);

    cable.restore();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
        if ready.status() == 200 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never ready again");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let after = app.gql_as(&admin, write, json!({ "note": "恢复后" })).await;
    assert_eq!(
        data(&after)["setPlaceStatus"]["place"]["status"]["note"],
        "恢复后"
    );
    // The owner's instance, which never lost its link, follows the change too.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while data(&owner.gql(read, json!({})).await)["place"]["status"]["note"] != "恢复后" {
        assert!(
            std::time::Instant::now() < deadline,
            "the other instance never saw the write"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
