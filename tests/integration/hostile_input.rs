//! Hostile input for amiq's parsers: `--filters` in the AWS CLI's shorthand and JSON
//! forms, the config file, cron schedules and `--query` expressions. Random inputs
//! built from each grammar's own pieces and from pieces that break grammars; each
//! parser must answer every one with a value or a clear error, never a panic.
//!
//! Inputs per parser: the `cases` below (proptest shrinks a failure to a small one).

use std::str::FromStr;

use amiq::cmd::daemon::Schedule;
use amiq::config::SyncConfig;
use amiq::describe::cli_args::parse_filters;
use proptest::prelude::*;

const CASES: u32 = 20_000;

fn from_pieces(pieces: Vec<&'static str>, max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(pieces), 0..max).prop_map(|p| p.concat())
}

/// Pieces that break any grammar: quotes, escapes, brackets, NUL, control and
/// multi-byte characters, very long runs.
const BREAKERS: [&str; 16] = [
    "\"", "'", "\\", "\0", "\n", "\u{7f}", "\u{FEFF}", "\u{202E}", "名", "🙂", "[", "]", "{", "}",
    "=", ",",
];

fn with_breakers(mut grammar: Vec<&'static str>) -> Vec<&'static str> {
    grammar.extend(BREAKERS);
    grammar.push("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    grammar
}

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, ..ProptestConfig::default() })]

    #[test]
    fn filters_shorthand_and_json(args in prop::collection::vec(from_pieces(with_breakers(vec![
        "Name=", "Values=", "name", "tag:", "tag-key", "Name", "Values", "a", "*", "?", " ",
        "[{\"Name\":", "\"Values\":[", "]}]", ":", "null", "1", "true",
    ]), 24), 1..4)) {
        match parse_filters(&args) {
            Ok(filters) => {
                for f in filters {
                    // A parsed filter has a name; its values are the user's.
                    prop_assert!(!f.name.is_empty() || args.iter().any(|a| a.contains("Name")));
                }
            }
            Err(e) => prop_assert!(!e.trim().is_empty(), "empty error for {:?}", args),
        }
    }

    #[test]
    fn config_files(text in from_pieces(with_breakers(vec![
        "db = ", "regions = ", "scopes = ", "endpoint_url = ", "concurrency = ", "\n",
        "[[accounts]]\n", "role_arn = ", "profile = ", "name = ", "external_id = ",
        "\"us-east-1\"", "\"owned\"", "\"all\"", "\"amazon\"", "\"owner:123\"", "4", "-1",
        "0", "1e99", "true", "[", "]", "\"arn:aws:iam::111111111111:role/R\"", "#", "[x]\n",
    ]), 32)) {
        match SyncConfig::from_toml(&text, "fuzz.toml") {
            Ok(_) => {}
            Err(e) => {
                let message = e.to_string();
                prop_assert!(message.contains("fuzz.toml"), "error does not name the file: {}", message);
            }
        }
    }

    #[test]
    fn cron_schedules(text in from_pieces(with_breakers(vec![
        "*", "/", "-", ",", "?", "L", "W", "#", "0", "5", "59", "60", "99999999999", " ",
        "MON", "JAN", "@daily", "@hourly", "*/0", "1-0",
    ]), 20)) {
        if let Err(e) = Schedule::from_str(&text) {
            prop_assert!(e.contains("schedule") && e.contains("cron"), "unclear error: {}", e);
        }
    }

    #[test]
    fn query_expressions(text in from_pieces(with_breakers(vec![
        "Images", "[]", "[?", "==", "`", "@", ".", "|", "&&", "||", "!", "(", ")", "ImageId",
        "length(", "sort_by(", "&", "*", "[0]", "[-1:]", "'x'",
    ]), 20)) {
        // `--query` goes to the jmespath crate as it is: an expression compiles or is
        // refused, and one that compiles evaluates without panicking.
        if let Ok(expression) = jmespath::compile(&text) {
            let data = jmespath::Variable::from_json(r#"{"Images":[{"ImageId":"ami-1","Tags":[]}]}"#)
                .expect("valid JSON");
            let _ = expression.search(data);
        }
    }
}
