//! Snapshots: the engine state as bytes (a magic and version, then postcard), and a
//! restore that checks what it decodes before it uses it (see `check`).

use std::sync::Arc;

// lookups only: nothing iterates these maps, so their order never reaches a decision
use rustc_hash::FxHashMap as HashMap;

use crate::acd::error::EngineError;

use super::names::CallId;
use super::Engine;

mod format;
#[cfg(test)]
mod tags;

/// Each id's index (the lookups rebuilt after a restore); `None` if an id is given twice.
fn id_index<'a>(ids: impl Iterator<Item = &'a Arc<str>>) -> Option<HashMap<Arc<str>, u32>> {
    let mut map = HashMap::default();
    for (i, id) in ids.enumerate() {
        if id.is_empty() {
            continue; // a vacant queue slot (check_decoded: no agent has an empty id)
        }
        if map.insert(id.clone(), i as u32).is_some() {
            return None;
        }
    }
    Some(map)
}

impl Engine {
    /// The whole state as bytes; [`Engine::restore`] continues from it identically.
    /// The scorer is not included: install it again after a restore. The bytes are a
    /// versioned, checksummed header and the state (see `snapshot/format.rs`).
    pub fn snapshot(&self) -> Vec<u8> {
        format::seal(&postcard::to_allocvec(self).expect("engine state serializes"))
    }

    /// An engine from [`Engine::snapshot`] bytes. Never panics: bytes of another format
    /// version, truncated or followed by more, failing their checksum, that do not decode
    /// (or would decode to far more memory than their size), or that decode to an
    /// inconsistent state, give [`EngineError::Snapshot`] saying which.
    pub fn restore(bytes: &[u8]) -> Result<Self, EngineError> {
        let body = format::open(bytes).map_err(EngineError::Snapshot)?;
        let mut engine: Engine = format::decode(body).map_err(EngineError::Snapshot)?;
        let inconsistent =
            |e: String| EngineError::Snapshot(format!("inconsistent engine snapshot: {e}"));
        // before anything indexes into the decoded state
        engine.check_decoded().map_err(inconsistent)?;
        for names in [
            &mut engine.skills,
            &mut engine.tenants,
            &mut engine.media,
            &mut engine.reasons,
        ] {
            names.rebuild();
        }
        engine.agent_ids = id_index(engine.agents.iter().map(|a| &a.id))
            .ok_or_else(|| inconsistent("an agent id given twice".into()))?;
        engine.queue_ids = id_index(engine.queues.iter().map(|q| &q.id))
            .ok_or_else(|| inconsistent("a queue id given twice".into()))?;
        engine.call_ids = engine
            .calls
            .iter()
            .enumerate()
            .filter_map(|(i, c)| match c.map(|c| &c.id) {
                Some(CallId::Str(id)) => Some((id.clone(), i as u32)),
                _ => None,
            })
            .collect();
        // exclusions are searched by agent (snapshots of earlier builds kept them unsorted)
        for c in 0..engine.calls.len() {
            if let Some(call) = engine.calls.get_mut(c) {
                call.excluded.sort_unstable_by_key(|&(a, _)| a);
            }
        }
        // (a requirement given twice leaves one entry: the audit refuses that)
        engine.skill_queue_ids = engine
            .virtual_queues
            .iter()
            .map(|v| ((v.tenant, v.media, v.reqs.clone()), v.queue))
            .collect();
        engine.count_available_agents();
        engine.rebuild_skill_agents();
        // (check_decoded: every waiting entry names a live waiting call of its queue)
        engine.rebuild_order();
        engine.rebuild_queue_uses();
        engine
            .audit()
            .map_err(|e| EngineError::Snapshot(format!("inconsistent engine snapshot: {e}")))?;
        Ok(engine)
    }
}
