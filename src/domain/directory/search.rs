//! Text search: the index names the candidates, each candidate's text decides its rank,
//! and only as many candidates are checked as a page needs. Near a point, the grid is
//! walked outward cell by cell, nearest first, and the walk stops once no candidate left could rank
//! before the page's last; without one, candidates go in id order and stop the same way.

use std::{collections::BinaryHeap, sync::Arc};

use chrono::{DateTime, Utc};

use super::{
    filter::{Matcher, PlaceFilter},
    listing::Listing,
    pinyin,
    ranking::{Hit, Nearest, RankKey},
    spatial::{Centre, Entry, Index},
    store::Directory,
    text::{Candidates, RANK_EXACT, RANK_IN_NAME, RANK_PINYIN, TextIndex, WordBits, WordSet},
};
use crate::domain::geo::Point;

/// Below this many candidates, checking them all costs less than walking the grid.
const FEW_CANDIDATES: usize = 256;
/// Past this many possible name matches, places are checked outward from the rider one by
/// one instead of listing the candidates: a page is then found within a few cells.
const DENSE: usize = 4_096;
/// Places checked one by one before a dense search gives up and lists its candidates.
const DENSE_CHECKS: usize = 20_000;
/// Places named or starting as the text that a dense search checks before walking.
const FEW_STARTS: usize = 2_000;
/// Rings walked before the rest of the candidates are checked one by one: a rider far
/// from every candidate would otherwise walk empty cells.
const MAX_RINGS: i32 = 200;

/// What was typed, prepared once.
struct Query {
    phrase: String,
    words: Vec<String>,
    /// What each word needs of a listing's signature.
    bits: Vec<WordBits>,
}

impl Query {
    /// The words' bits depend on which keys `index` holds: it is read under the same lock
    /// as the places checked against them.
    fn new(text: &str, index: &TextIndex) -> Self {
        let phrase = text.trim().to_lowercase();
        // Each word once: a word typed twice asks nothing more.
        let mut words: Vec<String> = phrase.split_whitespace().map(str::to_owned).collect();
        words.sort_unstable();
        words.dedup();
        let bits = words.iter().map(|word| index.word_bits(word)).collect();
        Self { phrase, words, bits }
    }

    fn words(&self) -> Vec<&str> {
        self.words.iter().map(String::as_str).collect()
    }

    /// How well a listing matches: 0 exact name, 1 name prefix, 2 in the name, 3 every
    /// word somewhere in its text, 4 some word only as pinyin of its name; `None` when a
    /// word is nowhere.
    fn rank_of(&self, listing: &Listing, now: DateTime<Utc>) -> Option<u8> {
        let name = listing.lower_name();
        let address = listing.lower_address();
        let direct = |word: &str| {
            name.contains(word)
                || address.contains(word)
                || listing
                    .current_offers(now)
                    .any(|offer| offer.title.to_lowercase().contains(word))
        };
        if self.words.iter().all(|word| direct(word)) {
            let phrase = self.phrase.as_str();
            return Some(if name == phrase {
                0
            } else if name.starts_with(phrase) {
                1
            } else if name.contains(phrase) {
                2
            } else {
                3
            });
        }
        self.words
            .iter()
            .all(|word| direct(word) || (pinyin::could_be_pinyin(word) && pinyin::matches(name, word)))
            .then_some(RANK_PINYIN)
    }
}

/// The best `keep` hits after a cursor, worst on top.
struct Best<'e> {
    heap: BinaryHeap<Hit<'e>>,
    keep: usize,
    after: Option<RankKey>,
}

impl<'e> Best<'e> {
    fn offer(&mut self, hit: Hit<'e>) {
        if self.after.is_some_and(|after| hit.key.cmp(&after).is_le()) {
            return;
        }
        if self.heap.len() < self.keep {
            self.heap.push(hit);
        } else if self
            .heap
            .peek()
            .is_some_and(|worst| hit.key.cmp(&worst.key).is_lt())
        {
            self.heap.pop();
            self.heap.push(hit);
        }
    }

    /// Whether nothing at or after `key` could enter any more. A walk asks with the least
    /// key a farther place could have (`id: i32::MIN`); id order without a centre asks with
    /// the rank left and `id: i32::MAX`, since ties go by id and ids only grow.
    fn closed_before(&self, key: RankKey) -> bool {
        self.heap.len() == self.keep && self.heap.peek().is_some_and(|worst| worst.key.cmp(&key).is_lt())
    }
}

/// Candidates not yet checked, with how many of each best rank remain. Marks go by a
/// candidate's position, so they take as many bits as there are candidates.
struct Pending {
    candidates: Candidates,
    unchecked: Vec<u64>,
    left_by_rank: [usize; RANK_PINYIN as usize + 1],
}

impl Pending {
    fn new(candidates: Candidates) -> Self {
        let mut unchecked = vec![u64::MAX; candidates.len().div_ceil(64)];
        if let Some(last) = unchecked.last_mut()
            && !candidates.len().is_multiple_of(64)
        {
            *last = (1 << (candidates.len() % 64)) - 1;
        }
        let mut left_by_rank = [0; RANK_PINYIN as usize + 1];
        for &(_, rank) in &candidates {
            left_by_rank[rank as usize] += 1;
        }
        Self {
            candidates,
            unchecked,
            left_by_rank,
        }
    }

    /// Takes the candidate at `at` out of the pending set; true when it was pending.
    fn take_at(&mut self, at: usize) -> bool {
        let bit = 1 << (at % 64);
        let word = &mut self.unchecked[at / 64];
        if *word & bit == 0 {
            return false;
        }
        *word &= !bit;
        self.left_by_rank[self.candidates[at].1 as usize] -= 1;
        true
    }

    /// Takes `id` out of the pending set: the best rank it could reach when it was a
    /// pending candidate.
    fn take(&mut self, id: u32) -> Option<u8> {
        let at = self
            .candidates
            .binary_search_by_key(&id, |&(candidate, _)| candidate)
            .ok()?;
        self.take_at(at).then_some(self.candidates[at].1)
    }

    /// The best rank any pending candidate could reach; `None` when none is left.
    fn best_left(&self) -> Option<u8> {
        (0..=RANK_PINYIN).find(|&rank| self.left_by_rank[rank as usize] > 0)
    }
}

/// A search prepared once: what was typed, the compiled filter, the centre and the clock.
struct Checker<'a> {
    query: Query,
    matcher: Matcher<'a>,
    centre: Option<Centre>,
    now: DateTime<Utc>,
}

impl Checker<'_> {
    /// Offers `entry` to `best` when it passes the filter and its text matches. What the
    /// entry holds inline is checked first (its signature, its distance with the best rank
    /// `least_rank` the index allows it, its filter keys), then whether it is in every
    /// one of `word_sets` (when given), so that most places are turned away without
    /// reading their listing; then the rest of the filter, then the text.
    fn check<'e>(&self, entry: &'e Entry, least_rank: u8, best: &mut Best<'e>, word_sets: &[Arc<WordSet>]) {
        if !entry.signature.may_match(&self.query.bits) {
            return;
        }
        let mut key = RankKey {
            rank: least_rank,
            proximity: self.centre.map_or(0.0, |centre| centre.a_to(entry)),
            id: entry.id(),
        };
        if best.closed_before(key)
            || !word_sets.iter().all(|set| set.contains(entry.id() as u32))
            || !self.matcher.matches(entry)
        {
            return;
        }
        // The filter before the text: hours are cached per schedule, while the text's rank
        // reads the listing's strings and may try every pinyin reading of its name.
        if let Some(rank) = self.query.rank_of(&entry.listing, self.now) {
            key.rank = rank;
            best.offer(Hit { key, entry });
        }
    }

    /// Checks the candidate at `at` if it is still pending.
    fn check_pending<'e>(&self, index: &'e Index, pending: &mut Pending, at: usize, best: &mut Best<'e>) {
        let (id, least_rank) = pending.candidates[at];
        if pending.take_at(at)
            && let Some(entry) = index.entry(id as i32)
        {
            self.check(entry, least_rank, best, &[]);
        }
    }
}

impl Directory {
    /// Published places whose name, address or current offer titles contain every word
    /// of `text`, or whose name reads as it in pinyin: exact names first, then names that
    /// start with it, names that contain it, other direct matches, then pinyin matches;
    /// within a rank by distance from `near` when given, then by id.
    pub fn search(
        &self,
        text: &str,
        near: Option<Point>,
        filter: &PlaceFilter,
        now: DateTime<Utc>,
        after: Option<RankKey>,
        first: usize,
    ) -> Nearest {
        let index = self.read();
        let checker = Checker {
            query: Query::new(text, &index.text),
            matcher: Matcher::new(filter, now),
            centre: near.map(Centre::new),
            now,
        };
        let fresh = || Best {
            heap: BinaryHeap::with_capacity(first + 2),
            keep: first + 1,
            after,
        };
        if let Some(near) = near
            && near.lng.abs() < 179.0
            && let Some(best) = search_densely(&index, near, &checker, fresh())
        {
            return page(best, first, true);
        }
        let candidates = index
            .text
            .candidates(&checker.query.phrase, &checker.query.words());
        let mut best = fresh();
        let mut pending = Pending::new(candidates);
        let walked = match near {
            Some(near) if pending.candidates.len() > FEW_CANDIDATES && near.lng.abs() < 179.0 => {
                // A place named exactly as the text ranks first wherever it is: check those
                // before walking. (In id order they come in turn.)
                for at in 0..pending.candidates.len() {
                    if pending.candidates[at].1 == RANK_EXACT {
                        checker.check_pending(&index, &mut pending, at, &mut best);
                    }
                }
                walk_outward(&index, near, &mut pending, &mut best, &checker)
            }
            _ => false,
        };
        if !walked {
            // Every candidate the walk did not settle, in id order, which is the order of
            // ties without a centre: then a full page of the best rank left ends it.
            for at in 0..pending.candidates.len() {
                checker.check_pending(&index, &mut pending, at, &mut best);
                if near.is_none()
                    && pending.best_left().is_none_or(|rank| {
                        best.closed_before(RankKey {
                            rank,
                            proximity: 0.0,
                            id: i32::MAX,
                        })
                    })
                {
                    break;
                }
            }
        }
        page(best, first, near.is_some())
    }

    /// How many published places `search` finds for `text` and `filter`.
    pub fn count_search(&self, text: &str, filter: &PlaceFilter, now: DateTime<Utc>) -> usize {
        let index = self.read();
        let query = Query::new(text, &index.text);
        let matcher = Matcher::new(filter, now);
        index
            .text
            .candidates(&query.phrase, &query.words())
            .iter()
            .filter_map(|&(id, _)| index.entry(id as i32))
            .filter(|entry| {
                entry.signature.may_match(&query.bits)
                    && matcher.matches(entry)
                    && query.rank_of(&entry.listing, now).is_some()
            })
            .count()
    }
}

/// The page of the best hits.
fn page(best: Best<'_>, first: usize, centred: bool) -> Nearest {
    let mut hits = best.heap.into_sorted_vec();
    let has_next_page = hits.len() > first;
    hits.truncate(first);
    let items = hits.into_iter().map(|hit| hit.found(centred)).collect();
    Nearest { items, has_next_page }
}

/// A search for a common word near a rider, without listing its candidates: places named
/// or starting as the text are checked first, then every place outward cell by cell until
/// none left could beat the page. `None` when the word is not that common, or when the
/// walk checked `DENSE_CHECKS` places without settling the page.
fn search_densely<'e>(
    index: &'e Index,
    near: Point,
    checker: &Checker<'_>,
    mut best: Best<'e>,
) -> Option<Best<'e>> {
    let query = &checker.query;
    let outline = index.text.outline(&query.phrase, &query.words());
    // The best rank of a place not checked first; a pinyin-only word ranks everything 4.
    let mut bound = if outline.in_names > DENSE {
        RANK_IN_NAME
    } else if outline.by_pinyin_only > DENSE {
        RANK_PINYIN
    } else {
        return None;
    };
    let mut first_ids = Vec::new();
    if bound == RANK_IN_NAME {
        first_ids = outline.named;
        if outline.starting.len() <= FEW_STARTS {
            first_ids.extend(outline.starting);
        } else {
            // Many names start as the text does: they are found walking like the rest.
            bound = RANK_EXACT + 1;
        }
    }
    let checked_first: std::collections::HashSet<u32> = first_ids.into_iter().collect();
    for &id in &checked_first {
        if let Some(entry) = index.entry(id as i32) {
            checker.check(entry, RANK_EXACT, &mut best, &[]);
        }
    }
    let word_sets: Vec<Arc<WordSet>> = query
        .words
        .iter()
        .filter_map(|word| index.text.word_set(word))
        .collect();
    let mut cells = index.outward(near, MAX_RINGS);
    let mut checks = 0;
    while let Some((gap, members)) = cells.next_cell() {
        let beyond = RankKey {
            rank: bound,
            proximity: gap,
            id: i32::MIN,
        };
        if best.closed_before(beyond) {
            return Some(best);
        }
        for entry in members {
            if checked_first.contains(&(entry.id() as u32)) {
                continue;
            }
            checks += 1;
            checker.check(entry, bound, &mut best, &word_sets);
        }
        if checks > DENSE_CHECKS {
            return None;
        }
    }
    cells.covered().then_some(best)
}

/// Checks the pending candidates cell by cell outward from `near`, until the page is full
/// of hits no remaining candidate can beat, or every cell was visited; false when it gave
/// up after `MAX_RINGS` with candidates left unsettled.
fn walk_outward<'e>(
    index: &'e Index,
    near: Point,
    pending: &mut Pending,
    best: &mut Best<'e>,
    checker: &Checker<'_>,
) -> bool {
    let mut cells = index.outward(near, MAX_RINGS);
    while let Some((gap, members)) = cells.next_cell() {
        let Some(best_left) = pending.best_left() else {
            return true;
        };
        let beyond = RankKey {
            rank: best_left,
            proximity: gap,
            id: i32::MIN,
        };
        if best.closed_before(beyond) {
            return true;
        }
        for entry in members {
            if let Some(least_rank) = pending.take(entry.id() as u32) {
                checker.check(entry, least_rank, best, &[]);
            }
        }
    }
    cells.covered()
}
