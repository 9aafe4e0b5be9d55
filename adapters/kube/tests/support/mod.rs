//! A mock Kubernetes API server for `image.openshift.io/v1`, on a
//! loopback port: plain HTTP/1.1 on std threads, keeping state as the API
//! server over etcd does (one revision counter for every write, uids,
//! creation times, 409 on a stale `resourceVersion` or uid precondition,
//! continue tokens served at the first page's revision, watches from a
//! revision with bookmarks and `timeoutSeconds`, 410 Gone after a
//! compaction), and recording every request for assertions.
//!
//! It is a test double, not a server: one thread per connection, every
//! response `Connection: close`.

#![allow(dead_code)]
// each test binary uses a part
// A test double: error messages are built where they are answered, and
// the watch loop reads best in one piece.
#![allow(clippy::needless_pass_by_value, clippy::too_many_lines)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use imagestream::ports::{ImageStore, Page, StoreChange, StoreError, Stored, StreamStore};
use imagestream::reference::{Digest, Namespace, StreamName};
use imagestream::stream::{ImageStream, ImageWrite};
use imagestream_kube::{KubeStore, KubeStoreConfig};
use serde_json::{Value, json};

const PREFIX: &str = "/apis/image.openshift.io/v1/";

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub(crate) method: String,
    /// The `Accept` header.
    pub(crate) accept: String,
    pub(crate) path: String,
    pub(crate) query: BTreeMap<String, String>,
    pub(crate) body: Option<Value>,
}

/// A key: (plural, namespace or "", name).
type Key = (String, String, String);

#[derive(Debug, Clone)]
struct Event {
    revision: u64,
    kind: &'static str,
    key: Key,
    object: Value,
}

#[derive(Debug, Default)]
struct State {
    revision: u64,
    /// Every version of every key, oldest first: (revision, object or
    /// deleted).
    history: BTreeMap<Key, Vec<(u64, Option<Value>)>>,
    events: Vec<Event>,
    /// Revisions up to this one are forgotten (watches from before it
    /// are 410 Gone).
    compacted: u64,
    uids: u64,
    requests: Vec<Request>,
}

impl State {
    fn at(&self, key: &Key, revision: u64) -> Option<&Value> {
        self.history
            .get(key)?
            .iter()
            .rev()
            .find(|(r, _)| *r <= revision)
            .and_then(|(_, v)| v.as_ref())
    }

    fn current(&self, key: &Key) -> Option<&Value> {
        self.at(key, self.revision)
    }

    fn write(&mut self, key: Key, kind: &'static str, object: Option<Value>, event: Value) -> u64 {
        self.revision += 1;
        let revision = self.revision;
        self.history
            .entry(key.clone())
            .or_default()
            .push((revision, object));
        self.events.push(Event {
            revision,
            kind,
            key,
            object: event,
        });
        revision
    }
}

/// How the mock behaves where servers differ (by default: as a
/// kube-apiserver serving the image API as a custom resource).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Behaviour {
    /// Send a bookmark at the current revision right after a watch's
    /// replay. Off by default, as on a real server (which sends them about
    /// once a minute and ~2 s before the watch's timeout, at its cache's
    /// revision).
    pub(crate) bookmark_after_replay: bool,
    /// Answer a watch from a compacted revision with HTTP 410 instead of
    /// an ERROR event in a 200 stream (servers have done both).
    pub(crate) gone_as_http_status: bool,
    /// Image streams as OpenShift's API server stores them: a create
    /// computes the status, an update of the stream keeps the stored
    /// status, and only `imagestreams/<name>/status` writes it (keeping
    /// the spec and metadata).
    pub(crate) status_subresource: bool,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    stop: AtomicBool,
    behaviour: Behaviour,
}

/// The mock server; stops on drop.
pub(crate) struct MockApiServer {
    shared: Arc<Shared>,
    addr: std::net::SocketAddr,
    accept: Option<std::thread::JoinHandle<()>>,
}

impl MockApiServer {
    pub(crate) fn start() -> Self {
        Self::start_with(Behaviour::default())
    }

    pub(crate) fn start_with(behaviour: Behaviour) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().expect("a bound address");
        let shared = Arc::new(Shared {
            // etcd's empty store is at revision 1: the first write is 2.
            state: Mutex::new(State {
                revision: 1,
                ..State::default()
            }),
            changed: Condvar::new(),
            stop: AtomicBool::new(false),
            behaviour,
        });
        let s = Arc::clone(&shared);
        let accept = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let s = Arc::clone(&s);
                std::thread::spawn(move || serve(&s, conn));
            }
        });
        Self {
            shared,
            addr,
            accept: Some(accept),
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A store on this server.
    pub(crate) fn store(&self) -> KubeStore {
        self.store_with(KubeStoreConfig::new().watch_timeout(Duration::from_secs(5)))
    }

    pub(crate) fn store_with(&self, options: KubeStoreConfig) -> KubeStore {
        let config = imagestream_kube::kube::Config::new(self.url().parse().expect("a URL"));
        KubeStore::connect(config, options).expect("a client for the mock")
    }

    /// Every request so far.
    pub(crate) fn requests(&self) -> Vec<Request> {
        self.shared.state.lock().unwrap().requests.clone()
    }

    pub(crate) fn clear_requests(&self) {
        self.shared.state.lock().unwrap().requests.clear();
    }

    /// Forgets every change up to the current revision (as etcd's
    /// compaction and the watch cache's window do).
    pub(crate) fn compact(&self) {
        let mut st = self.shared.state.lock().unwrap();
        let now = st.revision;
        st.compacted = now;
        st.events.retain(|e| e.revision > now);
        for versions in st.history.values_mut() {
            let keep = versions.iter().rposition(|(r, _)| *r <= now).unwrap_or(0);
            versions.drain(..keep);
        }
    }

    pub(crate) fn revision(&self) -> u64 {
        self.shared.state.lock().unwrap().revision
    }

    /// Writes an object of another resource (a configmap, say): the
    /// revision moves, no image stream changes.
    pub(crate) fn bump_revision(&self) {
        let mut st = self.shared.state.lock().unwrap();
        st.revision += 1;
        self.shared.changed.notify_all();
    }
}

impl Drop for MockApiServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.shared.changed.notify_all();
        // Wake the accept loop.
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }
}

/// A store with the server it talks to, so the server lives as long as
/// the store (for the conformance suite's fresh store per check).
pub(crate) struct Served {
    pub(crate) store: KubeStore,
    pub(crate) server: MockApiServer,
}

impl Served {
    pub(crate) fn new() -> Self {
        Self::on(Behaviour::default())
    }

    /// A store on a fresh mock that behaves so.
    pub(crate) fn on(behaviour: Behaviour) -> Self {
        let server = MockApiServer::start_with(behaviour);
        Self {
            store: server.store(),
            server,
        }
    }
}

impl StreamStore for Served {
    fn get(&self, ns: &Namespace, name: &StreamName) -> Result<Stored<ImageStream>, StoreError> {
        self.store.get(ns, name)
    }
    fn list(
        &self,
        ns: &Namespace,
        limit: Option<usize>,
        token: Option<&str>,
    ) -> Result<Page<Stored<ImageStream>>, StoreError> {
        self.store.list(ns, limit, token)
    }
    fn create(&self, s: ImageStream) -> Result<Stored<ImageStream>, StoreError> {
        self.store.create(s)
    }
    fn update(&self, s: ImageStream, v: u64) -> Result<Stored<ImageStream>, StoreError> {
        self.store.update(s, v)
    }
    fn delete(
        &self,
        ns: &Namespace,
        name: &StreamName,
        uid: Option<&str>,
    ) -> Result<(), StoreError> {
        self.store.delete(ns, name, uid)
    }
    fn changes_since(&self, revision: u64) -> Result<Vec<StoreChange>, StoreError> {
        self.store.changes_since(revision)
    }
    fn namespaces(&self) -> Result<Vec<Namespace>, StoreError> {
        self.store.namespaces()
    }
}

impl ImageStore for Served {
    fn get_image(&self, name: &Digest) -> Result<imagestream::api::Image, StoreError> {
        self.store.get_image(name)
    }
    fn put_image(&self, image: imagestream::api::Image) -> Result<ImageWrite, StoreError> {
        self.store.put_image(image)
    }
    fn list_images(&self) -> Result<Vec<imagestream::api::Image>, StoreError> {
        self.store.list_images()
    }
}

// ---- HTTP ----

struct Response {
    code: u16,
    body: Value,
}

fn reason(code: u16) -> &'static str {
    match code {
        200 => "OK",
        201 => "Created",
        400 => "Bad Request",
        404 => "Not Found",
        409 => "Conflict",
        410 => "Gone",
        422 => "Unprocessable Entity",
        _ => "Internal Server Error",
    }
}

fn status(code: u16, reason: &str, message: String) -> Response {
    Response {
        code,
        body: json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {},
            "status": "Failure", "message": message, "reason": reason, "code": code,
        }),
    }
}

fn serve(shared: &Shared, conn: TcpStream) {
    let mut reader = BufReader::new(match conn.try_clone() {
        Ok(c) => c,
        Err(_) => return,
    });
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let target = parts.next().unwrap_or_default().to_owned();
    let mut length = 0usize;
    let mut accept = String::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 {
            return;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().unwrap_or(0);
            } else if k.eq_ignore_ascii_case("accept") {
                v.trim().clone_into(&mut accept);
            }
        }
    }
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_owned(), parse_query(q)),
        None => (target.clone(), BTreeMap::new()),
    };
    let body = (!body.is_empty()).then(|| serde_json::from_slice(&body).unwrap_or(Value::Null));
    let request = Request {
        method,
        accept,
        path,
        query,
        body,
    };
    shared.state.lock().unwrap().requests.push(request.clone());
    let mut conn = conn;
    if request.method == "GET"
        && matches!(
            request.query.get("watch").map(String::as_str),
            Some("true" | "1")
        )
    {
        watch(shared, &request, &mut conn);
        return;
    }
    let response = handle(shared, &request);
    let body = serde_json::to_vec(&response.body).unwrap();
    let _ = write!(
        conn,
        "HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        response.code,
        reason(response.code),
        body.len()
    );
    let _ = conn.write_all(&body);
}

fn parse_query(q: &str) -> BTreeMap<String, String> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(n) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            {
                out.push(n);
                i += 3;
                continue;
            }
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// (plural, namespace, name) from a path; namespace "" when cluster-wide.
fn route(path: &str) -> Option<(String, String, Option<String>)> {
    let rest = path.strip_prefix(PREFIX)?;
    let parts: Vec<&str> = rest.split('/').collect();
    match parts.as_slice() {
        ["namespaces", ns, plural] => Some(((*plural).into(), (*ns).into(), None)),
        ["namespaces", ns, plural, name] | ["namespaces", ns, plural, name, "status"] => {
            Some(((*plural).into(), (*ns).into(), Some((*name).into())))
        }
        [plural] => Some(((*plural).into(), String::new(), None)),
        [plural, name] => Some(((*plural).into(), String::new(), Some((*name).into()))),
        _ => None,
    }
}

fn qualified(plural: &str) -> String {
    format!("{plural}.image.openshift.io")
}

fn kind_of(plural: &str) -> &'static str {
    match plural {
        "images" => "Image",
        _ => "ImageStream",
    }
}

fn now() -> String {
    imagestream::chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

fn handle(shared: &Shared, r: &Request) -> Response {
    let Some((plural, ns, name)) = route(&r.path) else {
        return status(
            404,
            "NotFound",
            format!("the server could not find {}", r.path),
        );
    };
    if plural == "imagestreammappings" && r.method == "POST" {
        // OpenShift's answer to a mapping: a Status, not the object.
        return Response {
            code: 201,
            body: json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"}),
        };
    }
    if plural != "imagestreams" && plural != "images" {
        // What an API server says for a resource it does not serve.
        return status(
            404,
            "NotFound",
            "the server could not find the requested resource".into(),
        );
    }
    let mut st = shared.state.lock().unwrap();
    let resp = match (r.method.as_str(), name) {
        ("GET", None) if r.accept.contains("as=PartialObjectMetadataList") => {
            partial(list(&st, &plural, &ns, &r.query))
        }
        ("GET", None) => list(&st, &plural, &ns, &r.query),
        ("GET", Some(name)) => match st.current(&(plural.clone(), ns.clone(), name.clone())) {
            Some(o) => Response {
                code: 200,
                body: o.clone(),
            },
            None => not_found(&plural, &name),
        },
        ("POST", None) => create(
            &mut st,
            &plural,
            &ns,
            r.body.clone(),
            shared.behaviour.status_subresource,
        ),
        ("PUT", Some(name)) => {
            let openshift = shared.behaviour.status_subresource && plural == "imagestreams";
            let part = match (openshift, r.path.ends_with("/status")) {
                (_, true) => Part::Status,
                (true, false) => Part::KeepStatus,
                (false, false) => Part::Whole,
            };
            update(&mut st, &plural, &ns, &name, r.body.clone(), part)
        }
        ("DELETE", Some(name)) => delete(&mut st, &plural, &ns, &name, r.body.as_ref()),
        _ => status(405, "MethodNotAllowed", format!("{} {}", r.method, r.path)),
    };
    drop(st);
    shared.changed.notify_all();
    resp
}

fn not_found(plural: &str, name: &str) -> Response {
    let mut r = status(
        404,
        "NotFound",
        format!("{} \"{name}\" not found", qualified(plural)),
    );
    r.body["details"] = json!({"name": name, "group": "image.openshift.io", "kind": plural});
    r
}

fn meta_str<'a>(o: &'a Value, field: &str) -> &'a str {
    o["metadata"][field].as_str().unwrap_or_default()
}

/// What a `PUT` writes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    Whole,
    /// The object, with the stored status kept (OpenShift's stream update).
    KeepStatus,
    /// Only the status (`/status`).
    Status,
}

fn create(
    st: &mut State,
    plural: &str,
    ns: &str,
    body: Option<Value>,
    openshift: bool,
) -> Response {
    let Some(mut o) = body else {
        return status(400, "BadRequest", "no body".into());
    };
    if !meta_str(&o, "resourceVersion").is_empty() {
        return status(
            500,
            "InternalError",
            "resourceVersion should not be set on objects to be created".into(),
        );
    }
    let body_ns = meta_str(&o, "namespace").to_owned();
    if !body_ns.is_empty() && body_ns != ns {
        return status(
            400,
            "BadRequest",
            "the namespace of the provided object does not match the namespace sent on the request"
                .into(),
        );
    }
    let name = meta_str(&o, "name").to_owned();
    let key = (plural.to_owned(), ns.to_owned(), name.clone());
    if st.current(&key).is_some() {
        return status(
            409,
            "AlreadyExists",
            format!("{} \"{name}\" already exists", qualified(plural)),
        );
    }
    if openshift && plural == "imagestreams" {
        // The server's status, not the client's.
        o["status"] = json!({
            "dockerImageRepository":
                format!("image-registry.openshift-image-registry.svc:5000/{ns}/{name}")
        });
    }
    st.uids += 1;
    let uid = format!("6d1d5a4e-0000-4000-8000-{:012}", st.uids);
    let meta = o["metadata"].as_object_mut().expect("an object's metadata");
    if !ns.is_empty() {
        meta.insert("namespace".into(), json!(ns));
    }
    meta.insert("uid".into(), json!(uid));
    meta.insert("creationTimestamp".into(), json!(now()));
    meta.remove("deletionTimestamp");
    meta.remove("deletionGracePeriodSeconds");
    let rv = st.revision + 1;
    meta.insert("resourceVersion".into(), json!(rv.to_string()));
    st.write(key, "ADDED", Some(o.clone()), o.clone());
    Response { code: 201, body: o }
}

fn update(
    st: &mut State,
    plural: &str,
    ns: &str,
    name: &str,
    body: Option<Value>,
    part: Part,
) -> Response {
    let Some(mut o) = body else {
        return status(400, "BadRequest", "no body".into());
    };
    let key = (plural.to_owned(), ns.to_owned(), name.to_owned());
    let Some(stored) = st.current(&key).cloned() else {
        return not_found(plural, name);
    };
    let rv = meta_str(&o, "resourceVersion").to_owned();
    if rv.is_empty() {
        return status(
            422,
            "Invalid",
            format!(
                "{} \"{name}\" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update",
                kind_of(plural)
            ),
        );
    }
    let uid = meta_str(&o, "uid").to_owned();
    let stored_uid = meta_str(&stored, "uid").to_owned();
    if !uid.is_empty() && uid != stored_uid {
        return status(
            409,
            "Conflict",
            format!(
                "Precondition failed: UID in precondition: {uid}, UID in object meta: {stored_uid}"
            ),
        );
    }
    if rv != meta_str(&stored, "resourceVersion") {
        return status(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
                qualified(plural)
            ),
        );
    }
    match part {
        Part::Whole => {}
        Part::KeepStatus => o["status"] = stored["status"].clone(),
        Part::Status => {
            let status = o["status"].clone();
            o = stored.clone();
            o["status"] = status;
        }
    }
    let meta = o["metadata"].as_object_mut().expect("an object's metadata");
    meta.insert("uid".into(), json!(stored_uid));
    meta.insert(
        "creationTimestamp".into(),
        stored["metadata"]["creationTimestamp"].clone(),
    );
    let rv = st.revision + 1;
    meta.insert("resourceVersion".into(), json!(rv.to_string()));
    st.write(key, "MODIFIED", Some(o.clone()), o.clone());
    Response { code: 200, body: o }
}

fn delete(st: &mut State, plural: &str, ns: &str, name: &str, body: Option<&Value>) -> Response {
    let key = (plural.to_owned(), ns.to_owned(), name.to_owned());
    let Some(mut stored) = st.current(&key).cloned() else {
        return not_found(plural, name);
    };
    let stored_uid = meta_str(&stored, "uid").to_owned();
    if let Some(uid) = body.and_then(|b| b["preconditions"]["uid"].as_str())
        && uid != stored_uid
    {
        return status(
            409,
            "Conflict",
            format!(
                "Precondition failed: UID in precondition: {uid}, UID in object meta: {stored_uid}"
            ),
        );
    }
    let rv = st.revision + 1;
    stored["metadata"]["resourceVersion"] = json!(rv.to_string());
    st.write(key, "DELETED", None, stored.clone());
    Response {
        code: 200,
        body: json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
            "details": {"name": name, "group": "image.openshift.io", "kind": plural, "uid": stored_uid}}),
    }
}

fn hex(s: &str) -> String {
    use std::fmt::Write as _;
    s.bytes().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

fn unhex(s: &str) -> Option<String> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect();
    String::from_utf8(bytes?).ok()
}

fn list(st: &State, plural: &str, ns: &str, q: &BTreeMap<String, String>) -> Response {
    // A continue token: the first page's revision and the last key served.
    let (revision, after) = match q.get("continue").filter(|t| !t.is_empty()) {
        Some(token) => {
            let Some((rv, after)) = unhex(token).and_then(|t| {
                let (rv, after) = t.split_once('\0')?;
                Some((rv.parse::<u64>().ok()?, after.to_owned()))
            }) else {
                return status(
                    400,
                    "BadRequest",
                    format!("continue key is not valid: {token:?}"),
                );
            };
            if rv <= st.compacted {
                return status(
                    410,
                    "Expired",
                    "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.".into(),
                );
            }
            (rv, Some(after))
        }
        None => (st.revision, None),
    };
    let limit = q
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .filter(|l| *l > 0);
    let mut items = Vec::new();
    let mut next = None;
    for key in st.history.keys() {
        if key.0 != plural || (!ns.is_empty() && key.1 != ns) {
            continue;
        }
        let flat = format!("{}/{}", key.1, key.2);
        if after.as_ref().is_some_and(|a| flat.as_str() <= a.as_str()) {
            continue;
        }
        let Some(o) = st.at(key, revision) else {
            continue;
        };
        if limit.is_some_and(|l| items.len() == l) {
            // One more exists: the page ends before it.
            next = Some(hex(&format!("{revision}\0{}", items_last(&items))));
            break;
        }
        items.push((flat, o.clone()));
    }
    let mut metadata = json!({"resourceVersion": revision.to_string()});
    if let Some(token) = next {
        metadata["continue"] = json!(token);
    }
    Response {
        code: 200,
        body: json!({
            "kind": format!("{}List", kind_of(plural)),
            "apiVersion": "image.openshift.io/v1",
            "metadata": metadata,
            "items": items.into_iter().map(|(_, o)| o).collect::<Vec<_>>(),
        }),
    }
}

/// A list as metadata only, as the server answers
/// `Accept: application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1`.
fn partial(mut r: Response) -> Response {
    if r.code != 200 {
        return r;
    }
    r.body["kind"] = json!("PartialObjectMetadataList");
    r.body["apiVersion"] = json!("meta.k8s.io/v1");
    if let Some(items) = r.body["items"].as_array_mut() {
        for item in items {
            *item = json!({
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": item["metadata"].clone(),
            });
        }
    }
    r
}

fn items_last(items: &[(String, Value)]) -> String {
    items.last().map(|(k, _)| k.clone()).unwrap_or_default()
}

fn watch(shared: &Shared, r: &Request, conn: &mut TcpStream) {
    let Some((plural, ns, None)) = route(&r.path) else {
        let _ = write!(
            conn,
            "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        return;
    };
    let from: u64 = r
        .query
        .get("resourceVersion")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let timeout = r
        .query
        .get("timeoutSeconds")
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    let deadline = Instant::now() + Duration::from_secs(timeout);
    let bookmarks = r
        .query
        .get("allowWatchBookmarks")
        .is_some_and(|v| v == "true");
    let compacted = shared.state.lock().unwrap().compacted;
    let gone = from < compacted;
    if gone && shared.behaviour.gone_as_http_status {
        let body = serde_json::to_vec(
            &status(
                410,
                "Expired",
                format!("too old resource version: {from} ({compacted})"),
            )
            .body,
        )
        .unwrap();
        let _ = write!(
            conn,
            "HTTP/1.1 410 Gone\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        let _ = conn.write_all(&body);
        return;
    }
    if write!(
        conn,
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    .is_err()
    {
        return;
    }
    let chunk = |conn: &mut TcpStream, v: &Value| -> bool {
        let mut line = serde_json::to_vec(v).unwrap();
        line.push(b'\n');
        write!(conn, "{:x}\r\n", line.len()).is_ok()
            && conn.write_all(&line).is_ok()
            && conn.write_all(b"\r\n").is_ok()
            && conn.flush().is_ok()
    };
    if gone {
        let e = status(
            410,
            "Expired",
            format!("too old resource version: {from} ({compacted})"),
        );
        let _ = chunk(conn, &json!({"type": "ERROR", "object": e.body}));
        let _ = conn.write_all(b"0\r\n\r\n");
        return;
    }
    let mut sent = from;
    let mut bookmarked = false;
    let mut st = shared.state.lock().unwrap();
    loop {
        let pending: Vec<Event> = st
            .events
            .iter()
            .filter(|e| e.revision > sent && e.key.0 == plural && (ns.is_empty() || e.key.1 == ns))
            .cloned()
            .collect();
        let current = st.revision;
        drop(st);
        for e in &pending {
            if !chunk(conn, &json!({"type": e.kind, "object": e.object})) {
                return;
            }
        }
        sent = current;
        if bookmarks && shared.behaviour.bookmark_after_replay && !bookmarked {
            bookmarked = true;
            let b = json!({"type": "BOOKMARK", "object": {
                "kind": kind_of(&plural), "apiVersion": "image.openshift.io/v1",
                "metadata": {"resourceVersion": current.to_string()}}});
            if !chunk(conn, &b) {
                return;
            }
        }
        st = shared.state.lock().unwrap();
        loop {
            if shared.stop.load(Ordering::SeqCst) || Instant::now() >= deadline {
                drop(st);
                let _ = conn.write_all(b"0\r\n\r\n");
                return;
            }
            if st.revision > sent {
                break;
            }
            let wait = deadline
                .saturating_duration_since(Instant::now())
                .min(Duration::from_millis(200));
            st = shared.changed.wait_timeout(st, wait).unwrap().0;
        }
    }
}
