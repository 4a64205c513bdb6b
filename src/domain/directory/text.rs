//! The search index: for every published listing, the characters and character pairs of
//! its name, address and offer titles, the first characters of its name, and the pinyin
//! syllables, syllable pairs and initial pairs of its name, each key with the sorted ids
//! that have it. A word of one character is looked up directly, a longer one by the
//! intersection of its pairs; Chinese has no spaces, so pairs serve 食堂 as words serve
//! Latin text, and a pair of letters finds `kfc` inside `kfc-express` where whole words
//! would not. Candidates are then checked against the text itself, so the index may list
//! more than matches but never fewer.

use std::collections::{HashMap, HashSet};

use super::{
    listing::Listing,
    pinyin::{self, Syllable},
    postings::{Posting, Postings},
};

/// What a key is of; the top four bits of the key.
#[derive(Clone, Copy)]
enum Kind {
    NameExact = 1,
    Char,
    Pair,
    NameStart,
    NameStartPair,
    Syllable,
    SyllablePair,
    InitialPair,
}

fn key(kind: Kind, payload: u64) -> u64 {
    (kind as u64) << 60 | payload
}

/// A whole (lower-case) name, hashed: places whose name is exactly the text rank first
/// wherever they are, so they are found by this key rather than by walking.
fn name_exact_key(name: &str) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    let hash = BuildHasherDefault::<DefaultHasher>::default().hash_one(name);
    key(Kind::NameExact, hash & ((1 << 60) - 1))
}

fn char_key(c: char) -> u64 {
    key(Kind::Char, u64::from(c))
}

fn name_start_key(c: char) -> u64 {
    key(Kind::NameStart, u64::from(c))
}

fn pair_key(kind: Kind, first: char, second: char) -> u64 {
    key(kind, u64::from(first) << 21 | u64::from(second))
}

fn syllable_pair_key(first: Syllable, second: Syllable) -> u64 {
    key(Kind::SyllablePair, u64::from(first) << 30 | u64::from(second))
}

fn initial_pair_key(first: u8, second: u8) -> u64 {
    key(Kind::InitialPair, u64::from(first) << 8 | u64::from(second))
}

/// The keys of one listing, each once, with whether it comes from the name. A sorted
/// vector rather than a map: a million of these are built at start-up.
fn keys_of(listing: &Listing) -> Vec<(u64, bool)> {
    let mut keys: Vec<(u64, bool)> = Vec::with_capacity(96);
    let mut text_keys = |text: &str, in_name: bool| {
        let mut previous: Option<char> = None;
        // Lower-cased as a string, as queries are (a final Σ becomes ς, not σ).
        for c in text.to_lowercase().chars() {
            keys.push((char_key(c), in_name));
            if let Some(before) = previous {
                keys.push((pair_key(Kind::Pair, before, c), in_name));
            }
            previous = Some(c);
        }
    };
    let place = &listing.place;
    text_keys(&place.name, true);
    text_keys(&place.address, false);
    for offer in &listing.offers {
        text_keys(&offer.title, false);
    }
    let lowered_name = place.name.to_lowercase();
    keys.push((name_exact_key(&lowered_name), true));
    let name: Vec<char> = lowered_name.chars().collect();
    if let Some(&first) = name.first() {
        keys.push((name_start_key(first), true));
        if let Some(&second) = name.get(1) {
            keys.push((pair_key(Kind::NameStartPair, first, second), true));
        }
    }
    let mut previous: Vec<(Syllable, u8)> = Vec::new();
    for &c in &name {
        let mut current = Vec::new();
        pinyin::for_each_reading(c, |reading| {
            if let Some(syllable) = pinyin::pack(reading) {
                current.push((syllable, reading.as_bytes()[0]));
            }
        });
        for &(syllable, initial) in &current {
            keys.push((key(Kind::Syllable, u64::from(syllable)), true));
            for &(before, before_initial) in &previous {
                keys.push((syllable_pair_key(before, syllable), true));
                keys.push((initial_pair_key(before_initial, initial), true));
            }
        }
        previous = current;
    }
    // Each key once, marked as from the name when any of its occurrences is.
    keys.sort_unstable();
    keys.dedup_by(|later, earlier| {
        let same = later.0 == earlier.0;
        if same {
            earlier.1 |= later.1;
        }
        same
    });
    keys
}

/// Candidates for a search, by id: the best rank each could still reach.
pub(super) type Candidates = Vec<(u32, u8)>;

/// The best rank a candidate can reach: 0 when its name may be exactly the text, 1 when
/// it starts as the text does, 2 when every word is in its name, 3 when every word is in
/// its text, 4 when some word matched only as pinyin.
pub(super) const RANK_EXACT: u8 = 0;
const RANK_NAME_START: u8 = 1;
const RANK_IN_NAME: u8 = 2;
const RANK_IN_TEXT: u8 = 3;
/// The rank of a match through pinyin, below every direct match.
pub(super) const RANK_PINYIN: u8 = 4;

/// Splits of a typed word considered as syllables.
const MAX_SPLITS: usize = 8;

/// The inverted index.
#[derive(Default)]
pub(super) struct TextIndex {
    postings: HashMap<u64, Postings>,
}

impl TextIndex {
    /// Lists a listing under its keys.
    pub(super) fn insert(&mut self, listing: &Listing) {
        let id = listing.place.id as u32;
        for (key, in_name) in keys_of(listing) {
            self.postings
                .entry(key)
                .or_default()
                .insert(Posting { id, in_name });
        }
    }

    /// Unlists a listing as it was inserted.
    pub(super) fn remove(&mut self, listing: &Listing) {
        let id = listing.place.id as u32;
        for (key, _) in keys_of(listing) {
            if let Some(postings) = self.postings.get_mut(&key) {
                postings.remove(id);
                if postings.is_empty() {
                    self.postings.remove(&key);
                }
            }
        }
    }

    /// Joins the index of places all with larger ids than this one's.
    pub(super) fn append(&mut self, later: TextIndex) {
        for (key, postings) in later.postings {
            match self.postings.entry(key) {
                std::collections::hash_map::Entry::Vacant(vacant) => {
                    vacant.insert(postings);
                }
                std::collections::hash_map::Entry::Occupied(mut occupied) => {
                    occupied.get_mut().append(postings)
                }
            }
        }
    }

    /// Packs every list, after a load.
    pub(super) fn repack(&mut self) {
        self.postings.values_mut().for_each(Postings::repack);
        self.postings.shrink_to_fit();
    }

    fn list(&self, key: u64) -> Vec<Posting> {
        self.postings
            .get(&key)
            .map(|postings| postings.iter().collect())
            .unwrap_or_default()
    }

    /// The intersection of the keys' lists, smallest first; `in_name` only where every key
    /// came from the name.
    fn all_of(&self, keys: &[u64]) -> Vec<Posting> {
        let mut lists: Vec<&Postings> = Vec::with_capacity(keys.len());
        for key in keys {
            match self.postings.get(key) {
                Some(postings) => lists.push(postings),
                None => return Vec::new(),
            }
        }
        lists.sort_by_key(|postings| postings.len());
        let Some((smallest, rest)) = lists.split_first() else {
            return Vec::new();
        };
        let mut found: Vec<Posting> = smallest.iter().collect();
        for postings in rest {
            if found.is_empty() {
                break;
            }
            let mut others = postings.iter().peekable();
            found.retain_mut(|posting| {
                while others.next_if(|other| other.id < posting.id).is_some() {}
                match others.peek() {
                    Some(other) if other.id == posting.id => {
                        posting.in_name &= other.in_name;
                        true
                    }
                    _ => false,
                }
            });
        }
        found
    }

    /// Places whose text may hold `word`, with whether their name may.
    fn direct(&self, word: &str) -> Vec<Posting> {
        let chars: Vec<char> = word.chars().collect();
        match chars.as_slice() {
            [] => Vec::new(),
            [c] => self.list(char_key(*c)),
            _ => {
                let keys: HashSet<u64> = chars
                    .windows(2)
                    .map(|pair| pair_key(Kind::Pair, pair[0], pair[1]))
                    .collect();
                self.all_of(&keys.into_iter().collect::<Vec<_>>())
            }
        }
    }

    /// Places whose name may read as the typed pinyin: as whole syllables however the word
    /// splits, or as first letters.
    fn by_pinyin(&self, word: &str) -> Vec<u32> {
        let mut found: Vec<u32> = Vec::new();
        let mut add = |postings: Vec<Posting>| {
            found.extend(postings.into_iter().map(|posting| posting.id));
        };
        for split in pinyin::syllable_splits(word, MAX_SPLITS) {
            let keys: Vec<u64> = match split.as_slice() {
                [single] => vec![key(Kind::Syllable, u64::from(*single))],
                _ => split
                    .windows(2)
                    .map(|pair| syllable_pair_key(pair[0], pair[1]))
                    .collect(),
            };
            add(self.all_of(&keys));
        }
        // Typed as first letters (`qsst`), or half typed (`yaod`): first letters in a row.
        for initials in [word.as_bytes().to_vec(), pinyin::typed_initials(word)] {
            if initials.len() >= 2 {
                let keys: Vec<u64> = initials
                    .windows(2)
                    .map(|pair| initial_pair_key(pair[0], pair[1]))
                    .collect();
                add(self.all_of(&keys));
            }
        }
        found.sort_unstable();
        found.dedup();
        found
    }

    /// Every place that may match every word of `phrase` (already lower case), with the
    /// best rank it could reach. Checking each against its text decides.
    pub(super) fn candidates(&self, phrase: &str, words: &[&str]) -> Candidates {
        let mut candidates: Option<Candidates> = None;
        for word in words {
            let direct = self.direct(word);
            let typed = if pinyin::could_be_pinyin(word) {
                self.by_pinyin(word)
            } else {
                Vec::new()
            };
            let of_word = union(&direct, &typed);
            candidates = Some(match candidates {
                None => of_word,
                Some(so_far) => intersect(&so_far, &of_word),
            });
            if candidates.as_ref().is_some_and(Vec::is_empty) {
                break;
            }
        }
        let mut candidates = candidates.unwrap_or_default();
        // A name that starts as the phrase does may be a prefix of it, or the name itself.
        let phrase_chars: Vec<char> = phrase.chars().collect();
        let starts = match phrase_chars.as_slice() {
            [] => Vec::new(),
            [c] => self.list(name_start_key(*c)),
            [first, second, ..] => self.list(pair_key(Kind::NameStartPair, *first, *second)),
        };
        let exact = self.list(name_exact_key(phrase));
        let mut starts = starts.into_iter().map(|posting| posting.id).peekable();
        let mut exact = exact.into_iter().map(|posting| posting.id).peekable();
        for (id, rank) in &mut candidates {
            while starts.next_if(|start| start < id).is_some() {}
            while exact.next_if(|same| same < id).is_some() {}
            if *rank == RANK_IN_NAME {
                if exact.peek() == Some(id) {
                    *rank = RANK_EXACT;
                } else if starts.peek() == Some(id) {
                    *rank = RANK_NAME_START;
                }
            }
        }
        candidates
    }
}

/// A word's candidates: direct matches by where they may be, then pinyin-only ones.
fn union(direct: &[Posting], typed: &[u32]) -> Candidates {
    let mut merged: Candidates = Vec::with_capacity(direct.len() + typed.len());
    let mut typed = typed.iter().copied().peekable();
    for posting in direct {
        while let Some(id) = typed.next_if(|&id| id < posting.id) {
            merged.push((id, RANK_PINYIN));
        }
        typed.next_if_eq(&posting.id);
        let rank = if posting.in_name {
            RANK_IN_NAME
        } else {
            RANK_IN_TEXT
        };
        merged.push((posting.id, rank));
    }
    merged.extend(typed.map(|id| (id, RANK_PINYIN)));
    merged
}

/// Places that are candidates for both, at the worse of their two ranks.
fn intersect(left: &Candidates, right: &Candidates) -> Candidates {
    let mut right = right.iter().copied().peekable();
    left.iter()
        .filter_map(|&(id, rank)| {
            while right.next_if(|&(other, _)| other < id).is_some() {}
            right
                .next_if(|&(other, _)| other == id)
                .map(|(_, other_rank)| (id, rank.max(other_rank)))
        })
        .collect()
}
