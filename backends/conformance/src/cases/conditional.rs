//! Conditional writes, the ground metadata and fencing stand on.
//!
//! Create-if-absent (`PutMode::Create`): when declared, exactly one of many racing writers wins each round and the
//! stored bytes are the winner's; when declared absent, every attempt is refused as unsupported and nothing is
//! written. Conditional update (`PutMode::Update`): when declared, the version a put returned updates the object,
//! a stale version fails with `Precondition`, and exactly one of many writers racing from one version wins. When
//! not declared, what the store does is only recorded.

use std::sync::Arc;

use bytes::Bytes;
use object_store::path::Path;
use object_store::{
    ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, PutResult, UpdateVersion,
};

use crate::support::{
    Context, Outcome, ensure, is_unsupported, kind, list_keys, pattern, read, same,
};
use crate::{Cx, Seen, Tally};

fn create() -> PutOptions {
    PutOptions::from(PutMode::Create)
}

fn update(version: &PutResult) -> PutOptions {
    PutOptions::from(PutMode::Update(UpdateVersion::from(version.clone())))
}

/// One writer's bytes and what its put returned.
type Attempt = (Bytes, object_store::Result<PutResult>);

/// Starts `writers` puts of distinct bytes to one key with the same mode, released together.
async fn race(
    store: &Arc<dyn ObjectStore>,
    key: &Path,
    writers: u32,
    mode: &PutMode,
    seed: u64,
) -> Result<Vec<Attempt>, String> {
    let barrier = Arc::new(tokio::sync::Barrier::new(writers as usize));
    let tasks: Vec<_> = (0..writers)
        .map(|w| {
            let (store, key, barrier) = (store.clone(), key.clone(), barrier.clone());
            let opts = PutOptions::from(mode.clone());
            let bytes = pattern(seed * 1_000 + u64::from(w), 4_096 + w as usize);
            tokio::spawn(async move {
                barrier.wait().await;
                let r = store
                    .put_opts(&key, PutPayload::from(bytes.clone()), opts)
                    .await;
                (bytes, r)
            })
        })
        .collect();
    let mut attempts = Vec::with_capacity(tasks.len());
    for t in tasks {
        attempts.push(
            t.await
                .map_err(|e| format!("a racing writer to `{key}` died: {e}"))?,
        );
    }
    Ok(attempts)
}

/// How one round of a race went: who won, who was turned away as expected, who failed otherwise.
struct Round {
    winners: Vec<Bytes>,
    turned_away: usize,
    other: Vec<String>,
}

fn tally_round(
    attempts: Vec<Attempt>,
    expected_refusal: fn(&object_store::Error) -> bool,
) -> Round {
    let mut round = Round {
        winners: Vec::new(),
        turned_away: 0,
        other: Vec::new(),
    };
    for (bytes, r) in attempts {
        match r {
            Ok(_) => round.winners.push(bytes),
            Err(e) if expected_refusal(&e) => round.turned_away += 1,
            Err(e) => round.other.push(format!("{}: {e}", kind(&e))),
        }
    }
    round
}

/// Runs the rounds of a race and checks each: the count of winners, and that the stored bytes are a winner's.
/// Returns the tally and the first problem seen, if any.
async fn race_rounds(
    cx: &Cx,
    folder: &str,
    prepare: impl AsyncFn(u32) -> Result<(Path, PutMode), String>,
    expected_refusal: fn(&object_store::Error) -> bool,
    refusal_name: &str,
) -> Result<(Tally, Option<String>), String> {
    let mut tally = Tally::default();
    let mut problem = None;
    for round in 0..cx.opts.race_rounds {
        let (key, mode) = prepare(round).await?;
        let attempts = race(
            &cx.store,
            &key,
            cx.opts.race_writers,
            &mode,
            u64::from(round) + 1,
        )
        .await?;
        let r = tally_round(attempts, expected_refusal);
        tally.rounds += 1;
        tally.max_winners = tally.max_winners.max(r.winners.len() as u32);
        if r.winners.len() == 1 && r.other.is_empty() {
            tally.exactly_one += 1;
        }
        let stored = read(cx.store.as_ref(), &key).await;
        let trouble = if !r.other.is_empty() {
            Some(format!(
                "{} of {} writers failed with something other than {refusal_name}, first: {}",
                r.other.len(),
                cx.opts.race_writers,
                r.other[0]
            ))
        } else if r.winners.len() != 1 {
            Some(format!(
                "{} of {} writers were told they won, {} got {refusal_name}",
                r.winners.len(),
                cx.opts.race_writers,
                r.turned_away
            ))
        } else if let Err(e) = &stored {
            Some(format!("reading the winner's object back: {e}"))
        } else if !stored.as_ref().is_ok_and(|s| r.winners.contains(s)) {
            Some("the stored bytes are not the winner's".to_string())
        } else {
            None
        };
        if let (Some(t), None) = (trouble, &problem) {
            problem = Some(format!("{folder} round {round} (`{key}`): {t}"));
        }
    }
    Ok((tally, problem))
}

/// Create-if-absent on one key at a time: a new key is written, an existing one is refused and kept; a store
/// declaring it absent refuses every attempt and writes nothing.
pub async fn create_if_absent(cx: &Cx) -> Outcome {
    let store = cx.store.as_ref();
    let key = cx.key("new");
    let first = pattern(20, 2_000);
    let second = pattern(21, 3_000);
    let attempt = store
        .put_opts(&key, PutPayload::from(first.clone()), create())
        .await;

    if !cx.declared.create_if_absent {
        return match attempt {
            Err(e) if is_unsupported(&e) => {
                cx.observed().create_if_absent = Seen::Refused(kind(&e).into());
                match store.head(&key).await {
                    Err(object_store::Error::NotFound { .. }) => {}
                    Err(e) => return Err(format!("head `{key}` after a refused create: {e}")),
                    Ok(_) => {
                        return Err(format!(
                            "a create-if-absent refused as unsupported still wrote `{key}`"
                        ));
                    }
                }
                let existing = cx.key("existing");
                store
                    .put(&existing, PutPayload::from(first.clone()))
                    .await
                    .ctx(format!("put `{existing}`"))?;
                match store
                    .put_opts(&existing, PutPayload::from(second), create())
                    .await
                {
                    Err(e) if is_unsupported(&e) => {}
                    Err(e) => {
                        return Err(format!(
                            "create-if-absent on the existing `{existing}`, declared unsupported: expected \
                             NotImplemented, got {e}"
                        ));
                    }
                    Ok(_) => {
                        return Err(format!(
                            "create-if-absent is declared unsupported, yet a create on the existing `{existing}` \
                             succeeded"
                        ));
                    }
                }
                same(
                    format!("`{existing}` after a refused create"),
                    &read(store, &existing).await?,
                    &first,
                )
            }
            Err(e) => {
                cx.observed().create_if_absent = Seen::Broken(format!("failed: {e}"));
                Err(format!(
                    "create-if-absent is declared unsupported, so a create of `{key}` must fail as not \
                     implemented; it failed with {e}"
                ))
            }
            Ok(_) => {
                cx.observed().create_if_absent =
                    Seen::Broken("declared absent but accepted".into());
                Err(format!(
                    "create-if-absent is declared unsupported, yet a create of `{key}` succeeded: the store \
                     must refuse it, not write"
                ))
            }
        };
    }

    let checks = async {
        attempt.ctx(format!("create-if-absent of the new key `{key}`"))?;
        same(
            format!("`{key}` after a create"),
            &read(store, &key).await?,
            &first,
        )?;
        match store
            .put_opts(&key, PutPayload::from(second.clone()), create())
            .await
        {
            Err(object_store::Error::AlreadyExists { .. }) => {}
            Err(e) => {
                return Err(format!(
                    "a second create of `{key}`: expected AlreadyExists, got {e}"
                ));
            }
            Ok(_) => return Err(format!("a second create of `{key}` succeeded")),
        }
        same(
            format!("`{key}` after a refused second create"),
            &read(store, &key).await?,
            &first,
        )
    };
    let outcome = checks.await;
    cx.observed().create_if_absent = match &outcome {
        Ok(()) => Seen::Works,
        Err(e) => Seen::Broken(e.clone()),
    };
    outcome
}

/// Rounds of writers racing to create one new key. Declared: exactly one wins every round, the rest get
/// `AlreadyExists`, the stored bytes are the winner's. Declared absent: every attempt is refused and nothing is
/// written.
pub async fn create_if_absent_race(cx: &Cx) -> Outcome {
    let store = cx.store.clone();
    let writers = cx.opts.race_writers;
    if !cx.declared.create_if_absent {
        for round in 0..cx.opts.race_rounds {
            let key = cx.key(&format!("round-{round:03}"));
            let attempts = race(
                &store,
                &key,
                writers,
                &PutMode::Create,
                u64::from(round) + 1,
            )
            .await?;
            let r = tally_round(attempts, is_unsupported);
            ensure!(
                r.winners.is_empty() && r.other.is_empty(),
                "round {round} (`{key}`): create-if-absent is declared unsupported, yet {} of {writers} \
                 creates succeeded and {} failed otherwise{}",
                r.winners.len(),
                r.other.len(),
                r.other
                    .first()
                    .map(|e| format!(" ({e})"))
                    .unwrap_or_default()
            );
            match store.head(&key).await {
                Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(format!("head `{key}` after refused creates: {e}")),
                Ok(_) => return Err(format!("refused creates still wrote `{key}`")),
            }
        }
        return Ok(());
    }

    let (tally, problem) = race_rounds(
        cx,
        "create race",
        async |round| Ok((cx.key(&format!("round-{round:03}")), PutMode::Create)),
        |e| matches!(e, object_store::Error::AlreadyExists { .. }),
        "AlreadyExists",
    )
    .await?;
    {
        let mut o = cx.observed();
        o.create_race = Some(tally);
        if tally.exactly_one < tally.rounds {
            o.create_if_absent = Seen::Broken(format!(
                "{} of {} race rounds not won by exactly one",
                tally.rounds - tally.exactly_one,
                tally.rounds
            ));
        }
    }

    match problem {
        None => Ok(()),
        Some(p) => Err(format!(
            "{p}; {} of {} rounds were won by exactly one writer",
            tally.exactly_one, tally.rounds
        )),
    }
}

/// A lost create leaves nothing a listing shows: after a few rounds of racing creates, the folder lists exactly
/// the raced keys. (A store that stages writes under temporary names and does not remove them on failure fills
/// listings with debris that readers of a folder would trip over.)
pub async fn lost_creates_leave_nothing_listed(cx: &Cx) -> Outcome {
    if !cx.declared.create_if_absent {
        return Ok(());
    }
    let rounds = cx.opts.race_rounds.min(3);
    let mut raced = std::collections::BTreeSet::new();
    for round in 0..rounds {
        let key = cx.key(&format!("round-{round:03}"));
        race(
            &cx.store,
            &key,
            cx.opts.race_writers,
            &PutMode::Create,
            u64::from(round) + 100,
        )
        .await?;
        raced.insert(key.to_string());
    }
    let listed = list_keys(cx.store.as_ref(), &cx.base).await?;
    let strays: Vec<_> = listed.difference(&raced).collect();
    if strays.is_empty() {
        return Ok(());
    }
    let finding = format!(
        "{} rounds of {} racing creates left {} objects listed besides the raced keys, such as `{}`",
        rounds,
        cx.opts.race_writers,
        strays.len(),
        strays[0]
    );
    cx.observed().notes.push(finding.clone());
    Err(finding)
}

/// Compare-and-swap on the version a put returned: the current version updates, a stale one fails with
/// `Precondition` and changes nothing, a missing object fails with `Precondition`. Asserted when declared;
/// otherwise only recorded.
pub async fn conditional_update(cx: &Cx) -> Outcome {
    let seen = update_checks(cx).await?;
    let declared = cx.declared.conditional_update;
    let outcome = match (&seen, declared) {
        (Seen::Works, _) | (_, false) => Ok(()),
        (other, true) => Err(format!(
            "conditional update is declared, but {}",
            match other {
                Seen::Refused(why) => format!("it is refused ({why})"),
                Seen::Broken(how) => how.clone(),
                _ => "it was not checked".into(),
            }
        )),
    };
    cx.observed().conditional_update = seen;
    outcome
}

/// What compare-and-swap does on this store. `Err` only when the store cannot even be read back.
async fn update_checks(cx: &Cx) -> Result<Seen, String> {
    let store = cx.store.as_ref();
    let key = cx.key("cas");
    let v1 = pattern(30, 1_000);
    let v2 = pattern(31, 1_100);
    let v3 = pattern(32, 1_200);
    let v4 = pattern(33, 1_300);
    let r1 = store
        .put(&key, PutPayload::from(v1.clone()))
        .await
        .ctx(format!("put `{key}`"))?;

    let r2 = match store
        .put_opts(&key, PutPayload::from(v2.clone()), update(&r1))
        .await
    {
        Ok(r2) => r2,
        Err(e) if is_unsupported(&e) => return Ok(Seen::Refused(kind(&e).into())),
        Err(object_store::Error::Precondition { .. }) => {
            return Ok(Seen::Broken(
                "refuses the version its own put returned (Precondition)".into(),
            ));
        }
        Err(e) => {
            return Ok(Seen::Broken(format!(
                "an update from the current version failed: {e}"
            )));
        }
    };
    let now = read(store, &key).await?;
    if now != v2 {
        return Ok(Seen::Broken(
            "an update reported success but the object does not hold its bytes".into(),
        ));
    }

    match store
        .put_opts(&key, PutPayload::from(v3), update(&r1))
        .await
    {
        Err(object_store::Error::Precondition { .. }) => {}
        Ok(_) => {
            let now = read(store, &key).await?;
            return Ok(Seen::Broken(if now == v2 {
                "an update from a stale version reported success (nothing changed)".into()
            } else {
                "an update from a stale version overwrote the object".into()
            }));
        }
        Err(e) => {
            return Ok(Seen::Broken(format!(
                "an update from a stale version failed with {} instead of Precondition: {e}",
                kind(&e)
            )));
        }
    }
    if read(store, &key).await? != v2 {
        return Ok(Seen::Broken(
            "a refused stale update changed the object".into(),
        ));
    }

    if let Err(e) = store
        .put_opts(&key, PutPayload::from(v4.clone()), update(&r2))
        .await
    {
        return Ok(Seen::Broken(format!(
            "a second update, from the version the first returned, failed: {e}"
        )));
    }
    if read(store, &key).await? != v4 {
        return Ok(Seen::Broken(
            "a second update reported success but the object does not hold its bytes".into(),
        ));
    }

    let missing = cx.key("cas-missing");
    match store
        .put_opts(&missing, PutPayload::from_static(b"x"), update(&r1))
        .await
    {
        Err(object_store::Error::Precondition { .. }) => Ok(Seen::Works),
        Ok(_) => Ok(Seen::Broken(
            "an update of a missing object succeeded and created it".into(),
        )),
        Err(e) => Ok(Seen::Broken(format!(
            "an update of a missing object failed with {} instead of Precondition: {e}",
            kind(&e)
        ))),
    }
}

/// Rounds of writers racing to update one object from the same version: exactly one may win. Asserted when
/// conditional update is declared; recorded when the store takes updates without declaring them.
pub async fn conditional_update_race(cx: &Cx) -> Outcome {
    let works = cx.observed().conditional_update == Seen::Works;
    if !works {
        return if cx.declared.conditional_update {
            Err("not run: conditional update does not work at all (see conditional_update)".into())
        } else {
            Ok(())
        };
    }
    let (tally, problem) = race_rounds(
        cx,
        "update race",
        async |round| {
            // Each round races from a fresh version of its own key.
            let key = cx.key(&format!("contended-{round:03}"));
            let base = cx
                .store
                .put(&key, PutPayload::from(pattern(40 + u64::from(round), 500)))
                .await
                .ctx(format!("put `{key}`"))?;
            Ok((key, PutMode::Update(UpdateVersion::from(base))))
        },
        |e| matches!(e, object_store::Error::Precondition { .. }),
        "Precondition",
    )
    .await?;
    cx.observed().update_race = Some(tally);
    match problem {
        None => Ok(()),
        Some(p) if cx.declared.conditional_update => {
            cx.observed().conditional_update = Seen::Broken(format!(
                "not atomic: {} of {} race rounds not won by exactly one",
                tally.rounds - tally.exactly_one,
                tally.rounds
            ));
            Err(format!(
                "{p}; {} of {} rounds were won by exactly one writer",
                tally.exactly_one, tally.rounds
            ))
        }
        Some(p) => {
            cx.observed().notes.push(format!(
                "conditional update (not declared) under a race: {p}"
            ));
            Ok(())
        }
    }
}
