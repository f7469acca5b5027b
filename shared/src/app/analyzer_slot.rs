//! The face engine for processes that serve requests while it loads (the local server loads it in
//! the background; the `instant` and `lite` Lambdas load it at init). Set once; requests wait for
//! it a bounded time, then answer 503 rather than hang.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::ports::Analyzer;
use crate::{Error, Result};

/// How long a request waits for the engine before it is refused.
pub const ENGINE_WAIT: Duration = Duration::from_secs(20);

/// A shared, set-once handle on the [`Analyzer`]; clones see the same slot.
#[derive(Clone)]
pub struct AnalyzerSlot {
    tx: Arc<watch::Sender<Option<Arc<dyn Analyzer>>>>,
}

impl Default for AnalyzerSlot {
    fn default() -> Self {
        Self {
            tx: Arc::new(watch::channel(None).0),
        }
    }
}

impl AnalyzerSlot {
    /// An empty slot.
    pub fn new() -> Self {
        Self::default()
    }

    /// Puts the loaded engine in the slot; waiting requests proceed.
    pub fn set(&self, analyzer: Arc<dyn Analyzer>) {
        self.tx.send_replace(Some(analyzer));
    }

    /// The engine if it has loaded, without waiting.
    pub fn try_get(&self) -> Option<Arc<dyn Analyzer>> {
        self.tx.borrow().clone()
    }

    /// The engine, waiting up to `wait` for it to load; [`Error::Unavailable`] past that.
    pub async fn get(&self, wait: Duration) -> Result<Arc<dyn Analyzer>> {
        let mut rx = self.tx.subscribe();
        match tokio::time::timeout(wait, rx.wait_for(Option::is_some)).await {
            Ok(Ok(v)) => Ok(v.clone().expect("waited for Some")),
            _ => Err(Error::Unavailable(
                "the face engine is not loaded yet; retry shortly".into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn waits_a_bounded_time() {
        let slot = AnalyzerSlot::new();
        let e = slot.get(Duration::from_millis(20)).await.err().unwrap();
        assert!(matches!(e, Error::Unavailable(_)));
        assert!(slot.try_get().is_none());
    }
}
