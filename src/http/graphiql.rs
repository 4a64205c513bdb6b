//! GraphiQL for browsers that open `/graphql`.

use async_graphql::http::GraphiQLSource;

/// The GraphiQL page, pointed at this server's endpoints.
pub fn page() -> String {
    GraphiQLSource::build()
        .endpoint("/graphql")
        .subscription_endpoint("/graphql/ws")
        .title("yizhan")
        .finish()
}
