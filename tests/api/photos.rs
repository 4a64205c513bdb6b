//! Storefront photos over real HTTP multipart: upload, metadata stripping, refusals, the
//! nine-photo limit, order, removal, and photos surviving a restart.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, RgbImage};
use reqwest::{
    StatusCode,
    multipart::{Form, Part},
};
use serde_json::{Value, json};
use yizhan::auth::Role;

use crate::{
    helpers::{TestApp, code, data},
    writes::{CREATE, canteen, merchant_01_place},
};

const ADD: &str = "mutation Add($input: AddPlacePhotoInput!) { addPlacePhoto(input: $input) { photo { id url thumbnailUrl width height caption } } }";
const REMOVE: &str =
    "mutation R($input: RemovePlacePhotoInput!) { removePlacePhoto(input: $input) { deletedId } }";
const REORDER: &str = "mutation O($input: ReorderPlacePhotosInput!) { reorderPlacePhotos(input: $input) { place { photos { id } } } }";
const PHOTOS: &str =
    "query P($id: ID!) { place(id: $id) { photos { id url thumbnailUrl width height caption } } }";
const HISTORY: &str = "query H($id: ID!) { place(id: $id) { history(first: 5) { edges { node { action changes { field newValue oldValue } } } } } }";

/// A JPEG of `width`×`height` in one colour.
fn jpeg(width: u32, height: u32, shade: u8) -> Vec<u8> {
    encoded(width, height, shade, ImageFormat::Jpeg)
}

fn encoded(width: u32, height: u32, shade: u8, format: ImageFormat) -> Vec<u8> {
    let image = RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([shade, (x % 256) as u8, (y % 256) as u8])
    });
    let mut bytes = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(image)
        .write_to(&mut bytes, format)
        .unwrap();
    bytes.into_inner()
}

/// The GPS latitude 36°11'3" as EXIF stores it: three big-endian rationals.
const LATITUDE: [u8; 24] = [
    0, 0, 0, 36, 0, 0, 0, 1, 0, 0, 0, 11, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0, 1,
];

/// A JPEG with an APP1 Exif segment holding a GPS IFD (latitude 36°11'3" N), built by hand.
fn jpeg_with_gps() -> Vec<u8> {
    let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
    // IFD0: one entry, GPSInfo (0x8825, LONG) pointing at the GPS IFD at offset 26.
    tiff.extend([0, 1, 0x88, 0x25, 0, 4, 0, 0, 0, 1, 0, 0, 0, 26, 0, 0, 0, 0]);
    // GPS IFD: GPSLatitudeRef "N" and GPSLatitude (3 RATIONALs at offset 56).
    tiff.extend([0, 2]);
    tiff.extend([0, 1, 0, 2, 0, 0, 0, 2, b'N', 0, 0, 0]);
    tiff.extend([0, 2, 0, 5, 0, 0, 0, 3, 0, 0, 0, 56]);
    tiff.extend([0, 0, 0, 0]);
    assert_eq!(tiff.len(), 56);
    tiff.extend(LATITUDE);
    let mut segment = b"Exif\0\0".to_vec();
    segment.extend(tiff);
    let plain = jpeg(320, 240, 90);
    let length = u16::try_from(segment.len() + 2).unwrap().to_be_bytes();
    [&plain[..2], &[0xFF, 0xE1], &length, &segment, &plain[2..]].concat()
}

/// The markers of a JPEG's segments before its image data.
fn jpeg_markers(bytes: &[u8]) -> Vec<u8> {
    let mut markers = Vec::new();
    let mut at = 2;
    while at + 4 <= bytes.len() && bytes[at] == 0xFF {
        let marker = bytes[at + 1];
        markers.push(marker);
        if marker == 0xDA {
            break;
        }
        at += 2 + usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
    }
    markers
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

/// Sends `addPlacePhoto` as a GraphQL multipart request with the preflight header.
async fn upload(app: &TestApp, token: &str, place: &Value, file: Vec<u8>, name: &str) -> (StatusCode, Value) {
    upload_with(app, token, place, file, name, true).await
}

async fn upload_with(
    app: &TestApp,
    token: &str,
    place: &Value,
    file: Vec<u8>,
    name: &str,
    preflight: bool,
) -> (StatusCode, Value) {
    let operations = json!({ "query": ADD, "variables": { "input": { "placeId": place, "file": null, "caption": "门头" } } });
    let form = Form::new()
        .text("operations", operations.to_string())
        .text("map", r#"{ "0": ["variables.input.file"] }"#)
        .part(
            "0",
            Part::bytes(file)
                .file_name(name.to_owned())
                .mime_str("image/jpeg")
                .unwrap(),
        );
    let mut request = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(token)
        .multipart(form);
    if preflight {
        request = request.header("apollo-require-preflight", "true");
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status();
    (status, response.json().await.expect("the body is JSON"))
}

/// Files in the test's media folder, however deep.
fn stored_files(app: &TestApp) -> usize {
    fn count(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir).map_or(0, |entries| {
            entries
                .flatten()
                .map(|entry| {
                    if entry.path().is_dir() {
                        count(&entry.path())
                    } else {
                        1
                    }
                })
                .sum()
        })
    }
    count(&app.media_dir)
}

async fn photos(app: &TestApp, token: &str, place: &Value) -> Vec<Value> {
    let body = app.gql_as(token, PHOTOS, json!({ "id": place })).await;
    data(&body)["place"]["photos"].as_array().unwrap().clone()
}

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
async fn photos_survive_a_restart() {
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
}
