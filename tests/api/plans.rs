//! Compiled plans answer a proven document's later requests without the general executor.
//! Each request here is answered twice: by the executor (the document sent with a comment
//! appended, so the server has never seen it) and by the server as the request comes
//! (by the plan, when one applies). The two must agree byte for byte, and the metrics say
//! which path answered.

use std::{
    collections::HashSet,
    sync::atomic::{AtomicUsize, Ordering},
};

use entity::place::WorkerGroup;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use yizhan::auth::Role;

use crate::{
    caching::merchant_place_id,
    helpers::TestApp,
    operations::{sample, scrape},
};

const PLANNED: &str = "yizhan_graphql_operations_planned_total";

/// The body exactly as the server wrote it.
async fn raw(app: &TestApp, token: Option<&str>, request: &Value) -> String {
    let mut post = app
        .client
        .post(app.url("/graphql"))
        .header("accept", "application/json")
        .json(request);
    if let Some(token) = token {
        post = post.bearer_auth(token);
    }
    let response = post.send().await.expect("the server answers");
    assert_eq!(response.status(), 200);
    response.text().await.expect("a body")
}

/// The executor's answer to `request`, from a copy of its document never seen before; the
/// server's answer to `request` itself; and whether a plan gave the latter (1 or 0).
async fn both(app: &TestApp, token: Option<&str>, request: &Value) -> (String, String, f64) {
    static FRESH: AtomicUsize = AtomicUsize::new(0);
    let mut fresh = request.clone();
    let copy = FRESH.fetch_add(1, Ordering::Relaxed);
    fresh["query"] = json!(format!("{}\n# copy {copy}", request["query"].as_str().unwrap()));
    let executed = raw(app, token, &fresh).await;
    let before = sample(&scrape(app).await, PLANNED);
    let answered = raw(app, token, request).await;
    let planned = sample(&scrape(app).await, PLANNED) - before;
    (executed, answered, planned)
}

/// Sends each request whose document the server has not seen yet once, so that its
/// document is proven: the first request of each document gives every variable.
async fn prove(app: &TestApp, requests: &[Value]) {
    let mut seen = HashSet::new();
    for request in requests {
        if seen.insert(request["query"].clone().to_string()) {
            raw(app, None, request).await;
        }
    }
}

const PLACE_FIELDS: &str = "id kind name address description openingHours timeZone followsWorkCalendar
  openNow nextChange todayHours { opens closes __typename } amenities servesGroups phone publication
  version status { state seatsFree note updatedAt expiresAt __typename } createdAt updatedAt
  offers { id title description groups forMe validFrom validUntil version __typename } __typename";

fn requests() -> Vec<Value> {
    let near = json!({ "lat": 36.1842, "lng": 116.7618 });
    let nearby = format!(
        "query NearbyOpen($near: LocationInput!, $within: WithinInput!, $filter: PlaceFilterInput, $first: Int, $after: String) {{
          nearby(near: $near, within: $within, filter: $filter, first: $first, after: $after) {{
            __typename totalCount
            edges {{ __typename cursor distanceMeters travelMinutes node {{ {PLACE_FIELDS} location(system: GCJ02) {{ lat lng __typename }} }} }}
            pageInfo {{ __typename hasNextPage hasPreviousPage startCursor endCursor }} }} }}"
    );
    let search = "query Search($text: String!, $near: LocationInput, $filter: PlaceFilterInput, $first: Int, $after: String) {
      search(text: $text, near: $near, filter: $filter, first: $first, after: $after) {
        totalCount edges { cursor distanceMeters travelMinutes node { ...Card } } pageInfo { hasNextPage endCursor } } }
      fragment Card on Place { id name kind address openNow amenities location { lat lng } }";
    let places = format!(
        "query PlacesByKind($first: Int, $after: String, $filter: PlaceFilterInput, $system: CoordinateSystem = BD09) {{
          places(first: $first, after: $after, filter: $filter) {{ totalCount __typename
            edges {{ __typename cursor node {{ {PLACE_FIELDS} here: location(system: $system) {{ lat lng }} }} }}
            pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} }} }}"
    );
    let detail = format!(
        "query PlaceDetail($id: ID!, $includeUpcoming: Boolean) {{ __typename
          place(id: $id) {{ {PLACE_FIELDS} location {{ lat lng }} later: offers(includeUpcoming: $includeUpcoming) {{ title }} }} }}"
    );
    vec![
        json!({ "operationName": "NearbyOpen", "query": nearby, "variables": {
            "near": near, "within": { "minutes": 10, "mode": "EBIKE" },
            "filter": { "openNow": true, "amenities": ["HOT_WATER"] }, "first": 5, "after": null } }),
        json!({ "query": nearby, "variables": { "near": near, "within": { "meters": 2500 }, "filter": null, "first": 3 } }),
        json!({ "query": search, "variables": { "text": "驿站", "near": near, "filter": null, "first": 4, "after": null } }),
        json!({ "query": search, "variables": { "text": "yizhan", "near": null, "filter": { "kinds": ["UNION_STATION"] } } }),
        json!({ "query": search, "variables": { "text": "药", "near": { "lat": 36.17, "lng": 116.77, "system": "GCJ02" } } }),
        json!({ "query": places, "variables": { "first": 3, "after": null, "filter": { "kinds": ["FRIENDLY_MERCHANT"] }, "system": "GCJ02" } }),
        json!({ "query": places, "variables": { "first": 2, "filter": { "groups": ["COURIER"] }, "system": "WGS84" } }),
        json!({ "query": detail, "variables": { "id": "UGxhY2U6MQ", "includeUpcoming": false } }),
        json!({ "query": detail, "variables": { "id": "UGxhY2U6OTk5OTk", "includeUpcoming": null } }),
        json!({ "query": "{ __typename a: place(id: \"UGxhY2U6Mg\") { ... on Place { name } ...N } }
                          fragment N on Place { phone description }", "variables": {} }),
    ]
}

/// The documents riders' apps send, and variations on them (aliases, fragments, type
/// names, every field a plan covers, omitted and null variables, defaults, a place that
/// does not exist), answered by a plan exactly as by the executor, for anonymous callers
/// and for a worker whose group decides `forMe`.
#[tokio::test]
async fn a_plan_answers_byte_for_byte_as_the_executor_does() {
    let app = TestApp::spawn().await;
    // A live status, so that its fields are written too.
    let merchant = app.token(Role::Merchant, "merchant-01");
    let id = merchant_place_id(&app, 0).await;
    let set = app
        .gql_as(
            &merchant,
            "mutation S($id: ID!) { setPlaceStatus(input: { id: $id, state: BUSY, seatsFree: 3, note: \"热水已备好\" }) { place { id } } }",
            json!({ "id": id }),
        )
        .await;
    assert!(set["errors"].is_null(), "{set}");
    let worker = app.worker_token("rider-7", WorkerGroup::Courier);
    let requests = requests();
    prove(&app, &requests).await;
    let mut statuses = 0;
    for request in &requests {
        for token in [None, Some(worker.as_str())] {
            let (executed, planned_answer, planned) = both(&app, token, request).await;
            assert!(!executed.contains("\"errors\""), "{request}\n{executed}");
            assert_eq!(planned_answer, executed, "the plan's answer to {request}");
            assert_eq!(planned, 1.0, "a plan answered {request}");
            statuses += executed.matches("\"seatsFree\":3").count();
        }
    }
    assert!(statuses > 0, "the live status was written");

    // A persisted query whose document a plan answers is kept by its hash.
    let query = requests[0]["query"].as_str().unwrap();
    let hash = format!("{:x}", Sha256::digest(query.as_bytes()));
    let persisted = json!({ "version": 1, "sha256Hash": hash });
    let mut with_text = requests[0].clone();
    with_text["extensions"] = json!({ "persistedQuery": persisted });
    let mut by_hash = with_text.clone();
    by_hash["query"] = json!("");
    let (executed, _, _) = both(&app, None, &requests[0]).await;
    let before = sample(&scrape(&app).await, PLANNED);
    assert_eq!(raw(&app, None, &with_text).await, executed);
    assert_eq!(
        raw(&app, None, &by_hash).await,
        executed,
        "answered by the hash alone"
    );
    assert_eq!(sample(&scrape(&app).await, PLANNED) - before, 2.0);

    let status = json!({ "query": format!("query One($id: ID!) {{ place(id: $id) {{ {PLACE_FIELDS} }} }}"),
        "variables": { "id": id } });
    prove(&app, std::slice::from_ref(&status)).await;
    let (executed, planned_answer, planned) = both(&app, None, &status).await;
    assert!(executed.contains("\"note\":\"热水已备好\""), "{executed}");
    assert_eq!((planned_answer, planned), (executed, 1.0));
}

/// What a plan does not cover is answered by the executor, as before: documents with
/// directives or a key selected twice, fields that read the database, and requests a
/// resolver refuses or whose complexity is over the limit.
#[tokio::test]
async fn what_a_plan_does_not_cover_is_answered_as_before() {
    let app = TestApp::spawn().await;
    let near = json!({ "lat": 36.1842, "lng": 116.7618 });
    let unplanned = [
        json!({ "query": "query D($all: Boolean!) { places(first: 2) { edges { node { name phone @include(if: $all) } } } }",
            "variables": { "all": true } }),
        json!({ "query": "{ places(first: 2) { edges { node { name } } edges { node { id } } } }", "variables": {} }),
        json!({ "query": "{ places(first: 2) { edges { node { name rating { average } items { name } } } } }", "variables": {} }),
        json!({ "query": "query T($near: LocationInput!) { nearby(near: $near, within: { meters: 900 }) { totalCount } search(text: \"驿站\") { totalCount } }",
            "variables": { "near": near } }),
    ];
    prove(&app, &unplanned).await;
    for request in &unplanned {
        let (executed, answered, planned) = both(&app, None, request).await;
        assert!(!executed.contains("\"errors\""), "{request}\n{executed}");
        assert_eq!((&answered, planned), (&executed, 0.0), "{request}");
    }

    // Proven with good arguments; later requests the resolvers or the limits refuse go to
    // the executor and get its errors.
    let nearby = format!(
        "query N($near: LocationInput!, $within: WithinInput!, $first: Int, $after: String) {{
          nearby(near: $near, within: $within, first: $first, after: $after) {{
            edges {{ cursor distanceMeters travelMinutes node {{ {PLACE_FIELDS} location {{ lat lng }}
              a: location(system: BD09) {{ lat lng __typename }} b: location(system: GCJ02) {{ lat lng __typename }}
              c: location(system: WGS84) {{ lat lng }} }} }} }} }}"
    );
    let good = json!({ "query": nearby, "variables": { "near": near, "within": { "meters": 900 }, "first": 2, "after": null } });
    prove(&app, std::slice::from_ref(&good)).await;
    let (executed, answered, planned) = both(&app, None, &good).await;
    assert_eq!((&answered, planned), (&executed, 1.0));
    let refused = [
        (
            json!({ "near": near, "within": { "minutes": 10 }, "first": 2, "after": null }),
            "BAD_USER_INPUT",
        ),
        (
            json!({ "near": { "lat": 95.0, "lng": 116.7 }, "within": { "meters": 900 }, "first": 2, "after": null }),
            "BAD_USER_INPUT",
        ),
        (
            json!({ "near": near, "within": { "meters": 900 }, "first": 2, "after": "not-a-cursor" }),
            "BAD_USER_INPUT",
        ),
        // 1 + 100 edges of 52 fields (`__typename` is not counted): over the limit of 5,000.
        (
            json!({ "near": near, "within": { "meters": 900 }, "first": 100, "after": null }),
            "too complex",
        ),
    ];
    for (variables, refusal) in refused {
        let request = json!({ "query": nearby, "variables": variables });
        let (executed, answered, planned) = both(&app, None, &request).await;
        assert!(executed.contains(refusal), "{variables}: {executed}");
        assert_eq!((&answered, planned), (&executed, 0.0), "{variables}");
    }

    // The owner's view of upcoming offers checks rights, so it is the executor's.
    let detail = json!({ "query": "query P($id: ID!, $upcoming: Boolean) { place(id: $id) { offers(includeUpcoming: $upcoming) { title } } }",
        "variables": { "id": "UGxhY2U6MQ", "upcoming": false } });
    prove(&app, std::slice::from_ref(&detail)).await;
    let (executed, answered, planned) = both(&app, None, &detail).await;
    assert_eq!((&answered, planned), (&executed, 1.0));
    let upcoming = json!({ "query": detail["query"], "variables": { "id": "UGxhY2U6MQ", "upcoming": true } });
    let (executed, answered, planned) = both(&app, None, &upcoming).await;
    assert!(executed.contains("\"errors\""), "{executed}");
    assert_eq!((&answered, planned), (&executed, 0.0));
}
