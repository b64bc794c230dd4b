//! Single-object operations: put, get, head, ranged reads, missing keys, delete, copy, rename.

use object_store::{GetOptions, GetRange, ObjectStoreExt, PutPayload};

use crate::support::{Context, Outcome, ensure, is_unsupported, kind, pattern, read, same};
use crate::{Cx, Seen};

/// Put then get and head; an overwrite replaces the object; an empty object is an object.
pub async fn put_get_head(cx: &Cx) -> Outcome {
    let store = cx.store.as_ref();
    let key = cx.key("object");
    let data = pattern(1, 100_000);
    let put = store
        .put(&key, PutPayload::from(data.clone()))
        .await
        .ctx(format!("put `{key}`"))?;

    let got = store.get(&key).await.ctx(format!("get `{key}`"))?;
    ensure!(
        got.meta.location == key,
        "get `{key}` names the object `{}`",
        got.meta.location
    );
    ensure!(
        got.meta.size == data.len() as u64,
        "get `{key}` says the size is {}, expected {}",
        got.meta.size,
        data.len()
    );
    let body = got.bytes().await.ctx(format!("reading `{key}`"))?;
    same(format!("get `{key}`"), &body, &data)?;

    let head = store.head(&key).await.ctx(format!("head `{key}`"))?;
    ensure!(
        head.location == key && head.size == data.len() as u64,
        "head `{key}` gives {} of {} bytes, expected {key} of {}",
        head.location,
        head.size,
        data.len()
    );
    if let (Some(put_tag), Some(head_tag)) = (&put.e_tag, &head.e_tag) {
        // Compare-and-swap hands the version a put returned back to the store: it must be the stored one.
        ensure!(
            put_tag == head_tag,
            "put `{key}` returned ETag {put_tag} but head shows {head_tag}"
        );
    }

    let smaller = pattern(2, 1_000);
    store
        .put(&key, PutPayload::from(smaller.clone()))
        .await
        .ctx(format!("overwrite `{key}`"))?;
    same(
        format!("get `{key}` after an overwrite"),
        &read(store, &key).await?,
        &smaller,
    )?;
    let head = store
        .head(&key)
        .await
        .ctx(format!("head `{key}` after an overwrite"))?;
    ensure!(
        head.size == 1_000,
        "head `{key}` after an overwrite with 1000 bytes says {}",
        head.size
    );

    let empty = cx.key("empty");
    store
        .put(&empty, PutPayload::new())
        .await
        .ctx(format!("put the empty object `{empty}`"))?;
    let body = read(store, &empty).await?;
    ensure!(
        body.is_empty(),
        "get `{empty}` returned {} bytes for an empty object",
        body.len()
    );
    let head = store.head(&empty).await.ctx(format!("head `{empty}`"))?;
    ensure!(head.size == 0, "head `{empty}` says {} bytes", head.size);
    Ok(())
}

/// Reading a key that was never written is `NotFound`, whether by get, head or a ranged get.
pub async fn get_missing_is_not_found(cx: &Cx) -> Outcome {
    let store = cx.store.as_ref();
    for key in [cx.key("never-written"), cx.key("no-such-dir/never-written")] {
        let get = store.get(&key).await.map(|_| ());
        let head = store.head(&key).await.map(|_| ());
        let range = store.get_range(&key, 0..10).await.map(|_| ());
        for (op, r) in [("get", get), ("head", head), ("ranged get", range)] {
            match r {
                Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => {
                    return Err(format!(
                        "{op} of missing `{key}`: expected NotFound, got {e}"
                    ));
                }
                Ok(()) => return Err(format!("{op} of missing `{key}` succeeded")),
            }
        }
    }
    Ok(())
}

/// Ranges at the start, middle and end come back exactly; a range running over the end is cut at the end; one
/// starting past the end is an error, not data.
pub async fn ranged_get(cx: &Cx) -> Outcome {
    let outcome = ranged_get_checks(cx).await;
    record(cx, cx.declared.ranged_reads, outcome, |o| {
        &mut o.ranged_reads
    })
}

async fn ranged_get_checks(cx: &Cx) -> Outcome {
    let store = cx.store.as_ref();
    let key = cx.key("ranged");
    let len = 100_000u64;
    let data = pattern(3, len as usize);
    store
        .put(&key, PutPayload::from(data.clone()))
        .await
        .ctx(format!("put `{key}`"))?;

    for range in [0..100, 40_000..40_100, len - 100..len, len - 1..len] {
        let got = store
            .get_range(&key, range.clone())
            .await
            .ctx(format!("get `{key}` bytes {range:?}"))?;
        same(
            format!("get `{key}` bytes {range:?}"),
            &got,
            &data[range.start as usize..range.end as usize],
        )?;
    }

    let over = len - 10..len + 500;
    let got = store
        .get_range(&key, over.clone())
        .await
        .ctx(format!("get `{key}` bytes {over:?}, running over the end"))?;
    same(
        format!("get `{key}` bytes {over:?} (cut at the end)"),
        &got,
        &data[(len - 10) as usize..],
    )?;

    let ranges = [0..10, 50_000..50_010, 99_990..100_000];
    let got = store
        .get_ranges(&key, &ranges)
        .await
        .ctx(format!("get_ranges `{key}`"))?;
    ensure!(
        got.len() == ranges.len(),
        "get_ranges `{key}` returned {} ranges for {}",
        got.len(),
        ranges.len()
    );
    for (r, b) in ranges.iter().zip(&got) {
        same(
            format!("get_ranges `{key}` {r:?}"),
            b,
            &data[r.start as usize..r.end as usize],
        )?;
    }

    let past = len..len + 100;
    match store.get_range(&key, past.clone()).await {
        Ok(b) => {
            return Err(format!(
                "get `{key}` bytes {past:?}, past the end of a {len}-byte object, returned {} bytes instead of an error",
                b.len()
            ));
        }
        Err(e @ object_store::Error::NotFound { .. }) => {
            return Err(format!(
                "get `{key}` bytes {past:?}, past the end: NotFound, though the object exists ({e})"
            ));
        }
        Err(e) => cx.observed().past_end_error = Some(first_line(&format!("{}: {e}", kind(&e)))),
    }
    Ok(())
}

/// Open-ended ranges: the last N bytes (`bytes=-N`) and everything from an offset (`bytes=N-`).
pub async fn ranged_get_suffix_and_offset(cx: &Cx) -> Outcome {
    let store = cx.store.as_ref();
    let key = cx.key("ranged");
    let len = 100_000u64;
    let data = pattern(8, len as usize);
    store
        .put(&key, PutPayload::from(data.clone()))
        .await
        .ctx(format!("put `{key}`"))?;
    // Both forms are checked, so a report shows every one that is wrong.
    let mut wrong = Vec::new();
    for (what, range, want) in [
        (
            "the last 1000 bytes",
            GetRange::Suffix(1_000),
            len - 1_000..len,
        ),
        ("from byte 99000", GetRange::Offset(99_000), 99_000..len),
    ] {
        let check = async {
            let got = store
                .get_opts(&key, GetOptions::new().with_range(Some(range)))
                .await
                .ctx(format!("get `{key}` {what}"))?;
            ensure!(
                got.range == want,
                "get `{key}` {what}: the store says it returned {:?}, expected {want:?}",
                got.range
            );
            let body = got.bytes().await.ctx(format!("reading `{key}` {what}"))?;
            same(
                format!("get `{key}` {what}"),
                &body,
                &data[want.start as usize..want.end as usize],
            )
        };
        if let Err(e) = check.await {
            wrong.push(e);
        }
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(wrong.join("; "))
    }
}

/// The first line of a message, at most 200 characters: S3 errors carry whole XML bodies.
fn first_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or_default();
    match line.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", &line[..i]),
        None => line.to_string(),
    }
}

/// Records what a check of a capability saw, and fails the case only if the capability is declared.
pub(crate) fn record(
    cx: &Cx,
    declared: bool,
    outcome: Outcome,
    field: impl FnOnce(&mut crate::Observed) -> &mut Seen,
) -> Outcome {
    let seen = match &outcome {
        Ok(()) => Seen::Works,
        Err(e) => Seen::Broken(e.clone()),
    };
    *field(&mut cx.observed()) = seen;
    if declared { outcome } else { Ok(()) }
}

/// A deleted key is gone; deleting a missing key is either fine or `NotFound`, as `object_store` allows.
pub async fn delete(cx: &Cx) -> Outcome {
    let store = cx.store.as_ref();
    let key = cx.key("doomed");
    store
        .put(&key, PutPayload::from_static(b"short-lived"))
        .await
        .ctx(format!("put `{key}`"))?;
    store.delete(&key).await.ctx(format!("delete `{key}`"))?;
    match store.get(&key).await {
        Err(object_store::Error::NotFound { .. }) => {}
        Err(e) => {
            return Err(format!(
                "get of deleted `{key}`: expected NotFound, got {e}"
            ));
        }
        Ok(_) => return Err(format!("get of deleted `{key}` still returns it")),
    }
    match store.head(&key).await {
        Err(object_store::Error::NotFound { .. }) => {}
        Err(e) => {
            return Err(format!(
                "head of deleted `{key}`: expected NotFound, got {e}"
            ));
        }
        Ok(_) => return Err(format!("head of deleted `{key}` still finds it")),
    }

    let mut seen = Vec::new();
    for missing in [key.clone(), cx.key("no-such-dir/never-written")] {
        match store.delete(&missing).await {
            Ok(()) => seen.push("ok"),
            Err(object_store::Error::NotFound { .. }) => seen.push("NotFound"),
            Err(e) => {
                return Err(format!(
                    "delete of missing `{missing}`: expected success or NotFound, got {e}"
                ));
            }
        }
    }
    seen.dedup();
    cx.observed().delete_missing = Some(seen.join(" or "));
    Ok(())
}

/// Copy duplicates an object and overwrites the target; copying a missing key is `NotFound`. Copy-if-absent is
/// recorded: refused or honoured, but never a silent overwrite.
pub async fn copy(cx: &Cx) -> Outcome {
    let store = cx.store.as_ref();
    let src = cx.key("src");
    let data = pattern(4, 10_000);
    store
        .put(&src, PutPayload::from(data.clone()))
        .await
        .ctx(format!("put `{src}`"))?;

    let dst = cx.key("dst");
    store
        .copy(&src, &dst)
        .await
        .ctx(format!("copy `{src}` to `{dst}`"))?;
    same(
        format!("`{dst}` after a copy"),
        &read(store, &dst).await?,
        &data,
    )?;
    same(
        format!("`{src}` after a copy"),
        &read(store, &src).await?,
        &data,
    )?;

    let taken = cx.key("taken");
    let before = pattern(5, 500);
    store
        .put(&taken, PutPayload::from(before.clone()))
        .await
        .ctx(format!("put `{taken}`"))?;
    match store.copy_if_not_exists(&src, &taken).await {
        Err(object_store::Error::AlreadyExists { .. }) => {
            let fresh = cx.key("fresh");
            store
                .copy_if_not_exists(&src, &fresh)
                .await
                .ctx(format!("copy-if-absent `{src}` to the new key `{fresh}`"))?;
            same(format!("`{fresh}`"), &read(store, &fresh).await?, &data)?;
            cx.observed().copy_if_not_exists = Seen::Works;
        }
        Err(e) if is_unsupported(&e) => {
            cx.observed().copy_if_not_exists = Seen::Refused(kind(&e).into());
        }
        Err(e) => {
            return Err(format!(
                "copy-if-absent onto the existing `{taken}`: expected AlreadyExists or a refusal, got {e}"
            ));
        }
        Ok(()) => {
            cx.observed().copy_if_not_exists =
                Seen::Broken("copy-if-absent succeeded onto an existing key".into());
            return Err(format!(
                "copy-if-absent onto the existing `{taken}` succeeded instead of failing"
            ));
        }
    }
    same(
        format!("`{taken}` after a refused copy-if-absent"),
        &read(store, &taken).await?,
        &before,
    )?;

    store
        .copy(&src, &taken)
        .await
        .ctx(format!("copy `{src}` over the existing `{taken}`"))?;
    same(
        format!("`{taken}` after an overwriting copy"),
        &read(store, &taken).await?,
        &data,
    )?;

    let missing = cx.key("never-written");
    match store.copy(&missing, &cx.key("nowhere")).await {
        Err(object_store::Error::NotFound { .. }) => Ok(()),
        Err(e) => Err(format!(
            "copy of missing `{missing}`: expected NotFound, got {e}"
        )),
        Ok(()) => Err(format!("copy of missing `{missing}` succeeded")),
    }
}

/// Rename moves an object (the source is gone) and overwrites the target; a store that has no rename says so.
pub async fn rename(cx: &Cx) -> Outcome {
    let store = cx.store.as_ref();
    let src = cx.key("src");
    let dst = cx.key("dst");
    let data = pattern(6, 10_000);
    store
        .put(&src, PutPayload::from(data.clone()))
        .await
        .ctx(format!("put `{src}`"))?;
    match store.rename(&src, &dst).await {
        Ok(()) => {}
        Err(e) if is_unsupported(&e) => {
            cx.observed().rename = Seen::Refused(kind(&e).into());
            return Ok(());
        }
        Err(e) => return Err(format!("rename `{src}` to `{dst}`: {e}")),
    }
    same(
        format!("`{dst}` after a rename"),
        &read(store, &dst).await?,
        &data,
    )?;
    match store.head(&src).await {
        Err(object_store::Error::NotFound { .. }) => {}
        Err(e) => {
            return Err(format!(
                "head of renamed-away `{src}`: expected NotFound, got {e}"
            ));
        }
        Ok(_) => {
            return Err(format!(
                "`{src}` still exists after being renamed to `{dst}`"
            ));
        }
    }

    let other = pattern(7, 3_000);
    store
        .put(&src, PutPayload::from(other.clone()))
        .await
        .ctx(format!("put `{src}` again"))?;
    store
        .rename(&src, &dst)
        .await
        .ctx(format!("rename `{src}` over the existing `{dst}`"))?;
    same(
        format!("`{dst}` after an overwriting rename"),
        &read(store, &dst).await?,
        &other,
    )?;
    cx.observed().rename = Seen::Works;

    let third = cx.key("third");
    store
        .put(&third, PutPayload::from_static(b"third"))
        .await
        .ctx(format!("put `{third}`"))?;
    let note = match store.rename_if_not_exists(&third, &dst).await {
        Err(object_store::Error::AlreadyExists { .. }) => "refused with AlreadyExists".to_string(),
        Err(e) if is_unsupported(&e) => format!("not offered ({})", kind(&e)),
        Err(e) => format!("failed: {e}"),
        Ok(()) => {
            return Err(format!(
                "rename-if-absent of `{third}` onto the existing `{dst}` succeeded"
            ));
        }
    };
    same(
        format!("`{dst}` after a refused rename-if-absent"),
        &read(store, &dst).await?,
        &other,
    )?;
    cx.observed()
        .notes
        .push(format!("rename-if-absent onto an existing key: {note}"));
    Ok(())
}
