//! Listing: prefixes match whole path segments, delimiters fold sub-folders into common prefixes, long listings
//! page through the store's limit and resume from an offset, a fresh write is listed at once. Also the final
//! cleanup, which deletes everything the run wrote.

use std::collections::BTreeSet;

use futures::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

use crate::Cx;
use crate::cases::basic::record;
use crate::support::{Context, Outcome, ensure, list_keys, names};

async fn put_all(store: &dyn ObjectStore, keys: &[Path], concurrency: usize) -> Outcome {
    futures::stream::iter(keys.iter().cloned())
        .map(|key| async move {
            store
                .put(&key, PutPayload::from(key.to_string().into_bytes()))
                .await
                .ctx(format!("put `{key}`"))
        })
        .buffer_unordered(concurrency)
        .try_collect::<Vec<_>>()
        .await
        .map(|_| ())
}

fn differ(what: &str, got: &BTreeSet<String>, want: &BTreeSet<String>) -> String {
    let missing: Vec<_> = want.difference(got).take(5).collect();
    let extra: Vec<_> = got.difference(want).take(5).collect();
    format!(
        "{what}: listed {} keys, expected {}; missing {missing:?}, unexpected {extra:?}",
        got.len(),
        want.len()
    )
}

/// A prefix selects whole path segments: `a` lists `a/x` and `a/sub/y`, not `ab/z` or `a_b/z`.
pub async fn list_with_prefix(cx: &Cx) -> Outcome {
    let store = cx.store.as_ref();
    let inside = [cx.key("a/x1"), cx.key("a/x2"), cx.key("a/sub/x3")];
    let outside = [cx.key("ab/y"), cx.key("a_b/z"), cx.key("top")];
    put_all(store, &[inside.as_slice(), outside.as_slice()].concat(), 8).await?;

    let got = list_keys(store, &cx.key("a")).await?;
    let want = names(&inside);
    ensure!(got == want, "{}", differ("list of prefix `a`", &got, &want));

    let got = list_keys(store, &cx.key("ab")).await?;
    let want = names([&outside[0]]);
    ensure!(
        got == want,
        "{}",
        differ("list of prefix `ab`", &got, &want)
    );

    let got = list_keys(store, &cx.key("nothing-here")).await?;
    ensure!(
        got.is_empty(),
        "list of a prefix nothing was written under returned {got:?}"
    );

    let got = list_keys(store, &cx.base).await?;
    let want = names(inside.iter().chain(&outside));
    ensure!(
        got == want,
        "{}",
        differ("list of the case's folder", &got, &want)
    );
    Ok(())
}

/// With a delimiter, a listing shows the objects directly under the prefix and folds deeper keys into common
/// prefixes, one per sub-folder.
pub async fn list_with_delimiter(cx: &Cx) -> Outcome {
    let store = cx.store.as_ref();
    let direct = [cx.key("d/a"), cx.key("d/b")];
    let deeper = [
        cx.key("d/sub1/x"),
        cx.key("d/sub1/y"),
        cx.key("d/sub2/deep/z"),
    ];
    put_all(store, &[direct.as_slice(), deeper.as_slice()].concat(), 8).await?;

    let d = cx.key("d");
    let listed = store
        .list_with_delimiter(Some(&d))
        .await
        .ctx(format!("list `{d}` with a delimiter"))?;
    let objects: BTreeSet<String> = listed
        .objects
        .iter()
        .map(|m| m.location.to_string())
        .collect();
    let want = names(&direct);
    ensure!(
        objects == want,
        "{}",
        differ("objects of a delimited list of `d`", &objects, &want)
    );
    let prefixes = names(&listed.common_prefixes);
    let want = names(&[cx.key("d/sub1"), cx.key("d/sub2")]);
    ensure!(
        prefixes == want,
        "{}",
        differ(
            "common prefixes of a delimited list of `d`",
            &prefixes,
            &want
        )
    );

    let sub2 = cx.key("d/sub2");
    let listed = store
        .list_with_delimiter(Some(&sub2))
        .await
        .ctx(format!("list `{sub2}` with a delimiter"))?;
    ensure!(
        listed.objects.is_empty()
            && names(&listed.common_prefixes) == names([&cx.key("d/sub2/deep")]),
        "a delimited list of `{sub2}` should give only the common prefix `deep`, got objects {:?} and prefixes {:?}",
        names(listed.objects.iter().map(|m| &m.location)),
        names(&listed.common_prefixes)
    );
    Ok(())
}

/// More keys than one page of a listing (S3 pages at 1,000) all come back, once each; listing from an offset
/// resumes after it, whether the offset is a key or falls between keys.
pub async fn list_pagination(cx: &Cx) -> Outcome {
    let store = cx.store.as_ref();
    let n = cx.opts.list_keys;
    ensure!(n >= 2, "list_keys must be at least 2, is {n}");
    let keys: Vec<Path> = (0..n).map(|i| cx.key(&format!("page/k{i:06}"))).collect();
    put_all(store, &keys, 16).await?;
    let page = cx.key("page");

    let listed: Vec<String> = store
        .list(Some(&page))
        .map_ok(|m| m.location.to_string())
        .try_collect()
        .await
        .ctx(format!("list `{page}`"))?;
    let got: BTreeSet<String> = listed.iter().cloned().collect();
    let want = names(&keys);
    ensure!(
        listed.len() == n,
        "list of `{page}` returned {} entries for {n} keys ({} distinct)",
        listed.len(),
        got.len()
    );
    ensure!(
        got == want,
        "{}",
        differ("list of the page folder", &got, &want)
    );
    let sorted = listed.windows(2).all(|w| w[0] < w[1]);
    cx.observed().notes.push(format!(
        "a listing of {n} keys came back {}",
        if sorted { "in key order" } else { "unordered" }
    ));

    // Resume after a key near the end of the first S3 page.
    let at = (n.min(1_000) - 1).min(n - 2);
    let offset = keys[at].clone();
    let got: BTreeSet<String> = store
        .list_with_offset(Some(&page), &offset)
        .map_ok(|m| m.location.to_string())
        .try_collect()
        .await
        .ctx(format!("list `{page}` after `{offset}`"))?;
    let want = names(&keys[at + 1..]);
    ensure!(
        got == want,
        "{}",
        differ(&format!("list after the key `{offset}`"), &got, &want)
    );

    // An offset that is no key: `k000550x` sorts between `k000550` and `k000551`.
    let mid = n / 2;
    let between = cx.key(&format!("page/k{mid:06}x"));
    let got: BTreeSet<String> = store
        .list_with_offset(Some(&page), &between)
        .map_ok(|m| m.location.to_string())
        .try_collect()
        .await
        .ctx(format!("list `{page}` after `{between}`"))?;
    let want = names(&keys[mid + 1..]);
    ensure!(
        got == want,
        "{}",
        differ(
            &format!("list after `{between}`, between two keys"),
            &got,
            &want
        )
    );

    let delimited = store
        .list_with_delimiter(Some(&page))
        .await
        .ctx(format!("list `{page}` with a delimiter"))?;
    let got = names(delimited.objects.iter().map(|m| &m.location));
    ensure!(
        got == names(&keys) && delimited.common_prefixes.is_empty(),
        "{}",
        differ("delimited list of the page folder", &got, &names(&keys))
    );
    Ok(())
}

/// A key shows in a listing as soon as its put returns. Whether a delete is as quickly visible is recorded.
pub async fn list_after_write(cx: &Cx) -> Outcome {
    let outcome = list_after_write_checks(cx).await;
    record(cx, cx.declared.list_after_write, outcome, |o| {
        &mut o.list_after_write
    })
}

async fn list_after_write_checks(cx: &Cx) -> Outcome {
    let store = cx.store.as_ref();
    let folder = cx.key("fresh");
    let mut written = BTreeSet::new();
    for i in 0..20 {
        let key = cx.key(&format!("fresh/{i:03}"));
        store
            .put(&key, PutPayload::from(vec![i as u8; 100]))
            .await
            .ctx(format!("put `{key}`"))?;
        written.insert(key.to_string());
        let got = list_keys(store, &folder).await?;
        ensure!(
            got.contains(&key.to_string()),
            "`{key}` is missing from a list right after its put returned"
        );
        ensure!(
            got == written,
            "{}",
            differ("list right after a put", &got, &written)
        );
        let delimited = store
            .list_with_delimiter(Some(&folder))
            .await
            .ctx(format!("list `{folder}` with a delimiter"))?;
        ensure!(
            delimited.objects.iter().any(|m| m.location == key),
            "`{key}` is missing from a delimited list right after its put returned"
        );
    }

    let gone = cx.key("fresh/000");
    store.delete(&gone).await.ctx(format!("delete `{gone}`"))?;
    let got = list_keys(store, &folder).await?;
    cx.observed().notes.push(
        if got.contains(&gone.to_string()) {
            "a deleted key was still listed right after the delete"
        } else {
            "a deleted key leaves listings at once"
        }
        .into(),
    );
    Ok(())
}

/// Deletes everything the run wrote, through one bulk delete, and checks nothing is left listed. Runs last.
pub async fn cleanup(cx: &Cx) -> Outcome {
    let store = cx.store.as_ref();
    let root = cx.root.clone();
    let keys: Vec<Path> = store
        .list(Some(&root))
        .map_ok(|m| m.location)
        .try_collect()
        .await
        .ctx(format!("list `{root}`"))?;
    let deleted: Vec<Path> = store
        .delete_stream(futures::stream::iter(keys.clone().into_iter().map(Ok)).boxed())
        .try_collect()
        .await
        .ctx(format!(
            "bulk delete of the {} keys under `{root}`",
            keys.len()
        ))?;
    ensure!(
        names(&deleted) == names(&keys),
        "a bulk delete of {} keys reported {} deleted",
        keys.len(),
        deleted.len()
    );
    let left = list_keys(store, &root).await?;
    ensure!(
        left.is_empty(),
        "after deleting every key under `{root}`, {} are still listed, such as {:?}",
        left.len(),
        left.iter().take(3).collect::<Vec<_>>()
    );
    Ok(())
}
