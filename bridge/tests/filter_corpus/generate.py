#!/usr/bin/env python3
"""Writes corpus.json: Meya's answers to filter queries, for bridge/tests/filter_corpus.rs.

Meya parses `filter.rx_unhandled_ticket` with luqum 0.9.0 and matches luqum's tree with its
own evaluator (meya/gridql/parser.py in the Meya SDK 2.8.8). This script parses each query
with luqum itself and evaluates it with `MeyaFilter` below, written for this project from the
semantics of Meya's evaluator (not copied from it): the same node types accepted and refused,
the same depth limit, the same validation against an empty document at load, the same term,
wildcard, regex and range rules, Python's own `re` doing the matching.

Run by hand (CI needs no Python), from this folder:

    python3 -m venv /tmp/corpus-venv
    /tmp/corpus-venv/bin/pip install luqum==0.9.0 ply==3.11
    /tmp/corpus-venv/bin/python generate.py

The output is deterministic (a fixed seed). Each query gets one answer per document:
`T` (matches), `F` (does not), `E` (Meya raises while matching this document), or the whole
query is `R` (refused when the configuration loads). `loud` lists the constructs in the query
that Meya answers silently but the bridge refuses at load, by the reason codes the Rust side
gives (`bare`: a term with no field, which never matches in Meya; `plain-word`: `&&`, `||`
or a leading `!`, which luqum 0.9 reads as words, not operators; `skipped-character`: a
character luqum's lexer cannot read and skips, such as a leading `'`; `invalid-range` and
`invalid-regex`: a range or regex Meya raises on once a document reaches it).
"""

import json
import random
import re
import sys

import luqum.parser as luqum_parser
from luqum.tree import (
    AndOperation,
    FieldGroup,
    Group,
    Not,
    OrOperation,
    Phrase,
    Range,
    Regex,
    SearchField,
    UnknownOperation,
    Word,
)

MAX_DEPTH = 10
EMPTY_DOCUMENT = {"ticket": {}, "current_user": {}, "requester": {}}


class Refused(Exception):
    """Meya refuses the query (at load, or while matching a document)."""


class MeyaFilter:
    """luqum's tree, evaluated as Meya does for a document (no entry search)."""

    SUPPORTED = (
        Group, FieldGroup, Not, AndOperation, UnknownOperation, OrOperation, SearchField,
        Word, Phrase, Regex, Range,
    )

    def __init__(self, query):
        # luqum's lexer skips a character it cannot read (printing it); noted here.
        self.skipped = []
        if query is None or not query.strip():
            self.tree = UnknownOperation()
        else:
            lexer = luqum_parser.lexer.clone()

            def skip(token):
                self.skipped.append(token.value[0])
                token.lexer.skip(1)

            lexer.lexerrorf = skip
            try:
                self.tree = luqum_parser.parser.parse(query, lexer=lexer)
            except Exception as error:  # luqum's ParseError, or anything its lexer raises
                raise Refused(f"syntax: {error}")
        self.check(self.tree, 0)
        # Meya validates a filter by matching it once against an empty document.
        self.match(EMPTY_DOCUMENT)

    def check(self, item, depth):
        depth += 1
        if depth > MAX_DEPTH:
            raise Refused("too deep")
        if not isinstance(item, self.SUPPORTED):
            raise Refused(f"unsupported {type(item).__name__}")
        if isinstance(item, (SearchField, Not, Group, FieldGroup)) and len(item.children) != 1:
            raise Refused("one child expected")
        for child in item.children:
            self.check(child, depth)

    def match(self, document):
        return self.visit(document, self.tree, None)

    def visit(self, document, item, scope):
        if isinstance(item, (Group, FieldGroup)):
            return self.visit(document, item.children[0], scope)
        if isinstance(item, Not):
            return not self.visit(document, item.children[0], scope)
        if isinstance(item, (AndOperation, UnknownOperation)):
            return all(self.visit(document, child, scope) for child in item.children)
        if isinstance(item, OrOperation):
            return any(self.visit(document, child, scope) for child in item.children)
        if isinstance(item, SearchField):
            inner = item.name if not scope else f"{scope}.{item.name}"
            return self.visit(document, item.children[0], inner)
        if isinstance(item, Range):
            return self.range(document, item, scope)
        return self.term(document, item, scope)

    @staticmethod
    def lookup(document, path):
        value = document
        for key in path.split("."):
            value = value[key]
        return value

    def term(self, document, item, scope):
        if not scope:
            return False
        try:
            value = self.lookup(document, scope)
        except (KeyError, TypeError):
            return False
        try:
            pattern = re.compile(self.pattern(item))
        except re.error as error:
            raise Refused(f"regex: {error}")
        for candidate in value if isinstance(value, list) else [value]:
            if isinstance(candidate, (bool, int, float)):
                candidate = json.dumps(candidate, ensure_ascii=False, separators=(",", ":"))
            elif not isinstance(candidate, str):
                continue
            if re.match(pattern, candidate):
                return True
        return False

    @staticmethod
    def pattern(item):
        if isinstance(item, Regex):
            return f"^{item.value[1:-1]}$"
        if isinstance(item, Phrase):
            item = Word(item.value[1:-1])
        parts = item.split_wildcards()
        pattern = ""
        for index, part in enumerate(parts):
            if index % 2 == 0:
                pattern += re.escape(Word(part).unescaped_value)
            elif part == "*":
                pattern += ".*"
            else:
                pattern += "."
        return f"^{pattern}$"

    def range(self, document, item, scope):
        if not scope:
            return False
        low, high = self.bound(item.low), self.bound(item.high)
        if low > high:
            raise Refused("range: low above high")
        try:
            value = self.lookup(document, scope)
        except (KeyError, TypeError):
            return False
        for candidate in value if isinstance(value, list) else [value]:
            try:
                above = candidate >= low if item.include_low else candidate > low
                below = candidate <= high if item.include_high else candidate < high
            except TypeError:
                continue
            if above and below:
                return True
        return False

    @staticmethod
    def bound(item):
        if isinstance(item, Phrase):
            item = Word(item.value[1:-1])
        if not isinstance(item, Word) or item.has_wildcard():
            raise Refused("range: bound")
        try:
            return float(item.unescaped_value)
        except ValueError:
            raise Refused("range: not a number")


def loud_reasons(tree):
    """The constructs Meya answers silently that the bridge refuses at load."""
    reasons = set()

    def walk(item, scope):
        if isinstance(item, SearchField):
            if item.name.startswith("!"):
                reasons.add("plain-word")
            walk(item.children[0], item.name)
            return
        if isinstance(item, Word):
            if item.value in ("&&", "||") or item.value.startswith("!"):
                reasons.add("plain-word")
        if isinstance(item, (Word, Phrase, Regex, Range)) and scope is None:
            reasons.add("bare")
        if isinstance(item, Regex):
            try:
                re.compile(MeyaFilter.pattern(item))
            except re.error:
                reasons.add("invalid-regex")
        if isinstance(item, Range):
            # Meya raises on these once a document reaches them; the bridge refuses them at
            # load wherever they are.
            try:
                if MeyaFilter.bound(item.low) > MeyaFilter.bound(item.high):
                    reasons.add("invalid-range")
            except Refused:
                reasons.add("invalid-range")
            return
        for child in item.children:
            walk(child, scope)

    walk(tree, None)
    return sorted(reasons)


# ----------------------------------------------------------------------------------------
# Documents: Meya's {ticket, current_user, requester}, as the Zendesk API shapes them, with
# the awkward values a real account holds (nulls, numbers, booleans, lists, a trailing
# newline, nested user fields).

def documents(rng):
    base = [
        {"ticket": {"id": 4021, "status": "open", "tags": ["sunco_send", "vip"], "group_id": 123,
                    "priority": "high", "type": "question", "brand_id": 9,
                    "custom_fields": [{"id": 360001, "value": "gold"}]},
         "current_user": {"id": 9, "role": "agent", "tags": ["tier2"], "verified": True},
         "requester": {"id": 35436, "email": "jane@acme.com", "role": "end-user",
                       "user_fields": {"plan": "gold", "seats": 12}}},
        {"ticket": {"id": 4022, "status": "pending", "tags": ["sunco_send"], "group_id": None},
         "current_user": {"id": 35436, "role": "end-user"},
         "requester": {"id": 35436, "email": "bob@example.org"}},
        {"ticket": {"id": 4023, "status": "new", "tags": []},
         "current_user": {"id": 1, "role": "admin"},
         "requester": {"id": 7, "email": None}},
        {"ticket": {"status": "open\n", "tags": ["sunco_send", "end-user"], "group_id": 12.5},
         "current_user": {"role": "Agent"},
         "requester": {}},
        {"ticket": {"id": 0, "status": "solved", "tags": "sunco_send", "priority": None,
                    "group_id": True},
         "current_user": {}, "requester": {"email": "*@acme.com"}},
        {"ticket": {}, "current_user": {}, "requester": {}},
        {"ticket": {"id": 99, "status": "hold", "tags": ["a b", "sun", "sunco_send_2"],
                    "group_id": -4, "priority": "urgent"},
         "current_user": {"id": 2, "role": "agent", "verified": False},
         "requester": {"id": 3, "email": "ops@acme.com", "user_fields": {"plan": None}}},
        {"ticket": {"id": 5000, "status": "open", "tags": [["nested"], 5, True, None, "x"],
                    "group_id": "123"},
         "current_user": {"id": 9, "role": "agent"},
         "requester": {"id": 35436, "email": "jane@acme.com", "user_fields": {"plan": "silver"}}},
    ]
    statuses = ["new", "open", "pending", "hold", "solved", "closed", "Open", "open\n"]
    roles = ["agent", "admin", "end-user", "End-user", "light-agent"]
    tags = ["sunco_send", "vip", "gold", "sun", "end-user", "a b", "12", "*", "x?y"]
    emails = ["jane@acme.com", "bob@example.org", "x@acme.com.evil", "*@acme.com", ""]
    for _ in range(24):
        ticket = {}
        if rng.random() < 0.9:
            ticket["id"] = rng.choice([1, 4021, 123, 0, -3, 2.5])
        if rng.random() < 0.85:
            ticket["status"] = rng.choice(statuses)
        roll = rng.random()
        if roll < 0.7:
            ticket["tags"] = rng.sample(tags, rng.randint(0, 4))
        elif roll < 0.8:
            ticket["tags"] = rng.choice(tags)
        if rng.random() < 0.6:
            ticket["group_id"] = rng.choice([123, 200, 150, None, "123", 99.5, True])
        if rng.random() < 0.5:
            ticket["priority"] = rng.choice(["low", "normal", "high", "urgent", None])
        user = {}
        if rng.random() < 0.9:
            user["role"] = rng.choice(roles)
        if rng.random() < 0.7:
            user["id"] = rng.choice([9, 1, 35436])
        if rng.random() < 0.3:
            user["tags"] = rng.sample(tags, rng.randint(0, 2))
        requester = {}
        if rng.random() < 0.9:
            requester["email"] = rng.choice(emails)
        if rng.random() < 0.4:
            requester["user_fields"] = {"plan": rng.choice(["gold", "silver", None, 3])}
        base.append({"ticket": ticket, "current_user": user, "requester": requester})
    return base


# ----------------------------------------------------------------------------------------
# Queries: the seed's, hand-picked tricky ones (each construct the Rust docs name), and
# seeded random ones over the same fields, values and operators.

HAND_PICKED = [
    "ticket.tags:sunco_send AND ticket.status:(new OR open OR pending) AND current_user.role:(NOT end-user)",
    "",
    "   ",
    "ticket.tags:sunco_send",
    "ticket.tags:sunco_send ticket.status:open",
    "ticket.tags:sunco_send ticket.status:open OR ticket.status:pending",
    "ticket.status:open OR ticket.status:pending NOT ticket.tags:vip",
    "ticket.status:open OR ticket.status:pending AND ticket.tags:vip",
    "ticket.status:open AND ticket.tags:vip ticket.tags:gold",
    "ticket.tags:(sunco_send vip OR gold)",
    "ticket.tags:(sunco_send AND vip)",
    "ticket.tags:(NOT vip)",
    "NOT ticket.tags:vip",
    "NOT NOT ticket.tags:vip",
    "NOT ticket.group_id:123",
    "ticket.group_id:123",
    "ticket.group_id:12.5",
    "ticket.group_id:true",
    "ticket.group_id:[100 TO 200]",
    "ticket.group_id:{100 TO 200}",
    "ticket.group_id:[123 TO 123]",
    "ticket.group_id:{123 TO 200]",
    "ticket.group_id:[\"100\" TO \"200\"]",
    "ticket.group_id:[1e2 TO 2e2]",
    "ticket.group_id:[200 TO 100]",
    "ticket.group_id:[* TO 200]",
    "ticket.group_id:[a TO z]",
    "ticket.status:[a TO z]",
    "ticket.status:open AND ticket.group_id:[a TO z]",
    "ticket.id:[0 TO 1]",
    "requester.email:*@acme.com",
    "requester.email:\"*@acme.com\"",
    "requester.email:\"\\*@acme.com\"",
    "requester.email:*@acme.com*",
    "requester.email:jane@acme.com",
    "requester.email:/.*@acme\\.com/",
    "requester.email:/jane|bob/",
    "requester.email:/(jane|bob)@.*/",
    "requester.email:/[a-z]+@acme\\.com/",
    "requester.email:/x@acme.com/",
    "ticket.status:/open/",
    "ticket.status:/op.n/",
    "ticket.status:open",
    "ticket.status:Open",
    "ticket.status:op?n",
    "ticket.status:*",
    "ticket.status:o*",
    "ticket.status:*n",
    "ticket.tags:sun*",
    "ticket.tags:sun",
    "ticket.tags:\"a b\"",
    "ticket.tags:a\\ b",
    "ticket.tags:\\*",
    "ticket.tags:x\\?y",
    "ticket.tags:x?y",
    "ticket.tags:12",
    "ticket.tags:5",
    "ticket.tags:true",
    "ticket.tags:nested",
    "current_user.role:end-user",
    "current_user.role:(NOT end-user)",
    "current_user.role:(agent OR admin)",
    "current_user.role:Agent",
    "current_user.verified:true",
    "current_user.verified:false",
    "requester.user_fields.plan:gold",
    "requester.user_fields.seats:12",
    "requester.user_fields.seats:[10 TO 20]",
    "requester.user_fields:gold",
    "ticket:(status:open)",
    "ticket:status:open",
    "ticket:(status:open AND tags:vip)",
    "ticket:(tags:(vip OR gold))",
    "requester:(email:jane@acme.com)",
    "ticket.custom_fields.id:360001",
    "ticket.custom_fields:gold",
    "ticket.missing:x",
    "NOT ticket.missing:x",
    "ticket.tags:vip && ticket.status:open",
    "ticket.tags:vip || ticket.status:open",
    "!ticket.tags:vip",
    "ticket.tags:!vip",
    "ticket.tags:(vip && gold)",
    "sunco_send",
    "ticket.tags:sunco_send sunco_send",
    "ticket.tags:sunco_send OR sunco_send",
    "NOT sunco_send",
    "\"sunco_send\"",
    "/sunco/",
    "[1 TO 2]",
    "+ticket.tags:vip",
    "-ticket.tags:vip",
    "ticket.tags:vip^2",
    "ticket.tags:vip~",
    "ticket.tags:vip~2",
    "ticket.tags:\"a b\"~2",
    "(ticket.tags:vip",
    "ticket.tags:vip)",
    "ticket.tags:",
    ":vip",
    "AND ticket.tags:vip",
    "ticket.tags:vip AND",
    "ticket.tags:vip OR OR ticket.tags:gold",
    "ticket.tags:TO",
    "ticket.tags:AND",
    "ticket.tags:and",
    "ticket.status:open and ticket.tags:vip",
    "ticket.status:open or ticket.tags:vip",
    "ticket.status:open not ticket.tags:vip",
    "ticket.updated_at:2020-01-01T10:00:00",
    "ticket.tags:'vip'",
    "ticket.tags:vip,gold",
    "ticket.tags:(((((((((vip)))))))))",
    "ticket.tags:((((((((vip))))))))",
    "NOT NOT NOT NOT NOT NOT NOT NOT NOT ticket.tags:vip",
    "NOT NOT NOT NOT NOT NOT NOT NOT ticket.tags:vip",
    "ticket.tags:/[/",
    "ticket.status:open AND ticket.tags:/[/",
    "ticket.tags:/a{2}/",
    "ticket.status:/open$/",
    "ticket.status:/open\\n/",
    "ticket.status:\"open\"",
    "ticket..status:open",
    "ticket.tags:sunco_send AND (ticket.status:open OR ticket.status:pending) current_user.role:agent",
]

FIELDS = [
    "ticket.status", "ticket.tags", "ticket.group_id", "ticket.priority", "ticket.id",
    "current_user.role", "current_user.id", "current_user.tags", "requester.email",
    "requester.user_fields.plan", "ticket.missing", "ticket",
]
WORDS = [
    "open", "pending", "new", "solved", "sunco_send", "vip", "gold", "sun", "end-user",
    "agent", "admin", "123", "12.5", "true", "false", "high", "9", "35436", "jane@acme.com",
    "Open", "-4", "0",
]
PATTERNS = ["sun*", "*", "op?n", "*send", "*@acme.com", "?", "v*p", "1*"]
PHRASES = ['"a b"', '"*@acme.com"', '"end-user"', '"open"', '"sun*"', '"123"']
REGEXES = ["/op.*/", "/a|b/", "/[0-9]+/", "/sun.*|vip/", "/.*/", "/(open|new)/", "/v.p/"]
RANGES = ["[1 TO 200]", "{100 TO 200}", "[0 TO 0]", "[-5 TO 5]", "{-1 TO 1}", "[100 TO 150]",
          "[12 TO 13]", "[a TO b]", "[* TO 3]"]


def random_value(rng, depth):
    roll = rng.random()
    if roll < 0.45:
        return rng.choice(WORDS)
    if roll < 0.55:
        return rng.choice(PATTERNS)
    if roll < 0.62:
        return rng.choice(PHRASES)
    if roll < 0.69:
        return rng.choice(REGEXES)
    if roll < 0.78:
        return rng.choice(RANGES)
    if roll < 0.84 and depth < 3:
        return "NOT " + random_value(rng, depth + 1)
    if depth < 3:
        items = [random_value(rng, depth + 1) for _ in range(rng.randint(1, 3))]
        joiners = [rng.choice([" OR ", " AND ", " ", " "]) for _ in items[1:]]
        inner = items[0] + "".join(j + i for j, i in zip(joiners, items[1:]))
        return "(" + inner + ")"
    return rng.choice(WORDS)


def random_clause(rng, depth):
    roll = rng.random()
    if roll < 0.12 and depth < 3:
        return "NOT " + random_clause(rng, depth + 1)
    if roll < 0.25 and depth < 3:
        return "(" + random_query(rng, depth + 1) + ")"
    if roll < 0.27:
        return rng.choice(["ticket:(status:open)", "ticket:status:pending", "requester:(email:*@acme.com)"])
    if roll < 0.29:
        return rng.choice(["&&", "||", "vip", "!ticket.tags:vip", "+ticket.tags:vip", "-ticket.status:open"])
    return rng.choice(FIELDS) + ":" + random_value(rng, depth)


def random_query(rng, depth=0):
    clauses = [random_clause(rng, depth) for _ in range(rng.randint(1, 4))]
    query = clauses[0]
    for clause in clauses[1:]:
        query += rng.choice([" AND ", " OR ", " ", " ", " AND NOT ", " OR NOT "]) + clause
    return query


def answer(query, docs):
    try:
        meya = MeyaFilter(query)
    except Refused as error:
        return {"q": query, "a": "R", "why": str(error)}
    answers = ""
    for doc in docs:
        try:
            answers += "T" if meya.match(doc) else "F"
        except Refused:
            answers += "E"
    row = {"q": query, "a": answers}
    loud = loud_reasons(meya.tree) + (["skipped-character"] if meya.skipped else [])
    if loud:
        row["loud"] = loud
    return row


def main():
    rng = random.Random(20261202)
    docs = documents(rng)
    queries = list(HAND_PICKED)
    seen = set(queries)
    while len(queries) < 2500:
        query = random_query(rng)
        if query not in seen:
            seen.add(query)
            queries.append(query)
    rows = [answer(query, docs) for query in queries]
    corpus = {
        "about": "Meya's answers (luqum 0.9.0 + an evaluator of Meya's semantics); see generate.py",
        "documents": docs,
        "rows": rows,
    }
    with open("corpus.json", "w", encoding="utf-8") as out:
        json.dump(corpus, out, ensure_ascii=False, indent=0, sort_keys=True)
        out.write("\n")
    refused = sum(1 for row in rows if row["a"] == "R")
    print(f"{len(rows)} queries x {len(docs)} documents; {refused} refused", file=sys.stderr)


if __name__ == "__main__":
    main()
