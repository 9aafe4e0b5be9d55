//! What a broken or hostile API server gets from `KubeStore`: a typed
//! error naming what was wrong, never a panic or a hang.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use imagestream::ports::{ImageStore, StoreError, StreamStore};
use imagestream::reference::{Namespace, StreamName};
use imagestream_kube::{KubeStore, KubeStoreConfig, kube};

/// A server that answers every request with what `answer` says for its
/// request line: (status, body); a body of `None` never answers.
struct Canned {
    addr: std::net::SocketAddr,
}

/// What the canned server does with a request.
enum Reply {
    /// One response.
    Once(u16, String),
    /// A 200 whose chunked body repeats this line every 100 ms, forever
    /// (whatever `timeoutSeconds` asked).
    Forever(String),
    /// Nothing, holding the connection.
    Silent,
}

impl From<Option<(u16, String)>> for Reply {
    fn from(o: Option<(u16, String)>) -> Self {
        o.map_or(Self::Silent, |(code, body)| Self::Once(code, body))
    }
}

type Answer = dyn Fn(&str) -> Reply + Send + Sync;

impl Canned {
    fn start<R: Into<Reply>>(answer: impl Fn(&str) -> R + Send + Sync + 'static) -> Self {
        let answer = move |line: &str| answer(line).into();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let answer: Arc<Answer> = Arc::new(answer);
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { return };
                let answer = Arc::clone(&answer);
                std::thread::spawn(move || serve(&*answer, conn));
            }
        });
        Self { addr }
    }

    fn store(&self) -> KubeStore {
        let mut config = kube::Config::new(format!("http://{}", self.addr).parse().unwrap());
        config.read_timeout = Some(Duration::from_secs(1));
        KubeStore::connect(
            config,
            KubeStoreConfig::new().watch_timeout(Duration::from_secs(1)),
        )
        .unwrap()
    }
}

fn serve(answer: &Answer, conn: TcpStream) {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut line = String::new();
    let _ = reader.read_line(&mut line);
    let mut length = 0;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
            break;
        }
        if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
    }
    let _ = reader.read_exact(&mut vec![0; length]);
    let mut conn = conn;
    match answer(line.trim()) {
        Reply::Once(code, body) => {
            let _ = write!(
                conn,
                "HTTP/1.1 {code} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
        Reply::Forever(line) => {
            let line = format!("{line}\n");
            let _ = write!(
                conn,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            );
            // Until the client hangs up (bounded, in case it never does).
            for _ in 0..600 {
                if write!(conn, "{:x}\r\n{line}\r\n", line.len()).is_err() || conn.flush().is_err()
                {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        // Hold the connection, say nothing.
        Reply::Silent => std::thread::sleep(Duration::from_secs(30)),
    }
}

fn ns() -> Namespace {
    Namespace::parse("test").unwrap()
}

fn name() -> StreamName {
    StreamName::parse("app").unwrap()
}

fn unavailable(e: StoreError) -> String {
    match e {
        StoreError::Unavailable(m) => m,
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

const STREAM: &str = r#"{"apiVersion":"image.openshift.io/v1","kind":"ImageStream","metadata":{"name":"app","namespace":"test","resourceVersion":"RV"},"spec":{"tags":TAGS}}"#;

fn stream(rv: &str, tags: &str) -> String {
    STREAM.replace("RV", rv).replace("TAGS", tags)
}

#[test]
fn a_body_that_is_not_json_is_unavailable() {
    let server = Canned::start(|_| Some((200, "<html>proxy error</html>".into())));
    let m = unavailable(server.store().get(&ns(), &name()).unwrap_err());
    assert!(!m.is_empty());
}

#[test]
fn a_resource_version_that_is_not_a_number_is_named() {
    let server = Canned::start(|_| Some((200, stream("abc", "[]"))));
    let m = unavailable(server.store().get(&ns(), &name()).unwrap_err());
    assert!(m.contains(r#""abc""#), "{m}");
    assert!(m.contains("test/app"), "{m}");
}

#[test]
fn an_invalid_stream_is_named_with_its_field_error() {
    let tags = r#"[{"name":"a","from":{"kind":"DockerImage","name":"UPPER/Case::"}}]"#;
    let server = Canned::start(move |_| Some((200, stream("5", tags))));
    let m = unavailable(server.store().get(&ns(), &name()).unwrap_err());
    assert!(m.contains("test/app"), "{m}");
    assert!(m.contains("UPPER/Case::"), "{m}");
}

#[test]
fn a_server_error_passes_its_message_on() {
    let server = Canned::start(|_| {
        Some((
            500,
            r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"etcdserver: request timed out","reason":"InternalError","code":500}"#.into(),
        ))
    });
    let store = server.store();
    let m = unavailable(store.get(&ns(), &name()).unwrap_err());
    assert!(m.contains("etcdserver: request timed out"), "{m}");
    let m = unavailable(store.changes_since(3).unwrap_err());
    assert!(m.contains("etcdserver: request timed out"), "{m}");
}

#[test]
fn a_watch_that_sends_garbage_or_a_broken_object_is_unavailable() {
    let list = r#"{"kind":"ImageStreamList","apiVersion":"image.openshift.io/v1","metadata":{"resourceVersion":"9"},"items":[]}"#;
    for event in [
        "this is not an event".to_owned(),
        format!(r#"{{"type":"ADDED","object":{}}}"#, stream("x7", "[]")),
        r#"{"type":"DELETED","object":{"metadata":{"name":"Bad_Name","namespace":"test","resourceVersion":"8"}}}"#.to_owned(),
    ] {
        let server = Canned::start(move |line| {
            Some(if line.contains("watch=") {
                (200, format!("{event}\n"))
            } else {
                (200, list.to_owned())
            })
        });
        let e = server.store().changes_since(3).unwrap_err();
        assert!(matches!(e, StoreError::Unavailable(_)), "{e:?}");
    }
}

#[test]
fn a_server_that_never_answers_ends_at_the_clients_read_timeout() {
    let server = Canned::start(|_| None);
    let started = Instant::now();
    let e = server.store().get(&ns(), &name()).unwrap_err();
    assert!(matches!(e, StoreError::Unavailable(_)), "{e:?}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "bounded by read_timeout"
    );
}

#[test]
fn no_server_at_all_is_unavailable() {
    // A port nothing listens on: bind, then close.
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let config = kube::Config::new(format!("http://{addr}").parse().unwrap());
    let store = KubeStore::connect(config, KubeStoreConfig::new()).unwrap();
    let e = store.get(&ns(), &name()).unwrap_err();
    assert!(matches!(e, StoreError::Unavailable(_)), "{e:?}");
}

const LIST: &str = r#"{"kind":"ImageStreamList","apiVersion":"image.openshift.io/v1","metadata":{"resourceVersion":"90"},"items":[]}"#;

#[test]
fn a_watch_that_never_ends_is_ended_by_the_client_at_the_watch_timeout() {
    // Bookmarks below the listed revision, forever, whatever
    // timeoutSeconds said: the call still returns at watch_timeout (1 s).
    let server = Canned::start(|line: &str| {
        if line.contains("watch=") {
            Reply::Forever(
                r#"{"type":"BOOKMARK","object":{"kind":"ImageStream","apiVersion":"image.openshift.io/v1","metadata":{"resourceVersion":"50"}}}"#.into(),
            )
        } else {
            Reply::Once(200, LIST.into())
        }
    });
    let started = Instant::now();
    assert_eq!(server.store().changes_since(3), Ok(Vec::new()));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

fn conflict(message: &str, reason: &str) -> String {
    format!(
        r#"{{"kind":"Status","apiVersion":"v1","metadata":{{}},"status":"Failure","message":"{message}","reason":"{reason}","code":409}}"#
    )
}

#[test]
fn a_quota_conflict_on_create_is_not_already_exists() {
    let m =
        "Operation cannot be fulfilled on resourcequotas \\\"q\\\": the object has been modified";
    let body = conflict(m, "Conflict");
    let server = Canned::start(move |_: &str| Some((409, body.clone())));
    let store = server.store();
    let e = store
        .create(imagestream::testing::store::stream("test", "app"))
        .unwrap_err();
    let m = unavailable(e);
    assert!(m.contains("resourcequotas"), "{m}");
    // Nor is it a uid mismatch on delete.
    let e = store.delete(&ns(), &name(), Some("uid")).unwrap_err();
    assert!(unavailable(e).contains("resourcequotas"));
}

#[test]
fn an_image_write_that_never_settles_gives_up() {
    // The create conflicts without saying the image exists, and the image
    // is never there to read: the store stops after a few attempts.
    let server = Canned::start(|line: &str| {
        if line.starts_with("POST") {
            Some((409, conflict("conflict", "AlreadyExists")))
        } else {
            Some((404, r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"images.image.openshift.io \"x\" not found","reason":"NotFound","details":{"name":"NAME","kind":"images"},"code":404}"#.replace("NAME", imagestream::reference::Digest::of_sha256(b"i").as_str())))
        }
    });
    let mut image = imagestream::api::Image::default();
    image.metadata.name = imagestream::reference::Digest::of_sha256(b"i").to_string();
    let started = Instant::now();
    let m = unavailable(server.store().put_image(image).unwrap_err());
    assert!(m.contains("attempts"), "{m}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn a_server_without_the_image_api_is_unavailable_not_not_found() {
    let server = Canned::start(|_: &str| {
        Some((
            404,
            r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server could not find the requested resource","reason":"NotFound","details":{"causes":[{"reason":"UnexpectedServerResponse","message":"404 page not found"}]},"code":404}"#.into(),
        ))
    });
    let store = server.store();
    let m = unavailable(store.get(&ns(), &name()).unwrap_err());
    assert!(m.contains("could not find the requested resource"), "{m}");
    let m = unavailable(
        store
            .update(imagestream::testing::store::stream("test", "app"), 4)
            .unwrap_err(),
    );
    assert!(m.contains("could not find"), "{m}");
}
