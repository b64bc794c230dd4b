//! Multipart uploads at the sizes the engine writes: parts uploaded concurrently, the object read back whole and
//! by ranges that cross part boundaries. An aborted upload leaves no object.

use object_store::{ObjectStoreExt, PutPayload};

use crate::Cx;
use crate::cases::basic::record;
use crate::support::{Context, Outcome, ensure, pattern, read, same};

pub async fn multipart_upload(cx: &Cx) -> Outcome {
    let outcome = multipart_checks(cx).await;
    record(cx, cx.declared.multipart, outcome, |o| &mut o.multipart)
}

async fn multipart_checks(cx: &Cx) -> Outcome {
    let store = cx.store.as_ref();
    let part = cx.opts.part_size;
    ensure!(part > 0, "part_size must not be zero");
    for (i, &size) in cx.opts.multipart_sizes.iter().enumerate() {
        ensure!(
            size >= 2_000,
            "multipart sizes must be at least 2000 bytes, got {size}"
        );
        let key = cx.key(&format!("object-{size}"));
        let data = pattern(100 + i as u64, size);
        let mut upload = store
            .put_multipart(&key)
            .await
            .ctx(format!("start a multipart upload of `{key}`"))?;
        // All parts in flight at once: the store must assemble them by part number, not by arrival.
        let parts: Vec<_> = (0..size)
            .step_by(part)
            .map(|start| {
                upload.put_part(PutPayload::from(
                    data.slice(start..(start + part).min(size)),
                ))
            })
            .collect();
        let count = parts.len();
        futures::future::try_join_all(parts)
            .await
            .ctx(format!("upload the {count} parts of `{key}`"))?;
        upload.complete().await.ctx(format!(
            "complete the multipart upload of `{key}` ({count} parts)"
        ))?;

        let head = store.head(&key).await.ctx(format!("head `{key}`"))?;
        ensure!(
            head.size == size as u64,
            "head `{key}` says {} bytes after uploading {size} in {count} parts",
            head.size
        );
        same(format!("get `{key}`"), &read(store, &key).await?, &data)?;

        let mut ranges = vec![0..1_000, size - 1_000..size];
        for boundary in (part..size).step_by(part) {
            ranges.push(boundary - 500..boundary + 500);
        }
        for r in ranges {
            let got = store
                .get_range(&key, r.start as u64..r.end as u64)
                .await
                .ctx(format!("get `{key}` bytes {r:?}"))?;
            same(format!("get `{key}` bytes {r:?}"), &got, &data[r])?;
        }
    }

    Ok(())
}

/// An aborted multipart upload leaves no object behind.
pub async fn multipart_abort(cx: &Cx) -> Outcome {
    if !cx.declared.multipart {
        return Ok(());
    }
    let store = cx.store.as_ref();
    let part = cx.opts.part_size;
    let aborted = cx.key("aborted");
    let mut upload = store
        .put_multipart(&aborted)
        .await
        .ctx(format!("start a multipart upload of `{aborted}`"))?;
    upload
        .put_part(PutPayload::from(pattern(99, part)))
        .await
        .ctx(format!("upload a part of `{aborted}`"))?;
    upload
        .abort()
        .await
        .ctx(format!("abort the multipart upload of `{aborted}`"))?;
    match store.head(&aborted).await {
        Err(object_store::Error::NotFound { .. }) => Ok(()),
        Err(e) => Err(format!(
            "head `{aborted}` after an aborted upload: expected NotFound, got {e}"
        )),
        Ok(m) => Err(format!(
            "an aborted multipart upload left `{aborted}` behind ({} bytes)",
            m.size
        )),
    }
}
