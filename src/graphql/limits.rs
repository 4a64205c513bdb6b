//! Guard rails on documents: depth, complexity and directive limits are set on the schema;
//! the alias cap, the cap on selections once fragments are spread, and the rule that GET
//! never runs a mutation are checked here, by `prepare`, for HTTP and WebSocket operations
//! alike, before any validation rule runs.

use std::collections::HashMap;

use async_graphql::{
    Name, ServerError, ServerResult,
    parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet},
};

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
/// complexity, so the complexity limit does not stop it.
pub const MAX_SPREAD_SELECTIONS: usize = 20_000;
/// Fragments spread within fragments deeper than this are refused (no app nests so many).
const MAX_SPREAD_DEPTH: usize = 64;

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

/// Refuses documents that hold more than `MAX_SPREAD_SELECTIONS` selections once their
/// fragments are spread in place. Each fragment is counted once and its count reused, so
/// the check takes time in proportion to the document's text, not to what it spreads to.
pub fn check_spread_size(document: &ExecutableDocument) -> ServerResult<()> {
    let mut spread = Spread {
        document,
        counted: HashMap::new(),
    };
    let total = document
        .operations
        .iter()
        .try_fold(0_usize, |total, (_, operation)| {
            Some(total.saturating_add(spread.count(&operation.node.selection_set.node, 0)?))
        });
    match total {
        Some(total) if total <= MAX_SPREAD_SELECTIONS => Ok(()),
        _ => Err(ServerError::new(
            format!(
                "the document holds more than {MAX_SPREAD_SELECTIONS} selections once its fragments are spread in place (or nests fragments more than {MAX_SPREAD_DEPTH} deep); spread fewer fragments"
            ),
            None,
        )),
    }
}

/// Counts of a document's selections with fragments spread, each fragment's kept.
struct Spread<'d> {
    document: &'d ExecutableDocument,
    /// Each fragment's count once known; a fragment still being counted is in a cycle,
    /// which validation refuses, and counts nothing here.
    counted: HashMap<&'d Name, usize>,
}

impl<'d> Spread<'d> {
    /// The selections of `set`, fragments spread; none when nested too deep.
    fn count(&mut self, set: &'d SelectionSet, depth: usize) -> Option<usize> {
        if depth > MAX_SPREAD_DEPTH {
            return None;
        }
        set.items.iter().try_fold(0_usize, |total, selection| {
            let count = match &selection.node {
                Selection::Field(field) => {
                    1_usize.saturating_add(self.count(&field.node.selection_set.node, depth + 1)?)
                }
                Selection::InlineFragment(fragment) => {
                    self.count(&fragment.node.selection_set.node, depth + 1)?
                }
                Selection::FragmentSpread(spread) => {
                    let name = &spread.node.fragment_name.node;
                    match (self.counted.get(name), self.document.fragments.get(name)) {
                        (Some(&count), _) => count,
                        (None, Some(fragment)) => {
                            self.counted.insert(name, 0);
                            let count = self.count(&fragment.node.selection_set.node, depth + 1)?;
                            self.counted.insert(name, count);
                            count
                        }
                        // An unknown fragment: validation refuses it.
                        (None, None) => 0,
                    }
                }
            };
            Some(total.saturating_add(count))
        })
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
        assert!(check_spread_size(&fanned(4, 6)).is_ok(), "1,024 selections");
        assert!(
            check_spread_size(&fanned(10, 10)).is_err(),
            "a billion selections"
        );
        assert!(check_spread_size(&fanned(1, 100)).is_err(), "fragments 100 deep");
        let cycle = async_graphql::parser::parse_query(
            "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }",
        )
        .expect("parses");
        assert!(
            check_spread_size(&cycle).is_ok(),
            "left to validation, which names the cycle"
        );
    }
}
