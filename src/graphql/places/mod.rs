//! Places in GraphQL: the `Place` type, its connections, the discovery queries and the
//! listing mutations. Resolvers only translate; the rules live in `domain`.

mod changes;
mod connections;
mod inputs;
mod mutation;
mod place;
mod query;

pub use changes::{PlaceChangeQuery, PlaceSubscription, ReviewQueueSubscription};
pub use connections::PlaceConnection;
pub use inputs::{LocationInput, WithinInput};
pub use mutation::PlaceMutation;
pub use place::{Location, Place};
pub use query::PlaceQuery;
