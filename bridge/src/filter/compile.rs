//! Turning the parsed query into matchers: fields, words, wildcards, regexes, ranges.

use super::*;

/// Builds the expression from luqum's tree, checking it as Meya does and refusing what would
/// surprise.
pub(super) struct Compiler {
    pub(super) paths: BTreeSet<Vec<String>>,
}

impl Compiler {
    pub(super) fn check_depth(node: &Node, depth: usize) -> Result<(), FilterError> {
        if depth > MAX_DEPTH {
            return Err(FilterError::new(
                node.column,
                Refusal::Meya,
                format!("the query nests deeper than {MAX_DEPTH} levels, which Meya refuses"),
            ));
        }
        for child in node.children() {
            Self::check_depth(child, depth + 1)?;
        }
        Ok(())
    }

    pub(super) fn compile(
        &mut self,
        node: &Node,
        scope: Option<&[String]>,
    ) -> Result<Expr, FilterError> {
        let refuse_meya = |what: &str| {
            FilterError::new(
                node.column,
                Refusal::Meya,
                format!("{what} are not supported (Meya refuses them too)"),
            )
        };
        match &node.kind {
            NodeKind::Group(child) | NodeKind::FieldGroup(child) => self.compile(child, scope),
            NodeKind::Not(child) => Ok(Expr::Not(Box::new(self.compile(child, scope)?))),
            NodeKind::And(children) | NodeKind::Unknown(children) => Ok(Expr::And(
                children
                    .iter()
                    .map(|child| self.compile(child, scope))
                    .collect::<Result<_, _>>()?,
            )),
            NodeKind::Or(children) => Ok(Expr::Or(
                children
                    .iter()
                    .map(|child| self.compile(child, scope))
                    .collect::<Result<_, _>>()?,
            )),
            NodeKind::SearchField { name, child } => {
                if name.starts_with('!') {
                    return Err(FilterError::new(
                        node.column,
                        Refusal::Surprising("plain-word"),
                        format!(
                            "`{name}` is a field name in Meya's parser (luqum 0.9): `!` is not \
                             NOT there, so this never matches; write NOT"
                        ),
                    ));
                }
                let mut path: Vec<String> = scope.map(<[String]>::to_vec).unwrap_or_default();
                path.extend(name.split('.').map(str::to_owned));
                self.compile(child, Some(&path))
            }
            NodeKind::Word(_)
            | NodeKind::Phrase(_)
            | NodeKind::Regex(_)
            | NodeKind::Range { .. } => self.term(node, scope),
            NodeKind::Plus(_) | NodeKind::Prohibit(_) => Err(refuse_meya("`+` and `-` prefixes")),
            NodeKind::Fuzzy(_) | NodeKind::Proximity(_) => {
                Err(refuse_meya("fuzzy and proximity searches (`~`)"))
            }
            NodeKind::Boost(_) => Err(refuse_meya("boosts (`^`)")),
        }
    }

    fn term(&mut self, node: &Node, scope: Option<&[String]>) -> Result<Expr, FilterError> {
        if let NodeKind::Word(raw) = &node.kind
            && (raw == "&&" || raw == "||" || raw.starts_with('!'))
        {
            return Err(FilterError::new(
                node.column,
                Refusal::Surprising("plain-word"),
                format!(
                    "`{raw}` is a plain word in Meya's parser (luqum 0.9), not an operator: \
                     write AND, OR or NOT (or escape it, `\\{}`, to match it)",
                    &raw[..1]
                ),
            ));
        }
        let Some(path) = scope else {
            return Err(FilterError::new(
                node.column,
                Refusal::Surprising("bare"),
                "a term without a field (`field:value`): Meya matches it against nothing, so it \
                 never matches",
            ));
        };
        // Ranges are checked (and regexes compiled) whether or not a document reaches them.
        let matcher = match &node.kind {
            NodeKind::Word(raw) => word_matcher(raw, node.column)?,
            NodeKind::Phrase(raw) => word_matcher(inner(raw), node.column)?,
            NodeKind::Regex(raw) => {
                let pattern = python_regex::translate(inner(raw)).map_err(|what| {
                    FilterError::new(
                        node.column,
                        Refusal::Surprising("regex-not-portable"),
                        format!(
                            "this regular expression uses {what}, which Meya's Python and \
                             this bridge's Rust would not read alike"
                        ),
                    )
                })?;
                Matcher::Pattern(compile(&pattern, node.column, "invalid-regex")?)
            }
            NodeKind::Range {
                low,
                high,
                include_low,
                include_high,
            } => {
                let (low, high) = (bound(low)?, bound(high)?);
                if low > high {
                    return Err(FilterError::new(
                        node.column,
                        Refusal::Surprising("invalid-range"),
                        format!("the range runs from {low} down to {high}: Meya refuses it"),
                    ));
                }
                Matcher::Range {
                    low,
                    high,
                    include_low: *include_low,
                    include_high: *include_high,
                }
            }
            // `compile` sends only terms and ranges here.
            _ => {
                return Err(FilterError::new(
                    node.column,
                    Refusal::Syntax,
                    "expected a term",
                ));
            }
        };
        self.paths.insert(path.to_vec());
        Ok(Expr::Term {
            path: path.to_vec(),
            matcher,
        })
    }
}
