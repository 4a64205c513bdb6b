//! Property tests over the inputs of `nearby`, `places`, `search` and `createPlace`: any
//! float, string, `DateTime` or list a client may send as a variable gets an answer below
//! 500 without an INTERNAL error, and the server keeps answering. One server per
//! operation and a bounded number of cases keep the suite fast.

mod inputs;

use inputs::{
    AMENITIES, GROUPS, KINDS, MODES, SYSTEMS, boolean, cases, cursor, datetime, enumeration, filter,
    float_in, int, list, location, object, opening_hours, string,
};
use proptest::{
    prelude::*,
    test_runner::{Config as ProptestConfig, TestCaseError, TestError, TestRunner},
};
use serde_json::{Value, json};
use yizhan::auth::Role;

use crate::helpers::TestApp;

const CASES: u32 = 96;

const NEARBY: &str = "query N($lat: Float!, $lng: Float!, $system: CoordinateSystem, $meters: Float,
    $minutes: Float, $mode: TravelMode, $filter: PlaceFilterInput, $first: Int, $after: String,
    $at: DateTime!) {
  nearby(near: { lat: $lat, lng: $lng, system: $system },
         within: { meters: $meters, minutes: $minutes, mode: $mode },
         filter: $filter, first: $first, after: $after) {
    totalCount
    edges { cursor distanceMeters travelMinutes
      node { id openNow openAt(time: $at) nextChange todayHours { opens closes } location(system: $system) { lat lng } } }
    pageInfo { hasNextPage endCursor } } }";

const PLACES: &str = "query P($filter: PlaceFilterInput, $first: Int, $after: String, $at: DateTime!) {
  places(filter: $filter, first: $first, after: $after) {
    totalCount edges { cursor node { id openNow openAt(time: $at) nextChange } }
    pageInfo { hasNextPage endCursor } } }";

const SEARCH: &str = "query S($text: String!, $near: LocationInput, $filter: PlaceFilterInput,
    $first: Int, $after: String) {
  search(text: $text, near: $near, filter: $filter, first: $first, after: $after) {
    totalCount edges { cursor distanceMeters travelMinutes node { id name } }
    pageInfo { hasNextPage endCursor } } }";

const CREATE: &str = "mutation C($input: CreatePlaceInput!, $at: DateTime!) {
  createPlace(input: $input) { place {
    id name address openingHours timeZone openNow openAt(time: $at) nextChange
    todayHours { opens closes } amenities servesGroups location { lat lng } } } }";
/// The body limit the fuzzed servers run with, raised so large inputs reach the resolvers.
const FUZZ_BODY_LIMIT: usize = 16 * 1024 * 1024;

/// Sends one case and fails it on a lost connection, a 5xx or an INTERNAL error.
async fn answer(app: &TestApp, token: Option<&str>, document: &str, variables: Value) -> Result<(), String> {
    let body = serde_json::to_vec(&json!({ "query": document, "variables": variables })).unwrap();
    // A body over the limit is refused with 413 before it is read whole, and the server may
    // close the connection while the client still sends: that refusal has its own test.
    if body.len() > FUZZ_BODY_LIMIT {
        return Ok(());
    }
    let mut request = app
        .client
        .post(app.url("/graphql"))
        .header("accept", "application/graphql-response+json")
        .header("content-type", "application/json")
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request
        .send()
        .await
        .map_err(|error| format!("no answer (did the handler panic?): {error}"))?;
    let status = response.status();
    let body = response
        .text()
        .await
        .map_err(|error| format!("the body broke off: {error}"))?;
    if status.is_server_error() || body.contains("\"INTERNAL\"") {
        return Err(format!("{status}: {body}"));
    }
    Ok(())
}

/// Runs `CASES` cases of `variables` against a fresh server, then checks it still answers.
fn fuzz(document: &'static str, role: Option<Role>, variables: BoxedStrategy<Value>) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    // A body limit well above the default lets huge inputs reach the resolvers instead of
    // stopping at 413.
    let app = runtime.block_on(TestApp::spawn_with(&[(
        "YIZHAN_MAX_BODY_BYTES",
        &FUZZ_BODY_LIMIT.to_string(),
    )]));
    let token = role.map(|role| app.token(role, "fuzz-account"));
    let mut runner = TestRunner::new(ProptestConfig {
        cases: CASES,
        failure_persistence: None,
        max_shrink_iters: 256,
        ..ProptestConfig::default()
    });
    let outcome = runner.run(&variables, |variables| {
        runtime
            .block_on(answer(&app, token.as_deref(), document, variables))
            .map_err(TestCaseError::fail)
    });
    let still_answering = runtime.block_on(answer(
        &app,
        None,
        "{ places(first: 1) { totalCount } }",
        json!({}),
    ));
    drop(app);
    match outcome {
        Ok(()) => {}
        Err(TestError::Fail(reason, variables)) => {
            let mut shown = variables.to_string();
            if shown.len() > 2_000 {
                shown = format!(
                    "{}… ({} bytes)",
                    &shown[..shown.floor_char_boundary(2_000)],
                    shown.len()
                );
            }
            panic!("{reason}\nminimal failing variables: {shown}");
        }
        Err(failure) => panic!("{failure}"),
    }
    still_answering.expect("the server keeps answering");
}

#[test]
fn no_input_to_nearby_crashes_it_or_fails_inside() {
    fuzz(
        NEARBY,
        None,
        cases(|shape| {
            object(
                shape,
                vec![
                    ("lat", float_in(shape, 35.9, 36.5)),
                    ("lng", float_in(shape, 116.4, 117.1)),
                    ("at", datetime(shape)),
                ],
                vec![
                    ("system", enumeration(shape, SYSTEMS)),
                    ("meters", float_in(shape, 0.0, 20_000.0)),
                    ("minutes", float_in(shape, 0.0, 60.0)),
                    ("mode", enumeration(shape, MODES)),
                    ("filter", filter(shape)),
                    ("first", int(shape)),
                    ("after", cursor(shape)),
                ],
            )
        }),
    );
}

#[test]
fn no_input_to_places_crashes_it_or_fails_inside() {
    fuzz(
        PLACES,
        Some(Role::Worker),
        cases(|shape| {
            object(
                shape,
                vec![("at", datetime(shape))],
                vec![
                    ("filter", filter(shape)),
                    ("first", int(shape)),
                    ("after", cursor(shape)),
                ],
            )
        }),
    );
}

#[test]
fn no_input_to_search_crashes_it_or_fails_inside() {
    fuzz(
        SEARCH,
        None,
        cases(|shape| {
            object(
                shape,
                vec![("text", string(shape))],
                vec![
                    ("near", location(shape)),
                    ("filter", filter(shape)),
                    ("first", int(shape)),
                    ("after", cursor(shape)),
                ],
            )
        }),
    );
}

#[test]
fn no_input_to_create_place_crashes_it_or_fails_inside() {
    fuzz(
        CREATE,
        Some(Role::Admin),
        cases(|shape| {
            let time_zone = prop_oneof![
                2 => prop::sample::select(vec!["Asia/Shanghai", "UTC", "Asia/Kolkata", "America/St_Johns", "Etc/GMT+12"])
                    .prop_map(Value::from),
                1 => string(shape),
            ]
            .boxed();
            let input = object(
                shape,
                vec![
                    ("kind", enumeration(shape, KINDS)),
                    ("name", string(shape)),
                    ("address", string(shape)),
                    ("location", location(shape)),
                    ("openingHours", opening_hours(shape)),
                ],
                vec![
                    ("description", string(shape)),
                    ("timeZone", time_zone),
                    ("followsWorkCalendar", boolean(shape)),
                    ("phone", string(shape)),
                    ("amenities", list(shape, enumeration(shape, AMENITIES))),
                    ("servesGroups", list(shape, enumeration(shape, GROUPS))),
                ],
            );
            (input, datetime(shape))
                .prop_map(|(input, at)| json!({ "input": input, "at": at }))
                .boxed()
        }),
    );
}

/// Numbers JSON can write but no f64 holds: refused as bad input, not as a failure.
#[tokio::test]
async fn numbers_beyond_f64_are_refused_as_bad_input() {
    let app = TestApp::spawn().await;
    for number in ["1e400", "-1e400", "1e-400", "123456789012345678901234567890"] {
        let body = format!(
            r#"{{"query": "query N($lat: Float!) {{ nearby(near: {{ lat: $lat, lng: 116.76 }}, within: {{ meters: 500 }}) {{ totalCount }} }}", "variables": {{ "lat": {number} }} }}"#
        );
        let response = app
            .client
            .post(app.url("/graphql"))
            .header("content-type", "application/json")
            .header("accept", "application/graphql-response+json")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(
            status.as_u16() < 500 && !text.contains("INTERNAL"),
            "{number}: {status} {text}"
        );
    }
}
