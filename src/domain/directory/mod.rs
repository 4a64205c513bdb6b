//! The published directory, held in memory and kept current by following the change log:
//! at once for this instance's own writes, and within moments for every other instance's.
//!
//! Riders read far more than partners write, and a whole country's network is a few
//! hundred thousand places, so discovery answers from this index instead of asking the
//! database on every read: a grid of ~250 m cells finds the candidates of a radius search,
//! every distance is then computed exactly, and offers and live status travel with each
//! listing so nested fields need no further query.

//!
//! - `listing/`: the read model (`Listing`, `LiveStatus`), kept compact for a million
//!   places: its strings in one allocation (`packed.rs`), its row rebuilt only on demand
//!   (`row.rs`); and `schedule.rs`, opening hours (with their expression and zone) shared
//!   between listings, with their state now kept until it changes;
//! - `filter.rs`: `PlaceFilter` and the matcher that checks it;
//! - `ranking.rs`: ranked results and their pages (`Found`, `RankKey`, `Nearest`);
//! - `spatial.rs`: the grid index and the geometry of a radius search, and `by_id.rs`,
//!   what it keeps of every place in id order;
//! - `queries.rs`: the query engines (`list`, `nearest`, `count_nearby`, `within`);
//! - `text.rs`, `postings.rs` and `pinyin.rs`: the search index (character n-grams and
//!   pinyin of names) and `search.rs`, the text search over it;
//! - `store.rs`: the `Directory` itself;
//! - `sync.rs` and `follow.rs`: how it follows the database (`load`, `refresh`,
//!   `catch_up`), the one seam the write paths and the app use to keep it current;
//! - `snapshot.rs`: the directory in a file, so a restart resumes from it and the log.

mod by_id;
mod filter;
pub mod follow;
mod listing;
mod pinyin;
mod postings;
mod queries;
mod ranking;
mod schedule;
mod search;
mod snapshot;
mod spatial;
mod store;
mod sync;
mod text;

pub use filter::{PlaceFilter, matches};
pub use listing::{Listing, LiveStatus};
pub use ranking::{Found, Nearest, RankKey};
pub use schedule::Schedule;
pub use snapshot::SnapshotFile;
pub use store::Directory;
pub use sync::CatchUp;

/// `vec` moved to an allocation of its length. `shrink_to_fit` is not enough: mimalloc keeps
/// a block that shrinks by less than half where it is, so what doubled while it loaded would
/// stay up to twice its size.
fn exactly_sized<T>(mut vec: Vec<T>) -> Vec<T> {
    if vec.capacity() == vec.len() {
        return vec;
    }
    let mut exact = Vec::with_capacity(vec.len());
    exact.append(&mut vec);
    exact
}
