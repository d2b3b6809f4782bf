//! `--filters` as the AWS CLI takes it: the shorthand `Name=name,Values=a,b` (quoted
//! values may hold commas, `\,` is a literal comma) or JSON (`[{"Name":..,"Values":[..]}]`
//! or one `{"Name":..}` object per argument).
//!
//! The shorthand grammar is the AWS CLI's own (`awscli/shorthand.py`): the same
//! characters start and continue a bare value, a bare value after a comma cannot hold
//! `=`, a comma followed by `Key=` starts the next key, and trailing spaces of a bare
//! value are dropped.

use std::collections::BTreeMap;

use super::filter::Filter;

/// A value of the shorthand syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    Text(String),
    List(Vec<Value>),
    Map(BTreeMap<String, Value>),
}

/// Parses every `--filters` argument into filters, in order.
pub fn parse_filters(args: &[String]) -> Result<Vec<Filter>, String> {
    let mut filters = Vec::new();
    for arg in args {
        let trimmed = arg.trim_start();
        if trimmed.starts_with('[') {
            let list: Vec<serde_json::Value> = serde_json::from_str(trimmed)
                .map_err(|e| format!("--filters: invalid JSON ({e}): {arg}"))?;
            for item in &list {
                filters.push(filter_from_json(item, arg)?);
            }
        } else if trimmed.starts_with('{') {
            let item: serde_json::Value = serde_json::from_str(trimmed)
                .map_err(|e| format!("--filters: invalid JSON ({e}): {arg}"))?;
            filters.push(filter_from_json(&item, arg)?);
        } else {
            let map = Parser::new(arg)
                .parse()
                .map_err(|e| format!("--filters: {e}"))?;
            filters.push(filter_from_shorthand(map, arg)?);
        }
    }
    Ok(filters)
}

fn filter_from_json(item: &serde_json::Value, arg: &str) -> Result<Filter, String> {
    let object = item
        .as_object()
        .ok_or_else(|| format!("--filters: expected an object with Name and Values: {arg}"))?;
    if let Some(key) = object.keys().find(|k| *k != "Name" && *k != "Values") {
        return Err(unknown_key(key));
    }
    let name = match object.get("Name") {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(_) => return Err(format!("--filters: Name must be a string: {arg}")),
        None => return Err(format!("--filters: a filter needs a Name: {arg}")),
    };
    let values = match object.get("Values") {
        None => Vec::new(),
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("--filters: Values must be strings: {arg}"))
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(format!("--filters: Values must be a list: {arg}")),
    };
    Ok(Filter { name, values })
}

fn filter_from_shorthand(map: BTreeMap<String, Value>, arg: &str) -> Result<Filter, String> {
    if let Some(key) = map.keys().find(|k| *k != "Name" && *k != "Values") {
        return Err(unknown_key(key));
    }
    let name = match map.get("Name") {
        Some(Value::Text(s)) => s.clone(),
        Some(_) => return Err(format!("--filters: Name must be one string: {arg}")),
        None => return Err(format!("--filters: a filter needs Name=...: {arg}")),
    };
    let values = match map.get("Values") {
        None => Vec::new(),
        Some(Value::Text(s)) => vec![s.clone()],
        Some(Value::List(items)) => items
            .iter()
            .map(|v| match v {
                Value::Text(s) => Ok(s.clone()),
                _ => Err(format!("--filters: Values must be strings: {arg}")),
            })
            .collect::<Result<_, _>>()?,
        Some(Value::Map(_)) => return Err(format!("--filters: Values must be a list: {arg}")),
    };
    Ok(Filter { name, values })
}

fn unknown_key(key: &str) -> String {
    format!("--filters: unknown parameter \"{key}\", must be one of: Name, Values")
}

/// Characters that may start a bare value.
fn start_word(c: char) -> bool {
    matches!(c, '!' | '#'..='&' | '('..='+' | '-'..='<' | '>'..='Z' | '\\'..='z' | '|'..='\u{ffff}')
}

/// Characters that may continue the first bare value of a key.
fn first_follow(c: char) -> bool {
    c.is_whitespace()
        || matches!(c, '!' | '#'..='&' | '('..='+' | '-'..='\\' | '^'..='|' | '~'..='\u{ffff}')
}

/// Characters that may continue a later bare value of a comma-separated list.
fn second_follow(c: char) -> bool {
    c.is_whitespace() || matches!(c, '!' | '#'..='&' | '('..='+' | '-'..='<' | '>'..='\u{ffff}')
}

struct Parser {
    input: Vec<char>,
    at: usize,
}

type Parsed<T> = Result<T, String>;

impl Parser {
    fn new(input: &str) -> Parser {
        Parser {
            input: input.chars().collect(),
            at: 0,
        }
    }

    fn error(&self, expected: &str) -> String {
        let text: String = self.input.iter().collect();
        let got = self
            .current()
            .map(|c| format!("'{c}'"))
            .unwrap_or_else(|| "the end".to_string());
        format!(
            "cannot parse \"{text}\": expected {expected} at character {} but found {got}; \
             write Name=<filter>,Values=<value>,<value> or JSON",
            self.at + 1
        )
    }

    fn current(&self) -> Option<char> {
        self.input.get(self.at).copied()
    }

    fn eof(&self) -> bool {
        self.at >= self.input.len()
    }

    fn skip_space(&mut self) {
        while self.current().is_some_and(char::is_whitespace) {
            self.at += 1;
        }
    }

    fn expect(&mut self, c: char, skip_space: bool) -> Parsed<()> {
        if skip_space {
            self.skip_space();
        }
        if self.current() != Some(c) {
            return Err(self.error(&format!("'{c}'")));
        }
        self.at += 1;
        if skip_space {
            self.skip_space();
        }
        Ok(())
    }

    fn parse(mut self) -> Parsed<BTreeMap<String, Value>> {
        let mut params = BTreeMap::new();
        let (key, value) = self.keyval()?;
        params.insert(key, value);
        while !self.eof() {
            self.expect(',', true)?;
            let (key, value) = self.keyval()?;
            if params.contains_key(&key) {
                return Err(format!("the key \"{key}\" is given twice"));
            }
            params.insert(key, value);
        }
        Ok(params)
    }

    /// A key: the characters the AWS CLI allows in one.
    fn key(&mut self) -> String {
        let start = self.at;
        while self
            .current()
            .is_some_and(|c| c.is_ascii_alphanumeric() || "-_.#/:".contains(c))
        {
            self.at += 1;
        }
        self.input[start..self.at].iter().collect()
    }

    fn keyval(&mut self) -> Parsed<(String, Value)> {
        let key = self.key();
        self.expect('=', true)?;
        Ok((key, self.values()?))
    }

    fn values(&mut self) -> Parsed<Value> {
        match self.current() {
            None => Ok(Value::Text(String::new())),
            Some('[') => self.explicit_list(),
            Some('{') => self.hash_literal(),
            Some(_) => self.csv_value(),
        }
    }

    fn csv_value(&mut self) -> Parsed<Value> {
        let first = self.first_value()?;
        self.skip_space();
        if self.eof() || self.current() != Some(',') {
            return Ok(first);
        }
        self.expect(',', true)?;
        let mut list = vec![first.clone()];
        loop {
            match self.second_value() {
                Ok(value) => {
                    self.skip_space();
                    if self.eof() {
                        list.push(value);
                        break;
                    }
                    self.expect(',', true).map_err(|_| self.error("','"))?;
                    list.push(value);
                }
                Err(e) => {
                    if self.eof() {
                        return Err(e);
                    }
                    self.backtrack_to(',');
                    break;
                }
            }
        }
        Ok(if list.len() == 1 {
            first
        } else {
            Value::List(list)
        })
    }

    /// After a failed later value: back to the comma before it (it starts a new key).
    fn backtrack_to(&mut self, c: char) {
        while self.at > 0 && self.input.get(self.at) != Some(&c) {
            self.at -= 1;
        }
    }

    fn second_value(&mut self) -> Parsed<Value> {
        match self.current() {
            Some('\'') => self.quoted('\''),
            Some('"') => self.quoted('"'),
            _ => {
                let text = self.bare(second_follow);
                if text.is_empty() {
                    return Err(self.error("a value"));
                }
                // A later value stops at '=': what follows the comma was a new key.
                if self.current() == Some('=') {
                    return Err(self.error("','"));
                }
                Ok(Value::Text(text))
            }
        }
    }

    fn first_value(&mut self) -> Parsed<Value> {
        match self.current() {
            Some('\'') => self.quoted('\''),
            Some('"') => self.quoted('"'),
            _ => Ok(Value::Text(self.bare(first_follow))),
        }
    }

    /// A bare value: a start character then follow characters; `\,` is one unit that
    /// stands for a comma. Trailing whitespace is dropped.
    fn bare(&mut self, follow: fn(char) -> bool) -> String {
        let start = self.at;
        let mut first = true;
        loop {
            match self.current() {
                Some('\\') if self.input.get(self.at + 1) == Some(&',') => self.at += 2,
                Some(c) if (first && start_word(c)) || (!first && follow(c)) => self.at += 1,
                _ => break,
            }
            first = false;
        }
        let raw: String = self.input[start..self.at].iter().collect();
        raw.replace("\\,", ",").trim_end().to_string()
    }

    /// A quoted value; `\<quote>` is the quote and `\\` a backslash.
    fn quoted(&mut self, quote: char) -> Parsed<Value> {
        let start = self.at;
        self.at += 1;
        loop {
            match self.current() {
                None => {
                    self.at = start;
                    return Err(self.error(&format!("a closing {quote}")));
                }
                Some('\\') if self.input.get(self.at + 1) == Some(&quote) => self.at += 2,
                Some(c) if c == quote => break,
                Some(_) => self.at += 1,
            }
        }
        let inner: String = self.input[start + 1..self.at].iter().collect();
        self.at += 1;
        let escaped_quote = format!("\\{quote}");
        Ok(Value::Text(
            inner
                .replace(&escaped_quote, &quote.to_string())
                .replace("\\\\", "\\"),
        ))
    }

    fn explicit_list(&mut self) -> Parsed<Value> {
        self.expect('[', true)?;
        let mut values = Vec::new();
        while self.current() != Some(']') {
            if self.eof() {
                return Err(self.error("']'"));
            }
            values.push(self.explicit_value()?);
            self.skip_space();
            if self.current() != Some(']') {
                self.expect(',', false)?;
                self.skip_space();
            }
        }
        self.expect(']', false)?;
        Ok(Value::List(values))
    }

    fn explicit_value(&mut self) -> Parsed<Value> {
        match self.current() {
            Some('[') => self.explicit_list(),
            Some('{') => self.hash_literal(),
            _ => self.first_value(),
        }
    }

    fn hash_literal(&mut self) -> Parsed<Value> {
        self.expect('{', true)?;
        let mut map = BTreeMap::new();
        while self.current() != Some('}') {
            if self.eof() {
                return Err(self.error("'}'"));
            }
            let key = self.key();
            self.expect('=', true)?;
            let value = self.explicit_value()?;
            self.skip_space();
            if self.current() != Some('}') {
                self.expect(',', false)?;
                self.skip_space();
            }
            map.insert(key, value);
        }
        self.expect('}', false)?;
        Ok(Value::Map(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(arg: &str) -> Filter {
        let mut f = parse_filters(&[arg.to_string()]).unwrap();
        assert_eq!(f.len(), 1, "{arg}");
        f.remove(0)
    }

    #[test]
    fn shorthand_as_the_aws_cli_reads_it() {
        let cases: &[(&str, &str, &[&str])] = &[
            (
                "Name=name,Values=ubuntu/images/*",
                "name",
                &["ubuntu/images/*"],
            ),
            ("Name=name,Values=a,b,c", "name", &["a", "b", "c"]),
            ("Values=a,b,Name=state", "state", &["a", "b"]),
            ("Name=tag:team,Values=web", "tag:team", &["web"]),
            ("Name=name,Values=\"a,b\",c", "name", &["a,b", "c"]),
            ("Name=name,Values='it''s'", "name", &["it"]),
            ("Name=name,Values=a\\,b", "name", &["a,b"]),
            ("Name=name,Values=[x,y]", "name", &["x", "y"]),
            (
                "Name=name,Values=\\*amazon\\?\\\\",
                "name",
                &["\\*amazon\\?\\\\"],
            ),
            ("Name = name , Values = a b  ", "name", &["a b"]),
            ("Name=name,Values=Jörg", "name", &["Jörg"]),
            (
                "Name=description,Values=\"say \\\"hi\\\"\"",
                "description",
                &["say \"hi\""],
            ),
            ("Name=name,Values=", "name", &[""]),
        ];
        for (arg, name, values) in cases {
            if *arg == "Name=name,Values='it''s'" {
                // Two quoted strings side by side are not a value.
                assert!(parse_filters(&[arg.to_string()]).is_err());
                continue;
            }
            let f = one(arg);
            assert_eq!(f.name, *name, "{arg}");
            assert_eq!(f.values, *values, "{arg}");
        }
    }

    #[test]
    fn json_forms() {
        let list =
            r#"[{"Name":"name","Values":["a,b","c"]},{"Name":"state","Values":["available"]}]"#;
        let f = parse_filters(&[list.to_string()]).unwrap();
        assert_eq!(f[0], Filter::new("name", &["a,b", "c"]));
        assert_eq!(f[1], Filter::new("state", &["available"]));
        assert_eq!(
            one(r#"{"Name":"tag:k","Values":["v"]}"#),
            Filter::new("tag:k", &["v"])
        );
    }

    #[test]
    fn mistakes_are_named() {
        for bad in [
            "Name=name,Vals=a",
            "name=x",
            r#"[{"Name":1}]"#,
            "[oops",
            "Name=name,Values=\"open",
            "Name=a,Name=b",
            "Name",
        ] {
            let err = parse_filters(&[bad.to_string()]).unwrap_err();
            assert!(err.starts_with("--filters"), "{bad}: {err}");
        }
    }
}
