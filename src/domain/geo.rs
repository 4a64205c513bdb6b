//! Points on the earth: validation, coordinate systems, great-circle distances and the
//! conversion of travel time into straight-line distance.

use crate::error::{AppError, AppResult};

/// Mean earth radius (IUGG), the radius of the haversine formula.
pub const EARTH_RADIUS_METERS: f64 = 6_371_008.8;

/// The largest radius a search may cover, so one request cannot scan a whole country.
pub const MAX_RADIUS_METERS: f64 = 50_000.0;

/// A WGS-84 position in degrees: what yizhan stores and computes with.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    /// Latitude in degrees, north positive.
    pub lat: f64,
    /// Longitude in degrees, east positive.
    pub lng: f64,
}

/// The coordinate systems phones report in China.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum CoordinateSystem {
    /// GPS and international maps.
    #[default]
    Wgs84,
    /// The offset system of Chinese map SDKs (AMap, Tencent).
    Gcj02,
    /// Baidu's system, derived from GCJ-02.
    Bd09,
}

impl Point {
    /// Validates a caller's coordinates and converts them to WGS-84.
    pub fn from_system(lat: f64, lng: f64, system: CoordinateSystem) -> AppResult<Self> {
        if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
            return Err(AppError::bad_input(format!(
                "lat must be a latitude between -90 and 90 degrees, got {lat}"
            )));
        }
        if !lng.is_finite() || !(-180.0..=180.0).contains(&lng) {
            return Err(AppError::bad_input(format!(
                "lng must be a longitude between -180 and 180 degrees, got {lng}"
            )));
        }
        let (lng, lat) = match system {
            CoordinateSystem::Wgs84 => (lng, lat),
            CoordinateSystem::Gcj02 => coordtransform::gcj02_to_wgs84(lng, lat),
            CoordinateSystem::Bd09 => coordtransform::bd09_to_wgs84(lng, lat),
        };
        Ok(Self { lat, lng })
    }

    /// This WGS-84 point expressed in `system`.
    pub fn in_system(self, system: CoordinateSystem) -> Self {
        let (lng, lat) = match system {
            CoordinateSystem::Wgs84 => (self.lng, self.lat),
            CoordinateSystem::Gcj02 => coordtransform::wgs84_to_gcj02(self.lng, self.lat),
            CoordinateSystem::Bd09 => coordtransform::wgs84_to_bd09(self.lng, self.lat),
        };
        Self { lat, lng }
    }

    /// Great-circle distance in metres (haversine on the mean earth radius).
    pub fn distance_to(self, other: Point) -> f64 {
        let (lat1, lat2) = (self.lat.to_radians(), other.lat.to_radians());
        let dlat = lat2 - lat1;
        let dlng = (other.lng - self.lng).to_radians();
        let a = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlng / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_METERS * a.sqrt().asin()
    }
}

/// A rectangle places must lie in, when the city sets one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ServiceArea {
    /// The southern edge, in degrees of latitude.
    pub south: f64,
    /// The western edge, in degrees of longitude.
    pub west: f64,
    /// The northern edge, in degrees of latitude.
    pub north: f64,
    /// The eastern edge, in degrees of longitude.
    pub east: f64,
}

impl ServiceArea {
    /// Whether `point` lies inside, edges included.
    pub fn contains(self, point: Point) -> bool {
        (self.south..=self.north).contains(&point.lat) && (self.west..=self.east).contains(&point.lng)
    }
}

impl std::fmt::Display for ServiceArea {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "latitude {} to {}, longitude {} to {}",
            self.south, self.north, self.west, self.east
        )
    }
}

impl std::str::FromStr for ServiceArea {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let numbers: Vec<f64> = text
            .split(',')
            .map(|part| part.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?;
        let [south, west, north, east] = numbers[..] else {
            return Err("expected four numbers".to_owned());
        };
        if south >= north || west >= east {
            return Err("south must be below north and west below east".to_owned());
        }
        Ok(Self {
            south,
            west,
            north,
            east,
        })
    }
}

/// How a worker travels to a place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TravelMode {
    /// On foot.
    Walk,
    /// By electric bike, as most riders travel.
    Ebike,
    /// By car or truck.
    Car,
}

/// Speeds along streets and the detour factor that turns a street route into the
/// straight line a map search measures. Chinese planning practice counts a 10-minute walk
/// as 500–550 m straight-line: 4.5 km/h for 10 minutes is 750 m of street, divided by a
/// detour factor of 1.4 gives 536 m.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TravelSpeeds {
    /// Walking speed in km/h.
    pub walk_kmh: f64,
    /// E-bike speed in km/h.
    pub ebike_kmh: f64,
    /// Driving speed in km/h.
    pub car_kmh: f64,
    /// How much longer the road is than the straight line (1.3 means 30 % longer).
    pub detour_factor: f64,
}

impl Default for TravelSpeeds {
    fn default() -> Self {
        Self {
            walk_kmh: 4.5,
            ebike_kmh: 15.0,
            car_kmh: 30.0,
            detour_factor: 1.4,
        }
    }
}

impl TravelSpeeds {
    /// The speeds, or what is wrong with them (each must be positive and finite).
    pub fn validated(self) -> Result<Self, String> {
        let speeds = [self.walk_kmh, self.ebike_kmh, self.car_kmh];
        if speeds.iter().any(|speed| !speed.is_finite() || *speed <= 0.0) {
            return Err("speeds must be positive numbers of km/h".to_owned());
        }
        if !self.detour_factor.is_finite() || self.detour_factor < 1.0 {
            return Err("the detour factor must be at least 1.0".to_owned());
        }
        Ok(self)
    }

    fn meters_per_minute(&self, mode: TravelMode) -> f64 {
        let kmh = match mode {
            TravelMode::Walk => self.walk_kmh,
            TravelMode::Ebike => self.ebike_kmh,
            TravelMode::Car => self.car_kmh,
        };
        kmh * 1000.0 / 60.0
    }

    /// The straight-line radius reachable in `minutes`.
    pub fn radius_for(&self, minutes: f64, mode: TravelMode) -> f64 {
        minutes * self.meters_per_minute(mode) / self.detour_factor
    }

    /// Estimated minutes to cover a straight-line distance.
    pub fn minutes_for(&self, meters: f64, mode: TravelMode) -> f64 {
        meters * self.detour_factor / self.meters_per_minute(mode)
    }
}

/// The radius of a search: a distance, or a travel time by some mode.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Within {
    /// Within this many metres as the crow flies.
    Meters(f64),
    /// Within this many minutes of travel by `mode`.
    Minutes {
        /// How long the trip may take.
        minutes: f64,
        /// How the worker travels.
        mode: TravelMode,
    },
}

impl Within {
    /// Builds the radius from the loose GraphQL input, where exactly one form must be given.
    pub fn from_parts(
        meters: Option<f64>,
        minutes: Option<f64>,
        mode: Option<TravelMode>,
    ) -> AppResult<Self> {
        match (meters, minutes, mode) {
            (Some(meters), None, None) => {
                if !meters.is_finite() || meters <= 0.0 || meters > MAX_RADIUS_METERS {
                    return Err(AppError::bad_input(format!(
                        "within.meters must be more than 0 and at most {MAX_RADIUS_METERS}, got {meters}"
                    )));
                }
                Ok(Self::Meters(meters))
            }
            (None, Some(minutes), Some(mode)) => {
                if !minutes.is_finite() || minutes <= 0.0 || minutes > 120.0 {
                    return Err(AppError::bad_input(format!(
                        "within.minutes must be more than 0 and at most 120, got {minutes}"
                    )));
                }
                Ok(Self::Minutes { minutes, mode })
            }
            _ => Err(AppError::bad_input(
                "within takes either { meters } or { minutes, mode }, for example { minutes: 10, mode: EBIKE }",
            )),
        }
    }

    /// The straight-line radius in metres, capped at the largest search radius.
    pub fn radius_meters(self, speeds: &TravelSpeeds) -> f64 {
        match self {
            Self::Meters(meters) => meters,
            Self::Minutes { minutes, mode } => speeds.radius_for(minutes, mode).min(MAX_RADIUS_METERS),
        }
    }

    /// The mode whose minutes `travelMinutes` reports: the asked one, else walking.
    pub fn mode(self) -> TravelMode {
        match self {
            Self::Meters(_) => TravelMode::Walk,
            Self::Minutes { mode, .. } => mode,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_degree_of_latitude_is_about_111_km() {
        let a = Point {
            lat: 36.0,
            lng: 116.0,
        };
        let b = Point {
            lat: 37.0,
            lng: 116.0,
        };
        assert!((a.distance_to(b) - 111_195.0).abs() < 10.0);
    }

    #[test]
    fn a_ten_minute_walk_is_about_536_meters_straight_line() {
        let radius = TravelSpeeds::default().radius_for(10.0, TravelMode::Walk);
        assert!((500.0..=550.0).contains(&radius), "{radius}");
        let ebike = TravelSpeeds::default().radius_for(10.0, TravelMode::Ebike);
        assert!((1700.0..=1900.0).contains(&ebike), "{ebike}");
    }

    #[test]
    fn gcj02_round_trips_within_a_metre_and_is_offset_by_hundreds_of_metres_in_feicheng() {
        let hexi = Point {
            lat: 36.1842,
            lng: 116.7682,
        };
        let gcj = hexi.in_system(CoordinateSystem::Gcj02);
        let offset = hexi.distance_to(gcj);
        assert!((300.0..=700.0).contains(&offset), "offset {offset}");
        let back = Point::from_system(gcj.lat, gcj.lng, CoordinateSystem::Gcj02).unwrap();
        assert!(hexi.distance_to(back) < 1.0);
        let bd = hexi.in_system(CoordinateSystem::Bd09);
        let back = Point::from_system(bd.lat, bd.lng, CoordinateSystem::Bd09).unwrap();
        assert!(hexi.distance_to(back) < 1.0);
    }

    #[test]
    fn out_of_range_coordinates_are_refused() {
        assert!(Point::from_system(91.0, 116.0, CoordinateSystem::Wgs84).is_err());
        assert!(Point::from_system(36.0, f64::NAN, CoordinateSystem::Wgs84).is_err());
    }
}
