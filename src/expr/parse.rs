//! Reading condition text into a [`Condition`], with errors that say what to write instead.

use std::time::Duration;

use super::ast::{Condition, Literal, Metric, Number, Op, Segment, Span, Spans, is_segment_char};
use super::error::ParseError;
use super::units::{ByteUnit, Decimal, DurationUnit};
use super::value::{Version, quote};

const OPERATORS: &str = "use one of == != < <= > >= contains matches exists, not exists";

pub(super) fn condition(text: &str) -> Result<Condition, ParseError> {
    let mut parser = Parser { text, pos: 0 };
    parser.skip_whitespace();
    if parser.at_end() {
        return Err(parser.error(
            Span::new(parser.pos, parser.pos),
            "empty condition",
            Some("write `metric op value`, e.g. `status == 200`".into()),
        ));
    }
    let (metric, metric_span) = parser.metric()?;
    parser.skip_whitespace();
    let (op, op_span) = parser.op(&metric)?;
    let (value, value_span) = if op.takes_value() {
        parser.skip_whitespace();
        let (value, span, written) = parser.literal(op)?;
        parser.end(op, Some((span, written)))?;
        (Some(value), Some(span))
    } else {
        parser.end(op, None)?;
        (None, None)
    };
    let spans = Spans {
        metric: metric_span,
        op: op_span,
        value: value_span,
    };
    let pattern = check_operand(text, op, value.as_ref(), spans)?;
    Ok(Condition {
        metric,
        op,
        value,
        pattern,
        spans,
    })
}

pub(super) fn metric(text: &str) -> Result<Metric, ParseError> {
    let mut parser = Parser { text, pos: 0 };
    parser.skip_whitespace();
    if parser.at_end() {
        return Err(parser.error(
            Span::new(parser.pos, parser.pos),
            "empty metric name",
            Some("e.g. `status` or `cert.days_left`".into()),
        ));
    }
    let (metric, _) = parser.metric()?;
    parser.skip_whitespace();
    if !parser.at_end() {
        let rest = parser.text[parser.pos..].trim_end();
        return Err(parser.error(
            Span::new(parser.pos, parser.pos + rest.len()),
            format!("unexpected `{rest}` after metric name `{metric}`"),
            None,
        ));
    }
    Ok(metric)
}

/// Reads a duration setting such as `timeout = "5s"` or `every = "5m"`, with the units of
/// conditions (`ms s m h d`, decimals allowed). A unit is required: a bare `5` is `None`,
/// as in a condition. Unlike in a condition, a space may separate number and unit (`2 h`),
/// since a setting holds nothing else to confuse it with.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let numeral_len = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (numeral, unit) = text.split_at(numeral_len);
    if numeral.split('.').count() > 2 || numeral.split('.').any(str::is_empty) {
        return None;
    }
    let unit = DurationUnit::from_suffix(unit.trim_start())?;
    let nanos = Decimal::parse(numeral)?.times_rounded(unit.nanos())?;
    let seconds = u64::try_from(nanos / 1_000_000_000).ok()?;
    let subsec = u32::try_from(nanos % 1_000_000_000).ok()?;
    Some(Duration::new(seconds, subsec))
}

/// The checks that depend on the operator and value together; shared with
/// [`Condition::new`] so built conditions obey the same rules as parsed ones.
pub(super) fn check_operand(
    text: &str,
    op: Op,
    value: Option<&Literal>,
    spans: Spans,
) -> Result<Option<regex::Regex>, ParseError> {
    let at = spans.value.unwrap_or(Span::new(spans.op.end, spans.op.end));
    let fail =
        |message: String, hint: Option<String>| Err(ParseError::new(text, at, message, hint));
    let Some(value) = value else {
        return if op.takes_value() {
            fail(
                format!("missing value after `{op}`"),
                Some(example(op).into()),
            )
        } else {
            Ok(None)
        };
    };
    match (op, value) {
        (Op::Exists | Op::NotExists, _) => fail(
            format!("`{op}` takes no value"),
            Some(format!("remove `{value}`")),
        ),
        (Op::Matches, Literal::Text(pattern)) => regex::RegexBuilder::new(pattern)
            .size_limit(1 << 20)
            .build()
            .map(Some)
            .map_err(|error| {
                ParseError::new(
                    text,
                    at,
                    format!("invalid regular expression: {}", regex_message(&error)),
                    None,
                )
            }),
        (Op::Matches, other) => fail(
            format!(
                "`matches` needs a regular expression in quotes, not {}",
                other.kind()
            ),
            Some(format!("e.g. `matches {}`", quote(&other.to_string()))),
        ),
        (op, Literal::Bool(_) | Literal::Null) if op.is_ordering() => fail(
            format!("`{op}` needs a number, duration, size, percentage or version, not `{value}`"),
            Some("compare it with `==` or `!=`".into()),
        ),
        (op, Literal::Text(text)) if op.is_ordering() && Version::parse(text).is_none() => fail(
            format!("`{op}` needs a number, duration, size, percentage or version, not text"),
            Some("compare text with `==`, `!=`, `contains` or `matches`".into()),
        ),
        (Op::Lt | Op::Gt, Literal::Mode(_)) => fail(
            format!("file modes can't be compared with `{op}`"),
            Some("use `==`, `<=` (grants nothing beyond) or `>=` (grants at least)".into()),
        ),
        _ => Ok(None),
    }
}

fn regex_message(error: &regex::Error) -> String {
    match error {
        // The syntax error repeats the pattern with its own caret; keep only the reason.
        regex::Error::Syntax(text) => text
            .lines()
            .rev()
            .find_map(|line| line.strip_prefix("error: "))
            .unwrap_or(text)
            .to_owned(),
        other => other.to_string(),
    }
}

fn example(op: Op) -> &'static str {
    match op {
        Op::Contains => "e.g. `body contains \"ok\"`",
        Op::Matches => "e.g. `body matches \"^ok\"`",
        Op::Lt | Op::Le | Op::Gt | Op::Ge => "e.g. `latency < 300ms`",
        Op::Eq | Op::Ne | Op::Exists | Op::NotExists => "e.g. `status == 200`",
    }
}

/// How a value was written, for hints about what follows it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Written {
    Quoted,
    Bare,
    Numeric,
}

fn is_op_char(c: char) -> bool {
    matches!(c, '=' | '!' | '<' | '>' | '~' | '≥' | '≤' | '≠')
}

pub(super) struct Parser<'a> {
    pub(super) text: &'a str,
    pub(super) pos: usize,
}

impl<'a> Parser<'a> {
    pub(super) fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    pub(super) fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    pub(super) fn at_end(&self) -> bool {
        self.pos >= self.text.len()
    }

    pub(super) fn skip_whitespace(&mut self) {
        self.eat_while(char::is_whitespace);
    }

    pub(super) fn eat_while(&mut self, keep: impl Fn(char) -> bool) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(&keep) {
            self.bump();
        }
        &self.text[start..self.pos]
    }

    /// The span of the character at the cursor (empty at the end).
    fn here(&self) -> Span {
        Span::new(self.pos, self.pos + self.peek().map_or(0, char::len_utf8))
    }

    pub(super) fn error(
        &self,
        span: Span,
        message: impl Into<String>,
        hint: Option<String>,
    ) -> ParseError {
        ParseError::new(self.text, span, message.into(), hint)
    }

    pub(super) fn metric(&mut self) -> Result<(Metric, Span), ParseError> {
        let start = self.pos;
        match self.peek() {
            Some(c) if c.is_ascii_alphabetic() || c == '_' => {}
            Some('"' | '\'') => {
                return Err(self.error(
                    self.here(),
                    "a metric name is not quoted",
                    Some("write it bare, e.g. `header.server exists`".into()),
                ));
            }
            Some(c) if is_op_char(c) => {
                let op = self.eat_while(is_op_char);
                return Err(self.error(
                    Span::new(start, self.pos),
                    format!("missing metric name before `{op}`"),
                    Some("e.g. `status == 200`".into()),
                ));
            }
            found => {
                let found = found.map_or_else(String::new, String::from);
                return Err(self.error(
                    self.here(),
                    format!("expected a metric name, found `{found}`"),
                    Some(
                        "metric names start with a letter, e.g. `status` or `cert.days_left`"
                            .into(),
                    ),
                ));
            }
        }
        let root = self.eat_while(is_segment_char);
        let mut segments = vec![Segment::Key(root.to_owned())];
        loop {
            match self.peek() {
                Some('.') => {
                    let dot = self.pos;
                    self.bump();
                    let name = self.eat_while(is_segment_char);
                    if name.is_empty() {
                        let hint = if matches!(self.peek(), Some('"' | '\'')) {
                            "quote names in brackets, e.g. `json[\"a key\"]`"
                        } else {
                            "e.g. `cert.days_left`"
                        };
                        return Err(self.error(
                            Span::new(dot, self.here().end),
                            "expected a name after `.`",
                            Some(hint.into()),
                        ));
                    }
                    segments.push(Segment::Key(name.to_owned()));
                }
                Some('[') => {
                    let open = self.pos;
                    self.bump();
                    let segment = match self.peek() {
                        Some(c) if c.is_ascii_digit() => {
                            let digits = self.eat_while(|c| c.is_ascii_digit());
                            let index = digits.parse().map_err(|_| {
                                self.error(
                                    Span::new(open + 1, self.pos),
                                    format!("index `{digits}` is too large"),
                                    None,
                                )
                            })?;
                            Segment::Index(index)
                        }
                        Some(quote @ ('"' | '\'')) => Segment::Key(self.string(quote)?.0),
                        Some('*') => {
                            self.bump();
                            Segment::All
                        }
                        // `p95[login]`: one member of a family of metrics, picked by name.
                        Some(c) if c.is_ascii_alphabetic() || c == '_' => {
                            Segment::Selector(self.eat_while(is_segment_char).to_owned())
                        }
                        _ => {
                            return Err(self.error(
                                Span::new(open, self.here().end),
                                "expected an index, a name or a quoted name after `[`",
                                Some(
                                    "e.g. `json.items[0]`, `json.items[*]`, `p95[login]` or `json[\"a key\"]`"
                                        .into(),
                                ),
                            ));
                        }
                    };
                    if self.peek() != Some(']') {
                        return Err(self.error(
                            Span::new(open, self.pos),
                            "missing `]`",
                            Some("close the bracket, e.g. `json.items[0]`".into()),
                        ));
                    }
                    self.bump();
                    segments.push(segment);
                }
                _ => break,
            }
        }
        let span = Span::new(start, self.pos);
        let metric = Metric::from_segments(segments)
            .ok_or_else(|| self.error(span, "invalid metric name", None))?;
        Ok((metric, span))
    }

    pub(super) fn op(&mut self, metric: &Metric) -> Result<(Op, Span), ParseError> {
        let start = self.pos;
        let Some(c) = self.peek() else {
            return Err(self.error(
                self.here(),
                format!("missing operator after `{metric}`"),
                Some(OPERATORS.into()),
            ));
        };
        if is_op_char(c) {
            let token = self.eat_while(is_op_char);
            let span = Span::new(start, self.pos);
            let op = match token {
                "==" => Op::Eq,
                "!=" => Op::Ne,
                "<" => Op::Lt,
                "<=" => Op::Le,
                ">" => Op::Gt,
                ">=" => Op::Ge,
                _ => {
                    let suggestion = match token {
                        "=" | "===" => Some("=="),
                        "=>" | "≥" => Some(">="),
                        "=<" | "≤" => Some("<="),
                        "<>" | "!" | "=!" | "!==" | "≠" => Some("!="),
                        "~" | "=~" | "~=" => Some("matches"),
                        _ => None,
                    };
                    let hint =
                        suggestion.map_or(OPERATORS.into(), |s| format!("did you mean `{s}`?"));
                    return Err(self.error(
                        span,
                        format!("unknown operator `{token}`"),
                        Some(hint),
                    ));
                }
            };
            return Ok((op, span));
        }
        if c.is_alphabetic() {
            let word = self.eat_while(|c| c.is_alphanumeric() || c == '_');
            let span = Span::new(start, self.pos);
            let op = match word {
                "contains" => Op::Contains,
                "matches" => Op::Matches,
                "exists" => Op::Exists,
                "not" => {
                    self.skip_whitespace();
                    if self.eat_while(char::is_alphanumeric) == "exists" {
                        return Ok((Op::NotExists, Span::new(start, self.pos)));
                    }
                    return Err(self.error(
                        span,
                        "`not` only goes with `exists`",
                        Some("write `not exists`, or use `!=`".into()),
                    ));
                }
                _ => {
                    return Err(self.error(
                        span,
                        format!("unknown operator `{word}`"),
                        Some(word_op_hint(word)),
                    ));
                }
            };
            return Ok((op, span));
        }
        Err(self.error(
            self.here(),
            format!("expected an operator after `{metric}`, found `{c}`"),
            Some(OPERATORS.into()),
        ))
    }

    pub(super) fn literal(&mut self, op: Op) -> Result<(Literal, Span, Written), ParseError> {
        let start = self.pos;
        match self.peek() {
            None => Err(self.error(
                self.here(),
                format!("missing value after `{op}`"),
                Some(example(op).into()),
            )),
            Some(quote @ ('"' | '\'')) => {
                let (text, span) = self.string(quote)?;
                Ok((Literal::Text(text), span, Written::Quoted))
            }
            Some(c) if c.is_ascii_digit() || c == '-' => self.numeric(),
            Some(c) if c.is_alphabetic() || c == '_' => {
                let word = self.eat_while(|c| {
                    c.is_alphanumeric() || matches!(c, '_' | '.' | ':' | '/' | '+' | '-')
                });
                let span = Span::new(start, self.pos);
                let literal = match word {
                    "true" => Literal::Bool(true),
                    "false" => Literal::Bool(false),
                    "null" => Literal::Null,
                    _ => {
                        let lower = word.to_ascii_lowercase();
                        if matches!(lower.as_str(), "true" | "false" | "null") {
                            return Err(self.error(
                                span,
                                format!("`{word}` is not a keyword"),
                                Some(format!("write `{lower}` in lowercase, or quote it as text")),
                            ));
                        }
                        Literal::Text(word.to_owned())
                    }
                };
                Ok((literal, span, Written::Bare))
            }
            Some('.') => {
                let token = self.eat_while(|c| !c.is_whitespace());
                Err(self.error(
                    Span::new(start, self.pos),
                    "a number needs a digit before the point",
                    Some(format!("write `0{token}`")),
                ))
            }
            Some(c) => Err(self.error(
                self.here(),
                format!("expected a value after `{op}`, found `{c}`"),
                Some(example(op).into()),
            )),
        }
    }

    /// A quoted string: `"…"` with escapes, or `'…'` taken as is (handy for regexes).
    fn string(&mut self, quote: char) -> Result<(String, Span), ParseError> {
        let start = self.pos;
        self.bump();
        let mut text = String::new();
        loop {
            let at = self.pos;
            let unterminated = |parser: &Self| {
                parser.error(
                    Span::new(start, parser.pos),
                    "unterminated text",
                    Some(format!("add a closing `{quote}`")),
                )
            };
            match self.bump() {
                None => return Err(unterminated(self)),
                Some(c) if c == quote => break,
                Some('\\') if quote == '"' => {
                    let escaped = match self.bump() {
                        None => return Err(unterminated(self)),
                        Some('"') => '"',
                        Some('\'') => '\'',
                        Some('\\') => '\\',
                        Some('n') => '\n',
                        Some('r') => '\r',
                        Some('t') => '\t',
                        Some('0') => '\0',
                        Some('u') => self.unicode_escape(at)?,
                        Some(other) => {
                            return Err(self.error(
                                Span::new(at, self.pos),
                                format!("unknown escape `\\{other}`"),
                                Some("write `\\\\` for a backslash, or use single quotes, which take text as is: '\\d+'".into()),
                            ));
                        }
                    };
                    text.push(escaped);
                }
                Some(c) => text.push(c),
            }
        }
        Ok((text, Span::new(start, self.pos)))
    }

    /// `\u{e9}`, the cursor just past the `u`.
    fn unicode_escape(&mut self, at: usize) -> Result<char, ParseError> {
        let invalid = |parser: &Self| {
            parser.error(
                Span::new(at, parser.pos),
                "invalid unicode escape",
                Some("write it like `\\u{e9}`".into()),
            )
        };
        if self.peek() != Some('{') {
            return Err(invalid(self));
        }
        self.bump();
        let hex = self.eat_while(|c| c.is_ascii_hexdigit());
        if self.peek() != Some('}') || hex.is_empty() || hex.len() > 6 {
            self.eat_while(|c| c != '}' && c != '"');
            self.bump();
            return Err(invalid(self));
        }
        self.bump();
        u32::from_str_radix(hex, 16)
            .ok()
            .and_then(char::from_u32)
            .ok_or_else(|| invalid(self))
    }

    /// Numbers, with units (`300ms`, `10MB`, `0.1%`), file modes (`0o600`) and versions
    /// (`1.2.3`).
    fn numeric(&mut self) -> Result<(Literal, Span, Written), ParseError> {
        let start = self.pos;
        let token =
            self.eat_while(|c| c.is_alphanumeric() || matches!(c, '.' | '%' | '_' | '-' | '/'));
        let span = Span::new(start, self.pos);
        let (negative, body) = match token.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, token),
        };
        let body_start = start + usize::from(negative);
        if !body.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(self.error(span, "expected a number after `-`", None));
        }
        if let Some(octal) = body.strip_prefix("0o").or_else(|| body.strip_prefix("0O")) {
            return self.mode(token, octal, negative, span, body_start + 2);
        }
        let numeral_len = body
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(body.len());
        let (numeral, suffix) = body.split_at(numeral_len);
        let suffix_span = Span::new(body_start + numeral_len, span.end);
        let groups: Vec<&str> = numeral.split('.').collect();
        if groups.iter().any(|group| group.is_empty()) {
            return Err(self.error(
                span,
                format!("`{token}` is not a number"),
                Some("write digits on both sides of the point, e.g. `0.5`".into()),
            ));
        }
        let too_large =
            |what: &str| self.error(span, format!("{what} `{token}` is too large"), None);
        if groups.len() >= 3 {
            if negative {
                return Err(self.error(span, "a version can't be negative", None));
            }
            if !suffix.is_empty() {
                return Err(self.error(
                    suffix_span,
                    format!("unexpected `{suffix}` after version `{numeral}`"),
                    None,
                ));
            }
            let parts = groups
                .iter()
                .map(|group| group.parse().map_err(|_| too_large("version")))
                .collect::<Result<Vec<u64>, _>>()?;
            return Ok((
                Literal::Version(Version::new(parts)),
                span,
                Written::Numeric,
            ));
        }
        let number_text = &token[..token.len() - suffix.len()];
        let number = || {
            number_text
                .parse::<f64>()
                .ok()
                .filter(|value| value.is_finite())
                .ok_or_else(|| too_large("number"))
        };
        let literal = if suffix.is_empty() {
            Literal::Number(Number::written(number()?, number_text))
        } else if suffix == "%" {
            Literal::Percent(number()?)
        } else if let Some(unit) = DurationUnit::from_suffix(suffix) {
            if negative {
                return Err(self.error(span, "a duration can't be negative", None));
            }
            let duration = Decimal::parse(numeral)
                .and_then(|amount| amount.times_rounded(unit.nanos()))
                .and_then(|nanos| {
                    let seconds = u64::try_from(nanos / 1_000_000_000).ok()?;
                    let subsec = u32::try_from(nanos % 1_000_000_000).ok()?;
                    Some(Duration::new(seconds, subsec))
                })
                .ok_or_else(|| too_large("duration"))?;
            Literal::Duration(duration, unit)
        } else if let Some((size, per)) = suffix.split_once('/') {
            // `10MB/h`: a size per unit of time, such as a memory slope. It may be negative.
            let (Some(unit), Some(per)) =
                (ByteUnit::from_suffix(size), DurationUnit::from_suffix(per))
            else {
                return Err(self.error(
                    suffix_span,
                    format!("unknown unit `{suffix}` in `{token}`"),
                    Some("a size per time is written like `10MB/h` (B, KB, MB, GB, KiB, MiB, GiB per s, m, h or d)".into()),
                ));
            };
            let bytes = Decimal::parse(numeral)
                .and_then(|amount| amount.times_exact(u128::from(unit.bytes())).ok())
                .and_then(|bytes| i64::try_from(bytes).ok())
                .ok_or_else(|| {
                    self.error(
                        span,
                        format!("`{token}` is not a whole number of bytes per {per}, or too large"),
                        Some("use fewer decimals or a smaller unit".into()),
                    )
                })?;
            Literal::ByteRate(if negative { -bytes } else { bytes }, unit, per)
        } else if let Some(unit) = ByteUnit::from_suffix(suffix) {
            if negative {
                return Err(self.error(span, "a size can't be negative", None));
            }
            let bytes = match Decimal::parse(numeral)
                .ok_or(true)
                .and_then(|amount| amount.times_exact(u128::from(unit.bytes())))
            {
                Ok(bytes) => u64::try_from(bytes).map_err(|_| too_large("size"))?,
                Err(true) => return Err(too_large("size")),
                Err(false) => {
                    return Err(self.error(
                        span,
                        format!("`{token}` is not a whole number of bytes"),
                        Some("use fewer decimals or a smaller unit".into()),
                    ));
                }
            };
            Literal::Bytes(bytes, unit)
        } else {
            // `1e5` reads as a float elsewhere; say how to write it here.
            let exponent = suffix
                .strip_prefix(['e', 'E'])
                .is_some_and(|digits| {
                    let digits = digits.strip_prefix(['+', '-']).unwrap_or(digits);
                    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
                })
                .then(|| token.parse::<f64>().ok().filter(|value| value.is_finite()))
                .flatten();
            let hint = match exponent {
                Some(value) => format!("write the number out in full: `{value}`"),
                None => unit_hint(suffix),
            };
            return Err(self.error(
                suffix_span,
                format!("unknown unit `{suffix}` in `{token}`"),
                Some(hint),
            ));
        };
        Ok((literal, span, Written::Numeric))
    }

    fn mode(
        &self,
        token: &str,
        octal: &str,
        negative: bool,
        span: Span,
        digits_start: usize,
    ) -> Result<(Literal, Span, Written), ParseError> {
        if negative {
            return Err(self.error(span, "a file mode can't be negative", None));
        }
        if octal.is_empty() {
            return Err(self.error(span, "`0o` needs octal digits", Some("e.g. `0o600`".into())));
        }
        if let Some((i, c)) = octal.char_indices().find(|(_, c)| !('0'..='7').contains(c)) {
            return Err(self.error(
                Span::new(digits_start + i, digits_start + i + c.len_utf8()),
                format!("invalid octal digit `{c}` in `{token}`"),
                Some("file modes use digits 0 to 7, e.g. `0o644`".into()),
            ));
        }
        match u32::from_str_radix(octal, 8) {
            Ok(mode) if mode <= 0o7777 => Ok((Literal::Mode(mode), span, Written::Numeric)),
            _ => Err(self.error(
                span,
                format!("file mode `{token}` is out of range"),
                Some("modes go up to `0o7777`".into()),
            )),
        }
    }

    /// After the condition only whitespace may follow.
    pub(super) fn end(&mut self, op: Op, value: Option<(Span, Written)>) -> Result<(), ParseError> {
        self.skip_whitespace();
        if self.at_end() {
            return Ok(());
        }
        let start = self.pos;
        let rest = self.text[start..].trim_end();
        let span = Span::new(start, start + rest.len());
        let Some((value_span, written)) = value else {
            return Err(self.error(
                span,
                format!("`{op}` takes no value"),
                Some(format!("remove `{rest}`")),
            ));
        };
        let first = rest.split_whitespace().next().unwrap_or(rest);
        let is_unit = |word: &str| {
            word == "%"
                || DurationUnit::from_suffix(word).is_some()
                || ByteUnit::from_suffix(word).is_some()
        };
        let joiner = ["&&", "||", ","].iter().any(|j| rest.starts_with(j))
            || matches!(first.to_ascii_lowercase().as_str(), "and" | "or");
        let hint = if joiner {
            Some("write each condition as its own entry in `expect`; all of them must hold".into())
        } else if written == Written::Numeric && is_unit(first) {
            let number = &self.text[value_span.range()];
            Some(format!(
                "write the unit right after the number: `{number}{first}`"
            ))
        } else if written == Written::Bare {
            let text = &self.text[value_span.start..span.end];
            Some(format!(
                "quote text that has spaces or symbols: `{}`",
                quote(text)
            ))
        } else {
            None
        };
        Err(self.error(span, format!("unexpected `{rest}` after the value"), hint))
    }
}

fn word_op_hint(word: &str) -> String {
    let lower = word.to_lowercase();
    let suggestion = match lower.as_str() {
        "contains" | "matches" | "exists" => Some(lower.as_str()),
        "eq" | "is" | "equals" | "equal" => Some("=="),
        "ne" | "neq" | "isnt" => Some("!="),
        "lt" => Some("<"),
        "le" | "lte" => Some("<="),
        "gt" => Some(">"),
        "ge" | "gte" => Some(">="),
        "has" | "contain" | "include" | "includes" => Some("contains"),
        "match" | "like" | "matching" | "regex" => Some("matches"),
        "exist" | "present" | "defined" => Some("exists"),
        "missing" | "absent" => Some("not exists"),
        _ => ["contains", "matches", "exists"]
            .into_iter()
            .find(|op| edit_distance(&lower, op) <= 2),
    };
    suggestion.map_or(OPERATORS.into(), |s| format!("did you mean `{s}`?"))
}

fn unit_hint(suffix: &str) -> String {
    let lower = suffix.to_lowercase();
    let alias = match lower.as_str() {
        "sec" | "secs" | "second" | "seconds" => Some("s"),
        "min" | "mins" | "minute" | "minutes" => Some("m"),
        "hr" | "hrs" | "hour" | "hours" => Some("h"),
        "day" | "days" => Some("d"),
        "msec" | "msecs" | "millis" | "millisecond" | "milliseconds" => Some("ms"),
        "k" => Some("KB"),
        "g" => Some("GB"),
        "t" => Some("TB"),
        _ => None,
    };
    if suffix == "M" {
        return "did you mean `m` (minutes) or `MB`?".into();
    }
    if let Some(unit) = alias {
        return format!("did you mean `{unit}`?");
    }
    match lower.as_str() {
        "us" | "µs" | "μs" | "ns" => {
            return "durations go down to milliseconds; write fractions, e.g. `0.5ms`".into();
        }
        "w" | "wk" | "week" | "weeks" => return "write weeks in days, e.g. `7d`".into(),
        "y" | "yr" | "year" | "years" => return "write years in days, e.g. `365d`".into(),
        _ => {}
    }
    let same_letters = DurationUnit::ALL
        .iter()
        .map(|unit| unit.as_str())
        .chain(ByteUnit::ALL.iter().map(|unit| unit.as_str()))
        .find(|unit| unit.eq_ignore_ascii_case(suffix));
    if let Some(unit) = same_letters {
        return format!("did you mean `{unit}`?");
    }
    if lower.contains('b') {
        "sizes take B, KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024)"
            .into()
    } else if lower.starts_with(['m', 's', 'h', 'd']) {
        "use one of ms, s, m, h, d".into()
    } else {
        "durations take ms, s, m, h, d; sizes B, KB, MB, GB, TB, KiB, MiB, GiB, TiB; percentages %"
            .into()
    }
}

/// Levenshtein distance, for "did you mean" hints on short words.
pub(super) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests;
