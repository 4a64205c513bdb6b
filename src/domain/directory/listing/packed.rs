//! Several strings, each present or not, in one allocation: a listing's strings cost one
//! allocation instead of one each, which a million listings feel.

/// `N` strings, each `Some` or `None`, held back to back in one string with where each ends.
#[derive(Debug)]
pub(super) struct PackedStrings<const N: usize> {
    joined: Box<str>,
    /// Where each string ends in `joined`; each starts where the one before it ends.
    ends: [u32; N],
    /// A bit for each string that is `Some`, so `None` is told apart from `Some("")`.
    present: u16,
}

impl<const N: usize> PackedStrings<N> {
    /// Packs `strings`, keeping which are `None`.
    pub(super) fn new(strings: [Option<&str>; N]) -> Self {
        const { assert!(N <= u16::BITS as usize, "one presence bit for each string") };
        let mut joined = String::with_capacity(strings.iter().flatten().map(|string| string.len()).sum());
        let mut ends = [0; N];
        let mut present = 0;
        for (index, string) in strings.into_iter().enumerate() {
            if let Some(string) = string {
                joined.push_str(string);
                present |= 1 << index;
            }
            // Every string of a place is a database text value, each far below 4 GiB.
            ends[index] = u32::try_from(joined.len()).expect("a place's strings fit in 4 GiB");
        }
        Self {
            joined: joined.into_boxed_str(),
            ends,
            present,
        }
    }

    /// The string at `index`, as it was packed.
    pub(super) fn get(&self, index: usize) -> Option<&str> {
        if self.present & (1 << index) == 0 {
            return None;
        }
        let start = index.checked_sub(1).map_or(0, |before| self.ends[before]);
        Some(&self.joined[start as usize..self.ends[index] as usize])
    }
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
}
