//! Relay global ids: opaque, stable across restarts, naming an object's type and row.
//! This module knows no object types, so every type can use it without a loop.

use async_graphql::ID;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use crate::error::{AppError, AppResult};

/// The kinds of object a global id can name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeType {
    /// A `Place`.
    Place,
    /// An `Offer`.
    Offer,
    /// A `Review`.
    Review,
    /// A `PlaceReport`.
    Report,
    /// An `Item` of a station's lending register.
    Item,
    /// A `Loan` of an item.
    Loan,
    /// A `Visit` (a check-in).
    Visit,
    /// A `PlacePhoto`.
    PlacePhoto,
}

impl NodeType {
    const ALL: [Self; 8] = [
        Self::Place,
        Self::Offer,
        Self::Review,
        Self::Report,
        Self::Item,
        Self::Loan,
        Self::Visit,
        Self::PlacePhoto,
    ];

    fn prefix(self) -> &'static str {
        match self {
            Self::Place => "Place",
            Self::Offer => "Offer",
            Self::Review => "Review",
            Self::Report => "PlaceReport",
            Self::Item => "Item",
            Self::Loan => "Loan",
            Self::Visit => "Visit",
            Self::PlacePhoto => "PlacePhoto",
        }
    }
}

/// The global id of row `id` of `node_type`.
pub fn global_id(node_type: NodeType, id: i32) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{}:{id}", node_type.prefix())))
}

/// Reads a global id of any type.
pub fn decode_any(id: &ID) -> AppResult<(NodeType, i32)> {
    let refuse = || {
        AppError::bad_input(format!(
            "{:?} is not a yizhan id; use an `id` the API returned",
            id.as_str()
        ))
    };
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(id.as_str()).map_err(|_| refuse())?)
        .map_err(|_| refuse())?;
    let (prefix, number) = text.split_once(':').ok_or_else(refuse)?;
    let node_type = NodeType::ALL
        .into_iter()
        .find(|t| t.prefix() == prefix)
        .ok_or_else(refuse)?;
    Ok((node_type, number.parse().map_err(|_| refuse())?))
}

/// Reads a global id that must name an object of `expected` type.
pub fn decode(id: &ID, expected: NodeType) -> AppResult<i32> {
    match decode_any(id)? {
        (node_type, number) if node_type == expected => Ok(number),
        _ => Err(AppError::bad_input(format!(
            "{:?} is not the id of a {}",
            id.as_str(),
            expected.prefix()
        ))),
    }
}
