//! Reports in GraphQL: `reportPlace`, `resolvePlaceReport` and `Place.reports`.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, ResultExt, SimpleObject};
use chrono::{DateTime, Utc};
use entity::place_report;

use crate::{
    domain::{
        directory::Listing,
        voice::reports::{self, NewReport},
    },
    graphql::{
        connection::{CursorKind, PageInfo, decode_id_cursor, id_cursor, paging},
        context::ContextExt,
        ids::{NodeType, decode, global_id},
    },
};

/// What is wrong with a listing.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::place_report::ReportReason")]
pub enum ReportReason {
    /// The place has closed for good.
    ClosedPermanently,
    /// The place is closed for now (renovation, holiday, no staff).
    TemporarilyClosed,
    /// The opening hours are wrong.
    WrongHours,
    /// The place is not where the map shows it.
    WrongLocation,
    /// An amenity it lists is missing or broken (hot water, charging…).
    MissingAmenity,
    /// A perk it lists was refused.
    OfferNotHonoured,
    /// Anything else; say what in the note.
    Other,
}

/// Whether someone responsible has answered a report.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::place_report::ReportState")]
pub enum ReportState {
    /// Waiting for the owner or an admin.
    Open,
    /// Answered, with a note.
    Resolved,
}

/// A worker's report that a place is not as listed. The owner and admins read it; the
/// reporter appears only as a pseudonym.
pub struct PlaceReport {
    report: place_report::Model,
}

#[Object]
impl PlaceReport {
    /// The report's opaque global id.
    pub async fn id(&self) -> ID {
        global_id(NodeType::Report, self.report.id)
    }

    /// What is wrong.
    async fn reason(&self) -> ReportReason {
        self.report.reason.into()
    }

    /// What the rider added, up to 500 characters.
    async fn note(&self) -> Option<&str> {
        self.report.note.as_deref()
    }

    /// The reporter as the owner knows them: "骑手" and four hex digits, the same as on
    /// their reviews of this place.
    async fn reporter_name(&self) -> &str {
        &self.report.pseudonym
    }

    /// When it was filed.
    async fn created_at(&self) -> DateTime<Utc> {
        self.report.created_at
    }

    /// OPEN or RESOLVED.
    async fn state(&self) -> ReportState {
        self.report.state.into()
    }

    /// When the owner or an admin resolved it.
    async fn resolved_at(&self) -> Option<DateTime<Utc>> {
        self.report.resolved_at
    }

    /// What they said when resolving it.
    async fn resolution_note(&self) -> Option<&str> {
        self.report.resolution_note.as_deref()
    }
}

impl PlaceReport {
    /// The API's view of a report.
    pub fn new(report: place_report::Model) -> Self {
        Self { report }
    }
}

/// A page of reports, newest first.
#[derive(SimpleObject)]
pub struct PlaceReportConnection {
    /// The reports of this page, with their cursors.
    pub edges: Vec<PlaceReportEdge>,
    /// Where this page sits.
    pub page_info: PageInfo,
    /// How many reports match in all, across every page.
    pub total_count: i32,
}

/// A report in a page, with the cursor to resume after it.
#[derive(SimpleObject)]
pub struct PlaceReportEdge {
    /// Pass as `after` to get the reports that follow this one.
    pub cursor: String,
    /// The report.
    pub node: PlaceReport,
}

/// A page of a place's reports, for its owner and admins.
pub async fn reports_of(
    ctx: &Context<'_>,
    place: &Listing,
    state: Option<ReportState>,
    first: Option<i32>,
    after: Option<String>,
) -> Result<PlaceReportConnection> {
    let (first, before) = paging(first, after, |after| decode_id_cursor(after, CursorKind::Reports))?;
    let page = reports::page(
        ctx.domain(),
        ctx.viewer(),
        place,
        state.map(Into::into),
        before,
        first,
    )
    .await
    .extend()?;
    let edges: Vec<PlaceReportEdge> = page
        .items
        .into_iter()
        .map(|report| PlaceReportEdge {
            cursor: id_cursor(CursorKind::Reports, report.id),
            node: PlaceReport::new(report),
        })
        .collect();
    Ok(PlaceReportConnection {
        page_info: PageInfo::of(&edges, |edge| &edge.cursor, page.has_next_page),
        total_count: i32::try_from(page.total_count).unwrap_or(i32::MAX),
        edges,
    })
}

/// A report about a place.
#[derive(InputObject)]
pub struct ReportPlaceInput {
    /// The place.
    pub place_id: ID,
    /// What is wrong.
    pub reason: ReportReason,
    /// Details, up to 500 characters, such as "热水器坏了" or "已搬到对面".
    pub note: Option<String>,
}

/// Resolves a report.
#[derive(InputObject)]
pub struct ResolvePlaceReportInput {
    /// The report.
    pub id: ID,
    /// What was done, 1 to 500 characters, such as "已恢复营业" or "营业时间已更正".
    pub note: String,
}

/// The result of a write to a report.
#[derive(SimpleObject)]
pub struct PlaceReportPayload {
    /// The report as it is now.
    pub report: PlaceReport,
}

#[derive(Default)]
/// Report mutations: report a place, resolve a report.
pub struct ReportMutation;

#[Object]
impl ReportMutation {
    /// Tells the place's owner and the network that a published place is not as listed.
    /// Workers only: one report per place, reason and day, at most 10 reports an hour.
    /// When three different workers report a place closed (CLOSED_PERMANENTLY or
    /// TEMPORARILY_CLOSED) within 24 hours, its live status becomes TEMPORARILY_CLOSED
    /// with the note "多名骑手反馈暂停营业" until the owner or an admin sets a status or
    /// resolves one of those reports.
    async fn report_place(&self, ctx: &Context<'_>, input: ReportPlaceInput) -> Result<PlaceReportPayload> {
        let new = NewReport {
            place_id: decode(&input.place_id, NodeType::Place).extend()?,
            reason: input.reason.into(),
            note: input.note,
        };
        let report = reports::file(ctx.domain(), ctx.viewer(), new).await.extend()?;
        Ok(PlaceReportPayload {
            report: PlaceReport::new(report),
        })
    }

    /// Resolves an open report with a note. Resolving a report that the place is closed
    /// lifts the riders' TEMPORARILY_CLOSED flag. The place's owner and admins only.
    async fn resolve_place_report(
        &self,
        ctx: &Context<'_>,
        input: ResolvePlaceReportInput,
    ) -> Result<PlaceReportPayload> {
        let id = decode(&input.id, NodeType::Report).extend()?;
        let report = reports::resolve(ctx.domain(), ctx.viewer(), id, &input.note)
            .await
            .extend()?;
        Ok(PlaceReportPayload {
            report: PlaceReport::new(report),
        })
    }
}
