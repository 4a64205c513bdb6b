//! Riders finding what they need: filters, holidays, search, transport, freshness.

use entity::place::WorkerGroup;
use serde_json::{Value, json};
use yizhan::auth::Role;

use crate::{
    caching::merchant_place_id,
    helpers::{TestApp, code, data},
    writes::{UPDATE, merchant_01_place},
};

const ALL_WITH_OFFERS: &str = "query All($after: String) { places(first: 100, after: $after) {
  pageInfo { endCursor hasNextPage } edges { node { id kind name address amenities servesGroups openNow offers { title groups } } } } }";
const COUNT: &str = "query C($filter: PlaceFilterInput) { places(first: 100, filter: $filter) { totalCount edges { node { id kind } } } }";
const SEARCH: &str =
    "query S($text: String!, $near: LocationInput, $first: Int, $after: String, $filter: PlaceFilterInput) {
  search(text: $text, near: $near, first: $first, after: $after, filter: $filter) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor distanceMeters travelMinutes node { id name address offers { title } } } } }";
const SET_STATUS: &str =
    "mutation St($input: SetPlaceStatusInput!) { setPlaceStatus(input: $input) { place { id } } }";
const OPEN_AT: &str = "query O($at: DateTime!, $kinds: [PlaceKind!]!) { places(first: 100, filter: { kinds: $kinds, openAt: $at }) { totalCount } }";

async fn all_places(app: &TestApp, token: Option<&str>) -> Vec<Value> {
    let mut nodes = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let (_, _, body) = app.send(token, ALL_WITH_OFFERS, json!({ "after": after })).await;
        let places = &data(&body)["places"];
        nodes.extend(
            places["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|edge| edge["node"].clone()),
        );
        if places["pageInfo"]["hasNextPage"] == false {
            return nodes;
        }
        after = places["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
}

async fn total(app: &TestApp, token: Option<&str>, filter: Value) -> i64 {
    let (_, _, body) = app.send(token, COUNT, json!({ "filter": filter })).await;
    data(&body)["places"]["totalCount"].as_i64().unwrap()
}

#[tokio::test]
async fn offers_for_me_follows_the_callers_group() {
    let app = TestApp::spawn().await;
    let nodes = all_places(&app, None).await;
    let expected = |group: Option<&str>| {
        nodes
            .iter()
            .filter(|node| {
                node["offers"].as_array().unwrap().iter().any(|offer| {
                    let groups = offer["groups"].as_array().unwrap();
                    groups.is_empty() || group.is_some_and(|group| groups.iter().any(|g| g == group))
                })
            })
            .count() as i64
    };
    let rider = app.worker_token("rider-1", WorkerGroup::DeliveryRider);
    let driver = app.worker_token("driver-1", WorkerGroup::TruckDriver);
    let filter = json!({ "offersForMe": true });
    let for_rider = total(&app, Some(&rider), filter.clone()).await;
    let for_driver = total(&app, Some(&driver), filter.clone()).await;
    let for_anyone = total(&app, None, filter.clone()).await;
    assert_eq!(for_rider, expected(Some("DELIVERY_RIDER")));
    assert_eq!(for_driver, expected(Some("TRUCK_DRIVER")));
    assert_eq!(for_anyone, expected(None));
    assert!(
        for_rider > for_driver,
        "canteens and clinics have offers for riders only"
    );
    assert!(for_anyone > 0);
    let combined = json!({ "offersForMe": true, "kinds": ["RIDER_CANTEEN"] });
    assert_eq!(total(&app, Some(&rider), combined.clone()).await, 8);
    assert_eq!(total(&app, Some(&driver), combined).await, 0);

    // Pages of offersForMe, three at a time, list exactly the places counted, in id order.
    let page = "query P($after: String) { places(first: 3, after: $after, filter: { offersForMe: true }) {
      pageInfo { hasNextPage endCursor } edges { node { id } } } }";
    let mut paged = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let (_, _, body) = app.send(Some(&rider), page, json!({ "after": after })).await;
        let places = &data(&body)["places"];
        paged.extend(
            places["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|edge| edge["node"]["id"].clone()),
        );
        if places["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = places["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
    assert_eq!(paged.len() as i64, for_rider);

    // A place gains its first offer, and loses it: counts and pages follow.
    let (id, _) = merchant_01_place(&app).await;
    let had_offers = nodes
        .iter()
        .any(|node| node["id"] == id && !node["offers"].as_array().unwrap().is_empty());
    let owner = app.token(Role::Merchant, "merchant-01");
    let until = (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339();
    let offer = json!({ "input": { "placeId": id, "title": "免费充电", "validUntil": until } });
    let created = app.gql_as(&owner, crate::listings::CREATE_OFFER, offer).await;
    let offer_id = data(&created)["createOffer"]["offer"]["id"].clone();
    let gained = if had_offers { 0 } else { 1 };
    assert_eq!(
        total(&app, Some(&driver), filter.clone()).await,
        for_driver + gained
    );
    let deleted = app
        .gql_as(&owner, crate::listings::DELETE_OFFER, json!({ "id": offer_id }))
        .await;
    data(&deleted);
    assert_eq!(total(&app, Some(&driver), filter).await, for_driver);
}

#[tokio::test]
async fn counts_by_kind_amenity_and_group_agree_with_the_list_and_follow_edits() {
    let app = TestApp::spawn().await;
    let nodes = all_places(&app, None).await;
    let has =
        |node: &Value, field: &str, value: &str| node[field].as_array().unwrap().iter().any(|v| v == value);
    let expected = |nodes: &[Value], kinds: &[&str], amenities: &[&str], groups: &[&str]| {
        nodes
            .iter()
            .filter(|node| kinds.is_empty() || kinds.iter().any(|kind| node["kind"] == *kind))
            .filter(|node| amenities.iter().all(|amenity| has(node, "amenities", amenity)))
            .filter(|node| groups.is_empty() || groups.iter().any(|group| has(node, "servesGroups", group)))
            .count() as i64
    };
    let cases: [(&[&str], &[&str], &[&str]); 4] = [
        (&["FRIENDLY_MERCHANT", "RIDER_CANTEEN"], &["WIFI"], &[]),
        (&[], &["DRINKING_WATER", "SEATING"], &["COURIER"]),
        (&["RIDER_STATION"], &[], &["DELIVERY_RIDER", "TRUCK_DRIVER"]),
        (&[], &["HOT_WATER"], &[]),
    ];
    for (kinds, amenities, groups) in cases {
        let filter = json!({ "kinds": kinds, "amenities": amenities, "groups": groups });
        let counted = total(&app, None, filter).await;
        assert_eq!(
            counted,
            expected(&nodes, kinds, amenities, groups),
            "{kinds:?} {amenities:?} {groups:?}"
        );
        assert!(
            counted > 0,
            "{kinds:?} {amenities:?} {groups:?} should find some place"
        );
    }
    // Open now, counted by schedule, agrees with each place's own `openNow` (unknown hours
    // count as not open), read just before or just after: an opening or closing may fall
    // in between.
    let kinds = ["FRIENDLY_MERCHANT", "RIDER_CANTEEN", "RIDER_STATION"];
    let open_counts = |nodes: &[Value], wanted: bool| {
        let open = |node: &&Value| (node["openNow"] == true) == wanted;
        let of_kinds = |node: &&Value| kinds.iter().any(|kind| node["kind"] == *kind);
        let all = nodes.iter().filter(open).count() as i64;
        (all, nodes.iter().filter(open).filter(of_kinds).count() as i64)
    };
    for wanted in [true, false] {
        let counted = (
            total(&app, None, json!({ "openNow": wanted })).await,
            total(&app, None, json!({ "openNow": wanted, "kinds": kinds })).await,
        );
        let after = all_places(&app, None).await;
        assert!(
            counted == open_counts(&nodes, wanted) || counted == open_counts(&after, wanted),
            "openNow {wanted}: counted {counted:?}, listed {:?}",
            open_counts(&after, wanted)
        );
    }
    // The merchant's place gains an amenity no other place of its kind has: the count by
    // that amenity moves with it, and back when it is taken away again.
    let (id, version) = merchant_01_place(&app).await;
    let token = app.token(Role::Merchant, "merchant-01");
    let massage = json!({ "amenities": ["MASSAGE_CHAIR"], "kinds": ["FRIENDLY_MERCHANT"] });
    let before = total(&app, None, massage.clone()).await;
    let edit = |amenities: Value, version: i64| json!({ "input": { "id": id, "expectedVersion": version, "amenities": amenities } });
    data(
        &app.gql_as(&token, UPDATE, edit(json!(["MASSAGE_CHAIR", "WIFI"]), version))
            .await,
    );
    assert_eq!(total(&app, None, massage.clone()).await, before + 1);
    data(
        &app.gql_as(&token, UPDATE, edit(json!(["WIFI"]), version + 1))
            .await,
    );
    assert_eq!(total(&app, None, massage).await, before);
}

#[tokio::test]
async fn available_leaves_out_full_and_temporarily_closed_places() {
    let app = TestApp::spawn().await;
    let kinds = json!({ "kinds": ["FRIENDLY_MERCHANT", "RIDER_CANTEEN"], "available": true });
    assert_eq!(total(&app, None, kinds.clone()).await, 38);
    let owner = |n: u32| app.token(Role::Merchant, &format!("merchant-{n:02}"));
    for (n, state) in [(1, "FULL"), (2, "TEMPORARILY_CLOSED"), (3, "BUSY"), (31, "FULL")] {
        let token = owner(n);
        let mine = app
            .gql_as(&token, "{ me { places { edges { node { id } } } } }", json!({}))
            .await;
        let id = data(&mine)["me"]["places"]["edges"][0]["node"]["id"].clone();
        let body = app
            .gql_as(
                &token,
                SET_STATUS,
                json!({ "input": { "id": id, "state": state } }),
            )
            .await;
        data(&body);
    }
    assert_eq!(
        total(&app, None, kinds).await,
        35,
        "two merchants and a canteen are out; BUSY stays"
    );
    let filter =
        json!({ "kinds": ["FRIENDLY_MERCHANT", "RIDER_CANTEEN"], "available": true, "openNow": true });
    let open = total(
        &app,
        None,
        json!({ "kinds": ["FRIENDLY_MERCHANT", "RIDER_CANTEEN"], "openNow": true }),
    )
    .await;
    assert!(total(&app, None, filter).await <= open);
}

#[tokio::test]
async fn opening_hours_follow_chinas_holidays_and_make_up_days() {
    let app = TestApp::spawn().await;
    let centres = json!(["PARTY_SERVICE_CENTER"]);
    let at = |time: &str| json!({ "at": time, "kinds": centres });
    let count = |body: &Value| data(body)["places"]["totalCount"].as_i64().unwrap();
    // An ordinary Monday, 10:00 in Feicheng: all 30 centres are open.
    assert_eq!(count(&app.gql(OPEN_AT, at("2026-03-02T02:00:00Z")).await), 30);
    // Monday 2026-02-16 is inside the Spring Festival break: "PH off" closes them all.
    assert_eq!(count(&app.gql(OPEN_AT, at("2026-02-16T02:00:00Z")).await), 0);
    // Saturday 2026-02-14, 14:00, is a make-up working day: centres follow the work
    // calendar and open with Monday's hours, although Saturday's own end at noon.
    assert_eq!(count(&app.gql(OPEN_AT, at("2026-02-14T06:00:00Z")).await), 30);
    assert_eq!(
        count(&app.gql(OPEN_AT, at("2026-02-07T06:00:00Z")).await),
        0,
        "an ordinary Saturday afternoon"
    );
    // National Day, Thursday 2026-10-01, and the make-up Saturday 2026-10-10.
    assert_eq!(count(&app.gql(OPEN_AT, at("2026-10-01T02:00:00Z")).await), 0);
    assert_eq!(count(&app.gql(OPEN_AT, at("2026-10-10T06:00:00Z")).await), 30);
    // Grid stations do not follow the work calendar and keep their daily hours.
    let grid = json!({ "at": "2026-02-16T02:00:00Z", "kinds": ["GRID_STATION"] });
    assert_eq!(count(&app.gql(OPEN_AT, grid).await), 71);

    let one = "query P($at: DateTime!) { places(first: 1, filter: { kinds: [PARTY_SERVICE_CENTER] }) { edges { node {
      followsWorkCalendar openAt(time: $at) nextChange todayHours { opens closes } } } } }";
    let body = app.gql(one, json!({ "at": "2026-02-14T06:00:00Z" })).await;
    let node = &data(&body)["places"]["edges"][0]["node"];
    assert_eq!(node["followsWorkCalendar"], true);
    assert_eq!(node["openAt"], true);
    assert!(node["nextChange"].is_string());
    assert!(node["todayHours"].is_array());
}

#[tokio::test]
async fn the_work_calendar_is_data_an_admin_replaces_a_year_at_a_time() {
    let app = TestApp::spawn().await;
    let read = "query W($year: Int!) { workCalendar(year: $year) { date kind name asWeekday } }";
    let year = app.gql(read, json!({ "year": 2026 })).await;
    let days = data(&year)["workCalendar"].as_array().unwrap().clone();
    assert_eq!(days.iter().filter(|day| day["kind"] == "HOLIDAY").count(), 33);
    let workdays: Vec<&str> = days
        .iter()
        .filter(|day| day["kind"] == "WORKDAY")
        .map(|day| day["date"].as_str().unwrap())
        .collect();
    assert_eq!(
        workdays,
        [
            "2026-01-04",
            "2026-02-14",
            "2026-02-28",
            "2026-05-09",
            "2026-09-20",
            "2026-10-10"
        ]
    );
    assert!(
        days.iter()
            .any(|day| day["date"] == "2026-02-17" && day["name"] == "春节")
    );

    let monday = json!({ "at": "2027-01-04T02:00:00Z", "kinds": ["PARTY_SERVICE_CENTER"] });
    assert_eq!(
        data(&app.gql(OPEN_AT, monday.clone()).await)["places"]["totalCount"],
        30
    );
    let admin = app.token(Role::Admin, "city-admin");
    let set = "mutation S($input: SetWorkCalendarInput!) { setWorkCalendar(input: $input) { days { date kind name asWeekday } } }";
    let input = json!({ "year": 2027, "days": [
        { "date": "2027-01-01", "kind": "HOLIDAY", "name": "元旦" },
        { "date": "2027-01-04", "kind": "HOLIDAY", "name": "元旦" },
        { "date": "2027-01-09", "kind": "WORKDAY", "name": "元旦调休", "asWeekday": 5 },
    ] });
    let body = app.gql_as(&admin, set, json!({ "input": input })).await;
    assert_eq!(
        data(&body)["setWorkCalendar"]["days"].as_array().unwrap().len(),
        3
    );
    assert_eq!(data(&app.gql(OPEN_AT, monday).await)["places"]["totalCount"], 0);
    // A make-up Saturday with Friday's hours, 14:00.
    let saturday = json!({ "at": "2027-01-09T06:00:00Z", "kinds": ["PARTY_SERVICE_CENTER"] });
    assert_eq!(
        data(&app.gql(OPEN_AT, saturday).await)["places"]["totalCount"],
        30
    );

    for days in [
        json!([{ "date": "2028-01-01", "kind": "HOLIDAY", "name": "元旦" }]),
        json!([{ "date": "2027-01-01", "kind": "HOLIDAY", "name": "元旦" }, { "date": "2027-01-01", "kind": "HOLIDAY", "name": "元旦" }]),
        json!([{ "date": "2027-01-09", "kind": "WORKDAY", "name": "调休", "asWeekday": 8 }]),
        json!([{ "date": "2027-01-01", "kind": "HOLIDAY", "name": "元旦", "asWeekday": 1 }]),
    ] {
        let body = app
            .gql_as(&admin, set, json!({ "input": { "year": 2027, "days": days } }))
            .await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{days}");
    }
    let kept = app.gql(read, json!({ "year": 2027 })).await;
    assert_eq!(
        data(&kept)["workCalendar"].as_array().unwrap().len(),
        3,
        "refused replacements change nothing"
    );
}

fn names(body: &Value) -> Vec<String> {
    data(body)["search"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"]["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn one_and_two_character_chinese_words_find_places() {
    let app = TestApp::spawn().await;
    let body = app.gql(SEARCH, json!({ "text": "药", "first": 100 })).await;
    assert_eq!(data(&body)["search"]["totalCount"], 6);
    assert!(names(&body).iter().all(|name| name.contains("药")));
    let body = app.gql(SEARCH, json!({ "text": "食堂", "first": 100 })).await;
    assert_eq!(data(&body)["search"]["totalCount"], 8);
    let body = app.gql(SEARCH, json!({ "text": "骑手", "first": 100 })).await;
    let riders = names(&body);
    assert!(riders.len() >= 3 + 8 + 6 + 3, "{riders:?}");
    // Offer titles are searched too: canteens' 骑手套餐立减5元.
    let body = app.gql(SEARCH, json!({ "text": "立减", "first": 100 })).await;
    assert_eq!(data(&body)["search"]["totalCount"], 8);
    // Every word must match somewhere.
    let body = app
        .gql(SEARCH, json!({ "text": "骑手 龙山路", "first": 100 }))
        .await;
    for edge in data(&body)["search"]["edges"].as_array().unwrap() {
        let text = format!("{} {}", edge["node"]["name"], edge["node"]["address"]);
        assert!(text.contains("龙山路"), "{text}");
    }
    for text in ["", "   ", &"长".repeat(51)] {
        assert_eq!(
            code(&app.gql(SEARCH, json!({ "text": text })).await),
            "BAD_USER_INPUT"
        );
    }
}

#[tokio::test]
async fn exact_and_prefix_name_matches_rank_first_then_distance() {
    let app = TestApp::spawn().await;
    let body = app.gql(SEARCH, json!({ "text": "龙山社区志愿者之家" })).await;
    assert_eq!(names(&body)[0], "龙山社区志愿者之家");
    let body = app.gql(SEARCH, json!({ "text": "龙山", "first": 100 })).await;
    let found = names(&body);
    let first_other = found
        .iter()
        .position(|name| !name.starts_with("龙山"))
        .unwrap_or(found.len());
    assert!(found[..first_other].iter().all(|name| name.starts_with("龙山")));
    assert!(
        found[first_other..].iter().all(|name| !name.starts_with("龙山")),
        "{found:?}"
    );
    assert!(first_other >= 2);

    let near = json!({ "lat": 36.1842, "lng": 116.7618 });
    let body = app
        .gql(SEARCH, json!({ "text": "网格驿站", "near": near, "first": 100 }))
        .await;
    let edges = data(&body)["search"]["edges"].as_array().unwrap().clone();
    assert_eq!(edges.len(), 71);
    let distances: Vec<f64> = edges
        .iter()
        .map(|edge| edge["distanceMeters"].as_f64().unwrap())
        .collect();
    assert!(
        distances.windows(2).all(|pair| pair[0] <= pair[1]),
        "grid stations by distance within one rank"
    );
    assert!(edges[0]["travelMinutes"].as_f64().is_some());

    let mut paged = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let body = app
            .gql(
                SEARCH,
                json!({ "text": "网格驿站", "near": near, "first": 10, "after": after }),
            )
            .await;
        let search = &data(&body)["search"];
        paged.extend(
            search["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|edge| edge["node"]["id"].clone()),
        );
        if search["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = search["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
    let whole: Vec<Value> = edges.iter().map(|edge| edge["node"]["id"].clone()).collect();
    assert_eq!(paged, whole);
}

async fn statements_for(app: &TestApp, token: Option<&str>, query: &str, first: i64) -> u64 {
    use std::sync::atomic::Ordering;
    let before = app.statements.load(Ordering::SeqCst);
    let (_, _, body) = app.send(token, query, json!({ "first": first })).await;
    data(&body);
    app.statements.load(Ordering::SeqCst) - before
}

#[tokio::test]
async fn nested_fields_do_not_add_a_query_per_place() {
    let app = TestApp::spawn().await;
    let public = "query P($first: Int) { places(first: $first) { edges { node { id offers { title forMe } status { state } openNow } } } }";
    let one = statements_for(&app, None, public, 1).await;
    let hundred = statements_for(&app, None, public, 100).await;
    assert_eq!(one, hundred, "public listings: {one} vs {hundred} statements");
    let nearby = "query N($first: Int) { nearby(near: { lat: 36.18, lng: 116.77 }, within: { meters: 20000 }, first: $first) { edges { node { id offers { title } status { state } } } } }";
    assert_eq!(
        statements_for(&app, None, nearby, 1).await,
        statements_for(&app, None, nearby, 100).await
    );

    let admin = app.token(Role::Admin, "city-admin");
    let owner = "community-01";
    for n in 0..2 {
        let body = app.gql_as(&admin, "mutation T($id: ID!, $to: String!) { transferPlace(input: { id: $id, newOwnerSubject: $to }) { place { id } } }",
            json!({ "id": merchant_place_id(&app, n).await, "to": owner })).await;
        data(&body);
    }
    let token = app.token(Role::Operator, owner);
    let mine = "query M($first: Int) { me { places(first: $first) { totalCount edges { node { id offers(includeUpcoming: true) { title } status { state } } } } } }";
    let one = statements_for(&app, Some(&token), mine, 1).await;
    let all = statements_for(&app, Some(&token), mine, 100).await;
    assert_eq!(one, all, "me.places: {one} vs {all} statements");
}

#[tokio::test]
async fn a_writer_reads_its_own_write_at_once_and_another_server_process_soon_after() {
    let first = TestApp::spawn().await;
    let second = first.spawn_process_sharing().await;
    let (id, version) = merchant_01_place(&first).await;
    let owner = first.token(Role::Merchant, "merchant-01");
    let input = json!({ "id": id, "expectedVersion": version, "name": "两个实例都看得到" });
    data(&first.gql_as(&owner, UPDATE, json!({ "input": input })).await);
    let read = "query P($id: ID!) { place(id: $id) { name } }";
    assert_eq!(
        data(&first.gql(read, json!({ "id": id })).await)["place"]["name"],
        "两个实例都看得到"
    );
    let search = json!({ "text": "两个实例", "first": 5 });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let seen = second.gql(&first.client, read, json!({ "id": id })).await;
        let found = second.gql(&first.client, SEARCH, search.clone()).await;
        if data(&seen)["place"]["name"] == "两个实例都看得到" && data(&found)["search"]["totalCount"] == 1
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the second instance never saw the write"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
