//! Guard rails on documents: depth, complexity and directive limits are set on the schema;
//! the alias cap and the rule that GET never runs a mutation are checked here, by
//! `prepare`, for HTTP and WebSocket operations alike.

use async_graphql::{
    ServerError, ServerResult,
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
