-- Where the notifier has read each partition up to: the offset of the next record to read.
-- The notifier is assigned its partitions (no consumer group, no join: it sends within a
-- second or two of its start) and seeks to these on start. Written in the transaction that
-- applies the record, so a record's SMS rows and its offset commit together, or neither.
CREATE TABLE consumed_offsets (
    topic      text    NOT NULL,
    partition  integer NOT NULL CHECK (partition >= 0),
    next       bigint  NOT NULL CHECK (next >= 0),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (topic, partition)
);
