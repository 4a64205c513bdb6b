//! Relay pagination: page info and the opaque cursors of each connection.

use async_graphql::SimpleObject;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use crate::{
    domain::directory::NearbyKey,
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
    pub fn new(cursors: &[String], has_next_page: bool) -> Self {
        Self {
            has_next_page,
            has_previous_page: false,
            start_cursor: cursors.first().cloned(),
            end_cursor: cursors.last().cloned(),
        }
    }
}

fn encode(text: String) -> String {
    URL_SAFE_NO_PAD.encode(text)
}

fn decode(cursor: &str, connection: &str) -> AppResult<String> {
    let refuse = || {
        AppError::bad_input(format!(
            "after: {cursor:?} is not a cursor of {connection}; pass an edge's cursor back unchanged"
        ))
    };
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| refuse())?;
    let text = String::from_utf8(bytes).map_err(|_| refuse())?;
    text.strip_prefix(&format!("{connection}:"))
        .map(str::to_owned)
        .ok_or_else(refuse)
}

/// Cursors of id-ordered connections (`places`, `me.places`).
pub fn id_cursor(id: i32) -> String {
    encode(format!("id:{id}"))
}

pub fn decode_id_cursor(cursor: Option<&str>) -> AppResult<Option<i32>> {
    cursor
        .map(|cursor| {
            decode(cursor, "id")?.parse().map_err(|_| {
                AppError::bad_input(format!("after: {cursor:?} is not a cursor of this connection"))
            })
        })
        .transpose()
}

/// Cursors of `nearby`: the exact distance and the id, so a page resumes where it stopped.
pub fn nearby_cursor(key: NearbyKey) -> String {
    encode(format!("near:{:x}:{}", key.distance_meters.to_bits(), key.id))
}

pub fn decode_nearby_cursor(cursor: Option<&str>) -> AppResult<Option<NearbyKey>> {
    cursor
        .map(|cursor| {
            let refuse = || AppError::bad_input(format!("after: {cursor:?} is not a cursor of nearby"));
            let text = decode(cursor, "near")?;
            let (bits, id) = text.split_once(':').ok_or_else(refuse)?;
            let distance_meters = f64::from_bits(u64::from_str_radix(bits, 16).map_err(|_| refuse())?);
            let id = id.parse().map_err(|_| refuse())?;
            if !distance_meters.is_finite() {
                return Err(refuse());
            }
            Ok(NearbyKey { distance_meters, id })
        })
        .transpose()
}
