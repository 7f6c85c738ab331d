-- Never edit this file once released: add 0003_….sql instead (see 0001_events.sql).
--
-- Reading a checklist's state fetches its events of each kind but `result`, and only the
-- results after its last `run`: without this index, each read would scan every result the
-- checklist ever had, thousands a run.
CREATE INDEX events_checklist_kind ON events (checklist, kind, seq);
