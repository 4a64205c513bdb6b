//! What the photo tests upload and how: images built in memory (one with hand-made EXIF
//! GPS), GraphQL multipart requests, and a look into the test's media folder.

use std::{
    io::Cursor,
    sync::atomic::{AtomicU32, Ordering},
};

use image::{DynamicImage, ImageFormat, RgbImage};
use reqwest::{
    StatusCode,
    multipart::{Form, Part},
};
use serde_json::{Value, json};

use yizhan::auth::Role;

use crate::helpers::{TestApp, data};

pub const ADD: &str = "mutation Add($input: AddPlacePhotoInput!) { addPlacePhoto(input: $input) { photo { id url thumbnailUrl width height caption } } }";
pub const PHOTOS: &str =
    "query P($id: ID!) { place(id: $id) { photos { id url thumbnailUrl width height caption } } }";

/// A JPEG of `width`×`height` in one colour.
pub fn jpeg(width: u32, height: u32, shade: u8) -> Vec<u8> {
    encoded(width, height, shade, ImageFormat::Jpeg)
}

pub fn encoded(width: u32, height: u32, shade: u8, format: ImageFormat) -> Vec<u8> {
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
pub const LATITUDE: [u8; 24] = [
    0, 0, 0, 36, 0, 0, 0, 1, 0, 0, 0, 11, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0, 1,
];

/// A JPEG with an APP1 Exif segment holding a GPS IFD (latitude 36°11'3" N), built by hand.
pub fn jpeg_with_gps() -> Vec<u8> {
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
pub fn jpeg_markers(bytes: &[u8]) -> Vec<u8> {
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

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

/// Sends `addPlacePhoto` as a GraphQL multipart request with the preflight header.
pub async fn upload(
    app: &TestApp,
    token: &str,
    place: &Value,
    file: Vec<u8>,
    name: &str,
) -> (StatusCode, Value) {
    upload_with(app, token, place, file, name, true).await
}

pub async fn upload_with(
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
pub fn stored_files(app: &TestApp) -> usize {
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

pub async fn photos(app: &TestApp, token: &str, place: &Value) -> Vec<Value> {
    let body = app.gql_as(token, PHOTOS, json!({ "id": place })).await;
    data(&body)["place"]["photos"].as_array().unwrap().clone()
}

/// Uploads an image no other call has sent (the same image twice is refused) as `token`'s
/// holder, anonymously when `None`; returns the response body.
pub async fn add_unique_photo(app: &TestApp, token: Option<&str>, place: &Value) -> Value {
    static SENT: AtomicU32 = AtomicU32::new(0);
    let width = 16 + SENT.fetch_add(1, Ordering::Relaxed);
    let operations = json!({ "query": ADD, "variables": { "input": { "placeId": place, "file": null } } });
    let form = Form::new()
        .text("operations", operations.to_string())
        .text("map", r#"{ "0": ["variables.input.file"] }"#)
        .part("0", Part::bytes(jpeg(width, 16, 7)).file_name("p.jpg"));
    let mut request = app
        .client
        .post(app.url("/graphql"))
        .header("apollo-require-preflight", "true")
        .multipart(form);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap().json().await.unwrap()
}

/// A new photo of `place` (merchant-01's), added by its owner; returns its id.
pub async fn owners_photo(app: &TestApp, place: &Value) -> Value {
    let owner = app.token(Role::Merchant, "merchant-01");
    let body = add_unique_photo(app, Some(&owner), place).await;
    data(&body)["addPlacePhoto"]["photo"]["id"].clone()
}

/// The ids of `place`'s photos (merchant-01's), in display order.
pub async fn photo_ids(app: &TestApp, place: &Value) -> Vec<Value> {
    let owner = app.token(Role::Merchant, "merchant-01");
    photos(app, &owner, place)
        .await
        .iter()
        .map(|photo| photo["id"].clone())
        .collect()
}
