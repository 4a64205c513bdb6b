//! The search index: for every published listing, the characters and character pairs of
//! its name, address and offer titles, the first characters of its name, and the pinyin
//! of its name's characters (each reading, each reading with the next character's first
//! letter, and the first letters of adjacent characters), each key with the sorted ids
//! that have it; and its whole name,
//! hashed. A word of one character is looked up directly, a longer one by the
//! intersection of its pairs; Chinese has no spaces, so pairs serve 食堂 as words serve
//! Latin text, and a pair of letters finds `kfc` inside `kfc-express` where whole words
//! would not. Candidates are then checked against the text itself, so the index may list
//! more than matches but never fewer. For the words searched last, it also keeps the set
//! of places that have each word's keys, which a search walking the grid tests places
//! against before reading their text.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
};

use super::{
    exactly_sized,
    listing::Listing,
    pinyin,
    postings::{Posting, Postings},
};

/// What a key is of; the top four bits of the key.
#[derive(Clone, Copy)]
enum Kind {
    Char = 1,
    Pair,
    NameStart,
    NameStartPair,
    Reading,
    InitialPair,
    ReadingThenInitial,
}

// `keys_of` shifts keys left by one, so the kind must leave the top bit free.
const _: () = assert!((Kind::ReadingThenInitial as u64) < 8);

fn key(kind: Kind, payload: u64) -> u64 {
    (kind as u64) << 60 | payload
}

/// A whole (lower-case) name, hashed: places whose name is exactly the text rank first
/// wherever they are, so they are found by this rather than by walking. Most names are
/// unique, so these live in an index of their own, not as a posting list each. Thirty-two
/// bits keep an entry of `NameIndex` at 8 bytes, at the cost of about a hundred shared hashes
/// among a million names, whose places are checked against the text like any candidate.
fn name_hash(name: &str) -> u32 {
    use std::hash::BuildHasher;
    foldhash::fast::FixedState::default().hash_one(name) as u32
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

/// Up to eleven letters `a`–`z`, five bits each; `None` for anything else, which typed
/// pinyin (ASCII letters) cannot consume whole.
fn packed_letters(letters: &[u8]) -> Option<u64> {
    if letters.len() > 11 {
        return None;
    }
    letters.iter().try_fold(0, |packed, &letter| {
        letter
            .is_ascii_lowercase()
            .then(|| packed << 5 | u64::from(letter - b'a' + 1))
    })
}

/// A whole reading of a character (`packed_letters`), where a typed word ends inside one
/// character (`yao`, `ya` in 药).
fn reading_key(packed: u64) -> u64 {
    key(Kind::Reading, packed)
}

/// A reading of one character typed in full (`packed_letters`), then the first letter of
/// the next (`yi` + `y` in 医院, where `yiyuan` starts, but not in 驿站).
fn reading_then_initial_key(packed: u64, next: u8) -> Option<u64> {
    next.is_ascii_lowercase()
        .then(|| key(Kind::ReadingThenInitial, packed << 5 | u64::from(next - b'a' + 1)))
}

/// The keys one of which every name that reads as the typed `word` has: a match ends
/// inside its first character's reading, or goes on to the next character from the first
/// one's first letter or from its whole reading. None when the word cannot be pinyin.
pub(super) fn pinyin_keys(word: &str) -> Vec<u64> {
    if !pinyin::could_be_pinyin(word) {
        return Vec::new();
    }
    let letters = word.as_bytes();
    let mut keys = vec![initial_pair_key(letters[0], letters[1])];
    keys.extend(
        pinyin::syllables_starting_with(word)
            .filter_map(|syllable| packed_letters(syllable.as_bytes()))
            .map(reading_key),
    );
    for typed in 2..letters.len() {
        if pinyin::is_syllable(&word[..typed])
            && let Some(packed) = packed_letters(&letters[..typed])
        {
            keys.extend(reading_then_initial_key(packed, letters[typed]));
        }
    }
    keys
}

fn initial_pair_key(first: u8, second: u8) -> u64 {
    key(Kind::InitialPair, u64::from(first) << 8 | u64::from(second))
}

/// The keys of one listing, each once, with whether it comes from the name. A sorted
/// vector rather than a map: a million of these are built at start-up, so while they are
/// gathered each is one `u64`, the key shifted left with the name flag below it (keys
/// leave the top bit free), which sorts faster than pairs.
fn keys_of(listing: &Listing) -> Vec<(u64, bool)> {
    let mut flagged: Vec<u64> = Vec::with_capacity(96);
    let mut push = |key: u64, in_name: bool| flagged.push(key << 1 | u64::from(in_name));
    fn text_keys(text: &str, in_name: bool, push: &mut impl FnMut(u64, bool)) {
        let mut previous: Option<char> = None;
        // Lower-cased as a string, as queries are (a final Σ becomes ς, not σ).
        for c in text.chars() {
            push(char_key(c), in_name);
            if let Some(before) = previous {
                push(pair_key(Kind::Pair, before, c), in_name);
            }
            previous = Some(c);
        }
    }
    text_keys(listing.lower_name(), true, &mut push);
    text_keys(listing.lower_address(), false, &mut push);
    for offer in listing.offers() {
        text_keys(&offer.title.to_lowercase(), false, &mut push);
    }
    let name: Vec<char> = listing.lower_name().chars().collect();
    if let Some(&first) = name.first() {
        push(name_start_key(first), true);
        if let Some(&second) = name.get(1) {
            push(pair_key(Kind::NameStartPair, first, second), true);
        }
    }
    pinyin_keys_of_name(&name, |key| push(key, true));
    // Each key once, marked as from the name when any of its occurrences is.
    flagged.sort_unstable();
    let mut keys: Vec<(u64, bool)> = Vec::with_capacity(flagged.len());
    for value in flagged {
        let (key, in_name) = (value >> 1, value & 1 == 1);
        match keys.last_mut() {
            Some(last) if last.0 == key => last.1 |= in_name,
            _ => keys.push((key, in_name)),
        }
    }
    keys
}

/// Calls `each` with the pinyin keys of a name (lower case), some more than once: a typed
/// pinyin word that matches ends inside its first character's reading, or goes on to the
/// next character from the first one's first letter or its whole reading
/// (`pinyin_keys` lists which).
fn pinyin_keys_of_name(name: &[char], mut each: impl FnMut(u64)) {
    // Each reading as its first letter and, when it is two or more letters `a`–`z`, packed.
    let mut previous: Vec<(u8, Option<u64>)> = Vec::new();
    let mut readings: Vec<(u8, Option<u64>)> = Vec::new();
    for &c in name {
        readings.clear();
        pinyin::for_each_reading(c, |reading| {
            let letters = reading.as_bytes();
            // A typed word (two letters or more) never ends inside a one-letter reading.
            let whole = packed_letters(letters).filter(|_| letters.len() >= 2);
            if let Some(packed) = whole {
                each(reading_key(packed));
            }
            readings.push((letters[0], whole));
        });
        for &(initial, _) in &readings {
            for &(before, whole_before) in &previous {
                each(initial_pair_key(before, initial));
                if let Some(key) = whole_before.and_then(|packed| reading_then_initial_key(packed, initial)) {
                    each(key);
                }
            }
        }
        std::mem::swap(&mut previous, &mut readings);
    }
}

/// The keys a text holding `word` has: its character, or its characters' pairs.
fn direct_keys(word: &str) -> Vec<u64> {
    let chars: Vec<char> = word.chars().collect();
    match chars.as_slice() {
        [] => Vec::new(),
        [c] => vec![char_key(*c)],
        _ => {
            let mut keys: Vec<u64> = chars
                .windows(2)
                .map(|pair| pair_key(Kind::Pair, pair[0], pair[1]))
                .collect();
            keys.sort_unstable();
            keys.dedup();
            keys
        }
    }
}

/// One of 64 bits for a key, by a multiplicative hash.
fn bit_of(key: u64) -> u64 {
    1 << (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58)
}

/// The characters of a listing's name, address and offer titles, and the pinyin keys of
/// its name (those `by_pinyin` looks up), each hashed to one of 64 bits. A place
/// lacking a word's bits cannot match the word, so most places a walk meets are turned
/// away with an AND, without reading their text.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Signature {
    chars: u64,
    readings: u64,
}

impl Signature {
    /// The two words a snapshot keeps.
    pub(super) fn to_bits(self) -> [u64; 2] {
        [self.chars, self.readings]
    }

    pub(super) fn from_bits([chars, readings]: [u64; 2]) -> Self {
        Self { chars, readings }
    }

    fn add(&mut self, key: u64) {
        match key >> 60 {
            kind if kind == Kind::Char as u64 => self.chars |= bit_of(key),
            kind if kind == Kind::Reading as u64
                || kind == Kind::InitialPair as u64
                || kind == Kind::ReadingThenInitial as u64 =>
            {
                self.readings |= bit_of(key)
            }
            _ => {}
        }
    }

    /// False when some word certainly matches neither the text directly nor the name as
    /// pinyin; true when every word may.
    pub(super) fn may_match(&self, words: &[WordBits]) -> bool {
        words
            .iter()
            .all(|word| self.chars & word.chars == word.chars || self.readings & word.readings != 0)
    }
}

/// The bits a typed word needs: all of its characters' for a direct match, or one of its
/// `pinyin_keys`' (none when it cannot be pinyin; `TextIndex::word_bits`).
pub(super) struct WordBits {
    chars: u64,
    readings: u64,
}

/// What the index says of a search before any candidate is listed.
pub(super) struct Outline {
    /// Places that may be named exactly as the text.
    pub(super) named: Vec<u32>,
    /// Places whose name starts as the text does.
    pub(super) starting: Vec<u32>,
    /// At most how many names hold every word.
    pub(super) in_names: usize,
    /// When some word is in no place's text: at most how many names read as every word in
    /// pinyin; else 0.
    pub(super) by_pinyin_only: usize,
}

/// Candidates for a search, by id: the best rank each could still reach.
pub(super) type Candidates = Vec<(u32, u8)>;

/// The best rank a candidate can reach: 0 when its name may be exactly the text, 1 when
/// it starts as the text does, 2 when every word is in its name, 3 when every word is in
/// its text, 4 when some word matched only as pinyin.
pub(super) const RANK_EXACT: u8 = 0;
const RANK_NAME_START: u8 = 1;
pub(super) const RANK_IN_NAME: u8 = 2;
const RANK_IN_TEXT: u8 = 3;
/// The rank of a match through pinyin, below every direct match.
pub(super) const RANK_PINYIN: u8 = 4;

/// The inverted index.
#[derive(Default)]
pub(super) struct TextIndex {
    /// Hashed with foldhash: a million places make tens of millions of lookups at start-up.
    /// Shared, so a snapshot takes the lists without copying them under the directory's
    /// lock; a list changed while a snapshot holds it is copied then (`Arc::make_mut`).
    postings: HashMap<u64, Arc<Postings>, Fast>,
    /// Places by the hash of their lower-case name.
    names: NameIndex,
    /// The places that may match recently searched words, kept exact through changes.
    word_sets: Mutex<WordSets>,
}

/// Places that may match a word (those with its keys), as a bit by id: a dense search
/// tests each place it meets against it, since a word's bits in the signatures' 64 are set
/// for a quarter of the places that lack the word (a character's bit is, by other
/// characters), and each of those would cost a read of the listing's text.
#[derive(Clone, Default)]
pub(super) struct WordSet {
    bits: Vec<u64>,
}

impl WordSet {
    pub(super) fn contains(&self, id: u32) -> bool {
        self.bits
            .get(id as usize / 64)
            .is_some_and(|word| word & 1 << (id % 64) != 0)
    }

    /// Ids a set may hold: all of them in a quarter of `WORD_SETS_BYTES`.
    const IDS: u32 = (WORD_SETS_BYTES / 4 * 8) as u32;

    /// The places in any of `lists`, read straight into bits (a common word's lists hold
    /// hundreds of thousands of entries: listing them first would take megabytes for a set
    /// of kilobytes); `None` when an id is past `IDS`.
    fn any_of<'p>(lists: impl Iterator<Item = &'p Postings>) -> Option<Self> {
        let mut set = Self::default();
        for posting in lists.flat_map(Postings::iter) {
            let at = posting.id as usize / 64;
            if posting.id >= Self::IDS {
                return None;
            }
            if at >= set.bits.len() {
                set.bits.resize(at + 1, 0);
            }
            set.bits[at] |= 1 << (posting.id % 64);
        }
        Some(set)
    }

    /// The places in every one of `lists` (none for no lists).
    fn all_of<'p>(mut lists: impl Iterator<Item = &'p Postings>) -> Option<Self> {
        let Some(first) = lists.next() else {
            return Some(Self::default());
        };
        let mut set = Self::any_of(std::iter::once(first))?;
        for list in lists {
            let other = Self::any_of(std::iter::once(list))?;
            set.bits.truncate(other.bits.len());
            set.bits
                .iter_mut()
                .zip(&other.bits)
                .for_each(|(mine, theirs)| *mine &= theirs);
        }
        Some(set)
    }

    fn union(mut self, other: Self) -> Self {
        if other.bits.len() > self.bits.len() {
            return other.union(self);
        }
        self.bits
            .iter_mut()
            .zip(&other.bits)
            .for_each(|(mine, theirs)| *mine |= theirs);
        self
    }

    /// Adds `id`; false (and nothing added) when it is beyond `IDS`.
    #[must_use]
    fn insert(&mut self, id: u32) -> bool {
        if id >= Self::IDS {
            return false;
        }
        let at = id as usize / 64;
        if at >= self.bits.len() {
            // Exactly: the bytes count toward the cache's budget.
            self.bits.reserve_exact(at + 1 - self.bits.len());
            self.bits.resize(at + 1, 0);
        }
        self.bits[at] |= 1 << (id % 64);
        true
    }

    fn remove(&mut self, id: u32) {
        if let Some(word) = self.bits.get_mut(id as usize / 64) {
            *word &= !(1 << (id % 64));
        }
    }

    fn bytes(&self) -> usize {
        self.bits.capacity() * 8
    }
}

/// The sets of the words searched last, within `WORD_SETS_BYTES`: riders search the same few
/// words, and building a set reads the word's whole lists, so a word gets one only when it
/// is searched again while still among the last `ASKED_ONCE` words asked for. Each change
/// of the index updates the sets (`append` and `restore_lists`, which replace whole lists,
/// drop them), so they never go stale.
#[derive(Default)]
struct WordSets {
    /// Least recently used first.
    recent: Vec<CachedWord>,
    /// Hashes of words asked for once and given no set, oldest first.
    asked_once: std::collections::VecDeque<u64>,
}

/// At most this many words' sets (each write updates every one), in at most this many bytes
/// (a set takes a bit for each id up to the largest it holds: 125 KB at a million places).
const WORD_SETS: usize = 64;
const WORD_SETS_BYTES: usize = 8 << 20;
const ASKED_ONCE: usize = 256;

struct CachedWord {
    word: Box<str>,
    /// A place with all of these has the word's text (`direct`)...
    direct: Vec<u64>,
    /// ... and one with any of these may read as it.
    typed: Vec<u64>,
    /// `None` when some id is past `WordSet::IDS`.
    set: Option<Arc<WordSet>>,
}

impl CachedWord {
    /// Whether a place with `keys` (sorted) belongs in the set.
    fn wants(&self, keys: &[(u64, bool)]) -> bool {
        let has = |key: &u64| keys.binary_search_by_key(key, |(listed, _)| *listed).is_ok();
        (!self.direct.is_empty() && self.direct.iter().all(has)) || self.typed.iter().any(has)
    }

    fn bytes(&self) -> usize {
        self.set.as_ref().map_or(0, |set| set.bytes())
    }
}

/// What the cache says of a word.
enum Cached {
    /// Its set, or `None` when it has none.
    Kept(Option<Arc<WordSet>>),
    /// Asked for before: worth a set.
    AskedBefore,
    FirstAsked,
}

impl WordSets {
    fn get(&mut self, word: &str) -> Cached {
        if let Some(at) = self.recent.iter().position(|cached| &*cached.word == word) {
            let cached = self.recent.remove(at);
            let set = cached.set.clone();
            self.recent.push(cached);
            return Cached::Kept(set);
        }
        use std::hash::BuildHasher;
        let hash = foldhash::fast::FixedState::default().hash_one(word);
        if let Some(at) = self.asked_once.iter().position(|&asked| asked == hash) {
            self.asked_once.remove(at);
            return Cached::AskedBefore;
        }
        if self.asked_once.len() == ASKED_ONCE {
            self.asked_once.pop_front();
        }
        self.asked_once.push_back(hash);
        Cached::FirstAsked
    }

    /// Keeps a word's set, in place of one built at the same time by another search.
    fn keep(&mut self, cached: CachedWord) {
        self.recent.retain(|kept| kept.word != cached.word);
        self.recent.push(cached);
        self.evict();
    }

    fn bytes(&self) -> usize {
        self.recent.iter().map(CachedWord::bytes).sum()
    }

    fn evict(&mut self) {
        while self.recent.len() > WORD_SETS || self.bytes() > WORD_SETS_BYTES {
            self.recent.remove(0);
        }
    }

    /// A place with `keys` was listed (or, with `listed` false, unlisted).
    fn change(&mut self, id: u32, keys: &[(u64, bool)], listed: bool) {
        if self.recent.is_empty() {
            return;
        }
        // A set that cannot hold the id is dropped: it would no longer list every place.
        self.recent.retain_mut(|cached| {
            let wanted = listed && cached.wants(keys);
            match &mut cached.set {
                None => true,
                Some(set) if !listed => {
                    Arc::make_mut(set).remove(id);
                    true
                }
                Some(set) => !wanted || Arc::make_mut(set).insert(id),
            }
        });
        self.evict();
    }
}

/// Places by the hash of their lower-case name, each as `hash << 32 | id`, sorted, in 4,096
/// shards by the hash's top bits: 8 bytes a place where a hash map took 19 (its table
/// doubles, so a million entries fill 2²¹ slots of 9 bytes), and as the hashes spread
/// evenly, a change moves about a kilobyte.
struct NameIndex {
    shards: Vec<Vec<u64>>,
}

impl Default for NameIndex {
    fn default() -> Self {
        Self {
            shards: vec![Vec::new(); 1 << NameIndex::SHARD_BITS],
        }
    }
}

impl NameIndex {
    const SHARD_BITS: u32 = 12;

    fn shard_of(hash: u32) -> usize {
        (hash >> (32 - Self::SHARD_BITS)) as usize
    }

    fn entry(hash: u32, id: u32) -> u64 {
        u64::from(hash) << 32 | u64::from(id)
    }

    fn insert(&mut self, hash: u32, id: u32) {
        self.insert_entry(Self::entry(hash, id));
    }

    fn insert_entry(&mut self, entry: u64) {
        let shard = &mut self.shards[Self::shard_of((entry >> 32) as u32)];
        if let Err(at) = shard.binary_search(&entry) {
            shard.insert(at, entry);
        }
    }

    fn remove(&mut self, hash: u32, id: u32) {
        let shard = &mut self.shards[Self::shard_of(hash)];
        if let Ok(at) = shard.binary_search(&Self::entry(hash, id)) {
            shard.remove(at);
        }
    }

    /// The places whose name has `hash`, ascending.
    fn get(&self, hash: u32) -> impl Iterator<Item = u32> + '_ {
        let shard = &self.shards[Self::shard_of(hash)];
        shard[shard.partition_point(|&entry| entry < Self::entry(hash, 0))..]
            .iter()
            .take_while(move |&&entry| entry >> 32 == u64::from(hash))
            .map(|&entry| entry as u32)
    }

    /// Joins another index's entries: a few in each shard, so each goes where it sorts.
    fn append(&mut self, later: NameIndex) {
        later
            .shards
            .into_iter()
            .flatten()
            .for_each(|entry| self.insert_entry(entry));
    }

    fn heap_bytes(&self) -> usize {
        self.shards.iter().map(|shard| 24 + shard.capacity() * 8).sum()
    }

    fn shrink(&mut self) {
        for shard in &mut self.shards {
            *shard = exactly_sized(std::mem::take(shard));
        }
    }
}

pub(super) type Fast = foldhash::fast::RandomState;

impl TextIndex {
    /// Lists a listing under its keys, and returns its signature.
    pub(super) fn insert(&mut self, listing: &Listing) -> Signature {
        let id = listing.id as u32;
        let mut signature = Signature::default();
        let keys = keys_of(listing);
        for &(key, in_name) in &keys {
            signature.add(key);
            Arc::make_mut(self.postings.entry(key).or_default()).insert(Posting { id, in_name });
        }
        self.names.insert(name_hash(listing.lower_name()), id);
        self.word_sets_mut().change(id, &keys, true);
        signature
    }

    /// Lists a listing's name alone: its keys come with the lists of a snapshot.
    pub(super) fn insert_name_of(&mut self, listing: &Listing) {
        self.names
            .insert(name_hash(listing.lower_name()), listing.id as u32);
    }

    /// Every posting list, shared, for a snapshot.
    pub(super) fn lists(&self) -> Vec<(u64, Arc<Postings>)> {
        self.postings
            .iter()
            .map(|(key, postings)| (*key, postings.clone()))
            .collect()
    }

    /// Takes the posting lists of a snapshot, whose listings were inserted with
    /// `insert_name_of`.
    pub(super) fn restore_lists(&mut self, lists: HashMap<u64, Arc<Postings>, Fast>) {
        self.postings = lists;
        *self.word_sets_mut() = WordSets::default();
    }

    fn word_sets_mut(&mut self) -> &mut WordSets {
        self.word_sets.get_mut().unwrap_or_else(PoisonError::into_inner)
    }

    /// The places that may match `word`: those with all its `direct_keys` or any of its
    /// `pinyin_keys`. `None` the first time a word is asked for (a set costs a pass over
    /// its lists), and when some id is too large for a set.
    pub(super) fn word_set(&self, word: &str) -> Option<Arc<WordSet>> {
        let sets = || self.word_sets.lock().unwrap_or_else(PoisonError::into_inner);
        match sets().get(word) {
            Cached::Kept(set) => return set,
            Cached::FirstAsked => return None,
            Cached::AskedBefore => {}
        }
        let (direct, typed) = (direct_keys(word), pinyin_keys(word));
        // A word one of whose direct keys no place has is in no text.
        let lists: Option<Vec<&Postings>> = direct
            .iter()
            .map(|key| self.postings.get(key).map(|list| &**list))
            .collect();
        let in_text = match lists {
            Some(all) if !all.is_empty() => WordSet::all_of(all.into_iter()),
            _ => Some(WordSet::default()),
        };
        let read_as = WordSet::any_of(
            typed
                .iter()
                .filter_map(|key| self.postings.get(key))
                .map(|list| &**list),
        );
        let set = in_text.zip(read_as).map(|(in_text, read_as)| {
            let mut set = in_text.union(read_as);
            set.bits.shrink_to_fit();
            Arc::new(set)
        });
        // Built under the directory's read lock: no change can have come between.
        sets().keep(CachedWord {
            word: word.into(),
            direct,
            typed,
            set: set.clone(),
        });
        set
    }

    /// The places named exactly `name` (lower case), and perhaps a few others, by id.
    fn named(&self, name: &str) -> Vec<u32> {
        self.names.get(name_hash(name)).collect()
    }

    /// Unlists a listing as it was inserted.
    pub(super) fn remove(&mut self, listing: &Listing) {
        let id = listing.id as u32;
        let keys = keys_of(listing);
        self.word_sets_mut().change(id, &keys, false);
        for (key, in_name) in keys {
            if let Some(postings) = self.postings.get_mut(&key) {
                let postings = Arc::make_mut(postings);
                postings.remove(id, in_name);
                if postings.is_empty() {
                    self.postings.remove(&key);
                }
            }
        }
        self.names.remove(name_hash(listing.lower_name()), id);
    }

    /// Joins the index of places all with larger ids than this one's.
    pub(super) fn append(&mut self, later: TextIndex) {
        for (key, postings) in later.postings {
            match self.postings.entry(key) {
                std::collections::hash_map::Entry::Vacant(vacant) => {
                    vacant.insert(postings);
                }
                std::collections::hash_map::Entry::Occupied(mut occupied) => {
                    Arc::make_mut(occupied.get_mut()).append(Arc::unwrap_or_clone(postings))
                }
            }
        }
        self.names.append(later.names);
        *self.word_sets_mut() = WordSets::default();
    }

    /// How many keys it holds and the bytes their lists take.
    pub(super) fn size(&self) -> (usize, usize) {
        let lists: usize = self.postings.values().map(|postings| postings.heap_bytes()).sum();
        let names = self.names.heap_bytes();
        (
            self.postings.len(),
            // A slot (key and pointer) and a shared allocation (two counts and the list).
            lists
                + names
                + self.postings.capacity() * 17
                + self.postings.len() * (16 + size_of::<Postings>()),
        )
    }

    /// Packs every list, after a load.
    pub(super) fn repack(&mut self) {
        self.postings
            .values_mut()
            .for_each(|postings| Arc::make_mut(postings).repack());
        self.postings.shrink_to_fit();
        self.names.shrink();
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
        let mut keys = keys.to_vec();
        keys.sort_unstable();
        keys.dedup();
        let mut lists: Vec<&Postings> = Vec::with_capacity(keys.len());
        for key in &keys {
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
        match direct_keys(word).as_slice() {
            [] => Vec::new(),
            [key] => self.list(*key),
            keys => self.all_of(keys),
        }
    }

    /// What a place's signature needs to match `word`. Of its pinyin keys, only those some
    /// place has count: each adds a bit that a place may have for other keys, and most of a
    /// word's ways to read (`yao` as `ya` then a character read from `o`) are in no name.
    pub(super) fn word_bits(&self, word: &str) -> WordBits {
        WordBits {
            chars: word.chars().fold(0, |bits, c| bits | bit_of(char_key(c))),
            readings: pinyin_keys(word)
                .into_iter()
                .filter(|key| self.postings.contains_key(key))
                .fold(0, |bits, key| bits | bit_of(key)),
        }
    }

    /// Places whose name may read as the typed pinyin: those with any of its
    /// `pinyin_keys` (none when it cannot be pinyin).
    fn by_pinyin(&self, word: &str) -> Vec<u32> {
        let mut found: Vec<u32> = pinyin_keys(word)
            .into_iter()
            .filter_map(|key| self.postings.get(&key))
            .flat_map(|postings| postings.iter().map(|posting| posting.id))
            .collect();
        found.sort_unstable();
        found.dedup();
        found
    }

    /// Places whose name starts with the phrase's first one or two characters, by id.
    fn starting_as(&self, phrase: &str) -> Vec<u32> {
        let chars: Vec<char> = phrase.chars().take(2).collect();
        let starting = match chars.as_slice() {
            [] => Vec::new(),
            [c] => self.list(name_start_key(*c)),
            [first, second, ..] => self.list(pair_key(Kind::NameStartPair, *first, *second)),
        };
        starting.into_iter().map(|posting| posting.id).collect()
    }

    /// What the lists' sizes say of a search, without listing its candidates: near a rider
    /// a common word is best found by checking places outward from them.
    pub(super) fn outline(&self, phrase: &str, words: &[&str]) -> Outline {
        let len = |key: u64| {
            self.postings
                .get(&key)
                .map_or((0, 0), |postings| (postings.len(), postings.in_names()))
        };
        let mut in_names = usize::MAX;
        let mut by_pinyin_only = usize::MAX;
        let mut direct_everywhere = true;
        for word in words {
            // At most as many as the rarest of its keys.
            let (places, names) = direct_keys(word)
                .into_iter()
                .map(len)
                .reduce(|(p, n), (places, names)| (p.min(places), n.min(names)))
                .unwrap_or((0, 0));
            in_names = in_names.min(names);
            direct_everywhere &= places > 0;
            let typed = pinyin_keys(word).into_iter().map(|key| len(key).0).sum();
            by_pinyin_only = by_pinyin_only.min(typed);
        }
        Outline {
            named: self.named(phrase),
            starting: self.starting_as(phrase),
            in_names,
            by_pinyin_only: if direct_everywhere { 0 } else { by_pinyin_only },
        }
    }

    /// Every place that may match every word (each once) of `phrase` (already lower
    /// case), with the best rank it could reach. Checking each against its text decides.
    pub(super) fn candidates(&self, phrase: &str, words: &[&str]) -> Candidates {
        let mut candidates: Option<Candidates> = None;
        for word in words {
            let direct = self.direct(word);
            let typed = self.by_pinyin(word);
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
        let mut starts = self.starting_as(phrase).into_iter().peekable();
        let mut exact = self.named(phrase).into_iter().peekable();
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

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn name_keys(name: &str) -> HashSet<u64> {
        let mut keys = HashSet::new();
        pinyin_keys_of_name(&name.chars().collect::<Vec<_>>(), |key| {
            keys.insert(key);
        });
        keys
    }

    fn readings(c: char) -> Vec<String> {
        let mut all = Vec::new();
        pinyin::for_each_reading(c, |reading| all.push(reading.to_owned()));
        all
    }

    #[test]
    fn every_name_that_reads_as_a_typed_word_has_one_of_its_keys() {
        // Heteronyms (行 长 乐 单 重), ü (绿 女), one-letter readings (阿 饿 哦), and
        // characters without a reading (digits, Latin letters) that break a run.
        let alphabet: Vec<char> = "骑手食堂药店医院驿站工会休息行长乐单重绿女阿饿哦网格司机环卫7a号"
            .chars()
            .collect();
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = |below: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % below as u64) as usize
        };
        let mut tried = 0;
        for _ in 0..20_000 {
            let name: String = (0..1 + next(8)).map(|_| alphabet[next(alphabet.len())]).collect();
            let chars: Vec<char> = name.chars().collect();
            // A word typed for a run of the name's characters: each in full or by its first
            // letter, the last by a part of a reading.
            let start = next(chars.len());
            let mut word = String::new();
            for (at, &c) in chars[start..chars.len().min(start + 1 + next(4))]
                .iter()
                .enumerate()
            {
                let options = readings(c);
                if options.is_empty() {
                    break;
                }
                let reading = &options[next(options.len())];
                let last = start + at + 1 == chars.len() || next(3) == 0;
                if last {
                    word.push_str(&reading[..1 + next(reading.len())]);
                    break;
                }
                word.push_str(if next(2) == 0 { &reading[..1] } else { reading });
            }
            if !pinyin::could_be_pinyin(&word) {
                continue;
            }
            tried += 1;
            assert!(pinyin::matches(&name, &word), "{word} is typed for {name}");
            let keys = name_keys(&name);
            assert!(
                pinyin_keys(&word).iter().any(|key| keys.contains(key)),
                "{name} reads as {word} but has none of its keys"
            );
        }
        assert!(tried > 5_000, "only {tried} words were pinyin");
    }

    fn listing(id: i32, name: &str) -> Listing {
        let mut row = crate::domain::directory::listing::sample_row();
        row.id = id;
        row.name = name.to_owned();
        row.address = "三和路 18 号".to_owned();
        Listing::new(row, Vec::new(), Default::default(), None)
    }

    fn members(set: &WordSet) -> Vec<u32> {
        (0..1000).filter(|&id| set.contains(id)).collect()
    }

    #[test]
    fn word_sets_stay_exact_through_changes() {
        let mut index = TextIndex::default();
        index.insert(&listing(1, "骑手药堂"));
        index.insert(&listing(2, "网格驿站"));
        index.insert(&listing(3, "合成医院"));
        // Direct, pinyin and a word in the address; a word no place has.
        // A word's first search gets no set; its second builds one.
        let set = |index: &TextIndex, word: &str| {
            let kept = index.word_set(word).or_else(|| index.word_set(word));
            members(&kept.unwrap())
        };
        assert!(index.word_set("药").is_none());
        assert_eq!(set(&index, "药"), [1]);
        assert_eq!(set(&index, "yaotang"), [1]);
        assert_eq!(set(&index, "yiyuan"), [3]);
        assert_eq!(set(&index, "和路"), [1, 2, 3]);
        assert_eq!(set(&index, "银行"), [] as [u32; 0]);
        // Sets come from the cache, and changes update them: a new place, a renamed one, a
        // removed one, and a place listed far beyond the set's last id.
        index.insert(&listing(700, "药店"));
        index.remove(&listing(2, "网格驿站"));
        index.insert(&listing(2, "工商银行"));
        index.remove(&listing(1, "骑手药堂"));
        assert_eq!(set(&index, "药"), [700]);
        assert_eq!(set(&index, "yaotang"), [] as [u32; 0]);
        assert_eq!(set(&index, "yiyuan"), [3]);
        assert_eq!(set(&index, "银行"), [2]);
        assert_eq!(set(&index, "yinhang"), [2]);
        assert_eq!(set(&index, "和路"), [2, 3, 700]);
        let cached = index.word_sets.lock().unwrap().recent.len();
        assert_eq!(cached, 6, "each word's set is built once");
    }

    #[test]
    fn word_sets_keep_within_their_bounds() {
        let mut index = TextIndex::default();
        index.insert(&listing(1, "骑手药堂"));
        let twice = |index: &TextIndex, word: &str| {
            assert!(index.word_set(word).is_none(), "{word} asked for the first time");
            index.word_set(word)
        };
        for word in (0..WORD_SETS + 10).map(|n| format!("w{n}")) {
            assert!(twice(&index, &word).is_some());
        }
        assert_eq!(index.word_sets.lock().unwrap().recent.len(), WORD_SETS);
        // A place whose id is past what a set may hold: a set that would list it is not
        // built (and not tried again), and a kept one that comes to list it is dropped.
        let kept = twice(&index, "药堂").unwrap();
        assert!(kept.contains(1) && twice(&index, "骑手").unwrap().contains(1));
        let far = i32::MAX - 1;
        index.insert(&listing(far, "骑手食堂"));
        assert!(twice(&index, "食堂").is_none());
        assert!(index.word_set("食堂").is_none());
        let sets = index.word_sets.lock().unwrap();
        assert!(sets.recent.iter().all(|cached| &*cached.word != "骑手"));
        assert!(sets.recent.iter().any(|cached| &*cached.word == "药堂"));
        assert!(sets.bytes() <= WORD_SETS_BYTES);
        drop(sets);
        // Sets are sized exactly, and lists that replace whole ones drop them.
        let mut first = TextIndex::default();
        first.insert(&listing(1, "骑手药堂"));
        assert_eq!(twice(&first, "药").unwrap().bytes(), 8);
        let mut later = TextIndex::default();
        later.insert(&listing(900, "药店"));
        first.append(later);
        assert!(first.word_sets.lock().unwrap().recent.is_empty());
        assert_eq!(members(&twice(&first, "药").unwrap()), [1, 900]);
    }

    #[test]
    fn a_full_reading_keys_the_next_character() {
        let keys_of_word = |word: &str| pinyin_keys(word).into_iter().collect::<HashSet<u64>>();
        let yiyuan = keys_of_word("yiyuan");
        assert!(
            !name_keys("合成骑手驿站12号")
                .iter()
                .any(|key| yiyuan.contains(key))
        );
        assert!(
            name_keys("合成骑手医院12号")
                .iter()
                .any(|key| yiyuan.contains(key))
        );
        let yao = keys_of_word("yao");
        assert!(!name_keys("合成网格驿站").iter().any(|key| yao.contains(key)));
        assert!(name_keys("骑手药堂").iter().any(|key| yao.contains(key)));
    }

    #[test]
    fn the_name_index_keeps_every_place_of_a_shared_hash() {
        let mut names = NameIndex::default();
        let shared = 0xABCD_1234;
        // Neighbours in the same shard, either side of the shared hash.
        for (hash, id) in [
            (shared, 7),
            (shared - 1, 3),
            (shared, 2),
            (shared + 1, 1),
            (shared, 9),
        ] {
            names.insert(hash, id);
        }
        names.insert(shared, 7);
        assert_eq!(names.get(shared).collect::<Vec<_>>(), [2, 7, 9]);
        names.remove(shared, 7);
        names.remove(shared, 8);
        assert_eq!(names.get(shared).collect::<Vec<_>>(), [2, 9]);
        assert_eq!(names.get(shared - 1).collect::<Vec<_>>(), [3]);

        let mut later = NameIndex::default();
        later.insert(shared, 12);
        later.insert(u32::MAX, 13);
        later.insert(0, 14);
        names.append(later);
        assert_eq!(names.get(shared).collect::<Vec<_>>(), [2, 9, 12]);
        assert_eq!(names.get(u32::MAX).collect::<Vec<_>>(), [13]);
        assert_eq!(names.get(0).collect::<Vec<_>>(), [14]);
        names.shrink();
        assert_eq!(names.get(shared + 1).collect::<Vec<_>>(), [1]);
        assert_eq!(names.get(shared + 2).count(), 0);
    }
}
