//! A place's history in GraphQL.

use async_graphql::SimpleObject;
use chrono::{DateTime, Utc};
use entity::place_history;

use super::{
    connection::{CursorKind, PageInfo, id_cursor},
    enums::HistoryAction,
    ids::{NodeType, global_id},
};
use crate::domain::{history::Action, paging::Page};

/// One field's change.
#[derive(SimpleObject)]
pub struct FieldChange {
    /// The field, as named in the API (`openingHours`, `status.state`, `offer.title`…).
    /// Entries about an offer always carry `offer.id`, the offer's global id.
    pub field: String,
    /// The value before, as text; null when it was empty.
    pub old_value: Option<String>,
    /// The value after, as text; null when it is empty now.
    pub new_value: Option<String>,
}

/// One change to a place, its offers or its status.
#[derive(SimpleObject)]
pub struct HistoryEntry {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Who did it (token `sub`).
    pub actor_subject: String,
    /// Their role then: worker, merchant, operator or admin.
    pub actor_role: String,
    /// What happened.
    pub action: HistoryAction,
    /// Why, for rejections, suspensions and edits that sent the place back to review.
    pub reason: Option<String>,
    /// Which fields changed, from what to what.
    pub changes: Vec<FieldChange>,
}

/// A page of history, newest first.
#[derive(SimpleObject)]
pub struct PlaceHistoryConnection {
    /// The entries of this page.
    pub edges: Vec<HistoryEdge>,
    /// Where this page sits.
    pub page_info: PageInfo,
    /// How many entries there are in all.
    pub total_count: i32,
}

/// A history entry with the cursor to resume after it.
#[derive(SimpleObject)]
pub struct HistoryEdge {
    /// Pass as `after` to get older entries.
    pub cursor: String,
    /// The entry.
    pub node: HistoryEntry,
}

/// Offers and photos are named in the history by their public ids (the history stores row
/// ids).
fn public_value(field: &str, value: Option<String>) -> Option<String> {
    let node_type = match field {
        "offer.id" => NodeType::Offer,
        "photo.id" | "photo.order" => NodeType::PlacePhoto,
        _ => return value,
    };
    value.map(|ids| {
        ids.split(',')
            .map(|id| {
                id.parse()
                    .map_or_else(|_| id.to_owned(), |id| global_id(node_type, id).0)
            })
            .collect::<Vec<_>>()
            .join(",")
    })
}

fn action(name: &str) -> HistoryAction {
    // Every stored name was written by `Action::as_str`.
    Action::parse(name).unwrap_or(Action::Updated).into()
}

impl PlaceHistoryConnection {
    /// The connection for a page of history entries.
    pub fn from_page(page: Page<place_history::Model>) -> Self {
        let edges: Vec<HistoryEdge> = page
            .items
            .into_iter()
            .map(|entry| HistoryEdge {
                cursor: id_cursor(CursorKind::History, entry.id),
                node: HistoryEntry {
                    at: entry.created_at,
                    actor_subject: entry.actor_subject,
                    actor_role: entry.actor_role,
                    action: action(&entry.action),
                    reason: entry.reason,
                    changes: entry
                        .changes
                        .0
                        .into_iter()
                        .map(|change| FieldChange {
                            old_value: public_value(&change.field, change.old),
                            new_value: public_value(&change.field, change.new),
                            field: change.field,
                        })
                        .collect(),
                },
            })
            .collect();
        Self {
            page_info: PageInfo::of(&edges, |edge| &edge.cursor, page.has_next_page),
            total_count: i32::try_from(page.total_count).unwrap_or(i32::MAX),
            edges,
        }
    }
}
