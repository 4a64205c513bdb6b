//! A posting list: the sorted place ids under one search key, each with a flag (whether the
//! key occurs in the place's name), packed as variable-length deltas. A million places'
//! names and addresses make tens of millions of entries; packed, most take one byte instead
//! of four. Changes collect in two small sorted overlays until they are worth repacking.

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
    /// Deltas of `id << 1 | in_name`, LEB128, ascending.
    packed: Vec<u8>,
    packed_len: u32,
    /// The last packed value, which the next list appended continues from.
    packed_last: u64,
    /// How many entries are in a name.
    in_names: u32,
    /// Entries added since the last repack, by id; never also live in `packed`.
    added: Vec<Posting>,
    /// Ids whose packed entry is gone, ascending.
    removed: Vec<u32>,
}

impl Postings {
    /// How many entries are in a name.
    pub(super) fn in_names(&self) -> usize {
        self.in_names as usize
    }

    /// How many places the key lists.
    pub(super) fn len(&self) -> usize {
        self.packed_len as usize + self.added.len() - self.removed.len()
    }

    /// Bytes held on the heap.
    pub(super) fn heap_bytes(&self) -> usize {
        self.packed.capacity() + (self.added.capacity() + self.removed.capacity()) * 8
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
            if self.overlaid() > 16 + self.packed_len as usize {
                self.repack();
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
        if self.overlaid() > 16 + self.packed_len as usize / 4 {
            self.repack();
        }
    }

    /// Folds the overlays into the packed bytes, and returns spare capacity.
    pub(super) fn repack(&mut self) {
        if self.added.is_empty() && self.removed.is_empty() {
            self.packed = exactly_sized(std::mem::take(&mut self.packed));
            return;
        }
        let mut packed = Vec::with_capacity(self.packed.len() + self.added.len() * 2);
        let mut previous = 0;
        let mut count = 0;
        for posting in self.iter() {
            let value = posting.encoded();
            write_varint(&mut packed, value - previous);
            previous = value;
            count += 1;
        }
        self.packed = exactly_sized(packed);
        self.packed_len = count;
        self.packed_last = previous;
        self.added = Vec::new();
        self.removed = Vec::new();
    }

    /// Appends a list whose ids are all larger than this one's, re-encoding only the
    /// first delta.
    pub(super) fn append(&mut self, mut later: Postings) {
        // Only overlays are folded: re-encoding the whole list on every append would make
        // joining many parts quadratic.
        if !(self.added.is_empty() && self.removed.is_empty()) {
            self.repack();
        }
        later.repack();
        if later.packed_len == 0 {
            return;
        }
        if self.packed_len == 0 {
            *self = later;
            return;
        }
        let (first, length) = read_varint(&later.packed);
        write_varint(&mut self.packed, first - self.packed_last);
        self.packed.extend_from_slice(&later.packed[length..]);
        self.packed_len += later.packed_len;
        self.in_names += later.in_names;
        self.packed_last = later.packed_last;
    }

    /// The list as packed bytes with the overlays folded in, for a snapshot.
    pub(super) fn packed_list(&self) -> PackedList {
        let mut list = PackedList {
            bytes: Vec::with_capacity(self.packed.len() + self.added.len() * 2),
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
            packed: list.bytes,
            packed_len: len,
            packed_last: value,
            in_names,
            added: Vec::new(),
            removed: Vec::new(),
        })
    }

    /// Every entry, by id.
    pub(super) fn iter(&self) -> impl Iterator<Item = Posting> + '_ {
        Merge {
            packed: Packed::new(&self.packed).peekable(),
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
