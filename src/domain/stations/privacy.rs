//! Walk-in borrowers' personal data under China's PIPL: how a phone is checked and
//! masked, and the erasure of names and phones a set number of days after the return
//! (run by the directory follower's maintenance, every ten minutes).

use chrono::Duration;
use sea_orm::{ConnectionTrait, DatabaseConnection};

use crate::{
    domain::{change_log::statement, voice::clock},
    error::{AppError, AppResult},
};

/// `138****1234`: the first three and the last four digits.
pub fn mask_phone(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 8 {
        return "****".to_owned();
    }
    let head: String = digits[..3].iter().collect();
    let tail: String = digits[digits.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

/// A mainland mobile number (11 digits from 1), written with or without spaces, dashes
/// or +86; stored as the 11 digits.
pub fn mobile_number(value: &str) -> AppResult<String> {
    let compact: String = value.trim().chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let digits = compact.strip_prefix("+86").unwrap_or(&compact);
    if digits.len() == 11 && digits.starts_with('1') && digits.chars().all(|c| c.is_ascii_digit()) {
        Ok(digits.to_owned())
    } else {
        Err(AppError::bad_input(format!(
            "borrower.phone {value:?} is not a mainland mobile number: 11 digits starting with 1, such as 13812341234"
        )))
    }
}

/// The loans per statement of `erase_expired`, so one pass never holds a long lock.
const ERASE_BATCH: u64 = 500;

/// Erases walk-in borrowers' names and phones from loans returned more than
/// `retention_days` ago, in bounded batches. Returns how many loans it erased.
pub async fn erase_expired(db: &DatabaseConnection, retention_days: u32) -> AppResult<u64> {
    let now = clock::now(db).await?;
    let cutoff = now - Duration::days(i64::from(retention_days));
    let backend = db.get_database_backend();
    let mut erased = 0;
    // At most 200 batches a run; what is left waits for the next run.
    for _ in 0..200 {
        let done = db
            .execute_raw(statement(
                backend,
                &format!(
                    "UPDATE loans SET borrower_name = NULL, borrower_phone = NULL, erased_at = ? \
                     WHERE id IN (SELECT id FROM loans WHERE returned_at < ? AND erased_at IS NULL \
                     AND (borrower_name IS NOT NULL OR borrower_phone IS NOT NULL) LIMIT {ERASE_BATCH})"
                ),
                vec![now.into(), cutoff.into()],
            ))
            .await?
            .rows_affected();
        erased += done;
        if done < ERASE_BATCH {
            break;
        }
    }
    Ok(erased)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_masked_to_the_first_three_and_last_four_digits() {
        assert_eq!(mask_phone("13812341234"), "138****1234");
        assert_eq!(mask_phone("123"), "****");
    }

    #[test]
    fn walk_in_phones_are_mainland_mobile_numbers() {
        assert_eq!(mobile_number("+86 138-1234-1234").unwrap(), "13812341234");
        assert!(mobile_number("0538-3221234").is_err());
        assert!(mobile_number("1381234123").is_err());
    }
}
