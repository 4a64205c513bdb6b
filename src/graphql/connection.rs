//! Relay pagination: page info and the opaque cursors of each connection.

use async_graphql::{ResultExt, SimpleObject};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};

use crate::{
    domain::{
        directory::RankKey,
        page_size,
        places::{QueueKey, SyncCursor},
        stations::loans::LoanKey,
        voice::reviews::{Order, ReviewKey},
    },
    error::{AppError, AppResult},
};

/// Where a page sits in its connection.
#[derive(SimpleObject, Clone, Debug)]
pub struct PageInfo {
    /// True when a further page follows; ask for it with `after: endCursor`.
    pub has_next_page: bool,
    /// Always false: connections page forward only.
    pub has_previous_page: bool,
    /// The cursor of the first edge of this page.
    pub start_cursor: Option<String>,
    /// The cursor of the last edge of this page.
    pub end_cursor: Option<String>,
}

impl PageInfo {
    /// The page info of edges in order, given how each edge's cursor is read.
    pub fn of<E>(edges: &[E], cursor: impl Fn(&E) -> &String, has_next_page: bool) -> Self {
        Self {
            has_next_page,
            has_previous_page: false,
            start_cursor: edges.first().map(&cursor).cloned(),
            end_cursor: edges.last().map(&cursor).cloned(),
        }
    }

    /// The page info of ranked edges, whose own cursors are written only when selected.
    pub fn ranked<E>(edges: &[E], key: impl Fn(&E) -> RankKey, has_next_page: bool) -> Self {
        Self {
            has_next_page,
            has_previous_page: false,
            start_cursor: edges.first().map(|edge| ranked_cursor(key(edge))),
            end_cursor: edges.last().map(|edge| ranked_cursor(key(edge))),
        }
    }
}

/// A connection's `first` and `after`, checked: the page size, then where to resume, read
/// by the connection's own cursor reader. Every connection field starts with this.
pub fn paging<K>(
    first: Option<i32>,
    after: Option<String>,
    read_cursor: impl FnOnce(Option<&str>) -> AppResult<Option<K>>,
) -> async_graphql::Result<(usize, Option<K>)> {
    let first = page_size(first).extend()?;
    let after = read_cursor(after.as_deref()).extend()?;
    Ok((first, after))
}

/// The kinds of cursor, one per ordering. A cursor only resumes a connection of its kind.
#[derive(Clone, Copy)]
pub enum CursorKind {
    /// Id order: `places`, `me.places`, `me.offers`.
    Id,
    /// Newest first: `history`.
    History,
    /// Rank, distance, id: `nearby`, `search`.
    Ranked,
    /// Submission time, id: `reviewQueue`.
    Queue,
    /// A position in the change log: `placeChanges`.
    Sync,
    /// Newest favourite first: `me.favorites`.
    Favorites,
    /// Newest report first: `Place.reports`.
    Reports,
    /// Written time, id: `Place.reviews(order: NEWEST)`.
    NewestReviews,
    /// Helpful marks, id: `Place.reviews(order: MOST_HELPFUL)`.
    HelpfulReviews,
    /// Due time, id: `Place.loans`.
    Loans,
    /// Newest loan first: `me.loans`.
    MyLoans,
}

impl CursorKind {
    fn prefix(self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::History => "history",
            Self::Ranked => "ranked",
            Self::Queue => "queue",
            Self::Sync => "sync",
            Self::Favorites => "favorite",
            Self::Reports => "report",
            Self::NewestReviews => "review",
            Self::HelpfulReviews => "helpful",
            Self::Loans => "loan",
            Self::MyLoans => "myloan",
        }
    }
}

fn encode(kind: CursorKind, parts: &[String]) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}:{}", kind.prefix(), parts.join(":")))
}

fn decode(cursor: &str, kind: CursorKind, parts: usize) -> AppResult<Vec<String>> {
    let refuse = || {
        AppError::bad_input(format!(
            "after: {cursor:?} is not a cursor of this connection; pass an edge's cursor back unchanged"
        ))
    };
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| refuse())?;
    let text = String::from_utf8(bytes).map_err(|_| refuse())?;
    let rest = text
        .strip_prefix(&format!("{}:", kind.prefix()))
        .ok_or_else(refuse)?;
    let fields: Vec<String> = rest.split(':').map(str::to_owned).collect();
    if fields.len() != parts {
        return Err(refuse());
    }
    Ok(fields)
}

fn damaged() -> AppError {
    AppError::bad_input("after: this cursor is damaged; pass an edge's cursor back unchanged")
}

fn number<T: std::str::FromStr>(text: &str) -> AppResult<T> {
    text.parse().map_err(|_| damaged())
}

/// The cursor of the item with `id` in a list of `kind`.
pub fn id_cursor(kind: CursorKind, id: i32) -> String {
    encode(kind, &[id.to_string()])
}

/// The id a cursor of `kind` points after; `BAD_USER_INPUT` for a cursor of another list.
pub fn decode_id_cursor(cursor: Option<&str>, kind: CursorKind) -> AppResult<Option<i32>> {
    cursor
        .map(|cursor| number(&decode(cursor, kind, 1)?[0]))
        .transpose()
}

/// Ranked cursors carry the exact distance, so a page resumes precisely where it stopped.
pub fn ranked_cursor(key: RankKey) -> String {
    encode(
        CursorKind::Ranked,
        &[
            key.rank.to_string(),
            format!("{:x}", key.proximity.to_bits()),
            key.id.to_string(),
        ],
    )
}

/// The ranking key a search or `nearby` cursor points after.
pub fn decode_ranked_cursor(cursor: Option<&str>) -> AppResult<Option<RankKey>> {
    cursor
        .map(|cursor| {
            let parts = decode(cursor, CursorKind::Ranked, 3)?;
            let bits = u64::from_str_radix(&parts[1], 16).map_err(|_| damaged())?;
            let proximity = f64::from_bits(bits);
            if !proximity.is_finite() {
                return Err(damaged());
            }
            Ok(RankKey {
                rank: number(&parts[0])?,
                proximity,
                id: number(&parts[2])?,
            })
        })
        .transpose()
}

/// The cursor of a place in the review queue.
pub fn queue_cursor(key: QueueKey) -> String {
    encode(
        CursorKind::Queue,
        &[
            key.submitted_at
                .timestamp_nanos_opt()
                .unwrap_or_default()
                .to_string(),
            key.id.to_string(),
        ],
    )
}

/// The queue position a review-queue cursor points after.
pub fn decode_queue_cursor(cursor: Option<&str>) -> AppResult<Option<QueueKey>> {
    cursor
        .map(|cursor| {
            let parts = decode(cursor, CursorKind::Queue, 2)?;
            let submitted_at = DateTime::<Utc>::from_timestamp_nanos(number(&parts[0])?);
            Ok(QueueKey {
                submitted_at,
                id: number(&parts[1])?,
            })
        })
        .transpose()
}

/// Sync cursors name a place in the first download (`s`) or a span of the log (`d`).
pub fn sync_cursor(cursor: SyncCursor) -> String {
    let parts = match cursor {
        SyncCursor::Snapshot { position, after_id } => {
            ["s".to_owned(), position.to_string(), after_id.to_string()]
        }
        SyncCursor::Delta { since, through } => ["d".to_owned(), since.to_string(), through.to_string()],
    };
    encode(CursorKind::Sync, &parts)
}

/// Where a delta-sync cursor resumes.
pub fn decode_sync_cursor(cursor: Option<&str>) -> AppResult<Option<SyncCursor>> {
    cursor
        .map(|cursor| {
            let parts = decode(cursor, CursorKind::Sync, 3)?;
            let (a, b): (i64, i64) = (number(&parts[1])?, number(&parts[2])?);
            if a < 0 || b < 0 {
                return Err(damaged());
            }
            match parts[0].as_str() {
                "s" => Ok(SyncCursor::Snapshot {
                    position: a,
                    after_id: i32::try_from(b).map_err(|_| damaged())?,
                }),
                "d" if a <= b => Ok(SyncCursor::Delta { since: a, through: b }),
                _ => Err(damaged()),
            }
        })
        .transpose()
}

/// The cursor of a review, in the order of its page.
pub fn review_cursor(key: ReviewKey) -> String {
    match key {
        ReviewKey::Newest { written_at, id } => encode(
            CursorKind::NewestReviews,
            &[written_at.timestamp_micros().to_string(), id.to_string()],
        ),
        ReviewKey::MostHelpful { helpful, id } => {
            encode(CursorKind::HelpfulReviews, &[helpful.to_string(), id.to_string()])
        }
    }
}

/// A review cursor of the page's order: a cursor of the other order is refused.
pub fn decode_review_cursor(cursor: Option<&str>, order: Order) -> AppResult<Option<ReviewKey>> {
    cursor
        .map(|cursor| match order {
            Order::Newest => {
                let parts = decode(cursor, CursorKind::NewestReviews, 2)?;
                let written_at =
                    DateTime::<Utc>::from_timestamp_micros(number(&parts[0])?).ok_or_else(damaged)?;
                Ok(ReviewKey::Newest {
                    written_at,
                    id: number(&parts[1])?,
                })
            }
            Order::MostHelpful => {
                let parts = decode(cursor, CursorKind::HelpfulReviews, 2)?;
                Ok(ReviewKey::MostHelpful {
                    helpful: number(&parts[0])?,
                    id: number(&parts[1])?,
                })
            }
        })
        .transpose()
}

/// Loan cursors carry the due time (to the microsecond) and the id.
pub fn loan_cursor(key: LoanKey) -> String {
    encode(
        CursorKind::Loans,
        &[key.due_at.timestamp_micros().to_string(), key.id.to_string()],
    )
}

/// Where a loans cursor resumes: after this due time and id.
pub fn decode_loan_cursor(cursor: Option<&str>) -> AppResult<Option<LoanKey>> {
    cursor
        .map(|cursor| {
            let parts = decode(cursor, CursorKind::Loans, 2)?;
            let due_at = DateTime::<Utc>::from_timestamp_micros(number(&parts[0])?).ok_or_else(damaged)?;
            Ok(LoanKey {
                due_at,
                id: number(&parts[1])?,
            })
        })
        .transpose()
}
