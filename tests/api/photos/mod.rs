//! Storefront photos over real HTTP multipart: upload, metadata stripping, refusals, the
//! nine-photo limit, order, removal, and photos surviving a restart.

pub(crate) mod fixtures;

use image::ImageFormat;
use reqwest::StatusCode;
use serde_json::{Value, json};
use yizhan::auth::Role;

use self::fixtures::{
    LATITUDE, PHOTOS, contains, encoded, jpeg, jpeg_markers, jpeg_with_gps, photos, stored_files, upload,
    upload_with,
};
use crate::{
    helpers::{TestApp, code, data},
    writes::{CREATE, canteen, merchant_01_place},
};

const REMOVE: &str =
    "mutation R($input: RemovePlacePhotoInput!) { removePlacePhoto(input: $input) { deletedId } }";
const REORDER: &str = "mutation O($input: ReorderPlacePhotosInput!) { reorderPlacePhotos(input: $input) { place { photos { id } } } }";
const HISTORY: &str = "query H($id: ID!) { place(id: $id) { history(first: 5) { edges { node { action changes { field newValue oldValue } } } } } }";

#[tokio::test]
async fn an_owner_uploads_a_photo_served_for_good_with_a_small_thumbnail() {
    let app = TestApp::spawn().await;
    let (place, _) = merchant_01_place(&app).await;
    let owner = app.token(Role::Merchant, "merchant-01");
    let (status, body) = upload(&app, &owner, &place, jpeg(1200, 800, 10), "storefront.jpg").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let photo = &data(&body)["addPlacePhoto"]["photo"];
    assert_eq!(
        (photo["width"].as_i64(), photo["height"].as_i64()),
        (Some(1200), Some(800))
    );
    assert_eq!(photo["caption"], "门头");

    let served = app
        .client
        .get(app.url(photo["url"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), StatusCode::OK);
    let headers = served.headers().clone();
    assert_eq!(headers["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(headers["content-type"], "image/jpeg");
    let etag = headers["etag"].clone();
    let bytes = served.bytes().await.unwrap();
    let decoded = image::load_from_memory(&bytes).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (1200, 800));
    let again = app
        .client
        .get(app.url(photo["url"].as_str().unwrap()))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

    let thumbnail = app
        .client
        .get(app.url(photo["thumbnailUrl"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    let thumbnail = image::load_from_memory(&thumbnail.bytes().await.unwrap()).unwrap();
    assert_eq!((thumbnail.width(), thumbnail.height()), (400, 267));

    // Riders see a published place's photos.
    let public = app.gql(PHOTOS, json!({ "id": place })).await;
    assert_eq!(data(&public)["place"]["photos"][0]["id"], photo["id"]);
    let node = app
        .gql(
            "query N($id: ID!) { node(id: $id) { ... on PlacePhoto { width } } }",
            json!({ "id": photo["id"] }),
        )
        .await;
    assert_eq!(data(&node)["node"]["width"], 1200);
    let history = app.gql_as(&owner, HISTORY, json!({ "id": place })).await;
    let entry = &data(&history)["place"]["history"]["edges"][0]["node"];
    assert_eq!(entry["action"], "PHOTO_ADDED");
    assert_eq!(
        entry["changes"][0],
        json!({ "field": "photo.id", "oldValue": null, "newValue": photo["id"] })
    );
    let unknown = app
        .client
        .get(app.url(&format!("/media/1/{}.jpg", "0".repeat(64))))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn location_exif_is_gone_after_upload() {
    let app = TestApp::spawn().await;
    let (place, _) = merchant_01_place(&app).await;
    let owner = app.token(Role::Merchant, "merchant-01");
    let original = jpeg_with_gps();
    assert!(jpeg_markers(&original).contains(&0xE1) && contains(&original, &LATITUDE));
    assert!(contains(&original, b"Exif"));
    let (_, body) = upload(&app, &owner, &place, original, "gps.jpg").await;
    let photo = &data(&body)["addPlacePhoto"]["photo"];
    for url in [&photo["url"], &photo["thumbnailUrl"]] {
        let bytes = app
            .client
            .get(app.url(url.as_str().unwrap()))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert!(!contains(&bytes, b"Exif"), "no Exif marker is served");
        assert!(!jpeg_markers(&bytes).contains(&0xE1), "no APP1 segment is served");
        assert!(!contains(&bytes, &LATITUDE), "the GPS latitude is gone");
    }
}

#[tokio::test]
async fn uploads_that_are_not_photos_or_too_large_or_unasked_store_nothing() {
    let app = TestApp::spawn().await;
    let (place, _) = merchant_01_place(&app).await;
    let owner = app.token(Role::Merchant, "merchant-01");

    let (status, body) = upload(&app, &owner, &place, b"just some text".to_vec(), "x.jpg").await;
    assert_eq!((status, code(&body)), (StatusCode::OK, "BAD_USER_INPUT"));
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("not a JPEG, PNG or WebP")
    );

    // Over 8 MiB, with a JPEG's magic number: refused while reading the body, with 413.
    let mut huge = jpeg(16, 16, 1);
    huge.resize((8 << 20) + 1, 0);
    let (status, body) = upload(&app, &owner, &place, huge, "huge.jpg").await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::PAYLOAD_TOO_LARGE, "BAD_USER_INPUT")
    );

    // A multipart POST without the preflight header could come from a cross-site form.
    let (status, body) = upload_with(&app, &owner, &place, jpeg(64, 64, 2), "a.jpg", false).await;
    assert_eq!((status, code(&body)), (StatusCode::BAD_REQUEST, "BAD_USER_INPUT"));
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("apollo-require-preflight")
    );

    assert!(photos(&app, &owner, &place).await.is_empty());
    assert_eq!(stored_files(&app), 0);
}

#[tokio::test]
async fn only_the_owner_or_an_admin_adds_photos() {
    let app = TestApp::spawn().await;
    let (published, _) = merchant_01_place(&app).await;
    let rival = app.token(Role::Merchant, "merchant-02");
    let (_, body) = upload(&app, &rival, &published, jpeg(64, 64, 3), "a.jpg").await;
    assert_eq!(
        code(&body),
        "FORBIDDEN",
        "a published place is visible but not theirs"
    );
    let worker = app.token(Role::Worker, "rider-1");
    let (_, body) = upload(&app, &worker, &published, jpeg(64, 64, 3), "a.jpg").await;
    assert_eq!(code(&body), "FORBIDDEN");

    let owner = app.token(Role::Merchant, "merchant-new");
    let created = app.gql_as(&owner, CREATE, json!({ "input": canteen() })).await;
    let draft = data(&created)["createPlace"]["place"]["id"].clone();
    let (_, body) = upload(&app, &rival, &draft, jpeg(64, 64, 3), "a.jpg").await;
    assert_eq!(
        code(&body),
        "NOT_FOUND",
        "someone else's draft does not exist for them"
    );
    assert_eq!(stored_files(&app), 0);

    let admin = app.token(Role::Admin, "city-admin");
    let (_, body) = upload(&app, &admin, &draft, jpeg(64, 64, 4), "a.jpg").await;
    data(&body);
    assert_eq!(
        photos(&app, &owner, &draft).await.len(),
        1,
        "the owner sees the draft's photo"
    );
    assert_eq!(
        data(&app.gql(PHOTOS, json!({ "id": draft })).await)["place"],
        Value::Null
    );

    let submit = "mutation S($id: ID!) { submitPlace(input: { id: $id }) { place { publication } } }";
    data(&app.gql_as(&owner, submit, json!({ "id": draft })).await);
    let queue = "{ reviewQueue(first: 10) { edges { node { id photos { width } } } } }";
    let queue = app.gql_as(&admin, queue, json!({})).await;
    let waiting = &data(&queue)["reviewQueue"]["edges"][0]["node"];
    assert_eq!(waiting["id"], draft);
    assert_eq!(waiting["photos"], json!([{ "width": 64 }]));
}

#[tokio::test]
async fn a_tenth_photo_is_refused_and_the_rest_can_be_reordered_and_removed() {
    let app = TestApp::spawn().await;
    let (place, _) = merchant_01_place(&app).await;
    let owner = app.token(Role::Merchant, "merchant-01");
    let mut ids = Vec::new();
    for shade in 0..9 {
        let format = if shade % 2 == 0 {
            ImageFormat::Png
        } else {
            ImageFormat::Jpeg
        };
        let (_, body) = upload(&app, &owner, &place, encoded(40, 30, shade * 20, format), "p").await;
        ids.push(data(&body)["addPlacePhoto"]["photo"]["id"].clone());
    }
    assert_eq!(stored_files(&app), 18);
    let (_, body) = upload(&app, &owner, &place, jpeg(40, 30, 250), "tenth.jpg").await;
    assert_eq!(code(&body), "BAD_USER_INPUT");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("at most 9")
    );
    assert_eq!(stored_files(&app), 18, "the refused tenth left no file");

    let reversed: Vec<Value> = ids.iter().rev().cloned().collect();
    let body = app
        .gql_as(
            &owner,
            REORDER,
            json!({ "input": { "placeId": place, "ids": reversed } }),
        )
        .await;
    let order: Vec<Value> = data(&body)["reorderPlacePhotos"]["place"]["photos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|photo| photo["id"].clone())
        .collect();
    assert_eq!(order, reversed);
    let partial = app
        .gql_as(
            &owner,
            REORDER,
            json!({ "input": { "placeId": place, "ids": &ids[..3] } }),
        )
        .await;
    assert_eq!(code(&partial), "BAD_USER_INPUT");

    let gone = photos(&app, &owner, &place).await[0].clone();
    let body = app
        .gql_as(&owner, REMOVE, json!({ "input": { "id": gone["id"] } }))
        .await;
    assert_eq!(data(&body)["removePlacePhoto"]["deletedId"], gone["id"]);
    for url in [&gone["url"], &gone["thumbnailUrl"]] {
        let answer = app
            .client
            .get(app.url(url.as_str().unwrap()))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::NOT_FOUND);
    }
    assert_eq!(stored_files(&app), 16);
    assert_eq!(photos(&app, &owner, &place).await.len(), 8);
    let history = app.gql_as(&owner, HISTORY, json!({ "id": place })).await;
    let entry = &data(&history)["place"]["history"]["edges"][0]["node"];
    assert_eq!(entry["action"], "PHOTO_REMOVED");
    assert_eq!(entry["changes"][0]["oldValue"], gone["id"]);
    let (_, body) = upload(&app, &owner, &place, jpeg(40, 30, 250), "ninth-again.jpg").await;
    data(&body);
}

#[tokio::test]
async fn concurrent_uploads_never_pass_nine_photos() {
    let app = TestApp::spawn().await;
    let (place, _) = merchant_01_place(&app).await;
    let owner = app.token(Role::Merchant, "merchant-01");
    for shade in 0..7 {
        let (_, body) = upload(&app, &owner, &place, jpeg(32, 32, shade * 30), "p.jpg").await;
        data(&body);
    }
    let racers = (0..4).map(|n| upload(&app, &owner, &place, jpeg(32, 32, 7 + n * 9), "r.jpg"));
    let answers = futures_util::future::join_all(racers).await;
    let refused = answers
        .iter()
        .filter(|(_, body)| body.get("errors").is_some())
        .count();
    assert_eq!(refused, 2, "{answers:?}");
    assert_eq!(photos(&app, &owner, &place).await.len(), 9);
    assert_eq!(stored_files(&app), 18, "refused uploads left no files");
}

#[tokio::test]
async fn photos_survive_a_restart_and_reach_other_instances() {
    let app = TestApp::spawn().await;
    let (place, _) = merchant_01_place(&app).await;
    let owner = app.token(Role::Merchant, "merchant-01");
    let (_, body) = upload(&app, &owner, &place, jpeg(200, 100, 5), "a.jpg").await;
    let photo = data(&body)["addPlacePhoto"]["photo"].clone();
    let first = app
        .client
        .get(app.url(photo["url"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    let first = first.bytes().await.unwrap();

    let second = app.spawn_process_sharing().await;
    let body = second.gql(&app.client, PHOTOS, json!({ "id": place })).await;
    assert_eq!(data(&body)["place"]["photos"][0], photo);
    let url = format!("{}{}", second.address, photo["url"].as_str().unwrap());
    let served = app.client.get(url).send().await.unwrap();
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.bytes().await.unwrap(), first);

    // A photo added on one instance reaches the other's directory through the change log.
    let (_, body) = upload(&app, &owner, &place, jpeg(200, 100, 99), "b.jpg").await;
    let added = data(&body)["addPlacePhoto"]["photo"]["id"].clone();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let body = second.gql(&app.client, PHOTOS, json!({ "id": place })).await;
        if data(&body)["place"]["photos"][1]["id"] == added {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the other instance never saw the photo"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
