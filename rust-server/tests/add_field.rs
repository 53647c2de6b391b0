//! The incremental-build scenario inserts one line right after the `hellobench:add-field`
//! marker (the line README.md states). These checks keep that edit a valid one-line change;
//! the orchestrator's build scenario is what compiles it.

const HANDLERS: &str = include_str!("../src/handlers.rs");
const README: &str = include_str!("../README.md");
const INSERTED_LINE: &str = "    extra_field: u64,";

#[test]
fn the_marker_is_on_exactly_one_line() {
    let count = HANDLERS
        .lines()
        .filter(|line| line.contains("hellobench:add-field"))
        .count();
    assert_eq!(count, 1);
}

#[test]
fn the_marker_is_the_last_line_of_the_user_struct() {
    let lines: Vec<&str> = HANDLERS.lines().collect();
    let marker = lines
        .iter()
        .position(|line| line.contains("hellobench:add-field"))
        .unwrap();
    let start = lines
        .iter()
        .position(|line| line.starts_with("struct User {"))
        .expect("struct User");
    assert!(start < marker, "marker before struct User");
    assert!(
        lines[start..marker].iter().all(|line| *line != "}"),
        "marker outside struct User"
    );
    assert_eq!(
        lines[marker + 1],
        "}",
        "the inserted field must be the last one"
    );
}

#[test]
fn the_user_value_is_built_with_a_default_base() {
    // So the new field needs no other edit: it takes its zero value, `"extra_field":0`.
    assert!(HANDLERS.contains("#[derive(Serialize, Default)]\nstruct User {"));
    assert!(HANDLERS.contains("        ..Default::default()\n    }\n}"));
}

#[test]
fn the_readme_states_the_inserted_line() {
    assert!(
        README.contains(&format!("\n{INSERTED_LINE}\n")),
        "README.md must give the line {INSERTED_LINE:?} in a code block"
    );
}
