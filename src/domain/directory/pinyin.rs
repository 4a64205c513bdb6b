//! Pinyin, as riders type it on the move: full syllables without tones (`yaodian`), first
//! letters (`yd`), or a mix (`yaod`). Readings come from the `pinyin` crate's tables, every
//! reading of a heteronym (行 is both `xing` and `hang`), with `ü` typed as `v`.

use std::sync::LazyLock;

use pinyin::ToPinyinMulti;

/// Characters from here to `LAST_TABULATED` (the CJK blocks of the Basic Multilingual
/// Plane, where nearly every name's characters are) have their readings in `Tables`: search
/// reads a name's readings for every place it checks, and the crate's lookup walks its
/// blocks, then compares each reading with those before it to drop repeats.
const FIRST_TABULATED: u32 = 0x2E80;
const LAST_TABULATED: u32 = 0xFAFF;
/// The blocks beyond it that hold characters with readings.
const SUPPLEMENTARY: std::ops::RangeInclusive<char> = '\u{20000}'..='\u{3FFFF}';

/// The readings of the tables, in the forms search uses.
struct Tables {
    /// Every reading of every character, sorted, each once (about four hundred).
    syllables: Vec<Box<str>>,
    /// For each tabulated character: where its readings start in `readings`, shifted left
    /// by four, with how many they are.
    spans: Vec<u32>,
    /// Indexes into `syllables`.
    readings: Vec<u16>,
}

impl Tables {
    fn get() -> &'static Tables {
        static TABLES: LazyLock<Tables> = LazyLock::new(Tables::build);
        &TABLES
    }

    fn build() -> Self {
        let tabulated = (FIRST_TABULATED..=LAST_TABULATED).filter_map(char::from_u32);
        let mut syllables: Vec<Box<str>> = Vec::new();
        for c in tabulated.clone().chain(SUPPLEMENTARY) {
            readings_from_crate(c, |reading| syllables.push(reading.into()));
        }
        syllables.sort_unstable();
        syllables.dedup();
        let mut spans = vec![0; (LAST_TABULATED - FIRST_TABULATED + 1) as usize];
        let mut readings = Vec::new();
        for c in tabulated {
            let start = readings.len();
            readings_from_crate(c, |reading| {
                let index = syllables.binary_search_by(|syllable| (**syllable).cmp(reading));
                readings.push(index.expect("every reading is a syllable") as u16);
            });
            spans[(u32::from(c) - FIRST_TABULATED) as usize] =
                (start as u32) << 4 | (readings.len() - start) as u32;
        }
        Self {
            syllables,
            spans,
            readings,
        }
    }
}

/// Calls `each` with every toneless reading of `c`, `ü` as `v`, each once; nothing for a
/// character without one (Latin letters, digits, punctuation).
pub(super) fn for_each_reading(c: char, mut each: impl FnMut(&str)) {
    let code = u32::from(c);
    if code < FIRST_TABULATED {
        return;
    }
    if code > LAST_TABULATED {
        return readings_from_crate(c, each);
    }
    let tables = Tables::get();
    let span = tables.spans[(code - FIRST_TABULATED) as usize];
    let start = (span >> 4) as usize;
    for &reading in &tables.readings[start..start + (span & 15) as usize] {
        each(&tables.syllables[usize::from(reading)]);
    }
}

/// `for_each_reading` from the crate's own tables.
fn readings_from_crate(c: char, mut each: impl FnMut(&str)) {
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

/// Every reading of every character, sorted, each once.
fn syllables() -> &'static [Box<str>] {
    &Tables::get().syllables
}

/// The readings that start with `letters` (or are them).
pub(super) fn syllables_starting_with(letters: &str) -> impl Iterator<Item = &'static str> + '_ {
    let syllables = syllables();
    let from = syllables.partition_point(|syllable| &**syllable < letters);
    syllables[from..]
        .iter()
        .take_while(move |syllable| syllable.starts_with(letters))
        .map(|syllable| &**syllable)
}

/// Whether `letters` is a whole reading of some character.
pub(super) fn is_syllable(letters: &str) -> bool {
    syllables()
        .binary_search_by(|syllable| (**syllable).cmp(letters))
        .is_ok()
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

    #[test]
    fn syllables_are_the_readings_of_the_tables() {
        assert!(is_syllable("yi") && is_syllable("zhuang") && is_syllable("lv") && is_syllable("hang"));
        assert!(!is_syllable("y") && !is_syllable("yiy") && !is_syllable("st"));
        assert_eq!(
            syllables_starting_with("yao").collect::<Vec<_>>(),
            ["yao"],
            "yao is a syllable and starts no longer one"
        );
        let ya: Vec<&str> = syllables_starting_with("ya").collect();
        assert_eq!(ya, ["ya", "yan", "yang", "yao"]);
        assert_eq!(syllables_starting_with("yiyuan").count(), 0);
        assert!(
            syllables().len() > 380 && syllables().len() < 600,
            "{}",
            syllables().len()
        );
        assert!(
            syllables().iter().all(|syllable| syllable.len() <= 6),
            "readings are at most six letters"
        );
    }

    #[test]
    fn the_table_reads_every_character_as_the_crate_does() {
        let read = |c: char, from_crate: bool| {
            let mut all: Vec<String> = Vec::new();
            let push = |reading: &str| all.push(reading.to_owned());
            if from_crate {
                readings_from_crate(c, push);
            } else {
                for_each_reading(c, push);
            }
            all
        };
        let mut with_readings = 0;
        for c in (0..=u32::from(char::MAX)).filter_map(char::from_u32) {
            let expected = read(c, true);
            assert_eq!(read(c, false), expected, "{c}");
            let tabulated = (FIRST_TABULATED..=LAST_TABULATED).contains(&u32::from(c));
            assert!(
                expected.is_empty() || tabulated || SUPPLEMENTARY.contains(&c),
                "{c}"
            );
            with_readings += usize::from(!expected.is_empty());
        }
        assert!(with_readings > 20_000, "{with_readings}");
        assert_eq!(read('行', false)[..2], ["xing", "hang"]);
        assert_eq!(read('绿', false)[0], "lv");
    }
}
