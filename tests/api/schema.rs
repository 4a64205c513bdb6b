use std::process::Command;

#[test]
fn schema_graphql_is_exactly_what_yizhan_schema_prints() {
    let output = Command::new(env!("CARGO_BIN_EXE_yizhan"))
        .arg("schema")
        .output()
        .expect("yizhan runs");
    assert!(output.status.success());
    let printed = String::from_utf8(output.stdout).expect("the SDL is UTF-8");
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .expect("schema.graphql is committed");
    assert!(
        printed == committed,
        "schema.graphql is stale: run `cargo run -- schema > schema.graphql` and review the diff"
    );
}
