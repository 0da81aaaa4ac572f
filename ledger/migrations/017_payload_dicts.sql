-- Payload dictionaries (issue 13): zstd dictionaries that the ledger
-- trains on each source's own recent payloads, so that a small event is
-- compressed against what that source's events have in common (keys,
-- object names, repeated values) instead of on its own.
-- id is the zstd Dictionary_ID written in the header of every frame
-- compressed with it: a payloads row stays encoding 'zstd', and its frame
-- names the dictionary it needs (none when the id is absent). A dictionary
-- is never changed or deleted while the ledger lives, so every payload
-- stays readable; a newer one for the same source gets a new id.
-- dict is in the zstd dictionary format. samples is how many payloads it
-- was trained on. Times are Unix milliseconds, UTC.
CREATE TABLE payload_dicts (
    id         INTEGER PRIMARY KEY,
    source     TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    samples    INTEGER NOT NULL,
    dict       BLOB    NOT NULL
);

CREATE INDEX payload_dicts_source ON payload_dicts (source, id);
