//! `verify` against tampering done directly in the database, with SQL, as someone with write
//! access to it could: each kind is caught, and the first bad event is named.

use golive::store::event::{self, Broken, Event, Problem};
use serde_json::json;

use super::{Fixture, first_bad, five, tick};

on_both_backends!(
    verify_detects_an_edited_field,
    verify_detects_a_reencoded_payload,
    verify_detects_an_unparsable_payload,
    verify_detects_a_deleted_event,
    verify_detects_a_forged_replacement,
    verify_detects_a_forged_insertion_with_renumbering,
    verify_detects_a_forged_event_appended_off_the_chain,
    verify_detects_swapped_events,
    an_anchor_detects_events_deleted_from_the_end,
);

/// An SQL literal, quotes doubled: the same in both dialects.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn insert(event: &Event) -> String {
    let item = event
        .item
        .as_deref()
        .map_or_else(|| "NULL".to_string(), literal);
    format!(
        "INSERT INTO events (seq, at, checklist, kind, item, actor, payload, prev_hash, hash) \
         VALUES ({}, {}, {}, {}, {item}, {}, {}, {}, {})",
        event.seq,
        literal(&event.at),
        literal(&event.checklist),
        literal(&event.kind),
        literal(&event.actor),
        literal(&event::canonical_json(&event.payload)),
        literal(&event.prev_hash),
        literal(&event.hash),
    )
}

/// A well-formed event at `seq` after `previous`, as a forger who knows the scheme makes it.
fn forged(seq: i64, previous: &Event) -> Event {
    let new = tick("launch.md", "forged", json!({"done": true}));
    Event::seal(new, seq, event::now(), previous.hash.clone())
}

async fn verify_detects_an_edited_field(fixture: &Fixture) {
    let store = fixture.open().await;
    five(&store).await;
    fixture
        .tamper("UPDATE events SET actor = 'mallory' WHERE seq = 3")
        .await;
    assert_eq!(
        first_bad(&store).await,
        Some(Broken {
            seq: 3,
            problem: Problem::Edited
        })
    );
}

/// Same JSON value, other bytes: what was hashed is the text, so this is an edit too.
async fn verify_detects_a_reencoded_payload(fixture: &Fixture) {
    let store = fixture.open().await;
    five(&store).await;
    fixture
        .tamper(r#"UPDATE events SET payload = '{"done": true, "n": 2}' WHERE seq = 2"#)
        .await;
    assert_eq!(
        first_bad(&store).await,
        Some(Broken {
            seq: 2,
            problem: Problem::Edited
        })
    );
    assert_eq!(
        store.events(None).await.unwrap()[1].payload,
        json!({"done": true, "n": 2})
    );
}

/// A payload that is not JSON any more is still read (as a string), and caught.
async fn verify_detects_an_unparsable_payload(fixture: &Fixture) {
    let store = fixture.open().await;
    five(&store).await;
    fixture
        .tamper("UPDATE events SET payload = 'not json' WHERE seq = 4")
        .await;
    assert_eq!(
        first_bad(&store).await,
        Some(Broken {
            seq: 4,
            problem: Problem::Edited
        })
    );
    let events = store.events(Some("launch.md")).await.unwrap();
    assert_eq!(events.len(), 5);
    assert_eq!(events[3].payload, json!("not json"));
}

async fn verify_detects_a_deleted_event(fixture: &Fixture) {
    let store = fixture.open().await;
    five(&store).await;
    fixture.tamper("DELETE FROM events WHERE seq = 3").await;
    assert_eq!(
        first_bad(&store).await,
        Some(Broken {
            seq: 4,
            problem: Problem::Missing
        })
    );
}

/// An event replaced by a forged one, sealed properly after its predecessor: the forgery
/// itself verifies, but the next event was chained to the original.
async fn verify_detects_a_forged_replacement(fixture: &Fixture) {
    let store = fixture.open().await;
    let stored = five(&store).await;
    let sql = format!(
        "DELETE FROM events WHERE seq = 3; {}",
        insert(&forged(3, &stored[1]))
    );
    fixture.tamper(&sql).await;
    assert_eq!(
        first_bad(&store).await,
        Some(Broken {
            seq: 4,
            problem: Problem::OutOfChain
        })
    );
}

/// A forged event squeezed in at 3, the rest moved up: every hash covers its own `seq`, so
/// the first moved event no longer matches its hash.
async fn verify_detects_a_forged_insertion_with_renumbering(fixture: &Fixture) {
    let store = fixture.open().await;
    let stored = five(&store).await;
    let sql = format!(
        "UPDATE events SET seq = -seq - 1 WHERE seq >= 3; \
         UPDATE events SET seq = -seq WHERE seq < 0; {}",
        insert(&forged(3, &stored[1]))
    );
    fixture.tamper(&sql).await;
    assert_eq!(
        first_bad(&store).await,
        Some(Broken {
            seq: 4,
            problem: Problem::Edited
        })
    );
    assert_eq!(store.events(None).await.unwrap().len(), 6);
}

async fn verify_detects_a_forged_event_appended_off_the_chain(fixture: &Fixture) {
    let store = fixture.open().await;
    let stored = five(&store).await;
    fixture.tamper(&insert(&forged(6, &stored[2]))).await;
    assert_eq!(
        first_bad(&store).await,
        Some(Broken {
            seq: 6,
            problem: Problem::OutOfChain
        })
    );
}

async fn verify_detects_swapped_events(fixture: &Fixture) {
    let store = fixture.open().await;
    five(&store).await;
    fixture
        .tamper(
            "UPDATE events SET seq = 0 WHERE seq = 2; UPDATE events SET seq = 2 WHERE seq = 3; \
             UPDATE events SET seq = 3 WHERE seq = 0",
        )
        .await;
    assert_eq!(
        first_bad(&store).await,
        Some(Broken {
            seq: 2,
            problem: Problem::Edited
        })
    );
}

/// Deleting the last events leaves a valid chain: only an anchor kept elsewhere shows it.
async fn an_anchor_detects_events_deleted_from_the_end(fixture: &Fixture) {
    let store = fixture.open().await;
    five(&store).await;
    let head = store.verify().await.unwrap().head.expect("a head");
    assert_eq!(head.seq, 5);
    fixture.tamper("DELETE FROM events WHERE seq >= 4").await;
    assert_eq!(
        first_bad(&store).await,
        None,
        "a cut-off chain still chains"
    );
    let anchored = store.verify_anchored(&[head]).await.unwrap();
    assert_eq!(
        anchored.first_bad,
        Some(Broken {
            seq: 5,
            problem: Problem::Truncated
        })
    );
    assert_eq!(anchored.head, None);
}
