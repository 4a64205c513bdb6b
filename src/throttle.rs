//! Rate limits: a budget of operations per minute for each caller, one for reads and one for
//! writes, kept by `governor` (the GCRA algorithm, so a caller's budget refills smoothly).
//! A signed-in caller is its account (role and subject); an anonymous one its address, read
//! from `X-Forwarded-For` only when the connection comes from a configured proxy.
//!
//! Each limiter holds one small state per caller seen lately: a task drops the states of
//! callers idle for longer than it takes a budget to refill, so spraying addresses grows
//! memory only for that long.

use std::{
    net::{IpAddr, SocketAddr},
    num::NonZeroU32,
    sync::Arc,
    time::Duration,
};

use axum::http::HeaderMap;
use governor::{DefaultKeyedRateLimiter, Quota, clock::Clock};

use crate::{auth::Viewer, error::AppError};

/// The rate-limit settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateLimits {
    /// Queries (and subscriptions started) per caller per minute.
    pub reads_per_minute: u32,
    /// Mutations per caller per minute.
    pub writes_per_minute: u32,
    /// Addresses of reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpAddr>,
}

/// Who a budget belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Caller {
    /// An authenticated account, by role and subject.
    Account(String),
    /// An anonymous caller, by address.
    Address(IpAddr),
}

/// The limiters of one instance.
pub struct Throttle {
    reads: DefaultKeyedRateLimiter<Caller>,
    writes: DefaultKeyedRateLimiter<Caller>,
    trusted_proxies: Vec<IpAddr>,
}

/// A refusal: the error and how long to wait.
pub struct Refused {
    /// The `RATE_LIMITED` refusal.
    pub error: AppError,
    /// How long until the caller may try again.
    pub retry_after: Duration,
}

fn quota(per_minute: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN))
}

impl Throttle {
    /// The limiters for these limits.
    pub fn new(limits: &RateLimits) -> Arc<Self> {
        Arc::new(Self {
            reads: DefaultKeyedRateLimiter::dashmap(quota(limits.reads_per_minute)),
            writes: DefaultKeyedRateLimiter::dashmap(quota(limits.writes_per_minute)),
            trusted_proxies: limits.trusted_proxies.clone(),
        })
    }

    /// The caller a request's budget belongs to.
    pub fn caller(&self, viewer: &Viewer, peer: SocketAddr, headers: &HeaderMap) -> Caller {
        if let Some(identity) = viewer.identity() {
            return Caller::Account(format!("{}:{}", identity.role.claim(), identity.subject));
        }
        Caller::Address(self.client_address(peer.ip(), headers))
    }

    /// The client's address: the peer's, or, behind trusted proxies, the nearest address in
    /// `X-Forwarded-For` that is not one of them (a client can prepend anything it likes).
    fn client_address(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusted_proxies.contains(&peer) {
            return peer;
        }
        let forwarded: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .filter_map(|part| part.trim().parse().ok())
            .collect();
        forwarded
            .into_iter()
            .rev()
            .find(|address| !self.trusted_proxies.contains(address))
            .unwrap_or(peer)
    }

    /// Takes `operations` from the caller's read or write budget.
    pub fn admit(&self, caller: &Caller, operations: usize, writes: bool) -> Result<(), Refused> {
        let (limiter, kind) = if writes {
            (&self.writes, "writes")
        } else {
            (&self.reads, "requests")
        };
        let cells = NonZeroU32::new(u32::try_from(operations).unwrap_or(u32::MAX)).unwrap_or(NonZeroU32::MIN);
        let retry_after = match limiter.check_key_n(caller, cells) {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(not_until)) => not_until.wait_time_from(governor::clock::DefaultClock::default().now()),
            Err(_) => Duration::from_secs(60),
        };
        let seconds = retry_after.as_secs() + 1;
        Err(Refused {
            error: AppError::RateLimited(format!("too many {kind} from you; try again in {seconds} s")),
            retry_after: Duration::from_secs(seconds),
        })
    }

    /// Forgets callers whose budgets are full again.
    pub fn forget_idle(&self) {
        self.reads.retain_recent();
        self.writes.retain_recent();
        self.reads.shrink_to_fit();
        self.writes.shrink_to_fit();
    }

    /// Callers remembered, for the metrics.
    pub fn tracked(&self) -> usize {
        self.reads.len() + self.writes.len()
    }
}
