//! The tags the snapshot gives every variant of the enums it holds, pinned.
//!
//! postcard writes a variant as its index in the declaration, so reordering variants (or
//! inserting one before others) would silently give old snapshots another meaning. Each
//! enum has an exhaustive `match` naming every variant's tag here: a variant added without a
//! tag does not compile, and a reorder fails `tags_are_pinned`. Changing a tag on purpose is
//! a format change: bump `format::VERSION`.

use crate::acd::config::Strategy;

use super::super::model::{CallState, Presence, State, TaskKind, Timer};

fn timer(t: Timer) -> u8 {
    match t {
        Timer::Step(_) => 0,
        Timer::MaxWait(_) => 1,
        Timer::Offer(_) => 2,
        Timer::Retry(_) => 3,
        Timer::WrapUp(..) => 4,
    }
}

fn presence(p: Presence) -> u8 {
    match p {
        Presence::LoggedOut => 0,
        Presence::Ready => 1,
        Presence::NotReady(_) => 2,
    }
}

fn state(s: State) -> u8 {
    match s {
        State::LoggedOut => 0,
        State::Ready => 1,
        State::NotReady(_) => 2,
        State::Offered => 3,
        State::Busy => 4,
        State::WrapUp => 5,
    }
}

fn task_kind(k: TaskKind) -> u8 {
    match k {
        TaskKind::Offered => 0,
        TaskKind::Busy => 1,
        TaskKind::WrapUp => 2,
    }
}

fn call_state(c: CallState) -> u8 {
    match c {
        CallState::Waiting => 0,
        CallState::Offered { .. } => 1,
        CallState::Connected { .. } => 2,
    }
}

fn strategy(s: Strategy) -> u8 {
    match s {
        Strategy::LongestIdle => 0,
        Strategy::RoundRobin => 1,
        Strategy::FewestCalls => 2,
        Strategy::LeastTalkTime => 3,
        Strategy::HighestProficiency => 4,
        Strategy::Linear => 5,
        Strategy::Random => 6,
        Strategy::WeightedRandom => 7,
        Strategy::Custom => 8,
    }
}

/// Each value encodes as its pinned tag, then its fields (postcard varints, zigzag for
/// signed), and decodes back.
fn pinned<T>(values: &[T], tag: fn(T) -> u8, fields: &[&[u8]])
where
    T: Copy + std::fmt::Debug + PartialEq + serde::Serialize + serde::de::DeserializeOwned,
{
    assert_eq!(values.len(), fields.len());
    for (&v, rest) in values.iter().zip(fields) {
        let mut expected = vec![tag(v)];
        expected.extend(*rest);
        let bytes = postcard::to_allocvec(&v).unwrap();
        assert_eq!(bytes, expected, "{v:?}");
        assert_eq!(postcard::from_bytes::<T>(&bytes).unwrap(), v);
    }
}

#[test]
fn tags_are_pinned() {
    // every variant, with fields whose bytes are easy to read: 3 and 300 (0xac 0x02)
    pinned(
        &[
            Timer::Step(3),
            Timer::MaxWait(3),
            Timer::Offer(3),
            Timer::Retry(3),
            Timer::WrapUp(3, 300),
        ],
        timer,
        &[&[3], &[3], &[3], &[3], &[3, 0xac, 0x02]],
    );
    pinned(
        &[Presence::LoggedOut, Presence::Ready, Presence::NotReady(3)],
        presence,
        &[&[], &[], &[3]],
    );
    pinned(
        &[
            State::LoggedOut,
            State::Ready,
            State::NotReady(3),
            State::Offered,
            State::Busy,
            State::WrapUp,
        ],
        state,
        &[&[], &[], &[3], &[], &[], &[]],
    );
    pinned(
        &[TaskKind::Offered, TaskKind::Busy, TaskKind::WrapUp],
        task_kind,
        &[&[], &[], &[]],
    );
    pinned(
        &[
            CallState::Waiting,
            CallState::Offered {
                agent: 3,
                task: 300,
                expires: -2,
            },
            CallState::Connected {
                agent: 3,
                task: 300,
                answered: 150,
            },
        ],
        call_state,
        // (agent, task, time): the time zigzagged, -2 -> 3, 150 -> 300
        &[&[], &[3, 0xac, 0x02, 3], &[3, 0xac, 0x02, 0xac, 0x02]],
    );
    let all: Vec<Strategy> = Strategy::ALL.iter().map(|&(_, s)| s).collect();
    let none: Vec<&[u8]> = vec![&[]; all.len()];
    pinned(&all, strategy, &none);
    // the pinned tags are the distinct numbers from 0 (so a decoder sees them all)
    let mut tags: Vec<u8> = all.iter().map(|&s| strategy(s)).collect();
    tags.sort_unstable();
    assert_eq!(tags, (0..all.len() as u8).collect::<Vec<_>>());
}
