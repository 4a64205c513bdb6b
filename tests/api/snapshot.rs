//! The directory's snapshot file: a restart resumes from it and the change log after it,
//! answering exactly as a server that read the database; a damaged snapshot, or one of
//! another database, is set aside; and a stopping server leaves a current one behind.

use std::{path::Path, time::Duration};

use serde_json::{Value, json};

use crate::{
    changes::eventually,
    helpers::{TestApp, data, numeric_id},
    photos::fixtures::owners_photo,
    reviews::{REVIEW, review, rider},
    writes::merchant_01_place,
};

/// Every published place with what the snapshot carries: fields, offers, rating, status.
const EVERYTHING: &str = "query Everything($after: String) {
    places(first: 100, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { node {
            id kind name address description openingHours timeZone followsWorkCalendar
            amenities servesGroups phone publication version createdAt updatedAt
            location { lat lng }
            offers { id title description validFrom validUntil }
            rating { average count distribution }
            status { state seatsFree note }
            photos { id url thumbnailUrl width height contentType caption }
        } }
    } }";

const FIND: &str =
    "query Find($text: String!) { search(text: $text, first: 5) { edges { node { id name } } } }";

/// Searches that read the restored posting lists: characters, a pair, an address word,
/// full pinyin and initials; with their counts.
const SEARCHES: [&str; 7] = ["药", "食堂", "龙山路", "yaofang", "qsst", "shitang", "驿站"];
const COUNTED: &str = "query Counted($text: String!) {
    search(text: $text, first: 20) { totalCount edges { node { id name } } } }";

async fn searches(app: &TestApp) -> Vec<Value> {
    let mut found = Vec::new();
    for text in SEARCHES {
        found.push(data(&app.gql(COUNTED, json!({ "text": text })).await)["search"].clone());
    }
    found
}

/// Every page of `EVERYTHING`, as one list.
async fn everything(app: &TestApp) -> Vec<Value> {
    let mut places = Vec::new();
    let mut after = Value::Null;
    loop {
        let body = app.gql(EVERYTHING, json!({ "after": after })).await;
        let page = &data(&body)["places"];
        places.extend(page["edges"].as_array().unwrap().iter().cloned());
        if page["pageInfo"]["hasNextPage"] != true {
            return places;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

/// Whether the server's directory came from its snapshot, as `/metrics` reports it.
async fn restored(app: &TestApp) -> bool {
    restored_at(&app.client, &app.address).await
}

async fn restored_at(client: &reqwest::Client, address: &str) -> bool {
    let metrics = client
        .get(format!("{address}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let line = metrics
        .lines()
        .find(|line| line.starts_with("yizhan_directory_restored_from_snapshot "))
        .unwrap_or_else(|| panic!("no restored gauge in\n{metrics}"));
    line.ends_with(" 1")
}

async fn file_appears(path: &Path) {
    eventually("the snapshot is written", || async { path.exists() }).await;
}

/// A server on `first`'s database that keeps its snapshot at `path`.
async fn with_snapshot(first: &TestApp, path: &Path) -> TestApp {
    first
        .spawn_sharing(
            first.database_url().to_owned(),
            &[("YIZHAN_SNAPSHOT_FILE", path.to_str().unwrap())],
        )
        .await
}

#[tokio::test]
async fn a_restart_resumes_from_the_snapshot_and_the_log_after_it() {
    let first = TestApp::spawn().await;
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("directory.snapshot");
    // A review and a photo before the snapshot, so ratings and photos travel through it.
    let (photographed, _) = merchant_01_place(&first).await;
    owners_photo(&first, &photographed).await;
    let places = everything(&first).await;
    let reviewed = places[3]["node"]["id"].clone();
    review(
        &first,
        &rider(&first, "rider-snapshot"),
        &reviewed,
        5,
        "热水很方便",
    )
    .await;

    let writer = with_snapshot(&first, &path).await;
    assert!(
        !restored(&writer).await,
        "with no file yet, the directory reads the database"
    );
    file_appears(&path).await;
    drop(writer);
    // The snapshot as taken, before the changes below; each server gets a copy of its own,
    // which neither the stopping writer nor another server can rewrite behind its back.
    let pristine = std::fs::read(&path).unwrap();
    let copy = |name: &str| {
        let copy = folder.path().join(name);
        std::fs::write(&copy, &pristine).unwrap();
        copy
    };

    // Written after the snapshot: a rename, a suspension and a second review, which the
    // restarted server must take from the log.
    let renamed = places[0]["node"]["id"].as_str().unwrap().to_owned();
    let suspended = places[1]["node"]["id"].as_str().unwrap().to_owned();
    first
        .write_as_another_instance(
            &format!(
                "UPDATE places SET name = '快照之后的新名字', version = version + 1 WHERE id = {};
                 UPDATE places SET publication = 'SUSPENDED', version = version + 1 WHERE id = {};",
                numeric_id(&renamed),
                numeric_id(&suspended)
            ),
            &[&renamed, &suspended],
        )
        .await;
    let input = json!({ "input": { "placeId": reviewed, "stars": 2, "text": "排队太久" } });
    data(&first.gql_as(&rider(&first, "rider-later"), REVIEW, input).await);
    eventually("the first server applies the changes", || async {
        everything(&first).await.len() == places.len() - 1
    })
    .await;

    let restarted = with_snapshot(&first, &copy("restarted.snapshot")).await;
    assert!(restored(&restarted).await, "the valid snapshot is used");
    let expected = everything(&first).await;
    let served = everything(&restarted).await;
    assert_eq!(served, expected);
    let expected_searches = searches(&first).await;
    assert!(
        expected_searches
            .iter()
            .all(|found| found["totalCount"].as_i64().unwrap() > 0),
        "every search finds something: {expected_searches:?}"
    );
    assert_eq!(searches(&restarted).await, expected_searches);
    let found = restarted.gql(FIND, json!({ "text": "快照之后" })).await;
    assert_eq!(data(&found)["search"]["edges"][0]["node"]["id"], renamed.as_str());
    let photographed_now = served
        .iter()
        .find(|edge| edge["node"]["id"] == photographed)
        .unwrap();
    assert_eq!(photographed_now["node"]["photos"].as_array().unwrap().len(), 1);
    let reviewed_now = served.iter().find(|edge| edge["node"]["id"] == reviewed).unwrap();
    assert_eq!(reviewed_now["node"]["rating"]["count"], 2);
    drop(restarted);

    // A snapshot older than the log's horizon (its later entries expired) is set aside.
    first
        .write_as_another_instance("UPDATE change_log_horizon SET position = 1000000", &[])
        .await;
    let beyond_horizon = with_snapshot(&first, &copy("beyond-horizon.snapshot")).await;
    assert!(
        !restored(&beyond_horizon).await,
        "a snapshot below the horizon is not used"
    );
    assert_eq!(everything(&beyond_horizon).await, expected);
    first
        .write_as_another_instance("UPDATE change_log_horizon SET position = 0", &[])
        .await;
    let within_horizon = with_snapshot(&first, &copy("within-horizon.snapshot")).await;
    assert!(restored(&within_horizon).await, "the same snapshot is used again");
    assert_eq!(everything(&within_horizon).await, expected);

    // A damaged file is set aside: the server reads the database and answers the same.
    let damaged = copy("damaged.snapshot");
    let mut bytes = pristine.clone();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x5a;
    std::fs::write(&damaged, bytes).unwrap();
    let after_damage = with_snapshot(&first, &damaged).await;
    assert!(!restored(&after_damage).await, "a damaged snapshot is not used");
    assert_eq!(everything(&after_damage).await, expected);
}

#[tokio::test]
async fn a_snapshot_of_another_database_is_set_aside() {
    let first = TestApp::spawn().await;
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("directory.snapshot");
    let writer = with_snapshot(&first, &path).await;
    file_appears(&path).await;
    drop(writer);
    // The same demo network in another database: positions alike, the database not.
    let other = TestApp::spawn_with(&[("YIZHAN_SNAPSHOT_FILE", path.to_str().unwrap())]).await;
    assert!(!restored(&other).await);
    // It serves its own rows, not the snapshot's: their creation times differ.
    let created = |places: Vec<Value>| -> Vec<Value> {
        places
            .into_iter()
            .map(|edge| edge["node"]["createdAt"].clone())
            .collect()
    };
    let own = created(everything(&other).await);
    assert_eq!(own.len(), 180);
    assert_ne!(own, created(everything(&first).await));
}

#[tokio::test]
async fn a_stopping_server_leaves_a_current_snapshot() {
    let first = TestApp::spawn().await;
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("directory.snapshot");
    let settings = [("YIZHAN_SNAPSHOT_FILE", path.to_str().unwrap())];
    let mut server = first.spawn_process_sharing_with(&settings).await;
    file_appears(&path).await;
    let before = std::fs::read(&path).unwrap();
    let renamed = everything(&first).await[0]["node"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    first
        .write_as_another_instance(
            &format!(
                "UPDATE places SET name = '停机前改名', version = version + 1 WHERE id = {}",
                numeric_id(&renamed)
            ),
            &[&renamed],
        )
        .await;
    let client = reqwest::Client::new();
    eventually("the process applies the rename", || async {
        let found = server.gql(&client, FIND, json!({ "text": "停机前改名" })).await;
        data(&found)["search"]["edges"][0]["node"]["id"] == renamed.as_str()
    })
    .await;
    server.terminate();
    assert!(server.exited_within(Duration::from_secs(20)).await.is_some());
    assert_ne!(
        std::fs::read(&path).unwrap(),
        before,
        "the stop wrote a new snapshot"
    );
    let leftovers: Vec<_> = std::fs::read_dir(folder.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .filter(|name| name != "directory.snapshot")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    let restarted = first.spawn_process_sharing_with(&settings).await;
    assert!(restored_at(&client, &restarted.address).await);
    let found = restarted
        .gql(&client, FIND, json!({ "text": "停机前改名" }))
        .await;
    assert_eq!(data(&found)["search"]["edges"][0]["node"]["id"], renamed.as_str());
}
