//! Rate limits per account and per address, and which forwarded addresses count.

use serde_json::{Value, json};
use yizhan::auth::Role;

use crate::helpers::{TestApp, code};

#[tokio::test]
async fn rate_limits_refuse_with_429_and_retry_after_per_account_and_per_address() {
    let app = TestApp::spawn_with(&[
        ("YIZHAN_RATE_READS_PER_MINUTE", "5"),
        ("YIZHAN_RATE_WRITES_PER_MINUTE", "2"),
        ("YIZHAN_TRUSTED_PROXIES", "127.0.0.1"),
    ])
    .await;
    let read = "{ places(first: 1) { totalCount } }";
    let from = |address: &'static str| {
        app.client
            .post(app.url("/graphql"))
            .header("x-forwarded-for", address)
            .json(&json!({ "query": read }))
            .send()
    };
    for _ in 0..5 {
        assert_eq!(from("203.0.113.7").await.unwrap().status(), 200);
    }
    let refused = from("203.0.113.7").await.unwrap();
    assert_eq!(refused.status(), 429);
    let wait: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=61).contains(&wait), "Retry-After {wait}");
    assert_eq!(code(&refused.json::<Value>().await.unwrap()), "RATE_LIMITED");
    // Another address behind the same trusted proxy has its own budget.
    assert_eq!(from("203.0.113.8").await.unwrap().status(), 200);
    // So does an account, whatever its address; and writes have a budget of their own.
    let merchant = app.token(Role::Merchant, "merchant-01");
    for _ in 0..5 {
        let (status, _, _) = app.send(Some(&merchant), read, json!({})).await;
        assert_eq!(status, 200);
    }
    let (status, _, body) = app.send(Some(&merchant), read, json!({})).await;
    assert_eq!((status.as_u16(), code(&body)), (429, "RATE_LIMITED"));
    let status_write =
        "mutation { setPlaceStatus(input: { id: \"UGxhY2U6MQ\", state: OPEN }) { place { id } } }";
    let admin = app.token(Role::Admin, "admin-1");
    for _ in 0..2 {
        let (status, _, body) = app.send(Some(&admin), status_write, json!({})).await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, _, body) = app.send(Some(&admin), status_write, json!({})).await;
    assert_eq!((status.as_u16(), code(&body)), (429, "RATE_LIMITED"));
}

#[tokio::test]
async fn forwarded_addresses_are_ignored_unless_the_peer_is_a_trusted_proxy() {
    let app = TestApp::spawn_with(&[("YIZHAN_RATE_READS_PER_MINUTE", "3")]).await;
    let read = "{ places(first: 1) { totalCount } }";
    for (count, address) in ["198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4"]
        .into_iter()
        .enumerate()
    {
        let status = app
            .client
            .post(app.url("/graphql"))
            .header("x-forwarded-for", address)
            .json(&json!({ "query": read }))
            .send()
            .await
            .unwrap()
            .status();
        // Spoofed addresses do not buy a fresh budget: all four count against 127.0.0.1.
        assert_eq!(status, if count < 3 { 200 } else { 429 });
    }
}
