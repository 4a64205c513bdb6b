//! The `Place` object and the small types it returns.

use std::sync::Arc;

use async_graphql::{Context, ID, Object, Result, ResultExt, SimpleObject};
use chrono::{DateTime, Utc};

use crate::{
    auth::policy,
    domain::{self, directory::Listing},
    graphql::{
        connection::{CursorKind, decode_id_cursor, paging},
        context::ContextExt,
        enums::{Amenity, CoordinateSystem, PlaceKind, Publication, Role, StatusState, WorkerGroup},
        history::PlaceHistoryConnection,
        ids::{NodeType, global_id},
        offers::Offer,
        photos::PlacePhoto,
        stations::{
            Item, LoanConnection, LoanState, StatsPeriod, VisitStats, check_in_code_of, items_of, loans_of,
            visit_stats_of,
        },
        voice::{
            PlaceRating, PlaceReportConnection, ReportState, Review, ReviewConnection, ReviewOrder,
            is_favorite, my_review, reports_of, reviews_of,
        },
    },
};

/// A place of the network: a station, a partner merchant, a canteen, a pharmacy or a clinic.
pub struct Place {
    listing: Arc<Listing>,
}

impl Place {
    /// The GraphQL face of a listing.
    pub fn new(listing: Arc<Listing>) -> Self {
        Self { listing }
    }

    /// The listing shown.
    pub(crate) fn listing(&self) -> &Listing {
        &self.listing
    }

    /// When the place is open on its own local date at `now`.
    pub(crate) fn today_hours_at(&self, now: DateTime<Utc>) -> Vec<OpeningInterval> {
        let follows = self.listing.follows_work_calendar;
        let Some(hours) = self.listing.hours() else {
            return Vec::new();
        };
        hours
            .intervals_on(hours.local_date(now), follows)
            .into_iter()
            .map(|interval| OpeningInterval {
                opens: interval.opens,
                closes: interval.closes,
            })
            .collect()
    }

    /// The live status at `now`.
    pub(crate) fn status_at(&self, now: DateTime<Utc>) -> Option<PlaceStatus> {
        self.listing.status(now).map(|status| PlaceStatus {
            state: status.state.into(),
            seats_free: status.seats_free,
            note: status.note,
            updated_at: status.updated_at,
            expires_at: status.expires_at,
        })
    }
}

/// A position on the earth.
#[derive(SimpleObject, Clone, Copy, Debug)]
pub struct Location {
    /// Latitude in degrees.
    pub lat: f64,
    /// Longitude in degrees.
    pub lng: f64,
}

/// What the place says about itself right now. It expires, so a forgotten FULL never
/// misleads a rider at night.
#[derive(SimpleObject)]
pub struct PlaceStatus {
    /// OPEN, BUSY, FULL or TEMPORARILY_CLOSED.
    pub state: StatusState,
    /// Free seats, when the place counts them.
    pub seats_free: Option<i32>,
    /// A short note, such as "热水已备好".
    pub note: Option<String>,
    /// When the status was set.
    pub updated_at: DateTime<Utc>,
    /// When the status stops being shown.
    pub expires_at: DateTime<Utc>,
}

/// A stretch of time during which a place is open.
#[derive(SimpleObject)]
pub struct OpeningInterval {
    /// When it opens.
    pub opens: DateTime<Utc>,
    /// When it closes.
    pub closes: DateTime<Utc>,
}

// Fields that wait on the database box their futures (`Box::pin`): async-graphql moves
// each field's future of a `Place` into a box of the largest such future's size, so one
// large inline future would be copied for every field of every place in a page.
#[Object]
impl Place {
    /// The place's opaque global id, stable across restarts.
    pub async fn id(&self) -> ID {
        global_id(NodeType::Place, self.listing.id)
    }

    /// What kind of place this is.
    async fn kind(&self) -> PlaceKind {
        self.listing.kind.into()
    }

    /// The place's name, as shown to workers.
    async fn name(&self) -> &str {
        self.listing.name()
    }

    /// The street address.
    async fn address(&self) -> &str {
        self.listing.address()
    }

    /// A few lines about the place, written by its owner.
    async fn description(&self) -> Option<&str> {
        self.listing.description()
    }

    /// Where the place is, in the coordinate system you ask for (WGS84 by default; GCJ02
    /// for AMap and Tencent maps, BD09 for Baidu).
    async fn location(&self, system: Option<CoordinateSystem>) -> Location {
        let point = self.listing.point().in_system(system.unwrap_or_default().into());
        Location {
            lat: point.lat,
            lng: point.lng,
        }
    }

    /// Opening hours in OpenStreetMap `opening_hours` syntax, such as "Mo-Fr 08:00-20:00;
    /// Sa 10:00-14:00". `PH` means China's official public holidays.
    async fn opening_hours(&self) -> &str {
        self.listing.opening_hours()
    }

    /// The IANA time zone the opening hours are read in (Asia/Shanghai unless stated).
    async fn time_zone(&self) -> &str {
        self.listing.time_zone()
    }

    /// True when the place opens on make-up working days (调休) with the hours of the
    /// weekday the work calendar names (Monday unless it says otherwise).
    async fn follows_work_calendar(&self) -> bool {
        self.listing.follows_work_calendar
    }

    /// Whether the place is open right now, in its own time zone; null when its hours do
    /// not say (an "unknown" rule or hours that could not be read).
    async fn open_now(&self) -> Option<bool> {
        self.listing.is_open_now(Utc::now())
    }

    /// Whether the place is open at `time`, for planning ahead; null when its hours do not say.
    async fn open_at(&self, time: DateTime<Utc>) -> Result<Option<bool>> {
        let time = domain::hours::check_instant("time", time).extend()?;
        Ok(self.listing.is_open_at(time))
    }

    /// When the place next opens or closes; null when that is not within about a year (such
    /// as "24/7").
    async fn next_change(&self) -> Option<DateTime<Utc>> {
        self.listing
            .schedule
            .as_ref()
            .and_then(|schedule| schedule.next_change(Utc::now()))
    }

    /// When the place is open today, its own local date, holidays and make-up days included.
    async fn today_hours(&self) -> Vec<OpeningInterval> {
        self.today_hours_at(Utc::now())
    }

    /// What the place offers a worker who stops by.
    async fn amenities(&self) -> Vec<Amenity> {
        self.listing.amenities().map(Into::into).collect()
    }

    /// The worker groups the place welcomes.
    async fn serves_groups(&self) -> Vec<WorkerGroup> {
        self.listing.serves_groups().map(Into::into).collect()
    }

    /// A phone number to call the place.
    async fn phone(&self) -> Option<&str> {
        self.listing.phone()
    }

    /// Where the listing stands in review. Only PUBLISHED places reach the public.
    async fn publication(&self) -> Publication {
        self.listing.publication.into()
    }

    /// Bumped by every change to the listing. Send it back as `expectedVersion` when you
    /// edit the place. Live status does not bump it.
    async fn version(&self) -> i32 {
        self.listing.version
    }

    /// The live status; null when none was set or it expired.
    async fn status(&self) -> Option<PlaceStatus> {
        self.status_at(Utc::now())
    }

    /// Perks for workers that are valid now. `forMe` tells a worker which are for their
    /// group. The owner and admins may add `includeUpcoming: true` to see offers not yet valid.
    async fn offers(&self, ctx: &Context<'_>, include_upcoming: Option<bool>) -> Result<Vec<Offer>> {
        let now = Utc::now();
        if include_upcoming == Some(true) {
            policy::may_manage(ctx.viewer(), &*self.listing).extend()?;
            return Ok(self
                .listing
                .offers()
                .iter()
                .filter(|offer| now < offer.valid_until)
                .cloned()
                .map(Offer::new)
                .collect());
        }
        Ok(self
            .listing
            .current_offers(now)
            .cloned()
            .map(Offer::new)
            .collect())
    }

    /// Its photos in display order (at most 9): published places' photos reach everyone,
    /// a draft's only its owner and admins, as the place itself does.
    async fn photos(&self) -> Vec<PlacePhoto> {
        self.listing
            .photos()
            .iter()
            .cloned()
            .map(PlacePhoto::new)
            .collect()
    }

    /// When the listing was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.listing.created_at()
    }

    /// When the listing last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.listing.updated_at()
    }

    /// The account (token `sub`) that owns the listing. Its owner and admins only.
    async fn owner_subject(&self, ctx: &Context<'_>) -> Result<&str> {
        policy::may_manage(ctx.viewer(), &*self.listing).extend()?;
        Ok(self.listing.owner_subject())
    }

    /// The role of the owning account (with `ownerSubject`, who owns the listing): MERCHANT,
    /// OPERATOR or ADMIN. Its owner and admins only.
    async fn owner_role(&self, ctx: &Context<'_>) -> Result<Option<Role>> {
        policy::may_manage(ctx.viewer(), &*self.listing).extend()?;
        Ok(crate::auth::Role::from_claim(self.listing.owner_role()).map(Into::into))
    }

    /// When the place last entered review (submitted, appealed or sent back by an edit);
    /// null when it never did. Its owner and admins only.
    async fn submitted_at(&self, ctx: &Context<'_>) -> Result<Option<DateTime<Utc>>> {
        policy::may_manage(ctx.viewer(), &*self.listing).extend()?;
        Ok(self.listing.submitted_at())
    }

    /// Why an admin rejected or suspended the listing; null otherwise. Its owner and admins only.
    async fn review_note(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        policy::may_manage(ctx.viewer(), &*self.listing).extend()?;
        Ok(self.listing.review_note())
    }

    /// Every change to the place, its offers and its status, newest first: who, when,
    /// which fields, old and new values. Its owner and admins only.
    #[graphql(complexity = "crate::graphql::limits::connection_complexity(first, child_complexity)")]
    async fn history(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many entries to return, 0 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The cursor of the entry to resume after.")] after: Option<String>,
    ) -> Result<PlaceHistoryConnection> {
        let (first, before) = paging(first, after, |after| decode_id_cursor(after, CursorKind::History))?;
        let page = Box::pin(domain::history::page(
            ctx.domain(),
            ctx.viewer(),
            &*self.listing,
            before,
            first,
        ))
        .await
        .extend()?;
        Ok(PlaceHistoryConnection::from_page(page))
    }

    /// True when you keep this place among your favourites; false for anonymous callers
    /// and accounts that are not workers.
    async fn is_favorite(&self, ctx: &Context<'_>) -> Result<bool> {
        Box::pin(is_favorite(ctx, self.listing.id)).await
    }

    /// What riders think of the place: mean stars, how many reviews, and how many gave
    /// each number of stars. Hidden and deleted reviews do not count.
    async fn rating(&self) -> PlaceRating {
        PlaceRating::new(self.listing.rating())
    }

    /// Riders' reviews, newest first or most helpful first. Authors appear as pseudonyms.
    /// Hidden reviews appear only to their author (with the reason) and admins.
    #[graphql(complexity = "crate::graphql::limits::connection_complexity(first, child_complexity)")]
    async fn reviews(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many reviews to return, 0 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The cursor of the edge to resume after.")] after: Option<String>,
        #[graphql(desc = "NEWEST (the default) or MOST_HELPFUL.")] order: Option<ReviewOrder>,
    ) -> Result<ReviewConnection> {
        Box::pin(reviews_of(
            ctx,
            &self.listing,
            first,
            after,
            order.unwrap_or_default(),
        ))
        .await
    }

    /// Your own review of the place, even while an admin has it hidden; null when you
    /// wrote none.
    async fn my_review(&self, ctx: &Context<'_>) -> Result<Option<Review>> {
        Box::pin(my_review(ctx, self.listing.id)).await
    }

    /// Riders' reports that the place is not as listed, newest first. Its owner and admins only.
    #[graphql(complexity = "crate::graphql::limits::connection_complexity(first, child_complexity)")]
    async fn reports(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only reports in this state; all when omitted.")] state: Option<ReportState>,
        #[graphql(desc = "How many reports to return, 0 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The cursor of the edge to resume after.")] after: Option<String>,
    ) -> Result<PlaceReportConnection> {
        Box::pin(reports_of(ctx, &self.listing, state, first, after)).await
    }

    /// What the place lends (umbrellas, reading glasses, first-aid kits…) and how many of
    /// each are available now. Public wherever the place is.
    async fn items(&self, ctx: &Context<'_>) -> Result<Vec<Item>> {
        Box::pin(items_of(ctx, self.listing.id)).await
    }

    /// The place's loans, oldest due first: OPEN (not returned, overdue included),
    /// OVERDUE, RETURNED, or all when omitted. Its owner and admins only.
    #[graphql(complexity = "crate::graphql::limits::connection_complexity(first, child_complexity)")]
    async fn loans(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only loans in this state; all when omitted.")] state: Option<LoanState>,
        #[graphql(desc = "How many loans to return, 0 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The cursor of the edge to resume after.")] after: Option<String>,
    ) -> Result<LoanConnection> {
        Box::pin(loans_of(ctx, &self.listing, state, first, after)).await
    }

    /// What the place's printed QR code holds, for workers to `checkIn` with. Print it;
    /// `rotateCheckInCode` replaces it. Its owner and admins only.
    async fn check_in_code(&self, ctx: &Context<'_>) -> Result<String> {
        Box::pin(check_in_code_of(ctx, &self.listing)).await
    }

    /// Visits, distinct workers (by worker group) and loans over `[from, to)`, per DAY,
    /// WEEK, MONTH (the default) or YEAR of the Asia/Shanghai calendar. Its owner and admins only.
    async fn visit_stats(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The start of the range (included).")] from: DateTime<Utc>,
        #[graphql(desc = "The end of the range (excluded); at most 3,660 days after `from`.")] to: DateTime<
            Utc,
        >,
        #[graphql(default, desc = "The period to count by: MONTH unless you say.")] by: StatsPeriod,
    ) -> Result<VisitStats> {
        Box::pin(visit_stats_of(ctx, &self.listing, from, to, by)).await
    }
}
