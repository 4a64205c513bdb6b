//! Several strings, each present or not, in one allocation with where each ends: a
//! listing's strings cost one allocation and one pointer instead of one each, which a
//! million listings feel.
//!
//! The allocation is a `str` that starts with a header in ASCII digits of base 128 (so the
//! whole stays a `str` and reading a string needs no UTF-8 check): which strings are
//! present (two digits, a bit each), how many digits each end takes (one), and the end of
//! every present string, each in that many digits. Ends take three digits (up to 2 MiB of
//! text) unless the strings are longer, so they cost three bytes each, not the inline
//! array of `u32`s they replace, and no length is ever too large to hold.

/// Bits a header digit holds: one ASCII byte.
const DIGIT_BITS: u32 = 7;
const DIGIT_MASK: usize = (1 << DIGIT_BITS) - 1;
/// Two digits of presence bits.
const PRESENCE_DIGITS: usize = 2;
/// Where the width digit is, and where the ends start.
const WIDTH_AT: usize = PRESENCE_DIGITS;
const ENDS_AT: usize = WIDTH_AT + 1;
/// The width of ends that most listings need.
const NARROW: usize = 3;

/// `N` strings, each `Some` or `None`, and where each ends, in one `str`.
#[derive(Debug)]
pub(super) struct PackedStrings<const N: usize> {
    packed: Box<str>,
}

impl<const N: usize> PackedStrings<N> {
    /// Packs `strings`, keeping which are `None` (told apart from `Some("")`).
    pub(super) fn new(strings: [Option<&str>; N]) -> Self {
        const {
            assert!(
                N <= PRESENCE_DIGITS * DIGIT_BITS as usize,
                "a presence bit for each string"
            )
        };
        let present = || strings.iter().flatten();
        let (count, total) = (
            present().count(),
            present().map(|string| string.len()).sum::<usize>(),
        );
        // Ends count from the start of the header, whose length depends on their width.
        let mut width = NARROW;
        while digits_for(ENDS_AT + width * count + total) > width {
            width += 1;
        }
        let header = ENDS_AT + width * count;
        let mut packed = String::with_capacity(header + total);
        let presence = strings
            .iter()
            .enumerate()
            .filter(|(_, string)| string.is_some())
            .fold(0, |bits, (index, _)| bits | 1 << index);
        push_digits(&mut packed, presence, PRESENCE_DIGITS);
        push_digits(&mut packed, width, 1);
        let mut end = header;
        for string in present() {
            end += string.len();
            push_digits(&mut packed, end, width);
        }
        present().for_each(|string| packed.push_str(string));
        Self {
            packed: packed.into_boxed_str(),
        }
    }

    /// The string at `index`, as it was packed.
    pub(super) fn get(&self, index: usize) -> Option<&str> {
        let bytes = self.packed.as_bytes();
        let presence = read_digits(bytes, 0, PRESENCE_DIGITS);
        if presence & (1 << index) == 0 {
            return None;
        }
        let width = read_digits(bytes, WIDTH_AT, 1);
        // Its rank among the present strings: ends are kept for those only.
        let rank = (presence & ((1 << index) - 1)).count_ones() as usize;
        let end = read_digits(bytes, ENDS_AT + rank * width, width);
        let start = match rank {
            0 => ENDS_AT + presence.count_ones() as usize * width,
            _ => read_digits(bytes, ENDS_AT + (rank - 1) * width, width),
        };
        Some(&self.packed[start..end])
    }
}

/// How many digits `value` needs.
fn digits_for(value: usize) -> usize {
    (usize::BITS - value.leading_zeros()).div_ceil(DIGIT_BITS).max(1) as usize
}

fn push_digits(packed: &mut String, value: usize, digits: usize) {
    for digit in 0..digits {
        let bits = (value >> (digit as u32 * DIGIT_BITS)) & DIGIT_MASK;
        packed.push(char::from(bits as u8));
    }
}

fn read_digits(bytes: &[u8], at: usize, digits: usize) -> usize {
    bytes[at..at + digits]
        .iter()
        .enumerate()
        .fold(0, |value, (digit, &byte)| {
            value | usize::from(byte) << (digit as u32 * DIGIT_BITS)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_read_back_as_packed_with_none_apart_from_empty() {
        let packed = PackedStrings::new([Some("驿站"), None, Some(""), Some("24/7"), None]);
        assert_eq!(packed.get(0), Some("驿站"));
        assert_eq!(packed.get(1), None);
        assert_eq!(packed.get(2), Some(""));
        assert_eq!(packed.get(3), Some("24/7"));
        assert_eq!(packed.get(4), None);
    }

    #[test]
    fn nothing_present_reads_back_as_nothing() {
        let packed = PackedStrings::<14>::new([None; 14]);
        assert!((0..14).all(|index| packed.get(index).is_none()));
    }

    #[test]
    fn strings_beyond_three_digits_of_ends_read_back_whole() {
        let long = "长".repeat(1 << 20);
        let packed = PackedStrings::new([Some("a"), Some(long.as_str()), None, Some("z")]);
        assert_eq!(packed.get(0), Some("a"));
        assert_eq!(packed.get(1), Some(long.as_str()));
        assert_eq!(packed.get(2), None);
        assert_eq!(packed.get(3), Some("z"));
    }

    #[test]
    fn every_present_string_costs_three_bytes_of_header() {
        let packed = PackedStrings::new([Some("骑手"), None, Some("食堂")]);
        assert_eq!(packed.packed.len(), ENDS_AT + 2 * NARROW + "骑手食堂".len());
    }
}
