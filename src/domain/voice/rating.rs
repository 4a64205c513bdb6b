//! A place's rating: how many visible reviews gave each number of stars. It travels with
//! the place's listing in the directory, so reading it costs no query; every review write
//! logs the place as changed, so every instance re-reads it.

use std::collections::HashMap;

use entity::review;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::error::AppResult;

/// Places per query.
const BATCH: usize = 1_000;

/// Visible reviews by stars: `distribution[0]` counts one-star reviews, `[4]` five-star.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rating {
    /// How many reviews gave one, two, three, four and five stars.
    pub distribution: [u32; 5],
}

impl Rating {
    /// How many reviews count.
    pub fn count(&self) -> u32 {
        self.distribution.iter().sum()
    }

    /// The mean stars; `None` without reviews.
    pub fn average(&self) -> Option<f64> {
        let count = self.count();
        (count > 0).then(|| {
            let total: u32 = self
                .distribution
                .iter()
                .zip(1..)
                .map(|(n, stars)| n * stars)
                .sum();
            f64::from(total) / f64::from(count)
        })
    }
}

/// The ratings of `place_ids`, from reviews neither deleted nor hidden, in one grouped
/// query per thousand places. Places without reviews are absent.
pub async fn of_places(db: &impl ConnectionTrait, place_ids: &[i32]) -> AppResult<HashMap<i32, Rating>> {
    let mut ratings: HashMap<i32, Rating> = HashMap::new();
    for chunk in place_ids.chunks(BATCH) {
        let counts: Vec<(i32, i32, i64)> = review::Entity::find()
            .select_only()
            .column(review::Column::PlaceId)
            .column(review::Column::Stars)
            .column_as(review::Column::Id.count(), "reviews")
            .filter(review::Column::PlaceId.is_in(chunk.iter().copied()))
            .filter(review::Column::DeletedAt.is_null())
            .filter(review::Column::HiddenAt.is_null())
            .group_by(review::Column::PlaceId)
            .group_by(review::Column::Stars)
            .into_tuple()
            .all(db)
            .await?;
        for (place_id, stars, reviews) in counts {
            if let Some(slot) = usize::try_from(stars - 1).ok().filter(|slot| *slot < 5) {
                ratings.entry(place_id).or_default().distribution[slot] =
                    u32::try_from(reviews).unwrap_or(u32::MAX);
            }
        }
    }
    Ok(ratings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_average_weighs_each_review_once() {
        assert_eq!(Rating::default().average(), None);
        let rating = Rating {
            distribution: [1, 0, 0, 0, 3],
        };
        assert_eq!(rating.count(), 4);
        assert_eq!(rating.average(), Some(4.0));
    }
}
