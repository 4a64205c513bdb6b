//! What a resolver reads from the request context. The app puts the domain handle in the
//! schema's data once; the transport adds the caller's `Viewer` to every request.

use async_graphql::Context;

use crate::{auth::Viewer, domain::Domain};

/// Typed access to what every resolver may use.
pub trait ContextExt {
    /// The domain handle: database, directory and rules.
    fn domain(&self) -> &Domain;
    /// Who is calling; anonymous when the request carried no token.
    fn viewer(&self) -> &Viewer;
}

impl ContextExt for Context<'_> {
    fn domain(&self) -> &Domain {
        self.data_unchecked::<Domain>()
    }

    fn viewer(&self) -> &Viewer {
        self.data_unchecked::<Viewer>()
    }
}
