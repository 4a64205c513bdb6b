//! The city's exports: the places as CSV and GeoJSON, and visits over a range as CSV. Rows
//! are read in keyset batches of `BATCH`, so an export of any size holds one batch in
//! memory at a time and the HTTP layer streams each as it comes.
//!
//! CSV follows RFC 4180 with a UTF-8 byte-order mark (Excel then reads Chinese text
//! correctly); a cell that starts with `=`, `+`, `-` or `@` is prefixed with `'` so a
//! spreadsheet never runs a listing's text as a formula. Visits carry the worker group and
//! time, never the account.

use chrono::{DateTime, SecondsFormat, Utc};
use entity::{place, visit};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::json;

use crate::{
    auth::{Viewer, policy},
    domain::Domain,
    error::AppResult,
};

/// Rows per database read (the demo network's 180 places take two).
pub const BATCH: u64 = 100;
/// The byte-order mark that starts every CSV export.
pub const BOM: &str = "\u{FEFF}";

/// Exports are for admins.
pub fn may_export(viewer: &Viewer) -> AppResult<()> {
    policy::may_moderate(viewer)
}

/// One CSV cell, quoted when needed and defused against formula injection: a cell that
/// starts with what a spreadsheet may read as a formula (OWASP's list, tab and carriage
/// return included) gets a leading apostrophe.
pub fn cell(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// One CSV line.
pub fn line(cells: &[String]) -> String {
    let mut text = cells
        .iter()
        .map(|value| cell(value))
        .collect::<Vec<_>>()
        .join(",");
    text.push_str("\r\n");
    text
}

fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn names<T: serde::Serialize>(values: &[T]) -> String {
    values
        .iter()
        .filter_map(|value| serde_json::to_value(value).ok())
        .filter_map(|value| value.as_str().map(str::to_owned))
        .collect::<Vec<_>>()
        .join(";")
}

fn enum_name<T: sea_orm::ActiveEnum<Value = String>>(value: &T) -> String {
    value.to_value()
}

/// The header of `places.csv`.
pub fn places_header() -> String {
    let columns = [
        "id",
        "kind",
        "name",
        "address",
        "lat",
        "lng",
        "phone",
        "publication",
        "opening_hours",
        "amenities",
        "serves_groups",
        "created_at",
        "updated_at",
    ];
    format!("{BOM}{}", line(&columns.map(str::to_owned)))
}

/// One place as a CSV line; `id` is its global id.
pub fn place_line(id: &str, place: &place::Model) -> String {
    line(&[
        id.to_owned(),
        enum_name(&place.kind),
        place.name.clone(),
        place.address.clone(),
        format!("{:.6}", place.latitude),
        format!("{:.6}", place.longitude),
        place.phone.clone().unwrap_or_default(),
        enum_name(&place.publication),
        place.opening_hours.clone(),
        names(&place.amenities.0),
        names(&place.serves_groups.0),
        time(place.created_at),
        time(place.updated_at),
    ])
}

/// One place as a GeoJSON feature (WGS-84, longitude first).
pub fn place_feature(id: &str, place: &place::Model) -> String {
    json!({
        "type": "Feature",
        "id": id,
        "geometry": { "type": "Point", "coordinates": [place.longitude, place.latitude] },
        "properties": {
            "kind": enum_name(&place.kind),
            "name": place.name,
            "address": place.address,
            "phone": place.phone,
            "publication": enum_name(&place.publication),
            "openingHours": place.opening_hours,
            "amenities": serde_json::to_value(&place.amenities.0).unwrap_or_default(),
            "servesGroups": serde_json::to_value(&place.serves_groups.0).unwrap_or_default(),
        }
    })
    .to_string()
}

/// Places after `after` (by id), one batch.
pub async fn places_after(domain: &Domain, after: i32) -> AppResult<Vec<place::Model>> {
    Ok(place::Entity::find()
        .filter(place::Column::Id.gt(after))
        .filter(place::Column::DeletedAt.is_null())
        .order_by_asc(place::Column::Id)
        .limit(BATCH)
        .all(&domain.db)
        .await?)
}

/// The header of `visits.csv`.
pub fn visits_header() -> String {
    let columns = [
        "visit",
        "visited_at",
        "local_day",
        "place_id",
        "place_kind",
        "place_name",
        "worker_group",
        "method",
    ];
    format!("{BOM}{}", line(&columns.map(str::to_owned)))
}

/// One visit as a CSV line, with its place's global id, kind and name.
pub fn visit_line(visit: &visit::Model, place_id: &str, place: Option<&place::Model>) -> String {
    line(&[
        visit.id.to_string(),
        time(visit.visited_at),
        visit.local_day.clone(),
        place_id.to_owned(),
        place.map(|place| enum_name(&place.kind)).unwrap_or_default(),
        place.map(|place| place.name.clone()).unwrap_or_default(),
        visit.worker_group.clone().unwrap_or_default(),
        visit.method.clone(),
    ])
}

/// Visits in `[from, to)` after `after` (by id), one batch, with their places.
pub async fn visits_after(
    domain: &Domain,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    after: i32,
) -> AppResult<Vec<(visit::Model, Option<place::Model>)>> {
    let visits = visit::Entity::find()
        .filter(visit::Column::VisitedAt.gte(from))
        .filter(visit::Column::VisitedAt.lt(to))
        .filter(visit::Column::Id.gt(after))
        .order_by_asc(visit::Column::Id)
        .limit(BATCH)
        .all(&domain.db)
        .await?;
    let ids: Vec<i32> = visits.iter().map(|visit| visit.place_id).collect();
    let places: std::collections::HashMap<i32, place::Model> = place::Entity::find()
        .filter(place::Column::Id.is_in(ids))
        .all(&domain.db)
        .await?
        .into_iter()
        .map(|place| (place.id, place))
        .collect();
    Ok(visits
        .into_iter()
        .map(|visit| {
            let place = places.get(&visit.place_id).cloned();
            (visit, place)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_and_formulas_defused() {
        assert_eq!(cell("河西社区"), "河西社区");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=1+1"), "'=1+1");
        assert_eq!(cell("\t=1+1"), "'\t=1+1");
        assert_eq!(cell("\r=1+1"), "\"'\r=1+1\"");
    }
}
