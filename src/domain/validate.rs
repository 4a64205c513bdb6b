//! Checks of what callers write, with messages that say how to fix it.

use unicode_normalization::UnicodeNormalization;

use crate::error::{AppError, AppResult};

/// Unicode's format characters (general category Cf, Unicode 15): invisible, yet they
/// reorder or hide text, so "U+202E药店" would display reversed and "药\u{200B}店" would
/// look like a listing it is not.
const FORMAT_CHARACTERS: &[(char, char)] = &[
    ('\u{00AD}', '\u{00AD}'),
    ('\u{0600}', '\u{0605}'),
    ('\u{061C}', '\u{061C}'),
    ('\u{06DD}', '\u{06DD}'),
    ('\u{070F}', '\u{070F}'),
    ('\u{0890}', '\u{0891}'),
    ('\u{08E2}', '\u{08E2}'),
    ('\u{180E}', '\u{180E}'),
    ('\u{200B}', '\u{200F}'),
    ('\u{202A}', '\u{202E}'),
    ('\u{2060}', '\u{2064}'),
    ('\u{2066}', '\u{206F}'),
    ('\u{FEFF}', '\u{FEFF}'),
    ('\u{FFF9}', '\u{FFFB}'),
    ('\u{110BD}', '\u{110BD}'),
    ('\u{110CD}', '\u{110CD}'),
    ('\u{13430}', '\u{1343F}'),
    ('\u{1BCA0}', '\u{1BCA3}'),
    ('\u{1D173}', '\u{1D17A}'),
    ('\u{E0001}', '\u{E0001}'),
    ('\u{E0020}', '\u{E007F}'),
];

fn is_format_character(c: char) -> bool {
    FORMAT_CHARACTERS
        .iter()
        .any(|&(first, last)| (first..=last).contains(&c))
}

/// A name or an address: text as `text` checks it, with no invisible format characters.
pub fn name(field: &str, value: &str, min: usize, max: usize) -> AppResult<String> {
    let checked = text(field, value, min, max)?;
    if let Some(c) = checked.chars().find(|c| is_format_character(*c)) {
        return Err(AppError::bad_input(format!(
            "{field} must not contain invisible formatting characters (found U+{:04X}); type it plainly",
            u32::from(c)
        )));
    }
    Ok(checked)
}

/// Trimmed text of `min` to `max` characters in Unicode NFC (so that one name has one
/// spelling), without control characters.
pub fn text(field: &str, value: &str, min: usize, max: usize) -> AppResult<String> {
    let normalized: String = value.nfc().collect();
    let trimmed = normalized.trim();
    let length = trimmed.chars().count();
    if length < min || length > max {
        return Err(AppError::bad_input(format!(
            "{field} must be {min} to {max} characters long, got {length}"
        )));
    }
    if trimmed.chars().any(|c| c.is_control() && c != '\n') {
        return Err(AppError::bad_input(format!(
            "{field} must not contain control characters"
        )));
    }
    Ok(trimmed.to_owned())
}

/// Accepts mainland and international forms: digits with optional +, spaces, dashes and
/// parentheses, 5 to 20 digits in all (hotlines such as 12345 included).
pub fn phone(value: &str) -> AppResult<String> {
    let trimmed = value.trim();
    let digits = trimmed.chars().filter(char::is_ascii_digit).count();
    let allowed = trimmed.chars().all(|c| c.is_ascii_digit() || " +-()".contains(c));
    if !allowed || !(5..=20).contains(&digits) || trimmed.len() > 32 {
        return Err(AppError::bad_input(format!(
            "phone {trimmed:?} is not a phone number: use digits with optional +, spaces, dashes or \
             parentheses, such as \"0538-3221234\" or \"+86 138 0000 0000\""
        )));
    }
    Ok(trimmed.to_owned())
}

/// Sorted, without repeats.
pub fn deduplicated<T: Ord>(mut items: Vec<T>) -> Vec<T> {
    items.sort();
    items.dedup();
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_composed_and_refuse_invisible_characters() {
        assert_eq!(name("name", " Cafe\u{301} ", 2, 100).unwrap(), "Caf\u{e9}");
        for hidden in ["\u{202E}药店", "药\u{200B}店", "\u{FEFF}药店", "药店\u{2066}"] {
            assert!(name("name", hidden, 2, 100).is_err(), "{hidden:?}");
        }
        assert!(name("name", "骑手食堂", 2, 100).is_ok());
    }
}
