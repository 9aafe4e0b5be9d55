//! A tokio runtime on a thread of its own, and the hand-over of calls to
//! it from any thread (plain, or a worker of the caller's runtime): how
//! `imagestream`'s adapters (etcd, kube) serve the blocking store ports
//! from async clients.
//!
//! ```
//! let runtime = imagestream_blocking::Runtime::start("example")?;
//! let answer = runtime.run(async { 6 * 7 });
//! assert_eq!(answer, Ok(42));
//! # Ok::<(), std::io::Error>(())
//! ```

use std::future::Future;
use std::sync::mpsc;
use std::thread::JoinHandle;

use tokio::sync::oneshot;

/// A current-thread tokio runtime driven by one dedicated thread. Calls
/// are spawned onto it through its handle and their results come back
/// over a channel, so no caller ever enters (or nests) a runtime.
#[derive(Debug)]
pub struct Runtime {
    handle: tokio::runtime::Handle,
    /// The runtime's thread: a call from it could never be answered.
    thread_id: std::thread::ThreadId,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Runtime {
    /// Starts the thread (named `name`) and its runtime.
    ///
    /// # Errors
    ///
    /// When the thread cannot be spawned or the runtime cannot be built.
    pub fn start(name: &str) -> std::io::Result<Self> {
        let (ready_tx, ready_rx) = mpsc::channel();
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => {
                        // The receiver waits for this message below.
                        let _ = ready_tx.send(Ok(rt.handle().clone()));
                        rt.block_on(async {
                            // Either a stop message or the sender dropped.
                            let _ = stop_rx.await;
                        });
                        // Dropping `rt` here, on its own thread, cancels
                        // whatever is still running.
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                }
            })?;
        let handle = ready_rx
            .recv()
            .map_err(|_| std::io::Error::other("the runtime thread exited before it started"))??;
        Ok(Self {
            handle,
            thread_id: thread.thread().id(),
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// Runs `fut` on the runtime thread and waits for its output.
    ///
    /// Safe from any thread, including a tokio worker: the caller only
    /// blocks on a channel, never on a runtime. (Blocking a worker of an
    /// async program stalls its other tasks meanwhile; see the crate docs
    /// for `spawn_blocking`.) From a future running on this runtime the
    /// call would wait for itself: it is refused instead.
    ///
    /// # Errors
    ///
    /// [`RunError::OwnThread`] from this runtime's own thread;
    /// [`RunError::Lost`] when the call ended without an answer.
    pub fn run<T, F>(&self, fut: F) -> Result<T, RunError>
    where
        T: Send + 'static,
        F: Future<Output = T> + Send + 'static,
    {
        if std::thread::current().id() == self.thread_id {
            return Err(RunError::OwnThread);
        }
        let (tx, rx) = mpsc::sync_channel(1);
        self.handle.spawn(async move {
            let _ = tx.send(fut.await);
        });
        rx.recv().map_err(|_| RunError::Lost)
    }
}

/// Why [`Runtime::run`] has no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RunError {
    /// The call came from a future on the runtime's own thread, which
    /// would wait for itself forever.
    OwnThread,
    /// The call ended without an answer: it panicked, or the runtime shut
    /// down while it ran.
    Lost,
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::OwnThread => {
                "a blocking call from the adapter's own runtime thread (it would wait for itself; call the async client directly there)"
            }
            Self::Lost => "the call ended without an answer (it panicked, or the runtime shut down)",
        })
    }
}

impl std::error::Error for RunError {}

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            // The thread only waits for the stop message; a panic there is
            // tokio's and has nothing left to report.
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Runtime;

    #[test]
    fn calls_from_inside_another_runtime_do_not_nest_it() {
        let ours = Runtime::start("test").unwrap();
        // A caller's own runtime: entering ours from its worker would
        // panic ("Cannot start a runtime from within a runtime").
        let theirs = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let got = theirs.block_on(async { ours.run(async { "handed over" }) });
        assert_eq!(got, Ok("handed over"));
    }

    #[test]
    fn many_threads_share_one_runtime() {
        let runtime = Runtime::start("test").unwrap();
        let sum: u64 = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8u64)
                .map(|i| {
                    let runtime = &runtime;
                    s.spawn(move || runtime.run(async move { i * 2 }).unwrap())
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).sum()
        });
        assert_eq!(sum, 56);
    }

    #[test]
    fn the_thread_is_named() {
        let runtime = Runtime::start("imagestream-test").unwrap();
        let name = runtime.run(async { std::thread::current().name().map(str::to_owned) });
        assert_eq!(name, Ok(Some("imagestream-test".to_owned())));
    }

    #[test]
    fn a_call_from_its_own_thread_is_refused_not_a_deadlock() {
        let runtime = std::sync::Arc::new(Runtime::start("test").unwrap());
        let inner = std::sync::Arc::clone(&runtime);
        let got = runtime.run(async move { inner.run(async { 1 }) });
        assert_eq!(got, Ok(Err(super::RunError::OwnThread)));
    }

    #[test]
    fn a_call_that_panics_is_lost_and_the_runtime_lives_on() {
        let runtime = Runtime::start("test").unwrap();
        let lost: Result<(), _> = runtime.run(async { panic!("in the call") });
        assert_eq!(lost, Err(super::RunError::Lost));
        assert_eq!(runtime.run(async { 2 }), Ok(2));
    }
}
