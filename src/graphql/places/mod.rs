//! Places in GraphQL: the `Place` type, its connections, the discovery queries and the
//! listing mutations. Resolvers only translate; the rules live in `domain`.

mod changes;
mod connections;
mod inputs;
mod mutation;
mod place;
mod query;

pub use changes::{PlaceChangeQuery, PlaceSubscription, ReviewQueueSubscription};
pub use connections::{NearbyPlaceConnection, PlaceConnection, SearchResultConnection};
pub use inputs::{LocationInput, WithinInput};
pub use mutation::PlaceMutation;
pub use place::{Location, Place};
pub use query::PlaceQuery;
pub(crate) use query::{nearby_page, place_by_id, places_page, search_page};
