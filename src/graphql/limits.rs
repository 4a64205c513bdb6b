//! Guard rails every operation passes, whatever the transport: a cap on aliases (depth,
//! complexity and directive limits are set on the schema), no mutations over GET (also
//! when the document comes from the persisted-query cache), and what the HTTP layer needs
//! to know afterwards to choose a status.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
};

use async_graphql::{
    Response, ServerError, ServerResult, Variables,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery},
    parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet},
};

pub const MAX_ALIASES: usize = 30;
pub const MAX_DEPTH: usize = 12;
pub const MAX_COMPLEXITY: usize = 5_000;
pub const MAX_DIRECTIVES: usize = 10;

/// The complexity of a connection field: its page size times what each edge selects.
pub fn connection_complexity(first: Option<i32>, child_complexity: usize) -> usize {
    let page = first.map_or(crate::domain::DEFAULT_PAGE_SIZE, |first| {
        first.clamp(0, 100) as usize
    });
    1 + page.max(1) * child_complexity
}

/// What one operation's HTTP request says, and what happened to it.
#[derive(Clone, Default)]
pub struct RequestFacts(Arc<Facts>);

#[derive(Default)]
struct Facts {
    via_get: bool,
    operation_name: Option<String>,
    started: AtomicBool,
    mutation_via_get: AtomicBool,
}

impl RequestFacts {
    pub fn new(via_get: bool, operation_name: Option<String>) -> Self {
        Self(Arc::new(Facts {
            via_get,
            operation_name,
            ..Facts::default()
        }))
    }

    /// The operation passed parsing and validation and began to execute.
    pub fn started(&self) -> bool {
        self.0.started.load(Ordering::Relaxed)
    }

    /// The operation was a mutation sent by GET, and was refused.
    pub fn mutation_via_get(&self) -> bool {
        self.0.mutation_via_get.load(Ordering::Relaxed)
    }

    fn selects_mutation(&self, document: &ExecutableDocument) -> bool {
        document.operations.iter().any(|(name, operation)| {
            let selected = match (&self.0.operation_name, name) {
                (Some(wanted), Some(name)) => wanted.as_str() == name.as_str(),
                (Some(_), None) => false,
                (None, _) => true,
            };
            selected && operation.node.ty == OperationType::Mutation
        })
    }
}

/// Parsed documents by query text. Apps send the same few documents with new variables,
/// so each is parsed once; the cache is bounded and starts over when full.
type DocumentCache = Arc<Mutex<HashMap<Box<str>, ExecutableDocument>>>;

const CACHED_DOCUMENTS: usize = 512;
const CACHED_QUERY_BYTES: usize = 8 * 1024;

#[derive(Default)]
pub struct Limits {
    documents: DocumentCache,
}

impl ExtensionFactory for Limits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(LimitsExtension {
            documents: self.documents.clone(),
        })
    }
}

struct LimitsExtension {
    documents: DocumentCache,
}

impl LimitsExtension {
    /// Parses through async-graphql (with its recursion and directive checks) unless this
    /// text was parsed before. Persisted queries arrive already parsed, with empty text.
    async fn parse(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let cacheable = !query.is_empty() && query.len() <= CACHED_QUERY_BYTES;
        if cacheable && let Some(document) = self.cache().get(query) {
            return Ok(document.clone());
        }
        let document = next.run(ctx, query, variables).await?;
        if cacheable {
            let mut cache = self.cache();
            if cache.len() >= CACHED_DOCUMENTS {
                cache.clear();
            }
            cache.insert(query.into(), document.clone());
        }
        Ok(document)
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<Box<str>, ExecutableDocument>> {
        self.documents
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait::async_trait]
impl Extension for LimitsExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = self.parse(ctx, query, variables, next).await?;
        if let Some(facts) = ctx.data_opt::<RequestFacts>()
            && facts.0.via_get
            && facts.selects_mutation(&document)
        {
            facts.0.mutation_via_get.store(true, Ordering::Relaxed);
            return Err(ServerError::new("mutations must be sent with POST", None));
        }
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
        Ok(document)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        if let Some(facts) = ctx.data_opt::<RequestFacts>() {
            facts.0.started.store(true, Ordering::Relaxed);
        }
        next.run(ctx, operation_name).await
    }
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
