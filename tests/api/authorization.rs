//! The authorization matrix: every mutation and every owner-only field, run over HTTP as
//! each kind of caller. It reads as the policy's specification; a mutation or an owner-only
//! field without a row here fails `every_mutation_and_owner_only_field_has_a_row`.

use serde_json::{Value, json};
use yizhan::auth::Role;

use crate::{
    helpers::{TestApp, data},
    writes::{CREATE, UPDATE, canteen, merchant_01_place},
};

#[derive(Clone, Copy, Debug)]
enum Caller {
    Anonymous,
    Worker,
    OwningMerchant,
    OtherMerchant,
    Operator,
    Admin,
}

const CALLERS: [Caller; 6] = [
    Caller::Anonymous,
    Caller::Worker,
    Caller::OwningMerchant,
    Caller::OtherMerchant,
    Caller::Operator,
    Caller::Admin,
];

/// The expected outcome per caller, in the order of `CALLERS`.
type Row = [&'static str; 6];

const OK: &str = "OK";
const UNAUTH: &str = "UNAUTHENTICATED";
const FORBID: &str = "FORBIDDEN";

/// (operation, expected outcomes). Mutation rows are named after the mutation; field rows
/// after `Type.field`.
const MATRIX: [(&str, Row); 5] = [
    //                            anonymous worker  owner  other   operator admin
    (
        "createPlace (merchant kind)",
        [UNAUTH, FORBID, OK, OK, FORBID, OK],
    ),
    (
        "createPlace (station kind)",
        [UNAUTH, FORBID, FORBID, FORBID, OK, OK],
    ),
    ("updatePlace", [UNAUTH, FORBID, OK, FORBID, FORBID, OK]),
    ("transferPlace", [UNAUTH, FORBID, FORBID, FORBID, FORBID, OK]),
    ("Place.ownerSubject", [UNAUTH, FORBID, OK, FORBID, FORBID, OK]),
];

/// Owner-only fields of `Place`: anonymous callers are refused them, and only them.
const OWNER_ONLY_PLACE_FIELDS: [&str; 1] = ["ownerSubject"];

fn token(app: &TestApp, caller: Caller) -> Option<String> {
    match caller {
        Caller::Anonymous => None,
        Caller::Worker => Some(app.token(Role::Worker, "rider-1")),
        Caller::OwningMerchant => Some(app.token(Role::Merchant, "merchant-01")),
        Caller::OtherMerchant => Some(app.token(Role::Merchant, "merchant-02")),
        Caller::Operator => Some(app.token(Role::Operator, "community-01")),
        Caller::Admin => Some(app.token(Role::Admin, "city-admin")),
    }
}

fn outcome(body: &Value) -> String {
    match body.get("errors") {
        None => OK.to_owned(),
        Some(errors) => errors[0]["extensions"]["code"]
            .as_str()
            .unwrap_or("NO CODE")
            .to_owned(),
    }
}

async fn attempt(app: &TestApp, operation: &str, caller: Caller) -> String {
    let token = token(app, caller);
    let (id, version) = merchant_01_place(app).await;
    let (query, variables) = match operation {
        "createPlace (merchant kind)" => (CREATE, json!({ "input": canteen() })),
        "createPlace (station kind)" => {
            let mut input = canteen();
            input["kind"] = json!("GRID_STATION");
            input["name"] = json!("新建网格驿站");
            (CREATE, json!({ "input": input }))
        }
        "updatePlace" => (
            UPDATE,
            json!({ "input": { "id": id, "expectedVersion": version, "name": "矩阵测试修改" } }),
        ),
        "transferPlace" => (
            "mutation T($input: TransferPlaceInput!) { transferPlace(input: $input) { place { id } } }",
            json!({ "input": { "id": id, "newOwnerSubject": "merchant-01" } }),
        ),
        "Place.ownerSubject" => (
            "query P($id: ID!) { place(id: $id) { ownerSubject } }",
            json!({ "id": id }),
        ),
        other => panic!("no way to run {other}"),
    };
    let (_, _, body) = app.send(token.as_deref(), query, variables).await;
    outcome(&body)
}

#[tokio::test]
async fn every_cell_of_the_authorization_matrix_holds() {
    let app = TestApp::spawn().await;
    let mut failures = Vec::new();
    for (operation, row) in MATRIX {
        for (caller, expected) in CALLERS.into_iter().zip(row) {
            let actual = attempt(&app, operation, caller).await;
            if actual != expected {
                failures.push(format!(
                    "{operation} as {caller:?}: expected {expected}, got {actual}"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "matrix cells that do not hold:\n{}",
        failures.join("\n")
    );
}

#[tokio::test]
async fn every_mutation_and_owner_only_field_has_a_row() {
    let app = TestApp::spawn().await;
    let body = app
        .gql("{ __type(name: \"Mutation\") { fields { name } } }", json!({}))
        .await;
    for field in data(&body)["__type"]["fields"].as_array().unwrap() {
        let name = field["name"].as_str().unwrap();
        assert!(
            MATRIX
                .iter()
                .any(|(operation, _)| operation.split(' ').next() == Some(name)),
            "mutation {name} has no row in the authorization matrix"
        );
    }
    // Every scalar field of a published Place, asked anonymously: only the owner-only ones fail.
    let body = app
        .gql(
            "{ __type(name: \"Place\") { fields { name args { name } type { kind ofType { kind } } } } }",
            json!({}),
        )
        .await;
    let (id, _) = merchant_01_place(&app).await;
    for field in data(&body)["__type"]["fields"].as_array().unwrap() {
        let name = field["name"].as_str().unwrap();
        let kind = field["type"]["ofType"]["kind"]
            .as_str()
            .or(field["type"]["kind"].as_str())
            .unwrap();
        let selection = if matches!(kind, "OBJECT" | "INTERFACE") {
            format!("{name} {{ __typename }}")
        } else {
            name.to_owned()
        };
        let body = app
            .gql(
                &format!("query P($id: ID!) {{ place(id: $id) {{ {selection} }} }}"),
                json!({ "id": id }),
            )
            .await;
        let refused = body.get("errors").is_some();
        assert_eq!(
            refused,
            OWNER_ONLY_PLACE_FIELDS.contains(&name),
            "Place.{name}: refused to anonymous callers = {refused}; add it to the matrix and OWNER_ONLY_PLACE_FIELDS"
        );
    }
}
