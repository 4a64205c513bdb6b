//! What the index keeps of every published place, by id, in id order.
//!
//! Place ids come from the database's sequence, so they are nearly consecutive: pages of 64
//! consecutive ids, each a plain array, hold a million places in 16 bytes a place (when
//! their ids are dense) where a `BTreeMap` took about 56 (half-full nodes and a key beside
//! every value). Ids the sequence skipped or places not published leave empty slots; a
//! page goes when its last place does, so however sparse the ids, a place never costs more
//! than one page.

use std::collections::BTreeMap;

const PAGE_BITS: u32 = 6;
const PAGE_SLOTS: usize = 1 << PAGE_BITS;

type Page<T> = [Option<T>; PAGE_SLOTS];

/// Published places by id: what the index keeps of each (`spatial::Kept`).
pub(super) struct ById<T> {
    /// Pages by their first id divided by `PAGE_SLOTS`.
    pages: BTreeMap<i64, Box<Page<T>>>,
    len: usize,
}

impl<T> Default for ById<T> {
    fn default() -> Self {
        Self {
            pages: BTreeMap::new(),
            len: 0,
        }
    }
}

/// The page of `id`, and its slot there.
fn page_and_slot(id: i32) -> (i64, usize) {
    let id = i64::from(id);
    (id >> PAGE_BITS, (id & (PAGE_SLOTS as i64 - 1)) as usize)
}

impl<T> ById<T> {
    /// How many places it holds.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    pub(super) fn get(&self, id: i32) -> Option<&T> {
        let (page, slot) = page_and_slot(id);
        self.pages.get(&page)?[slot].as_ref()
    }

    /// Keeps `item` as place `id`, returning what was kept before.
    pub(super) fn insert(&mut self, id: i32, item: T) -> Option<T> {
        let (page, slot) = page_and_slot(id);
        let page = self
            .pages
            .entry(page)
            .or_insert_with(|| Box::new(std::array::from_fn(|_| None)));
        let before = page[slot].replace(item);
        if before.is_none() {
            self.len += 1;
        }
        before
    }

    pub(super) fn remove(&mut self, id: i32) -> Option<T> {
        let (page_number, slot) = page_and_slot(id);
        let page = self.pages.get_mut(&page_number)?;
        let removed = page[slot].take()?;
        self.len -= 1;
        if page.iter().all(Option::is_none) {
            self.pages.remove(&page_number);
        }
        Some(removed)
    }

    /// Every place in id order.
    pub(super) fn values(&self) -> impl Iterator<Item = &T> {
        self.pages.values().flat_map(|page| page.iter().flatten())
    }

    /// The places with ids above `after` (all of them without one), in id order.
    pub(super) fn after(&self, after: Option<i32>) -> impl Iterator<Item = &T> {
        let first = after.map_or(i64::MIN, |id| i64::from(id) + 1);
        self.pages
            .range(first >> PAGE_BITS..)
            .flat_map(move |(&page, slots)| {
                slots
                    .iter()
                    .enumerate()
                    .filter(move |&(slot, _)| (page << PAGE_BITS) + slot as i64 >= first)
                    .filter_map(|(_, item)| item.as_ref())
            })
    }

    /// Takes every place of `later`, whose ids are all larger than any here but may share
    /// this one's last page.
    pub(super) fn append(&mut self, later: Self) {
        for (number, page) in later.pages {
            match self.pages.get_mut(&number) {
                Some(mine) => {
                    for (slot, item) in page.into_iter().enumerate() {
                        if let Some(item) = item {
                            self.len += usize::from(mine[slot].replace(item).is_none());
                        }
                    }
                }
                None => {
                    self.len += page.iter().flatten().count();
                    self.pages.insert(number, page);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(by_id: &ById<i32>, after: Option<i32>) -> Vec<i32> {
        by_id.after(after).copied().collect()
    }

    #[test]
    fn places_come_back_by_id_and_in_id_order_across_pages() {
        let mut by_id = ById::default();
        for id in [200, 1, 63, 64, 65, 7, i32::MAX, -5] {
            assert_eq!(by_id.insert(id, id), None);
        }
        assert_eq!(by_id.insert(64, 64), Some(64), "a second insert replaces");
        assert_eq!(by_id.len(), 8);
        assert_eq!(by_id.get(65), Some(&65));
        assert_eq!(by_id.get(66), None);
        assert_eq!(ids(&by_id, None), [-5, 1, 7, 63, 64, 65, 200, i32::MAX]);
        assert_eq!(ids(&by_id, Some(7)), [63, 64, 65, 200, i32::MAX]);
        assert_eq!(ids(&by_id, Some(63)), [64, 65, 200, i32::MAX]);
        assert_eq!(ids(&by_id, Some(-6)), [-5, 1, 7, 63, 64, 65, 200, i32::MAX]);
        assert_eq!(ids(&by_id, Some(i32::MAX)), Vec::<i32>::new());
        assert_eq!(by_id.values().count(), 8);
    }

    #[test]
    fn a_page_goes_with_its_last_place() {
        let mut by_id = ById::default();
        by_id.insert(130, 130);
        by_id.insert(131, 131);
        assert_eq!(by_id.remove(130), Some(130));
        assert_eq!(by_id.remove(130), None);
        assert_eq!(by_id.pages.len(), 1);
        assert_eq!(by_id.remove(131), Some(131));
        assert!(by_id.len() == 0 && by_id.pages.is_empty());
    }

    #[test]
    fn appending_later_places_joins_a_shared_page() {
        let (mut first, mut later) = (ById::default(), ById::default());
        for id in [1, 2, 3] {
            first.insert(id, id);
        }
        for id in [4, 5, 300] {
            later.insert(id, id);
        }
        first.append(later);
        assert_eq!(first.len(), 6);
        assert_eq!(ids(&first, None), [1, 2, 3, 4, 5, 300]);
    }
}
