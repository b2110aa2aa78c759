//! Settings from the command line: `--set PATH=VALUE` changes one value of a scenario file
//! before it is parsed, so an experiment can vary a parameter without editing the file.
//!
//! `PATH` is a path in the scenario's JSON as the scenario's own error messages print it:
//! object keys joined by dots, array elements by index (`cluster.raft.election_timeout.max`,
//! `network.default.loss`, `faults[0].at`). `VALUE` is JSON when it parses as JSON (`0.05`,
//! `true`, `{"min": "1ms", "max": "3ms"}`, `"text"`), and otherwise a string (`300ms`), so the
//! human units of scenario files need no quotes. Objects missing on the way are created (a
//! setting the file leaves to its default can still be set); array elements must exist. The
//! patched document is then parsed and validated like any scenario file, so a wrong name or
//! value is refused with the usual error naming its path, and nothing runs.
//!
//! The patched text is what every later stage sees — the report's `scenario.json`, sweep and
//! compare workers, replay — so a run with `--set` replays from its report alone.

use serde_json::Value;
use thiserror::Error;

/// One step of a [`SettingPath`]: an object key or an array index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// A key of a JSON object.
    Key(String),
    /// An element of a JSON array.
    Index(usize),
}

/// A path into a scenario's JSON, such as `faults[0].at`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettingPath {
    /// The steps from the top of the document.
    pub steps: Vec<Step>,
}

impl std::fmt::Display for SettingPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, step) in self.steps.iter().enumerate() {
            match step {
                Step::Key(k) if i == 0 => write!(f, "{k}")?,
                Step::Key(k) => write!(f, ".{k}")?,
                Step::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// One `--set PATH=V1,V2,…`: a path and the values it takes (one value for `run`; a sweep
/// may take several).
#[derive(Clone, Debug, PartialEq)]
pub struct Setting {
    /// Where the value goes.
    pub path: SettingPath,
    /// The values, in the order given.
    pub values: Vec<Value>,
}

/// Why a `--set` could not be read or applied.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum PatchError {
    /// The argument has no `=`, no path or no value.
    #[error("expected PATH=VALUE (e.g. network.default.loss=0.05), found \"{0}\"")]
    Shape(String),
    /// The path is not a dotted path with `[index]` steps.
    #[error("\"{path}\" is not a path: {why}")]
    BadPath {
        /// The path as given.
        path: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// A step goes into a value that is not an object or an array.
    #[error("{at} is {found}, so it has no {step}")]
    NotContainer {
        /// The path up to the value.
        at: String,
        /// What the value is ("a number", …).
        found: &'static str,
        /// The step that cannot be taken ("key \"max\"", "element \[2\]").
        step: String,
    },
    /// An array index past the end.
    #[error("{at} has {len} elements, so there is no [{index}]")]
    NoElement {
        /// The path of the array.
        at: String,
        /// Its length.
        len: usize,
        /// The index asked for.
        index: usize,
    },
    /// The same path set twice.
    #[error("{0} is set twice")]
    Twice(String),
}

/// One setting as it is typed on a command line, `PATH=VALUE`: a string value that would read
/// back as the same string is written bare (`faults[0].at=2s`), anything else as JSON
/// (`cluster.quorum.r=2`, `name="true"`), so [`parse_setting`] reads it back to the same value.
pub fn setting_text(path: &SettingPath, value: &Value) -> String {
    match value {
        Value::String(s) if value_of(s.trim()) == *value && !s.contains(',') => format!("{path}={s}"),
        other => format!("{path}={other}"),
    }
}

/// Every combination of the settings' values, one value per setting in the order the
/// settings are given; the last setting varies fastest (`a=1,2 b=x,y` gives `1 x`, `1 y`,
/// `2 x`, `2 y`).
pub fn combinations(settings: &[Setting]) -> Vec<Vec<&Value>> {
    let mut out: Vec<Vec<&Value>> = vec![Vec::new()];
    for s in settings {
        out = out
            .iter()
            .flat_map(|head| s.values.iter().map(move |v| [head.as_slice(), &[v]].concat()))
            .collect();
    }
    out
}

/// Reads one `--set` argument, `PATH=V1,V2,…` (commas inside brackets, braces or quotes do
/// not separate values).
pub fn parse_setting(arg: &str) -> Result<Setting, PatchError> {
    let (path, values) = arg.split_once('=').ok_or_else(|| PatchError::Shape(arg.to_string()))?;
    if path.trim().is_empty() || values.trim().is_empty() {
        return Err(PatchError::Shape(arg.to_string()));
    }
    let path = parse_path(path.trim())?;
    let values = split_values(values).into_iter().map(|v| value_of(v.trim())).collect();
    Ok(Setting { path, values })
}

/// Reads a dotted path with `[index]` steps.
pub fn parse_path(text: &str) -> Result<SettingPath, PatchError> {
    let bad = |why| PatchError::BadPath { path: text.to_string(), why };
    let mut steps = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('[') {
            let close = after.find(']').ok_or_else(|| bad("a [ without its ]"))?;
            let index = after[..close].parse().map_err(|_| bad("an index must be a whole number"))?;
            steps.push(Step::Index(index));
            rest = &after[close + 1..];
            if let Some(r) = rest.strip_prefix('.') {
                if r.is_empty() {
                    return Err(bad("it ends with a dot"));
                }
                rest = r;
            }
            continue;
        }
        let end = rest.find(['.', '[']).unwrap_or(rest.len());
        let key = &rest[..end];
        if key.is_empty() {
            return Err(bad("an empty key"));
        }
        if !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            return Err(bad("keys are letters, digits, _ and -"));
        }
        steps.push(Step::Key(key.to_string()));
        rest = &rest[end..];
        if let Some(r) = rest.strip_prefix('.') {
            if r.is_empty() {
                return Err(bad("it ends with a dot"));
            }
            rest = r;
        }
    }
    if !matches!(steps.first(), Some(Step::Key(_))) {
        return Err(bad("it must start with a key"));
    }
    Ok(SettingPath { steps })
}

/// Splits `V1,V2,…` at the commas outside brackets, braces and quotes.
fn split_values(text: &str) -> Vec<&str> {
    let (mut depth, mut quoted, mut escaped, mut start) = (0i32, false, false, 0);
    let mut out = Vec::new();
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '[' | '{' if !quoted => depth += 1,
            ']' | '}' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                out.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&text[start..]);
    out
}

/// A value as JSON when it parses as JSON, else as a string.
fn value_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
}

/// What a JSON value is, in words.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Puts `value` at `path` in `doc`. A missing object on the way is taken from `defaults` (the
/// same document with every default filled in) where it has one, so setting one field of a
/// group the file leaves out keeps the group's other defaults; otherwise it starts empty.
pub fn apply(doc: &mut Value, path: &SettingPath, value: Value, defaults: &Value) -> Result<(), PatchError> {
    let mut here = doc;
    let mut fallback = Some(defaults);
    let mut at = SettingPath { steps: Vec::new() };
    let last = path.steps.len() - 1;
    for (i, step) in path.steps.iter().enumerate() {
        let shown = if at.steps.is_empty() { "the scenario".to_string() } else { at.to_string() };
        here = match (step, here) {
            (Step::Key(k), Value::Object(map)) => {
                fallback = fallback.and_then(|d| d.get(k));
                let slot = map.entry(k.clone()).or_insert(Value::Null);
                if i < last && slot.is_null() {
                    *slot = match fallback {
                        Some(d) if d.is_object() || d.is_array() => d.clone(),
                        _ if matches!(path.steps[i + 1], Step::Key(_)) => Value::Object(Default::default()),
                        _ => Value::Array(Vec::new()),
                    };
                }
                slot
            }
            (Step::Index(n), Value::Array(items)) => {
                fallback = fallback.and_then(|d| d.get(*n));
                let len = items.len();
                items.get_mut(*n).ok_or(PatchError::NoElement { at: shown, len, index: *n })?
            }
            (step, other) => {
                let step = match step {
                    Step::Key(k) => format!("key \"{k}\""),
                    Step::Index(n) => format!("element [{n}]"),
                };
                return Err(PatchError::NotContainer { at: shown, found: kind(other), step });
            }
        };
        at.steps.push(step.clone());
    }
    *here = value;
    Ok(())
}

/// Applies one value per setting to scenario text, returning the patched text (pretty JSON);
/// `defaults` is the scenario with every default filled in (see [`apply`]), `Value::Null`
/// when the unpatched file does not parse. The text is returned unchanged, byte for byte,
/// when there is nothing to set.
pub fn patch_text(
    text: &str,
    settings: &[(&SettingPath, &Value)],
    defaults: &Value,
) -> Result<String, String> {
    if settings.is_empty() {
        return Ok(text.to_string());
    }
    let mut seen = std::collections::BTreeSet::new();
    for (path, _) in settings {
        if !seen.insert(path.to_string()) {
            return Err(PatchError::Twice(path.to_string()).to_string());
        }
    }
    // A file that is not JSON is reported by the parser as usual, with its line and column.
    let mut doc: Value = match serde_json::from_str(text) {
        Ok(doc) => doc,
        Err(_) => return Ok(text.to_string()),
    };
    for (path, value) in settings {
        apply(&mut doc, path, (*value).clone(), defaults).map_err(|e| format!("{path}: {e}"))?;
    }
    Ok(serde_json::to_string_pretty(&doc).expect("a JSON value serializes") + "\n")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn set(arg: &str) -> Setting {
        parse_setting(arg).unwrap()
    }

    #[test]
    fn paths_and_values_read_as_written() {
        let s = set("faults[0].at=2s");
        assert_eq!(s.path.steps, vec![Step::Key("faults".into()), Step::Index(0), Step::Key("at".into())]);
        assert_eq!(s.path.to_string(), "faults[0].at");
        assert_eq!(s.values, vec![json!("2s")]);
        let s = set("network.default.loss=0,0.05, 0.1");
        assert_eq!(s.values, vec![json!(0), json!(0.05), json!(0.1)]);
        let s = set(r#"network.default.latency={"dist": "uniform", "min": "1ms", "max": "3ms"},"x,y",[1,2]"#);
        assert_eq!(s.values.len(), 3);
        assert_eq!(s.values[0]["max"], json!("3ms"));
        assert_eq!(s.values[1], json!("x,y"));
        assert_eq!(s.values[2], json!([1, 2]));
        assert_eq!(set("cluster.raft.pre_vote=false").values, vec![json!(false)]);
    }

    #[test]
    fn malformed_settings_are_refused_with_the_reason() {
        assert_eq!(
            parse_setting("network.default.loss"),
            Err(PatchError::Shape("network.default.loss".into()))
        );
        assert!(matches!(parse_setting("=1"), Err(PatchError::Shape(_))));
        assert!(matches!(parse_setting("a.=1"), Err(PatchError::BadPath { .. })));
        assert!(matches!(parse_setting("a..b=1"), Err(PatchError::BadPath { .. })));
        assert!(matches!(parse_setting("faults[x].at=1"), Err(PatchError::BadPath { .. })));
        assert!(matches!(parse_setting("faults[0.at=1"), Err(PatchError::BadPath { .. })));
        assert!(matches!(parse_setting("[0]=1"), Err(PatchError::BadPath { .. })));
        assert!(matches!(parse_setting("a b=1"), Err(PatchError::BadPath { .. })));
    }

    #[test]
    fn apply_creates_objects_and_refuses_what_is_not_there() {
        let mut doc = json!({"cluster": {"nodes": 5}, "faults": [{"at": "1s"}]});
        let none = Value::Null;
        apply(&mut doc, &set("cluster.raft.election_timeout.max=x").path, json!("400ms"), &none).unwrap();
        assert_eq!(doc["cluster"]["raft"]["election_timeout"]["max"], json!("400ms"));
        // With the defaults known, the rest of a group the file leaves out keeps them.
        let mut doc = json!({"cluster": {"nodes": 5}, "faults": [{"at": "1s"}]});
        let defaults = json!({"cluster": {"nodes": 5, "raft": {"heartbeat": "50ms",
            "election_timeout": {"min": "150ms", "max": "300ms"}}}});
        apply(&mut doc, &set("cluster.raft.election_timeout.max=x").path, json!("400ms"), &defaults).unwrap();
        assert_eq!(
            doc["cluster"]["raft"],
            json!({"heartbeat": "50ms", "election_timeout": {"min": "150ms", "max": "400ms"}})
        );
        let none = Value::Null;
        apply(&mut doc, &set("faults[0].at=x").path, json!("2s"), &none).unwrap();
        assert_eq!(doc["faults"][0]["at"], json!("2s"));
        let e = apply(&mut doc, &set("faults[3].at=x").path, json!("2s"), &none).unwrap_err();
        assert_eq!(e.to_string(), "faults has 1 elements, so there is no [3]");
        let e = apply(&mut doc, &set("cluster.nodes.count=x").path, json!(1), &none).unwrap_err();
        assert_eq!(e.to_string(), "cluster.nodes is a number, so it has no key \"count\"");
        let e = apply(&mut doc, &set("cluster[0]=x").path, json!(1), &none).unwrap_err();
        assert_eq!(e.to_string(), "cluster is an object, so it has no element [0]");
    }

    #[test]
    fn combinations_are_the_cartesian_product_last_fastest() {
        let (a, b) = (set("a=1,2"), set("b=x,y,z"));
        let both = [a, b];
        let all = combinations(&both);
        assert_eq!(all.len(), 6);
        assert_eq!(all[0], vec![&json!(1), &json!("x")]);
        assert_eq!(all[1], vec![&json!(1), &json!("y")]);
        assert_eq!(all[5], vec![&json!(2), &json!("z")]);
        assert_eq!(combinations(&[]), vec![Vec::<&Value>::new()]);
    }

    #[test]
    fn setting_text_reads_back_to_the_same_value() {
        for arg in [
            "faults[0].at=2s",
            "cluster.quorum.r=2",
            "a=true",
            r#"a="true""#,
            r#"a="x,y""#,
            r#"a={"min":"1ms"}"#,
        ] {
            let s = set(arg);
            let text = setting_text(&s.path, &s.values[0]);
            assert_eq!(set(&text), s, "{arg} written as {text}");
        }
        assert_eq!(setting_text(&set("faults[0].at=2s").path, &json!("2s")), "faults[0].at=2s");
    }

    #[test]
    fn nothing_to_set_leaves_the_text_byte_for_byte() {
        let text = "{ \"name\": \"x\" }  \n";
        let none = Value::Null;
        assert_eq!(patch_text(text, &[], &none).unwrap(), text);
        let s = set("name=y");
        let patched = patch_text(text, &[(&s.path, &s.values[0])], &none).unwrap();
        assert_eq!(serde_json::from_str::<Value>(&patched).unwrap(), json!({"name": "y"}));
        let e = patch_text(text, &[(&s.path, &s.values[0]), (&s.path, &s.values[0])], &none).unwrap_err();
        assert_eq!(e, "name is set twice");
    }
}
