//! The one integration test binary: every test starts a real server and talks HTTP.

mod helpers;
mod ws;

mod auth;
mod authorization;
mod caching;
mod changes;
mod discovery;
mod favorites;
mod fuzz;
mod graphiql;
mod hardening;
mod http;
mod listings;
mod nearby;
mod offers;
mod operations;
mod photos;
mod places;
mod ratings;
mod reports;
mod reviews;
mod schema;
mod subscriptions;
mod sync;
mod throttle;
mod trust;
mod websocket;
mod writes;
