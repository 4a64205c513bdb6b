//! GraphiQL comes from this server alone: its page, scripts and styles, under a strict
//! Content-Security-Policy, so it works offline and where CDNs are out of reach.

use reqwest::{StatusCode, header};
use serde_json::json;

use crate::helpers::{TestApp, data};

async fn page(app: &TestApp) -> (reqwest::header::HeaderMap, String) {
    let response = app
        .client
        .get(app.url("/graphql"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    (headers, response.text().await.unwrap())
}

/// The values of every `src="…"` and `href="…"` in the page.
fn references(html: &str) -> Vec<String> {
    ["src=\"", "href=\""]
        .iter()
        .flat_map(|attribute| html.split(attribute).skip(1))
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_graphiql_page_loads_only_same_origin_assets_under_a_strict_policy() {
    let app = TestApp::spawn().await;
    let (headers, html) = page(&app).await;
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let policy = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    for directive in [
        "default-src 'none'",
        "script-src 'self';",
        "connect-src 'self' ws: wss:",
    ] {
        assert!(policy.contains(directive), "{directive} missing from {policy}");
    }
    assert!(
        !policy.contains("unsafe-inline") && !policy.contains("unsafe-eval"),
        "{policy}"
    );
    assert!(!html.contains("http://") && !html.contains("https://"), "{html}");
    // No inline script: every script element loads a file.
    assert_eq!(
        html.matches("<script").count(),
        html.matches("<script defer src=").count()
    );
    let references = references(&html);
    assert_eq!(references.len(), 5, "{references:?}");
    for reference in &references {
        assert!(reference.starts_with("/graphiql/"), "{reference}");
    }
}

#[tokio::test]
async fn graphiqls_assets_are_served_with_their_types_and_cached_by_tag() {
    let app = TestApp::spawn().await;
    let (_, html) = page(&app).await;
    let mut seen = Vec::new();
    for reference in references(&html) {
        let response = app.client.get(app.url(&reference)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{reference}");
        let content_type = response.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_owned();
        let expected = if reference.contains(".css") {
            "text/css"
        } else {
            "text/javascript"
        };
        assert!(content_type.starts_with(expected), "{reference}: {content_type}");
        assert!(
            response.headers()[header::CACHE_CONTROL]
                .to_str()
                .unwrap()
                .contains("immutable")
        );
        let etag = response.headers()[header::ETAG].clone();
        assert!(response.bytes().await.unwrap().len() > 500, "{reference}");
        let again = app
            .client
            .get(app.url(&reference))
            .header(header::IF_NONE_MATCH, etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{reference}");
        seen.push(content_type);
    }
    assert!(seen.iter().any(|t| t.starts_with("text/css")));
    let licence = app
        .client
        .get(app.url("/graphiql/LICENSE.graphiql"))
        .send()
        .await
        .unwrap();
    assert_eq!(licence.status(), StatusCode::OK);
    assert!(licence.text().await.unwrap().contains("MIT License"));
    let missing = app
        .client
        .get(app.url("/graphiql/jquery.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

/// `start.js` trims graphql-js's introspection query to six levels of `ofType` so that it
/// fits yizhan's depth limit; this is that query.
#[tokio::test]
async fn graphiqls_introspection_fits_the_depth_and_complexity_limits() {
    let app = TestApp::spawn().await;
    let start = app
        .client
        .get(app.url("/graphiql/start.js"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(start.contains("fragment TypeRef on __Type"));
    let mut type_ref = "kind name".to_owned();
    for _ in 0..6 {
        type_ref = format!("kind name ofType {{ {type_ref} }}");
    }
    let query = format!(
        "query IntrospectionQuery {{ __schema {{ description queryType {{ name }} mutationType {{ name }}
           subscriptionType {{ name }} types {{ ...FullType }}
           directives {{ name description isRepeatable locations args(includeDeprecated: true) {{ ...InputValue }} }} }} }}
         fragment FullType on __Type {{ kind name description specifiedByURL isOneOf
           fields(includeDeprecated: true) {{ name description args(includeDeprecated: true) {{ ...InputValue }}
             type {{ ...TypeRef }} isDeprecated deprecationReason }}
           inputFields(includeDeprecated: true) {{ ...InputValue }} interfaces {{ ...TypeRef }}
           enumValues(includeDeprecated: true) {{ name description isDeprecated deprecationReason }}
           possibleTypes {{ ...TypeRef }} }}
         fragment InputValue on __InputValue {{ name description type {{ ...TypeRef }} defaultValue isDeprecated deprecationReason }}
         fragment TypeRef on __Type {{ {type_ref} }}"
    );
    let body = app.gql(&query, json!({})).await;
    assert!(data(&body)["__schema"]["types"].as_array().unwrap().len() > 20);
}
