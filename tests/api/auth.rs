use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt, StreamExt};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};
use yizhan::auth::Role;

use crate::helpers::{TEST_SECRET, TestApp, code, data};

const ME: &str = "{ me { subject role group } }";
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

fn sign(claims: Value, algorithm: Algorithm, key: &EncodingKey, kid: Option<&str>) -> String {
    let mut header = Header::new(algorithm);
    header.kid = kid.map(str::to_owned);
    encode(&header, &claims, key).unwrap()
}

fn hs256(claims: Value) -> String {
    sign(
        claims,
        Algorithm::HS256,
        &EncodingKey::from_secret(TEST_SECRET.as_bytes()),
        None,
    )
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{name}")).unwrap()
}

fn rsa_key(name: &str) -> EncodingKey {
    EncodingKey::from_rsa_pem(&fixture(&format!("{name}.key.pem"))).unwrap()
}

fn ec_key(name: &str) -> EncodingKey {
    EncodingKey::from_ec_pem(&fixture(&format!("{name}.key.pem"))).unwrap()
}

fn claims(role: &str) -> Value {
    json!({ "sub": "rider-7", "role": role, "exp": now() + 600 })
}

/// Asserts a token is refused before execution with UNAUTHENTICATED and a message naming `reason`.
async fn assert_refused(app: &TestApp, token: &str, reason: &str) {
    let (status, headers, body) = app.send(Some(token), ME, json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{reason}: {body}");
    assert_eq!(headers["www-authenticate"], "Bearer");
    assert_eq!(code(&body), "UNAUTHENTICATED");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains(reason), "expected {reason:?} in {message:?}");
    assert!(body.get("data").is_none());
}

async fn me(app: &TestApp, token: &str) -> Value {
    let body = app.gql_as(token, ME, json!({})).await;
    data(&body)["me"].clone()
}

#[tokio::test]
async fn a_valid_token_becomes_me_and_no_token_is_anonymous() {
    let app = TestApp::spawn().await;
    let token =
        hs256(json!({ "sub": "rider-7", "role": "worker", "group": "DELIVERY_RIDER", "exp": now() + 600 }));
    assert_eq!(
        me(&app, &token).await,
        json!({ "subject": "rider-7", "role": "WORKER", "group": "DELIVERY_RIDER" })
    );
    assert_eq!(data(&app.gql(ME, json!({})).await)["me"], Value::Null);
}

#[tokio::test]
async fn every_kind_of_bad_token_is_refused_with_its_reason() {
    let app = TestApp::spawn_with(&[
        ("YIZHAN_JWT_ISSUER", "https://id.feicheng.example"),
        ("YIZHAN_JWT_AUDIENCE", "yizhan"),
        ("YIZHAN_JWT_LEEWAY_SECS", "5"),
    ])
    .await;
    let good = |extra: Value| {
        let mut claims = json!({ "sub": "m-1", "role": "merchant", "exp": now() + 600, "iss": "https://id.feicheng.example", "aud": "yizhan" });
        claims
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        claims
    };
    assert_eq!(me(&app, &hs256(good(json!({})))).await["subject"], "m-1");

    assert_refused(&app, "not-a-jwt", "malformed").await;
    assert_refused(&app, &hs256(good(json!({ "exp": now() - 60 }))), "expired").await;
    assert_refused(&app, &hs256(good(json!({ "nbf": now() + 600 }))), "not valid yet").await;
    assert_refused(
        &app,
        &hs256(good(json!({ "aud": "someone-else" }))),
        "wrong audience",
    )
    .await;
    assert_refused(
        &app,
        &hs256(good(json!({ "iss": "https://evil.example" }))),
        "wrong issuer",
    )
    .await;
    assert_refused(&app, &hs256(good(json!({ "role": "superuser" }))), "unknown role").await;
    assert_refused(
        &app,
        &hs256(good(json!({ "group": "ASTRONAUT" }))),
        "unknown group",
    )
    .await;
    let other_secret = EncodingKey::from_secret(b"another-secret-of-sufficient-length-000000000");
    assert_refused(
        &app,
        &sign(good(json!({})), Algorithm::HS256, &other_secret, None),
        "bad signature",
    )
    .await;
    let mut no_exp = good(json!({}));
    no_exp.as_object_mut().unwrap().remove("exp");
    assert_refused(&app, &hs256(no_exp), "required claim").await;
    // alg "none": an unsigned token.
    let b64 = |value: &Value| base64_url(value.to_string().as_bytes());
    let unsigned = format!(
        "{}.{}.",
        b64(&json!({ "alg": "none", "typ": "JWT" })),
        b64(&good(json!({})))
    );
    assert_refused(&app, &unsigned, "malformed").await;
    // RS256 offered to an HS256 server.
    assert_refused(
        &app,
        &sign(good(json!({})), Algorithm::RS256, &rsa_key("rsa-current"), None),
        "algorithm",
    )
    .await;

    let response = app
        .client
        .post(app.url("/graphql"))
        .header("authorization", "Basic abc")
        .json(&json!({ "query": ME }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(code(&response.json::<Value>().await.unwrap()), "UNAUTHENTICATED");
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[tokio::test]
async fn rs256_and_es256_keys_verify_and_hs256_cannot_pose_as_them() {
    for (pem, algorithm, key) in [
        ("rsa-current.pub.pem", Algorithm::RS256, rsa_key("rsa-current")),
        ("ec-current.pub.pem", Algorithm::ES256, ec_key("ec-current")),
    ] {
        let path = format!("{FIXTURES}/{pem}");
        let app =
            TestApp::spawn_with(&[("YIZHAN_JWT_SECRET", ""), ("YIZHAN_JWT_PUBLIC_KEY_FILE", &path)]).await;
        assert_eq!(
            me(&app, &sign(claims("operator"), algorithm, &key, None)).await["role"],
            "OPERATOR"
        );
        // Key confusion: the public key's bytes used as an HMAC secret.
        let confused = sign(
            claims("admin"),
            Algorithm::HS256,
            &EncodingKey::from_secret(&fixture(pem)),
            None,
        );
        assert_refused(&app, &confused, "algorithm").await;
    }
}

#[tokio::test]
async fn a_jwks_selects_keys_by_kid_and_picks_up_rotation_without_restart() {
    let folder = tempfile::tempdir().unwrap();
    let jwks = folder.path().join("jwks.json");
    std::fs::write(&jwks, fixture("jwks-before-rotation.json")).unwrap();
    let app = TestApp::spawn_with(&[
        ("YIZHAN_JWT_SECRET", ""),
        ("YIZHAN_JWT_JWKS_FILE", jwks.to_str().unwrap()),
    ])
    .await;

    let retired = sign(
        claims("merchant"),
        Algorithm::RS256,
        &rsa_key("rsa-retired"),
        Some("rsa-retired"),
    );
    let current = sign(
        claims("merchant"),
        Algorithm::RS256,
        &rsa_key("rsa-current"),
        Some("rsa-current"),
    );
    let ec = sign(
        claims("admin"),
        Algorithm::ES256,
        &ec_key("ec-current"),
        Some("ec-current"),
    );
    assert_eq!(me(&app, &retired).await["role"], "MERCHANT");
    assert_eq!(me(&app, &current).await["role"], "MERCHANT");
    assert_refused(&app, &ec, "unknown signing key").await;
    assert_refused(
        &app,
        &sign(claims("admin"), Algorithm::RS256, &rsa_key("rsa-current"), None),
        "kid",
    )
    .await;
    // A key signing under another kid's name fails its signature check.
    let impostor = sign(
        claims("admin"),
        Algorithm::RS256,
        &rsa_key("rsa-retired"),
        Some("rsa-current"),
    );
    assert_refused(&app, &impostor, "bad signature").await;

    // Rotate: rsa-retired leaves, ec-current arrives.
    std::fs::write(&jwks, fixture("jwks-current.json")).unwrap();
    tokio::time::sleep(Duration::from_millis(1_300)).await;
    assert_refused(&app, &retired, "unknown signing key").await;
    assert_eq!(me(&app, &current).await["role"], "MERCHANT");
    assert_eq!(me(&app, &ec).await["role"], "ADMIN");
    // ES256 under an RSA kid is refused: the algorithm comes from the key.
    let mismatched = sign(
        claims("admin"),
        Algorithm::ES256,
        &ec_key("ec-current"),
        Some("rsa-current"),
    );
    assert_refused(&app, &mismatched, "algorithm").await;
}

#[tokio::test]
async fn tokens_from_the_cli_are_accepted_by_a_server_with_the_same_configuration() {
    let app = TestApp::spawn().await;
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_yizhan"))
        .args([
            "token",
            "--role",
            "worker",
            "--sub",
            "courier-9",
            "--group",
            "COURIER",
            "--ttl",
            "15m",
        ])
        .env("YIZHAN_JWT_SECRET", TEST_SECRET)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let token = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        me(&app, token.trim()).await,
        json!({ "subject": "courier-9", "role": "WORKER", "group": "COURIER" })
    );

    let refused = std::process::Command::new(env!("CARGO_BIN_EXE_yizhan"))
        .args(["token", "--role", "king", "--sub", "x"])
        .env("YIZHAN_JWT_SECRET", TEST_SECRET)
        .output()
        .unwrap();
    assert!(!refused.status.success());
}

#[tokio::test]
async fn development_mode_shares_a_secret_beside_the_database_and_production_refuses_it() {
    let folder = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", folder.path().join("dev.db").display());
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_yizhan"))
        .args(["token", "--role", "admin", "--sub", "city-admin"])
        .env("YIZHAN_DATABASE_URL", &url)
        .env_remove("YIZHAN_JWT_SECRET")
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("DEVELOPMENT"));
    assert!(folder.path().join("dev.db.jwt-secret").exists());
    let app = TestApp::spawn_with(&[("YIZHAN_JWT_SECRET", ""), ("YIZHAN_DATABASE_URL", &url)]).await;
    let token = String::from_utf8(output.stdout).unwrap();
    assert_eq!(me(&app, token.trim()).await["role"], "ADMIN");

    let production = yizhan::config::Config::from_lookup(|name| match name {
        "YIZHAN_ENV" => Some("production".to_owned()),
        "YIZHAN_DATABASE_URL" => Some(url.clone()),
        _ => None,
    })
    .unwrap();
    let error = yizhan::app::App::build(production)
        .await
        .err()
        .expect("production needs a key");
    assert!(error.to_string().contains("YIZHAN_JWT_SECRET"), "{error}");
}

#[tokio::test]
async fn websocket_connections_authenticate_in_connection_init() {
    let app = TestApp::spawn().await;
    let url = app.address.replace("http://", "ws://") + "/graphql/ws";
    let connect = || async {
        let mut request = url.clone().into_client_request().unwrap();
        request
            .headers_mut()
            .insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
        tokio_tungstenite::connect_async(request).await.unwrap().0
    };
    let token = app.token(Role::Operator, "community-01");
    let mut socket = connect().await;
    socket
        .send(Message::text(
            json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } })
                .to_string(),
        ))
        .await
        .unwrap();
    let ack: Value = serde_json::from_str(socket.next().await.unwrap().unwrap().to_text().unwrap()).unwrap();
    assert_eq!(ack["type"], "connection_ack");
    socket
        .send(Message::text(
            json!({ "type": "subscribe", "id": "1", "payload": { "query": ME } }).to_string(),
        ))
        .await
        .unwrap();
    let next: Value = serde_json::from_str(socket.next().await.unwrap().unwrap().to_text().unwrap()).unwrap();
    assert_eq!(next["payload"]["data"]["me"]["subject"], "community-01");

    let mut socket = connect().await;
    socket
        .send(Message::text(
            json!({ "type": "connection_init", "payload": { "Authorization": "Bearer forged" } }).to_string(),
        ))
        .await
        .unwrap();
    match socket.next().await {
        Some(Ok(Message::Close(Some(frame)))) => {
            assert_eq!(u16::from(frame.code), 4403);
            assert!(frame.reason.contains("invalid token"), "{frame:?}");
        }
        other => panic!("expected the connection to close, got {other:?}"),
    }
}
