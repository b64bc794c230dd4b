//! The [`Wal`] contract, written once and run against every WAL kind (and both test stores for the object WAL).

use std::sync::Arc;

use bytes::Bytes;
use futures::future::join_all;
use object_store::ObjectStore;
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path;

use super::*;
use crate::error::ErrorKind;

/// Each kind with what keeps its storage alive.
async fn kinds() -> Vec<(&'static str, Arc<dyn Wal>, tempfile::TempDir)> {
    let file_dir = tempfile::tempdir().unwrap();
    let file: Arc<dyn Wal> = Arc::new(
        FileWal::open(FileWalConfig::new(file_dir.path(), 1, 1))
            .await
            .unwrap(),
    );
    let object = |store: Arc<dyn ObjectStore>| async move {
        let config = ObjectWalConfig {
            writer_id: 7,
            ..ObjectWalConfig::new(Path::from("c"), 1, 1)
        };
        Arc::new(ObjectWal::open(store, config).await.unwrap()) as Arc<dyn Wal>
    };
    let local_dir = tempfile::tempdir().unwrap();
    let local = Arc::new(LocalFileSystem::new_with_prefix(local_dir.path()).unwrap());
    vec![
        ("file", file, file_dir),
        (
            "object on memory",
            object(Arc::new(InMemory::new())).await,
            tempfile::tempdir().unwrap(),
        ),
        (
            "object on a local directory",
            object(local).await,
            local_dir,
        ),
    ]
}

fn rec(i: u64) -> WalRecord {
    WalRecord::new(
        i % 5,
        2,
        i * 100,
        100,
        Bytes::from(vec![i as u8; (i as usize * 37) % 300]),
    )
}

#[tokio::test]
async fn every_kind_keeps_the_contract() {
    for (kind, wal, _storage) in kinds().await {
        // Order: positions and replay follow the order of `append` calls, concurrent or not.
        let futures: Vec<_> = (0..20).map(|i| wal.append(rec(i))).collect();
        let mut positions: Vec<_> = join_all(futures)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        positions.push(wal.append(rec(20)).await.unwrap());
        assert!(
            positions.windows(2).all(|w| w[0] < w[1]),
            "{kind}: {positions:?}"
        );
        let replayed = wal.recover().await.unwrap();
        assert_eq!(
            replayed
                .iter()
                .map(|r| r.record.clone())
                .collect::<Vec<_>>(),
            (0..21).map(rec).collect::<Vec<_>>()
        );
        assert_eq!(
            replayed.iter().map(|r| r.position).collect::<Vec<_>>(),
            positions,
            "{kind}"
        );
        assert!(
            replayed.iter().all(|r| (r.node, r.node_epoch) == (1, 1)),
            "{kind}"
        );

        // Trim: nothing at or before the trim point comes back; trimming backwards changes nothing.
        wal.trim(positions[9]).await.unwrap();
        wal.trim(positions[3]).await.unwrap();
        let rest = wal.recover().await.unwrap();
        assert_eq!(
            rest.iter().map(|r| r.position).collect::<Vec<_>>(),
            positions[10..],
            "{kind}"
        );

        // An empty payload is a record too.
        let empty = WalRecord::new(9, 9, 9, 0, Bytes::new());
        let p = wal.append(empty.clone()).await.unwrap();
        assert_eq!(
            wal.recover()
                .await
                .unwrap()
                .last()
                .map(|r| (r.position, r.record.clone())),
            Some((p, empty))
        );

        wal.close().await.unwrap();
        assert_eq!(
            wal.append(rec(0)).await.unwrap_err().kind(),
            ErrorKind::Closed,
            "{kind}"
        );
    }
}
