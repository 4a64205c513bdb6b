//! Inputs that used to crash or surprise: far-off instants, null and omitted list filters,
//! invisible characters, creeping moves, make-up days across months, the development secret.

use serde_json::{Value, json};
use yizhan::auth::Role;

use crate::helpers::{TestApp, code, data};

const OPEN_AT: &str = "query O($at: DateTime!) { places(first: 1, filter: { openAt: $at }) { totalCount } }";
const PLACE_OPEN_AT: &str =
    "query P($at: DateTime!) { places(first: 1) { edges { node { openAt(time: $at) } } } }";
const NEARBY_KINDS: &str =
    "query N($kinds: [PlaceKind!], $amenities: [Amenity!], $system: CoordinateSystem) {
  nearby(near: { lat: 36.1842, lng: 116.7618, system: $system }, within: { meters: 2000 },
         filter: { kinds: $kinds, amenities: $amenities }, first: 100) {
    totalCount edges { node { id kind location(system: $system) { lat } } } } }";
const CREATE: &str = "mutation C($input: CreatePlaceInput!) { createPlace(input: $input) { place { id name address version publication amenities } } }";
const CREATE_WITH_VARIABLES: &str = "mutation C($amenities: [Amenity!], $follows: Boolean) {
  createPlace(input: { kind: RIDER_CANTEEN, name: \"变量食堂\", address: \"新城街道变量路1号\",
    location: { lat: 36.19, lng: 116.77 }, openingHours: \"24/7\", amenities: $amenities,
    followsWorkCalendar: $follows }) { place { id amenities followsWorkCalendar } } }";
const SUBMIT: &str = "mutation S($id: ID!) { submitPlace(input: { id: $id }) { place { version } } }";
const APPROVE: &str =
    "mutation A($id: ID!) { approvePlace(input: { id: $id }) { place { version publication } } }";
const MOVE: &str = "mutation M($id: ID!, $version: Int!, $lat: Float!) {
  updatePlace(input: { id: $id, expectedVersion: $version, location: { lat: $lat, lng: 116.77 } }) { place { version publication } } }";

fn place_input(name: &str) -> Value {
    json!({
        "kind": "RIDER_CANTEEN",
        "name": name,
        "address": "新城街道测试路8号",
        "location": { "lat": 36.19, "lng": 116.77 },
        "openingHours": "Mo-Su 08:00-20:00",
    })
}

#[tokio::test]
async fn far_off_instants_are_refused_as_bad_input_and_the_server_keeps_answering() {
    let app = TestApp::spawn().await;
    for at in [
        "+262142-12-31T23:00:00Z",
        "-262000-01-01T00:00:00Z",
        "1969-12-31T23:59:59Z",
        "2200-01-01T00:00:00Z",
    ] {
        assert_eq!(
            code(&app.gql(OPEN_AT, json!({ "at": at })).await),
            "BAD_USER_INPUT",
            "{at}"
        );
        let nested = app.gql(PLACE_OPEN_AT, json!({ "at": at })).await;
        assert_eq!(code(&nested), "BAD_USER_INPUT", "{at}: {nested}");
    }
    let fine = app.gql(OPEN_AT, json!({ "at": "2026-10-01T02:00:00Z" })).await;
    assert!(data(&fine)["places"]["totalCount"].as_i64().unwrap() > 0);
    let admin = app.token(Role::Admin, "admin-1");
    let offer = "mutation O($until: DateTime!) { createOffer(input: { placeId: \"UGxhY2U6MQ\", title: \"远期优惠\", validUntil: $until }) { offer { id } } }";
    let far = app
        .gql_as(&admin, offer, json!({ "until": "+200000-01-01T00:00:00Z" }))
        .await;
    assert_eq!(code(&far), "BAD_USER_INPUT");
}

#[tokio::test]
async fn list_filters_and_defaulted_inputs_accept_null_and_omitted_variables() {
    let app = TestApp::spawn().await;
    let everything = app.gql(NEARBY_KINDS, json!({})).await;
    let total = data(&everything)["nearby"]["totalCount"].as_i64().unwrap();
    assert!(total > 0);
    let nulls = app
        .gql(
            NEARBY_KINDS,
            json!({ "kinds": null, "amenities": null, "system": null }),
        )
        .await;
    assert_eq!(data(&nulls)["nearby"]["totalCount"], total);
    let empty = app
        .gql(NEARBY_KINDS, json!({ "kinds": [], "amenities": [] }))
        .await;
    assert_eq!(data(&empty)["nearby"]["totalCount"], total);
    let stations = app.gql(NEARBY_KINDS, json!({ "kinds": ["GRID_STATION"] })).await;
    let edges = data(&stations)["nearby"]["edges"].as_array().unwrap().clone();
    assert!(!edges.is_empty() && (edges.len() as i64) < total);
    assert!(edges.iter().all(|edge| edge["node"]["kind"] == "GRID_STATION"));

    let merchant = app.token(Role::Merchant, "merchant-90");
    let omitted = app.gql_as(&merchant, CREATE_WITH_VARIABLES, json!({})).await;
    let place = &data(&omitted)["createPlace"]["place"];
    assert_eq!(place["amenities"], json!([]));
    assert_eq!(place["followsWorkCalendar"], false);
    let given = app
        .gql_as(
            &merchant,
            CREATE_WITH_VARIABLES,
            json!({ "amenities": ["HOT_WATER"], "follows": null }),
        )
        .await;
    assert_eq!(
        data(&given)["createPlace"]["place"]["amenities"],
        json!(["HOT_WATER"])
    );
}

#[tokio::test]
async fn names_are_stored_composed_and_invisible_characters_are_refused() {
    let app = TestApp::spawn().await;
    let merchant = app.token(Role::Merchant, "merchant-91");
    for hidden in ["\u{202E}店药手骑", "骑手\u{200B}食堂", "骑手食堂\u{2066}"] {
        let refused = app
            .gql_as(&merchant, CREATE, json!({ "input": place_input(hidden) }))
            .await;
        assert_eq!(code(&refused), "BAD_USER_INPUT", "{hidden:?}");
    }
    let mut input = place_input("Cafe\u{301} 骑手");
    input["address"] = json!("新城街道\u{200D}测试路");
    assert_eq!(
        code(&app.gql_as(&merchant, CREATE, json!({ "input": input })).await),
        "BAD_USER_INPUT"
    );
    let created = app
        .gql_as(
            &merchant,
            CREATE,
            json!({ "input": place_input("Cafe\u{301} 骑手") }),
        )
        .await;
    assert_eq!(data(&created)["createPlace"]["place"]["name"], "Caf\u{e9} 骑手");
}

#[tokio::test]
async fn many_short_moves_add_up_and_send_a_place_back_to_review() {
    let app = TestApp::spawn().await;
    let merchant = app.token(Role::Merchant, "merchant-92");
    let admin = app.token(Role::Admin, "admin-1");
    let created = app
        .gql_as(&merchant, CREATE, json!({ "input": place_input("挪步小店") }))
        .await;
    let id = data(&created)["createPlace"]["place"]["id"].clone();
    data(&app.gql_as(&merchant, SUBMIT, json!({ "id": id })).await);
    let approved = app.gql_as(&admin, APPROVE, json!({ "id": id })).await;
    let mut version = data(&approved)["approvePlace"]["place"]["version"].clone();
    // 0.0026° of latitude is about 290 m: the first step stays, the second crosses 300 m
    // from where the place was approved.
    let moved = app
        .gql_as(
            &merchant,
            MOVE,
            json!({ "id": id, "version": version, "lat": 36.1926 }),
        )
        .await;
    let place = &data(&moved)["updatePlace"]["place"];
    assert_eq!(place["publication"], "PUBLISHED");
    version = place["version"].clone();
    let moved = app
        .gql_as(
            &merchant,
            MOVE,
            json!({ "id": id, "version": version, "lat": 36.1952 }),
        )
        .await;
    assert_eq!(
        data(&moved)["updatePlace"]["place"]["publication"],
        "PENDING_REVIEW"
    );
}

#[tokio::test]
async fn a_makeup_working_day_takes_the_hours_of_its_own_week_not_another_months() {
    let app = TestApp::spawn().await;
    let operator = app.token(Role::Operator, "union-feicheng");
    let mut input = place_input("二月服务站");
    input["kind"] = json!("UNION_STATION");
    input["openingHours"] = json!("Feb Mo-Fr 08:00-12:00; Mar Mo-Fr 14:00-18:00");
    input["followsWorkCalendar"] = json!(true);
    let created = app.gql_as(&operator, CREATE, json!({ "input": input })).await;
    let id = data(&created)["createPlace"]["place"]["id"].clone();
    let open_at = "query P($id: ID!, $at: DateTime!) { place(id: $id) { openAt(time: $at) } }";
    // Saturday 14 February 2026, 10:00 in Shanghai: a make-up working day (as Monday).
    let saturday = app
        .gql_as(
            &operator,
            open_at,
            json!({ "id": id, "at": "2026-02-14T02:00:00Z" }),
        )
        .await;
    assert_eq!(data(&saturday)["place"]["openAt"], true);
    let afternoon = app
        .gql_as(
            &operator,
            open_at,
            json!({ "id": id, "at": "2026-02-14T07:00:00Z" }),
        )
        .await;
    assert_eq!(data(&afternoon)["place"]["openAt"], false);
}

#[tokio::test]
async fn the_development_secret_is_private_and_a_damaged_one_is_refused_not_replaced() {
    use std::os::unix::fs::PermissionsExt;
    let folder = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", folder.path().join("dev.db").display());
    let token = |url: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_yizhan"))
            .args(["token", "--role", "worker", "--sub", "rider-1"])
            .env("YIZHAN_DATABASE_URL", url)
            .env_remove("YIZHAN_JWT_SECRET")
            .output()
            .unwrap()
    };
    assert!(token(&url).status.success());
    let secret = folder.path().join("dev.db.jwt-secret");
    let mode = std::fs::metadata(&secret).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "the secret is readable by its owner only");
    std::fs::write(&secret, "short").unwrap();
    let refused = token(&url);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("shorter than 32"));
    assert_eq!(
        std::fs::read_to_string(&secret).unwrap(),
        "short",
        "never silently replaced"
    );
}

#[tokio::test]
async fn ownership_is_of_an_account_so_a_worker_or_operator_sharing_a_merchants_sub_owns_nothing() {
    let app = TestApp::spawn().await;
    let merchant = app.token(Role::Merchant, "merchant-01");
    let mine = "{ me { places(first: 5) { totalCount edges { node { id ownerRole history(first: 1) { totalCount } } } } } }";
    let owned = app.gql_as(&merchant, mine, json!({})).await;
    let places = &data(&owned)["me"]["places"];
    assert_eq!(places["totalCount"], 1);
    assert_eq!(places["edges"][0]["node"]["ownerRole"], "MERCHANT");
    let id = places["edges"][0]["node"]["id"].clone();
    let status = "mutation S($id: ID!) { setPlaceStatus(input: { id: $id, state: FULL }) { place { id } } }";
    let offer = "mutation O($id: ID!) { createOffer(input: { placeId: $id, title: \"冒名优惠\", validUntil: \"2099-01-01T00:00:00Z\" }) { offer { id } } }";
    let history = "query H($id: ID!) { place(id: $id) { history(first: 1) { totalCount } } }";
    for impostor in [
        app.worker_token("merchant-01", entity::place::WorkerGroup::DeliveryRider),
        app.token(Role::Operator, "merchant-01"),
    ] {
        let none = app.gql_as(&impostor, mine, json!({})).await;
        assert_eq!(data(&none)["me"]["places"]["totalCount"], 0);
        assert_eq!(
            code(&app.gql_as(&impostor, status, json!({ "id": id })).await),
            "FORBIDDEN"
        );
        assert_eq!(
            code(&app.gql_as(&impostor, offer, json!({ "id": id })).await),
            "FORBIDDEN"
        );
        assert_eq!(
            code(&app.gql_as(&impostor, history, json!({ "id": id })).await),
            "FORBIDDEN"
        );
    }
    // A draft of the merchant's stays invisible to a worker with the same sub.
    let draft = app
        .gql_as(&merchant, CREATE, json!({ "input": place_input("未发布小店") }))
        .await;
    let draft_id = data(&draft)["createPlace"]["place"]["id"].clone();
    let worker = app.worker_token("merchant-01", entity::place::WorkerGroup::Courier);
    let read = "query P($id: ID!) { place(id: $id) { id } }";
    assert!(data(&app.gql_as(&worker, read, json!({ "id": draft_id })).await)["place"].is_null());
    assert!(!data(&app.gql_as(&merchant, read, json!({ "id": draft_id })).await)["place"].is_null());

    // An admin can hand a station to an operator account explicitly.
    let admin = app.token(Role::Admin, "admin-1");
    let transfer = "mutation T($id: ID!) { transferPlace(input: { id: $id, newOwnerSubject: \"merchant-01\", newOwnerRole: OPERATOR }) { place { ownerSubject ownerRole } } }";
    let moved = app.gql_as(&admin, transfer, json!({ "id": draft_id })).await;
    assert_eq!(data(&moved)["transferPlace"]["place"]["ownerRole"], "OPERATOR");
    let as_operator = app
        .gql_as(
            &app.token(Role::Operator, "merchant-01"),
            read,
            json!({ "id": draft_id }),
        )
        .await;
    assert!(!data(&as_operator)["place"].is_null());
    assert!(data(&app.gql_as(&merchant, read, json!({ "id": draft_id })).await)["place"].is_null());
}

#[tokio::test]
async fn json_only_clients_get_200_for_refused_documents_and_the_spec_media_type_gets_400() {
    let app = TestApp::spawn().await;
    let send = |accept: &'static str, body: Value| {
        app.client
            .post(app.url("/graphql"))
            .header("accept", accept)
            .json(&body)
            .send()
    };
    for body in [
        json!({ "query": "{ places(first: 1) { totalCount " }),
        json!({ "query": "{ noSuchField }" }),
        json!({ "query": "query Q($n: Int!) { places(first: $n) { totalCount } }", "variables": { "n": "many" } }),
        json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": "00".repeat(32) } } }),
    ] {
        let json_only = send("application/json", body.clone()).await.unwrap();
        assert_eq!(json_only.status(), 200, "{body}");
        let answer: Value = json_only.json().await.unwrap();
        assert!(answer.get("data").is_none() && answer["errors"][0]["extensions"]["code"].is_string());
        let spec = send("application/graphql-response+json", body.clone())
            .await
            .unwrap();
        assert_eq!(spec.status(), 400, "{body}");
    }
    // A body that is no GraphQL request at all is 400 for everyone.
    let no_query = send("application/json", json!({ "variables": {} }))
        .await
        .unwrap();
    assert_eq!(no_query.status(), 400);
}

#[tokio::test]
async fn public_cached_answers_vary_by_authorization_and_accept() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", "{ places(first: 1) { totalCount } }")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let vary: Vec<String> = response
        .headers()
        .get_all("vary")
        .iter()
        .flat_map(|value| {
            value
                .to_str()
                .unwrap()
                .split(',')
                .map(|part| part.trim().to_ascii_lowercase())
                .collect::<Vec<_>>()
        })
        .collect();
    for header in ["authorization", "accept", "accept-encoding"] {
        assert!(
            vary.iter().any(|value| value == header),
            "Vary names {header}: {vary:?}"
        );
    }
}

#[tokio::test]
async fn numeric_settings_out_of_range_stop_the_start_naming_the_variable() {
    for (variable, value) in [
        ("YIZHAN_SYNC_INTERVAL_MS", "0"),
        ("YIZHAN_REQUEST_TIMEOUT_SECS", "0"),
        ("YIZHAN_MAX_BODY_BYTES", "10"),
        ("YIZHAN_DB_MAX_CONNECTIONS", "0"),
        ("YIZHAN_REVIEW_MOVE_METERS", "NaN"),
        ("YIZHAN_STATUS_DEFAULT_MINUTES", "100000"),
        ("YIZHAN_CHANGE_RETENTION_DAYS", "0"),
        ("YIZHAN_WALK_KMH", "0"),
    ] {
        let error = yizhan::config::Config::from_lookup(|name| (name == variable).then(|| value.to_owned()))
            .err()
            .unwrap_or_else(|| panic!("{variable}={value} was accepted"));
        assert!(
            error.to_string().contains(variable.trim_end_matches("_KMH"))
                || error.to_string().contains("KMH"),
            "{error}"
        );
    }
    let serve = std::process::Command::new(env!("CARGO_BIN_EXE_yizhan"))
        .arg("serve")
        .env("YIZHAN_SYNC_INTERVAL_MS", "0")
        .output()
        .unwrap();
    assert!(!serve.status.success());
    assert!(String::from_utf8_lossy(&serve.stderr).contains("YIZHAN_SYNC_INTERVAL_MS"));
}
