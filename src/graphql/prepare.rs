//! Readies an HTTP request for execution: resolves automatic persisted queries (the Apollo
//! protocol), parses each distinct document once, and applies the document guard rails.
//! Doing this before execution, rather than in schema extensions, keeps per-field
//! execution free of extension hooks: the hot path of every rider's search.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use async_graphql::{ErrorExtensionValues, Request, ServerError, Value, parser::types::ExecutableDocument};
use sha2::{Digest, Sha256};

use super::limits::{check_aliases, selects_mutation};

/// Documents kept per cache; each cache starts over when full.
const CACHED_DOCUMENTS: usize = 1024;
/// Longer documents are parsed every time.
const CACHED_QUERY_BYTES: usize = 8 * 1024;

/// Parsed documents by their text and by their SHA-256 (for persisted queries).
#[derive(Clone, Default)]
pub struct Documents {
    by_text: Arc<Mutex<HashMap<Box<str>, ExecutableDocument>>>,
    by_hash: Arc<Mutex<HashMap<String, ExecutableDocument>>>,
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

fn bounded_insert<K: std::hash::Hash + Eq>(
    map: &Mutex<HashMap<K, ExecutableDocument>>,
    key: K,
    document: ExecutableDocument,
) {
    let mut map = map.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if map.len() >= CACHED_DOCUMENTS {
        map.clear();
    }
    map.insert(key, document);
}

impl Documents {
    fn parse(&self, query: &str) -> Result<ExecutableDocument, ServerError> {
        if let Some(document) = self
            .by_text
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(query)
        {
            return Ok(document.clone());
        }
        let document = async_graphql::parser::parse_query(query)?;
        if query.len() <= CACHED_QUERY_BYTES {
            bounded_insert(&self.by_text, query.into(), document.clone());
        }
        Ok(document)
    }

    /// The document a request runs: from its text, or from the persisted-query cache when
    /// it carries only a hash.
    fn document(&self, request: &mut Request) -> Result<ExecutableDocument, ServerError> {
        let Some(persisted) = request.extensions.remove("persistedQuery") else {
            return self.parse(&request.query);
        };
        let field = |name: &str| match &persisted {
            Value::Object(object) => object.get(name).cloned(),
            _ => None,
        };
        if field("version") != Some(Value::from(1)) {
            return Err(ServerError::new(
                "only version 1 of the persistedQuery extension is supported",
                None,
            ));
        }
        let Some(Value::String(hash)) = field("sha256Hash") else {
            return Err(ServerError::new(
                "the persistedQuery extension needs a sha256Hash",
                None,
            ));
        };
        if request.query.is_empty() {
            let known = self
                .by_hash
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .get(&hash)
                .cloned();
            // Apollo clients resend the full query when they read this message or code.
            return known.ok_or_else(|| {
                let mut error = ServerError::new("PersistedQueryNotFound", None);
                let mut extensions = ErrorExtensionValues::default();
                extensions.set("code", "PERSISTED_QUERY_NOT_FOUND");
                error.extensions = Some(extensions);
                error
            });
        }
        if format!("{:x}", Sha256::digest(request.query.as_bytes())) != hash {
            return Err(ServerError::new("provided sha does not match query", None));
        }
        let document = self.parse(&request.query)?;
        bounded_insert(&self.by_hash, hash, document.clone());
        Ok(document)
    }

    /// Parses (or finds) the request's document, checks it, and hands it to the request so
    /// execution does not parse again.
    pub fn prepare(&self, request: &mut Request, via_get: bool) -> Result<(), Refusal> {
        let document = self.document(request)?;
        if via_get && selects_mutation(&document, request.operation_name.as_deref()) {
            return Err(Refusal::MutationViaGet);
        }
        check_aliases(&document)?;
        request.set_parsed_query(document);
        Ok(())
    }
}
