//! Who is calling. Tokens are issued elsewhere (rider platforms, the merchant portal, the
//! city's identity provider); yizhan verifies them and never stores passwords.

pub mod jwt;
pub mod policy;
pub mod trust;
pub mod viewer;

pub use jwt::{AuthSettings, Authenticator};
pub use viewer::{Identity, Role, Viewer};
