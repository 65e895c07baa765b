//! TOML and YAML settings, read into one JSON shape the checks work on.

use super::*;

pub(super) fn toml_to_json(value: toml::Value) -> Value {
    match value {
        toml::Value::String(text) => Value::String(text),
        toml::Value::Integer(number) => Value::from(number),
        toml::Value::Float(number) => Value::from(number),
        toml::Value::Boolean(flag) => Value::Bool(flag),
        toml::Value::Datetime(datetime) => Value::String(datetime.to_string()),
        toml::Value::Array(items) => Value::Array(items.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(table) => Value::Object(
            table
                .into_iter()
                .map(|(key, value)| (key, toml_to_json(value)))
                .collect(),
        ),
    }
}

/// A YAML value as JSON, resolving Meya's `(@ vault.x.y )` references.
pub(super) fn yaml_to_json(
    value: &Yaml,
    vault: &impl Fn(&str) -> Option<String>,
    setting: &str,
) -> Result<Value, Problem> {
    Ok(match value {
        Yaml::String(text) => {
            let trimmed = text.trim();
            if let Some(inner) = trimmed
                .strip_prefix("(@")
                .and_then(|rest| rest.strip_suffix(')'))
            {
                let reference = inner.trim();
                let path = reference.strip_prefix("vault.").ok_or_else(|| Problem {
                    setting: setting.to_owned(),
                    message: format!("only vault references are supported, found `{reference}`"),
                })?;
                let resolved = vault(path).ok_or_else(|| Problem {
                    setting: setting.to_owned(),
                    message: format!("the vault has no `{path}`"),
                })?;
                Value::String(resolved)
            } else {
                Value::String(text.clone())
            }
        }
        Yaml::Integer(number) => Value::from(*number),
        Yaml::Real(text) => text
            .parse::<f64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::String(text.clone())),
        Yaml::Boolean(flag) => Value::Bool(*flag),
        Yaml::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| yaml_to_json(item, vault, setting))
                .collect::<Result<_, _>>()?,
        ),
        Yaml::Null => Value::Null,
        Yaml::Hash(_) | Yaml::Alias(_) | Yaml::BadValue => {
            return Err(Problem {
                setting: setting.to_owned(),
                message: "has an unsupported value".into(),
            });
        }
    })
}
