//! Guard rails on documents: depth, complexity and directive limits are set on the schema;
//! the alias cap, the document's shape (selections once fragments are spread, operations,
//! variables, arguments, repeated keys, nested values), and the rule that GET never runs a
//! mutation are checked here, by `prepare`, for HTTP and WebSocket operations alike,
//! before any validation rule runs.

use std::collections::HashMap;

use async_graphql::{
    Name, Positioned, ServerError, ServerResult, Value as ConstValue,
    parser::types::{Directive, ExecutableDocument, OperationType, Selection, SelectionSet},
};
// A document's values, variables included.
use async_graphql_value::Value as Literal;

/// The most aliases one document may use.
pub const MAX_ALIASES: usize = 30;
/// The deepest selection one document may nest.
pub const MAX_DEPTH: usize = 12;
/// The largest complexity one operation may have.
pub const MAX_COMPLEXITY: usize = 5_000;
/// The most directives one field may carry.
pub const MAX_DIRECTIVES: usize = 10;
/// The most selections a document may hold with its fragments spread in place. Validation
/// and execution visit each spread in full, so a few hundred bytes of fragments that each
/// spread the next several times would hold a worker for minutes; `__typename` costs no
/// complexity, so the complexity limit does not stop it. A document within the complexity
/// limit holds at most about 10,000 (every other selection costs at least 1).
pub const MAX_SPREAD_SELECTIONS: usize = 10_000;
/// The most operations one document may define.
pub const MAX_OPERATIONS: usize = 20;
/// The most variables one operation may declare.
pub const MAX_VARIABLES: usize = 100;
/// The most arguments one field or directive may take (no field takes more than 8).
pub const MAX_ARGUMENTS: usize = 16;
/// The most times one response key may be selected in one selection set: validation
/// compares each repeat with the first and reports every difference.
pub const MAX_SAME_KEY: usize = 50;
/// Fragments spread within fragments deeper than this are refused (no app nests so many).
const MAX_SPREAD_DEPTH: usize = 64;
/// Lists and objects nested deeper than this in an argument or default value are refused:
/// code that walks values recurses once a level.
const MAX_VALUE_DEPTH: usize = 32;

/// The complexity of a connection field: its page size times what each edge selects.
pub fn connection_complexity(first: Option<i32>, child_complexity: usize) -> usize {
    let page = first.map_or(crate::domain::DEFAULT_PAGE_SIZE, |first| {
        first.clamp(0, 100) as usize
    });
    1 + page.max(1) * child_complexity
}

/// Refuses documents with more aliases than `MAX_ALIASES`, a cheap way to multiply work.
pub fn check_aliases(document: &ExecutableDocument) -> ServerResult<()> {
    let aliases = document
        .operations
        .iter()
        .map(|(_, operation)| count_aliases(&operation.node.selection_set.node))
        .chain(
            document
                .fragments
                .values()
                .map(|fragment| count_aliases(&fragment.node.selection_set.node)),
        )
        .sum::<usize>();
    if aliases > MAX_ALIASES {
        return Err(ServerError::new(
            format!("the document uses {aliases} aliases; at most {MAX_ALIASES} are allowed"),
            None,
        ));
    }
    Ok(())
}

fn count_aliases(selection_set: &SelectionSet) -> usize {
    selection_set
        .items
        .iter()
        .map(|selection| match &selection.node {
            Selection::Field(field) => {
                usize::from(field.node.alias.is_some()) + count_aliases(&field.node.selection_set.node)
            }
            Selection::InlineFragment(fragment) => count_aliases(&fragment.node.selection_set.node),
            Selection::FragmentSpread(_) => 0,
        })
        .sum()
}

/// Refuses documents whose shape would make validation or execution do far more work
/// than their size suggests, before any validation rule runs: more than
/// `MAX_SPREAD_SELECTIONS` selections once fragments are spread in place (each fragment
/// counted once, so the check takes time in proportion to the text), fragments no
/// operation spreads (validation would walk them for every spread anyway), too many
/// operations, variables or arguments, an argument named twice, one response key selected
/// too often in one selection set, or values nested too deep. Validation refuses or
/// reports most of these too, but only after work (and, for repeated keys and arguments,
/// errors) that multiplies.
pub fn check_shape(document: &ExecutableDocument) -> ServerResult<()> {
    let refuse = |reason: String| ServerError::new(reason, None);
    let operations = document.operations.iter().count();
    if operations > MAX_OPERATIONS {
        return Err(refuse(format!(
            "the document defines {operations} operations; at most {MAX_OPERATIONS} are allowed"
        )));
    }
    let mut shape = Shape {
        document,
        counted: HashMap::new(),
    };
    let mut total = 0_usize;
    for (_, operation) in document.operations.iter() {
        let operation = &operation.node;
        if operation.variable_definitions.len() > MAX_VARIABLES {
            return Err(refuse(format!(
                "an operation declares {} variables; at most {MAX_VARIABLES} are allowed",
                operation.variable_definitions.len()
            )));
        }
        for definition in &operation.variable_definitions {
            if let Some(default) = &definition.node.default_value {
                check_default_depth(&default.node, 0).map_err(refuse)?;
            }
        }
        shape.directives(&operation.directives).map_err(refuse)?;
        let count = shape.count(&operation.selection_set.node, 0).map_err(refuse)?;
        total = total.saturating_add(count);
    }
    if let Some(name) = document
        .fragments
        .keys()
        .find(|name| !shape.counted.contains_key(name))
    {
        return Err(refuse(format!("fragment {name} is never spread; remove it")));
    }
    if total > MAX_SPREAD_SELECTIONS {
        return Err(refuse(format!(
            "the document holds {total} selections once its fragments are spread in place; at most {MAX_SPREAD_SELECTIONS} are allowed"
        )));
    }
    Ok(())
}

/// Counts of a document's selections with fragments spread, each fragment's kept.
struct Shape<'d> {
    document: &'d ExecutableDocument,
    /// Each fragment's count once known; a fragment still being counted is in a cycle,
    /// which validation refuses, and counts nothing here.
    counted: HashMap<&'d Name, usize>,
}

impl<'d> Shape<'d> {
    /// The selections of `set`, fragments spread, after checking what each selects.
    fn count(&mut self, set: &'d SelectionSet, depth: usize) -> Result<usize, String> {
        if depth > MAX_SPREAD_DEPTH {
            return Err(format!(
                "the document nests selections and fragments more than {MAX_SPREAD_DEPTH} deep"
            ));
        }
        let mut keys: HashMap<&Name, usize> = HashMap::new();
        let mut total = 0_usize;
        for selection in &set.items {
            let count = match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let key = &field.response_key().node;
                    let seen = keys.entry(key).or_default();
                    *seen += 1;
                    if *seen > MAX_SAME_KEY {
                        return Err(format!(
                            "`{key}` is selected more than {MAX_SAME_KEY} times in one selection set"
                        ));
                    }
                    check_arguments(&field.arguments)?;
                    self.directives(&field.directives)?;
                    1_usize.saturating_add(self.count(&field.selection_set.node, depth + 1)?)
                }
                Selection::InlineFragment(fragment) => {
                    self.directives(&fragment.node.directives)?;
                    self.count(&fragment.node.selection_set.node, depth + 1)?
                }
                Selection::FragmentSpread(spread) => {
                    self.directives(&spread.node.directives)?;
                    let name = &spread.node.fragment_name.node;
                    match (self.counted.get(name), self.document.fragments.get(name)) {
                        (Some(&count), _) => count,
                        (None, Some(fragment)) => {
                            self.counted.insert(name, 0);
                            self.directives(&fragment.node.directives)?;
                            let count = self.count(&fragment.node.selection_set.node, depth + 1)?;
                            self.counted.insert(name, count);
                            count
                        }
                        // An unknown fragment: validation refuses it.
                        (None, None) => 0,
                    }
                }
            };
            total = total.saturating_add(count);
        }
        Ok(total)
    }

    fn directives(&self, directives: &[Positioned<Directive>]) -> Result<(), String> {
        directives
            .iter()
            .try_for_each(|directive| check_arguments(&directive.node.arguments))
    }
}

/// At most `MAX_ARGUMENTS`, each named once, none nested too deep.
fn check_arguments(arguments: &[(Positioned<Name>, Positioned<Literal>)]) -> Result<(), String> {
    if arguments.len() > MAX_ARGUMENTS {
        return Err(format!(
            "a field or directive is given {} arguments; at most {MAX_ARGUMENTS} are allowed",
            arguments.len()
        ));
    }
    for (index, (name, value)) in arguments.iter().enumerate() {
        if arguments[..index]
            .iter()
            .any(|(earlier, _)| earlier.node == name.node)
        {
            return Err(format!("the argument `{}` is given twice", name.node));
        }
        check_value_depth(&value.node, 0)?;
    }
    Ok(())
}

fn too_deep() -> String {
    format!("a value nests lists or objects more than {MAX_VALUE_DEPTH} deep")
}

fn check_value_depth(value: &Literal, depth: usize) -> Result<(), String> {
    if depth > MAX_VALUE_DEPTH {
        return Err(too_deep());
    }
    match value {
        Literal::List(items) => items
            .iter()
            .try_for_each(|item| check_value_depth(item, depth + 1)),
        Literal::Object(fields) => fields
            .values()
            .try_for_each(|field| check_value_depth(field, depth + 1)),
        _ => Ok(()),
    }
}

/// The same for a variable's default, a value without variables.
fn check_default_depth(value: &ConstValue, depth: usize) -> Result<(), String> {
    if depth > MAX_VALUE_DEPTH {
        return Err(too_deep());
    }
    match value {
        ConstValue::List(items) => items
            .iter()
            .try_for_each(|item| check_default_depth(item, depth + 1)),
        ConstValue::Object(fields) => fields
            .values()
            .try_for_each(|field| check_default_depth(field, depth + 1)),
        _ => Ok(()),
    }
}

/// Whether an operation of type `kind` is among those a request could run.
fn selects(document: &ExecutableDocument, operation_name: Option<&str>, kind: OperationType) -> bool {
    document.operations.iter().any(|(name, operation)| {
        let selected = match (operation_name, name) {
            (Some(wanted), Some(name)) => wanted == name.as_str(),
            (Some(_), None) => false,
            (None, _) => true,
        };
        selected && operation.node.ty == kind
    })
}

/// Whether the operation a request would run is a mutation.
pub fn selects_mutation(document: &ExecutableDocument, operation_name: Option<&str>) -> bool {
    selects(document, operation_name, OperationType::Mutation)
}

/// Whether the operation a request would run is a subscription.
pub fn selects_subscription(document: &ExecutableDocument, operation_name: Option<&str>) -> bool {
    selects(document, operation_name, OperationType::Subscription)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `depth` fragments, each spreading the next `fan` times, the last selecting
    /// `__typename`: `fan` to the power `depth - 1` selections once spread.
    fn fanned(fan: usize, depth: usize) -> ExecutableDocument {
        let fragments: String = (0..depth)
            .map(|level| {
                let body = if level + 1 == depth {
                    "__typename".to_owned()
                } else {
                    vec![format!("...F{}", level + 1); fan].join(" ")
                };
                format!("fragment F{level} on Query {{ {body} }} ")
            })
            .collect();
        async_graphql::parser::parse_query(format!("{{ ...F0 }} {fragments}")).expect("parses")
    }

    #[test]
    fn fragments_spread_to_more_selections_than_allowed_are_refused_at_once() {
        assert!(check_shape(&fanned(4, 6)).is_ok(), "1,024 selections");
        assert!(check_shape(&fanned(10, 10)).is_err(), "a billion selections");
        assert!(check_shape(&fanned(1, 100)).is_err(), "fragments 100 deep");
        let cycle = async_graphql::parser::parse_query(
            "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }",
        )
        .expect("parses");
        assert!(
            check_shape(&cycle).is_ok(),
            "left to validation, which names the cycle"
        );
    }

    #[test]
    fn shapes_that_multiply_validation_work_are_refused() {
        let refused = |query: String| {
            let document = async_graphql::parser::parse_query(query).expect("parses");
            check_shape(&document).is_err()
        };
        let repeated = vec!["a"; 51].join(" ");
        assert!(refused(format!("{{ {repeated} }}")), "a key 51 times");
        assert!(!refused(format!("{{ {} }}", vec!["a"; 50].join(" "))));
        assert!(refused("{ a(x: 1, x: 2) }".to_owned()), "an argument twice");
        let arguments: Vec<String> = (0..17).map(|n| format!("x{n}: 1")).collect();
        assert!(refused(format!("{{ a({}) }}", arguments.join(", "))));
        assert!(
            refused("{ a } fragment F on Query { b }".to_owned()),
            "a fragment never spread"
        );
        let operations: String = (0..21).map(|n| format!("query Q{n} {{ a }} ")).collect();
        assert!(refused(operations));
        let deep = format!("{{ a(x: {}1{}) }}", "[".repeat(40), "]".repeat(40));
        assert!(refused(deep), "a value 40 lists deep");
        let deep_default = format!(
            "query($v: [[Int]] = {}1{}) {{ a }}",
            "[".repeat(40),
            "]".repeat(40)
        );
        assert!(refused(deep_default), "a default 40 lists deep");
    }
}
