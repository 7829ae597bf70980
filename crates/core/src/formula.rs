//! The indicator formula language: arithmetic over measures with breakdown selectors and time
//! functions, parsed into an [`Expr`] with errors that point at the position of the mistake.
//!
//! ```text
//! 100 * BEVSTD[ALT=ALT065B070|ALT070B075|ALT075UM] / BEVSTD     share of 65+ in %
//! 1000 * GEBURTEN / BEVSTD                                      per 1,000 inhabitants
//! change(BEVSTD, 5)   pct_change(BEVSTD, 5)   index(BEVSTD, 2015)   mavg(GEBURTEN, 3)
//! `12411-05-01-4:Durchschnittliche Jahresbevölkerung`[Spalte1=männlich]
//! ```
//!
//! A reference names a measure code (letters, digits, `_`, `-`, or any text in backticks). A
//! selector `[VAR=A|B, VAR2=C]` sums the listed attribute values; without a selector for a
//! variable the total of that variable is meant. A selector value `*` (`` M[NAT=`*`] ``) sums every value
//! of the variable present in the data, for tables without totals; only the bulk engine
//! ([`crate::frame`]) expands it.

use std::fmt;

/// A parsed formula.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A constant.
    Num(f64),
    /// A measure, optionally restricted to breakdown values (summed).
    Ref(MeasureRef),
    /// Negation.
    Neg(Box<Expr>),
    /// `a op b`.
    Bin(Op, Box<Expr>, Box<Expr>),
    /// A time function.
    Call(Func, Box<Expr>, i32),
    /// `coalesce(a, b, ...)`: the first that has a value (sources that cover different levels
    /// or years, e.g. a municipal table and a Kreis table).
    Coalesce(Vec<Expr>),
}

/// A measure reference with its breakdown selection.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasureRef {
    /// Measure code.
    pub measure: String,
    /// Variable → attribute values to sum; variables not named are taken at their total.
    pub select: Vec<(String, Vec<String>)>,
}

/// Arithmetic operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
}

/// Time functions: the argument is evaluated at other periods of the same region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    /// `change(x, n)`: x now minus x n years earlier.
    Change,
    /// `pct_change(x, n)`: relative change over n years in %.
    PctChange,
    /// `index(x, year)`: x relative to the base year, base = 100.
    Index,
    /// `mavg(x, n)`: mean over the last n years (this one included).
    Mavg,
    /// `lag(x, n)`: x n years earlier.
    Lag,
}

impl Func {
    fn name(self) -> &'static str {
        match self {
            Func::Change => "change",
            Func::PctChange => "pct_change",
            Func::Index => "index",
            Func::Mavg => "mavg",
            Func::Lag => "lag",
        }
    }
}

/// A formula error with the 0-based character position where it was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("formula error at position {pos}: {message}")]
pub struct FormulaError {
    /// Character position (0-based).
    pub pos: usize,
    /// What is wrong, in English.
    pub message: String,
    /// What is wrong, typed.
    pub problem: Problem,
}

/// What is wrong with a formula, typed so that the workspace can say it in German and the
/// command line in English from one list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Digits that do not make a number.
    NotANumber(String),
    /// A backtick quote without its end.
    UnclosedQuote,
    /// A character no formula has.
    UnexpectedChar(char),
    /// This symbol was expected.
    Expected(char),
    /// Nested more than [`MAX_DEPTH`] levels.
    TooDeep,
    /// A function such as `change` without a whole number as its second argument.
    WholeNumberArgument(String),
    /// `mavg(…, 0)`.
    MovingAverageYears,
    /// A selector without its variable code.
    VariableCode,
    /// A selector's variable without a value.
    ValueOf(String),
    /// A symbol where a value was expected.
    UnexpectedSymbol(char),
    /// The formula ends in the middle.
    UnexpectedEnd,
    /// Nothing at all.
    Empty,
    /// Text after a complete formula.
    TrailingText,
}

impl Problem {
    /// In English (command line, logs).
    pub fn english(&self) -> String {
        match self {
            Problem::NotANumber(t) => format!("`{t}` is not a number"),
            Problem::UnclosedQuote => "unclosed ` quote".into(),
            Problem::UnexpectedChar(c) => format!("unexpected character `{c}`"),
            Problem::Expected(c) => format!("expected `{c}`"),
            Problem::TooDeep => format!(
                "the formula is nested more than {MAX_DEPTH} levels deep (parentheses, functions or operators in a row)"
            ),
            Problem::WholeNumberArgument(f) => {
                format!("{f}(…, n) needs a whole number as its second argument")
            }
            Problem::MovingAverageYears => "mavg needs at least 1 year".into(),
            Problem::VariableCode => "expected a variable code, e.g. GES".into(),
            Problem::ValueOf(v) => format!("expected a value of {v}, e.g. GESW"),
            Problem::UnexpectedSymbol(c) => format!("unexpected `{c}`"),
            Problem::UnexpectedEnd => "unexpected end of formula".into(),
            Problem::Empty => "empty formula".into(),
            Problem::TrailingText => "unexpected text after the end of the formula".into(),
        }
    }

    /// In German (the workspace).
    pub fn german(&self) -> String {
        match self {
            Problem::NotANumber(t) => format!("„{t}“ ist keine Zahl"),
            Problem::UnclosedQuote => "ein Backtick ` wird nicht geschlossen".into(),
            Problem::UnexpectedChar(c) => format!("das Zeichen „{c}“ gehört nicht in eine Formel"),
            Problem::Expected(c) => format!("hier fehlt „{c}“"),
            Problem::TooDeep => format!(
                "die Formel ist tiefer als {MAX_DEPTH} Ebenen verschachtelt (Klammern, Funktionen oder Rechenzeichen hintereinander)"
            ),
            Problem::WholeNumberArgument(f) => {
                format!("{f}(…, n) braucht als zweites Argument eine ganze Zahl")
            }
            Problem::MovingAverageYears => "mavg braucht mindestens 1 Jahr".into(),
            Problem::VariableCode => "hier fehlt ein Merkmalscode, z. B. GES".into(),
            Problem::ValueOf(v) => format!("hier fehlt ein Wert von {v}, z. B. GESW"),
            Problem::UnexpectedSymbol(c) => format!("„{c}“ steht an dieser Stelle falsch"),
            Problem::UnexpectedEnd => "die Formel endet zu früh".into(),
            Problem::Empty => "die Formel ist leer".into(),
            Problem::TrailingText => "nach dem Ende der Formel folgt noch Text".into(),
        }
    }
}

impl FormulaError {
    /// The error of `problem` at character `pos`.
    pub fn new(pos: usize, problem: Problem) -> FormulaError {
        FormulaError {
            pos,
            message: problem.english(),
            problem,
        }
    }

    /// The formula with a caret under the position, for terminals and logs.
    pub fn show(&self, formula: &str) -> String {
        format!("{formula}\n{}^ {}", " ".repeat(self.pos), self.message)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Ident(String),
    Sym(char),
}

fn lex(src: &str) -> Result<Vec<(usize, Tok)>, FormulaError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit()
            || (c == '.' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit()))
        {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            // A digit run followed by letters is a code such as `1000A`, not a number.
            if i < chars.len()
                && (chars[i].is_ascii_alphabetic() || chars[i] == '_' || chars[i] == '-')
            {
                while i < chars.len() && is_code_char(chars[i]) {
                    i += 1;
                }
                out.push((start, Tok::Ident(chars[start..i].iter().collect())));
                continue;
            }
            let text: String = chars[start..i].iter().collect();
            let n = text
                .parse()
                .map_err(|_| FormulaError::new(start, Problem::NotANumber(text.clone())))?;
            out.push((start, Tok::Num(n)));
        } else if c == '`' {
            let start = i;
            i += 1;
            let s = i;
            while i < chars.len() && chars[i] != '`' {
                i += 1;
            }
            if i == chars.len() {
                return Err(FormulaError::new(start, Problem::UnclosedQuote));
            }
            out.push((start, Tok::Ident(chars[s..i].iter().collect())));
            i += 1;
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && is_code_char(chars[i]) {
                i += 1;
            }
            out.push((start, Tok::Ident(chars[start..i].iter().collect())));
        } else if "+-*/()[],=|".contains(c) {
            out.push((i, Tok::Sym(c)));
            i += 1;
        } else {
            return Err(FormulaError::new(i, Problem::UnexpectedChar(c)));
        }
    }
    Ok(out)
}

fn is_code_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-' || c == '.'
}

/// The deepest a formula may nest: parentheses, negations, function arguments and chains of
/// operators all count, as each is one level of the tree that parsing, evaluation and printing
/// recurse over. Real formulas stay below ten; without a limit a formula of a few thousand `(`
/// overflows the stack, which aborts the program.
pub const MAX_DEPTH: usize = 64;

struct Parser {
    toks: Vec<(usize, Tok)>,
    i: usize,
    end: usize,
    /// How deep the parser is in nested factors now.
    nesting: usize,
}

/// An expression with the height of its tree, so that a long chain `a + b + c + …` (a deep tree
/// without any parenthesis) is limited like nesting.
type Tree = (Expr, usize);

impl Parser {
    fn pos(&self) -> usize {
        self.toks.get(self.i).map(|t| t.0).unwrap_or(self.end)
    }
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.i).map(|t| &t.1)
    }
    fn err<T>(&self, problem: Problem) -> Result<T, FormulaError> {
        Err(FormulaError::new(self.pos(), problem))
    }
    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(&Tok::Sym(c)) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn expect(&mut self, c: char) -> Result<(), FormulaError> {
        if self.eat(c) {
            Ok(())
        } else {
            self.err(Problem::Expected(c))
        }
    }

    /// The height of a new node over children of height `h`, or a positioned error at `pos`
    /// when that is more than [`MAX_DEPTH`].
    fn deeper(&self, h: usize, pos: usize) -> Result<usize, FormulaError> {
        if h >= MAX_DEPTH {
            return Err(FormulaError::new(pos, Problem::TooDeep));
        }
        Ok(h + 1)
    }

    fn expr(&mut self) -> Result<Tree, FormulaError> {
        let (mut l, mut hl) = self.term()?;
        loop {
            let pos = self.pos();
            let op = if self.eat('+') {
                Op::Add
            } else if self.eat('-') {
                Op::Sub
            } else {
                return Ok((l, hl));
            };
            let (r, hr) = self.term()?;
            hl = self.deeper(hl.max(hr), pos)?;
            l = Expr::Bin(op, Box::new(l), Box::new(r));
        }
    }

    fn term(&mut self) -> Result<Tree, FormulaError> {
        let (mut l, mut hl) = self.factor()?;
        loop {
            let pos = self.pos();
            let op = if self.eat('*') {
                Op::Mul
            } else if self.eat('/') {
                Op::Div
            } else {
                return Ok((l, hl));
            };
            let (r, hr) = self.factor()?;
            hl = self.deeper(hl.max(hr), pos)?;
            l = Expr::Bin(op, Box::new(l), Box::new(r));
        }
    }

    /// A factor, with the parser's own recursion limited: `((((…` builds no tree but would
    /// recurse once per parenthesis.
    fn factor(&mut self) -> Result<Tree, FormulaError> {
        let pos = self.pos();
        self.nesting = self.deeper(self.nesting, pos)?;
        let r = self.factor_inner(pos);
        self.nesting -= 1;
        r
    }

    fn factor_inner(&mut self, pos: usize) -> Result<Tree, FormulaError> {
        if self.eat('-') {
            let (e, h) = self.factor()?;
            return Ok((Expr::Neg(Box::new(e)), self.deeper(h, pos)?));
        }
        if self.eat('(') {
            let e = self.expr()?;
            self.expect(')')?;
            return Ok(e);
        }
        match self.peek().cloned() {
            Some(Tok::Num(n)) => {
                self.i += 1;
                Ok((Expr::Num(n), 1))
            }
            Some(Tok::Ident(name)) => {
                let func = match name.as_str() {
                    "change" => Some(Func::Change),
                    "pct_change" => Some(Func::PctChange),
                    "index" => Some(Func::Index),
                    "mavg" => Some(Func::Mavg),
                    "lag" => Some(Func::Lag),
                    _ => None,
                };
                self.i += 1;
                if name == "coalesce" && self.eat('(') {
                    let (first, mut h) = self.expr()?;
                    let mut args = vec![first];
                    while self.eat(',') {
                        let (a, ha) = self.expr()?;
                        h = h.max(ha);
                        args.push(a);
                    }
                    self.expect(')')?;
                    return Ok((Expr::Coalesce(args), self.deeper(h, pos)?));
                }
                if let Some(f) = func.filter(|_| self.peek() == Some(&Tok::Sym('('))) {
                    self.expect('(')?;
                    let (arg, h) = self.expr()?;
                    self.expect(',')?;
                    let npos = self.pos();
                    let n = match self.peek().cloned() {
                        Some(Tok::Num(n)) if n.fract() == 0.0 && n.abs() < 10_000.0 => n as i32,
                        _ => {
                            return self.err(Problem::WholeNumberArgument(f.name().into()));
                        }
                    };
                    self.i += 1;
                    if matches!(f, Func::Mavg) && n < 1 {
                        return Err(FormulaError::new(npos, Problem::MovingAverageYears));
                    }
                    self.expect(')')?;
                    return Ok((Expr::Call(f, Box::new(arg), n), self.deeper(h, pos)?));
                }
                let mut select = Vec::new();
                if self.eat('[') {
                    loop {
                        let Some(Tok::Ident(var)) = self.peek().cloned() else {
                            return self.err(Problem::VariableCode);
                        };
                        self.i += 1;
                        self.expect('=')?;
                        let mut vals = Vec::new();
                        loop {
                            let Some(Tok::Ident(v)) = self.peek().cloned() else {
                                return self.err(Problem::ValueOf(var.clone()));
                            };
                            self.i += 1;
                            vals.push(v);
                            if !self.eat('|') {
                                break;
                            }
                        }
                        select.push((var, vals));
                        if !self.eat(',') {
                            break;
                        }
                    }
                    self.expect(']')?;
                }
                Ok((
                    Expr::Ref(MeasureRef {
                        measure: name,
                        select,
                    }),
                    1,
                ))
            }
            Some(Tok::Sym(c)) => self.err(Problem::UnexpectedSymbol(c)),
            None => self.err(Problem::UnexpectedEnd),
        }
    }
}

/// The measures a formula reads, in order of appearance (none for an empty or invalid one):
/// for matching a formula against catalogue data that names measures (breaks, publications).
pub fn measures(formula: &str) -> Vec<String> {
    parse(formula)
        .map(|x| x.refs().into_iter().map(|r| r.measure.clone()).collect())
        .unwrap_or_default()
}

/// Parses a formula.
pub fn parse(src: &str) -> Result<Expr, FormulaError> {
    let toks = lex(src)?;
    let mut p = Parser {
        toks,
        i: 0,
        end: src.chars().count(),
        nesting: 0,
    };
    if p.peek().is_none() {
        return p.err(Problem::Empty);
    }
    let (e, _) = p.expr()?;
    if p.peek().is_some() {
        return p.err(Problem::TrailingText);
    }
    Ok(e)
}

impl Expr {
    /// The measure references in the formula, in order of appearance.
    pub fn refs(&self) -> Vec<&MeasureRef> {
        let mut out = Vec::new();
        fn walk<'a>(e: &'a Expr, out: &mut Vec<&'a MeasureRef>) {
            match e {
                Expr::Num(_) => {}
                Expr::Ref(r) => out.push(r),
                Expr::Neg(a) | Expr::Call(_, a, _) => walk(a, out),
                Expr::Bin(_, a, b) => {
                    walk(a, out);
                    walk(b, out);
                }
                Expr::Coalesce(args) => args.iter().for_each(|a| walk(a, out)),
            }
        }
        walk(self, &mut out);
        out
    }

    /// The references without which the formula has no value: every one, except that a
    /// `coalesce` needs only one alternative whose references are all `present` (the others are
    /// sources for other levels or years). Empty when the formula can be computed.
    pub fn missing_refs(&self, present: &impl Fn(&str) -> bool) -> Vec<&MeasureRef> {
        let mut out = self.missing_in(present);
        // A measure read in several places (numerator and denominator) is named once.
        let mut seen = std::collections::BTreeSet::new();
        out.retain(|r| seen.insert(r.measure.clone()));
        out
    }

    fn missing_in(&self, present: &impl Fn(&str) -> bool) -> Vec<&MeasureRef> {
        match self {
            Expr::Num(_) => Vec::new(),
            Expr::Ref(r) if present(&r.measure) => Vec::new(),
            Expr::Ref(r) => vec![r],
            Expr::Neg(a) | Expr::Call(_, a, _) => a.missing_in(present),
            Expr::Bin(_, a, b) => {
                let mut out = a.missing_in(present);
                out.extend(b.missing_in(present));
                out
            }
            Expr::Coalesce(args) => {
                let each: Vec<_> = args.iter().map(|a| a.missing_in(present)).collect();
                if each.iter().any(Vec::is_empty) {
                    Vec::new()
                } else {
                    each.into_iter().flatten().collect()
                }
            }
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Num(n) => write!(f, "{n}"),
            Expr::Ref(r) => {
                let simple = r.measure.chars().all(is_code_char)
                    && r.measure
                        .chars()
                        .next()
                        .is_some_and(|c| c.is_alphabetic() || c == '_');
                if simple {
                    write!(f, "{}", r.measure)?
                } else {
                    write!(f, "`{}`", r.measure)?
                }
                if !r.select.is_empty() {
                    let s: Vec<String> = r
                        .select
                        .iter()
                        .map(|(v, vals)| format!("{v}={}", vals.join("|")))
                        .collect();
                    write!(f, "[{}]", s.join(", "))?;
                }
                Ok(())
            }
            Expr::Neg(a) => write!(f, "-({a})"),
            Expr::Bin(op, a, b) => {
                let o = match op {
                    Op::Add => "+",
                    Op::Sub => "-",
                    Op::Mul => "*",
                    Op::Div => "/",
                };
                write!(f, "({a} {o} {b})")
            }
            Expr::Call(func, a, n) => write!(f, "{}({a}, {n})", func.name()),
            Expr::Coalesce(args) => write!(
                f,
                "coalesce({})",
                args.iter()
                    .map(|a| a.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_shares_rates_and_time_functions() {
        let e = parse("100 * BEVSTD[ALT=ALT065B070|ALT070B075, GES=GESW] / BEVSTD").expect("valid");
        assert_eq!(
            e.to_string(),
            "((100 * BEVSTD[ALT=ALT065B070|ALT070B075, GES=GESW]) / BEVSTD)"
        );
        assert_eq!(e.refs().len(), 2);
        let e = parse("pct_change(`12411-05-01-4:Durchschnittliche Jahresbevölkerung`, 5)")
            .expect("valid");
        assert_eq!(
            e.to_string(),
            "pct_change(`12411-05-01-4:Durchschnittliche Jahresbevölkerung`, 5)"
        );
        assert!(parse("index(INKAR_a_GSa, 2015) - mavg(GV100_BEV, 3) + -lag(X, 1)").is_ok());
        assert_eq!(
            parse("coalesce(A, B * 2)").expect("valid").to_string(),
            "coalesce(A, (B * 2))"
        );
    }

    #[test]
    fn errors_point_at_the_mistake() {
        let err = |s: &str| parse(s).expect_err("invalid");
        assert_eq!(err("100 * ").pos, 6);
        assert_eq!(err("BEVSTD[GES=]").pos, 11);
        assert_eq!(err("BEVSTD[GES GESW]").pos, 11);
        assert_eq!(err("(A + B").pos, 6);
        assert_eq!(err("A $ B").pos, 2);
        assert_eq!(err("change(A, x)").pos, 10);
        assert_eq!(err("A B").pos, 2);
        assert!(err("").message.contains("empty"));
        assert_eq!(
            err("100 * ").show("100 * "),
            "100 * \n      ^ unexpected end of formula"
        );
    }

    #[test]
    fn nesting_is_limited_with_a_position() {
        let err = |s: &str| parse(s).expect_err("too deep");
        // Just within the limit: 63 parentheses around a negation, 63 functions, 64 terms.
        let ok = format!("{}-A{}", "(".repeat(62), ")".repeat(62));
        assert!(parse(&ok).is_ok(), "{ok}");
        let ok = format!("{}A{}", "lag(".repeat(63), ", 1)".repeat(63));
        assert!(parse(&ok).is_ok());
        let ok = vec!["A"; 64].join(" + ");
        assert!(parse(&ok).is_ok());
        // Beyond it, each kind of nesting is an error at the token that goes one level too deep.
        let e = err(&format!("{}A{}", "(".repeat(100_000), ")".repeat(100_000)));
        assert_eq!(e.pos, MAX_DEPTH);
        assert!(
            e.message.contains("nested more than 64 levels"),
            "{}",
            e.message
        );
        assert_eq!(err(&"-".repeat(100_000)).pos, MAX_DEPTH);
        let e = err(&vec!["A"; 100_000].join(" + "));
        // The 64th `+` (after 64 terms of `A + `, 4 characters each) is one level too many.
        assert_eq!(e.pos, 64 * 4 - 2);
        let e = err(&format!("{}A{}", "mavg(".repeat(65), ", 2)".repeat(65)));
        assert!(e.message.contains("nested"), "{}", e.message);
        let e = err(&format!("{}A{}", "coalesce(B, ".repeat(65), ")".repeat(65)));
        assert!(e.message.contains("nested"), "{}", e.message);
    }

    #[test]
    fn nesting_error_is_positioned_in_characters() {
        // Umlauts before the nesting do not shift the position, which counts characters.
        let f = format!("`Bevölkerung` * {}A{}", "(".repeat(70), ")".repeat(70));
        let e = parse(&f).expect_err("too deep");
        assert!(e.message.contains("nested"));
        assert_eq!(f.chars().nth(e.pos), Some('('));
    }

    #[test]
    fn a_coalesce_needs_one_complete_alternative() {
        let e = parse("coalesce(A, B) / coalesce(C + D, E)").expect("parse");
        let codes = |have: &[&str]| -> Vec<String> {
            let present = |m: &str| have.contains(&m);
            e.missing_refs(&present)
                .iter()
                .map(|r| r.measure.clone())
                .collect()
        };
        assert!(codes(&["B", "E"]).is_empty());
        assert!(codes(&["A", "C", "D"]).is_empty());
        // C without D completes no alternative of the denominator: all of it is reported.
        assert_eq!(codes(&["A", "C"]), ["D", "E"]);
        assert_eq!(codes(&["C", "D"]), ["A", "B"]);
        let twice = parse("A / (A + B)").expect("parse");
        assert_eq!(twice.missing_refs(&|m: &str| m == "B").len(), 1, "A once");
    }
}
