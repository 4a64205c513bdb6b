//! The settings of a deployment that change how the rules decide, chosen by the city and
//! read from the configuration at start-up.

use super::geo::{ServiceArea, TravelSpeeds};

/// The network's adjustable rules.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rules {
    /// Where places may be; anywhere when `None`.
    pub service_area: Option<ServiceArea>,
    /// Moving a published place further than this many metres sends it back to review.
    pub review_move_meters: f64,
    /// The speeds that turn "within 10 minutes" into a radius and distances into minutes.
    pub travel: TravelSpeeds,
    /// How long a live status lasts when its owner does not say.
    pub status_default_minutes: i32,
    /// The longest a live status may last.
    pub status_max_minutes: i32,
    /// A walk-in borrower's name and phone are erased this many days after the return
    /// (China's PIPL: kept no longer than the register needs them).
    pub loan_pii_retention_days: u32,
}
