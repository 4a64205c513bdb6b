//! Loans in GraphQL: `borrowItem`, `returnItem`, `Place.loans` and `me.loans`.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, ResultExt, SimpleObject};
use chrono::{DateTime, Utc};

use super::items::Item;
use crate::{
    domain::{
        directory::Listing,
        paging::Page,
        places,
        stations::loans::{self, LoanView, WalkIn},
    },
    graphql::{
        connection::{
            CursorKind, PageInfo, decode_id_cursor, decode_loan_cursor, id_cursor, loan_cursor, paging,
        },
        context::ContextExt,
        ids::{NodeType, decode, global_id},
        places::Place,
    },
};

/// Which loans of a place to list.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoanState {
    /// Not returned yet, overdue ones included.
    Open,
    /// Not returned and past due.
    Overdue,
    /// Returned.
    Returned,
}

impl From<LoanState> for loans::LoanState {
    fn from(state: LoanState) -> Self {
        match state {
            LoanState::Open => Self::Open,
            LoanState::Overdue => Self::Overdue,
            LoanState::Returned => Self::Returned,
        }
    }
}

/// One loan of an item: to a worker's account, or to a walk-in borrower the station wrote
/// down. A walk-in's phone reads whole only for the place's owner and admins.
pub struct Loan {
    // Boxed: a loan carries its item and place rows, and `Node` holds any object.
    view: Box<LoanView>,
}

impl Loan {
    /// The API's view of a loan.
    pub fn new(view: LoanView) -> Self {
        Self { view: Box::new(view) }
    }
}

#[Object]
impl Loan {
    /// The loan's opaque global id.
    pub async fn id(&self) -> ID {
        global_id(NodeType::Loan, self.view.row.id)
    }

    /// What was borrowed.
    async fn item(&self) -> Item {
        Item::new(self.view.item.clone())
    }

    /// The place that lent it; null when it is no longer visible to you.
    async fn place(&self, ctx: &Context<'_>) -> Result<Option<Place>> {
        Ok(places::find(ctx.domain(), ctx.viewer(), self.view.place.id)
            .await
            .extend()?
            .map(Place::new))
    }

    /// When it was borrowed.
    async fn borrowed_at(&self) -> DateTime<Utc> {
        self.view.row.borrowed_at
    }

    /// When it is due back.
    async fn due_at(&self) -> DateTime<Utc> {
        self.view.row.due_at
    }

    /// When it came back; null while it is out.
    async fn returned_at(&self) -> Option<DateTime<Utc>> {
        self.view.row.returned_at
    }

    /// True when it is out and past due.
    async fn overdue(&self) -> bool {
        self.view.overdue_at(Utc::now())
    }

    /// What was noted at the return.
    async fn return_note(&self) -> Option<&str> {
        self.view.row.return_note.as_deref()
    }

    /// True when the station registered a walk-in borrower (no account).
    async fn walk_in(&self) -> bool {
        self.view.row.borrower_subject.is_none()
    }

    /// A walk-in borrower's name: whole for the place's owner and admins, the family name
    /// and stars for anyone else; null for workers' own loans and after erasure (90 days
    /// after the return by default).
    async fn borrower_name(&self, ctx: &Context<'_>) -> Option<String> {
        self.view.name_for(ctx.viewer())
    }

    /// A walk-in borrower's phone: whole for the place's owner and admins, masked
    /// (138****1234) for anyone else; null for workers' own loans and after erasure.
    async fn borrower_phone(&self, ctx: &Context<'_>) -> Option<String> {
        self.view.phone_for(ctx.viewer())
    }
}

/// A page of loans.
#[derive(SimpleObject)]
pub struct LoanConnection {
    /// The loans of this page, with their cursors.
    pub edges: Vec<LoanEdge>,
    /// Where this page sits.
    pub page_info: PageInfo,
    /// How many loans match in all, across every page.
    pub total_count: i32,
}

/// A loan in a page, with the cursor to resume after it.
#[derive(SimpleObject)]
pub struct LoanEdge {
    /// Pass as `after` to get the loans that follow this one.
    pub cursor: String,
    /// The loan.
    pub node: Loan,
}

fn connection(page: Page<LoanView>, cursor: impl Fn(&LoanView) -> String) -> LoanConnection {
    let edges: Vec<LoanEdge> = page
        .items
        .into_iter()
        .map(|view| LoanEdge {
            cursor: cursor(&view),
            node: Loan::new(view),
        })
        .collect();
    LoanConnection {
        page_info: PageInfo::of(&edges, |edge| &edge.cursor, page.has_next_page),
        total_count: i32::try_from(page.total_count).unwrap_or(i32::MAX),
        edges,
    }
}

/// A page of a place's loans, oldest due first.
pub async fn loans_of(
    ctx: &Context<'_>,
    place: &Listing,
    state: Option<LoanState>,
    first: Option<i32>,
    after: Option<String>,
) -> Result<LoanConnection> {
    let (first, after) = paging(first, after, decode_loan_cursor)?;
    let page = loans::of_place(
        ctx.domain(),
        ctx.viewer(),
        place,
        state.map(Into::into),
        after,
        first,
    )
    .await
    .extend()?;
    Ok(connection(page, |view| loan_cursor(view.key())))
}

/// A page of the caller's own loans, newest first.
pub async fn my_loans(
    ctx: &Context<'_>,
    first: Option<i32>,
    after: Option<String>,
) -> Result<LoanConnection> {
    let (first, before) = paging(first, after, |after| decode_id_cursor(after, CursorKind::MyLoans))?;
    let page = loans::mine(ctx.domain(), ctx.viewer(), before, first)
        .await
        .extend()?;
    Ok(connection(page, |view| {
        id_cursor(CursorKind::MyLoans, view.row.id)
    }))
}

/// A walk-in borrower, as the paper register wrote them down.
#[derive(InputObject)]
pub struct BorrowerInput {
    /// Their name, 1 to 50 characters.
    pub name: String,
    /// Their mainland mobile number, such as "13812341234" (spaces, dashes and +86 allowed).
    pub phone: String,
}

/// What to borrow, and for whom.
#[derive(InputObject)]
pub struct BorrowItemInput {
    /// The item.
    pub item_id: ID,
    /// A walk-in borrower, registered by the place's owner or an admin. Workers leave it
    /// out: they borrow for their own account.
    pub borrower: Option<BorrowerInput>,
}

/// A return.
#[derive(InputObject)]
pub struct ReturnItemInput {
    /// The loan.
    pub loan_id: ID,
    /// A note, up to 200 characters, such as "伞骨坏了".
    pub note: Option<String>,
}

/// The result of a loan or a return.
#[derive(SimpleObject)]
pub struct LoanPayload {
    /// The loan as it is now.
    pub loan: Loan,
}

#[derive(Default)]
/// Loan mutations: borrow and return.
pub struct LoanMutation;

#[Object]
impl LoanMutation {
    /// Borrows one piece of an item. A worker borrows for their own account; the place's
    /// owner or an admin registers a walk-in with `borrower`. When every piece is out the
    /// answer is CONFLICT and nothing changes.
    async fn borrow_item(&self, ctx: &Context<'_>, input: BorrowItemInput) -> Result<LoanPayload> {
        let item_id = decode(&input.item_id, NodeType::Item).extend()?;
        let walk_in = input.borrower.map(|borrower| WalkIn {
            name: borrower.name,
            phone: borrower.phone,
        });
        let view = loans::borrow(ctx.domain(), ctx.viewer(), item_id, walk_in)
            .await
            .extend()?;
        Ok(LoanPayload {
            loan: Loan::new(view),
        })
    }

    /// Records a return, by the borrower, the place's owner or an admin. A second return
    /// of one loan is CONFLICT and changes nothing.
    async fn return_item(&self, ctx: &Context<'_>, input: ReturnItemInput) -> Result<LoanPayload> {
        let loan_id = decode(&input.loan_id, NodeType::Loan).extend()?;
        let view = loans::give_back(ctx.domain(), ctx.viewer(), loan_id, input.note.as_deref())
            .await
            .extend()?;
        Ok(LoanPayload {
            loan: Loan::new(view),
        })
    }
}
