//! The apply rules of [`ClusterState`], record by record, without a store.

use crate::meta::{
    Applying, ClusterState, CommitAuthority, EntryId, MetaRecord, NewObject, Rejection,
    StateMachine, StreamEpoch, WriterId,
};
use crate::types::StreamRange;

/// Applies records one after another, numbering entries from 1 with writer time `seq * 1000`.
struct Log {
    state: ClusterState,
    seq: u64,
}

impl Log {
    fn new() -> Self {
        Log {
            state: ClusterState::default(),
            seq: 0,
        }
    }

    fn apply(&mut self, record: MetaRecord) -> Result<(), Rejection> {
        self.seq += 1;
        let at = Applying {
            id: EntryId {
                writer: WriterId(1),
                seq: self.seq,
                put: self.seq,
            },
            at_ms: self.seq * 1000,
        };
        let before = self.state.clone();
        let result = self.state.apply(&at, &record);
        if result.is_err() {
            assert_eq!(
                self.state,
                before,
                "a rejected {} changed the state",
                record.kind()
            );
        }
        self.state.check_invariants().unwrap();
        result
    }

    fn ok(&mut self, record: MetaRecord) {
        let kind = record.kind();
        if let Err(e) = self.apply(record) {
            panic!("{kind} rejected: {e:?}");
        }
    }

    fn fenced(&mut self, record: MetaRecord) -> String {
        match self.apply(record) {
            Err(Rejection::Fenced { what, .. }) => what,
            other => panic!("expected fenced, got {other:?}"),
        }
    }

    fn invalid(&mut self, record: MetaRecord) -> String {
        match self.apply(record) {
            Err(Rejection::Invalid(why)) => why,
            other => panic!("expected invalid, got {other:?}"),
        }
    }

    /// Nodes 1 and 2 at epoch 1, streams 1 ("a") and 2 ("b"), both open on node 1 at epoch 1.
    fn cluster() -> Self {
        let mut log = Log::new();
        for node in [1, 2] {
            log.ok(MetaRecord::NodeRegistered {
                node,
                epoch: 1,
                address: format!("n{node}:9092"),
            });
        }
        for (stream, name) in [(1, "a"), (2, "b")] {
            log.ok(MetaRecord::StreamCreated {
                stream,
                name: name.into(),
                start: 0,
            });
            log.ok(MetaRecord::StreamOpened {
                stream,
                epoch: 1,
                node: 1,
            });
        }
        log
    }

    fn next_object(&self) -> u64 {
        self.state.next_object_id()
    }
}

fn range(stream: u64, start: u64, end: u64) -> StreamRange {
    StreamRange { stream, start, end }
}

fn commit(id: u64, ranges: Vec<StreamRange>, node: u32, node_epoch: u64, epoch: u64) -> MetaRecord {
    let stream_epochs = ranges
        .iter()
        .map(|r| StreamEpoch {
            stream: r.stream,
            epoch,
        })
        .collect();
    MetaRecord::ObjectCommitted {
        object: NewObject {
            id,
            key: format!("obj/{id}"),
            size: 100,
            ranges,
        },
        by: CommitAuthority {
            node,
            node_epoch,
            stream_epochs,
        },
    }
}

#[test]
fn commits_append_densely_and_gaps_or_overlaps_are_refused() {
    let mut log = Log::cluster();
    log.ok(commit(1, vec![range(1, 0, 10), range(2, 0, 5)], 1, 1, 1));
    log.ok(commit(2, vec![range(1, 10, 20)], 1, 1, 1));
    let s = log.state.stream(1).unwrap();
    assert_eq!((s.start, s.end), (0, 20));
    assert_eq!(log.state.stream(2).unwrap().end, 5);
    assert_eq!(log.state.object(1).unwrap().refs, 2);

    let gap = log.invalid(commit(3, vec![range(1, 21, 30)], 1, 1, 1));
    assert!(gap.contains("leave a gap"), "{gap}");
    let overlap = log.invalid(commit(3, vec![range(1, 15, 30)], 1, 1, 1));
    assert!(overlap.contains("overlap"), "{overlap}");
    let taken = log.invalid(commit(2, vec![range(1, 20, 30)], 1, 1, 1));
    assert!(taken.contains("not the next free id 3"), "{taken}");
    let twice = log.invalid(commit(3, vec![range(1, 20, 25), range(1, 25, 30)], 1, 1, 1));
    assert!(twice.contains("two ranges of stream 1"), "{twice}");
    let empty = log.invalid(commit(3, vec![range(1, 20, 20)], 1, 1, 1));
    assert!(empty.contains("empty range"), "{empty}");
    let mut dup_key = commit(3, vec![range(1, 20, 30)], 1, 1, 1);
    if let MetaRecord::ObjectCommitted { object, .. } = &mut dup_key {
        object.key = "obj/1".into();
    }
    assert!(log.invalid(dup_key).contains("already used"));
    let unknown = log.invalid(commit(3, vec![range(9, 0, 1)], 1, 1, 1));
    assert!(unknown.contains("stream 9 does not exist"), "{unknown}");

    let q = log.state.objects_for(1, 5..15);
    assert_eq!(
        q.iter()
            .map(|e| (e.object, e.start, e.end))
            .collect::<Vec<_>>(),
        vec![(1, 0, 10), (2, 10, 20)]
    );
    assert_eq!(log.state.objects_for(1, 20..30), vec![]);
    assert_eq!(log.state.objects_for(1, 19..20).len(), 1);
}

#[test]
fn only_the_owner_at_the_current_epochs_may_commit() {
    let mut log = Log::cluster();
    log.ok(MetaRecord::StreamOpened {
        stream: 1,
        epoch: 2,
        node: 2,
    });
    assert_eq!(log.state.owner(1), Some((2, 2)));
    // Node 1 still believes in epoch 1: fenced, even though its range would fit.
    let what = log.fenced(commit(1, vec![range(1, 0, 10)], 1, 1, 1));
    assert_eq!(what, "stream 1");
    // Node 1 claiming the new epoch is not the owner either.
    assert!(
        log.fenced(commit(1, vec![range(1, 0, 10)], 1, 1, 2))
            .contains("owned by node 2")
    );
    // A commit touching a fenced stream is refused whole, the other stream included.
    log.fenced(commit(1, vec![range(2, 0, 5), range(1, 0, 10)], 1, 1, 1));
    assert_eq!(log.state.stream(2).unwrap().end, 0);
    // Fencing is reported before shape problems.
    log.fenced(commit(77, vec![range(1, 50, 60)], 1, 1, 1));
    // The new owner commits.
    log.ok(commit(1, vec![range(1, 0, 10)], 2, 1, 2));
    // A stale node epoch is fenced.
    log.ok(MetaRecord::NodeRegistered {
        node: 2,
        epoch: 2,
        address: "n2b:9092".into(),
    });
    assert!(
        log.fenced(commit(2, vec![range(1, 10, 20)], 2, 1, 2))
            .starts_with("node 2")
    );
    log.ok(commit(2, vec![range(1, 10, 20)], 2, 2, 2));
    assert_eq!(log.state.node_epoch(2), Some(2));
}

#[test]
fn a_node_fence_stops_every_epoch_up_to_it() {
    let mut log = Log::cluster();
    log.ok(MetaRecord::NodeFenced { node: 1, epoch: 1 });
    assert_eq!(log.state.node_epoch(1), None);
    assert!(
        log.fenced(commit(1, vec![range(1, 0, 10)], 1, 1, 1))
            .contains("(fenced)")
    );
    // Nothing can be opened for a fenced node, and it cannot come back at a fenced epoch.
    log.fenced(MetaRecord::StreamOpened {
        stream: 1,
        epoch: 2,
        node: 1,
    });
    log.fenced(MetaRecord::NodeRegistered {
        node: 1,
        epoch: 1,
        address: "x".into(),
    });
    log.ok(MetaRecord::NodeRegistered {
        node: 1,
        epoch: 2,
        address: "n1b:9092".into(),
    });
    assert_eq!(log.state.node_epoch(1), Some(2));
    // Re-registered, it still owns stream 1 at stream epoch 1 and may commit with its new node epoch only.
    log.fenced(commit(1, vec![range(1, 0, 10)], 1, 1, 1));
    log.ok(commit(1, vec![range(1, 0, 10)], 1, 2, 1));
    // A fence never moves back, and fencing an unknown node is refused.
    log.ok(MetaRecord::NodeFenced { node: 1, epoch: 0 });
    assert_eq!(log.state.node_epoch(1), Some(2));
    log.invalid(MetaRecord::NodeFenced { node: 9, epoch: 1 });
}

#[test]
fn opens_need_a_higher_epoch_and_a_live_registered_node() {
    let mut log = Log::cluster();
    log.fenced(MetaRecord::StreamOpened {
        stream: 1,
        epoch: 1,
        node: 2,
    });
    log.fenced(MetaRecord::StreamOpened {
        stream: 1,
        epoch: 0,
        node: 2,
    });
    assert!(
        log.invalid(MetaRecord::StreamOpened {
            stream: 1,
            epoch: 5,
            node: 9
        })
        .contains("never registered")
    );
    assert!(
        log.invalid(MetaRecord::StreamOpened {
            stream: 9,
            epoch: 5,
            node: 2
        })
        .contains("does not exist")
    );
    log.ok(MetaRecord::StreamOpened {
        stream: 1,
        epoch: 5,
        node: 2,
    });
    assert_eq!(log.state.stream(1).unwrap().fence.next_epoch(), 6);
}

#[test]
fn closes_name_the_epoch_and_the_committed_end() {
    let mut log = Log::cluster();
    log.ok(commit(1, vec![range(1, 0, 10)], 1, 1, 1));
    assert!(
        log.invalid(MetaRecord::StreamClosed {
            stream: 1,
            epoch: 1,
            end_offset: 9
        })
        .contains("10 is committed")
    );
    log.fenced(MetaRecord::StreamClosed {
        stream: 1,
        epoch: 2,
        end_offset: 10,
    });
    log.ok(MetaRecord::StreamClosed {
        stream: 1,
        epoch: 1,
        end_offset: 10,
    });
    assert_eq!(log.state.owner(1), None);
    assert!(
        log.invalid(MetaRecord::StreamClosed {
            stream: 1,
            epoch: 1,
            end_offset: 10
        })
        .contains("already closed")
    );
    assert!(
        log.fenced(commit(2, vec![range(1, 10, 20)], 1, 1, 1))
            .contains("closed")
    );
    log.fenced(MetaRecord::StreamOpened {
        stream: 1,
        epoch: 1,
        node: 2,
    });
    log.ok(MetaRecord::StreamOpened {
        stream: 1,
        epoch: 2,
        node: 2,
    });
    log.ok(commit(2, vec![range(1, 10, 20)], 2, 1, 2));
}

#[test]
fn stream_ids_and_names_are_allocated_once() {
    let mut log = Log::new();
    assert_eq!(log.state.next_stream_id(), 1);
    assert!(
        log.invalid(MetaRecord::StreamCreated {
            stream: 2,
            name: "a".into(),
            start: 0
        })
        .contains("next free id 1")
    );
    log.ok(MetaRecord::StreamCreated {
        stream: 1,
        name: "a".into(),
        start: 100,
    });
    assert!(
        log.invalid(MetaRecord::StreamCreated {
            stream: 2,
            name: "a".into(),
            start: 0
        })
        .contains("taken by stream 1")
    );
    log.invalid(MetaRecord::StreamCreated {
        stream: 2,
        name: String::new(),
        start: 0,
    });
    log.ok(MetaRecord::StreamCreated {
        stream: 2,
        name: "b".into(),
        start: 0,
    });
    assert_eq!(log.state.stream_id("a"), Some(1));
    let a = log.state.stream(1).unwrap();
    assert_eq!((a.start, a.end, a.owner, a.epoch()), (100, 100, None, 0));
}

#[test]
fn trims_drop_whole_objects_and_mark_them_unreferenced() {
    let mut log = Log::cluster();
    log.ok(commit(1, vec![range(1, 0, 10)], 1, 1, 1));
    log.ok(commit(2, vec![range(1, 10, 20), range(2, 0, 5)], 1, 1, 1));
    log.ok(commit(3, vec![range(1, 20, 30)], 1, 1, 1));
    log.ok(MetaRecord::StreamTrimmed {
        stream: 1,
        start: 15,
    });
    let trimmed_at = log.seq;
    let s = log.state.stream(1).unwrap();
    assert_eq!(
        (s.start, s.index.len()),
        (15, 2),
        "object 2 still holds 15..20"
    );
    let gone = log.state.object(1).unwrap().unreferenced.unwrap();
    assert_eq!((gone.seq, gone.at_ms), (trimmed_at, trimmed_at * 1000));
    assert_eq!(log.state.objects_for(1, 0..100).first().unwrap().object, 2);
    // Backward trims change nothing; trims past the end are refused.
    log.ok(MetaRecord::StreamTrimmed {
        stream: 1,
        start: 3,
    });
    assert_eq!(log.state.stream(1).unwrap().start, 15);
    log.invalid(MetaRecord::StreamTrimmed {
        stream: 1,
        start: 31,
    });
    // Object 2 is shared with stream 2, so trimming stream 1 past it leaves one reference.
    log.ok(MetaRecord::StreamTrimmed {
        stream: 1,
        start: 30,
    });
    assert_eq!(log.state.object(2).unwrap().refs, 1);
    assert!(log.state.stream(1).unwrap().index.is_empty());
    assert_eq!(
        log.state
            .unreferenced_objects(u64::MAX)
            .iter()
            .map(|(id, _)| *id)
            .collect::<Vec<_>>(),
        vec![1, 3]
    );
    // The grace period is the caller's: nothing unreferenced before writer time `trimmed_at` seconds.
    assert!(
        log.state
            .unreferenced_objects(trimmed_at * 1000 - 1)
            .is_empty()
    );
}

#[test]
fn only_unreferenced_objects_may_be_deleted() {
    let mut log = Log::cluster();
    log.ok(commit(1, vec![range(1, 0, 10)], 1, 1, 1));
    assert!(
        log.invalid(MetaRecord::ObjectDeleted { object: 1 })
            .contains("still referenced")
    );
    log.invalid(MetaRecord::ObjectDeleted { object: 9 });
    log.ok(MetaRecord::StreamTrimmed {
        stream: 1,
        start: 10,
    });
    log.ok(MetaRecord::ObjectDeleted { object: 1 });
    assert!(log.state.object(1).is_none());
    // Ids are never reused, even after a delete.
    assert_eq!(log.next_object(), 2);
}

#[test]
fn compaction_replaces_adjacent_objects_with_the_same_offsets() {
    let mut log = Log::cluster();
    log.ok(commit(1, vec![range(1, 0, 10), range(2, 0, 5)], 1, 1, 1));
    log.ok(commit(2, vec![range(1, 10, 20)], 1, 1, 1));
    log.ok(commit(3, vec![range(1, 20, 30), range(2, 5, 8)], 1, 1, 1));
    let new = |id: u64, ranges: Vec<StreamRange>| NewObject {
        id,
        key: format!("compacted/{id}"),
        size: 1,
        ranges,
    };

    // Inputs 1 and 3 are not adjacent in stream 1: one output range cannot replace both runs (it would also
    // swallow object 2's offsets).
    let why = log.invalid(MetaRecord::ObjectsCompacted {
        removed: vec![1, 3],
        added: vec![new(4, vec![range(1, 0, 30), range(2, 0, 8)])],
        by: None,
    });
    assert!(why.contains("replaces 0..10 with 0..30"), "{why}");
    // Object 1 also holds stream 2: an output that forgets it is refused.
    let why = log.invalid(MetaRecord::ObjectsCompacted {
        removed: vec![1, 2],
        added: vec![new(4, vec![range(1, 0, 20)])],
        by: None,
    });
    assert!(why.contains("drops offsets 0..5 of stream 2"), "{why}");
    // Outputs must cover exactly the inputs' offsets.
    log.invalid(MetaRecord::ObjectsCompacted {
        removed: vec![1, 2],
        added: vec![new(4, vec![range(1, 0, 19), range(2, 0, 5)])],
        by: None,
    });
    log.invalid(MetaRecord::ObjectsCompacted {
        removed: vec![1, 2],
        added: vec![
            new(4, vec![range(1, 0, 10), range(2, 0, 5)]),
            new(5, vec![range(1, 11, 20)]),
        ],
        by: None,
    });
    // Covering a stream no input covers is refused.
    log.invalid(MetaRecord::ObjectsCompacted {
        removed: vec![2],
        added: vec![new(4, vec![range(1, 10, 20), range(2, 8, 9)])],
        by: None,
    });
    // Split stream 1's part and stream 2's part into two objects.
    log.ok(MetaRecord::ObjectsCompacted {
        removed: vec![1, 2],
        added: vec![new(4, vec![range(1, 0, 20)]), new(5, vec![range(2, 0, 5)])],
        by: None,
    });
    let ids = |s: u64| {
        log.state
            .stream(s)
            .unwrap()
            .index
            .iter()
            .map(|e| e.object)
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(1), vec![4, 3]);
    assert_eq!(ids(2), vec![5, 3]);
    assert_eq!(log.state.object(1).unwrap().refs, 0);
    assert!(log.state.object(2).unwrap().unreferenced.is_some());
    // Inputs must be referenced: compacting 1 again is refused.
    log.invalid(MetaRecord::ObjectsCompacted {
        removed: vec![1],
        added: vec![new(6, vec![range(1, 0, 10)])],
        by: None,
    });
}

#[test]
fn compaction_replaces_each_run_of_a_stream_on_its_own() {
    let mut log = Log::cluster();
    log.ok(commit(1, vec![range(1, 0, 10), range(2, 0, 5)], 1, 1, 1));
    log.ok(commit(2, vec![range(1, 10, 20)], 1, 1, 1));
    log.ok(commit(3, vec![range(1, 20, 30), range(2, 5, 8)], 1, 1, 1));
    let new = |id: u64, ranges: Vec<StreamRange>| NewObject {
        id,
        key: format!("c/{id}"),
        size: 1,
        ranges,
    };
    // Objects 1 and 3 are two runs in stream 1 (object 2 lies between) and one run in stream 2. An object holds
    // one range per stream, so stream 1's runs go to two outputs.
    let why = log.invalid(MetaRecord::ObjectsCompacted {
        removed: vec![1, 3],
        added: vec![new(4, vec![range(1, 0, 10), range(2, 0, 8)])],
        by: None,
    });
    assert!(why.contains("drops offsets 20..30 of stream 1"), "{why}");
    log.ok(MetaRecord::ObjectsCompacted {
        removed: vec![1, 3],
        added: vec![
            new(4, vec![range(1, 0, 10), range(2, 0, 8)]),
            new(5, vec![range(1, 20, 30)]),
        ],
        by: None,
    });
    let index = |s: u64| {
        log.state
            .stream(s)
            .unwrap()
            .index
            .iter()
            .map(|e| (e.start, e.end, e.object))
            .collect::<Vec<_>>()
    };
    assert_eq!(index(1), [(0, 10, 4), (10, 20, 2), (20, 30, 5)]);
    assert_eq!(index(2), [(0, 8, 4)]);
    assert_eq!(log.state.object(4).unwrap().refs, 2);
    assert_eq!(log.state.object(1).unwrap().refs, 0);
    assert_eq!(log.state.object(3).unwrap().refs, 0);
}

#[test]
fn a_compaction_by_a_fenced_node_is_refused_and_outputs_name_their_writer() {
    use crate::meta::NodeEpoch;
    let mut log = Log::cluster();
    log.ok(commit(1, vec![range(1, 0, 10)], 1, 1, 1));
    log.ok(commit(2, vec![range(1, 10, 20)], 1, 1, 1));
    assert_eq!(log.state.object(1).unwrap().writer, Some(1));
    let compaction = |id: u64, by: NodeEpoch| MetaRecord::ObjectsCompacted {
        removed: vec![1, 2],
        added: vec![NewObject {
            id,
            key: format!("c/{id}"),
            size: 1,
            ranges: vec![range(1, 0, 20)],
        }],
        by: Some(by),
    };
    // Node 1 is taken over (fenced at its epoch 1): its compaction, planned before, is refused.
    log.ok(MetaRecord::NodeFenced { node: 1, epoch: 1 });
    let what = log.fenced(compaction(3, NodeEpoch { node: 1, epoch: 1 }));
    assert!(what.contains("node 1"), "{what}");
    // Node 2, live, may compact them.
    log.ok(compaction(3, NodeEpoch { node: 2, epoch: 1 }));
    assert_eq!(log.state.object(3).unwrap().writer, Some(2));
}

#[test]
fn compaction_may_drop_what_was_trimmed() {
    let mut log = Log::cluster();
    log.ok(commit(1, vec![range(1, 0, 10)], 1, 1, 1));
    log.ok(commit(2, vec![range(1, 10, 20)], 1, 1, 1));
    log.ok(MetaRecord::StreamTrimmed {
        stream: 1,
        start: 6,
    });
    let new = |id: u64, start: u64| NewObject {
        id,
        key: format!("c/{id}"),
        size: 1,
        ranges: vec![range(1, start, 20)],
    };
    // Starting above the stream's start would lose served offsets.
    log.invalid(MetaRecord::ObjectsCompacted {
        removed: vec![1, 2],
        added: vec![new(3, 7)],
        by: None,
    });
    log.ok(MetaRecord::ObjectsCompacted {
        removed: vec![1, 2],
        added: vec![new(3, 6)],
        by: None,
    });
    let e = log.state.stream(1).unwrap().index[0];
    assert_eq!((e.start, e.end, e.object), (6, 20, 3));
}

#[test]
fn applying_is_deterministic_and_survives_serialization() {
    let records = {
        let mut log = Log::cluster();
        let mut records = Vec::new();
        for i in 0..5u64 {
            let r = commit(i + 1, vec![range(1, i * 10, i * 10 + 10)], 1, 1, 1);
            log.ok(r.clone());
            records.push(r);
        }
        records.push(MetaRecord::StreamTrimmed {
            stream: 1,
            start: 25,
        });
        records
    };
    let run = || {
        let mut log = Log::cluster();
        for r in &records {
            log.ok(r.clone());
        }
        log.state
    };
    let (a, b) = (run(), run());
    assert_eq!(a, b);
    let json = serde_json::to_string(&a).unwrap();
    let back: ClusterState = serde_json::from_str(&json).unwrap();
    assert_eq!(back, a);
    back.check_invariants().unwrap();
}

#[test]
fn a_deleted_stream_frees_its_name_and_objects_and_takes_no_more_records() {
    let mut log = Log::cluster();
    log.ok(commit(1, vec![range(1, 0, 10), range(2, 0, 5)], 1, 1, 1));
    log.ok(commit(2, vec![range(1, 10, 20)], 1, 1, 1));
    log.ok(MetaRecord::StreamDeleted { stream: 1 });
    assert!(log.state.stream(1).is_none());
    assert_eq!(log.state.stream_id("a"), None);
    // Object 2 held only stream 1; object 1 still holds stream 2.
    let unreferenced: Vec<u64> = log
        .state
        .unreferenced_objects(u64::MAX)
        .iter()
        .map(|(id, _)| *id)
        .collect();
    assert_eq!(unreferenced, vec![2]);
    assert_eq!(log.state.object(1).unwrap().refs, 1);
    assert!(
        log.invalid(commit(3, vec![range(1, 20, 30)], 1, 1, 1))
            .contains("does not exist")
    );
    log.invalid(MetaRecord::StreamDeleted { stream: 1 });
    // The name is free again, under a new id.
    log.ok(MetaRecord::StreamCreated {
        stream: 3,
        name: "a".into(),
        start: 0,
    });
    log.invalid(MetaRecord::StreamCreated {
        stream: 1,
        name: "c".into(),
        start: 0,
    });
}

#[test]
fn registry_entries_are_stored_as_given_and_listed_by_prefix() {
    let mut log = Log::new();
    let value = serde_json::json!({"partitions": 3, "configs": {"retention.ms": "1000"}});
    log.ok(MetaRecord::EntryPut {
        key: "kafka/topics/orders".into(),
        value: value.clone(),
    });
    log.ok(MetaRecord::EntryPut {
        key: "kafka/topics/payments".into(),
        value: serde_json::json!({"partitions": 1}),
    });
    log.ok(MetaRecord::EntryPut {
        key: "kafka/topicz".into(),
        value: serde_json::json!(null),
    });
    assert_eq!(log.state.entry("kafka/topics/orders"), Some(&value));
    let keys: Vec<&str> = log
        .state
        .entries_under("kafka/topics/")
        .map(|(k, _)| k)
        .collect();
    assert_eq!(keys, ["kafka/topics/orders", "kafka/topics/payments"]);
    log.ok(MetaRecord::EntryDeleted {
        key: "kafka/topics/orders".into(),
    });
    assert!(
        log.invalid(MetaRecord::EntryDeleted {
            key: "kafka/topics/orders".into(),
        })
        .contains("does not exist")
    );
    log.invalid(MetaRecord::EntryPut {
        key: String::new(),
        value: serde_json::json!(1),
    });
    // Entries survive a snapshot's round trip through JSON, and a snapshot written before entries existed loads.
    let json = serde_json::to_value(&log.state).unwrap();
    let back: crate::meta::ClusterState = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(back, log.state);
    let mut old = json;
    old.as_object_mut().unwrap().remove("entries");
    let back: crate::meta::ClusterState = serde_json::from_value(old).unwrap();
    assert!(back.entry("kafka/topics/payments").is_none());
}
