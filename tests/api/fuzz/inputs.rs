//! The inputs the property tests generate: well-typed values that reach the rules, and
//! values of any type that test coercion.

use proptest::prelude::*;
use serde_json::{Map, Value, json};

pub(super) const KINDS: &[&str] = &[
    "PARTY_SERVICE_CENTER",
    "GRID_STATION",
    "UNION_STATION",
    "RIDER_STATION",
    "CITY_STATION",
    "SANITATION_REST_ROOM",
    "RIDER_CANTEEN",
];
pub(super) const AMENITIES: &[&str] = &[
    "DRINKING_WATER",
    "HOT_WATER",
    "MICROWAVE",
    "AIR_CONDITIONING",
    "HEATING",
    "WIFI",
];
pub(super) const GROUPS: &[&str] = &[
    "DELIVERY_RIDER",
    "COURIER",
    "TRUCK_DRIVER",
    "RIDE_HAILING_DRIVER",
    "SANITATION_WORKER",
];
pub(super) const SYSTEMS: &[&str] = &["WGS84", "GCJ02", "BD09"];
pub(super) const MODES: &[&str] = &["WALK", "EBIKE", "CAR"];

/// Whether a generated value has the type the schema declares (so it reaches the
/// resolvers and the rules) or may be anything at all (so it tests coercion).
#[derive(Clone, Copy)]
pub(super) enum Shape {
    Typed,
    Any,
}

/// Adds the wrong-type alternatives when the shape allows anything.
fn or_anything(shape: Shape, typed: BoxedStrategy<Value>, wrong: Vec<Value>) -> BoxedStrategy<Value> {
    match shape {
        Shape::Typed => typed,
        Shape::Any => prop_oneof![6 => typed, 1 => prop::sample::select(wrong), 1 => any::<String>().prop_map(Value::from)].boxed(),
    }
}

/// Floats as JSON allows them (NaN and infinities become null), edge values, integers past
/// f64's exact range, and realistic coordinates near the demo city.
pub(super) fn float(shape: Shape) -> BoxedStrategy<Value> {
    let typed = prop_oneof![
        3 => any::<f64>().prop_filter("JSON has no NaN or infinity", |f| f.is_finite()).prop_map(Value::from),
        2 => prop::sample::select(vec![
            0.0, -0.0, f64::MAX, f64::MIN, f64::MIN_POSITIVE, 5e-324, 1e308, -1e308, 90.0, -90.0,
            90.000_000_1, 180.0, -180.000_000_1, 1e15, -1e-300,
        ])
        .prop_map(Value::from),
        1 => prop::sample::select(vec![json!(i64::MAX), json!(u64::MAX), json!(i64::MIN), json!(0)]),
        2 => (35.9..36.5f64).prop_map(Value::from),
        2 => (116.4..117.1f64).prop_map(Value::from),
    ]
    .boxed();
    or_anything(
        shape,
        typed,
        vec![
            Value::Null,
            json!("NaN"),
            json!("Infinity"),
            json!(true),
            json!([1.0]),
            json!({ "x": 1 }),
        ],
    )
}

/// Mostly a plausible value in `low..high`, so the rules past the range checks run too.
pub(super) fn float_in(shape: Shape, low: f64, high: f64) -> BoxedStrategy<Value> {
    prop_oneof![4 => (low..high).prop_map(Value::from), 1 => float(shape)].boxed()
}

/// Unicode, control and format characters, empty, blank, and long past every limit.
pub(super) fn string(shape: Shape) -> BoxedStrategy<Value> {
    let typed = prop_oneof![
        3 => any::<String>().prop_map(Value::from),
        3 => "[\\x00-\\x1f\\x7f\u{200b}\u{202e}\u{feff}\u{fffd}\u{10ffff}a-z0-9 药食堂站驿]{0,64}".prop_map(Value::from),
        1 => (0usize..25_000).prop_map(|n| Value::from("界".repeat(n))),
        1 => prop::sample::select(vec![json!(""), json!(" "), json!("\u{0}")]),
    ]
    .boxed();
    or_anything(
        shape,
        typed,
        vec![Value::Null, json!(42), json!(["a"]), json!({})],
    )
}

/// RFC 3339 instants with any year (chrono's range is ±262143) and odd offsets; when any
/// shape goes, also out-of-range fields, free text and numbers.
pub(super) fn datetime(shape: Shape) -> BoxedStrategy<Value> {
    let offset = prop::sample::select(vec!["Z", "+08:00", "-23:59", "+14:00", "z", "-00:00"]);
    let typed = prop_oneof![
        3 => (-262_143i32..=262_142, 1u32..=12, 1u32..=28, 0u32..=23, 0u32..=59, offset.clone())
            .prop_map(|(y, mo, d, h, mi, off)| Value::from(format!("{y:+07}-{mo:02}-{d:02}T{h:02}:{mi:02}:00{off}"))),
        3 => (1i32..=9999, 1u32..=12, 1u32..=28, 0u32..=23, 0u32..=59, offset)
            .prop_map(|(y, mo, d, h, mi, off)| Value::from(format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:59.123456789{off}"))),
        1 => prop::sample::select(vec![
            "+262142-12-31T23:00:00Z", "-262143-01-01T00:00:00Z", "1969-12-31T23:59:59Z",
            "2200-12-31T23:59:59+14:00", "2201-01-01T00:00:00Z", "0000-01-01T00:00:00Z",
            "1970-01-01T00:00:00-23:59", "2016-12-31T23:59:60Z",
        ])
        .prop_map(Value::from),
    ]
    .boxed();
    match shape {
        Shape::Typed => typed,
        Shape::Any => prop_oneof![
            4 => typed,
            2 => (-999_999i32..=999_999, 0u32..=13, 0u32..=32, 0u32..=25, 0u32..=61, 0u32..=61)
                .prop_map(|(y, mo, d, h, mi, s)| Value::from(format!("{y:+07}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}+99:99"))),
            1 => string(Shape::Any),
            1 => any::<i64>().prop_map(Value::from),
        ]
        .boxed(),
    }
}

/// An enum value: valid, or (when any shape goes) misspelt or not a string.
pub(super) fn enumeration(shape: Shape, values: &'static [&'static str]) -> BoxedStrategy<Value> {
    let typed = prop::sample::select(values).prop_map(Value::from).boxed();
    match shape {
        Shape::Typed => typed,
        Shape::Any => {
            prop_oneof![4 => typed, 1 => "[A-Za-z_]{0,20}".prop_map(Value::from), 1 => string(Shape::Any)]
                .boxed()
        }
    }
}

/// Lists: null, empty, long, full of duplicates, or a single value (which GraphQL coerces
/// to a list of one); when any shape goes, with null and foreign entries too.
pub(super) fn list(shape: Shape, element: BoxedStrategy<Value>) -> BoxedStrategy<Value> {
    let entry = match shape {
        Shape::Typed => element.clone(),
        Shape::Any => {
            prop_oneof![8 => element.clone(), 1 => Just(Value::Null), 1 => string(Shape::Any)].boxed()
        }
    };
    prop_oneof![
        1 => Just(Value::Null),
        3 => prop::collection::vec(entry, 0..40).prop_map(Value::Array),
        1 => (element.clone(), 0usize..3_000).prop_map(|(value, n)| Value::Array(vec![value; n])),
        1 => element,
    ]
    .boxed()
}

pub(super) fn int(shape: Shape) -> BoxedStrategy<Value> {
    let typed = prop_oneof![
        3 => (-5i64..130).prop_map(Value::from),
        1 => any::<i32>().prop_map(Value::from),
        1 => prop::sample::select(vec![json!(i32::MAX), json!(i32::MIN), json!(0), json!(-1)]),
    ]
    .boxed();
    or_anything(
        shape,
        typed,
        vec![
            json!(i64::MAX),
            json!(u64::MAX),
            json!(1.5),
            json!(1e20),
            Value::Null,
            json!("10"),
        ],
    )
}

pub(super) fn boolean(shape: Shape) -> BoxedStrategy<Value> {
    or_anything(
        shape,
        any::<bool>().prop_map(Value::from).boxed(),
        vec![Value::Null, json!(1), json!("true")],
    )
}

/// A cursor: free text, or base64 of free text, as a tampered cursor would be.
pub(super) fn cursor(shape: Shape) -> BoxedStrategy<Value> {
    use base64::Engine;
    prop_oneof![
        1 => string(shape),
        1 => (any::<String>(), any::<i64>()).prop_map(|(prefix, n)| {
            Value::from(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{prefix}:{n}")))
        }),
    ]
    .boxed()
}

/// An object with the `required` fields always and each `optional` one present or not;
/// when any shape goes, required fields may be missing too.
pub(super) fn object(
    shape: Shape,
    required: Vec<(&'static str, BoxedStrategy<Value>)>,
    optional: Vec<(&'static str, BoxedStrategy<Value>)>,
) -> BoxedStrategy<Value> {
    let sometimes_missing = matches!(shape, Shape::Any);
    let (names, strategies): (Vec<_>, Vec<_>) = required
        .into_iter()
        .map(|(name, strategy)| {
            let strategy = if sometimes_missing {
                prop_oneof![5 => strategy.prop_map(Some), 1 => Just(None)].boxed()
            } else {
                strategy.prop_map(Some).boxed()
            };
            (name, strategy)
        })
        .chain(
            optional
                .into_iter()
                .map(|(name, strategy)| (name, prop::option::of(strategy).boxed())),
        )
        .unzip();
    strategies
        .prop_map(move |values| {
            let map: Map<String, Value> = names
                .iter()
                .zip(values)
                .filter_map(|(name, value)| value.map(|value| ((*name).to_owned(), value)))
                .collect();
            Value::Object(map)
        })
        .boxed()
}

pub(super) fn filter(shape: Shape) -> BoxedStrategy<Value> {
    let fields = object(
        shape,
        vec![],
        vec![
            ("kinds", list(shape, enumeration(shape, KINDS))),
            ("amenities", list(shape, enumeration(shape, AMENITIES))),
            ("groups", list(shape, enumeration(shape, GROUPS))),
            ("openNow", boolean(shape)),
            ("openAt", datetime(shape)),
            ("offersForMe", boolean(shape)),
            ("available", boolean(shape)),
            ("minRating", float_in(shape, 0.0, 5.0)),
        ],
    );
    match shape {
        Shape::Typed => prop_oneof![1 => Just(Value::Null), 6 => fields].boxed(),
        Shape::Any => prop_oneof![1 => Just(Value::Null), 1 => string(shape), 6 => fields].boxed(),
    }
}

pub(super) fn location(shape: Shape) -> BoxedStrategy<Value> {
    object(
        shape,
        vec![
            ("lat", float_in(shape, 35.9, 36.5)),
            ("lng", float_in(shape, 116.4, 117.1)),
        ],
        vec![("system", enumeration(shape, SYSTEMS))],
    )
}

/// Opening hours: valid and nearly valid OSM expressions, and any other text.
pub(super) fn opening_hours(shape: Shape) -> BoxedStrategy<Value> {
    prop_oneof![
        2 => prop::sample::select(vec![
            "24/7", "Mo-Fr 08:00-18:00", "Mo-Su 00:00-24:00", "Mo-Su 22:00-06:00", "PH off",
            "Jan-Mar Mo 10:00-12:00", "sunrise-sunset", "Mo 25:00-26:00", "Mo-Su 00:00-48:00",
            "week 1-53/2 Fr 09:00-12:00", "easter +1 day 10:00-11:00", "2200 Jan 01 10:00-11:00",
            "1900-2300 Mo 10:00-11:00", "Mo[-1] 10:00-11:00", "SH off; Mo-Su 08:00-09:00+",
            "Mo-Su 10:00-10:00", "Mo-Su 23:59-00:01", "Dec 25-Jan 05 off; 24/7",
        ])
        .prop_map(Value::from),
        2 => "[A-Za-z0-9:;,+/ \\-\\[\\]]{0,60}".prop_map(Value::from),
        1 => string(shape),
    ]
    .boxed()
}

/// Three cases in four are well typed, so they reach the rules; the rest may be anything.
pub(super) fn cases(variables: impl Fn(Shape) -> BoxedStrategy<Value>) -> BoxedStrategy<Value> {
    prop_oneof![3 => variables(Shape::Typed), 1 => variables(Shape::Any)].boxed()
}
