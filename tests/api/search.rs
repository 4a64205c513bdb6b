//! Search as riders type: short Chinese words, pinyin in full and as initials, every
//! reading of a heteronym, Latin words inside mixed text, and pages that come out the same
//! whether the index walks the grid or checks every candidate.

use serde_json::{Value, json};

use crate::{
    changes::eventually,
    helpers::{TestApp, data, numeric_id, spherical_distance},
};

const SEARCH: &str = "query Search($text: String!, $near: LocationInput, $first: Int, $after: String) {
  search(text: $text, near: $near, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor distanceMeters node { id name address location { lat lng } } } } }";

/// The names a search finds, best first (up to 100).
async fn names(app: &TestApp, text: &str) -> Vec<String> {
    let body = app.gql(SEARCH, json!({ "text": text, "first": 100 })).await;
    data(&body)["search"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"]["name"].as_str().unwrap().to_owned())
        .collect()
}

/// The global id of the one place named `name`.
async fn id_named(app: &TestApp, name: &str) -> String {
    let body = app.gql(SEARCH, json!({ "text": name, "first": 1 })).await;
    let edge = &data(&body)["search"]["edges"][0];
    assert_eq!(edge["node"]["name"], name);
    edge["node"]["id"].as_str().unwrap().to_owned()
}

/// Changes a place's row as another instance would, and waits until search sees it.
async fn rewrite(app: &TestApp, id: &str, column: &str, value: &str) {
    let sql = format!(
        "UPDATE places SET {column} = '{value}', version = version + 1 WHERE id = {}",
        numeric_id(id)
    );
    app.write_as_another_instance(&sql, &[id]).await;
    let needle = value.split_whitespace().next().unwrap().to_lowercase();
    eventually("the directory applies the change", || async {
        let body = app.gql(SEARCH, json!({ "text": needle, "first": 100 })).await;
        data(&body)["search"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .any(|edge| edge["node"]["id"] == id)
    })
    .await;
}

#[tokio::test]
async fn full_pinyin_and_initials_find_chinese_names_ranked_below_direct_matches() {
    let app = TestApp::spawn().await;
    let pharmacies: Vec<String> = names(&app, "药堂").await;
    assert_eq!(pharmacies.len(), 6, "{pharmacies:?}");
    // Half-typed as riders do on the way to the whole word: `ya` is on the way to `yao`.
    for typed in [
        "yaotang",
        "YaoTang",
        "yt",
        "yaot",
        "ya",
        "qishouyaotang",
        "qsyt",
        "qishouyt",
    ] {
        let found = names(&app, typed).await;
        for pharmacy in &pharmacies {
            assert!(
                found.contains(pharmacy),
                "{typed} should find {pharmacy}: {found:?}"
            );
        }
    }
    // 食 also reads yì (as in 食其), so 骑手食堂 reads q-s-y-t as well as 骑手药堂 does.
    let qsyt = names(&app, "qsyt").await;
    assert_eq!(qsyt.len(), 6 + 8, "{qsyt:?}");
    assert!(
        qsyt.iter()
            .all(|name| name.contains("骑手药堂") || name.contains("骑手食堂"))
    );
    let canteens = names(&app, "骑手食堂").await;
    assert_eq!(canteens.len(), 8, "{canteens:?}");
    for typed in ["qishoushitang", "qsst", "shitang"] {
        let found = names(&app, typed).await;
        assert!(
            canteens.iter().all(|canteen| found.contains(canteen)),
            "{typed}: {found:?}"
        );
        assert!(
            found.iter().all(|name| name.contains("食堂")),
            "{typed}: {found:?}"
        );
    }
    // Pinyin reaches names only, and nothing matches letters no reading has.
    assert!(names(&app, "xqzv").await.is_empty());

    // A place whose own text holds the letters ranks before every place that merely reads so.
    let street = id_named(&app, "向阳街城市驿站").await;
    rewrite(&app, &street, "address", "yaotang lu 1").await;
    let found = names(&app, "yaotang").await;
    assert_eq!(found[0], "向阳街城市驿站", "{found:?}");
    assert_eq!(found.len(), 7);
    assert!(found[1..].iter().all(|name| name.contains("药堂")));
}

#[tokio::test]
async fn heteronyms_read_every_way_and_latin_words_match_inside_mixed_text() {
    let app = TestApp::spawn().await;
    let id = id_named(&app, "向阳街城市驿站").await;
    rewrite(&app, &id, "name", "工商银行KFC-Express网点").await;
    // 行 reads hang in 银行 and xing elsewhere; a rider may type either.
    for typed in [
        "yinhang",
        "yinxing",
        "gongshangyinhang",
        "gsyh",
        "kfc",
        "KFC",
        "express",
        "xpres",
        "银行 express",
        "wangdian",
    ] {
        let found = names(&app, typed).await;
        assert!(
            found.contains(&"工商银行KFC-Express网点".to_owned()),
            "{typed} should find it: {found:?}"
        );
    }
    assert!(
        !names(&app, "yinhangx")
            .await
            .contains(&"工商银行KFC-Express网点".to_owned())
    );
}

/// Every edge of a paged search, `first` at a time.
async fn paged(app: &TestApp, text: &str, near: &Value, first: i64) -> (Vec<Value>, i64) {
    let mut edges = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let body = app
            .gql(
                SEARCH,
                json!({ "text": text, "near": near, "first": first, "after": after }),
            )
            .await;
        let search = &data(&body)["search"];
        edges.extend(search["edges"].as_array().unwrap().iter().cloned());
        if search["pageInfo"]["hasNextPage"] == false {
            return (edges, search["totalCount"].as_i64().unwrap());
        }
        after = search["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
}

#[tokio::test]
async fn pages_near_a_rider_match_a_full_ranking_of_every_match() {
    let app = TestApp::spawn().await;
    // Enough places that common words have far more candidates than a page: the index
    // then walks the grid outward from the rider, listing the candidates (网格, in about
    // 3,800 names) or checking places one by one (驿站 and yizhan, in about 4,800).
    yizhan::seed::synthetic::insert(&app.db, 10_000).await.unwrap();
    let count = "{ places(first: 0) { totalCount } }";
    eventually("the directory lists the seeded places", || async {
        app.gql(count, json!({})).await["data"]["places"]["totalCount"] == 10_180
    })
    .await;
    for (text, lat, lng) in [
        ("网格", 36.19, 116.78),
        ("驿站", 36.30, 116.60),
        ("合成", 36.18, 116.77),
    ] {
        let near = json!({ "lat": lat, "lng": lng });
        let (edges, total) = paged(&app, text, &near, 25).await;
        assert_eq!(
            edges.len() as i64,
            total,
            "{text}: every match is paged through once"
        );
        assert!(total > 3_000, "{text}: {total}");
        // The expected order, computed here: names containing the word before the rest,
        // then by distance, then by id.
        let rank = |edge: &Value| i32::from(!edge["node"]["name"].as_str().unwrap().contains(text));
        let distance = |edge: &Value| {
            let location = &edge["node"]["location"];
            spherical_distance(
                lat,
                lng,
                location["lat"].as_f64().unwrap(),
                location["lng"].as_f64().unwrap(),
            )
        };
        for pair in edges.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            assert!(
                rank(a) < rank(b) || (rank(a) == rank(b) && distance(a) <= distance(b) + 0.01),
                "{text}: {} at {} m before {} at {} m",
                a["node"]["name"],
                distance(a),
                b["node"]["name"],
                distance(b)
            );
        }
        let mut ids: Vec<i32> = edges
            .iter()
            .map(|edge| numeric_id(edge["node"]["id"].as_str().unwrap()))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), edges.len(), "{text}: no place twice");
    }

    // A walk tests each place against the sets of the places that may match each word,
    // kept from search to search: a change must reach them. A place renamed out of a
    // common word is no longer found by it, and one renamed into it is, where it stands.
    let ids_near = |text: &'static str, near: Value| {
        let app = &app;
        async move {
            let body = app
                .gql(SEARCH, json!({ "text": text, "near": near, "first": 5 }))
                .await;
            data(&body)["search"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|edge| edge["node"]["id"].as_str().unwrap().to_owned())
                .collect::<Vec<String>>()
        }
    };
    let near = json!({ "lat": 36.30, "lng": 116.60 });
    let nearest = ids_near("驿站", near.clone()).await[0].clone();
    // A word gets a set when searched a second time.
    for _ in 0..2 {
        assert!(ids_near("yizhan", near.clone()).await.contains(&nearest));
    }
    rewrite(&app, &nearest, "name", "改名后的地方").await;
    for text in ["驿站", "yizhan"] {
        assert!(!ids_near(text, near.clone()).await.contains(&nearest), "{text}");
    }
    let body = app
        .gql(SEARCH, json!({ "text": "服务中心", "near": near, "first": 1 }))
        .await;
    let centre = &data(&body)["search"]["edges"][0]["node"];
    let centre_id = centre["id"].as_str().unwrap().to_owned();
    rewrite(&app, &centre_id, "name", "新驿站").await;
    for text in ["驿站", "yizhan"] {
        let found = ids_near(text, centre["location"].clone()).await;
        assert!(found.contains(&centre_id), "{text}: {found:?}");
    }
}
