//! `TestApp`: a real yizhan server on a free port, through the real `App::build`, with its
//! own database (a temporary SQLite file, or a fresh PostgreSQL database when
//! `YIZHAN_TEST_DATABASE_URL` is set), dropped when the test ends.

use std::{collections::HashMap, sync::Arc, time::Duration};

use entity::place::WorkerGroup;
use reqwest::{StatusCode, header::HeaderMap};
use serde_json::{Value, json};
use yizhan::{
    app::App,
    auth::{Authenticator, Role},
    config::Config,
};

pub const TEST_SECRET: &str = "test-secret-that-is-long-enough-for-hs256-0123456789";

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    /// The server's own connection: for tests that simulate time passing in the data.
    pub db: sea_orm::DatabaseConnection,
    /// The server's count of SQL statements run for requests.
    pub statements: Arc<std::sync::atomic::AtomicU64>,
    /// The folder photos are stored in, this test's own.
    pub media_dir: std::path::PathBuf,
    _media: tempfile::TempDir,
    auth: Arc<Authenticator>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    database: TestDatabase,
    database_url: String,
}

enum TestDatabase {
    Sqlite(#[expect(dead_code, reason = "held so the folder lives as long as the server")] tempfile::TempDir),
    Postgres {
        admin_url: String,
        name: String,
    },
    /// Another test app's database, which that app cleans up.
    Borrowed,
}

/// Another server process on a test app's database.
pub struct ServerProcess {
    pub address: String,
    child: std::process::Child,
}

impl ServerProcess {
    /// Sends the process SIGTERM, as an orchestrator stopping it would.
    pub fn terminate(&self) {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// Waits up to `limit` for the process to exit.
    pub async fn exited_within(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let deadline = std::time::Instant::now() + limit;
        while std::time::Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("the process can be waited for") {
                return Some(status);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        None
    }

    /// Sends a query anonymously and returns the response body.
    pub async fn gql(&self, client: &reqwest::Client, query: &str, variables: Value) -> Value {
        let body = json!({ "query": query, "variables": variables });
        client
            .post(format!("{}/graphql", self.address))
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// The PostgreSQL server tests run against, if any.
fn postgres_admin_url() -> Option<String> {
    std::env::var("YIZHAN_TEST_DATABASE_URL")
        .ok()
        .filter(|url| !url.is_empty())
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(&[]).await
    }

    /// Starts a server with extra `YIZHAN_*` settings.
    pub async fn spawn_with(settings: &[(&str, &str)]) -> Self {
        let (database_url, database) = match postgres_admin_url() {
            Some(admin_url) => {
                let name = format!("yizhan_test_{}", uuid::Uuid::new_v4().simple());
                let admin = sea_orm::Database::connect(&admin_url)
                    .await
                    .expect("YIZHAN_TEST_DATABASE_URL answers");
                sea_orm::ConnectionTrait::execute_unprepared(&admin, &format!("CREATE DATABASE {name}"))
                    .await
                    .expect("the test role may create databases");
                admin.close().await.ok();
                let base = admin_url
                    .rsplit_once('/')
                    .map(|(base, _)| base)
                    .unwrap_or(&admin_url);
                (
                    format!("{base}/{name}"),
                    TestDatabase::Postgres { admin_url, name },
                )
            }
            None => {
                let folder = tempfile::tempdir().expect("a temporary folder");
                let url = format!("sqlite://{}?mode=rwc", folder.path().join("yizhan.db").display());
                (url, TestDatabase::Sqlite(folder))
            }
        };
        Self::start(database_url, database, settings).await
    }

    async fn start(database_url: String, database: TestDatabase, settings: &[(&str, &str)]) -> Self {
        let media = tempfile::tempdir().expect("a temporary folder for photos");
        let media_dir = media.path().to_path_buf();
        let mut vars: HashMap<String, String> = HashMap::from([
            ("YIZHAN_MEDIA_DIR".to_owned(), media_dir.display().to_string()),
            ("YIZHAN_LISTEN".to_owned(), "127.0.0.1:0".to_owned()),
            ("YIZHAN_DATABASE_URL".to_owned(), database_url.clone()),
            ("YIZHAN_JWT_SECRET".to_owned(), TEST_SECRET.to_owned()),
            ("YIZHAN_DB_MAX_CONNECTIONS".to_owned(), "5".to_owned()),
            // Tests fire requests far faster than any rider; the rate-limit tests lower these.
            ("YIZHAN_RATE_READS_PER_MINUTE".to_owned(), "1000000".to_owned()),
            ("YIZHAN_RATE_WRITES_PER_MINUTE".to_owned(), "1000000".to_owned()),
        ]);
        for (name, value) in settings {
            if value.is_empty() {
                vars.remove(*name);
            } else {
                vars.insert((*name).to_owned(), (*value).to_owned());
            }
        }
        let config =
            Config::from_lookup(|name| vars.get(name).cloned()).expect("test configuration is valid");
        let app = App::build(config).await.expect("the app builds");
        let address = format!("http://{}", app.local_addr());
        let auth = app.state().auth.clone();
        let db = app.state().domain.db.clone();
        let statements = app.state().statements.clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(app.run_until(async {
            stopped.await.ok();
        }));
        Self {
            address,
            client: reqwest::Client::new(),
            db,
            statements,
            media_dir,
            _media: media,
            auth,
            stop: Some(stop),
            database,
            database_url,
        }
    }

    /// Whether the tests run on PostgreSQL.
    pub fn on_postgres(&self) -> bool {
        matches!(self.database, TestDatabase::Postgres { .. })
    }

    /// The database's URL, as the server uses it.
    pub fn database_url(&self) -> &str {
        &self.database_url
    }

    /// Another in-process server on `database_url` (this app's database reached some other
    /// way, such as through a proxy); this app keeps cleaning the database up.
    pub async fn spawn_sharing(&self, database_url: String, settings: &[(&str, &str)]) -> TestApp {
        let mut settings = settings.to_vec();
        settings.push(("YIZHAN_LOAD_DEMO", "false"));
        Self::start(database_url, TestDatabase::Borrowed, &settings).await
    }

    /// A second `yizhan serve` process on the same database, as another instance of a
    /// deployment would be. It stops when the returned handle drops.
    pub async fn spawn_process_sharing(&self) -> ServerProcess {
        self.spawn_process_sharing_with(&[]).await
    }

    /// A second `yizhan serve` process with extra `YIZHAN_*` settings.
    pub async fn spawn_process_sharing_with(&self, settings: &[(&str, &str)]) -> ServerProcess {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_yizhan"))
            .arg("serve")
            .env("YIZHAN_LISTEN", format!("127.0.0.1:{port}"))
            .env("YIZHAN_DATABASE_URL", &self.database_url)
            .env("YIZHAN_MEDIA_DIR", &self.media_dir)
            .env("YIZHAN_JWT_SECRET", TEST_SECRET)
            .env("YIZHAN_RATE_READS_PER_MINUTE", "1000000")
            .env("YIZHAN_RATE_WRITES_PER_MINUTE", "1000000")
            .env("YIZHAN_LOG", "warn")
            .envs(settings.iter().copied())
            .spawn()
            .expect("the yizhan binary starts");
        let process = ServerProcess {
            address: format!("http://127.0.0.1:{port}"),
            child,
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while self
            .client
            .get(format!("{}/readyz", process.address))
            .send()
            .await
            .is_err()
        {
            assert!(
                std::time::Instant::now() < deadline,
                "the second server never became ready"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        process
    }

    /// A worker's token that names a group.
    pub fn worker_token(&self, subject: &str, group: WorkerGroup) -> String {
        self.auth
            .mint(subject, Role::Worker, Some(group), Duration::from_secs(3600))
            .expect("test tokens mint")
    }

    /// A token that expires after `ttl`.
    pub fn short_lived_token(&self, role: Role, subject: &str, ttl: Duration) -> String {
        self.auth
            .mint(subject, role, None, ttl)
            .expect("test tokens mint")
    }

    /// A token for `subject` with `role`, signed as the server expects.
    pub fn token(&self, role: Role, subject: &str) -> String {
        self.auth
            .mint(subject, role, None, Duration::from_secs(3600))
            .expect("test tokens mint")
    }

    /// Runs `sql` on the database as another instance writes: in one transaction with a
    /// change-log entry for each of `place_ids` (global ids).
    pub async fn write_as_another_instance(&self, sql: &str, place_ids: &[&str]) {
        use sea_orm::{ConnectionTrait, TransactionTrait};
        let txn = self.db.begin().await.unwrap();
        txn.execute_unprepared(sql).await.unwrap();
        for id in place_ids {
            yizhan::domain::change_log::append_place(&txn, numeric_id(id), &[])
                .await
                .unwrap();
        }
        txn.commit().await.unwrap();
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Sends a query anonymously and returns the response body.
    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        self.send(None, query, variables).await.2
    }

    /// Sends a query with a bearer token and returns the response body.
    pub async fn gql_as(&self, token: &str, query: &str, variables: Value) -> Value {
        self.send(Some(token), query, variables).await.2
    }

    /// Sends a query and returns status, headers and body.
    pub async fn send(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> (StatusCode, HeaderMap, Value) {
        let mut request = self
            .client
            .post(self.url("/graphql"))
            .header("accept", "application/graphql-response+json")
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.json().await.expect("the body is JSON");
        (status, headers, body)
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop.send(()).ok();
        }
        if let TestDatabase::Postgres { admin_url, name } = &self.database {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Drop runs inside the test's runtime; a thread of its own may block on its own.
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime");
                runtime.block_on(async {
                    if let Ok(admin) = sea_orm::Database::connect(&admin_url).await {
                        let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                        if let Err(error) = sea_orm::ConnectionTrait::execute_unprepared(&admin, &sql).await {
                            eprintln!("could not drop test database {name}: {error}");
                        }
                        admin.close().await.ok();
                    }
                });
            })
            .join()
            .ok();
        }
    }
}

/// The number inside a global id such as `UGxhY2U6MQ` (`Place:1`).
pub fn numeric_id(global: &str) -> i32 {
    use base64::Engine;
    let text = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(global)
        .expect("a global id is base64");
    String::from_utf8(text)
        .unwrap()
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .expect("a global id ends in a number")
}

/// The error code of the first error.
pub fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("expected an error, got {body}"))
}

/// Asserts the response has no errors and returns its data.
pub fn data(body: &Value) -> &Value {
    assert!(
        body.get("errors").is_none(),
        "unexpected errors: {}",
        body["errors"]
    );
    &body["data"]
}

/// Great-circle distance in metres, written independently of the server's: the spherical
/// law of cosines on the same mean earth radius.
pub fn spherical_distance(lat1: f64, lng1: f64, lat2: f64, lng2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dl = (lng2 - lng1).to_radians();
    let cosine = (p1.sin() * p2.sin() + p1.cos() * p2.cos() * dl.cos()).clamp(-1.0, 1.0);
    6_371_008.8 * cosine.acos()
}
