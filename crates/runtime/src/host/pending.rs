//! A binding call in flight: the host side of the `pending-call` resource. Generic over what the
//! call produces, so that this file depends on nothing (the generated bindings name it).

/// A call started on the host's runtime, finished later; its result is taken once.
pub(crate) struct Pending<T: Send + 'static> {
    state: State<T>,
}

enum State<T> {
    Running(tokio::task::JoinHandle<Result<T, String>>),
    Done(Result<T, String>),
    Taken,
}

impl<T: Send + 'static> Pending<T> {
    /// A call running as `task`.
    pub(crate) fn running(task: tokio::task::JoinHandle<Result<T, String>>) -> Self {
        Pending {
            state: State::Running(task),
        }
    }

    /// A call that is over before it started (refused).
    pub(crate) fn done(result: Result<T, String>) -> Self {
        Pending {
            state: State::Done(result),
        }
    }

    /// The outcome once finished (`None` before); later takes get an error.
    pub(crate) fn take(&mut self) -> Option<Result<T, String>> {
        match std::mem::replace(&mut self.state, State::Taken) {
            State::Done(result) => Some(result),
            State::Taken => Some(Err("the result was already taken".into())),
            running @ State::Running(_) => {
                self.state = running;
                None
            }
        }
    }
}

impl<T: Send + 'static> Drop for Pending<T> {
    fn drop(&mut self) {
        if let State::Running(task) = &self.state {
            task.abort();
        }
    }
}

#[wasmtime_wasi::async_trait]
impl<T: Send + 'static> wasmtime_wasi::p2::Pollable for Pending<T> {
    async fn ready(&mut self) {
        if let State::Running(task) = &mut self.state {
            let result = task
                .await
                .unwrap_or_else(|e| Err(format!("the binding call failed: {e}")));
            self.state = State::Done(result);
        }
    }
}
