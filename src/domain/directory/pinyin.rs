//! Pinyin, as riders type it on the move: full syllables without tones (`yaodian`), first
//! letters (`yd`), or a mix (`yaod`). Readings come from the `pinyin` crate's tables, every
//! reading of a heteronym (行 is both `xing` and `hang`), with `ü` typed as `v`.

use pinyin::ToPinyinMulti;

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

/// Whether a typed word could be pinyin: two or more ASCII letters.
pub(super) fn could_be_pinyin(word: &str) -> bool {
    word.len() >= 2 && word.bytes().all(|byte| byte.is_ascii_lowercase())
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
            ("药店", "ya"),
            ("西安店", "xiand"),
            ("西安交通大学", "xianjiaotongdaxue"),
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
}
