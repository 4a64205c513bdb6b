//! Checks of what callers write, with messages that say how to fix it.

use crate::error::{AppError, AppResult};

/// Trimmed text of `min` to `max` characters, without control characters.
pub fn text(field: &str, value: &str, min: usize, max: usize) -> AppResult<String> {
    let trimmed = value.trim();
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
