//! Compiled plans: the riders' discovery documents answered without the general executor.
//!
//! async-graphql resolves every field of every object through a boxed future, gathers the
//! answers in a tree of values and then serialises the tree: for a page of ten places
//! with a dozen fields each, that is most of a request's CPU. A query whose selections are
//! all discovery fields over the in-memory directory (`place`, `places`, `nearby` and
//! `search`, with a place's own data, location, hours, status and current offers) is
//! compiled into a plan once its document has passed every validation rule. Later
//! requests with that document, whose variables are checked as before, run the plan: it
//! reads the arguments as async-graphql does, calls the same functions the resolvers call
//! and writes the JSON answer directly.
//!
//! A plan never answers with an error and never answers differently: anything it does not
//! cover is left to async-graphql, which answers as it always did. Documents with
//! directives, with a response key selected twice, or with a field that reads the database
//! or the caller's rights (reviews, loans, history, favourites…) are not compiled; a
//! request whose arguments do not read, whose complexity may exceed the limit, or whose
//! resolver refuses it, is handed back before anything is written.

mod answer;

use std::{
    cell::{Cell, RefCell},
    collections::HashMap,
    mem::size_of,
};

use async_graphql::{
    Name, Positioned,
    parser::types::{
        DocumentOperations, ExecutableDocument, Field, FragmentDefinition, OperationType, Selection,
        SelectionSet, VariableDefinition,
    },
};
// A document's values, variables included.
use async_graphql_value::Value as Literal;

/// The most a plan may take, in bytes for each byte of its document's text. Fragments
/// spread in several places are copied into each, so a short document could otherwise
/// compile to a large plan; the document caches weigh each document with this allowance.
pub const BYTES_PER_QUERY_BYTE: u64 = 16;

/// A document's one query, compiled.
pub struct Plan {
    /// The operation's name; none for an anonymous operation.
    name: Option<Name>,
    /// Its variables, for their defaults.
    variables: Vec<Positioned<VariableDefinition>>,
    root: Vec<Selected<Root>>,
    /// The `system` arguments of `Place.location`, read once a request (`PlaceField::Location`
    /// holds an index), so every argument is read before anything is answered.
    systems: Vec<Argument>,
    /// The `includeUpcoming` arguments of `Place.offers`, likewise.
    upcoming: Vec<Argument>,
    /// The complexity of the fields whose complexity does not depend on arguments.
    fixed_complexity: usize,
}

/// A field under its response key (its alias, or its name).
struct Selected<F> {
    key: Name,
    field: F,
}

/// An argument as the document writes it; none when omitted.
type Argument = Option<Literal>;

/// A connection field: its page arguments and what it selects.
struct Connection {
    first: Argument,
    after: Argument,
    /// The complexity of what one edge selects, to which `first` is applied.
    child_complexity: usize,
    fields: Vec<Selected<ConnectionField>>,
}

enum Root {
    Typename,
    Place {
        id: Argument,
        place: Vec<Selected<PlaceField>>,
    },
    Places {
        filter: Argument,
        connection: Connection,
    },
    Nearby {
        near: Argument,
        within: Argument,
        filter: Argument,
        connection: Connection,
    },
    Search {
        text: Argument,
        near: Argument,
        filter: Argument,
        connection: Connection,
    },
}

impl Root {
    /// Whether answering counts demand (a rider looking for help), so it may run only
    /// once every other field of the request has been found to answer.
    fn counts_demand(&self) -> bool {
        matches!(self, Self::Nearby { .. } | Self::Search { .. })
    }
}

/// The connections' shapes: which edge fields each has.
#[derive(Clone, Copy, PartialEq)]
enum Edges {
    /// `PlaceEdge`: a cursor and a node.
    ById,
    /// `NearbyPlaceEdge`: also the distance and travel time.
    Nearby,
    /// `SearchResultEdge`: also the distance and travel time, null without `near`.
    Search,
}

impl Edges {
    fn connection_type(self) -> &'static str {
        match self {
            Self::ById => "PlaceConnection",
            Self::Nearby => "NearbyPlaceConnection",
            Self::Search => "SearchResultConnection",
        }
    }

    fn edge_type(self) -> &'static str {
        match self {
            Self::ById => "PlaceEdge",
            Self::Nearby => "NearbyPlaceEdge",
            Self::Search => "SearchResultEdge",
        }
    }
}

enum ConnectionField {
    Typename(&'static str),
    Edges(Vec<Selected<EdgeField>>),
    PageInfo(Vec<Selected<PageInfoField>>),
    TotalCount,
}

enum EdgeField {
    Typename(&'static str),
    Cursor,
    Node(Vec<Selected<PlaceField>>),
    DistanceMeters,
    TravelMinutes,
}

enum PageInfoField {
    Typename,
    HasNextPage,
    HasPreviousPage,
    StartCursor,
    EndCursor,
}

enum PlaceField {
    Typename,
    Id,
    Kind,
    Name,
    Address,
    Description,
    Location {
        /// Which of the plan's `systems`.
        system: usize,
        location: Vec<Selected<LocationField>>,
    },
    OpeningHours,
    TimeZone,
    FollowsWorkCalendar,
    OpenNow,
    NextChange,
    TodayHours(Vec<Selected<IntervalField>>),
    Amenities,
    ServesGroups,
    Phone,
    Publication,
    Version,
    Status(Vec<Selected<StatusField>>),
    /// Current offers: a request whose `includeUpcoming` (kept in the plan's `upcoming`)
    /// is true is left to async-graphql.
    Offers(Vec<Selected<OfferField>>),
    CreatedAt,
    UpdatedAt,
}

enum LocationField {
    Typename,
    Lat,
    Lng,
}

enum IntervalField {
    Typename,
    Opens,
    Closes,
}

enum StatusField {
    Typename,
    State,
    SeatsFree,
    Note,
    UpdatedAt,
    ExpiresAt,
}

enum OfferField {
    Typename,
    Id,
    Title,
    Description,
    Groups,
    ForMe,
    ValidFrom,
    ValidUntil,
    Version,
}

type Fragments = HashMap<Name, Positioned<FragmentDefinition>>;

impl Plan {
    /// The plan of a document's only operation, when it is a query that plans cover and
    /// its plan takes at most `BYTES_PER_QUERY_BYTE` for each of `query_bytes`.
    pub fn compile(document: &ExecutableDocument, query_bytes: usize) -> Option<Self> {
        let (name, operation) = match &document.operations {
            DocumentOperations::Single(operation) => (None, operation),
            DocumentOperations::Multiple(operations) if operations.len() == 1 => {
                let (name, operation) = operations.iter().next()?;
                (Some(name.clone()), operation)
            }
            DocumentOperations::Multiple(_) => return None,
        };
        let operation = &operation.node;
        if operation.ty != OperationType::Query || !operation.directives.is_empty() {
            return None;
        }
        let compiler = Compiler {
            fragments: &document.fragments,
            systems: RefCell::default(),
            upcoming: RefCell::default(),
            budget: Cell::new(query_bytes.saturating_mul(BYTES_PER_QUERY_BYTE as usize)),
        };
        let mut fixed_complexity = 0;
        let root = compiler.fields(&operation.selection_set.node, "Query", |field| {
            let root = match field.name.node.as_str() {
                "__typename" => Root::Typename,
                "place" => Root::Place {
                    id: argument(field, "id"),
                    place: compiler.place(field)?,
                },
                "places" => Root::Places {
                    filter: argument(field, "filter"),
                    connection: compiler.connection(field, Edges::ById)?,
                },
                "nearby" => Root::Nearby {
                    near: argument(field, "near"),
                    within: argument(field, "within"),
                    filter: argument(field, "filter"),
                    connection: compiler.connection(field, Edges::Nearby)?,
                },
                "search" => Root::Search {
                    text: argument(field, "text"),
                    near: argument(field, "near"),
                    filter: argument(field, "filter"),
                    connection: compiler.connection(field, Edges::Search)?,
                },
                _ => return None,
            };
            if !matches!(
                root,
                Root::Places { .. } | Root::Nearby { .. } | Root::Search { .. }
            ) {
                fixed_complexity += compiler.complexity(field);
            }
            Some(root)
        })?;
        // Demand is counted once per answered search; two such fields could not both be
        // known to answer before either counts.
        if root
            .iter()
            .filter(|selected| selected.field.counts_demand())
            .count()
            > 1
        {
            return None;
        }
        Some(Self {
            name,
            variables: operation.variable_definitions.clone(),
            root,
            systems: compiler.systems.into_inner(),
            upcoming: compiler.upcoming.into_inner(),
            fixed_complexity,
        })
    }
}

fn argument(field: &Field, name: &str) -> Argument {
    field.get_argument(name).map(|value| value.node.clone())
}

struct Compiler<'d> {
    fragments: &'d Fragments,
    systems: RefCell<Vec<Argument>>,
    upcoming: RefCell<Vec<Argument>>,
    /// The bytes the plan's fields may still take.
    budget: Cell<usize>,
}

/// Keeps `argument` in `arguments` and says where.
fn keep(arguments: &RefCell<Vec<Argument>>, argument: Argument) -> usize {
    let mut arguments = arguments.borrow_mut();
    arguments.push(argument);
    arguments.len() - 1
}

impl<'d> Compiler<'d> {
    /// The fields selected on an object of type `on`, fragments spread in place, each
    /// compiled by `compile`; none when a selection is one plans leave to async-graphql.
    fn fields<F>(
        &self,
        set: &'d SelectionSet,
        on: &str,
        mut compile: impl FnMut(&'d Field) -> Option<F>,
    ) -> Option<Vec<Selected<F>>> {
        let mut fields = Vec::new();
        self.collect(set, on, &mut fields)?;
        let bytes = fields.len().checked_mul(size_of::<Selected<F>>())?;
        self.budget.set(self.budget.get().checked_sub(bytes)?);
        fields
            .into_iter()
            .map(|(key, field)| {
                Some(Selected {
                    key: key.clone(),
                    field: compile(field)?,
                })
            })
            .collect()
    }

    /// The fields of a selection set in order, through fragments whose type is `on`.
    /// A response key selected twice would need its selections merged, and a directive
    /// would need evaluating per request: both are left to async-graphql.
    fn collect(&self, set: &'d SelectionSet, on: &str, out: &mut Vec<(&'d Name, &'d Field)>) -> Option<()> {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let key = &field.response_key().node;
                    if !field.directives.is_empty() || out.iter().any(|(seen, _)| *seen == key) {
                        return None;
                    }
                    out.push((key, field));
                }
                Selection::InlineFragment(fragment) => {
                    let fragment = &fragment.node;
                    let matches = fragment
                        .type_condition
                        .as_ref()
                        .is_none_or(|condition| condition.node.on.node == on);
                    if !fragment.directives.is_empty() || !matches {
                        return None;
                    }
                    self.collect(&fragment.selection_set.node, on, out)?;
                }
                Selection::FragmentSpread(spread) => {
                    let fragment = &self.fragments.get(&spread.node.fragment_name.node)?.node;
                    if !spread.node.directives.is_empty()
                        || !fragment.directives.is_empty()
                        || fragment.type_condition.node.on.node != on
                    {
                        return None;
                    }
                    self.collect(&fragment.selection_set.node, on, out)?;
                }
            }
        }
        Some(())
    }

    /// A field's complexity as async-graphql's validation counts it for fields without
    /// a complexity of their own: one, and one for each field below (fragments inlined),
    /// except `__typename`, which validation does not visit.
    fn complexity(&self, field: &Field) -> usize {
        if field.name.node == "__typename" {
            return 0;
        }
        1 + self.children_complexity(&field.selection_set.node)
    }

    fn children_complexity(&self, set: &SelectionSet) -> usize {
        set.items
            .iter()
            .map(|selection| match &selection.node {
                Selection::Field(field) => self.complexity(&field.node),
                Selection::InlineFragment(fragment) => {
                    self.children_complexity(&fragment.node.selection_set.node)
                }
                Selection::FragmentSpread(spread) => self
                    .fragments
                    .get(&spread.node.fragment_name.node)
                    .map_or(0, |fragment| {
                        self.children_complexity(&fragment.node.selection_set.node)
                    }),
            })
            .sum()
    }

    fn connection(&self, field: &'d Field, edges: Edges) -> Option<Connection> {
        let connection_type = edges.connection_type();
        let fields = self.fields(&field.selection_set.node, connection_type, |field| {
            Some(match field.name.node.as_str() {
                "__typename" => ConnectionField::Typename(connection_type),
                "edges" => ConnectionField::Edges(self.edge(field, edges)?),
                "pageInfo" => ConnectionField::PageInfo(self.fields(
                    &field.selection_set.node,
                    "PageInfo",
                    |field| {
                        Some(match field.name.node.as_str() {
                            "__typename" => PageInfoField::Typename,
                            "hasNextPage" => PageInfoField::HasNextPage,
                            "hasPreviousPage" => PageInfoField::HasPreviousPage,
                            "startCursor" => PageInfoField::StartCursor,
                            "endCursor" => PageInfoField::EndCursor,
                            _ => return None,
                        })
                    },
                )?),
                "totalCount" => ConnectionField::TotalCount,
                _ => return None,
            })
        })?;
        Some(Connection {
            first: argument(field, "first"),
            after: argument(field, "after"),
            child_complexity: self.children_complexity(&field.selection_set.node),
            fields,
        })
    }

    fn edge(&self, field: &'d Field, edges: Edges) -> Option<Vec<Selected<EdgeField>>> {
        let edge_type = edges.edge_type();
        let ranked = edges != Edges::ById;
        self.fields(&field.selection_set.node, edge_type, |field| {
            Some(match field.name.node.as_str() {
                "__typename" => EdgeField::Typename(edge_type),
                "cursor" => EdgeField::Cursor,
                "node" => EdgeField::Node(self.place(field)?),
                "distanceMeters" if ranked => EdgeField::DistanceMeters,
                "travelMinutes" if ranked => EdgeField::TravelMinutes,
                _ => return None,
            })
        })
    }

    fn place(&self, field: &'d Field) -> Option<Vec<Selected<PlaceField>>> {
        self.fields(&field.selection_set.node, "Place", |field| {
            let set = &field.selection_set.node;
            Some(match field.name.node.as_str() {
                "__typename" => PlaceField::Typename,
                "id" => PlaceField::Id,
                "kind" => PlaceField::Kind,
                "name" => PlaceField::Name,
                "address" => PlaceField::Address,
                "description" => PlaceField::Description,
                "location" => PlaceField::Location {
                    system: keep(&self.systems, argument(field, "system")),
                    location: self.fields(set, "Location", |field| {
                        Some(match field.name.node.as_str() {
                            "__typename" => LocationField::Typename,
                            "lat" => LocationField::Lat,
                            "lng" => LocationField::Lng,
                            _ => return None,
                        })
                    })?,
                },
                "openingHours" => PlaceField::OpeningHours,
                "timeZone" => PlaceField::TimeZone,
                "followsWorkCalendar" => PlaceField::FollowsWorkCalendar,
                "openNow" => PlaceField::OpenNow,
                "nextChange" => PlaceField::NextChange,
                "todayHours" => PlaceField::TodayHours(self.fields(set, "OpeningInterval", |field| {
                    Some(match field.name.node.as_str() {
                        "__typename" => IntervalField::Typename,
                        "opens" => IntervalField::Opens,
                        "closes" => IntervalField::Closes,
                        _ => return None,
                    })
                })?),
                "amenities" => PlaceField::Amenities,
                "servesGroups" => PlaceField::ServesGroups,
                "phone" => PlaceField::Phone,
                "publication" => PlaceField::Publication,
                "version" => PlaceField::Version,
                "status" => PlaceField::Status(self.fields(set, "PlaceStatus", |field| {
                    Some(match field.name.node.as_str() {
                        "__typename" => StatusField::Typename,
                        "state" => StatusField::State,
                        "seatsFree" => StatusField::SeatsFree,
                        "note" => StatusField::Note,
                        "updatedAt" => StatusField::UpdatedAt,
                        "expiresAt" => StatusField::ExpiresAt,
                        _ => return None,
                    })
                })?),
                "offers" => {
                    self.upcoming
                        .borrow_mut()
                        .push(argument(field, "includeUpcoming"));
                    PlaceField::Offers(self.fields(set, "Offer", |field| {
                        Some(match field.name.node.as_str() {
                            "__typename" => OfferField::Typename,
                            "id" => OfferField::Id,
                            "title" => OfferField::Title,
                            "description" => OfferField::Description,
                            "groups" => OfferField::Groups,
                            "forMe" => OfferField::ForMe,
                            "validFrom" => OfferField::ValidFrom,
                            "validUntil" => OfferField::ValidUntil,
                            "version" => OfferField::Version,
                            _ => return None,
                        })
                    })?)
                }
                "createdAt" => PlaceField::CreatedAt,
                "updatedAt" => PlaceField::UpdatedAt,
                _ => return None,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::{
        OutputType,
        registry::{MetaType, Registry},
    };

    use super::*;
    use crate::graphql::schema::Query;

    /// Plans read these arguments as the document writes them, with no default of the
    /// schema's own: one added later, or a new argument, must be taught to plans first.
    #[test]
    fn plans_read_every_argument_of_the_fields_they_cover_and_none_has_a_default() {
        let mut registry = Registry::default();
        <Query as OutputType>::create_type_info(&mut registry);
        let covered: [(&str, &str, &[&str]); 6] = [
            ("Query", "place", &["id"]),
            ("Query", "places", &["first", "after", "filter"]),
            ("Query", "nearby", &["near", "within", "filter", "first", "after"]),
            ("Query", "search", &["text", "near", "filter", "first", "after"]),
            ("Place", "location", &["system"]),
            ("Place", "offers", &["includeUpcoming"]),
        ];
        for (type_name, field, arguments) in covered {
            let Some(MetaType::Object { fields, .. }) = registry.types.get(type_name) else {
                panic!("{type_name} is an object type");
            };
            let meta = &fields[field];
            let names: Vec<&str> = meta.args.keys().map(String::as_str).collect();
            assert_eq!(names, arguments, "the arguments of {type_name}.{field}");
            assert!(
                meta.args
                    .values()
                    .all(|argument| argument.default_value.is_none()),
                "an argument of {type_name}.{field} has a default"
            );
        }
    }

    #[test]
    fn a_plan_takes_no_more_than_its_allowance() {
        let query = "{ places(first: 2) { ...C } }
            fragment C on PlaceConnection { a: edges { ...E } b: edges { ...E } c: edges { ...E } d: edges { ...E } }
            fragment E on PlaceEdge { a: node { ...P } b: node { ...P } c: node { ...P } d: node { ...P } }
            fragment P on Place { id name kind address phone openNow nextChange amenities servesGroups version }";
        let document = async_graphql::parser::parse_query(query).expect("parses");
        assert!(
            Plan::compile(&document, query.len()).is_none(),
            "16 copies of a place's fields"
        );
        let query = "{ places(first: 2) { edges { node { id name kind address phone openNow } } } }";
        let document = async_graphql::parser::parse_query(query).expect("parses");
        assert!(Plan::compile(&document, query.len()).is_some());
    }
}
