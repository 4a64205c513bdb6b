//! The trust file: each issuer verifies with its own key, for its own audience, and may
//! grant only its own roles.

use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, code, data};

const ME: &str = "{ me { subject role } }";
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
const RIDERS: &str = "https://riders.example";
const RIDERS_SECRET: &str = "rider-platform-secret-0123456789abcdef-xyz";
const CITY: &str = "https://id.feicheng.example";
const PORTAL: &str = "https://merchants.example";

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// Three issuers as a city would run them: a rider platform (shared secret, workers only,
/// audience `yizhan`), the city's identity provider (ES256 PEM, staff roles, no audience)
/// and the merchant portal (a JWKS, merchants only).
fn trust_file(folder: &std::path::Path) -> String {
    let path = folder.join("trust.toml");
    std::fs::write(
        &path,
        format!(
            r#"
[[issuers]]
issuer = "{RIDERS}"
secret = "{RIDERS_SECRET}"
audience = "yizhan"
roles = ["worker"]

[[issuers]]
issuer = "{CITY}"
public_key_file = "{FIXTURES}/ec-current.pub.pem"
roles = ["operator", "admin"]

[[issuers]]
issuer = "{PORTAL}"
jwks_file = "{FIXTURES}/jwks-current.json"
roles = ["merchant"]
"#
        ),
    )
    .unwrap();
    path.display().to_string()
}

async fn spawn_trusting() -> (TestApp, tempfile::TempDir) {
    let folder = tempfile::tempdir().unwrap();
    let path = trust_file(folder.path());
    let app = TestApp::spawn_with(&[("YIZHAN_JWT_SECRET", ""), ("YIZHAN_TRUST_FILE", &path)]).await;
    (app, folder)
}

fn claims(issuer: &str, role: &str, extra: Value) -> Value {
    let mut claims = json!({ "sub": "acct-1", "role": role, "exp": now() + 600, "iss": issuer });
    claims
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    claims
}

/// A rider platform's token for the audience `yizhan` unless `extra` says otherwise.
fn rider_token(role: &str, extra: Value) -> String {
    let mut with_audience = json!({ "aud": "yizhan" });
    with_audience
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let claims = claims(RIDERS, role, with_audience);
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(RIDERS_SECRET.as_bytes()),
    )
    .unwrap()
}

fn fixture_key(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{name}.key.pem")).unwrap()
}

fn city_token(role: &str, extra: Value) -> String {
    let key = EncodingKey::from_ec_pem(&fixture_key("ec-current")).unwrap();
    encode(&Header::new(Algorithm::ES256), &claims(CITY, role, extra), &key).unwrap()
}

fn portal_token(role: &str) -> String {
    let key = EncodingKey::from_rsa_pem(&fixture_key("rsa-current")).unwrap();
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("rsa-current".to_owned());
    encode(&header, &claims(PORTAL, role, json!({})), &key).unwrap()
}

async fn role_of(app: &TestApp, token: &str) -> Value {
    let body = app.gql_as(token, ME, json!({})).await;
    data(&body)["me"]["role"].clone()
}

/// Asserts the token is refused with UNAUTHENTICATED and a message containing `reason`.
async fn assert_refused(app: &TestApp, token: &str, reason: &str) {
    let (status, _, body) = app.send(Some(token), ME, json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{reason}: {body}");
    assert_eq!(code(&body), "UNAUTHENTICATED");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains(reason), "expected {reason:?} in {message:?}");
}

#[tokio::test]
async fn a_rider_platforms_key_grants_workers_and_never_merchants_or_admins() {
    let (app, _folder) = spawn_trusting().await;
    assert_eq!(role_of(&app, &rider_token("worker", json!({}))).await, "WORKER");
    for role in ["merchant", "operator", "admin"] {
        assert_refused(
            &app,
            &rider_token(role, json!({})),
            &format!("the issuer \"{RIDERS}\" may not grant the role {role}"),
        )
        .await;
    }
    // Naming the city as issuer does not lend the rider platform the city's roles: the
    // city's key, not the token's header, decides how the token is checked.
    let posing = encode(
        &Header::new(Algorithm::HS256),
        &claims(CITY, "admin", json!({})),
        &EncodingKey::from_secret(RIDERS_SECRET.as_bytes()),
    )
    .unwrap();
    assert_refused(&app, &posing, "signing algorithm not accepted").await;
}

#[tokio::test]
async fn the_citys_key_grants_staff_roles_and_the_portals_jwks_grants_merchants() {
    let (app, _folder) = spawn_trusting().await;
    assert_eq!(role_of(&app, &city_token("admin", json!({}))).await, "ADMIN");
    assert_eq!(
        role_of(&app, &city_token("operator", json!({}))).await,
        "OPERATOR"
    );
    assert_refused(
        &app,
        &city_token("merchant", json!({})),
        &format!("the issuer \"{CITY}\" may not grant the role merchant"),
    )
    .await;
    assert_eq!(role_of(&app, &portal_token("merchant")).await, "MERCHANT");
    assert_refused(&app, &portal_token("admin"), "may not grant the role admin").await;
}

#[tokio::test]
async fn tokens_of_unknown_or_unnamed_issuers_are_refused() {
    let (app, _folder) = spawn_trusting().await;
    let key = EncodingKey::from_secret(RIDERS_SECRET.as_bytes());
    let unknown = encode(
        &Header::new(Algorithm::HS256),
        &claims("https://evil.example", "worker", json!({})),
        &key,
    )
    .unwrap();
    assert_refused(&app, &unknown, "unknown issuer").await;
    let mut unnamed = claims(RIDERS, "worker", json!({ "aud": "yizhan" }));
    unnamed.as_object_mut().unwrap().remove("iss");
    let unnamed = encode(&Header::new(Algorithm::HS256), &unnamed, &key).unwrap();
    assert_refused(&app, &unnamed, "names no issuer").await;
    let numeric = encode(
        &Header::new(Algorithm::HS256),
        &claims(RIDERS, "worker", json!({ "iss": 7 })),
        &key,
    )
    .unwrap();
    assert_refused(&app, &numeric, "names no issuer").await;
    // The anonymous path is untouched.
    assert_eq!(data(&app.gql(ME, json!({})).await)["me"], Value::Null);
}

#[tokio::test]
async fn an_audience_array_is_accepted_when_it_names_the_configured_audience() {
    let (app, _folder) = spawn_trusting().await;
    let listed = rider_token("worker", json!({ "aud": ["maps", "yizhan"] }));
    assert_eq!(role_of(&app, &listed).await, "WORKER");
    assert_refused(
        &app,
        &rider_token("worker", json!({ "aud": ["maps", "payments"] })),
        "wrong audience",
    )
    .await;
    assert_refused(
        &app,
        &rider_token("worker", json!({ "aud": "maps" })),
        "wrong audience",
    )
    .await;
    // An issuer without an audience takes an OIDC token with an array as it comes.
    let oidc = city_token("operator", json!({ "aud": ["account", "yizhan-console"] }));
    assert_eq!(role_of(&app, &oidc).await, "OPERATOR");
}

#[tokio::test]
async fn the_single_key_variables_accept_an_audience_array_too() {
    let app = TestApp::spawn_with(&[("YIZHAN_JWT_AUDIENCE", "yizhan")]).await;
    let key = EncodingKey::from_secret(crate::helpers::TEST_SECRET.as_bytes());
    let sign = |aud: Value| {
        let claims = json!({ "sub": "w-1", "role": "admin", "exp": now() + 600, "aud": aud });
        encode(&Header::new(Algorithm::HS256), &claims, &key).unwrap()
    };
    assert_eq!(role_of(&app, &sign(json!(["a", "yizhan"]))).await, "ADMIN");
    assert_refused(&app, &sign(json!(["a", "b"])), "wrong audience").await;
}

/// Runs `yizhan token` under a trust file.
fn cli_token(trust: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_yizhan"))
        .args(["token", "--sub", "rider-3"])
        .args(args)
        .env_remove("YIZHAN_JWT_SECRET")
        .env("YIZHAN_TRUST_FILE", trust)
        .output()
        .unwrap()
}

#[tokio::test]
async fn the_cli_mints_for_a_named_issuer_with_a_secret_and_only_its_roles() {
    let (app, folder) = spawn_trusting().await;
    let trust = folder.path().join("trust.toml").display().to_string();
    let minted = cli_token(&trust, &["--issuer", RIDERS, "--role", "worker"]);
    assert!(
        minted.status.success(),
        "{}",
        String::from_utf8_lossy(&minted.stderr)
    );
    let token = String::from_utf8(minted.stdout).unwrap();
    assert_eq!(role_of(&app, token.trim()).await, "WORKER");

    for (args, problem) in [
        (
            vec!["--issuer", RIDERS, "--role", "admin"],
            "may not grant the role admin",
        ),
        (
            vec!["--issuer", CITY, "--role", "admin"],
            "tokens come from your identity provider",
        ),
        (
            vec!["--issuer", "https://nobody.example", "--role", "worker"],
            "lists no issuer",
        ),
        (vec!["--role", "worker"], "name one with --issuer"),
    ] {
        let refused = cli_token(&trust, &args);
        assert!(!refused.status.success(), "{args:?} should fail");
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(stderr.contains(problem), "expected {problem:?} in {stderr:?}");
    }
}

/// The start-up error for a trust file with `contents` (and extra variables).
fn startup_error(contents: &str, extra: &[(&str, &str)]) -> String {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("trust.toml");
    std::fs::write(&path, contents).unwrap();
    std::fs::write(folder.path().join("short.secret"), "too short").unwrap();
    let path = path.display().to_string();
    let config = yizhan::config::Config::from_lookup(|name| {
        if name == "YIZHAN_TRUST_FILE" {
            return Some(path.clone());
        }
        extra
            .iter()
            .find(|(variable, _)| *variable == name)
            .map(|(_, value)| (*value).to_owned())
    })
    .unwrap();
    match yizhan::auth::Authenticator::new(&config.auth) {
        Ok(_) => panic!("{contents} should be refused"),
        Err(error) => format!("{error:#}"),
    }
}

#[test]
fn a_bad_trust_file_stops_start_up_naming_the_variable_and_the_problem() {
    let secret = "s".repeat(40);
    let cases = [
        ("issuers = [".to_owned(), "is not a valid trust file"),
        ("issuers = []".to_owned(), "lists no [[issuers]]"),
        (
            format!(
                "[[issuers]]\nissuer = \"a\"\nsecret = \"{secret}\"\nroles = [\"worker\"]\ncolour = \"red\""
            ),
            "unknown field `colour`",
        ),
        (
            format!(
                "[[issuers]]\nissuer = \"a\"\nsecret = \"{secret}\"\njwks_file = \"x.json\"\nroles = [\"worker\"]"
            ),
            "exactly one of secret, secret_file, public_key_file and jwks_file",
        ),
        (
            format!("[[issuers]]\nissuer = \"a\"\nsecret = \"{secret}\"\nroles = [\"king\"]"),
            "unknown role \"king\"",
        ),
        (
            format!("[[issuers]]\nissuer = \"a\"\nsecret = \"{secret}\"\nroles = []"),
            "roles lists none",
        ),
        (
            "[[issuers]]\nissuer = \"a\"\nsecret_file = \"short.secret\"\nroles = [\"worker\"]".to_owned(),
            "at least 32 characters",
        ),
        (
            format!(
                "[[issuers]]\nissuer = \"a\"\nsecret = \"{secret}\"\nroles = [\"worker\"]\n[[issuers]]\nissuer = \"a\"\nsecret = \"{secret}\"\nroles = [\"admin\"]"
            ),
            "issuer \"a\" is listed twice",
        ),
        (
            "[[issuers]]\nissuer = \"a\"\npublic_key_file = \"missing.pem\"\nroles = [\"admin\"]".to_owned(),
            "public_key_file: cannot read",
        ),
    ];
    for (contents, problem) in cases {
        let error = startup_error(&contents, &[]);
        assert!(error.starts_with("YIZHAN_TRUST_FILE: "), "{error}");
        assert!(error.contains(problem), "expected {problem:?} in {error:?}");
    }
    let good = format!("[[issuers]]\nissuer = \"a\"\nsecret = \"{secret}\"\nroles = [\"worker\"]");
    let both = startup_error(
        &good,
        &[("YIZHAN_JWT_SECRET", &secret), ("YIZHAN_JWT_AUDIENCE", "yizhan")],
    );
    assert!(
        both.contains("unset YIZHAN_JWT_SECRET, YIZHAN_JWT_AUDIENCE"),
        "{both}"
    );
}
