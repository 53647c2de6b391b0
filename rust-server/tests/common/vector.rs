//! The request/answer vectors of contract/vectors/*.json (contract/README.md): one request on
//! a keep-alive connection, the exact answer expected.

use serde::Deserialize;

use super::Response;

#[derive(Deserialize)]
pub struct Vector {
    pub name: String,
    pub method: String,
    pub target: String,
    pub request_content_type: Option<String>,
    pub request_body: Option<String>,
    pub request_body_base64: Option<String>,
    pub status: u16,
    pub content_type: String,
    pub body: String,
    pub allow: Option<String>,
}

impl Vector {
    pub fn request(&self) -> Vec<u8> {
        let body = match (&self.request_body, &self.request_body_base64) {
            (Some(text), None) => text.as_bytes().to_vec(),
            (None, Some(encoded)) => base64_decode(encoded),
            (None, None) => Vec::new(),
            (Some(_), Some(_)) => panic!("{}: two request bodies", self.name),
        };
        let mut head = format!(
            "{} {} HTTP/1.1\r\nHost: localhost\r\n",
            self.method, self.target
        );
        if let Some(content_type) = &self.request_content_type {
            head += &format!("Content-Type: {content_type}\r\n");
        }
        head += &format!("Content-Length: {}\r\n\r\n", body.len());
        let mut request = head.into_bytes();
        request.extend_from_slice(&body);
        request
    }

    /// What differs between the answer and the vector, if anything.
    pub fn mismatch(&self, response: &Response) -> Option<String> {
        let mut problems = Vec::new();
        if response.status != self.status {
            problems.push(format!("status {} != {}", response.status, self.status));
        }
        let content_type = response.header_values("Content-Type");
        if content_type != [self.content_type.as_str()] {
            problems.push(format!("Content-Type {content_type:?}"));
        }
        if response.body != self.body.as_bytes() {
            problems.push(format!(
                "body {:?}",
                String::from_utf8_lossy(&response.body[..response.body.len().min(200)])
            ));
        }
        let allow = response.header_values("Allow");
        match &self.allow {
            Some(expected) if allow != [expected.as_str()] => {
                problems.push(format!("Allow {allow:?}"))
            }
            None if !allow.is_empty() => problems.push(format!("unexpected Allow {allow:?}")),
            _ => {}
        }
        if response.header_values("Server") != ["hellobench"] {
            problems.push("no Server: hellobench".to_string());
        }
        if !response.header_values("Connection").is_empty() {
            problems.push("a Connection header".to_string());
        }
        (!problems.is_empty()).then(|| format!("{}: {}", self.name, problems.join("; ")))
    }
}

/// Standard base64 with padding, as the vectors carry bodies that are not UTF-8.
pub fn base64_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for byte in text.bytes().filter(|&b| b != b'=') {
        let value = ALPHABET.iter().position(|&a| a == byte).expect("base64") as u32;
        bits = bits << 6 | value;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    out
}
