//! yizhan (驿站): the GraphQL backend of a city's new-worker friendly network.

#![warn(missing_docs)]

/// The HTTP application: connect, migrate, load, bind and serve.
pub mod app;
/// Who is calling: viewers, token verification and the authorization policy.
pub mod auth;
/// The command line: serve, migrate, seed, token, schema.
pub mod cli;
/// Every `YIZHAN_*` setting, read once at start-up.
pub mod config;
/// The rules of the network, free of GraphQL and HTTP.
pub mod domain;
/// The one error type and its mapping to GraphQL codes and HTTP statuses.
pub mod error;
/// The GraphQL schema: roots, types and thin resolvers.
pub mod graphql;
/// The axum router: GraphQL over HTTP, GraphiQL, WebSocket, health, metrics.
pub mod http;
/// The instruments `/metrics` reports.
pub mod metrics;
/// The Feicheng demo network and synthetic benchmark cities.
pub mod seed;
/// The application state every request handler shares.
pub mod state;
/// Rate limits: each caller's budget of reads and writes.
pub mod throttle;
