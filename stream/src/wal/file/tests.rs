use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use futures::FutureExt;
use futures::future::join_all;

use super::failpoints::{BEFORE_SYNC, WAITING_FOR_SPACE};
use super::*;
use crate::error::ErrorKind;
use crate::wal::{FailPoints, Replayed, Wal, WalPosition, WalRecord, WalReplay};

fn rec(i: u64) -> WalRecord {
    WalRecord::new(
        i % 3,
        1 + i % 2,
        i * 10,
        10,
        Bytes::from(format!("record-{i:04}-").repeat(3)),
    )
}

/// A record whose frame is exactly `FRAME_HEADER_LEN + 36 + 100` = 168 bytes.
fn rec100(i: u64) -> WalRecord {
    WalRecord::new(1, 1, i, 1, Bytes::from(vec![i as u8; 100]))
}

fn records(replayed: &[Replayed]) -> Vec<WalRecord> {
    replayed.iter().map(|r| r.record.clone()).collect()
}

/// Waits for the n-th hit of a failpoint; a hang (the code never got there) fails the test instead.
async fn reached(fp: &FailPoints, name: &'static str, n: u64) {
    let wait = fp.wait_for_hits(name, n);
    if tokio::time::timeout(std::time::Duration::from_secs(30), wait)
        .await
        .is_err()
    {
        panic!("failpoint {name} was not reached {n} times");
    }
}

fn segment_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "wal"))
        .collect();
    files.sort();
    files
}

async fn append_each(
    wal: &FileWal,
    records: impl IntoIterator<Item = WalRecord>,
) -> Vec<WalPosition> {
    let mut positions = Vec::new();
    for r in records {
        positions.push(wal.append(r).await.unwrap());
    }
    positions
}

fn with_failpoints(dir: &Path) -> (FileWalConfig, Arc<FailPoints>) {
    let fp = FailPoints::new();
    let mut config = FileWalConfig::new(dir, 1, 1);
    config.failpoints = Some(fp.clone());
    (config, fp)
}

#[tokio::test]
async fn appends_survive_a_restart_in_append_order() {
    let dir = tempfile::tempdir().unwrap();
    let wal = FileWal::open(FileWalConfig::new(dir.path(), 1, 1))
        .await
        .unwrap();
    assert_eq!(wal.generation(), 1);
    let concurrent: Vec<_> = (0..5).map(|i| wal.append(rec(i))).collect();
    let mut positions: Vec<_> = join_all(concurrent)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    positions.extend(append_each(&wal, (5..10).map(rec)).await);
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "positions follow append order: {positions:?}"
    );
    assert_eq!(
        records(&wal.recover().await.unwrap()),
        (0..10).map(rec).collect::<Vec<_>>()
    );
    wal.close().await.unwrap();
    assert_eq!(
        wal.append(rec(99)).await.unwrap_err().kind(),
        ErrorKind::Closed
    );

    let reopened = FileWal::open(FileWalConfig::new(dir.path(), 1, 2))
        .await
        .unwrap();
    assert_eq!(reopened.generation(), 2);
    let replayed = reopened.recover().await.unwrap();
    assert_eq!(records(&replayed), (0..10).map(rec).collect::<Vec<_>>());
    assert_eq!(
        replayed.iter().map(|r| r.position).collect::<Vec<_>>(),
        positions
    );
    assert!(replayed.iter().all(|r| r.node == 1 && r.node_epoch == 1));

    // New appends go after the recovered ones, in a segment of the new generation.
    let p = reopened.append(rec(10)).await.unwrap();
    assert!(p > positions[9] && p.log == 2);
    assert_eq!(
        records(&reopened.recover().await.unwrap()),
        (0..11).map(rec).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn group_commit_takes_every_append_queued_during_a_sync() {
    let dir = tempfile::tempdir().unwrap();
    let (config, fp) = with_failpoints(dir.path());
    let wal = FileWal::open(config).await.unwrap();
    let before = wal.stats();

    fp.pause(BEFORE_SYNC);
    let first = wal.append(rec(0));
    reached(&fp, BEFORE_SYNC, 1).await;
    // The writer is inside commit 1; these 99 queue up behind it.
    let rest: Vec<_> = (1..100).map(|i| wal.append(rec(i))).collect();
    fp.release(BEFORE_SYNC);
    first.await.unwrap();
    for r in join_all(rest).await {
        r.unwrap();
    }

    let after = wal.stats();
    assert_eq!(after.appends - before.appends, 100);
    assert_eq!(
        after.commits - before.commits,
        2,
        "one commit for the first append, one for the 99 others"
    );
    assert_eq!(after.segments_created - before.segments_created, 1);
    // One data sync per commit, plus the new segment's file and directory syncs.
    assert_eq!(after.syncs - before.syncs, 2 + 2);
    assert_eq!(
        records(&wal.recover().await.unwrap()),
        (0..100).map(rec).collect::<Vec<_>>()
    );
}

/// Writes commits [r0] [r1] [r2] [r3] [r4] and returns the dir and the start of the last frame.
async fn five_commits() -> (tempfile::TempDir, u64) {
    let dir = tempfile::tempdir().unwrap();
    let wal = FileWal::open(FileWalConfig::new(dir.path(), 1, 1))
        .await
        .unwrap();
    let positions = append_each(&wal, (0..5).map(rec)).await;
    wal.close().await.unwrap();
    (dir, positions[3].offset)
}

fn copy_dir(from: &Path) -> tempfile::TempDir {
    let to = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.path().join(e.file_name())).unwrap();
    }
    to
}

#[tokio::test]
async fn a_torn_tail_replays_every_complete_commit_and_nothing_else() {
    let (pristine, last_frame) = five_commits().await;
    let len = std::fs::metadata(&segment_files(pristine.path())[0])
        .unwrap()
        .len();
    // Cut the file at every byte of the last frame: header, record header, payload.
    for cut in last_frame..len {
        let dir = copy_dir(pristine.path());
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(&segment_files(dir.path())[0])
            .unwrap();
        file.set_len(cut).unwrap();
        drop(file);
        let wal = FileWal::open(FileWalConfig::new(dir.path(), 1, 2))
            .await
            .unwrap();
        assert_eq!(
            records(&wal.recover().await.unwrap()),
            (0..4).map(rec).collect::<Vec<_>>(),
            "cut at {cut}"
        );
    }
}

#[tokio::test]
async fn zeros_after_the_last_commit_are_a_torn_tail() {
    let (dir, _) = five_commits().await;
    let path = &segment_files(dir.path())[0];
    let mut bytes = std::fs::read(path).unwrap();
    bytes.extend_from_slice(&[0u8; 4096]);
    std::fs::write(path, bytes).unwrap();
    let wal = FileWal::open(FileWalConfig::new(dir.path(), 1, 2))
        .await
        .unwrap();
    assert_eq!(
        records(&wal.recover().await.unwrap()),
        (0..5).map(rec).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn a_torn_commit_is_dropped_whole_and_stays_dropped_once_sealed() {
    let dir = tempfile::tempdir().unwrap();
    let (config, fp) = with_failpoints(dir.path());
    let wal = FileWal::open(config).await.unwrap();
    // Commit 1: [r0]. Commit 2: [r1, r2, r3], queued while commit 1 synced.
    fp.pause(BEFORE_SYNC);
    let first = wal.append(rec(0));
    reached(&fp, BEFORE_SYNC, 1).await;
    let rest: Vec<_> = (1..4).map(|i| wal.append(rec(i))).collect();
    fp.release(BEFORE_SYNC);
    let p0 = first.await.unwrap();
    let ps: Vec<_> = join_all(rest)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(wal.stats().commits, 2);
    wal.close().await.unwrap();

    // Cut inside r2: r1 is complete on disk, but its commit is torn, and none of it was acknowledged by a crash.
    let seg = &segment_files(dir.path())[0];
    std::fs::OpenOptions::new()
        .write(true)
        .open(seg)
        .unwrap()
        .set_len(ps[1].offset - 5)
        .unwrap();
    let wal = FileWal::open(FileWalConfig::new(dir.path(), 1, 2))
        .await
        .unwrap();
    let replayed = wal.recover().await.unwrap();
    assert_eq!(records(&replayed), vec![rec(0)]);
    assert_eq!(replayed[0].position, p0);

    // A later commit seals the torn segment at its good length; whatever lies beyond stays ignored.
    let p9 = wal.append(rec(9)).await.unwrap();
    wal.close().await.unwrap();
    let mut bytes = std::fs::read(seg).unwrap();
    bytes.extend_from_slice(b"garbage a fenced writer might still have written");
    std::fs::write(seg, bytes).unwrap();
    let wal = FileWal::open(FileWalConfig::new(dir.path(), 1, 3))
        .await
        .unwrap();
    let replayed = wal.recover().await.unwrap();
    assert_eq!(records(&replayed), vec![rec(0), rec(9)]);
    assert_eq!(replayed[1].position, p9);
}

fn flip_byte(path: &Path, at: u64) {
    let mut bytes = std::fs::read(path).unwrap();
    bytes[at as usize] ^= 0x5a;
    std::fs::write(path, bytes).unwrap();
}

#[tokio::test]
async fn a_bad_commit_followed_by_good_ones_is_corruption() {
    let dir = tempfile::tempdir().unwrap();
    let wal = FileWal::open(FileWalConfig::new(dir.path(), 1, 1))
        .await
        .unwrap();
    let positions = append_each(&wal, (0..3).map(rec)).await;
    wal.close().await.unwrap();
    let seg = segment_files(dir.path())[0].clone();

    // A payload byte of the middle record, then the magic of the middle frame.
    for at in [positions[1].offset - 3, positions[0].offset] {
        let damaged = copy_dir(dir.path());
        flip_byte(&segment_files(damaged.path())[0], at);
        let err = FileWal::open(FileWalConfig::new(damaged.path(), 1, 2))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Corrupt, "{err}");
        assert!(err.to_string().contains("good frames follow"), "{err}");
    }
    // The same damage in the last record is a torn tail.
    flip_byte(&seg, positions[2].offset - 3);
    let wal = FileWal::open(FileWalConfig::new(dir.path(), 1, 2))
        .await
        .unwrap();
    assert_eq!(
        records(&wal.recover().await.unwrap()),
        (0..2).map(rec).collect::<Vec<_>>()
    );
}

fn small_segments(
    dir: &Path,
    segment_bytes: u64,
    max_bytes: u64,
) -> (FileWalConfig, Arc<FailPoints>) {
    let (mut config, fp) = with_failpoints(dir);
    config.segment_bytes = segment_bytes;
    config.max_bytes = max_bytes;
    (config, fp)
}

#[tokio::test]
async fn sealed_segments_cut_short_or_missing_are_corruption() {
    let dir = tempfile::tempdir().unwrap();
    // 80-byte header + 3 frames of 168 bytes = 584: three records per segment.
    let (config, _) = small_segments(dir.path(), 600, 1 << 20);
    let wal = FileWal::open(config).await.unwrap();
    append_each(&wal, (0..9).map(rec100)).await;
    wal.close().await.unwrap();
    let files = segment_files(dir.path());
    assert_eq!(files.len(), 3);

    let cut = copy_dir(dir.path());
    let first = &segment_files(cut.path())[0];
    std::fs::OpenOptions::new()
        .write(true)
        .open(first)
        .unwrap()
        .set_len(584 - 1)
        .unwrap();
    let err = FileWal::open(FileWalConfig::new(cut.path(), 1, 2))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Corrupt, "{err}");

    let hole = copy_dir(dir.path());
    std::fs::remove_file(&segment_files(hole.path())[1]).unwrap();
    let err = FileWal::open(FileWalConfig::new(hole.path(), 1, 2))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Corrupt, "{err}");

    // Losing the oldest one is what a trim does: fine.
    std::fs::remove_file(&files[0]).unwrap();
    let wal = FileWal::open(FileWalConfig::new(dir.path(), 1, 2))
        .await
        .unwrap();
    assert_eq!(
        records(&wal.recover().await.unwrap()),
        (3..9).map(rec100).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn trims_delete_wholly_covered_segments_and_replay_skips_trimmed_records() {
    let dir = tempfile::tempdir().unwrap();
    let (config, _) = small_segments(dir.path(), 600, 1 << 20);
    let wal = FileWal::open(config.clone()).await.unwrap();
    let p = append_each(&wal, (0..10).map(rec100)).await;
    assert_eq!(segment_files(dir.path()).len(), 4);

    wal.trim(p[5]).await.unwrap(); // the last record of the second segment
    assert_eq!(segment_files(dir.path()).len(), 2);
    assert_eq!(wal.stats().segments_deleted, 2);
    assert_eq!(
        records(&wal.recover().await.unwrap()),
        (6..10).map(rec100).collect::<Vec<_>>()
    );
    wal.trim(p[1]).await.unwrap(); // backwards: nothing happens
    wal.trim(p[7]).await.unwrap(); // inside the third segment: it stays, its first records are not replayed
    assert_eq!(segment_files(dir.path()).len(), 2);
    assert_eq!(
        records(&wal.recover().await.unwrap()),
        (8..10).map(rec100).collect::<Vec<_>>()
    );
    assert_eq!(
        wal.trim(WalPosition {
            log: 1,
            segment: 9,
            offset: 100
        })
        .await
        .unwrap_err()
        .kind(),
        ErrorKind::Invalid
    );

    // Everything: the active segment cannot go, but its bytes no longer count.
    wal.trim(p[9]).await.unwrap();
    assert_eq!(segment_files(dir.path()).len(), 1);
    assert!(wal.recover().await.unwrap().is_empty());
    wal.close().await.unwrap();

    // Trims are not logged: after a restart the remaining segment is replayed whole (the engine filters).
    let wal = FileWal::open(FileWalConfig {
        node_epoch: 2,
        ..config
    })
    .await
    .unwrap();
    assert_eq!(records(&wal.recover().await.unwrap()), vec![rec100(9)]);
}

#[tokio::test]
async fn appends_wait_at_the_size_bound_until_a_trim_frees_space() {
    let dir = tempfile::tempdir().unwrap();
    // 80 + 5 * 168 = 920 bytes fit under 1024; the sixth append does not.
    let (config, fp) = small_segments(dir.path(), 1024, 1024);
    let wal = FileWal::open(config.clone()).await.unwrap();
    let p = append_each(&wal, (0..5).map(rec100)).await;

    let mut sixth = wal.append(rec100(5));
    reached(&fp, WAITING_FOR_SPACE, 1).await;
    assert!(
        (&mut sixth).now_or_never().is_none(),
        "the sixth append must wait for space"
    );
    let mut seventh = wal.append(rec100(6));
    assert!((&mut seventh).now_or_never().is_none());

    wal.trim(p[1]).await.unwrap();
    let p5 = sixth.await.unwrap();
    let p6 = seventh.await.unwrap();
    assert!(p[4] < p5 && p5 < p6);
    wal.close().await.unwrap();

    // Recovered bytes count too: a full WAL reopened makes the first append wait for a trim of recovered data.
    let (config, fp) = small_segments(dir.path(), 1024, 1024);
    let wal = FileWal::open(FileWalConfig {
        node_epoch: 2,
        ..config
    })
    .await
    .unwrap();
    let replayed = wal.recover().await.unwrap();
    assert_eq!(records(&replayed), (0..7).map(rec100).collect::<Vec<_>>());
    let mut next = wal.append(rec100(7));
    reached(&fp, WAITING_FOR_SPACE, 1).await;
    assert!((&mut next).now_or_never().is_none());
    wal.trim(replayed[6].position).await.unwrap();
    next.await.unwrap();
}

#[tokio::test]
async fn a_new_owner_fences_the_old_writer_and_replays_everything_it_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let (config, fp) = with_failpoints(dir.path());
    let a = FileWal::open(config).await.unwrap();
    let acked = append_each(&a, (0..3).map(rec)).await;

    // A's next commit is written but not yet synced when B takes the directory over.
    fp.pause(BEFORE_SYNC);
    let in_flight = a.append(rec(3));
    reached(&fp, BEFORE_SYNC, 4).await;
    let b = FileWal::open(FileWalConfig::new(dir.path(), 2, 7))
        .await
        .unwrap();
    assert_eq!(b.generation(), 2);
    let replayed = b.recover().await.unwrap();
    let positions: Vec<_> = replayed.iter().map(|r| r.position).collect();
    for (i, p) in acked.iter().enumerate() {
        assert!(
            positions.contains(p),
            "acknowledged record {i} at {p} missing from the survivor's replay"
        );
    }
    assert!(replayed.iter().all(|r| r.node == 1 && r.node_epoch == 1));

    fp.release(BEFORE_SYNC);
    let err = in_flight.await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Fenced, "{err}");
    assert_eq!(
        a.append(rec(4)).await.unwrap_err().kind(),
        ErrorKind::Fenced
    );
    assert_eq!(
        a.trim(acked[2]).await.unwrap_err().kind(),
        ErrorKind::Fenced
    );
    assert_eq!(a.close().await.unwrap_err().kind(), ErrorKind::Fenced);

    // The survivor writes on; a third owner sees A's acknowledged records, then B's.
    let pb = b.append(rec(10)).await.unwrap();
    b.close().await.unwrap();
    let c = FileWal::open(FileWalConfig::new(dir.path(), 3, 1))
        .await
        .unwrap();
    let replayed = c.recover().await.unwrap();
    let got = records(&replayed);
    assert_eq!(&got[..3], &(0..3).map(rec).collect::<Vec<_>>()[..]);
    assert_eq!(replayed.last().map(|r| (r.position, r.node)), Some((pb, 2)));
}

#[tokio::test]
async fn a_failed_sync_fails_its_appends_and_stops_the_wal_until_reopened() {
    let dir = tempfile::tempdir().unwrap();
    let (config, fp) = with_failpoints(dir.path());
    let wal = FileWal::open(config).await.unwrap();
    let acked = wal.append(rec(0)).await.unwrap();
    fp.fail(BEFORE_SYNC, 1);
    let err = wal.append(rec(1)).await.unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err}");
    // After a failed fdatasync the page cache cannot be trusted: everything after fails too.
    assert!(matches!(
        wal.append(rec(2)).await.unwrap_err(),
        Error::Io { .. }
    ));
    assert!(wal.close().await.is_err());

    let wal = FileWal::open(FileWalConfig::new(dir.path(), 1, 2))
        .await
        .unwrap();
    let replayed = wal.recover().await.unwrap();
    assert_eq!(replayed[0].position, acked);
    wal.append(rec(3)).await.unwrap();
}

#[tokio::test]
async fn records_larger_than_a_segment_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (config, _) = small_segments(dir.path(), 600, 1200);
    let wal = FileWal::open(config).await.unwrap();
    let big = WalRecord::new(1, 1, 0, 1, Bytes::from(vec![0u8; 600]));
    assert_eq!(
        wal.append(big).await.unwrap_err().kind(),
        ErrorKind::Invalid
    );
    wal.append(rec100(0)).await.unwrap();
    let bad = FileWalConfig {
        max_bytes: 100,
        ..FileWalConfig::new(dir.path(), 1, 1)
    };
    assert_eq!(
        FileWal::open(bad).await.unwrap_err().kind(),
        ErrorKind::Invalid
    );
}

/// Append latency of the file WAL at a few concurrency levels, on the disk under `AUTOMQ_BENCH_DIR` (default: the
/// system temp directory). `cargo test -p automq-stream --release -- --ignored --nocapture file_wal_latency`
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "benchmark: prints numbers, asserts nothing"]
async fn file_wal_latency() {
    let base = std::env::var_os("AUTOMQ_BENCH_DIR").map_or_else(std::env::temp_dir, PathBuf::from);
    let payload = Bytes::from(vec![7u8; 1024]);
    println!("file WAL, 1 KiB records, {}", base.display());
    println!(
        "{:>11} {:>9} {:>9} {:>9} {:>10} {:>10}",
        "concurrency", "p50 ms", "p99 ms", "max ms", "appends/s", "per sync"
    );
    for concurrency in [1usize, 4, 16, 64, 256] {
        let dir = tempfile::tempdir_in(&base).unwrap();
        let wal = Arc::new(
            FileWal::open(FileWalConfig::new(dir.path(), 1, 1))
                .await
                .unwrap(),
        );
        let per_task = (5000 / concurrency).max(50);
        let start = std::time::Instant::now();
        let tasks: Vec<_> = (0..concurrency)
            .map(|t| {
                let (wal, payload) = (wal.clone(), payload.clone());
                tokio::spawn(async move {
                    let mut latencies = Vec::with_capacity(per_task);
                    for i in 0..per_task {
                        let began = std::time::Instant::now();
                        wal.append(WalRecord::new(t as u64, 1, i as u64, 1, payload.clone()))
                            .await
                            .unwrap();
                        latencies.push(began.elapsed());
                    }
                    latencies
                })
            })
            .collect();
        let mut all: Vec<_> = join_all(tasks)
            .await
            .into_iter()
            .flat_map(Result::unwrap)
            .collect();
        let elapsed = start.elapsed();
        all.sort();
        let pct =
            |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)].as_secs_f64() * 1e3;
        let stats = wal.stats();
        println!(
            "{concurrency:>11} {:>9.2} {:>9.2} {:>9.2} {:>10.0} {:>10.1}",
            pct(0.50),
            pct(0.99),
            pct(1.0),
            all.len() as f64 / elapsed.as_secs_f64(),
            stats.appends as f64 / stats.commits as f64
        );
        wal.close().await.unwrap();
    }
}
