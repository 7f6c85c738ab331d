//! Where requests go: the origin read from a URL, resolved once before the test.

use std::net::SocketAddr;

use super::LoadError;

/// An origin and one request-target, read from a URL.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub(crate) tls: bool,
    /// As in the URL, without the brackets of an IPv6 address.
    pub(crate) host: String,
    pub(crate) port: u16,
    /// `/path?query`, what HTTP/1.1 sends in its request line.
    pub(crate) path: String,
    /// `host[:port]` for the `Host` header and HTTP/2's `:authority`.
    pub(crate) authority: String,
}

impl Target {
    pub(crate) fn parse(text: &str) -> Result<Target, LoadError> {
        let error = |reason: &str| LoadError::Url {
            url: text.to_string(),
            reason: reason.to_string(),
        };
        let url = reqwest::Url::parse(text.trim()).map_err(|e| error(&e.to_string()))?;
        let tls = match url.scheme() {
            "http" => false,
            "https" => true,
            _ => return Err(error("load tests take http:// or https:// URLs")),
        };
        let host = url
            .host_str()
            .ok_or_else(|| error("the URL has no host"))?
            .to_string();
        let port = url
            .port_or_known_default()
            .ok_or_else(|| error("the URL has no port"))?;
        let mut path = url.path().to_string();
        if let Some(query) = url.query() {
            path.push('?');
            path.push_str(query);
        }
        // `{{token}}` holes in the path, which the URL parser percent-encodes, stay holes.
        let path = path.replace("%7B%7B", "{{").replace("%7D%7D", "}}");
        if path.bytes().any(|b| b <= b' ' || b == 0x7f) {
            return Err(error("the path holds spaces or control characters"));
        }
        let authority = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.clone(),
        };
        Ok(Target {
            tls,
            // `[::1]` in a URL is the address `::1`.
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_string(),
            port,
            path,
            authority,
        })
    }

    pub(crate) fn same_origin(&self, other: &Target) -> bool {
        (self.tls, &self.host, self.port) == (other.tls, &other.host, other.port)
    }

    /// `https://host:port`, for messages.
    pub(crate) fn origin_text(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.authority)
    }
}

/// One address for every connection, resolved once before the test as wrk does, so DNS
/// neither slows the test down nor is load-tested along with the server.
pub(crate) async fn resolve(target: &Target) -> Result<SocketAddr, LoadError> {
    let error = |reason: String| LoadError::Resolve {
        host: target.host.clone(),
        reason,
    };
    let mut addresses = tokio::net::lookup_host((target.host.as_str(), target.port))
        .await
        .map_err(|e| error(e.to_string()))?;
    addresses
        .next()
        .ok_or_else(|| error("no address".to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_split_path_and_authority() {
        let target = Target::parse("https://[::1]:8443/a/b?c=d").expect("valid");
        assert!(target.tls);
        assert_eq!(target.host, "::1");
        assert_eq!(target.port, 8443);
        assert_eq!(target.path, "/a/b?c=d");
        assert_eq!(target.authority, "[::1]:8443");
        let target = Target::parse("http://example.test").expect("valid");
        assert_eq!((target.port, target.path.as_str()), (80, "/"));
        assert_eq!(target.authority, "example.test");
        assert!(target.same_origin(&Target::parse("http://example.test:80/x").expect("valid")));
        assert!(!target.same_origin(&Target::parse("https://example.test/").expect("valid")));
    }
}
