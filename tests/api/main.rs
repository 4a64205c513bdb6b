//! The one integration test binary: every test starts a real server and talks HTTP.

mod helpers;

mod auth;
mod authorization;
mod changes;
mod checkins;
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
mod operations;
mod places;
mod reports;
mod reviews;
mod schema;
mod station_rights;
mod stats;
mod trust;
mod websocket;
mod writes;
