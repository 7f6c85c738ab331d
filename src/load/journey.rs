//! The requests of a test, prepared once: names, templates with `{{name}}` holes, captures,
//! and the order or weights by which users pick them.
//!
//! A request without holes is serialised once, before the test, and every send writes the
//! same bytes. One with holes is rendered per send into the user's buffer, from the values
//! that user captured from earlier answers of its journey.

use std::str::FromStr;

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, HOST, HeaderName, HeaderValue, USER_AGENT};
use http::{Method, Request};
use http_body_util::Full;

use super::LoadError;
use super::config::{Config, Mix};
use super::target::Target;
use crate::expr::{Metric, Segment};

const USER_AGENT_VALUE: &str = concat!("golive/", env!("CARGO_PKG_VERSION"));
/// Most bytes of a response body kept for a `json.` capture.
pub(crate) const CAPTURE_BODY_CAP: usize = 1024 * 1024;

/// `token = "json.access_token"`: a value taken from a response for later requests.
#[derive(Debug, Clone, PartialEq)]
pub struct Capture {
    pub var: String,
    pub path: CapturePath,
}

/// Where a captured value is read.
#[derive(Debug, Clone, PartialEq)]
pub enum CapturePath {
    /// `json.PATH`: walked in the response body parsed as JSON.
    Json(Vec<Segment>),
    /// `header.NAME`: a response header.
    Header(String),
}

impl Capture {
    /// Reads `capture = { VAR = "PATH" }`; the error says what to write instead.
    pub fn parse(var: &str, path: &str) -> Result<Capture, String> {
        if !is_var_name(var) {
            return Err(format!(
                "capture names are letters, digits and `_`, starting with a letter: not `{var}`"
            ));
        }
        let metric = Metric::from_str(path).map_err(|error| {
            format!(
                "capture `{var}`: `{path}` is not a path: {}",
                error.message()
            )
        })?;
        let path = match (metric.root(), &metric.segments()[1..]) {
            ("json", rest) => CapturePath::Json(rest.to_vec()),
            ("header", [Segment::Key(name)]) => CapturePath::Header(name.to_ascii_lowercase()),
            _ => {
                return Err(format!(
                    "capture `{var}`: `{path}` must start with `json.` (the response body) or be `header.NAME`, e.g. `json.access_token`"
                ));
            }
        };
        Ok(Capture {
            var: var.to_string(),
            path,
        })
    }
}

fn is_var_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Text with `{{name}}` holes.
#[derive(Debug, Clone)]
struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone)]
enum Part {
    Text(Vec<u8>),
    Var(usize),
}

impl Template {
    /// Holes name variables, numbered in `names` as they are first met.
    fn parse(text: &[u8], names: &mut Vec<String>) -> Template {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(open) = find(rest, b"{{") {
            let Some(close) = find(&rest[open + 2..], b"}}") else {
                break;
            };
            let name = String::from_utf8_lossy(&rest[open + 2..open + 2 + close]);
            let name = name.trim();
            if !is_var_name(name) {
                // Not a hole (`{{` in a JSON body, say): kept as text.
                parts.push(Part::Text(rest[..open + 2].to_vec()));
                rest = &rest[open + 2..];
                continue;
            }
            if open > 0 {
                parts.push(Part::Text(rest[..open].to_vec()));
            }
            let index = match names.iter().position(|known| known == name) {
                Some(index) => index,
                None => {
                    names.push(name.to_string());
                    names.len() - 1
                }
            };
            parts.push(Part::Var(index));
            rest = &rest[open + 2 + close + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_vec()));
        }
        Template { parts }
    }

    fn vars(&self) -> impl Iterator<Item = usize> + '_ {
        self.parts.iter().filter_map(|part| match part {
            Part::Var(index) => Some(*index),
            Part::Text(_) => None,
        })
    }

    fn render(&self, vars: &[Option<Vec<u8>>], out: &mut Vec<u8>) {
        for part in &self.parts {
            match part {
                Part::Text(text) => out.extend_from_slice(text),
                Part::Var(index) => {
                    if let Some(Some(value)) = vars.get(*index) {
                        out.extend_from_slice(value);
                    }
                }
            }
        }
    }

    fn rendered(&self, vars: &[Option<Vec<u8>>]) -> Vec<u8> {
        let mut out = Vec::new();
        self.render(vars, &mut out);
        out
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// One request, ready to send many times.
#[derive(Debug)]
pub(crate) struct Prepared {
    method: Method,
    path: Template,
    headers: Vec<(HeaderName, Template, bool)>,
    body: Template,
    /// The whole HTTP/1.1 request when nothing in it is a hole.
    wire: Option<Bytes>,
    /// The HTTP/2 request when nothing in it is a hole.
    h2: Option<Request<Full<Bytes>>>,
    pub(crate) captures: Vec<(usize, CapturePath)>,
    /// Response headers (lowercase) that captures read.
    pub(crate) wanted_headers: Vec<String>,
    /// A capture reads the body.
    pub(crate) keep_body: bool,
    /// `HEAD`: the answer has no body whatever its headers say.
    pub(crate) head: bool,
}

/// Every request of a test, and how users pick them.
#[derive(Debug)]
pub(crate) struct Plan {
    pub(crate) requests: Vec<Prepared>,
    /// Shown in results, one per request.
    pub(crate) names: Vec<String>,
    /// Whether results are kept per request (several requests, or a named one).
    pub(crate) by_name: bool,
    /// Variables, by index.
    pub(crate) vars: usize,
    mix: Mix,
    /// Running totals of the weights, for a weighted pick.
    cumulative: Vec<u64>,
    authority: String,
    scheme: &'static str,
}

impl Plan {
    pub(crate) fn new(config: &Config, target: &Target) -> Result<Plan, LoadError> {
        let mut var_names = Vec::new();
        let mut names = Vec::new();
        let mut requests = Vec::new();
        let mut captured: Vec<String> = Vec::new();
        for (index, spec) in config.requests.iter().enumerate() {
            let name = spec
                .name
                .clone()
                .unwrap_or_else(|| format!("request-{}", index + 1));
            if names.contains(&name) {
                return Err(LoadError::Invalid(format!(
                    "two requests are named `{name}`; names pick results in conditions (`p95[{name}]`) and must be unique"
                )));
            }
            let path = Template::parse(Target::parse(&spec.url)?.path.as_bytes(), &mut var_names);
            let headers: Vec<(HeaderName, Template, bool)> = spec
                .headers
                .iter()
                .map(|(name, value)| {
                    (
                        name.clone(),
                        Template::parse(value.as_bytes(), &mut var_names),
                        value.is_sensitive(),
                    )
                })
                .collect();
            let body = Template::parse(&spec.body, &mut var_names);
            let used: Vec<usize> = path
                .vars()
                .chain(headers.iter().flat_map(|(_, value, _)| value.vars()))
                .chain(body.vars())
                .collect();
            if config.mix == Mix::Weighted && (!used.is_empty() || !spec.captures.is_empty()) {
                return Err(LoadError::Invalid(format!(
                    "request `{name}`: captures and `{{{{…}}}}` need an order, and a weighted mix has none; use a journey (the default `mix`)"
                )));
            }
            for var in &used {
                let var = &var_names[*var];
                if !captured.contains(var) {
                    return Err(LoadError::Invalid(format!(
                        "request `{name}` uses `{{{{{var}}}}}`, which no request before it captures; add `capture = {{ {var} = \"json.…\" }}` to an earlier request"
                    )));
                }
            }
            let mut captures = Vec::new();
            for capture in &spec.captures {
                let index = match var_names.iter().position(|known| *known == capture.var) {
                    Some(index) => index,
                    None => {
                        var_names.push(capture.var.clone());
                        var_names.len() - 1
                    }
                };
                captured.push(capture.var.clone());
                captures.push((index, capture.path.clone()));
            }
            let wanted_headers = captures
                .iter()
                .filter_map(|(_, path)| match path {
                    CapturePath::Header(name) => Some(name.clone()),
                    CapturePath::Json(_) => None,
                })
                .collect();
            let keep_body = captures
                .iter()
                .any(|(_, path)| matches!(path, CapturePath::Json(_)));
            let mut prepared = Prepared {
                method: spec.method.clone(),
                path,
                headers,
                body,
                wire: None,
                h2: None,
                captures,
                wanted_headers,
                keep_body,
                head: spec.method == Method::HEAD,
            };
            if used.is_empty() {
                let mut wire = Vec::new();
                prepared.write_http1(&target.authority, &[], &mut wire);
                prepared.wire = Some(Bytes::from(wire));
                let scheme = if target.tls { "https" } else { "http" };
                prepared.h2 = Some(
                    prepared
                        .http2_request(scheme, &target.authority, &[])
                        .map_err(LoadError::Invalid)?,
                );
            }
            names.push(name);
            requests.push(prepared);
        }
        let mut total = 0;
        let cumulative = config
            .requests
            .iter()
            .map(|spec| {
                total += u64::from(spec.weight);
                total
            })
            .collect();
        Ok(Plan {
            by_name: requests.len() > 1 || config.requests.iter().any(|r| r.name.is_some()),
            requests,
            names,
            vars: var_names.len(),
            mix: config.mix,
            cumulative,
            authority: target.authority.clone(),
            scheme: if target.tls { "https" } else { "http" },
        })
    }

    /// The request after `previous` for a user: the next of the journey, or a weighted pick
    /// from `random`.
    pub(crate) fn next(&self, previous: Option<usize>, random: u64) -> usize {
        match self.mix {
            Mix::Journey => previous.map_or(0, |index| (index + 1) % self.requests.len()),
            Mix::Weighted => {
                let total = self.cumulative.last().copied().unwrap_or(1).max(1);
                let pick = random % total;
                self.cumulative
                    .iter()
                    .position(|&edge| pick < edge)
                    .unwrap_or(0)
            }
        }
    }

    /// The HTTP/1.1 bytes of request `index` for a user with these `vars`: the prepared ones,
    /// or rendered into `buffer`.
    pub(crate) fn wire<'a>(
        &'a self,
        index: usize,
        vars: &[Option<Vec<u8>>],
        buffer: &'a mut Vec<u8>,
    ) -> &'a [u8] {
        let request = &self.requests[index];
        match &request.wire {
            Some(wire) => wire,
            None => {
                buffer.clear();
                request.write_http1(&self.authority, vars, buffer);
                buffer
            }
        }
    }

    /// Request `index` for hyper's HTTP/2 client.
    pub(crate) fn http2(
        &self,
        index: usize,
        vars: &[Option<Vec<u8>>],
    ) -> Result<Request<Full<Bytes>>, String> {
        let request = &self.requests[index];
        match &request.h2 {
            Some(prepared) => {
                let mut copy = Request::new(prepared.body().clone());
                *copy.method_mut() = prepared.method().clone();
                *copy.uri_mut() = prepared.uri().clone();
                *copy.headers_mut() = prepared.headers().clone();
                Ok(copy)
            }
            None => request.http2_request(self.scheme, &self.authority, vars),
        }
    }
}

impl Prepared {
    fn write_http1(&self, authority: &str, vars: &[Option<Vec<u8>>], out: &mut Vec<u8>) {
        out.extend_from_slice(self.method.as_str().as_bytes());
        out.push(b' ');
        self.path.render(vars, out);
        out.extend_from_slice(b" HTTP/1.1\r\n");
        let has = |name: &HeaderName| self.headers.iter().any(|(n, _, _)| n == name);
        if !has(&HOST) {
            out.extend_from_slice(b"host: ");
            out.extend_from_slice(authority.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        if !has(&USER_AGENT) {
            out.extend_from_slice(b"user-agent: ");
            out.extend_from_slice(USER_AGENT_VALUE.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        for (name, value, _) in &self.headers {
            out.extend_from_slice(name.as_str().as_bytes());
            out.extend_from_slice(b": ");
            value.render(vars, out);
            out.extend_from_slice(b"\r\n");
        }
        let body = self.body.rendered(vars);
        let sends_body =
            !body.is_empty() || matches!(self.method, Method::POST | Method::PUT | Method::PATCH);
        if sends_body && !has(&CONTENT_LENGTH) {
            out.extend_from_slice(b"content-length: ");
            out.extend_from_slice(itoa::Buffer::new().format(body.len()).as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&body);
    }

    fn http2_request(
        &self,
        scheme: &str,
        authority: &str,
        vars: &[Option<Vec<u8>>],
    ) -> Result<Request<Full<Bytes>>, String> {
        let path = String::from_utf8_lossy(&self.path.rendered(vars)).into_owned();
        let uri = format!("{scheme}://{authority}{path}")
            .parse::<http::Uri>()
            .map_err(|error| format!("invalid request URL after captures: {error}"))?;
        let mut request = Request::new(Full::new(Bytes::from(self.body.rendered(vars))));
        *request.method_mut() = self.method.clone();
        *request.uri_mut() = uri;
        let headers = request.headers_mut();
        for (name, value, sensitive) in &self.headers {
            if *name == HOST {
                continue;
            }
            let mut value = HeaderValue::from_bytes(&value.rendered(vars)).map_err(|_| {
                format!("header `{name}` is not a valid header value after captures")
            })?;
            value.set_sensitive(*sensitive);
            headers.append(name.clone(), value);
        }
        if !headers.contains_key(USER_AGENT) {
            headers.insert(USER_AGENT, HeaderValue::from_static(USER_AGENT_VALUE));
        }
        Ok(request)
    }
}

/// Fills `vars` from one answer; the first capture that finds nothing, as a message.
pub(crate) fn capture(
    request: &Prepared,
    body: &[u8],
    headers: &[Option<Vec<u8>>],
    vars: &mut [Option<Vec<u8>>],
) -> Result<(), String> {
    let mut json: Option<serde_json::Value> = None;
    for (var, path) in &request.captures {
        let value = match path {
            CapturePath::Header(name) => request
                .wanted_headers
                .iter()
                .position(|wanted| wanted == name)
                .and_then(|at| headers.get(at).cloned().flatten())
                .ok_or_else(|| format!("no `{name}` header in the answer"))?,
            CapturePath::Json(segments) => {
                if json.is_none() {
                    json = Some(serde_json::from_slice(body).map_err(|error| {
                        format!(
                            "the answer is not JSON ({error}), so `json.` captures find nothing"
                        )
                    })?);
                }
                let mut node = json.as_ref().ok_or("no JSON")?;
                for segment in segments {
                    node = match (node, segment) {
                        (
                            serde_json::Value::Object(map),
                            Segment::Key(key) | Segment::Selector(key),
                        ) => map.get(key),
                        (serde_json::Value::Array(items), Segment::Index(index)) => {
                            items.get(*index)
                        }
                        _ => None,
                    }
                    .ok_or_else(|| {
                        let mut path = String::from("json");
                        for segment in segments {
                            match segment {
                                Segment::Index(index) => path.push_str(&format!("[{index}]")),
                                Segment::All => path.push_str("[*]"),
                                Segment::Key(key) | Segment::Selector(key) => {
                                    path.push('.');
                                    path.push_str(key);
                                }
                            }
                        }
                        format!("`{path}` is not in the answer")
                    })?;
                }
                match node {
                    serde_json::Value::String(text) => text.as_bytes().to_vec(),
                    other => other.to_string().into_bytes(),
                }
            }
        };
        if let Some(slot) = vars.get_mut(*var) {
            *slot = Some(value);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::config::{Bound, RequestSpec};

    fn setup(requests: Vec<RequestSpec>) -> (Config, Target) {
        let mut config = Config::new("http://127.0.0.1:9/", Bound::Requests(1));
        config.requests = requests;
        let target = Target::parse(config.url()).expect("valid");
        (config, target)
    }

    #[test]
    fn a_plain_request_is_serialised_once() {
        let mut post = RequestSpec::get("http://127.0.0.1:9/a?b=c");
        post.method = Method::POST;
        post.body = b"{}".to_vec();
        let (config, target) = setup(vec![post]);
        let plan = Plan::new(&config, &target).expect("valid");
        let mut buffer = Vec::new();
        let wire = String::from_utf8(plan.wire(0, &[], &mut buffer).to_vec()).expect("text");
        assert_eq!(
            wire,
            format!(
                "POST /a?b=c HTTP/1.1\r\nhost: 127.0.0.1:9\r\nuser-agent: {USER_AGENT_VALUE}\r\ncontent-length: 2\r\n\r\n{{}}"
            )
        );
        assert!(buffer.is_empty(), "nothing rendered per send");
        assert!(!plan.by_name);
    }

    #[test]
    fn captures_fill_later_requests() {
        let mut login = RequestSpec::get("http://127.0.0.1:9/login");
        login.name = Some("login".into());
        login.captures = vec![Capture::parse("token", "json.data.token").expect("valid")];
        let mut cart = RequestSpec::get("http://127.0.0.1:9/cart/{{token}}");
        cart.name = Some("cart".into());
        cart.headers.insert(
            http::header::AUTHORIZATION,
            HeaderValue::from_static("Bearer {{ token }}"),
        );
        let (config, target) = setup(vec![login, cart]);
        let plan = Plan::new(&config, &target).expect("valid");
        assert_eq!(plan.names, ["login", "cart"]);
        assert_eq!(
            (
                plan.next(None, 0),
                plan.next(Some(0), 0),
                plan.next(Some(1), 0)
            ),
            (0, 1, 0)
        );
        let mut vars = vec![None; plan.vars];
        capture(
            &plan.requests[0],
            br#"{"data":{"token":"t/1"}}"#,
            &[],
            &mut vars,
        )
        .expect("captured");
        let mut buffer = Vec::new();
        let wire = String::from_utf8(plan.wire(1, &vars, &mut buffer).to_vec()).expect("text");
        assert!(wire.starts_with("GET /cart/t/1 HTTP/1.1\r\n"), "{wire}");
        assert!(wire.contains("authorization: Bearer t/1\r\n"), "{wire}");
        let missing =
            capture(&plan.requests[0], br#"{"data":{}}"#, &[], &mut vars).expect_err("no token");
        assert!(
            missing.contains("`json.data.token` is not in the answer"),
            "{missing}"
        );
        let not_json = capture(&plan.requests[0], b"<html>", &[], &mut vars).expect_err("html");
        assert!(not_json.contains("not JSON"), "{not_json}");
    }

    #[test]
    fn holes_need_an_earlier_capture_and_an_order() {
        let (config, target) = setup(vec![RequestSpec::get("http://127.0.0.1:9/{{id}}")]);
        let error = Plan::new(&config, &target)
            .expect_err("no capture")
            .to_string();
        assert!(error.contains("no request before it captures"), "{error}");
        let mut first = RequestSpec::get("http://127.0.0.1:9/");
        first.captures = vec![Capture::parse("id", "json.id").expect("valid")];
        let (mut config, target) =
            setup(vec![first, RequestSpec::get("http://127.0.0.1:9/{{id}}")]);
        config.mix = Mix::Weighted;
        let error = Plan::new(&config, &target)
            .expect_err("weighted")
            .to_string();
        assert!(error.contains("need an order"), "{error}");
        assert!(Capture::parse("t", "status").is_err());
        assert!(Capture::parse("t", "header.x-token").is_ok());
        assert!(Capture::parse("1t", "json.a").is_err());
    }

    #[test]
    fn weights_share_the_picks() {
        let mut a = RequestSpec::get("http://127.0.0.1:9/a");
        a.weight = 3;
        let b = RequestSpec::get("http://127.0.0.1:9/b");
        let (mut config, target) = setup(vec![a, b]);
        config.mix = Mix::Weighted;
        let plan = Plan::new(&config, &target).expect("valid");
        let picks: Vec<usize> = (0..4).map(|random| plan.next(None, random)).collect();
        assert_eq!(picks, [0, 0, 0, 1]);
    }
}
