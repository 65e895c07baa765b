//! luqum 0.9's grammar, parsed as its PLY (LALR) parser resolves it, into luqum's tree.
//!
//! ```text
//! expression := expression OR expression       OR:  level 1, left
//!             | expression AND expression      AND: level 2, left
//!             | expression expression          juxtaposition: level 0, right
//!             | expression BOOST | unary
//! unary      := ("+" | "-" | NOT) unary | "(" expression ")"
//!             | ("[" | "{") bound TO bound ("]" | "}")
//!             | TERM ":" unary | TERM "~"? | PHRASE "~"? | REGEX | TO
//! ```
//!
//! The grammar is ambiguous; PLY settles each shift/reduce choice by precedence, with the
//! incoming token's level against the pending rule's: a term, phrase, regex, `(` or `[` is
//! above every operator, so it extends the expression on its right; `NOT` has no level, so
//! it closes a pending `AND` or `OR` first. Hence `a b OR c` is `a (b OR c)`, and
//! `x:1 OR x:2 NOT y:3` is `(x:1 OR x:2) NOT y:3`. An operation of one kind absorbs operands
//! of the same kind (`a AND b AND c` is one node), as luqum's `create_operation` does, which
//! matters for the depth limit.

use super::lex::{Spanned, Token};
use super::{FilterError, MAX_DEPTH, Refusal};

/// A node of luqum's tree, with the column it starts at.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Node {
    pub(super) kind: NodeKind,
    pub(super) column: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum NodeKind {
    Word(String),
    Phrase(String),
    Regex(String),
    Range {
        low: Box<Node>,
        high: Box<Node>,
        include_low: bool,
        include_high: bool,
    },
    SearchField {
        name: String,
        child: Box<Node>,
    },
    Group(Box<Node>),
    FieldGroup(Box<Node>),
    Not(Box<Node>),
    And(Vec<Node>),
    Or(Vec<Node>),
    /// Juxtaposition: luqum's `UnknownOperation`, matched by Meya as AND.
    Unknown(Vec<Node>),
    Plus(Box<Node>),
    Prohibit(Box<Node>),
    Fuzzy(Box<Node>),
    Proximity(Box<Node>),
    Boost(Box<Node>),
}

impl Node {
    /// Its children, as luqum lists them (a range's are its two bounds).
    pub(super) fn children(&self) -> Vec<&Node> {
        match &self.kind {
            NodeKind::Word(_) | NodeKind::Phrase(_) | NodeKind::Regex(_) => Vec::new(),
            NodeKind::Range { low, high, .. } => vec![low, high],
            NodeKind::SearchField { child, .. }
            | NodeKind::Group(child)
            | NodeKind::FieldGroup(child)
            | NodeKind::Not(child)
            | NodeKind::Plus(child)
            | NodeKind::Prohibit(child)
            | NodeKind::Fuzzy(child)
            | NodeKind::Proximity(child)
            | NodeKind::Boost(child) => vec![child],
            NodeKind::And(children) | NodeKind::Or(children) | NodeKind::Unknown(children) => {
                children.iter().collect()
            }
        }
    }
}

/// A binary operator of the grammar.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Operator {
    Or,
    And,
    Juxtaposition,
}

impl Operator {
    /// PLY's precedence level and associativity (left: true).
    fn precedence(self) -> (u8, bool) {
        match self {
            Operator::Or => (1, true),
            Operator::And => (2, true),
            Operator::Juxtaposition => (0, false),
        }
    }
}

/// The level PLY gives a token that starts an operand: `NOT` has none (0); terms, phrases,
/// regexes, `(`, `[`, `TO`, `+` and `-` are above every operator.
fn operand_level(token: &Token) -> Option<u8> {
    match token {
        Token::Not => Some(0),
        Token::Term(_)
        | Token::Phrase(_)
        | Token::Regex(_)
        | Token::LParen
        | Token::LBracket { .. }
        | Token::To
        | Token::Plus
        | Token::Minus => Some(3),
        _ => None,
    }
}

/// Whether the rule `E op E` is reduced before a token of `level` (else the token shifts).
fn reduces_before(op: Operator, level: u8) -> bool {
    let (rule_level, left) = op.precedence();
    level < rule_level || (level == rule_level && left)
}

/// luqum's `create_operation`: operands of the same kind are absorbed.
fn combine(op: Operator, left: Node, right: Node) -> Node {
    let column = left.column;
    let mut operands = Vec::new();
    for side in [left, right] {
        match (op, side.kind) {
            (Operator::Or, NodeKind::Or(children))
            | (Operator::And, NodeKind::And(children))
            | (Operator::Juxtaposition, NodeKind::Unknown(children)) => operands.extend(children),
            (_, kind) => operands.push(Node {
                kind,
                column: side.column,
            }),
        }
    }
    let kind = match op {
        Operator::Or => NodeKind::Or(operands),
        Operator::And => NodeKind::And(operands),
        Operator::Juxtaposition => NodeKind::Unknown(operands),
    };
    Node { kind, column }
}

pub(super) struct Parser {
    tokens: Vec<Spanned>,
    position: usize,
    end_column: usize,
    /// How many operands are open: each adds a level to the tree, so past the depth limit
    /// the query is refused here, before a hostile one exhausts the stack.
    nesting: usize,
}

impl Parser {
    pub(super) fn new(tokens: Vec<Spanned>, end_column: usize) -> Self {
        Self {
            tokens,
            position: 0,
            end_column,
            nesting: 0,
        }
    }

    /// The whole query as one expression.
    pub(super) fn parse(mut self) -> Result<Node, FilterError> {
        let expression = self.expression()?;
        match self.peek() {
            None => Ok(expression),
            Some(token) => Err(self.syntax(&format!(
                "expected an operator or the end of the query, found {}",
                describe(Some(token))
            ))),
        }
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.position).map(|spanned| &spanned.token)
    }

    fn column(&self) -> usize {
        self.tokens
            .get(self.position)
            .map_or(self.end_column, |spanned| spanned.column)
    }

    fn advance(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.position).map(|s| s.token.clone());
        self.position += 1;
        token
    }

    fn syntax(&self, message: &str) -> FilterError {
        FilterError::new(self.column(), Refusal::Syntax, message)
    }

    /// Shift-reduce over operators, resolved as PLY resolves them.
    fn expression(&mut self) -> Result<Node, FilterError> {
        let mut operands = vec![self.unary()?];
        let mut operators: Vec<Operator> = Vec::new();
        loop {
            let (operator, level) = match self.peek() {
                Some(Token::Or) => (Operator::Or, 1),
                Some(Token::And) => (Operator::And, 2),
                Some(Token::Boost) => {
                    // `expression BOOST`: binds the operand just read (its level is above
                    // every operator's). Meya refuses boosts, so the shape matters little.
                    let column = self.column();
                    self.advance();
                    let last = operands
                        .pop()
                        .ok_or_else(|| self.syntax("a boost of nothing"))?;
                    operands.push(Node {
                        kind: NodeKind::Boost(Box::new(last)),
                        column,
                    });
                    continue;
                }
                Some(token) => match operand_level(token) {
                    Some(level) => (Operator::Juxtaposition, level),
                    None => break,
                },
                None => break,
            };
            while let Some(&top) = operators.last() {
                if !reduces_before(top, level) {
                    break;
                }
                operators.pop();
                Self::reduce(&mut operands, top);
            }
            if operator != Operator::Juxtaposition {
                self.advance();
            }
            operators.push(operator);
            operands.push(self.unary()?);
        }
        while let Some(top) = operators.pop() {
            Self::reduce(&mut operands, top);
        }
        operands
            .pop()
            .ok_or_else(|| self.syntax("expected an expression"))
    }

    fn reduce(operands: &mut Vec<Node>, operator: Operator) {
        if let (Some(right), Some(left)) = (operands.pop(), operands.pop()) {
            operands.push(combine(operator, left, right));
        }
    }

    fn unary(&mut self) -> Result<Node, FilterError> {
        self.nesting += 1;
        if self.nesting > MAX_DEPTH {
            return Err(FilterError::new(
                self.column(),
                Refusal::Meya,
                format!("the query nests deeper than {MAX_DEPTH} levels, which Meya refuses"),
            ));
        }
        let node = self.unary_inner();
        self.nesting -= 1;
        node
    }

    fn unary_inner(&mut self) -> Result<Node, FilterError> {
        let column = self.column();
        let node = |kind| Node { kind, column };
        match self.advance() {
            Some(Token::Plus) => Ok(node(NodeKind::Plus(Box::new(self.unary()?)))),
            Some(Token::Minus) => Ok(node(NodeKind::Prohibit(Box::new(self.unary()?)))),
            Some(Token::Not) => Ok(node(NodeKind::Not(Box::new(self.unary()?)))),
            Some(Token::LParen) => {
                let inner = self.expression()?;
                match self.advance() {
                    Some(Token::RParen) => Ok(node(NodeKind::Group(Box::new(inner)))),
                    other => {
                        self.position -= 1;
                        Err(self.syntax(&format!(
                            "expected `)` to close the `(` at column {column}, found {}",
                            describe(other.as_ref())
                        )))
                    }
                }
            }
            Some(Token::LBracket { inclusive }) => {
                let low = self.bound()?;
                if self.advance() != Some(Token::To) {
                    self.position -= 1;
                    return Err(self.syntax("expected `TO` in the range"));
                }
                let high = self.bound()?;
                match self.advance() {
                    Some(Token::RBracket {
                        inclusive: include_high,
                    }) => Ok(node(NodeKind::Range {
                        low: Box::new(low),
                        high: Box::new(high),
                        include_low: inclusive,
                        include_high,
                    })),
                    other => {
                        self.position -= 1;
                        Err(self.syntax(&format!(
                            "expected `]` or `}}` to close the range, found {}",
                            describe(other.as_ref())
                        )))
                    }
                }
            }
            Some(Token::Term(name)) => match self.peek() {
                Some(Token::Colon) => {
                    self.advance();
                    let mut child = self.unary()?;
                    if let NodeKind::Group(inner) = child.kind {
                        child.kind = NodeKind::FieldGroup(inner);
                    }
                    Ok(node(NodeKind::SearchField {
                        name,
                        child: Box::new(child),
                    }))
                }
                Some(Token::Approx) => {
                    self.advance();
                    Ok(node(NodeKind::Fuzzy(Box::new(node(NodeKind::Word(name))))))
                }
                _ => Ok(node(NodeKind::Word(name))),
            },
            Some(Token::Phrase(text)) => {
                if self.peek() == Some(&Token::Approx) {
                    self.advance();
                    return Ok(node(NodeKind::Proximity(Box::new(node(NodeKind::Phrase(
                        text,
                    ))))));
                }
                Ok(node(NodeKind::Phrase(text)))
            }
            Some(Token::Regex(text)) => Ok(node(NodeKind::Regex(text))),
            Some(Token::To) => Ok(node(NodeKind::Word("TO".into()))),
            other => {
                self.position -= 1;
                Err(self.syntax(&format!(
                    "expected a term, `field:value`, `(`, a range or NOT, found {}",
                    describe(other.as_ref())
                )))
            }
        }
    }

    /// A range bound: a term or a phrase.
    fn bound(&mut self) -> Result<Node, FilterError> {
        let column = self.column();
        match self.advance() {
            Some(Token::Term(text)) => Ok(Node {
                kind: NodeKind::Word(text),
                column,
            }),
            Some(Token::Phrase(text)) => Ok(Node {
                kind: NodeKind::Phrase(text),
                column,
            }),
            other => {
                self.position -= 1;
                Err(self.syntax(&format!(
                    "expected a range bound, found {}",
                    describe(other.as_ref())
                )))
            }
        }
    }
}

fn describe(token: Option<&Token>) -> String {
    match token {
        None => "the end of the query".into(),
        Some(Token::Term(text)) => format!("`{text}`"),
        Some(Token::Phrase(text) | Token::Regex(text)) => text.clone(),
        Some(Token::Approx) => "`~`".into(),
        Some(Token::Boost) => "`^`".into(),
        Some(Token::Minus) => "`-`".into(),
        Some(Token::Plus) => "`+`".into(),
        Some(Token::Colon) => "`:`".into(),
        Some(Token::LParen) => "`(`".into(),
        Some(Token::RParen) => "`)`".into(),
        Some(Token::LBracket { .. }) => "a range".into(),
        Some(Token::RBracket { .. }) => "the end of a range".into(),
        Some(Token::And) => "`AND`".into(),
        Some(Token::Or) => "`OR`".into(),
        Some(Token::Not) => "`NOT`".into(),
        Some(Token::To) => "`TO`".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::lex::lex;
    use super::*;

    /// luqum's repr, as `python -c 'print(repr(luqum.parser.parser.parse(q)))'` prints it.
    fn repr(node: &Node) -> String {
        let list = |children: &[Node]| children.iter().map(repr).collect::<Vec<_>>().join(", ");
        match &node.kind {
            NodeKind::Word(text) => format!("Word({text:?})"),
            NodeKind::Phrase(text) => format!("Phrase({text:?})"),
            NodeKind::Regex(text) => format!("Regex({text:?})"),
            NodeKind::Range { low, high, .. } => format!("Range({}, {})", repr(low), repr(high)),
            NodeKind::SearchField { name, child } => {
                format!("SearchField({name:?}, {})", repr(child))
            }
            NodeKind::Group(child) => format!("Group({})", repr(child)),
            NodeKind::FieldGroup(child) => format!("FieldGroup({})", repr(child)),
            NodeKind::Not(child) => format!("Not({})", repr(child)),
            NodeKind::And(children) => format!("AndOperation({})", list(children)),
            NodeKind::Or(children) => format!("OrOperation({})", list(children)),
            NodeKind::Unknown(children) => format!("UnknownOperation({})", list(children)),
            NodeKind::Plus(child) => format!("Plus({})", repr(child)),
            NodeKind::Prohibit(child) => format!("Prohibit({})", repr(child)),
            NodeKind::Fuzzy(child) => format!("Fuzzy({})", repr(child)),
            NodeKind::Proximity(child) => format!("Proximity({})", repr(child)),
            NodeKind::Boost(child) => format!("Boost({})", repr(child)),
        }
        .replace('"', "'")
    }

    fn tree(query: &str) -> String {
        let lexed = lex(query);
        repr(
            &Parser::new(lexed.tokens, query.chars().count() + 1)
                .parse()
                .unwrap(),
        )
    }

    /// Trees luqum 0.9.0 itself printed for these queries.
    #[test]
    fn trees_are_luqums() {
        for (query, expected) in [
            (
                "a:1 b:2 OR c:3",
                "UnknownOperation(SearchField('a', Word('1')), OrOperation(SearchField('b', Word('2')), SearchField('c', Word('3'))))",
            ),
            (
                "x:1 OR x:2 NOT y:3",
                "UnknownOperation(OrOperation(SearchField('x', Word('1')), SearchField('x', Word('2'))), Not(SearchField('y', Word('3'))))",
            ),
            (
                "t:(a b OR c)",
                "SearchField('t', FieldGroup(UnknownOperation(Word('a'), OrOperation(Word('b'), Word('c')))))",
            ),
            (
                "a:1 && b:2",
                "UnknownOperation(SearchField('a', Word('1')), Word('&&'), SearchField('b', Word('2')))",
            ),
            ("!a:1", "SearchField('!a', Word('1'))"),
            (
                "a:1 AND b:2 c:3",
                "AndOperation(SearchField('a', Word('1')), UnknownOperation(SearchField('b', Word('2')), SearchField('c', Word('3'))))",
            ),
            (
                "a:1 OR b:2 AND c:3",
                "OrOperation(SearchField('a', Word('1')), AndOperation(SearchField('b', Word('2')), SearchField('c', Word('3'))))",
            ),
            (
                "ticket:status:open",
                "SearchField('ticket', SearchField('status', Word('open')))",
            ),
            (
                "x:[1 TO 5]",
                "SearchField('x', Range(Word('1'), Word('5')))",
            ),
            ("x:/a|b/", "SearchField('x', Regex('/a|b/'))"),
            (
                "NOT a:1 b:2",
                "UnknownOperation(Not(SearchField('a', Word('1'))), SearchField('b', Word('2')))",
            ),
            (
                "a:b:c:d",
                "SearchField('a', SearchField('b', SearchField('c', Word('d'))))",
            ),
        ] {
            assert_eq!(tree(query), expected, "{query}");
        }
    }
}
