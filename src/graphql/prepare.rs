//! Readies a request for execution: resolves automatic persisted queries (the Apollo
//! protocol), parses each distinct document once, applies the document guard rails and
//! gives the request its per-request caches. Doing this before execution, rather than in
//! schema extensions, keeps per-field execution free of extension hooks: the hot path of
//! every rider's search.
//!
//! Both caches are bounded by an estimate of the memory their documents hold and evict the
//! least useful entries; a hit clones the document outside any global lock. A persisted
//! query is remembered only after its document passed validation, so hashes of documents
//! the schema refuses cannot fill the cache. A document that passed every validation rule
//! once is validated again only as far as a request's variables need (`validated`).

use std::sync::{
    Arc, OnceLock,
    atomic::{AtomicBool, Ordering},
};

use async_graphql::{ErrorExtensions, Pos, Request, ServerError, Value, parser::types::ExecutableDocument};
use quick_cache::{Weighter, sync::Cache};
use sha2::{Digest, Sha256};

use super::{
    limits::{check_aliases, check_shape, selects_mutation, selects_subscription},
    plan::{self, Plan},
    validated::{VariableTypes, proves_document},
    voice::give_favorite_cache,
};
use crate::error::AppError;

/// Longer documents are parsed every time rather than cached by their text.
const CACHED_QUERY_BYTES: usize = 8 * 1024;
/// What each cache may hold, in estimated bytes.
const CACHE_BYTES: u64 = 16 * 1024 * 1024;
/// A parsed document takes several times the memory of its text.
const PARSED_BYTES_PER_QUERY_BYTE: u64 = 8;

/// A parsed document and what it is estimated to weigh, its plan included.
struct Parsed {
    document: ExecutableDocument,
    /// The length of its text.
    query_bytes: usize,
    weight: u64,
    /// Set once the document passed every validation rule.
    validated: AtomicBool,
    /// Whether a validation can prove it (`validated`).
    provable: bool,
    /// Its compiled plan, made when it passed every rule; none when plans do not cover it.
    plan: OnceLock<Option<Plan>>,
}

impl Parsed {
    fn new(query: &str, document: ExecutableDocument, types: &VariableTypes) -> Arc<Self> {
        Arc::new(Self {
            provable: types.can_prove(&document),
            document,
            query_bytes: query.len(),
            weight: query.len() as u64 * (PARSED_BYTES_PER_QUERY_BYTE + plan::BYTES_PER_QUERY_BYTE) + 64,
            validated: AtomicBool::new(false),
            plan: OnceLock::new(),
        })
    }
}

#[derive(Clone)]
struct ByWeight;

impl<K: AsRef<str>> Weighter<K, Arc<Parsed>> for ByWeight {
    fn weight(&self, key: &K, parsed: &Arc<Parsed>) -> u64 {
        key.as_ref().len() as u64 + parsed.weight
    }
}

/// Parsed documents by their text and by their SHA-256 (for persisted queries).
#[derive(Clone)]
pub struct Documents {
    by_text: Arc<Cache<Box<str>, Arc<Parsed>, ByWeight>>,
    by_hash: Arc<Cache<String, Arc<Parsed>, ByWeight>>,
    variable_types: Arc<VariableTypes>,
}

impl Default for Documents {
    fn default() -> Self {
        Self {
            by_text: Arc::new(Cache::with_weighter(4_096, CACHE_BYTES, ByWeight)),
            by_hash: Arc::new(Cache::with_weighter(4_096, CACHE_BYTES, ByWeight)),
            variable_types: Arc::default(),
        }
    }
}

/// Why a request cannot run.
pub enum Refusal {
    /// A mutation sent by GET (HTTP 405).
    MutationViaGet,
    /// Anything else wrong with the document or its persisted-query extension.
    Invalid(ServerError),
}

impl From<ServerError> for Refusal {
    fn from(error: ServerError) -> Self {
        Self::Invalid(error)
    }
}

/// A request ready to run, with what to remember once its document proves valid.
pub struct Prepared {
    parsed: Arc<Parsed>,
    /// The hash to remember the document by, for a persisted query seen for the first time.
    new_hash: Option<String>,
    /// Whether passing validation proves the document for later requests.
    proves: bool,
    /// Whether the request may run with only the checks that depend on the request: its
    /// document passed every rule before, and its variables are valid for their types.
    pub validated: bool,
    /// Whether the operation is a subscription (a stream, not one answer).
    pub subscription: bool,
    /// Whether the operation is a mutation.
    pub mutation: bool,
    /// The operation's name: asked for by `operationName`, or the document's only one.
    pub name: Option<String>,
}

impl Prepared {
    /// Hands the parsed document to the request the executor is about to run, so it does
    /// not parse again. A plan needs no copy, so this is done only for the executor.
    pub fn hand_document(&self, request: &mut Request) {
        request.set_parsed_query(self.parsed.document.clone());
    }

    /// The plan that may answer the request instead of the executor: its document passed
    /// every rule before, and the request's variables are valid for their types.
    pub fn plan(&self) -> Option<&Plan> {
        if !self.validated {
            return None;
        }
        self.parsed.plan.get().and_then(Option::as_ref)
    }
}

fn refused(error: AppError) -> ServerError {
    error.extend().into_server_error(Pos::default())
}

impl Documents {
    fn parse(&self, query: &str) -> Result<Arc<Parsed>, ServerError> {
        if let Some(parsed) = self.by_text.get(query) {
            return Ok(parsed);
        }
        let parsed = Parsed::new(
            query,
            async_graphql::parser::parse_query(query)?,
            &self.variable_types,
        );
        if query.len() <= CACHED_QUERY_BYTES {
            self.by_text.insert(query.into(), parsed.clone());
        }
        Ok(parsed)
    }

    /// The document a request runs: from its text, or from the persisted-query cache when it
    /// carries only a hash. A new hash comes back to be remembered once it proves valid.
    fn document(&self, request: &mut Request) -> Result<(Arc<Parsed>, Option<String>), ServerError> {
        let Some(persisted) = request.extensions.remove("persistedQuery") else {
            return Ok((self.parse(&request.query)?, None));
        };
        let field = |name: &str| match &persisted {
            Value::Object(object) => object.get(name).cloned(),
            _ => None,
        };
        if field("version") != Some(Value::from(1)) {
            return Err(refused(AppError::bad_input(
                "only version 1 of the persistedQuery extension is supported",
            )));
        }
        let Some(Value::String(hash)) = field("sha256Hash") else {
            return Err(refused(AppError::bad_input(
                "the persistedQuery extension needs a sha256Hash",
            )));
        };
        if request.query.is_empty() {
            return self
                .by_hash
                .get(&hash)
                .map(|parsed| (parsed, None))
                .ok_or_else(|| refused(AppError::PersistedQueryNotFound));
        }
        if format!("{:x}", Sha256::digest(request.query.as_bytes())) != hash {
            return Err(refused(AppError::bad_input("provided sha does not match query")));
        }
        Ok((self.parse(&request.query)?, Some(hash)))
    }

    /// Parses (or finds) the request's document and checks it, and gives the request its
    /// own caches; `Prepared::hand_document` gives it the document when the executor runs.
    pub fn prepare(&self, request: &mut Request, via_get: bool) -> Result<Prepared, Refusal> {
        let (parsed, new_hash) = self.document(request)?;
        let operation = request.operation_name.as_deref();
        let mutation = selects_mutation(&parsed.document, operation);
        if via_get && mutation {
            return Err(Refusal::MutationViaGet);
        }
        // A document proven valid passed these before: they read only the document.
        let proven = parsed.validated.load(Ordering::Acquire);
        if !proven {
            check_aliases(&parsed.document)?;
            check_shape(&parsed.document)?;
        }
        let subscription = selects_subscription(&parsed.document, operation);
        let name = operation.map(str::to_owned).or_else(|| {
            let mut names = parsed.document.operations.iter().map(|(name, _)| name);
            match (names.next(), names.next()) {
                (Some(Some(only)), None) => Some(only.to_string()),
                _ => None,
            }
        });
        let validated = proven
            && self
                .variable_types
                .accept(&parsed.document, operation, &request.variables);
        let proves =
            !proven && parsed.provable && proves_document(&parsed.document, operation, &request.variables);
        give_favorite_cache(request);
        Ok(Prepared {
            parsed,
            new_hash,
            proves,
            validated,
            subscription,
            mutation,
            name,
        })
    }

    /// Remembers a document the schema accepted: that it passed validation (when the
    /// request's validation proves it), and by its hash when it came as a new persisted query.
    pub fn remember(&self, prepared: Prepared) {
        if prepared.proves {
            let parsed = &prepared.parsed;
            parsed
                .plan
                .get_or_init(|| Plan::compile(&parsed.document, parsed.query_bytes));
            // Released after the plan, so a request that sees the document proven sees its plan.
            parsed.validated.store(true, Ordering::Release);
        }
        if let Some(hash) = prepared.new_hash {
            self.by_hash.insert(hash, prepared.parsed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_caches_hold_a_bounded_weight_of_documents() {
        let documents = Documents::default();
        // A hundred distinct 60 KiB persisted documents: several times the bound.
        let padding = "a".repeat(60 * 1024);
        for number in 0..100 {
            let query = format!("{{ __typename # {number} {padding}\n}}");
            let hash = format!("{:x}", Sha256::digest(query.as_bytes()));
            let mut request = Request::new(query);
            request.extensions.insert(
                "persistedQuery".to_owned(),
                Value::from_json(serde_json::json!({ "version": 1, "sha256Hash": hash })).unwrap(),
            );
            let prepared = documents.prepare(&mut request, false).ok().expect("valid");
            documents.remember(prepared);
        }
        assert!(documents.by_hash.weight() <= CACHE_BYTES);
        assert!(
            documents.by_hash.len() < 60,
            "{} documents kept",
            documents.by_hash.len()
        );
    }
}
