//! The fake API server's objects: JSON values by (kind, namespace, name), one resource
//! version counter for all of them, and the history of changes that watches replay from
//! a resource version and then follow live.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use serde_json::{Value, json};
use tokio::sync::broadcast;

use super::selector::Selector;

/// Changes kept for watches that resume from an older resource version; older ones get
/// 410 Gone and relist, as from a real API server.
const HISTORY: usize = 200_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Job,
    Pod,
}

impl Kind {
    pub fn api_version(self) -> &'static str {
        match self {
            Kind::Job => "batch/v1",
            Kind::Pod => "v1",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Job => "Job",
            Kind::Pod => "Pod",
        }
    }

    pub fn plural(self) -> &'static str {
        match self {
            Kind::Job => "jobs",
            Kind::Pod => "pods",
        }
    }
}

#[derive(Debug)]
pub struct Change {
    pub rv: u64,
    pub kind: Kind,
    pub namespace: String,
    /// ADDED, MODIFIED or DELETED.
    pub kind_of_change: &'static str,
    pub object: Value,
}

pub struct Store {
    rv: u64,
    uids: u64,
    objects: BTreeMap<(Kind, String, String), Value>,
    history: VecDeque<Arc<Change>>,
    changes: broadcast::Sender<Arc<Change>>,
}

pub enum WatchStart {
    Replay(Vec<Arc<Change>>, broadcast::Receiver<Arc<Change>>),
    Gone,
}

impl Store {
    pub fn new() -> Store {
        Store {
            rv: 1,
            uids: 0,
            objects: BTreeMap::new(),
            history: VecDeque::new(),
            changes: broadcast::channel(1 << 16).0,
        }
    }

    pub fn resource_version(&self) -> u64 {
        self.rv
    }

    fn record(&mut self, kind: Kind, namespace: &str, what: &'static str, object: Value) {
        let change = Arc::new(Change {
            rv: self.rv,
            kind,
            namespace: namespace.to_owned(),
            kind_of_change: what,
            object,
        });
        if self.history.len() == HISTORY {
            self.history.pop_front();
        }
        self.history.push_back(Arc::clone(&change));
        let _ = self.changes.send(change);
    }

    /// Stores a new object with server-set metadata, then `defaults` (which may read the
    /// uid); None when the name is taken.
    pub fn create(
        &mut self,
        kind: Kind,
        namespace: &str,
        mut object: Value,
        defaults: impl FnOnce(&mut Value),
    ) -> Option<Value> {
        let name = object["metadata"]["name"].as_str()?.to_owned();
        let key = (kind, namespace.to_owned(), name);
        if self.objects.contains_key(&key) {
            return None;
        }
        self.rv += 1;
        self.uids += 1;
        object["apiVersion"] = json!(kind.api_version());
        object["kind"] = json!(kind.name());
        let meta = &mut object["metadata"];
        meta["namespace"] = json!(namespace);
        meta["uid"] = json!(format!("00000000-0000-4000-8000-{:012x}", self.uids));
        meta["resourceVersion"] = json!(self.rv.to_string());
        meta["generation"] = json!(1);
        meta["creationTimestamp"] = json!(now());
        defaults(&mut object);
        self.objects.insert(key, object.clone());
        self.record(kind, namespace, "ADDED", object.clone());
        Some(object)
    }

    pub fn get(&self, kind: Kind, namespace: &str, name: &str) -> Option<Value> {
        self.objects
            .get(&(kind, namespace.to_owned(), name.to_owned()))
            .cloned()
    }

    /// Objects of a kind in a namespace matching the selector, by name.
    pub fn list(&self, kind: Kind, namespace: &str, selector: &Selector) -> Vec<Value> {
        self.objects
            .range((kind, namespace.to_owned(), String::new())..)
            .take_while(|((k, ns, _), _)| *k == kind && ns == namespace)
            .filter(|(_, o)| selector.matches(o))
            .map(|(_, o)| o.clone())
            .collect()
    }

    /// Changes an object in place; None when it does not exist.
    pub fn update(
        &mut self,
        kind: Kind,
        namespace: &str,
        name: &str,
        change: impl FnOnce(&mut Value),
    ) -> Option<Value> {
        let key = (kind, namespace.to_owned(), name.to_owned());
        let object = self.objects.get_mut(&key)?;
        change(object);
        self.rv += 1;
        object["metadata"]["resourceVersion"] = json!(self.rv.to_string());
        let object = object.clone();
        self.record(kind, namespace, "MODIFIED", object.clone());
        Some(object)
    }

    pub fn delete(&mut self, kind: Kind, namespace: &str, name: &str) -> Option<Value> {
        let mut object = self
            .objects
            .remove(&(kind, namespace.to_owned(), name.to_owned()))?;
        self.rv += 1;
        object["metadata"]["resourceVersion"] = json!(self.rv.to_string());
        self.record(kind, namespace, "DELETED", object.clone());
        Some(object)
    }

    /// The changes after `rv` and a receiver for the ones to come, taken together so
    /// that none falls between them.
    pub fn watch_from(&self, rv: u64) -> WatchStart {
        if rv + 1 < self.history.front().map_or(self.rv, |c| c.rv) {
            return WatchStart::Gone;
        }
        let replay = self.history.iter().filter(|c| c.rv > rv).cloned().collect();
        WatchStart::Replay(replay, self.changes.subscribe())
    }
}

/// RFC 3339, to the second, as the API server writes timestamps.
pub fn now() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}
