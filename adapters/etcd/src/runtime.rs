//! The adapter's own tokio runtime, on a thread it owns, and the hand-over
//! of calls from any thread (plain, or a worker of the caller's runtime).

use std::future::Future;
use std::sync::mpsc;
use std::thread::JoinHandle;

use tokio::sync::oneshot;

/// A current-thread tokio runtime driven by one dedicated thread. Calls
/// are spawned onto it through its handle and their results come back
/// over a channel, so no caller ever enters (or nests) a runtime.
#[derive(Debug)]
pub(crate) struct Runtime {
    handle: tokio::runtime::Handle,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Runtime {
    /// Starts the thread and its runtime.
    pub(crate) fn start() -> std::io::Result<Self> {
        let (ready_tx, ready_rx) = mpsc::channel();
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("imagestream-etcd".into())
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
        let handle = ready_rx.recv().map_err(|_| {
            std::io::Error::other("the etcd runtime thread exited before it started")
        })??;
        Ok(Self {
            handle,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// Runs `fut` on the runtime thread and waits for its output; `None`
    /// when the runtime is gone (shut down while the call ran).
    ///
    /// Safe from any thread, including a tokio worker: the caller only
    /// blocks on a channel, never on a runtime. (Blocking a worker of an
    /// async program stalls its other tasks meanwhile; see the crate docs
    /// for `spawn_blocking`.)
    pub(crate) fn run<T, F>(&self, fut: F) -> Option<T>
    where
        T: Send + 'static,
        F: Future<Output = T> + Send + 'static,
    {
        let (tx, rx) = mpsc::sync_channel(1);
        self.handle.spawn(async move {
            let _ = tx.send(fut.await);
        });
        rx.recv().ok()
    }
}

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
