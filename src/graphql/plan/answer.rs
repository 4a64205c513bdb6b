//! Running a plan: reading a request's arguments, finding what the root fields answer,
//! and writing the JSON.

use async_graphql::{EnumType, ID, InputType, Request, Value};
use chrono::{DateTime, Utc};

use super::{
    Argument, Connection, ConnectionField, EdgeField, IntervalField, LocationField, OfferField,
    PageInfoField, PlaceField, Plan, Root, Selected, StatusField,
};
use crate::{
    auth::Viewer,
    domain::{Domain, directory::Listing},
    graphql::{
        connection::{PageInfo, ranked_cursor},
        enums::{Amenity, CoordinateSystem, PlaceKind, Publication, WorkerGroup},
        ids::{NodeType, global_id},
        limits::{MAX_COMPLEXITY, connection_complexity},
        places::{
            NearbyPlaceConnection, Place, PlaceConnection, SearchResultConnection, nearby_page, place_by_id,
            places_page, search_page,
        },
    },
};

/// What a root field found, before anything is written, with what it selects.
enum Found<'p> {
    Typename,
    Place(&'p [Selected<PlaceField>], Option<Place>),
    Places(&'p Connection, PlaceConnection),
    Nearby(&'p Connection, NearbyPlaceConnection),
    Search(&'p Connection, SearchResultConnection),
}

/// The arguments of the fields below the root, read for one request.
struct Nested {
    systems: Vec<Option<CoordinateSystem>>,
}

impl Plan {
    /// The JSON answer to `request`, whose document this plan was compiled from and whose
    /// variables are valid for their types; none to leave the request to async-graphql.
    pub async fn answer(&self, request: &Request, domain: &Domain, viewer: &Viewer) -> Option<Vec<u8>> {
        match (request.operation_name.as_deref(), &self.name) {
            (None, _) => {}
            (Some(asked), Some(name)) if asked == name.as_str() => {}
            _ => return None,
        }
        let read = Reader { plan: self, request };
        if read.complexity()? > MAX_COMPLEXITY {
            return None;
        }
        let nested = Nested {
            systems: self
                .systems
                .iter()
                .map(|system| read.value::<Option<CoordinateSystem>>(system))
                .collect::<Option<_>>()?,
        };
        // `includeUpcoming: true` asks for the owner's view, which checks the caller's
        // rights and may refuse.
        for upcoming in &self.upcoming {
            if read.value::<Option<bool>>(upcoming)? == Some(true) {
                return None;
            }
        }
        // The field that counts demand is found last, once every other field answered.
        let mut found = Vec::with_capacity(self.root.len());
        for selected in self
            .root
            .iter()
            .filter(|selected| !selected.field.counts_demand())
        {
            found.push(read.find(&selected.field, domain, viewer).await?);
        }
        if let Some(index) = self
            .root
            .iter()
            .position(|selected| selected.field.counts_demand())
        {
            found.insert(index, read.find(&self.root[index].field, domain, viewer).await?);
        }
        let mut writer = Writer {
            json: Vec::with_capacity(2048),
            domain,
            nested: &nested,
            now: Utc::now(),
            group: viewer.identity().and_then(|identity| identity.group),
        };
        writer.json.extend_from_slice(b"{\"data\":");
        writer.object(self.root.iter().zip(&found), |writer, (_, found)| {
            writer.root(found)
        });
        writer.json.push(b'}');
        Some(writer.json)
    }
}

/// Reads a request's arguments as async-graphql does.
struct Reader<'a> {
    plan: &'a Plan,
    request: &'a Request,
}

impl Reader<'_> {
    /// An argument's value: the variables put in (a variable the request omits takes its
    /// default, and null when it has none and is nullable), then read as `T`.
    fn value<T: InputType>(&self, argument: &Argument) -> Option<T> {
        let value = match argument {
            None => None,
            Some(literal) => Some(
                literal
                    .clone()
                    .into_const_with(|name| self.variable(name.as_str()).ok_or(()))
                    .ok()?,
            ),
        };
        T::parse(value).ok()
    }

    fn variable(&self, name: &str) -> Option<Value> {
        let definition = self
            .plan
            .variables
            .iter()
            .find(|definition| definition.node.name.node == name)?;
        self.request
            .variables
            .get(name)
            .or_else(|| definition.node.default_value())
            .cloned()
    }

    /// The operation's complexity as validation counts it, `first` included.
    fn complexity(&self) -> Option<usize> {
        let mut complexity = self.plan.fixed_complexity;
        for selected in &self.plan.root {
            if let Root::Places { connection, .. }
            | Root::Nearby { connection, .. }
            | Root::Search { connection, .. } = &selected.field
            {
                let first = self.value::<Option<i32>>(&connection.first)?;
                complexity += connection_complexity(first, connection.child_complexity);
            }
        }
        Some(complexity)
    }

    async fn find<'p>(&self, root: &'p Root, domain: &Domain, viewer: &Viewer) -> Option<Found<'p>> {
        Some(match root {
            Root::Typename => Found::Typename,
            Root::Place { id, place } => {
                let id: ID = self.value(id)?;
                Found::Place(place, place_by_id(domain, viewer, &id).await.ok()?)
            }
            Root::Places { filter, connection } => Found::Places(
                connection,
                places_page(
                    domain,
                    viewer,
                    self.value(&connection.first)?,
                    self.value(&connection.after)?,
                    self.value(filter)?,
                )
                .ok()?,
            ),
            Root::Nearby {
                near,
                within,
                filter,
                connection,
            } => Found::Nearby(
                connection,
                nearby_page(
                    domain,
                    viewer,
                    self.value(near)?,
                    self.value(within)?,
                    self.value(filter)?,
                    self.value(&connection.first)?,
                    self.value(&connection.after)?,
                )
                .ok()?,
            ),
            Root::Search {
                text,
                near,
                filter,
                connection,
            } => Found::Search(
                connection,
                search_page(
                    domain,
                    viewer,
                    self.value(text)?,
                    self.value(near)?,
                    self.value(filter)?,
                    self.value(&connection.first)?,
                    self.value(&connection.after)?,
                )
                .ok()?,
            ),
        })
    }
}

/// An edge of any of the three connections, as the writer sees it.
struct EdgeView<'e> {
    cursor: Cursor<'e>,
    node: &'e Place,
    distance_meters: Option<f64>,
    travel_minutes: Option<f64>,
}

/// An edge's cursor: written already, or written from its rank only when selected.
enum Cursor<'e> {
    Written(&'e str),
    Ranked(crate::domain::directory::RankKey),
}

/// Writes the answer as async-graphql would serialise it: fields in the order selected,
/// strings and numbers through `serde_json`, dates in RFC 3339, enums by their names.
struct Writer<'a> {
    json: Vec<u8>,
    domain: &'a Domain,
    nested: &'a Nested,
    now: DateTime<Utc>,
    /// The caller's worker group, for `Offer.forMe`.
    group: Option<entity::place::WorkerGroup>,
}

impl Writer<'_> {
    fn object<T>(&mut self, fields: impl IntoIterator<Item = T>, mut write: impl FnMut(&mut Self, T))
    where
        T: Keyed,
    {
        self.json.push(b'{');
        for (index, field) in fields.into_iter().enumerate() {
            if index > 0 {
                self.json.push(b',');
            }
            self.json.push(b'"');
            self.json.extend_from_slice(field.key().as_bytes());
            self.json.extend_from_slice(b"\":");
            write(self, field);
        }
        self.json.push(b'}');
    }

    fn list<T>(&mut self, items: impl IntoIterator<Item = T>, mut write: impl FnMut(&mut Self, T)) {
        self.json.push(b'[');
        for (index, item) in items.into_iter().enumerate() {
            if index > 0 {
                self.json.push(b',');
            }
            write(self, item);
        }
        self.json.push(b']');
    }

    fn null(&mut self) {
        self.json.extend_from_slice(b"null");
    }

    /// A string, a number or a boolean, as `serde_json` writes it (a float that is not
    /// finite as null, as async-graphql turns it into null).
    fn scalar<T: serde::Serialize + ?Sized>(&mut self, value: &T) {
        if serde_json::to_writer(&mut self.json, value).is_err() {
            // Only a map with non-string keys fails to serialise, and scalars are none.
            self.null();
        }
    }

    fn optional<T>(&mut self, value: Option<T>, write: impl FnOnce(&mut Self, T)) {
        match value {
            Some(value) => write(self, value),
            None => self.null(),
        }
    }

    fn time(&mut self, time: DateTime<Utc>) {
        self.scalar(&time.to_rfc3339());
    }

    fn enumeration<E: EnumType>(&mut self, value: E) {
        match E::items().iter().find(|item| item.value == value) {
            Some(item) => self.scalar(item.name),
            None => self.null(),
        }
    }

    fn typename(&mut self, name: &str) {
        self.scalar(name);
    }

    fn root(&mut self, found: &Found<'_>) {
        match found {
            Found::Typename => self.typename("Query"),
            Found::Place(fields, place) => {
                self.optional(place.as_ref(), |writer, place| writer.place(place, fields));
            }
            Found::Places(connection, page) => {
                let edges = page.edges.iter().map(|edge| EdgeView {
                    cursor: Cursor::Written(&edge.cursor),
                    node: &edge.node,
                    distance_meters: None,
                    travel_minutes: None,
                });
                self.connection(connection, edges, &page.page_info, || page.total_count);
            }
            Found::Nearby(connection, page) => {
                let edges = page.edge_list().iter().map(|edge| EdgeView {
                    cursor: Cursor::Ranked(edge.key),
                    node: &edge.node,
                    distance_meters: Some(edge.distance_meters),
                    travel_minutes: Some(edge.travel_minutes),
                });
                let domain = self.domain;
                self.connection(connection, edges, page.page(), || page.total_count_in(domain));
            }
            Found::Search(connection, page) => {
                let edges = page.edge_list().iter().map(|edge| EdgeView {
                    cursor: Cursor::Ranked(edge.key),
                    node: &edge.node,
                    distance_meters: edge.distance_meters,
                    travel_minutes: edge.travel_minutes,
                });
                let domain = self.domain;
                self.connection(connection, edges, page.page(), || page.total_count_in(domain));
            }
        }
    }

    fn connection<'e>(
        &mut self,
        connection: &Connection,
        edges: impl Iterator<Item = EdgeView<'e>> + Clone,
        page_info: &PageInfo,
        total_count: impl Fn() -> i32,
    ) {
        self.object(&connection.fields, |writer, selected| match &selected.field {
            ConnectionField::Typename(name) => writer.typename(name),
            ConnectionField::Edges(fields) => writer.list(edges.clone(), |writer, edge| {
                writer.object(fields, |writer, selected| match &selected.field {
                    EdgeField::Typename(name) => writer.typename(name),
                    EdgeField::Cursor => match edge.cursor {
                        Cursor::Written(cursor) => writer.scalar(cursor),
                        Cursor::Ranked(key) => writer.scalar(&ranked_cursor(key)),
                    },
                    EdgeField::Node(fields) => writer.place(edge.node, fields),
                    EdgeField::DistanceMeters => writer.optional(edge.distance_meters, |writer, meters| {
                        writer.scalar(&meters);
                    }),
                    EdgeField::TravelMinutes => writer.optional(edge.travel_minutes, |writer, minutes| {
                        writer.scalar(&minutes);
                    }),
                });
            }),
            ConnectionField::PageInfo(fields) => {
                writer.object(fields, |writer, selected| match &selected.field {
                    PageInfoField::Typename => writer.typename("PageInfo"),
                    PageInfoField::HasNextPage => writer.scalar(&page_info.has_next_page),
                    PageInfoField::HasPreviousPage => writer.scalar(&page_info.has_previous_page),
                    PageInfoField::StartCursor => writer.scalar(&page_info.start_cursor),
                    PageInfoField::EndCursor => writer.scalar(&page_info.end_cursor),
                })
            }
            ConnectionField::TotalCount => writer.scalar(&total_count()),
        });
    }

    fn place(&mut self, place: &Place, fields: &[Selected<PlaceField>]) {
        let listing: &Listing = place.listing();
        let now = self.now;
        self.object(fields, |writer, selected| match &selected.field {
            PlaceField::Typename => writer.typename("Place"),
            PlaceField::Id => writer.scalar(&global_id(NodeType::Place, listing.id).0),
            PlaceField::Kind => writer.enumeration(PlaceKind::from(listing.kind)),
            PlaceField::Name => writer.scalar(listing.name()),
            PlaceField::Address => writer.scalar(listing.address()),
            PlaceField::Description => writer.scalar(&listing.description()),
            PlaceField::Location { system, location } => {
                let system = writer.nested.systems.get(*system).copied().flatten();
                let point = listing.point().in_system(system.unwrap_or_default().into());
                writer.object(location, |writer, selected| match &selected.field {
                    LocationField::Typename => writer.typename("Location"),
                    LocationField::Lat => writer.scalar(&point.lat),
                    LocationField::Lng => writer.scalar(&point.lng),
                });
            }
            PlaceField::OpeningHours => writer.scalar(listing.opening_hours()),
            PlaceField::TimeZone => writer.scalar(listing.time_zone()),
            PlaceField::FollowsWorkCalendar => writer.scalar(&listing.follows_work_calendar),
            PlaceField::OpenNow => writer.scalar(&listing.is_open_now(now)),
            PlaceField::NextChange => {
                let next = listing
                    .schedule
                    .as_ref()
                    .and_then(|schedule| schedule.next_change(now));
                writer.optional(next, Writer::time);
            }
            PlaceField::TodayHours(fields) => writer.list(place.today_hours_at(now), |writer, interval| {
                writer.object(fields, |writer, selected| match &selected.field {
                    IntervalField::Typename => writer.typename("OpeningInterval"),
                    IntervalField::Opens => writer.time(interval.opens),
                    IntervalField::Closes => writer.time(interval.closes),
                });
            }),
            PlaceField::Amenities => writer.list(listing.amenities(), |writer, amenity| {
                writer.enumeration(Amenity::from(amenity));
            }),
            PlaceField::ServesGroups => writer.list(listing.serves_groups(), |writer, group| {
                writer.enumeration(WorkerGroup::from(group));
            }),
            PlaceField::Phone => writer.scalar(&listing.phone()),
            PlaceField::Publication => writer.enumeration(Publication::from(listing.publication)),
            PlaceField::Version => writer.scalar(&listing.version),
            PlaceField::Status(fields) => writer.optional(place.status_at(now), |writer, status| {
                writer.object(fields, |writer, selected| match &selected.field {
                    StatusField::Typename => writer.typename("PlaceStatus"),
                    StatusField::State => writer.enumeration(status.state),
                    StatusField::SeatsFree => writer.scalar(&status.seats_free),
                    StatusField::Note => writer.scalar(&status.note),
                    StatusField::UpdatedAt => writer.time(status.updated_at),
                    StatusField::ExpiresAt => writer.time(status.expires_at),
                });
            }),
            PlaceField::Offers(fields) => {
                let group = writer.group;
                writer.list(listing.current_offers(now), |writer, offer| {
                    writer.object(fields, |writer, selected| match &selected.field {
                        OfferField::Typename => writer.typename("Offer"),
                        OfferField::Id => writer.scalar(&global_id(NodeType::Offer, offer.id).0),
                        OfferField::Title => writer.scalar(&offer.title),
                        OfferField::Description => writer.scalar(&offer.description),
                        OfferField::Groups => writer.list(offer.groups.0.iter(), |writer, &group| {
                            writer.enumeration(WorkerGroup::from(group));
                        }),
                        OfferField::ForMe => writer.scalar(&Listing::offer_is_for(offer, group)),
                        OfferField::ValidFrom => writer.time(offer.valid_from),
                        OfferField::ValidUntil => writer.time(offer.valid_until),
                        OfferField::Version => writer.scalar(&offer.version),
                    });
                });
            }
            PlaceField::CreatedAt => writer.time(listing.created_at()),
            PlaceField::UpdatedAt => writer.time(listing.updated_at()),
        });
    }
}

/// A field with its response key.
trait Keyed {
    fn key(&self) -> &str;
}

impl<F> Keyed for &Selected<F> {
    fn key(&self) -> &str {
        self.key.as_str()
    }
}

impl<F, T> Keyed for (&Selected<F>, T) {
    fn key(&self) -> &str {
        self.0.key.as_str()
    }
}
