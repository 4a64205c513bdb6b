//! Loans as a station keeps them: overdue ones first, walk-in borrowers' personal data
//! (PIPL) shown whole only to the station and admins, and erased after the retention.

use chrono::{Duration, Utc};
use entity::loan;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::{Value, json};
use yizhan::auth::Role;

use crate::{
    helpers::{TestApp, code, data, numeric_id},
    items::{BORROW, LOANS, RETURN, borrow, item, listed, operator, rider, station},
};

#[tokio::test]
async fn walk_in_borrowers_phone_is_whole_only_for_the_station_and_admins() {
    let app = TestApp::spawn().await;
    let place = station(&app).await;
    let umbrellas = item(&app, &place, "雨伞", 3).await;
    let walk_in =
        json!({ "input": { "itemId": umbrellas, "borrower": { "name": "张三", "phone": "138 1234 1234" } } });
    let body = app.gql_as(&operator(&app), BORROW, walk_in.clone()).await;
    let loan = &data(&body)["borrowItem"]["loan"];
    assert_eq!(loan["walkIn"], true);
    assert_eq!(loan["borrowerPhone"], "13812341234");

    for token in [operator(&app), app.token(Role::Admin, "city")] {
        let body = app.gql_as(&token, LOANS, json!({ "id": place })).await;
        let node = &data(&body)["place"]["loans"]["edges"][0]["node"];
        assert_eq!(
            (node["borrowerName"].as_str(), node["borrowerPhone"].as_str()),
            (Some("张三"), Some("13812341234"))
        );
    }
    for (token, registering) in [
        (app.token(Role::Merchant, "merchant-01"), "FORBIDDEN"),
        (app.token(Role::Operator, "community-02"), "FORBIDDEN"),
        (rider(&app, "rider-1"), "BAD_USER_INPUT"),
    ] {
        assert_eq!(
            code(&app.gql_as(&token, LOANS, json!({ "id": place })).await),
            "FORBIDDEN"
        );
        assert_eq!(
            code(&app.gql_as(&token, BORROW, walk_in.clone()).await),
            registering
        );
    }
    assert_eq!(
        code(&app.gql_as(&rider(&app, "rider-1"), BORROW, walk_in).await),
        "BAD_USER_INPUT"
    );
    let bad_phone =
        json!({ "input": { "itemId": umbrellas, "borrower": { "name": "李四", "phone": "12345" } } });
    assert_eq!(
        code(&app.gql_as(&operator(&app), BORROW, bad_phone).await),
        "BAD_USER_INPUT"
    );
    assert_eq!(
        listed(&app, &place, &umbrellas).await["available"],
        2,
        "refusals lent nothing"
    );
}

#[tokio::test]
async fn overdue_loans_are_listed_oldest_due_first() {
    let app = TestApp::spawn().await;
    let place = station(&app).await;
    let umbrellas = item(&app, &place, "雨伞", 5).await;
    let late = borrow(&app, &rider(&app, "rider-1"), &umbrellas).await;
    let later = borrow(&app, &rider(&app, "rider-2"), &umbrellas).await;
    let _on_time = borrow(&app, &rider(&app, "rider-3"), &umbrellas).await;
    for (id, hours) in [(&later, 2), (&late, 5)] {
        loan::Entity::update_many()
            .col_expr(
                loan::Column::DueAt,
                Expr::value(Utc::now() - Duration::hours(hours)),
            )
            .filter(loan::Column::Id.eq(numeric_id(id.as_str().unwrap())))
            .exec(&app.db)
            .await
            .unwrap();
    }
    let body = app
        .gql_as(&operator(&app), LOANS, json!({ "id": place, "state": "OVERDUE" }))
        .await;
    let loans = &data(&body)["place"]["loans"];
    assert_eq!(loans["totalCount"], 2);
    assert_eq!(
        loans["edges"][0]["node"]["id"], late,
        "the oldest due comes first"
    );
    assert_eq!(loans["edges"][1]["node"]["id"], later);
    assert_eq!(loans["edges"][0]["node"]["overdue"], true);
    let open = app
        .gql_as(&operator(&app), LOANS, json!({ "id": place, "state": "OPEN" }))
        .await;
    assert_eq!(
        data(&open)["place"]["loans"]["totalCount"],
        3,
        "OPEN includes overdue loans"
    );
}

#[tokio::test]
async fn walk_in_names_and_phones_are_erased_after_the_retention_leaving_the_loan() {
    let app = TestApp::spawn().await;
    let place = station(&app).await;
    let umbrellas = item(&app, &place, "雨伞", 5).await;
    let op = operator(&app);
    let mut loans = Vec::new();
    for name in ["王五", "赵六"] {
        let input =
            json!({ "input": { "itemId": umbrellas, "borrower": { "name": name, "phone": "13900001111" } } });
        let body = app.gql_as(&op, BORROW, input).await;
        let id = data(&body)["borrowItem"]["loan"]["id"].clone();
        data(&app.gql_as(&op, RETURN, json!({ "id": id })).await);
        loans.push(numeric_id(id.as_str().unwrap()));
    }
    for (id, days) in [(loans[0], 91), (loans[1], 10)] {
        loan::Entity::update_many()
            .col_expr(
                loan::Column::ReturnedAt,
                Expr::value(Utc::now() - Duration::days(days)),
            )
            .filter(loan::Column::Id.eq(id))
            .exec(&app.db)
            .await
            .unwrap();
    }
    let erased = yizhan::domain::stations::privacy::erase_expired(&app.db, 90)
        .await
        .unwrap();
    assert_eq!(erased, 1);
    let body = app
        .gql_as(&op, LOANS, json!({ "id": place, "state": "RETURNED" }))
        .await;
    let returned = &data(&body)["place"]["loans"];
    assert_eq!(returned["totalCount"], 2, "the loans stay for the counts");
    let names: Vec<Value> = returned["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"]["borrowerName"].clone())
        .collect();
    assert!(
        names.contains(&Value::Null) && names.contains(&json!("赵六")),
        "{names:?}"
    );
    let rows = loan::Entity::find()
        .filter(loan::Column::Id.eq(loans[0]))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((rows.borrower_name, rows.borrower_phone), (None, None));
}

#[test]
fn the_retention_setting_is_range_checked() {
    let config = |value: &str| {
        let value = value.to_owned();
        yizhan::config::Config::from_lookup(move |name| {
            (name == "YIZHAN_LOAN_PII_RETENTION_DAYS").then(|| value.clone())
        })
    };
    assert_eq!(config("30").unwrap().rules.loan_pii_retention_days, 30);
    for bad in ["0", "100000", "soon"] {
        let error = config(bad).unwrap_err().to_string();
        assert!(error.contains("YIZHAN_LOAN_PII_RETENTION_DAYS"), "{error}");
    }
}
