//! Validating a document once rather than on every request.
//!
//! async-graphql checks each request's document against every validation rule, about a
//! tenth of a `nearby` request's CPU, although riders' apps send the same few documents
//! over and over. Of those rules only one reads the request itself: argument values, with
//! the variables put in. The others depend on the document alone.
//!
//! A full validation proves the document for later requests only when it checked every
//! argument: the document has one operation (arguments of operations not selected are not
//! checked against variables), and the request gave every variable that stands inside a
//! list or object literal (an argument with a missing variable is not checked at all,
//! literal parts included). A variable the request leaves out may be the whole of an
//! argument: such an argument has nothing of its own to check, and the rule that each
//! variable fits where it is used, which depends on the document alone, still holds.
//! Apps commonly leave out a nullable variable they have no value for, such as `after`
//! on a first page, so their documents are proven too.
//! Full validation also learns the type a variable stands at inside a literal only where
//! the literal's type is known: not inside an object literal where a list of input objects
//! is expected (it is coerced to a list), nor inside a custom scalar's literal. Should the
//! schema's queries take either, a document with a variable inside a literal is never
//! proven.
//!
//! A later query with a proven document runs under the fast validation mode, which still
//! enforces the depth and complexity limits, when each variable is valid for its declared
//! type. Such a value is valid wherever the document uses the variable, since the full
//! check proved each use accepts that type. There is one exception: a nullable variable
//! with a default may be used where null is not allowed, so an explicit null for such a
//! variable is never trusted. Whenever trust cannot be shown, the request is validated in
//! full, as before, and gets exactly the errors it always got.

use std::collections::HashSet;

use async_graphql::{
    ID, InputType, OutputType, Positioned, Value, Variables,
    parser::types::{
        Directive, DocumentOperations, ExecutableDocument, OperationDefinition, OperationType, Selection,
        SelectionSet,
    },
    registry::{MetaType, MetaTypeName, Registry},
};
// A document's values, variables included (async-graphql exports only the constant ones).
use async_graphql_value::Value as Literal;

use super::schema::Query;

/// The input types queries may take, as the schema registers them (with each scalar's own
/// check), to judge variables the way full validation would.
pub struct VariableTypes {
    registry: Registry,
    /// Whether any input type is a `@oneOf`: a nullable variable may then stand for one of
    /// its fields, where null is refused, so no variable is trusted at all.
    has_one_of: bool,
    /// Whether full validation types every variable inside a literal (see the module).
    types_nested_variables: bool,
}

impl Default for VariableTypes {
    fn default() -> Self {
        // The built-in scalars first, as the schema registers them, so that each name
        // gets the same check (`Int` is `i32`'s, whatever other integers map to it).
        let mut registry = Registry::default();
        <bool as InputType>::create_type_info(&mut registry);
        <i32 as InputType>::create_type_info(&mut registry);
        <f32 as InputType>::create_type_info(&mut registry);
        <String as InputType>::create_type_info(&mut registry);
        <ID as InputType>::create_type_info(&mut registry);
        <Query as OutputType>::create_type_info(&mut registry);
        let has_one_of = registry
            .types
            .values()
            .any(|ty| matches!(ty, MetaType::InputObject { oneof: true, .. }));
        let types_nested_variables = types_nested_variables(&registry);
        Self {
            registry,
            has_one_of,
            types_nested_variables,
        }
    }
}

const BUILT_IN_SCALARS: [&str; 5] = ["Boolean", "Int", "Float", "String", "ID"];

/// Whether no argument or input field of the registry is a list of input objects, and no
/// custom scalar refuses an object (so none looks inside one).
fn types_nested_variables(registry: &Registry) -> bool {
    let list_of_inputs = |ty: &str| {
        let mut ty = MetaTypeName::create(ty);
        let mut in_list = false;
        loop {
            match ty {
                MetaTypeName::NonNull(inner) => ty = MetaTypeName::create(inner),
                MetaTypeName::List(inner) => {
                    in_list = true;
                    ty = MetaTypeName::create(inner);
                }
                MetaTypeName::Named(name) => {
                    return in_list && matches!(registry.types.get(name), Some(MetaType::InputObject { .. }));
                }
            }
        }
    };
    let object = Value::Object(Default::default());
    registry.types.values().all(|ty| match ty {
        MetaType::Object { fields, .. } | MetaType::Interface { fields, .. } => fields
            .values()
            .all(|field| field.args.values().all(|arg| !list_of_inputs(&arg.ty))),
        MetaType::InputObject { input_fields, .. } => {
            input_fields.values().all(|field| !list_of_inputs(&field.ty))
        }
        MetaType::Scalar {
            name,
            is_valid: Some(is_valid),
            ..
        } => BUILT_IN_SCALARS.contains(&name.as_str()) || is_valid(&object),
        _ => true,
    })
}

/// Whether a full validation of this request checks every argument of its document, so
/// that passing it proves the document for later requests: the document has one operation
/// and the request gives every variable it declares that stands inside a literal (null
/// counts as given).
pub fn proves_document(
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    variables: &Variables,
) -> bool {
    let single = match &document.operations {
        DocumentOperations::Single(_) => true,
        DocumentOperations::Multiple(operations) => operations.len() == 1,
    };
    single
        && selected(document, operation_name).is_some_and(|operation| {
            let mut omitted = operation
                .variable_definitions
                .iter()
                .map(|definition| definition.node.name.node.as_str())
                .filter(|name| !variables.contains_key(*name))
                .peekable();
            omitted.peek().is_none() || {
                let nested = nested_variables(document);
                omitted.all(|name| !nested.contains(name))
            }
        })
}

impl VariableTypes {
    /// Whether a validation of `document` can prove it: always, unless the schema's queries
    /// take a literal whose variables full validation does not type and the document has a
    /// variable inside a literal.
    pub fn can_prove(&self, document: &ExecutableDocument) -> bool {
        self.types_nested_variables || !nests_variables(document)
    }

    /// Whether the query `operation_name` selects in a proven `document` may skip the full
    /// check: a query (mutations and subscriptions always get it) whose variables are each
    /// valid for their declared type.
    pub fn accept(
        &self,
        document: &ExecutableDocument,
        operation_name: Option<&str>,
        variables: &Variables,
    ) -> bool {
        !self.has_one_of
            && selected(document, operation_name).is_some_and(|operation| {
                operation.ty == OperationType::Query
                    && operation.variable_definitions.iter().all(|definition| {
                        let definition = &definition.node;
                        match variables.get(definition.name.node.as_str()) {
                            None => definition.default_value.is_some() || definition.var_type.node.nullable,
                            Some(Value::Null) if definition.default_value.is_some() => false,
                            Some(value) => self.valid(&definition.var_type.node.to_string(), value),
                        }
                    })
            })
    }

    /// Whether a value is valid for a type spelled as GraphQL writes it (`[Amenity!]!`), as
    /// async-graphql's `is_valid_input_value` decides.
    fn valid(&self, ty: &str, value: &Value) -> bool {
        match MetaTypeName::create(ty) {
            MetaTypeName::NonNull(inner) => *value != Value::Null && self.valid(inner, value),
            MetaTypeName::List(item) => match value {
                Value::Null => true,
                Value::List(items) => items.iter().all(|value| self.valid(item, value)),
                single => self.valid(item, single),
            },
            MetaTypeName::Named(name) => *value == Value::Null || self.valid_named(name, value),
        }
    }

    /// A non-null value for a named type. Whatever full validation would let through to
    /// execution unchecked (a value of no input type) is not trusted either.
    fn valid_named(&self, name: &str, value: &Value) -> bool {
        match self.registry.types.get(name) {
            Some(MetaType::Scalar { is_valid, .. }) => {
                is_valid.as_ref().is_none_or(|is_valid| is_valid(value))
            }
            Some(MetaType::Enum { enum_values, .. }) => match value {
                Value::Enum(name) => enum_values.contains_key(name.as_str()),
                Value::String(name) => enum_values.contains_key(name.as_str()),
                _ => false,
            },
            Some(MetaType::InputObject {
                input_fields, oneof, ..
            }) => {
                let Value::Object(values) = value else {
                    return false;
                };
                let one_of_holds =
                    !oneof || (values.len() == 1 && values.values().all(|value| *value != Value::Null));
                one_of_holds
                    && values.keys().all(|key| input_fields.contains_key(key.as_str()))
                    && input_fields
                        .values()
                        .all(|field| match values.get(field.name.as_str()) {
                            Some(value) => self.valid(&field.ty, value),
                            None => {
                                !MetaTypeName::create(&field.ty).is_non_null()
                                    || field.default_value.is_some()
                            }
                        })
            }
            _ => false,
        }
    }
}

/// Whether any argument of the document holds a variable inside a list or object literal.
fn nests_variables(document: &ExecutableDocument) -> bool {
    !nested_variables(document).is_empty()
}

/// The variables that stand inside a list or object literal of an argument anywhere in
/// the document (directives' arguments included), found in one pass.
fn nested_variables<'d>(document: &'d ExecutableDocument) -> HashSet<&'d str> {
    let mut nested = HashSet::new();
    let mut argument = |value: &'d Literal| {
        if let Literal::List(_) | Literal::Object(_) = value {
            variables_in(value, &mut nested);
        }
    };
    for (_, operation) in document.operations.iter() {
        directive_arguments(&operation.node.directives, &mut argument);
        selection_arguments(&operation.node.selection_set.node, &mut argument);
    }
    for fragment in document.fragments.values() {
        directive_arguments(&fragment.node.directives, &mut argument);
        selection_arguments(&fragment.node.selection_set.node, &mut argument);
    }
    nested
}

fn variables_in<'d>(value: &'d Literal, found: &mut HashSet<&'d str>) {
    match value {
        Literal::Variable(name) => {
            found.insert(name.as_str());
        }
        Literal::List(items) => items.iter().for_each(|item| variables_in(item, found)),
        Literal::Object(fields) => fields.values().for_each(|field| variables_in(field, found)),
        _ => {}
    }
}

fn selection_arguments<'d>(set: &'d SelectionSet, argument: &mut impl FnMut(&'d Literal)) {
    for item in &set.items {
        match &item.node {
            Selection::Field(field) => {
                let field = &field.node;
                field
                    .arguments
                    .iter()
                    .for_each(|(_, value)| argument(&value.node));
                directive_arguments(&field.directives, argument);
                selection_arguments(&field.selection_set.node, argument);
            }
            Selection::FragmentSpread(spread) => directive_arguments(&spread.node.directives, argument),
            Selection::InlineFragment(inline) => {
                directive_arguments(&inline.node.directives, argument);
                selection_arguments(&inline.node.selection_set.node, argument);
            }
        }
    }
}

fn directive_arguments<'d>(directives: &'d [Positioned<Directive>], argument: &mut impl FnMut(&'d Literal)) {
    for directive in directives {
        directive
            .node
            .arguments
            .iter()
            .for_each(|(_, value)| argument(&value.node));
    }
}

/// The operation a request runs, found as execution finds it; none when execution would
/// refuse the name.
fn selected<'a>(
    document: &'a ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<&'a OperationDefinition> {
    let operation = match (&document.operations, operation_name) {
        (DocumentOperations::Single(operation), None) => operation,
        (DocumentOperations::Single(_), Some(_)) => return None,
        (DocumentOperations::Multiple(operations), Some(name)) => operations.get(name)?,
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => {
            operations.values().next()?
        }
        (DocumentOperations::Multiple(_), None) => return None,
    };
    Some(&operation.node)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepts(query: &str, variables: serde_json::Value) -> bool {
        let document = async_graphql::parser::parse_query(query).expect("parses");
        let variables = Variables::from_json(variables);
        VariableTypes::default().accept(&document, None, &variables)
    }

    const NEARBY: &str = "query N($near: LocationInput!, $filter: PlaceFilterInput, $first: Int = 10) \
        { nearby(near: $near, within: { meters: 500 }, filter: $filter, first: $first) { edges { node { id } } } }";

    #[test]
    fn variables_valid_for_their_types_are_trusted() {
        assert!(accepts(
            NEARBY,
            serde_json::json!({ "near": { "lat": 31.2, "lng": 121.4 }, "filter": { "openNow": true, "amenities": ["WIFI"] } })
        ));
        // One amenity where a list is declared is coerced to a list, as in full validation.
        assert!(accepts(
            NEARBY,
            serde_json::json!({ "near": { "lat": 31.2, "lng": 121.4 }, "filter": { "amenities": "WIFI" }, "first": 5 })
        ));
        // Full validation takes any whole number as an `Int`; the range is checked when the
        // argument is read, in either mode.
        assert!(accepts(
            NEARBY,
            serde_json::json!({ "near": { "lat": 31.2, "lng": 121.4 }, "first": 3_000_000_000_i64 })
        ));
    }

    #[test]
    fn anything_full_validation_would_question_is_not_trusted() {
        let near = serde_json::json!({ "lat": 31.2, "lng": 121.4 });
        for variables in [
            serde_json::json!({}),
            serde_json::json!({ "near": null }),
            serde_json::json!({ "near": { "lat": 31.2 } }),
            serde_json::json!({ "near": { "lat": "north", "lng": 121.4 } }),
            serde_json::json!({ "near": near, "filter": { "openNow": true, "bogus": 1 } }),
            serde_json::json!({ "near": near, "filter": { "amenities": ["JACUZZI"] } }),
            serde_json::json!({ "near": near, "filter": { "amenities": [null] } }),
            serde_json::json!({ "near": near, "filter": 7 }),
            serde_json::json!({ "near": near, "first": "ten" }),
            serde_json::json!({ "near": near, "first": 1.5 }),
            // Null for a variable with a default may reach a place that refuses null.
            serde_json::json!({ "near": near, "first": null }),
        ] {
            assert!(!accepts(NEARBY, variables.clone()), "{variables} was trusted");
        }
    }

    #[test]
    fn a_validation_proves_a_document_of_one_operation_with_every_variable_inside_a_literal_given() {
        let proves = |query: &str, variables: serde_json::Value| {
            let document = async_graphql::parser::parse_query(query).unwrap();
            proves_document(&document, None, &Variables::from_json(variables))
        };
        let near = serde_json::json!({ "lat": 31.2, "lng": 121.4 });
        assert!(proves(
            NEARBY,
            serde_json::json!({ "near": near, "filter": null, "first": 5 })
        ));
        // Variables that are whole arguments may be left out.
        assert!(proves(NEARBY, serde_json::json!({ "near": near })));
        assert!(!proves(
            &format!("{NEARBY} query Other {{ __typename }}"),
            serde_json::json!({ "near": near, "filter": null, "first": 5 })
        ));
        // A variable inside a literal must be given: without it, the literal's other
        // parts (here `mode`) go unchecked.
        let within = "query W($m: Float, $near: LocationInput!) { nearby(near: $near, within: { minutes: $m, mode: EBIKE }) { totalCount } }";
        assert!(proves(within, serde_json::json!({ "near": near, "m": 5 })));
        assert!(!proves(within, serde_json::json!({ "near": near })));
    }

    #[test]
    fn every_variable_inside_a_literal_of_a_query_gets_its_type() {
        // No query argument is a list of input objects and no custom scalar looks inside
        // objects; should that change, documents with variables inside literals stop
        // being proven, which this test is here to make a decision.
        assert!(VariableTypes::default().types_nested_variables);
        let mut registry = Registry::default();
        <crate::graphql::Mutation as OutputType>::create_type_info(&mut registry);
        assert!(
            !types_nested_variables(&registry),
            "the work calendar's days are a list of input objects"
        );
    }

    #[test]
    fn documents_with_variables_inside_literals_are_found() {
        let nests = |query: &str| nests_variables(&async_graphql::parser::parse_query(query).unwrap());
        assert!(!nests(NEARBY));
        assert!(nests(
            "query($m: Float) { nearby(near: { lat: 1, lng: 2 }, within: { meters: $m }) { edges { cursor } } }"
        ));
        assert!(nests(
            "query($a: Amenity!) { places(filter: { amenities: [$a] }) { totalCount } }"
        ));
        assert!(nests(
            "query($k: PlaceKind!) { ...F } fragment F on Query { places(filter: { kinds: [$k] }) { totalCount } }"
        ));
        assert!(!nests(
            "query($f: PlaceFilterInput, $s: Boolean!) { places(filter: $f) @skip(if: $s) { totalCount } }"
        ));
    }

    #[test]
    fn only_a_query_that_execution_would_select_is_trusted() {
        let near = serde_json::json!({ "near": { "lat": 31.2, "lng": 121.4 } });
        let document =
            async_graphql::parser::parse_query(format!("{NEARBY} query Other {{ __typename }}")).unwrap();
        let variables = Variables::from_json(near);
        let types = VariableTypes::default();
        assert!(types.accept(&document, Some("N"), &variables));
        assert!(!types.accept(&document, None, &variables));
        assert!(!types.accept(&document, Some("Missing"), &variables));
        assert!(!accepts("mutation { __typename }", serde_json::json!({})));
        assert!(!accepts("subscription { __typename }", serde_json::json!({})));
    }
}
