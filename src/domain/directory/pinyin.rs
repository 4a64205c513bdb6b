//! Pinyin, as riders type it on the move: full syllables without tones (`yaodian`), first
//! letters (`yd`), or a mix (`yaod`). Readings come from the `pinyin` crate's tables, every
//! reading of a heteronym (行 is both `xing` and `hang`), with `ü` typed as `v`.

use std::{collections::HashSet, sync::LazyLock};

use pinyin::ToPinyinMulti;

/// Letters of a syllable packed five bits each (`a` = 1 … `z` = 26), so a syllable of up to
/// six letters is one number and a pair of them one search key.
pub(super) type Syllable = u32;

const MAX_SYLLABLE_LETTERS: usize = 6;

/// Calls `each` with every toneless reading of `c`, `ü` as `v`; nothing for a character
/// without one (Latin letters, digits, punctuation).
pub(super) fn for_each_reading(c: char, mut each: impl FnMut(&str)) {
    let Some(multi) = c.to_pinyin_multi() else { return };
    let mut seen: [&str; 8] = [""; 8];
    for (index, reading) in multi.into_iter().take(seen.len()).enumerate() {
        let plain = reading.plain();
        if seen[..index].contains(&plain) {
            continue;
        }
        seen[index] = plain;
        if plain.contains('ü') {
            each(&plain.replace('ü', "v"));
        } else {
            each(plain);
        }
    }
}

/// A reading as one number; `None` for anything but one to six letters a–z.
pub(super) fn pack(reading: &str) -> Option<Syllable> {
    if reading.is_empty() || reading.len() > MAX_SYLLABLE_LETTERS {
        return None;
    }
    reading.bytes().try_fold(0, |packed, letter| {
        letter
            .is_ascii_lowercase()
            .then(|| packed << 5 | Syllable::from(letter - b'a' + 1))
    })
}

/// Every syllable any character reads as, so a typed word can be split into syllables.
static SYLLABLES: LazyLock<HashSet<Syllable>> = LazyLock::new(|| {
    let mut syllables = HashSet::new();
    for c in ('\u{3400}'..='\u{9fff}').chain('\u{20000}'..='\u{2ffff}') {
        for_each_reading(c, |reading| {
            syllables.extend(pack(reading));
        });
    }
    syllables
});

/// Whether a typed word could be pinyin: two or more ASCII letters.
pub(super) fn could_be_pinyin(word: &str) -> bool {
    word.len() >= 2 && word.bytes().all(|byte| byte.is_ascii_lowercase())
}

/// The ways a word splits into whole syllables (`xian` is `xian` or `xi an`), at most
/// `limit` of them.
pub(super) fn syllable_splits(word: &str, limit: usize) -> Vec<Vec<Syllable>> {
    let syllable_at = |from: usize, length: usize| {
        word.get(from..from + length)
            .and_then(pack)
            .filter(|syllable| SYLLABLES.contains(syllable))
    };
    // Which suffixes split at all, so the search below never walks into a dead end and
    // stops after `limit` splits however ambiguous a long word is.
    let mut splits_from = vec![false; word.len() + 1];
    splits_from[word.len()] = true;
    for from in (0..word.len()).rev() {
        splits_from[from] = (1..=MAX_SYLLABLE_LETTERS).any(|length| {
            from + length <= word.len() && splits_from[from + length] && syllable_at(from, length).is_some()
        });
    }
    let mut found = Vec::new();
    let mut stack: Vec<(usize, Vec<Syllable>)> = vec![(0, Vec::new())];
    while let Some((from, so_far)) = stack.pop() {
        if found.len() >= limit {
            break;
        }
        if from == word.len() {
            found.push(so_far);
            continue;
        }
        for length in (1..=MAX_SYLLABLE_LETTERS).rev() {
            if from + length <= word.len()
                && splits_from[from + length]
                && let Some(syllable) = syllable_at(from, length)
            {
                let mut next = so_far.clone();
                next.push(syllable);
                stack.push((from + length, next));
            }
        }
    }
    found
}

/// The first letters of a word read as riders half-type it (`yaod`, `qishoust`): the
/// longest syllable at each point, or else one letter standing for a syllable.
pub(super) fn typed_initials(word: &str) -> Vec<u8> {
    let mut initials = Vec::new();
    let mut from = 0;
    while from < word.len() {
        let length = (1..=MAX_SYLLABLE_LETTERS.min(word.len() - from))
            .rev()
            .find(|&length| pack(&word[from..from + length]).is_some_and(|s| SYLLABLES.contains(&s)))
            .unwrap_or(1);
        initials.push(word.as_bytes()[from]);
        from += length;
    }
    initials
}

/// Whether `word` (lower-case ASCII letters) is typed pinyin of a run of consecutive
/// characters of `name`: each character as one of its readings or the reading's first
/// letter, the last one also as the start of a reading (`yaod`, `qsst`, `qishoushitang`).
///
/// Every start is followed at once, as the set of typed letters consumed so far, so the
/// work grows with the name's length times the word's, whatever the input: trying each
/// way separately would double with every character read two ways (啊 typed `aaaa…`).
pub(super) fn matches(name: &str, word: &str) -> bool {
    let typed = word.as_bytes();
    if typed.is_empty() || typed.len() > 127 {
        return typed.is_empty();
    }
    // Bit i: the first i letters are consumed by the characters read so far.
    let mut consumed: u128 = 0;
    for c in name.chars() {
        consumed |= 1;
        let mut next: u128 = 0;
        let mut found = false;
        for_each_reading(c, |reading| {
            let reading = reading.as_bytes();
            for at in (0..typed.len()).filter(|at| consumed & 1 << at != 0) {
                let rest = &typed[at..];
                if reading.starts_with(rest) {
                    found = true;
                } else if rest.starts_with(reading) {
                    next |= 1 << (at + reading.len());
                }
                if rest[0] == reading[0] {
                    next |= 1 << (at + 1);
                }
            }
        });
        if found || next & 1 << typed.len() != 0 {
            return true;
        }
        consumed = next;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_pinyin_initials_and_mixes_match() {
        for (name, typed) in [
            ("药店", "yaodian"),
            ("药店", "yd"),
            ("骑手食堂", "qishoushitang"),
            ("骑手食堂", "qsst"),
            ("骑手食堂", "shitang"),
            ("骑手食堂", "qishoust"),
            ("合成骑手药堂12号", "yaot"),
            ("银行网点", "yinhang"),
            ("步行街", "buxing"),
            ("绿色驿站", "lvse"),
        ] {
            assert!(matches(name, typed), "{typed} should find {name}");
        }
        for (name, typed) in [("药店", "yaodianx"), ("骑手食堂", "qsx"), ("药店", "dianyao")] {
            assert!(!matches(name, typed), "{typed} should not find {name}");
        }
        // Every character read two ways (a reading and its first letter are the same
        // here) must not double the work per character.
        let long_name = "啊".repeat(200);
        assert!(!matches(&long_name, &format!("{}b", "a".repeat(49))));
    }

    #[test]
    fn half_typed_words_keep_the_first_letter_of_each_syllable() {
        assert_eq!(typed_initials("yaod"), b"yd");
        assert_eq!(typed_initials("qishoust"), b"qsst");
        assert_eq!(typed_initials("qsst"), b"qsst");
    }

    #[test]
    fn words_split_into_every_syllable_reading() {
        let splits = syllable_splits("xian", 8);
        assert!(splits.contains(&vec![pack("xian").unwrap()]));
        assert!(splits.contains(&vec![pack("xi").unwrap(), pack("an").unwrap()]));
        assert!(syllable_splits("qs", 8).is_empty());
        assert_eq!(
            syllable_splits("qishou", 8),
            vec![vec![pack("qi").unwrap(), pack("shou").unwrap()]]
        );
    }
}
