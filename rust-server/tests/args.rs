//! Command-line parsing: the flags, their defaults, and one-line errors that name the flag.

use std::net::IpAddr;
use std::num::NonZeroUsize;

use rust_server::{parse_args, Args, Command};

fn parse(args: &[&str]) -> Result<Command, String> {
    parse_args(args.iter().map(|a| a.to_string()))
}

fn run(args: &[&str]) -> Args {
    match parse(args) {
        Ok(Command::Run(args)) => args,
        other => panic!("{args:?} gave {other:?}"),
    }
}

fn error(args: &[&str]) -> String {
    let message = parse(args).expect_err("expected an error");
    assert!(!message.contains('\n'), "not one line: {message:?}");
    message
}

#[test]
fn no_arguments_give_port_8080_on_loopback_with_default_threads() {
    let args = run(&[]);
    assert_eq!(args.port, 8080);
    assert_eq!(args.bind, "127.0.0.1".parse::<IpAddr>().unwrap());
    assert_eq!(args.threads, None);
    assert_eq!(args.live_mb, 0);
}

#[test]
fn flags_take_their_value_as_the_next_argument_or_after_equals() {
    let args = run(&["--port", "0", "--bind=::1", "--threads", "3"]);
    assert_eq!(args.port, 0);
    assert_eq!(args.bind, "::1".parse::<IpAddr>().unwrap());
    assert_eq!(args.threads, NonZeroUsize::new(3));
    assert_eq!(run(&["--port=65535"]).port, 65535);
}

#[test]
fn a_bracketed_ipv6_address_is_accepted() {
    assert_eq!(
        run(&["--bind", "[::1]"]).bind,
        "::1".parse::<IpAddr>().unwrap()
    );
}

#[test]
fn help_is_its_own_command() {
    assert_eq!(parse(&["--help"]), Ok(Command::Help));
    assert_eq!(parse(&["--port", "1", "-h"]), Ok(Command::Help));
}

#[test]
fn a_bad_port_is_an_error_naming_the_flag() {
    for value in ["65536", "-1", "http", ""] {
        let message = error(&["--port", value]);
        assert!(message.starts_with("--port:"), "{message}");
        assert!(message.contains(&format!("{value:?}")), "{message}");
    }
}

#[test]
fn a_bad_bind_address_is_an_error_naming_the_flag() {
    for value in ["localhost", "256.0.0.1", "127.0.0.1:80"] {
        assert!(error(&["--bind", value]).starts_with("--bind:"), "{value}");
    }
}

#[test]
fn threads_must_be_1_to_1024() {
    for value in ["0", "1025", "two", "-2"] {
        assert!(
            error(&["--threads", value]).starts_with("--threads:"),
            "{value}"
        );
    }
    assert_eq!(run(&["--threads", "1024"]).threads, NonZeroUsize::new(1024));
}

#[test]
fn a_flag_without_its_value_is_an_error() {
    assert_eq!(error(&["--port"]), "--port: missing value");
    assert_eq!(
        error(&["--threads", "2", "--bind"]),
        "--bind: missing value"
    );
}

#[test]
fn an_unknown_flag_or_a_stray_argument_is_an_error() {
    assert_eq!(error(&["--verbose"]), "unknown flag --verbose (try --help)");
    assert_eq!(
        error(&["--port=1", "8080"]),
        "unexpected argument \"8080\" (try --help)"
    );
}

#[test]
fn live_mb_defaults_to_0_and_takes_0_to_4096() {
    assert_eq!(run(&[]).live_mb, 0);
    assert_eq!(run(&["--live-mb", "0"]).live_mb, 0);
    assert_eq!(run(&["--live-mb", "100"]).live_mb, 100);
    assert_eq!(run(&["--live-mb=4096"]).live_mb, 4096);
}

#[test]
fn a_bad_live_mb_is_an_error_naming_the_flag() {
    for value in ["4097", "-1", "+5", " 5", "1.5", "ten", "", "99999999999"] {
        let message = error(&["--live-mb", value]);
        assert_eq!(
            message,
            format!("--live-mb: expected an integer 0..4096, got {value:?}")
        );
    }
    assert_eq!(error(&["--live-mb"]), "--live-mb: missing value");
}

#[test]
fn db_takes_a_key_value_string_or_a_uri_and_db_pool_1_to_1024() {
    let args = run(&[]);
    assert_eq!((args.db, args.db_pool), (None, None));
    let args = run(&[
        "--db",
        "host=127.0.0.1 port=5433 user=postgres dbname=bench",
    ]);
    let config = args.db.expect("--db");
    assert_eq!(config.get_ports(), [5433]);
    assert_eq!(config.get_dbname(), Some("bench"));
    let args = run(&[
        "--db=postgresql://postgres@127.0.0.1:5433/postgres",
        "--db-pool=1",
    ]);
    assert_eq!(args.db.expect("--db").get_user(), Some("postgres"));
    assert_eq!(args.db_pool, NonZeroUsize::new(1));
    assert_eq!(run(&["--db-pool", "1024"]).db_pool, NonZeroUsize::new(1024));
    // A Unix socket directory is a host too.
    assert!(run(&["--db", "host=/var/run/postgresql"]).db.is_some());
}

#[test]
fn a_bad_db_or_db_pool_is_an_error_naming_the_flag_without_echoing_a_password() {
    for value in [
        "",
        " ",
        "host=h colour=blue",
        "host=h port=x",
        "postgresql://u:secret@h:99999/d",
        "dbname=postgres password=secret",
    ] {
        let message = error(&["--db", value]);
        assert!(message.starts_with("--db: "), "{value:?}: {message}");
        assert!(!message.contains("secret"), "{message}");
    }
    assert_eq!(
        error(&["--db", "host=h colour=blue"]),
        "--db: not a connection string or URI: invalid connection string: unknown option `colour`"
    );
    for value in ["0", "1025", "-1", "+4", "four", ""] {
        assert_eq!(
            error(&["--db-pool", value]),
            format!("--db-pool: expected an integer 1..1024, got {value:?}")
        );
    }
    assert_eq!(error(&["--db"]), "--db: missing value");
}
