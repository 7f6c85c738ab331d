//! Events: every change golive records (a tick, a check result, a waiver, an approval) is one
//! append-only event, chained to the previous one by a SHA-256 over a canonical encoding, so
//! that editing, deleting, inserting or reordering events shows.

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened, by kind. Stored as text (`tick`, `result`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// The checklist file was read with new content; payload `{sha256, items}`.
    Import,
    /// A box was ticked or cleared; payload `{done}`.
    Tick,
    /// A `golive check` run began; payload `{checks}`. Results refer to its `seq`.
    Run,
    /// One check's result; payload `{run, check, items, passed, failures, problem, observed, duration_ms}`.
    Result,
    /// An item's risk was accepted; payload `{reason, role, until}`.
    Waive,
    /// A conditional item does not apply; payload `{reason}`.
    Na,
    /// A role's GO or NO-GO; payload `{role, decision, comment, signed_at, signature}`.
    Approve,
    /// `golive gate` decided GO; payload `{decision}`. Hypercare counts from the first.
    Golive,
    /// A monitor changed level; payload `{monitor, from, to, reasons}`.
    Transition,
    /// An alert opened, changed level, was repeated or resolved; payload `{monitor, incident,
    /// state, level, summary, criterion}`. `incident` is the seq of the event that opened it.
    Alert,
    /// An alert notice reached (or could not reach) a notifier; payload `{alert, incident,
    /// notifier, ok, error, attempts}`. `alert` is the seq of the alert event delivered.
    Delivery,
    /// A monitor (or `*`, all) is silenced until a time; payload `{monitor, until, reason}`.
    Silence,
    /// A trigger's configured action ran; payload `{trigger, command, exit_code, output,
    /// duration_ms, timed_out}`.
    Action,
    /// A recurring item was done for one period; payload `{period, every, at, source,
    /// evidence}`. `at` is when it was done (`--at`), the event's own time when recorded.
    Period,
    /// A runbook instance was opened; payload `{instance, section, kind, at}`.
    Start,
    /// A step of a runbook instance was done (or undone); payload `{instance, done, at}`.
    Step,
    /// A role's GO or NO-GO on one runbook instance; payload `{instance, role, decision,
    /// comment, at}`.
    InstanceApprove,
    /// A disaster-recovery drill ran, started or stopped; payload `{drill, action, verdict,
    /// rto_ms, rto_objective_ms, rpo_ms, rpo_objective_ms, evidence}` (see `drill::event`).
    Drill,
    /// A path-keyed checklist took over (or declined) the history an earlier golive kept
    /// under its bare file name; payload `{from, decision}` (see `store::identity`).
    Adopt,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Import => "import",
            Kind::Tick => "tick",
            Kind::Run => "run",
            Kind::Result => "result",
            Kind::Waive => "waive",
            Kind::Na => "na",
            Kind::Approve => "approve",
            Kind::Golive => "golive",
            Kind::Transition => "transition",
            Kind::Alert => "alert",
            Kind::Delivery => "delivery",
            Kind::Silence => "silence",
            Kind::Action => "action",
            Kind::Period => "period",
            Kind::Start => "start",
            Kind::Step => "step",
            Kind::InstanceApprove => "instance-approve",
            Kind::Drill => "drill",
            Kind::Adopt => "adopt",
        }
    }

    pub fn parse(text: &str) -> Option<Kind> {
        [
            Kind::Import,
            Kind::Tick,
            Kind::Run,
            Kind::Result,
            Kind::Waive,
            Kind::Na,
            Kind::Approve,
            Kind::Golive,
            Kind::Transition,
            Kind::Alert,
            Kind::Delivery,
            Kind::Silence,
            Kind::Action,
            Kind::Period,
            Kind::Start,
            Kind::Step,
            Kind::InstanceApprove,
            Kind::Drill,
            Kind::Adopt,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == text)
    }
}

/// An event before the store gives it a place in the chain.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// Which checklist it concerns (see [`checklist_key`](crate::store::identity::checklist_key)).
    pub checklist: String,
    pub kind: Kind,
    pub item: Option<String>,
    /// Who: `--by`, else git's user.name, else `$USER`.
    pub actor: String,
    pub payload: Json,
}

/// An event as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// 1, 2, 3, … with no gaps: a gap is a deleted event.
    pub seq: i64,
    /// RFC 3339, UTC, milliseconds: set by the store when the event is appended.
    pub at: String,
    pub checklist: String,
    /// Kept as text so that a tampered kind is still readable (and caught by the hash).
    pub kind: String,
    pub item: Option<String>,
    pub actor: String,
    pub payload: Json,
    pub prev_hash: String,
    pub hash: String,
}

impl Event {
    /// Seals `new` as event `seq` after the event whose hash is `prev_hash`.
    pub fn seal(new: NewEvent, seq: i64, at: String, prev_hash: String) -> Event {
        Event::seal_encoded(new, seq, at, prev_hash).0
    }

    /// [`Event::seal`], also giving the canonical JSON of the payload that the hash covers:
    /// the stores keep that text, so that each payload is encoded once.
    pub fn seal_encoded(new: NewEvent, seq: i64, at: String, prev_hash: String) -> (Event, String) {
        let mut event = Event {
            seq,
            at,
            checklist: new.checklist,
            kind: new.kind.as_str().to_string(),
            item: new.item,
            actor: new.actor,
            payload: new.payload,
            prev_hash,
            hash: String::new(),
        };
        let payload = canonical_json(&event.payload);
        event.hash = event.hash_with(&payload);
        (event, payload)
    }

    pub fn kind(&self) -> Option<Kind> {
        Kind::parse(&self.kind)
    }

    /// SHA-256, hex, of the canonical encoding of every field but `hash`.
    pub fn compute_hash(&self) -> String {
        self.hash_with(&canonical_json(&self.payload))
    }

    fn hash_with(&self, payload: &str) -> String {
        let mut hasher = Sha256::new();
        self.encode(payload, |bytes| hasher.update(bytes));
        hex::encode(hasher.finalize())
    }

    /// Each field as `name=<length>:<value>;`, in a fixed order, the payload as canonical
    /// JSON: unambiguous whatever the fields contain, and independent of map ordering.
    pub fn canonical(&self) -> String {
        let mut out = Vec::new();
        self.encode(&canonical_json(&self.payload), |bytes| {
            out.extend_from_slice(bytes)
        });
        String::from_utf8(out).unwrap_or_default()
    }

    /// Hands [`Event::canonical`]'s bytes to `sink` piece by piece, so that hashing needs no
    /// copy of the whole.
    fn encode(&self, payload: &str, mut sink: impl FnMut(&[u8])) {
        let mut field = |name: &str, value: &str| {
            sink(name.as_bytes());
            sink(b"=");
            sink(itoa::Buffer::new().format(value.len()).as_bytes());
            sink(b":");
            sink(value.as_bytes());
            sink(b";");
        };
        field("seq", itoa::Buffer::new().format(self.seq));
        field("at", &self.at);
        field("checklist", &self.checklist);
        field("kind", &self.kind);
        field("item", self.item.as_deref().unwrap_or("\u{0}"));
        field("actor", &self.actor);
        field("payload", payload);
        field("prev", &self.prev_hash);
    }
}

/// JSON with object keys sorted at every depth and no insignificant whitespace.
pub fn canonical_json(value: &Json) -> String {
    let mut out = Vec::new();
    write_canonical(value, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

fn write_canonical(value: &Json, out: &mut Vec<u8>) {
    match value {
        Json::Object(map) => {
            out.push(b'{');
            // serde_json's map is a BTreeMap, already in key order, unless some dependency
            // turns on its `preserve_order` feature: sort only then.
            if map.keys().is_sorted() {
                write_entries(map.iter(), out);
            } else {
                let mut entries: Vec<(&String, &Json)> = map.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                write_entries(entries.into_iter(), out);
            }
            out.push(b'}');
        }
        Json::Array(values) => {
            out.push(b'[');
            for (index, value) in values.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                write_canonical(value, out);
            }
            out.push(b']');
        }
        scalar => {
            let _ = serde_json::to_writer(&mut *out, scalar);
        }
    }
}

fn write_entries<'a>(entries: impl Iterator<Item = (&'a String, &'a Json)>, out: &mut Vec<u8>) {
    for (index, (key, value)) in entries.enumerate() {
        if index > 0 {
            out.push(b',');
        }
        let _ = serde_json::to_writer(&mut *out, key);
        out.push(b':');
        write_canonical(value, out);
    }
}

/// The current time as events record it.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// What `audit verify` found: the first event that breaks the chain, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    pub events: usize,
    /// The last event of an intact chain. A chain alone cannot show that events were cut off
    /// its end; kept somewhere else (CI output, a commit, a ticket), this anchor can: see
    /// [`verify_anchored`].
    pub head: Option<Anchor>,
    pub first_bad: Option<Broken>,
}

/// An event's place and hash, written `SEQ:HASH` everywhere (text, and JSON strings):
/// `golive audit verify` and `gate` print the head as one, and `--anchor` takes them back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    pub seq: i64,
    pub hash: String,
}

impl std::fmt::Display for Anchor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.seq, self.hash)
    }
}

impl Serialize for Anchor {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl std::str::FromStr for Anchor {
    type Err = String;

    fn from_str(text: &str) -> Result<Anchor, String> {
        let shape = || {
            format!(
                "`{text}` is not an anchor: expected SEQ:HASH, as `golive audit verify` prints its head (e.g. 42:9f86d0…, 64 hex digits)"
            )
        };
        let (seq, hash) = text.trim().split_once(':').ok_or_else(shape)?;
        let seq: i64 = seq.parse().map_err(|_| shape())?;
        let hash = hash.to_ascii_lowercase();
        if seq < 1 || hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(shape());
        }
        Ok(Anchor { seq, hash })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Broken {
    /// The stored `seq` of the offending event (or the position where one is missing).
    pub seq: i64,
    pub problem: Problem,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Problem {
    /// Its content no longer matches its hash.
    Edited,
    /// The sequence jumps: events before it were deleted.
    Missing,
    /// It does not follow the event before it (inserted or moved).
    OutOfChain,
    /// An anchored event is gone: the log ends before it.
    Truncated,
    /// An anchored event's hash is not the anchored one: the history up to it was rewritten.
    Rewritten,
}

impl Problem {
    pub fn describe(self) -> &'static str {
        match self {
            Problem::Edited => "its content does not match its hash (edited)",
            Problem::Missing => "the event before it is missing (deleted)",
            Problem::OutOfChain => "it does not follow the event before it (inserted or reordered)",
            Problem::Truncated => {
                "the log ends before this anchored event (events were deleted from its end)"
            }
            Problem::Rewritten => {
                "its hash is not the anchored one (the history up to it was rewritten)"
            }
        }
    }
}

/// Checks a whole chain, in stored `seq` order.
pub fn verify(events: &[Event]) -> Verification {
    let mut previous_hash = GENESIS.to_string();
    for (expected_seq, event) in (1..).zip(events) {
        let problem = if event.seq != expected_seq {
            Some(if event.seq > expected_seq {
                Problem::Missing
            } else {
                Problem::OutOfChain
            })
        } else if event.compute_hash() != event.hash {
            Some(Problem::Edited)
        } else if event.prev_hash != previous_hash {
            Some(Problem::OutOfChain)
        } else {
            None
        };
        if let Some(problem) = problem {
            return Verification {
                events: events.len(),
                head: None,
                first_bad: Some(Broken {
                    seq: event.seq,
                    problem,
                }),
            };
        }
        previous_hash = event.hash.clone();
    }
    Verification {
        events: events.len(),
        head: events.last().map(|event| Anchor {
            seq: event.seq,
            hash: event.hash.clone(),
        }),
        first_bad: None,
    }
}

/// [`verify`], then each anchor must still be in the chain, with its hash: that shows that no
/// event up to it was deleted, even from the end, or rewritten along with the whole chain.
pub fn verify_anchored(events: &[Event], anchors: &[Anchor]) -> Verification {
    let mut verification = verify(events);
    if verification.first_bad.is_some() {
        return verification;
    }
    // An intact chain holds seq 1, 2, 3, … in order, so event `seq` sits at `seq - 1`.
    let mut anchors: Vec<&Anchor> = anchors.iter().collect();
    anchors.sort_by_key(|anchor| anchor.seq);
    for anchor in anchors {
        let stored = usize::try_from(anchor.seq - 1)
            .ok()
            .and_then(|index| events.get(index));
        let problem = match stored {
            None => Problem::Truncated,
            Some(event) if event.hash != anchor.hash => Problem::Rewritten,
            Some(_) => continue,
        };
        verification.head = None;
        verification.first_bad = Some(Broken {
            seq: anchor.seq,
            problem,
        });
        break;
    }
    verification
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn chain(n: i64) -> Vec<Event> {
        let mut events = Vec::new();
        let mut prev = GENESIS.to_string();
        for seq in 1..=n {
            let new = NewEvent {
                checklist: "launch.md".into(),
                kind: Kind::Tick,
                item: Some(format!("item-{seq}")),
                actor: "ana".into(),
                payload: json!({"done": true, "z": 1, "a": [1, {"y": 2, "b": 3}]}),
            };
            let event = Event::seal(new, seq, format!("2026-11-21T00:00:0{seq}.000Z"), prev);
            prev = event.hash.clone();
            events.push(event);
        }
        events
    }

    /// Stores written by earlier versions must keep verifying: the encoding is fixed, byte
    /// for byte (lengths in bytes, not characters), and so is the hash over it.
    #[test]
    fn the_canonical_encoding_and_hash_never_change() {
        let new = NewEvent {
            checklist: "launch.md".into(),
            kind: Kind::Tick,
            item: Some("health".into()),
            actor: "alice".into(),
            payload: json!({"z": true, "a": [1, {"b": "é"}]}),
        };
        let (event, payload) =
            Event::seal_encoded(new, 1, "2026-11-21T09:00:00.000Z".into(), GENESIS.into());
        assert_eq!(payload, r#"{"a":[1,{"b":"é"}],"z":true}"#);
        assert_eq!(
            event.canonical(),
            format!(
                "seq=1:1;at=24:2026-11-21T09:00:00.000Z;checklist=9:launch.md;kind=4:tick;\
                 item=6:health;actor=5:alice;payload=29:{payload};prev=64:{GENESIS};"
            )
        );
        assert_eq!(
            event.hash,
            "b7df63b6326ef08c60b22467ad6b68f3dec568bb99f06f528fbfee78bdf7432f"
        );
        assert_eq!(event.compute_hash(), event.hash);
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_depth() {
        assert_eq!(
            canonical_json(&json!({"z": 1, "a": [1, {"y": 2, "b": "x"}]})),
            r#"{"a":[1,{"b":"x","y":2}],"z":1}"#
        );
    }

    #[test]
    fn an_intact_chain_verifies() {
        assert_eq!(
            verify(&chain(5)),
            Verification {
                events: 5,
                head: Some(Anchor {
                    seq: 5,
                    hash: chain(5)[4].hash.clone()
                }),
                first_bad: None
            }
        );
    }

    #[test]
    fn anchors_catch_a_cut_off_end_and_a_rewritten_history() {
        let events = chain(5);
        let head = verify(&events).head.expect("an intact chain has a head");
        let third = Anchor {
            seq: 3,
            hash: events[2].hash.clone(),
        };
        let anchored = verify_anchored(&events, &[head.clone(), third.clone()]);
        assert_eq!(
            (anchored.first_bad, anchored.head),
            (None, Some(head.clone()))
        );

        // The last two events deleted: the chain alone still verifies, the anchor does not.
        let cut = &events[..3];
        assert_eq!(verify(cut).first_bad, None);
        assert_eq!(
            verify_anchored(cut, &[third.clone(), head.clone()]).first_bad,
            Some(Broken {
                seq: 5,
                problem: Problem::Truncated
            })
        );

        // Every event re-sealed after an edit: a valid chain, but not the anchored one.
        let mut rewritten = Vec::new();
        let mut prev = GENESIS.to_string();
        for (index, event) in events.iter().enumerate() {
            let new = NewEvent {
                checklist: event.checklist.clone(),
                kind: Kind::Tick,
                item: event.item.clone(),
                actor: if index == 1 {
                    "mallory".into()
                } else {
                    event.actor.clone()
                },
                payload: event.payload.clone(),
            };
            let sealed = Event::seal(new, event.seq, event.at.clone(), prev);
            prev = sealed.hash.clone();
            rewritten.push(sealed);
        }
        assert_eq!(verify(&rewritten).first_bad, None);
        assert_eq!(
            verify_anchored(&rewritten, &[head]).first_bad,
            Some(Broken {
                seq: 5,
                problem: Problem::Rewritten
            })
        );
    }

    #[test]
    fn anchors_read_back_as_printed() {
        let anchor = Anchor {
            seq: 42,
            hash: "ab".repeat(32),
        };
        assert_eq!(anchor.to_string().parse::<Anchor>(), Ok(anchor.clone()));
        // JSON holds the same text, so a document's head can be passed back as it is.
        assert_eq!(
            serde_json::to_value(&anchor).unwrap(),
            json!(format!("42:{}", "ab".repeat(32)))
        );
        assert_eq!(format!(" 42:{} ", "AB".repeat(32)).parse(), Ok(anchor));
        let bad = [
            "42".to_string(),
            format!("0:{}", "a".repeat(64)),
            "x:abc".to_string(),
            format!("7:{}", "g".repeat(64)),
        ];
        for text in bad {
            assert!(text.parse::<Anchor>().is_err(), "{text}");
        }
    }

    #[test]
    fn each_kind_of_tampering_names_the_first_bad_event() {
        let mut edited = chain(5);
        edited[2].actor = "mallory".into();
        assert_eq!(
            verify(&edited).first_bad,
            Some(Broken {
                seq: 3,
                problem: Problem::Edited
            })
        );

        let mut deleted = chain(5);
        deleted.remove(1);
        assert_eq!(
            verify(&deleted).first_bad,
            Some(Broken {
                seq: 3,
                problem: Problem::Missing
            })
        );

        // An inserted event renumbered to fit, with a recomputed hash, still breaks the link.
        let mut inserted = chain(5);
        let mut forged = inserted[1].clone();
        forged.item = Some("forged".into());
        forged.hash = forged.compute_hash();
        inserted[1] = forged;
        assert_eq!(
            verify(&inserted).first_bad,
            Some(Broken {
                seq: 3,
                problem: Problem::OutOfChain
            })
        );

        let mut reordered = chain(5);
        reordered.swap(1, 2);
        let (a, b) = (reordered[1].seq, reordered[2].seq);
        reordered[1].seq = b;
        reordered[2].seq = a;
        assert!(
            verify(&reordered)
                .first_bad
                .is_some_and(|broken| broken.seq == 2)
        );
    }
}
