//! Who is calling. Tokens are issued elsewhere (rider platforms, the merchant portal, the
//! city's identity provider); yizhan verifies them and never stores passwords.

pub mod jwt;
mod keys;
pub mod policy;
mod settings;
pub mod trust;
pub mod viewer;

pub use jwt::Authenticator;
pub use settings::AuthSettings;
pub use viewer::{Identity, Role, Viewer};
