//! The GraphQL schema: roots, types and thin resolvers that read the context, call
//! `domain`, and convert the result.

pub mod calendar;
pub mod connection;
pub mod context;
pub mod enums;
pub mod history;
pub mod ids;
pub mod limits;
pub mod node;
pub mod offers;
pub mod photos;
pub mod places;
pub mod plan;
pub mod prepare;
pub mod scalars;
mod schema;
pub mod stations;
mod validated;
pub mod viewer;
pub mod voice;

pub use context::ContextExt;
pub use schema::{AppSchema, Mutation, Query, Subscription, schema_builder, sdl};
