//! GraphiQL from the binary: pinned production builds of React and GraphiQL vendored in
//! `assets/graphiql/` (with their licences), our own page and bootstrap script, and a
//! strict Content-Security-Policy. Nothing comes from a CDN, so the page works offline and
//! where unpkg is out of reach.

use std::sync::LazyLock;

use axum::{
    Router,
    extract::Path,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use sha2::{Digest, Sha256};

/// Scripts only from this server and no inline script at all; GraphiQL's own styles come
/// from its stylesheet, and its fonts are `data:` URLs inside it.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     font-src 'self' data:; img-src 'self' data:; connect-src 'self' ws: wss:; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// Asset URLs carry their content's tag, so a new build is a new URL and browsers may keep
/// each one for a year.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";

static ASSETS: [Asset; 8] = [
    Asset {
        name: "react.production.min.js",
        content_type: JAVASCRIPT,
        body: include_bytes!("../../assets/graphiql/react.production.min.js"),
    },
    Asset {
        name: "react-dom.production.min.js",
        content_type: JAVASCRIPT,
        body: include_bytes!("../../assets/graphiql/react-dom.production.min.js"),
    },
    Asset {
        name: "graphiql.min.js",
        content_type: JAVASCRIPT,
        body: include_bytes!("../../assets/graphiql/graphiql.min.js"),
    },
    Asset {
        name: "graphiql.min.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../../assets/graphiql/graphiql.min.css"),
    },
    Asset {
        name: "start.js",
        content_type: JAVASCRIPT,
        body: include_bytes!("../../assets/graphiql/start.js"),
    },
    Asset {
        name: "LICENSE.react",
        content_type: TEXT,
        body: include_bytes!("../../assets/graphiql/LICENSE.react"),
    },
    Asset {
        name: "LICENSE.react-dom",
        content_type: TEXT,
        body: include_bytes!("../../assets/graphiql/LICENSE.react-dom"),
    },
    Asset {
        name: "LICENSE.graphiql",
        content_type: TEXT,
        body: include_bytes!("../../assets/graphiql/LICENSE.graphiql"),
    },
];

/// Each asset's strong entity tag, in the order of `ASSETS`.
static TAGS: LazyLock<Vec<String>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|asset| {
            let digest = Sha256::digest(asset.body);
            let hex: String = digest[..12].iter().map(|byte| format!("{byte:02x}")).collect();
            format!("\"{hex}\"")
        })
        .collect()
});

static PAGE: LazyLock<String> = LazyLock::new(|| {
    let url = |name: &str| {
        let index = ASSETS
            .iter()
            .position(|asset| asset.name == name)
            .expect("the page names only embedded assets");
        format!("/graphiql/{name}?v={}", TAGS[index].trim_matches('"'))
    };
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>yizhan · GraphiQL</title>
<link rel="stylesheet" href="{css}">
<script defer src="{react}"></script>
<script defer src="{react_dom}"></script>
<script defer src="{graphiql}"></script>
<script defer src="{start}"></script>
</head>
<body>
<div id="graphiql">Loading GraphiQL…</div>
<noscript>GraphiQL needs JavaScript. Without it, POST GraphQL requests to /graphql.</noscript>
</body>
</html>
"#,
        css = url("graphiql.min.css"),
        react = url("react.production.min.js"),
        react_dom = url("react-dom.production.min.js"),
        graphiql = url("graphiql.min.js"),
        start = url("start.js"),
    )
});

/// The GraphiQL page, for browsers asking `/graphql` for HTML.
pub fn page() -> Response {
    let mut response = (StatusCode::OK, PAGE.as_str()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

/// `/graphiql/{file}`: the embedded assets.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/graphiql/{file}", get(asset))
}

async fn asset(Path(file): Path<String>, headers: HeaderMap) -> Response {
    let Some(index) = ASSETS.iter().position(|asset| asset.name == file) else {
        return (StatusCode::NOT_FOUND, "no such GraphiQL asset").into_response();
    };
    let (asset, tag) = (&ASSETS[index], TAGS[index].as_str());
    let etag = HeaderValue::from_str(tag).expect("a hex tag is a valid header");
    let revalidated = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|candidates| {
            candidates
                .split(',')
                .any(|candidate| candidate.trim().trim_start_matches("W/") == tag)
        });
    let mut response = if revalidated {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut response = (StatusCode::OK, asset.body).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
        response
    };
    let headers = response.headers_mut();
    headers.insert(header::ETAG, etag);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}
