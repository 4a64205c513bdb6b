//! The one integration test binary: every test starts a real server and talks HTTP.

mod helpers;
mod ws;

mod auth;
mod authorization;
mod caching;
mod changes;
mod checkins;
mod coverage;
mod discovery;
mod exports;
mod favorites;
mod fuzz;
mod graphiql;
mod hardening;
mod http;
mod items;
mod listings;
mod loans;
mod nearby;
mod offers;
mod operations;
mod places;
mod portal;
mod ratings;
mod reports;
mod reviews;
mod schema;
mod station_rights;
mod stats;
mod subscriptions;
mod sync;
mod throttle;
mod trust;
mod websocket;
mod writes;
