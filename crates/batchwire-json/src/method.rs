//! The HTTP methods each format allows and how it spells them: one table per format, read by
//! its reader and its writer alike, so a writer never emits a method its own reader refuses.

use http::Method;

/// The methods a format allows, and their case.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Methods {
    /// The format's name in messages.
    pub(crate) format: &'static str,
    /// The methods allowed, in upper case and in the order messages list them; `None` takes
    /// any method token (RFC 9110, section 9.1).
    allowed: Option<&'static [&'static str]>,
    /// Whether the reader takes a method in any case (`get`, `Get`), or only as the writer
    /// spells it.
    any_case: bool,
    /// Whether the writer spells methods in lower case rather than upper case.
    lower: bool,
}

const FIVE: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE"];
const SIX: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"];

/// OData JSON 4.01, section 19.1: `get`, `post`, `patch`, `put` or `delete`, in any case.
pub(crate) const ODATA: Methods = Methods {
    format: "OData JSON",
    allowed: Some(FIVE),
    any_case: true,
    lower: false,
};

/// Microsoft Graph takes any method token.
pub(crate) const GRAPH: Methods = Methods {
    format: "Microsoft Graph",
    allowed: None,
    any_case: true,
    lower: false,
};

/// Salesforce Composite and Composite Graph subrequests: upper case only, no `HEAD`.
pub(crate) const SALESFORCE_COMPOSITE: Methods = Methods {
    format: "Salesforce Composite",
    allowed: Some(FIVE),
    any_case: false,
    lower: false,
};

/// Salesforce Composite Batch: `HEAD` too, and any case (Connect's generic batch writes
/// `Get`).
pub(crate) const SALESFORCE_BATCH: Methods = Methods {
    format: "Salesforce Composite Batch",
    allowed: Some(SIX),
    any_case: true,
    lower: false,
};

/// Asana documents the methods in lower case; any case is read.
pub(crate) const ASANA: Methods = Methods {
    format: "Asana",
    allowed: Some(&["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"]),
    any_case: true,
    lower: true,
};

/// Meta Graph takes any method token.
pub(crate) const META: Methods = Methods {
    format: "Meta Graph",
    allowed: None,
    any_case: true,
    lower: false,
};

impl Methods {
    /// The method `text` names, or `None` when the format does not allow it.
    pub(crate) fn read(&self, text: &str) -> Option<Method> {
        let upper = text.to_ascii_uppercase();
        if !self.any_case {
            let spelled = if self.lower {
                text.to_ascii_lowercase()
            } else {
                upper.clone()
            };
            if spelled != text {
                return None;
            }
        }
        if let Some(allowed) = self.allowed
            && !allowed.contains(&upper.as_str())
        {
            return None;
        }
        Method::from_bytes(upper.as_bytes()).ok()
    }

    /// How the format spells `method`, or `None` when it does not allow it. Methods are
    /// case-sensitive (RFC 9110, section 9.1): an extension method `get` is not `GET`.
    pub(crate) fn write(&self, method: &Method) -> Option<String> {
        let name = method.as_str();
        if self.allowed.is_some_and(|allowed| !allowed.contains(&name)) {
            return None;
        }
        Some(if self.lower {
            name.to_ascii_lowercase()
        } else {
            name.to_owned()
        })
    }

    /// What the reader expects, for messages: `one of get, post, put, patch or delete`.
    pub(crate) fn expected(&self) -> String {
        let Some(allowed) = self.allowed else {
            return "an HTTP method token".to_owned();
        };
        let names: Vec<String> = allowed
            .iter()
            .map(|m| {
                if self.any_case {
                    m.to_ascii_lowercase()
                } else {
                    (*m).to_owned()
                }
            })
            .collect();
        let mut list = String::from("one of ");
        if let Some((last, rest)) = names.split_last() {
            list.push_str(&rest.join(", "));
            list.push_str(" or ");
            list.push_str(last);
        }
        if !self.any_case {
            list.push_str(" (upper case)");
        }
        list
    }

    /// The methods the writer can emit, for messages: `GET, POST, PUT, PATCH or DELETE`.
    pub(crate) fn writable(&self) -> String {
        let Some(allowed) = self.allowed else {
            return "a method token".to_owned();
        };
        let names: Vec<String> = allowed
            .iter()
            .filter_map(|m| Method::from_bytes(m.as_bytes()).ok())
            .filter_map(|m| self.write(&m))
            .collect();
        match names.split_last() {
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => String::new(),
        }
    }

    /// Every method the format allows, for tests.
    #[cfg(test)]
    fn all(&self) -> &'static [&'static str] {
        self.allowed.unwrap_or(SIX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Methods; 6] = [
        ODATA,
        GRAPH,
        SALESFORCE_COMPOSITE,
        SALESFORCE_BATCH,
        ASANA,
        META,
    ];

    #[test]
    fn what_a_writer_emits_its_reader_takes_back() {
        for table in ALL {
            for name in table.all() {
                let method = Method::from_bytes(name.as_bytes()).unwrap();
                let written = table.write(&method).unwrap();
                assert_eq!(table.read(&written), Some(method), "{}", table.format);
            }
            for name in ["MERGE", "HEAD", "OPTIONS"] {
                let method = Method::from_bytes(name.as_bytes()).unwrap();
                if let Some(written) = table.write(&method) {
                    assert_eq!(table.read(&written), Some(method), "{}", table.format);
                }
            }
        }
    }

    #[test]
    fn case_rules() {
        assert_eq!(ODATA.read("Patch"), Some(Method::PATCH));
        assert_eq!(ODATA.read("HEAD"), None);
        assert_eq!(SALESFORCE_COMPOSITE.read("get"), None);
        assert_eq!(SALESFORCE_COMPOSITE.read("GET"), Some(Method::GET));
        assert_eq!(SALESFORCE_BATCH.read("Head"), Some(Method::HEAD));
        assert_eq!(ASANA.write(&Method::DELETE).as_deref(), Some("delete"));
        assert_eq!(
            GRAPH.read("merge").map(|m| m.to_string()).as_deref(),
            Some("MERGE")
        );
        assert_eq!(META.read("not a token"), None);
        let lower = Method::from_bytes(b"get").unwrap();
        assert_eq!(ODATA.write(&lower), None);
    }

    #[test]
    fn messages_list_the_methods() {
        assert_eq!(ODATA.expected(), "one of get, post, put, patch or delete");
        assert_eq!(
            SALESFORCE_COMPOSITE.expected(),
            "one of GET, POST, PUT, PATCH or DELETE (upper case)"
        );
        assert_eq!(ASANA.writable(), "get, post, put, delete, patch or head");
        assert_eq!(META.expected(), "an HTTP method token");
    }
}
