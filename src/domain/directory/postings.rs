//! A posting list: the sorted place ids under one search key, each with a flag (whether the
//! key occurs in the place's name), packed as variable-length deltas, or as bits when most
//! places in its range have the key. A million places' names and addresses make tens of
//! millions of entries; packed, most take one byte instead of four, and those of a common
//! character an eighth of a byte. Changes collect in two small sorted overlays until they
//! are worth repacking.

use super::exactly_sized;

/// One entry: a place id and whether the key is in its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Posting {
    pub(super) id: u32,
    pub(super) in_name: bool,
}

impl Posting {
    fn encoded(self) -> u64 {
        u64::from(self.id) << 1 | u64::from(self.in_name)
    }

    fn decoded(value: u64) -> Self {
        Self {
            id: (value >> 1) as u32,
            in_name: value & 1 == 1,
        }
    }
}

/// The sorted entries of one key.
#[derive(Clone, Default)]
pub(super) struct Postings {
    /// The entries as of the last repack.
    base: Base,
    base_len: u32,
    /// How many entries are in a name.
    in_names: u32,
    /// Entries added since the last repack, by id; never also live in `base`.
    added: Vec<Posting>,
    /// Ids whose entry in `base` is gone, ascending.
    removed: Vec<u32>,
}

/// The entries folded in at a repack, in whichever form is smaller.
#[derive(Clone)]
enum Base {
    /// Deltas of `id << 1 | in_name`, LEB128, ascending, and the last value, which the
    /// next list appended continues from.
    Deltas { bytes: Vec<u8>, last: u64 },
    /// A bit for each id in the list's range.
    Bits(Box<Bits>),
}

impl Default for Base {
    fn default() -> Self {
        Self::Deltas {
            bytes: Vec::new(),
            last: 0,
        }
    }
}

/// A list as bits: `present` has bit `i % 64` of word `i / 64` set when id `first + i` is
/// listed.
#[derive(Clone)]
struct Bits {
    /// A multiple of 64.
    first: u32,
    present: Box<[u64]>,
    in_name: InName,
}

/// Which entries of a list as bits are in a name: often none or all, which need no bits.
#[derive(Clone)]
enum InName {
    None,
    All,
    /// Laid out as `present`.
    Some(Box<[u64]>),
}

impl Base {
    /// Bits when they take less room than deltas, as for a key most places in its range
    /// have; `in_names` only estimates whether bits need a second set for the name flags.
    fn smallest(self, len: u32, in_names: u32) -> Self {
        let (Some((_, words)), Self::Deltas { bytes, .. }) = (self.span(), &self) else {
            return self;
        };
        let mixed = in_names != 0 && in_names != len;
        // The box counts too, so that a few ids close together stay deltas.
        if size_of::<Bits>() + words * 8 * (1 + usize::from(mixed)) >= bytes.len() {
            return self;
        }
        self.into_bits()
    }

    /// For deltas that list anything: the first id as bits would count from (a multiple
    /// of 64), and how many words of bits they would take.
    fn span(&self) -> Option<(u32, usize)> {
        let Self::Deltas { bytes, last } = self else {
            return None;
        };
        let first = Packed::new(bytes).next()?.id / 64 * 64;
        Some((first, (last >> 1) as usize / 64 - first as usize / 64 + 1))
    }

    /// The same entries as bits, their name flags read from the entries themselves.
    fn into_bits(self) -> Self {
        let (Some((first, words)), Self::Deltas { bytes, .. }) = (self.span(), &self) else {
            return self;
        };
        let mut present = vec![0u64; words];
        let mut named = vec![0u64; words];
        let (mut any_named, mut any_unnamed) = (false, false);
        for posting in Packed::new(bytes) {
            let offset = (posting.id - first) as usize;
            present[offset / 64] |= 1 << (offset % 64);
            if posting.in_name {
                named[offset / 64] |= 1 << (offset % 64);
                any_named = true;
            } else {
                any_unnamed = true;
            }
        }
        let in_name = match (any_named, any_unnamed) {
            (true, true) => InName::Some(named.into_boxed_slice()),
            (true, false) => InName::All,
            (false, _) => InName::None,
        };
        Self::Bits(Box::new(Bits {
            first,
            present: present.into_boxed_slice(),
            in_name,
        }))
    }

    fn heap_bytes(&self) -> usize {
        match self {
            Self::Deltas { bytes, .. } => bytes.capacity(),
            Self::Bits(bits) => {
                let names = match &bits.in_name {
                    InName::Some(named) => named.len() * 8,
                    InName::None | InName::All => 0,
                };
                size_of::<Bits>() + bits.present.len() * 8 + names
            }
        }
    }

    fn iter(&self) -> BaseIter<'_> {
        match self {
            Self::Deltas { bytes, .. } => BaseIter::Deltas(Packed::new(bytes)),
            Self::Bits(bits) => BaseIter::Bits(SetBits {
                bits,
                word: 0,
                rest: bits.present.first().copied().unwrap_or(0),
            }),
        }
    }
}

impl Postings {
    /// How many entries are in a name.
    pub(super) fn in_names(&self) -> usize {
        self.in_names as usize
    }

    /// How many places the key lists.
    pub(super) fn len(&self) -> usize {
        self.base_len as usize + self.added.len() - self.removed.len()
    }

    /// Bytes held on the heap.
    pub(super) fn heap_bytes(&self) -> usize {
        self.base.heap_bytes() + (self.added.capacity() + self.removed.capacity()) * 8
    }

    pub(super) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Lists `posting`; the caller has removed any earlier entry of its id.
    pub(super) fn insert(&mut self, posting: Posting) {
        self.in_names += u32::from(posting.in_name);
        // Loading inserts in id order: appending then skips a search through a long overlay.
        if self.added.last().is_none_or(|last| last.id < posting.id) {
            self.added.push(posting);
            // Appends let the overlay grow as large as the list: loading then encodes
            // each entry about twice. Anything else keeps it at a quarter, since inserting
            // into it moves what follows.
            if self.overlaid() > 16 + self.base_len as usize {
                self.fold();
            }
            return;
        }
        match self.added.binary_search_by_key(&posting.id, |added| added.id) {
            Ok(at) => self.added[at] = posting,
            Err(at) => self.added.insert(at, posting),
        }
        self.repack_if_worth_it();
    }

    /// Forgets the entry of `id`, which the caller knows is listed: checking the packed
    /// bytes would decode the whole list under the directory's write lock.
    pub(super) fn remove(&mut self, id: u32, in_name: bool) {
        self.in_names -= u32::from(in_name);
        if let Ok(at) = self.added.binary_search_by_key(&id, |added| added.id) {
            self.added.remove(at);
            return;
        }
        if let Err(at) = self.removed.binary_search(&id) {
            self.removed.insert(at, id);
            self.repack_if_worth_it();
        }
    }

    fn overlaid(&self) -> usize {
        self.added.len() + self.removed.len()
    }

    /// Overlays stay small relative to the list, so reading one costs little more than
    /// decoding it.
    fn repack_if_worth_it(&mut self) {
        if self.overlaid() > 16 + self.base_len as usize / 4 {
            self.repack();
        }
    }

    /// Folds the overlays into the base, keeping its form: while a load appends, every
    /// list stays deltas, which join cheaply, until `repack` settles each list's form.
    fn fold(&mut self) {
        if self.added.is_empty() && self.removed.is_empty() {
            return;
        }
        let was_bits = matches!(self.base, Base::Bits(_));
        *self = Self::as_deltas(self.iter(), self.base_bytes() + self.added.len() * 2);
        if was_bits {
            self.base = std::mem::take(&mut self.base).into_bits();
        }
    }

    /// Folds the overlays in, and keeps the list in its smaller form without spare capacity.
    pub(super) fn repack(&mut self) {
        if !(self.added.is_empty() && self.removed.is_empty()) {
            *self = Self::as_deltas(self.iter(), self.base_bytes() + self.added.len() * 2);
        } else if let Base::Deltas { bytes, .. } = &mut self.base {
            *bytes = exactly_sized(std::mem::take(bytes));
        }
        self.base = std::mem::take(&mut self.base).smallest(self.base_len, self.in_names);
    }

    /// About how many bytes the base would take as deltas.
    fn base_bytes(&self) -> usize {
        match &self.base {
            Base::Deltas { bytes, .. } => bytes.len(),
            Base::Bits(_) => self.base_len as usize,
        }
    }

    /// A list of `postings`, ascending by id, as deltas.
    fn as_deltas(postings: impl Iterator<Item = Posting>, capacity: usize) -> Self {
        let mut bytes = Vec::with_capacity(capacity);
        let (mut last, mut len, mut in_names) = (0, 0, 0);
        for posting in postings {
            let value = posting.encoded();
            write_varint(&mut bytes, value - last);
            last = value;
            len += 1;
            in_names += u32::from(posting.in_name);
        }
        Self {
            base: Base::Deltas {
                bytes: exactly_sized(bytes),
                last,
            },
            base_len: len,
            in_names,
            added: Vec::new(),
            removed: Vec::new(),
        }
    }

    /// Appends a list whose ids are all larger than this one's, re-encoding only the
    /// first delta.
    pub(super) fn append(&mut self, mut later: Postings) {
        // Only overlays are folded: re-encoding the whole list on every append would make
        // joining many parts quadratic.
        self.fold();
        later.fold();
        if later.base_len == 0 {
            return;
        }
        if self.base_len == 0 {
            *self = later;
            return;
        }
        match (&mut self.base, &later.base) {
            (
                Base::Deltas { bytes, last },
                Base::Deltas {
                    bytes: more,
                    last: more_last,
                },
            ) => {
                let (first, length) = read_varint(more);
                write_varint(bytes, first - *last);
                bytes.extend_from_slice(&more[length..]);
                *last = *more_last;
                self.base_len += later.base_len;
                self.in_names += later.in_names;
            }
            // Only a list repacked before it joins is bits; entry by entry is then right,
            // if slower.
            _ => {
                let capacity = self.base_bytes() + later.base_bytes();
                *self = Self::as_deltas(self.iter().chain(later.iter()), capacity);
            }
        }
    }

    /// The list as packed bytes with the overlays folded in, for a snapshot.
    pub(super) fn packed_list(&self) -> PackedList {
        let mut list = PackedList {
            bytes: Vec::with_capacity(self.base_bytes() + self.added.len() * 2),
            ..PackedList::default()
        };
        for posting in self.iter() {
            let value = posting.encoded();
            write_varint(&mut list.bytes, value - list.last);
            list.last = value;
            list.len += 1;
            list.in_names += u32::from(posting.in_name);
        }
        list
    }

    /// A list from a snapshot, decoded once to check it: ids strictly ascending, and the
    /// count, last value and name count as stated, so that no later read can overflow.
    pub(super) fn from_packed_list(list: PackedList) -> Result<Self, &'static str> {
        let (mut at, mut value, mut len, mut in_names) = (0, 0u64, 0u32, 0u32);
        while at < list.bytes.len() {
            let (mut delta, mut shift) = (0u64, 0);
            loop {
                let byte = *list.bytes.get(at).ok_or("a posting list ends inside a number")?;
                at += 1;
                if shift > 63 || (shift == 63 && byte & 0x7e != 0) {
                    return Err("a posting list holds a number over 64 bits");
                }
                delta |= u64::from(byte & 0x7f) << shift;
                if byte & 0x80 == 0 {
                    break;
                }
                shift += 7;
            }
            let previous = value;
            value = value.checked_add(delta).ok_or("a posting list overflows")?;
            if len > 0 && value >> 1 <= previous >> 1 {
                return Err("a posting list's ids do not ascend");
            }
            if value >> 1 > u64::from(u32::MAX) {
                return Err("a posting list holds an id over 32 bits");
            }
            len = len.checked_add(1).ok_or("a posting list is too long")?;
            in_names += (value & 1) as u32;
        }
        if (len, value, in_names) != (list.len, list.last, list.in_names) {
            return Err("a posting list does not hold what its header says");
        }
        Ok(Self {
            base: Base::Deltas {
                bytes: list.bytes,
                last: value,
            }
            .smallest(len, in_names),
            base_len: len,
            in_names,
            added: Vec::new(),
            removed: Vec::new(),
        })
    }

    /// Every entry, by id.
    pub(super) fn iter(&self) -> impl Iterator<Item = Posting> + '_ {
        Merge {
            packed: self.base.iter().peekable(),
            added: self.added.iter().copied().peekable(),
            removed: &self.removed,
        }
    }
}

/// A posting list as a snapshot holds it.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct PackedList {
    /// Deltas of `id << 1 | in_name`, LEB128, ascending.
    pub(super) bytes: Vec<u8>,
    pub(super) len: u32,
    /// The last value, which is the sum of the deltas.
    pub(super) last: u64,
    pub(super) in_names: u32,
}

fn write_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// The value at the start of `bytes` and how many bytes it took.
fn read_varint(bytes: &[u8]) -> (u64, usize) {
    let mut value = 0u64;
    for (at, byte) in bytes.iter().enumerate() {
        value |= u64::from(byte & 0x7f) << (7 * at);
        if byte & 0x80 == 0 {
            return (value, at + 1);
        }
    }
    (value, bytes.len())
}

/// Decodes packed deltas.
struct Packed<'a> {
    bytes: &'a [u8],
    at: usize,
    value: u64,
}

impl<'a> Packed<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            at: 0,
            value: 0,
        }
    }
}

impl Iterator for Packed<'_> {
    type Item = Posting;

    fn next(&mut self) -> Option<Posting> {
        let mut delta = 0u64;
        let mut shift = 0;
        loop {
            let byte = *self.bytes.get(self.at)?;
            self.at += 1;
            delta |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                break;
            }
            shift += 7;
        }
        self.value += delta;
        Some(Posting::decoded(self.value))
    }
}

/// The entries of a base, in either form.
enum BaseIter<'a> {
    Deltas(Packed<'a>),
    Bits(SetBits<'a>),
}

impl Iterator for BaseIter<'_> {
    type Item = Posting;

    fn next(&mut self) -> Option<Posting> {
        match self {
            Self::Deltas(packed) => packed.next(),
            Self::Bits(bits) => bits.next(),
        }
    }
}

/// Reads a list as bits.
struct SetBits<'a> {
    bits: &'a Bits,
    /// The word being read, and its bits not yet read.
    word: usize,
    rest: u64,
}

impl Iterator for SetBits<'_> {
    type Item = Posting;

    fn next(&mut self) -> Option<Posting> {
        while self.rest == 0 {
            self.word += 1;
            self.rest = *self.bits.present.get(self.word)?;
        }
        let bit = self.rest.trailing_zeros();
        self.rest &= self.rest - 1;
        let in_name = match &self.bits.in_name {
            InName::None => false,
            InName::All => true,
            InName::Some(named) => named[self.word] >> bit & 1 == 1,
        };
        Some(Posting {
            id: self.bits.first + (self.word as u32) * 64 + bit,
            in_name,
        })
    }
}

/// Packed entries not removed, merged with the added ones, by id.
struct Merge<'a, P: Iterator<Item = Posting>, A: Iterator<Item = Posting>> {
    packed: std::iter::Peekable<P>,
    added: std::iter::Peekable<A>,
    removed: &'a [u32],
}

impl<P: Iterator<Item = Posting>, A: Iterator<Item = Posting>> Iterator for Merge<'_, P, A> {
    type Item = Posting;

    fn next(&mut self) -> Option<Posting> {
        loop {
            let take_added = match (self.packed.peek(), self.added.peek()) {
                (None, None) => return None,
                (Some(_), None) => false,
                (None, Some(_)) => true,
                (Some(packed), Some(added)) => added.id < packed.id,
            };
            if take_added {
                return self.added.next();
            }
            let packed = self.packed.next()?;
            if self.removed.binary_search(&packed.id).is_err() {
                return Some(packed);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn posting(id: u32, in_name: bool) -> Posting {
        Posting { id, in_name }
    }

    #[test]
    fn keeps_entries_sorted_and_unique_through_inserts_removals_and_repacks() {
        let mut list = Postings::default();
        let mut expected = std::collections::BTreeMap::new();
        // A deterministic shuffle of inserts, re-inserts with another flag, and removals.
        for step in 0..5_000u32 {
            let id = step.wrapping_mul(2_654_435_761) % 1_000;
            if let Some(in_name) = expected.remove(&id) {
                list.remove(id, in_name);
            }
            if step % 5 < 3 {
                list.insert(posting(id, step % 2 == 0));
                expected.insert(id, step % 2 == 0);
            }
        }
        let listed: Vec<Posting> = list.iter().collect();
        let wanted: Vec<Posting> = expected
            .iter()
            .map(|(&id, &in_name)| posting(id, in_name))
            .collect();
        assert_eq!(listed, wanted);
        assert_eq!(list.len(), wanted.len());
        list.repack();
        assert_eq!(list.iter().collect::<Vec<_>>(), wanted);
    }

    #[test]
    fn appended_lists_read_as_one() {
        let mut first = Postings::default();
        let mut second = Postings::default();
        for id in 0..300 {
            first.insert(posting(id * 3, id % 2 == 0));
            second.insert(posting(10_000 + id * 7, id % 3 == 0));
        }
        let mut wanted: Vec<Posting> = first.iter().collect();
        wanted.extend(second.iter());
        first.append(second);
        assert_eq!(first.iter().collect::<Vec<_>>(), wanted);
        first.insert(posting(20_000, true));
        wanted.push(posting(20_000, true));
        first.repack();
        assert_eq!(first.iter().collect::<Vec<_>>(), wanted);
        assert_eq!(first.len(), wanted.len());
    }

    #[test]
    fn packed_lists_round_trip_and_damaged_ones_are_refused() {
        let mut list = Postings::default();
        for id in [3, 5, 900, 70_000, u32::MAX] {
            list.insert(posting(id, id % 2 == 1 && id != 5));
        }
        list.remove(900, false);
        let packed = list.packed_list();
        let restored = Postings::from_packed_list(PackedList {
            bytes: packed.bytes.clone(),
            ..packed
        })
        .unwrap();
        assert_eq!(
            restored.iter().collect::<Vec<_>>(),
            list.iter().collect::<Vec<_>>()
        );
        assert_eq!((restored.len(), restored.in_names()), (4, 2));

        let damaged = [
            // The last byte says more follows.
            PackedList {
                bytes: vec![0x86, 0x8a],
                len: 1,
                last: 6,
                in_names: 0,
            },
            // Eleven continuation bytes: over 64 bits.
            PackedList {
                bytes: vec![0xff; 11],
                len: 1,
                last: 0,
                in_names: 0,
            },
            // The same id twice.
            PackedList {
                bytes: vec![6, 0],
                len: 2,
                last: 6,
                in_names: 0,
            },
            // A count that is not what the bytes hold.
            PackedList {
                bytes: vec![6, 4],
                len: 3,
                last: 10,
                in_names: 0,
            },
        ];
        for list in damaged {
            assert!(Postings::from_packed_list(list).is_err());
        }
    }

    fn is_bits(list: &Postings) -> bool {
        matches!(list.base, Base::Bits(_))
    }

    #[test]
    fn dense_lists_take_bits_and_read_back_the_same() {
        // None, all and some entries in a name: the three ways bits keep the flag.
        for named in [|_: u32| false, |_: u32| true, |id: u32| id.is_multiple_of(3)] {
            let wanted: Vec<Posting> = (1_000..6_000)
                .filter(|id| id % 5 != 0)
                .map(|id| posting(id, named(id)))
                .collect();
            let mut list = Postings::default();
            wanted.iter().for_each(|&entry| list.insert(entry));
            list.repack();
            assert!(is_bits(&list));
            assert!(list.heap_bytes() < wanted.len() / 2);
            assert_eq!(list.iter().collect::<Vec<_>>(), wanted);
            let in_names = wanted.iter().filter(|entry| entry.in_name).count();
            assert_eq!((list.len(), list.in_names()), (wanted.len(), in_names));

            // Through a snapshot and back.
            let restored = Postings::from_packed_list(list.packed_list()).unwrap();
            assert!(is_bits(&restored));
            assert_eq!(restored.iter().collect::<Vec<_>>(), wanted);
        }
    }

    #[test]
    fn dense_lists_change_and_thin_out_to_deltas() {
        let mut list = Postings::default();
        let mut expected = std::collections::BTreeMap::new();
        for id in 64..4_096 {
            list.insert(posting(id, id % 2 == 0));
            expected.insert(id, id % 2 == 0);
        }
        list.repack();
        assert!(is_bits(&list));
        // Changes on top of bits: a new id beyond the range, one before it, removals.
        for (id, in_name) in [(10_000, true), (3, false), (100, false)] {
            if let Some(was) = expected.remove(&id) {
                list.remove(id, was);
            }
            list.insert(posting(id, in_name));
            expected.insert(id, in_name);
        }
        for id in (64..4_096).filter(|id| id % 7 != 0) {
            if id != 100 {
                list.remove(id, expected.remove(&id).unwrap());
            }
        }
        let wanted: Vec<Posting> = expected
            .iter()
            .map(|(&id, &in_name)| posting(id, in_name))
            .collect();
        assert_eq!(list.iter().collect::<Vec<_>>(), wanted);
        list.repack();
        // One id in seven left over a range now ten thousand wide: deltas are smaller.
        assert!(!is_bits(&list));
        assert_eq!(list.iter().collect::<Vec<_>>(), wanted);
        assert_eq!(list.len(), wanted.len());
        assert_eq!(
            list.in_names(),
            wanted.iter().filter(|entry| entry.in_name).count()
        );
    }

    #[test]
    fn dense_parts_append_to_any_list() {
        let part = |ids: std::ops::Range<u32>, step: u32| {
            let mut list = Postings::default();
            ids.step_by(step as usize)
                .for_each(|id| list.insert(posting(id, id % 4 == 0)));
            list.repack();
            list
        };
        let (sparse, dense, sparse_again) = (
            part(0..10_000, 97),
            part(10_000..20_000, 1),
            part(20_000..90_000, 131),
        );
        assert!(!is_bits(&sparse) && is_bits(&dense) && !is_bits(&sparse_again));
        let mut wanted: Vec<Posting> = sparse.iter().collect();
        wanted.extend(dense.iter());
        wanted.extend(sparse_again.iter());
        let mut joined = sparse;
        joined.append(dense);
        joined.append(sparse_again);
        assert_eq!(joined.iter().collect::<Vec<_>>(), wanted);
        assert_eq!(joined.len(), wanted.len());
    }

    #[test]
    fn dense_lists_reach_the_largest_id() {
        let wanted: Vec<Posting> = (u32::MAX - 300..=u32::MAX)
            .map(|id| posting(id, id % 2 == 1))
            .collect();
        let mut list = Postings::default();
        wanted.iter().for_each(|&entry| list.insert(entry));
        list.repack();
        assert!(is_bits(&list));
        assert_eq!(list.iter().collect::<Vec<_>>(), wanted);
        list.remove(u32::MAX, true);
        list.insert(posting(u32::MAX, false));
        list.repack();
        assert_eq!(list.iter().last(), Some(posting(u32::MAX, false)));
        assert_eq!(list.len(), wanted.len());
    }

    #[test]
    fn large_ids_survive_packing() {
        let mut list = Postings::default();
        for id in [0, 1, 127, 128, 16_384, u32::MAX >> 1, u32::MAX] {
            list.insert(posting(id, true));
        }
        list.repack();
        let ids: Vec<u32> = list.iter().map(|posting| posting.id).collect();
        assert_eq!(ids, [0, 1, 127, 128, 16_384, u32::MAX >> 1, u32::MAX]);
    }
}
